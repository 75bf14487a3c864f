"""Memory: training does not grow (no retained graphs or tensors), predict holds no extra copies.

Each measurement runs in its own fresh Python process, reading its resident set size from
/proc/self/status (VmRSS now, VmHWM the peak), so other tests' allocations do not interfere.
The two processes run side by side to pay the import of torch once in wall time.
"""

import json
import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.skipif(not os.path.exists("/proc/self/status"), reason="needs Linux /proc")

_PRELUDE = r'''
import gc, json, sys
import numpy as np
import torch
torch.set_num_threads(1)
import kerastorch
from kerastorch import callbacks, layers

def status(key):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1]) * 1024    # kB -> bytes
'''

# Activations of one step are ~32 x 512 floats per layer: a graph kept per step (a loss tensor in
# the logs or the history) would cost ~100 MB over 45 epochs, one kept per epoch ~10 MB.
_TRAINING = _PRELUDE + r'''
rng = np.random.default_rng(0)
x = rng.normal(size=(640, 64)).astype("float32")
y = rng.normal(size=(640, 1)).astype("float32")
model = kerastorch.Sequential([layers.Input(shape=(64,)), layers.Dense(512, activation="relu"),
                               layers.Dense(512, activation="relu"), layers.Dense(1)])
model.compile(optimizer="adam", loss="mse", metrics=["mae"])
rss = {}
def on_epoch_end(epoch, logs):
    if epoch + 1 in (5, 50):
        gc.collect()
        rss[epoch + 1] = status("VmRSS")
history = model.fit(x, y, epochs=50, batch_size=32, verbose=0, validation_split=0.1,
                    callbacks=[callbacks.LambdaCallback(on_epoch_end=on_epoch_end)])
kinds = sorted({type(v).__name__ for values in history.history.values() for v in values})
print(json.dumps({"rss5": rss[5], "rss50": rss[50], "history_types": kinds}))
'''

_PREDICT = _PRELUDE + r'''
n, units = 200_000, 64
x = np.random.default_rng(0).normal(size=(n, 4)).astype("float32")
model = kerastorch.Sequential([layers.Input(shape=(4,)), layers.Dense(units)])
model.predict(x[:1000], batch_size=1000, verbose=0)        # warm up: torch's own allocations
gc.collect()
before = status("VmRSS")
try:
    with open("/proc/self/clear_refs", "w") as f:           # reset VmHWM to the current RSS
        f.write("5")
    reset = True
except OSError:
    reset = False
out = model.predict(x, batch_size=1000, verbose=0)
print(json.dumps({"before": before, "peak": status("VmHWM"), "after": status("VmRSS"), "reset": reset,
                  "output_bytes": out.nbytes, "shape": list(out.shape)}))
'''


@pytest.fixture(scope="module")
def measurements():
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([root, os.environ.get("PYTHONPATH", "")]),
               OMP_NUM_THREADS="1")
    procs = {name: subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE, text=True, env=env)
             for name, code in (("training", _TRAINING), ("predict", _PREDICT))}
    results = {}
    for name, proc in procs.items():
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, f"{name} measurement failed:\n{err[-3000:]}"
        results[name] = json.loads(out.strip().splitlines()[-1])
    return results


def test_memory_after_50_epochs_is_within_5_mb_of_memory_after_5(measurements):
    m = measurements["training"]
    growth = m["rss50"] - m["rss5"]
    assert growth < 5 * 2 ** 20, f"RSS grew by {growth / 2 ** 20:.1f} MB between epoch 5 and epoch 50"
    # History holds plain Python floats, not tensors (which would keep graphs alive).
    assert m["history_types"] == ["float"], m["history_types"]


def test_long_predict_peak_memory_is_about_the_output_size(measurements):
    m = measurements["predict"]
    if not m["reset"]:
        pytest.skip("cannot reset the peak RSS (/proc/self/clear_refs not writable)")
    assert m["shape"] == [200_000, 64]
    growth = m["peak"] - m["before"]
    # The output is 51 MB; a list of batch outputs concatenated at the end would need twice that.
    assert growth < 1.3 * m["output_bytes"] + 8 * 2 ** 20, (
        f"predict's peak RSS grew by {growth / 2 ** 20:.1f} MB for an output of "
        f"{m['output_bytes'] / 2 ** 20:.1f} MB")
