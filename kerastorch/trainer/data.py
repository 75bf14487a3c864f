"""Turns what `fit`/`evaluate`/`predict` receive into batches of tensors on the device.

Array inputs (numpy arrays, torch tensors, lists) are converted to tensors once (no copy
when the dtype already fits) and cut into batches by index, not through a per-sample
`Dataset`. On CUDA, arrays that fit in a fraction of the free GPU memory are moved
there once; larger ones stay in pinned host memory and each batch is copied with
`non_blocking=True`, one batch ahead.
"""

import math

import numpy as np
import torch

from kerastorch import config

# Arrays up to this fraction of the free GPU memory are moved to the GPU whole.
_GPU_RESIDENT_FRACTION = 0.4


def describe(value):
    """A short description of an input for error messages: `ndarray of shape (60000, 784)`."""
    shape = getattr(value, "shape", None)
    if shape is not None:
        return f"{type(value).__name__} of shape {tuple(shape)}"
    return type(value).__name__


def to_tensor(value, arg, keep_integers=True):
    """Converts an array-like to a tensor without copying where the dtype already fits.

    Floating data becomes float32 (Keras' floatx); booleans become float32; integers stay
    int64 when `keep_integers` (labels, token ids), else become float32.

    Args:
        value: numpy array, torch tensor, list or scalar.
        arg: The argument name for error messages (`"x"`, `"y"`, ...).
        keep_integers: Whether integer data keeps an integer dtype.
    """
    if value is None:
        return None
    if isinstance(value, torch.Tensor):
        tensor = value.detach()
    else:
        try:
            array = np.asarray(value)
        except (ValueError, TypeError) as e:
            raise TypeError(
                f"`{arg}` must be a numpy array, a torch tensor or a list of numbers, got "
                f"{describe(value)} that cannot be converted: {e}"
            ) from None
        if array.dtype == object or array.dtype.kind in "USV":
            raise TypeError(
                f"`{arg}` must hold numbers, got an array of dtype {array.dtype} "
                f"(shape {array.shape}). Convert strings or ragged lists to a numeric array first."
            )
        if not array.flags.writeable or not array.flags.c_contiguous:
            array = np.ascontiguousarray(array).copy() if not array.flags.writeable else np.ascontiguousarray(array)
        tensor = torch.from_numpy(array)
    floatx = getattr(torch, config.floatx())
    if tensor.dtype == torch.bool:
        return tensor.to(floatx)
    if tensor.is_floating_point():
        return tensor if tensor.dtype == floatx else tensor.to(floatx)
    if tensor.is_complex():
        raise TypeError(f"`{arg}` holds complex numbers ({tensor.dtype}); kerastorch models take real data.")
    if keep_integers:
        return tensor if tensor.dtype == torch.int64 else tensor.to(torch.int64)
    return tensor.to(floatx)


def num_samples(tensors):
    return next(t.shape[0] for t in tensors if t is not None)


def check_lengths(x, y, sample_weight):
    """x, y and sample_weight must hold the same number of samples."""
    lengths = {"x": x.shape[0]}
    if y is not None:
        lengths["y"] = y.shape[0]
    if sample_weight is not None:
        lengths["sample_weight"] = sample_weight.shape[0]
    if len(set(lengths.values())) > 1:
        listed = ", ".join(f"{k} has {v}" for k, v in lengths.items())
        raise ValueError(
            f"Data cardinality is ambiguous: {listed} samples. Make sure all arrays contain the "
            "same number of samples (the first axis is the sample axis)."
        )
    if lengths["x"] == 0:
        raise ValueError("The data is empty: x holds 0 samples. Pass at least one sample.")


