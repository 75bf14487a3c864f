"""Keras' loss ops: `binary_crossentropy`, `categorical_crossentropy`,
`sparse_categorical_crossentropy` (per-sample values, Keras' torch-backend numerics) and `psnr`.

The crossentropy computations here are also the ones `kerastorch.losses` uses: with
`from_logits=False` the probabilities are renormalised along the class axis (categorical) and
clipped to `[epsilon, 1 - epsilon]` (`kerastorch.config.epsilon()`, 1e-7) before the log, as
Keras' torch backend does.

Example:
>>> from kerastorch import ops
>>> ops.categorical_crossentropy([[0.0, 1.0]], [[0.5, 0.5]])
tensor([0.6931])
"""

import torch
import torch.nn.functional as F

from kerastorch import config
from kerastorch.ops._utils import keras_op, tensor

__all__ = ["binary_crossentropy", "categorical_crossentropy", "psnr",
           "sparse_categorical_crossentropy"]


def clipped_log_probs(output, axis):
    """`log(clip(output / sum(output, axis), eps, 1 - eps))`: Keras' torch-backend log-probabilities."""
    eps = config.epsilon()
    p = output / torch.sum(output, dim=axis, keepdim=True)
    return torch.log(torch.clamp(p, eps, 1.0 - eps))


def categorical_values(target, output, from_logits, axis):
    """Per-sample categorical crossentropy of same-shaped tensors (no checks)."""
    log_prob = F.log_softmax(output, dim=axis) if from_logits else clipped_log_probs(output, axis)
    return -torch.sum(target * log_prob, dim=axis)


def sparse_values(target, output, from_logits, axis):
    """Per-sample sparse crossentropy: `target` int64 class ids shaped like `output` without `axis`."""
    squeeze = output.dim() == 1
    if squeeze:
        output, target = output.unsqueeze(0), target.unsqueeze(0)
    elif axis % output.dim() != 1:
        output = output.movedim(axis % output.dim(), 1)   # torch wants the classes on axis 1
    if from_logits:
        values = F.cross_entropy(output, target, reduction="none")
    else:
        values = F.nll_loss(clipped_log_probs(output, 1), target, reduction="none")
    return values.squeeze(0) if squeeze else values


def binary_values(target, output, from_logits):
    """Elementwise binary crossentropy of same-shaped tensors (no checks)."""
    if target.dtype != output.dtype:
        target = target.to(output.dtype)      # torch's kernels need one dtype
    if from_logits:
        return F.binary_cross_entropy_with_logits(output, target, reduction="none")
    eps = config.epsilon()
    return F.binary_cross_entropy(torch.clamp(output, eps, 1.0 - eps), target, reduction="none")


def _shape_error(name, target, output, expected):
    return ValueError(
        f"ops.{name}: {expected}, got target.shape={tuple(target.shape)} and "
        f"output.shape={tuple(output.shape)}."
    )


def _float(output):
    return output if output.is_floating_point() else output.to(torch.float32)


@keras_op
def binary_crossentropy(target, output, from_logits=False):
    """Elementwise binary crossentropy between targets and predicted probabilities (or logits).

    `-(target * log(p) + (1 - target) * log(1 - p))` with `p` clipped to
    `[epsilon, 1 - epsilon]`; with `from_logits=True`, the stable form on logits. Nothing is
    averaged (the `binary_crossentropy` loss averages over the last axis).

    Args:
        target: Targets in `[0, 1]`, same shape as `output`.
        output: Predicted probabilities, or logits when `from_logits=True`.
        from_logits: Whether `output` holds logits. Defaults to `False`.

    Returns:
        A tensor of the shape of `output`.

    Example:
    >>> binary_crossentropy([1.0, 0.0], [0.5, 0.5])
    tensor([0.6931, 0.6931])
    """
    target, output = tensor(target), _float(tensor(output))
    if target.shape != output.shape:
        raise _shape_error("binary_crossentropy", target, output,
                           "`target` and `output` must have the same shape")
    return binary_values(target, output, from_logits)


