"""Keras' reductions on torch: sums, products, means, extrema, `all`/`any`, spreads and cumulative ops.

`axis` is `None` (all axes), an int or a tuple/list of ints (negative ones count from the end) and
`keepdims=True` keeps each reduced axis with size 1, as numpy does, also for `axis=None` (where
Keras' torch backend returns a 0-d tensor for `sum`, `prod`, `max`, `min`, `amax`, `amin` and `ptp`);
`axis=()` reduces nothing, as in numpy (Keras' torch backend reduces every axis in `std`).
Result dtypes are Keras': `sum` of bool/int8/int16/uint8 is int32, `mean` of ints is float32 (and
float16 means are computed in float32), `argmax` is int32, `prod` and `cumsum` follow Keras'
32-bit `result_type` (an int64 or float64 input gives int32 or float32).

Example:
>>> from kerastorch import ops
>>> ops.sum([[1, 2], [3, 4]], axis=0)
tensor([4, 6], dtype=torch.int32)
>>> ops.mean([[1, 2], [3, 4]], axis=-1, keepdims=True)
tensor([[1.5000],
        [3.5000]])
"""

import torch

from kerastorch.backend.dtypes import result_type, to_torch_dtype
from kerastorch.ops._utils import keras_op, tensor
from kerastorch.ops.numpy._scalars import (axis_tuple, canonical_axes, cast, dtype_error,
                                          keep_all_dims, name, op_dtype)

__all__ = ["all", "amax", "amin", "any", "argmax", "argmin", "average", "count_nonzero", "cumprod",
           "cumsum", "max", "mean", "min", "prod", "ptp", "std", "sum", "var"]

# Integer dtypes Keras sums (and multiplies) in int32.
_SMALL_INTS = frozenset((torch.bool, torch.uint8, torch.int8, torch.int16))
_FLOATING = frozenset((torch.float16, torch.bfloat16, torch.float32, torch.float64, torch.complex64,
                       torch.complex128))


def _no_axes(axis):
    """Whether `axis` is an empty tuple or list: numpy then reduces nothing (torch would reduce all)."""
    return axis is not None and type(axis) is not int and len(axis) == 0


@keras_op
def sum(x, axis=None, keepdims=False):
    """Sum of the elements over the given axes.

    Args:
        x: Input tensor.
        axis: Axis or axes to sum over. Defaults to `None` (all axes).
        keepdims: Whether to keep the reduced axes with size 1. Defaults to `False`.

    Returns:
        The sums: int32 for bool, uint8, int8 and int16 inputs, the input's dtype otherwise.

    Example:
    >>> ops.sum([[1.0, 2.0], [3.0, 4.0]], axis=1)
    tensor([3., 7.])
    """
    x = tensor(x)
    floating = x.dtype in _FLOATING
    if floating and (axis is None or type(axis) is int):
        return torch.sum(x) if axis is None and not keepdims else torch.sum(x, axis, keepdims)
    if _no_axes(axis):
        return x
    if floating:
        return torch.sum(x, axis_tuple(axis), keepdims)
    return torch.sum(x, dim=axis_tuple(axis), keepdim=keepdims,
                     dtype=torch.int32 if x.dtype in _SMALL_INTS else x.dtype)


