"""Keras' array-creation ops (`ones`, `arange`, `linspace`, `eye`, `meshgrid`, ...) on torch.

New arrays are made on `kerastorch.config.get_device()` with Keras' default dtypes: floatx for
`ones`/`zeros`/`full`/`eye`/`tri`, Keras' promotion of the arguments for `arange` (Python ints give
`int32`) and `linspace`/`logspace`/`geomspace` (at least floatx-kind float). The `*_like` ops keep
the input's dtype.

Beyond Keras' torch backend (which refuses these): `empty` takes an int shape, and `linspace`,
`logspace` and `geomspace` take `axis` (placed as in NumPy) and an array `start` with a scalar `stop`.

Example:
>>> from kerastorch import ops
>>> ops.arange(3)
tensor([0, 1, 2], dtype=torch.int32)
"""

import torch

from kerastorch import config
from kerastorch.backend.dtypes import result_type, standardize_dtype, to_torch_dtype
from kerastorch.backend.tensors import convert_to_tensor
from kerastorch.ops._utils import keras_op, tensor

__all__ = [
    "arange", "array", "empty", "empty_like", "eye", "full", "full_like", "geomspace", "identity",
    "linspace", "logspace", "meshgrid", "ones", "ones_like", "tri", "vander", "zeros", "zeros_like",
]


def _shape(op, shape):
    """`shape` as a tuple of ints (an int is a 1-D shape)."""
    if type(shape) is tuple:
        for d in shape:
            if type(d) is not int:
                break
        else:
            return shape
    if isinstance(shape, int):
        return (shape,)
    if isinstance(shape, torch.Tensor):
        return tuple(int(d) for d in shape.tolist())
    try:
        return tuple(int(d) for d in shape)
    except (TypeError, ValueError):
        raise TypeError(f"ops.{op}: `shape` must be an int or a sequence of ints, got shape={shape!r}.") from None


def _dtype_or_floatx(dtype):
    return to_torch_dtype(config.floatx() if dtype is None else dtype)


def _arg_dtype(value):
    """What Keras feeds its promotion for an argument: a tensor's dtype or a Python type (weak)."""
    dtype = getattr(value, "dtype", None)
    return type(value) if dtype is None else dtype


@keras_op
def ones(shape, dtype=None):
    """Returns a new tensor of the given shape and dtype, filled with ones.

    Args:
        shape: Shape of the new tensor (an int or a tuple of ints).
        dtype: Desired dtype. Defaults to `None` (floatx, `"float32"` by default).

    Returns:
        A tensor of ones on the configured device.

    Example:
    >>> ones((2,))
    tensor([1., 1.])
    """
    return torch.ones(_shape("ones", shape), dtype=_dtype_or_floatx(dtype), device=config.get_device())


@keras_op
def zeros(shape, dtype=None):
    """Returns a new tensor of the given shape and dtype, filled with zeros.

    Args:
        shape: Shape of the new tensor (an int or a tuple of ints).
        dtype: Desired dtype. Defaults to `None` (floatx).

    Returns:
        A tensor of zeros on the configured device.

    Example:
    >>> zeros((2,), dtype="int32")
    tensor([0, 0], dtype=torch.int32)
    """
    return torch.zeros(_shape("zeros", shape), dtype=_dtype_or_floatx(dtype), device=config.get_device())


@keras_op
def empty(shape, dtype=None):
    """Returns a tensor of the given shape and dtype whose values are not initialized.

    Args:
        shape: Shape of the new tensor (an int or a tuple of ints).
        dtype: Desired dtype. Defaults to `None` (floatx).

    Returns:
        An uninitialized tensor on the configured device.

    Example:
    >>> tuple(empty((2, 3)).shape)
    (2, 3)
    """
    return torch.empty(_shape("empty", shape), dtype=_dtype_or_floatx(dtype), device=config.get_device())


def _fill(op, shape, fill_value, torch_dtype):
    device = config.get_device()
    if isinstance(fill_value, (bool, int, float, complex)):
        return torch.full(shape, fill_value, dtype=torch_dtype, device=device)
    fill = convert_to_tensor(fill_value, dtype=torch_dtype)
    try:
        return torch.broadcast_to(fill, shape).clone(memory_format=torch.contiguous_format)
    except RuntimeError:
        raise ValueError(f"ops.{op}: `fill_value` of shape {tuple(fill.shape)} does not broadcast to "
                         f"shape={shape}. Give a scalar or an array that broadcasts to the shape.") from None


