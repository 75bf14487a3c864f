import doctest
import importlib
import math

import numpy as np
import pytest
import torch

from kerastorch import initializers

TRUNC = 0.87962566103423978  # stddev of N(0, 1) truncated to [-2, 2]


def test_glorot_uniform_bounds_and_variance():
    w = initializers.GlorotUniform()((300, 200))
    limit = math.sqrt(6 / 500)
    assert w.shape == (300, 200) and w.dtype == torch.float32 and w.device.type == "cpu"
    assert w.abs().max() <= limit
    assert w.abs().max() > 0.99 * limit  # uses the whole range
    assert abs(w.var().item() / (limit**2 / 3) - 1) < 0.03
    assert abs(w.mean().item()) < 0.01 * limit


def test_conv_fans_use_receptive_field():
    # (3, 3, 16, 32): fan_in = 9 * 16 = 144, fan_out = 9 * 32 = 288
    assert initializers.compute_fans((3, 3, 16, 32)) == (144, 288)
    assert initializers.compute_fans((5, 8)) == (5, 8)
    assert initializers.compute_fans((7,)) == (7, 7)
    assert initializers.compute_fans(()) == (1, 1)
    assert initializers.compute_fans((2, 3, 4), input_axes=(0, 1), output_axes=(2,)) == (6, 4)
    w = initializers.HeUniform()((3, 3, 16, 32))
    limit = math.sqrt(6 / 144)
    assert w.abs().max() <= limit and abs(w.var().item() / (limit**2 / 3) - 1) < 0.05


def test_compute_fans_matches_keras(keras):
    keras_fans = importlib.import_module("keras.src.initializers.random_initializers").compute_fans
    for shape in [(), (7,), (5, 8), (4, 12), (3, 3, 16, 32), (2, 3, 3, 4, 5)]:
        assert initializers.compute_fans(shape) == keras_fans(shape)


@pytest.mark.parametrize("cls,scale,fan", [
    (initializers.HeNormal, 2.0, "in"), (initializers.LecunNormal, 1.0, "in"),
    (initializers.GlorotNormal, 1.0, "avg"),
])
def test_normal_variants_are_truncated_with_keras_stddev(cls, scale, fan):
    fan_in, fan_out = 400, 300
    n = {"in": fan_in, "avg": (fan_in + fan_out) / 2}[fan]
    stddev = math.sqrt(scale / n) / TRUNC
    w = cls()((fan_in, fan_out))
    assert w.abs().max() <= 2 * stddev  # truncated at 2 stddev
    assert w.abs().max() > 1.95 * stddev
    # The truncation and the 1/0.8796 correction cancel: the variance is scale / n.
    assert abs(w.var().item() / (scale / n) - 1) < 0.03


def test_truncated_normal_statistics():
    w = initializers.TruncatedNormal(mean=1.0, stddev=0.5)((200, 200))
    assert w.min() >= 0.0 and w.max() <= 2.0
    assert abs(w.mean().item() - 1.0) < 0.01
    assert abs(w.std().item() / (0.5 * TRUNC) - 1) < 0.02


def test_random_normal_and_uniform_statistics():
    w = initializers.RandomNormal(mean=2.0, stddev=3.0)((200, 200))
    assert abs(w.mean().item() - 2.0) < 0.05 and abs(w.std().item() / 3.0 - 1) < 0.02
    assert w.abs().max() > 6.0  # not truncated
    u = initializers.get("uniform")((200, 200))  # Keras' Embedding default
    assert u.min() >= -0.05 and u.max() <= 0.05 and abs(u.var().item() / (0.1**2 / 12) - 1) < 0.03


def test_variance_scaling_modes_and_distributions():
    shape = (100, 400)
    for mode, n in [("fan_in", 100), ("fan_out", 400), ("fan_avg", 250)]:
        for dist in ["uniform", "truncated_normal", "untruncated_normal", "normal"]:
            w = initializers.VarianceScaling(scale=3.0, mode=mode, distribution=dist)(shape)
            assert abs(w.var().item() / (3.0 / n) - 1) < 0.04, (mode, dist)
    untrunc = initializers.VarianceScaling(distribution="untruncated_normal")((200, 200))
    assert untrunc.abs().max() > 2.5 * math.sqrt(1 / 200)
    with pytest.raises(ValueError, match="Invalid `mode`"):
        initializers.VarianceScaling(mode="fan")
    with pytest.raises(ValueError, match="Invalid `distribution`"):
        initializers.VarianceScaling(distribution="gaussian")
    with pytest.raises(ValueError, match="scale"):
        initializers.VarianceScaling(scale=0)


