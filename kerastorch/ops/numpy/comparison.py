"""Keras' comparisons, closeness tests, value tests (`isnan`, ...) and logical ops, on torch.

Every op here gives a bool tensor. Inputs broadcast against each other; a Python scalar is compared in
the tensor's dtype where it fits (`ops.less(int_tensor, 2.5)` compares as floats).

Example:
>>> from kerastorch import ops
>>> ops.greater([1, 3], 2)
tensor([False,  True])
"""

import torch

from kerastorch.ops._utils import keras_op, tensor
from kerastorch.ops.numpy._scalars import both, cast, promoted, pair

__all__ = ["allclose", "equal", "greater", "greater_equal", "isclose", "isfinite", "isinf", "isnan",
           "isneginf", "isposinf", "isreal", "less", "less_equal", "logical_and", "logical_not",
           "logical_or", "logical_xor", "not_equal"]


@keras_op
def equal(x1, x2):
    """Whether `x1 == x2`, element-wise (with broadcasting).

    Args:
        x1: First input tensor.
        x2: Second input tensor.

    Returns:
        A bool tensor of the broadcast shape.

    Example:
    >>> ops.equal([1, 2], 2)
    tensor([False,  True])
    """
    x1, x2 = pair(x1, x2)
    return torch.eq(x1, x2)


@keras_op
def not_equal(x1, x2):
    """Whether `x1 != x2`, element-wise (with broadcasting).

    Args:
        x1: First input tensor.
        x2: Second input tensor.

    Returns:
        A bool tensor of the broadcast shape.

    Example:
    >>> ops.not_equal([1, 2], 2)
    tensor([ True, False])
    """
    x1, x2 = pair(x1, x2)
    return torch.ne(x1, x2)


@keras_op
def greater(x1, x2):
    """Whether `x1 > x2`, element-wise (with broadcasting).

    Args:
        x1: First input tensor.
        x2: Second input tensor.

    Returns:
        A bool tensor of the broadcast shape.

    Example:
    >>> ops.greater([1, 3], 2)
    tensor([False,  True])
    """
    x1, x2 = pair(x1, x2)
    return torch.gt(x1, x2)


@keras_op
def greater_equal(x1, x2):
    """Whether `x1 >= x2`, element-wise (with broadcasting).

    Args:
        x1: First input tensor.
        x2: Second input tensor.

    Returns:
        A bool tensor of the broadcast shape.

    Example:
    >>> ops.greater_equal([1, 2], 2)
    tensor([False,  True])
    """
    x1, x2 = pair(x1, x2)
    return torch.ge(x1, x2)


@keras_op
def less(x1, x2):
    """Whether `x1 < x2`, element-wise (with broadcasting).

    Args:
        x1: First input tensor.
        x2: Second input tensor.

    Returns:
        A bool tensor of the broadcast shape.

    Example:
    >>> ops.less([1, 3], 2)
    tensor([ True, False])
    """
    x1, x2 = pair(x1, x2)
    return torch.lt(x1, x2)


@keras_op
def less_equal(x1, x2):
    """Whether `x1 <= x2`, element-wise (with broadcasting).

    Args:
        x1: First input tensor.
        x2: Second input tensor.

    Returns:
        A bool tensor of the broadcast shape.

    Example:
    >>> ops.less_equal([1, 3], 1)
    tensor([ True, False])
    """
    x1, x2 = pair(x1, x2)
    return torch.le(x1, x2)


@keras_op
def logical_and(x1, x2):
    """Logical AND of the truth values of `x1` and `x2`, element-wise.

    Args:
        x1: First input tensor.
        x2: Second input tensor.

    Returns:
        A bool tensor of the broadcast shape.

    Example:
    >>> ops.logical_and([True, True], [True, False])
    tensor([ True, False])
    """
    x1, x2 = both(x1, x2)      # torch's logical ops take tensors only
    return torch.logical_and(x1, x2)


@keras_op
def logical_or(x1, x2):
    """Logical OR of the truth values of `x1` and `x2`, element-wise.

    Args:
        x1: First input tensor.
        x2: Second input tensor.

    Returns:
        A bool tensor of the broadcast shape.

    Example:
    >>> ops.logical_or([True, False], [False, False])
    tensor([ True, False])
    """
    x1, x2 = both(x1, x2)      # torch's logical ops take tensors only
    return torch.logical_or(x1, x2)


