"""`keras.preprocessing.sequence`: `pad_sequences` (the same function as `kerastorch.utils.pad_sequences`)."""

from kerastorch.utils.sequence_utils import pad_sequences

__all__ = ["pad_sequences"]
