"""InputSpec and layers.serialize/deserialize against real Keras 3: attributes, configs, accepted inputs."""

import numpy as np
import pytest
import torch

import kerastorch
from kerastorch import layers

SPECS = [
    dict(ndim=2),
    dict(min_ndim=2, axes={-1: 4}),
    dict(max_ndim=3),
    dict(shape=(None, 3, 4)),
    dict(dtype="float32", ndim=2),
    dict(axes={1: 3}),
    dict(ndim=2, axes={1: None}),
    dict(shape=(None, 4, 1), allow_last_axis_squeeze=True),
]
SHAPES = [(2, 4), (2, 3, 4), (2, 3), (2, 4, 1), (5,), (2, 3, 4, 5)]


@pytest.mark.parametrize("spec", SPECS, ids=str)
def test_input_spec_attributes_config_and_checks_match_keras(keras, spec):
    from keras.src.layers.input_spec import assert_input_compatibility

    ours, theirs = layers.InputSpec(**spec), keras.layers.InputSpec(**spec)
    assert ours.get_config() == theirs.get_config()
    assert repr(ours) == repr(theirs)
    for attr in ("allow_last_axis_squeeze", "name", "optional"):
        assert getattr(ours, attr) == getattr(theirs, attr)
    assert layers.InputSpec.from_config(ours.get_config()).get_config() == ours.get_config()

    class Probe(layers.Layer):
        def call(self, inputs):
            return inputs

    probe = Probe()
    probe.input_spec = ours
    for shape in SHAPES:
        x = np.zeros(shape, "float32")
        try:
            assert_input_compatibility(theirs, x, "probe")
            keras_ok = True
        except (ValueError, IndexError):     # Keras indexes past a too-short shape: we raise ValueError
            keras_ok = False
        if keras_ok:
            assert probe(torch.from_numpy(x)).shape == shape
        else:
            with pytest.raises(ValueError, match="Probe layer 'probe'"):
                probe(torch.from_numpy(x))


def test_input_spec_errors():
    with pytest.raises(TypeError, match="integer keys"):
        layers.InputSpec(axes={"last": 3})
    with pytest.raises(ValueError, match="greater than the largest axis 1"):
        layers.InputSpec(ndim=2, axes={2: 3})


SERIAL_CASES = [
    lambda lib: lib.layers.Dense(3, activation="relu", kernel_regularizer="l2"),
    lambda lib: lib.layers.Conv2D(2, 3, padding="same"),
    lambda lib: lib.layers.LSTM(4, return_sequences=True),
    lambda lib: lib.layers.RMSNormalization(epsilon=1e-3),
    lambda lib: lib.layers.SpectralNormalization(lib.layers.Dense(2), power_iterations=2),
    lambda lib: lib.layers.Dropout(0.3, seed=2),
]


@pytest.mark.parametrize("case", range(len(SERIAL_CASES)))
def test_serialize_and_deserialize_match_keras(keras, case):
    ours, theirs = SERIAL_CASES[case](kerastorch), SERIAL_CASES[case](keras)
    mine, its = layers.serialize(ours), keras.layers.serialize(theirs)

    def strip(d):      # as JSON (tuples and lists alike), names and build configs left out
        import json

        def walk(v):
            if isinstance(v, dict):
                return {k: walk(x) for k, x in v.items() if k not in ("name", "build_config")}
            return [walk(x) for x in v] if isinstance(v, list) else v
        return walk(json.loads(json.dumps(d)))

    assert strip(mine) == strip(its)
    back = layers.deserialize(its)
    assert type(back).__name__ == type(theirs).__name__
    assert strip(layers.serialize(back)) == strip(its)
    assert type(keras.layers.deserialize(mine)).__name__ == type(ours).__name__


def test_deserialize_errors():
    with pytest.raises(ValueError, match="unknown layer class 'Dnse'.*Did you mean 'Dense'"):
        layers.deserialize({"class_name": "Dnse", "config": {}})
    with pytest.raises(TypeError, match="must be a dict"):
        layers.deserialize("Dense")


def test_wrapper_is_an_abstract_base_with_keras_config(keras):
    class Twice(layers.Wrapper):
        def call(self, inputs):
            return 2 * self.layer(inputs)

    layer = Twice(layers.Dense(2, kernel_initializer="ones"))
    np.testing.assert_allclose(layer(torch.ones(1, 3)).detach().numpy(), [[6.0, 6.0]])
    assert layer.get_config()["layer"]["class_name"] == "Dense"
    assert set(layer.get_config()) == set(keras.layers.Wrapper(keras.layers.Dense(2)).get_config())
    copy = Twice.from_config(layer.get_config())
    assert copy.layer.units == 2
    with pytest.raises(NotImplementedError, match="abstract base class"):
        layers.Wrapper(layers.Dense(2))(torch.ones(1, 3))
    with pytest.raises(ValueError, match="must be a kerastorch layer"):
        layers.Wrapper("dense")
