"""Keras' `keras.ops` core functions on torch tensors: conversion, slicing, scatter and control flow.

Control flow runs eagerly, as on Keras' torch backend: `cond` evaluates its predicate, `scan` and
`while_loop` are Python loops that call your functions on tensors, and every function takes and
returns the nested structures (lists, tuples, dicts) Keras' do. The conversion functions are
`kerastorch.backend`'s own (`convert_to_tensor`, `convert_to_numpy`, `cast`, `is_tensor`).

Example:
>>> import torch
>>> from kerastorch import ops
>>> ops.scan(lambda carry, x: (carry + x, carry * x), 0, torch.tensor([1, 2, 3]))
(tensor(6), tensor([0, 2, 9]))
"""

import builtins
import functools
import operator

import numpy as np
import torch

from kerastorch.backend.dtypes import standardize_dtype, to_torch_dtype
from kerastorch.backend import tensors as _tensors
from kerastorch.backend.tensors import convert_to_numpy, is_tensor
from kerastorch.ops._control_flow import (associative_scan, cond, custom_gradient, fori_loop, map,
                                          scan, switch, vectorized_map, while_loop)
from kerastorch.ops._utils import keras_op, symbolic_op, tensor

# The backend's own, recorded in the graph on KerasTensors (checked only once they have failed).
cast = symbolic_op(_tensors.cast)
convert_to_tensor = symbolic_op(_tensors.convert_to_tensor)
cast.__module__ = convert_to_tensor.__module__ = __name__     # pickled by reference, from here

__all__ = ["associative_scan", "cast", "cond", "convert_to_numpy", "convert_to_tensor",
           "custom_gradient", "dtype", "fori_loop", "is_tensor", "map", "saturate_cast", "scan",
           "scatter", "scatter_update", "shape", "slice", "slice_update", "stop_gradient", "switch",
           "unstack", "vectorized_map", "while_loop"]


def _as_index_list(name, what, value):
    """`value` (a list/tuple of ints, an array or a tensor) as a list of Python ints."""
    if isinstance(value, torch.Tensor):
        return [int(v) for v in value.reshape(-1).tolist()]
    if isinstance(value, np.ndarray):
        return [int(v) for v in value.reshape(-1).tolist()]
    if isinstance(value, (list, tuple)):
        return [int(v) for v in value]
    raise TypeError(f"ops.{name}: `{what}` must be a list or tuple of integers or an integer tensor, "
                    f"got {type(value).__name__} {value!r}.")


# ---------------------------------------------------------------------------- tensors and shapes
@keras_op
def shape(x):
    """Returns the shape of a tensor as a tuple of Python ints.

    Args:
        x: A tensor (or a numpy array, a list, a scalar).

    Returns:
        A tuple of ints, one per axis.

    Example:
    >>> import torch
    >>> shape(torch.zeros((8, 12)))
    (8, 12)
    """
    if isinstance(x, torch.Tensor):
        return tuple(x.shape)
    s = getattr(x, "shape", None)
    if s is not None:
        return tuple(int(d) for d in s)
    return tuple(convert_to_tensor(x).shape)


def dtype(x):
    """Returns the dtype of a tensor as Keras' standardized name.

    Args:
        x: A tensor, a `kerastorch.Variable` or a numpy array.

    Returns:
        A string such as `"float32"` or `"int32"`.

    Example:
    >>> import torch
    >>> dtype(torch.zeros(2, dtype=torch.int8))
    'int8'
    """
    d = getattr(x, "dtype", None)
    if d is None:
        raise TypeError(f"ops.dtype: expected a tensor or an array with a `dtype`, got "
                        f"{type(x).__name__} {x!r}. Convert it first with ops.convert_to_tensor(x).")
    return standardize_dtype(d)


def _dtype_range(name):
    if name == "bool":
        return 0, 1
    torch_dtype = to_torch_dtype(name)
    info = torch.finfo(torch_dtype) if torch_dtype.is_floating_point else torch.iinfo(torch_dtype)
    if name == "uint16":
        return 0, 2 ** 16 - 1
    if name == "uint32":
        return 0, 2 ** 32 - 1
    if torch_dtype.is_floating_point:
        return float(info.min), float(info.max)
    return int(info.min), int(info.max)


