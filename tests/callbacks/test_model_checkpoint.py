import os

import numpy as np
import pytest

import kerastorch
from kerastorch import callbacks, layers


def _model():
    model = kerastorch.Sequential([layers.Input(shape=(2,)), layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    return model


class _Recorder:
    """Stands in for model.save/save_weights: writes a marker file and records each call."""

    def __init__(self, model):
        self.calls = []
        model.save = self._saver("save")
        model.save_weights = self._saver("save_weights")

    def _saver(self, method):
        def save(filepath, overwrite=True):
            self.calls.append((method, os.path.basename(filepath)))
            with open(filepath, "w") as f:
                f.write(method)
        return save


def _drive_epochs(checkpoint, model, logs_per_epoch):
    checkpoint.set_model(model)
    checkpoint.on_train_begin()
    for epoch, logs in enumerate(logs_per_epoch):
        checkpoint.on_epoch_begin(epoch)
        checkpoint.on_epoch_end(epoch, dict(logs))
    checkpoint.on_train_end()


def test_save_best_only_writes_only_improving_epochs(tmp_path):
    model = _model()
    rec = _Recorder(model)
    checkpoint = callbacks.ModelCheckpoint(str(tmp_path / "w.{epoch:02d}-{val_loss:.2f}.weights.h5"),
                                           save_best_only=True, save_weights_only=True)
    _drive_epochs(checkpoint, model, [{"loss": 1, "val_loss": 0.9}, {"loss": 1, "val_loss": 0.95},
                                      {"loss": 1, "val_loss": 0.5}, {"loss": 1, "val_loss": 0.5},
                                      {"loss": 1, "val_loss": 0.41}])
    # epochs are 1-based in the name; 2 (worse) and 4 (equal) are not saved
    assert sorted(os.listdir(tmp_path)) == ["w.01-0.90.weights.h5", "w.03-0.50.weights.h5",
                                            "w.05-0.41.weights.h5"]
    assert {m for m, _ in rec.calls} == {"save_weights"}
    assert checkpoint.best == 0.41


def test_save_best_only_without_fields_overwrites_one_file(tmp_path):
    model = _model()
    rec = _Recorder(model)
    checkpoint = callbacks.ModelCheckpoint(str(tmp_path / "best.keras"), monitor="val_accuracy",
                                           save_best_only=True)
    _drive_epochs(checkpoint, model, [{"val_accuracy": 0.5}, {"val_accuracy": 0.7}, {"val_accuracy": 0.6}])
    assert os.listdir(tmp_path) == ["best.keras"]
    assert rec.calls == [("save", "best.keras"), ("save", "best.keras")]  # epochs 1 and 2 only


def test_initial_value_threshold_must_be_beaten(tmp_path):
    model = _model()
    rec = _Recorder(model)
    checkpoint = callbacks.ModelCheckpoint(str(tmp_path / "m{epoch}.keras"), save_best_only=True,
                                           initial_value_threshold=0.5)
    _drive_epochs(checkpoint, model, [{"val_loss": 0.6}, {"val_loss": 0.4}, {"val_loss": 0.45}])
    assert rec.calls == [("save", "m2.keras")]


def test_every_epoch_without_save_best_only(tmp_path):
    model = _model()
    rec = _Recorder(model)
    checkpoint = callbacks.ModelCheckpoint(str(tmp_path / "sub" / "m.{epoch:03d}.keras"))
    _drive_epochs(checkpoint, model, [{"loss": 3.0}, {"loss": 4.0}])
    assert sorted(os.listdir(tmp_path / "sub")) == ["m.001.keras", "m.002.keras"]  # directory created


def test_integer_save_freq_counts_batches_across_epochs(tmp_path):
    model = _model()
    rec = _Recorder(model)
    checkpoint = callbacks.ModelCheckpoint(str(tmp_path / "e{epoch}b{batch}.weights.h5"),
                                           save_weights_only=True, save_freq=3)
    checkpoint.set_model(model)
    checkpoint.on_train_begin()
    for epoch in range(2):
        checkpoint.on_epoch_begin(epoch)
        for batch in range(4):
            checkpoint.on_train_batch_end(batch, {"loss": 1.0})
        checkpoint.on_epoch_end(epoch, {"loss": 1.0})
    # batches 3 (e1, batch 3), 6 (e2, batch 2): counted across the epoch boundary; no epoch saves
    assert [name for _, name in rec.calls] == ["e1b3.weights.h5", "e2b2.weights.h5"]


def test_integer_save_freq_in_fit(tmp_path):
    model = _model()
    rec = _Recorder(model)
    checkpoint = callbacks.ModelCheckpoint(str(tmp_path / "b.weights.h5"), save_weights_only=True,
                                           save_freq=2)
    model.fit(np.ones((10, 2)), np.ones((10, 1)), batch_size=2, epochs=2, verbose=0, callbacks=[checkpoint])
    assert len(rec.calls) == 5  # 10 batches in all, every 2nd one


@pytest.mark.parametrize("path,weights_only,fix", [
    ("model.h5", True, "model.weights.h5"),
    ("model.pt", True, "model.weights.h5"),
    ("model.weights.h5x", False, ".keras"),
    ("model", False, "model.keras"),
])
def test_suffix_rules(path, weights_only, fix):
    with pytest.raises(ValueError, match=fix.replace(".", r"\.")):
        callbacks.ModelCheckpoint(path, save_weights_only=weights_only)


def test_accepted_suffixes():
    callbacks.ModelCheckpoint("a.keras")
    callbacks.ModelCheckpoint("a.h5")  # legacy format, as Keras accepts
    callbacks.ModelCheckpoint("a.weights.h5", save_weights_only=True)


@pytest.mark.parametrize("freq", ["batch", 0, -1, 1.5, True])
def test_bad_save_freq(freq):
    with pytest.raises(ValueError, match="save_freq"):
        callbacks.ModelCheckpoint("a.keras", save_freq=freq)


def test_unknown_format_field_names_the_keys(tmp_path):
    model = _model()
    _Recorder(model)
    checkpoint = callbacks.ModelCheckpoint(str(tmp_path / "{val_acc:.2f}.keras"))
    checkpoint.set_model(model)
    with pytest.raises(KeyError, match="val_acc.*loss"):
        checkpoint.on_epoch_end(0, {"loss": 1.0})


def test_missing_monitor_warns_and_saves(tmp_path):
    model = _model()
    rec = _Recorder(model)
    checkpoint = callbacks.ModelCheckpoint(str(tmp_path / "m.keras"), save_best_only=True)
    checkpoint.set_model(model)
    with pytest.warns(UserWarning, match="val_loss.*loss"):
        checkpoint.on_epoch_end(0, {"loss": 1.0})
    assert len(rec.calls) == 1


def test_real_save_weights_round_trip(tmp_path):
    model = _model()
    x = np.random.default_rng(0).normal(size=(8, 2)).astype("float32")
    y = x.sum(axis=1, keepdims=True)
    seen = {}

    class Grab(kerastorch.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            seen[epoch] = self.model.get_weights()

    checkpoint = callbacks.ModelCheckpoint(str(tmp_path / "w{epoch}.weights.h5"), monitor="loss",
                                           save_weights_only=True)
    model.fit(x, y, epochs=3, batch_size=4, verbose=0, callbacks=[Grab(), checkpoint])
    assert sorted(os.listdir(tmp_path)) == ["w1.weights.h5", "w2.weights.h5", "w3.weights.h5"]
    fresh = _model()
    fresh.build((None, 2))
    fresh.load_weights(str(tmp_path / "w2.weights.h5"))
    for got, want in zip(fresh.get_weights(), seen[1]):
        np.testing.assert_array_equal(got, want)


def test_real_save_full_model(tmp_path):
    model = _model()
    checkpoint = callbacks.ModelCheckpoint(str(tmp_path / "m{epoch}.keras"), monitor="loss")
    model.fit(np.ones((4, 2)), np.ones((4, 1)), epochs=2, verbose=0, callbacks=[checkpoint])
    assert sorted(os.listdir(tmp_path)) == ["m1.keras", "m2.keras"]
