"""Keras' integer ops on torch: bitwise logic and shifts, `gcd` and `lcm`.

They take integer tensors (the bitwise logic ops also take bools) and keep torch's promoted integer
dtype; float inputs raise a `TypeError` that says to cast them.

Example:
>>> from kerastorch import ops
>>> ops.bitwise_and([12, 10], 6)
tensor([4, 2], dtype=torch.int32)
"""

import torch

from kerastorch.ops._utils import keras_op, tensor
from kerastorch.ops.numpy._scalars import both, dtype_error, pair

__all__ = ["bitwise_and", "bitwise_invert", "bitwise_left_shift", "bitwise_not", "bitwise_or",
           "bitwise_right_shift", "bitwise_xor", "gcd", "lcm", "left_shift", "right_shift"]


def _integer_op(op, fn, expected, x1, x2, convert=pair):
    x1, x2 = convert(x1, x2)
    try:
        return fn(x1, x2)
    except NotImplementedError:
        raise dtype_error(op, expected, x1, x2, fix="Cast them first: ops.cast(x, 'int32').") from None


def _shift_operands(x, y):
    # Keras' torch backend hands a Python int shift to torch as it is (so it never widens x).
    return tensor(x), (y if isinstance(y, int) else tensor(y))


@keras_op
def gcd(x1, x2):
    """Greatest common divisor of `|x1|` and `|x2|`, element-wise.

    Args:
        x1: First integer tensor.
        x2: Second integer tensor.

    Returns:
        An integer tensor in torch's promoted dtype.

    Raises:
        TypeError: For float or bool inputs.

    Example:
    >>> ops.gcd([12, 20], [18, 15])
    tensor([6, 5], dtype=torch.int32)
    """
    return _integer_op("gcd", torch.gcd, "integer inputs", x1, x2, both)


@keras_op
def lcm(x1, x2):
    """Lowest common multiple of `|x1|` and `|x2|`, element-wise.

    Args:
        x1: First integer tensor.
        x2: Second integer tensor.

    Returns:
        An integer tensor in torch's promoted dtype.

    Raises:
        TypeError: For float or bool inputs.

    Example:
    >>> ops.lcm([4, 6], [6, 4])
    tensor([12, 12], dtype=torch.int32)
    """
    return _integer_op("lcm", torch.lcm, "integer inputs", x1, x2, both)


@keras_op
def bitwise_and(x, y):
    """Bitwise AND of `x` and `y`, element-wise.

    Args:
        x: First integer or bool tensor.
        y: Second integer or bool tensor.

    Returns:
        A tensor in torch's promoted dtype of the inputs.

    Raises:
        TypeError: For float inputs.

    Example:
    >>> ops.bitwise_and([12], [10])
    tensor([8], dtype=torch.int32)
    """
    return _integer_op("bitwise_and", torch.bitwise_and, "integer or bool inputs", x, y)


@keras_op
def bitwise_or(x, y):
    """Bitwise OR of `x` and `y`, element-wise.

    Args:
        x: First integer or bool tensor.
        y: Second integer or bool tensor.

    Returns:
        A tensor in torch's promoted dtype of the inputs.

    Raises:
        TypeError: For float inputs.

    Example:
    >>> ops.bitwise_or([12], [10])
    tensor([14], dtype=torch.int32)
    """
    return _integer_op("bitwise_or", torch.bitwise_or, "integer or bool inputs", x, y)


@keras_op
def bitwise_xor(x, y):
    """Bitwise XOR of `x` and `y`, element-wise.

    Args:
        x: First integer or bool tensor.
        y: Second integer or bool tensor.

    Returns:
        A tensor in torch's promoted dtype of the inputs.

    Raises:
        TypeError: For float inputs.

    Example:
    >>> ops.bitwise_xor([12], [10])
    tensor([6], dtype=torch.int32)
    """
    return _integer_op("bitwise_xor", torch.bitwise_xor, "integer or bool inputs", x, y)


