"""In-memory data: numpy arrays and torch tensors, one or in lists/tuples/dicts (several inputs/outputs).

Arrays are converted to tensors once (no copy when the dtype already fits) and cut into batches
by index, not through a per-sample `Dataset`. On CUDA, arrays that fit in a fraction of the free
GPU memory are moved there once; larger ones stay in pinned host memory and each batch is copied
with `non_blocking=True`, one batch ahead.
"""

import math

import torch

from kerastorch.ops import _tree as tree
from kerastorch.trainer.data_adapters import conversions
from kerastorch.trainer.data_adapters.base import DataAdapter

# Arrays up to this fraction of the free GPU memory are moved to the GPU whole.
_GPU_RESIDENT_FRACTION = 0.4
# Shuffled data up to this size is permuted once per epoch (one gather per array, then each batch
# is a slice): fewer, larger copies than one gather per batch and array, while the copy stays in
# the CPU's caches. Larger data is gathered batch by batch: a permuted copy of it would go out to
# memory and come back at every batch (measured: 784-feature MLP data of 50 and 190 MB trained
# 1.15-1.3x slower that way than with per-batch gathers), and an epoch does not hold a second copy.
_PERMUTE_PER_EPOCH_BYTES = 8 * 2 ** 20


def split_validation(data, validation_split):
    """Keras' `validation_split`: the LAST fraction of the samples, taken before shuffling.

    Args:
        data: `(x, y, sample_weight)` of converted tensors or structures of tensors.
        validation_split: Fraction in (0, 1).

    Returns:
        `(train_data, validation_data)`, each `(x, y, sample_weight)`.
    """
    if not 0 < validation_split < 1:
        raise ValueError(f"`validation_split` must be a float in (0, 1), got {validation_split!r}.")
    n = conversions.num_samples(data[0])
    cut = int(math.floor(n * (1 - validation_split)))
    if cut == 0 or cut == n:
        raise ValueError(
            f"validation_split={validation_split} leaves {'no training' if cut == 0 else 'no validation'} "
            f"samples out of {n}. Use a split that keeps samples on both sides, or pass validation_data."
        )

    def part(value, sl):
        if value is None:
            return None
        if isinstance(value, torch.Tensor):
            return value[sl]
        return tree.map_structure(lambda t: None if t is None else t[sl], value)

    train = tuple(part(v, slice(None, cut)) for v in data)
    val = tuple(part(v, slice(cut, None)) for v in data)
    return train, val


