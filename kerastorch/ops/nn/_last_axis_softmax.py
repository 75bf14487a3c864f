"""log_softmax over the last axis of many rows, fast on the CPU for a few classes too.

torch's CPU kernel runs element by element over a last axis narrower than a vector of float32 (3 to
15 classes), several times slower than over 16 classes, whose kernel is vectorized (measured on an
AVX-512 CPU with one thread: log_softmax of 3,200 rows of 10 classes 483-545 µs, against 71 µs
padded). Float32 inputs of 3 to 15 classes and at least `min_rows` rows on the CPU are therefore
padded with -inf to 16 classes (each padded class adds exp(-inf) = 0 to the sums) and the first
classes are copied out (a contiguous result, as torch's). The values are torch's but for the order of
the sums: within a few float32 ulps of `torch.log_softmax`.

Where it pays, and where not (whole calls timed against torch's kernel, alternated call by call):
`evaluate`'s loss over all of a call's logits at once (`trainer/lean_evaluate.py`) ran 2-4.5% faster
(the benchmark's 784-128-10 MLP, 3,200 and 12,000 samples, batches of 32 and 256). Per batch it did
not pay: a model's softmax output in `predict` was 6% slower at batch 32 and within 1% at batch 256
(the padding's extra ops cost about what the kernel saves), and inside the training loss's autograd
function (forward and backward) it was slower at 64-256 rows. So only `evaluate` takes it.

Example:
>>> import torch
>>> z = torch.randn(600, 10)
>>> torch.allclose(log_softmax_last_axis(z), torch.log_softmax(z, -1), atol=1e-6)
True
"""

import torch

_PADDED_WIDTH = 16


def log_softmax_last_axis(x, min_rows=512):
    """`torch.log_softmax(x, -1)` of a 2-d float tensor, padded (see the module docstring) when it has
    3 to 15 classes, at least `min_rows` rows, float32 on the CPU, and autograd does not record.

    Args:
        x: A 2-d float tensor.
        min_rows: The fewest rows padded.

    Returns:
        The log-softmax over the last axis, contiguous.
    """
    k = x.shape[-1]
    if (x.dtype is not torch.float32 or x.device.type != "cpu" or x.dim() != 2 or not 2 < k < _PADDED_WIDTH
            or x.shape[0] < min_rows or (x.requires_grad and torch.is_grad_enabled())):
        return torch.log_softmax(x, -1)
    padded = torch.constant_pad_nd(x, (0, _PADDED_WIDTH - k), float("-inf"))
    return torch.log_softmax(padded, -1)[:, :k].contiguous()
