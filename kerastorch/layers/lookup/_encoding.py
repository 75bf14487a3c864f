"""Helpers shared by the lookup layers: categorical encoding and string/integer inputs."""

import numpy as np
import torch

from kerastorch import config

OUTPUT_MODES = ("int", "one_hot", "multi_hot", "count")


def check_mode(value, allowed, layer, arg="output_mode"):
    """Keras' spellings ('binary' for 'multi_hot', 'tf-idf'), then the allowed set."""
    value = {"binary": "multi_hot", "tf-idf": "tf_idf"}.get(value, value)
    if value not in allowed:
        raise ValueError(f"{layer}: `{arg}` must be one of {', '.join(map(repr, allowed))}, "
                         f"got {arg}={value!r}.")
    return value


def refuse_sparse(sparse, layer):
    if sparse:
        raise ValueError(f"{layer}: sparse=True needs TensorFlow sparse tensors, which the torch backend "
                         "(Keras' own included) does not have. Use sparse=False (dense outputs); "
                         "torch.Tensor.to_sparse() converts a result if you need one.")


def torch_dtype(name):
    return getattr(torch, name if name != "string" else "int64")


def encode(indices, output_mode, depth, dtype=None, count_weights=None, where="CategoryEncoding"):
    """Keras' `encode_categorical_inputs` on an integer tensor: one_hot, multi_hot or count."""
    dtype = dtype or torch_dtype(config.floatx())
    if output_mode == "int":
        return indices.to(dtype)
    if indices.ndim == 0:
        indices = indices[None]
    if indices.ndim > 2:
        raise ValueError(f"{where}: when output_mode is not 'int' the input must have rank 1 or 2 "
                         f"(a batch of samples), got shape {tuple(indices.shape)}.")
    if output_mode == "one_hot" and indices.ndim > 1 and indices.shape[-1] == 1:
        indices = indices[..., 0]
    idx = indices.long()
    inside = (idx >= 0) & (idx < depth)         # out-of-range ids encode to zeros, as in Keras
    hot = torch.nn.functional.one_hot(torch.where(inside, idx, 0), depth) * inside[..., None]
    if output_mode == "one_hot":
        return hot.to(dtype)
    if output_mode == "multi_hot":
        return hot.amax(dim=-2).to(dtype)
    if count_weights is not None:
        hot = hot.to(count_weights.dtype) * count_weights[..., None]
        dtype = count_weights.dtype
    return hot.sum(dim=-2).to(dtype)


def to_array(data, where):
    """A numpy array of str or int from a list, tuple, numpy array or tensor."""
    if isinstance(data, torch.Tensor):
        return data.detach().cpu().numpy()
    if isinstance(data, (list, tuple, np.ndarray, str, bytes, int, np.generic)):
        arr = np.asarray(data, dtype=object if not isinstance(data, np.ndarray) else None)
        if arr.dtype == object:
            flat = arr.reshape(-1)
            if len(flat) and all(isinstance(v, (str, bytes, np.str_)) for v in flat):
                arr = np.asarray([v.decode() if isinstance(v, bytes) else str(v) for v in flat],
                                 dtype=object).reshape(arr.shape)
            elif len(flat) and all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in flat):
                arr = arr.astype(np.int64)
            elif len(flat) == 0:
                arr = arr.astype(np.int64)
            else:
                raise TypeError(f"{where}: expected strings or integers (nested lists of one kind, "
                                f"or a numpy array), got values of types "
                                f"{sorted({type(v).__name__ for v in flat})}. Ragged lists are not "
                                "supported: pad them to one length first.")
        elif arr.dtype.kind == "S":
            arr = np.char.decode(arr, "utf-8").astype(object)
        elif arr.dtype.kind == "U":
            arr = arr.astype(object)
        return arr
    raise TypeError(f"{where}: expected a list, numpy array or tensor, got {type(data).__name__}.")


def batches(data, steps, where):
    """The batches of `adapt` data: an array/list in one batch, or an iterable's items."""
    if isinstance(data, (list, tuple, np.ndarray, torch.Tensor, str)):
        yield to_array(data, where)
        return
    if not hasattr(data, "__iter__"):
        raise TypeError(f"{where}: adapt() expects a list, numpy array, tensor, or an iterable of "
                        f"batches (a DataLoader, a generator), got {type(data).__name__}.")
    for i, batch in enumerate(data):
        if steps is not None and i >= steps:
            break
        if isinstance(batch, tuple) and len(batch) in (2, 3) and not isinstance(batch[0], str):
            batch = batch[0]        # (x, y) pairs: adapt on x
        yield to_array(batch, where)
