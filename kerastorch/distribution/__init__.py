"""Data-parallel training on `torch.distributed` (a placeholder until the full module lands).

`active()` returns the distribution the trainer should use, or `None` for one process.
"""

_ACTIVE = None


def active():
    """Returns the active distribution, or `None` when training runs in one process."""
    return _ACTIVE
