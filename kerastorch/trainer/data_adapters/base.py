"""The one interface the trainer reads data through.

A data adapter turns one kind of source into batches `(x, y, sample_weight)` of tensors on the
device, each of `x`, `y`, `sample_weight` a tensor, a structure of tensors (a list, tuple or
dict, for models with several inputs or outputs) or `None`. The trainer asks an adapter for:

- `first_batch()`: the first batch, looked at before training starts (to build the model from
  its shapes); it is delivered again as the first batch of the epoch, not drawn twice;
- `iter(adapter)`: the batches of one epoch (a fresh pass each time, where the source allows);
- `num_batches`: batches per epoch, or `None` while unknown (a generator's first epoch).
"""


class DataAdapter:
    """Base class of the data adapters: one per kind of source (arrays, DataLoader, Dataset,
    generator, PyDataset). See the module docstring for the interface."""

    num_batches = None
    exhausted = False      # a shared iterator (generator) that yielded nothing this epoch

    def first_batch(self):
        """The first batch `(x, y, sample_weight)`, converted and on the device."""
        raise NotImplementedError

    def __iter__(self):
        raise NotImplementedError

    def __len__(self):
        return self.num_batches or 0

    def on_epoch_begin(self, epoch):
        """Called by `fit` before each epoch (array data shuffles from the epoch number when sharded)."""