@keras_op
def full(shape, fill_value, dtype=None):
    """Returns a new tensor of the given shape and dtype, filled with `fill_value`.

    Args:
        shape: Shape of the new tensor (an int or a tuple of ints).
        fill_value: The value to fill with: a scalar, or an array that broadcasts to `shape`.
        dtype: Desired dtype. Defaults to `None` (floatx, whatever the type of `fill_value`, as
            in Keras).

    Returns:
        A tensor on the configured device.

    Example:
    >>> full((2,), 3)
    tensor([3., 3.])
    """
    return _fill("full", _shape("full", shape), fill_value, _dtype_or_floatx(dtype))


def _like(x):
    return x if type(x) is torch.Tensor else tensor(x)


@keras_op
def ones_like(x, dtype=None):
    """Returns a tensor of ones with the same shape (and, by default, dtype) as `x`.

    Args:
        x: Input tensor.
        dtype: Overrides the dtype of the result. Defaults to `None` (the dtype of `x`).

    Returns:
        A tensor of ones.

    Example:
    >>> ones_like([1, 2])
    tensor([1, 1], dtype=torch.int32)
    """
    x = _like(x)
    return torch.ones_like(x, dtype=None if dtype is None else to_torch_dtype(dtype))


@keras_op
def zeros_like(x, dtype=None):
    """Returns a tensor of zeros with the same shape (and, by default, dtype) as `x`.

    Args:
        x: Input tensor.
        dtype: Overrides the dtype of the result. Defaults to `None` (the dtype of `x`).

    Returns:
        A tensor of zeros.

    Example:
    >>> zeros_like([1.5, 2.0])
    tensor([0., 0.])
    """
    x = _like(x)
    return torch.zeros_like(x, dtype=None if dtype is None else to_torch_dtype(dtype))


@keras_op
def empty_like(x, dtype=None):
    """Returns an uninitialized tensor with the same shape (and, by default, dtype) as `x`.

    Args:
        x: Input tensor.
        dtype: Overrides the dtype of the result. Defaults to `None` (the dtype of `x`).

    Returns:
        An uninitialized tensor on the configured device.

    Example:
    >>> empty_like([[1, 2]]).shape
    torch.Size([1, 2])
    """
    x = _like(x)
    return torch.empty_like(x, dtype=None if dtype is None else to_torch_dtype(dtype),
                            device=config.get_device())


@keras_op
def full_like(x, fill_value, dtype=None):
    """Returns a tensor with the shape (and, by default, dtype) of `x`, filled with `fill_value`.

    Args:
        x: Input tensor.
        fill_value: The value to fill with: a scalar, or an array that broadcasts to `x.shape`.
        dtype: Overrides the dtype of the result. Defaults to `None` (the dtype of `x`).

    Returns:
        A tensor on the configured device.

    Example:
    >>> full_like([1, 2], 7)
    tensor([7, 7], dtype=torch.int32)
    """
    x = _like(x)
    torch_dtype = x.dtype if dtype is None else to_torch_dtype(dtype)
    return _fill("full_like", tuple(x.shape), fill_value, torch_dtype)


@keras_op
def array(x, dtype=None):
    """Creates a tensor from `x`.

    Args:
        x: Input: a tensor, a numpy array, a Python scalar or a (nested) list.
        dtype: The desired dtype. Defaults to `None` (inferred from `x`: Python ints give
            `"int32"`, Python floats floatx, numpy arrays keep their dtype).

    Returns:
        A tensor on the configured device.

    Example:
    >>> array([1, 2, 3])
    tensor([1, 2, 3], dtype=torch.int32)
    """
    return convert_to_tensor(x, dtype=None if dtype is None else standardize_dtype(dtype))


@keras_op
def arange(start, stop=None, step=None, dtype=None):
    """Returns evenly spaced values within the half-open interval `[start, stop)`.

    Args:
        start: Start of the interval (inclusive); with `stop=None`, the end of an interval that
            starts at 0.
        stop: End of the interval (exclusive). Defaults to `None`.
        step: Spacing between values. Defaults to `None` (1).
        dtype: The result's dtype. Defaults to `None`: Keras' promotion of the arguments'
            types, so Python ints give `"int32"` and a Python float gives floatx.

    Returns:
        A 1-D tensor on the configured device.

    Example:
    >>> arange(1, 7, 2)
    tensor([1, 3, 5], dtype=torch.int32)
    """
    if dtype is None and type(start) is int and (stop is None or type(stop) is int) and (
            step is None or type(step) is int):
        dtype = result_type(int)        # the common case: weak ints (int32 for the default floatx)
    elif dtype is None:
        kinds = [_arg_dtype(start)]
        if stop is not None:
            kinds.append(_arg_dtype(stop))
        if step is not None:
            kinds.append(_arg_dtype(step))
        dtype = result_type(*kinds)
    if stop is None:
        start, stop = 0, start
    if step is None:
        step = 1
    if isinstance(step, (int, float)) and step == 0:
        raise ValueError(f"ops.arange: `step` must not be zero, got step={step!r}.")
    return torch.arange(start, stop, step, dtype=to_torch_dtype(dtype), device=config.get_device())


