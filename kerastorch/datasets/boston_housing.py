"""Boston housing prices (506 samples of 13 features), as in `keras.datasets.boston_housing`."""

from kerastorch.datasets import _housing

_SHA256 = "f553886a1f8d56431e820c5b82552d9d95cfcb96d1e678153f8839538947dff5"


def load_data(path="boston_housing.npz", test_split=0.2, seed=113):
    """Loads the Boston housing dataset, with Keras' shuffle and split.

    Reads Keras' own `boston_housing.npz` from `$KERAS_HOME/datasets/` (default
    `~/.keras/datasets/`), downloading it there first if it is missing. Keras warns that this
    dataset has an ethical problem (its feature "B"); prefer `california_housing`.

    Args:
        path: File name in the cache. Defaults to `"boston_housing.npz"`.
        test_split: Fraction of the samples in the test part, in [0, 1). Defaults to `0.2`.
        seed: Seed of the shuffle before the split. Defaults to `113`.

    Returns:
        `(x_train, y_train), (x_test, y_test)`: `x` of shape `(num_samples, 13)`, `y` the
        median home values in k$, shape `(num_samples,)`.

    Raises:
        ValueError: `test_split` is not in [0, 1).
        OSError: the file is not in the cache and cannot be downloaded.

    Example:
    >>> from kerastorch.datasets import boston_housing
    >>> (x_train, y_train), (x_test, y_test) = boston_housing.load_data()  # doctest: +SKIP
    >>> x_train.shape, x_test.shape                                         # doctest: +SKIP
    ((404, 13), (102, 13))
    """
    _housing.check_test_split("boston_housing.load_data", test_split)
    x, y = _housing.read(path, "boston_housing.npz", _SHA256)
    return _housing.shuffle_split(x, y, test_split, seed)
