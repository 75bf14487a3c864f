"""Functional-model training speed: kerastorch `fit` against a hand-made torch loop and real Keras 3.

Three workloads, each run in one process with its contenders interleaved (one warm-up epoch
each, then `--reps` timed epochs, the order rotating every repetition; medians reported):

    (a) cnn       a residual CNN (Conv2D + BatchNormalization + Add, 16x16x3, batch 64),
    (b) two_input a two-input model (32 + 16 features, Dense towers joined by Concatenate, batch 64),
        each as a kerastorch Functional model (`fit(..., epochs=1)`), as the same network written
        as a `torch.nn.Module` trained by the fastest hand loop (both of per-batch index gather
        and per-epoch permuted copy are timed, the faster is the reference), and as real Keras 3
        on torch (skipped when not importable);
    (c) deep_mlp  the per-step time of a 20-layer Functional MLP (width 8, batch 16: overhead
        dominates) against the same layers as a kerastorch `Sequential`.

The hand loop is an expert's: logits with the fused `F.cross_entropy`, `torch.optim.Adam`
(`fused=True` where it runs on the device, else `foreach=True`; lr 1e-3, eps 1e-7),
`zero_grad(set_to_none=True)`, a `torch.randperm` shuffle, the loss summed on the device and read
once per epoch. Everyone trains with Adam on the same synthetic data.

    python benchmarks/bench_functional.py                     # all three, default reps
    python benchmarks/bench_functional.py --workloads cnn --reps 9 --threads 1

Goals: (a) and (b) within 1.05x of the hand loop; (c) within 5% of the Sequential model.
"""

import argparse
import os
import platform
import statistics
import sys
import time

os.environ.setdefault("KERAS_BACKEND", "torch")

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.environ.get("KT_BENCH_ROOT") or os.path.dirname(HERE))

LR, EPS = 1e-3, 1e-7


# ---------------------------------------------------------------------------- data
def data_cnn(n, rng):
    x = rng.random((n, 16, 16, 3), dtype=np.float32)
    w = rng.standard_normal((3, 10)).astype(np.float32)
    return [x], np.eye(10, dtype=np.float32)[(x.mean((1, 2)) @ w).argmax(1)]


def data_two_input(n, rng):
    a = rng.standard_normal((n, 32), dtype=np.float32)
    b = rng.standard_normal((n, 16), dtype=np.float32)
    w = rng.standard_normal((48, 10)).astype(np.float32)
    return [a, b], np.eye(10, dtype=np.float32)[(np.concatenate([a, b], 1) @ w).argmax(1)]


def data_deep_mlp(n, rng):
    x = rng.standard_normal((n, 8), dtype=np.float32)
    return [x], np.eye(2, dtype=np.float32)[(x.sum(1) > 0).astype(int)]


# ---------------------------------------------------------------------------- the models, written once
def build_cnn(lib):
    layers = lib.layers
    image = lib.Input(shape=(16, 16, 3), name="image")
    stem = layers.Conv2D(16, 3, padding="same", use_bias=False)(image)
    x = layers.Activation("relu")(layers.BatchNormalization()(stem))
    x = layers.Conv2D(16, 3, padding="same", use_bias=False)(x)
    x = layers.BatchNormalization()(x)
    x = layers.Activation("relu")(layers.Add()([x, stem]))
    x = layers.GlobalAveragePooling2D()(x)
    return lib.Model(image, layers.Dense(10, activation="softmax")(x))


def build_two_input(lib):
    layers = lib.layers
    a = lib.Input(shape=(32,), name="a")
    b = lib.Input(shape=(16,), name="b")
    x = layers.Concatenate()([layers.Dense(64, activation="relu")(a), layers.Dense(32, activation="relu")(b)])
    x = layers.Dense(64, activation="relu")(x)
    return lib.Model([a, b], layers.Dense(10, activation="softmax")(x))


DEPTH, WIDTH = 20, 8


def _deep_layers(layers):
    return [layers.Dense(WIDTH, activation="relu") for _ in range(DEPTH - 1)] + \
        [layers.Dense(2, activation="softmax")]


def build_deep_functional(lib):
    x = inputs = lib.Input(shape=(WIDTH,))
    for layer in _deep_layers(lib.layers):
        x = layer(x)
    return lib.Model(inputs, x)


def build_deep_sequential(lib):
    return lib.Sequential([lib.Input(shape=(WIDTH,)), *_deep_layers(lib.layers)])


