"""Keras' indexing and selection ops (`take`, `take_along_axis`, `where`, `select`, `nonzero`, ...).

Negative indices count from the end, as in NumPy; an index out of range raises a `ValueError`
naming the op, the shapes and the axis. `where` and `select` promote their branches as Keras'
torch backend does (Python scalars become 0-d tensors first, then torch's promotion decides).

Where Keras' torch backend departs from NumPy's meaning, which Keras documents, these follow NumPy:
with `axis=None`, `take` and `take_along_axis` count negative indices from the end of the
flattened input (Keras' torch backend counts them from the end of axis 0), and `select` raises when
`condlist` and `choicelist` differ in length (Keras' torch backend drops the extra entries).

Example:
>>> from kerastorch import ops
>>> ops.take([10, 20, 30], [-1, 0])
tensor([30, 10], dtype=torch.int32)
"""

import torch

from kerastorch.backend.dtypes import result_type, to_torch_dtype
from kerastorch.ops._utils import keras_op, tensor
from kerastorch.ops.numpy.manipulation import _shape_text, _t, canonical_axis

__all__ = ["get_item", "isin", "nonzero", "select", "take", "take_along_axis", "unravel_index", "where"]


def _index_tensor(op, indices, device):
    indices = _t(indices)
    if indices.is_floating_point() or indices.is_complex():
        raise TypeError(f"ops.{op}: `indices` must be integers, got dtype {indices.dtype}.")
    if indices.device != device:
        indices = indices.to(device)
    return indices if indices.dtype == torch.int64 else indices.long()


@keras_op
def get_item(x, key):
    """Returns `x[key]`, NumPy-style indexing: ints, slices, `None`, `...`, index and mask arrays.

    Args:
        x: Input tensor.
        key: The index.

    Returns:
        The indexed tensor.

    Example:
    >>> get_item([[1, 2], [3, 4]], (slice(None), 1))
    tensor([2, 4], dtype=torch.int32)
    """
    return _t(x)[key]


@keras_op
def take(x, indices, axis=None):
    """Takes elements of a tensor along an axis.

    Args:
        x: Source tensor.
        indices: Integer indices of the elements to take (negative ones count from the end).
        axis: The axis along which to take. Defaults to `None` (the flattened tensor).

    Returns:
        A tensor of shape `x.shape[:axis] + indices.shape + x.shape[axis + 1:]`.

    Example:
    >>> take([[1, 2], [3, 4]], [1, 0], axis=1)
    tensor([[2, 1],
            [4, 3]], dtype=torch.int32)
    """
    x = _t(x)
    indices = _index_tensor("take", indices, x.device)
    if axis is None:
        return x.reshape(-1)[indices]
    axis = canonical_axis("take", axis, x.ndim, x.shape)
    return x[(slice(None),) * axis + (indices,)]


@keras_op
def take_along_axis(x, indices, axis=None):
    """Takes values of `x` at `indices` along `axis`, as the index-returning ops produce them.

    Args:
        x: Source tensor.
        indices: Integer indices, of the rank of `x` (the other axes broadcast against `x`).
        axis: The axis along which to take. Defaults to `None` (flattened `x` and `indices`).

    Returns:
        The selected values, of the shape of `indices` (broadcast).

    Example:
    >>> take_along_axis([[10, 30, 20]], [[0, 2, 1]], axis=1)
    tensor([[10, 20, 30]], dtype=torch.int32)
    """
    x = _t(x)
    indices = _index_tensor("take_along_axis", indices, x.device)
    if axis is None:
        x, indices, axis = x.reshape(-1), indices.reshape(-1), 0
    elif indices.ndim != x.ndim:
        raise ValueError(f"ops.take_along_axis: `indices` must have the rank of `x`, got x.shape="
                         f"{_shape_text(x.shape)} and indices.shape={_shape_text(indices.shape)}.")
    else:
        axis = canonical_axis("take_along_axis", axis, x.ndim, x.shape)
    indices = torch.where(indices < 0, indices + x.shape[axis], indices)
    if x.shape[:axis] == indices.shape[:axis] and x.shape[axis + 1:] == indices.shape[axis + 1:]:
        return torch.gather(x, axis, indices)       # the common case: nothing to broadcast
    # gather checks the indices' range (torch's take_along_dim does not, on the CPU); the other axes
    # broadcast as in NumPy.
    try:
        shape = list(torch.broadcast_shapes(x.shape[:axis] + (1,) + x.shape[axis + 1:],
                                            indices.shape[:axis] + (1,) + indices.shape[axis + 1:]))
    except RuntimeError:
        raise ValueError(f"ops.take_along_axis: x.shape={_shape_text(x.shape)} and indices.shape="
                         f"{_shape_text(indices.shape)} do not broadcast outside axis {axis}.") from None
    shape[axis] = x.shape[axis]
    x = x.expand(shape)
    shape[axis] = indices.shape[axis]
    return torch.gather(x, axis, indices.expand(shape))


def _branch(value):
    return value if type(value) is torch.Tensor else tensor(value)


