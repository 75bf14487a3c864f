"""Freed CPU memory kept for the next training step, instead of handed back to the kernel (glibc).

A training step on the CPU allocates and frees the same large buffers every step: activations,
their gradients, pooling indices, a convolution's scratch space. With glibc's defaults, malloc
serves blocks of 128 KiB and more with fresh pages from the kernel (`mmap`, or by growing the
heap) and gives them back when they are freed (`munmap`, or trimming the heap's top once more
than twice the largest such block lies free there). Every fresh page costs a page fault when it
is first written, so each step pays again for memory the last step already had: measured on
`benchmarks/bench_training.py`'s CNN (batch 64 of 28x28x3, two convolutions), ~140,000 page
faults and about a third of a `fit` epoch's wall time, the same in a hand-written torch loop.

CUDA's and TensorFlow's allocators keep freed memory for reuse; on the CPU, kerastorch does the
same by telling glibc, on the first `fit`, `evaluate` or `predict` that runs on the CPU, to serve
blocks up to 32 MiB from the heap (`M_MMAP_THRESHOLD`, glibc's largest value on 64-bit) and to
keep up to 1 GiB of freed memory at the heap's top (`M_TRIM_THRESHOLD`). The price: the process'
resident memory stays near its peak instead of shrinking between steps.

The setting is process-wide (it also speeds up any other torch code in the process) and left
alone when it cannot apply or was chosen by someone else: outside glibc, when glibc's malloc is
tuned through `GLIBC_TUNABLES` or `MALLOC_*_` variables, when another allocator (jemalloc,
tcmalloc, mimalloc) is preloaded, when `KERASTORCH_CPU_MEMORY_REUSE=0`, or after
`kerastorch.config.disable_cpu_memory_reuse()`. `kerastorch.config` re-exports the switches;
the trainer calls `reuse_for_device`.

Example:
>>> from kerastorch import config
>>> config.is_cpu_memory_reuse_enabled()
True
"""

import ctypes
import functools
import os
import platform

_M_TRIM_THRESHOLD = -1        # glibc's mallopt parameter numbers (malloc.h)
_M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 32 * 1024 * 1024      # glibc's maximum on 64-bit (HEAP_MAX_SIZE / 2)
TRIM_THRESHOLD = 1024 * 1024 * 1024
_GLIBC_DEFAULT = 128 * 1024            # both thresholds' defaults

_ENABLED = os.environ.get("KERASTORCH_CPU_MEMORY_REUSE", "1").strip().lower() not in ("0", "false", "no", "off")
_APPLIED = False
_DONE = False          # applied, or found not applicable: nothing more to do on later calls
_OTHER_ALLOCATORS = ("jemalloc", "tcmalloc", "mimalloc")
# The glibc settings this one would override (environment variables and tunables).
_MALLOC_VARIABLES = ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "MALLOC_TOP_PAD_", "MALLOC_MMAP_MAX_")
_MALLOC_TUNABLES = ("glibc.malloc.mmap_threshold", "glibc.malloc.trim_threshold", "glibc.malloc.top_pad",
                    "glibc.malloc.mmap_max")


@functools.lru_cache(maxsize=None)
def _mallopt():
    """glibc's `mallopt`, or `None` where this process does not run on glibc (looked up once:
    `platform.libc_ver` reads the Python executable)."""
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return None
    try:
        fn = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return None
    fn.argtypes, fn.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    return fn


def why_not_applicable():
    """Why the setting does not apply in this process (a sentence), or `None` when it does."""
    if _mallopt() is None:
        return "this process does not run on glibc"
    tunables = os.environ.get("GLIBC_TUNABLES", "")
    if any(name in tunables for name in _MALLOC_TUNABLES):
        return f"glibc's malloc is tuned by GLIBC_TUNABLES={tunables!r}"
    tuned = [name for name in _MALLOC_VARIABLES if name in os.environ]
    if tuned:
        return f"glibc's malloc is tuned by {', '.join(tuned)}"
    preload = os.environ.get("LD_PRELOAD", "")
    if any(name in preload for name in _OTHER_ALLOCATORS):
        return f"another allocator is preloaded (LD_PRELOAD={preload!r})"
    return None


def is_cpu_memory_reuse_enabled():
    """Whether `fit`, `evaluate` and `predict` on the CPU keep freed memory for the next step.

    On by default (off with the environment variable `KERASTORCH_CPU_MEMORY_REUSE=0`). What
    it does and when it cannot apply: `kerastorch.config.cpu_memory_reuse_status()`.

    Example:
    >>> is_cpu_memory_reuse_enabled()
    True
    """
    return _ENABLED


def cpu_memory_reuse_status():
    """Says in a sentence whether this process keeps freed CPU memory for reuse, and why.

    Example:
    >>> cpu_memory_reuse_status().startswith(("in effect", "not in effect"))
    True
    """
    if _APPLIED:
        return (f"in effect: glibc serves blocks up to {MMAP_THRESHOLD >> 20} MiB from its heap and keeps up "
                f"to {TRIM_THRESHOLD >> 20} MiB of freed memory for reuse")
    if not _ENABLED:
        return "not in effect: disabled (disable_cpu_memory_reuse() or KERASTORCH_CPU_MEMORY_REUSE=0)"
    why = why_not_applicable()
    if why is not None:
        return f"not in effect: {why}"
    return "not in effect yet: applied by the first fit, evaluate or predict on the CPU"


def enable_cpu_memory_reuse():
    """Keeps freed CPU memory for the next training step (the default).

    From the next `fit`, `evaluate` or `predict` on the CPU, glibc's malloc serves blocks up to
    32 MiB from its heap and keeps up to 1 GiB of freed memory instead of handing it back to the
    kernel, so a step's buffers do not page-fault again every step (a third of a small CNN's
    epoch time, measured). Process-wide; the resident memory stays near its peak. Nothing
    happens outside glibc, or where glibc's malloc is tuned or replaced by the user.

    Example:
    >>> enable_cpu_memory_reuse()
    >>> is_cpu_memory_reuse_enabled()
    True
    """
    global _ENABLED, _DONE
    _ENABLED, _DONE = True, _APPLIED


def disable_cpu_memory_reuse():
    """Leaves glibc's malloc thresholds alone; if they were set, puts back glibc's defaults.

    glibc's adaptive threshold (it follows the largest block freed) cannot be switched back on
    once a threshold was set: the defaults come back as fixed values (128 KiB).

    Example:
    >>> disable_cpu_memory_reuse()
    >>> is_cpu_memory_reuse_enabled()
    False
    >>> enable_cpu_memory_reuse()
    """
    global _ENABLED, _APPLIED, _DONE
    _ENABLED = False
    if _APPLIED:
        mallopt = _mallopt()
        mallopt(_M_MMAP_THRESHOLD, _GLIBC_DEFAULT)
        mallopt(_M_TRIM_THRESHOLD, _GLIBC_DEFAULT)
        _APPLIED = False
    _DONE = False


def reuse_for_device(device):
    """Applies the setting once, the first time a model runs on the CPU (see the module's doc).

    Args:
        device: The `torch.device` the model runs on; anything but the CPU does nothing.

    Returns:
        Whether the setting is in effect after the call.
    """
    global _APPLIED, _DONE
    if _DONE or not _ENABLED or device.type != "cpu":
        return _APPLIED
    _DONE = True
    if why_not_applicable() is None:
        mallopt = _mallopt()
        _APPLIED = bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(
            mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD))
    return _APPLIED
