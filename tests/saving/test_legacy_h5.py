"""Legacy Keras `.h5` files (Keras 2 layout, keyed by layer name), written here by real Keras."""

import h5py
import numpy as np
import pytest

import kerastorch

from .helpers import ARTICLE_MODELS, data


def _legacy_weights_file(keras, kmodel, path):
    from keras.src.legacy.saving import legacy_h5_format

    with h5py.File(path, "w") as f:
        legacy_h5_format.save_weights_to_hdf5_group(f, kmodel)


@pytest.mark.parametrize("which", sorted(ARTICLE_MODELS))
def test_legacy_whole_model_file_loads(keras, tmp_path, which):
    factory, shape, loss, classes = ARTICLE_MODELS[which]
    x, y = data(shape, classes)
    kmodel = factory(keras)
    kmodel.compile(optimizer="adam", loss=loss)
    kmodel.fit(x, y, verbose=0)
    kmodel.save(tmp_path / "m.h5")
    expected = np.asarray(kmodel.predict(x, verbose=0))
    loaded = kerastorch.models.load_model(tmp_path / "m.h5")
    np.testing.assert_allclose(loaded.predict(x, verbose=0), expected, atol=1e-5)
    assert loaded.compiled and type(loaded.optimizer).__name__ == "Adam"
    assert loaded.optimizer.iterations == int(kmodel.optimizer.iterations)   # state restored
    from kerastorch.saving.weights_h5 import optimizer_variables   # in Keras' layout

    for got, want in zip(optimizer_variables(loaded)[2:], kmodel.optimizer.variables[2:]):
        np.testing.assert_allclose(got, np.asarray(want.numpy()), atol=1e-7)
    loaded.fit(x, y, verbose=0)   # compiled from the training config: trains right away
    fresh = factory(kerastorch)
    fresh.load_weights(tmp_path / "m.h5")
    np.testing.assert_allclose(fresh.predict(x, verbose=0), expected, atol=1e-5)


def test_legacy_weights_file_by_order_and_by_name(keras, tmp_path):
    factory, shape, _, classes = ARTICLE_MODELS["bn_net"]
    kmodel = factory(keras)
    rng = np.random.default_rng(0)
    kmodel.set_weights([rng.uniform(0.1, 1, w.shape).astype("float32") for w in kmodel.get_weights()])
    _legacy_weights_file(keras, kmodel, tmp_path / "w.h5")
    x, _ = data(shape, classes)
    expected = np.asarray(kmodel.predict(x, verbose=0))

    model = factory(kerastorch)          # same names (dense, batch_normalization, ...) by order
    model.load_weights(tmp_path / "w.h5")
    np.testing.assert_allclose(model.predict(x, verbose=0), expected, atol=1e-5)

    # by_name: only the layers whose names are in the file are loaded.
    layers = kerastorch.layers
    named = kerastorch.Sequential([layers.Input(shape=(100,)), layers.Dense(256, name=kmodel.layers[0].name),
                                   layers.Dense(7, name="new_head")])
    before = named.get_weights()[2:]
    named.load_weights(tmp_path / "w.h5", by_name=True)
    np.testing.assert_array_equal(named.get_weights()[0], kmodel.get_weights()[0])
    for a, b in zip(named.get_weights()[2:], before):
        np.testing.assert_array_equal(a, b)


def test_legacy_by_name_mismatch_raises_or_skips(keras, tmp_path):
    kmodel = keras.Sequential([keras.layers.Input(shape=(4,)), keras.layers.Dense(3, name="a"),
                               keras.layers.Dense(2, name="b")])
    _legacy_weights_file(keras, kmodel, tmp_path / "w.h5")
    layers = kerastorch.layers
    model = kerastorch.Sequential([layers.Input(shape=(4,)), layers.Dense(3, name="a"),
                                   layers.Dense(5, name="b")])
    before = [w.copy() for w in model.get_weights()]
    with pytest.raises(ValueError, match=r"(?s)w\.h5, layer 'b': weight 'kernel' expected shape \(3, 5\), "
                                         r"found \(3, 2\).*No weight was changed"):
        model.load_weights(tmp_path / "w.h5", by_name=True)
    for a, b in zip(model.get_weights(), before):
        np.testing.assert_array_equal(a, b)
    with pytest.warns(UserWarning, match="Skipping.*layer 'b'"):
        model.load_weights(tmp_path / "w.h5", by_name=True, skip_mismatch=True)
    np.testing.assert_array_equal(model.get_weights()[0], kmodel.get_weights()[0])
    np.testing.assert_array_equal(model.get_weights()[2], before[2])


def test_legacy_file_of_another_model_is_refused(keras, tmp_path):
    kmodel = keras.Sequential([keras.layers.Input(shape=(4,)), keras.layers.Dense(3), keras.layers.Dense(3),
                               keras.layers.Dense(2)])
    _legacy_weights_file(keras, kmodel, tmp_path / "w.h5")
    model = kerastorch.Sequential([kerastorch.layers.Input(shape=(4,)), kerastorch.layers.Dense(2)])
    before = model.get_weights()
    with pytest.raises(ValueError, match=r"w\.h5: the file holds weights for 3 layer\(s\).*the model has 1.*by_name=True"):
        model.load_weights(tmp_path / "w.h5")
    np.testing.assert_array_equal(model.get_weights()[0], before[0])


def test_keras2_style_config_is_read(tmp_path):
    # A Keras 2 model_config: batch_input_shape on the first layer, initializers without module.
    import json

    config = {"class_name": "Sequential", "config": {"name": "old", "layers": [
        {"class_name": "InputLayer", "config": {"batch_input_shape": [None, 3], "dtype": "float32",
                                                "sparse": False, "ragged": False, "name": "input_1"}},
        {"class_name": "Dense", "config": {"name": "dense", "trainable": True, "dtype": "float32", "units": 2,
                                           "activation": "relu", "use_bias": True,
                                           "kernel_initializer": {"class_name": "GlorotUniform",
                                                                  "config": {"seed": None}},
                                           "bias_initializer": {"class_name": "Zeros", "config": {}},
                                           "kernel_regularizer": None, "bias_regularizer": None,
                                           "activity_regularizer": None, "kernel_constraint": None,
                                           "bias_constraint": None}}]}}
    kernel = np.array([[1.0, -1.0], [2.0, 0.5], [0.0, 1.0]], dtype="float32")
    with h5py.File(tmp_path / "old.h5", "w") as f:
        f.attrs["model_config"] = json.dumps(config)
        f.attrs["keras_version"] = "2.13.1"
        g = f.create_group("model_weights")
        g.attrs["layer_names"] = [b"input_1", b"dense"]
        g.create_group("input_1").attrs["weight_names"] = []
        d = g.create_group("dense")
        d.attrs["weight_names"] = [b"dense/kernel:0", b"dense/bias:0"]
        d["dense/kernel:0"] = kernel
        d["dense/bias:0"] = np.array([0.5, -10.0], dtype="float32")
    model = kerastorch.models.load_model(tmp_path / "old.h5")
    # [1, 1, 1] @ kernel = [3, 0.5]; + bias = [3.5, -9.5]; relu -> [3.5, 0]
    np.testing.assert_allclose(model.predict(np.ones((1, 3), "float32"), verbose=0), [[3.5, 0.0]])
    assert model.name == "old" and not model.compiled
