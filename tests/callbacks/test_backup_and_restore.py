import os
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest
import torch

import kerastorch
from kerastorch import callbacks, layers

# A training run in its own process. mode "plain": no backup; "interrupt": backs up, and in the
# middle of epoch 2 writes a marker and hangs until the test SIGKILLs it; "resume": backs up and
# runs to the end. Dropout + shuffle=True + Adam: resuming must restore weights, optimizer slots
# and the RNG states to end bit-identical.
CHILD = textwrap.dedent(
    """
    import os, sys, time
    import numpy as np, torch
    torch.set_num_threads(1)
    import kerastorch
    from kerastorch import callbacks, layers

    mode, backup_dir, marker_dir, out = sys.argv[1:5]
    torch.manual_seed(123)
    np.random.seed(123)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(32, 4)).astype("float32")
    y = (x @ rng.normal(size=(4, 1))).astype("float32")
    model = kerastorch.Sequential([layers.Input(shape=(4,)), layers.Dense(8, activation="relu"),
                                   layers.Dropout(0.25), layers.Dense(1)])
    model.compile(optimizer=kerastorch.optimizers.Adam(learning_rate=0.01), loss="mse")

    class Marker(callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            open(os.path.join(marker_dir, f"begin{epoch}"), "w").close()

        def on_epoch_end(self, epoch, logs=None):
            open(os.path.join(marker_dir, f"end{epoch}"), "w").close()

        def on_train_batch_end(self, batch, logs=None):
            if mode == "interrupt" and len(os.listdir(marker_dir)) == 5 and batch == 1:
                open(os.path.join(marker_dir, "hang"), "w").close()   # begin0-2, end0-1: epoch 2
                time.sleep(600)

    cbs = [Marker()] if mode == "plain" else [callbacks.BackupAndRestore(backup_dir), Marker()]
    history = model.fit(x, y, batch_size=8, epochs=6, shuffle=True, validation_split=0.25,
                        verbose=0, callbacks=cbs)
    np.savez(out, epochs=np.array(history.epoch), *model.get_weights())
    """
)


def _start(tmp_path, mode, name):
    script = tmp_path / "child.py"
    script.write_text(CHILD)
    markers = tmp_path / f"markers_{name}"
    markers.mkdir()
    out = tmp_path / f"{name}.npz"
    env = dict(os.environ, PYTHONHASHSEED="0")
    proc = subprocess.Popen([sys.executable, str(script), mode, str(tmp_path / "backup"), str(markers), str(out)],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    return proc, markers, out


def _finish(proc, out):
    output, _ = proc.communicate(timeout=120)
    assert proc.returncode == 0, output.decode()
    data = np.load(out)
    return list(data["epochs"]), [data[f"arr_{i}"] for i in range(len(data.files) - 1)]


@pytest.mark.slow
def test_sigkilled_run_resumes_to_the_same_weights(tmp_path):
    plain_proc, _, plain_out = _start(tmp_path, "plain", "plain")  # the uninterrupted reference, meanwhile
    proc, markers, _ = _start(tmp_path, "interrupt", "interrupted")
    deadline = time.time() + 120
    while not (markers / "hang").exists():
        assert proc.poll() is None, proc.communicate()[0].decode()
        assert time.time() < deadline, "the training child never reached epoch 2"
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)  # mid-epoch 2, after two completed epochs
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL

    backup = torch.load(tmp_path / "backup" / "latest.pt", weights_only=True)
    assert backup["epoch"] == 2  # epochs 0 and 1 completed

    resumed_proc, resumed_markers, resumed_out = _start(tmp_path, "resume", "resumed")
    resumed_epochs, resumed_weights = _finish(resumed_proc, resumed_out)
    plain_epochs, plain_weights = _finish(plain_proc, plain_out)

    assert resumed_epochs == [2, 3, 4, 5]
    assert sorted(os.listdir(resumed_markers))[:2] == ["begin2", "begin3"]  # no epoch 0/1 rerun
    assert plain_epochs == [0, 1, 2, 3, 4, 5]
    assert len(resumed_weights) == len(plain_weights) == 4
    for got, want in zip(resumed_weights, plain_weights):
        np.testing.assert_array_equal(got, want)
    assert not (tmp_path / "backup").exists()  # deleted after the run completed


