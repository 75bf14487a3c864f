"""Training-speed benchmark: kerastorch `fit` against a hand-written PyTorch loop and real Keras 3.

Every contender trains the same model on the same synthetic data (fixed seed), the same
number of samples per epoch, with Adam (lr 1e-3, epsilon 1e-7) and a train-accuracy metric, from
the same initial weights: kerastorch's (Keras' initializers), converted to torch's layouts for the
hand loop and checked by comparing the contenders' predictions before training. Torch's generator
is seeded before each contender's epoch, so kerastorch and the hand loop (both `torch.randperm`)
shuffle alike: their final losses agree to float rounding where nothing else differs. Two things
do, a little: dropout masks (the CNN), and Adam's epsilon, which Keras adds to sqrt(v) and torch
to sqrt(v / (1 - beta_2^t)). Keras shuffles with its own generator.

Contenders run in one process, interleaved epoch by epoch, each epoch in the next of a balanced set
of orders (`contender_orders`), after one warm-up epoch each; the median epoch time is reported.
Peak memory is measured in a separate child process per contender (`VmHWM`, or
`torch.cuda.max_memory_allocated` on CUDA).

    python benchmarks/bench_training.py                       # all workloads, CPU
    python benchmarks/bench_training.py --workloads mlp32,tiny --epochs 3 --no-memory
    python benchmarks/bench_training.py --device cuda --jit    # untested on this machine

Contenders:
    kerastorch  `model.fit(x, y, batch_size, epochs=1, verbose=0)` per epoch.
    torch       an expert's loop: `torch.nn` modules (logits + fused `F.cross_entropy`),
                `torch.optim.Adam(fused=True, eps=1e-7)`, `zero_grad(set_to_none=True)`,
                `torch.randperm` shuffle, batches cut by index from resident tensors, loss and
                accuracy accumulated on the device, one read-back per epoch.
    keras       real Keras 3 on its torch backend (skipped when not importable).
"""

import argparse
import datetime
import itertools
import json
import os
import platform
import statistics
import subprocess
import sys
import time

os.environ.setdefault("KERAS_BACKEND", "torch")

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
# The kerastorch to measure: this checkout, or another tree (a snapshot, a branch) via KT_BENCH_ROOT.
sys.path.insert(0, os.environ.get("KT_BENCH_ROOT") or os.path.dirname(HERE))

CONTENDERS = ("kerastorch", "torch", "keras")
LR, EPS = 1e-3, 1e-7


# ---------------------------------------------------------------------------- workloads
class Workload:
    """A model architecture in three spellings, its data, and its batch size."""

    def __init__(self, name, title, batch_size, samples, make_data, kt, keras_layers, torch_model,
                 task, available=lambda: (True, "")):
        self.name, self.title, self.batch_size, self.samples = name, title, batch_size, samples
        self.make_data, self.kt, self.keras_layers, self.torch_model = make_data, kt, keras_layers, torch_model
        self.task = task                # "categorical" (one-hot y) | "binary" (y in {0,1}, shape (n, 1))
        self.available = available


def _labels_from_projection(x2d, classes, rng):
    w = rng.standard_normal((x2d.shape[1], classes)).astype(np.float32)
    return (x2d @ w).argmax(1)


def _one_hot(ids, classes):
    return np.eye(classes, dtype=np.float32)[ids]


def data_mlp(n, rng):
    x = rng.standard_normal((n, 784), dtype=np.float32)
    return x, _one_hot(_labels_from_projection(x, 10, rng), 10)


def data_cnn(n, rng):
    x = rng.random((n, 28, 28, 3), dtype=np.float32)
    pooled = x.reshape(n, 7, 4, 7, 4, 3).mean((2, 4)).reshape(n, -1)   # a learnable, coarse signal
    pooled = pooled - pooled.mean(0)
    return x, _one_hot(_labels_from_projection(pooled, 10, rng), 10)


def data_bn(n, rng):
    x = rng.standard_normal((n, 100), dtype=np.float32)
    w = rng.standard_normal(100).astype(np.float32)
    return x, (x @ w + 0.5 * np.sin(3 * x[:, 0]) > 0).astype(np.float32)[:, None]


def data_tiny(n, rng):
    x = rng.standard_normal((n, 16), dtype=np.float32)
    w = rng.standard_normal(16).astype(np.float32)
    return x, (x @ w > 0).astype(np.float32)[:, None]


VOCAB, SEQ = 1000, 40


