"""Sharding non-array data sources over ranks (arrays are cut by the trainer itself).

The rule everywhere: every rank must make the same number of steps per epoch (each step
all-reduces gradients), and together the ranks see each sample once per epoch.
"""

import torch

from kerastorch.trainer.data_adapters import conversions as data_lib
from kerastorch.utils.py_dataset import PyDataset


def distribute(source, batch_size, shuffle, rank, world_size):
    """This rank's share of `source`; see `DataParallel.distribute_dataset` for the rules."""
    if isinstance(source, torch.utils.data.DataLoader):
        return _distribute_loader(source, rank, world_size)
    if isinstance(source, PyDataset):
        return _ShardedPyDataset(source, rank, world_size)
    if isinstance(source, torch.utils.data.IterableDataset):
        return torch.utils.data.DataLoader(source, batch_size=_per_rank(batch_size, world_size, "batch_size"))
    if isinstance(source, torch.utils.data.Dataset):
        per_rank = _per_rank(batch_size, world_size, "batch_size")
        sampler = _sampler(source, rank, world_size, bool(shuffle))
        return _EpochLoader(source, batch_size=per_rank, sampler=sampler)
    if data_lib.inspect_generator(source):
        return _round_robin(source, rank, world_size)
    return source


def _per_rank(batch_size, world_size, where):
    if batch_size % world_size:
        raise ValueError(
            f"kerastorch.distribution: the global {where}={batch_size} must be divisible by the "
            f"number of processes ({world_size}): each rank takes {where} // {world_size} samples "
            f"per step. Use e.g. {where}={max(world_size, batch_size - batch_size % world_size)}."
        )
    return batch_size // world_size


def _sampler(dataset, rank, world_size, shuffle):
    # The seed is torch.initial_seed(), agreed on by all ranks when the group starts (and set
    # by set_random_seed), so that all ranks draw the same permutation.
    return torch.utils.data.DistributedSampler(dataset, num_replicas=world_size, rank=rank, shuffle=shuffle,
                                               seed=torch.initial_seed() % (2 ** 63), drop_last=False)


class _EpochLoader(torch.utils.data.DataLoader):
    """A DataLoader that calls `sampler.set_epoch(epoch)` each epoch, so each epoch reshuffles."""

    _kerastorch_epoch = 0

    def __iter__(self):
        sampler = self.sampler
        if isinstance(sampler, torch.utils.data.DistributedSampler):
            sampler.set_epoch(self._kerastorch_epoch)
        self._kerastorch_epoch += 1
        return super().__iter__()


def _distribute_loader(loader, rank, world_size):
    if isinstance(loader.sampler, torch.utils.data.DistributedSampler):
        return loader   # already sharded by the user
    if loader.batch_size is None:
        raise ValueError(
            "kerastorch.distribution cannot shard a DataLoader built with a batch_sampler (or "
            "batch_size=None): the global batch size is unknown. Pass the Dataset with fit(..., "
            "batch_size=...), or build the loader with a torch.utils.data.DistributedSampler yourself."
        )
    if isinstance(loader.dataset, torch.utils.data.IterableDataset):
        return loader   # it shards itself (documented)
    per_rank = _per_rank(loader.batch_size, world_size, "DataLoader batch_size")
    shuffle = isinstance(loader.sampler, torch.utils.data.RandomSampler)
    kwargs = dict(batch_size=per_rank, sampler=_sampler(loader.dataset, rank, world_size, shuffle),
                  num_workers=loader.num_workers, collate_fn=loader.collate_fn, pin_memory=loader.pin_memory,
                  drop_last=loader.drop_last, timeout=loader.timeout, worker_init_fn=loader.worker_init_fn,
                  multiprocessing_context=loader.multiprocessing_context,
                  persistent_workers=loader.persistent_workers)
    if loader.num_workers > 0:
        kwargs["prefetch_factor"] = loader.prefetch_factor
    return _EpochLoader(loader.dataset, **kwargs)


class _ShardedPyDataset(PyDataset):
    """Batch `i * world_size + rank` of the wrapped PyDataset, for `i` in full rounds."""

    def __init__(self, base, rank, world_size):
        super().__init__(workers=base.workers, use_multiprocessing=base.use_multiprocessing,
                         max_queue_size=base.max_queue_size)
        self.base, self.rank, self.world_size = base, rank, world_size

    def __len__(self):
        return len(self.base) // self.world_size   # raises TypeError for an infinite base, as it should

    def __getitem__(self, index):
        return self.base[index * self.world_size + self.rank]

    def on_epoch_end(self):
        self.base.on_epoch_end()


def _round_robin(iterator, rank, world_size):
    """Batch `i` of the generator for rank `i % world_size`; an incomplete last round is dropped."""
    while True:
        round_ = []
        for _ in range(world_size):
            try:
                round_.append(next(iterator))
            except StopIteration:
                return
        yield round_[rank]
