"""Keras' elementwise arithmetic of two tensors (`add`, `divide`, `power`, `maximum`, `clip`, ...) on torch.

Inputs broadcast against each other as in numpy. Result dtypes are those of Keras' torch backend:
`add`, `subtract`, `multiply`, `power`, `mod` and `divide` leave promotion to torch (a Python scalar
takes the tensor's dtype where it can: `int32 tensor + 2.5` is float32, `float16 tensor + 2.5` is
float16); `maximum`, `minimum`, `fmax`, `fmin`, `floor_divide` and `divide_no_nan` use Keras'
`result_type`, which keeps results 32-bit (two float64 tensors give float32), as do `arctan2`,
`hypot`, `logaddexp`, `ldexp` and `nextafter`, which give floats.

Example:
>>> from kerastorch import ops
>>> ops.add([1, 2], 0.5)
tensor([1.5000, 2.5000])
>>> ops.maximum([1, 5], 3)
tensor([3, 5], dtype=torch.int32)
"""

import torch

from kerastorch import config
from kerastorch.backend.dtypes import INT_TYPES, result_type
from kerastorch.backend.tensors import convert_to_tensor
from kerastorch.ops._utils import keras_op, tensor
from kerastorch.ops.numpy._scalars import (Tensor, both, cast, dtype_error, name, pair, promoted,
                                          raw_scalar_ok)

__all__ = ["add", "arctan2", "clip", "divide", "divide_no_nan", "floor_divide", "fmax", "fmin",
           "fmod", "heaviside", "hypot", "ldexp", "logaddexp", "logaddexp2", "maximum", "minimum", "mod",
           "multiply", "nextafter", "power", "subtract", "true_divide"]

_PY_NUMBERS = (bool, int, float)
_BOOL = torch.bool
# Dtypes that Keras' result_type keeps as they are when both inputs have them (it maps 64-bit
# results to 32 bits on torch), so two such tensors can go to torch unchanged.
_KEPT = frozenset((torch.bool, torch.uint8, torch.int8, torch.int16, torch.int32, torch.float16,
                   torch.bfloat16, torch.float32, torch.complex64))


def _zero_division(op, error):
    if "ZeroDivisionError" in str(error):
        return ValueError(f"ops.{op}: integer division by zero (an element of the divisor is 0). "
                          "Divide floats instead (ops.cast(x, 'float32')), where x / 0 is inf or nan, "
                          "or mask the zeros first.")
    return None


@keras_op
def add(x1, x2):
    """Adds two tensors element-wise (with broadcasting).

    Args:
        x1: First input tensor.
        x2: Second input tensor.

    Returns:
        `x1 + x2`.

    Example:
    >>> ops.add([1.0, 2.0], [[10.0], [20.0]])
    tensor([[11., 12.],
            [21., 22.]])
    """
    if type(x1) is not Tensor and type(x2) is Tensor and raw_scalar_ok(x2, x1):
        return torch.add(x2, x1)        # a + b == b + a exactly, and the scalar needs no conversion
    x1, x2 = pair(x1, x2)
    return torch.add(x1, x2)


@keras_op
def subtract(x1, x2):
    """Subtracts two tensors element-wise (with broadcasting).

    Args:
        x1: First input tensor.
        x2: Second input tensor.

    Returns:
        `x1 - x2`. A bool input takes the other input's dtype.

    Raises:
        TypeError: When both inputs are bool (use `ops.logical_xor`).

    Example:
    >>> ops.subtract([5, 3], 1)
    tensor([4, 2], dtype=torch.int32)
    """
    if type(x1) is Tensor and type(x2) is Tensor and x1.dtype is not _BOOL and x2.dtype is not _BOOL:
        return torch.subtract(x1, x2)
    x1, x2 = pair(x1, x2)
    if x1.dtype is _BOOL or type(x2) is bool or (type(x2) is Tensor and x2.dtype is _BOOL):
        x1, x2 = both(x1, x2)
        if x1.dtype is torch.bool:
            x1 = x1.to(x2.dtype)
        if x2.dtype is torch.bool:
            x2 = x2.to(x1.dtype)
        if x1.dtype is torch.bool:
            raise dtype_error("subtract", "numbers (at most one bool input)", x1, x2,
                              fix="For masks use ops.logical_xor(x1, x2) or "
                                  "ops.logical_and(x1, ops.logical_not(x2)).")
    return torch.subtract(x1, x2)


