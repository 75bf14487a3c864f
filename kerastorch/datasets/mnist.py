"""MNIST handwritten digits (60,000 + 10,000 28x28 grayscale images), through torchvision."""

import os

import numpy as np
from kerastorch._lazy import LazyModule
torchvision = LazyModule("torchvision")

from kerastorch.datasets import _cache
from kerastorch.datasets._idx import load_idx_dataset


def load_data(path="mnist.npz"):
    """Loads the MNIST dataset, as `keras.datasets.mnist.load_data()` does.

    The files are read by `torchvision.datasets.MNIST` from
    `$KERASTORCH_HOME/datasets/mnist/MNIST/raw/` (downloaded there on first use). Offline,
    put the four published files `train-images-idx3-ubyte.gz`, `train-labels-idx1-ubyte.gz`,
    `t10k-images-idx3-ubyte.gz`, `t10k-labels-idx1-ubyte.gz` in that folder. A Keras
    `mnist.npz` (arrays `x_train, y_train, x_test, y_test`) placed at
    `$KERASTORCH_HOME/datasets/<path>` is used instead when present.

    Args:
        path: Name of a Keras-format `.npz` file in the cache to prefer. Defaults to `"mnist.npz"`.

    Returns:
        Tuple of numpy arrays `(x_train, y_train), (x_test, y_test)`: uint8 images of shape
        `(num_samples, 28, 28)` with values 0..255, and uint8 labels 0..9 of shape `(num_samples,)`.

    Raises:
        OSError: The files are missing and cannot be downloaded; the message lists where to
            put which files.

    Example:
    >>> from kerastorch.datasets import mnist
    >>> (x_train, y_train), (x_test, y_test) = mnist.load_data()  # doctest: +SKIP
    >>> x_train.shape, x_train.dtype                              # doctest: +SKIP
    ((60000, 28, 28), dtype('uint8'))
    """
    npz = os.path.join(os.path.dirname(_cache.cache_dir("mnist")), path)
    if os.path.isfile(npz):
        with np.load(npz, allow_pickle=False) as f:
            return (f["x_train"], f["y_train"]), (f["x_test"], f["y_test"])
    return load_idx_dataset("mnist", torchvision.datasets.MNIST)