@functools.lru_cache(maxsize=256)
def _saturation_limits(in_name, out_name):
    """The clip bounds, exact in the input dtype, that keep values inside the output's range."""
    in_min, in_max = _dtype_range(in_name)
    out_min, out_max = _dtype_range(out_name)
    torch_in = to_torch_dtype(in_name)
    low, high = max(in_min, out_min), min(in_max, out_max)
    if not torch_in.is_floating_point:
        return int(low), int(high)
    low_t = torch.tensor(float(low), dtype=torch.float64).to(torch_in)
    high_t = torch.tensor(float(high), dtype=torch.float64).to(torch_in)
    zero = torch.zeros((), dtype=torch_in)
    # Python compares ints and floats exactly: step towards zero while rounding left the range
    # (float32 cannot hold 2**31 - 1: its nearest value 2**31 would overflow int32).
    while float(low_t) < out_min:
        low_t = torch.nextafter(low_t, zero)
    while float(high_t) > out_max:
        high_t = torch.nextafter(high_t, zero)
    return float(low_t), float(high_t)


@keras_op
def saturate_cast(x, dtype):
    """Casts `x` to `dtype`, first clipping it into the range of `dtype` (no wrap-around).

    `cast([-1.0, 256.0], "uint8")` wraps around to `[255, 0]`; `saturate_cast` gives `[0, 255]`.

    Args:
        x: A tensor.
        dtype: The target dtype.

    Returns:
        A tensor of dtype `dtype`.

    Example:
    >>> saturate_cast([-1.0, 3.5, 256.0], "uint8")
    tensor([  0,   3, 255], dtype=torch.uint8)
    """
    x = tensor(x)
    try:
        bounds, torch_out = _saturate_plan(x.dtype, dtype)
    except TypeError:                      # an unhashable dtype spelling: no cache
        bounds, torch_out = _saturate_plan.__wrapped__(x.dtype, dtype)
    if bounds is not None:
        x = torch.clamp(x, *bounds)
    return x.to(torch_out)


@functools.lru_cache(maxsize=256)
def _saturate_plan(in_dtype, dtype):
    """`(clip bounds or None, torch output dtype)` for a cast from `in_dtype` to `dtype`."""
    out_name = standardize_dtype(dtype)
    in_name = standardize_dtype(in_dtype)
    torch_out = to_torch_dtype(out_name)
    if in_name == "bool" or in_dtype.is_complex:
        return None, torch_out
    low, high = _saturation_limits(in_name, out_name)
    in_min, in_max = _dtype_range(in_name)
    return ((low, high) if low > in_min or high < in_max else None), torch_out


@keras_op
def stop_gradient(variable):
    """Returns `variable` cut off from the autograd graph (its gradient is zero).

    Args:
        variable: A tensor or a `kerastorch.Variable`.

    Returns:
        A tensor with the same values that does not require grad.

    Example:
    >>> import torch
    >>> x = torch.ones(2, requires_grad=True)
    >>> stop_gradient(x * 2).requires_grad
    False
    """
    return tensor(variable).detach()


@keras_op
def unstack(x, num=None, axis=0):
    """Splits a tensor into a tuple of tensors along `axis` (that axis removed).

    Args:
        x: A tensor.
        num: Optional number of pieces; when given it must equal `x.shape[axis]`.
            Defaults to `None`.
        axis: The axis to unstack along. Defaults to `0`.

    Returns:
        A tuple of `x.shape[axis]` tensors.

    Example:
    >>> unstack([[1, 2], [3, 4]])
    (tensor([1, 2], dtype=torch.int32), tensor([3, 4], dtype=torch.int32))
    """
    x = tensor(x)
    if num is not None and x.ndim and -x.ndim <= axis < x.ndim and num != x.shape[axis]:
        raise ValueError(f"ops.unstack: num={num!r} does not match x.shape[{axis}]={x.shape[axis]} "
                         f"(x.shape={tuple(x.shape)}). Leave num=None or pass the axis' size.")
    return x.unbind(axis)