@keras_op
def where(condition, x1=None, x2=None):
    """Picks elements from `x1` where `condition` holds and from `x2` elsewhere.

    Args:
        condition: Where true, take from `x1`, else from `x2` (broadcast together).
        x1: Values where `condition` holds. Defaults to `None`.
        x2: Values elsewhere. Defaults to `None`. With both `None`, the indices where
            `condition` holds are returned instead.

    Returns:
        The selected values; or, with `x1` and `x2` both `None`, an `int64` tensor of shape
        `(condition.ndim, count)` holding the indices of the true elements (as Keras' torch
        backend returns).

    Example:
    >>> where([True, False], [1, 2], [3, 4])
    tensor([1, 4], dtype=torch.int32)
    """
    if (x1 is None) != (x2 is None):
        raise ValueError("ops.where: give both `x1` and `x2`, or neither (to get the indices where "
                         f"`condition` holds); got x1={'None' if x1 is None else 'a value'} and "
                         f"x2={'None' if x2 is None else 'a value'}.")
    condition = _t(condition)
    if condition.dtype != torch.bool:
        condition = condition.bool()
    if x1 is None:
        return torch.stack(torch.where(condition), dim=0)
    return torch.where(condition, _branch(x1), _branch(x2))


@keras_op
def select(condlist, choicelist, default=0):
    """Picks, for each element, the value of the first choice whose condition holds.

    Args:
        condlist: List of boolean tensors (conditions).
        choicelist: List of tensors, one per condition, broadcast with them.
        default: The value where no condition holds. Defaults to `0`.

    Returns:
        A tensor of the broadcast shape.

    Example:
    >>> x = torch.arange(4)
    >>> select([x < 1, x > 2], [x, x * 10], default=-1)
    tensor([ 0, -1, -1, 30])
    """
    if not isinstance(condlist, (list, tuple)) or not isinstance(choicelist, (list, tuple)):
        raise ValueError("ops.select: `condlist` and `choicelist` must be lists, got "
                         f"{type(condlist).__name__} and {type(choicelist).__name__}.")
    if not condlist or not choicelist:
        raise ValueError("ops.select: `condlist` and `choicelist` must not be empty.")
    if len(condlist) != len(choicelist):
        raise ValueError(f"ops.select: `condlist` has {len(condlist)} conditions but `choicelist` has "
                         f"{len(choicelist)} choices; give one choice per condition.")
    out = _branch(default)
    for cond, choice in zip(reversed(condlist), reversed(choicelist)):
        cond = _t(cond)
        out = torch.where(cond if cond.dtype == torch.bool else cond.bool(), _branch(choice), out)
    return out


@keras_op
def nonzero(x):
    """Returns the indices of the non-zero elements.

    Args:
        x: Input tensor.

    Returns:
        An `int32` tensor of shape `(x.ndim, count)`: row `i` holds the indices along axis `i`
        (as Keras' torch backend returns; unpack it like NumPy's tuple).

    Example:
    >>> rows, cols = nonzero([[0, 1], [2, 0]])
    >>> rows, cols
    (tensor([0, 1], dtype=torch.int32), tensor([1, 0], dtype=torch.int32))
    """
    return torch.nonzero(_t(x)).T.to(torch.int32)


@keras_op
def unravel_index(indices, shape):
    """Converts flat indices into tuples of coordinates for a tensor of shape `shape`.

    Args:
        indices: Integer flat indices.
        shape: The shape of the tensor the indices point into.

    Returns:
        A tuple of tensors, one per axis of `shape`, in Keras' result dtype of `indices`
        (`int64` comes out `int32`, as on Keras' torch backend).

    Example:
    >>> unravel_index([5, 1], (2, 3))
    (tensor([1, 0], dtype=torch.int32), tensor([2, 1], dtype=torch.int32))
    """
    indices = _t(indices)
    if indices.is_floating_point() or indices.dtype == torch.bool:
        raise TypeError(f"ops.unravel_index: `indices` must be integers, got dtype {indices.dtype}.")
    shape = (int(shape),) if isinstance(shape, int) else tuple(int(d) for d in shape)
    out_dtype = to_torch_dtype(result_type(indices.dtype))
    return tuple(i.to(out_dtype) for i in torch.unravel_index(indices, shape))


@keras_op
def isin(x1, x2, assume_unique=False, invert=False):
    """Tests, for each element of `x1`, whether it is in `x2`.

    Args:
        x1: Input tensor.
        x2: The values to test against.
        assume_unique: Whether both inputs may be assumed to hold unique values (faster).
            Defaults to `False`.
        invert: Whether to return the opposite (not in `x2`). Defaults to `False`.

    Returns:
        A boolean tensor of the shape of `x1`.

    Example:
    >>> isin([1, 2, 3], [2, 5])
    tensor([False,  True, False])
    """
    x1, x2 = _t(x1), _t(x2)
    if x1.dtype == torch.bool or x2.dtype == torch.bool:
        # torch's isin has no bool kernel: compare bools as integers, as Keras' torch backend does.
        common = torch.int32 if x1.dtype == x2.dtype else (x2.dtype if x1.dtype == torch.bool else x1.dtype)
        x1, x2 = x1.to(common), x2.to(common)
    return torch.isin(x1, x2, assume_unique=assume_unique, invert=invert)
