"""California housing prices (20,640 block groups of 8 features), as in `keras.datasets.california_housing`."""

from kerastorch.datasets import _housing

_SHA256 = "1a2e3a52e0398de6463aebe6f4a8da34fb21fbb6b934cf88c3425e766f2a1a6f"


def load_data(version="large", path="california_housing.npz", test_split=0.2, seed=113):
    """Loads the California housing dataset, with Keras' shuffle and split.

    Reads Keras' own `california_housing.npz` from `$KERAS_HOME/datasets/` (default
    `~/.keras/datasets/`), downloading it there first if it is missing. The features are
    MedInc, HouseAge, AveRooms, AveBedrms, Population, AveOccup, Latitude, Longitude; the
    target is the median house value in dollars.

    Args:
        version: `"large"` (all 20,640 samples) or `"small"` (the first 600, before the
            shuffle). Defaults to `"large"`.
        path: File name in the cache. Defaults to `"california_housing.npz"`.
        test_split: Fraction of the samples in the test part, in [0, 1). Defaults to `0.2`.
        seed: Seed of the shuffle before the split. Defaults to `113`.

    Returns:
        `(x_train, y_train), (x_test, y_test)`: `x` of shape `(num_samples, 8)`, `y` of shape
        `(num_samples,)`.

    Raises:
        ValueError: `test_split` is not in [0, 1) or `version` is unknown.
        OSError: the file is not in the cache and cannot be downloaded.

    Example:
    >>> from kerastorch.datasets import california_housing
    >>> (x_train, y_train), _ = california_housing.load_data(version="small")  # doctest: +SKIP
    >>> x_train.shape                                                          # doctest: +SKIP
    (480, 8)
    """
    _housing.check_test_split("california_housing.load_data", test_split)
    if version not in ("small", "large"):
        raise ValueError(f"california_housing.load_data: `version` must be 'small' (600 samples) or 'large' "
                         f"(20,640), got version={version!r}.")
    x, y = _housing.read(path, "california_housing.npz", _SHA256)
    if version == "small":
        x, y = x[:600], y[:600]
    return _housing.shuffle_split(x, y, test_split, seed)