@keras_op
def categorical_crossentropy(target, output, from_logits=False, axis=-1):
    """Categorical crossentropy between one-hot (or soft) targets and predictions, per sample.

    `-sum(target * log(p), axis)`, where `p` is `output` renormalised along `axis` and clipped to
    `[epsilon, 1 - epsilon]`, or `log_softmax(output)` with `from_logits=True`.

    Args:
        target: Targets, same shape as `output`.
        output: Predicted probabilities, or logits when `from_logits=True`.
        from_logits: Whether `output` holds logits. Defaults to `False`.
        axis: The class axis. Defaults to `-1`.

    Returns:
        A tensor of the shape of `output` without `axis`.

    Example:
    >>> categorical_crossentropy([[0.0, 1.0]], [[0.2, 0.8]])
    tensor([0.2231])
    """
    target, output = tensor(target), _float(tensor(output))
    if target.shape != output.shape:
        raise _shape_error("categorical_crossentropy", target, output,
                           "`target` and `output` must have the same shape (one-hot targets; for "
                           "integer class ids use sparse_categorical_crossentropy)")
    if output.ndim < 1:
        raise _shape_error("categorical_crossentropy", target, output,
                           "`target` and `output` must have at least one axis (the classes)")
    return categorical_values(target, output, from_logits, axis)


@keras_op
def sparse_categorical_crossentropy(target, output, from_logits=False, axis=-1):
    """Categorical crossentropy with integer class ids as targets, per sample.

    Same numbers as `categorical_crossentropy` on one-hot targets, without building them.

    Args:
        target: Integer class ids, shaped like `output` without `axis` (a trailing axis of size
            1 in that place is squeezed).
        output: Predicted probabilities, or logits when `from_logits=True`.
        from_logits: Whether `output` holds logits. Defaults to `False`.
        axis: The class axis of `output`. Defaults to `-1`.

    Returns:
        A tensor of the shape of `target`.

    Example:
    >>> sparse_categorical_crossentropy([1], [[0.2, 0.8]])
    tensor([0.2231])
    """
    target, output = tensor(target, "int64"), _float(tensor(output))
    if output.ndim < 1:
        raise _shape_error("sparse_categorical_crossentropy", target, output,
                           "`output` must have at least one axis (the classes)")
    if target.ndim == output.ndim and target.shape[axis] == 1:
        target = target.squeeze(axis)
    expected = list(output.shape)
    del expected[axis]
    if list(target.shape) != expected:
        raise _shape_error("sparse_categorical_crossentropy", target, output,
                           f"`target` must have the shape of `output` without axis {axis}, "
                           f"{tuple(expected)} (for one-hot targets use categorical_crossentropy)")
    return sparse_values(target, output, from_logits, axis)


@keras_op
def psnr(x1, x2, max_val):
    """Peak signal-to-noise ratio: `20 * log10(max_val) - 10 * log10(mean((x1 - x2) ** 2))`.

    The mean runs over every element, so the result is a scalar.

    Args:
        x1: Float tensor, e.g. a batch of images.
        x2: Float tensor of the same shape.
        max_val: The largest possible value of the signal (e.g. `1.0` or `255.0`).

    Returns:
        A 0-d tensor, in decibels.

    Example:
    >>> psnr([0.0, 1.0], [0.0, 0.9], 1.0)
    tensor(23.0103)
    """
    x1, x2 = tensor(x1), tensor(x2)
    if x1.shape != x2.shape:
        raise ValueError(f"ops.psnr: `x1` and `x2` must have the same shape, got x1.shape="
                         f"{tuple(x1.shape)} and x2.shape={tuple(x2.shape)}.")
    max_val = tensor(max_val, x1.dtype)
    mse = torch.mean((x1 - x2) ** 2)
    return 20 * torch.log10(max_val) - 10 * torch.log10(mse)
