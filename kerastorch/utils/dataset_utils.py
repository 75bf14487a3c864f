"""`split_dataset`, and the pieces the `*_dataset_from_directory` builders share.

Keras builds these datasets with `tf.data` (or Grain); here they are torch `DataLoader`s over
map-style datasets that return whole batches, so `fit` takes them as they are.
"""

import difflib
import os

import numpy as np
import torch


# --------------------------------------------------------------------------- shuffling
class ShuffleSampler(torch.utils.data.Sampler):
    """Indices `0..n-1` in a new shuffled order every epoch, seeded: `tf.data`'s buffered shuffle.

    With `buffer_size`, an element is drawn at random from a window of the next `buffer_size`
    ones, as `tf.data.Dataset.shuffle(buffer_size)` does (so order is only mixed locally, on
    top of the global shuffle done beforehand); `buffer_size=None` shuffles fully.
    The draws use numpy, not TensorFlow's generator: the same kind of order, not the same one.

    Args:
        n: Number of elements.
        buffer_size: Shuffle window, or `None` for a full shuffle. Defaults to `None`.
        seed: Optional integer seed; epoch `e` uses `seed + e`. Defaults to `None` (random).

    Example:
    >>> sorted(ShuffleSampler(5, buffer_size=2, seed=1))
    [0, 1, 2, 3, 4]
    """

    def __init__(self, n, buffer_size=None, seed=None):
        self.n, self.buffer_size = int(n), buffer_size
        self.seed = int(np.random.randint(1e6)) if seed is None else int(seed)
        self.epoch = 0

    def __len__(self):
        return self.n

    def __iter__(self):
        rng = np.random.RandomState((self.seed + self.epoch) % (2 ** 32))
        self.epoch += 1
        if self.buffer_size is None or self.buffer_size >= self.n:
            yield from rng.permutation(self.n).tolist()
            return
        buffer = list(range(min(self.buffer_size, self.n)))
        upcoming = len(buffer)
        while buffer:
            i = int(rng.randint(len(buffer)))
            yield buffer[i]
            if upcoming < self.n:
                buffer[i] = upcoming
                upcoming += 1
            else:
                buffer[i] = buffer[-1]
                buffer.pop()


class _Ordered(torch.utils.data.Sampler):
    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n

    def __iter__(self):
        return iter(range(self.n))


def _as_is(batch):
    return batch


def batched_loader(dataset, batch_size, sampler):
    """A `DataLoader` whose dataset is indexed with a list of indices per batch (one gather per batch).

    Batches come out exactly as the dataset builds them (no conversion of tuples to lists).
    """
    if batch_size is not None:
        sampler = torch.utils.data.BatchSampler(sampler, int(batch_size), drop_last=False)
    return torch.utils.data.DataLoader(dataset, batch_size=None, sampler=sampler, collate_fn=_as_is)


def ordered(n):
    """A sampler of `0..n-1` in order."""
    return _Ordered(n)


def check_format(where, format):
    if format not in ("tf", "grain"):
        raise ValueError(f"{where}: `format` must be 'tf' or 'grain' (both give a torch DataLoader here), "
                         f"got format={format!r}.")


def check_batch_size(where, batch_size):
    if batch_size is not None and (isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer))
                                   or batch_size < 1):
        raise ValueError(f"{where}: `batch_size` must be a positive integer or None (single samples), "
                         f"got batch_size={batch_size!r}.")


