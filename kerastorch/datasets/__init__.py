"""Small datasets with Keras' `load_data()` interface. `digits` ships inside the package (offline)."""

from kerastorch.datasets import digits

__all__ = ["digits"]
