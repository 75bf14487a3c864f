"""Freed CPU memory kept for the next step (`kerastorch/_cpu_memory.py`): the switches, the values
given to glibc, and, in fresh processes, the page faults it saves (counted by the kernel, not timed)."""

import json
import os
import platform
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import torch

import kerastorch
from kerastorch import _cpu_memory, layers

ON_GLIBC = platform.system() == "Linux" and platform.libc_ver()[0] == "glibc"
needs_glibc = pytest.mark.skipif(not ON_GLIBC, reason="glibc's malloc thresholds exist only on glibc (Linux)")


@pytest.fixture
def fresh_state(monkeypatch):
    """The module as in a new process (enabled, nothing applied), with `mallopt` recorded, not called."""
    calls = []

    def mallopt(param, value):
        calls.append((param, value))
        return 1
    for var in ("GLIBC_TUNABLES", "LD_PRELOAD", *_cpu_memory._MALLOC_VARIABLES):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setattr(_cpu_memory, "_mallopt", lambda: mallopt)
    monkeypatch.setattr(_cpu_memory, "_ENABLED", True)
    monkeypatch.setattr(_cpu_memory, "_APPLIED", False)
    monkeypatch.setattr(_cpu_memory, "_DONE", False)
    return calls


def _fit_once():
    model = kerastorch.Sequential([layers.Input(shape=(3,)), layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    model.fit(np.ones((8, 3), np.float32), np.ones((8, 1), np.float32), verbose=0)
    return model


def test_first_cpu_fit_sets_both_thresholds_once(fresh_state):
    assert kerastorch.config.cpu_memory_reuse_status().startswith("not in effect yet")
    model = _fit_once()
    assert fresh_state == [(-3, 32 * 2 ** 20), (-1, 2 ** 30)]        # M_MMAP_THRESHOLD, M_TRIM_THRESHOLD
    assert kerastorch.config.cpu_memory_reuse_status().startswith("in effect")
    model.evaluate(np.ones((8, 3), np.float32), np.ones((8, 1), np.float32), verbose=0)
    model.predict(np.ones((4, 3), np.float32), verbose=0)
    assert len(fresh_state) == 2                                      # once per process


def test_a_cuda_device_sets_nothing(fresh_state):
    assert _cpu_memory.reuse_for_device(torch.device("cuda")) is False
    assert fresh_state == []


def test_disable_before_fit_leaves_glibc_alone(fresh_state):
    kerastorch.config.disable_cpu_memory_reuse()
    assert kerastorch.config.is_cpu_memory_reuse_enabled() is False
    _fit_once()
    assert fresh_state == []
    assert "disabled" in kerastorch.config.cpu_memory_reuse_status()


def test_disable_after_fit_restores_glibc_defaults_and_enable_reapplies(fresh_state):
    _fit_once()
    kerastorch.config.disable_cpu_memory_reuse()
    assert fresh_state[2:] == [(-3, 128 * 1024), (-1, 128 * 1024)]
    kerastorch.config.enable_cpu_memory_reuse()
    assert kerastorch.config.is_cpu_memory_reuse_enabled() is True
    _fit_once()
    assert fresh_state[4:] == [(-3, 32 * 2 ** 20), (-1, 2 ** 30)]


@pytest.mark.parametrize("var, value, said", [
    ("GLIBC_TUNABLES", "glibc.malloc.trim_threshold=1000000", "GLIBC_TUNABLES"),
    ("MALLOC_MMAP_THRESHOLD_", "65536", "MALLOC_MMAP_THRESHOLD_"),
    ("LD_PRELOAD", "/usr/lib/x86_64-linux-gnu/libjemalloc.so.2", "another allocator"),
])
def test_a_users_malloc_choice_is_left_alone(fresh_state, monkeypatch, var, value, said):
    monkeypatch.setenv(var, value)
    _fit_once()
    assert fresh_state == []
    status = kerastorch.config.cpu_memory_reuse_status()
    assert status.startswith("not in effect") and said in status


def test_unrelated_tunables_do_not_count_as_a_choice(fresh_state, monkeypatch):
    monkeypatch.setenv("GLIBC_TUNABLES", "glibc.malloc.arena_max=2")
    _fit_once()
    assert len(fresh_state) == 2


def test_outside_glibc_nothing_is_called(fresh_state, monkeypatch):
    monkeypatch.setattr(_cpu_memory, "_mallopt", lambda: None)
    assert _cpu_memory.reuse_for_device(torch.device("cpu")) is False
    assert "glibc" in kerastorch.config.cpu_memory_reuse_status()


# ------------------------------------------------------------------ the effect, in a fresh process
_CHURN = textwrap.dedent("""
    import ctypes, json, resource
    libc = ctypes.CDLL(None)
    libc.malloc.restype, libc.malloc.argtypes = ctypes.c_void_p, [ctypes.c_size_t]
    libc.free.argtypes = [ctypes.c_void_p]
    SIZE = 20 * 2 ** 20

    def mmapped(ptr):              # glibc's chunk header: bit 2 of the size word marks an mmap'd chunk
        return bool(ctypes.c_size_t.from_address(ptr - ctypes.sizeof(ctypes.c_size_t)).value & 2)

    def churn(rounds):
        # Three 20 MiB blocks a round, written, then freed together: what a step's activations do.
        before, kinds = resource.getrusage(resource.RUSAGE_SELF).ru_minflt, set()
        for _ in range(rounds):
            ptrs = [libc.malloc(SIZE) for _ in range(3)]
            for p in ptrs:
                ctypes.memset(p, 1, SIZE)
                kinds.add(mmapped(p))
            for p in ptrs:
                libc.free(p)
        return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before, sorted(kinds)

    default = churn(6)             # before torch is imported: glibc's defaults, nothing tuned yet
    import numpy as np
    import kerastorch
    from kerastorch import layers
    model = kerastorch.Sequential([layers.Input(shape=(3,)), layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    model.fit(np.ones((8, 3), np.float32), np.ones((8, 1), np.float32), verbose=0)
    churn(1)                       # the heap grows to hold one round
    print(json.dumps({"default": default, "after_fit": churn(6),
                      "status": kerastorch.config.cpu_memory_reuse_status()}))
""")


def _churn_in_fresh_process(**env):
    clean = {k: v for k, v in os.environ.items()
             if k not in ("GLIBC_TUNABLES", "LD_PRELOAD", "KERASTORCH_CPU_MEMORY_REUSE", *_cpu_memory._MALLOC_VARIABLES)}
    clean.update(env, KERASTORCH_DEVICE="cpu")
    proc = subprocess.run([sys.executable, "-c", _CHURN], capture_output=True, text=True, env=clean, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


PAGES_PER_ROUND = 3 * 20 * 2 ** 20 // 4096


@needs_glibc
def test_after_a_cpu_fit_freed_blocks_are_kept_and_reused_without_page_faults():
    got = _churn_in_fresh_process()
    (default_faults, _), (after_faults, after_kinds) = got["default"], got["after_fit"]
    # glibc's defaults: the 60 MiB freed at the heap's top exceed the trim threshold (twice the
    # largest block freed), so the rounds keep getting fresh pages from the kernel.
    assert default_faults >= 3 * PAGES_PER_ROUND, got
    # After a fit on the CPU: the blocks come from the heap (not mmap) and the freed memory is kept.
    assert after_kinds == [False], got
    assert after_faults < PAGES_PER_ROUND / 10, got
    assert got["status"].startswith("in effect"), got


@needs_glibc
def test_switched_off_by_the_environment_the_blocks_fault_in_again():
    got = _churn_in_fresh_process(KERASTORCH_CPU_MEMORY_REUSE="0")
    assert got["after_fit"][0] >= 3 * PAGES_PER_ROUND, got
    assert "disabled" in got["status"], got
