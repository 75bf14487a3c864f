"""Keras' shape and layout ops (`reshape`, `transpose`, `expand_dims`, `flip`, `tile`, `repeat`, ...).

The results keep the input's dtype; most are torch views of the input, as on Keras' torch backend.

Where Keras' torch backend departs from the behaviour Keras documents (NumPy's), these follow NumPy:
`repeat` takes a list of repeats (Keras' torch backend fails on one), and `squeeze(x, axis)` of an
axis whose size is not 1 raises (Keras' torch backend returns `x` unchanged).

Example:
>>> from kerastorch import ops
>>> ops.expand_dims(ops.ones((2, 3)), 0).shape
torch.Size([1, 2, 3])
"""

import builtins

import numpy as np
import torch

from kerastorch import config
from kerastorch.backend.dtypes import to_torch_dtype
from kerastorch.ops._utils import keras_op, tensor

__all__ = [
    "broadcast_to", "copy", "diff", "expand_dims", "flip", "fliplr", "flipud", "moveaxis", "ndim",
    "ravel", "repeat", "reshape", "roll", "rot90", "size", "squeeze", "swapaxes", "tile",
    "transpose", "view",
]


def _t(x):
    return x if type(x) is torch.Tensor else tensor(x)


def _shape_text(shape):
    return "(" + ", ".join(str(int(d)) for d in shape) + ("," if len(shape) == 1 else "") + ")"


def canonical_axis(op, axis, ndim, shape, name="axis"):
    """`axis` in `[0, ndim)`; a ValueError naming the op, the shape and the axis otherwise."""
    if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)):
        raise TypeError(f"ops.{op}: `{name}` must be an int, got {name}={axis!r}.")
    if not -ndim <= axis < ndim:
        raise ValueError(f"ops.{op}: {name}={axis} is out of range for an input of shape "
                         f"{_shape_text(shape)} (rank {ndim}); use an axis in [{-ndim}, {ndim}).")
    return int(axis) % ndim if ndim else 0


def _int_tuple(value, op=None, name=None):
    """`value` (an int, a sequence of ints or an integer tensor) as a tuple of ints."""
    if isinstance(value, torch.Tensor):
        return tuple(int(v) for v in value.reshape(-1).tolist())
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return (int(value),)
    try:
        items = tuple(value)
    except TypeError:
        items = None
    if items is None or isinstance(value, str) or not all(
            isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in items):
        if op is None:
            raise TypeError(f"expected an int or a sequence of ints, got {value!r}")
        raise TypeError(f"ops.{op}: `{name}` must be an int or a sequence of ints, got {name}={value!r}.")
    return tuple(int(v) for v in items)


@keras_op
def reshape(x, newshape):
    """Gives a new shape to a tensor without changing its data.

    Args:
        x: Input tensor.
        newshape: The new shape: an int or a tuple of ints; one entry may be `-1`, inferred from
            the size of `x`.

    Returns:
        The reshaped tensor (a view where torch can make one).

    Example:
    >>> reshape([[1, 2, 3], [4, 5, 6]], (3, -1)).shape
    torch.Size([3, 2])
    """
    x = _t(x)
    if type(newshape) is not tuple:
        newshape = _int_tuple(newshape, "reshape", "newshape")
    unknown = 0
    for d in newshape:
        if d < -1:
            raise ValueError(f"ops.reshape: each entry of `newshape` must be a non-negative integer or -1 "
                             f"(one unknown dimension), got newshape={newshape}.")
        unknown += d == -1
    if unknown > 1:
        raise ValueError(f"ops.reshape: `newshape` may hold at most one -1, got newshape={newshape}.")
    try:
        return torch.reshape(x, newshape)
    except RuntimeError:
        raise ValueError(f"ops.reshape: cannot reshape an input of shape {_shape_text(x.shape)} "
                         f"({x.numel()} values) to newshape={newshape}; the sizes must multiply to "
                         f"{x.numel()}.") from None


@keras_op
def ravel(x):
    """Returns the tensor flattened to 1-D.

    Args:
        x: Input tensor.

    Returns:
        A 1-D tensor of the input's values in row-major order.

    Example:
    >>> ravel([[1, 2], [3, 4]])
    tensor([1, 2, 3, 4], dtype=torch.int32)
    """
    return torch.ravel(_t(x))


