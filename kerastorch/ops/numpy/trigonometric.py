"""Keras' trigonometric and hyperbolic functions, `sinc`, `i0` and angle conversions, on torch.

Float inputs keep their dtype; int and bool inputs give float32 (torch's own promotion, which Keras'
torch backend keeps). `i0` gives floatx for small ints and float64 for int64 and float64;
`deg2rad`/`rad2deg` give float64 for int64.

Example:
>>> from kerastorch import ops
>>> ops.cos([0.0])
tensor([1.])
"""

import torch

from kerastorch.ops._utils import keras_op, tensor
from kerastorch.ops.numpy._scalars import floatx_torch

__all__ = ["arccos", "arccosh", "arcsin", "arcsinh", "arctan", "arctanh", "cos", "cosh", "deg2rad",
           "i0", "rad2deg", "sin", "sinc", "sinh", "tan", "tanh"]


@keras_op
def sin(x):
    """Trigonometric sine, element-wise.

    Args:
        x: Input tensor (angles in radians).

    Returns:
        A float tensor of the same shape (float32 for int and bool inputs).

    Example:
    >>> ops.sin([0.0])
    tensor([0.])
    """
    return torch.sin(tensor(x))


@keras_op
def cos(x):
    """Trigonometric cosine, element-wise.

    Args:
        x: Input tensor (angles in radians).

    Returns:
        A float tensor of the same shape (float32 for int and bool inputs).

    Example:
    >>> ops.cos([0.0])
    tensor([1.])
    """
    return torch.cos(tensor(x))


@keras_op
def tan(x):
    """Trigonometric tangent, element-wise.

    Args:
        x: Input tensor (angles in radians).

    Returns:
        A float tensor of the same shape (float32 for int and bool inputs).

    Example:
    >>> ops.tan([0.0])
    tensor([0.])
    """
    return torch.tan(tensor(x))


@keras_op
def arcsin(x):
    """Inverse sine, element-wise.

    Args:
        x: Input tensor, values in `[-1, 1]`.

    Returns:
        A float tensor of the same shape (float32 for int and bool inputs).

    Example:
    >>> ops.arcsin([0.0, 1.0])
    tensor([0.0000, 1.5708])
    """
    return torch.arcsin(tensor(x))


@keras_op
def arccos(x):
    """Inverse cosine, element-wise.

    Args:
        x: Input tensor, values in `[-1, 1]`.

    Returns:
        A float tensor of the same shape (float32 for int and bool inputs).

    Example:
    >>> ops.arccos([1.0, 0.0])
    tensor([0.0000, 1.5708])
    """
    return torch.arccos(tensor(x))


@keras_op
def arctan(x):
    """Inverse tangent, element-wise.

    Args:
        x: Input tensor.

    Returns:
        A float tensor of the same shape (float32 for int and bool inputs).

    Example:
    >>> ops.arctan([0.0, 1.0])
    tensor([0.0000, 0.7854])
    """
    return torch.arctan(tensor(x))


@keras_op
def sinh(x):
    """Hyperbolic sine, element-wise.

    Args:
        x: Input tensor.

    Returns:
        A float tensor of the same shape (float32 for int and bool inputs).

    Example:
    >>> ops.sinh([0.0])
    tensor([0.])
    """
    return torch.sinh(tensor(x))


@keras_op
def cosh(x):
    """Hyperbolic cosine, element-wise.

    Args:
        x: Input tensor.

    Returns:
        A float tensor of the same shape (float32 for int and bool inputs).

    Example:
    >>> ops.cosh([0.0])
    tensor([1.])
    """
    return torch.cosh(tensor(x))


@keras_op
def tanh(x):
    """Hyperbolic tangent, element-wise.

    Args:
        x: Input tensor.

    Returns:
        A float tensor of the same shape (float32 for int and bool inputs).

    Example:
    >>> ops.tanh([0.0])
    tensor([0.])
    """
    return torch.tanh(tensor(x))


@keras_op
def arcsinh(x):
    """Inverse hyperbolic sine, element-wise.

    Args:
        x: Input tensor.

    Returns:
        A float tensor of the same shape (float32 for int and bool inputs).

    Example:
    >>> ops.arcsinh([0.0])
    tensor([0.])
    """
    return torch.arcsinh(tensor(x))


@keras_op
def arccosh(x):
    """Inverse hyperbolic cosine, element-wise.

    Args:
        x: Input tensor, values `>= 1`.

    Returns:
        A float tensor of the same shape (float32 for int and bool inputs).

    Example:
    >>> ops.arccosh([1.0])
    tensor([0.])
    """
    return torch.arccosh(tensor(x))


@keras_op
def arctanh(x):
    """Inverse hyperbolic tangent, element-wise.

    Args:
        x: Input tensor, values in `(-1, 1)`.

    Returns:
        A float tensor of the same shape (float32 for int and bool inputs).

    Example:
    >>> ops.arctanh([0.0])
    tensor([0.])
    """
    return torch.arctanh(tensor(x))


@keras_op
def sinc(x):
    """Normalized sinc, `sin(pi * x) / (pi * x)` (1 at 0), element-wise.

    Args:
        x: Input tensor.

    Returns:
        A float tensor of the same shape (float32 for int and bool inputs).

    Example:
    >>> ops.sinc([0.0, 0.5])
    tensor([1.0000, 0.6366])
    """
    return torch.sinc(tensor(x))


@keras_op
def i0(x):
    """Modified Bessel function of the first kind, order 0, element-wise.

    Args:
        x: Input tensor.

    Returns:
        A float tensor: float64 for float64 and int64 inputs, float16/bfloat16 kept, floatx
        otherwise.

    Example:
    >>> ops.i0([0.0, 1.0])
    tensor([1.0000, 1.2661])
    """
    x = tensor(x)
    if x.dtype is torch.float64 or x.dtype is torch.int64:
        dtype = torch.float64
    elif x.dtype is torch.float16 or x.dtype is torch.bfloat16:
        dtype = x.dtype
    else:
        dtype = floatx_torch()
    return torch.i0(x if x.dtype is dtype else x.to(dtype))


@keras_op
def deg2rad(x):
    """Converts angles from degrees to radians, element-wise.

    Args:
        x: Input tensor of angles in degrees.

    Returns:
        A float tensor (float32 for int and bool inputs, float64 for int64).

    Example:
    >>> ops.deg2rad([180.0])
    tensor([3.1416])
    """
    x = tensor(x)
    if x.dtype is torch.int64:
        x = x.to(torch.float64)
    return torch.deg2rad(x)


@keras_op
def rad2deg(x):
    """Converts angles from radians to degrees, element-wise.

    Args:
        x: Input tensor of angles in radians.

    Returns:
        A float tensor (float32 for int and bool inputs, float64 for int64).

    Example:
    >>> import math
    >>> ops.rad2deg([math.pi])
    tensor([180.])
    """
    x = tensor(x)
    if x.dtype is torch.int64:
        x = x.to(torch.float64)
    return torch.rad2deg(x)
