"""Keras' elementwise math of one tensor (`abs`, `exp`, `log`, `sqrt`, rounding, complex parts) on torch.

Each op takes a torch tensor, a numpy array, a Python scalar or a nested list, and gives Keras' result
dtype on its torch backend: most ops keep a float input's dtype and give float32 for ints and bools
(`exp`, `expm1`, `exp2` give floatx); `floor` and `ceil` give a float (float32 for float64 and int64
inputs, as Keras' promotion keeps results 32-bit); `round` keeps an int input's dtype.

Example:
>>> from kerastorch import ops
>>> ops.sqrt([1.0, 4.0])
tensor([1., 2.])
>>> ops.floor(ops.convert_to_tensor([1, 2])).dtype
torch.float32
"""

import torch

from kerastorch import config
from kerastorch.backend.dtypes import result_type
from kerastorch.ops._utils import keras_op, tensor
from kerastorch.ops.numpy._scalars import cast, dtype_error, floatx_torch

__all__ = ["abs", "absolute", "angle", "cbrt", "ceil", "conj", "conjugate", "exp", "exp2", "expm1",
           "fabs", "floor", "imag", "log", "log10", "log1p", "log2", "nan_to_num", "negative", "real",
           "reciprocal", "round", "sign", "signbit", "sqrt", "square", "trunc"]


_FLOATING = frozenset((torch.float16, torch.bfloat16, torch.float32, torch.float64, torch.complex64,
                       torch.complex128))


def _to_float(x):
    """Int and bool tensors in floatx (as Keras' torch backend does before `exp`-like ops)."""
    if x.dtype in _FLOATING:
        return x
    return x.to(floatx_torch())


@keras_op
def absolute(x):
    """Absolute value, element-wise.

    Args:
        x: Input tensor.

    Returns:
        A tensor of the same shape and dtype (a bool input is returned as it is).

    Example:
    >>> ops.absolute([-1.5, 2.0])
    tensor([1.5000, 2.0000])
    """
    x = tensor(x)
    if x.dtype is torch.bool:
        return x
    return torch.abs(x)


@keras_op
def abs(x):
    """Absolute value, element-wise (an alias of `ops.absolute`).

    Args:
        x: Input tensor.

    Returns:
        A tensor of the same shape and dtype.

    Example:
    >>> ops.abs([-3, 2])
    tensor([3, 2], dtype=torch.int32)
    """
    x = tensor(x)
    if x.dtype is torch.bool:
        return x
    return torch.abs(x)


@keras_op
def fabs(x):
    """Absolute value as a float, element-wise.

    Args:
        x: Input tensor (not complex).

    Returns:
        A float tensor: floatx for int and bool inputs, the input's dtype for floats.

    Raises:
        TypeError: For a complex input (use `ops.absolute`, which gives the magnitude).

    Example:
    >>> ops.fabs([-3, 2])
    tensor([3., 2.])
    """
    x = tensor(x)
    if x.is_complex():
        raise dtype_error("fabs", "real numbers", x, fix="For the magnitude of complex numbers use "
                          "ops.absolute(x).")
    return torch.abs(_to_float(x))


@keras_op
def sign(x):
    """The sign of each element: -1, 0 or 1 (`nan` stays `nan`).

    Args:
        x: Input tensor.

    Returns:
        A tensor of the same shape and dtype. For complex inputs, `x / |x|` (0 at 0), as numpy
        gives (Keras' torch backend raises there).

    Example:
    >>> ops.sign([-2.0, 0.0, 3.0])
    tensor([-1.,  0.,  1.])
    """
    x = tensor(x)
    try:
        return torch.sign(x)
    except NotImplementedError:
        if not x.is_complex():
            raise
        return torch.sgn(x)


@keras_op
def negative(x):
    """Numerical negative, element-wise.

    Args:
        x: Input tensor (not bool).

    Returns:
        `-x`, same shape and dtype.

    Raises:
        TypeError: For a bool input (use `ops.logical_not` to invert a mask).

    Example:
    >>> ops.negative([1.0, -2.0])
    tensor([-1.,  2.])
    """
    x = tensor(x)
    if x.dtype is torch.bool:
        raise dtype_error("negative", "numbers", x, fix="To invert a mask use ops.logical_not(x).")
    return torch.negative(x)


@keras_op
def reciprocal(x):
    """`1 / x`, element-wise.

    Args:
        x: Input tensor.

    Returns:
        A float tensor (float32 for int and bool inputs).

    Example:
    >>> ops.reciprocal([2.0, 4.0])
    tensor([0.5000, 0.2500])
    """
    return torch.reciprocal(tensor(x))


