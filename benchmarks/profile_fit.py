"""Where does kerastorch's `fit` spend its per-step time, against the hand-written loop?

Splits one training step into its parts and times each part in isolation, for kerastorch and for
the hand loop of `bench_training.py`, on the same model, weights and batch:

    batch      cutting the next batch (ArrayDataAdapter iteration vs `index_select` on a randperm)
    forward    model(x, training=True) with autograd on
    loss       the loss on the predictions, forward and backward
    backward   loss.backward() of the whole step
    optimizer  zero_grad + step
    metrics    loss tracker + compiled metrics update (vs the hand loop's on-device sums)
    fit loop   fit() per step minus the sum of the parts (callbacks, enumerate, bookkeeping)
    fit call   the fixed cost of one fit() call (arrays, checks, CallbackList, History)

Each figure is the minimum over repeats of the mean process CPU time per call, with one torch
thread, so that other processes on a shared machine inflate it as little as possible.

    python benchmarks/profile_fit.py                 # tiny and mlp32
    python benchmarks/profile_fit.py --cprofile      # also print the top of cProfile for fit
    python benchmarks/profile_fit.py --ops           # also count aten ops per step (torch.profiler)
"""

import argparse
import cProfile
import io
import os
import pstats
import sys
import time

os.environ.setdefault("KERAS_BACKEND", "torch")
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.environ.get("KT_BENCH_ROOT") or os.path.dirname(HERE))
sys.path.insert(0, HERE)

import numpy as np
import torch
import torch.nn.functional as F

import bench_training as bt
import kerastorch
from kerastorch import layers
from kerastorch.trainer import data_adapters


def cpu_us(fn, n, repeats=5):
    """Minimum over `repeats` of the mean process-CPU microseconds of `fn()` over `n` calls."""
    best = float("inf")
    for _ in range(repeats):
        t0 = time.process_time()
        for _ in range(n):
            fn()
        best = min(best, (time.process_time() - t0) / n * 1e6)
    return best


def build(wl, samples, seed=0):
    data = bt.make_data(wl, samples, seed)
    x, y = data["train"]
    torch.manual_seed(seed)
    model = kerastorch.Sequential(wl.kt(layers))
    model.compile(optimizer=kerastorch.optimizers.Adam(learning_rate=1e-3, epsilon=1e-7),
                  loss=bt._loss_name(wl.task), metrics=["accuracy"])
    model.fit(x[:wl.batch_size * 2], y[:wl.batch_size * 2], batch_size=wl.batch_size, verbose=0)
    hand = bt.TorchContender(wl, data, bt.Device("cpu"), argparse.Namespace(seed=seed, jit=False,
                                                                           mixed_precision=None))
    return model, hand, x, y