@keras_op
def bitwise_invert(x):
    """Bitwise NOT (inversion) of each element; logical NOT for bools.

    Args:
        x: Integer or bool tensor.

    Returns:
        `~x`, same shape and dtype.

    Raises:
        TypeError: For a float input.

    Example:
    >>> ops.bitwise_invert([0, 5])
    tensor([-1, -6], dtype=torch.int32)
    """
    x = tensor(x)
    try:
        return torch.bitwise_not(x)
    except NotImplementedError:
        raise dtype_error("bitwise_invert", "an integer or bool input", x,
                          fix="Cast it first: ops.cast(x, 'int32').") from None


@keras_op
def bitwise_not(x):
    """Bitwise NOT of each element (an alias of `ops.bitwise_invert`).

    Args:
        x: Integer or bool tensor.

    Returns:
        `~x`, same shape and dtype.

    Raises:
        TypeError: For a float input.

    Example:
    >>> ops.bitwise_not([0, 5])
    tensor([-1, -6], dtype=torch.int32)
    """
    x = tensor(x)
    try:
        return torch.bitwise_not(x)
    except NotImplementedError:
        raise dtype_error("bitwise_not", "an integer or bool input", x,
                          fix="Cast it first: ops.cast(x, 'int32').") from None


@keras_op
def bitwise_left_shift(x, y):
    """Shifts the bits of `x` to the left by `y`, element-wise.

    Args:
        x: Integer tensor.
        y: Integer shift amounts (a tensor or a Python int).

    Returns:
        A tensor in torch's promoted integer dtype of the inputs.

    Raises:
        TypeError: For float or bool inputs.

    Example:
    >>> ops.bitwise_left_shift([1, 3], 2)
    tensor([ 4, 12], dtype=torch.int32)
    """
    return _integer_op("bitwise_left_shift", torch.bitwise_left_shift, "integer inputs", x, y,
                       _shift_operands)


@keras_op
def left_shift(x, y):
    """Shifts the bits of `x` to the left by `y`, element-wise (an alias of `ops.bitwise_left_shift`).

    Args:
        x: Integer tensor.
        y: Integer shift amounts (a tensor or a Python int).

    Returns:
        A tensor in torch's promoted integer dtype of the inputs.

    Raises:
        TypeError: For float or bool inputs.

    Example:
    >>> ops.left_shift([1, 3], 2)
    tensor([ 4, 12], dtype=torch.int32)
    """
    return _integer_op("left_shift", torch.bitwise_left_shift, "integer inputs", x, y,
                       _shift_operands)


@keras_op
def bitwise_right_shift(x, y):
    """Shifts the bits of `x` to the right by `y`, element-wise.

    Args:
        x: Integer tensor.
        y: Integer shift amounts (a tensor or a Python int).

    Returns:
        A tensor in torch's promoted integer dtype of the inputs.

    Raises:
        TypeError: For float or bool inputs.

    Example:
    >>> ops.bitwise_right_shift([8, 13], 2)
    tensor([2, 3], dtype=torch.int32)
    """
    return _integer_op("bitwise_right_shift", torch.bitwise_right_shift, "integer inputs", x, y,
                       _shift_operands)


@keras_op
def right_shift(x, y):
    """Shifts the bits of `x` to the right by `y`, element-wise (an alias of `ops.bitwise_right_shift`).

    Args:
        x: Integer tensor.
        y: Integer shift amounts (a tensor or a Python int).

    Returns:
        A tensor in torch's promoted integer dtype of the inputs.

    Raises:
        TypeError: For float or bool inputs.

    Example:
    >>> ops.right_shift([8, 13], 2)
    tensor([2, 3], dtype=torch.int32)
    """
    return _integer_op("right_shift", torch.bitwise_right_shift, "integer inputs", x, y,
                       _shift_operands)
