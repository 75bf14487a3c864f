"""`.keras` archives, `.weights.h5`, configs, JSON, clone_model, custom objects, optimizer state."""

import json
import zipfile

import numpy as np
import pytest
import torch

import kerastorch
from kerastorch import layers, saving

from .helpers import ARTICLE_MODELS, cnn, data, mlp


def _small(name=None):
    return kerastorch.Sequential([layers.Input(shape=(4,)), layers.Dense(5, activation="relu"),
                                  layers.BatchNormalization(), layers.Dense(2)], name=name)


def test_archive_holds_keras_members_and_tree(tmp_path):
    import h5py
    import io

    model = _small()
    model.compile(optimizer="adam", loss="mse")
    model.fit(np.ones((4, 4)), np.ones((4, 2)), verbose=0)
    model.save(tmp_path / "m.keras")
    zf = zipfile.ZipFile(tmp_path / "m.keras")
    assert sorted(zf.namelist()) == ["config.json", "metadata.json", "model.weights.h5"]
    meta = json.loads(zf.read("metadata.json"))
    assert meta["keras_version"].startswith("3.")
    config = json.loads(zf.read("config.json"))
    assert config["compile_config"]["optimizer"]["class_name"] == "Adam"
    assert config["compile_config"]["loss"] == "mse"
    with h5py.File(io.BytesIO(zf.read("model.weights.h5")), "r") as h5:
        assert sorted(h5["layers"]) == ["batch_normalization", "dense", "dense_1"]
        assert [h5[f"layers/batch_normalization/vars/{i}"].shape for i in range(4)] == [(5,)] * 4
        assert h5["optimizer/vars/0"][()] == 1 and h5["optimizer/vars/0"].dtype == np.int32
        # iteration, learning_rate, then momentum+velocity for 6 trainable weights
        assert len(h5["optimizer/vars"]) == 2 + 2 * 6


@pytest.mark.parametrize("optimizer", ["adam", "sgd_momentum", "rmsprop", "adamw"])
@pytest.mark.parametrize("factory", [mlp, cnn], ids=["mlp", "cnn"])
def test_training_after_save_and_load_equals_uninterrupted_training(tmp_path, optimizer, factory):
    sample_shape = (784,) if factory is mlp else (28, 28, 3)
    x, y = data(sample_shape, 10, n=8)

    def make_opt():
        if optimizer == "sgd_momentum":
            return kerastorch.optimizers.SGD(learning_rate=0.05, momentum=0.9)
        return optimizer

    torch.manual_seed(3)
    model = factory(kerastorch)
    if factory is cnn:
        model.layers[5].rate = 0.0  # Dropout draws differ between the two runs otherwise
    model.compile(optimizer=make_opt(), loss="categorical_crossentropy")
    reference = factory(kerastorch)
    if factory is cnn:
        reference.layers[5].rate = 0.0
    reference.set_weights(model.get_weights())
    reference.compile(optimizer=make_opt(), loss="categorical_crossentropy")

    model.fit(x, y, batch_size=4, epochs=1, shuffle=False, verbose=0)        # 2 steps
    model.save(tmp_path / "m.keras")
    loaded = kerastorch.models.load_model(tmp_path / "m.keras")
    loaded.fit(x, y, batch_size=4, epochs=1, shuffle=False, verbose=0)       # steps 3, 4
    reference.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0)    # 4 steps straight
    assert loaded.optimizer.iterations == reference.optimizer.iterations == 4
    for got, want in zip(loaded.get_weights(), reference.get_weights()):
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7)


def test_save_weights_restores_optimizer_state_into_compiled_model(tmp_path):
    x, y = data((4,), 2)
    model = _small()
    model.compile(optimizer="adam", loss="mse")
    model.fit(x, y, verbose=0)
    model.save_weights(tmp_path / "w.weights.h5")
    other = _small()
    other.compile(optimizer="adam", loss="mse")
    other.load_weights(tmp_path / "w.weights.h5")
    assert other.optimizer.iterations == 1
    for a, b in zip(other.optimizer.variables, model.optimizer.variables):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_load_model_without_compile_gives_uncompiled_model(tmp_path):
    model = _small()
    model.compile(optimizer="sgd", loss="mse")
    model.save(tmp_path / "m.keras")
    loaded = kerastorch.models.load_model(tmp_path / "m.keras", compile=False)
    assert not loaded.compiled and loaded.optimizer is None


def test_compile_config_restores_loss_metrics_and_optimizer_options(tmp_path):
    model = _small()
    model.compile(optimizer=kerastorch.optimizers.Adam(learning_rate=0.01, beta_1=0.8),
                  loss=kerastorch.losses.Huber(delta=2.0), metrics=["mae"])
    model.save(tmp_path / "m.keras")
    loaded = kerastorch.models.load_model(tmp_path / "m.keras")
    cfg = loaded.optimizer.get_config()
    assert cfg["beta_1"] == 0.8 and abs(cfg["learning_rate"] - 0.01) < 1e-9
    assert type(loaded._loss_fn).__name__ == "Huber" and loaded._loss_fn.get_config()["delta"] == 2.0
    logs = loaded.fit(np.ones((4, 4)), np.ones((4, 2)), verbose=0).history
    assert "mae" in logs and "loss" in logs


