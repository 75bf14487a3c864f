"""`kerastorch.random` and the seeded layers, against real Keras 3 on its torch backend.

Keras' torch backend seeds a fresh `torch.Generator` with `(seed + counter) mod 2**32` for every
draw; kerastorch does the same, so on the CPU the numbers are Keras' own, bit for bit. The tests
check that equality over a table of calls, then the documented semantics (an int seed repeats
itself, a SeedGenerator advances, `set_random_seed` reaches `seed=None`), the distributions'
moments on large samples (oracles: the distributions' formulas), and the layers with `seed=`.
"""

import inspect
import random as python_random

import numpy as np
import pytest
import torch

import kerastorch
from kerastorch import layers
from kerastorch import random as kr

keras = pytest.importorskip("keras", reason="real Keras 3 is not installed (pip install -e '.[dev]')")
if keras.backend.backend() != "torch":
    pytest.skip("these tests compare with Keras' torch backend", allow_module_level=True)

KERAS_NAMES = sorted(n for n in dir(keras.random) if not n.startswith("_"))


def _np(x):
    return keras.ops.convert_to_numpy(x) if not isinstance(x, torch.Tensor) else x.detach().cpu().numpy()


@pytest.fixture(autouse=True)
def _restore_floatx():
    yield
    kerastorch.config.set_floatx("float32")
    keras.config.set_floatx("float32")


# ------------------------------------------------------------------ names and signatures
@pytest.mark.parametrize("name", KERAS_NAMES)
def test_every_keras_random_name_exists_with_keras_signature(name):
    ours = getattr(kr, name, None)
    assert ours is not None, f"kerastorch.random lacks {name}"
    assert inspect.signature(ours) == inspect.signature(getattr(keras.random, name))
    assert (ours.__doc__ or "").strip(), f"kerastorch.random.{name} has no docstring"


# ------------------------------------------------------------------ the same numbers as Keras
_X = np.arange(24.0).reshape(4, 6)
_LOGITS = np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 5.0]])
# (function, positional args, keyword args) run in both libraries with the same seed.
CALLS = [
    ("normal", ((3, 5),), {}),
    ("normal", ((2, 3),), {"mean": 1.5, "stddev": 0.2, "dtype": "float64"}),
    ("normal", ((4,),), {"dtype": "bfloat16"}),
    ("uniform", ((3, 5),), {"minval": -2.0, "maxval": 3.0}),
    ("uniform", ((),), {}),
    ("uniform", ((2, 2),), {"dtype": "float16"}),
    ("randint", ((3, 5), 0, 10), {}),
    ("randint", ((6,), -4, 4), {"dtype": "int64"}),
    ("truncated_normal", ((30, 40),), {"mean": 1.0, "stddev": 2.0}),
    ("categorical", (_LOGITS, 7), {}),
    ("categorical", (_LOGITS, 3), {"dtype": "int64"}),
    ("dropout", (_X, 0.5), {}),
    ("dropout", (_X, 0.3), {"noise_shape": (None, 1)}),
    ("shuffle", (_X,), {}),
    ("shuffle", (_X,), {"axis": 1}),
    ("gamma", ((6,), 2.0), {}),
    ("gamma", ((2, 3), np.array([0.5, 1.0, 4.0])), {}),
    ("binomial", ((6,), 10, 0.3), {}),
    ("beta", ((6,), 2.0, 3.0), {}),
]


def _call(module, name, args, kwargs, seed):
    if name in ("dropout", "shuffle"):
        args = (keras.ops.convert_to_tensor(args[0]),) + args[1:] if module is keras.random else args
    return getattr(module, name)(*args, **kwargs, seed=seed)


@pytest.mark.parametrize("seed", [1, 12345, 2 ** 31 + 5, -3])
@pytest.mark.parametrize("index", range(len(CALLS)), ids=[f"{c[0]}-{i}" for i, c in enumerate(CALLS)])
def test_an_int_seed_gives_keras_numbers_dtype_and_shape(index, seed):
    name, args, kwargs = CALLS[index]
    ours = _call(kr, name, args, kwargs, seed)
    theirs = _call(keras.random, name, args, kwargs, seed)
    assert ours.dtype == theirs.dtype and tuple(ours.shape) == tuple(theirs.shape)
    np.testing.assert_array_equal(_np(ours.float() if ours.dtype == torch.bfloat16 else ours),
                                  _np(theirs.float() if theirs.dtype == torch.bfloat16 else theirs))


