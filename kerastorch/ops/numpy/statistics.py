"""Keras' statistics on torch: quantiles, medians, the `nan*` reductions, histograms and counts.

Quantiles are computed in float32 (or the input's wider float) and returned in Keras' promoted float
dtype. The `nan*` ops ignore `nan`s as numpy does: an all-`nan` slice gives `nan` for `nanmax`,
`nanmin`, `nanmean`, and -1 for `nanargmax`/`nanargmin`, as Keras does. `nancumsum`, `nancumprod`,
`nanprod` and `nansum` replace `nan` only (Keras' torch backend also turns `inf` into the largest
finite float there; numpy keeps it, and so does kerastorch).

Example:
>>> from kerastorch import ops
>>> ops.median([1.0, 3.0, 2.0, 10.0])
tensor(2.5000)
>>> ops.nanmean([1.0, float("nan"), 3.0])
tensor(2.)
"""

import builtins

import torch

from kerastorch import config
from kerastorch.backend.dtypes import result_type
from kerastorch.ops._utils import keras_op, tensor
from kerastorch.ops.numpy._scalars import axis_tuple, canonical_axes, cast, dtype_error, floatx_torch
from kerastorch.ops.numpy.reductions import _cumulative, _no_axes, argmax, argmin, prod
from kerastorch.ops.numpy.reductions import sum as _sum

__all__ = ["bincount", "corrcoef", "digitize", "histogram", "median", "nanargmax", "nanargmin",
           "nancumprod", "nancumsum", "nanmax", "nanmean", "nanmedian", "nanmin", "nanpercentile",
           "nanprod", "nanquantile", "nanstd", "nansum", "nanvar", "percentile", "quantile",
           "trapezoid"]

_METHODS = ("linear", "lower", "higher", "midpoint", "nearest")


# ------------------------------------------------------------------------------ quantiles
def _quantile(op, fn, x, q, axis, method, keepdims):
    if method not in _METHODS:
        raise ValueError(f"ops.{op}: unknown method={method!r}; expected one of "
                         f"{', '.join(_METHODS)}.")
    x, q = tensor(x), tensor(q)
    out_dtype = result_type(x.dtype, float)
    x = cast(x, result_type(x.dtype, "float32"))
    q = cast(q, x.dtype)
    if axis is None:
        y = x.reshape(-1)
    else:
        # Several axes: move them to the end and flatten them into one.
        axes = canonical_axes(axis, x.ndim, op)
        others = [i for i in range(x.ndim) if i not in axes]
        y = x.permute(others + list(axes)).reshape([x.shape[i] for i in others] + [-1])
    try:
        y = fn(y, q, dim=-1, interpolation=method)
    except RuntimeError as e:
        if "q values must be in the range" in str(e) or "q must be" in str(e):
            raise ValueError(f"ops.{op}: q must lie in [0, 1] for quantiles and in [0, 100] for "
                             f"percentiles, and be a scalar or 1-D; got q of shape "
                             f"{tuple(q.shape)} ({e}).") from None
        raise
    if keepdims:
        if axis is None:
            y = y.reshape(tuple(y.shape) + (1,) * x.ndim)
        else:
            for i in axes:
                y = y.unsqueeze(i + 1 if q.ndim > 0 else i)
    return cast(y, out_dtype)


@keras_op
def quantile(x, q, axis=None, method="linear", keepdims=False):
    """The `q`-th quantiles of the elements over the given axes.

    Args:
        x: Input tensor.
        q: Quantile or 1-D sequence of quantiles, in `[0, 1]`.
        axis: Axis or axes to reduce. Defaults to `None` (all axes).
        method: How to interpolate between two elements: `"linear"`, `"lower"`, `"higher"`,
            `"midpoint"` or `"nearest"`. Defaults to `"linear"`.
        keepdims: Whether to keep the reduced axes with size 1. Defaults to `False`.

    Returns:
        The quantiles (a leading axis per `q` when `q` is 1-D), in Keras' promoted float dtype.

    Example:
    >>> ops.quantile([1.0, 2.0, 3.0, 4.0], 0.25)
    tensor(1.7500)
    """
    return _quantile("quantile", torch.quantile, x, q, axis, method, keepdims)