# ------------------------------------------------------------------------------ slicing, scatter
@keras_op
def slice(inputs, start_indices, shape):
    """Returns a slice of `inputs` that starts at `start_indices` and has shape `shape`.

    Args:
        inputs: A tensor.
        start_indices: One start index per axis (a list or an integer tensor).
        shape: The shape of the slice, one size per axis; `-1` takes everything to the end of
            that axis (as in Keras' symbolic shape inference).

    Returns:
        A tensor of shape `shape` (a view of `inputs` where torch can make one).

    Example:
    >>> slice([[1, 2, 3], [4, 5, 6]], [0, 1], [2, 2])
    tensor([[2, 3],
            [5, 6]], dtype=torch.int32)
    """
    inputs = tensor(inputs)
    starts = start_indices if type(start_indices) in (list, tuple) else _as_index_list(
        "slice", "start_indices", start_indices)
    sizes = shape if type(shape) in (list, tuple) else _as_index_list("slice", "shape", shape)
    dims = inputs.shape
    if len(starts) != len(dims) or len(sizes) != len(dims):
        raise ValueError(f"ops.slice: `start_indices` ({len(starts)} values) and `shape` ({len(sizes)} "
                         f"values) need one entry per axis of inputs (inputs.shape={tuple(dims)}).")
    index = []
    for start, size, dim in zip(starts, sizes, dims):
        try:
            start, size = operator.index(start), operator.index(size)
        except TypeError:
            raise TypeError(f"ops.slice: `start_indices` and `shape` must hold integers, got "
                            f"start_indices={start_indices!r}, shape={shape!r}.") from None
        stop = dim if size == -1 else start + size
        if start < 0 or size < -1 or stop > dim:
            raise ValueError(f"ops.slice: the slice [{start}:{stop}] on axis {len(index)} does not fit in "
                             f"inputs.shape={tuple(dims)} (start_indices={list(starts)}, "
                             f"shape={list(sizes)}).")
        index.append(builtins.slice(start, stop))
    return inputs[tuple(index)]


@keras_op
def slice_update(inputs, start_indices, updates):
    """Returns a copy of `inputs` with the block at `start_indices` replaced by `updates`.

    Args:
        inputs: A tensor.
        start_indices: One start index per axis (a list of ints or an integer tensor).
        updates: The values to write, a tensor with as many axes as `inputs`.

    Returns:
        A new tensor shaped like `inputs`.

    Example:
    >>> slice_update([0, 0, 0, 0], [1], [7, 8])
    tensor([0, 7, 8, 0], dtype=torch.int32)
    """
    inputs = tensor(inputs)
    updates = tensor(updates)
    if updates.dtype != inputs.dtype:
        updates = updates.to(inputs.dtype)
    if updates.ndim != inputs.ndim:
        raise ValueError(f"ops.slice_update: updates must have as many axes as inputs, got "
                         f"updates.shape={tuple(updates.shape)} for inputs.shape={tuple(inputs.shape)}.")
    outputs = inputs.clone()
    if isinstance(start_indices, torch.Tensor):
        # Tensor starts stay on the device (no host sync): write through index_put.
        starts = start_indices.to(device=inputs.device, dtype=torch.int64).reshape(-1)
        grids = torch.meshgrid(*[torch.arange(n, device=inputs.device) + starts[d]
                                 for d, n in enumerate(updates.shape)], indexing="ij")
        return outputs.index_put(tuple(g.reshape(-1) for g in grids), updates.reshape(-1))
    starts = _as_index_list("slice_update", "start_indices", start_indices)
    if len(starts) != inputs.ndim:
        raise ValueError(f"ops.slice_update: start_indices={starts} needs one entry per axis of "
                         f"inputs (inputs.shape={tuple(inputs.shape)}).")
    index = tuple(builtins.slice(s, s + n) for s, n in zip(starts, updates.shape))
    outputs[index] = updates
    return outputs


