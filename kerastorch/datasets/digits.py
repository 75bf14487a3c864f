"""The 8x8 handwritten digits: 1,797 images of 10 classes, bundled with kerastorch (works offline).

Source: the UCI "Optical Recognition of Handwritten Digits" test set, by E. Alpaydin and
C. Kaynak, CC BY 4.0 (see `data/DIGITS-LICENSE.md`).
"""

import os

import numpy as np

_PATH = os.path.join(os.path.dirname(__file__), "data", "digits.npz")


def load_data(test_split=0.2, seed=113):
    """Loads the 8x8 handwritten digits, split into training and test sets.

    Like Keras' `mnist.load_data()`, but tiny and bundled: images are uint8 arrays of
    shape `(num_samples, 8, 8)` with pixel values in `0..16`, and labels are uint8 digits
    `0..9`. The samples are shuffled with `seed` before the split, so the split is the
    same on every machine.

    Args:
        test_split: Fraction of the samples put in the test set. Defaults to `0.2`.
        seed: Random seed of the shuffle before splitting. Defaults to `113`.

    Returns:
        Tuple of numpy arrays: `(x_train, y_train), (x_test, y_test)`.

    Example:
    >>> from kerastorch.datasets import digits
    >>> (x_train, y_train), (x_test, y_test) = digits.load_data()
    >>> x_train.shape, x_test.shape, x_train.dtype
    ((1438, 8, 8), (359, 8, 8), dtype('uint8'))
    """
    if not 0 <= test_split < 1:
        raise ValueError(f"digits.load_data: `test_split` must be in [0, 1), got {test_split!r}.")
    with np.load(_PATH) as data:
        images, labels = data["images"], data["labels"]
    order = np.random.RandomState(seed).permutation(len(images))
    images, labels = images[order], labels[order]
    cut = int(len(images) * (1 - test_split))
    return (images[:cut], labels[:cut]), (images[cut:], labels[cut:])
