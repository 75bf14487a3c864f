"""`text_dataset_from_directory`: a folder of `.txt` files to a torch `DataLoader` of `(texts, labels)`."""

import numpy as np
import torch

from kerastorch.utils import dataset_utils

_WHERE = "text_dataset_from_directory"


class TextFileDataset(torch.utils.data.Dataset):
    """Reads text files (UTF-8) on demand; a list of indices gives a whole batch.

    Args:
        file_paths: List of file paths.
        labels: Optional tensor of encoded labels, one row per file. Defaults to `None`.
        max_length: Optional number of characters each text is cut to. Defaults to `None`.

    Example:
    >>> len(TextFileDataset([]))
    0
    """

    def __init__(self, file_paths, labels=None, max_length=None):
        self.file_paths, self.labels, self.max_length = list(file_paths), labels, max_length

    def __len__(self):
        return len(self.file_paths)

    def read(self, index):
        """The text of file `index`, cut to `max_length` characters."""
        with open(self.file_paths[index], encoding="utf-8") as f:
            text = f.read()
        return text if self.max_length is None else text[:self.max_length]

    def __getitem__(self, index):
        if isinstance(index, (list, tuple)):
            texts = tuple(self.read(i) for i in index)
            return texts if self.labels is None else (texts, self.labels[list(index)])
        text = self.read(index)
        return text if self.labels is None else (text, self.labels[index])


def text_dataset_from_directory(directory, labels="inferred", label_mode="int", class_names=None, batch_size=32,
                                max_length=None, shuffle=True, seed=None, validation_split=None, subset=None,
                                follow_links=False, format="tf", verbose=True):
    """Makes a `DataLoader` of `(texts, labels)` batches from a folder of `.txt` files, as in Keras.

    With `labels="inferred"`, each subfolder of `directory` is a class (ids in the sorted
    order of the subfolder names, or the order of `class_names`). Texts come as a tuple of
    Python strings per batch (as Keras' Grain format gives them; Keras' `tf.data` format gives
    a string tensor); labels as torch tensors. The files are listed and shuffled exactly as
    Keras does (sorted, then `np.random.RandomState(seed)`), and split the same way for
    `validation_split`; `fit` takes the loader as it is.

    Args:
        directory: Folder of text files (one subfolder per class with `labels="inferred"`).
        labels: `"inferred"`, `None` (texts only), or a list/tuple of integer labels, one per
            `.txt` file in the sorted order of the paths. Defaults to `"inferred"`.
        label_mode: `"int"` (int32 ids), `"categorical"` (float32 one-hot), `"binary"`
            (float32 `(batch, 1)`, exactly 2 classes) or `None` (no labels). Defaults to `"int"`.
        class_names: With `labels="inferred"`, the subfolders to use, in class-id order.
            Defaults to `None` (all, sorted).
        batch_size: Texts per batch, or `None` for single texts. Defaults to `32`.
        max_length: Optional number of characters each text is cut to. Defaults to `None`.
        shuffle: Whether to shuffle (once when listing, then every epoch). Defaults to `True`;
            `False` keeps the sorted order.
        seed: Optional integer seed of the shuffles and the split.
        validation_split: Optional fraction in (0, 1) held out for validation (the tail).
        subset: With `validation_split`: `"training"`, `"validation"` or `"both"` (a pair).
        follow_links: Whether to follow symbolic links to folders. Defaults to `False`.
        format: `"tf"` or `"grain"`; both give a torch `DataLoader` here. Defaults to `"tf"`.
        verbose: Whether to print how many files and classes were found. Defaults to `True`.

    Returns:
        A `torch.utils.data.DataLoader` (a list of two for `subset="both"`), with the
        attribute `class_names`.

    Note:
        Keras shuffles again every epoch within a buffer of `8 * batch_size` files with
        TensorFlow's generator (Grain: a full shuffle); here that is the same kind of shuffle
        drawn with numpy, so shuffled batches hold other files than Keras'. `max_length` counts
        characters (Grain's rule); Keras' `tf.data` format counts bytes, the same for ASCII.

    Raises:
        ValueError: a missing folder, no `.txt` files, or arguments that do not fit together.

    Example:
    >>> import os, tempfile
    >>> root = tempfile.mkdtemp()
    >>> for label, text in [("neg", "bad"), ("pos", "good")]:
    ...     os.makedirs(os.path.join(root, label))
    ...     _ = open(os.path.join(root, label, "a.txt"), "w").write(text)
    >>> loader = text_dataset_from_directory(root, shuffle=False, verbose=False)
    >>> texts, labels = next(iter(loader))
    >>> texts, labels.tolist(), loader.class_names
    (('bad', 'good'), [0, 1], ['neg', 'pos'])
    """
    if labels not in ("inferred", None) and not isinstance(labels, (list, tuple)):
        raise ValueError(f"{_WHERE}: `labels` must be 'inferred', None or a list/tuple of integer labels (one "
                         f"per text file), got labels={labels!r}.")
    dataset_utils.choice(_WHERE, "label_mode", label_mode, ["int", "categorical", "binary", None])
    dataset_utils.check_format(_WHERE, format)
    dataset_utils.check_batch_size(_WHERE, batch_size)
    if max_length is not None and (isinstance(max_length, bool) or not isinstance(max_length, (int, np.integer))
                                   or max_length < 0):
        raise ValueError(f"{_WHERE}: `max_length` must be a non-negative integer or None, got {max_length!r}.")
    if labels is None or label_mode is None:
        labels = label_mode = None
    dataset_utils.check_validation_split(_WHERE, validation_split, subset, shuffle, seed)
    if seed is None:
        seed = np.random.randint(1e6)
    paths, ids, class_names = dataset_utils.index_directory(
        _WHERE, directory, labels, (".txt",), class_names=class_names, shuffle=shuffle, seed=seed,
        follow_links=follow_links, verbose=verbose)
    if label_mode == "binary" and len(class_names) != 2:
        raise ValueError(f"{_WHERE}: label_mode='binary' needs exactly 2 classes, got class_names={class_names}. "
                         f"Use label_mode='int' or 'categorical'.")
    num_classes = len(class_names) if class_names else 0
    buffer = None if format == "grain" else (8 * batch_size if batch_size is not None else 1024)

    def make(part_paths, part_ids, reshuffle, name):
        if not part_paths:
            raise ValueError(f"{_WHERE}: no {name}text files (.txt) found in directory {directory!r}.")
        encoded = None if label_mode is None else dataset_utils.encode_labels(part_ids, label_mode, num_classes)
        dataset = TextFileDataset(part_paths, encoded, max_length)
        sampler = (dataset_utils.ShuffleSampler(len(part_paths), buffer, seed) if reshuffle
                   else dataset_utils.ordered(len(part_paths)))
        loader = dataset_utils.batched_loader(dataset, batch_size, sampler)
        loader.class_names = class_names
        loader.file_paths = list(part_paths)
        return loader

    if subset == "both":
        train = dataset_utils.split_subset(paths, ids, validation_split, "training", verbose)
        val = dataset_utils.split_subset(paths, ids, validation_split, "validation", verbose)
        return [make(*train, shuffle, "training "), make(*val, False, "validation ")]
    part = dataset_utils.split_subset(paths, ids, validation_split, subset, verbose)
    return make(*part, shuffle, "")