@keras_op
def scatter(indices, values, shape):
    """Returns a zero tensor of shape `shape` with `values` added at `indices`.

    Duplicate indices add up.

    Args:
        indices: Integer tensor of shape `(..., k)`: each row indexes the first `k` axes of the
            output.
        values: Tensor of shape `indices.shape[:-1] + shape[k:]`.
        shape: The shape of the output.

    Returns:
        A tensor of shape `shape` and the dtype of `values`.

    Example:
    >>> scatter([[0], [2], [2]], [1.0, 2.0, 3.0], (4,))
    tensor([1., 0., 5., 0.])
    """
    values = tensor(values)
    indices = tensor(indices)
    shape = tuple(_as_index_list("scatter", "shape", shape))
    if indices.ndim == 0 or indices.shape[-1] > len(shape):
        raise ValueError(f"ops.scatter: indices must have shape (..., k) with k <= len(shape)={len(shape)}, "
                         f"got indices.shape={tuple(indices.shape)}.")
    k = indices.shape[-1]
    rows = indices.reshape(-1, k).to(device=values.device, dtype=torch.int64)
    values = values.reshape((rows.shape[0],) + shape[k:])
    zeros = torch.zeros(shape, dtype=values.dtype, device=values.device)
    return zeros.index_put(tuple(rows.t()), values, accumulate=True)


_REDUCTIONS = {"max": "amax", "min": "amin", "mul": "prod"}


@keras_op
def scatter_update(inputs, indices, updates, reduction=None):
    """Returns a copy of `inputs` with `updates` written (or combined) at `indices`.

    Args:
        inputs: A tensor.
        indices: Integer tensor of shape `(N, k)`: each row indexes the first `k` axes of `inputs`.
        updates: Tensor of shape `(N,) + inputs.shape[k:]`.
        reduction: How to combine an update with the value in place: `None` (replace; with
            duplicate indices one of the updates wins), `"add"`, `"max"`, `"min"` or `"mul"`.
            Defaults to `None`.

    Returns:
        A new tensor shaped like `inputs`.

    Example:
    >>> scatter_update([1.0, 1.0, 1.0], [[0], [2], [2]], [5.0, 2.0, 3.0], reduction="add")
    tensor([6., 1., 6.])
    """
    if reduction is not None:
        reduction = str(reduction).lower()
        if reduction not in ("add", "max", "min", "mul"):
            raise ValueError(f"ops.scatter_update: invalid reduction={reduction!r}. Expected None, "
                             "'add', 'max', 'min' or 'mul'.")
    inputs = tensor(inputs)
    indices = tensor(indices)
    updates = tensor(updates)
    if updates.dtype != inputs.dtype:
        updates = updates.to(inputs.dtype)
    if indices.ndim != 2 or indices.shape[1] > inputs.ndim:
        raise ValueError(f"ops.scatter_update: indices must have shape (N, k) with k <= inputs.ndim="
                         f"{inputs.ndim}, got indices.shape={tuple(indices.shape)}.")
    indices = indices.to(device=inputs.device, dtype=torch.int64)
    if reduction is None or reduction == "add":
        return inputs.index_put(tuple(indices.t()), updates, accumulate=reduction == "add")
    k = indices.shape[1]
    lead = torch.tensor(inputs.shape[:k], device=inputs.device, dtype=torch.int64)
    indices = torch.where(indices < 0, indices + lead, indices)
    strides = torch.ones(k, dtype=torch.int64, device=inputs.device)
    if k > 1:
        strides[:-1] = torch.flip(torch.cumprod(torch.flip(lead[1:], (0,)), 0), (0,))
    rows = (indices * strides).sum(-1)
    rest = tuple(inputs.shape[k:])
    flat = inputs.reshape((-1,) + rest)
    source = updates.reshape((-1,) + rest)
    rows = rows.reshape((-1,) + (1,) * len(rest)).expand(source.shape)
    out = flat.scatter_reduce(0, rows, source, _REDUCTIONS[reduction], include_self=True)
    return out.reshape(inputs.shape)