@keras_op
def expand_dims(x, axis):
    """Inserts new axes of size 1.

    Args:
        x: Input tensor.
        axis: Position (or tuple of positions) of the new axes in the result's shape.

    Returns:
        The tensor with the new axes.

    Example:
    >>> expand_dims([1, 2], -1).shape
    torch.Size([2, 1])
    """
    x = _t(x)
    if isinstance(axis, int):
        return torch.unsqueeze(x, axis)
    axes = _int_tuple(axis, "expand_dims", "axis")
    out_ndim = x.ndim + len(axes)
    canonical = sorted(canonical_axis("expand_dims", a, out_ndim, (*x.shape, *(1,) * len(axes)))
                       for a in axes)
    if len(set(canonical)) != len(canonical):
        raise ValueError(f"ops.expand_dims: repeated axis in axis={axis!r}.")
    for a in canonical:
        x = torch.unsqueeze(x, a)
    return x


@keras_op
def squeeze(x, axis=None):
    """Removes axes of size 1.

    Args:
        x: Input tensor.
        axis: The axis (or tuple of axes) to remove; each must have size 1. Defaults to `None`
            (every axis of size 1).

    Returns:
        The tensor without those axes.

    Example:
    >>> squeeze([[1], [2]]).shape
    torch.Size([2])
    """
    x = _t(x)
    if axis is None:
        return torch.squeeze(x)
    axes = _int_tuple(axis, "squeeze", "axis")
    for a in axes:
        a = canonical_axis("squeeze", a, x.ndim, x.shape)
        if x.shape[a] != 1:
            raise ValueError(f"ops.squeeze: cannot squeeze axis {a} of an input of shape "
                             f"{_shape_text(x.shape)}: its size is {x.shape[a]}, not 1.")
    return torch.squeeze(x, dim=axes)


@keras_op
def transpose(x, axes=None):
    """Permutes the axes of a tensor.

    Args:
        x: Input tensor.
        axes: The permutation: `axes[i]` is the input axis that becomes axis `i`. Defaults to
            `None` (reverse the axes).

    Returns:
        The transposed tensor (a view).

    Example:
    >>> transpose([[1, 2, 3]]).shape
    torch.Size([3, 1])
    """
    x = _t(x)
    if axes is None:
        return x.t() if x.ndim <= 2 else x.permute(*range(x.ndim - 1, -1, -1))
    axes = _int_tuple(axes, "transpose", "axes")
    if len(axes) != x.ndim:
        raise ValueError(f"ops.transpose: `axes` must list each of the {x.ndim} axes of an input of "
                         f"shape {_shape_text(x.shape)} once, got axes={axes}.")
    return torch.permute(x, axes)


@keras_op
def swapaxes(x, axis1, axis2):
    """Interchanges two axes of a tensor.

    Args:
        x: Input tensor.
        axis1: First axis.
        axis2: Second axis.

    Returns:
        The tensor with the two axes swapped (a view).

    Example:
    >>> swapaxes(torch.ones((1, 2, 3)), 0, 2).shape
    torch.Size([3, 2, 1])
    """
    return torch.swapaxes(_t(x), axis1, axis2)


@keras_op
def moveaxis(x, source, destination):
    """Moves axes of a tensor to new positions; the other axes keep their order.

    Args:
        x: Input tensor.
        source: Original position (or positions) of the axes to move.
        destination: Their destination positions.

    Returns:
        The tensor with moved axes (a view).

    Example:
    >>> moveaxis(torch.ones((1, 2, 3)), 0, -1).shape
    torch.Size([2, 3, 1])
    """
    x = _t(x)
    if not isinstance(source, int):
        source = _int_tuple(source, "moveaxis", "source")
    if not isinstance(destination, int):
        destination = _int_tuple(destination, "moveaxis", "destination")
    return torch.moveaxis(x, source, destination)


@keras_op
def broadcast_to(x, shape):
    """Broadcasts a tensor to a new shape.

    Args:
        x: The tensor to broadcast.
        shape: The target shape (an int or a tuple of ints).

    Returns:
        The broadcast tensor (a view).

    Example:
    >>> broadcast_to([1, 2, 3], (2, 3))
    tensor([[1, 2, 3],
            [1, 2, 3]], dtype=torch.int32)
    """
    x = _t(x)
    shape = shape if type(shape) is tuple else _int_tuple(shape, "broadcast_to", "shape")
    try:
        return torch.broadcast_to(x, shape)
    except RuntimeError:
        raise ValueError(f"ops.broadcast_to: an input of shape {_shape_text(x.shape)} does not broadcast "
                         f"to shape={shape}; each input axis must be 1 or equal the target's "
                         "(counted from the last axis).") from None


