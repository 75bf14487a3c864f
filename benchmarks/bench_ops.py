"""Per-call overhead of `kerastorch.ops` against the plain torch call and against Keras' `keras.ops`.

    python benchmarks/bench_ops.py                 # ten common ops, small tensors, CPU
    python benchmarks/bench_ops.py --calls 20000 --rounds 7

Each op runs on small float32 tensors (where the kernel itself costs little, so the figure is the
wrapper's overhead). The three contenders are timed in interleaved rounds in one process; each
figure is the median over rounds of the mean time per call. The table prints microseconds per
call and each library's overhead over torch (ours should stay within 1.5 us, and at most a third
of Keras' overhead).
"""

import argparse
import os
import statistics
import time

os.environ.setdefault("KERAS_BACKEND", "torch")

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402


def workloads():
    a = torch.rand(8, 16)
    b = torch.rand(8, 16)
    w = torch.rand(16, 16)
    # (name, make(ops) -> a zero-argument call through that ops module, the plain torch call)
    return [
        ("add", lambda ops: lambda: ops.add(a, b), lambda: torch.add(a, b)),
        ("multiply", lambda ops: lambda: ops.multiply(a, b), lambda: torch.mul(a, b)),
        ("matmul", lambda ops: lambda: ops.matmul(a, w), lambda: torch.matmul(a, w)),
        ("sum(axis=-1)", lambda ops: lambda: ops.sum(a, axis=-1), lambda: torch.sum(a, dim=-1)),
        ("mean", lambda ops: lambda: ops.mean(a), lambda: torch.mean(a)),
        ("reshape", lambda ops: lambda: ops.reshape(a, (16, 8)), lambda: torch.reshape(a, (16, 8))),
        ("exp", lambda ops: lambda: ops.exp(a), lambda: torch.exp(a)),
        ("relu", lambda ops: lambda: ops.relu(a), lambda: torch.relu(a)),
        ("softmax", lambda ops: lambda: ops.softmax(a), lambda: F.softmax(a, dim=-1)),
        ("concatenate", lambda ops: lambda: ops.concatenate([a, b], axis=0), lambda: torch.cat([a, b], dim=0)),
    ]


def per_call_us(fn, calls):
    for _ in range(calls // 10):        # warm up
        fn()
    start = time.perf_counter()
    for _ in range(calls):
        fn()
    return (time.perf_counter() - start) / calls * 1e6


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=20000, help="calls per timing (default 20000)")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds (default 5)")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    import kerastorch
    from kerastorch import ops as kt_ops

    kerastorch.config.set_device("cpu")
    try:
        import keras
        k_ops = keras.ops
    except ImportError:
        keras, k_ops = None, None

    print(f"torch {torch.__version__}, kerastorch {kerastorch.__version__}, "
          f"keras {keras.__version__ if keras else 'not installed'}; {args.threads} thread(s), "
          f"{args.calls} calls x {args.rounds} rounds, median of rounds")
    header = f"{'op':<14}{'torch us':>10}{'kerastorch us':>15}{'keras us':>10}{'ours - torch':>14}{'keras - torch':>15}{'ours/keras overhead':>21}"
    print(header)
    print("-" * len(header))
    worst = 0.0
    for name, make, plain in workloads():
        times = {"torch": [], "ours": [], "keras": []}
        ours, theirs = make(kt_ops), (make(k_ops) if k_ops is not None else None)
        for _ in range(args.rounds):
            times["torch"].append(per_call_us(plain, args.calls))
            times["ours"].append(per_call_us(ours, args.calls))
            if theirs is not None:
                times["keras"].append(per_call_us(theirs, args.calls))
        t, o = statistics.median(times["torch"]), statistics.median(times["ours"])
        k = statistics.median(times["keras"]) if times["keras"] else float("nan")
        ratio = (o - t) / (k - t) if k == k and k > t else float("nan")
        worst = max(worst, o - t)
        print(f"{name:<14}{t:>10.2f}{o:>15.2f}{k:>10.2f}{o - t:>14.2f}{k - t:>15.2f}{ratio:>21.2f}")
    print(f"largest kerastorch overhead over torch: {worst:.2f} us per call")


if __name__ == "__main__":
    main()