def test_to_json_and_model_from_json_round_trip():
    model = _small(name="net")
    text = model.to_json()
    assert json.loads(text)["config"]["name"] == "net"
    rebuilt = kerastorch.models.model_from_json(text)
    assert rebuilt.get_config() == model.get_config()
    assert [w.shape for w in rebuilt.get_weights()] == [w.shape for w in model.get_weights()]


def test_clone_model_has_same_config_and_new_weights():
    model = _small()
    clone = kerastorch.models.clone_model(model)
    assert clone.get_config() == model.get_config()
    assert all(a is not b for a, b in zip(clone.layers, model.layers))
    assert not np.allclose(clone.get_weights()[0], model.get_weights()[0])   # re-initialised
    assert clone.optimizer is None


def test_clone_model_with_clone_function():
    model = _small()
    clone = kerastorch.models.clone_model(
        model, clone_function=lambda l: type(l).from_config({**l.get_config(), "trainable": False}))
    assert all(not l.trainable for l in clone.layers)


@saving.register_keras_serializable(package="Tests")
class Scale(layers.Layer):
    """Multiplies by a learned per-feature scale."""

    def __init__(self, factor=1.0, **kwargs):
        super().__init__(**kwargs)
        self.factor = factor

    def build(self, input_shape):
        self.scale = self.add_weight(shape=(input_shape[-1],), initializer="ones", name="scale")

    def call(self, inputs):
        return inputs * self.scale * self.factor

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}


class Unregistered(Scale):
    pass


def test_registered_custom_layer_round_trips(tmp_path):
    model = kerastorch.Sequential([layers.Input(shape=(3,)), Scale(factor=2.0)])
    model.set_weights([np.array([1.0, 2.0, 3.0], dtype="float32")])
    model.save(tmp_path / "m.keras")
    config = json.loads(zipfile.ZipFile(tmp_path / "m.keras").read("config.json"))
    assert config["config"]["layers"][1]["registered_name"] == "Tests>Scale"
    loaded = kerastorch.models.load_model(tmp_path / "m.keras")
    assert isinstance(loaded.layers[0], Scale) and loaded.layers[0].factor == 2.0
    np.testing.assert_allclose(loaded.predict(np.ones((1, 3)), verbose=0), [[2.0, 4.0, 6.0]])


def test_unregistered_custom_layer_needs_custom_objects(tmp_path):
    model = kerastorch.Sequential([layers.Input(shape=(3,)), Unregistered(factor=3.0)])
    model.save(tmp_path / "m.keras")
    with pytest.raises(ValueError, match=r"unknown layer class 'Unregistered'.*custom_objects"):
        kerastorch.models.load_model(tmp_path / "m.keras")
    loaded = kerastorch.models.load_model(tmp_path / "m.keras", custom_objects={"Unregistered": Unregistered})
    assert isinstance(loaded.layers[0], Unregistered) and loaded.layers[0].factor == 3.0
    with saving.custom_object_scope({"Unregistered": Unregistered}):
        assert isinstance(kerastorch.models.load_model(tmp_path / "m.keras").layers[0], Unregistered)


def test_serialize_and_deserialize_keras_object():
    opt = kerastorch.optimizers.SGD(learning_rate=0.5, momentum=0.5)
    restored = saving.deserialize_keras_object(saving.serialize_keras_object(opt))
    assert type(restored).__name__ == "SGD" and restored.get_config()["momentum"] == 0.5
    layer = saving.deserialize_keras_object(saving.serialize_keras_object(layers.Dense(3, name="d")))
    assert isinstance(layer, layers.Dense) and layer.units == 3 and layer.name == "d"
    assert saving.get_registered_object("Tests>Scale") is Scale
    assert saving.get_registered_name(Scale) == "Tests>Scale"


def test_keras_only_config_keys_are_accepted():
    from kerastorch.saving.serialization import deserialize_layer

    layer = deserialize_layer({
        "module": "keras.layers", "class_name": "Dense", "registered_name": None,
        "build_config": {"input_shape": [None, 3]},
        "config": {"name": "d", "trainable": True, "units": 2, "lora_rank": None, "quantization_config": None,
                   "dtype": {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"},
                             "registered_name": None, "shared_object_id": 1}},
    })
    assert layer.units == 2 and layer.dtype == "float32"


def test_saving_refuses_other_extensions(tmp_path):
    model = _small()
    with pytest.raises(ValueError, match=r"must end in '\.keras'"):
        model.save(tmp_path / "m.zip")
    with pytest.raises(ValueError, match=r"must end in '\.weights\.h5'"):
        model.save_weights(tmp_path / "w.h5")
    model.save(tmp_path / "m.keras")
    with pytest.raises(FileExistsError, match="overwrite=False"):
        model.save(tmp_path / "m.keras", overwrite=False)


def test_wrapped_torch_module_cannot_be_saved_as_keras_but_weights_can(tmp_path):
    net = torch.nn.Sequential(torch.nn.Linear(3, 2))
    model = kerastorch.Model(net)
    with pytest.raises(TypeError, match=r"wraps a plain torch\.nn\.Module \(Sequential\).*save_weights"):
        model.save(tmp_path / "m.keras")
    assert not (tmp_path / "m.keras").exists()
    model.save_weights(tmp_path / "w.weights.h5")
    other = kerastorch.Model(torch.nn.Sequential(torch.nn.Linear(3, 2)))
    other.load_weights(tmp_path / "w.weights.h5")
    torch.testing.assert_close(other.module[0].weight, net[0].weight, rtol=0, atol=0)