def test_default_dtypes_follow_floatx_as_in_keras():
    for lib in (kerastorch, keras):
        lib.config.set_floatx("float64")
    for name, args in (("normal", ((2,),)), ("uniform", ((2,),)), ("truncated_normal", ((2,),)),
                       ("gamma", ((2,), 1.0)), ("beta", ((2,), 1.0, 1.0)), ("binomial", ((2,), 3, 0.5))):
        ours, theirs = getattr(kr, name)(*args, seed=1), getattr(keras.random, name)(*args, seed=1)
        assert ours.dtype == theirs.dtype == torch.float64, name
    assert kr.randint((2,), 0, 3).dtype == keras.random.randint((2,), 0, 3).dtype == torch.int32


def test_a_seed_generator_gives_keras_sequence_and_state():
    ours, theirs = kr.SeedGenerator(5), keras.random.SeedGenerator(5)
    for _ in range(3):
        np.testing.assert_array_equal(_np(kr.normal((4,), seed=ours)), _np(keras.random.normal((4,), seed=theirs)))
    np.testing.assert_array_equal(ours.state.numpy(), _np(theirs.state.value))
    assert ours.state.dtype == theirs.state.dtype == "int32"
    assert ours.state.trainable is False and ours.state.path.endswith("seed_generator_state")
    np.testing.assert_array_equal(_np(ours.next()), _np(theirs.next()))
    np.testing.assert_array_equal(_np(ours.next(ordered=False)), _np(theirs.next(ordered=False)))
    np.testing.assert_array_equal(ours.state.numpy(), _np(theirs.state.value))
    assert kr.SeedGenerator(9, name="g").get_config() == keras.random.SeedGenerator(9, name="g").get_config()


def test_a_copied_generator_continues_on_its_own():
    import copy
    import pickle

    gen = kr.SeedGenerator(2)
    kr.normal((1,), seed=gen)
    for twin in (copy.deepcopy(gen), pickle.loads(pickle.dumps(gen))):
        np.testing.assert_array_equal(_np(kr.normal((3,), seed=twin)), _np(kr.normal((3,), seed=copy.deepcopy(gen))))
        assert twin.state.numpy().tolist() == [2, 2] and gen.state.numpy().tolist() == [2, 1]


def test_global_generator_after_set_random_seed_gives_keras_sequence():
    kerastorch.utils.set_random_seed(11)
    ours = [_np(kr.normal((3,))) for _ in range(4)] + [_np(kr.randint((5,), 0, 100))]
    keras.utils.set_random_seed(11)
    theirs = [_np(keras.random.normal((3,))) for _ in range(4)] + [_np(keras.random.randint((5,), 0, 100))]
    for a, b in zip(ours, theirs):
        np.testing.assert_array_equal(a, b)


def test_clear_session_resets_the_global_generator_as_keras_does():
    for lib in (kerastorch, keras):
        lib.utils.set_random_seed(4)
        lib.random.normal((2,))                     # the global generator now exists
    python_random.seed(8)
    kerastorch.backend.clear_session(free_memory=False)
    ours = _np(kr.normal((3,)))                     # a new one, seeded from Python's random
    python_random.seed(8)
    keras.backend.clear_session(free_memory=False)
    np.testing.assert_array_equal(ours, _np(keras.random.normal((3,))))


def test_truncated_normal_stays_inside_two_stddev_where_keras_does_not():
    # Keras keeps the first of 4 draws inside (-2, 2), and an outside value where all 4 miss
    # (probability 4.3e-6 per value): for this seed, 2 of 250k positions. kerastorch redraws those.
    shape, seed = (250_000,), 4
    ours, theirs = _np(kr.truncated_normal(shape, seed=seed)), _np(keras.random.truncated_normal(shape, seed=seed))
    outside = np.abs(theirs) >= 2
    assert outside.sum() > 0                       # the case does occur in Keras for this seed
    assert np.abs(ours).max() < 2.0
    np.testing.assert_array_equal(ours[~outside], theirs[~outside])


# ------------------------------------------------------------------ seed semantics
@pytest.mark.parametrize("name", ["normal", "uniform", "truncated_normal", "randint", "categorical", "dropout",
                                  "shuffle", "gamma", "binomial", "beta"])
