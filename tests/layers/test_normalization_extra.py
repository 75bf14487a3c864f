"""RMSNormalization and SpectralNormalization against real Keras 3 with the same weights."""

import numpy as np
import pytest
import torch

from kerastorch import layers


def _x(*shape, seed=0):
    return (np.random.default_rng(seed).standard_normal(shape) * 2 + 0.5).astype("float32")


RMS_CASES = [
    (dict(), (3, 6)),
    (dict(epsilon=1e-2), (2, 3, 5)),
    (dict(axis=[-2, -1]), (2, 3, 4)),
    (dict(axis=(1, 2)), (2, 3, 4)),
    (dict(axis=-1, epsilon=0.5), (2, 2, 2, 3)),
]


@pytest.mark.parametrize("kwargs,shape", RMS_CASES)
def test_rms_normalization_matches_keras(keras, kwargs, shape):
    x = _x(*shape)
    ours, theirs = layers.RMSNormalization(**kwargs), keras.layers.RMSNormalization(**kwargs)
    theirs.build(x.shape)
    ours.build((None, *x.shape[1:]))
    scale = np.random.default_rng(1).uniform(0.5, 1.5, theirs.get_weights()[0].shape).astype("float32")
    assert [w.shape for w in ours.get_weights()] == [scale.shape]
    assert [w.path.split("/")[-1] for w in ours.weights] == ["scale"]
    theirs.set_weights([scale])
    ours.set_weights([scale])
    np.testing.assert_allclose(ours(torch.from_numpy(x)).detach().numpy(),
                               keras.ops.convert_to_numpy(theirs(x)), atol=1e-5, rtol=1e-5)
    strip = ("name",)
    assert {k: v for k, v in ours.get_config().items() if k not in strip} == \
        {k: v for k, v in theirs.get_config().items() if k not in strip}
    assert ours.compute_output_shape((None, *shape[1:])) == tuple(theirs.compute_output_shape((None, *shape[1:])))


def test_rms_normalization_by_hand_and_unbuilt_config(keras):
    layer = layers.RMSNormalization(epsilon=0.0)
    assert layer.get_config()["axis"] == keras.layers.RMSNormalization().get_config()["axis"] == -1
    out = layer(torch.tensor([[3.0, 4.0]])).detach().numpy()
    # rms = sqrt((9 + 16) / 2); 3 / rms, 4 / rms
    np.testing.assert_allclose(out, [[3 / np.sqrt(12.5), 4 / np.sqrt(12.5)]], rtol=1e-6)


def test_rms_normalization_errors():
    with pytest.raises(ValueError, match=r"axis 3 is out of range.*rank 2"):
        layers.RMSNormalization(axis=3).build((None, 4))
    with pytest.raises(TypeError, match="`axis` must be an int"):
        layers.RMSNormalization(axis="last")


# wrapped layer factory (lib) -> input sample shape
SN_CASES = {
    "dense": (lambda lib: lib.layers.Dense(3), (5,)),
    "dense_3d": (lambda lib: lib.layers.Dense(4, use_bias=False), (2, 5)),
    "conv1d": (lambda lib: lib.layers.Conv1D(3, 2), (6, 2)),
    "conv2d": (lambda lib: lib.layers.Conv2D(4, 3, padding="same"), (5, 5, 2)),
    "embedding": (lambda lib: lib.layers.Embedding(7, 3), (4,)),
}


