"""Reuters newswire topics (11,228 newswires over 46 topics, as word-id sequences), as in `keras.datasets.reuters`."""

import json

import numpy as np

from kerastorch.datasets import _word_sequences as ws
from kerastorch.datasets._npz import load_npz

_DATA_SHA256 = "d6586e694ee56d7a4e65172e12b3e987c03096cb01eab99753921ef915959916"
_INDEX_MD5 = "4d44cc38712099c9e383dc6e5f11a921"
_LABELS = ("cocoa grain veg-oil earn acq wheat copper housing money-supply coffee sugar trade reserves ship "
           "cotton carcass crude nat-gas cpi money-fx interest gnp meal-feed alum oilseed gold tin "
           "strategic-metal livestock retail ipi iron-steel rubber heat jobs lei bop zinc orange pet-chem dlr "
           "gas silver wpi hog lead").split()


def load_data(path="reuters.npz", num_words=None, skip_top=0, maxlen=None, test_split=0.2, seed=113,
              start_char=1, oov_char=2, index_from=3):
    """Loads the Reuters newswire dataset, with Keras' processing and split.

    Reads Keras' own `reuters.npz` from `$KERAS_HOME/datasets/` (default `~/.keras/datasets/`),
    downloading it there first if it is missing. The newswires are shuffled with
    `np.random.RandomState(seed)`, processed as in `imdb.load_data`, then the first
    `int(n * (1 - test_split))` are the training part.

    Args:
        path: File name in the cache. Defaults to `"reuters.npz"`.
        num_words: Keep only ids below this; others become `oov_char`. Defaults to `None`.
        skip_top: Ids below this also become `oov_char`. Defaults to `0`.
        maxlen: Keep only newswires shorter than this many ids. Defaults to `None`.
        test_split: Fraction of the newswires in the test part. Defaults to `0.2`.
        seed: Seed of the shuffle. Defaults to `113`.
        start_char: Id put at the start of every newswire, or `None`. Defaults to `1`.
        oov_char: Id of the cut words, or `None` to drop them. Defaults to `2`.
        index_from: Added to every word id. Defaults to `3`.

    Returns:
        `(x_train, y_train), (x_test, y_test)`: `x` numpy object arrays of lists of ints,
        `y` numpy arrays of topic ids 0..45 (names in `get_label_names()`).

    Raises:
        OSError: the file is not in the cache and cannot be downloaded; the message says where
            to put it.

    Example:
    >>> from kerastorch.datasets import reuters
    >>> (x_train, y_train), (x_test, y_test) = reuters.load_data(num_words=10000)  # doctest: +SKIP
    >>> len(x_train), len(x_test)                                                  # doctest: +SKIP
    (8982, 2246)
    """
    f = load_npz(ws.cached(path, "reuters.npz", _DATA_SHA256))
    xs, labels = f["x"], f["y"]
    order = np.arange(len(xs))
    np.random.RandomState(seed).shuffle(order)
    xs, labels = xs[order], labels[order]
    if start_char is not None or index_from:
        xs = ws.mark_and_shift(xs, start_char, index_from)
    if maxlen:
        xs, labels = ws.drop_long(maxlen, xs, labels)
    xs = ws.limit_vocabulary(xs, num_words, skip_top, oov_char)
    n = int(len(xs) * (1 - test_split))
    return ((np.array(xs[:n], dtype="object"), np.array(labels[:n])),
            (np.array(xs[n:], dtype="object"), np.array(labels[n:])))


def get_word_index(path="reuters_word_index.json"):
    """Returns the Reuters word index: a dict from word to its frequency rank (1 = most frequent).

    A word ranked `i` appears in `load_data()`'s sequences as `i + index_from` (3 by default).

    Args:
        path: File name in the cache (`$KERAS_HOME/datasets/`). Defaults to
            `"reuters_word_index.json"`.

    Returns:
        A dict of string to int.

    Example:
    >>> from kerastorch.datasets import reuters
    >>> reuters.get_word_index()["the"]  # doctest: +SKIP
    1
    """
    with open(ws.cached(path, "reuters_word_index.json", _INDEX_MD5)) as f:
        return json.load(f)


def get_label_names():
    """Returns the 46 topic names, a tuple indexed by the labels of `load_data()`.

    Returns:
        A tuple of strings.

    Example:
    >>> get_label_names()[:3]
    ('cocoa', 'grain', 'veg-oil')
    """
    return tuple(_LABELS)