def test_seed_semantics(name):
    args = {"normal": ((64,),), "uniform": ((64,),), "truncated_normal": ((64,),), "randint": ((64,), 0, 1000),
            "categorical": (np.zeros((2, 50)), 32), "dropout": (np.ones(64), 0.5),
            "shuffle": (np.arange(64),), "gamma": ((64,), 2.0), "binomial": ((64,), 50, 0.5),
            "beta": ((64,), 2.0, 2.0)}[name]
    fn = getattr(kr, name)
    same = [_np(fn(*args, seed=3)) for _ in range(2)]
    np.testing.assert_array_equal(same[0], same[1])                  # an int seed repeats itself
    assert not np.array_equal(same[0], _np(fn(*args, seed=4)))       # another seed differs
    gen = kr.SeedGenerator(3)
    first, second = _np(fn(*args, seed=gen)), _np(fn(*args, seed=gen))
    assert not np.array_equal(first, second)                          # a generator advances
    replay = kr.SeedGenerator(3)
    np.testing.assert_array_equal(first, _np(fn(*args, seed=replay)))  # and replays from its seed
    np.testing.assert_array_equal(second, _np(fn(*args, seed=replay)))
    kerastorch.utils.set_random_seed(21)
    unseeded = [_np(fn(*args)) for _ in range(2)]
    assert not np.array_equal(unseeded[0], unseeded[1])
    kerastorch.utils.set_random_seed(21)
    np.testing.assert_array_equal(unseeded[0], _np(fn(*args)))


def test_unseeded_dropout_is_torch_fused_dropout_on_the_global_generator():
    x = torch.ones(200, 50)
    torch.manual_seed(5)
    expected = torch.nn.functional.dropout(x, 0.4, training=True)
    torch.manual_seed(5)
    torch.testing.assert_close(kr.dropout(x, 0.4), expected, rtol=0, atol=0)


# ------------------------------------------------------------------ distributions (formulas as oracles)
N = 200_000


def test_normal_and_uniform_moments():
    x = _np(kr.normal((N,), mean=2.0, stddev=3.0, seed=1)).astype(np.float64)
    assert abs(x.mean() - 2.0) < 0.03 and abs(x.std() - 3.0) < 0.03
    u = _np(kr.uniform((N,), minval=-1.0, maxval=3.0, seed=2)).astype(np.float64)
    assert u.min() >= -1.0 and u.max() < 3.0
    assert abs(u.mean() - 1.0) < 0.01 and abs(u.var() - 16 / 12) < 0.01


def test_truncated_normal_moments():
    x = _np(kr.truncated_normal((N,), mean=1.0, stddev=0.5, seed=3)).astype(np.float64)
    assert np.all(np.abs(x - 1.0) < 1.0)
    # A standard normal truncated to [-2, 2] has standard deviation 0.87963.
    assert abs(x.mean() - 1.0) < 0.005 and abs(x.std() - 0.5 * 0.87963) < 0.005


def test_randint_is_uniform_over_its_range():
    x = _np(kr.randint((N,), -3, 5, seed=4))
    assert x.dtype == np.int32 and x.min() == -3 and x.max() == 4
    freq = np.bincount(x + 3) / N
    np.testing.assert_allclose(freq, np.full(8, 1 / 8), atol=0.005)


def test_categorical_samples_the_softmax_of_the_logits():
    logits = np.array([[0.0, 1.0, 2.0], [3.0, 0.0, 0.0]])
    ids = _np(kr.categorical(logits, 50_000, seed=5))
    probs = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    for row in range(2):
        np.testing.assert_allclose(np.bincount(ids[row], minlength=3) / 50_000, probs[row], atol=0.01)


def test_gamma_beta_binomial_moments():
    g = _np(kr.gamma((N,), alpha=3.0, seed=6)).astype(np.float64)
    assert abs(g.mean() - 3.0) < 0.03 and abs(g.var() - 3.0) < 0.1
    b = _np(kr.beta((N,), alpha=2.0, beta=5.0, seed=7)).astype(np.float64)
    a_, b_ = 2.0, 5.0
    assert abs(b.mean() - a_ / (a_ + b_)) < 0.003
    assert abs(b.var() - a_ * b_ / ((a_ + b_) ** 2 * (a_ + b_ + 1))) < 0.002
    n = _np(kr.binomial((N,), counts=20, probabilities=0.3, seed=8)).astype(np.float64)
    assert np.all(n == np.round(n)) and n.min() >= 0 and n.max() <= 20
    assert abs(n.mean() - 6.0) < 0.03 and abs(n.var() - 4.2) < 0.06


