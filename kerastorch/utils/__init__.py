"""Utilities, as in `keras.utils`: `to_categorical`, `normalize`, `set_random_seed`, `Progbar`."""

import random

import numpy as np
import torch

from kerastorch.utils.progbar import Progbar
from kerastorch.utils.py_dataset import PyDataset


def to_categorical(x, num_classes=None):
    """Converts integer class ids to one-hot rows (a float32 numpy array).

    Args:
        x: Array-like of class ids in `[0, num_classes)`. A trailing axis of size 1 is dropped.
        num_classes: Number of classes. Defaults to `max(x) + 1`.

    Returns:
        float32 array of shape `(*x.shape, num_classes)`.

    Example:
    >>> to_categorical([0, 2, 1], num_classes=3)
    array([[1., 0., 0.],
           [0., 0., 1.],
           [0., 1., 0.]], dtype=float32)
    """
    ids = np.asarray(x.detach().cpu() if isinstance(x, torch.Tensor) else x)
    if ids.size and not np.issubdtype(ids.dtype, np.integer):
        if not np.all(np.equal(np.mod(ids, 1), 0)):
            raise ValueError(
                f"to_categorical expects integer class ids, got values like {ids.ravel()[:3].tolist()} "
                f"(dtype {ids.dtype}). Round or cast them to integers first."
            )
        ids = ids.astype(np.int64)
    if ids.ndim > 1 and ids.shape[-1] == 1:
        ids = ids.reshape(ids.shape[:-1])
    if num_classes is None:
        num_classes = int(ids.max()) + 1 if ids.size else 0
    if ids.size and (ids.min() < 0 or ids.max() >= num_classes):
        raise ValueError(
            f"to_categorical: class ids must lie in [0, {num_classes}), got values from {ids.min()} to "
            f"{ids.max()}. Pass num_classes larger than the largest id."
        )
    out = np.zeros((*ids.shape, num_classes), dtype=np.float32)
    np.put_along_axis(out, ids[..., None].astype(np.int64), 1.0, axis=-1)
    return out


def normalize(x, axis=-1, order=2):
    """Scales `x` to unit `order`-norm along `axis` (a numpy array; zero rows stay zero).

    Example:
    >>> normalize(np.array([[3.0, 4.0]]))
    array([[0.6, 0.8]])
    """
    x = np.asarray(x, dtype=np.float64 if np.asarray(x).dtype == np.float64 else np.float32)
    norm = np.linalg.norm(x, ord=order, axis=axis, keepdims=True)
    return x / np.where(norm == 0, 1, norm)


def set_random_seed(seed):
    """Seeds Python's `random`, numpy and torch (CPU and every GPU) at once.

    It also resets the global `kerastorch.random.SeedGenerator` behind `seed=None`, which is
    recreated from Python's `random` on its next use, as in Keras. Two runs with the same seed
    initialise and shuffle identically, so on the CPU they train to bit-identical weights.

    Args:
        seed: Integer seed.

    Example:
    >>> set_random_seed(1337)
    """
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise ValueError(f"set_random_seed expects an integer seed, got {seed!r}.")
    random.seed(int(seed))
    np.random.seed(int(seed) % (2 ** 32))
    torch.manual_seed(int(seed))
    from kerastorch import random as _random

    _random.reset_global_seed_generator()


def clear_session(free_memory=True):
    """Resets kerastorch's global state: layer auto-names start again at `dense`, `dense_1`, ...

    The same as `kerastorch.backend.clear_session`.

    Args:
        free_memory: Whether to also collect garbage and release cached CUDA memory. Defaults to `True`.

    Example:
    >>> clear_session()
    """
    from kerastorch import backend

    backend.clear_session(free_memory=free_memory)


__all__ = ["Progbar", "PyDataset", "clear_session", "normalize", "set_random_seed", "to_categorical"]
from kerastorch.utils.image_dataset import image_dataset_from_directory
from kerastorch.utils.plotting import plot_history, plot_model
from kerastorch.utils.file_utils import get_file
from kerastorch.utils.sequence_utils import pad_sequences
from kerastorch.utils.dataset_utils import split_dataset
from kerastorch.utils.text_dataset import text_dataset_from_directory
from kerastorch.utils.timeseries_dataset import timeseries_dataset_from_array
from kerastorch.utils.image_utils import array_to_img, img_to_array, load_img, save_img
from kerastorch.utils import bounding_boxes, legacy
from kerastorch.utils.audio_dataset import audio_dataset_from_directory
from kerastorch.utils.config_utils import Config
from kerastorch.utils.data_utils import get_source_inputs, pack_x_y_sample_weight, unpack_x_y_sample_weight
from kerastorch.utils.feature_space import FeatureSpace
from kerastorch.utils.model_visualization import model_to_dot
from kerastorch.utils.object_registration import (CustomObjectScope, custom_object_scope, deserialize_keras_object,
                                                  get_custom_objects, get_registered_name, get_registered_object,
                                                  register_keras_serializable, serialize_keras_object)
from kerastorch.backend import is_keras_tensor, standardize_dtype

_FROM_CONFIG = ("disable_interactive_logging", "enable_interactive_logging", "is_interactive_logging_enabled")


def __getattr__(name):
    # Keras' logging switches live in kerastorch.config; read them from there at first use.
    if name in _FROM_CONFIG:
        from kerastorch import config

        return getattr(config, name)
    raise AttributeError(f"module 'kerastorch.utils' has no attribute {name!r}")

Sequence = PyDataset   # Keras 3 keeps `Sequence` as another name of `PyDataset`

__all__ += ["Config", "CustomObjectScope", "FeatureSpace", "Sequence", "array_to_img", "audio_dataset_from_directory",
            "bounding_boxes", "custom_object_scope", "deserialize_keras_object", "get_custom_objects", "get_file",
            "get_registered_name", "get_registered_object", "get_source_inputs", "image_dataset_from_directory",
            "img_to_array", "is_keras_tensor", "legacy", "load_img", "model_to_dot", "pack_x_y_sample_weight",
            "pad_sequences", "plot_history", "plot_model", "register_keras_serializable", "save_img",
            "serialize_keras_object", "split_dataset", "standardize_dtype", "text_dataset_from_directory",
            "timeseries_dataset_from_array", "unpack_x_y_sample_weight"]
from kerastorch import config as _config  # noqa: E402

__all__ += [name for name in _FROM_CONFIG if hasattr(_config, name)]