@keras_op
def multiply(x1, x2):
    """Multiplies two tensors element-wise (with broadcasting).

    Args:
        x1: First input tensor.
        x2: Second input tensor.

    Returns:
        `x1 * x2`.

    Example:
    >>> ops.multiply([1.0, 2.0], 3.0)
    tensor([3., 6.])
    """
    if type(x1) is not Tensor and type(x2) is Tensor and raw_scalar_ok(x2, x1):
        return torch.multiply(x2, x1)
    x1, x2 = pair(x1, x2)
    return torch.multiply(x1, x2)


def _divide(x1, x2):
    if type(x1) is Tensor and type(x2) is Tensor:
        return torch.divide(x1, x2)
    # Keras' torch backend hands Python numbers to torch as they are here.
    if not isinstance(x1, _PY_NUMBERS):
        x1 = tensor(x1)
    if not isinstance(x2, _PY_NUMBERS):
        x2 = tensor(x2)
    elif not isinstance(x1, Tensor):
        x1 = convert_to_tensor(x1)
    return torch.divide(x1, x2)


@keras_op
def divide(x1, x2):
    """True division, element-wise (with broadcasting).

    Args:
        x1: Dividend tensor.
        x2: Divisor tensor.

    Returns:
        `x1 / x2` as floats (float32 for two int inputs).

    Example:
    >>> ops.divide([1, 3], 2)
    tensor([0.5000, 1.5000])
    """
    return _divide(x1, x2)


@keras_op
def true_divide(x1, x2):
    """True division, element-wise (an alias of `ops.divide`).

    Args:
        x1: Dividend tensor.
        x2: Divisor tensor.

    Returns:
        `x1 / x2` as floats.

    Example:
    >>> ops.true_divide([3.0], [2.0])
    tensor([1.5000])
    """
    return _divide(x1, x2)


def _weak_dtype(x):
    """What Keras' torch backend hands `result_type` for an input: Python numbers stay weak types."""
    return type(x) if isinstance(x, _PY_NUMBERS) else tensor(x).dtype


@keras_op
def divide_no_nan(x1, x2):
    """Division that gives 0 where the divisor is 0, element-wise.

    Args:
        x1: Dividend tensor.
        x2: Divisor tensor.

    Returns:
        `x1 / x2` where `x2 != 0`, else 0, in Keras' promoted float dtype.

    Example:
    >>> ops.divide_no_nan([1.0, 2.0], [0.0, 4.0])
    tensor([0.0000, 0.5000])
    """
    dtype = result_type(_weak_dtype(x1), _weak_dtype(x2), float)
    x1, x2 = tensor(x1, dtype), tensor(x2, dtype)
    zero = x2 == 0
    return torch.where(zero, 0, torch.divide(x1, torch.where(zero, torch.ones_like(x2), x2)))


@keras_op
def floor_divide(x1, x2):
    """Floor division `x1 // x2`, element-wise (rounds towards minus infinity).

    Args:
        x1: Dividend tensor.
        x2: Divisor tensor.

    Returns:
        A tensor in Keras' promoted dtype of the inputs.

    Raises:
        TypeError: For bool inputs.
        ValueError: For an integer division by zero.

    Example:
    >>> ops.floor_divide([7, -7], 2)
    tensor([ 3, -4], dtype=torch.int32)
    """
    dtype = result_type(_weak_dtype(x1), _weak_dtype(x2))
    if not isinstance(x1, _PY_NUMBERS):
        x1 = tensor(x1)
    if not isinstance(x2, _PY_NUMBERS):
        x2 = tensor(x2)
    elif not isinstance(x1, Tensor):
        x1 = convert_to_tensor(x1)
    try:
        out = torch.floor_divide(x1, x2)
    except NotImplementedError:
        raise dtype_error("floor_divide", "numbers", x1, x2,
                          fix="Cast bools first: ops.cast(x, 'int32').") from None
    except RuntimeError as e:
        error = _zero_division("floor_divide", e)
        if error is None:
            raise
        raise error from None
    return cast(out, dtype)


