"""Ctrl-C during fit with BackupAndRestore: the run stops cleanly and the next fit resumes."""

import os
import signal

import numpy as np
import pytest

import kerastorch
from kerastorch import callbacks, layers


class _CtrlCInEpoch(callbacks.Callback):
    def __init__(self, epoch):
        super().__init__()
        self.target = epoch

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if self.epoch == self.target and batch == 1:
            os.kill(os.getpid(), signal.SIGINT)   # what Ctrl-C sends


def _model():
    model = kerastorch.Sequential([layers.Input(shape=(3,)), layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    return model


@pytest.fixture
def interactive_sigint():
    """Python's own Ctrl-C handler, as in an interactive process (a test run started with SIGINT
    ignored has SIG_IGN, which fit leaves alone)."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


@pytest.mark.skipif(not hasattr(signal, "SIGINT") or os.name == "nt", reason="needs POSIX signals")
def test_ctrl_c_keeps_the_backup_so_the_next_fit_resumes(tmp_path, capsys, interactive_sigint):
    x, y = np.random.rand(80, 3), np.random.rand(80, 1)
    backup_dir = tmp_path / "backup"
    model = _model()
    history = model.fit(x, y, epochs=5, batch_size=8, verbose=0,
                        callbacks=[_CtrlCInEpoch(2), callbacks.BackupAndRestore(backup_dir)])
    assert history.epoch == [0, 1]
    assert "Training interrupted (KeyboardInterrupt) during epoch 3" in capsys.readouterr().out
    # Not a normal end: the backup (of epoch 2) stays, and the next run starts at epoch 3.
    assert (backup_dir / "latest.pt").exists()
    history = model.fit(x, y, epochs=5, batch_size=8, verbose=0, callbacks=[callbacks.BackupAndRestore(backup_dir)])
    assert history.epoch == [2, 3, 4]
    assert not backup_dir.exists()   # this run ended normally


def test_early_stopping_is_a_normal_end_and_deletes_the_backup(tmp_path):
    backup_dir = tmp_path / "backup"

    class StopAtTwo(callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 1:
                self.model.stop_training = True

    history = _model().fit(np.random.rand(16, 3), np.random.rand(16, 1), epochs=5, verbose=0,
                           callbacks=[StopAtTwo(), callbacks.BackupAndRestore(backup_dir)])
    assert history.epoch == [0, 1] and not backup_dir.exists()


def test_callbacks_see_fits_params_even_with_validation_data():
    seen = []
    probe = callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: seen.append(dict(probe.params)))
    _model().fit(np.random.rand(16, 3), np.random.rand(16, 1), epochs=3, batch_size=4, verbose=0,
                 validation_split=0.25, callbacks=[probe])
    assert [p["epochs"] for p in seen] == [3, 3, 3] and [p["steps"] for p in seen] == [3, 3, 3]