# ---------------------------------------------------------------- in-process behaviour

def _model(seed=0):
    torch.manual_seed(seed)
    model = kerastorch.Sequential([layers.Input(shape=(3,)), layers.Dense(2), layers.Dense(1)])
    model.compile(optimizer=kerastorch.optimizers.Adam(learning_rate=0.01), loss="mse")
    return model


def _data():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(12, 3)).astype("float32")
    return x, x.sum(axis=1, keepdims=True)


class _Interrupt(callbacks.Callback):
    def __init__(self, at_epoch):
        super().__init__()
        self.at_epoch = at_epoch

    def on_epoch_begin(self, epoch, logs=None):
        if epoch == self.at_epoch:
            raise RuntimeError("Interrupting!")


def test_exception_then_new_fit_resumes_with_same_result(tmp_path):
    x, y = _data()
    torch.manual_seed(5)
    reference = _model()
    reference.fit(x, y, batch_size=4, epochs=5, verbose=0)

    torch.manual_seed(5)
    model = _model()
    backup = callbacks.BackupAndRestore(str(tmp_path / "b"))
    with pytest.raises(RuntimeError, match="Interrupting"):
        model.fit(x, y, batch_size=4, epochs=5, verbose=0, callbacks=[backup, _Interrupt(3)])
    fresh = _model(seed=99)  # another process would start from other weights
    history = fresh.fit(x, y, batch_size=4, epochs=5, verbose=0, callbacks=[backup])
    assert history.epoch == [3, 4]
    for got, want in zip(fresh.get_weights(), reference.get_weights()):
        np.testing.assert_array_equal(got, want)
    assert fresh.optimizer.iterations == reference.optimizer.iterations == 15


def test_atomic_write_keeps_previous_backup_when_saving_crashes(tmp_path, monkeypatch):
    x, y = _data()
    model = _model()
    backup = callbacks.BackupAndRestore(str(tmp_path / "b"), delete_checkpoint=False)
    model.fit(x, y, batch_size=4, epochs=2, verbose=0, callbacks=[backup])
    real_save = torch.save

    def crashing_save(obj, f, *args, **kwargs):
        f.write(b"half a file")
        raise OSError("disk full")

    monkeypatch.setattr(torch, "save", crashing_save)
    with pytest.raises(OSError, match="disk full"):
        model.fit(x, y, batch_size=4, epochs=4, verbose=0, callbacks=[backup])
    monkeypatch.setattr(torch, "save", real_save)
    state = torch.load(tmp_path / "b" / "latest.pt", weights_only=True)
    assert state["epoch"] == 2  # the backup of the first run, untouched


def test_double_checkpoint_falls_back_to_previous(tmp_path):
    x, y = _data()
    model = _model()
    seen = {}
    grab = callbacks.LambdaCallback(on_epoch_end=lambda e, logs: seen.__setitem__(e, model.get_weights()))
    backup = callbacks.BackupAndRestore(str(tmp_path / "b"), double_checkpoint=True, delete_checkpoint=False)
    model.fit(x, y, batch_size=4, epochs=3, verbose=0, callbacks=[backup, grab])
    assert torch.load(tmp_path / "b" / "latest.pt.bkp", weights_only=True)["epoch"] == 2
    (tmp_path / "b" / "latest.pt").write_bytes(b"corrupted")
    fresh = _model(seed=7)
    history = fresh.fit(x, y, batch_size=4, epochs=2, verbose=0, callbacks=[backup])
    assert history.epoch == []  # the previous backup says 2 epochs were done, of 2
    for got, want in zip(fresh.get_weights(), seen[1]):
        np.testing.assert_array_equal(got, want)


