"""Small datasets with Keras' `load_data()` interface. `digits` ships inside the package (offline)."""

from kerastorch.datasets import digits
from kerastorch.datasets import cifar10, cifar100, fashion_mnist, mnist

__all__ = ["cifar10", "cifar100", "digits", "fashion_mnist", "mnist"]