def _space_dtype(start, stop, dtype):
    if dtype is None:
        return to_torch_dtype(result_type(_arg_dtype(start), _arg_dtype(stop), float))
    return to_torch_dtype(dtype)


def _is_scalar(value):
    return isinstance(value, (bool, int, float))


def _steps(num, divisor, dtype, device):
    """`arange(num) / divisor` in a float dtype (zeros when the divisor is 0: one point)."""
    compute = dtype if dtype.is_floating_point else torch.float32
    steps = torch.arange(num, dtype=compute, device=device)
    return steps / divisor if divisor else steps * 0


def _endpoints(op, start, stop, dtype):
    """`start` and `stop` as tensors of `dtype`, broadcast together."""
    start, stop = tensor(start, dtype), tensor(stop, dtype)
    try:
        return torch.broadcast_tensors(start, stop)
    except RuntimeError:
        raise ValueError(f"ops.{op}: `start` of shape {tuple(start.shape)} and `stop` of shape "
                         f"{tuple(stop.shape)} do not broadcast together.") from None


def _linspace_tensors(op, start, stop, num, dtype, axis):
    """`start + steps * (stop - start)` for tensor endpoints; the new axis at `axis`."""
    steps = _steps(num, num - 1, dtype, start.device).reshape((num,) + (1,) * start.ndim)
    values = start[None] + steps * (stop - start)[None]
    out_ndim = start.ndim + 1
    if not -out_ndim <= axis < out_ndim:
        raise ValueError(f"ops.{op}: axis={axis} is out of range for a result of rank {out_ndim} "
                         f"(start/stop shape {tuple(start.shape)}); use an axis in [{-out_ndim}, {out_ndim}).")
    return torch.movedim(values, 0, axis)


def _check_num(op, num):
    if isinstance(num, bool) or not isinstance(num, int) or num < 0:
        raise ValueError(f"ops.{op}: `num` must be a non-negative integer, got num={num!r}.")


@keras_op
def linspace(start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0):
    """Returns `num` evenly spaced numbers over the interval `[start, stop]`.

    Args:
        start: The starting value (a scalar or an array).
        stop: The end value (a scalar or an array that broadcasts with `start`).
        num: Number of samples. Defaults to `50`.
        endpoint: Whether `stop` is the last sample. Defaults to `True`.
        retstep: Whether to return `(samples, step)`. Defaults to `False`.
        dtype: The result's dtype. Defaults to `None` (Keras' promotion of the endpoints' types
            with float: floatx for Python numbers).
        axis: For array endpoints, the axis of the result that holds the samples. Defaults to `0`.

    Returns:
        The samples, or the tuple `(samples, step)` with `retstep=True`.

    Example:
    >>> linspace(0.0, 1.0, 5)
    tensor([0.0000, 0.2500, 0.5000, 0.7500, 1.0000])
    """
    _check_num("linspace", num)
    torch_dtype = _space_dtype(start, stop, dtype)
    scalars = _is_scalar(start) and _is_scalar(stop)
    if not scalars:
        start, stop = _endpoints("linspace", start, stop, torch_dtype)
    step = torch.tensor(float("nan"), device=config.get_device())
    if endpoint:
        if num > 1:
            step = (stop - start) / (num - 1)
    else:
        if num > 0:
            step = (stop - start) / num
        if num > 1:
            stop = stop - (stop - start) / num
    if scalars:
        if axis not in (0, -1):
            raise ValueError(f"ops.linspace: axis={axis} is out of range for a 1-D result; use 0 or -1.")
        samples = torch.linspace(start, stop, num, dtype=torch_dtype, device=config.get_device())
    else:
        samples = _linspace_tensors("linspace", start, stop, num, torch_dtype, axis).to(torch_dtype)
    return (samples, step) if retstep else samples


