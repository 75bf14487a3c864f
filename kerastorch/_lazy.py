"""Deferred imports: torchvision costs ~2 s to import, and most scripts never touch it."""

import importlib


class LazyModule:
    """A module imported on first attribute access.

    Example:
    >>> math = LazyModule("math")
    >>> math.sqrt(4.0)
    2.0
    """

    def __init__(self, name):
        self._name = name
        self._module = None

    def __getattr__(self, attr):
        if self._module is None:
            self._module = importlib.import_module(self._name)
        return getattr(self._module, attr)
