"""The `Initializer` base class and the helpers every initializer family shares."""

import torch

from kerastorch import config


def _torch_dtype(dtype):
    """The torch dtype for a Keras dtype (a name, torch or numpy dtype); `None` is `floatx()`."""
    if isinstance(dtype, torch.dtype):
        return dtype
    from kerastorch.backend import dtypes

    return dtypes.to_torch_dtype(config.floatx() if dtype is None else dtype)


def _shape(shape):
    if isinstance(shape, int):
        return (shape,)
    return tuple(int(d) for d in shape)


class Initializer:
    """Base class of initializers: `initializer(shape, dtype=None)` returns a new tensor.

    Subclasses implement `__call__(shape, dtype=None)` and, when they take arguments,
    `get_config()` so that `from_config(get_config())` rebuilds them.

    Example:
    >>> class Twos(Initializer):
    ...     def __call__(self, shape, dtype=None):
    ...         return torch.full(shape, 2.0, dtype=_torch_dtype(dtype))
    >>> Twos()((2,))
    tensor([2., 2.])
    """

    def __call__(self, shape, dtype=None):
        raise NotImplementedError("Initializer subclasses must implement the `__call__()` method.")

    def get_config(self):
        """Returns the constructor arguments as a JSON-friendly dict."""
        return {}

    @classmethod
    def from_config(cls, config):
        """Builds an initializer from the dict `get_config()` returned."""
        return cls(**config)

    def clone(self):
        """Returns a new initializer with the same configuration."""
        return self.__class__.from_config(self.get_config())

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"