@keras_op
def logspace(start, stop, num=50, endpoint=True, base=10, dtype=None, axis=0):
    """Returns numbers spaced evenly on a log scale: `base ** linspace(start, stop, num)`.

    Args:
        start: `base ** start` is the first value (a scalar or an array).
        stop: `base ** stop` is the last value, unless `endpoint=False`.
        num: Number of samples. Defaults to `50`.
        endpoint: Whether `base ** stop` is the last sample. Defaults to `True`.
        base: The base of the log space. Defaults to `10`.
        dtype: The result's dtype. Defaults to `None` (as `linspace`).
        axis: For array endpoints, the axis of the result that holds the samples. Defaults to `0`.

    Returns:
        A tensor of samples.

    Example:
    >>> logspace(0.0, 2.0, 3)
    tensor([  1.,  10., 100.])
    """
    _check_num("logspace", num)
    torch_dtype = _space_dtype(start, stop, dtype)
    scalars = _is_scalar(start) and _is_scalar(stop)
    if not scalars:
        start, stop = _endpoints("logspace", start, stop, torch_dtype)
    if not endpoint:
        stop = stop - (stop - start) / num
    if scalars:
        if axis not in (0, -1):
            raise ValueError(f"ops.logspace: axis={axis} is out of range for a 1-D result; use 0 or -1.")
        device = config.get_device()
        # torch has no float16 logspace on the CPU: compute in float32 there, as Keras does.
        compute = torch.float32 if (torch_dtype == torch.float16 and device.type == "cpu") else torch_dtype
        return torch.logspace(start, stop, num, base=base, dtype=compute, device=device).to(torch_dtype)
    return (base ** _linspace_tensors("logspace", start, stop, num, torch_dtype, axis)).to(torch_dtype)


@keras_op
def geomspace(start, stop, num=50, endpoint=True, dtype=None, axis=0):
    """Returns numbers spaced evenly on a log scale (a geometric progression) from `start` to `stop`.

    Args:
        start: The first value of the sequence (non-zero).
        stop: The last value of the sequence, unless `endpoint=False`.
        num: Number of samples. Defaults to `50`.
        endpoint: Whether `stop` is the last sample. Defaults to `True`.
        dtype: The result's dtype. Defaults to `None` (as `linspace`).
        axis: For array endpoints, the axis of the result that holds the samples. Defaults to `0`.

    Returns:
        A tensor of samples; their sign is the sign of `start`.

    Example:
    >>> geomspace(1.0, 1000.0, 4)
    tensor([   1.,   10.,  100., 1000.])
    """
    _check_num("geomspace", num)
    torch_dtype = _space_dtype(start, stop, dtype)
    start, stop = _endpoints("geomspace", start, stop, torch_dtype)
    log_start, log_stop = torch.log10(torch.abs(start)), torch.log10(torch.abs(stop))
    if not endpoint:
        log_stop = log_stop - (log_stop - log_start) / num
    samples = 10 ** _linspace_tensors("geomspace", log_start, log_stop, num, torch_dtype, 0)
    samples = (samples * torch.sign(start)).to(torch_dtype)
    return torch.movedim(samples, 0, axis) if axis else samples


def _size_arg(op, name, value, allow_none=False):
    if value is None and allow_none:
        return None
    if isinstance(value, float) or (isinstance(value, torch.Tensor) and value.is_floating_point()):
        raise TypeError(f"ops.{op}: `{name}` must be an integer or an integer tensor, got {name}={value!r}.")
    try:
        value = int(value)
    except (TypeError, ValueError):
        raise TypeError(f"ops.{op}: `{name}` must be an integer, got {name}={value!r}.") from None
    if value < 0:
        raise ValueError(f"ops.{op}: `{name}` must be non-negative, got {name}={value}.")
    return value


@keras_op
def eye(N, M=None, k=0, dtype=None):
    """Returns a 2-D tensor with ones on the `k`-th diagonal and zeros elsewhere.

    Args:
        N: Number of rows (an integer).
        M: Number of columns. Defaults to `None` (`N`).
        k: Index of the diagonal: 0 is the main diagonal, a positive value an upper diagonal,
            a negative value a lower one. Defaults to `0`.
        dtype: The result's dtype. Defaults to `None` (floatx).

    Returns:
        A tensor of shape `(N, M)` on the configured device.

    Example:
    >>> eye(2, 3, k=1)
    tensor([[0., 1., 0.],
            [0., 0., 1.]])
    """
    N = _size_arg("eye", "N", N)
    M = _size_arg("eye", "M", M, allow_none=True)
    M = N if M is None else M
    k = 0 if k is None else int(k)
    torch_dtype, device = _dtype_or_floatx(dtype), config.get_device()
    if k == 0:
        return torch.eye(N, M, dtype=torch_dtype, device=device)
    out = torch.zeros((N, M), dtype=torch_dtype, device=device)
    out.diagonal(k).fill_(1)
    return out


