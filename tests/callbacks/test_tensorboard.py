import os
import sys

import numpy as np
import pytest

import kerastorch
from kerastorch import callbacks, layers
from kerastorch.callbacks import tensorboard as tb_module


class _FakeWriter:
    """Records what TensorBoard writes, in place of torch.utils.tensorboard.SummaryWriter."""

    instances = []

    def __init__(self, log_dir):
        self.log_dir = log_dir
        self.scalars = []
        self.histograms = []
        self.closed = False
        _FakeWriter.instances.append(self)

    def add_scalar(self, tag, value, global_step=None):
        assert isinstance(value, float)
        self.scalars.append((tag, value, global_step))

    def add_histogram(self, tag, values, global_step=None):
        self.histograms.append((tag, tuple(values.shape), global_step))

    def flush(self):
        pass

    def close(self):
        self.closed = True


@pytest.fixture
def fake_writer(monkeypatch):
    _FakeWriter.instances = []
    monkeypatch.setattr(tb_module, "_summary_writer_class", lambda: _FakeWriter)
    return _FakeWriter


def _fit(cb, epochs=2, **kwargs):
    model = kerastorch.Sequential([layers.Input(shape=(2,)), layers.Dense(1)])
    model.compile(optimizer=kerastorch.optimizers.SGD(learning_rate=0.05), loss="mse")
    x = np.random.default_rng(0).normal(size=(8, 2)).astype("float32")
    return model.fit(x, x.sum(axis=1, keepdims=True), batch_size=2, epochs=epochs, verbose=0,
                     validation_split=0.25, callbacks=[cb], **kwargs)


def _by_dir(log_dir):
    return {os.path.relpath(w.log_dir, log_dir): w for w in _FakeWriter.instances}


def test_epoch_scalars_go_to_train_and_validation(fake_writer, tmp_path):
    history = _fit(callbacks.TensorBoard(log_dir=str(tmp_path)))
    writers = _by_dir(tmp_path)
    assert sorted(writers) == ["train", "validation"]
    train, val = writers["train"].scalars, writers["validation"].scalars
    assert [(t, s) for t, _, s in train] == [("epoch_loss", 0), ("epoch_learning_rate", 0),
                                             ("epoch_loss", 1), ("epoch_learning_rate", 1)]
    assert [v for t, v, _ in train if t == "epoch_loss"] == history.history["loss"]
    assert [v for t, v, _ in train if t == "epoch_learning_rate"] == pytest.approx([0.05, 0.05])
    assert val == [("epoch_loss", history.history["val_loss"][0], 0),
                   ("epoch_loss", history.history["val_loss"][1], 1)]
    assert all(w.closed for w in writers.values())


def test_batch_scalars_with_integer_update_freq(fake_writer, tmp_path):
    _fit(callbacks.TensorBoard(log_dir=str(tmp_path), update_freq=2))
    train = _by_dir(tmp_path)["train"].scalars
    # 3 batches per epoch (6 training samples, batch 2): global batches 2, 4, 6 are written
    assert [s for t, _, s in train if t == "batch_loss"] == [2, 4, 6]


def test_epoch_update_freq_is_not_a_batch_listener():
    from kerastorch.callbacks.callback import CallbackList

    quiet, chatty = callbacks.TensorBoard(), callbacks.TensorBoard(update_freq="batch")
    assert CallbackList([quiet, chatty]).batch_listeners("train", "batch_end") == [chatty]


def test_histograms(fake_writer, tmp_path):
    _fit(callbacks.TensorBoard(log_dir=str(tmp_path), histogram_freq=2), epochs=3)
    hist = _by_dir(tmp_path)["train"].histograms
    assert sorted({s for _, _, s in hist}) == [0, 2]
    assert len(hist) == 2 * 2  # kernel and bias, at epochs 0 and 2


def test_missing_tensorboard_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch.utils.tensorboard", None)  # makes the import fail
    cb = callbacks.TensorBoard()
    with pytest.raises(ImportError, match="pip install tensorboard"):
        cb.on_train_begin()


@pytest.mark.parametrize("kwargs", [dict(update_freq="sometimes"), dict(update_freq=0), dict(profile_batch=2),
                                    dict(embeddings_freq=1)])
def test_bad_arguments(kwargs):
    with pytest.raises(ValueError):
        callbacks.TensorBoard(**kwargs)


def test_real_event_files(tmp_path):
    pytest.importorskip("tensorboard", reason="tensorboard is not installed (pip install tensorboard)")
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    history = _fit(callbacks.TensorBoard(log_dir=str(tmp_path)))
    acc = EventAccumulator(str(tmp_path / "validation"))
    acc.Reload()
    values = [e.value for e in acc.Scalars("epoch_loss")]
    np.testing.assert_allclose(values, history.history["val_loss"], rtol=1e-6)
