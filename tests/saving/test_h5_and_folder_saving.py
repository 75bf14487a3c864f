"""Legacy `.h5` (model.save and ModelCheckpoint) and `save(..., zipped=False)` folders, as Keras 3
writes them: the other library loads each file, layouts and refusals are Keras'."""

import os
import warnings

import h5py
import numpy as np
import pytest

import kerastorch

X = np.random.default_rng(0).random((6, 3)).astype("float32")
Y = np.random.default_rng(1).random((6, 1)).astype("float32")


def _model(lib, compile=True):
    layers = lib.layers
    # Every layer named: Keras' automatic names count across the whole test session.
    model = lib.Sequential([layers.Input((3,)), layers.Dense(2, name="d1"), layers.BatchNormalization(name="bn"),
                            layers.Dense(1, name="d2")], name="seq")
    if compile:
        # "mean_squared_error", not "mse": Keras 3.15.1 cannot compile its own .h5 files from "mse".
        model.compile(optimizer="adam", loss="mean_squared_error", metrics=["mae"])
        model.fit(X, Y, batch_size=3, shuffle=False, verbose=0)
    return model


def _predict(model, keras):
    return np.asarray(keras.ops.convert_to_numpy(model.predict(X, verbose=0)))


def _tree(path):
    """Every group and dataset of an HDF5 file below model_weights, with shape and attribute names."""
    out = {}
    with h5py.File(path, "r") as f:
        def visit(name, obj):
            if name.startswith("model_weights"):
                out[name] = (getattr(obj, "shape", None), sorted(obj.attrs))
        f.visititems(visit)
        out["/"] = sorted(f.attrs)
        out["optimizer_weights"] = len(f["optimizer_weights"].attrs["weight_names"])
        out["layer_names"] = [n.decode() if isinstance(n, bytes) else n
                              for n in f["model_weights"].attrs["layer_names"]]
    return out


def test_model_save_h5_writes_keras_legacy_file_with_keras_warning(keras, tmp_path):
    ours, theirs = _model(kerastorch), _model(keras)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ours.save(tmp_path / "t.h5")
    assert any("This file format is considered legacy" in str(w.message) for w in caught)
    theirs.save(tmp_path / "k.h5")
    assert _tree(tmp_path / "t.h5") == _tree(tmp_path / "k.h5")

    loaded = keras.models.load_model(tmp_path / "t.h5")
    np.testing.assert_allclose(_predict(loaded, keras), ours.predict(X, verbose=0), atol=1e-6)
    assert [layer.name for layer in loaded.layers] == [layer.name for layer in ours.layers]
    assert int(loaded.optimizer.iterations) == int(ours.optimizer.iterations) == 2
    for got, want in zip(loaded.optimizer.variables, kerastorch.saving.weights_h5.optimizer_variables(ours)):
        np.testing.assert_allclose(keras.ops.convert_to_numpy(got), want, atol=1e-7)
    # and back: ours loads Keras' legacy file
    back = kerastorch.models.load_model(tmp_path / "k.h5")
    np.testing.assert_allclose(back.predict(X, verbose=0), _predict(theirs, keras), atol=1e-6)


def test_model_checkpoint_h5_writes_a_legacy_file_keras_loads(keras, tmp_path):
    model = _model(kerastorch)
    path = tmp_path / "best.h5"
    checkpoint = kerastorch.callbacks.ModelCheckpoint(str(path), monitor="loss", save_best_only=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(X, Y, epochs=2, batch_size=3, verbose=0, callbacks=[checkpoint])
    loaded = keras.models.load_model(path)
    np.testing.assert_allclose(_predict(loaded, keras), model.predict(X, verbose=0), atol=1e-6)


def test_unzipped_folder_has_keras_layout_and_moves_both_ways(keras, tmp_path):
    ours, theirs = _model(kerastorch), _model(keras)
    ours.save(tmp_path / "ours", zipped=False)
    theirs.save(tmp_path / "theirs", zipped=False)
    assert sorted(os.listdir(tmp_path / "ours")) == sorted(os.listdir(tmp_path / "theirs"))

    in_keras = keras.models.load_model(tmp_path / "ours")
    np.testing.assert_allclose(_predict(in_keras, keras), ours.predict(X, verbose=0), atol=1e-6)
    assert int(in_keras.optimizer.iterations) == 2
    in_ours = kerastorch.models.load_model(tmp_path / "theirs")
    np.testing.assert_allclose(in_ours.predict(X, verbose=0), _predict(theirs, keras), atol=1e-6)
    assert int(in_ours.optimizer.iterations) == 2
    again = kerastorch.models.load_model(tmp_path / "ours")
    np.testing.assert_allclose(again.predict(X, verbose=0), ours.predict(X, verbose=0), atol=0)


@pytest.mark.parametrize("name,kwargs", [
    ("m.keras", dict(zipped=False)),          # a folder must not end in .keras
    ("m", dict(zipped=True)),                 # a zip must end in .keras
    ("m.keras", dict(save_format="tf")),      # deprecated argument, accepted only with a Keras path ...
    ("m", dict(save_format="keras")),         # ... refused otherwise
    ("m.keras", dict(signatures=None)),       # unknown arguments are refused
])
def test_save_refuses_what_keras_refuses(keras, tmp_path, name, kwargs):
    outcomes = []
    for lib in (keras, kerastorch):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                _model(lib, compile=False).save(tmp_path / f"{lib.__name__}_{name}", **kwargs)
            outcomes.append("saved")
        except ValueError:
            outcomes.append("ValueError")
    assert outcomes[1] == outcomes[0]
