"""Keras' normalization ops: `moments`, `batch_normalization`, `layer_normalization`,
`rms_normalization`, `normalize`.

`layer_normalization` and `rms_normalization` run in float32 at least (half-precision inputs come
back in their dtype) on torch's fused kernels when the axes are the trailing ones. Keras 3.15.1's
torch backend also hands non-trailing contiguous axes (e.g. `axis=0` of a 2-D input) to those
kernels, which always normalize the trailing axes, so its result there is wrong or an error; here
any axes are normalized, by Keras' own formula for non-contiguous axes.

Example:
>>> from kerastorch import ops
>>> ops.moments([1.0, 2.0, 3.0, 4.0], axes=0)
(tensor(2.5000), tensor(1.2500))
"""

import warnings

import torch
import torch.nn.functional as F

from kerastorch import config
from kerastorch.backend.dtypes import result_type, to_torch_dtype
from kerastorch.ops._utils import keras_op, tensor

__all__ = ["batch_normalization", "layer_normalization", "moments", "normalize",
           "rms_normalization"]


def _axes(name, x, axis, arg="axis"):
    """`axis` (an int or a sequence of ints) as a sorted list of non-negative axes."""
    items = list(axis) if isinstance(axis, (tuple, list)) else [axis]
    out = []
    for a in items:
        if isinstance(a, bool) or not isinstance(a, int):
            raise TypeError(f"ops.{name}: `{arg}` must be an int or a sequence of ints, got "
                            f"{arg}={axis!r}.")
        if not -x.ndim <= a < max(x.ndim, 1):
            raise ValueError(f"ops.{name}: {arg}={axis!r} is out of range for an input of shape "
                             f"{tuple(x.shape)}; each axis must lie in [{-x.ndim}, {x.ndim}).")
        out.append(a % max(x.ndim, 1))
    return sorted(out)


@keras_op
def moments(x, axes, keepdims=False, synchronized=False):
    """Mean and variance of `x` over `axes`.

    The variance is `mean(x**2) - mean(x)**2` (Keras' formula: fast, less exact than two passes
    when the mean is large against the spread). float16 inputs are reduced in float32.

    Args:
        x: Float input tensor.
        axes: An int or a sequence of ints, the axes to reduce.
        keepdims: Whether to keep the reduced axes with length 1. Defaults to `False`.
        synchronized: Only `False`: synchronizing the statistics across devices is not
            supported (as on Keras' torch backend). Defaults to `False`.

    Returns:
        A tuple `(mean, variance)`.

    Example:
    >>> import torch
    >>> mean, var = moments(torch.tensor([[1.0, 3.0], [2.0, 6.0]]), axes=1)
    >>> mean, var
    (tensor([2., 4.]), tensor([1., 4.]))
    """
    if synchronized:
        raise NotImplementedError(
            "ops.moments: synchronized=True (statistics shared across devices) is not supported "
            "on torch. Use synchronized=False, and average the moments across processes with "
            "torch.distributed.all_reduce if you need them synchronized."
        )
    x = tensor(x)
    dims = _axes("moments", x, axes, "axes") if x.ndim else []
    half = x.dtype == torch.float16
    if half:
        x = x.float()           # float16's range is too narrow for the statistics
    mean = torch.mean(x, dim=dims, keepdim=True)
    variance = torch.mean(torch.square(x), dim=dims, keepdim=True) - torch.square(mean)
    if not keepdims and dims:
        mean, variance = mean.squeeze(dims), variance.squeeze(dims)
    if half:
        limit = torch.finfo(torch.float16).max
        mean = torch.clamp(mean, -limit, limit).half()
        variance = torch.clamp(variance, -limit, limit).half()
    return mean, variance


def _vector(name, arg, value, size, x):
    v = tensor(value)
    if tuple(v.shape) != (size,):
        raise ValueError(f"ops.batch_normalization: `{arg}` must be a vector of length "
                         f"x.shape[axis] = {size}, got shape {tuple(v.shape)} (x.shape="
                         f"{tuple(x.shape)}).")
    return v