@keras_op
def percentile(x, q, axis=None, method="linear", keepdims=False):
    """The `q`-th percentiles of the elements over the given axes.

    Args:
        x: Input tensor.
        q: Percentile or 1-D sequence of percentiles, in `[0, 100]`.
        axis: Axis or axes to reduce. Defaults to `None` (all axes).
        method: `"linear"`, `"lower"`, `"higher"`, `"midpoint"` or `"nearest"`. Defaults to
            `"linear"`.
        keepdims: Whether to keep the reduced axes with size 1. Defaults to `False`.

    Returns:
        The percentiles, in Keras' promoted float dtype.

    Example:
    >>> ops.percentile([1.0, 2.0, 3.0, 4.0], 50)
    tensor(2.5000)
    """
    q = tensor(q, config.floatx()) / 100.0
    return _quantile("percentile", torch.quantile, x, q, axis, method, keepdims)


@keras_op
def median(x, axis=None, keepdims=False):
    """Median of the elements over the given axes (the mean of the two middle ones for even counts).

    Args:
        x: Input tensor.
        axis: Axis or axes to reduce. Defaults to `None` (all axes).
        keepdims: Whether to keep the reduced axes with size 1. Defaults to `False`.

    Returns:
        The medians, in Keras' promoted float dtype.

    Example:
    >>> ops.median([[1, 3], [2, 8]], axis=0)
    tensor([1.5000, 5.5000])
    """
    return _quantile("median", torch.quantile, x, 0.5, axis, "linear", keepdims)


@keras_op
def nanquantile(x, q, axis=None, method="linear", keepdims=False):
    """The `q`-th quantiles over the given axes, ignoring `nan`s.

    Args:
        x: Input tensor.
        q: Quantile or 1-D sequence of quantiles, in `[0, 1]`.
        axis: Axis or axes to reduce. Defaults to `None` (all axes).
        method: `"linear"`, `"lower"`, `"higher"`, `"midpoint"` or `"nearest"`. Defaults to
            `"linear"`.
        keepdims: Whether to keep the reduced axes with size 1. Defaults to `False`.

    Returns:
        The quantiles (`nan` for an all-`nan` slice), in Keras' promoted float dtype.

    Example:
    >>> ops.nanquantile([1.0, float("nan"), 3.0], 0.5)
    tensor(2.)
    """
    return _quantile("nanquantile", torch.nanquantile, x, q, axis, method, keepdims)


@keras_op
def nanpercentile(x, q, axis=None, method="linear", keepdims=False):
    """The `q`-th percentiles over the given axes, ignoring `nan`s.

    Args:
        x: Input tensor.
        q: Percentile or 1-D sequence of percentiles, in `[0, 100]`.
        axis: Axis or axes to reduce. Defaults to `None` (all axes).
        method: `"linear"`, `"lower"`, `"higher"`, `"midpoint"` or `"nearest"`. Defaults to
            `"linear"`.
        keepdims: Whether to keep the reduced axes with size 1. Defaults to `False`.

    Returns:
        The percentiles, in Keras' promoted float dtype.

    Example:
    >>> ops.nanpercentile([1.0, float("nan"), 3.0], 50)
    tensor(2.)
    """
    q = tensor(q, config.floatx()) / 100.0
    return _quantile("nanpercentile", torch.nanquantile, x, q, axis, method, keepdims)


@keras_op
def nanmedian(x, axis=None, keepdims=False):
    """Median over the given axes, ignoring `nan`s.

    Args:
        x: Input tensor.
        axis: Axis or axes to reduce. Defaults to `None` (all axes).
        keepdims: Whether to keep the reduced axes with size 1. Defaults to `False`.

    Returns:
        The medians, in Keras' promoted float dtype (the input as it is for `axis=()`).

    Example:
    >>> ops.nanmedian([1.0, float("nan"), 3.0, 10.0])
    tensor(3.)
    """
    if _no_axes(axis):
        return tensor(x)
    return _quantile("nanmedian", torch.nanquantile, x, 0.5, axis, "linear", keepdims)


