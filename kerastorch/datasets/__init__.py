"""Small datasets with Keras' `load_data()` interface. `digits` ships inside the package (offline)."""

from kerastorch.datasets import digits
from kerastorch.datasets import cifar10, cifar100, fashion_mnist, mnist
from kerastorch.datasets import boston_housing, california_housing, imdb, reuters

__all__ = ["boston_housing", "california_housing", "cifar10", "cifar100", "digits", "fashion_mnist", "imdb",
           "mnist", "reuters"]
