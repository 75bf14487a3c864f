"""CIFAR-10/100 through `torchvision.datasets.CIFAR10`/`CIFAR100`."""

import os

import numpy as np
from kerastorch._lazy import LazyModule
torchvision = LazyModule("torchvision")

from kerastorch.datasets import _cache


def _exists_only(cls):
    """torchvision's class, checking that the batch files exist instead of their md5 on every load.

    torchvision hashes the whole archive's files each time a split is opened; the check that
    matters (the download's checksum) is still made when torchvision downloads.
    """
    class Reader(cls):
        def _check_integrity(self):
            return all(os.path.isfile(os.path.join(self.root, self.base_folder, f))
                       for f, _ in self.train_list + self.test_list)

        def _load_meta(self):
            # Class names are not needed for load_data(), and reading them would check md5s.
            self.classes, self.class_to_idx = [], {}

    Reader.__name__ = cls.__name__
    return Reader


def load_cifar(name, tv_class, fine_labels=True):
    root = _cache.cache_dir(name)
    folder = os.path.join(root, tv_class.base_folder)
    files = [f for f, _ in tv_class.train_list + tv_class.test_list] + [tv_class.meta["filename"]]
    reader = _exists_only(tv_class)
    try:
        train = reader(root, train=True, download=False)
    except RuntimeError:
        # "Dataset not found or corrupted": the batch files are not there.
        if _cache.offline():
            raise _cache.missing_error(name, folder, files, tv_class.url) from None
        try:
            tv_class(root, train=True, download=True)
        except Exception as e:
            raise _cache.missing_error(name, folder, files, tv_class.url, cause=e) from None
        train = reader(root, train=True, download=False)
    test = reader(root, train=False, download=False)
    return (train, test)


def labels_from(dataset_files, key):
    """Reads one label list (`"coarse_labels"`) from CIFAR-100 python pickles."""
    import pickle

    out = []
    for path in dataset_files:
        with open(path, "rb") as f:
            out.extend(pickle.load(f, encoding="latin1")[key])
    return np.asarray(out)
