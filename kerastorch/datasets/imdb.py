"""IMDB movie-review sentiment dataset (25,000 + 25,000 reviews as word-id sequences), as in `keras.datasets.imdb`."""

import json

import numpy as np

from kerastorch.datasets import _word_sequences as ws
from kerastorch.datasets._npz import load_npz

_DATA_SHA256 = "69664113be75683a8fe16e3ed0ab59fda8886cb3cd7ada244f7d9544e4676b9f"
_INDEX_MD5 = "bfafd718b763782e994055a2d397834f"


def load_data(path="imdb.npz", num_words=None, skip_top=0, maxlen=None, seed=113, start_char=1, oov_char=2,
              index_from=3, **kwargs):
    """Loads the IMDB dataset, with Keras' processing and split.

    Reads Keras' own `imdb.npz` from `$KERAS_HOME/datasets/` (default `~/.keras/datasets/`),
    downloading it there first if it is missing. Each review is a list of word ids, ranked by
    frequency (id 3 is the third most frequent word, after `index_from`); 0 is padding.
    Train and test are each shuffled with `np.random.RandomState(seed)`, as Keras does.

    Args:
        path: File name in the cache. Defaults to `"imdb.npz"`.
        num_words: Keep only ids below this (the `num_words` most frequent words, counting
            the reserved ids); others become `oov_char`. Defaults to `None`: keep all.
        skip_top: Ids below this (the most frequent words) also become `oov_char`.
            Defaults to `0`.
        maxlen: Keep only reviews shorter than this many ids (start mark included).
            Defaults to `None`.
        seed: Seed of the shuffle. Defaults to `113`.
        start_char: Id put at the start of every review, or `None`. Defaults to `1`.
        oov_char: Id of the words cut by `num_words`/`skip_top`, or `None` to drop them.
            Defaults to `2`.
        index_from: Added to every word id. Defaults to `3`.

    Returns:
        `(x_train, y_train), (x_test, y_test)`: `x` numpy object arrays of lists of ints,
        `y` numpy arrays of 0/1 labels.

    Raises:
        OSError: the file is not in the cache and cannot be downloaded; the message says where
            to put it.
        ValueError: no review is shorter than `maxlen`.

    Example:
    >>> from kerastorch.datasets import imdb
    >>> (x_train, y_train), (x_test, y_test) = imdb.load_data(num_words=10000)  # doctest: +SKIP
    >>> len(x_train), x_train[0][:3]                                             # doctest: +SKIP
    (25000, [1, 14, 22])
    """
    ws.refuse_extra("imdb.load_data", kwargs)
    f = load_npz(ws.cached(path, "imdb.npz", _DATA_SHA256))
    rng = np.random.RandomState(seed)
    parts = []
    for x_key, y_key in (("x_train", "y_train"), ("x_test", "y_test")):
        x, y = f[x_key], f[y_key]
        order = np.arange(len(x))
        rng.shuffle(order)          # one generator for both parts, train first, as Keras does
        parts.append([x[order], y[order]])
    (x_train, labels_train), (x_test, labels_test) = parts
    if start_char is not None or index_from:
        x_train = ws.mark_and_shift(x_train, start_char, index_from)
        x_test = ws.mark_and_shift(x_test, start_char, index_from)
    else:
        x_train, x_test = [list(s) for s in x_train], [list(s) for s in x_test]
    if maxlen:
        x_train, labels_train = ws.drop_long(maxlen, x_train, labels_train)
        x_test, labels_test = ws.drop_long(maxlen, x_test, labels_test)
        if not x_train or not x_test:
            raise ValueError(f"imdb.load_data: no review is shorter than maxlen={maxlen} in "
                             f"{'the training' if not x_train else 'the test'} part. Increase maxlen.")
    xs = ws.limit_vocabulary(x_train + x_test, num_words, skip_top, oov_char)
    labels = np.concatenate([labels_train, labels_test])
    n = len(x_train)
    return (np.array(xs[:n], dtype="object"), labels[:n]), (np.array(xs[n:], dtype="object"), labels[n:])


def get_word_index(path="imdb_word_index.json"):
    """Returns the IMDB word index: a dict from word to its frequency rank (1 = most frequent).

    A word ranked `i` appears in `load_data()`'s sequences as `i + index_from` (3 by default).

    Args:
        path: File name in the cache (`$KERAS_HOME/datasets/`). Defaults to
            `"imdb_word_index.json"`.

    Returns:
        A dict of string to int.

    Example:
    >>> from kerastorch.datasets import imdb
    >>> words = {i + 3: w for w, i in imdb.get_word_index().items()}  # doctest: +SKIP
    """
    with open(ws.cached(path, "imdb_word_index.json", _INDEX_MD5)) as f:
        return json.load(f)