def test_corrupt_backup_without_spare_is_a_clear_error(tmp_path):
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "latest.pt").write_bytes(b"corrupted")
    x, y = _data()
    with pytest.raises(OSError, match=r"could not read its backup.*latest\.pt: UnpicklingError.*Delete '"):
        _model().fit(x, y, epochs=1, verbose=0, callbacks=[callbacks.BackupAndRestore(str(tmp_path / "b"))])


def test_backup_from_another_model_is_refused(tmp_path):
    x, y = _data()
    _model().fit(x, y, epochs=1, verbose=0,
                 callbacks=[callbacks.BackupAndRestore(str(tmp_path / "b"), delete_checkpoint=False)])
    other = kerastorch.Sequential([layers.Input(shape=(3,)), layers.Dense(5), layers.Dense(1)])
    other.compile(optimizer="adam", loss="mse")
    with pytest.raises(ValueError, match="does not fit this model"):
        other.fit(x, y, epochs=2, verbose=0, callbacks=[callbacks.BackupAndRestore(str(tmp_path / "b"))])


def test_delete_checkpoint(tmp_path):
    x, y = _data()
    _model().fit(x, y, epochs=1, verbose=0, callbacks=[callbacks.BackupAndRestore(str(tmp_path / "a"))])
    assert not (tmp_path / "a").exists()
    _model().fit(x, y, epochs=1, verbose=0,
                 callbacks=[callbacks.BackupAndRestore(str(tmp_path / "k"), delete_checkpoint=False)])
    assert os.listdir(tmp_path / "k") == ["latest.pt"]


def test_integer_save_freq_backs_up_mid_epoch(tmp_path):
    x, y = _data()  # 3 batches of 4 per epoch
    model = _model()
    backup = callbacks.BackupAndRestore(str(tmp_path / "b"), save_freq=2, delete_checkpoint=False)
    with pytest.raises(RuntimeError):
        model.fit(x, y, batch_size=4, epochs=3, verbose=0, callbacks=[backup, _Interrupt(1)])
    state = torch.load(tmp_path / "b" / "latest.pt", weights_only=True)
    assert (state["epoch"], state["batch"]) == (0, 1)  # after batches 2 (epoch 0, batch 1): no epoch done
    assert state["model"].keys() == model.state_dict().keys()
    history = _model(seed=3).fit(x, y, batch_size=4, epochs=3, verbose=0, callbacks=[backup])
    assert history.epoch == [0, 1, 2]  # the unfinished epoch 0 reruns, as in Keras


def test_plain_torch_optimizer_state_is_restored(tmp_path):
    x, y = _data()

    def make():
        model = kerastorch.Sequential([layers.Input(shape=(3,)), layers.Dense(1)])
        model.build((None, 3))
        model.compile(optimizer=torch.optim.Adam(model.parameters(), lr=0.05), loss="mse")
        return model

    torch.manual_seed(0)
    reference = make()
    reference.fit(x, y, batch_size=4, epochs=4, verbose=0, shuffle=False)
    torch.manual_seed(0)
    model = make()
    backup = callbacks.BackupAndRestore(str(tmp_path / "b"))
    with pytest.raises(RuntimeError):
        model.fit(x, y, batch_size=4, epochs=4, verbose=0, shuffle=False, callbacks=[backup, _Interrupt(2)])
    fresh = make()
    fresh.fit(x, y, batch_size=4, epochs=4, verbose=0, shuffle=False, callbacks=[backup])
    for got, want in zip(fresh.get_weights(), reference.get_weights()):
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("kwargs,match", [
    (dict(backup_dir=""), "backup_dir"),
    (dict(backup_dir="d", save_freq="batch"), "save_freq"),
    (dict(backup_dir="d", save_freq=0), "save_freq"),
])
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        callbacks.BackupAndRestore(**kwargs)
