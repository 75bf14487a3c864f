"""Keras' diagonal and triangle ops (`diag`, `diagflat`, `diagonal`, `tril`, `triu`) on torch.

Example:
>>> from kerastorch import ops
>>> ops.diag([1, 2])
tensor([[1, 0],
        [0, 2]], dtype=torch.int32)
"""

import torch

from kerastorch.ops._utils import keras_op
from kerastorch.ops.numpy.manipulation import _shape_text, _t, canonical_axis

__all__ = ["diag", "diagflat", "diagonal", "tril", "triu"]


@keras_op
def diag(x, k=0):
    """Extracts a diagonal of a 2-D tensor, or builds a 2-D tensor with a 1-D tensor on a diagonal.

    Args:
        x: A 1-D tensor (put on the diagonal) or a 2-D tensor (whose diagonal is read).
        k: The diagonal: 0 the main one, positive above it, negative below it. Defaults to `0`.

    Returns:
        The 1-D diagonal, or the 2-D tensor.

    Example:
    >>> diag([1, 2])
    tensor([[1, 0],
            [0, 2]], dtype=torch.int32)
    """
    x = _t(x)
    if x.ndim not in (1, 2):
        raise ValueError(f"ops.diag: `x` must be 1-D or 2-D, got shape {_shape_text(x.shape)}. "
                         "For higher ranks use ops.diagonal.")
    return torch.diag(x, int(k))


@keras_op
def diagflat(x, k=0):
    """Builds a 2-D tensor with the flattened input on the `k`-th diagonal.

    Args:
        x: Input tensor (flattened first).
        k: The diagonal: 0 the main one, positive above it, negative below it. Defaults to `0`.

    Returns:
        A 2-D tensor.

    Example:
    >>> diagflat([[1, 2]])
    tensor([[1, 0],
            [0, 2]], dtype=torch.int32)
    """
    return torch.diagflat(_t(x), int(k))


@keras_op
def diagonal(x, offset=0, axis1=0, axis2=1):
    """Returns the diagonals of the 2-D slices of a tensor in the plane of `axis1` and `axis2`.

    Args:
        x: Input tensor of rank 2 or more.
        offset: The diagonal: 0 the main one, positive above it, negative below it.
            Defaults to `0`.
        axis1: The first axis of the 2-D slices. Defaults to `0`.
        axis2: The second axis of the 2-D slices. Defaults to `1`.

    Returns:
        The diagonals, along a new last axis (a view).

    Example:
    >>> diagonal([[1, 2], [3, 4]])
    tensor([1, 4], dtype=torch.int32)
    """
    x = _t(x)
    a1 = canonical_axis("diagonal", axis1, x.ndim, x.shape, "axis1")
    a2 = canonical_axis("diagonal", axis2, x.ndim, x.shape, "axis2")
    if a1 == a2:
        raise ValueError(f"ops.diagonal: `axis1` and `axis2` must differ, got axis1={axis1}, axis2={axis2} "
                         f"for an input of shape {_shape_text(x.shape)}.")
    return torch.diagonal(x, int(offset), a1, a2)


@keras_op
def tril(x, k=0):
    """Returns the lower triangle of the last two axes (the rest set to zero).

    Args:
        x: Input tensor of rank 2 or more.
        k: The diagonal above which to zero: 0 the main one, positive above it, negative below
            it. Defaults to `0`.

    Returns:
        A tensor of the input's shape.

    Example:
    >>> tril([[1, 2], [3, 4]])
    tensor([[1, 0],
            [3, 4]], dtype=torch.int32)
    """
    return torch.tril(_t(x), int(k))


@keras_op
def triu(x, k=0):
    """Returns the upper triangle of the last two axes (the rest set to zero).

    Args:
        x: Input tensor of rank 2 or more.
        k: The diagonal below which to zero: 0 the main one, positive above it, negative below
            it. Defaults to `0`.

    Returns:
        A tensor of the input's shape.

    Example:
    >>> triu([[1, 2], [3, 4]])
    tensor([[1, 2],
            [0, 4]], dtype=torch.int32)
    """
    return torch.triu(_t(x), int(k))
