"""Keras 3's `keras.preprocessing` namespace: dataset builders, `image` and `sequence` helpers.

Everything here is also in `kerastorch.utils`; the names exist so Keras 2-era code
(`from keras.preprocessing.sequence import pad_sequences`) runs unchanged.
"""

from kerastorch.preprocessing import image, sequence

__all__ = ["image", "sequence"]
from kerastorch.utils.image_dataset import image_dataset_from_directory
from kerastorch.utils.text_dataset import text_dataset_from_directory
from kerastorch.utils.timeseries_dataset import timeseries_dataset_from_array

__all__ += ["image_dataset_from_directory", "text_dataset_from_directory", "timeseries_dataset_from_array"]