def test_orthogonal_columns_and_rows_are_orthonormal():
    w = initializers.Orthogonal()((64, 16))
    torch.testing.assert_close(w.T @ w, torch.eye(16), atol=1e-5, rtol=0)
    wide = initializers.Orthogonal(gain=2.0)((16, 64))
    torch.testing.assert_close(wide @ wide.T, 4 * torch.eye(16), atol=1e-4, rtol=0)
    lstm_recurrent = initializers.get("orthogonal")((8, 32))  # (units, 4 * units)
    torch.testing.assert_close(lstm_recurrent @ lstm_recurrent.T, torch.eye(8), atol=1e-5, rtol=0)
    conv = initializers.Orthogonal()((3, 3, 4, 8)).reshape(36, 8)
    torch.testing.assert_close(conv.T @ conv, torch.eye(8), atol=1e-5, rtol=0)
    with pytest.raises(ValueError, match="at least two-dimensional"):
        initializers.Orthogonal()((5,))


def test_constant_zeros_ones_identity_are_exact():
    assert torch.equal(initializers.Zeros()((2, 3)), torch.zeros(2, 3))
    assert torch.equal(initializers.Ones()((4,)), torch.ones(4))
    assert torch.equal(initializers.Constant(0.25)((2, 2)), torch.full((2, 2), 0.25))
    assert torch.equal(initializers.get("zeros")(()), torch.tensor(0.0))
    assert torch.equal(initializers.Identity(gain=3.0)((2, 3)),
                       torch.tensor([[3.0, 0, 0], [0, 3.0, 0]]))
    with pytest.raises(ValueError, match="2D matrices"):
        initializers.Identity()((2, 2, 2))


def test_dtype_defaults_to_floatx_and_can_be_given():
    assert initializers.GlorotUniform()((2, 2)).dtype == torch.float32
    assert initializers.HeNormal()((2, 2), dtype="float64").dtype == torch.float64
    assert initializers.Orthogonal()((2, 2), dtype=torch.float64).dtype == torch.float64
    assert initializers.TruncatedNormal()((4,), dtype="bfloat16").dtype == torch.bfloat16


def test_every_call_returns_a_new_tensor():
    init = initializers.Zeros()
    a = init((3,))
    a += 1
    assert torch.equal(init((3,)), torch.zeros(3))


def test_unseeded_initializers_follow_torch_global_seed():
    init = initializers.GlorotUniform()
    torch.manual_seed(42)
    a = init((5, 5))
    b = init((5, 5))
    assert not torch.equal(a, b)  # fresh values each call
    torch.manual_seed(42)
    assert torch.equal(initializers.GlorotUniform()((5, 5)), a)


@pytest.mark.parametrize("name", ["random_normal", "random_uniform", "truncated_normal",
                                  "glorot_uniform", "he_normal", "orthogonal", "variance_scaling"])
def test_seeded_initializer_repeats_itself_like_keras(name):
    init = initializers.get({"class_name": name, "config": {"seed": 7}})
    a = init((6, 4))
    torch.manual_seed(123)  # the global generator plays no part
    assert torch.equal(a, init((6, 4)))
    assert torch.equal(a, initializers.get({"class_name": name, "config": {"seed": 7}})((6, 4)))
    assert not torch.equal(a, initializers.get({"class_name": name, "config": {"seed": 8}})((6, 4)))


def test_keras_seeded_initializer_also_repeats_itself(keras):
    init = keras.initializers.RandomNormal(seed=7)
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(init((3,))),
                                  keras.ops.convert_to_numpy(init((3,))))


def test_bad_seed_is_rejected():
    with pytest.raises(ValueError, match="`seed` must be None or an integer, got seed='1'"):
        initializers.RandomNormal(seed="1")


def test_get_resolves_every_keras_name(keras):
    keras_dict = importlib.import_module("keras.src.initializers").ALL_OBJECTS_DICT
    names = set(keras_dict)
    assert set(initializers._BY_NAME) == names
    for name in names:
        ours = initializers.get(name)
        assert type(ours).__name__ == keras_dict[name].__name__, name


