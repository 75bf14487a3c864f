"""MNIST-style datasets (idx files) through `torchvision.datasets.MNIST`/`FashionMNIST`."""

import gzip
import os
import shutil

import numpy as np

from kerastorch.datasets import _cache

_FILES = ["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
          "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"]


def load_idx_dataset(name, tv_class):
    """Loads `(x_train, y_train), (x_test, y_test)` as uint8 arrays via torchvision's reader.

    The four `.gz` files (as published) go into `<cache>/<name>/<TvClass>/raw/`; they are
    unpacked next to themselves on first use, as torchvision's own download does.
    """
    root = _cache.cache_dir(name)
    raw = os.path.join(root, tv_class.__name__, "raw")
    _unpack(raw)
    try:
        train = tv_class(root, train=True, download=False)
    except RuntimeError:
        # torchvision raises RuntimeError("Dataset not found...") when raw files are missing.
        if _cache.offline():
            raise _cache.missing_error(name, raw, _FILES, tv_class.mirrors[0]) from None
        try:
            train = tv_class(root, train=True, download=True)
        except Exception as e:  # no network, blocked mirror, bad checksum ...
            raise _cache.missing_error(name, raw, _FILES, tv_class.mirrors[0], cause=e) from None
    test = tv_class(root, train=False, download=False)
    # torchvision holds uint8 (N, 28, 28) images and int64 labels; Keras returns uint8 for both.
    return ((train.data.numpy(), train.targets.numpy().astype(np.uint8)),
            (test.data.numpy(), test.targets.numpy().astype(np.uint8)))


def _unpack(raw):
    if not os.path.isdir(raw):
        return
    for f in _FILES:
        src, dst = os.path.join(raw, f), os.path.join(raw, f[:-3])
        if os.path.exists(src) and not os.path.exists(dst):
            tmp = dst + ".part"
            with gzip.open(src, "rb") as fin, open(tmp, "wb") as fout:
                shutil.copyfileobj(fin, fout)
            os.replace(tmp, dst)   # no half-written file is ever taken for the real one
