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
        self.images = []
        self.graphs = []
        self.closed = False
        _FakeWriter.instances.append(self)

    def add_scalar(self, tag, value, global_step=None):
        assert isinstance(value, float)
        self.scalars.append((tag, value, global_step))

    def add_histogram(self, tag, values, global_step=None):
        self.histograms.append((tag, tuple(values.shape), global_step))

    def add_images(self, tag, images, global_step=None, dataformats="NCHW"):
        self.images.append((tag, tuple(images.shape), dataformats, global_step))

    def add_graph(self, model, example):
        self.graphs.append(tuple(example.shape))

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
                                    dict(embeddings_freq=1), dict(embeddings_metadata="meta.tsv")])
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


def test_histograms_and_images_are_keras_weights_by_path(fake_writer, tmp_path):
    _fit(callbacks.TensorBoard(log_dir=str(tmp_path), histogram_freq=1, write_images=True), epochs=1)
    train = _by_dir(tmp_path)["train"]
    # Keras' tags (the weight's path) and Keras' layout; Keras' image rule (keras/src/callbacks/
    # tensorboard.py): the kernel (2, 1) squeezes to (2,) and is drawn (1, 2, 1, 1); the bias
    # (1,) squeezes to a scalar, which gets no image.
    assert [(t, shape) for t, shape, _ in train.histograms] == [("sequential/dense/kernel/histogram", (2, 1)),
                                                                ("sequential/dense/bias/histogram", (1,))]
    assert [(t, shape, fmt) for t, shape, fmt, _ in train.images] == [
        ("sequential/dense/kernel/image", (1, 2, 1, 1), "NHWC")]


def test_graph_is_written_at_train_begin_unless_write_graph_is_false(fake_writer, tmp_path):
    _fit(callbacks.TensorBoard(log_dir=str(tmp_path / "a")))
    assert _by_dir(tmp_path / "a")["train"].graphs == [(1, 2)]       # one sample of Input(shape=(2,))
    _fit(callbacks.TensorBoard(log_dir=str(tmp_path / "b"), write_graph=False))
    assert all(not w.graphs for w in _FakeWriter.instances if str(tmp_path / "b") in w.log_dir)


def test_real_graph_and_images_in_event_files(tmp_path):
    pytest.importorskip("tensorboard", reason="tensorboard is not installed (pip install tensorboard)")
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    _fit(callbacks.TensorBoard(log_dir=str(tmp_path), histogram_freq=1, write_images=True), epochs=1)
    acc = EventAccumulator(str(tmp_path / "train"))
    acc.Reload()
    assert acc.Graph() is not None
    assert "sequential/dense/kernel/image" in acc.Tags()["images"]
