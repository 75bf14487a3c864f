"""Models: `Sequential` and `Model`, as in `keras.models`."""

from kerastorch.models.model import Model
from kerastorch.models.sequential import Sequential
from kerastorch.saving import clone_model, load_model, model_from_json, save_model

__all__ = ["Model", "Sequential", "clone_model", "load_model", "model_from_json", "save_model"]