@keras_op
def flip(x, axis=None):
    """Reverses the order of elements along the given axes.

    Args:
        x: Input tensor.
        axis: The axis or tuple of axes to flip. Defaults to `None` (all axes).

    Returns:
        The flipped tensor.

    Example:
    >>> flip([1, 2, 3])
    tensor([3, 2, 1], dtype=torch.int32)
    """
    x = _t(x)
    dims = tuple(range(x.ndim)) if axis is None else _int_tuple(axis, "flip", "axis")
    return torch.flip(x, dims)


@keras_op
def fliplr(x):
    """Reverses the order of elements along axis 1 (left/right).

    Args:
        x: Input tensor of rank 2 or more.

    Returns:
        The flipped tensor.

    Example:
    >>> fliplr([[1, 2], [3, 4]])
    tensor([[2, 1],
            [4, 3]], dtype=torch.int32)
    """
    x = _t(x)
    if x.ndim < 2:
        raise ValueError(f"ops.fliplr: `x` must have rank 2 or more, got shape {_shape_text(x.shape)}.")
    return torch.fliplr(x)


@keras_op
def flipud(x):
    """Reverses the order of elements along axis 0 (up/down).

    Args:
        x: Input tensor of rank 1 or more.

    Returns:
        The flipped tensor.

    Example:
    >>> flipud([[1, 2], [3, 4]])
    tensor([[3, 4],
            [1, 2]], dtype=torch.int32)
    """
    x = _t(x)
    if x.ndim < 1:
        raise ValueError("ops.flipud: `x` must have rank 1 or more, got a scalar.")
    return torch.flipud(x)


@keras_op
def rot90(array, k=1, axes=(0, 1)):
    """Rotates a tensor by 90 degrees `k` times in the plane of `axes`.

    Args:
        array: Input tensor of rank 2 or more.
        k: Number of rotations (negative values rotate clockwise). Defaults to `1`.
        axes: The two axes of the plane of rotation. Defaults to `(0, 1)`.

    Returns:
        The rotated tensor.

    Example:
    >>> rot90([[1, 2], [3, 4]])
    tensor([[2, 4],
            [1, 3]], dtype=torch.int32)
    """
    x = _t(array)
    if x.ndim < 2:
        raise ValueError(f"ops.rot90: `array` must have rank 2 or more, got shape {_shape_text(x.shape)}.")
    axes = _int_tuple(axes, "rot90", "axes")
    if len(axes) != 2:
        raise ValueError(f"ops.rot90: `axes` must be two different axes, got axes={axes}.")
    dims = tuple(canonical_axis("rot90", a, x.ndim, x.shape, "axes") for a in axes)
    if dims[0] == dims[1]:
        raise ValueError(f"ops.rot90: `axes` must be two different axes, got axes={axes}.")
    return torch.rot90(x, int(k), dims)


@keras_op
def roll(x, shift, axis=None):
    """Rolls elements along the given axes; elements shifted past the end come back at the start.

    Args:
        x: Input tensor.
        shift: Number of places to shift (an int, or a tuple with one entry per axis).
        axis: The axis or axes to roll along. Defaults to `None` (the flattened tensor, then
            reshaped back).

    Returns:
        The rolled tensor.

    Example:
    >>> roll([1, 2, 3, 4], 1)
    tensor([4, 1, 2, 3], dtype=torch.int32)
    """
    x = _t(x)
    shifts = shift if isinstance(shift, int) else _int_tuple(shift, "roll", "shift")
    if axis is None:
        return torch.roll(x, shifts)
    dims = axis if isinstance(axis, int) else _int_tuple(axis, "roll", "axis")
    return torch.roll(x, shifts, dims)


@keras_op
def tile(x, repeats):
    """Repeats the whole tensor `repeats` times along each axis.

    Args:
        x: Input tensor.
        repeats: Number of repetitions per axis (an int, or a tuple; shorter than the rank, it
            applies to the last axes; longer, `x` gains leading axes).

    Returns:
        The tiled tensor.

    Example:
    >>> tile([1, 2], 2)
    tensor([1, 2, 1, 2], dtype=torch.int32)
    """
    return torch.tile(_t(x), _int_tuple(repeats, "tile", "repeats"))


