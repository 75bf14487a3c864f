"""Keras' joining and splitting ops (`concatenate`, `stack`, `hstack`, `split`, `array_split`, ...).

Joining follows torch's promotion for inputs of different dtypes, as Keras' torch backend does
(an `int32` tensor joined with a `float32` one gives `float32`). Splits return lists of views.

Beyond Keras' torch backend: `concatenate(xs, axis=None)` flattens the inputs first (NumPy's
meaning; Keras' torch backend raises), `split` takes split points past the end of the axis (empty
pieces, as in NumPy), and `array_split` takes a list of split points as well as a count.

Example:
>>> from kerastorch import ops
>>> ops.concatenate([[1, 2], [3]])
tensor([1, 2, 3], dtype=torch.int32)
"""

import torch

from kerastorch.ops._utils import keras_op, tensor
from kerastorch.ops.numpy.manipulation import _shape_text, _t, canonical_axis

__all__ = ["append", "array_split", "concatenate", "dsplit", "dstack", "hsplit", "hstack", "split",
           "stack", "vsplit", "vstack"]


def _tensors(op, xs):
    if type(xs) is list or type(xs) is tuple:
        for x in xs:
            if type(x) is not torch.Tensor:
                break
        else:
            if xs:
                return xs               # the common case: a sequence of tensors, passed as it is
    if isinstance(xs, torch.Tensor):
        return list(xs.unbind(0))
    if not isinstance(xs, (list, tuple)):
        raise TypeError(f"ops.{op}: expected a list or tuple of tensors, got {type(xs).__name__}.")
    if not xs:
        raise ValueError(f"ops.{op}: expected at least one tensor, got an empty {type(xs).__name__}.")
    return [x if type(x) is torch.Tensor else tensor(x) for x in xs]


@keras_op
def append(x1, x2, axis=None):
    """Appends `x2` to the end of `x1`.

    Args:
        x1: First tensor.
        x2: Second tensor.
        axis: The axis along which `x2` is appended. Defaults to `None` (both tensors are
            flattened first).

    Returns:
        A tensor with the values of `x1` followed by those of `x2`.

    Example:
    >>> append([1, 2], [[3, 4]])
    tensor([1, 2, 3, 4], dtype=torch.int32)
    """
    x1, x2 = _t(x1), _t(x2)
    if axis is None:
        return torch.cat((x1.reshape(-1), x2.reshape(-1)))
    return torch.cat((x1, x2), dim=axis)


@keras_op
def concatenate(xs, axis=0):
    """Joins a sequence of tensors along an existing axis.

    Args:
        xs: The sequence of tensors; their shapes must match except along `axis`.
        axis: The axis along which to join. Defaults to `0`; `None` flattens the tensors first.

    Returns:
        The joined tensor.

    Example:
    >>> concatenate([[[1, 2]], [[3, 4]]], axis=1)
    tensor([[1, 2, 3, 4]], dtype=torch.int32)
    """
    xs = _tensors("concatenate", xs)
    if axis is None:
        return torch.cat([x.reshape(-1) for x in xs])
    return torch.cat(xs, dim=axis)


@keras_op
def stack(x, axis=0):
    """Joins a sequence of tensors of the same shape along a new axis.

    Args:
        x: The sequence of tensors.
        axis: The position of the new axis in the result. Defaults to `0`.

    Returns:
        The stacked tensor.

    Example:
    >>> stack([[1, 2], [3, 4]], axis=1)
    tensor([[1, 3],
            [2, 4]], dtype=torch.int32)
    """
    return torch.stack(_tensors("stack", x), dim=axis)


@keras_op
def hstack(xs):
    """Stacks tensors horizontally: along axis 1, or axis 0 for 1-D tensors.

    Args:
        xs: The sequence of tensors.

    Returns:
        The stacked tensor.

    Example:
    >>> hstack([[1, 2], [3]])
    tensor([1, 2, 3], dtype=torch.int32)
    """
    return torch.hstack(_tensors("hstack", xs))


@keras_op
def vstack(xs):
    """Stacks tensors vertically: along axis 0, after turning 1-D tensors into rows.

    Args:
        xs: The sequence of tensors.

    Returns:
        The stacked tensor, of rank 2 or more.

    Example:
    >>> vstack([[1, 2], [3, 4]])
    tensor([[1, 2],
            [3, 4]], dtype=torch.int32)
    """
    return torch.vstack(_tensors("vstack", xs))


@keras_op
def dstack(xs):
    """Stacks tensors depth-wise: along axis 2, after making each tensor at least 3-D.

    Args:
        xs: The sequence of tensors.

    Returns:
        The stacked tensor, of rank 3 or more.

    Example:
    >>> dstack([[1, 2], [3, 4]]).shape
    torch.Size([1, 2, 2])
    """
    return torch.dstack(_tensors("dstack", xs))


