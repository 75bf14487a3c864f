"""Cross-tests with real Keras 3: files written by one library are read by the other."""

import numpy as np
import pytest
import torch

import kerastorch

from .helpers import ARTICLE_MODELS, data


def _keras_model(keras, factory, loss):
    model = factory(keras)
    model.compile(optimizer="adam", loss=loss, metrics=["accuracy"])
    return model


def _kt_model(factory, loss):
    model = factory(kerastorch)
    model.compile(optimizer="adam", loss=loss, metrics=["accuracy"])
    return model


@pytest.mark.parametrize("which", sorted(ARTICLE_MODELS))
def test_keras_saved_archive_and_weights_load_into_kerastorch(keras, tmp_path, which):
    factory, shape, loss, classes = ARTICLE_MODELS[which]
    x, y = data(shape, classes)
    kmodel = _keras_model(keras, factory, loss)
    kmodel.fit(x, y, epochs=1, batch_size=4, verbose=0)   # moves BN statistics, makes optimizer state
    kmodel.save(tmp_path / "k.keras")
    kmodel.save_weights(tmp_path / "k.weights.h5")
    expected = np.asarray(kmodel.predict(x, verbose=0))

    loaded = kerastorch.models.load_model(tmp_path / "k.keras")
    np.testing.assert_allclose(loaded.predict(x, verbose=0), expected, atol=1e-5)
    assert [type(l).__name__ for l in loaded.layers] == [type(l).__name__ for l in kmodel.layers]
    assert loaded.optimizer.iterations == 2 and type(loaded.optimizer).__name__ == "Adam"

    fresh = factory(kerastorch)
    fresh.load_weights(tmp_path / "k.weights.h5")
    np.testing.assert_allclose(fresh.predict(x, verbose=0), expected, atol=1e-5)


@pytest.mark.parametrize("which", sorted(ARTICLE_MODELS))
def test_kerastorch_saved_archive_and_weights_load_into_keras(keras, tmp_path, which):
    factory, shape, loss, classes = ARTICLE_MODELS[which]
    x, y = data(shape, classes)
    model = _kt_model(factory, loss)
    model.fit(x, y, epochs=1, batch_size=4, verbose=0)
    model.save(tmp_path / "t.keras")
    model.save_weights(tmp_path / "t.weights.h5")
    ours = model.predict(x, verbose=0)

    kloaded = keras.models.load_model(tmp_path / "t.keras")
    np.testing.assert_allclose(np.asarray(kloaded.predict(x, verbose=0)), ours, atol=1e-5)
    assert kloaded.optimizer.__class__.__name__ == "Adam" and int(kloaded.optimizer.iterations) == 2

    kfresh = factory(keras)
    kfresh.load_weights(tmp_path / "t.weights.h5")
    np.testing.assert_allclose(np.asarray(kfresh.predict(x, verbose=0)), ours, atol=1e-5)


@pytest.mark.parametrize("which", ["mlp", "bn_net"])
def test_training_continues_from_keras_optimizer_state(keras, tmp_path, which):
    # Keras trains one step and saves; kerastorch loads and takes the second step; it must land
    # where Keras' own second step lands (same Adam moments, iteration and learning rate).
    factory, shape, loss, classes = ARTICLE_MODELS[which]
    x, y = data(shape, classes)
    kmodel = _keras_model(keras, factory, loss)
    kmodel.fit(x, y, epochs=1, batch_size=8, shuffle=False, verbose=0)
    kmodel.save(tmp_path / "k.keras")
    loaded = kerastorch.models.load_model(tmp_path / "k.keras")
    kmodel.fit(x, y, epochs=1, batch_size=8, shuffle=False, verbose=0)
    loaded.fit(x, y, epochs=1, batch_size=8, shuffle=False, verbose=0)
    for got, want in zip(loaded.get_weights(), kmodel.get_weights()):
        np.testing.assert_allclose(got, np.asarray(want), atol=1e-5)


def test_cnn_training_continues_in_keras_from_kerastorch_state(keras, tmp_path):
    # Conv2D keeps its kernel in torch's layout: the optimizer's slots must be written in Keras'.
    factory, shape, loss, classes = ARTICLE_MODELS["cnn"]
    x, y = data(shape, classes)
    model = factory(kerastorch)
    model.layers[5].rate = 0.0   # no dropout: the two libraries draw different masks
    model.compile(optimizer="adam", loss=loss)
    model.fit(x, y, epochs=1, batch_size=8, shuffle=False, verbose=0)
    model.save(tmp_path / "t.keras")
    kloaded = keras.models.load_model(tmp_path / "t.keras")
    kloaded.layers[5].rate = 0.0
    model.fit(x, y, epochs=1, batch_size=8, shuffle=False, verbose=0)
    kloaded.fit(x, y, epochs=1, batch_size=8, shuffle=False, verbose=0)
    for got, want in zip(model.get_weights(), kloaded.get_weights()):
        np.testing.assert_allclose(got, np.asarray(want), atol=1e-5)


def test_group_names_follow_class_and_position_not_layer_names(keras, tmp_path):
    layers = keras.layers
    kmodel = keras.Sequential([layers.Input(shape=(4,)), layers.Dense(3, name="head"),
                               layers.Dense(2, name="tail")])
    kmodel.save_weights(tmp_path / "k.weights.h5")
    model = kerastorch.Sequential([kerastorch.layers.Input(shape=(4,)),
                                   kerastorch.layers.Dense(3, name="other"),
                                   kerastorch.layers.Dense(2, name="names")])
    model.load_weights(tmp_path / "k.weights.h5")
    for got, want in zip(model.get_weights(), kmodel.get_weights()):
        np.testing.assert_array_equal(got, np.asarray(want))