def data_text(n, rng):
    x = rng.integers(1, VOCAB, size=(n, SEQ))
    return x.astype(np.int64), ((x < VOCAB // 4).sum(1) > SEQ // 4).astype(np.float32)[:, None]


def _glorot(model):
    """Keras' initialization (glorot_uniform kernels, zero biases), so losses are comparable."""
    for m in model.modules():
        if isinstance(m, (torch.nn.Linear, torch.nn.Conv2d)):
            torch.nn.init.xavier_uniform_(m.weight)
            torch.nn.init.zeros_(m.bias)
    return model


def load_keras_weights(model, weights):
    """Sets a hand-loop `model` to Keras-format `weights` (`get_weights()` of the same architecture),
    so the contenders start from the same point: Dense kernels transposed, Conv2D kernels from
    (h, w, in, out) to (out, in, h, w), BatchNormalization's four arrays, an LSTM's kernels transposed
    (Keras' gate order i, f, c, o is torch's i, f, g, o) with a zero `bias_hh`."""
    nn = torch.nn
    queue = [torch.from_numpy(np.asarray(w, dtype=np.float32)) for w in weights]
    take = lambda: queue.pop(0)                                    # noqa: E731
    reorder = getattr(model, "flatten_hwc", {})
    with torch.no_grad():
        for name, m in model.named_modules():
            if isinstance(m, nn.Linear):
                kernel = take()
                if name in reorder:                                # rows (h, w, c) -> columns (c, h, w)
                    kernel = kernel.reshape(*reorder[name], -1).permute(2, 0, 1, 3).reshape(kernel.shape)
                m.weight.copy_(kernel.T)
                m.bias.copy_(take())
            elif isinstance(m, nn.Conv2d):
                m.weight.copy_(take().permute(3, 2, 0, 1))
                m.bias.copy_(take())
            elif isinstance(m, nn.BatchNorm1d):
                for t in (m.weight, m.bias, m.running_mean, m.running_var):
                    t.copy_(take())
            elif isinstance(m, nn.Embedding):
                m.weight.copy_(take())
            elif isinstance(m, nn.LSTM):
                m.weight_ih_l0.copy_(take().T)
                m.weight_hh_l0.copy_(take().T)
                m.bias_ih_l0.copy_(take())
                m.bias_hh_l0.zero_()
    if queue:
        raise ValueError(f"{len(queue)} weight arrays left over: not the same architecture")
    return model


def torch_mlp():
    nn = torch.nn
    return _glorot(nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10)))


class _TorchCNN(torch.nn.Module):
    """The CNN in NCHW with channels_last memory format (the data arrives NHWC: a free view)."""

    # Its Flatten reads (C, H, W); Keras' reads (H, W, C): the first Dense kernel's rows are reordered.
    flatten_hwc = {"head.2": (7, 7, 64)}

    def __init__(self):
        super().__init__()
        nn = torch.nn
        self.features = nn.Sequential(nn.Conv2d(3, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                                      nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2))
        self.head = nn.Sequential(nn.Flatten(), nn.Dropout(0.5), nn.Linear(64 * 7 * 7, 128), nn.ReLU(),
                                  nn.Linear(128, 10))

    def forward(self, x):                                   # x: (N, H, W, C)
        return self.head(self.features(x.permute(0, 3, 1, 2)))


def torch_cnn():
    return _glorot(_TorchCNN()).to(memory_format=torch.channels_last)


def torch_bn():
    nn = torch.nn
    bn = lambda f: nn.BatchNorm1d(f, eps=1e-3, momentum=0.01)   # noqa: E731  Keras' BN defaults
    return _glorot(nn.Sequential(nn.Linear(100, 256), bn(256), nn.ReLU(), nn.Linear(256, 128), bn(128),
                                 nn.ReLU(), nn.Linear(128, 1)))


def torch_tiny():
    nn = torch.nn
    return _glorot(nn.Sequential(nn.Linear(16, 8), nn.ReLU(), nn.Linear(8, 1)))


