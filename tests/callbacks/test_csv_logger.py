import csv

import numpy as np
import pytest

import kerastorch
from kerastorch import callbacks, layers


def _run(logger, logs_per_epoch):
    logger.on_train_begin()
    for epoch, logs in enumerate(logs_per_epoch):
        logger.on_epoch_end(epoch, dict(logs))
    logger.on_train_end()


def _rows(path, sep=","):
    with open(path, newline="") as f:
        return list(csv.reader(f, delimiter=sep))


def test_columns_are_epoch_then_sorted_keys(tmp_path):
    path = tmp_path / "log.csv"
    _run(callbacks.CSVLogger(str(path)), [{"val_loss": 0.5, "loss": 1.0, "accuracy": 0.25, "val_accuracy": 0.75},
                                          {"val_loss": 0.4, "loss": 0.9, "accuracy": 0.5, "val_accuracy": 0.5}])
    assert _rows(path) == [["epoch", "accuracy", "loss", "val_accuracy", "val_loss"],
                           ["0", "0.25", "1.0", "0.75", "0.5"],
                           ["1", "0.5", "0.9", "0.5", "0.4"]]


def test_without_validation_adds_val_columns_filled_with_na(tmp_path):
    path = tmp_path / "log.csv"
    _run(callbacks.CSVLogger(str(path)), [{"loss": 1.0}, {"loss": 0.5, "val_loss": 0.7}])
    assert _rows(path) == [["epoch", "loss", "val_loss"], ["0", "1.0", "NA"], ["1", "0.5", "0.7"]]


def test_append_keeps_rows_and_writes_one_header(tmp_path):
    path = tmp_path / "log.csv"
    _run(callbacks.CSVLogger(str(path)), [{"loss": 1.0, "val_loss": 2.0}])
    _run(callbacks.CSVLogger(str(path), append=True), [{"loss": 0.5, "val_loss": 1.5}])
    assert _rows(path) == [["epoch", "loss", "val_loss"], ["0", "1.0", "2.0"], ["0", "0.5", "1.5"]]


def test_append_to_missing_file_writes_header(tmp_path):
    path = tmp_path / "new.csv"
    _run(callbacks.CSVLogger(str(path), append=True), [{"loss": 1.0, "val_loss": 2.0}])
    assert _rows(path)[0] == ["epoch", "loss", "val_loss"]


def test_without_append_overwrites(tmp_path):
    path = tmp_path / "log.csv"
    _run(callbacks.CSVLogger(str(path)), [{"loss": 1.0, "val_loss": 2.0}] * 3)
    _run(callbacks.CSVLogger(str(path)), [{"loss": 9.0, "val_loss": 9.0}])
    assert _rows(path) == [["epoch", "loss", "val_loss"], ["0", "9.0", "9.0"]]


def test_separator(tmp_path):
    path = tmp_path / "log.tsv"
    _run(callbacks.CSVLogger(str(path), separator="\t"), [{"loss": 1.0, "val_loss": 2.0}])
    assert path.read_text().splitlines() == ["epoch\tloss\tval_loss", "0\t1.0\t2.0"]


def test_in_fit_matches_history(tmp_path):
    path = tmp_path / "fit.csv"
    model = kerastorch.Sequential([layers.Input(shape=(2,)), layers.Dense(2, activation="softmax")])
    model.compile(optimizer="sgd", loss="categorical_crossentropy", metrics=["accuracy"])
    x = np.random.default_rng(0).normal(size=(8, 2)).astype("float32")
    y = np.eye(2)[[0, 1] * 4].astype("float32")
    history = model.fit(x, y, epochs=2, validation_split=0.25, verbose=0,
                        callbacks=[callbacks.CSVLogger(str(path))])
    rows = _rows(path)
    assert rows[0] == ["epoch", "accuracy", "loss", "val_accuracy", "val_loss"]
    for epoch, row in enumerate(rows[1:]):
        assert int(row[0]) == epoch
        for key, cell in zip(rows[0][1:], row[1:]):
            assert float(cell) == pytest.approx(history.history[key][epoch], rel=1e-12)


@pytest.mark.keras
def test_same_file_as_real_keras(keras, tmp_path):
    script = [{"loss": 1.0, "accuracy": 0.5}, {"loss": 0.75, "accuracy": 0.625, "val_loss": 0.9}]
    ours, theirs = tmp_path / "ours.csv", tmp_path / "theirs.csv"
    _run(callbacks.CSVLogger(str(ours), separator=";"), script)
    _run(keras.callbacks.CSVLogger(str(theirs), separator=";"), script)
    _run(callbacks.CSVLogger(str(ours), separator=";", append=True), script)
    _run(keras.callbacks.CSVLogger(str(theirs), separator=";", append=True), script)
    assert ours.read_bytes() == theirs.read_bytes()
