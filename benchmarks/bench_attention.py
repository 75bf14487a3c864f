"""`MultiHeadAttention` forward + backward: kerastorch vs Keras on torch vs `torch.nn.MultiheadAttention`.

    python benchmarks/bench_attention.py                       # CPU (or the GPU if there is one)
    python benchmarks/bench_attention.py --batch 32 --length 128 --dim 256 --heads 8 --rounds 5
    python benchmarks/bench_attention.py --threads 1 --rounds 7        # steadier on a shared CPU

All three contenders do self-attention on the same `(batch, length, dim)` float32 input with
`num_heads` heads of size `dim // num_heads`, with biases, no mask and no dropout, and the same
weights (Keras' are copied into the other two, so the outputs agree: the script checks it).
Each step is one forward and one backward of `output.sum()` (input and weight gradients). The
contenders run in interleaved rounds in one process; each figure is the median over rounds of
the mean step time. Add `--causal` to time `use_causal_mask=True` (`is_causal` for torch).
"""

import argparse
import os
import statistics
import time

os.environ.setdefault("KERAS_BACKEND", "torch")

import numpy as np  # noqa: E402
import torch  # noqa: E402


def _sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize()


def build(args, device):
    import keras

    import kerastorch

    d, h = args.dim, args.heads
    x = torch.randn(args.batch, args.length, d, device=device)
    kl = keras.layers.MultiHeadAttention(num_heads=h, key_dim=d // h)
    kl(x, x)
    weights = kl.get_weights()          # q (d,h,k), qb (h,k), k, kb, v, vb, out (h,k,d), ob (d,)
    tl = kerastorch.layers.MultiHeadAttention(num_heads=h, key_dim=d // h).to(device)
    tl(x, x)
    tl.set_weights(weights)
    tl.eval()
    # torch's module: in_proj (3d, d) rows = [q; k; v] output features, out_proj (d, d).
    nn_mha = torch.nn.MultiheadAttention(d, h, batch_first=True).to(device).eval()
    with torch.no_grad():
        in_w = np.concatenate([w.reshape(d, d).T for w in weights[0:6:2]], axis=0)
        in_b = np.concatenate([b.reshape(d) for b in weights[1:6:2]])
        nn_mha.in_proj_weight.copy_(torch.tensor(in_w))
        nn_mha.in_proj_bias.copy_(torch.tensor(in_b))
        nn_mha.out_proj.weight.copy_(torch.tensor(weights[6].reshape(d, d).T))
        nn_mha.out_proj.bias.copy_(torch.tensor(weights[7]))
    causal = args.causal
    mask = torch.nn.Transformer.generate_square_subsequent_mask(args.length, device=device) if causal else None

    def run_keras(inp):
        return kl(inp, inp, use_causal_mask=causal)

    def run_ours(inp):
        return tl(inp, inp, use_causal_mask=causal)

    def run_torch(inp):
        return nn_mha(inp, inp, inp, need_weights=False, attn_mask=mask, is_causal=causal)[0]

    contenders = {"kerastorch": run_ours, "keras (torch backend)": run_keras, "torch.nn.MultiheadAttention": run_torch}
    with torch.no_grad():
        ref = run_keras(x)
        for name, fn in contenders.items():
            diff = float((fn(x) - ref).abs().max())
            if diff > 1e-4:
                raise SystemExit(f"{name} disagrees with Keras by {diff:.2e}: the comparison would be unfair.")
    return x, contenders


def time_step(fn, x, steps, device):
    inp = x.detach().clone().requires_grad_(True)
    for _ in range(3):
        fn(inp).sum().backward()
    _sync(device)
    start = time.perf_counter()
    for _ in range(steps):
        fn(inp).sum().backward()
    _sync(device)
    return (time.perf_counter() - start) / steps


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--length", type=int, default=64)
    parser.add_argument("--dim", type=int, default=128)
    parser.add_argument("--heads", type=int, default=8)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--causal", action="store_true")
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--threads", type=int, default=None,
                        help="CPU threads for torch (1 gives steadier figures on a shared machine)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    torch.manual_seed(0)
    x, contenders = build(args, device)
    times = {name: [] for name in contenders}
    for _ in range(args.rounds):
        for name, fn in contenders.items():
            times[name].append(time_step(fn, x, args.steps, device))
    base = statistics.median(times["torch.nn.MultiheadAttention"])
    print(f"MultiHeadAttention forward+backward, batch {args.batch}, length {args.length}, dim {args.dim}, "
          f"{args.heads} heads, {'causal, ' if args.causal else ''}{device.type} ({torch.get_num_threads()} threads), "
          f"torch {torch.__version__}")
    print(f"{'contender':30s} {'ms/step':>9s} {'vs torch.nn':>12s}")
    for name, values in times.items():
        med = statistics.median(values)
        print(f"{name:30s} {med * 1e3:9.3f} {med / base:11.2f}x")


if __name__ == "__main__":
    main()
