"""Keras' sorting and searching ops (`sort`, `argsort`, `argpartition`, `searchsorted`, `unique`).

Index results are `int32`, as on Keras' torch backend (`unique`'s extra outputs are `int64`, as
there). `argsort` is stable.

Where Keras' torch backend departs from the behaviour Keras documents, this follows NumPy:
`argpartition` orders float inputs by their values (Keras' torch backend casts them to `int32`
first, so `0.2` and `0.7` tie), and takes a negative `kth` or a list of them. Which of the equal
partitions' orders `argpartition` returns is, as in NumPy, unspecified: this one returns the sorted
order, which is one valid partition for every `kth`.

Example:
>>> from kerastorch import ops
>>> ops.argsort([3, 1, 2])
tensor([1, 2, 0], dtype=torch.int32)
"""

import numpy as np
import torch

from kerastorch.ops._utils import keras_op
from kerastorch.ops.numpy.manipulation import _shape_text, _t, canonical_axis

__all__ = ["argpartition", "argsort", "searchsorted", "sort", "unique"]


@keras_op
def sort(x, axis=-1):
    """Sorts the elements of a tensor along an axis, in ascending order.

    Args:
        x: Input tensor.
        axis: The axis to sort along. Defaults to `-1`; `None` sorts the flattened tensor.

    Returns:
        The sorted tensor.

    Example:
    >>> sort([3, 1, 2])
    tensor([1, 2, 3], dtype=torch.int32)
    """
    x = _t(x)
    if axis is None:
        x, axis = x.reshape(-1), 0
    if x.dtype == torch.bool and x.device.type != "cpu":
        # torch has no boolean sort kernel off the CPU.
        return torch.sort(x.to(torch.uint8), dim=axis).values.bool()
    return torch.sort(x, dim=axis).values


@keras_op
def argsort(x, axis=-1):
    """Returns the indices that sort a tensor along an axis (a stable sort).

    Args:
        x: Input tensor.
        axis: The axis to sort along. Defaults to `-1`; `None` sorts the flattened tensor.

    Returns:
        An `int32` tensor of indices.

    Example:
    >>> argsort([[3, 1, 2]])
    tensor([[1, 2, 0]], dtype=torch.int32)
    """
    x = _t(x)
    if x.dtype == torch.bool:
        x = x.to(torch.uint8)
    if axis is None:
        x, axis = x.reshape(-1), -1
    return torch.argsort(x, dim=axis, stable=True).to(torch.int32)


@keras_op
def argpartition(x, kth, axis=-1):
    """Returns indices that partition a tensor around its `kth` smallest element along an axis.

    In the result, the element at position `kth` is the one that would be there in sorted order;
    the elements before it are no larger, those after it no smaller.

    Args:
        x: Input tensor.
        kth: The position of the partitioning element (negative counts from the end), or a list
            of positions.
        axis: The axis to partition along. Defaults to `-1`; `None` uses the flattened tensor.

    Returns:
        An `int32` tensor of indices.

    Example:
    >>> argpartition([3, 4, 2, 1], 1)
    tensor([3, 2, 0, 1], dtype=torch.int32)
    """
    x = _t(x)
    if axis is None:
        x, axis = x.reshape(-1), 0
    axis = canonical_axis("argpartition", axis, x.ndim, x.shape)
    n = x.shape[axis]
    for k in np.atleast_1d(np.asarray(kth)).tolist():
        if isinstance(k, bool) or not isinstance(k, int) or not -n <= k < n:
            raise ValueError(f"ops.argpartition: kth={kth!r} is out of range for axis {axis} of an input of "
                             f"shape {_shape_text(x.shape)}; use integers in [{-n}, {n}).")
    if x.dtype == torch.bool:
        x = x.to(torch.uint8)
    return torch.argsort(x, dim=axis, stable=True).to(torch.int32)