# ------------------------------------------------------------------------------ nan-ignoring reductions
def _nanarg(fn, fill, x, axis, keepdims):
    x = tensor(x)
    if not x.is_floating_point():
        return fn(x, axis=axis, keepdims=keepdims)
    nan = torch.isnan(x)
    index = fn(torch.where(nan, fill, x), axis=axis, keepdims=keepdims)
    return torch.where(nan.all(dim=axis, keepdim=keepdims), -1, index)


@keras_op
def nanargmax(x, axis=None, keepdims=False):
    """Index of the maximum along an axis, ignoring `nan`s.

    Args:
        x: Input tensor.
        axis: The axis to search. Defaults to `None` (the flattened input).
        keepdims: Whether to keep the reduced axis with size 1. Defaults to `False`.

    Returns:
        An int32 tensor of indices; -1 for an all-`nan` slice.

    Example:
    >>> ops.nanargmax([1.0, float("nan"), 3.0])
    tensor(2, dtype=torch.int32)
    """
    return _nanarg(argmax, float("-inf"), x, axis, keepdims)


@keras_op
def nanargmin(x, axis=None, keepdims=False):
    """Index of the minimum along an axis, ignoring `nan`s.

    Args:
        x: Input tensor.
        axis: The axis to search. Defaults to `None` (the flattened input).
        keepdims: Whether to keep the reduced axis with size 1. Defaults to `False`.

    Returns:
        An int32 tensor of indices; -1 for an all-`nan` slice.

    Example:
    >>> ops.nanargmin([float("nan"), 2.0, 1.0])
    tensor(2, dtype=torch.int32)
    """
    return _nanarg(argmin, float("inf"), x, axis, keepdims)


def _without_nan(x, value):
    return torch.where(torch.isnan(x), value, x) if x.is_floating_point() or x.is_complex() else x


@keras_op
def nancumsum(x, axis=None, dtype=None):
    """Cumulative sum along an axis, counting `nan`s as 0.

    Args:
        x: Input tensor.
        axis: The axis to accumulate along. Defaults to `None` (the flattened input).
        dtype: Dtype of the result. Defaults to `None` (as `ops.cumsum`).

    Returns:
        The running sums.

    Example:
    >>> ops.nancumsum([1.0, float("nan"), 2.0])
    tensor([1., 1., 3.])
    """
    return _cumulative("nancumsum", torch.cumsum, _without_nan(tensor(x), 0), axis, dtype)


@keras_op
def nancumprod(x, axis=None, dtype=None):
    """Cumulative product along an axis, counting `nan`s as 1.

    Args:
        x: Input tensor.
        axis: The axis to accumulate along. Defaults to `None` (the flattened input).
        dtype: Dtype of the result. Defaults to `None` (as `ops.cumprod`).

    Returns:
        The running products.

    Example:
    >>> ops.nancumprod([2.0, float("nan"), 3.0])
    tensor([2., 2., 6.])
    """
    return _cumulative("nancumprod", torch.cumprod, _without_nan(tensor(x), 1), axis, dtype)


def _nan_extremum(fn, fill, x, axis, keepdims):
    x = tensor(x)
    if _no_axes(axis):
        return x
    axis = axis_tuple(axis)
    if not x.is_floating_point():
        return fn(x, dim=axis, keepdim=keepdims)
    nan = torch.isnan(x)
    out = fn(torch.where(nan, fill, x), dim=axis, keepdim=keepdims)
    return torch.where(nan.all(dim=axis, keepdim=keepdims), float("nan"), out)


@keras_op
def nanmax(x, axis=None, keepdims=False):
    """Maximum over the given axes, ignoring `nan`s.

    Args:
        x: Input tensor.
        axis: Axis or axes to reduce. Defaults to `None` (all axes).
        keepdims: Whether to keep the reduced axes with size 1. Defaults to `False`.

    Returns:
        The maxima (`nan` for an all-`nan` slice), in the input's dtype.

    Example:
    >>> ops.nanmax([1.0, float("nan"), 3.0])
    tensor(3.)
    """
    return _nan_extremum(torch.amax, float("-inf"), x, axis, keepdims)


