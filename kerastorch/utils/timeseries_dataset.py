"""`timeseries_dataset_from_array`: sliding windows over an array, batched in a torch `DataLoader`."""

import numpy as np
import torch

from kerastorch.utils import dataset_utils

_WHERE = "timeseries_dataset_from_array"


def _as_array(x, name):
    if isinstance(x, torch.Tensor):
        return x.detach().cpu().numpy()
    array = np.asarray(x)
    if array.dtype == object:
        raise TypeError(f"{_WHERE}: `{name}` must be an array of numbers (axis 0 is time), got an object array "
                        f"from {type(x).__name__}.")
    return array


class _Windows(torch.utils.data.Dataset):
    """Window `i` of the start positions: `data[start + arange(length) * rate]` (and `targets[start]`)."""

    def __init__(self, data, targets, starts, sequence_length, sampling_rate):
        self.data, self.targets, self.starts = data, targets, starts
        self.offsets = np.arange(sequence_length) * sampling_rate

    def __len__(self):
        return len(self.starts)

    def __getitem__(self, index):
        starts = self.starts[index]   # an int, or a list of them for a whole batch
        x = torch.from_numpy(np.ascontiguousarray(self.data[np.add.outer(starts, self.offsets)]))
        if self.targets is None:
            return x
        return x, torch.from_numpy(np.ascontiguousarray(self.targets[starts]))


def timeseries_dataset_from_array(data, targets, sequence_length, sequence_stride=1, sampling_rate=1,
                                  batch_size=128, shuffle=False, seed=None, start_index=None, end_index=None,
                                  format="tf"):
    """Makes batches of sliding windows over a timeseries, as in Keras, in a torch `DataLoader`.

    Window `k` starts at step `start_index + p_k` with `p_k = k * sequence_stride`, and holds
    `data[start + j * sampling_rate]` for `j < sequence_length`; its target is
    `targets[start]`. Windows that would run past `end_index` are left out. `fit` takes the
    loader as it is. Batches are torch tensors with the dtypes of `data` and `targets`.

    Args:
        data: Array (numpy, torch or nested lists) of consecutive steps; axis 0 is time.
        targets: Targets per step (`targets[i]` belongs to the window starting at `i`), or
            `None` (batches are then windows only).
        sequence_length: Steps per window.
        sequence_stride: Steps between the starts of two windows. Defaults to `1`.
        sampling_rate: Steps between two elements of a window. Defaults to `1`.
        batch_size: Windows per batch, or `None` for single windows. Defaults to `128`.
        shuffle: Whether to shuffle the windows. Defaults to `False`.
        seed: Optional integer seed of the shuffle.
        start_index: Optional first step used (earlier steps are left out).
        end_index: Optional step before which data ends (exclusive).
        format: `"tf"` or `"grain"`, Keras' choice of dataset library; both give the same torch
            `DataLoader` here (with torch tensor batches, as Grain gives on Keras' torch backend).
            Defaults to `"tf"`.

    Returns:
        A `torch.utils.data.DataLoader` of `(windows, targets)` batches (or windows only):
        windows of shape `(batch, sequence_length, *data.shape[1:])`.

    Note:
        Unshuffled, batches equal Keras' exactly. Shuffled, the windows are first permuted by
        `np.random.RandomState(seed)` as in Keras; Keras then mixes them again within a window
        of `8 * batch_size` with TensorFlow's generator (Grain: a full shuffle), every epoch: here
        that second shuffle is the same kind of shuffle drawn with numpy, so the order differs.

    Raises:
        ValueError: indices or strides out of range, or an unknown `format`.

    Example:
    >>> import numpy as np
    >>> loader = timeseries_dataset_from_array(np.arange(10), np.arange(10) * 10, sequence_length=3,
    ...                                        batch_size=4)
    >>> x, y = next(iter(loader))
    >>> x.tolist(), y.tolist()
    ([[0, 1, 2], [1, 2, 3], [2, 3, 4], [3, 4, 5]], [0, 10, 20, 30])
    """
    data = _as_array(data, "data")
    targets = None if targets is None else _as_array(targets, "targets")
    n = len(data)
    if start_index:
        if start_index < 0 or start_index >= n:
            raise ValueError(f"{_WHERE}: `start_index` must be in [0, {n}) for data of length {n}, got "
                             f"start_index={start_index}.")
    if end_index:
        if start_index and end_index <= start_index:
            raise ValueError(f"{_WHERE}: `end_index` must be higher than `start_index`, got start_index="
                             f"{start_index} and end_index={end_index}.")
        if end_index >= n or end_index <= 0:
            raise ValueError(f"{_WHERE}: `end_index` must be in (0, {n}) for data of length {n}, got "
                             f"end_index={end_index}.")
    for name, value in (("sampling_rate", sampling_rate), ("sequence_stride", sequence_stride)):
        if value <= 0 or value >= n:
            raise ValueError(f"{_WHERE}: `{name}` must be in (0, {n}) for data of length {n}, got {name}={value}.")
    if isinstance(sequence_length, bool) or not isinstance(sequence_length, (int, np.integer)) or sequence_length < 1:
        raise ValueError(f"{_WHERE}: `sequence_length` must be a positive integer, got {sequence_length!r}.")
    dataset_utils.check_format(_WHERE, format)
    dataset_utils.check_batch_size(_WHERE, batch_size)

    start_index = start_index or 0
    end_index = n if end_index is None else end_index
    count = end_index - start_index - (sequence_length - 1) * sampling_rate
    if targets is not None:
        count = min(count, len(targets))
    starts = np.arange(0, max(count, 0), sequence_stride, dtype="int64")
    if shuffle:
        if seed is None:
            seed = np.random.randint(1e6)
        np.random.RandomState(seed).shuffle(starts)
    if targets is not None and len(starts) and start_index + int(starts.max()) >= len(targets):
        # Keras bounds the window count by len(targets) without the start_index offset, then fails
        # when it gathers; say so before any batch is drawn.
        raise ValueError(f"{_WHERE}: `targets` has {len(targets)} entries, but with start_index={start_index} "
                         f"the windows start at steps up to {start_index + int(starts.max())}; give one target "
                         f"per step of `data` (targets[i] for the window starting at step i).")
    window_data = data[start_index:end_index]
    window_targets = None if targets is None else targets[start_index:end_index]
    dataset = _Windows(window_data, window_targets, starts, sequence_length, sampling_rate)
    if not shuffle:
        sampler = dataset_utils.ordered(len(starts))
    else:
        # Keras' second shuffle: tf.data's buffer of 8 batches, or Grain's full shuffle
        buffer = None if format == "grain" else (8 * batch_size if batch_size else 1024)
        sampler = dataset_utils.ShuffleSampler(len(starts), buffer_size=buffer, seed=seed)
    return dataset_utils.batched_loader(dataset, batch_size, sampler)