def test_get_passes_through_instances_callables_and_builds_dicts():
    init = initializers.HeNormal(seed=1)
    assert initializers.get(init) is init
    fn = lambda shape, dtype=None: torch.zeros(shape)  # noqa: E731
    assert initializers.get(fn) is fn
    assert isinstance(initializers.get(initializers.Ones), initializers.Ones)
    built = initializers.get({"class_name": "GlorotUniform", "config": {"seed": 3}})
    assert isinstance(built, initializers.GlorotUniform) and built.seed == 3
    assert initializers.get(None) is None
    value = np.arange(6, dtype="float64").reshape(2, 3)
    from_array = initializers.get(value)
    assert torch.equal(from_array((2, 3)), torch.arange(6.0).reshape(2, 3))
    with pytest.raises(ValueError, match=r"Expected `shape` to be \(2, 3\)"):
        from_array((3, 2))


def test_get_aliases():
    u = initializers.get("uniform")
    assert isinstance(u, initializers.RandomUniform) and (u.minval, u.maxval) == (-0.05, 0.05)
    assert isinstance(initializers.get("normal"), initializers.RandomNormal)
    assert isinstance(initializers.get("he_normal"), initializers.HeNormal)
    assert isinstance(initializers.get("GlorotUniform"), initializers.GlorotUniform)


def test_get_unknown_name_suggests_the_closest():
    with pytest.raises(ValueError, match=r"Unknown initializer 'glorot_unifrom'\. Did you mean "
                                         r"'glorot_uniform'.*Known: constant, glorot_normal"):
        initializers.get("glorot_unifrom")
    with pytest.raises(TypeError, match="expected an initializer name.*got 3 of type int"):
        initializers.get(3)


def _keras_instances(keras):
    k, o = keras.initializers, initializers
    return [
        (k.Zeros(), o.Zeros()), (k.Ones(), o.Ones()), (k.Constant(2.5), o.Constant(2.5)),
        (k.Constant(), o.Constant()),
        (k.RandomNormal(), o.RandomNormal()), (k.RandomNormal(1.0, 2.0, seed=3), o.RandomNormal(1.0, 2.0, seed=3)),
        (k.RandomUniform(), o.RandomUniform()), (k.TruncatedNormal(seed=1), o.TruncatedNormal(seed=1)),
        (k.VarianceScaling(), o.VarianceScaling()),
        (k.VarianceScaling(2.0, "fan_avg", "uniform", seed=4), o.VarianceScaling(2.0, "fan_avg", "uniform", seed=4)),
        (k.VarianceScaling(distribution="normal"), o.VarianceScaling(distribution="normal")),
        (k.GlorotUniform(), o.GlorotUniform()), (k.GlorotNormal(seed=5), o.GlorotNormal(seed=5)),
        (k.HeUniform(), o.HeUniform()), (k.HeNormal(), o.HeNormal()),
        (k.LecunUniform(), o.LecunUniform()), (k.LecunNormal(), o.LecunNormal()),
        (k.Orthogonal(), o.Orthogonal()), (k.Orthogonal(gain=0.5, seed=2), o.Orthogonal(gain=0.5, seed=2)),
        (k.Identity(), o.Identity()),
    ]


def test_serialize_equals_keras(keras):
    for theirs, ours in _keras_instances(keras):
        assert initializers.serialize(ours) == keras.initializers.serialize(theirs)
    for name in ["glorot_uniform", "uniform", "zeros", "orthogonal", "he_normal"]:
        assert initializers.serialize(initializers.get(name)) == \
            keras.initializers.serialize(keras.initializers.get(name))


def test_deserialize_reads_keras_configs(keras):
    for theirs, ours in _keras_instances(keras):
        rebuilt = initializers.deserialize(keras.initializers.serialize(theirs))
        assert type(rebuilt) is type(ours) and rebuilt.get_config() == ours.get_config()
        theirs_again = keras.initializers.deserialize(initializers.serialize(ours))
        assert theirs_again.get_config() == theirs.get_config()


def test_identity_gain_round_trips():
    init = initializers.deserialize(initializers.serialize(initializers.Identity(gain=2.0)))
    assert init.gain == 2.0


_MODULES = ["base", "constants", "random", "variance_scaling", "orthogonal_identity", "stft_initializer"]


