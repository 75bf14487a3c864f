"""softmax and log_softmax over the last axis, fast on the CPU for a few classes too.

torch's CPU kernels run element by element over a last axis narrower than a vector of float32 (3 to
15 classes), several times slower than over 16 classes, whose kernel is vectorized (measured with one
thread, 10 classes: softmax of 256 rows 45 µs against 13 µs padded; log_softmax of 3,200 rows 483 µs
against 71 µs). Such float32 inputs on the CPU are padded with -inf to 16 classes (each padded class
adds exp(-inf) = 0 to the sums) and the first classes are copied out (a contiguous result, as torch's):
the same values but for the order of the sums, within a few float32 ulps of torch's (and of Keras', which calls torch's),
for any number of rows alike (a row's values do not depend on the batch it is in). Under autograd
(an input that requires grad, grad enabled) torch's kernels run, so training graphs keep their one
softmax node.

Example:
>>> import torch
>>> z = torch.randn(64, 10)
>>> torch.allclose(softmax_last_axis(z), torch.softmax(z, -1), rtol=1e-6, atol=1e-7)
True
"""

import torch

_PADDED_WIDTH = 16


def _padded_dtype_and_width(x):
    return x.dtype is torch.float32 and x.device.type == "cpu" and x.ndim and 2 < x.shape[-1] < _PADDED_WIDTH


def _padded(x):
    """Whether `x` takes the padded kernel (see the module docstring)."""
    return _padded_dtype_and_width(x) and not (x.requires_grad and torch.is_grad_enabled())


def softmax_last_axis(x, log=False, out=None):
    """`torch.softmax(x, -1)` (`log_softmax` with `log=True`), written into `out` when given.

    Args:
        x: A float tensor of at least one axis.
        log: Whether to compute `log_softmax`.
        out: Optional tensor of `x`'s shape and dtype to write the result into.

    Returns:
        The result, contiguous (`out` when given).
    """
    fn = torch.log_softmax if log else torch.softmax
    if not _padded(x):
        return fn(x, -1) if out is None else fn(x, -1, out=out)
    k = x.shape[-1]
    result = fn(torch.constant_pad_nd(x, (0, _PADDED_WIDTH - k), float("-inf")), -1)[..., :k]
    return result.contiguous() if out is None else out.copy_(result)


def padded_log_softmax(x, min_rows=64):
    """`(log_softmax(x, -1), padded)` for 2-d `x`: `padded` is the log-softmax over the classes padded
    with -inf to 16 (see the module docstring), whose first classes the result copies, when `x` takes
    the padded kernel and has at least `min_rows` rows; else None, and the result is torch's. For a
    custom autograd function (the training loss): `log_softmax_backward(grad, result, padded)` is the
    gradient.
    """
    if not (_padded_dtype_and_width(x) and x.shape[0] >= min_rows):
        return torch.log_softmax(x, -1), None
    k = x.shape[-1]
    padded = torch.log_softmax(torch.constant_pad_nd(x, (0, _PADDED_WIDTH - k), float("-inf")), -1)
    return padded[:, :k].contiguous(), padded


def log_softmax_backward(grad, result, padded):
    """The gradient of `padded_log_softmax`'s result, given `grad` (of its shape): torch's
    `_log_softmax_backward_data`, over the padded classes when the forward padded them (the padded
    classes get a zero gradient and have exp(-inf) = 0 probability: they change no sum)."""
    if padded is None:
        return torch._log_softmax_backward_data(grad, result, -1, result.dtype)
    k = grad.shape[-1]
    wide = torch.constant_pad_nd(grad, (0, _PADDED_WIDTH - k), 0.0)
    return torch._log_softmax_backward_data(wide, padded, -1, padded.dtype)[:, :k].contiguous()