def _modulo(op, fn, x1, x2):
    x1, x2 = pair(x1, x2)
    if type(x2) is bool:
        x2 = convert_to_tensor(x2)
    if x1.dtype is torch.bool and (type(x2) is not Tensor or x2.dtype is torch.bool):
        x1, x2 = both(x1, x2)
        x1, x2 = x1.to(torch.int32), x2.to(torch.int32)
    try:
        return fn(x1, x2)
    except RuntimeError as e:
        error = _zero_division(op, e)
        if error is None:
            raise
        raise error from None


@keras_op
def mod(x1, x2):
    """Remainder of floor division, element-wise; the result has the sign of `x2` (numpy's `mod`).

    Args:
        x1: Dividend tensor.
        x2: Divisor tensor.

    Returns:
        `x1 - floor(x1 / x2) * x2` (int32 for two bool inputs).

    Raises:
        ValueError: For an integer division by zero.

    Example:
    >>> ops.mod([5, -5], 3)
    tensor([2, 1], dtype=torch.int32)
    """
    return _modulo("mod", torch.remainder, x1, x2)


@keras_op
def fmod(x1, x2):
    """Remainder of truncated division, element-wise; the result has the sign of `x1` (C's `fmod`).

    Args:
        x1: Dividend tensor.
        x2: Divisor tensor.

    Returns:
        `x1 - trunc(x1 / x2) * x2` (int32 for two bool inputs).

    Raises:
        ValueError: For an integer division by zero.

    Example:
    >>> ops.fmod([5, -5], 3)
    tensor([ 2, -2], dtype=torch.int32)
    """
    return _modulo("fmod", torch.fmod, x1, x2)


@keras_op
def power(x1, x2):
    """`x1 ** x2`, element-wise (with broadcasting).

    Args:
        x1: Base tensor.
        x2: Exponent tensor.

    Returns:
        A tensor in torch's promoted dtype of the inputs.

    Raises:
        TypeError: For two bool inputs.
        ValueError: For an integer base with a negative integer exponent.

    Example:
    >>> ops.power([2.0, 3.0], 2)
    tensor([4., 9.])
    """
    x1, x2 = pair(x1, x2)
    if type(x2) is bool:
        x2 = convert_to_tensor(x2)
    try:
        return torch.pow(x1, x2)
    except NotImplementedError:
        raise dtype_error("power", "numbers", x1, x2,
                          fix="Cast bools first: ops.cast(x, 'int32').") from None
    except RuntimeError as e:
        if "negative integer powers" not in str(e):
            raise
        raise ValueError("ops.power: integers to negative integer powers are not allowed (an "
                         "integer base with a negative integer exponent). Cast the base to a float "
                         "dtype first: ops.power(ops.cast(x1, 'float32'), x2).") from None


def _extremum(fn, x1, x2):
    if type(x1) is Tensor and type(x2) is Tensor and x1.dtype is x2.dtype and x1.dtype in _KEPT:
        return fn(x1, x2)
    if not isinstance(x1, _PY_NUMBERS):
        x1 = tensor(x1)
    if not isinstance(x2, _PY_NUMBERS):
        x2 = tensor(x2)
    dtype = result_type(x1.dtype if isinstance(x1, Tensor) else type(x1),
                        x2.dtype if isinstance(x2, Tensor) else type(x2))
    return fn(tensor(x1, dtype), tensor(x2, dtype))


@keras_op
def maximum(x1, x2):
    """The element-wise maximum of two tensors (`nan` wins).

    Args:
        x1: First input tensor.
        x2: Second input tensor.

    Returns:
        A tensor in Keras' promoted dtype of the inputs (Python scalars are weak).

    Example:
    >>> ops.maximum([1.0, 4.0], [3.0, 2.0])
    tensor([3., 4.])
    """
    return _extremum(torch.maximum, x1, x2)