def test_dropout_rate_scaling_and_noise_shape():
    x = np.ones((400, 500))
    out = _np(kr.dropout(x, 0.25, seed=9))
    assert set(np.unique(out)) <= {0.0, 1 / 0.75}
    assert abs((out == 0).mean() - 0.25) < 0.005
    shared = _np(kr.dropout(x, 0.5, noise_shape=(None, 1), seed=9))
    assert np.all(shared == shared[:, :1])                           # one draw per row
    assert _np(kr.dropout(x, 1.0)).sum() == 0 and _np(kr.dropout(x, 0.0)).sum() == x.sum()


def test_shuffle_is_a_permutation_along_the_axis():
    x = np.arange(60).reshape(3, 4, 5)
    for axis in (0, 1, 2, -1):
        out = _np(kr.shuffle(x, axis=axis, seed=10))
        np.testing.assert_array_equal(np.sort(out, axis=axis), np.sort(x, axis=axis))
    rows = _np(kr.shuffle(x, axis=0, seed=10))
    assert sorted(map(tuple, rows.reshape(3, -1))) == sorted(map(tuple, x.reshape(3, -1)))  # whole slices move


# ------------------------------------------------------------------ errors
@pytest.mark.parametrize("call, error, message", [
    (lambda: kr.normal((2,), seed="1"), ValueError, r"`seed` must be an integer, a kerastorch.random.SeedGenerator"),
    (lambda: kr.uniform((2,), dtype="int32"), ValueError, r"uniform requires a floating point `dtype`.*randint"),
    (lambda: kr.randint((2,), 0, 3, dtype="float32"), ValueError, r"randint requires an integer `dtype`"),
    (lambda: kr.randint((2,), 3, 3), ValueError, r"`maxval` must be above `minval`"),
    (lambda: kr.categorical([1.0, 2.0], 2), ValueError, r"`logits` must be a 2-D tensor.*got shape \(2,\)"),
    (lambda: kr.shuffle(np.ones((2, 3)), axis=2), ValueError, r"`axis` must be an integer in \[-2, 2\).*\(2, 3\)"),
    (lambda: kr.dropout(np.ones((2, 3)), 1.5), ValueError, r"`rate` must be a float in \[0, 1\], got rate=1.5"),
    (lambda: kr.dropout(np.ones((2, 3)), 0.5, noise_shape=(2, 2), seed=1), ValueError,
     r"`noise_shape` \(2, 2\) does not broadcast to the input shape \(2, 3\)"),
    (lambda: kr.normal("ab"), TypeError, r"`shape` must be a tuple of integers"),
    (lambda: kr.gamma((2, 2), np.ones(3)), ValueError, r"`alpha` of shape \(3,\) does not broadcast"),
    (lambda: kr.SeedGenerator(1.5), ValueError, r"`seed` must be an integer or None, got seed=1.5"),
])
def test_bad_arguments_say_what_was_expected(call, error, message):
    with pytest.raises(error, match=message):
        call()


# ------------------------------------------------------------------ seeded layers
NOISE_LAYERS = [
    ("Dropout", {"rate": 0.5}, (4, 6)),
    ("Dropout", {"rate": 0.5, "noise_shape": (None, 1)}, (4, 6)),
    ("SpatialDropout1D", {"rate": 0.5}, (2, 3, 6)),
    ("SpatialDropout2D", {"rate": 0.5}, (2, 3, 3, 6)),
    ("SpatialDropout3D", {"rate": 0.5}, (2, 2, 2, 2, 6)),
    ("GaussianNoise", {"stddev": 0.3}, (4, 6)),
    ("GaussianDropout", {"rate": 0.3}, (4, 6)),
    ("AlphaDropout", {"rate": 0.3}, (4, 6)),
]


