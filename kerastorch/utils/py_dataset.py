"""`PyDataset`: Keras' base class for Python data sources that produce whole batches."""

import concurrent.futures

import numpy as np
import torch


class PyDataset:
    """Base class for a data source that returns whole batches by index (Keras' `PyDataset`).

    Subclass it and implement `__len__` (the number of batches) and `__getitem__(index)`
    (the batch at that index: `x`, `(x, y)` or `(x, y, sample_weight)`). `fit` takes it
    directly as `x`; `shuffle=True` shuffles the order of the batches each epoch.
    `on_epoch_end()` is called after every epoch.

    Args:
        workers: Number of workers loading batches in parallel. Defaults to `1`.
        use_multiprocessing: Whether the workers are processes (through a torch
            `DataLoader`) instead of threads. Defaults to `False`.
        max_queue_size: Batches prepared ahead of use. Defaults to `10`.

    Example:
    >>> import numpy as np
    >>> class Squares(PyDataset):
    ...     def __len__(self):
    ...         return 3
    ...     def __getitem__(self, index):
    ...         x = np.full((4, 1), index, dtype="float32")
    ...         return x, x ** 2
    >>> len(Squares())
    3
    """

    def __init__(self, workers=1, use_multiprocessing=False, max_queue_size=10):
        if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
            raise ValueError(f"PyDataset: `workers` must be a positive integer, got workers={workers!r}.")
        self._workers = workers
        self._use_multiprocessing = bool(use_multiprocessing)
        self._max_queue_size = max(int(max_queue_size), 1)

    @property
    def workers(self):
        """Number of parallel workers."""
        return getattr(self, "_workers", 1)

    @property
    def use_multiprocessing(self):
        """Whether workers are processes."""
        return getattr(self, "_use_multiprocessing", False)

    @property
    def max_queue_size(self):
        """Batches prepared ahead of use."""
        return getattr(self, "_max_queue_size", 10)

    @property
    def num_batches(self):
        """Number of batches per epoch (`len(self)`), or `None` for an infinite dataset."""
        try:
            return len(self)
        except TypeError:
            return None

    def __getitem__(self, index):
        """Returns the batch at `index`. Implement in subclasses."""
        raise NotImplementedError(f"{type(self).__name__} must implement __getitem__(index).")

    def __len__(self):
        """Returns the number of batches. Implement in subclasses."""
        raise NotImplementedError(f"{type(self).__name__} must implement __len__().")

    def on_epoch_end(self):
        """Called at the end of every epoch; override to reshuffle or regenerate data."""

    def _epoch_iterator(self, shuffle=False):
        n = self.num_batches
        if n is None:
            index = 0
            while True:
                yield self[index]
                index += 1
        order = np.random.permutation(n) if shuffle else np.arange(n)
        if self.workers <= 1:
            for i in order:
                yield self[int(i)]
            return
        if self.use_multiprocessing:
            loader = torch.utils.data.DataLoader(_BatchIndex(self, order), batch_size=None,
                                                 num_workers=self.workers,
                                                 prefetch_factor=max(self.max_queue_size // self.workers, 1))
            yield from loader
            return
        # Threads: keep up to max_queue_size batches in flight, delivered in order.
        with concurrent.futures.ThreadPoolExecutor(self.workers) as pool:
            pending = []
            position = 0
            while position < len(order) or pending:
                while position < len(order) and len(pending) < self.max_queue_size:
                    pending.append(pool.submit(self.__getitem__, int(order[position])))
                    position += 1
                yield pending.pop(0).result()


class _BatchIndex(torch.utils.data.Dataset):
    """Presents a PyDataset's batches, in a given order, to a torch DataLoader."""

    def __init__(self, dataset, order):
        self.dataset = dataset
        self.order = order

    def __len__(self):
        return len(self.order)

    def __getitem__(self, i):
        return self.dataset[int(self.order[i])]
