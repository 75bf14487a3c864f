"""Keras' activation ops (`keras.ops.relu`, `softmax`, `gelu`, ...) on torch tensors.

These are the one implementation of each activation: `kerastorch.activations` calls them too
(as Keras' activations call its ops). Each op is the torch function Keras' torch backend calls, so
values, gradients and result dtypes are Keras' own: integer inputs stay integer where torch's
kernel takes them (`relu`, `relu6`, `hard_tanh`), become float32 where it promotes (`sigmoid`,
`softsign`, `sparse_plus`, ...), and are refused with a `TypeError` where it has no integer kernel
(`elu`, `gelu`, `softmax`, ...), as Keras raises there too.

Example:
>>> from kerastorch import ops
>>> ops.relu([-1.0, 2.0])
tensor([0., 2.])
"""

import warnings

import torch
import torch.nn.functional as F

from kerastorch.ops._utils import keras_op, tensor

__all__ = [
    "celu", "elu", "gelu", "glu", "hard_shrink", "hard_sigmoid", "hard_silu", "hard_swish",
    "hard_tanh", "leaky_relu", "log_sigmoid", "log_softmax", "relu", "relu6", "selu", "sigmoid",
    "silu", "soft_shrink", "softmax", "softplus", "softsign", "sparse_plus", "sparse_sigmoid",
    "sparsemax", "squareplus", "swish", "tanh_shrink", "threshold",
]


@keras_op
def relu(x):
    """Rectified linear unit: `max(x, 0)`.

    Args:
        x: Input tensor.

    Returns:
        A tensor of the same shape and dtype as `x`.

    Example:
    >>> relu([-1.0, 0.0, 2.0])
    tensor([0., 0., 2.])
    """
    return F.relu(tensor(x))


@keras_op
def relu6(x):
    """ReLU capped at 6: `min(max(x, 0), 6)`.

    Args:
        x: Input tensor.

    Returns:
        A tensor of the same shape and dtype as `x`.

    Example:
    >>> relu6([-1.0, 3.0, 8.0])
    tensor([0., 3., 6.])
    """
    return F.relu6(tensor(x))


@keras_op
def sigmoid(x):
    """Sigmoid: `1 / (1 + exp(-x))`.

    Args:
        x: Input tensor; integer and boolean inputs give float32.

    Returns:
        A tensor of the same shape as `x`.

    Example:
    >>> sigmoid([0.0])
    tensor([0.5000])
    """
    return torch.sigmoid(tensor(x))


@keras_op
def sparse_sigmoid(x):
    """Sparse sigmoid: `0` for `x <= -1`, `(x + 1) / 2` for `-1 < x < 1`, `1` for `x >= 1`.

    The gradient is 0 at `x = -1` and `x = 1`, as in Keras.

    Args:
        x: Input tensor; integer and boolean inputs give float32.

    Returns:
        A tensor of the same shape as `x`.

    Example:
    >>> sparse_sigmoid([-2.0, 0.0, 2.0])
    tensor([0.0000, 0.5000, 1.0000])
    """
    x = tensor(x)
    return torch.where(x <= -1, 0.0, torch.where(x >= 1, 1.0, 0.5 * (x + 1)))


@keras_op
def softplus(x):
    """Softplus: `log(exp(x) + 1)`.

    Args:
        x: Float input tensor.

    Returns:
        A tensor of the same shape and dtype as `x`.

    Example:
    >>> softplus([0.0])
    tensor([0.6931])
    """
    return F.softplus(tensor(x))


@keras_op
def softsign(x):
    """Softsign: `x / (abs(x) + 1)`.

    Args:
        x: Input tensor; integer inputs give float32.

    Returns:
        A tensor of the same shape as `x`.

    Example:
    >>> softsign([-1.0, 3.0])
    tensor([-0.5000,  0.7500])
    """
    return F.softsign(tensor(x))


@keras_op
def soft_shrink(x, threshold=0.5):
    """Soft shrinkage: `x - threshold` above it, `x + threshold` below `-threshold`, else 0.

    Args:
        x: Float input tensor.
        threshold: Half-width of the zero band. Defaults to `0.5`.

    Returns:
        A tensor of the same shape and dtype as `x`.

    Example:
    >>> soft_shrink([-1.0, 0.2, 1.0])
    tensor([-0.5000,  0.0000,  0.5000])
    """
    return F.softshrink(tensor(x), threshold)


