"""Keras' products and other linear ops (`matmul`, `dot`, `einsum`, `tensordot`, `cross`, ...).

Result dtypes follow Keras' torch backend: `matmul`, `dot`, `tensordot`, `inner`, `vdot` and `cross`
give Keras' promoted dtype of the inputs (`int8 @ int8` is `int32`; 64-bit inputs give 32-bit
results, as everywhere on Keras' torch backend), computing where torch has no kernel in a type that
has one (`bool` in floatx, `float16` on the CPU in `float32`, integers on a GPU in floating point)
and casting back. `outer`, `kron` and `einsum` keep torch's promotion, as Keras' torch backend does.

Where Keras' torch backend departs from the behaviour Keras documents (NumPy's), these follow NumPy:
`dot` of N-D tensors sums over the last axis of `x1` and the second-to-last of `x2` (Keras' torch
backend broadcasts them as `matmul` does); `cross` takes the vectors along the last axis by
default and honours `axisa`/`axisb`/`axisc` (Keras' torch backend picks the first axis of size 3
and refuses the three); `vdot` flattens N-D inputs; `einsum` promotes inputs of different dtypes
(Keras' torch backend raises); `correlate(mode="same")` is as long as the longer input and a
one-element result keeps its axis (Keras' torch backend gives the length of `x1` and a scalar).

Example:
>>> from kerastorch import ops
>>> ops.matmul([[1, 2]], [[3], [4]])
tensor([[11]], dtype=torch.int32)
"""

import functools

import torch

from kerastorch import config
from kerastorch.backend.dtypes import result_type, standardize_dtype, to_torch_dtype
from kerastorch.ops._utils import keras_op, tensor
from kerastorch.ops.numpy.manipulation import _shape_text, _t, canonical_axis

__all__ = ["correlate", "cross", "dot", "einsum", "inner", "kron", "matmul", "outer", "slogdet",
           "tensordot", "trace", "vdot"]

# Inputs of one of these dtypes go straight to torch: Keras' result dtype is the input's own.
# (float64 is not among them: Keras' promotion on torch gives float32 for two float64 inputs.)
_FAST_FLOATS = (torch.float32, torch.bfloat16)


def _kernel_dtype(dtype, device_type):
    """A dtype torch's product kernels support on `device_type` that holds `dtype`'s values."""
    if dtype == torch.bool:
        return to_torch_dtype(config.floatx())
    if dtype == torch.float16 and device_type == "cpu":
        return torch.float32
    if device_type != "cpu" and not (dtype.is_floating_point or dtype.is_complex):
        # No integer matmul off the CPU: float64 holds int32 values exactly where it exists.
        return torch.float64 if device_type == "cuda" else torch.float32
    return dtype


@functools.lru_cache(maxsize=512)
def _plan(dtype1, dtype2, device_type, float_compute, floatx):
    """(compute dtype, result dtype) for a product of `dtype1` and `dtype2` inputs, as Keras' torch
    backend casts them; cached, since it depends only on the dtypes, the device type and floatx."""
    if not float_compute and dtype1 == dtype2 == torch.int8:
        return _kernel_dtype(torch.int32, device_type), torch.int32
    result = to_torch_dtype(result_type(dtype1, dtype2))
    compute = to_torch_dtype(result_type(result, float)) if float_compute else result
    return _kernel_dtype(compute, device_type), result


def _promoted(x1, x2, float_compute):
    """Both inputs cast for a product kernel, and the result dtype to cast back to.

    `float_compute` computes in Keras' float promotion of the result (as its `dot`, `tensordot`,
    `inner` and `vdot` do); otherwise in the result dtype itself where torch has a kernel.
    """
    compute, result = _plan(x1.dtype, x2.dtype, x1.device.type, float_compute, config.floatx())
    return x1.to(compute), x2.to(compute), result


@keras_op
def matmul(x1, x2):
    """Matrix product of two tensors, broadcasting leading (batch) axes.

    Args:
        x1: First tensor (a 1-D tensor is a row vector).
        x2: Second tensor (a 1-D tensor is a column vector).

    Returns:
        The product, in Keras' promoted dtype of the inputs (`int8` with `int8` gives `int32`).

    Example:
    >>> matmul([[1.0, 2.0]], [[3.0], [4.0]])
    tensor([[11.]])
    """
    x1 = x1 if type(x1) is torch.Tensor else tensor(x1)
    x2 = x2 if type(x2) is torch.Tensor else tensor(x2)
    dtype = x1.dtype
    if dtype is x2.dtype and (dtype is torch.float32 or dtype is torch.bfloat16):
        return torch.matmul(x1, x2)
    a, b, result = _promoted(x1, x2, float_compute=False)
    out = torch.matmul(a, b)
    return out if out.dtype == result else out.to(result)