def split_validation(tensors, validation_split):
    """Keras' `validation_split`: the LAST fraction of the samples, taken before shuffling."""
    if not 0 < validation_split < 1:
        raise ValueError(f"`validation_split` must be a float in (0, 1), got {validation_split!r}.")
    n = num_samples(tensors)
    cut = int(math.floor(n * (1 - validation_split)))
    if cut == 0 or cut == n:
        raise ValueError(
            f"validation_split={validation_split} leaves {'no training' if cut == 0 else 'no validation'} "
            f"samples out of {n}. Use a split that keeps samples on both sides, or pass validation_data."
        )
    train = tuple(None if t is None else t[:cut] for t in tensors)
    val = tuple(None if t is None else t[cut:] for t in tensors)
    return train, val


def class_weight_to_sample_weight(y, class_weight, sample_weight):
    """Per-sample weights from `class_weight` ({class id: weight}), times `sample_weight` if given."""
    if not isinstance(class_weight, dict):
        raise TypeError(f"`class_weight` must be a dict mapping class ids to weights, got {class_weight!r}.")
    if y is None:
        raise ValueError("`class_weight` needs targets `y` to look the classes up in.")
    if y.dim() > 1 and y.shape[-1] > 1:
        ids = y.argmax(dim=-1)
    else:
        ids = (y.reshape(y.shape[0]) > 0.5).long() if y.is_floating_point() else y.reshape(y.shape[0])
        if y.is_floating_point() and y.dim() > 1:
            ids = ids.long()
    size = int(max(max(class_weight) + 1, int(ids.max()) + 1))
    table = torch.ones(size, dtype=torch.float32)
    for k, v in class_weight.items():
        table[int(k)] = float(v)
    weights = table[ids.long().cpu()].to(ids.device)
    return weights if sample_weight is None else sample_weight * weights


class ArrayBatches:
    """Batches of in-memory tensors, cut by index on the device they live on.

    Args:
        tensors: Tuple `(x, y, sample_weight)`; `y` and `sample_weight` may be `None`.
        batch_size: Samples per batch (the last one may be smaller).
        shuffle: Whether to draw a new order of samples each epoch.
        device: The `torch.device` batches are delivered on.
        steps: Optional cap on batches per epoch.
    """

    def __init__(self, tensors, batch_size, shuffle, device, steps=None):
        self.n = num_samples(tensors)
        self.batch_size = int(batch_size)
        self.shuffle = shuffle
        self.device = device
        self.num_batches = math.ceil(self.n / self.batch_size)
        if steps is not None:
            self.num_batches = min(self.num_batches, int(steps))
        self._resident = self._place(tensors)

    def _place(self, tensors):
        if self.device.type == "cpu":
            return tuple(None if t is None else t.cpu() for t in tensors)
        total = sum(t.numel() * t.element_size() for t in tensors if t is not None)
        free = torch.cuda.mem_get_info(self.device)[0] if self.device.type == "cuda" else 0
        if total <= _GPU_RESIDENT_FRACTION * free or self.device.type != "cuda":
            self.on_device = True
            return tuple(None if t is None else t.to(self.device, non_blocking=True) for t in tensors)
        self.on_device = False
        return tuple(None if t is None else (t if t.is_pinned() else t.pin_memory()) for t in tensors)

    def __len__(self):
        return self.num_batches

    def __iter__(self):
        data = self._resident
        bs = self.batch_size
        if self.shuffle:
            order = torch.randperm(self.n, device=data[0].device)
        transfer = data[0].device != self.device

        def cut(i):
            start = i * bs
            if self.shuffle:
                idx = order[start:start + bs]
                batch = tuple(None if t is None else t.index_select(0, idx) for t in data)
            else:
                batch = tuple(None if t is None else t[start:start + bs] for t in data)
            if transfer:
                batch = tuple(None if t is None else t.to(self.device, non_blocking=True) for t in batch)
            return batch

        if not transfer:
            for i in range(self.num_batches):
                yield cut(i)
            return
        # One batch ahead: the next copy overlaps this step's compute.
        upcoming = cut(0)
        for i in range(self.num_batches):
            current = upcoming
            if i + 1 < self.num_batches:
                upcoming = cut(i + 1)
            yield current