@keras_op
def batch_normalization(x, mean, variance, axis, offset=None, scale=None, epsilon=1e-3):
    """Normalizes `x` with given statistics: `(x - mean) * rsqrt(variance + epsilon) * scale + offset`.

    Args:
        x: Float input tensor.
        mean: Vector of length `x.shape[axis]`.
        variance: Vector of length `x.shape[axis]`.
        axis: The feature axis that `mean`, `variance`, `offset` and `scale` run along.
        offset: Optional vector added at the end. Defaults to `None` (zeros).
        scale: Optional vector multiplied in. Defaults to `None` (ones).
        epsilon: Added to the variance. Defaults to `1e-3`.

    Returns:
        A tensor of the shape of `x`.

    Example:
    >>> import torch
    >>> batch_normalization(torch.tensor([[1.0, 4.0]]), [1.0, 2.0], [4.0, 1.0], axis=1,
    ...                     epsilon=0.0)
    tensor([[0., 2.]])
    """
    x = tensor(x)
    (dim,) = _axes("batch_normalization", x, axis)
    size = x.shape[dim]
    shape = [1] * x.ndim
    shape[dim] = size
    mean = _vector("batch_normalization", "mean", mean, size, x).reshape(shape)
    variance = _vector("batch_normalization", "variance", variance, size, x).reshape(shape)
    factor = torch.rsqrt(variance + epsilon)
    if scale is not None:
        factor = factor * _vector("batch_normalization", "scale", scale, size, x).reshape(shape)
    out = (x - mean) * factor
    if offset is not None:
        out = out + _vector("batch_normalization", "offset", offset, size, x).reshape(shape)
    return out


def _compute_dtype(x):
    """Keras' float32-at-least compute dtype for the normalizations, as a torch dtype."""
    return to_torch_dtype(result_type(x.dtype, "float32"))


def _is_float32(v):
    """`None`, or a float32 tensor on the configured device's kind (no conversion needed)."""
    return v is None or (type(v) is torch.Tensor and v.dtype == torch.float32)


def _trailing(dims, ndim):
    return dims == list(range(ndim - len(dims), ndim))


@keras_op
def layer_normalization(x, gamma=None, beta=None, axis=-1, epsilon=None, **kwargs):
    """Layer normalization: `(x - mean) / sqrt(var + epsilon) * gamma + beta` over `axis`.

    Computed in float32 at least (float16/bfloat16 inputs come back in their dtype).

    Args:
        x: Float input tensor.
        gamma: Optional scale, shaped like the normalized axes. Defaults to `None`.
        beta: Optional offset, shaped like the normalized axes. Defaults to `None`.
        axis: An int or a sequence of ints, the axes to normalize over. Defaults to `-1`.
        epsilon: Added to the variance. Defaults to `None`, which means
            `kerastorch.config.epsilon()` (1e-7).
        **kwargs: Only `rms_scaling` (Keras' deprecated option, with its warning):
            `x * rsqrt(var + epsilon) * gamma`, without centering (no `beta`). Use
            `rms_normalization` instead.

    Returns:
        A tensor of the shape and dtype of `x`.

    Example:
    >>> layer_normalization([[1.0, 3.0]], epsilon=0.0)
    tensor([[-1.,  1.]])
    """
    rms_scaling = kwargs.pop("rms_scaling", False)
    if kwargs:
        raise TypeError(f"ops.layer_normalization got unexpected keyword arguments "
                        f"{sorted(kwargs)}; it takes gamma, beta, axis, epsilon and rms_scaling.")
    if rms_scaling:
        warnings.warn(
            "You passed `rms_scaling=True`, which is deprecated. This argument incorrectly scales the "
            "input by the variance, not the root mean square. To correctly use RMS Normalization, "
            "please use `keras.ops.rms_normalization` / `keras.ops.nn.rms_normalization` instead.",
            stacklevel=3,
        )
        if beta is not None:
            raise ValueError("ops.layer_normalization: rms_scaling=True does not center, so it takes "
                             "no `beta` (Keras drops it). Pass beta=None, or use rms_scaling=False.")
    eps = config.epsilon() if epsilon is None else epsilon
    x = tensor(x)
    if (axis == -1 and not rms_scaling and x.dtype == torch.float32 and x.ndim
            and _is_float32(gamma) and _is_float32(beta)):
        return F.layer_norm(x, (x.shape[-1],), gamma, beta, eps)     # the hot path
    dtype = x.dtype
    x = x.to(_compute_dtype(x))
    gamma = None if gamma is None else tensor(gamma, x.dtype)
    beta = None if beta is None else tensor(beta, x.dtype)
    dims = _axes("layer_normalization", x, axis)
    if not rms_scaling and _trailing(dims, x.ndim):
        out = F.layer_norm(x, tuple(x.shape[d] for d in dims), gamma, beta, eps)
    else:
        shape = [x.shape[d] if d in dims else 1 for d in range(x.ndim)]

        def broadcast(v):
            return v.reshape(shape) if v is not None and v.ndim != x.ndim else v

        if rms_scaling:
            out = x * torch.rsqrt(torch.var(x, dim=dims, keepdim=True, correction=0) + eps)
            if gamma is not None:
                out = out * broadcast(gamma)
        else:
            mean, variance = moments(x, dims, keepdims=True)
            inv = torch.rsqrt(variance + eps)
            if gamma is not None:
                inv = inv * broadcast(gamma)
            shift = -mean * inv
            if beta is not None:
                shift = shift + broadcast(beta)
            out = x * inv + shift
    return out if out.dtype == dtype else out.to(dtype)


