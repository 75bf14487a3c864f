"""Bad files: each error names the file, what was expected and found; the model is unchanged."""

import io
import json
import os
import zipfile

import numpy as np
import pytest
import torch

import kerastorch
from kerastorch import layers, saving


def _model(units=5, name=None):
    return kerastorch.Sequential([layers.Input(shape=(4,)), layers.Dense(units, activation="relu"),
                                  layers.Dense(2)], name=name)


def _snapshot(model):
    return [w.copy() for w in model.get_weights()]


def _assert_unchanged(model, before):
    for a, b in zip(model.get_weights(), before):
        np.testing.assert_array_equal(a, b)


def test_truncated_archive_names_file_and_cause(tmp_path):
    path = tmp_path / "m.keras"
    _model().save(path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match=r"m\.keras.*expected a \.keras archive.*corrupted or truncated"):
        kerastorch.models.load_model(path)


def test_corrupted_weights_inside_archive_is_reported(tmp_path):
    path = tmp_path / "m.keras"
    _model().save(path)
    with zipfile.ZipFile(path) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    members["model.weights.h5"] = b"\x00" * 100
    with zipfile.ZipFile(path, "w") as zf:
        for n, d in members.items():
            zf.writestr(n, d)
    with pytest.raises(ValueError, match=r"m\.keras.*model\.weights\.h5.*not valid HDF5"):
        kerastorch.models.load_model(path)
    model = _model()
    before = _snapshot(model)
    with pytest.raises(ValueError, match="not valid HDF5|cannot be read"):
        model.load_weights(path)
    _assert_unchanged(model, before)


def test_zip_without_config_json(tmp_path):
    path = tmp_path / "m.keras"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("readme.txt", "hello")
    with pytest.raises(ValueError, match=r"m\.keras: expected a \.keras archive holding config\.json.*found \['readme\.txt'\]"):
        kerastorch.models.load_model(path)


def test_not_a_file_at_all(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"nothere\.keras.*expected a \.keras archive"):
        kerastorch.models.load_model(tmp_path / "nothere.keras")


def test_weights_of_another_model_are_refused_and_nothing_changes(tmp_path):
    other = kerastorch.Sequential([layers.Input(shape=(4,)), layers.Dense(5), layers.Dense(3), layers.Dense(2)])
    other.save_weights(tmp_path / "other.weights.h5")
    model = _model()
    before = _snapshot(model)
    with pytest.raises(ValueError, match=r"other\.weights\.h5: the file does not hold weights of this model.*"
                                         r"not in the model: \['dense_2'\]"):
        model.load_weights(tmp_path / "other.weights.h5")
    _assert_unchanged(model, before)


def test_wrong_shape_names_layer_weight_and_shapes_and_changes_nothing(tmp_path):
    _model(units=6).save_weights(tmp_path / "w.weights.h5")
    model = _model(units=5)
    before = _snapshot(model)
    with pytest.raises(ValueError) as info:
        model.load_weights(tmp_path / "w.weights.h5")
    message = str(info.value)
    assert "w.weights.h5" in message and "layers/dense/vars" in message
    assert "expected shape (4, 5)" in message and "found (4, 6)" in message
    assert "no weight was changed" in message
    # The first layer mismatches and the second too, but neither was partly assigned.
    _assert_unchanged(model, before)


def test_skip_mismatch_loads_the_matching_layers(tmp_path):
    source = kerastorch.Sequential([layers.Input(shape=(4,)), layers.Dense(5), layers.Dense(3)])
    source.save_weights(tmp_path / "w.weights.h5")
    model = kerastorch.Sequential([layers.Input(shape=(4,)), layers.Dense(5), layers.Dense(2)])
    with pytest.warns(UserWarning, match=r"Skipping.*layers/dense_1/vars.*expected shape \(5, 2\)"):
        model.load_weights(tmp_path / "w.weights.h5", skip_mismatch=True)
    np.testing.assert_array_equal(model.get_weights()[0], source.get_weights()[0])


def test_unknown_layer_class_lists_close_names(tmp_path):
    path = tmp_path / "m.keras"
    _model().save(path)
    with zipfile.ZipFile(path) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    config = json.loads(members["config.json"])
    config["config"]["layers"][1]["class_name"] = "Dense2"
    members["config.json"] = json.dumps(config).encode()
    with zipfile.ZipFile(path, "w") as zf:
        for n, d in members.items():
            zf.writestr(n, d)
    with pytest.raises(ValueError, match=r"m\.keras: unknown layer class 'Dense2'\. Did you mean 'Dense'.*Known layers: "):
        kerastorch.models.load_model(path)


