"""`kerastorch.utils.PyDataset` sources (Keras' PyDataset: `__getitem__` by batch index)."""

from kerastorch.trainer.data_adapters.iterable_adapter import IterableAdapter


class PyDatasetAdapter(IterableAdapter):
    """Batches of a `PyDataset` (its workers and shuffling), `on_epoch_end()` after each epoch."""

    def __init__(self, dataset, shuffle, device, keep_int_x, steps=None, class_weight=None, where="x"):
        super().__init__(lambda: dataset._epoch_iterator(shuffle=bool(shuffle)), dataset.num_batches, device,
                         keep_int_x, steps, class_weight, where, on_epoch_end=dataset.on_epoch_end)