@keras_op
def minimum(x1, x2):
    """The element-wise minimum of two tensors (`nan` wins).

    Args:
        x1: First input tensor.
        x2: Second input tensor.

    Returns:
        A tensor in Keras' promoted dtype of the inputs (Python scalars are weak).

    Example:
    >>> ops.minimum([1.0, 4.0], [3.0, 2.0])
    tensor([1., 2.])
    """
    return _extremum(torch.minimum, x1, x2)


@keras_op
def fmax(x1, x2):
    """The element-wise maximum of two tensors, ignoring `nan` (a number wins over `nan`).

    Args:
        x1: First input tensor.
        x2: Second input tensor.

    Returns:
        A tensor in Keras' promoted dtype of the inputs.

    Example:
    >>> ops.fmax([1.0, float("nan")], [3.0, 2.0])
    tensor([3., 2.])
    """
    return _extremum(torch.fmax, x1, x2)


@keras_op
def fmin(x1, x2):
    """The element-wise minimum of two tensors, ignoring `nan` (a number wins over `nan`).

    Args:
        x1: First input tensor.
        x2: Second input tensor.

    Returns:
        A tensor in Keras' promoted dtype of the inputs.

    Example:
    >>> ops.fmin([1.0, float("nan")], [3.0, 2.0])
    tensor([1., 2.])
    """
    return _extremum(torch.fmin, x1, x2)


@keras_op
def clip(x, x_min, x_max):
    """Limits the values of `x` to `[x_min, x_max]`.

    Args:
        x: Input tensor.
        x_min: Lower bound (a scalar or a tensor broadcastable to `x`), or `None` for none.
        x_max: Upper bound (a scalar or a tensor broadcastable to `x`), or `None` for none.

    Returns:
        The clipped tensor, in torch's promoted dtype of `x` and the bounds (int32 for a bool `x`).

    Example:
    >>> ops.clip([-1.0, 0.5, 2.0], 0.0, 1.0)
    tensor([0.0000, 0.5000, 1.0000])
    """
    x = tensor(x)
    if x.dtype is torch.bool:
        x = x.to(torch.int32)
    if not ((x_min is None or raw_scalar_ok(x, x_min)) and (x_max is None or raw_scalar_ok(x, x_max))):
        x_min = None if x_min is None else tensor(x_min)
        x_max = None if x_max is None else tensor(x_max)
    return torch.clip(x, min=x_min, max=x_max)


def _float_pair(x1, x2):
    """Both inputs in Keras' `result_type(x1, x2, float)` (scalars converted first, so not weak)."""
    x1, x2 = both(x1, x2)
    dtype = promoted(x1, x2, extra=(float,))
    return cast(x1, dtype), cast(x2, dtype), dtype


@keras_op
def arctan2(x1, x2):
    """Element-wise arc tangent of `x1 / x2`, choosing the quadrant by the signs of both.

    Args:
        x1: The y-coordinates.
        x2: The x-coordinates.

    Returns:
        Angles in radians in `[-pi, pi]`, in Keras' promoted float dtype.

    Example:
    >>> ops.arctan2([1.0, -1.0], [1.0, -1.0])
    tensor([ 0.7854, -2.3562])
    """
    if type(x1) is Tensor and type(x2) is Tensor and x1.dtype is torch.float32 and x2.dtype is torch.float32:
        return torch.arctan2(x1, x2)
    x1, x2, dtype = _float_pair(x1, x2)
    if dtype == "float16":          # computed in float32, as Keras does (torch's CPU kernel lacks half)
        return torch.arctan2(x1.float(), x2.float()).half()
    return torch.arctan2(x1, x2)


def _int_to_float(x1, x2):
    """Both inputs in Keras' promoted dtype, with integer results replaced by floatx."""
    x1, x2 = both(x1, x2)
    dtype = promoted(x1, x2)
    if dtype in INT_TYPES:
        dtype = config.floatx()
    return cast(x1, dtype), cast(x2, dtype)


