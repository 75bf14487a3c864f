"""A training process SIGKILLed at random moments never leaves a broken checkpoint, and resumes.

Training runs in a child process with `ModelCheckpoint` (a `.keras` file and a `.weights.h5`
file, both rewritten every epoch) and `BackupAndRestore`. It is killed with SIGKILL, which no
handler can intercept, after a random delay, several times. After each kill, the checkpoints on
disk must load (saving is atomic: a temporary file, then `os.replace`), and the backup must be
readable. A last run, not killed, must finish the training from where the backup left off, and
end with the same weights as a run that was never interrupted.

Importing torch takes seconds, so one helper process imports kerastorch once and forks a fresh
child per run (nothing in it touched torch's thread pools before the fork).
"""

import json
import os
import random
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
import torch

import kerastorch

pytestmark = pytest.mark.skipif(not hasattr(os, "fork") or sys.platform == "win32",
                                reason="needs fork() and SIGKILL (POSIX)")

EPOCHS = 80

_ZYGOTE = r'''
import json, os, sys
import numpy as np
import kerastorch
from kerastorch import callbacks, layers
import h5py, zipfile, kerastorch.saving.keras_format, kerastorch.saving.weights_h5   # imported once, here

def train(folder, backup):
    import torch
    torch.set_num_threads(1)
    torch.manual_seed(0)
    np.random.seed(0)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(512, 8)).astype("float32")
    y = (x @ rng.normal(size=(8, 1))).astype("float32")
    model = kerastorch.Sequential([layers.Input(shape=(8,)), layers.Dense(64, activation="relu"),
                                   layers.Dropout(0.2), layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    cbs = [callbacks.ModelCheckpoint(os.path.join(folder, "ckpt.keras"), monitor="loss"),
           callbacks.ModelCheckpoint(os.path.join(folder, "ckpt.weights.h5"), monitor="loss",
                                     save_weights_only=True)]
    if backup:
        cbs.append(callbacks.BackupAndRestore(os.path.join(folder, "backup")))
    history = model.fit(x, y, epochs=int(sys.argv[1]), batch_size=16, verbose=0, callbacks=cbs)
    with open(os.path.join(folder, "done.json"), "w") as f:
        json.dump({"epochs": history.epoch,
                   "weights": [w.tolist() for w in model.get_weights()]}, f)

print("ready", flush=True)
for line in sys.stdin:
    folder, backup = line.split()
    pid = os.fork()
    if pid == 0:
        try:
            train(folder, backup == "1")
            code = 0
        except BaseException as e:
            print(f"child error {type(e).__name__}: {e}", file=sys.stderr, flush=True)
            code = 1
        os._exit(code)
    print(f"child {pid}", flush=True)
    _, status = os.waitpid(pid, 0)
    print(f"status {status}", flush=True)
'''


class _Zygote:
    def __init__(self):
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(
            [os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
             os.environ.get("PYTHONPATH", "")]))
        self.proc = subprocess.Popen([sys.executable, "-c", _ZYGOTE, str(EPOCHS)], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True, env=env)
        assert self.proc.stdout.readline().strip() == "ready"

    def start(self, folder, backup=True):
        self.proc.stdin.write(f"{folder} {int(backup)}\n")
        self.proc.stdin.flush()
        word, pid = self.proc.stdout.readline().split()
        assert word == "child"
        return int(pid)

    def wait(self):
        word, status = self.proc.stdout.readline().split()
        assert word == "status"
        return int(status)

    def close(self):
        self.proc.stdin.close()
        self.proc.wait(timeout=30)


@pytest.fixture(scope="module")
def zygote():
    z = _Zygote()
    yield z
    z.close()


def _check_checkpoints(folder):
    """Whatever is on disk loads: the .keras model, the weights, the backup."""
    keras_path = folder / "ckpt.keras"
    weights_path = folder / "ckpt.weights.h5"
    if keras_path.exists():
        model = kerastorch.models.load_model(keras_path)
        if weights_path.exists():
            model.load_weights(weights_path)
    backup = folder / "backup" / "latest.pt"
    if backup.exists():
        state = torch.load(backup, weights_only=True)
        assert state["format"] == "kerastorch.BackupAndRestore"
        return int(state["epoch"])
    return 0


def test_sigkilled_training_keeps_loadable_checkpoints_and_resumes_to_the_end(zygote, tmp_path):
    rng = random.Random(0)
    folder = tmp_path / "run"
    folder.mkdir()
    reference = tmp_path / "reference"
    reference.mkdir()

    zygote.start(reference, backup=False)      # an uninterrupted run, for the final weights
    assert zygote.wait() == 0

    backed_up = []
    for attempt in range(5):
        pid = zygote.start(folder)
        if attempt == 0:   # a first kill after some epochs, however loaded the machine is
            deadline = time.time() + 30
            while not (folder / "backup" / "latest.pt").exists() and time.time() < deadline:
                time.sleep(0.01)
        time.sleep(rng.uniform(0.15, 0.7))
        os.kill(pid, signal.SIGKILL)
        status = zygote.wait()
        assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL, \
            f"the training finished before it was killed (status {status}): make it longer"
        assert not (folder / "done.json").exists()
        backed_up.append(_check_checkpoints(folder))
    assert backed_up == sorted(backed_up), f"the backup went backwards: {backed_up}"
    assert backed_up[0] > 0

    assert zygote.start(folder) and zygote.wait() == 0
    done = json.loads((folder / "done.json").read_text())
    assert done["epochs"] == list(range(backed_up[-1], EPOCHS))     # resumed, and ran to the end
    assert not (folder / "backup").exists()                          # deleted after a normal end
    _check_checkpoints(folder)
    expected = json.loads((reference / "done.json").read_text())
    assert expected["epochs"] == list(range(EPOCHS))
    for ours, theirs in zip(done["weights"], expected["weights"]):
        np.testing.assert_allclose(np.array(ours), np.array(theirs), rtol=1e-6, atol=1e-6)
    # A SIGKILL during a save leaves only hidden temporary files beside the checkpoints.
    leftovers = [p.name for p in folder.iterdir() if p.name not in ("ckpt.keras", "ckpt.weights.h5",
                                                                   "done.json")]
    assert all(name.startswith(".ckpt.") for name in leftovers), leftovers