def choice(where, name, value, options):
    if value not in options:
        close = difflib.get_close_matches(str(value), [str(o) for o in options], n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise ValueError(f"{where}: `{name}` must be one of {', '.join(repr(o) for o in options)}, "
                         f"got {name}={value!r}.{hint}")


# --------------------------------------------------------------------------- folders
def check_validation_split(where, validation_split, subset, shuffle, seed):
    if validation_split and not 0 < validation_split < 1:
        raise ValueError(f"{where}: `validation_split` must be in (0, 1), got validation_split={validation_split!r}.")
    if bool(validation_split) != bool(subset):
        raise ValueError(f"{where}: `subset` and `validation_split` go together; got validation_split="
                         f"{validation_split!r} and subset={subset!r}.")
    if subset is not None:
        choice(where, "subset", subset, ["training", "validation", "both"])
    if validation_split and shuffle and seed is None:
        raise ValueError(f"{where}: with validation_split and shuffle=True, pass a `seed`, so the training "
                         f"and validation subsets come from the same shuffle and do not overlap.")


def _valid_files(directory, follow_links, formats):
    """Files under `directory` ending in `formats`, Keras' order: folders by path, files by name."""
    for root, _, files in sorted(os.walk(directory, followlinks=follow_links), key=lambda w: w[0]):
        for name in sorted(files):
            if name.lower().endswith(formats):
                yield os.path.join(root, name)


def index_directory(where, directory, labels, formats, class_names=None, shuffle=True, seed=None,
                    follow_links=False, verbose=True):
    """Lists the files of `directory` with their labels, in Keras' order and shuffle.

    Returns:
        `(file_paths, labels, class_names)`: labels an int32 array (or `None`).
    """
    if not os.path.isdir(directory):
        raise ValueError(f"{where}: directory={directory!r} is not a folder. Pass the folder whose "
                         f"subfolders hold the files of each class.")
    if labels == "inferred":
        subdirs = [d for d in sorted(os.listdir(directory))
                   if os.path.isdir(os.path.join(directory, d)) and not d.startswith(".")]
        if class_names is not None:
            missing = [c for c in class_names if c not in subdirs]
            if missing:
                raise ValueError(f"{where}: class_names {missing} have no subfolder in {directory!r}; "
                                 f"subfolders found: {subdirs}.")
            subdirs = list(class_names)
    else:
        if class_names is not None:
            raise ValueError(f"{where}: `class_names` only applies with labels='inferred', got labels="
                             f"{labels if labels is None else 'a list'!r}.")
        subdirs = [""]
    paths, ids = [], []
    for class_id, sub in enumerate(subdirs):
        found = list(_valid_files(os.path.join(directory, sub), follow_links, formats))
        paths += found
        ids += [class_id] * len(found)
    if labels == "inferred":
        labels, class_names = np.asarray(ids, dtype="int32"), list(subdirs)
    elif labels is None:
        class_names = None
    else:
        if len(labels) != len(paths):
            raise ValueError(f"{where}: got {len(labels)} labels but found {len(paths)} files in {directory!r}; "
                             f"give one label per file, in the sorted order of the file paths.")
        class_names = [str(label) for label in sorted(set(labels))]
        labels = np.asarray(labels)
    if verbose:
        print(f"Found {len(paths)} files." if labels is None else
              f"Found {len(paths)} files belonging to {len(class_names)} classes.")
    if shuffle:
        if seed is None:
            seed = np.random.randint(1e6)
        order = np.arange(len(paths))
        np.random.RandomState(seed).shuffle(order)   # the same permutation Keras applies to paths and labels
        paths = [paths[i] for i in order]
        if labels is not None:
            labels = labels[order]
    return paths, labels, class_names


def split_subset(paths, labels, validation_split, subset, verbose=True):
    """The training (head) or validation (tail) part of `paths`/`labels`, as Keras splits them."""
    if not validation_split:
        return paths, labels
    n_val = int(validation_split * len(paths))
    if subset == "training":
        if verbose:
            print(f"Using {len(paths) - n_val} files for training.")
        cut = slice(0, len(paths) - n_val)
    else:
        if verbose:
            print(f"Using {n_val} files for validation.")
        cut = slice(len(paths) - n_val, len(paths))
    return paths[cut], None if labels is None else labels[cut]


def encode_labels(labels, label_mode, num_classes):
    """Keras' label tensors: int32 ids, float32 `(n, 1)` binary, or float32 one-hot."""
    ids = torch.as_tensor(np.asarray(labels, dtype="int64"))
    if label_mode == "binary":
        return ids.to(torch.float32).unsqueeze(-1)
    if label_mode == "categorical":
        return torch.nn.functional.one_hot(ids, num_classes).to(torch.float32)
    return ids.to(torch.int32)


# --------------------------------------------------------------------------- split_dataset
def _split_sizes(left_size, right_size, total):
    for name, size in (("left_size", left_size), ("right_size", right_size)):
        if size is not None and type(size) not in (int, float):
            raise TypeError(f"split_dataset: `{name}` must be an int (a count), a float (a fraction) or None, "
                            f"got {type(size).__name__} {size!r}.")
        if type(size) is int and not 0 < size < total or type(size) is float and not 0 < size < 1:
            raise ValueError(f"split_dataset: `{name}` must be a count in (0, {total}) or a fraction in (0, 1), "
                             f"got {name}={size!r} for a dataset of {total} samples.")
    if left_size is None and right_size is None:
        raise ValueError("split_dataset: pass `left_size` or `right_size` (or both).")
    if type(left_size) is float and type(right_size) is float and left_size + right_size > 1:
        raise ValueError(f"split_dataset: left_size + right_size = {left_size + right_size} is more than 1.")
    left = round(left_size * total) if type(left_size) is float else left_size
    right = round(right_size * total) if type(right_size) is float else right_size
    left = total - right if left is None else left
    right = total - left if right is None else right
    if left + right > total:
        raise ValueError(f"split_dataset: left_size + right_size = {left + right} samples, more than the "
                         f"{total} the dataset holds.")
    for side, size in (("left", left), ("right", right)):
        if size == 0:
            raise ValueError(f"split_dataset: with {total} samples, left_size={left_size!r} and right_size="
                             f"{right_size!r}, the {side} part would be empty. Adjust the sizes.")
    return int(left), int(right)


def _as_tensor(x, where):
    if isinstance(x, torch.Tensor):
        return x
    if isinstance(x, np.ndarray):
        return torch.from_numpy(x)
    raise TypeError(f"split_dataset: every array of `dataset` must be a numpy array or torch tensor, got "
                    f"{type(x).__name__} at {where}.")


def split_dataset(dataset, left_size=None, right_size=None, shuffle=False, seed=None, preferred_backend=None):
    """Splits a dataset into a left part and a right part (e.g. train and test).

    Arrays become a `torch.utils.data.TensorDataset` (samples are tuples of tensors), as
    Keras does on its torch backend; the parts are `torch.utils.data.Subset`s, which `fit`
    takes (with `batch_size`) or which a `DataLoader` batches.

    With `shuffle=True`, the parts are drawn with `torch.randperm(n, generator)` seeded with
    `seed`, exactly as Keras' torch backend does (`torch.utils.data.random_split`), so the
    same seed gives the same parts. With `shuffle=False`, the left part is the first
    `left_size` samples and the right part the last `right_size`, as Keras documents (Keras'
    torch backend draws a random split even then).

    Args:
        dataset: A `torch.utils.data.Dataset`, a numpy array, or a list/tuple of arrays
            (numpy or torch) of the same length.
        left_size: Int (number of samples) or float in (0, 1) (fraction) for the left part.
            Defaults to `None`: what `right_size` leaves.
        right_size: Int or float for the right part. Defaults to `None`: what
            `left_size` leaves.
        shuffle: Whether to shuffle before splitting. Defaults to `False`.
        seed: Optional integer seed of the shuffle.
        preferred_backend: `None` or `"torch"`: the parts are torch datasets.
            `"tensorflow"` (tf.data parts) is refused. Defaults to `None`.

    Returns:
        A tuple `(left, right)` of `torch.utils.data.Subset`s.

    Raises:
        TypeError: an unsupported kind of dataset or size.
        ValueError: sizes that do not fit the dataset.

    Example:
    >>> import numpy as np
    >>> left, right = split_dataset(np.arange(10), left_size=0.8)
    >>> len(left), len(right), int(right[0][0])
    (8, 2, 8)
    """
    if preferred_backend not in (None, "torch"):
        if preferred_backend in ("tensorflow", "tf", "jax", "numpy"):
            raise NotImplementedError(f"split_dataset: preferred_backend={preferred_backend!r} would build "
                                      f"{'tf.data datasets' if preferred_backend in ('tensorflow', 'tf') else 'that backend’s datasets'}, "
                                      f"which kerastorch does not create; leave it None to get torch datasets.")
        choice("split_dataset", "preferred_backend", preferred_backend, [None, "torch"])
    if isinstance(dataset, torch.utils.data.Dataset):
        data = dataset
    elif isinstance(dataset, np.ndarray):
        data = torch.utils.data.TensorDataset(torch.from_numpy(dataset))
    elif isinstance(dataset, (list, tuple)):
        if not dataset:
            raise ValueError("split_dataset: `dataset` is an empty list; pass arrays of the same length.")
        tensors = [_as_tensor(x, f"index {i}") for i, x in enumerate(dataset)]
        lengths = {len(t) for t in tensors}
        if len(lengths) > 1:
            raise ValueError(f"split_dataset: the arrays of `dataset` have different lengths "
                             f"{[len(t) for t in tensors]}; they must have one sample each per index.")
        data = torch.utils.data.TensorDataset(*tensors)
    else:
        raise TypeError(f"split_dataset: `dataset` must be a torch Dataset, a numpy array or a list/tuple of "
                        f"arrays, got {type(dataset).__name__}. (A DataLoader: split its `.dataset`.)")
    total = len(data)
    left, right = _split_sizes(left_size, right_size, total)
    if shuffle:
        generator = torch.Generator()
        if seed is None:
            generator.seed()
        else:
            generator.manual_seed(int(seed))
        order = torch.randperm(total, generator=generator).tolist()
        # random_split's order: the left part first, then the right one right after it
        left_idx, right_idx = order[:left], order[left:left + right]
    else:
        left_idx, right_idx = list(range(left)), list(range(total - right, total))
    return torch.utils.data.Subset(data, left_idx), torch.utils.data.Subset(data, right_idx)