def test_docstring_examples_run():
    attempted = 0
    for module in [initializers] + [importlib.import_module(f"kerastorch.initializers.{m}") for m in _MODULES]:
        result = doctest.testmod(module, extraglobs={"torch": torch}, verbose=False)
        assert result.failed == 0, module.__name__
        attempted += result.attempted
    assert attempted > 20


def test_custom_function_serializes_like_keras_and_loads_with_custom_objects(keras):
    def my_init(shape, dtype=None):
        return torch.full(shape, 0.5)

    config = initializers.serialize(my_init)
    assert config == keras.initializers.serialize(my_init)
    assert initializers.deserialize(config, custom_objects={"my_init": my_init}) is my_init
    with pytest.raises(ValueError, match="pass it in custom_objects"):
        initializers.deserialize(config)
    with pytest.raises(TypeError, match="expected an Initializer or a callable"):
        initializers.serialize(3)


# ---------------------------------------------------------------- the whole namespace against Keras


def _public(module):
    return {n for n in dir(module) if not n.startswith("_")}


def test_every_keras_initializer_name_exists_and_aliases_are_the_same_classes(keras):
    k = keras.initializers
    names = sorted(_public(k) - {"get", "serialize", "deserialize"})
    assert len(names) == 36
    for name in names:
        ours = getattr(initializers, name)
        assert isinstance(ours, type) and ours.__name__ == getattr(k, name).__name__, name
    # Which names are one class in Keras is also one class here (glorot_uniform is GlorotUniform).
    for a in names:
        for b in names:
            assert (getattr(k, a) is getattr(k, b)) == (getattr(initializers, a) is getattr(initializers, b)), (a, b)


_DETERMINISTIC = [
    ("Zeros", {}, (3, 4)), ("Ones", {}, (2, 5)), ("Constant", {}, (3,)), ("Constant", {"value": -1.5}, (2, 3)),
    ("Constant", {"value": 7}, (4,)), ("Identity", {}, (4, 4)), ("Identity", {}, (3, 5)),
    ("Identity", {"gain": 2.5}, (5, 2)),
    ("STFT", {}, (16, 1, 9)), ("STFT", {"side": "imag"}, (16, 1, 9)),
    ("STFT", {"window": "hamming", "scaling": "spectrum"}, (10, 1, 6)),
    ("STFT", {"window": "hann", "periodic": True}, (32, 1, 17)),
    ("STFT", {"window": "blackman", "periodic": True, "side": "imag"}, (12, 1, 7)),
    ("STFT", {"window": "bartlett", "scaling": None}, (9, 1, 5)),
    ("STFT", {"window": "boxcar"}, (8, 1, 5)), ("STFT", {"window": None}, (8, 1, 5)),
    ("STFT", {"window": "cosine"}, (12, 1, 4)), ("STFT", {"window": (1.0, 0.5, 0.25)}, (3, 1, 4)),
    ("STFT", {"window": [0.5, 1.0, 1.0, 0.5]}, (4, 1, 3)),
    ("STFT", {"window": "hann", "scaling": "density", "periodic": False}, (1, 1, 2)),
]


@pytest.mark.parametrize("name,kwargs,shape", _DETERMINISTIC,
                         ids=[f"{n}-{i}" for i, (n, _, _) in enumerate(_DETERMINISTIC)])
@pytest.mark.parametrize("dtype", [None, "float64"])
def test_deterministic_initializers_equal_keras_exactly(keras, name, kwargs, shape, dtype):
    theirs = keras.ops.convert_to_numpy(getattr(keras.initializers, name)(**kwargs)(shape, dtype=dtype))
    ours = getattr(initializers, name)(**kwargs)(shape, dtype=dtype)
    assert ours.dtype == getattr(torch, theirs.dtype.name)
    np.testing.assert_array_equal(ours.numpy(), theirs)


