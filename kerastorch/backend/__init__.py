"""Keras' `keras.backend` on torch: the backend's name, settings, dtypes and session state.

Besides Keras' public names, this module holds the tensor helpers `kerastorch.ops` builds on:
`convert_to_tensor`, `convert_to_numpy`, `is_tensor`, `cast`, `to_torch_dtype`, `get_device`.

Example:
>>> from kerastorch import backend
>>> backend.backend()
'torch'
>>> backend.standardize_dtype("float64")
'float64'
"""

import collections
import gc

import torch

from kerastorch.backend.dtypes import (is_float_dtype, is_int_dtype, result_type,
                                       standardize_dtype, to_torch_dtype)
from kerastorch.backend.tensors import cast, convert_to_numpy, convert_to_tensor, get_device, is_tensor
from kerastorch.config import (epsilon, floatx, image_data_format, set_epsilon, set_floatx,
                               set_image_data_format)

_UIDS = collections.defaultdict(int)


def backend():
    """The name of the backend: always `"torch"`.

    Example:
    >>> backend()
    'torch'
    """
    return "torch"


def get_uid(prefix=""):
    """Returns 1, 2, 3, ... on successive calls with the same `prefix` (reset by `clear_session`).

    Args:
        prefix: String key of the counter. Defaults to `""`.

    Example:
    >>> clear_session()
    >>> get_uid("dense"), get_uid("dense")
    (1, 2)
    """
    _UIDS[prefix] += 1
    return _UIDS[prefix]


def clear_session(free_memory=True):
    """Resets kerastorch's global state: auto-names (`dense`, `dense_1`, ...) and `get_uid` counters.

    As in Keras, it also resets the global dtype policy (back to following `floatx()`), the
    global random generator behind `seed=None`, and the interactive-logging, flash-attention,
    traceback-filtering and unsafe-deserialization switches.

    Args:
        free_memory: Whether to also run Python's garbage collector and release torch's cached
            CUDA memory. Defaults to `True`.

    Example:
    >>> clear_session()
    """
    from kerastorch.layers.base import reset_name_counts

    reset_name_counts()
    _UIDS.clear()
    from kerastorch import _config_flags

    _config_flags._reset_session_state()
    if free_memory:
        gc.collect()
        if torch.cuda.is_available():
            torch.cuda.empty_cache()


def is_keras_tensor(x):
    """Whether `x` is a symbolic `KerasTensor` (as `Input(...)` returns), not a concrete tensor.

    Example:
    >>> import kerastorch
    >>> is_keras_tensor(kerastorch.Input(shape=(3,)))
    True
    """
    from kerastorch.layers.base import KerasTensor

    return isinstance(x, KerasTensor)


__all__ = ["backend", "cast", "clear_session", "convert_to_numpy", "convert_to_tensor",
           "epsilon", "floatx", "get_device", "get_uid", "image_data_format", "is_float_dtype",
           "is_int_dtype", "is_keras_tensor", "is_tensor", "result_type", "set_epsilon", "set_floatx",
           "set_image_data_format", "standardize_dtype", "to_torch_dtype"]
