"""`torch.utils.data.DataLoader` and `Dataset` sources."""

import torch

from kerastorch.trainer.data_adapters.iterable_adapter import IterableAdapter


def _has_len(obj):
    try:
        len(obj)
        return True
    except TypeError:
        return False


class DataLoaderAdapter(IterableAdapter):
    """Batches of a `DataLoader`, a fresh pass each epoch (its own batch size and shuffling)."""

    def __init__(self, loader, device, keep_int_x, steps=None, class_weight=None, where="x"):
        num = len(loader) if _has_len(loader) else None
        super().__init__(lambda: iter(loader), num, device, keep_int_x, steps, class_weight, where)


class DatasetAdapter(DataLoaderAdapter):
    """A map-style or iterable `Dataset`, batched by `batch_size` (shuffled each epoch if asked,
    map-style only) through a `DataLoader`."""

    def __init__(self, dataset, batch_size, shuffle, device, keep_int_x, steps=None, class_weight=None,
                 where="x"):
        if isinstance(dataset, torch.utils.data.IterableDataset):
            loader = torch.utils.data.DataLoader(dataset, batch_size=batch_size)
        else:
            loader = torch.utils.data.DataLoader(dataset, batch_size=batch_size, shuffle=bool(shuffle))
        super().__init__(loader, device, keep_int_x, steps, class_weight, where)