@keras_op
def prod(x, axis=None, keepdims=False, dtype=None):
    """Product of the elements over the given axes.

    Args:
        x: Input tensor.
        axis: Axis or axes to multiply over. Defaults to `None` (all axes).
        keepdims: Whether to keep the reduced axes with size 1. Defaults to `False`.
        dtype: Dtype of the result. Defaults to `None`: Keras' `result_type` of the input (int32
            for bool and small ints, and 32 bits for int64/float64 inputs).

    Returns:
        The products.

    Example:
    >>> ops.prod([[1, 2], [3, 4]], axis=0)
    tensor([3, 8], dtype=torch.int32)
    """
    x = tensor(x)
    if dtype is None:
        dtype = result_type(x.dtype)
        if dtype in ("bool", "uint8", "int8", "int16"):
            dtype = "int32"
    else:
        dtype = op_dtype("prod", dtype)
    out_dtype = to_torch_dtype(dtype)
    # float16 products are computed in float32 and rounded back, as Keras does.
    compute = torch.float32 if out_dtype is torch.float16 else out_dtype
    if axis is None:
        out = cast(torch.prod(x, dtype=compute), out_dtype)
        return keep_all_dims(out, x.ndim) if keepdims else out
    for a in reversed(canonical_axes(axis, x.ndim, "prod")):   # torch.prod takes one axis at a time
        x = cast(torch.prod(x, dim=a, keepdim=keepdims, dtype=compute), out_dtype)
    return cast(x, out_dtype)


@keras_op
def mean(x, axis=None, keepdims=False):
    """Arithmetic mean of the elements over the given axes.

    Args:
        x: Input tensor.
        axis: Axis or axes to average over. Defaults to `None` (all axes).
        keepdims: Whether to keep the reduced axes with size 1. Defaults to `False`.

    Returns:
        The means: float32 for int and bool inputs; float inputs keep their dtype (Keras computes
        half-precision and float64 means in float32).

    Example:
    >>> ops.mean([1, 2, 3, 4])
    tensor(2.5000)
    """
    x = tensor(x)
    if _no_axes(axis):
        return x
    if x.dtype is torch.float32:
        return torch.mean(x) if axis is None and not keepdims else torch.mean(x, axis_tuple(axis), keepdims)
    compute = result_type(x.dtype, "float32")
    out_dtype = compute if not (x.is_floating_point() or x.is_complex()) else name(x)
    out = torch.mean(cast(x, compute), axis_tuple(axis), keepdims)
    return cast(out, out_dtype)


def _empty_extremum(op, x, axis, keepdims, initial):
    if initial is None:
        raise ValueError(f"ops.{op}: cannot compute the {op} of an empty tensor (shape "
                         f"{tuple(x.shape)}); pass `initial=` for the value of an empty reduction.")
    axes = range(x.ndim) if axis is None else canonical_axes(axis, x.ndim, op)
    shape = [1 if i in axes else d for i, d in enumerate(x.shape)] if keepdims else \
        [d for i, d in enumerate(x.shape) if i not in axes]
    return torch.full(shape, initial, dtype=x.dtype, device=x.device)


def _extremum(op, fn, combine, x, axis, keepdims, initial):
    x = tensor(x)
    if _no_axes(axis):
        out = x
    else:
        try:
            out = fn(x, axis_tuple(axis), keepdims)
        except (RuntimeError, IndexError):      # an empty reduction, or a bad axis
            if 0 not in x.shape:
                raise
            return _empty_extremum(op, x, axis, keepdims, initial)
    if initial is not None:
        out = combine(out, torch.tensor(initial, dtype=out.dtype, device=out.device))
    return out


@keras_op
def max(x, axis=None, keepdims=False, initial=None):
    """Maximum of the elements over the given axes.

    Args:
        x: Input tensor.
        axis: Axis or axes to reduce. Defaults to `None` (all axes).
        keepdims: Whether to keep the reduced axes with size 1. Defaults to `False`.
        initial: Optional lower bound of the result, and the result of an empty reduction.
            Defaults to `None`.

    Returns:
        The maxima, in the input's dtype.

    Raises:
        ValueError: For an empty input without `initial`.

    Example:
    >>> ops.max([[1, 5], [3, 2]], axis=0)
    tensor([3, 5], dtype=torch.int32)
    """
    return _extremum("max", torch.amax, torch.maximum, x, axis, keepdims, initial)


