"""Every script in examples/ runs to the end with a small setting.

All scripts run in ONE fresh subprocess (importing torch once), each as `__main__` with its
own `sys.argv`, so a script works exactly as from the command line; each gets its own test.
"""

import json
import os
import subprocess
import sys
import textwrap

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EXAMPLES = os.path.join(ROOT, "examples")

# script -> (arguments, a phrase its output must contain)
RUNS = {
    "quickstart.py": (["--epochs", "1", "--verbose", "0"], "Test accuracy"),
    "article_models.py": (["--quick"], "model_3: held-out accuracy"),
    "digits_cnn.py": (["--quick"], "Test accuracy"),
    "text_classification_lstm.py": (["--quick"], "accuracy"),
    "regression_callbacks.py": (["--quick"], "test MSE"),
    "autoencoder.py": (["--quick"], "reconstruction MSE"),
    "transfer_learning.py": (["--quick"], "Validation accuracy after fine-tuning"),
    "torch_module_fit.py": (["--quick"], "Test accuracy"),
    # one process here; its torchrun runs are tested with the distribution package
    "distributed_training.py": (["--quick"], "Trained on 1 process"),
}

_RUNNER = textwrap.dedent("""
    import contextlib, io, json, runpy, sys, traceback
    runs, results = json.loads(sys.argv[1]), {}
    for path, args in runs:
        out = io.StringIO()
        sys.argv = [path] + args
        try:
            with contextlib.redirect_stdout(out):
                runpy.run_path(path, run_name="__main__")
            results[path] = {"ok": True, "out": out.getvalue()}
        except BaseException:
            results[path] = {"ok": False, "out": out.getvalue() + traceback.format_exc()}
    print("@@RESULTS@@" + json.dumps(results))
""")


def test_every_example_is_covered():
    scripts = sorted(f for f in os.listdir(EXAMPLES) if f.endswith(".py") and not f.startswith("_"))
    assert scripts == sorted(RUNS), "add new examples to RUNS"


@pytest.fixture(scope="module")
def results():
    runs = [(os.path.join(EXAMPLES, name), args) for name, (args, _) in RUNS.items()]
    env = {**os.environ, "KERASTORCH_DEVICE": "cpu", "KERASTORCH_OFFLINE": "1", "MPLBACKEND": "Agg"}
    proc = subprocess.run([sys.executable, "-c", _RUNNER, json.dumps(runs)], capture_output=True, text=True,
                          cwd=ROOT, env=env, timeout=600)
    marker = proc.stdout.rfind("@@RESULTS@@")
    assert marker >= 0, f"the example runner crashed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return {os.path.basename(k): v for k, v in json.loads(proc.stdout[marker + len("@@RESULTS@@"):]).items()}


@pytest.mark.parametrize("script", sorted(RUNS))
def test_example_runs(results, script):
    result = results[script]
    assert result["ok"], f"{script} failed:\n{result['out'][-4000:]}"
    assert RUNS[script][1] in result["out"], result["out"][-2000:]