@keras_op
def searchsorted(sorted_sequence, values, side="left"):
    """Finds the indices at which `values` would be inserted into `sorted_sequence` to keep it sorted.

    Args:
        sorted_sequence: A 1-D tensor sorted in ascending order.
        values: The values to insert (any shape).
        side: `"left"` (the first suitable index) or `"right"` (the last). Defaults to `"left"`.

    Returns:
        An `int32` tensor of insertion indices, of the shape of `values`.

    Example:
    >>> searchsorted([1, 3, 5], [0, 3, 6])
    tensor([0, 1, 3], dtype=torch.int32)
    """
    if side not in ("left", "right"):
        raise ValueError(f"ops.searchsorted: `side` must be 'left' or 'right', got side={side!r}.")
    sorted_sequence, values = _t(sorted_sequence), _t(values)
    if sorted_sequence.ndim != 1:
        raise ValueError("ops.searchsorted: `sorted_sequence` must be 1-D, got shape "
                         f"{_shape_text(sorted_sequence.shape)}. For N-D sequences map it over the "
                         "leading axes (kerastorch.ops.vectorized_map).")
    out_int32 = sorted_sequence.shape[0] <= np.iinfo(np.int32).max
    return torch.searchsorted(sorted_sequence, values, side=side, out_int32=out_int32)


def _unique_args(size, axis, x):
    if size is not None and (isinstance(size, bool) or not isinstance(size, int) or size < 0):
        raise ValueError(f"ops.unique: `size` must be a non-negative int or None, got size={size!r}.")
    if axis is not None:
        axis = canonical_axis("unique", axis, x.ndim, x.shape)
    return axis


@keras_op
def unique(x, sorted=True, return_index=False, return_inverse=False, return_counts=False,
           axis=None, size=None, fill_value=None):
    """Finds the unique elements of a tensor (or its unique slices along `axis`).

    Args:
        x: Input tensor.
        sorted: Whether the unique values come sorted. Defaults to `True`.
        return_index: Whether to also return, for each unique value, the index of its first
            occurrence. Defaults to `False`.
        return_inverse: Whether to also return the indices that rebuild `x` from the unique
            values. Defaults to `False`.
        return_counts: Whether to also return how often each unique value occurs.
            Defaults to `False`.
        axis: The axis whose slices are compared. Defaults to `None` (the flattened tensor).
        size: If given, the result holds exactly `size` unique values: cut, or padded with
            `fill_value` (counts with 0, first indices with 1, as on Keras' torch backend).
            Defaults to `None`.
        fill_value: The padding value for `size`. Defaults to `None` (0).

    Returns:
        The unique values; with any `return_*` flag, the tuple `(values, index, inverse, counts)`
        of the outputs asked for, in that order (the extra outputs are `int64`).

    Example:
    >>> unique([3, 1, 3, 2])
    tensor([1, 2, 3], dtype=torch.int32)
    """
    x = _t(x)
    axis = _unique_args(size, axis, x)
    want_inverse = return_inverse or return_index
    result = torch.unique(x, sorted=sorted, return_inverse=want_inverse, return_counts=return_counts,
                          dim=axis)
    if not (want_inverse or return_counts):
        result = (result,)
    values = result[0]
    inverse = result[1] if want_inverse else None
    counts = result[-1] if return_counts else None
    dim = 0 if axis is None else axis
    first = None
    if return_index:
        flat_inverse = inverse.reshape(-1)
        positions = torch.arange(flat_inverse.shape[0], dtype=flat_inverse.dtype, device=flat_inverse.device)
        first = flat_inverse.new_empty(values.shape[dim]).scatter_reduce_(
            0, flat_inverse, positions, reduce="amin", include_self=False)
    if size is not None:
        have = values.shape[dim]
        if have > size:
            values = values.narrow(dim, 0, size)
            counts = counts[:size] if counts is not None else None
            first = first[:size] if first is not None else None
        elif have < size:
            extra = size - have
            widths = [0, 0] * (values.ndim - 1 - dim) + [0, extra]
            values = torch.nn.functional.pad(values, widths, value=0 if fill_value is None else fill_value)
            if counts is not None:
                counts = torch.nn.functional.pad(counts, (0, extra), value=0)
            if first is not None:
                first = torch.nn.functional.pad(first, (0, extra), value=1)
    outputs = [values]
    if return_index:
        outputs.append(first)
    if return_inverse:
        outputs.append(inverse)
    if return_counts:
        outputs.append(counts)
    return outputs[0] if len(outputs) == 1 else tuple(outputs)
