"""mnist/fashion_mnist/cifar10/cifar100.load_data() read tiny files written in the real formats."""

import gzip
import os
import pickle
import struct

import numpy as np
import pytest

from kerastorch.datasets import cifar10, cifar100, fashion_mnist, mnist


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("KERASTORCH_HOME", str(tmp_path))
    monkeypatch.setenv("KERASTORCH_OFFLINE", "1")   # never touch the network in tests
    return tmp_path


def _write_idx(path, array):
    """The idx format: magic (0, 0, dtype 0x08=uint8, ndim), big-endian int32 dims, then the bytes."""
    header = struct.pack(">BBBB", 0, 0, 0x08, array.ndim) + struct.pack(f">{array.ndim}i", *array.shape)
    with gzip.open(path, "wb") as f:
        f.write(header + array.astype(np.uint8).tobytes())


def _make_idx_dataset(raw, rng):
    os.makedirs(raw)
    arrays = {"train": (rng.integers(0, 256, (5, 28, 28)), rng.integers(0, 10, 5)),
              "t10k": (rng.integers(0, 256, (3, 28, 28)), rng.integers(0, 10, 3))}
    for split, (x, y) in arrays.items():
        _write_idx(os.path.join(raw, f"{split}-images-idx3-ubyte.gz"), x)
        _write_idx(os.path.join(raw, f"{split}-labels-idx1-ubyte.gz"), y)
    return arrays


@pytest.mark.parametrize("module,name,folder", [(mnist, "mnist", "MNIST"),
                                                (fashion_mnist, "fashion_mnist", "FashionMNIST")])
def test_idx_datasets_load_gz_files_with_keras_shapes_and_dtypes(home, module, name, folder):
    arrays = _make_idx_dataset(home / "datasets" / name / folder / "raw", np.random.default_rng(1))
    (x_train, y_train), (x_test, y_test) = module.load_data()
    assert x_train.shape == (5, 28, 28) and x_test.shape == (3, 28, 28)
    assert x_train.dtype == np.uint8 and y_train.dtype == np.uint8 and y_train.shape == (5,)
    np.testing.assert_array_equal(x_train, arrays["train"][0])
    np.testing.assert_array_equal(y_train, arrays["train"][1])
    np.testing.assert_array_equal(x_test, arrays["t10k"][0])
    np.testing.assert_array_equal(y_test, arrays["t10k"][1])


def test_mnist_prefers_a_keras_npz_in_the_cache(home):
    os.makedirs(home / "datasets")
    x = np.arange(2 * 28 * 28, dtype=np.uint8).reshape(2, 28, 28)
    np.savez(home / "datasets" / "mnist.npz", x_train=x, y_train=np.array([3, 4], np.uint8),
             x_test=x[:1], y_test=np.array([5], np.uint8))
    (x_train, y_train), (x_test, y_test) = mnist.load_data()
    np.testing.assert_array_equal(x_train, x)
    assert y_test.tolist() == [5]


def test_missing_files_offline_say_where_to_put_which_files(home):
    with pytest.raises(OSError) as info:
        mnist.load_data()
    message = str(info.value)
    expected_folder = os.path.join(str(home), "datasets", "mnist", "MNIST", "raw")
    assert expected_folder in message and "train-images-idx3-ubyte.gz" in message
    assert "KERASTORCH_OFFLINE" in message
    with pytest.raises(OSError, match="cifar-10-batches-py.*data_batch_1|data_batch_1"):
        cifar10.load_data()


def _cifar_images(rng, n):
    # The python-version CIFAR format: rows of 3072 bytes, the R plane, then G, then B (each 32x32).
    return rng.integers(0, 256, (n, 3072), dtype=np.uint8)


def _dump(path, entry):
    with open(path, "wb") as f:
        pickle.dump(entry, f)


def test_cifar10_reads_python_pickles_channels_last(home):
    rng = np.random.default_rng(2)
    folder = home / "datasets" / "cifar10" / "cifar-10-batches-py"
    os.makedirs(folder)
    batches = {}
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        data, labels = _cifar_images(rng, 2), rng.integers(0, 10, 2).tolist()
        _dump(folder / name, {"data": data, "labels": labels})
        batches[name] = (data, labels)
    _dump(folder / "batches.meta", {"label_names": ["airplane"] * 10})
    (x_train, y_train), (x_test, y_test) = cifar10.load_data()
    assert x_train.shape == (10, 32, 32, 3) and x_test.shape == (2, 32, 32, 3)
    assert x_train.dtype == np.uint8 and y_train.dtype == np.uint8 and y_train.shape == (10, 1)
    data, labels = batches["data_batch_1"]
    # pixel (row 4, col 7) of sample 0: the R value sits at 4*32+7, G at 1024 + that, B at 2048 + that
    np.testing.assert_array_equal(x_train[0, 4, 7], [data[0, 135], data[0, 1024 + 135], data[0, 2048 + 135]])
    assert y_train[:2, 0].tolist() == labels
    assert y_test[:, 0].tolist() == batches["test_batch"][1]


@pytest.mark.parametrize("label_mode,key", [("fine", "fine_labels"), ("coarse", "coarse_labels")])
def test_cifar100_label_modes(home, label_mode, key):
    rng = np.random.default_rng(3)
    folder = home / "datasets" / "cifar100" / "cifar-100-python"
    os.makedirs(folder)
    entries = {}
    for name, n in (("train", 4), ("test", 3)):
        entries[name] = {"data": _cifar_images(rng, n), "fine_labels": rng.integers(0, 100, n).tolist(),
                         "coarse_labels": rng.integers(0, 20, n).tolist()}
        _dump(folder / name, entries[name])
    _dump(folder / "meta", {"fine_label_names": ["x"] * 100, "coarse_label_names": ["y"] * 20})
    (x_train, y_train), (x_test, y_test) = cifar100.load_data(label_mode=label_mode)
    assert x_train.shape == (4, 32, 32, 3) and y_train.shape == (4, 1) and y_test.shape == (3, 1)
    assert y_train[:, 0].tolist() == entries["train"][key]
    assert y_test[:, 0].tolist() == entries["test"][key]
    np.testing.assert_array_equal(x_test[2, 0, 0], entries["test"]["data"][2, [0, 1024, 2048]])


def test_cifar100_rejects_unknown_label_mode(home):
    with pytest.raises(ValueError, match='"fine" or "coarse".*label_mode=\'medium\''):
        cifar100.load_data(label_mode="medium")