@pytest.mark.parametrize("name, kwargs, shape", NOISE_LAYERS, ids=[f"{n}-{i}" for i, (n, _, _) in enumerate(NOISE_LAYERS)])
def test_seeded_noise_layers_draw_keras_noise_call_after_call(name, kwargs, shape):
    x = np.random.RandomState(0).rand(*shape).astype("float32")
    ours, theirs = getattr(layers, name)(seed=7, **kwargs), getattr(keras.layers, name)(seed=7, **kwargs)
    twin, other = getattr(layers, name)(seed=7, **kwargs), getattr(layers, name)(seed=8, **kwargs)
    outs = []
    for _ in range(2):
        out = _np(ours(torch.tensor(x), training=True))
        np.testing.assert_array_equal(out, _np(theirs(x, training=True)))
        np.testing.assert_array_equal(out, _np(twin(torch.tensor(x), training=True)))
        outs.append(out)
    assert not np.array_equal(outs[0], outs[1])                        # the masks move on
    assert not np.array_equal(outs[0], _np(other(torch.tensor(x), training=True)))
    np.testing.assert_array_equal(_np(ours(torch.tensor(x), training=False)), x)


def test_unseeded_noise_layers_follow_set_random_seed():
    def draws():
        kerastorch.utils.set_random_seed(3)
        stack = [layers.Dropout(0.5), layers.GaussianNoise(0.2), layers.SpatialDropout1D(0.5),
                 layers.RandomFlip(), layers.RandomRotation(0.2)]
        x = torch.rand(2, 4, 4, 3)
        return [_np(layer(x if i > 2 else x.reshape(2, 16, 3), training=True)) for i, layer in enumerate(stack)]

    for a, b in zip(draws(), draws()):
        np.testing.assert_array_equal(a, b)


PREPROCESSING = [
    ("RandomFlip", {}), ("RandomRotation", {"factor": 0.3}), ("RandomZoom", {"height_factor": 0.3}),
    ("RandomTranslation", {"height_factor": 0.2, "width_factor": 0.2}), ("RandomCrop", {"height": 5, "width": 5}),
    ("RandomContrast", {"factor": 0.5}), ("RandomBrightness", {"factor": 0.3}),
]


@pytest.mark.parametrize("name, kwargs", PREPROCESSING, ids=[p[0] for p in PREPROCESSING])
def test_seeded_preprocessing_layers_repeat_their_transforms(name, kwargs):
    x = torch.rand(6, 8, 8, 3) * 255
    a, b, c = (getattr(layers, name)(seed=s, **kwargs) for s in (1, 1, 2))
    first = [_np(a(x, training=True)) for _ in range(2)]
    for out in first:
        np.testing.assert_array_equal(out, _np(b(x, training=True)))
    assert not np.array_equal(first[0], first[1])
    assert not np.array_equal(first[0], _np(c(x, training=True)))
    assert getattr(keras.layers, name)(seed=1, **kwargs).get_config()["seed"] == a.get_config()["seed"] == 1


def test_set_random_seed_twice_gives_identical_training_runs_with_dropout_and_shuffling():
    def run(seed):
        kerastorch.utils.set_random_seed(seed)
        model = kerastorch.Sequential([layers.Input(shape=(8,)), layers.Dense(16, activation="relu"),
                                       layers.Dropout(0.5), layers.Dense(16, activation="relu"),
                                       layers.Dropout(0.3, seed=None, noise_shape=(None, 16)),
                                       layers.GaussianNoise(0.1), layers.Dense(2, activation="softmax")])
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
        rng = np.random.RandomState(0)
        x, y = rng.normal(size=(32, 8)).astype("float32"), rng.randint(0, 2, 32)
        model.fit(x, y, batch_size=8, epochs=2, shuffle=True, verbose=0)
        return model.get_weights()

    first, again, other = run(5), run(5), run(6)
    for a, b in zip(first, again):
        np.testing.assert_array_equal(a, b)
    assert not all(np.array_equal(a, b) for a, b in zip(first, other))


def test_seed_generator_state_is_not_a_weight_and_not_saved(tmp_path):
    # Keras keeps the state out of `layer.weights` and out of the weights file (its Dropout group is empty).
    model = kerastorch.Sequential([layers.Input(shape=(4,)), layers.Dropout(0.5, seed=3), layers.Dense(2)])
    assert model.layers[0].weights == [] and len(model.weights) == 2
    path = str(tmp_path / "m.weights.h5")
    model.save_weights(path)
    kmodel = keras.Sequential([keras.layers.Input(shape=(4,)), keras.layers.Dropout(0.5, seed=3), keras.layers.Dense(2)])
    kpath = str(tmp_path / "k.weights.h5")
    kmodel.save_weights(kpath)
    import h5py

    def tree(p):
        names = []
        with h5py.File(p) as f:
            f.visit(names.append)
        return sorted(names)

    assert tree(path) == tree(kpath)
    kmodel.load_weights(path)      # and the file loads into Keras
