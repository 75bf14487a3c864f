"""`jit_compile=True` on CPU: compile seconds (fresh and cached), steady-state epochs, steps_per_execution.

    python benchmarks/bench_compile.py                          # both tables, CPU
    python benchmarks/bench_compile.py --workloads tiny,mlp32 --epochs 5
    python benchmarks/bench_compile.py --skip-spe               # only the compile table

Compile table: per workload, one fresh process with an empty inductor cache directory
(`TORCHINDUCTOR_CACHE_DIR`, where the FX graph cache and the AOT autograd cache live), then a second
fresh process reusing that directory. Compile seconds are the first `fit` epoch of the
`jit_compile=True` model minus its steady epoch (the median of the later ones), plus the first
`evaluate` and `predict` calls minus their steady calls; for the second compiled model
(`steps_per_execution=SPE`, one compiled call per SPE steps) its first `fit` epoch minus its
steady one. In the first process the steady epochs of both compiled models, eager kerastorch and
the eager hand loop of `bench_training.py` run interleaved (each epoch in the next of all their
orders, `bench_training.contender_orders`); the
table compares CPU seconds (process time: the machine is shared), wall-clock ratios beside.
kerastorch's first `fit` on the CPU makes glibc keep freed memory for reuse (`kerastorch/_cpu_memory.py`),
process-wide, so the hand loop in that process runs with it too; a third process runs the hand loop
alone with glibc's defaults (kerastorch never imported), the loop as a user's script runs it.

steps_per_execution table: the tiny model, `fit` epochs at N = 1, 8, 32, eager and compiled,
interleaved; µs per step from the median wall and CPU time of an epoch.
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import types

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import bench_training as bt  # noqa: E402  (puts this checkout on sys.path)


SPE = 8     # steps_per_execution of the second compiled contender


def _args(jit):
    return types.SimpleNamespace(seed=1234, jit=jit, mixed_precision=None)


def _timed(fn):
    c0, t0 = time.process_time(), time.perf_counter()
    fn()
    return time.perf_counter() - t0, time.process_time() - c0


def run_child(wl_name, epochs, compile_only):
    """One fresh process: compile timings, and (unless compile_only) the steady-state epochs."""
    import torch

    torch.set_num_threads(1)
    wl = bt.WORKLOADS[wl_name]
    data = bt.make_data(wl, wl.samples, 1234)
    device = bt.Device("cpu")
    x_test, y_test = data["test"]
    t_import = time.perf_counter()
    jit = bt.KerastorchContender(wl, data, device, _args(True))
    first_fit, _ = _timed(jit.epoch)
    first_eval, _ = _timed(lambda: jit.model.evaluate(x_test, y_test, batch_size=wl.batch_size, verbose=0))
    first_pred, _ = _timed(lambda: jit.predict(x_test, wl.batch_size))
    # The same compiled model with steps_per_execution=SPE: one compiled call covers SPE steps.
    import kerastorch

    spe = bt.KerastorchContender(wl, data, device, _args(True))
    spe.model.compile(optimizer=kerastorch.optimizers.Adam(learning_rate=bt.LR, epsilon=bt.EPS),
                      loss=bt._loss_name(wl.task), metrics=["accuracy"], jit_compile=True, steps_per_execution=SPE)
    first_spe, _ = _timed(spe.epoch)
    out = {"first_process_s": time.perf_counter() - t_import,
           "graphs": torch._dynamo.utils.counters["stats"]["unique_graphs"]}
    contenders = {"compiled": jit, "compiled_spe": spe}
    if not compile_only:
        contenders["eager"] = bt.KerastorchContender(wl, data, device, _args(False))
        contenders["hand"] = bt.TorchContender(wl, data, device, _args(False))
        for name in ("eager", "hand"):
            contenders[name].epoch()                      # warm-up
    times = {name: [] for name in contenders}
    cpu = {name: [] for name in contenders}
    orders = bt.contender_orders(list(contenders))
    for e in range(epochs):
        for name in orders[e % len(orders)]:
            t, c = _timed(contenders[name].epoch)
            times[name].append(t)
            cpu[name].append(c)
    steady_eval = statistics.median(
        _timed(lambda: jit.model.evaluate(x_test, y_test, batch_size=wl.batch_size, verbose=0))[0]
        for _ in range(3))
    steady_pred = statistics.median(_timed(lambda: jit.predict(x_test, wl.batch_size))[0] for _ in range(3))
    steady_fit = statistics.median(times["compiled"])
    out["compile_s"] = (first_fit - steady_fit) + (first_eval - steady_eval) + (first_pred - steady_pred)
    out["compile_fit_s"] = first_fit - steady_fit
    out["compile_spe_s"] = first_spe - statistics.median(times["compiled_spe"])
    out["epochs"] = {name: {"wall": statistics.median(v), "cpu": statistics.median(cpu[name]),
                            "loss": contenders[name].last_loss} for name, v in times.items()}
    whole = jit.model._step_fns["whole"]
    out["train_path"] = whole.path
    out["fell_back"] = whole.reason
    out["compiled_calls"] = {"compiled": whole.compiled_calls,
                             "compiled_spe": spe.model._step_fns["whole"].compiled_calls}
    print(json.dumps(out))


def run_hand_child(wl_name, epochs):
    """A fresh process that never imports kerastorch: the hand loop's epochs under glibc's defaults."""
    import torch

    torch.set_num_threads(1)
    wl = bt.WORKLOADS[wl_name]
    data = bt.make_data(wl, wl.samples, 1234)
    hand = bt.TorchContender(wl, data, bt.Device("cpu"), _args(False))
    hand.epoch()                                          # warm-up
    cpu = [_timed(hand.epoch)[1] for _ in range(epochs)]
    assert "kerastorch" not in sys.modules
    print(json.dumps({"cpu": statistics.median(cpu), "loss": hand.last_loss}))


def _child_json(cmd, env, wl_name):
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=1800)
    line = next((ln for ln in proc.stdout.splitlines()[::-1] if ln.startswith("{")), None)
    if line is None:
        sys.exit(f"{wl_name}: child failed:\n{proc.stderr[-3000:]}")
    return json.loads(line)


def compile_table(workloads, epochs):
    rows = []
    for wl_name in workloads:
        cache = tempfile.mkdtemp(prefix=f"kt_inductor_{wl_name}_")
        env = dict(os.environ, TORCHINDUCTOR_CACHE_DIR=cache)
        runs = []
        for compile_only in (False, True):
            cmd = [sys.executable, os.path.abspath(__file__), "--_child", wl_name, "--epochs",
                   str(epochs if not compile_only else 2)] + (["--compile-only"] if compile_only else [])
            runs.append(_child_json(cmd, env, wl_name))
            print(f"[{wl_name}] {'cached' if compile_only else 'fresh'}: {runs[-1]['compile_s']:.1f}s compile, "
                  f"{runs[-1]['compile_spe_s']:.1f}s with N={SPE}; {json.dumps(runs[-1])}", file=sys.stderr, flush=True)
        shutil.rmtree(cache, ignore_errors=True)
        hand = _child_json([sys.executable, os.path.abspath(__file__), "--_child_hand", wl_name, "--epochs",
                            str(epochs)], dict(os.environ), wl_name)
        print(f"[{wl_name}] hand loop, glibc defaults: {json.dumps(hand)}", file=sys.stderr, flush=True)
        rows.append((wl_name, runs, hand))
    lines = ["| workload | compile s, fresh cache | compile s, cached | compile s N=%d, fresh / cached | graphs | "
             "CPU s/epoch: compiled | compiled N=%d | eager kerastorch | hand loop | hand loop, glibc defaults "
             "(own process) | hand ÷ compiled (CPU) | hand ÷ compiled N=%d (CPU) | hand ÷ compiled (wall) | "
             "hand, glibc defaults ÷ compiled (CPU) | epochs to repay the cached compile (N=%d) | "
             "final loss compiled / N=%d / eager / hand |" % ((SPE,) * 5),
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
    for wl_name, (fresh, cached), hand in rows:
        ep = fresh["epochs"]
        gain = ep["hand"]["cpu"] - ep["compiled_spe"]["cpu"]
        # The N=SPE model's cached compile: its fit graphs plus the evaluate/predict graphs.
        repay_s = cached["compile_s"] - cached["compile_fit_s"] + cached["compile_spe_s"]
        repay = f"{repay_s / gain:.0f}" if gain > 0 else "never (slower)"
        lines.append(
            f"| {bt.WORKLOADS[wl_name].title} | {fresh['compile_s']:.1f} | {cached['compile_s']:.1f} | "
            f"{fresh['compile_spe_s']:.1f} / {cached['compile_spe_s']:.1f} | {fresh['graphs']} | "
            f"{ep['compiled']['cpu']:.3f} | {ep['compiled_spe']['cpu']:.3f} | {ep['eager']['cpu']:.3f} | "
            f"{ep['hand']['cpu']:.3f} | {hand['cpu']:.3f} | {ep['hand']['cpu'] / ep['compiled']['cpu']:.2f}x | "
            f"{ep['hand']['cpu'] / ep['compiled_spe']['cpu']:.2f}x | {ep['hand']['wall'] / ep['compiled']['wall']:.2f}x | "
            f"{hand['cpu'] / ep['compiled']['cpu']:.2f}x | {repay} | {ep['compiled']['loss']:.4f} / {ep['compiled_spe']['loss']:.4f} / {ep['eager']['loss']:.4f} / "
            f"{ep['hand']['loss']:.4f} |"
            + (f" (fell back: {fresh['fell_back']})" if fresh["fell_back"] else ""))
    return "\n".join(lines)


def spe_table(epochs, ns=(1, 8, 32)):
    """Per-step time of the tiny model at steps_per_execution N, eager and compiled."""
    import torch

    import kerastorch
    from kerastorch import layers

    torch.set_num_threads(1)
    wl = bt.WORKLOADS["tiny"]
    data = bt.make_data(wl, wl.samples, 1234)
    x, y = data["train"]
    steps = -(-len(x) // wl.batch_size)
    models = {}
    for jit in (False, True):
        for n in ns:
            torch.manual_seed(1234)
            model = kerastorch.Sequential(wl.kt(layers))
            model.compile(optimizer=kerastorch.optimizers.Adam(learning_rate=bt.LR, epsilon=bt.EPS),
                          loss="binary_crossentropy", metrics=["accuracy"], steps_per_execution=n,
                          jit_compile=jit)
            model.fit(x, y, batch_size=wl.batch_size, epochs=1, verbose=0)    # warm-up (and compile)
            models[(jit, n)] = model
    times = {k: [] for k in models}
    cpu = {k: [] for k in models}
    orders = bt.contender_orders(list(models))
    for e in range(epochs):
        for key in orders[e % len(orders)]:
            t, c = _timed(lambda m=models[key]: m.fit(x, y, batch_size=wl.batch_size, epochs=1, verbose=0))
            times[key].append(t)
            cpu[key].append(c)
    lines = [f"| steps_per_execution | eager µs/step (wall) | eager µs/step (CPU) | compiled µs/step (wall) | "
             f"compiled µs/step (CPU) |", "|---:|---:|---:|---:|---:|"]
    for n in ns:
        cells = []
        for jit in (False, True):
            cells += [f"{statistics.median(times[(jit, n)]) / steps * 1e6:.0f}",
                      f"{statistics.median(cpu[(jit, n)]) / steps * 1e6:.0f}"]
        lines.append(f"| {n} | " + " | ".join(cells) + " |")
    return f"{wl.title}, {steps} steps an epoch, {epochs} epochs each (median)\n\n" + "\n".join(lines)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--workloads", default="tiny,mlp32,mlp256,cnn,bn")
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--skip-spe", action="store_true")
    p.add_argument("--skip-compile", action="store_true")
    p.add_argument("--compile-only", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--_child", default=None, help=argparse.SUPPRESS)
    p.add_argument("--_child_hand", default=None, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args._child_hand:
        return run_hand_child(args._child_hand, args.epochs)
    if args._child:
        return run_child(args._child, args.epochs, args.compile_only)
    import torch

    print(f"Command: `python benchmarks/bench_compile.py {' '.join(argv or sys.argv[1:])}`  \n"
          f"torch {torch.__version__}, {os.cpu_count()} cores, 1 torch thread; load average at start "
          f"{os.getloadavg()[0]:.1f}\n")
    if not args.skip_compile:
        print(compile_table([w for w in args.workloads.split(",") if w], args.epochs) + "\n")
    if not args.skip_spe:
        print(spe_table(args.epochs))
    print(f"\nload average at the end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
