import gc
import os
import sys
import zlib

# Real Keras, where installed, must run on its torch backend; this has to be set before it loads.
os.environ.setdefault("KERAS_BACKEND", "torch")

import numpy as np
import pytest
import torch

import kerastorch


def _freeze_what_is_loaded():
    """Moves every object alive now (the imported modules: torch, kerastorch, Keras, the tests) out of
    the garbage collector's reach: a full collection (`clear_session()`'s, pytest's) then walks only
    what the tests made since, a few milliseconds instead of ~0.4 s. Objects made later are collected
    as usual."""
    gc.collect()
    gc.freeze()


def pytest_collection_finish(session):
    _freeze_what_is_loaded()


def pytest_configure(config):
    """Under pytest-xdist (`-n`, as the README's command runs the suite), each worker runs torch on one
    thread: N workers on N cores, where torch's default (a thread per core in every worker) would put
    N times as many threads on them."""
    if os.environ.get("PYTEST_XDIST_WORKER"):
        torch.set_num_threads(1)


@pytest.hookimpl(optionalhook=True)     # pytest-xdist's hook: the suite also runs without xdist
def pytest_xdist_auto_num_workers(config):
    """`-n auto`: one worker per core, at most 4 (each holds torch, Keras and its own copy of the
    module-level fixtures; more would only add start-up and memory)."""
    return max(1, min(os.cpu_count() or 1, 4))


def _reseed_test_generators(request):
    """Test modules draw their data from a module-level `_RNG` (`tests/ops/harness.py` and a few
    others); each test gets its own generator seeded by its node id, so its data does not depend on
    which tests the same process ran before it (the suite runs in any order, on any worker)."""
    seed = zlib.crc32(request.node.nodeid.encode())
    for module in (request.module, sys.modules.get("tests.ops.harness")):
        if isinstance(getattr(module, "_RNG", None), np.random.Generator):
            module._RNG = np.random.default_rng(seed)


@pytest.fixture(autouse=True)
def _seed_and_cpu(request):
    """Every test starts from the same seeds, on the CPU, with fresh layer auto-names."""
    kerastorch.utils.clear_session(free_memory=False)   # no gc.collect() per test: it costs ~0.4 s
    torch.manual_seed(0)
    np.random.seed(0)
    _reseed_test_generators(request)
    kerastorch.config.set_device("cpu")
    yield


@pytest.fixture
def keras():
    """Real Keras 3 on its torch backend; tests that use it skip where it is absent."""
    first_import = "keras" not in sys.modules
    keras = pytest.importorskip("keras", reason="real Keras 3 is not installed (pip install -e '.[dev]')")
    if first_import:
        _freeze_what_is_loaded()     # Keras' modules too
    if keras.backend.backend() != "torch":
        pytest.skip(f"Keras runs on the {keras.backend.backend()!r} backend, not torch")
    return keras
