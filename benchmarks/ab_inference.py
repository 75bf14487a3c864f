"""Paired A/B of `predict` and `evaluate`: kerastorch against the hand loop, call by call.

`bench_training.py` times every contender's calls in rotating groups, with Keras among them; this
script takes only kerastorch and the hand loop of `bench_training.py` (same models, data and
training), alternates them call by call (each goes first every other pair) and reports the median
call time of each and their ratio. Use it to check a ratio of the big table that is near or below 1.

    python benchmarks/ab_inference.py --workload tiny --batch-size 256 --pairs 300
    python benchmarks/ab_inference.py --workload text --batch-size 32 --pairs 60
    python benchmarks/ab_inference.py --workload tiny --jit      # kerastorch with jit_compile=True
"""

import argparse
import os
import statistics
import sys
import time
import types

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import bench_training as bt  # noqa: E402  (puts this checkout on sys.path)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--workload", default="tiny", choices=sorted(bt.WORKLOADS))
    p.add_argument("--batch-size", type=int, default=256)
    p.add_argument("--pairs", type=int, default=200, help="calls of each contender per kind")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--jit", action="store_true", help="kerastorch compiled with jit_compile=True (the hand loop "
                   "stays eager)")
    args = p.parse_args(argv)
    import torch

    torch.set_num_threads(args.threads)
    wl = bt.WORKLOADS[args.workload]
    data = bt.make_data(wl, wl.samples, 1234)
    device = bt.Device("cpu")
    settings = types.SimpleNamespace(seed=1234, jit=False, mixed_precision=None)
    kt_settings = types.SimpleNamespace(seed=1234, jit=args.jit, mixed_precision=None)
    contenders = {"kerastorch": bt.KerastorchContender(wl, data, device, kt_settings),
                  "torch": bt.TorchContender(wl, data, device, settings)}
    for c in contenders.values():
        c.epoch()                                  # trained once, as in the big table
    x, y = data["test"]
    bs = args.batch_size
    print(f"{wl.title}: {len(x)} held-out samples, batch {bs}, {args.pairs} alternating pairs, "
          f"{args.threads} torch thread(s)" + (", kerastorch with jit_compile=True" if args.jit else ""))
    for kind in ("predict", "evaluate"):
        calls = {name: (lambda c=c: c.predict(x, bs)) if kind == "predict" else (lambda c=c: c.evaluate(x, y, bs))
                 for name, c in contenders.items()}
        for fn in calls.values():
            fn()                                   # warm-up
        times = {name: [] for name in calls}
        order = list(calls)
        for i in range(args.pairs):
            for name in order if i % 2 == 0 else order[::-1]:
                t0 = time.perf_counter()
                calls[name]()
                times[name].append(time.perf_counter() - t0)
        med = {name: statistics.median(ts) for name, ts in times.items()}
        print(f"{kind}: kerastorch {med['kerastorch'] * 1e6:.0f} µs, hand loop {med['torch'] * 1e6:.0f} µs a call; "
              f"kerastorch's throughput {med['torch'] / med['kerastorch']:.2f}x the hand loop's")


if __name__ == "__main__":
    main()