@pytest.mark.parametrize("name", sorted(SN_CASES))
@pytest.mark.parametrize("power_iterations", [1, 3])
def test_spectral_normalization_matches_keras(keras, name, power_iterations):
    factory, sample = SN_CASES[name]
    keras.utils.clear_session(free_memory=False)       # the same auto-names on both sides
    integer = name == "embedding"
    rng = np.random.default_rng(2)
    x = rng.integers(0, 7, (3, *sample)).astype("int32") if integer else rng.standard_normal((3, *sample)).astype("float32")
    ours = layers.SpectralNormalization(factory(__import__("kerastorch")), power_iterations=power_iterations)
    theirs = keras.layers.SpectralNormalization(factory(keras), power_iterations=power_iterations)
    theirs.build((None, *sample))
    ours.build((None, *sample))
    weights = [rng.uniform(-1, 1, w.shape).astype("float32") for w in theirs.get_weights()]
    assert [w.shape for w in ours.get_weights()] == [w.shape for w in weights]
    theirs.set_weights(weights)
    ours.set_weights(weights)
    xt = torch.from_numpy(x)
    for training in (True, True, False):       # two power-iteration updates, then inference
        want = keras.ops.convert_to_numpy(theirs(x, training=training))
        got = ours(xt, training=training).detach().numpy()
        np.testing.assert_allclose(got, want, atol=1e-5, rtol=1e-5)
        for a, b in zip(ours.get_weights(), theirs.get_weights()):
            np.testing.assert_allclose(a, b, atol=1e-6, rtol=1e-5)
    for attr in ("weights", "trainable_weights", "non_trainable_weights"):
        assert [v.path for v in getattr(ours, attr)] == [v.path for v in getattr(theirs, attr)], attr
    assert ours.compute_output_shape((None, *sample)) == tuple(theirs.compute_output_shape((None, *sample)))


def test_spectral_normalization_by_hand_and_zero_kernel():
    layer = layers.SpectralNormalization(layers.Dense(2, use_bias=False), power_iterations=20)
    layer.build((None, 2))
    kernel = np.array([[3.0, 0.0], [0.0, 1.0]], "float32")     # spectral norm 3
    layer.set_weights([kernel, np.array([[0.6, 0.8]], "float32")])
    out = layer(torch.tensor([[1.0, 1.0]]), training=True).detach().numpy()
    np.testing.assert_allclose(out, [[1.0, 1.0 / 3.0]], rtol=1e-5)
    np.testing.assert_allclose(np.abs(layer.get_weights()[1]), [[1.0, 0.0]], atol=1e-5)
    zero = layers.SpectralNormalization(layers.Dense(2, use_bias=False))
    zero.build((None, 2))
    zero.set_weights([np.zeros((2, 2), "float32"), np.array([[0.6, 0.8]], "float32")])
    zero(torch.ones(1, 2), training=True)
    np.testing.assert_array_equal(zero.get_weights()[1], np.array([[0.6, 0.8]], "float32"))


def test_spectral_normalization_trains_the_kernel():
    layer = layers.SpectralNormalization(layers.Dense(2))
    out = layer(torch.ones(3, 4), training=True)
    out.sum().backward()
    assert layer.layer.kernel.grad is not None and layer.layer.kernel.grad.abs().sum() > 0


def test_spectral_normalization_errors():
    with pytest.raises(ValueError, match="`power_iterations` must be a positive int"):
        layers.SpectralNormalization(layers.Dense(2), power_iterations=0)
    with pytest.raises(ValueError, match="has no weight 'kernel' nor 'embeddings'"):
        layers.SpectralNormalization(layers.LayerNormalization()).build((None, 3))
    with pytest.raises(ValueError, match="must be a kerastorch layer"):
        layers.SpectralNormalization(torch.nn.Linear(2, 2))
    layer = layers.SpectralNormalization(layers.Dense(2))
    layer(torch.ones(1, 4))
    with pytest.raises(ValueError, match=r"axis -1 of input 0 must have size 4.*\(1, 3\)"):
        layer(torch.ones(1, 3))


def test_spectral_normalization_config_both_ways(keras):
    import kerastorch

    ours = layers.SpectralNormalization(layers.Dense(3, activation="relu"), power_iterations=2)
    theirs = keras.layers.deserialize(layers.serialize(ours))
    assert type(theirs).__name__ == "SpectralNormalization" and theirs.power_iterations == 2
    assert theirs.layer.units == 3 and theirs.layer.get_config()["activation"] == "relu"
    back = kerastorch.layers.deserialize(keras.layers.serialize(theirs))
    assert isinstance(back, layers.SpectralNormalization) and back.power_iterations == 2
    assert back.layer.get_config() == ours.layer.get_config()
