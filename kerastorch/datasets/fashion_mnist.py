"""Fashion-MNIST (60,000 + 10,000 28x28 grayscale images of 10 clothing classes), through torchvision."""

from kerastorch._lazy import LazyModule
torchvision = LazyModule("torchvision")

from kerastorch.datasets._idx import load_idx_dataset


def load_data():
    """Loads the Fashion-MNIST dataset, as `keras.datasets.fashion_mnist.load_data()` does.

    The files are read by `torchvision.datasets.FashionMNIST` from
    `$KERASTORCH_HOME/datasets/fashion_mnist/FashionMNIST/raw/` (downloaded there on first
    use). Offline, put the four published `.gz` files (`train-images-idx3-ubyte.gz`,
    `train-labels-idx1-ubyte.gz`, `t10k-images-idx3-ubyte.gz`, `t10k-labels-idx1-ubyte.gz`)
    in that folder.

    Labels: 0 T-shirt/top, 1 Trouser, 2 Pullover, 3 Dress, 4 Coat, 5 Sandal, 6 Shirt,
    7 Sneaker, 8 Bag, 9 Ankle boot.

    Returns:
        Tuple of numpy arrays `(x_train, y_train), (x_test, y_test)`: uint8 images of shape
        `(num_samples, 28, 28)` and uint8 labels of shape `(num_samples,)`.

    Raises:
        OSError: The files are missing and cannot be downloaded; the message lists where to
            put which files.

    Example:
    >>> from kerastorch.datasets import fashion_mnist
    >>> (x_train, y_train), (x_test, y_test) = fashion_mnist.load_data()  # doctest: +SKIP
    >>> x_test.shape                                                      # doctest: +SKIP
    (10000, 28, 28)
    """
    return load_idx_dataset("fashion_mnist", torchvision.datasets.FashionMNIST)