def profile(wl, samples, n):
    model, hand, x, y = build(wl, samples)
    bs = wl.batch_size
    steps = samples // bs
    res = {}

    # ---- whole steps
    fit_epoch = lambda: model.fit(x, y, batch_size=bs, epochs=1, verbose=0)   # noqa: E731
    t_fit = cpu_us(fit_epoch, 1, repeats=3)
    x_small, y_small = x[:bs], y[:bs]
    t_fit_one = cpu_us(lambda: model.fit(x_small, y_small, batch_size=bs, epochs=1, verbose=0), 30)
    res["kt step (fit, per step)"] = (t_fit - t_fit_one) / (steps - 1)
    res["kt fit() call, fixed cost"] = t_fit_one - res["kt step (fit, per step)"]
    t_hand = cpu_us(hand.epoch, 1, repeats=3) / steps
    res["hand step"] = t_hand

    # ---- batches
    # The adapter fit() uses for arrays (converted once, as fit converts them once per call).
    batches, _ = data_adapters.get_data_adapter(x, y, batch_size=bs, shuffle=True, device=torch.device("cpu"))
    res["kt batch"] = cpu_us(lambda: [b for b in batches], 1, repeats=5) / len(batches)

    def hand_batches():
        order = torch.randperm(hand.x.shape[0])
        for start in range(0, hand.x.shape[0], bs):
            idx = order[start:start + bs]
            hand.x.index_select(0, idx), hand.y.index_select(0, idx)
    res["hand batch"] = cpu_us(hand_batches, 1, repeats=5) / steps

    xb, yb, _ = batches.first_batch()
    hx, hy = hand.x[:bs], hand.y[:bs]
    model.train()
    hand.model.train()

    # ---- forward (autograd on), through the Layer machinery and without it
    res["kt forward"] = cpu_us(lambda: model(xb, training=True), n)
    res["hand forward"] = cpu_us(lambda: hand.model(hx), n)
    stack = model._stack

    def raw_forward():            # the same ops kerastorch's layers run, called directly
        h = xb
        for layer in stack:
            h = layer.call(h, training=True) if "training" in layers.base._call_arguments(type(layer)) \
                else layer.call(h)
        return h
    res["kt forward, layer.call() directly"] = cpu_us(raw_forward, n)

    # ---- loss, forward + backward on a leaf prediction
    y_pred = model(xb, training=True).detach().requires_grad_()
    logits = hand.model(hx).detach().requires_grad_()

    def kt_loss():
        y_pred.grad = None
        model.compute_loss(xb, yb, y_pred, None).backward()

    def hand_loss():
        logits.grad = None
        (F.cross_entropy(logits, hy) if wl.task == "categorical"
         else F.binary_cross_entropy_with_logits(logits, hy)).backward()
    res["kt loss fwd+bwd"] = cpu_us(kt_loss, n)
    res["hand loss fwd+bwd"] = cpu_us(hand_loss, n)
    res["kt loss fwd only"] = cpu_us(lambda: model.compute_loss(xb, yb, y_pred.detach(), None), n)
    res["kt loss fwd, the bare function"] = cpu_us(
        lambda: model._loss_fn.fn(yb, y_pred.detach()).mean(), n)

    # ---- backward of the whole step
    def kt_fwd_bwd():
        model.compute_loss(xb, yb, model(xb, training=True), None).backward()

    def hand_fwd_bwd():
        out = hand.model(hx)
        (F.cross_entropy(out, hy) if wl.task == "categorical"
         else F.binary_cross_entropy_with_logits(out, hy)).backward()
    res["kt fwd+loss+bwd"] = cpu_us(kt_fwd_bwd, n)
    res["hand fwd+loss+bwd"] = cpu_us(hand_fwd_bwd, n)

    # ---- optimizer
    kt_fwd_bwd()
    hand_fwd_bwd()
    kt_grads = [p.grad.clone() for p in model.parameters()]
    hand_grads = [p.grad.clone() for p in hand.model.parameters()]

    def kt_opt():
        model.optimizer.zero_grad(set_to_none=True)
        for p, g in zip(model.parameters(), kt_grads):
            p.grad = g
        model.optimizer.step()

    def hand_opt():
        hand.opt.zero_grad(set_to_none=True)
        for p, g in zip(hand.model.parameters(), hand_grads):
            p.grad = g
        hand.opt.step()
    res["kt optimizer (zero_grad+step)"] = cpu_us(kt_opt, n)
    res["hand optimizer (zero_grad+step)"] = cpu_us(hand_opt, n)

    # ---- metrics
    yp = y_pred.detach()

    def kt_metrics():
        model._loss_tracker.update_state(yp.sum(), bs)
        with torch.no_grad():
            model._update_metrics(yb, yp, None)
    total = torch.zeros(())
    correct = torch.zeros((), dtype=torch.long)
    lg = logits.detach()

    def hand_metrics():
        nonlocal total, correct
        total += lg.sum() * bs
        correct += (lg.argmax(1) == hy).sum() if wl.task == "categorical" else ((lg > 0) == (hy > 0.5)).sum()
    res["kt metrics (loss tracker + accuracy)"] = cpu_us(kt_metrics, n)
    res["hand metrics (on-device sums)"] = cpu_us(hand_metrics, n)

    # ---- train_step alone, and what fit adds around it
    data = (xb, yb, None)
    res["kt train_step() alone"] = cpu_us(lambda: model.train_step(data), n)

    # ---- ablations: what a proposed change would save
    # (a) the fused logits loss (losses.fused_from_logits, not wired into the trainer yet): the
    #     same model with a linear last layer, trained on the logits-space loss. The metrics would
    #     then need activation(logits) (one more cheap op, not counted here).
    fused_model = _fused_variant(wl, x, y)
    res["ablation: fit step with fused logits loss"] = (
        cpu_us(lambda: fused_model.fit(x, y, batch_size=bs, epochs=1, verbose=0), 1, repeats=3)
        - t_fit_one) / (steps - 1)
    res["ablation: fit step, as compiled (same run)"] = (t_fit - t_fit_one) / (steps - 1)
    # (b) the optimizer's host-side reads per step: int(_iterations) twice, float(learning_rate)
    opt = model.optimizer
    res["optimizer host reads (iterations x2, lr)"] = cpu_us(
        lambda: (int(opt._iterations), opt.iterations, opt._current_learning_rate()), n)
    # (c) fixed costs of one predict() call on one batch
    res["kt predict() call on one batch"] = cpu_us(lambda: model.predict(x_small, batch_size=bs, verbose=0), 30)
    res["hand predict on one batch"] = cpu_us(lambda: hand.predict(x_small, bs), 30)
    return res


