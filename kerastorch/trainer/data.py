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


def check_class_weight(class_weight, sample_weight):
    """Refuses what Keras refuses: a `class_weight` that is not a dict, or one with `sample_weight`."""
    if not isinstance(class_weight, dict):
        raise TypeError(f"`class_weight` must be a dict mapping class ids to weights, got {class_weight!r}.")
    if sample_weight is not None:
        raise ValueError(
            "You cannot `class_weight` and `sample_weight` at the same time (as in Keras): give one of "
            "them. To combine both, multiply them yourself: sample_weight * class_weight[class of y]."
        )


def class_weight_to_sample_weight(y, class_weight, sample_weight):
    """Per-sample weights from `class_weight` ({class id: weight}); refused together with `sample_weight`."""
    check_class_weight(class_weight, sample_weight)
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
    return table[ids.long().cpu()].to(ids.device)


class ArrayBatches:
    """Batches of in-memory tensors, cut by index on the device they live on.

    Args:
        tensors: Tuple `(x, y, sample_weight)`; `y` and `sample_weight` may be `None`.
        batch_size: Samples per batch (the last one may be smaller).
        shuffle: Whether to draw a new order of samples each epoch.
        device: The `torch.device` batches are delivered on.
        steps: Optional cap on batches per epoch.
    """

    def __init__(self, tensors, batch_size, shuffle, device, steps=None, shard=None):
        self.n = num_samples(tensors)
        # shard=(rank, world_size): each GLOBAL batch of `batch_size` samples is split into
        # world_size nearly equal parts and this process takes part `rank` (data parallelism).
        self.shard = shard
        self.epoch = 0
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
            return tuple(None if t is None else t.to(self.device, non_blocking=True) for t in tensors)
        return tuple(None if t is None else (t if t.is_pinned() else t.pin_memory()) for t in tensors)

    def __len__(self):
        return self.num_batches

    def __iter__(self):
        data = self._resident
        bs = self.batch_size
        if self.shuffle:
            if self.shard is not None:
                # Every rank draws the same order: a generator seeded from the epoch number
                # and the global torch seed (set_random_seed makes it reproducible).
                gen = torch.Generator().manual_seed(torch.initial_seed() + self.epoch)
                order = torch.randperm(self.n, generator=gen).to(data[0].device)
            else:
                order = torch.randperm(self.n, device=data[0].device)
        self.epoch += 1
        transfer = data[0].device != self.device

        def cut(i):
            start = i * bs
            if self.shard is not None:
                rank, world = self.shard
                idx = torch.arange(start, min(start + bs, self.n), device=data[0].device)
                if self.shuffle:
                    idx = order[idx]
                idx = torch.tensor_split(idx, world)[rank]
                batch = tuple(None if t is None else t.index_select(0, idx) for t in data)
            elif self.shuffle:
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


def inspect_generator(value):
    """Whether `value` is a Python generator or iterator (not an array or a string)."""
    import collections.abc
    import types

    return isinstance(value, (types.GeneratorType, collections.abc.Iterator)) and not isinstance(
        value, (np.ndarray, torch.Tensor, str, bytes))


def unpack_batch(batch, where):
    """Splits a batch from a loader or generator into (x, y, sample_weight)."""
    if isinstance(batch, dict):
        raise TypeError(
            f"{where}: batches must be x, (x, y) or (x, y, sample_weight); got a dict with keys "
            f"{sorted(batch)}. Sequential models take one input array per batch."
        )
    if isinstance(batch, (list, tuple)):
        if len(batch) == 1:
            return batch[0], None, None
        if len(batch) == 2:
            return batch[0], batch[1], None
        if len(batch) == 3:
            return batch[0], batch[1], batch[2]
        raise ValueError(
            f"{where}: batches must be x, (x, y) or (x, y, sample_weight), got a "
            f"{type(batch).__name__} of {len(batch)} elements."
        )
    return batch, None, None