@keras_op
def repeat(x, repeats, axis=None):
    """Repeats each element of a tensor after itself.

    Args:
        x: Input tensor.
        repeats: Number of repetitions: an int for every element, or one int per element along
            `axis`.
        axis: The axis along which to repeat. Defaults to `None` (the flattened tensor).

    Returns:
        The tensor with repeated elements.

    Example:
    >>> repeat([1, 2], 2)
    tensor([1, 1, 2, 2], dtype=torch.int32)
    """
    x = _t(x)
    if isinstance(repeats, int):
        return torch.repeat_interleave(x, repeats, dim=axis)
    if isinstance(repeats, torch.Tensor):
        counts = repeats.to(device=x.device, dtype=torch.int64)
        return torch.repeat_interleave(x, counts, dim=axis)
    counts = _int_tuple(repeats, "repeat", "repeats")
    n = x.numel() if axis is None else x.shape[canonical_axis("repeat", axis, x.ndim, x.shape)]
    if len(counts) == 1:
        return torch.repeat_interleave(x, counts[0], dim=axis)
    if len(counts) != n:
        raise ValueError(f"ops.repeat: `repeats` holds {len(counts)} counts but the input of shape "
                         f"{_shape_text(x.shape)} has {n} elements along axis={axis}; give one count "
                         "per element, or one int.")
    index = torch.tensor(counts, dtype=torch.int64, device=x.device)
    # output_size spares torch a device-to-host read of sum(repeats).
    return torch.repeat_interleave(x, index, dim=axis, output_size=builtins.sum(counts))


@keras_op
def diff(a, n=1, axis=-1):
    """Calculates the `n`-th discrete difference along the given axis: `out[i] = a[i+1] - a[i]`.

    Args:
        a: Input tensor.
        n: Number of times values are differenced. Defaults to `1`.
        axis: Axis to compute the differences along. Defaults to `-1`.

    Returns:
        A tensor whose `axis` is `n` shorter (boolean inputs give `a[i+1] != a[i]`).

    Example:
    >>> diff([1, 4, 9])
    tensor([3, 5], dtype=torch.int32)
    """
    a = _t(a)
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise ValueError(f"ops.diff: `n` must be a non-negative int, got n={n!r}.")
    return torch.diff(a, n=n, dim=axis) if n else a


@keras_op
def ndim(x):
    """Returns the number of axes of a tensor, as a Python int.

    Args:
        x: Input tensor.

    Returns:
        The rank of `x`.

    Example:
    >>> ndim([[1, 2, 3]])
    2
    """
    rank = getattr(x, "ndim", None)
    return rank if isinstance(rank, int) else int(np.ndim(x))


@keras_op
def size(x):
    """Returns the number of elements of a tensor.

    Args:
        x: Input tensor.

    Returns:
        A 0-D `int64` tensor (as Keras' torch backend returns).

    Example:
    >>> size([[1, 2, 3]])
    tensor(3)
    """
    shape = getattr(x, "shape", None)
    count = builtins.int(np.prod(tuple(shape) if shape is not None else np.shape(x), dtype=np.int64))
    return torch.tensor(count, dtype=torch.int64, device=config.get_device())


@keras_op
def view(x, dtype=None):
    """Reinterprets the bytes of a tensor as another dtype (no conversion).

    Args:
        x: Input tensor.
        dtype: The dtype to read the data as. Defaults to `None` (floatx). A dtype of a
            different size changes the length of the last axis.

    Returns:
        A view of the same memory.

    Example:
    >>> view(torch.ones(1), "int32")
    tensor([1065353216], dtype=torch.int32)
    """
    x = _t(x)
    target = to_torch_dtype(config.floatx() if dtype is None else dtype)
    return x.view(target)


@keras_op
def copy(x):
    """Returns a copy of a tensor (on the configured device for non-tensor inputs).

    Args:
        x: Input tensor.

    Returns:
        A new tensor with the same values.

    Example:
    >>> copy([1, 2])
    tensor([1, 2], dtype=torch.int32)
    """
    return torch.clone(_t(x))