@keras_op
def identity(n, dtype=None):
    """Returns the identity matrix of size `n`.

    Args:
        n: Number of rows (and columns).
        dtype: The result's dtype. Defaults to `None` (floatx).

    Returns:
        A tensor of shape `(n, n)` on the configured device.

    Example:
    >>> identity(2, dtype="int32")
    tensor([[1, 0],
            [0, 1]], dtype=torch.int32)
    """
    n = _size_arg("identity", "n", n)
    return torch.eye(n, dtype=_dtype_or_floatx(dtype), device=config.get_device())


@keras_op
def tri(N, M=None, k=0, dtype=None):
    """Returns a 2-D tensor with ones at and below the `k`-th diagonal and zeros elsewhere.

    Args:
        N: Number of rows.
        M: Number of columns. Defaults to `None` (`N`).
        k: The diagonal at and below which the tensor is filled: 0 is the main diagonal, a
            positive value above it, a negative value below it. Defaults to `0`.
        dtype: The result's dtype. Defaults to `None` (floatx).

    Returns:
        A tensor of shape `(N, M)` on the configured device.

    Example:
    >>> tri(2)
    tensor([[1., 0.],
            [1., 1.]])
    """
    N = _size_arg("tri", "N", N)
    M = _size_arg("tri", "M", M, allow_none=True)
    M = N if M is None else M
    ones_ = torch.ones((N, M), dtype=_dtype_or_floatx(dtype), device=config.get_device())
    return torch.tril(ones_, diagonal=int(k))


@keras_op
def meshgrid(*x, indexing="xy"):
    """Creates coordinate grids from 1-D coordinate vectors.

    Args:
        *x: 1-D tensors of coordinates.
        indexing: `"xy"` (Cartesian: the first two outputs have the second vector's length
            first) or `"ij"` (matrix indexing). Defaults to `"xy"`.

    Returns:
        A tuple of N tensors, one per input, each of the grid's shape.

    Example:
    >>> xs, ys = meshgrid([1, 2, 3], [4, 5])
    >>> xs
    tensor([[1, 2, 3],
            [1, 2, 3]], dtype=torch.int32)
    """
    if indexing not in ("xy", "ij"):
        raise ValueError(f"ops.meshgrid: `indexing` must be 'xy' or 'ij', got indexing={indexing!r}.")
    vectors = [v.reshape(-1) for v in map(tensor, x)]
    if len({v.dtype for v in vectors}) == 1:
        return torch.meshgrid(vectors, indexing=indexing)
    # torch's meshgrid wants one dtype; NumPy (and Keras' documented behaviour) keep each input's.
    lengths = [v.shape[0] for v in vectors]
    order = list(range(len(vectors)))
    if indexing == "xy" and len(vectors) > 1:
        order[0], order[1] = 1, 0
    shape = [lengths[i] for i in order]
    grids = []
    for i, v in enumerate(vectors):
        view = [1] * len(vectors)
        view[order.index(i)] = lengths[i]
        grids.append(v.reshape(view).expand(shape))
    return tuple(grids)


@keras_op
def vander(x, N=None, increasing=False):
    """Returns the Vandermonde matrix of `x`: its columns are powers of `x`.

    Args:
        x: 1-D input tensor.
        N: Number of columns. Defaults to `None` (`len(x)`).
        increasing: Whether the powers increase left to right (`False`: the first column is
            `x ** (N - 1)`). Defaults to `False`.

    Returns:
        A tensor of shape `(len(x), N)`, in Keras' result dtype of `x` (64-bit inputs come out
        32-bit, as on Keras' torch backend).

    Example:
    >>> vander([1, 2, 3], N=2)
    tensor([[1, 1],
            [2, 1],
            [3, 1]], dtype=torch.int32)
    """
    x = tensor(x)
    if x.ndim != 1:
        raise ValueError(f"ops.vander: `x` must be 1-D, got x.shape={tuple(x.shape)}.")
    if N is not None:
        if isinstance(N, bool) or not isinstance(N, int):
            raise TypeError(f"ops.vander: `N` must be an int, got N={N!r} of type {type(N).__name__}.")
        if N < 0:
            raise ValueError(f"ops.vander: `N` must be non-negative, got N={N}.")
    if not isinstance(increasing, bool):
        raise TypeError(f"ops.vander: `increasing` must be a bool, got increasing={increasing!r}.")
    out_dtype = to_torch_dtype(result_type(x.dtype))
    return torch.vander(x, N=N, increasing=increasing).to(out_dtype)