@pytest.mark.parametrize("shape", [(6, 6), (20, 5), (5, 20), (3, 3, 4, 8), (2, 3, 10)])
def test_orthogonal_has_the_properties_of_keras_orthogonal(keras, shape):
    # The draws differ (another generator); the structure is the same: the matrix view
    # (prod(shape[:-1]), shape[-1]) has orthonormal rows or columns, scaled by the gain.
    rows, cols = math.prod(shape[:-1]), shape[-1]
    for gain in (1.0, 0.5):
        theirs = keras.ops.convert_to_numpy(keras.initializers.Orthogonal(gain=gain, seed=1)(shape)).reshape(rows, cols)
        ours = initializers.Orthogonal(gain=gain, seed=1)(shape).numpy().reshape(rows, cols)
        gram = (lambda m: m.T @ m) if rows >= cols else (lambda m: m @ m.T)
        np.testing.assert_allclose(gram(ours), gram(theirs), atol=2e-5)
        np.testing.assert_allclose(gram(ours), gain**2 * np.eye(min(rows, cols)), atol=2e-5)


_RANDOM = [
    ("RandomNormal", {"mean": 0.5, "stddev": 2.0}), ("RandomUniform", {"minval": -1.0, "maxval": 3.0}),
    ("TruncatedNormal", {"mean": -1.0, "stddev": 0.5}),
    ("VarianceScaling", {"scale": 2.0, "mode": "fan_out", "distribution": "untruncated_normal"}),
    ("VarianceScaling", {"scale": 0.5, "mode": "fan_avg", "distribution": "uniform"}),
    ("GlorotUniform", {}), ("GlorotNormal", {}), ("HeUniform", {}), ("HeNormal", {}),
    ("LecunUniform", {}), ("LecunNormal", {}),
]


@pytest.mark.parametrize("name,kwargs", _RANDOM, ids=[n for n, _ in _RANDOM])
def test_random_initializers_draw_keras_distribution(keras, name, kwargs):
    shape = (3, 3, 40, 60)   # 21,600 values; fans 360 / 540
    theirs = keras.ops.convert_to_numpy(getattr(keras.initializers, name)(seed=3, **kwargs)(shape))
    ours = getattr(initializers, name)(seed=3, **kwargs)(shape).numpy()
    assert ours.shape == theirs.shape and ours.dtype == theirs.dtype
    spread = theirs.std()
    assert abs(ours.mean() - theirs.mean()) < 0.05 * spread
    assert abs(ours.std() / spread - 1) < 0.03
    # The support: truncated and uniform draws stay inside Keras' bounds, and reach near them.
    lo, hi = theirs.min(), theirs.max()
    width = hi - lo
    assert ours.min() > lo - 0.05 * width and ours.max() < hi + 0.05 * width
    assert ours.min() < lo + 0.1 * width and ours.max() > hi - 0.1 * width


def test_stft_config_serialize_and_errors_match_keras(keras):
    for kwargs in [{}, {"side": "imag", "window": "hamming", "scaling": None, "periodic": True},
                   {"window": None, "scaling": "spectrum"}]:
        ours, theirs = initializers.STFT(**kwargs), keras.initializers.STFT(**kwargs)
        assert ours.get_config() == theirs.get_config()
        assert initializers.serialize(ours) == keras.initializers.serialize(theirs)
        rebuilt = initializers.deserialize(keras.initializers.serialize(theirs))
        assert isinstance(rebuilt, initializers.STFT) and rebuilt.get_config() == theirs.get_config()
    for bad, match in [({"side": "both"}, "`side` must be 'real' or 'imag'"),
                       ({"scaling": "l2"}, "`scaling` must be None, 'density' or 'spectrum'"),
                       ({"window": "no_such_window"}, "no_such_window")]:
        with pytest.raises(ValueError, match=match):
            initializers.STFT(**bad)
        with pytest.raises(ValueError):
            keras.initializers.STFT(**bad)
    with pytest.raises(ValueError, match=r"expected a kernel shape \(frame_length, 1, fft_bins\)"):
        initializers.STFT()((8, 5))
    with pytest.raises(ValueError, match="the window must hold frame_length=8 values"):
        initializers.STFT(window=[1.0, 2.0])((8, 1, 5))


def test_native_windows_equal_scipy():
    signal = pytest.importorskip("scipy.signal")
    stft = importlib.import_module("kerastorch.initializers.stft_initializer")

    for name in ["hann", "hamming", "blackman", "bartlett", "boxcar", "han", "rect", "blk"]:
        for length in [1, 2, 7, 16]:
            for periodic in [False, True]:
                np.testing.assert_array_equal(stft._native_window(stft._window_name(name), length, periodic),
                                              signal.get_window(name, length, periodic))
