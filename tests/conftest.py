import os

# Real Keras, where installed, must run on its torch backend; this has to be set before it loads.
os.environ.setdefault("KERAS_BACKEND", "torch")

import numpy as np
import pytest
import torch

import kerastorch


@pytest.fixture(autouse=True)
def _seed_and_cpu():
    """Every test starts from the same seeds, on the CPU, with fresh layer auto-names."""
    kerastorch.utils.clear_session(free_memory=False)   # no gc.collect() per test: it costs ~0.4 s
    torch.manual_seed(0)
    np.random.seed(0)
    kerastorch.config.set_device("cpu")
    yield


@pytest.fixture
def keras():
    """Real Keras 3 on its torch backend; tests that use it skip where it is absent."""
    keras = pytest.importorskip("keras", reason="real Keras 3 is not installed (pip install -e '.[dev]')")
    if keras.backend.backend() != "torch":
        pytest.skip(f"Keras runs on the {keras.backend.backend()!r} backend, not torch")
    return keras
