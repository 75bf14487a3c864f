"""Interleaved CPU-time comparison of kerastorch's `predict`/`evaluate` of Embedding(1000,32)+LSTM(32)+Dense(1)
with the hand-written torch loop of `bench_training.py` (`TorchContender.predict`/`evaluate`).

The two contenders alternate call by call (the order swapped every repetition) and the figure is the
median CPU time per call divided by the batches in it, so a shared, loaded machine skews both alike.
`--stub-kernel` replaces the LSTM kernel (`torch.lstm`, in both contenders) by one that returns empty
outputs: what is left is the per-batch and per-call work around the kernel.

    python benchmarks/bench_lstm_inference.py --batch-size 32 --reps 200
    python benchmarks/bench_lstm_inference.py --what evaluate --batch-size 256
    KT_ROOT=/path/to/other/checkout python benchmarks/bench_lstm_inference.py   # another kerastorch tree
"""

import argparse
import os
import statistics
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.environ.get("KT_ROOT", os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

import kerastorch  # noqa: E402
from kerastorch import layers as L  # noqa: E402

VOCAB = 1000


class Hand(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = torch.nn.Embedding(VOCAB, 32)
        self.lstm = torch.nn.LSTM(32, 32, batch_first=True)
        self.out = torch.nn.Linear(32, 1)

    def forward(self, x):
        _, (h, _) = self.lstm(self.embed(x))
        return self.out(h[-1])


def hand_predict(model, x, batch_size):
    model.eval()
    xt = torch.from_numpy(x)
    n = xt.shape[0]
    out = torch.empty((n, 1))
    with torch.inference_mode():
        for start in range(0, n, batch_size):
            torch.sigmoid(model(xt[start:start + batch_size]), out=out[start:start + batch_size])
    model.train()
    return out.cpu().numpy()


def hand_evaluate(model, x, y, batch_size):
    model.eval()
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    n = xt.shape[0]
    total, correct = torch.zeros(()), torch.zeros((), dtype=torch.long)
    with torch.inference_mode():
        for start in range(0, n, batch_size):
            yb = yt[start:start + batch_size]
            logits = model(xt[start:start + batch_size])
            total += F.binary_cross_entropy_with_logits(logits, yb) * yb.shape[0]
            correct += ((logits > 0) == (yb > 0.5)).sum()
    model.train()
    return [(total / n).item(), correct.item() / n]


def _stub_lstm(x, hx, params, *args):
    return x.new_empty(x.shape[0], x.shape[1], hx[0].shape[-1]), hx[0], hx[1]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--what", choices=["predict", "evaluate"], default="predict")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--samples", type=int, default=409, help="bench_training.py's held-out set: 409")
    parser.add_argument("--seq", type=int, default=40)
    parser.add_argument("--reps", type=int, default=200)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--stub-kernel", action="store_true", help="time everything but the LSTM kernel")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    rng = np.random.default_rng(0)
    x = rng.integers(1, VOCAB, size=(args.samples, args.seq)).astype(np.int64)
    y = ((x < VOCAB // 4).sum(1) > args.seq // 4).astype(np.float32)[:, None]
    torch.manual_seed(0)
    model = kerastorch.Sequential([L.Input(shape=(args.seq,), dtype="int64"), L.Embedding(VOCAB, 32), L.LSTM(32),
                                   L.Dense(1, activation="sigmoid")])
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    hand = Hand()
    if args.stub_kernel:
        torch.lstm = _stub_lstm
        torch._VF.__dict__["lstm"] = _stub_lstm
    bs = args.batch_size
    if args.what == "predict":
        ours, theirs = (lambda: model.predict(x, batch_size=bs, verbose=0)), (lambda: hand_predict(hand, x, bs))
    else:
        ours = lambda: model.evaluate(x, y, batch_size=bs, verbose=0)       # noqa: E731
        theirs = lambda: hand_evaluate(hand, x, y, bs)                      # noqa: E731
    for _ in range(5):
        ours(), theirs()
    times = {"ours": [], "theirs": []}
    for i in range(args.reps):
        order = [("ours", ours), ("theirs", theirs)]
        for name, fn in (order if i % 2 == 0 else order[::-1]):
            start = time.process_time()
            fn()
            times[name].append(time.process_time() - start)
    batches = -(-args.samples // bs)
    a, b = statistics.median(times["ours"]), statistics.median(times["theirs"])
    paired = statistics.median([p / q for p, q in zip(times["ours"], times["theirs"])])
    print(f"{args.what} batch {bs}, {args.samples} samples ({batches} batches), {args.reps} reps, "
          f"{args.threads} thread(s){', kernel stubbed' if args.stub_kernel else ''}: kerastorch "
          f"{a / batches * 1e6:.1f} us/batch, hand loop {b / batches * 1e6:.1f} us/batch, "
          f"ratio {a / b:.3f} (median of paired ratios {paired:.3f})")


if __name__ == "__main__":
    main()