def _sections(op, indices_or_sections):
    """An int count, or a list of int split points."""
    if isinstance(indices_or_sections, bool):
        raise TypeError(f"ops.{op}: `indices_or_sections` must be an int or a list of ints, got "
                        f"{indices_or_sections!r}.")
    if isinstance(indices_or_sections, int):
        if indices_or_sections <= 0:
            raise ValueError(f"ops.{op}: the number of sections must be positive, got "
                             f"indices_or_sections={indices_or_sections}.")
        return indices_or_sections
    if isinstance(indices_or_sections, torch.Tensor):
        return [int(i) for i in indices_or_sections.reshape(-1).tolist()]
    try:
        return [int(i) for i in indices_or_sections]
    except (TypeError, ValueError):
        raise TypeError(f"ops.{op}: `indices_or_sections` must be an int or a list of ints, got "
                        f"{indices_or_sections!r}.") from None


def _equal_split(op, x, sections, axis, name):
    n = x.shape[axis]
    if n % sections:
        raise ValueError(f"ops.{op}: an input of shape {_shape_text(x.shape)} cannot be split into "
                         f"{sections} equal sections along {name}: {n} is not divisible by {sections}. "
                         "Use ops.array_split for unequal sections, or give the split points.")
    return list(torch.tensor_split(x, sections, dim=axis))


@keras_op
def split(x, indices_or_sections, axis=0):
    """Splits a tensor into sub-tensors.

    Args:
        x: Input tensor.
        indices_or_sections: An int `N`: `N` equal sections (the axis must divide by `N`); or a
            list of split points along `axis` (points past the end give empty pieces).
        axis: The axis along which to split. Defaults to `0`.

    Returns:
        A list of tensors (views of `x`).

    Example:
    >>> [t.tolist() for t in split([1, 2, 3, 4], [1, 3])]
    [[1], [2, 3], [4]]
    """
    x = _t(x)
    sections = _sections("split", indices_or_sections)
    axis = canonical_axis("split", axis, x.ndim, x.shape)
    if isinstance(sections, int):
        return _equal_split("split", x, sections, axis, f"axis {axis}")
    return list(torch.tensor_split(x, sections, dim=axis))


@keras_op
def array_split(x, indices_or_sections, axis=0):
    """Splits a tensor into sub-tensors that may differ in size.

    Args:
        x: Input tensor.
        indices_or_sections: An int `N`: `N` sections, the first `len % N` one element longer;
            or a list of split points along `axis`.
        axis: The axis along which to split. Defaults to `0`.

    Returns:
        A list of tensors (views of `x`).

    Example:
    >>> [t.tolist() for t in array_split([1, 2, 3], 2)]
    [[1, 2], [3]]
    """
    x = _t(x)
    sections = _sections("array_split", indices_or_sections)
    if isinstance(axis, bool) or not isinstance(axis, int):
        raise TypeError(f"ops.array_split: `axis` must be an int, got axis={axis!r}.")
    axis = canonical_axis("array_split", axis, x.ndim, x.shape)
    return list(torch.tensor_split(x, sections, dim=axis))


def _named_split(op, x, indices_or_sections, axis, min_ndim):
    x = _t(x)
    if x.ndim < min_ndim:
        raise ValueError(f"ops.{op}: `x` must have rank {min_ndim} or more, got shape {_shape_text(x.shape)}.")
    sections = _sections(op, indices_or_sections)
    if isinstance(sections, int):
        return _equal_split(op, x, sections, axis, f"axis {axis}")
    return list(torch.tensor_split(x, sections, dim=axis))


@keras_op
def hsplit(x, indices_or_sections):
    """Splits a tensor horizontally: along axis 1, or axis 0 for 1-D tensors.

    Args:
        x: Input tensor.
        indices_or_sections: An int (equal sections) or a list of split points.

    Returns:
        A list of tensors.

    Example:
    >>> [t.shape[1] for t in hsplit(torch.ones((2, 4)), 2)]
    [2, 2]
    """
    x = _t(x)
    return _named_split("hsplit", x, indices_or_sections, 0 if x.ndim == 1 else 1, 1)


@keras_op
def vsplit(x, indices_or_sections):
    """Splits a tensor vertically, along axis 0.

    Args:
        x: Input tensor of rank 2 or more.
        indices_or_sections: An int (equal sections) or a list of split points.

    Returns:
        A list of tensors.

    Example:
    >>> [t.shape[0] for t in vsplit(torch.ones((4, 2)), [1])]
    [1, 3]
    """
    return _named_split("vsplit", x, indices_or_sections, 0, 2)


@keras_op
def dsplit(x, indices_or_sections):
    """Splits a tensor depth-wise, along axis 2.

    Args:
        x: Input tensor of rank 3 or more.
        indices_or_sections: An int (equal sections) or a list of split points.

    Returns:
        A list of tensors.

    Example:
    >>> [t.shape[2] for t in dsplit(torch.ones((1, 1, 4)), 2)]
    [2, 2]
    """
    return _named_split("dsplit", x, indices_or_sections, 2, 3)