@keras_op
def min(x, axis=None, keepdims=False, initial=None):
    """Minimum of the elements over the given axes.

    Args:
        x: Input tensor.
        axis: Axis or axes to reduce. Defaults to `None` (all axes).
        keepdims: Whether to keep the reduced axes with size 1. Defaults to `False`.
        initial: Optional upper bound of the result, and the result of an empty reduction.
            Defaults to `None`.

    Returns:
        The minima, in the input's dtype.

    Raises:
        ValueError: For an empty input without `initial`.

    Example:
    >>> ops.min([[1, 5], [3, 2]], axis=1)
    tensor([1, 2], dtype=torch.int32)
    """
    return _extremum("min", torch.amin, torch.minimum, x, axis, keepdims, initial)


@keras_op
def amax(x, axis=None, keepdims=False):
    """Maximum of the elements over the given axes (as `ops.max`, without `initial`).

    Args:
        x: Input tensor.
        axis: Axis or axes to reduce. Defaults to `None` (all axes).
        keepdims: Whether to keep the reduced axes with size 1. Defaults to `False`.

    Returns:
        The maxima, in the input's dtype.

    Example:
    >>> ops.amax([[1.0, 5.0], [3.0, 2.0]])
    tensor(5.)
    """
    return _extremum("amax", torch.amax, None, x, axis, keepdims, None)


@keras_op
def amin(x, axis=None, keepdims=False):
    """Minimum of the elements over the given axes (as `ops.min`, without `initial`).

    Args:
        x: Input tensor.
        axis: Axis or axes to reduce. Defaults to `None` (all axes).
        keepdims: Whether to keep the reduced axes with size 1. Defaults to `False`.

    Returns:
        The minima, in the input's dtype.

    Example:
    >>> ops.amin([[1.0, 5.0], [3.0, 2.0]], axis=0)
    tensor([1., 2.])
    """
    return _extremum("amin", torch.amin, None, x, axis, keepdims, None)


def _arg(fn, x, axis, keepdims):
    x = tensor(x)
    if x.dtype is torch.bool:
        x = x.to(torch.uint8)
    return fn(x, axis, keepdims).int()


@keras_op
def argmax(x, axis=None, keepdims=False):
    """Index of the maximum along an axis (of the flattened input for `axis=None`).

    Args:
        x: Input tensor.
        axis: The axis to search. Defaults to `None` (the flattened input).
        keepdims: Whether to keep the reduced axis with size 1. Defaults to `False`.

    Returns:
        An int32 tensor of indices (the first one for ties).

    Example:
    >>> ops.argmax([[1, 5], [3, 2]], axis=1)
    tensor([1, 0], dtype=torch.int32)
    """
    return _arg(torch.argmax, x, axis, keepdims)


@keras_op
def argmin(x, axis=None, keepdims=False):
    """Index of the minimum along an axis (of the flattened input for `axis=None`).

    Args:
        x: Input tensor.
        axis: The axis to search. Defaults to `None` (the flattened input).
        keepdims: Whether to keep the reduced axis with size 1. Defaults to `False`.

    Returns:
        An int32 tensor of indices (the first one for ties).

    Example:
    >>> ops.argmin([[1, 5], [3, 2]], axis=1)
    tensor([0, 1], dtype=torch.int32)
    """
    return _arg(torch.argmin, x, axis, keepdims)


def _truth(fn, x, axis, keepdims):
    x = tensor(x)
    if _no_axes(axis):
        return x.to(torch.bool)
    out = fn(x, dim=axis_tuple(axis), keepdim=keepdims)
    return out if out.dtype is torch.bool else out.to(torch.bool)


@keras_op
def all(x, axis=None, keepdims=False):
    """Whether all elements are true (non-zero) over the given axes.

    Args:
        x: Input tensor.
        axis: Axis or axes to reduce. Defaults to `None` (all axes).
        keepdims: Whether to keep the reduced axes with size 1. Defaults to `False`.

    Returns:
        A bool tensor.

    Example:
    >>> ops.all([[True, False], [True, True]], axis=1)
    tensor([False,  True])
    """
    return _truth(torch.all, x, axis, keepdims)