class TorchCNN(torch.nn.Module):
    """The residual CNN in NCHW, channels_last memory (the NHWC data is a free view)."""

    def __init__(self):
        super().__init__()
        nn = torch.nn
        self.stem = nn.Conv2d(3, 16, 3, padding=1, bias=False)
        self.bn_1 = nn.BatchNorm2d(16, eps=1e-3, momentum=0.01)        # Keras' BN defaults
        self.conv_2 = nn.Conv2d(16, 16, 3, padding=1, bias=False)
        self.bn_2 = nn.BatchNorm2d(16, eps=1e-3, momentum=0.01)
        self.head = nn.Linear(16, 10)

    def forward(self, x):
        stem = self.stem(x.permute(0, 3, 1, 2))
        h = self.bn_2(self.conv_2(torch.relu(self.bn_1(stem))))
        return self.head(torch.relu(h + stem).mean((2, 3)))


class TorchTwoInput(torch.nn.Module):
    def __init__(self):
        super().__init__()
        nn = torch.nn
        self.a, self.b = nn.Linear(32, 64), nn.Linear(16, 32)
        self.hidden, self.out = nn.Linear(96, 64), nn.Linear(64, 10)

    def forward(self, a, b):
        x = torch.cat([torch.relu(self.a(a)), torch.relu(self.b(b))], 1)
        return self.out(torch.relu(self.hidden(x)))


def _glorot(model):
    for m in model.modules():
        if isinstance(m, (torch.nn.Linear, torch.nn.Conv2d)):
            torch.nn.init.xavier_uniform_(m.weight)
            if m.bias is not None:
                torch.nn.init.zeros_(m.bias)
    return model


# ---------------------------------------------------------------------------- contenders
def _adam(params, device):
    try:
        return torch.optim.Adam(params, lr=LR, eps=EPS, fused=True), "fused"
    except (RuntimeError, TypeError, ValueError):
        return torch.optim.Adam(params, lr=LR, eps=EPS, foreach=True), "foreach"