def _fused_variant(wl, x, y):
    from kerastorch import losses
    torch.manual_seed(0)
    stack = wl.kt(layers)
    last = stack[-1]
    act = kerastorch.activations.serialize(last.activation)
    stack[-1] = layers.Dense(last.units)           # same layer, linear
    base = losses.CategoricalCrossentropy() if wl.task == "categorical" else losses.BinaryCrossentropy()
    model = kerastorch.Sequential(stack)
    model.compile(optimizer=kerastorch.optimizers.Adam(learning_rate=1e-3, epsilon=1e-7),
                  loss=losses.fused_from_logits(base, act), metrics=["accuracy"])
    model.fit(x[:wl.batch_size * 2], y[:wl.batch_size * 2], batch_size=wl.batch_size, verbose=0)
    return model


def print_table(name, res):
    print(f"\n### {name}\n")
    print("| part | µs per step |\n|---|---:|")
    for k, v in res.items():
        print(f"| {k} | {v:.1f} |")


def top_cprofile(wl, samples):
    model, _, x, y = build(wl, samples)
    prof = cProfile.Profile()
    prof.enable()
    model.fit(x, y, batch_size=wl.batch_size, epochs=1, verbose=0)
    prof.disable()
    s = io.StringIO()
    pstats.Stats(prof, stream=s).sort_stats("tottime").print_stats(25)
    print(s.getvalue())


def op_counts(wl, samples):
    """aten ops dispatched per step by fit and by the hand loop (each op costs ~1-5 µs of CPU)."""
    from torch.profiler import ProfilerActivity, profile as tprof
    model, hand, x, y = build(wl, samples)
    steps = samples // wl.batch_size
    for name, fn in (("kerastorch fit", lambda: model.fit(x, y, batch_size=wl.batch_size, verbose=0)),
                     ("hand loop", hand.epoch)):
        with tprof(activities=[ProfilerActivity.CPU]) as p:
            fn()
        events = [e for e in p.key_averages() if e.key.startswith("aten::")]
        counts = sorted(((e.count / steps, e.key) for e in events), reverse=True)
        top = [(c, k) for c, k in counts if c >= 0.99]
        print(f"\n{name}: {sum(c for c, _ in counts):.0f} aten ops/step (nested included); "
              + ", ".join(f"{k[6:]}×{c:.0f}" for c, k in top[:30]))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--workloads", default="tiny,mlp32")
    p.add_argument("--samples", type=int, default=4096)
    p.add_argument("--n", type=int, default=300, help="calls per timing")
    p.add_argument("--cprofile", action="store_true")
    p.add_argument("--ops", action="store_true")
    p.add_argument("--threads", type=int, default=1)
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, {args.threads} torch thread(s), load average {os.getloadavg()[0]:.1f}")
    for name in args.workloads.split(","):
        wl = bt.WORKLOADS[name]
        samples = args.samples - args.samples % wl.batch_size
        print_table(wl.title, profile(wl, samples, args.n))
        if args.ops:
            op_counts(wl, samples)
        if args.cprofile:
            top_cprofile(wl, samples)


if __name__ == "__main__":
    main()