@keras_op
def nanmin(x, axis=None, keepdims=False):
    """Minimum over the given axes, ignoring `nan`s.

    Args:
        x: Input tensor.
        axis: Axis or axes to reduce. Defaults to `None` (all axes).
        keepdims: Whether to keep the reduced axes with size 1. Defaults to `False`.

    Returns:
        The minima (`nan` for an all-`nan` slice), in the input's dtype.

    Example:
    >>> ops.nanmin([1.0, float("nan"), 3.0])
    tensor(1.)
    """
    return _nan_extremum(torch.amin, float("inf"), x, axis, keepdims)


@keras_op
def nanmean(x, axis=None, keepdims=False):
    """Mean over the given axes, ignoring `nan`s.

    Args:
        x: Input tensor.
        axis: Axis or axes to reduce. Defaults to `None` (all axes).
        keepdims: Whether to keep the reduced axes with size 1. Defaults to `False`.

    Returns:
        The means (`nan` for an all-`nan` slice), in Keras' promoted float dtype.

    Example:
    >>> ops.nanmean([[1.0, float("nan")], [3.0, 4.0]], axis=1)
    tensor([1.0000, 3.5000])
    """
    x = tensor(x)
    if _no_axes(axis):
        return x
    return torch.nanmean(cast(x, result_type(x.dtype, float)), dim=axis_tuple(axis), keepdim=keepdims)


@keras_op
def nanprod(x, axis=None, keepdims=False):
    """Product over the given axes, counting `nan`s as 1.

    Args:
        x: Input tensor.
        axis: Axis or axes to reduce. Defaults to `None` (all axes).
        keepdims: Whether to keep the reduced axes with size 1. Defaults to `False`.

    Returns:
        The products, in the dtype `ops.prod` gives.

    Example:
    >>> ops.nanprod([2.0, float("nan"), 3.0])
    tensor(6.)
    """
    x = _without_nan(tensor(x), 1)
    if _no_axes(axis):
        return x
    return prod(x, axis=axis, keepdims=keepdims)


@keras_op
def nansum(x, axis=None, keepdims=False):
    """Sum over the given axes, counting `nan`s as 0.

    Args:
        x: Input tensor.
        axis: Axis or axes to reduce. Defaults to `None` (all axes).
        keepdims: Whether to keep the reduced axes with size 1. Defaults to `False`.

    Returns:
        The sums, in the dtype `ops.sum` gives.

    Example:
    >>> ops.nansum([1.0, float("nan"), 3.0])
    tensor(4.)
    """
    x = tensor(x)
    if not (x.is_floating_point() or x.is_complex()):
        return _sum(x, axis=axis, keepdims=keepdims)
    if _no_axes(axis):
        return _without_nan(x, 0)
    return torch.nansum(x, dim=axis_tuple(axis), keepdim=keepdims)


@keras_op
def nanvar(x, axis=None, keepdims=False):
    """Variance over the given axes (`ddof=0`), ignoring `nan`s.

    Args:
        x: Input tensor.
        axis: Axis or axes to reduce. Defaults to `None` (all axes).
        keepdims: Whether to keep the reduced axes with size 1. Defaults to `False`.

    Returns:
        The variances (`nan` for an all-`nan` slice), in Keras' promoted float dtype.

    Example:
    >>> ops.nanvar([1.0, float("nan"), 3.0])
    tensor(1.)
    """
    x = tensor(x)
    x = cast(x, result_type(x.dtype, float))
    nan = torch.isnan(x)
    if _no_axes(axis):
        return torch.where(nan, x, torch.zeros_like(x))
    axis = axis_tuple(axis)
    valid = ~nan
    centered = torch.where(valid, x - torch.nanmean(x, dim=axis, keepdim=True), 0)
    if centered.is_complex():
        squares = centered.real * centered.real + centered.imag * centered.imag
    else:
        squares = centered.square()
    return squares.sum(dim=axis, keepdim=keepdims) / valid.sum(dim=axis, keepdim=keepdims)


