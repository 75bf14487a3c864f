"""Keras' encoding ops: `one_hot`, `multi_hot`, and `polar` (complex numbers from magnitude
and angle).

Example:
>>> from kerastorch import ops
>>> ops.one_hot([0, 2], 3)
tensor([[1., 0., 0.],
        [0., 0., 1.]])
"""

import torch

from kerastorch import config
from kerastorch.backend.dtypes import standardize_dtype, to_torch_dtype
from kerastorch.ops._utils import keras_op, tensor

__all__ = ["multi_hot", "one_hot", "polar"]


def _check_sparse(name, sparse):
    if sparse:
        raise ValueError(
            f"ops.{name}: sparse=True is not supported on torch (Keras' torch backend has no sparse "
            "tensors either). Use sparse=False for a dense result."
        )


def _check_classes(name, num_classes):
    if isinstance(num_classes, bool) or not isinstance(num_classes, int) or num_classes < 1:
        raise ValueError(f"ops.{name}: `num_classes` must be a positive int, got "
                         f"num_classes={num_classes!r}.")


def _encode(name, ids, num_classes, axis, dtype):
    """Boolean one-hot of integer `ids` on `axis` of the result (ids outside [0, C) give zeros)."""
    ids = tensor(ids)
    if not -(ids.ndim + 1) <= axis <= ids.ndim:
        raise ValueError(f"ops.{name}: axis={axis!r} is out of range for the result of rank "
                         f"{ids.ndim + 1} (inputs of shape {tuple(ids.shape)}); use an axis in "
                         f"[{-(ids.ndim + 1)}, {ids.ndim}].")
    if ids.is_floating_point() or ids.dtype == torch.bool:
        ids = ids.to(torch.int64)            # Keras truncates float ids
    classes = torch.arange(num_classes, device=ids.device, dtype=ids.dtype)
    hot = ids.unsqueeze(-1) == classes
    return hot if axis == -1 else hot.movedim(-1, axis)


@keras_op
def one_hot(x, num_classes, axis=-1, dtype=None, sparse=False):
    """One-hot encodes integer class ids.

    Ids outside `[0, num_classes)` (negative ones, for instance) give all-zero vectors, as in
    Keras' JAX and TensorFlow backends (its torch backend raises for ids `>= num_classes`). A
    negative `axis` counts from the end of the result, as in JAX (Keras 3.15.1's torch backend
    misplaces the axes for negative values other than -1: `axis=-2` on a `(2, 3)` input gives
    shape `(4, 3, 2)` there, `(2, 4, 3)` here).

    Args:
        x: Integer tensor of class ids (float ids are truncated).
        num_classes: The number of classes, the length of the new axis.
        axis: Where the new axis goes in the result. Defaults to `-1` (last).
        dtype: The result dtype. Defaults to `None`, which means `kerastorch.config.floatx()`.
        sparse: Only `False`: torch tensors here are dense. Defaults to `False`.

    Returns:
        A tensor of shape `x.shape` with a `num_classes` axis inserted at `axis`.

    Example:
    >>> one_hot([1, -1], 3, dtype="int32")
    tensor([[0, 1, 0],
            [0, 0, 0]], dtype=torch.int32)
    """
    _check_sparse("one_hot", sparse)
    _check_classes("one_hot", num_classes)
    dtype = to_torch_dtype(standardize_dtype(dtype))
    return _encode("one_hot", x, num_classes, axis, dtype).to(dtype)


@keras_op
def multi_hot(inputs, num_classes=None, axis=-1, dtype=None, sparse=False, **kwargs):
    """Multi-hot encodes integer ids: 1 for each class present, 0 elsewhere.

    As in Keras, the one-hot encodings (with the new axis at `axis`) are combined by a maximum
    over axis 1 for inputs of rank 2 or more (a batch of id lists gives one vector per row), and
    over axis 0 for 1-D inputs.

    Args:
        inputs: Integer tensor of class ids.
        num_classes: The number of classes.
        axis: Where the class axis goes before the reduction. Defaults to `-1`.
        dtype: The result dtype. Defaults to `None`, which means `kerastorch.config.floatx()`.
        sparse: Only `False`: torch tensors here are dense. Defaults to `False`.
        **kwargs: Only `num_tokens`, Keras' former name of `num_classes`.

    Returns:
        The multi-hot tensor, `(batch, num_classes)` for `(batch, ids)` inputs.

    Example:
    >>> multi_hot([[0, 2], [1, 1]], 3)
    tensor([[1., 0., 1.],
            [0., 1., 0.]])
    """
    if num_classes is None and "num_tokens" in kwargs:
        num_classes = kwargs.pop("num_tokens")
    if kwargs:
        raise TypeError(f"ops.multi_hot got unexpected keyword arguments {sorted(kwargs)}; it takes "
                        "num_classes (or its former name num_tokens), axis, dtype and sparse.")
    if num_classes is None:
        raise ValueError("ops.multi_hot: `num_classes` must be given (the number of classes).")
    _check_sparse("multi_hot", sparse)
    _check_classes("multi_hot", num_classes)
    dtype = to_torch_dtype(standardize_dtype(dtype))
    x = tensor(inputs)
    if x.dtype != torch.int32:
        x = x.to(torch.int32)                # Keras casts the ids to int32 (floats truncate)
    hot = _encode("multi_hot", x, num_classes, axis, dtype)
    return hot.any(dim=1 if x.ndim > 1 else 0).to(dtype)


@keras_op
def polar(abs_, angle):
    """The complex numbers `abs_ * (cos(angle) + i * sin(angle))`.

    Args:
        abs_: The magnitudes.
        angle: The angles, in radians, broadcastable with `abs_`.

    Returns:
        A complex tensor: complex64 from float32 (or integer) inputs, complex128 from float64.

    Example:
    >>> polar([2.0], [0.0])
    tensor([2.+0.j])
    """
    magnitude, angle = tensor(abs_), tensor(angle)
    if not angle.is_floating_point():
        angle = angle.to(to_torch_dtype(config.floatx()))
    return torch.complex(magnitude * torch.cos(angle), magnitude * torch.sin(angle))