class HandLoop:
    """An expert's loop; `mode` "gather" cuts each batch by index, "copy" permutes the data once per epoch."""

    def __init__(self, module, xs, y, batch_size, mode, device):
        self.module = module.to(device)
        if isinstance(module, TorchCNN):
            self.module = self.module.to(memory_format=torch.channels_last)
        self.xs = [torch.as_tensor(x, device=device) for x in xs]
        self.y = torch.as_tensor(y.argmax(1), device=device)
        self.batch_size, self.mode = batch_size, mode
        self.optimizer, self.kind = _adam(self.module.parameters(), device)

    def epoch(self):
        module, optimizer, bs = self.module, self.optimizer, self.batch_size
        n = self.y.shape[0]
        perm = torch.randperm(n, device=self.y.device)
        if self.mode == "copy":
            xs, y = [x[perm] for x in self.xs], self.y[perm]
        total = torch.zeros((), device=self.y.device)
        module.train()
        for start in range(0, n, bs):
            if self.mode == "copy":
                bx, by = [x[start:start + bs] for x in xs], y[start:start + bs]
            else:
                idx = perm[start:start + bs]
                bx, by = [x[idx] for x in self.xs], self.y[idx]
            loss = F.cross_entropy(module(*bx), by)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            total += loss.detach()
        return float(total) / -(-n // bs)


class FitLoop:
    """`model.fit(x, y, batch_size, epochs=1, verbose=0)` of a compiled kerastorch or Keras model."""

    def __init__(self, lib, model, xs, y, batch_size):
        model.compile(optimizer=lib.optimizers.Adam(learning_rate=LR, epsilon=EPS), loss="categorical_crossentropy")
        self.model, self.x, self.y, self.batch_size = model, xs[0] if len(xs) == 1 else xs, y, batch_size

    def epoch(self):
        history = self.model.fit(self.x, self.y, batch_size=self.batch_size, epochs=1, verbose=0, shuffle=True)
        return history.history["loss"][-1]


def _keras():
    try:
        import keras
    except Exception as e:  # noqa: BLE001 - reported, the rest still runs
        return None, f"{type(e).__name__}: {e}"
    if keras.backend.backend() != "torch":
        return None, f"Keras runs on {keras.backend.backend()!r}, not torch"
    return keras, ""


WORKLOADS = {
    "cnn": dict(title="(a) residual CNN 16x16x3 (Conv2D+BN+Add), batch 64", samples=2048, batch_size=64,
                data=data_cnn, build=build_cnn, torch_model=TorchCNN),
    "two_input": dict(title="(b) two-input model 32+16 -> Concatenate -> 64 -> 10, batch 64", samples=8192,
                      batch_size=64, data=data_two_input, build=build_two_input, torch_model=TorchTwoInput),
    "deep_mlp": dict(title=f"(c) {DEPTH}-layer MLP width {WIDTH}, batch 16: Functional vs Sequential",
                     samples=2048, batch_size=16, data=data_deep_mlp, build=None, torch_model=None),
}


def contenders_for(name, spec, xs, y, device, with_keras):
    import kerastorch

    kerastorch.config.set_device(device)
    bs = spec["batch_size"]
    out = {}
    if name == "deep_mlp":
        out["kt_functional"] = FitLoop(kerastorch, build_deep_functional(kerastorch), xs, y, bs)
        out["kt_sequential"] = FitLoop(kerastorch, build_deep_sequential(kerastorch), xs, y, bs)
        return out, "kt_sequential", ""
    out["kerastorch"] = FitLoop(kerastorch, spec["build"](kerastorch), xs, y, bs)
    for mode in ("gather", "copy"):
        torch.manual_seed(0)
        out[f"torch_{mode}"] = HandLoop(_glorot(spec["torch_model"]()), xs, y, bs, mode, device)
    note = ""
    if with_keras:
        keras, why = _keras()
        if keras is None:
            note = f"keras skipped: {why}"
        else:
            out["keras"] = FitLoop(keras, spec["build"](keras), xs, y, bs)
    return out, None, note


def run_workload(name, spec, reps, device, with_keras, seed):
    rng = np.random.default_rng(seed)
    xs, y = spec["data"](spec["samples"], rng)
    contenders, reference, note = contenders_for(name, spec, xs, y, device, with_keras)
    names = list(contenders)
    times = {k: [] for k in names}
    cpu = {k: [] for k in names}
    losses = {}
    for k in names:                                          # warm-up epoch each
        contenders[k].epoch()
    for rep in range(reps):
        shift = rep % len(names)
        for k in names[shift:] + names[:shift]:
            start, start_cpu = time.perf_counter(), time.process_time()
            losses[k] = contenders[k].epoch()
            times[k].append(time.perf_counter() - start)
            cpu[k].append(time.process_time() - start_cpu)
    medians = {k: statistics.median(v) for k, v in times.items()}
    cpu_medians = {k: statistics.median(v) for k, v in cpu.items()}
    if reference is None:
        reference = min(("torch_gather", "torch_copy"), key=medians.get)
    steps = -(-spec["samples"] // spec["batch_size"])
    print(f"\n{spec['title']}: {spec['samples']} samples, {steps} steps/epoch, {reps} interleaved epochs")
    if note:
        print(f"  ({note})")
    print(f"  {'contender':<15}{'median s':>10}{'min s':>9}{'samples/s':>12}{'us/step':>10}{'ratio':>8}"
          f"{'CPU s':>9}{'CPU ratio':>10}{'last loss':>11}")
    for k in names:
        med = medians[k]
        mark = "  <- reference" if k == reference else ""
        print(f"  {k:<15}{med:>10.4f}{min(times[k]):>9.4f}{spec['samples'] / med:>12.0f}{1e6 * med / steps:>10.1f}"
              f"{med / medians[reference]:>8.3f}{cpu_medians[k]:>9.4f}{cpu_medians[k] / cpu_medians[reference]:>10.3f}"
              f"{losses[k]:>11.4f}{mark}")
    if name != "deep_mlp":
        kinds = {contenders[k].kind for k in names if k.startswith("torch_")}
        print(f"  hand loop Adam: {', '.join(sorted(kinds))}")
    return medians, reference


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workloads", default=",".join(WORKLOADS), help="comma separated: " + ", ".join(WORKLOADS))
    parser.add_argument("--reps", type=int, default=7, help="timed epochs per contender (default 7)")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, default=0, help="torch.set_num_threads (0: torch's default)")
    parser.add_argument("--no-keras", action="store_true", help="leave real Keras out")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"bench_functional: torch {torch.__version__}, {platform.processor() or platform.machine()}, "
          f"{torch.get_num_threads()} threads, device {args.device}, load average {load:.2f}")
    for name in args.workloads.split(","):
        torch.manual_seed(args.seed)
        run_workload(name, WORKLOADS[name], args.reps, args.device, not args.no_keras, args.seed)


if __name__ == "__main__":
    main()
