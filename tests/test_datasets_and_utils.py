"""The bundled digits dataset, the quickstart example, and kerastorch.utils."""

import os
import re
import subprocess
import sys

import numpy as np
import pytest
import torch

import kerastorch
from kerastorch.datasets import digits

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_digits_load_data_like_keras_loaders():
    (x_train, y_train), (x_test, y_test) = digits.load_data()
    assert x_train.shape == (1437, 8, 8) and x_test.shape == (360, 8, 8)
    assert x_train.dtype == np.uint8 and y_train.dtype == np.uint8
    assert x_train.max() == 16 and x_train.min() == 0
    assert set(np.unique(np.concatenate([y_train, y_test]))) == set(range(10))
    # The split is a fixed, seeded shuffle: the same on every call.
    (again, _), _ = digits.load_data()
    np.testing.assert_array_equal(x_train, again)


def test_quickstart_reaches_95_percent_on_held_out_digits():
    result = subprocess.run([sys.executable, os.path.join(ROOT, "examples", "quickstart.py"), "--verbose", "0"],
                            capture_output=True, text=True, timeout=300,
                            env={**os.environ, "KERASTORCH_DEVICE": "cpu"})
    assert result.returncode == 0, result.stderr
    accuracy = float(re.search(r"Test accuracy: ([0-9.]+)", result.stdout).group(1))
    assert accuracy >= 0.95, result.stdout


def test_to_categorical():
    np.testing.assert_array_equal(kerastorch.utils.to_categorical([[1], [0], [2]]),
                                  [[0, 1, 0], [1, 0, 0], [0, 0, 1]])
    assert kerastorch.utils.to_categorical([0, 1], num_classes=4).shape == (2, 4)
    with pytest.raises(ValueError, match=r"lie in \[0, 2\)"):
        kerastorch.utils.to_categorical([0, 5], num_classes=2)


def test_set_random_seed_gives_identical_training_runs():
    from kerastorch import layers

    def run():
        kerastorch.utils.set_random_seed(7)
        model = kerastorch.Sequential([layers.Input(shape=(4,)), layers.Dense(8, activation="relu"),
                                       layers.Dropout(0.3), layers.Dense(1)])
        model.compile(optimizer="adam", loss="mse")
        x = np.random.rand(64, 4).astype("float32")
        model.fit(x, x.sum(1, keepdims=True), epochs=2, batch_size=8, verbose=0)
        return model.get_weights()

    for a, b in zip(run(), run()):
        np.testing.assert_array_equal(a, b)


def test_drop_in_import_surface():
    import kerastorch as keras
    from kerastorch import layers, models, optimizers, losses, metrics, callbacks, utils  # noqa: F401

    assert keras.Sequential is keras.models.Sequential
    assert callable(keras.utils.to_categorical)
    assert isinstance(keras.Sequential([layers.Dense(1)]), torch.nn.Module)