@keras_op
def logical_xor(x1, x2):
    """Logical XOR of the truth values of `x1` and `x2`, element-wise.

    Args:
        x1: First input tensor.
        x2: Second input tensor.

    Returns:
        A bool tensor of the broadcast shape.

    Example:
    >>> ops.logical_xor([True, True], [True, False])
    tensor([False,  True])
    """
    x1, x2 = both(x1, x2)      # torch's logical ops take tensors only
    return torch.logical_xor(x1, x2)


@keras_op
def isfinite(x):
    """Whether each element is finite (not `inf`, `-inf` or `nan`).

    Args:
        x: Input tensor.

    Returns:
        A bool tensor of the same shape.

    Example:
    >>> ops.isfinite([1.0, float("inf"), float("nan")])
    tensor([ True, False, False])
    """
    return torch.isfinite(tensor(x))


@keras_op
def isinf(x):
    """Whether each element is `inf` or `-inf`.

    Args:
        x: Input tensor.

    Returns:
        A bool tensor of the same shape.

    Example:
    >>> ops.isinf([1.0, float("-inf")])
    tensor([False,  True])
    """
    return torch.isinf(tensor(x))


@keras_op
def isnan(x):
    """Whether each element is `nan`.

    Args:
        x: Input tensor.

    Returns:
        A bool tensor of the same shape.

    Example:
    >>> ops.isnan([1.0, float("nan")])
    tensor([False,  True])
    """
    return torch.isnan(tensor(x))


@keras_op
def isneginf(x):
    """Whether each element is `-inf`.

    Args:
        x: Input tensor.

    Returns:
        A bool tensor of the same shape.

    Example:
    >>> ops.isneginf([float("inf"), float("-inf")])
    tensor([False,  True])
    """
    return torch.isneginf(tensor(x))


@keras_op
def isposinf(x):
    """Whether each element is `+inf`.

    Args:
        x: Input tensor.

    Returns:
        A bool tensor of the same shape.

    Example:
    >>> ops.isposinf([float("inf"), float("-inf")])
    tensor([ True, False])
    """
    return torch.isposinf(tensor(x))


@keras_op
def isreal(x):
    """Whether each element is real (a zero imaginary part; always true for real dtypes).

    Args:
        x: Input tensor.

    Returns:
        A bool tensor of the same shape.

    Example:
    >>> ops.isreal([1.0, 2.0])
    tensor([True, True])
    """
    return torch.isreal(tensor(x))


@keras_op
def logical_not(x):
    """Logical NOT of the truth value of each element (`x == 0`).

    Args:
        x: Input tensor.

    Returns:
        A bool tensor of the same shape.

    Example:
    >>> ops.logical_not([True, False])
    tensor([False,  True])
    """
    return torch.logical_not(tensor(x))


def _close(x1, x2, rtol, atol, equal_nan):
    x1, x2 = both(x1, x2)
    dtype = promoted(x1, x2)
    x1, x2 = cast(x1, dtype), cast(x2, dtype)
    if "float" in dtype:
        return torch.isclose(x1, x2, rtol=rtol, atol=atol, equal_nan=equal_nan)
    # Keras compares ints and bools exactly (rtol and atol play no part there).
    return torch.eq(x1, x2)


@keras_op
def isclose(x1, x2, rtol=1e-5, atol=1e-8, equal_nan=False):
    """Whether `|x1 - x2| <= atol + rtol * |x2|`, element-wise.

    Args:
        x1: First input tensor.
        x2: Second input tensor.
        rtol: Relative tolerance. Defaults to `1e-5`.
        atol: Absolute tolerance. Defaults to `1e-8`.
        equal_nan: Whether two `nan`s count as close. Defaults to `False`.

    Returns:
        A bool tensor of the broadcast shape. Inputs whose promoted dtype is not a float are
        compared exactly.

    Example:
    >>> ops.isclose([1.0, 2.0], [1.000001, 2.1])
    tensor([ True, False])
    """
    return _close(x1, x2, rtol, atol, equal_nan)


@keras_op
def allclose(x1, x2, rtol=1e-5, atol=1e-8, equal_nan=False):
    """Whether all elements of `x1` and `x2` are close (see `ops.isclose`).

    Args:
        x1: First input tensor.
        x2: Second input tensor.
        rtol: Relative tolerance. Defaults to `1e-5`.
        atol: Absolute tolerance. Defaults to `1e-8`.
        equal_nan: Whether two `nan`s count as close. Defaults to `False`.

    Returns:
        A 0-d bool tensor (on the device: no host sync).

    Example:
    >>> ops.allclose([1.0, 2.0], [1.000001, 2.0])
    tensor(True)
    """
    return torch.all(_close(x1, x2, rtol, atol, equal_nan))