@keras_op
def dot(x1, x2):
    """Dot product of two tensors.

    Scalars multiply; two 1-D tensors give their inner product; 2-D tensors their matrix
    product; otherwise a sum product over the last axis of `x1` and the second-to-last axis of
    `x2` (the only axis when `x2` is 1-D).

    Args:
        x1: First tensor.
        x2: Second tensor.

    Returns:
        The dot product, in Keras' promoted dtype of the inputs.

    Example:
    >>> dot([1, 2, 3], [4, 5, 6])
    tensor(32, dtype=torch.int32)
    """
    x1 = x1 if type(x1) is torch.Tensor else tensor(x1)
    x2 = x2 if type(x2) is torch.Tensor else tensor(x2)
    if x1.dtype is x2.dtype and x1.dtype in _FAST_FLOATS:
        a, b, result = x1, x2, x1.dtype
    else:
        a, b, result = _promoted(x1, x2, float_compute=True)
    if a.ndim == 0 or b.ndim == 0:
        out = torch.multiply(a, b)
    elif b.ndim <= 2:
        out = torch.matmul(a, b)
    else:
        out = torch.tensordot(a, b, dims=([a.ndim - 1], [b.ndim - 2]))
    return out if out.dtype == result else out.to(result)


def _axes_pair(axes):
    if isinstance(axes, int):
        return axes
    first, second = axes
    first = (first,) if isinstance(first, int) else tuple(first)
    second = (second,) if isinstance(second, int) else tuple(second)
    return (list(first), list(second))


@keras_op
def tensordot(x1, x2, axes=2):
    """Sum product of two tensors over the given axes.

    Args:
        x1: First tensor.
        x2: Second tensor.
        axes: An int `N`: sum over the last `N` axes of `x1` and the first `N` of `x2`; or a pair
            `(axes_of_x1, axes_of_x2)` of ints or sequences of ints. Defaults to `2`.

    Returns:
        The tensor dot product, in Keras' promoted dtype of the inputs.

    Example:
    >>> tensordot([[1, 2], [3, 4]], [[1, 0], [0, 1]], axes=2)
    tensor(5, dtype=torch.int32)
    """
    x1, x2 = _t(x1), _t(x2)
    a, b, result = _promoted(x1, x2, float_compute=True)
    return torch.tensordot(a, b, dims=_axes_pair(axes)).to(result)


@keras_op
def inner(x1, x2):
    """Inner product of two tensors: a sum product over their last axes (scalars multiply).

    Args:
        x1: First tensor.
        x2: Second tensor.

    Returns:
        A tensor of shape `x1.shape[:-1] + x2.shape[:-1]`, in Keras' promoted dtype of the inputs.

    Example:
    >>> inner([1, 2], [3, 4])
    tensor(11, dtype=torch.int32)
    """
    x1, x2 = _t(x1), _t(x2)
    a, b, result = _promoted(x1, x2, float_compute=True)
    return torch.inner(a, b).to(result)


@keras_op
def vdot(x1, x2):
    """Dot product of two tensors flattened to 1-D.

    Args:
        x1: First tensor.
        x2: Second tensor, with as many elements as `x1`.

    Returns:
        A 0-D tensor, in Keras' promoted dtype of the inputs.

    Example:
    >>> vdot([[1, 2], [3, 4]], [[1, 1], [1, 1]])
    tensor(10, dtype=torch.int32)
    """
    x1, x2 = _t(x1), _t(x2)
    a, b, result = _promoted(x1, x2, float_compute=True)
    return torch.vdot(a.reshape(-1), b.reshape(-1)).to(result)


@keras_op
def outer(x1, x2):
    """Outer product of two tensors, flattened to 1-D first.

    Args:
        x1: First tensor.
        x2: Second tensor.

    Returns:
        A tensor of shape `(x1.size, x2.size)` (torch's promotion of the two dtypes).

    Example:
    >>> outer([1, 2], [1, 10])
    tensor([[ 1, 10],
            [ 2, 20]], dtype=torch.int32)
    """
    x1, x2 = _t(x1), _t(x2)
    return torch.outer(x1.reshape(-1), x2.reshape(-1))


@keras_op
def kron(x1, x2):
    """Kronecker product of two tensors: blocks of `x2` scaled by each element of `x1`.

    Args:
        x1: First tensor.
        x2: Second tensor.

    Returns:
        The Kronecker product (torch's promotion of the two dtypes).

    Example:
    >>> kron([1, 10], [1, 2])
    tensor([ 1,  2, 10, 20], dtype=torch.int32)
    """
    return torch.kron(_t(x1), _t(x2))


