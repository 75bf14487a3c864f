"""The shuffle-and-split both housing datasets share."""

import numpy as np

from kerastorch.datasets import _word_sequences as ws


def check_test_split(where, test_split):
    if not 0 <= test_split < 1:
        raise ValueError(f"{where}: `test_split` must be in [0, 1), the fraction of samples in the test part, "
                         f"got test_split={test_split!r}.")


def read(path, remote_name, file_hash):
    with np.load(ws.cached(path, remote_name, file_hash), allow_pickle=False) as f:
        return f["x"], f["y"]


def shuffle_split(x, y, test_split, seed):
    """Shuffles with `np.random.RandomState(seed)`; the first `int(n * (1 - test_split))` train."""
    order = np.arange(len(x))
    np.random.RandomState(seed).shuffle(order)
    x, y = x[order], y[order]
    n = int(len(x) * (1 - test_split))
    return (np.array(x[:n]), np.array(y[:n])), (np.array(x[n:]), np.array(y[n:]))
