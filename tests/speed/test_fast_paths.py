"""The hot loop of `fit` stays on the fast path: no host read-back per step, batches cut by index.

These tests count, they do not time: every `.item()`, `.tolist()`, `.cpu()`, `.numpy()` and
`float()`/`int()`/`bool()` of a tensor during `fit` is counted, and the count must not grow with
the number of steps (on a GPU each of those waits for the device). The optimizer's host-side
bookkeeping scalars (its update counter and learning rate, CPU tensors by design) are not
device reads and are left out by identity.
"""

import contextlib

import numpy as np
import pytest
import torch

import kerastorch
from kerastorch import layers
from kerastorch.trainer.trainer import Trainer

_READS = ("item", "tolist", "cpu", "numpy", "__float__", "__int__", "__bool__", "__index__")


@contextlib.contextmanager
def count_host_reads(ignore=()):
    """Counts host read-backs of tensors; yields a dict whose "n" is the running count."""
    counter = {"n": 0}
    ignored = {id(t) for t in ignore if isinstance(t, torch.Tensor)}
    originals = {name: getattr(torch.Tensor, name) for name in _READS}

    def wrap(name):
        original = originals[name]

        def counting(self, *args, **kwargs):
            if id(self) not in ignored:
                counter["n"] += 1
            return original(self, *args, **kwargs)
        return counting

    for name in _READS:
        setattr(torch.Tensor, name, wrap(name))
    try:
        yield counter
    finally:
        for name, original in originals.items():
            setattr(torch.Tensor, name, original)


def _model(metrics=("accuracy",)):
    model = kerastorch.Sequential([layers.Input(shape=(4,)), layers.Dense(3, activation="relu"),
                                   layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=list(metrics))
    return model


def _data(n):
    x = np.random.default_rng(0).standard_normal((n, 4)).astype("float32")
    return x, (x[:, :1] > 0).astype("float32")


def _host_bookkeeping(model):
    opt = model.optimizer
    return [getattr(opt, "_iterations", None), getattr(opt, "_learning_rate", None)]


def reads_during_fit(model, steps, batch_size=2, **fit_kwargs):
    """Host reads during one epoch of `steps` steps (after a first fit that builds everything)."""
    x, y = _data(steps * batch_size)
    model.fit(x[:batch_size], y[:batch_size], batch_size=batch_size, verbose=0)   # build, resolve metrics
    with count_host_reads(ignore=_host_bookkeeping(model)) as counter:
        model.fit(x, y, batch_size=batch_size, epochs=1, **fit_kwargs)
    return counter["n"]


@pytest.mark.parametrize("metrics", [(), ("accuracy",)], ids=["no_metrics", "accuracy"])
def test_fit_reads_nothing_back_per_step(metrics):
    few = reads_during_fit(_model(metrics), steps=4, verbose=0)
    many = reads_during_fit(_model(metrics), steps=40, verbose=0)
    assert many == few, f"host reads grew with the steps: {few} for 4 steps, {many} for 40"


def test_the_counter_catches_a_per_step_item(monkeypatch):
    original = Trainer.train_step

    def train_step_with_item(self, data):
        logs = original(self, data)
        self.metrics[0].result().item()        # the mistake these tests are here to catch
        return logs

    monkeypatch.setattr(Trainer, "train_step", train_step_with_item)
    few = reads_during_fit(_model(), steps=4, verbose=0)
    many = reads_during_fit(_model(), steps=40, verbose=0)
    assert many - few == 36


def test_progress_bar_reads_at_its_redraw_rate_not_per_step(capsys, monkeypatch):
    import types

    from kerastorch.utils import progbar

    # A fake clock that moves 1 ms per reading: redraws then depend on calls, not on how busy
    # the machine is, and the bar may redraw at most once per 0.05 s of that clock.
    clock = {"now": 0.0, "reads": 0}

    def fake_time():
        clock["now"] += 0.001
        clock["reads"] += 1
        return clock["now"]

    monkeypatch.setattr(progbar, "time", types.SimpleNamespace(time=fake_time))
    steps = 400
    quiet = reads_during_fit(_model(), steps=steps, verbose=0)
    clock["reads"] = 0
    loud = reads_during_fit(_model(), steps=steps, verbose=1)
    capsys.readouterr()
    # At most one redraw per 50 clock readings (plus the first and the final one), each reading
    # the logs once (a few values: loss and accuracy).
    redraws = clock["reads"] * 0.001 / 0.05 + 2
    assert clock["reads"] >= steps          # the bar looked at the clock on every step
    assert loud - quiet <= 4 * redraws, f"{loud - quiet} extra reads for {redraws:.0f} redraws"
    assert loud - quiet < steps / 4


def test_fit_on_arrays_cuts_batches_by_index_without_a_dataloader(monkeypatch):
    made = []
    original_init = torch.utils.data.DataLoader.__init__

    def spy_init(self, *args, **kwargs):
        made.append(args)
        original_init(self, *args, **kwargs)

    fetched = []
    original_getitem = torch.utils.data.TensorDataset.__getitem__
    monkeypatch.setattr(torch.utils.data.DataLoader, "__init__", spy_init)
    monkeypatch.setattr(torch.utils.data.TensorDataset, "__getitem__",
                        lambda self, i: fetched.append(i) or original_getitem(self, i))
    x, y = _data(64)
    _model().fit(x, y, batch_size=8, epochs=2, verbose=0)
    _model().fit(torch.from_numpy(x), torch.from_numpy(y), batch_size=8, epochs=1, verbose=0)
    assert made == [] and fetched == []


def test_epoch_checkpoints_add_no_batch_hook(tmp_path):
    """A ModelCheckpoint saving per epoch must not make fit read the logs after every batch."""
    from kerastorch import callbacks
    from kerastorch.callbacks.callback import CallbackList

    per_epoch = callbacks.ModelCheckpoint(str(tmp_path / "m.weights.h5"), save_weights_only=True)
    per_batch = callbacks.ModelCheckpoint(str(tmp_path / "b.weights.h5"), save_weights_only=True, save_freq=3)
    listeners = CallbackList([per_epoch, per_batch]).batch_listeners("train", "batch_end")
    assert listeners == [per_batch]
    assert type(per_batch).__name__ != "ModelCheckpoint" and isinstance(per_batch, callbacks.ModelCheckpoint)
