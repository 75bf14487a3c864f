"""CIFAR-100 (50,000 + 10,000 32x32 colour images, 100 fine / 20 coarse classes), through torchvision."""

import os

import numpy as np
from kerastorch._lazy import LazyModule
torchvision = LazyModule("torchvision")

from kerastorch.datasets._cifar import labels_from, load_cifar


def load_data(label_mode="fine"):
    """Loads the CIFAR-100 dataset, as `keras.datasets.cifar100.load_data()` does.

    The "python version" files are read by `torchvision.datasets.CIFAR100` from
    `$KERASTORCH_HOME/datasets/cifar100/cifar-100-python/` (downloaded on first use).
    Offline, unpack `cifar-100-python.tar.gz` (from https://www.cs.toronto.edu/~kriz/cifar.html)
    into `$KERASTORCH_HOME/datasets/cifar100/`.

    Args:
        label_mode: `"fine"` (100 classes) or `"coarse"` (20 superclasses). Defaults to `"fine"`.

    Returns:
        Tuple of numpy arrays `(x_train, y_train), (x_test, y_test)`: uint8 channels-last
        images of shape `(num_samples, 32, 32, 3)` and int64 labels of shape `(num_samples, 1)`
        (int64, as Keras' own loader returns them).

    Raises:
        ValueError: `label_mode` is neither `"fine"` nor `"coarse"`.
        OSError: The files are missing and cannot be downloaded.

    Example:
    >>> from kerastorch.datasets import cifar100
    >>> (x_train, y_train), _ = cifar100.load_data(label_mode="coarse")  # doctest: +SKIP
    >>> int(y_train.max())                                               # doctest: +SKIP
    19
    """
    if label_mode not in ("fine", "coarse"):
        raise ValueError(f'cifar100.load_data: `label_mode` must be "fine" or "coarse", '
                         f"got label_mode={label_mode!r}.")
    train, test = load_cifar("cifar100", torchvision.datasets.CIFAR100)
    out = []
    for split in (train, test):
        if label_mode == "fine":
            labels = np.asarray(split.targets, np.int64)
        else:
            # torchvision keeps only the fine labels; the coarse ones sit in the same pickles.
            files = [os.path.join(split.root, split.base_folder, f)
                     for f, _ in (split.train_list if split.train else split.test_list)]
            labels = labels_from(files, "coarse_labels").astype(np.int64)
        out.append((split.data, labels.reshape(-1, 1)))
    return tuple(out)
