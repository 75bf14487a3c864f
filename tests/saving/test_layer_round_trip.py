"""Every layer type: save, load, same predictions and config, in kerastorch and in real Keras."""

import numpy as np
import pytest

import kerastorch
from kerastorch import layers

# (class name, sample shape, constructor args, integer input)
SPECS = [
    ("Dense", (4,), dict(units=3, activation="tanh"), False),
    ("Activation", (4,), dict(activation="tanh"), False),
    ("Dropout", (4,), dict(rate=0.3), False),
    ("Flatten", (2, 3), {}, False),
    ("Conv1D", (8, 3), dict(filters=4, kernel_size=3), False),
    ("Conv2D", (6, 6, 3), dict(filters=4, kernel_size=3, strides=2, padding="same"), False),
    ("Conv3D", (4, 4, 4, 2), dict(filters=3, kernel_size=2), False),
    ("Conv1DTranspose", (5, 3), dict(filters=4, kernel_size=3, strides=2), False),
    ("Conv2DTranspose", (4, 4, 3), dict(filters=2, kernel_size=3, strides=2, padding="same"), False),
    ("Conv3DTranspose", (3, 3, 3, 2), dict(filters=2, kernel_size=2), False),
    ("DepthwiseConv1D", (8, 3), dict(kernel_size=3, depth_multiplier=2), False),
    ("DepthwiseConv2D", (6, 6, 3), dict(kernel_size=3, depth_multiplier=2), False),
    ("SeparableConv1D", (8, 3), dict(filters=4, kernel_size=3), False),
    ("SeparableConv2D", (6, 6, 3), dict(filters=4, kernel_size=3), False),
    ("MaxPooling1D", (8, 3), {}, False),
    ("MaxPooling2D", (6, 6, 3), {}, False),
    ("MaxPooling3D", (4, 4, 4, 2), {}, False),
    ("AveragePooling1D", (8, 3), {}, False),
    ("AveragePooling2D", (6, 6, 3), {}, False),
    ("AveragePooling3D", (4, 4, 4, 2), {}, False),
    ("GlobalMaxPooling1D", (8, 3), {}, False),
    ("GlobalAveragePooling2D", (6, 6, 3), {}, False),
    ("GlobalMaxPooling3D", (4, 4, 4, 2), {}, False),
    ("BatchNormalization", (5,), {}, False),
    ("LayerNormalization", (5,), {}, False),
    ("GroupNormalization", (6, 4), dict(groups=2), False),
    ("UnitNormalization", (5,), {}, False),
    ("Embedding", (7,), dict(input_dim=20, output_dim=4), True),
    ("SimpleRNN", (5, 3), dict(units=4), False),
    ("LSTM", (5, 3), dict(units=4, return_sequences=True), False),
    ("GRU", (5, 3), dict(units=4), False),
    ("Reshape", (12,), dict(target_shape=(6, 2)), False),
    ("Permute", (3, 4), dict(dims=(2, 1)), False),
    ("RepeatVector", (4,), dict(n=3), False),
    ("Masking", (5, 3), {}, False),
    ("Cropping1D", (8, 3), dict(cropping=(1, 2)), False),
    ("Cropping2D", (6, 6, 3), dict(cropping=((1, 0), (0, 2))), False),
    ("ZeroPadding1D", (8, 3), dict(padding=2), False),
    ("ZeroPadding2D", (6, 6, 3), dict(padding=1), False),
    ("UpSampling1D", (4, 3), dict(size=2), False),
    ("UpSampling2D", (3, 3, 2), dict(size=2), False),
]


def _wrapped(lib, name):
    inner = {"Bidirectional": lambda: lib.layers.LSTM(3), "TimeDistributed": lambda: lib.layers.Dense(2)}
    return inner[name]()


WRAPPERS = [("Bidirectional", (5, 3)), ("TimeDistributed", (5, 3))]


def _build(lib, name, shape, kwargs, integer):
    dtype = "int32" if integer else "float32"
    if name in dict(WRAPPERS):
        layer = getattr(lib.layers, name)(_wrapped(lib, name))
    else:
        layer = getattr(lib.layers, name)(**kwargs)
    return lib.Sequential([lib.layers.Input(shape=shape, dtype=dtype), layer])


def _randomize(model, seed=1):
    rng = np.random.default_rng(seed)
    # Positive values keep BatchNormalization's moving variance valid.
    model.set_weights([rng.uniform(0.1, 1.0, w.shape).astype("float32") for w in model.get_weights()])


def _inputs(shape, integer):
    rng = np.random.default_rng(0)
    if integer:
        return rng.integers(0, 20, (3, *shape)).astype("int64")
    x = rng.standard_normal((3, *shape)).astype("float32")
    return x


ALL = [(n, s, k, i) for n, s, k, i in SPECS] + [(n, s, {}, False) for n, s in WRAPPERS]


@pytest.mark.parametrize("name,shape,kwargs,integer", ALL, ids=[a[0] for a in ALL])
def test_layer_round_trips_through_keras_archive(tmp_path, name, shape, kwargs, integer):
    if not hasattr(layers, name):
        pytest.skip(f"kerastorch.layers.{name} has not landed yet")
    model = _build(kerastorch, name, shape, kwargs, integer)
    _randomize(model)
    x = _inputs(shape, integer)
    expected = model.predict(x, verbose=0)
    model.save(tmp_path / "m.keras")
    loaded = kerastorch.models.load_model(tmp_path / "m.keras")
    assert loaded.get_config() == model.get_config()
    np.testing.assert_allclose(loaded.predict(x, verbose=0), expected, atol=1e-6)
    assert len(loaded.get_weights()) == len(model.get_weights())

    model.save_weights(tmp_path / "m.weights.h5")
    other = _build(kerastorch, name, shape, kwargs, integer)
    other.load_weights(tmp_path / "m.weights.h5")
    np.testing.assert_allclose(other.predict(x, verbose=0), expected, atol=1e-6)


@pytest.mark.parametrize("name,shape,kwargs,integer", ALL, ids=[a[0] for a in ALL])
def test_layer_file_loads_in_keras_with_same_predictions(keras, tmp_path, name, shape, kwargs, integer):
    if not hasattr(layers, name):
        pytest.skip(f"kerastorch.layers.{name} has not landed yet")
    model = _build(kerastorch, name, shape, kwargs, integer)
    _randomize(model)
    x = _inputs(shape, integer)
    model.save(tmp_path / "m.keras")
    kmodel = keras.models.load_model(tmp_path / "m.keras")
    np.testing.assert_allclose(np.asarray(kmodel.predict(x, verbose=0)), model.predict(x, verbose=0),
                               atol=1e-5)
    # And the other way: Keras' weights file into a fresh kerastorch model.
    kmodel.save_weights(tmp_path / "k.weights.h5")
    fresh = _build(kerastorch, name, shape, kwargs, integer)
    fresh.load_weights(tmp_path / "k.weights.h5")
    np.testing.assert_allclose(fresh.predict(x, verbose=0), np.asarray(kmodel.predict(x, verbose=0)),
                               atol=1e-5)


def test_config_round_trip_for_every_layer_class():
    for name, shape, kwargs, integer in ALL:
        if not hasattr(layers, name):
            continue
        model = _build(kerastorch, name, shape, kwargs, integer)
        rebuilt = kerastorch.Sequential.from_config(model.get_config())
        assert rebuilt.get_config() == model.get_config(), name
        assert rebuilt.output_shape == model.output_shape, name
