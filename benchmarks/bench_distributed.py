"""Training throughput (samples/s) of `fit` on 1 process and on N data-parallel processes.

Run it plainly and it starts itself under torchrun for each process count, then prints a table:

    python benchmarks/bench_distributed.py                    # 1 and 2 processes, gloo on the CPU
    python benchmarks/bench_distributed.py --nprocs 1 2 4 8 --device cuda   # one GPU per process

Or start it under torchrun yourself (one machine or several); rank 0 prints one JSON line:

    torchrun --nproc_per_node=8 benchmarks/bench_distributed.py --device cuda

The global batch size is fixed (`--batch-size`, split over the processes), so the processes
do the same work as one process; samples/s counts global samples per second of the timed
epochs (the first epoch, which builds the model, wraps it in DDP and warms up, is not timed).
"""

import argparse
import json
import os
import subprocess
import sys
import time


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--nprocs", type=int, nargs="+", default=[1, 2],
                        help="process counts to compare (launcher mode); default: 1 2")
    parser.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    parser.add_argument("--samples", type=int, default=16384)
    parser.add_argument("--batch-size", type=int, default=256, help="GLOBAL batch size")
    parser.add_argument("--epochs", type=int, default=3, help="timed epochs (after one warm-up epoch)")
    parser.add_argument("--width", type=int, default=512, help="hidden units of the MLP")
    parser.add_argument("--threads", type=int, default=1,
                        help="torch CPU threads per process (CPU runs); default: 1, so N processes use N cores")
    return parser.parse_args(argv)


def worker(args):
    import numpy as np
    import torch

    import kerastorch
    from kerastorch import distribution, layers

    world = int(os.environ.get("WORLD_SIZE", "1"))
    if args.device == "cpu":
        torch.set_num_threads(args.threads)
    kerastorch.config.set_device(args.device if world == 1 else "cpu")   # DataParallel picks cuda:LOCAL_RANK
    kerastorch.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(args.samples, 784)).astype("float32")
    y = rng.integers(0, 10, size=args.samples)
    model = kerastorch.Sequential([layers.Input(shape=(784,)), layers.Dense(args.width, activation="relu"),
                                   layers.Dense(args.width, activation="relu"), layers.Dense(10)])
    model.compile(optimizer="adam", loss=kerastorch.losses.SparseCategoricalCrossentropy(from_logits=True))
    model.fit(x, y, batch_size=args.batch_size, epochs=1, verbose=0)   # warm-up: build, DDP, caches
    dist = distribution.active()
    _sync(args.device)
    if dist is not None:
        torch.distributed.barrier()
    start = time.perf_counter()
    history = model.fit(x, y, batch_size=args.batch_size, epochs=args.epochs, verbose=0)
    _sync(args.device)
    elapsed = time.perf_counter() - start
    if distribution.is_chief():
        print(json.dumps({"processes": world, "device": args.device, "samples_per_s": args.samples * args.epochs / elapsed,
                          "global_batch": args.batch_size, "final_loss": history.history["loss"][-1]}), flush=True)


def _sync(device):
    import torch

    if device == "cuda":
        torch.cuda.synchronize()


def launch(args):
    rows = []
    for n in args.nprocs:
        cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc_per_node={n}",
               os.path.abspath(__file__), "--device", args.device, "--samples", str(args.samples),
               "--batch-size", str(args.batch_size), "--epochs", str(args.epochs), "--width", str(args.width)]
        cmd += ["--threads", str(args.threads)]
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(
            [os.path.dirname(os.path.dirname(os.path.abspath(__file__))), os.environ.get("PYTHONPATH", "")]))
        env.pop("OMP_NUM_THREADS", None)
        done = subprocess.run(cmd, env=env, capture_output=True, text=True)
        lines = [l for l in done.stdout.splitlines() if l.startswith("{")]
        if done.returncode or not lines:
            sys.exit(f"{n} process(es) failed:\n{done.stdout}\n{done.stderr}")
        rows.append(json.loads(lines[-1]))
    base = rows[0]["samples_per_s"]
    print(f"{'processes':>9} {'device':>6} {'global batch':>12} {'samples/s':>11} {'speed-up':>8}")
    for r in rows:
        print(f"{r['processes']:>9} {r['device']:>6} {r['global_batch']:>12} {r['samples_per_s']:>11.0f} "
              f"{r['samples_per_s'] / base:>7.2f}x")


if __name__ == "__main__":
    arguments = parse_args()
    if "LOCAL_RANK" in os.environ:   # started by torchrun
        worker(arguments)
    else:
        launch(arguments)