@keras_op
def einsum(subscripts, *operands, **kwargs):
    """Evaluates the Einstein summation convention on the operands.

    Args:
        subscripts: The subscripts, e.g. `"ij,jk->ik"` (with `...` for broadcast axes).
        *operands: The tensors.
        **kwargs: None are supported (torch's einsum has no `out`, `dtype`, `order`, `casting`
            or `optimize`); any given raises a `TypeError`.

    Returns:
        The result. All-`int8` operands give `int32` (as on Keras' torch backend); operands of
        different dtypes are first promoted to Keras' common dtype.

    Example:
    >>> einsum("ij,j->i", [[1, 2], [3, 4]], [1, 1])
    tensor([3, 7], dtype=torch.int32)
    """
    if kwargs:
        raise TypeError(f"ops.einsum: keyword arguments {sorted(kwargs)} are not supported on torch; "
                        "cast the operands yourself (ops.cast) for another result dtype.")
    if not isinstance(subscripts, str):
        raise TypeError(f"ops.einsum: `subscripts` must be a string such as 'ij,jk->ik', got {subscripts!r}.")
    ops_ = [x if type(x) is torch.Tensor else tensor(x) for x in operands]
    if not ops_:
        raise ValueError("ops.einsum: expected at least one operand.")
    dtype = ops_[0].dtype
    if all(x.dtype is dtype for x in ops_):
        if dtype is torch.float32 or dtype is torch.float64 or dtype is torch.bfloat16:
            return torch.einsum(subscripts, *ops_)
        # torch's own result dtype stands (an int32 sum comes out int64), except for int8.
        result = torch.int32 if dtype == torch.int8 else None
        operand = torch.int32 if dtype == torch.int8 else dtype
    else:
        operand = result = to_torch_dtype(result_type(*{x.dtype for x in ops_}))
    compute = _kernel_dtype(operand, ops_[0].device.type)
    out = torch.einsum(subscripts, *[x.to(compute) for x in ops_])
    if result is None and compute != operand:
        result = operand
    return out if result is None or out.dtype == result else out.to(result)


@keras_op
def cross(x1, x2, axisa=-1, axisb=-1, axisc=-1, axis=None):
    """Cross product of two (arrays of) 3-vectors.

    Args:
        x1: First tensor; its vectors lie along `axisa`.
        x2: Second tensor; its vectors lie along `axisb` (the other axes broadcast).
        axisa: The axis of `x1` holding the vectors. Defaults to `-1`.
        axisb: The axis of `x2` holding the vectors. Defaults to `-1`.
        axisc: The axis of the result holding the cross products. Defaults to `-1`.
        axis: If given, overrides `axisa`, `axisb` and `axisc`. Defaults to `None`.

    Returns:
        The cross products, in Keras' promoted dtype of the inputs.

    Example:
    >>> cross([1, 0, 0], [0, 1, 0])
    tensor([0, 0, 1], dtype=torch.int32)
    """
    x1, x2 = _t(x1), _t(x2)
    if axis is not None:
        axisa = axisb = axisc = axis
    a = torch.movedim(x1, canonical_axis("cross", axisa, x1.ndim, x1.shape, "axisa"), -1)
    b = torch.movedim(x2, canonical_axis("cross", axisb, x2.ndim, x2.shape, "axisb"), -1)
    if a.shape[-1] != 3 or b.shape[-1] != 3:
        raise ValueError(f"ops.cross: the vectors must have 3 components, got x1.shape={_shape_text(x1.shape)} "
                         f"(axisa={axisa}) and x2.shape={_shape_text(x2.shape)} (axisb={axisb}). For 2-D "
                         "vectors, pad them with a zero third component (ops.pad).")
    if a.ndim != b.ndim:
        try:
            a, b = torch.broadcast_tensors(a, b)
        except RuntimeError:
            raise ValueError(f"ops.cross: the leading axes of x1.shape={_shape_text(x1.shape)} and "
                             f"x2.shape={_shape_text(x2.shape)} do not broadcast together.") from None
    result = to_torch_dtype(result_type(a.dtype, b.dtype))
    compute = result
    if result == torch.float16 and a.device.type == "cpu":
        compute = torch.float32
    elif result == torch.bfloat16 and a.device.type != "cpu":
        compute = torch.float32
    elif result == torch.bool:
        compute = torch.int32
    out = torch.linalg.cross(a.to(compute), b.to(compute), dim=-1)
    out_axis = canonical_axis("cross", axisc, out.ndim, out.shape, "axisc")
    return torch.movedim(out, -1, out_axis).to(result)