@keras_op
def hypot(x1, x2):
    """`sqrt(x1 ** 2 + x2 ** 2)`, element-wise, without intermediate overflow.

    Args:
        x1: First input tensor.
        x2: Second input tensor.

    Returns:
        A float tensor (floatx for integer inputs).

    Raises:
        TypeError: For bool inputs.

    Example:
    >>> ops.hypot([3.0], [4.0])
    tensor([5.])
    """
    x1, x2 = _int_to_float(x1, x2)
    try:
        return torch.hypot(x1, x2)
    except NotImplementedError:
        raise dtype_error("hypot", "numbers", x1, x2,
                          fix="Cast bools first: ops.cast(x, 'float32').") from None


@keras_op
def heaviside(x1, x2):
    """The Heaviside step function: 0 where `x1 < 0`, `x2` where `x1 == 0`, 1 where `x1 > 0`.

    Args:
        x1: Input tensor.
        x2: The value where `x1 == 0`.

    Returns:
        A tensor in Keras' promoted dtype (floatx for integer inputs, bool for bool ones).

    Example:
    >>> ops.heaviside([-1.0, 0.0, 2.0], 0.5)
    tensor([0.0000, 0.5000, 1.0000])
    """
    x1, x2 = _int_to_float(x1, x2)
    return torch.heaviside(x1, x2)


@keras_op
def logaddexp(x1, x2):
    """`log(exp(x1) + exp(x2))`, element-wise, computed without overflow.

    Args:
        x1: First input tensor.
        x2: Second input tensor.

    Returns:
        A tensor in Keras' promoted float dtype.

    Example:
    >>> ops.logaddexp([0.0], [0.0])
    tensor([0.6931])
    """
    if type(x1) is Tensor and type(x2) is Tensor and x1.dtype is torch.float32 and x2.dtype is torch.float32:
        return torch.logaddexp(x1, x2)
    x1, x2, dtype = _float_pair(x1, x2)
    if dtype == "float16":          # computed in float32, as Keras does
        return torch.logaddexp(x1.float(), x2.float()).half()
    return torch.logaddexp(x1, x2)


@keras_op
def logaddexp2(x1, x2):
    """`log2(2 ** x1 + 2 ** x2)`, element-wise, computed without overflow.

    Args:
        x1: First input tensor.
        x2: Second input tensor.

    Returns:
        A tensor in Keras' promoted float dtype.

    Example:
    >>> ops.logaddexp2([1.0], [1.0])
    tensor([2.])
    """
    x1, x2, _ = _float_pair(x1, x2)
    return torch.logaddexp2(x1, x2)


@keras_op
def ldexp(x1, x2):
    """`x1 * 2 ** x2`, element-wise.

    Args:
        x1: Mantissas.
        x2: Integer exponents.

    Returns:
        A tensor in Keras' promoted float dtype of the inputs.

    Raises:
        TypeError: When `x2` is not of an integer dtype.

    Example:
    >>> ops.ldexp([1.0, 3.0], [2, 1])
    tensor([4., 6.])
    """
    x1, x2 = both(x1, x2)
    if name(x2) not in INT_TYPES:
        raise dtype_error("ldexp", "an integer exponent x2", x2,
                          fix="Cast it first: ops.ldexp(x1, ops.cast(x2, 'int32')).")
    dtype = promoted(x1, x2, extra=(float,))
    if x1.shape != x2.shape:
        # torch.ldexp writes into an output of x1's shape and warns when it has to resize it.
        x1 = x1.expand(torch.broadcast_shapes(x1.shape, x2.shape))
    return cast(torch.ldexp(x1, x2), dtype)


@keras_op
def nextafter(x1, x2):
    """The next representable float after `x1` in the direction of `x2`, element-wise.

    The step is one unit in the last place of the result dtype, as numpy computes it. (Keras' torch
    backend steps in float64 and then rounds back, which gives `x1` itself for float32 inputs.)

    Args:
        x1: Start values.
        x2: Directions.

    Returns:
        A tensor in Keras' promoted float dtype of the inputs.

    Example:
    >>> ops.nextafter([1.0], [2.0]) - 1.0
    tensor([1.1921e-07])
    """
    x1, x2, _ = _float_pair(x1, x2)
    return torch.nextafter(x1, x2)

