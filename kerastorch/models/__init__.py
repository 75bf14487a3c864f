"""Models: `Sequential` and `Model`, as in `keras.models`."""

from kerastorch.models.model import Model
from kerastorch.models.sequential import Sequential

__all__ = ["Model", "Sequential"]