@keras_op
def any(x, axis=None, keepdims=False):
    """Whether any element is true (non-zero) over the given axes.

    Args:
        x: Input tensor.
        axis: Axis or axes to reduce. Defaults to `None` (all axes).
        keepdims: Whether to keep the reduced axes with size 1. Defaults to `False`.

    Returns:
        A bool tensor.

    Example:
    >>> ops.any([[True, False], [False, False]], axis=1)
    tensor([ True, False])
    """
    return _truth(torch.any, x, axis, keepdims)


@keras_op
def std(x, axis=None, keepdims=False):
    """Standard deviation over the given axes (the population one, `ddof=0`, as numpy's default).

    Args:
        x: Input tensor.
        axis: Axis or axes to reduce. Defaults to `None` (all axes).
        keepdims: Whether to keep the reduced axes with size 1. Defaults to `False`.

    Returns:
        Float32 for int and bool inputs; float inputs keep their dtype.

    Example:
    >>> ops.std([1.0, 3.0])
    tensor(1.)
    """
    x = tensor(x)
    if not (x.is_floating_point() or x.is_complex()):
        x = x.to(torch.float32)     # float32 whatever floatx is, as Keras does
    if _no_axes(axis):
        # numpy reduces nothing (zeros, as `ops.var` gives); Keras' torch backend reduces every axis.
        return torch.zeros_like(x.real if x.is_complex() else x)
    return torch.std(x, dim=axis_tuple(axis), keepdim=keepdims, correction=0)


@keras_op
def var(x, axis=None, keepdims=False):
    """Variance over the given axes (the population one, `ddof=0`, as numpy's default).

    Args:
        x: Input tensor.
        axis: Axis or axes to reduce. Defaults to `None` (all axes).
        keepdims: Whether to keep the reduced axes with size 1. Defaults to `False`.

    Returns:
        Keras' promoted float dtype (float32 for ints and float64; float16 is computed in float32).

    Example:
    >>> ops.var([1.0, 3.0])
    tensor(1.)
    """
    x = tensor(x)
    out_dtype = result_type(x.dtype, float)
    if _no_axes(axis):
        return torch.zeros_like(x, dtype=to_torch_dtype(out_dtype))
    out = torch.var(cast(x, result_type(x.dtype, "float32")), dim=axis_tuple(axis), keepdim=keepdims,
                    correction=0)
    return cast(out, out_dtype)


@keras_op
def ptp(x, axis=None, keepdims=False):
    """Range of values (`max - min`) over the given axes.

    Args:
        x: Input tensor (not bool).
        axis: Axis or axes to reduce. Defaults to `None` (all axes).
        keepdims: Whether to keep the reduced axes with size 1. Defaults to `False`.

    Returns:
        The ranges, in the input's dtype.

    Raises:
        TypeError: For a bool input.

    Example:
    >>> ops.ptp([[1, 5], [3, 2]], axis=1)
    tensor([4, 1], dtype=torch.int32)
    """
    x = tensor(x)
    if x.dtype is torch.bool:
        raise dtype_error("ptp", "numbers", x, fix="Cast a mask first: ops.cast(x, 'int32').")
    if _no_axes(axis):
        return torch.zeros_like(x)
    axis = axis_tuple(axis)
    return torch.amax(x, dim=axis, keepdim=keepdims) - torch.amin(x, dim=axis, keepdim=keepdims)


@keras_op
def count_nonzero(x, axis=None):
    """Number of non-zero elements over the given axes.

    Args:
        x: Input tensor.
        axis: Axis or axes to count over. Defaults to `None` (all axes).

    Returns:
        An int32 tensor of counts.

    Example:
    >>> ops.count_nonzero([[0, 1], [2, 3]], axis=0)
    tensor([1, 2], dtype=torch.int32)
    """
    x = tensor(x)
    if _no_axes(axis):
        return torch.ne(x, 0).int()
    return torch.count_nonzero(x, dim=axis_tuple(axis)).int()