@keras_op
def nanstd(x, axis=None, keepdims=False):
    """Standard deviation over the given axes (`ddof=0`), ignoring `nan`s.

    Args:
        x: Input tensor.
        axis: Axis or axes to reduce. Defaults to `None` (all axes).
        keepdims: Whether to keep the reduced axes with size 1. Defaults to `False`.

    Returns:
        The standard deviations, in Keras' promoted float dtype.

    Example:
    >>> ops.nanstd([1.0, float("nan"), 3.0])
    tensor(1.)
    """
    return torch.sqrt(nanvar(x, axis=axis, keepdims=keepdims))


# ------------------------------------------------------------------------------ counting and binning
@keras_op
def histogram(x, bins=10, range=None):
    """Counts the values of a 1-D tensor in `bins` equal-width bins.

    Args:
        x: 1-D input tensor (ints and bools are counted as floatx values).
        bins: Number of bins, a positive int. Defaults to `10`.
        range: Optional `(lower, upper)` tuple of the binned range. Defaults to `None`
            (`(min(x), max(x))`).

    Returns:
        A tuple `(counts, bin_edges)`: the counts per bin and the `bins + 1` edges, in the input's
        float dtype.

    Raises:
        ValueError: For a non-1-D `x`, a negative `bins`, or a bad `range`.

    Example:
    >>> counts, edges = ops.histogram([1.0, 2.0, 2.5, 4.0], bins=3)
    >>> counts
    tensor([1., 2., 1.])
    >>> edges
    tensor([1., 2., 3., 4.])
    """
    if not isinstance(bins, int) or isinstance(bins, bool):
        raise TypeError(f"ops.histogram: `bins` must be an int, got bins={bins!r}.")
    if bins < 0:
        raise ValueError(f"ops.histogram: `bins` must be a non-negative int, got bins={bins}.")
    if range:
        if not isinstance(range, tuple) or len(range) != 2:
            raise ValueError(f"ops.histogram: `range` must be a tuple (lower, upper), got "
                             f"range={range!r}.")
        if range[1] < range[0]:
            raise ValueError(f"ops.histogram: the upper end of `range` must not be below the lower "
                             f"one, got range={range!r}.")
    x = tensor(x)
    if x.ndim != 1:
        raise ValueError(f"ops.histogram: `x` must be 1-D, got shape {tuple(x.shape)}. Flatten it "
                         "first with ops.reshape(x, (-1,)).")
    if not x.is_floating_point():
        x = x.to(floatx_torch())
    device = x.device
    # torch.histogram runs on the CPU only; counting is not differentiable, so the input is
    # detached and the results go back to the input's device.
    counts, edges = torch.histogram(x.detach().cpu(), bins=bins,
                                    range=None if range is None else (float(range[0]), float(range[1])))
    return counts.to(device), edges.to(device)


