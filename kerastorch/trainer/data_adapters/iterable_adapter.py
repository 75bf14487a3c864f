"""The shared part of the adapters for sources that yield batches (loaders, generators, PyDatasets)."""

from kerastorch.trainer.data_adapters import conversions
from kerastorch.trainer.data_adapters.base import DataAdapter


class IterableAdapter(DataAdapter):
    """Batches drawn from a source of batches, converted and moved to the device.

    The first batch can be looked at before training (`first_batch()`), to build the model from
    its shape; it is then delivered first, not drawn twice.

    Args:
        source: A callable returning a fresh iterator for an epoch (loaders, PyDatasets), or a
            single iterator shared by all epochs (generators).
        num_batches: Batches per epoch, or `None` when unknown.
        device: The `torch.device` batches are delivered on.
        keep_int_x: Whether integer inputs keep an integer dtype.
        steps: Optional cap on batches per epoch.
        class_weight: Optional `{class: weight}` applied to each batch.
        where: Name of the argument, for error messages.
        on_epoch_end: Optional callable run when an epoch's batches are drawn.
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

    def _iterator(self):
        if self._pending_iter is not None:
            it, self._pending_iter = self._pending_iter, None
            return it
        return iter(self._source()) if self._shared is None else self._shared

    def _convert(self, batch):
        x, y, sw = conversions.unpack_batch(batch, self.where)
        x = conversions.structure_to_tensors(x, "x", keep_integers=self.keep_int_x)
        y = conversions.structure_to_tensors(y, "y")
        sw = conversions.structure_to_tensors(sw, "sample_weight", keep_integers=False)
        if self.class_weight is not None:
            sw = conversions.class_weight_to_sample_weight(y, self.class_weight, sw)
        non_blocking = self.device.type == "cuda"
        return tuple(conversions.move(t, self.device, non_blocking) for t in (x, y, sw))

    def first_batch(self):
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