def _cumulative(op, fn, x, axis, dtype):
    x = tensor(x)
    if axis is None:
        x, axis = x.reshape(-1), 0
    if dtype is None and x.dtype is torch.float32:
        return fn(x, axis)
    dtype = result_type(x.dtype if dtype is None else op_dtype(op, dtype))
    if dtype == "bool":
        dtype = "int32"
    elif dtype == "float16":    # accumulated in float32 and rounded back, as Keras does
        return fn(x, axis, dtype=torch.float32).half()
    return fn(x, axis, dtype=to_torch_dtype(dtype))


@keras_op
def cumsum(x, axis=None, dtype=None):
    """Cumulative sum of the elements along an axis.

    Args:
        x: Input tensor.
        axis: The axis to accumulate along. Defaults to `None` (the flattened input).
        dtype: Dtype of the result. Defaults to `None`: the input's dtype under Keras'
            `result_type` (int32 for bool, 32 bits for int64/float64).

    Returns:
        The running sums.

    Example:
    >>> ops.cumsum([[1, 2], [3, 4]], axis=1)
    tensor([[1, 3],
            [3, 7]], dtype=torch.int32)
    """
    return _cumulative("cumsum", torch.cumsum, x, axis, dtype)


@keras_op
def cumprod(x, axis=None, dtype=None):
    """Cumulative product of the elements along an axis.

    Args:
        x: Input tensor.
        axis: The axis to accumulate along. Defaults to `None` (the flattened input).
        dtype: Dtype of the result. Defaults to `None`: the input's dtype under Keras'
            `result_type` (int32 for bool, 32 bits for int64/float64).

    Returns:
        The running products.

    Example:
    >>> ops.cumprod([1, 2, 3])
    tensor([1, 2, 6], dtype=torch.int32)
    """
    return _cumulative("cumprod", torch.cumprod, x, axis, dtype)


@keras_op
def average(x, axis=None, weights=None):
    """Weighted average over the given axes.

    Args:
        x: Input tensor.
        axis: Axis or axes to average over. Defaults to `None` (all axes).
        weights: Optional weights: the shape of `x`, or 1-D with the length of `x` along an int
            `axis`. Defaults to `None` (equal weights, the mean).

    Returns:
        The averages, in Keras' promoted float dtype of `x` and `weights`.

    Raises:
        ValueError: When `weights` fits neither shape.

    Example:
    >>> ops.average([1.0, 2.0, 3.0], weights=[3.0, 1.0, 0.0])
    tensor(1.2500)
    """
    x = tensor(x)
    if weights is None:
        dtype = result_type(x.dtype, float)
    else:
        weights = tensor(weights)
        dtype = result_type(x.dtype, float, weights.dtype)
    x = cast(x, dtype)
    if _no_axes(axis):
        return x
    if weights is None:
        return torch.mean(x, axis_tuple(axis))
    weights = cast(weights, dtype)
    if weights.shape != x.shape:
        if weights.ndim != 1 or not isinstance(axis, int) or not -x.ndim <= axis < x.ndim \
                or weights.shape[0] != x.shape[axis]:
            raise ValueError(
                f"ops.average: `weights` must have the shape of `x` {tuple(x.shape)}, or be 1-D with "
                f"the length of `x` along an int `axis`; got weights of shape "
                f"{tuple(weights.shape)} with axis={axis!r}.")
        shape = [1] * x.ndim
        shape[axis] = -1
        weights = weights.reshape(shape)
        return torch.sum(x * weights, dim=axis) / torch.sum(weights)
    axis = axis_tuple(axis)
    return torch.sum(x * weights, dim=axis) / torch.sum(weights, dim=axis)