@keras_op
def bincount(x, weights=None, minlength=0, sparse=False):
    """Counts the occurrences of each non-negative integer in `x` (per row for a 2-D `x`).

    Args:
        x: 1-D or 2-D tensor of non-negative ints.
        weights: Optional weights of the shape of `x`; the result then sums them per value.
            Defaults to `None` (counts).
        minlength: Minimum number of bins of the result. Defaults to `0`.
        sparse: Must be `False`: torch has no sparse result here. Defaults to `False`.

    Returns:
        The counts: int32 without weights, Keras' promoted dtype of `x` and `weights` with them.
        The last axis has `max(minlength, max(x) + 1)` bins.

    Raises:
        ValueError: For `sparse=True`, negative values, or a `weights` of another shape.

    Example:
    >>> ops.bincount([0, 1, 1, 3])
    tensor([1, 2, 0, 1], dtype=torch.int32)
    """
    if sparse:
        raise ValueError("ops.bincount: sparse=True is not supported on torch (torch has no sparse "
                         "bincount); use sparse=False, which returns the dense counts.")
    x = tensor(x)
    if x.is_floating_point() or x.is_complex() or x.dtype is torch.bool:
        raise dtype_error("bincount", "a tensor of non-negative ints", x,
                          fix="Cast it first: ops.cast(x, 'int32').")
    if weights is None:
        out_dtype = "int32"
    else:
        weights = tensor(weights)
        out_dtype = result_type(x.dtype, weights.dtype)
        if weights.shape != x.shape:
            raise ValueError(f"ops.bincount: `weights` must have the shape of `x` {tuple(x.shape)}, "
                             f"got {tuple(weights.shape)}.")
        if not (weights.is_floating_point() or weights.is_complex()):
            weights = weights.to(torch.float64)     # torch counts weights as floats
    if x.ndim not in (1, 2):
        raise ValueError(f"ops.bincount: `x` must be 1-D or 2-D (a batch of rows), got shape "
                         f"{tuple(x.shape)}.")
    try:
        if x.ndim == 1:
            return cast(torch.bincount(x, weights, minlength), out_dtype)
        # A batch of rows: one bincount over the rows laid end to end, each shifted by a whole row.
        rows = x.shape[0]
        length = builtins.max(minlength, int(x.max()) + 1) if x.numel() else minlength
        offsets = torch.arange(rows, device=x.device, dtype=x.dtype).unsqueeze(1) * length
        flat = (x + offsets).reshape(-1)
        counts = torch.bincount(flat, None if weights is None else weights.reshape(-1),
                                minlength=rows * length)
        return cast(counts.reshape(rows, length), out_dtype)
    except RuntimeError as e:
        if "non-negative" not in str(e):
            raise
        raise ValueError("ops.bincount: `x` holds negative values; it must hold non-negative ints "
                         "(the values to count).") from None


@keras_op
def digitize(x, bins):
    """The index of the bin each element of `x` falls in: `i` such that `bins[i-1] <= x < bins[i]`.

    Args:
        x: Input tensor.
        bins: 1-D tensor of increasing bin edges.

    Returns:
        An int32 tensor of bin indices (0 below the first edge, `len(bins)` from the last one on).

    Example:
    >>> ops.digitize([0.5, 1.0, 2.5, 9.0], [1.0, 2.0, 3.0])
    tensor([0, 1, 2, 3], dtype=torch.int32)
    """
    x, bins = tensor(x), tensor(bins)
    if x.dtype is torch.bool:
        x = x.to(torch.uint8)
    return torch.bucketize(x, bins, right=True).int()


@keras_op
def corrcoef(x):
    """Pearson correlation coefficients of the rows of `x` (each row is a variable).

    Args:
        x: 1-D or 2-D tensor: variables along the first axis, observations along the second.

    Returns:
        The correlation matrix (a float tensor; float64 for int64 inputs, floatx for bools).

    Example:
    >>> ops.corrcoef([[1.0, 2.0, 3.0], [2.0, 4.0, 7.0]])
    tensor([[1.0000, 0.9934],
            [0.9934, 1.0000]])
    """
    x = tensor(x)
    if x.dtype is torch.bool:
        x = x.to(floatx_torch())
    elif x.dtype is torch.int64:
        x = x.to(torch.float64)
    return torch.corrcoef(x)


@keras_op
def trapezoid(y, x=None, dx=1.0, axis=-1):
    """Integrates `y` along an axis with the trapezoidal rule.

    Args:
        y: Values to integrate.
        x: Optional sample points of `y` (the shape of `y`, or 1-D along `axis`). Defaults to
            `None` (points `dx` apart).
        dx: Spacing of the points when `x` is `None`. Defaults to `1.0`.
        axis: The axis to integrate along. Defaults to `-1`.

    Returns:
        The integrals (a float tensor; floatx for bool inputs).

    Example:
    >>> ops.trapezoid([1.0, 2.0, 3.0])
    tensor(4.)
    """
    if not isinstance(axis, int) or isinstance(axis, bool):
        raise TypeError(f"ops.trapezoid: `axis` must be an int (one axis to integrate along), got "
                        f"axis={axis!r}.")
    y = tensor(y)
    if y.dtype is torch.bool:
        y = y.to(floatx_torch())
    if x is not None:
        return torch.trapezoid(y, tensor(x), dim=axis)
    return torch.trapezoid(y, dx=dx, dim=axis)

