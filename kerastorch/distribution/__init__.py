"""Data-parallel training on `torch.distributed`, in the spirit of `keras.distribution`.

Start the same script once per device with `torchrun`; `fit`, `evaluate` and `predict`
then run together without code changes:

    torchrun --nproc_per_node=8 train.py

A distribution is active when set with `set_distribution(DataParallel(...))`, or, without
one, when the process was started by torchrun with more than one process (`WORLD_SIZE` > 1
and `RANK`, `LOCAL_RANK`, `MASTER_ADDR` set): a `DataParallel()` is then made for it.
See docs/distributed.md.

Example:
>>> from kerastorch import distribution
>>> distribution.active() is None   # one plain process
True
>>> distribution.list_devices("cpu")
['cpu:0']
"""

import os

import torch

from kerastorch.distribution.data_parallel import DataParallel

_EXPLICIT = None      # set by set_distribution()
_DETECTED = None      # made once from torchrun's environment


def set_distribution(value):
    """Sets the distribution that `fit`, `evaluate` and `predict` use in this process.

    Args:
        value: A `DataParallel`, or `None` to go back to auto-detection from torchrun's
            environment variables.

    Raises:
        TypeError: For anything else.

    Example:
    >>> from kerastorch import distribution
    >>> distribution.set_distribution(distribution.DataParallel(rank=0, world_size=1))
    >>> distribution.distribution().world_size
    1
    >>> distribution.set_distribution(None)
    """
    global _EXPLICIT
    if value is not None and not isinstance(value, DataParallel):
        raise TypeError(
            f"set_distribution expects a kerastorch.distribution.DataParallel or None, got "
            f"{type(value).__name__}: {value!r}."
        )
    _EXPLICIT = value


def _launched_by_torchrun():
    try:
        world = int(os.environ.get("WORLD_SIZE", "1"))
    except ValueError:
        return False
    return world > 1 and all(os.environ.get(k) for k in ("RANK", "LOCAL_RANK", "MASTER_ADDR"))


def distribution():
    """Returns the current distribution: the one set, else one detected from torchrun, else `None`.

    Example:
    >>> from kerastorch import distribution
    >>> print(distribution.distribution())
    None
    """
    global _DETECTED
    if _EXPLICIT is not None:
        return _EXPLICIT
    if _launched_by_torchrun():
        if _DETECTED is None:
            _DETECTED = DataParallel()
        return _DETECTED
    return None


def active():
    """Returns the distribution the trainer uses, or `None` when training runs in one process.

    Same as `distribution()`; the trainer calls this one.
    """
    return distribution()


def is_chief():
    """Whether this process prints and writes files: rank 0, or the only process.

    Use it to guard your own side effects (`model.save(...)`, plots) in a torchrun script.

    Example:
    >>> from kerastorch import distribution
    >>> distribution.is_chief()
    True
    """
    dist = distribution()
    return dist is None or dist.is_chief()


def list_devices(device_type=None):
    """Lists the devices this machine offers, as torch names (`"cuda:0"`, `"cpu:0"`).

    Args:
        device_type: `"cpu"`, `"gpu"` or `"cuda"`, or `None` for the accelerators if any,
            else the CPU (as Keras does).

    Returns:
        A list of device names.

    Example:
    >>> from kerastorch import distribution
    >>> distribution.list_devices("cpu")
    ['cpu:0']
    """
    kind = None if device_type is None else str(device_type).lower()
    if kind not in (None, "cpu", "gpu", "cuda"):
        raise ValueError(f"list_devices: device_type must be 'cpu', 'gpu', 'cuda' or None, got "
                         f"{device_type!r}.")
    if kind in (None, "gpu", "cuda") and torch.cuda.is_available():
        return [f"cuda:{i}" for i in range(torch.cuda.device_count())]
    if kind in ("gpu", "cuda"):
        return []
    return ["cpu:0"]


def initialize(job_addresses=None, num_processes=None, process_id=None, timeout_seconds=None):
    """Starts the process group now (the trainer otherwise starts it at the first `fit`).

    Under torchrun no argument is needed. Without torchrun, pass what it would have set,
    as with Keras' `initialize`.

    Args:
        job_addresses: `"host:port"` of the rank-0 process (sets `MASTER_ADDR`/`MASTER_PORT`),
            or a comma-separated list whose first entry is used. Defaults to the environment.
        num_processes: Total number of processes (`WORLD_SIZE`). Defaults to the environment.
        process_id: This process's rank (`RANK`). Defaults to the environment.
        timeout_seconds: Collective timeout for a distribution made here. Defaults to 1800.

    Returns:
        The active `DataParallel` (set as the distribution), or `None` for one process.
    """
    if job_addresses is not None:
        first = str(job_addresses).split(",")[0].strip()
        host, sep, port = first.rpartition(":")
        if not sep or not port.isdigit():
            raise ValueError(f"initialize: job_addresses must look like 'host:port', got {job_addresses!r}.")
        os.environ["MASTER_ADDR"], os.environ["MASTER_PORT"] = host, port
    if num_processes is not None:
        os.environ["WORLD_SIZE"] = str(int(num_processes))
    if process_id is not None:
        os.environ["RANK"] = str(int(process_id))
        os.environ.setdefault("LOCAL_RANK", str(int(process_id)))
    dist = _EXPLICIT
    if dist is None:
        if not _launched_by_torchrun():
            return None
        dist = DataParallel(**({} if timeout_seconds is None else {"timeout_seconds": timeout_seconds}))
        set_distribution(dist)
    dist.device()
    return dist


__all__ = ["DataParallel", "active", "distribution", "initialize", "is_chief", "list_devices",
           "set_distribution"]