@keras_op
def sparse_plus(x):
    """SparsePlus: `0` for `x <= -1`, `(x + 1)**2 / 4` for `-1 < x < 1`, `x` for `x >= 1`.

    Args:
        x: Input tensor; integer and boolean inputs give float32.

    Returns:
        A tensor of the same shape as `x`.

    Example:
    >>> sparse_plus([-2.0, 0.0, 2.0])
    tensor([0.0000, 0.2500, 2.0000])
    """
    x = tensor(x)
    return torch.where(x <= -1, torch.zeros_like(x), torch.where(x < 1, 0.25 * (x + 1) ** 2, x))


@keras_op
def silu(x):
    """Sigmoid linear unit (swish): `x * sigmoid(x)`.

    Args:
        x: Float input tensor.

    Returns:
        A tensor of the same shape and dtype as `x`.

    Example:
    >>> silu([0.0, 1.0])
    tensor([0.0000, 0.7311])
    """
    return F.silu(tensor(x))


swish = silu


@keras_op
def squareplus(x, b=4):
    """Squareplus: `(x + sqrt(x**2 + b)) / 2`, a smooth ReLU.

    Args:
        x: Input tensor; integer and boolean inputs give float32.
        b: Smoothness, a non-negative number. Defaults to `4`.

    Returns:
        A tensor of the same shape as `x`.

    Example:
    >>> squareplus([0.0])
    tensor([1.])
    """
    x = tensor(x)
    return (x + torch.sqrt(x * x + b)) / 2


@keras_op
def log_sigmoid(x):
    """Logarithm of the sigmoid, computed stably: `-softplus(-x)`.

    Args:
        x: Float input tensor.

    Returns:
        A tensor of the same shape and dtype as `x`.

    Example:
    >>> log_sigmoid([0.0]).exp()
    tensor([0.5000])
    """
    return F.logsigmoid(tensor(x))


@keras_op
def leaky_relu(x, negative_slope=0.2):
    """Leaky ReLU: `x` if `x >= 0`, else `negative_slope * x`.

    Args:
        x: Float input tensor.
        negative_slope: Slope for negative inputs. Defaults to `0.2`.

    Returns:
        A tensor of the same shape and dtype as `x`.

    Example:
    >>> leaky_relu([-1.0, 2.0])
    tensor([-0.2000,  2.0000])
    """
    return F.leaky_relu(tensor(x), negative_slope)


@keras_op
def hard_sigmoid(x):
    """Hard sigmoid: `relu6(x + 3) / 6`.

    Args:
        x: Float input tensor.

    Returns:
        A tensor of the same shape and dtype as `x`.

    Example:
    >>> hard_sigmoid([-4.0, 0.0, 1.5, 4.0])
    tensor([0.0000, 0.5000, 0.7500, 1.0000])
    """
    return F.hardsigmoid(tensor(x))


@keras_op
def hard_silu(x):
    """Hard SiLU (hard swish): `x * relu6(x + 3) / 6`.

    Args:
        x: Float input tensor.

    Returns:
        A tensor of the same shape and dtype as `x`.

    Example:
    >>> hard_silu([-4.0, 0.0, 4.0])
    tensor([-0., 0., 4.])
    """
    return F.hardswish(tensor(x))


hard_swish = hard_silu


@keras_op
def elu(x, alpha=1.0):
    """Exponential linear unit: `x` if `x > 0`, else `alpha * (exp(x) - 1)`.

    Args:
        x: Float input tensor.
        alpha: Scale of the negative part. Defaults to `1.0`.

    Returns:
        A tensor of the same shape and dtype as `x`.

    Example:
    >>> elu([0.0, 1.0])
    tensor([0., 1.])
    """
    return F.elu(tensor(x), alpha)


@keras_op
def selu(x):
    """Scaled exponential linear unit: `scale * elu(x, alpha)`, `alpha=1.67326324`,
    `scale=1.05070098`.

    Args:
        x: Float input tensor.

    Returns:
        A tensor of the same shape and dtype as `x`.

    Example:
    >>> selu([0.0, 1.0])
    tensor([0.0000, 1.0507])
    """
    return F.selu(tensor(x))


@keras_op
def gelu(x, approximate=True):
    """Gaussian error linear unit: `x * P(X <= x)` for `X ~ N(0, 1)`.

    Note the op's default is the tanh approximation (the `"gelu"` activation's is exact).

    Args:
        x: Float input tensor.
        approximate: Whether to use the approximation
            `0.5 * x * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 * x**3)))` rather than the exact
            erf form. Defaults to `True`.

    Returns:
        A tensor of the same shape and dtype as `x`.

    Example:
    >>> gelu([0.0, 1.0])
    tensor([0.0000, 0.8412])
    """
    return F.gelu(tensor(x), approximate="tanh" if approximate else "none")


