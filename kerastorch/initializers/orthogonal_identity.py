"""Matrix initializers: `Orthogonal` (random, from a QR decomposition) and `Identity`."""

import math

import torch

from kerastorch.initializers.base import Initializer, _shape, _torch_dtype
from kerastorch.initializers.random import _RandomInitializer


class Orthogonal(_RandomInitializer):
    """Orthogonal matrix (times `gain`), from the QR decomposition of a normal draw.

    For a shape `(*rest, cols)` the weight is viewed as a `(prod(rest), cols)` matrix
    whose rows (if fewer) or columns (otherwise) are orthonormal. Keras' default
    `recurrent_initializer`.

    Args:
        gain: Multiplier of the orthogonal matrix. Defaults to `1.0`.
        seed: `None` or an integer. Defaults to `None`.

    Example:
    >>> w = Orthogonal()((6, 4))
    >>> torch.allclose(w.T @ w, torch.eye(4), atol=1e-5)
    True
    """

    def __init__(self, gain=1.0, seed=None):
        self.gain = gain
        super().__init__(seed=seed)

    def __call__(self, shape, dtype=None):
        shape = _shape(shape)
        if len(shape) < 2:
            raise ValueError(
                "The tensor to initialize must be at least two-dimensional. "
                f"Received: shape={shape} of rank {len(shape)}."
            )
        dtype = _torch_dtype(dtype)
        rows, cols = math.prod(shape[:-1]), shape[-1]
        work = torch.float64 if dtype == torch.float64 else torch.float32
        a = torch.empty(max(rows, cols), min(rows, cols), dtype=work).normal_(
            generator=self._generator())
        q, r = torch.linalg.qr(a)
        q = q * torch.sign(torch.diagonal(r))  # makes the decomposition unique, as Keras
        if rows < cols:
            q = q.T
        return (self.gain * q).reshape(shape).to(dtype)

    def get_config(self):
        return {**super().get_config(), "gain": self.gain}


class Identity(Initializer):
    """`gain` times the identity matrix (2-D shapes only; non-square ones get a
    rectangular identity).

    Args:
        gain: Multiplier of the identity. Defaults to `1.0`.

    Note: Keras 3.15.1's `get_config()` drops `gain` (returns `{}`); here it is written
    only when it is not `1.0`, so default configs equal Keras' and others round-trip.

    Example:
    >>> Identity(gain=2.0)((2, 3))
    tensor([[2., 0., 0.],
            [0., 2., 0.]])
    """

    def __init__(self, gain=1.0):
        self.gain = gain

    def __call__(self, shape, dtype=None):
        shape = _shape(shape)
        if len(shape) != 2:
            raise ValueError(
                "Identity initializer can only be used for 2D matrices. "
                f"Received: shape={shape} of rank {len(shape)}."
            )
        return self.gain * torch.eye(*shape, dtype=_torch_dtype(dtype))

    def get_config(self):
        return {} if self.gain == 1.0 else {"gain": self.gain}
