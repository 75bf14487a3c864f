"""CIFAR-10 (50,000 + 10,000 32x32 colour images of 10 classes), through torchvision."""

import numpy as np
from kerastorch._lazy import LazyModule
torchvision = LazyModule("torchvision")

from kerastorch.datasets._cifar import load_cifar


def load_data():
    """Loads the CIFAR-10 dataset, as `keras.datasets.cifar10.load_data()` does.

    The "python version" batch files are read by `torchvision.datasets.CIFAR10` from
    `$KERASTORCH_HOME/datasets/cifar10/cifar-10-batches-py/` (downloaded on first use).
    Offline, unpack `cifar-10-python.tar.gz` (from https://www.cs.toronto.edu/~kriz/cifar.html)
    into `$KERASTORCH_HOME/datasets/cifar10/`.

    Labels: 0 airplane, 1 automobile, 2 bird, 3 cat, 4 deer, 5 dog, 6 frog, 7 horse, 8 ship, 9 truck.

    Returns:
        Tuple of numpy arrays `(x_train, y_train), (x_test, y_test)`: uint8 channels-last
        images of shape `(num_samples, 32, 32, 3)` and uint8 labels of shape `(num_samples, 1)`.

    Raises:
        OSError: The files are missing and cannot be downloaded; the message lists where to
            put which files.

    Example:
    >>> from kerastorch.datasets import cifar10
    >>> (x_train, y_train), (x_test, y_test) = cifar10.load_data()  # doctest: +SKIP
    >>> x_train.shape, y_train.shape                                 # doctest: +SKIP
    ((50000, 32, 32, 3), (50000, 1))
    """
    train, test = load_cifar("cifar10", torchvision.datasets.CIFAR10)
    # torchvision already stores (N, 32, 32, 3) uint8; labels are a list of ints.
    return ((train.data, np.asarray(train.targets, np.uint8).reshape(-1, 1)),
            (test.data, np.asarray(test.targets, np.uint8).reshape(-1, 1)))
