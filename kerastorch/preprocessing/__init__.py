"""Keras 3's `keras.preprocessing` namespace: dataset builders, `image` and `sequence` helpers.

Everything here is also in `kerastorch.utils`; the names exist so Keras 2-era code
(`from keras.preprocessing.sequence import pad_sequences`) runs unchanged.
"""

from kerastorch.preprocessing import sequence

__all__ = ["sequence"]