def test_lambda_layer_is_refused_in_safe_mode(tmp_path):
    path = tmp_path / "m.keras"
    config = {"module": "keras", "class_name": "Sequential", "registered_name": None,
              "config": {"name": "s", "trainable": True, "layers": [
                  {"module": "keras.layers", "class_name": "InputLayer", "config": {"batch_shape": [None, 3]}},
                  {"module": "keras.layers", "class_name": "Lambda",
                   "config": {"name": "evil", "function": {"class_name": "__lambda__",
                                                           "config": {"code": "AAAA"}}}}]}}
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("config.json", json.dumps(config))
    with pytest.raises(ValueError, match=r"m\.keras holds a Lambda layer \('evil'\).*safe_mode=False"):
        kerastorch.models.load_model(path)


def test_lambda_layer_loads_with_safe_mode_false(tmp_path):
    model = kerastorch.Sequential([layers.Input(shape=(3,)), layers.Lambda(lambda x: x * 2 + 1)])
    model.save(tmp_path / "m.keras")
    with pytest.raises(ValueError, match="safe_mode=False"):
        kerastorch.models.load_model(tmp_path / "m.keras")
    loaded = kerastorch.models.load_model(tmp_path / "m.keras", safe_mode=False)
    np.testing.assert_allclose(loaded.predict(np.ones((1, 3)), verbose=0), [[3.0, 3.0, 3.0]])


def test_non_hdf5_weights_file(tmp_path):
    path = tmp_path / "w.weights.h5"
    path.write_bytes(b"this is not hdf5" * 10)
    model = _model()
    before = _snapshot(model)
    with pytest.raises(ValueError, match=r"w\.weights\.h5: expected a Keras .h5 model or weights file.*"
                                         r"cannot be read as HDF5 \(160 bytes"):
        model.load_weights(path)
    _assert_unchanged(model, before)


def test_hdf5_of_something_else(tmp_path):
    import h5py

    with h5py.File(tmp_path / "data.h5", "w") as h5:
        h5["images"] = np.zeros((2, 2))
    model = _model()
    with pytest.raises(ValueError, match=r"data\.h5: expected Keras weights in HDF5.*found top-level keys \['images'\]"):
        model.load_weights(tmp_path / "data.h5")
    with pytest.raises(ValueError, match=r"data\.h5: expected a whole-model \.h5 file"):
        kerastorch.models.load_model(tmp_path / "data.h5")


def test_failed_write_keeps_the_previous_file_and_leaves_no_temporary(tmp_path, monkeypatch):
    path = tmp_path / "m.keras"
    model = _model()
    model.save(path)
    good = path.read_bytes()
    from kerastorch.saving import keras_format

    def crash(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(keras_format.json, "dumps", crash)
    with pytest.raises(RuntimeError, match="disk full"):
        model.save(path)
    assert path.read_bytes() == good
    assert os.listdir(tmp_path) == ["m.keras"]


def test_failed_weights_write_keeps_the_previous_file(tmp_path, monkeypatch):
    path = tmp_path / "w.weights.h5"
    model = _model()
    model.save_weights(path)
    good = path.read_bytes()
    from kerastorch.saving import weights_h5

    original = weights_h5.write_model

    def half_then_crash(h5, m, include_optimizer=True):
        h5.create_group("layers/dense/vars")
        raise KeyboardInterrupt

    monkeypatch.setattr(weights_h5, "write_model", half_then_crash)
    with pytest.raises(KeyboardInterrupt):
        model.save_weights(path)
    assert path.read_bytes() == good and os.listdir(tmp_path) == ["w.weights.h5"]
    monkeypatch.setattr(weights_h5, "write_model", original)


def test_mismatch_in_a_later_layer_leaves_earlier_matching_layers_unchanged(tmp_path):
    source = kerastorch.Sequential([layers.Input(shape=(4,)), layers.Dense(5), layers.Dense(3)])
    source.compile(optimizer="adam", loss="mse")
    source.fit(np.ones((2, 4)), np.ones((2, 3)), verbose=0)
    source.save_weights(tmp_path / "w.weights.h5")
    model = kerastorch.Sequential([layers.Input(shape=(4,)), layers.Dense(5), layers.Dense(2)])
    model.compile(optimizer="adam", loss="mse")
    model.fit(np.ones((2, 4)), np.ones((2, 2)), verbose=0)
    before = _snapshot(model)
    opt_before = [v.clone() for v in model.optimizer.variables]
    with pytest.raises(ValueError, match=r"layers/dense_1/vars.*expected shape \(5, 2\).*found \(5, 3\)"):
        model.load_weights(tmp_path / "w.weights.h5")
    _assert_unchanged(model, before)   # dense (which matched) was not assigned either
    for a, b in zip(model.optimizer.variables, opt_before):
        assert torch.equal(a, b)
