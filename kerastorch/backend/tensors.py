"""Turning Python values, numpy arrays and tensors into torch tensors the way Keras' torch backend does.

Example:
>>> from kerastorch import backend
>>> backend.convert_to_tensor([1, 2]).dtype
torch.int32
>>> backend.convert_to_tensor(1.5).dtype
torch.float32
"""

import numpy as np
import torch

from kerastorch import config
from kerastorch.backend.dtypes import result_type, standardize_dtype, to_torch_dtype

_INT32_MIN, _INT32_MAX = -(2 ** 31), 2 ** 31


def get_device():
    """The `torch.device` new tensors are placed on (`kerastorch.config.get_device()`)."""
    return config.get_device()


def is_tensor(x):
    """Whether `x` is a torch tensor (what `kerastorch.ops` computes on).

    Example:
    >>> import torch
    >>> is_tensor(torch.zeros(1)), is_tensor([0.0])
    (True, False)
    """
    return isinstance(x, torch.Tensor)


def _flat_dtypes(values, out):
    for v in values:
        if isinstance(v, (list, tuple)):
            _flat_dtypes(v, out)
        elif isinstance(v, (bool, int, float, complex)):
            out.append(type(v))
        else:
            out.append(getattr(v, "dtype", type(v)))
    return out


def convert_to_tensor(x, dtype=None, sparse=None, ragged=None):
    """Converts `x` to a torch tensor on the configured device, as Keras' `ops.convert_to_tensor`.

    Numpy arrays keep their dtype; a Python float becomes floatx, a Python int `int32` (`int64`
    when it does not fit), a bool `bool`; nested lists take the promoted dtype of their items.
    A tensor already on the device with the requested dtype is returned as it is.

    Args:
        x: A tensor, a `kerastorch.Variable`, a numpy array, a Python scalar or a nested list.
        dtype: Optional target dtype. Defaults to `None` (inferred as above).
        sparse: Must be `None` or `False`: torch tensors here are dense.
        ragged: Must be `None` or `False`: torch has no ragged tensors.

    Returns:
        A `torch.Tensor`.

    Example:
    >>> import numpy as np
    >>> convert_to_tensor(np.zeros(2)).dtype
    torch.float64
    """
    if sparse:
        raise ValueError("convert_to_tensor: `sparse=True` is not supported on torch; pass a dense "
                         "array (e.g. x.toarray() for a scipy matrix).")
    if ragged:
        raise ValueError("convert_to_tensor: `ragged=True` is not supported on torch; pad the "
                         "sequences to one length first (kerastorch.utils.pad_sequences).")
    device = config.get_device()
    if isinstance(x, torch.Tensor):
        if x.device != device:
            x = torch.empty_like(x, device=device) if x.is_meta else x.to(device)
        if dtype is not None:
            x = x.to(to_torch_dtype(dtype))
        return x
    value = getattr(x, "value", None)           # a kerastorch.Variable
    if isinstance(value, torch.Tensor) and hasattr(x, "assign"):
        return convert_to_tensor(value, dtype)
    if isinstance(x, (bool, int, float, complex)):
        if dtype is not None:
            torch_dtype = to_torch_dtype(dtype)
        elif isinstance(x, bool):
            torch_dtype = torch.bool
        elif isinstance(x, int):
            torch_dtype = torch.int32 if _INT32_MIN <= x < _INT32_MAX else torch.int64
        elif isinstance(x, float):
            torch_dtype = to_torch_dtype(config.floatx())
        else:
            torch_dtype = torch.complex64
        return torch.as_tensor(x, dtype=torch_dtype, device=device)
    if isinstance(x, (list, tuple)):
        if x and any(isinstance(item, torch.Tensor) for item in x):
            return torch.stack([convert_to_tensor(item, dtype) for item in x])
        if dtype is None:
            dtype = result_type(*_flat_dtypes(x, []))
        return torch.as_tensor(np.asarray(x, dtype=_numpy_dtype(dtype)), device=device)
    x = np.asarray(x)
    if x.dtype == object or x.dtype.kind in "USa":
        raise TypeError(f"convert_to_tensor: cannot convert {type(x).__name__} of dtype {x.dtype} "
                        "to a torch tensor; torch holds numbers only.")
    if dtype is None:
        dtype = standardize_dtype(x.dtype)
    if x.dtype == np.uint32 or standardize_dtype(x.dtype) == "bfloat16":
        x = x.astype(np.int64 if x.dtype == np.uint32 else np.float32)
    return torch.as_tensor(x, device=device).to(to_torch_dtype(dtype))


def _numpy_dtype(dtype):
    name = standardize_dtype(dtype)
    return {"bfloat16": np.float32, "uint16": np.int32, "uint32": np.int64}.get(name, name)


def convert_to_numpy(x):
    """Returns `x` as a numpy array (detached, on the CPU; bfloat16 becomes float32).

    Example:
    >>> import torch
    >>> convert_to_numpy(torch.ones(2))
    array([1., 1.], dtype=float32)
    """
    if isinstance(x, (list, tuple)):
        return np.array([convert_to_numpy(item) for item in x])
    value = getattr(x, "value", None)
    if isinstance(value, torch.Tensor) and hasattr(x, "assign"):
        x = value
    if isinstance(x, torch.Tensor):
        x = x.detach()
        if x.device.type != "cpu":
            x = x.cpu()
        if x.dtype == torch.bfloat16:
            x = x.float()
        return x.numpy()
    return np.asarray(x)


def cast(x, dtype):
    """Casts `x` to `dtype` (a tensor on the configured device).

    Example:
    >>> cast([1.7, -1.2], "int32")
    tensor([ 1, -1], dtype=torch.int32)
    """
    torch_dtype = to_torch_dtype(dtype)
    if isinstance(x, torch.Tensor):
        return x if x.dtype == torch_dtype else x.to(torch_dtype)
    return convert_to_tensor(x).to(torch_dtype)