class ArrayDataAdapter(DataAdapter):
    """Batches of in-memory tensors, cut by index on the device they live on.

    Args:
        data: `(x, y, sample_weight)`, each a tensor, a structure of tensors, or `None`.
        batch_size: Samples per batch (the last one may be smaller).
        shuffle: Whether to draw a new order of samples each epoch.
        device: The `torch.device` batches are delivered on.
        steps: Optional cap on batches per epoch.
        shard: Optional `(rank, world_size)`: each global batch of `batch_size` samples is split
            into `world_size` nearly equal parts and this process takes part `rank`.
    """

    def __init__(self, data, batch_size, shuffle, device, steps=None, shard=None):
        self.data = data
        self.n = conversions.num_samples(data[0])
        self.shard = shard
        self.epoch = 0
        self.batch_size = int(batch_size)
        self.shuffle = shuffle
        self.device = device
        self.num_batches = math.ceil(self.n / self.batch_size)
        if steps is not None:
            self.num_batches = min(self.num_batches, int(steps))
        # One flat list of tensors; batches are cut from it and packed back into (x, y, sw).
        self._simple = all(v is None or isinstance(v, torch.Tensor) for v in data)
        self._template = tuple(data)
        flat = list(data) if self._simple else tree.flatten(self._template)
        self._packer = None if self._simple else _packer(self._template)
        self._resident = self._place(flat)
        self._nbytes = sum(t.numel() * t.element_size() for t in self._resident if t is not None)

    @property
    def targets(self):
        """All of `y` (for checks before the first step), or `None`."""
        return self.data[1]

    def _place(self, tensors):
        if self.device.type == "cpu":
            return [None if t is None else t.cpu() for t in tensors]
        total = sum(t.numel() * t.element_size() for t in tensors if t is not None)
        free = torch.cuda.mem_get_info(self.device)[0] if self.device.type == "cuda" else 0
        if total <= _GPU_RESIDENT_FRACTION * free or self.device.type != "cuda":
            return [None if t is None else t.to(self.device, non_blocking=True) for t in tensors]
        return [None if t is None else (t if t.is_pinned() else t.pin_memory()) for t in tensors]

    def on_epoch_begin(self, epoch):
        self.epoch = epoch     # the shared shuffle of data parallelism follows the epoch

    def first_batch(self):
        return next(iter(self._batches(shuffle=False, advance=False)))

    def __iter__(self):
        return self._batches(self.shuffle, advance=True)

    def _pack(self, flat):
        if self._simple:
            return tuple(flat)
        return self._packer(flat)

    def _batches(self, shuffle, advance):
        data = self._resident
        first = next(t for t in data if t is not None)
        bs = self.batch_size
        if shuffle:
            if self.shard is not None:
                # Every rank draws the same order: a generator seeded from the epoch number
                # and the global torch seed (set_random_seed makes it reproducible).
                gen = torch.Generator().manual_seed(torch.initial_seed() + self.epoch)
                order = torch.randperm(self.n, generator=gen).to(first.device)
            else:
                order = torch.randperm(self.n, device=first.device)
        if advance:
            self.epoch += 1
        transfer = first.device != self.device
        if shuffle and self.shard is None and self._nbytes <= _PERMUTE_PER_EPOCH_BYTES:
            data = [None if t is None else t.index_select(0, order) for t in data]
            shuffle = False      # the epoch's order is in the copy: batches are slices of it

        def cut(i):
            start = i * bs
            if self.shard is not None:
                rank, world = self.shard
                idx = torch.arange(start, min(start + bs, self.n), device=first.device)
                if shuffle:
                    idx = order[idx]
                idx = torch.tensor_split(idx, world)[rank]
                batch = [None if t is None else t.index_select(0, idx) for t in data]
            elif shuffle:
                idx = order[start:start + bs]
                batch = [None if t is None else t.index_select(0, idx) for t in data]
            else:
                batch = [None if t is None else t[start:start + bs] for t in data]
            if transfer:
                batch = [None if t is None else t.to(self.device, non_blocking=True) for t in batch]
            return self._pack(batch)

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


def _packer(template):
    """A function rebuilding `(x, y, sample_weight)` from the flat list of a batch's tensors.

    Flat lists, tuples and dicts of tensors (the usual inputs of a model with several inputs or
    outputs) are rebuilt directly; deeper structures through `tree.pack_sequence_as`.
    """
    parts = []
    for value in template:
        if value is None or isinstance(value, torch.Tensor):
            parts.append(("leaf", 1, None))
        elif isinstance(value, (list, tuple)) and not hasattr(value, "_fields") and all(
                isinstance(v, torch.Tensor) for v in value):
            parts.append(("seq", len(value), type(value)))
        elif isinstance(value, dict) and all(isinstance(v, torch.Tensor) for v in value.values()):
            keys = sorted(value)          # tree.flatten's order
            order = list(value)
            parts.append(("dict", len(value), (keys, order)))
        else:
            return lambda flat: tuple(tree.pack_sequence_as(template, flat))

    def pack(flat):
        out, i = [], 0
        for kind, n, extra in parts:
            if kind == "leaf":
                out.append(flat[i])
            elif kind == "seq":
                out.append(extra(flat[i:i + n]))
            else:
                keys, order = extra
                by_key = dict(zip(keys, flat[i:i + n]))
                out.append({k: by_key[k] for k in order})
            i += n
        return tuple(out)
    return pack