_TRACE_WIDENED = (torch.bool, torch.int8, torch.int16, torch.uint8)


@keras_op
def trace(x, offset=0, axis1=0, axis2=1):
    """Returns the sum along diagonals of a tensor.

    Args:
        x: Input tensor of rank 2 or more.
        offset: The diagonal: 0 the main one, positive above it, negative below it.
            Defaults to `0`.
        axis1: The first axis of the 2-D slices. Defaults to `0`.
        axis2: The second axis of the 2-D slices. Defaults to `1`.

    Returns:
        The sums, of the input's shape without `axis1` and `axis2`; `bool`, `int8`, `int16` and
        `uint8` inputs sum in `int32` (as on Keras' torch backend), others keep their dtype.

    Example:
    >>> trace([[1, 2], [3, 4]])
    tensor(5, dtype=torch.int32)
    """
    x = _t(x)
    a1 = canonical_axis("trace", axis1, x.ndim, x.shape, "axis1")
    a2 = canonical_axis("trace", axis2, x.ndim, x.shape, "axis2")
    if a1 == a2:
        raise ValueError(f"ops.trace: `axis1` and `axis2` must differ, got axis1={axis1}, axis2={axis2}.")
    dtype = torch.int32 if x.dtype in _TRACE_WIDENED else x.dtype
    return torch.sum(torch.diagonal(x, int(offset), a1, a2), dim=-1, dtype=dtype)


@keras_op
def slogdet(x):
    """Computes the sign and the natural log of the absolute value of the determinant of matrices.

    Args:
        x: A float tensor of shape `(..., M, M)`.

    Returns:
        A tuple `(sign, logabsdet)`, each of shape `x.shape[:-2]`: `det = sign * exp(logabsdet)`.

    Example:
    >>> slogdet([[2.0, 0.0], [0.0, 3.0]])
    (tensor(1.), tensor(1.7918))
    """
    x = _t(x)
    if x.ndim < 2 or x.shape[-1] != x.shape[-2]:
        raise ValueError(f"ops.slogdet: `x` must be a stack of square matrices (..., M, M), got shape "
                         f"{_shape_text(x.shape)}.")
    if not (x.is_floating_point() or x.is_complex()):
        raise TypeError(f"ops.slogdet: `x` must be a float tensor, got dtype {standardize_dtype(x.dtype)}; "
                        "cast it first (ops.cast(x, 'float32')).")
    return tuple(torch.linalg.slogdet(x))


@keras_op
def correlate(x1, x2, mode="valid"):
    """Cross-correlation of two 1-D tensors: `c[k] = sum_n x1[n + k] * x2[n]`.

    Args:
        x1: First 1-D tensor.
        x2: Second 1-D tensor.
        mode: `"valid"` (only where the inputs overlap fully), `"same"` (as long as the longer
            input, centred) or `"full"` (every overlap). Defaults to `"valid"`.

    Returns:
        A 1-D float tensor: `float16`, `bfloat16` or `float64` when the inputs promote to it,
        `float32` otherwise (as on Keras' torch backend).

    Example:
    >>> correlate([1.0, 2.0, 3.0], [0.0, 1.0, 0.5])
    tensor([3.5000])
    """
    if mode not in ("valid", "same", "full"):
        raise ValueError(f"ops.correlate: `mode` must be 'valid', 'same' or 'full', got mode={mode!r}.")
    x1, x2 = _t(x1), _t(x2)
    if x1.ndim != 1 or x2.ndim != 1:
        raise ValueError(f"ops.correlate: `x1` and `x2` must be 1-D, got shapes {_shape_text(x1.shape)} and "
                         f"{_shape_text(x2.shape)}.")
    n, m = x1.shape[0], x2.shape[0]
    if n == 0 or m == 0:
        raise ValueError(f"ops.correlate: `x1` and `x2` must not be empty, got lengths {n} and {m}.")
    dtype = result_type(x1.dtype, x2.dtype)
    dtype = to_torch_dtype(dtype if dtype in ("bfloat16", "float16", "float64") else "float32")
    full = torch.nn.functional.conv1d(x1.to(dtype)[None, None], x2.to(dtype)[None, None], padding=m - 1)[0, 0]
    if mode == "full":
        return full
    if mode == "valid":
        length, start = abs(n - m) + 1, min(n, m) - 1
    else:
        length = max(n, m)
        # NumPy centres the window on the longer input, rounding towards its start.
        start = (min(n, m) - 1) // 2 if n >= m else (min(n, m)) // 2
    return full[start:start + length]