@keras_op
def square(x):
    """`x * x`, element-wise.

    Args:
        x: Input tensor.

    Returns:
        A tensor of the input's dtype (int32 for a bool input).

    Example:
    >>> ops.square([2, -3])
    tensor([4, 9], dtype=torch.int32)
    """
    x = tensor(x)
    if x.dtype is torch.bool:
        x = x.to(torch.int32)
    return torch.square(x)


@keras_op
def sqrt(x):
    """Non-negative square root, element-wise.

    Args:
        x: Input tensor.

    Returns:
        A float tensor (float32 for int and bool inputs, floatx for int64).

    Example:
    >>> ops.sqrt([4.0, 9.0])
    tensor([2., 3.])
    """
    x = tensor(x)
    if x.dtype is torch.int64:
        x = x.to(floatx_torch())
    return torch.sqrt(x)


@keras_op
def cbrt(x):
    """Cube root, element-wise (negative inputs give negative roots).

    Args:
        x: Input tensor.

    Returns:
        A float tensor (float32 for int and bool inputs, float64 for int64).

    Example:
    >>> ops.cbrt([8.0, -27.0])
    tensor([ 2., -3.])
    """
    x = tensor(x)
    if x.dtype is torch.bool:
        x = x.to(torch.int32)
    elif x.dtype is torch.int64:
        x = x.to(torch.float64)
    return torch.sign(x) * torch.abs(x) ** (1.0 / 3.0)


@keras_op
def exp(x):
    """Exponential `e ** x`, element-wise.

    Args:
        x: Input tensor.

    Returns:
        A float tensor (floatx for int and bool inputs).

    Example:
    >>> ops.exp([0.0, 1.0])
    tensor([1.0000, 2.7183])
    """
    return torch.exp(_to_float(tensor(x)))


@keras_op
def exp2(x):
    """`2 ** x`, element-wise.

    Args:
        x: Input tensor.

    Returns:
        A float tensor (floatx for int and bool inputs).

    Example:
    >>> ops.exp2([0, 3])
    tensor([1., 8.])
    """
    return torch.exp2(_to_float(tensor(x)))


@keras_op
def expm1(x):
    """`exp(x) - 1`, element-wise, accurate for small `x`.

    Args:
        x: Input tensor.

    Returns:
        A float tensor (floatx for int and bool inputs).

    Example:
    >>> ops.expm1([0.0])
    tensor([0.])
    """
    return torch.expm1(_to_float(tensor(x)))


@keras_op
def log(x):
    """Natural logarithm, element-wise.

    Args:
        x: Input tensor.

    Returns:
        A float tensor (float32 for int and bool inputs).

    Example:
    >>> ops.log([1.0])
    tensor([0.])
    """
    return torch.log(tensor(x))


@keras_op
def log10(x):
    """Base-10 logarithm, element-wise.

    Args:
        x: Input tensor.

    Returns:
        A float tensor (float32 for int and bool inputs).

    Example:
    >>> ops.log10([10.0, 100.0])
    tensor([1., 2.])
    """
    return torch.log10(tensor(x))


@keras_op
def log1p(x):
    """`log(1 + x)`, element-wise, accurate for small `x`.

    Args:
        x: Input tensor.

    Returns:
        A float tensor (float32 for int and bool inputs).

    Example:
    >>> ops.log1p([0.0])
    tensor([0.])
    """
    return torch.log1p(tensor(x))


@keras_op
def log2(x):
    """Base-2 logarithm, element-wise.

    Args:
        x: Input tensor.

    Returns:
        A float tensor (float32 for int and bool inputs).

    Example:
    >>> ops.log2([8.0])
    tensor([3.])
    """
    return torch.log2(tensor(x))


def _rounded_dtype(x):
    # Keras: floatx for int64, otherwise the promotion of the input with a Python float (so int
    # and bool inputs give floatx, and float64 gives float32 under Keras' 32-bit rule).
    if x.dtype is torch.int64:
        return config.floatx()
    return result_type(x.dtype, float)


@keras_op
def ceil(x):
    """The ceiling of each element: the smallest integer `>= x`.

    Args:
        x: Input tensor.

    Returns:
        A float tensor: floatx for int and bool inputs, float32 for float64 (Keras' 32-bit rule).

    Example:
    >>> ops.ceil([1.2, -1.7])
    tensor([ 2., -1.])
    """
    x = tensor(x)
    if x.dtype is torch.float32:
        return torch.ceil(x)
    dtype = _rounded_dtype(x)
    if x.dtype is torch.bool:
        x = x.to(torch.uint8)
    return cast(torch.ceil(x), dtype)


@keras_op
def floor(x):
    """The floor of each element: the largest integer `<= x`.

    Args:
        x: Input tensor.

    Returns:
        A float tensor: floatx for int and bool inputs, float32 for float64 (Keras' 32-bit rule).

    Example:
    >>> ops.floor([1.7, -1.2])
    tensor([ 1., -2.])
    """
    x = tensor(x)
    if x.dtype is torch.float32:
        return torch.floor(x)
    return torch.floor(cast(x, _rounded_dtype(x)))


