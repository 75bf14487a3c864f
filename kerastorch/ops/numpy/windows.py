"""Keras' window functions (`bartlett`, `blackman`, `hamming`, `hanning`, `kaiser`) on torch.

Each returns the symmetric window of `x` points (NumPy's definition) as a `float32` tensor on the
configured device, as Keras' torch backend does (torch's default float type, whatever floatx is).

Example:
>>> from kerastorch import ops
>>> ops.hamming(3)
tensor([0.0800, 1.0000, 0.0800])
"""

import torch

from kerastorch import config
from kerastorch.ops._utils import keras_op

__all__ = ["bartlett", "blackman", "hamming", "hanning", "kaiser"]


def _length(op, x):
    """The window length `x` as a non-negative Python int."""
    if isinstance(x, torch.Tensor):
        if x.numel() != 1 or x.is_floating_point() or x.dtype == torch.bool:
            raise TypeError(f"ops.{op}: `x` must be an integer (the window length), got a tensor of shape "
                            f"{tuple(x.shape)} and dtype {x.dtype}.")
        x = int(x.item())        # the length decides the output's shape: it must be read on the host
    elif hasattr(x, "dtype") and getattr(x, "ndim", 1) == 0 and x.dtype.kind in "iu":
        x = int(x)
    if isinstance(x, bool) or not isinstance(x, int):
        raise TypeError(f"ops.{op}: `x` must be an integer (the window length), got x={x!r}.")
    if x < 0:
        raise ValueError(f"ops.{op}: the window length must be non-negative, got x={x}.")
    return x


@keras_op
def bartlett(x):
    """Returns the Bartlett (triangular) window of `x` points.

    Args:
        x: Number of points (an integer).

    Returns:
        A 1-D `float32` tensor; its peak is 1 (for an odd `x`).

    Example:
    >>> bartlett(5)
    tensor([0.0000, 0.5000, 1.0000, 0.5000, 0.0000])
    """
    return torch.signal.windows.bartlett(_length("bartlett", x), device=config.get_device())


@keras_op
def blackman(x):
    """Returns the Blackman window of `x` points (three cosine terms).

    Args:
        x: Number of points (an integer).

    Returns:
        A 1-D `float32` tensor.

    Example:
    >>> blackman(3)
    tensor([-1.4901e-08,  1.0000e+00, -1.4901e-08])
    """
    return torch.signal.windows.blackman(_length("blackman", x), device=config.get_device())


@keras_op
def hamming(x):
    """Returns the Hamming window of `x` points: `0.54 - 0.46 cos(2 pi n / (x - 1))`.

    Args:
        x: Number of points (an integer).

    Returns:
        A 1-D `float32` tensor.

    Example:
    >>> hamming(3)
    tensor([0.0800, 1.0000, 0.0800])
    """
    return torch.signal.windows.hamming(_length("hamming", x), device=config.get_device())


@keras_op
def hanning(x):
    """Returns the Hann window of `x` points: `0.5 - 0.5 cos(2 pi n / (x - 1))`.

    Args:
        x: Number of points (an integer).

    Returns:
        A 1-D `float32` tensor.

    Example:
    >>> hanning(3)
    tensor([0., 1., 0.])
    """
    return torch.signal.windows.hann(_length("hanning", x), device=config.get_device())


@keras_op
def kaiser(x, beta):
    """Returns the Kaiser window of `x` points with shape parameter `beta`.

    Args:
        x: Number of points (an integer).
        beta: Shape parameter: 0 is a rectangular window; larger values narrow it.

    Returns:
        A 1-D `float32` tensor.

    Example:
    >>> kaiser(3, 0.0)
    tensor([1., 1., 1.])
    """
    return torch.signal.windows.kaiser(_length("kaiser", x), beta=float(beta), device=config.get_device())