class _TorchText(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = torch.nn.Embedding(VOCAB, 32)
        torch.nn.init.uniform_(self.embed.weight, -0.05, 0.05)
        self.lstm = torch.nn.LSTM(32, 32, batch_first=True)
        # Keras' LSTM has one bias; torch's has two (b_ih + b_hh), and training both would step their
        # sum twice as far as Keras steps its one. b_hh stays zero, untrained: the same model.
        with torch.no_grad():
            self.lstm.bias_hh_l0.zero_()
        self.lstm.bias_hh_l0.requires_grad_(False)
        self.out = _glorot(torch.nn.Linear(32, 1))

    def forward(self, x):
        _, (h, _) = self.lstm(self.embed(x))
        return self.out(h[-1])


def _spec_mlp(L):
    return [L.Input(shape=(784,)), L.Dense(128, activation="relu"), L.Dense(10, activation="softmax")]


def _spec_cnn(L):
    return [L.Input(shape=(28, 28, 3)), L.Conv2D(32, (3, 3), activation="relu", padding="same"),
            L.MaxPooling2D((2, 2)), L.Conv2D(64, (3, 3), activation="relu", padding="same"),
            L.MaxPooling2D((2, 2)), L.Flatten(), L.Dropout(0.5), L.Dense(128, activation="relu"),
            L.Dense(10, activation="softmax")]


def _spec_bn(L):
    return [L.Input(shape=(100,)), L.Dense(256), L.BatchNormalization(), L.Activation("relu"),
            L.Dense(128), L.BatchNormalization(), L.Activation("relu"), L.Dense(1, activation="sigmoid")]


def _spec_tiny(L):
    return [L.Input(shape=(16,)), L.Dense(8, activation="relu"), L.Dense(1, activation="sigmoid")]


def _spec_text(L):
    return [L.Input(shape=(SEQ,), dtype="int64"), L.Embedding(VOCAB, 32), L.LSTM(32),
            L.Dense(1, activation="sigmoid")]


def _lstm_available():
    try:
        from kerastorch import layers
    except Exception as e:   # noqa: BLE001
        return False, f"kerastorch does not import: {e}"
    if not hasattr(layers, "LSTM"):
        return False, "kerastorch.layers.LSTM does not exist yet"
    return True, ""


WORKLOADS = {
    "mlp32": Workload("mlp32", "MLP 784-128-10, batch 32", 32, 16000, data_mlp, _spec_mlp, _spec_mlp,
                      torch_mlp, "categorical"),
    "mlp256": Workload("mlp256", "MLP 784-128-10, batch 256", 256, 60000, data_mlp, _spec_mlp, _spec_mlp,
                       torch_mlp, "categorical"),
    "cnn": Workload("cnn", "CNN 28x28x3, batch 64", 64, 2048, data_cnn, _spec_cnn, _spec_cnn, torch_cnn,
                    "categorical"),
    "bn": Workload("bn", "BatchNorm MLP 100-256-128-1, batch 64", 64, 10000, data_bn, _spec_bn, _spec_bn,
                   torch_bn, "binary"),
    "tiny": Workload("tiny", "Tiny 16-8-1, batch 16", 16, 8000, data_tiny, _spec_tiny, _spec_tiny,
                     torch_tiny, "binary"),
    "text": Workload("text", f"Embedding({VOCAB},32)+LSTM(32), seq {SEQ}, batch 32", 32, 2048, data_text,
                     _spec_text, _spec_text, _TorchText, "binary", available=_lstm_available),
}


def _loss_name(task):
    return "categorical_crossentropy" if task == "categorical" else "binary_crossentropy"


# ---------------------------------------------------------------------------- devices
class Device:
    def __init__(self, kind):
        self.kind = kind
        self.torch = torch.device(kind)

    def sync(self):
        if self.kind == "cuda":
            torch.cuda.synchronize()

    def timed(self, fn):
        """Wall seconds of `fn()`; `self.last_cpu` gets the process CPU seconds it used (all threads)."""
        self.sync()
        c0, t0 = time.process_time(), time.perf_counter()
        out = fn()
        self.sync()
        self.last_cpu = time.process_time() - c0
        return time.perf_counter() - t0, out


# ---------------------------------------------------------------------------- contenders
class Unsupported(Exception):
    """A contender cannot run this configuration; the message says why."""


class KerastorchContender:
    name = "kerastorch"

    def __init__(self, wl, data, device, args):
        import kerastorch
        from kerastorch import layers

        if args.mixed_precision:
            kerastorch.mixed_precision.set_global_policy("mixed_bfloat16")
        kerastorch.config.set_device(device.kind)
        torch.manual_seed(args.seed)
        self.wl, self.data, self.device = wl, data, device
        self.model = kerastorch.Sequential(wl.kt(layers))
        compile_kwargs = dict(optimizer=kerastorch.optimizers.Adam(learning_rate=LR, epsilon=EPS),
                              loss=_loss_name(wl.task), metrics=["accuracy"])
        if args.jit:
            compile_kwargs["jit_compile"] = True
        self.model.compile(**compile_kwargs)
        self.initial_weights = self.model.get_weights()      # the other contenders start from these
        self.note = ""
        self.last_loss = float("nan")

    def epoch(self):
        x, y = self.data["train"]
        history = self.model.fit(x, y, batch_size=self.wl.batch_size, epochs=1, verbose=0, shuffle=True)
        self.last_loss = history.history["loss"][-1]

    def predict(self, x, batch_size):
        return self.model.predict(x, batch_size=batch_size, verbose=0)

    def evaluate(self, x, y, batch_size):
        return self.model.evaluate(x, y, batch_size=batch_size, verbose=0)


class TorchContender:
    name = "torch"

    def __init__(self, wl, data, device, args, init=None):
        torch.manual_seed(args.seed)
        self.wl, self.device = wl, device
        self.model = wl.torch_model()
        if init is not None:
            load_keras_weights(self.model, init)
        self.model = self.model.to(device.torch)
        # fused=True: torch's fastest Adam (one kernel for all parameters, CPU and CUDA), the
        # choice an expert makes; kerastorch's Adam runs the same kernel.
        self.opt = torch.optim.Adam([p for p in self.model.parameters() if p.requires_grad], lr=LR, eps=EPS,
                                    fused=True)
        self.amp = args.mixed_precision == "bf16"
        x, y = data["train"]
        # Moved to the device once; targets as the loss wants them (class ids / float column).
        self.x = torch.from_numpy(x).to(device.torch)
        self.y = torch.from_numpy(y.argmax(1) if wl.task == "categorical" else y).to(device.torch)
        self.step_fn = self._step
        self.note = ""
        if args.jit:
            self.step_fn = torch.compile(self._step)
            self.note = "torch.compile(step)"
        self.last_loss = float("nan")

    def _loss_and_correct(self, logits, y):
        if self.wl.task == "categorical":
            return F.cross_entropy(logits, y), (logits.argmax(1) == y).sum()
        return F.binary_cross_entropy_with_logits(logits, y), ((logits > 0) == (y > 0.5)).sum()

    def _step(self, xb, yb):
        self.opt.zero_grad(set_to_none=True)
        with torch.autocast(self.device.kind, dtype=torch.bfloat16, enabled=self.amp):
            logits = self.model(xb)
        loss, correct = self._loss_and_correct(logits.float(), yb)
        loss.backward()
        self.opt.step()
        return loss.detach(), correct

    def epoch(self):
        self.model.train()
        n, bs = self.x.shape[0], self.wl.batch_size
        order = torch.randperm(n, device=self.device.torch)
        total = torch.zeros((), device=self.device.torch)
        correct = torch.zeros((), dtype=torch.long, device=self.device.torch)
        for start in range(0, n, bs):
            idx = order[start:start + bs]
            xb, yb = self.x.index_select(0, idx), self.y.index_select(0, idx)
            loss, c = self.step_fn(xb, yb)
            total += loss * xb.shape[0]
            correct += c
        self.last_loss = (total / n).item()         # the one read-back of the epoch

    def predict(self, x, batch_size):
        """An expert's inference loop: inference_mode, batches as slices (views, no gather), the
        activation written straight into one preallocated output, one copy to the host at the end."""
        self.model.eval()
        xt = torch.from_numpy(x).to(self.device.torch)
        n = xt.shape[0]
        out = torch.empty((n, 10 if self.wl.task == "categorical" else 1), device=self.device.torch)
        categorical = self.wl.task == "categorical"
        with torch.inference_mode():
            for start in range(0, n, batch_size):
                logits = self.model(xt[start:start + batch_size])
                if categorical:
                    torch.softmax(logits, 1, out=out[start:start + batch_size])
                else:
                    torch.sigmoid(logits, out=out[start:start + batch_size])
        self.model.train()
        return out.cpu().numpy()

    def evaluate(self, x, y, batch_size):
        """Loss and accuracy over batches (slices), summed on the device, one read-back at the end."""
        self.model.eval()
        xt = torch.from_numpy(x).to(self.device.torch)
        yt = torch.from_numpy(y.argmax(1) if self.wl.task == "categorical" else y).to(self.device.torch)
        n = xt.shape[0]
        total = torch.zeros((), device=self.device.torch)
        correct = torch.zeros((), dtype=torch.long, device=self.device.torch)
        with torch.inference_mode():
            for start in range(0, n, batch_size):
                yb = yt[start:start + batch_size]
                loss, c = self._loss_and_correct(self.model(xt[start:start + batch_size]), yb)
                total += loss * yb.shape[0]
                correct += c
        self.model.train()
        return [(total / n).item(), correct.item() / n]


class KerasContender:
    name = "keras"

    def __init__(self, wl, data, device, args, init=None):
        try:
            import keras
        except Exception as e:   # noqa: BLE001
            raise Unsupported(f"keras not importable: {type(e).__name__}: {e}")
        if keras.backend.backend() != "torch":
            raise Unsupported(f"keras runs on {keras.backend.backend()!r}, not torch (set KERAS_BACKEND=torch)")
        if args.mixed_precision:
            keras.mixed_precision.set_global_policy("mixed_bfloat16")
        keras.utils.set_random_seed(args.seed)
        self.wl, self.data = wl, data
        self.model = keras.Sequential(wl.keras_layers(keras.layers))
        if init is not None:
            self.model.set_weights(init)
        self.model.compile(optimizer=keras.optimizers.Adam(learning_rate=LR, epsilon=EPS),
                           loss=_loss_name(wl.task), metrics=["accuracy"], jit_compile=bool(args.jit))
        self.note = "jit_compile=True" if args.jit else ""
        self.last_loss = float("nan")

    def epoch(self):
        x, y = self.data["train"]
        history = self.model.fit(x, y, batch_size=self.wl.batch_size, epochs=1, verbose=0, shuffle=True)
        self.last_loss = history.history["loss"][-1]

    def predict(self, x, batch_size):
        return np.asarray(self.model.predict(x, batch_size=batch_size, verbose=0))

    def evaluate(self, x, y, batch_size):
        return self.model.evaluate(x, y, batch_size=batch_size, verbose=0)


CONTENDER_CLASSES = {c.name: c for c in (KerastorchContender, TorchContender, KerasContender)}


# ---------------------------------------------------------------------------- measuring
def make_data(wl, samples, seed):
    rng = np.random.default_rng(seed)
    n_test = max(wl.batch_size * 4, samples // 5)
    x, y = wl.make_data(samples + n_test, rng)
    return {"train": (x[:samples], y[:samples]), "test": (x[samples:], y[samples:])}


def accuracy(wl, pred, y):
    if wl.task == "categorical":
        return float((pred.argmax(1) == y.argmax(1)).mean())
    return float(((pred.reshape(-1) > 0.5) == (y.reshape(-1) > 0.5)).mean())


class _CountCompile:
    """Counts `torch.compile` calls, to tell whether a `jit_compile=True` was acted on."""

    def __enter__(self):
        self.calls, self._orig = 0, torch.compile

        def counting(*a, **k):
            self.calls += 1
            return self._orig(*a, **k)
        torch.compile = counting
        return self

    def __exit__(self, *exc):
        torch.compile = self._orig


def run_workload(wl, args, device):
    samples = args.samples or wl.samples
    data = make_data(wl, samples, args.seed)
    contenders, notes, compiles = {}, {}, {}
    init = None           # kerastorch's initial weights, when it runs: every contender starts from them
    for name in args.contenders:
        try:
            with _CountCompile() as cc:
                extra = {"init": init} if name != "kerastorch" else {}
                contender = CONTENDER_CLASSES[name](wl, data, device, args, **extra)
        except Unsupported as e:
            notes[name] = f"skipped: {e}"
            continue
        if name == "kerastorch":
            init = contender.initial_weights
        contenders[name], compiles[name] = contender, cc.calls
    with _CountCompile() as cc:            # kerastorch may make its compiled steps at this first predict
        check_same_start(wl, contenders, data["test"][0][:64], args.predict_batch[-1])
    if "kerastorch" in compiles:
        compiles["kerastorch"] += cc.calls
    for name, contender in contenders.items():
        torch.manual_seed(args.seed)             # the same shuffle for kerastorch and the hand loop
        with _CountCompile() as cc:
            contender.warmup_s, _ = device.timed(contender.epoch)   # warm-up epoch (and lazy compiles)
        if args.jit and name == "kerastorch" and compiles[name] + cc.calls == 0:
            contender.note = "jit_compile=True accepted, runs eager (no torch.compile call)"
    times = {name: [] for name in contenders}
    cpu = {name: [] for name in contenders}
    orders = contender_orders(list(contenders))
    for epoch in range(args.epochs):
        for name in orders[epoch % len(orders)]:
            torch.manual_seed(args.seed + 1 + epoch)     # each epoch's shuffle the same for both (see top)
            t, _ = device.timed(contenders[name].epoch)
            times[name].append(t)
            cpu[name].append(device.last_cpu)
    x_test, y_test = data["test"]
    rows = {}
    steps = -(-samples // wl.batch_size)
    inference = inference_throughput(contenders, x_test, y_test, args, device)
    for name, c in contenders.items():
        pred = c.predict(x_test, args.predict_batch[-1])
        med = statistics.median(times[name])
        rows[name] = dict(epoch_s=med, epoch_min_s=min(times[name]), step_us=med / steps * 1e6,
                          cpu_s=statistics.median(cpu[name]),
                          loss=c.last_loss, acc=accuracy(wl, pred, y_test), note=c.note, **inference[name])
    return dict(workload=wl.name, title=wl.title, samples=samples, steps=steps, rows=rows, notes=notes,
                test_n=len(x_test),
                times=times)


def check_same_start(wl, contenders, x, batch_size):
    """Raises unless every contender predicts what kerastorch predicts before training (they start from
    its weights: a wrong conversion in `load_keras_weights` would make the losses incomparable)."""
    if "kerastorch" not in contenders:
        return
    reference = contenders["kerastorch"].predict(x, batch_size)
    for name, c in contenders.items():
        got = c.predict(x, batch_size)
        if not np.allclose(got, reference, rtol=1e-4, atol=1e-5):
            raise RuntimeError(f"{wl.name}: {name} does not start from kerastorch's weights (predictions differ "
                               f"by up to {np.abs(got - reference).max():.3g} before training)")


def contender_orders(names):
    """Orders of `names` for the interleaved runs to cycle through: a balanced Latin square (Williams'
    design), `len(names)` orders for an even number of names, twice that for an odd one (for three:
    all six).

    A call runs faster or slower depending on the call right before it (caches holding what it left:
    measured, not explained). With one cyclic order rotated, each contender's predecessor was almost
    always the same one: listed kerastorch, torch, keras, kerastorch ran right after a Keras call
    (10-100x its own length) and the hand loop right after kerastorch's. On the tiny model at batch 256
    (calls under a millisecond) that put kerastorch's predict at 0.93x and evaluate at 0.74x of the
    hand loop; over all the orders, the next run on the same code put them at 1.12x and 1.03x. Over
    these orders, every contender takes every place and comes right after every other contender
    equally often: use a number of epochs and repetitions that is a multiple of their count.

    Example:
    >>> contender_orders(["a", "b"])
    [('a', 'b'), ('b', 'a')]
    >>> sorted(contender_orders(["a", "b", "c"])) == sorted(itertools.permutations("abc"))
    True
    """
    n = len(names)
    first, low, high = [0], 1, n - 1           # 0, 1, n-1, 2, n-2, ...: each difference once
    while len(first) < n:
        first.append(low)
        low += 1
        if len(first) < n:
            first.append(high)
            high -= 1
    rows = [[(i + shift) % n for i in first] for shift in range(n)]
    if n % 2:
        rows += [row[::-1] for row in rows]
    return [tuple(names[i] for i in row) for row in rows]


def inference_throughput(contenders, x, y, args, device):
    """predict and evaluate samples/s per contender and batch size, over `args.inference_reps`
    repetitions after one warm-up call each; the median wall time, and the median process CPU time.

    The calls of one kind (`predict` or `evaluate` at one batch size) run as a group, every contender
    once, in the next of all the contenders' orders every repetition (`contender_orders`), and the
    groups' order shifts every full turn of the orders.
    """
    kinds = [(f"{what}{bs}", bs, what) for bs in args.predict_batch for what in ("predict", "evaluate")]
    names = list(contenders)
    groups = [[(key, name, (lambda c=contenders[name], bs=bs, what=what:
                            c.predict(x, bs) if what == "predict" else c.evaluate(x, y, bs)))
               for name in names] for key, bs, what in kinds]
    for group in groups:
        for _, _, fn in group:
            fn()
    wall, cpu = {}, {}
    orders = contender_orders(list(range(len(names))))
    for rep in range(args.inference_reps):
        order, shift = orders[rep % len(orders)], (rep // len(orders)) % len(groups)
        for group in groups[shift:] + groups[:shift]:
            for key, name, fn in (group[i] for i in order):
                t, _ = device.timed(fn)
                wall.setdefault((key, name), []).append(t)
                cpu.setdefault((key, name), []).append(device.last_cpu)
    out = {name: {} for name in contenders}
    for (key, name), ts in wall.items():
        out[name][key + "_sps"] = len(x) / statistics.median(ts)
        out[name][key + "_cpu_sps"] = len(x) / max(statistics.median(cpu[(key, name)]), 1e-9)
    return out


def child_memory(wl_name, contender, args):
    """Runs one contender on one workload in a fresh process; returns its peak memory (MiB)."""
    cmd = [sys.executable, os.path.abspath(__file__), "--_child", f"{wl_name}:{contender}",
           "--device", args.device, "--seed", str(args.seed), "--predict-batch", ",".join(map(str, args.predict_batch))]
    if args.samples:
        cmd += ["--samples", str(args.samples)]
    if args.threads:
        cmd += ["--threads", str(args.threads)]
    if args.jit:
        cmd.append("--jit")
    if args.mixed_precision:
        cmd += ["--mixed-precision", args.mixed_precision]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    for line in proc.stdout.splitlines()[::-1]:
        if line.startswith("{"):
            return json.loads(line)
    return {"error": (proc.stderr.strip().splitlines() or ["no output"])[-1]}


def _vm(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024        # kB -> MiB
    return float("nan")


def run_child(spec, args):
    wl_name, name = spec.split(":")
    wl = WORKLOADS[wl_name]
    device = Device(args.device)
    data = make_data(wl, args.samples or wl.samples, args.seed)
    if name == "keras":
        try:
            import keras  # noqa: F401  imported before the baseline, as the library itself costs memory
        except Exception:   # noqa: BLE001
            pass
    elif name == "kerastorch":
        import kerastorch  # noqa: F401
    # Load torch's lazily loaded kernels (autograd, oneDNN, foreach Adam) first, so that the
    # "over imports" figure is what the contender itself holds, not what torch loads once.
    w = torch.nn.Parameter(torch.ones(4, 4, device=device.torch))
    torch.optim.Adam([w], foreach=True).zero_grad()
    (w @ w).sum().backward()
    torch.optim.Adam([w], foreach=True).step()
    baseline = _vm("VmRSS")
    try:    # reset VmHWM to the current RSS, so making the data does not count in the peak
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        pass
    try:
        c = CONTENDER_CLASSES[name](wl, data, device, args)
    except Unsupported as e:
        print(json.dumps({"error": str(e)}))
        return
    if device.kind == "cuda":
        torch.cuda.reset_peak_memory_stats()
    c.epoch()
    c.predict(data["test"][0], args.predict_batch[-1])
    out = {"peak_rss_mib": _vm("VmHWM"), "baseline_rss_mib": baseline}
    if device.kind == "cuda":
        out["cuda_peak_mib"] = torch.cuda.max_memory_allocated() / 2**20
    print(json.dumps(out))


# ---------------------------------------------------------------------------- report
def markdown(results, memory, args):
    lines = [
        "| workload | contender | median epoch (s) | min epoch (s) | CPU s/epoch | µs/step | × hand loop (wall) | × hand loop (CPU) | final train loss | "
        "held-out acc | peak RSS (MiB) | RSS over imports (MiB) |"
        + (" CUDA peak (MiB) |" if args.device == "cuda" else ""),
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|" + ("---:|" if args.device == "cuda" else ""),
    ]
    notes = []
    for res in results:
        if "skipped" in res:
            notes.append(f"- **{res['workload']}**: skipped: {res['skipped']}")
            continue
        base = res["rows"].get("torch", {}).get("epoch_s")
        base_cpu = res["rows"].get("torch", {}).get("cpu_s")
        for name in CONTENDERS:
            if name not in res["rows"]:
                if name in res["notes"]:
                    notes.append(f"- **{res['workload']} / {name}**: {res['notes'][name]}")
                continue
            r = res["rows"][name]
            mem = memory.get((res["workload"], name), {})
            ratio = f"{r['epoch_s'] / base:.2f}" if base else "–"
            ratio_cpu = f"{r['cpu_s'] / base_cpu:.2f}" if base_cpu else "–"
            fmt = lambda k: (f"{mem[k]:.0f}" if k in mem else "–")   # noqa: E731
            lines.append(
                f"| {res['title']} ({res['samples']} samples, {res['steps']} steps) | {name} | {r['epoch_s']:.3f} | "
                f"{r['epoch_min_s']:.3f} | {r['cpu_s']:.3f} | "
                f"{r['step_us']:.0f} | {ratio} | {ratio_cpu} | {r['loss']:.4f} | {r['acc']:.3f} | "
                f"{fmt('peak_rss_mib')} | "
                + (f"{mem['peak_rss_mib'] - mem['baseline_rss_mib']:.0f}" if 'peak_rss_mib' in mem else "–")
                + " |" + (f" {fmt('cuda_peak_mib')} |" if args.device == "cuda" else ""))
            if r["note"]:
                notes.append(f"- **{res['workload']} / {name}**: {r['note']}")
            if "error" in mem:
                notes.append(f"- **{res['workload']} / {name}** memory child failed: {mem['error']}")
    return "\n".join(lines + ([""] + notes if notes else []) + ["", inference_markdown(results, args)])


def inference_markdown(results, args):
    """predict/evaluate throughput: samples/s (wall median) and the ratios to the hand loop."""
    pairs = [(what, bs) for bs in args.predict_batch for what in ("predict", "evaluate")]
    keys = [f"{what}{bs}" for what, bs in pairs]
    head = "| workload | contender |" + "".join(
        f" {what} b{bs} (samples/s) | × hand (wall) | × hand (CPU) |" for what, bs in pairs)
    lines = [head, "|---|---|" + "---:|---:|---:|" * len(keys)]
    for res in results:
        if "skipped" in res:
            continue
        hand = res["rows"].get("torch")
        for name in CONTENDERS:
            r = res["rows"].get(name)
            if r is None:
                continue
            cells = []
            for k in keys:
                ratio = f"{r[k + '_sps'] / hand[k + '_sps']:.2f}" if hand else "–"
                ratio_cpu = f"{r[k + '_cpu_sps'] / hand[k + '_cpu_sps']:.2f}" if hand else "–"
                cells.append(f" {r[k + '_sps']:,.0f} | {ratio} | {ratio_cpu} |")
            lines.append(f"| {res['title']} ({res['test_n']} held-out samples) | {name} |" + "".join(cells))
    return "\n".join(lines)


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    p.add_argument("--epochs", type=int, default=6, help="timed epochs per contender (after 1 warm-up); a multiple "
                   "of the number of the contenders' orders (6 for three) balances who runs after whom")
    p.add_argument("--samples", type=int, default=None, help="training samples per epoch (default: per workload)")
    p.add_argument("--workloads", default=",".join(WORKLOADS), help=f"comma list of {', '.join(WORKLOADS)}")
    p.add_argument("--contenders", default=",".join(CONTENDERS))
    p.add_argument("--jit", action="store_true", help="jit_compile=True (kerastorch, keras); torch.compile (hand loop)")
    p.add_argument("--mixed-precision", choices=["bf16"], default=None)
    p.add_argument("--predict-batch", default="32,256",
                   help="comma list of batch sizes predict and evaluate are measured at")
    p.add_argument("--inference-reps", type=int, default=24,
                   help="timed predict/evaluate calls per contender and batch size (interleaved; a multiple "
                        "of the number of the contenders' orders, 6 for three, balances who runs after whom)")
    p.add_argument("--seed", type=int, default=1234)
    p.add_argument("--no-memory", action="store_true", help="skip the per-contender memory subprocesses")
    p.add_argument("--threads", type=int, default=None, help="torch.set_num_threads (default: torch's)")
    p.add_argument("--json", default=None, help="also write raw results to this file")
    p.add_argument("--_child", default=None, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    args.contenders = [c for c in args.contenders.split(",") if c]
    args.predict_batch = [int(b) for b in str(args.predict_batch).split(",") if b]
    if args.mixed_precision == "bf16" and args.device == "cpu" and not torch.backends.mkldnn.is_available():
        p.error("bf16 on CPU needs oneDNN")
    return args


def main(argv=None):
    args = parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.device == "cuda" and not torch.cuda.is_available():
        sys.exit("--device cuda: torch.cuda.is_available() is False")
    if args._child:
        return run_child(args._child, args)
    device = Device(args.device)
    results, memory = [], {}
    for wl_name in [w for w in args.workloads.split(",") if w]:
        wl = WORKLOADS[wl_name]
        ok, why = wl.available()
        if not ok:
            results.append({"workload": wl_name, "skipped": why})
            continue
        t0 = time.perf_counter()
        res = run_workload(wl, args, device)
        results.append(res)
        print(f"[{wl_name}] {time.perf_counter() - t0:.1f}s " + ", ".join(
            f"{n}={r['epoch_s']:.3f}s" for n, r in res["rows"].items()), file=sys.stderr, flush=True)
        if not args.no_memory:
            for name in res["rows"]:
                memory[(wl_name, name)] = child_memory(wl_name, name, args)
    header = (f"Command: `python {' '.join(['benchmarks/bench_training.py'] + (argv or sys.argv[1:]))}`  \n"
              f"Date: {datetime.date.today().isoformat()}  \n"
              f"torch {torch.__version__}, numpy {np.__version__}, python {platform.python_version()}, "
              f"{platform.machine()} with {os.cpu_count()} cores ({torch.get_num_threads()} torch threads), "
              f"device {args.device}; load average at the end of the run {os.getloadavg()[0]:.1f}")
    try:
        import keras
        header += f", keras {keras.__version__} ({keras.backend.backend()} backend)"
    except Exception:   # noqa: BLE001
        pass
    if "kerastorch" in sys.modules:       # process-wide, so every contender of this process ran with it
        header += ("  \nfreed CPU memory kept for reuse (process-wide, every contender): "
                   + sys.modules["kerastorch"].config.cpu_memory_reuse_status())
    table = markdown(results, memory, args)
    print(header + "\n\n" + table)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"results": results, "memory": {f"{k[0]}:{k[1]}": v for k, v in memory.items()}}, f,
                      indent=1, default=str)


if __name__ == "__main__":
    main()