@keras_op
def celu(x, alpha=1.0):
    """Continuously differentiable ELU: `max(x, 0) + min(alpha * (exp(x / alpha) - 1), 0)`.

    Args:
        x: Float input tensor.
        alpha: Scale of the negative part. Defaults to `1.0`.

    Returns:
        A tensor of the same shape and dtype as `x`.

    Example:
    >>> celu([0.0, 1.0])
    tensor([0., 1.])
    """
    return F.celu(tensor(x), alpha)


@keras_op
def glu(x, axis=-1):
    """Gated linear unit: splits `x` into halves `a, b` along `axis`, returns `a * sigmoid(b)`.

    Args:
        x: Float input tensor; its size along `axis` must be even.
        axis: The axis to split. Defaults to `-1`.

    Returns:
        A tensor with `axis` halved.

    Example:
    >>> glu([[2.0, 0.0]])
    tensor([[1.]])
    """
    x = tensor(x)
    if x.ndim and x.shape[axis] % 2:
        raise ValueError(
            f"ops.glu: the size of axis {axis} must be even (it is split into two halves), got "
            f"shape {tuple(x.shape)}. Pass an input with an even size there, or another axis."
        )
    return F.glu(x, dim=axis)


@keras_op
def tanh_shrink(x):
    """Tanh shrink: `x - tanh(x)`.

    Args:
        x: Input tensor; integer inputs give float32.

    Returns:
        A tensor of the same shape as `x`.

    Example:
    >>> tanh_shrink([0.0])
    tensor([0.])
    """
    return F.tanhshrink(tensor(x))


@keras_op
def hard_tanh(x):
    """Hard tanh: `x` clipped to `[-1, 1]`.

    Args:
        x: Input tensor.

    Returns:
        A tensor of the same shape and dtype as `x`.

    Example:
    >>> hard_tanh([-2.0, 0.5, 2.0])
    tensor([-1.0000,  0.5000,  1.0000])
    """
    return F.hardtanh(tensor(x), -1.0, 1.0)


@keras_op
def hard_shrink(x, threshold=0.5):
    """Hard shrinkage: `x` where `abs(x) > threshold`, else 0.

    Args:
        x: Float input tensor.
        threshold: Half-width of the zero band. Defaults to `0.5`.

    Returns:
        A tensor of the same shape and dtype as `x`.

    Example:
    >>> hard_shrink([-1.0, 0.2, 1.0])
    tensor([-1.,  0.,  1.])
    """
    return F.hardshrink(tensor(x), threshold)


@keras_op
def threshold(x, threshold, default_value):
    """Threshold: `x` where `x > threshold`, else `default_value`.

    Args:
        x: Input tensor.
        threshold: Values at or below it are replaced.
        default_value: The replacement value.

    Returns:
        A tensor of the same shape and dtype as `x`.

    Example:
    >>> threshold([-1.0, 2.0], 0.0, -5.0)
    tensor([-5.,  2.])
    """
    return F.threshold(tensor(x), threshold, default_value)


def _check_axis(name, x, axis):
    axes = axis if isinstance(axis, (tuple, list)) else (axis,)
    for a in axes:
        if isinstance(a, bool) or not isinstance(a, int):
            raise TypeError(f"ops.{name}: `axis` must be an int, a tuple of ints or None, got "
                            f"axis={axis!r}.")
        if not -max(x.ndim, 1) <= a < max(x.ndim, 1):
            raise ValueError(f"ops.{name}: axis {a} is out of range for an input of shape "
                             f"{tuple(x.shape)}; use an axis in [{-x.ndim}, {x.ndim}).")


def _softmax_family(fn, name, x, axis):
    """`fn` (softmax or log_softmax) over `axis`: an int, a tuple of ints, or `None` (all)."""
    dtype = x.dtype
    if dtype == torch.float16 and x.device.type == "cpu":
        x = x.float()            # Keras' torch backend: float16 softmax runs in float32 on the CPU
    if axis is None:             # over every element, as numpy (torch would take the last axis)
        out = fn(x.reshape(-1), dim=-1).reshape(x.shape)
    elif isinstance(axis, (tuple, list)):
        _check_axis(name, x, axis)
        axes = [a % x.ndim for a in axis]
        keep = [a for a in range(x.ndim) if a not in axes]
        moved = x.permute(*keep, *axes)
        out = fn(moved.reshape(*moved.shape[: len(keep)], -1), dim=-1).reshape(moved.shape)
        inverse = [0] * x.ndim
        for position, a in enumerate(keep + axes):
            inverse[a] = position
        out = out.permute(*inverse)
    else:
        _check_axis(name, x, axis)
        out = fn(x, dim=axis)
    return out if out.dtype == dtype else out.to(dtype)


