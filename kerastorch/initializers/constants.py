"""Constant initializers: `Constant`, `Zeros`, `Ones`."""

import numpy as np
import torch

from kerastorch.initializers.base import Initializer, _shape, _torch_dtype


class Constant(Initializer):
    """Fills with a constant value.

    Args:
        value: A number (or anything broadcastable to the shape). Defaults to `0.0`.

    Example:
    >>> Constant(3.0)((2, 2))
    tensor([[3., 3.],
            [3., 3.]])
    """

    def __init__(self, value=0.0):
        self.value = value

    def __call__(self, shape, dtype=None):
        dtype = _torch_dtype(dtype)
        return torch.as_tensor(self.value, dtype=dtype) * torch.ones(_shape(shape), dtype=dtype)

    def get_config(self):
        value = self.value
        if isinstance(value, (np.ndarray, np.generic, torch.Tensor)):
            value = value.tolist()
        return {"value": value}


class Zeros(Initializer):
    """Fills with zeros. Keras' default for biases.

    Example:
    >>> Zeros()((3,))
    tensor([0., 0., 0.])
    """

    def __call__(self, shape, dtype=None):
        return torch.zeros(_shape(shape), dtype=_torch_dtype(dtype))


class Ones(Initializer):
    """Fills with ones.

    Example:
    >>> Ones()((3,))
    tensor([1., 1., 1.])
    """

    def __call__(self, shape, dtype=None):
        return torch.ones(_shape(shape), dtype=_torch_dtype(dtype))
