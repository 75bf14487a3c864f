"""Random initializers with fixed parameters: `RandomNormal`, `TruncatedNormal`, `RandomUniform`.

Seeding (shared by every random initializer, including the variance-scaling and orthogonal ones):
    - `seed=None` draws from torch's global generator, so `torch.manual_seed(...)`
      makes a whole model reproducible and every call gives new values. (Keras instead
      draws a random seed when an unseeded initializer is *constructed*, so one object
      called twice repeats itself there; kerastorch does not copy that.)
    - `seed=<int>` uses a private `torch.Generator` seeded afresh on every call, so the
      same initializer returns the same values each time, as in Keras 3.
"""

import numpy as np
import torch

from kerastorch.initializers.base import Initializer, _shape, _torch_dtype


class _RandomInitializer(Initializer):
    """Holds the `seed` of a random initializer; see the module docstring for its meaning."""

    def __init__(self, seed=None):
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer))):
            raise ValueError(
                f"{type(self).__name__}: `seed` must be None or an integer, got seed={seed!r}."
            )
        self.seed = None if seed is None else int(seed)

    def _generator(self):
        # A fresh generator per call: a seeded initializer repeats itself, as in Keras 3.
        if self.seed is None:
            return None
        return torch.Generator().manual_seed(self.seed)

    def get_config(self):
        return {"seed": self.seed}


def _normal(shape, mean, stddev, dtype, generator):
    dtype = _torch_dtype(dtype)
    work = dtype if dtype == torch.float64 else torch.float32  # CPU half lacks some kernels
    out = torch.empty(_shape(shape), dtype=work).normal_(mean, stddev, generator=generator)
    return out.to(dtype)


def _truncated_normal(shape, mean, stddev, dtype, generator):
    # Exact truncation at mean ± 2 stddev (inverse-CDF sampling). Keras' torch backend
    # keeps the first of 4 draws inside the bounds, which is the same distribution
    # except with probability 0.0455**4 ≈ 4e-6 per element.
    dtype = _torch_dtype(dtype)
    work = dtype if dtype == torch.float64 else torch.float32
    out = torch.empty(_shape(shape), dtype=work)
    torch.nn.init.trunc_normal_(out, mean, stddev, mean - 2 * stddev, mean + 2 * stddev,
                                generator=generator)
    return out.to(dtype)


def _uniform(shape, minval, maxval, dtype, generator):
    dtype = _torch_dtype(dtype)
    work = dtype if dtype == torch.float64 else torch.float32
    out = torch.empty(_shape(shape), dtype=work).uniform_(minval, maxval, generator=generator)
    return out.to(dtype)


class RandomNormal(_RandomInitializer):
    """Draws from a normal distribution `N(mean, stddev**2)` (not truncated).

    Args:
        mean: Mean of the distribution. Defaults to `0.0`.
        stddev: Standard deviation. Defaults to `0.05`.
        seed: `None` (torch's global generator) or an integer (same values on every
            call). Defaults to `None`.

    Example:
    >>> bool((RandomNormal(seed=1)((4,)) == RandomNormal(seed=1)((4,))).all())
    True
    """

    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        self.mean, self.stddev = mean, stddev
        super().__init__(seed=seed)

    def __call__(self, shape, dtype=None):
        return _normal(shape, self.mean, self.stddev, dtype, self._generator())

    def get_config(self):
        return {**super().get_config(), "mean": self.mean, "stddev": self.stddev}


class TruncatedNormal(_RandomInitializer):
    """Draws from a normal distribution truncated to `mean ± 2 * stddev`.

    `stddev` is that of the normal before truncation; the values' own standard
    deviation is `0.8796 * stddev`.

    Args:
        mean: Mean of the distribution. Defaults to `0.0`.
        stddev: Standard deviation before truncation. Defaults to `0.05`.
        seed: `None` or an integer. Defaults to `None`.

    Example:
    >>> bool(TruncatedNormal(stddev=1.0)((1000,)).abs().max() <= 2.0)
    True
    """

    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        self.mean, self.stddev = mean, stddev
        super().__init__(seed=seed)

    def __call__(self, shape, dtype=None):
        return _truncated_normal(shape, self.mean, self.stddev, dtype, self._generator())

    def get_config(self):
        return {**super().get_config(), "mean": self.mean, "stddev": self.stddev}


class RandomUniform(_RandomInitializer):
    """Draws from a uniform distribution on `[minval, maxval)`. The string `"uniform"`
    (Keras' `Embedding` default) is `RandomUniform(-0.05, 0.05)`.

    Args:
        minval: Lower bound. Defaults to `-0.05`.
        maxval: Upper bound. Defaults to `0.05`.
        seed: `None` or an integer. Defaults to `None`.

    Example:
    >>> bool(RandomUniform()((1000,)).abs().max() <= 0.05)
    True
    """

    def __init__(self, minval=-0.05, maxval=0.05, seed=None):
        self.minval, self.maxval = minval, maxval
        super().__init__(seed=seed)

    def __call__(self, shape, dtype=None):
        return _uniform(shape, self.minval, self.maxval, dtype, self._generator())

    def get_config(self):
        return {**super().get_config(), "minval": self.minval, "maxval": self.maxval}