@keras_op
def softmax(x, axis=-1):
    """Softmax: `exp(x) / sum(exp(x), axis)`, the probabilities of a categorical distribution.

    Warns, as Keras does, when `axis` has size 1 (the output is then always 1).

    Args:
        x: Float input tensor.
        axis: An int, a tuple of ints, or `None` (all axes), along which the output sums to 1.
            Defaults to `-1`.

    Returns:
        A tensor of the same shape and dtype as `x`.

    Example:
    >>> softmax([[0.0, 0.0, 0.0, 0.0]])
    tensor([[0.2500, 0.2500, 0.2500, 0.2500]])
    """
    x = tensor(x)
    if type(axis) is int and x.ndim and -x.ndim <= axis < x.ndim:
        if x.shape[axis] == 1:
            warnings.warn(
                f"You are using a softmax over axis {axis} of a tensor of shape "
                f"{tuple(x.shape)}. This axis has size 1, so the output is always 1, "
                "which is likely not what you intended. Did you mean to use a sigmoid instead?",
                stacklevel=3,
            )
        elif x.dtype != torch.float16:
            return F.softmax(x, dim=axis)  # the hot path
    return _softmax_family(F.softmax, "softmax", x, axis)


@keras_op
def log_softmax(x, axis=-1):
    """Logarithm of the softmax, computed stably: `x - logsumexp(x, axis)`.

    Args:
        x: Float input tensor.
        axis: An int, a tuple of ints, or `None` (all axes). Defaults to `-1`.

    Returns:
        A tensor of the same shape and dtype as `x`.

    Example:
    >>> log_softmax([0.0, 0.0]).exp()
    tensor([0.5000, 0.5000])
    """
    x = tensor(x)
    if type(axis) is int and x.ndim and -x.ndim <= axis < x.ndim and x.dtype != torch.float16:
        return F.log_softmax(x, dim=axis)
    return _softmax_family(F.log_softmax, "log_softmax", x, axis)


@keras_op
def sparsemax(x, axis=-1):
    """Sparsemax: the Euclidean projection of `x` onto the probability simplex
    (Martins & Astudillo, 2016). Like softmax the output sums to 1 along `axis`, but small
    entries are exactly zero.

    Computes `max(x - tau, 0)` with `tau = (sum(z[:k]) - 1) / k`, where `z` is `x` sorted in
    decreasing order and `k` the size of the support.

    Note: Keras 3.15.1 computes `tau` from the sum of the first `k` *cumulative* sums, which
    agrees with this only when the support has one element; otherwise its output does not sum
    to 1 (e.g. `[0.5, 0.4]` gives `[0.3, 0.2]` there, `[0.55, 0.45]` here): keras-team/keras#23425,
    fixed upstream by keras PR #23469 (after 3.15.1). This op implements the published
    definition, as fixed Keras does.

    Args:
        x: Input tensor; integer inputs give float32 (booleans are refused, as in Keras).
        axis: The axis along which the output sums to 1. Defaults to `-1`.

    Returns:
        A tensor of the same shape as `x`.

    Example:
    >>> sparsemax([0.5, 0.4, -1.0])
    tensor([0.5500, 0.4500, 0.0000])
    """
    x = tensor(x)
    if x.dtype == torch.bool:
        raise TypeError("ops.sparsemax: boolean inputs are not supported (as in Keras); cast them "
                        "first, e.g. ops.cast(x, 'float32').")
    if not x.is_floating_point():
        x = x.float()
    z, _ = torch.sort(x, dim=axis, descending=True)
    cumsum = torch.cumsum(z, dim=axis)
    shape = [1] * x.ndim
    shape[axis] = -1
    r = torch.arange(1, x.shape[axis] + 1, device=x.device, dtype=x.dtype).view(shape)
    support = (1 + r * z) > cumsum  # z_k > (cumsum_k - 1) / k; always true for k = 1
    k = support.sum(dim=axis, keepdim=True)
    tau = (torch.gather(cumsum, axis, k - 1) - 1) / k.to(x.dtype)
    return torch.clamp(x - tau, min=0.0)
