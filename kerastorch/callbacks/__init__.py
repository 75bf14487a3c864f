"""Callbacks: hooks into `fit`, `evaluate` and `predict`, as in `keras.callbacks`."""

from kerastorch.callbacks.callback import Callback, CallbackList
from kerastorch.callbacks.history import History
from kerastorch.callbacks.progbar_logger import ProgbarLogger

__all__ = ["Callback", "CallbackList", "History", "ProgbarLogger"]