@keras_op
def rms_normalization(x, scale=None, axis=-1, epsilon=None):
    """Root-mean-square normalization: `x * rsqrt(mean(x**2, axis) + epsilon) * scale`.

    Computed in float32 at least (float16/bfloat16 inputs come back in their dtype).

    Args:
        x: Float input tensor.
        scale: Optional scale, shaped like the normalized axes. Defaults to `None`.
        axis: An int or a sequence of ints, the axes to normalize over. Defaults to `-1`.
        epsilon: Added to the mean square. Defaults to `None`, which means
            `kerastorch.config.epsilon()` (1e-7).

    Returns:
        A tensor of the shape and dtype of `x`.

    Example:
    >>> rms_normalization([[3.0, 4.0]], epsilon=0.0) ** 2
    tensor([[0.7200, 1.2800]])
    """
    eps = config.epsilon() if epsilon is None else epsilon
    x = tensor(x)
    if axis == -1 and x.dtype == torch.float32 and x.ndim and _is_float32(scale):
        return F.rms_norm(x, (x.shape[-1],), scale, eps)             # the hot path
    dtype = x.dtype
    x = x.to(_compute_dtype(x))
    scale = None if scale is None else tensor(scale, x.dtype)
    if x.ndim == 0:
        x = x.reshape(1)
    dims = _axes("rms_normalization", x, axis)
    if _trailing(dims, x.ndim):
        out = F.rms_norm(x, tuple(x.shape[d] for d in dims), scale, eps)
    else:
        out = x * torch.rsqrt(torch.mean(torch.square(x), dim=dims, keepdim=True) + eps)
        if scale is not None:
            out = out * scale
    return out if out.dtype == dtype else out.to(dtype)


@keras_op
def normalize(x, axis=-1, order=2, epsilon=None):
    """Divides `x` by its `order`-norm along `axis` (at least `epsilon`).

    For `order=2` this is `x * min(rsqrt(sum(x**2, axis)), 1 / epsilon)`, as in Keras.

    Args:
        x: Input tensor.
        axis: An int or a tuple of ints, the axes the norm runs over. Defaults to `-1`.
        order: An int of at least 1, the order of the norm. Defaults to `2`.
        epsilon: The smallest norm divided by. Defaults to `None`, which means
            `kerastorch.config.epsilon()` (1e-7).

    Returns:
        A tensor of the shape of `x` (at least 1-D).

    Example:
    >>> normalize([[3.0, 4.0]])
    tensor([[0.6000, 0.8000]])
    """
    if isinstance(order, bool) or not isinstance(order, int) or order < 1:
        raise ValueError(f"ops.normalize: `order` must be an int >= 1, got order={order!r}.")
    eps = config.epsilon() if epsilon is None else epsilon
    x = tensor(x)
    if x.ndim == 0:
        x = x.reshape(1)
    dims = tuple(axis) if isinstance(axis, (tuple, list)) else axis
    if order == 2:
        inv = torch.rsqrt(torch.sum(torch.square(x), dim=dims, keepdim=True))
        return x * torch.clamp(inv, max=1.0 / eps)
    y = x if x.is_floating_point() else x.to(to_torch_dtype(config.floatx()))
    norm = torch.linalg.norm(y, ord=order, dim=dims, keepdim=True)
    return x / torch.clamp(norm, min=eps)