class IterableBatches:
    """Batches from a DataLoader, a PyDataset, or a Python generator, moved to the device.

    The first batch can be looked at before training (`first()`), to build the model from its
    shape; it is then delivered first, not drawn twice.

    Args:
        source: A callable returning a fresh iterator for an epoch (loaders, PyDatasets), or a
            single iterator shared by all epochs (generators).
        num_batches: Batches per epoch, or `None` when unknown.
        device: The `torch.device` batches are delivered on.
        keep_int_x: Whether integer inputs keep an integer dtype.
        steps: Optional cap on batches per epoch.
        class_weight: Optional `{class: weight}` applied to each batch.
        where: Name of the argument, for error messages.
    """

    def __init__(self, source, num_batches, device, keep_int_x, steps=None, class_weight=None,
                 where="x", on_epoch_end=None):
        self._source = source
        self._shared = None if callable(source) else source
        self.num_batches = num_batches if steps is None else (
            int(steps) if num_batches is None else min(int(steps), num_batches))
        self.steps = None if steps is None else int(steps)
        self.device = device
        self.keep_int_x = keep_int_x
        self.class_weight = class_weight
        self.where = where
        self.n = None
        self._peeked = None
        self._pending_iter = None
        self._on_epoch_end = on_epoch_end
        self.exhausted = False

    def __len__(self):
        return self.num_batches if self.num_batches is not None else 0

    def _iterator(self):
        if self._pending_iter is not None:
            it, self._pending_iter = self._pending_iter, None
            return it
        return iter(self._source()) if self._shared is None else self._shared

    def _convert(self, batch):
        x, y, sw = unpack_batch(batch, self.where)
        x = to_tensor(x, "x", keep_integers=self.keep_int_x)
        y = to_tensor(y, "y")
        sw = to_tensor(sw, "sample_weight", keep_integers=False)
        if self.class_weight is not None:
            sw = class_weight_to_sample_weight(y, self.class_weight, sw)
        non_blocking = self.device.type == "cuda"
        return tuple(None if t is None else t.to(self.device, non_blocking=non_blocking) for t in (x, y, sw))

    def first(self):
        """The first batch (converted), drawn once and delivered again as the first of the epoch."""
        if self._peeked is None:
            it = self._iterator()
            try:
                raw = next(it)
            except StopIteration:
                raise ValueError(
                    f"The data passed as `{self.where}` is empty: it produced no batch. Pass a loader, "
                    "dataset or generator that yields at least one batch."
                ) from None
            self._peeked = self._convert(raw)
            self._pending_iter = it
        return self._peeked

    def __iter__(self):
        it = self._iterator()
        count = 0
        if self._peeked is not None:
            batch, self._peeked = self._peeked, None
            count = 1
            yield batch
        while self.steps is None or count < self.steps:
            try:
                raw = next(it)
            except StopIteration:
                if count == 0:
                    self.exhausted = True
                break
            count += 1
            yield self._convert(raw)
        if self.num_batches is None and count and self._shared is None:
            self.num_batches = count
        if self._on_epoch_end is not None:
            self._on_epoch_end()


def make_batches(x, y, sample_weight, batch_size, shuffle, device, steps, keep_int_x, where,
                 class_weight=None, model_name="model"):
    """Returns an `ArrayBatches` or `IterableBatches` for any input `fit`/`evaluate`/`predict` accept.

    Accepted: numpy arrays and torch tensors (with `y`), a `torch.utils.data.DataLoader` or
    `Dataset`, a `kerastorch.utils.PyDataset`, or a Python generator/iterator yielding
    `x`, `(x, y)` or `(x, y, sample_weight)` batches.
    """
    from kerastorch.utils.py_dataset import PyDataset

    source_kind = None
    if isinstance(x, torch.utils.data.DataLoader):
        source_kind = "DataLoader"
    elif isinstance(x, PyDataset):
        source_kind = "PyDataset"
    elif isinstance(x, torch.utils.data.Dataset):
        source_kind = "Dataset"
    elif inspect_generator(x):
        source_kind = "generator"
    if source_kind is None:
        return None
    for arg, value in (("y", y), ("sample_weight", sample_weight)):
        if value is not None:
            raise ValueError(
                f"`{arg}` cannot be passed separately when {where} is a {source_kind}: got {arg}="
                f"{describe(value)}. Let the {source_kind} yield (x, y) or (x, y, sample_weight) batches."
            )
    if source_kind == "DataLoader":
        loader = x
        num = len(loader) if hasattr(loader, "__len__") and _has_len(loader) else None
        return IterableBatches(lambda: iter(loader), num, device, keep_int_x, steps, class_weight, where)
    if source_kind == "Dataset":
        if isinstance(x, torch.utils.data.IterableDataset):
            loader = torch.utils.data.DataLoader(x, batch_size=batch_size)
        else:
            loader = torch.utils.data.DataLoader(x, batch_size=batch_size, shuffle=bool(shuffle))
        num = len(loader) if _has_len(loader) else None
        return IterableBatches(lambda: iter(loader), num, device, keep_int_x, steps, class_weight, where)
    if source_kind == "PyDataset":
        return IterableBatches(lambda: x._epoch_iterator(shuffle=bool(shuffle)), x.num_batches, device,
                               keep_int_x, steps, class_weight, where, on_epoch_end=x.on_epoch_end)
    return IterableBatches(x, None, device, keep_int_x, steps, class_weight, where)


def _has_len(obj):
    try:
        len(obj)
        return True
    except TypeError:
        return False