def test_config_written_by_kerastorch_matches_keras_keys(keras, tmp_path):
    import json
    import zipfile

    factory, *_ = ARTICLE_MODELS["cnn"]
    factory(kerastorch).save(tmp_path / "t.keras")
    factory(keras).save(tmp_path / "k.keras")
    ours = json.loads(zipfile.ZipFile(tmp_path / "t.keras").read("config.json"))
    theirs = json.loads(zipfile.ZipFile(tmp_path / "k.keras").read("config.json"))
    assert ours["class_name"] == theirs["class_name"] == "Sequential"
    assert ours["build_config"] == theirs["build_config"]
    assert set(ours["config"]) == set(theirs["config"])
    for a, b in zip(ours["config"]["layers"], theirs["config"]["layers"]):
        assert (a["module"], a["class_name"]) == (b["module"], b["class_name"])
        # Every key we write is a Keras key with Keras' value (Keras adds a few of its own).
        assert set(a["config"]) <= set(b["config"]), set(a["config"]) - set(b["config"])
        for key in set(a["config"]) - {"name"}:
            want = b["config"][key]
            if isinstance(want, dict):
                want = {k: v for k, v in want.items() if k != "shared_object_id"}
            assert a["config"][key] == want, (a["class_name"], key)


def test_recurrent_text_model_round_trips_with_keras(keras, tmp_path):
    def text_model(lib):
        layers = lib.layers
        return lib.Sequential([layers.Input(shape=(7,), dtype="int32"), layers.Embedding(20, 8),
                               layers.LSTM(6), layers.Dense(3, activation="softmax")])

    x = np.random.default_rng(0).integers(0, 20, (4, 7)).astype("int32")
    kmodel = text_model(keras)
    kmodel.save(tmp_path / "k.keras")
    kmodel.save_weights(tmp_path / "k.weights.h5")
    expected = np.asarray(kmodel.predict(x, verbose=0))
    loaded = kerastorch.models.load_model(tmp_path / "k.keras")
    np.testing.assert_allclose(loaded.predict(x, verbose=0), expected, atol=1e-5)
    fresh = text_model(kerastorch)
    fresh.load_weights(tmp_path / "k.weights.h5")
    np.testing.assert_allclose(fresh.predict(x, verbose=0), expected, atol=1e-5)
    fresh.save(tmp_path / "t.keras")
    kloaded = keras.models.load_model(tmp_path / "t.keras")
    np.testing.assert_allclose(np.asarray(kloaded.predict(x, verbose=0)), expected, atol=1e-5)


def test_keras_functional_model_loads_with_equal_predictions(keras, tmp_path):
    inputs = keras.Input(shape=(3,))
    kmodel = keras.Model(inputs, keras.layers.Dense(2)(inputs))
    kmodel.save(tmp_path / "f.keras")
    x = np.random.default_rng(0).random((4, 3)).astype("float32")
    loaded = kerastorch.models.load_model(tmp_path / "f.keras")
    assert type(loaded).__name__ == "Functional"
    np.testing.assert_allclose(loaded.predict(x, verbose=0), kmodel.predict(x, verbose=0), atol=1e-6)


def test_nested_sequential_round_trips_both_ways(keras, tmp_path):
    def make(lib):
        layers = lib.layers
        inner = lib.Sequential([layers.Dense(4, activation="relu"), layers.Dense(3)], name="inner")
        return lib.Sequential([layers.Input(shape=(5,)), layers.Dense(6), inner, layers.Dense(2)])

    x = np.random.default_rng(0).standard_normal((3, 5)).astype("float32")
    model = make(kerastorch)
    model.save(tmp_path / "t.keras")
    kloaded = keras.models.load_model(tmp_path / "t.keras")
    np.testing.assert_allclose(np.asarray(kloaded.predict(x, verbose=0)), model.predict(x, verbose=0), atol=1e-6)
    kmodel = make(keras)
    kmodel.save(tmp_path / "k.keras")
    loaded = kerastorch.models.load_model(tmp_path / "k.keras")
    np.testing.assert_allclose(loaded.predict(x, verbose=0), np.asarray(kmodel.predict(x, verbose=0)), atol=1e-6)


def test_learning_rate_schedule_state_continues_across_libraries(keras, tmp_path):
    x, y = data((5,), 1)
    y = np.tile(y, (1, 2))

    def make(lib, optimizer):
        layers = lib.layers
        model = lib.Sequential([layers.Input(shape=(5,)), layers.Dense(2)])
        model.compile(optimizer=optimizer, loss="mse")
        return model

    schedule = keras.optimizers.schedules.ExponentialDecay(0.1, decay_steps=2, decay_rate=0.5)
    kmodel = make(keras, keras.optimizers.SGD(schedule, momentum=0.9))
    kmodel.fit(x, y, batch_size=4, shuffle=False, verbose=0)
    kmodel.save(tmp_path / "k.keras")
    loaded = kerastorch.models.load_model(tmp_path / "k.keras")
    kmodel.fit(x, y, batch_size=4, shuffle=False, verbose=0)
    loaded.fit(x, y, batch_size=4, shuffle=False, verbose=0)
    for got, want in zip(loaded.get_weights(), kmodel.get_weights()):
        np.testing.assert_allclose(got, np.asarray(want), atol=1e-6)