@keras_op
def round(x, decimals=0):
    """Rounds each element to `decimals` decimals (halves to even, as numpy).

    Args:
        x: Input tensor (not bool).
        decimals: Number of decimals; negative values round to tens, hundreds, ... Defaults to `0`.

    Returns:
        A tensor of the input's dtype.

    Raises:
        TypeError: For a bool input.

    Example:
    >>> ops.round([0.5, 1.5, 2.26], decimals=1)
    tensor([0.5000, 1.5000, 2.3000])
    """
    x = tensor(x)
    if x.is_floating_point():
        return torch.round(x, decimals=decimals)
    if x.dtype is torch.bool:
        raise dtype_error("round", "numbers", x, fix="Cast a mask first: ops.cast(x, 'int32').")
    if x.is_complex():
        return torch.round(x, decimals=decimals)
    # torch does not round ints: round in floatx and cast back, as Keras does.
    return torch.round(x.to(floatx_torch()), decimals=decimals).to(x.dtype)


@keras_op
def trunc(x):
    """Truncates each element towards zero.

    Args:
        x: Input tensor.

    Returns:
        A tensor of the input's dtype.

    Example:
    >>> ops.trunc([-1.7, 1.7])
    tensor([-1.,  1.])
    """
    x = tensor(x)
    if x.dtype is torch.bool:
        return x
    return torch.trunc(x)


@keras_op
def nan_to_num(x, nan=0.0, posinf=None, neginf=None):
    """Replaces `nan` and infinities with finite numbers.

    Args:
        x: Input tensor.
        nan: Value for `nan`. Defaults to `0.0`.
        posinf: Value for `+inf`. Defaults to `None` (the dtype's largest finite value).
        neginf: Value for `-inf`. Defaults to `None` (the dtype's smallest finite value).

    Returns:
        A tensor of the input's shape and dtype.

    Example:
    >>> ops.nan_to_num([float("nan"), 1.0, float("inf")], posinf=9.0)
    tensor([0., 1., 9.])
    """
    return torch.nan_to_num(tensor(x), nan=nan, posinf=posinf, neginf=neginf)


@keras_op
def signbit(x):
    """Whether each element's sign bit is set (true for negative numbers and `-0.0`).

    Args:
        x: Input tensor.

    Returns:
        A bool tensor of the same shape.

    Example:
    >>> ops.signbit([-1.0, -0.0, 2.0])
    tensor([ True,  True, False])
    """
    return torch.signbit(tensor(x))


# ------------------------------------------------------------------------------ complex numbers
@keras_op
def angle(x):
    """The angle of each complex element, in radians (`0` or `pi` for real numbers).

    Args:
        x: Input tensor.

    Returns:
        A float tensor (float32 for int and bool inputs, the real dtype for complex ones).

    Example:
    >>> import numpy as np
    >>> ops.angle(np.array([1j, -1.0], dtype="complex64"))
    tensor([1.5708, 3.1416])
    """
    return torch.angle(tensor(x))


@keras_op
def real(x):
    """The real part of each element.

    Args:
        x: Input tensor.

    Returns:
        The real parts (the input itself for a real dtype).

    Example:
    >>> import numpy as np
    >>> ops.real(np.array([1 + 2j], dtype="complex64"))
    tensor([1.])
    """
    return torch.real(tensor(x))


@keras_op
def imag(x):
    """The imaginary part of each element.

    Args:
        x: Input tensor.

    Returns:
        The imaginary parts; zeros of the input's dtype for a real input, as numpy gives (Keras'
        torch backend raises there).

    Example:
    >>> import numpy as np
    >>> ops.imag(np.array([1 + 2j], dtype="complex64"))
    tensor([2.])
    """
    x = tensor(x)
    if not x.is_complex():
        return torch.zeros_like(x)
    return torch.imag(x)


@keras_op
def conjugate(x):
    """The complex conjugate of each element (real inputs are returned unchanged).

    Args:
        x: Input tensor.

    Returns:
        A tensor of the same shape and dtype.

    Example:
    >>> import numpy as np
    >>> ops.conjugate(np.array([1 + 2j], dtype="complex64"))
    tensor([1.-2.j])
    """
    return torch.conj(tensor(x)).resolve_conj()


@keras_op
def conj(x):
    """The complex conjugate of each element (an alias of `ops.conjugate`).

    Args:
        x: Input tensor.

    Returns:
        A tensor of the same shape and dtype.

    Example:
    >>> ops.conj([1.0, -2.0])
    tensor([ 1., -2.])
    """
    return torch.conj(tensor(x)).resolve_conj()
