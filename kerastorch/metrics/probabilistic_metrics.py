"""Probabilistic metrics: running means of the crossentropies, KL divergence and Poisson.

Example:
>>> import torch
>>> m = CategoricalCrossentropy()
>>> m.update_state(torch.tensor([[0.0, 1.0]]), torch.tensor([[0.5, 0.5]]))
>>> round(float(m.result()), 4)
0.6931
"""

from kerastorch.losses.probabilistic import (
    binary_crossentropy,
    categorical_crossentropy,
    kl_divergence,
    poisson,
    sparse_categorical_crossentropy,
)
from kerastorch.metrics.reduction_metrics import _doc, _fn_metric


KLDivergence = _fn_metric(
    "KLDivergence",
    kl_divergence,
    "kl_divergence",
    _doc(
        "Running mean of the Kullback-Leibler divergence.",
        "kl_divergence",
        "    >>> m = KLDivergence()\n    >>> m.update_state(torch.tensor([[0.5, 0.5]]), torch.tensor([[0.5, 0.5]]))\n"
        "    >>> float(m.result())\n    0.0",
    ),
    module=__name__,
)


Poisson = _fn_metric(
    "Poisson",
    poisson,
    "poisson",
    _doc(
        "Running mean of the Poisson loss.",
        "poisson",
        "    >>> m = Poisson()\n    >>> m.update_state(torch.zeros(1, 1), torch.full((1, 1), 2.0))\n"
        "    >>> float(m.result())\n    2.0",
    ),
    module=__name__,
)


BinaryCrossentropy = _fn_metric(
    "BinaryCrossentropy",
    binary_crossentropy,
    "binary_crossentropy",
    _doc(
        "Running mean of the binary crossentropy (Keras' torch-backend numerics).",
        "binary_crossentropy",
        "    >>> m = BinaryCrossentropy()\n    >>> m.update_state(torch.ones(2, 1), torch.full((2, 1), 0.5))\n"
        "    >>> round(float(m.result()), 4)\n    0.6931",
        "\n        from_logits: Defaults to `False`.\n        label_smoothing: Defaults to `0`.",
    ),
    keys=("from_logits", "label_smoothing"),
    extra={"from_logits": False, "label_smoothing": 0},
    module=__name__,
)


CategoricalCrossentropy = _fn_metric(
    "CategoricalCrossentropy",
    categorical_crossentropy,
    "categorical_crossentropy",
    _doc(
        "Running mean of the categorical crossentropy (Keras' torch-backend numerics).",
        "categorical_crossentropy",
        "    >>> m = CategoricalCrossentropy()\n    >>> m.update_state(torch.tensor([[0.0, 1.0]]), torch.tensor([[0.5, 0.5]]))\n"
        "    >>> round(float(m.result()), 4)\n    0.6931",
        "\n        from_logits: Defaults to `False`.\n        label_smoothing: Defaults to `0`."
        "\n        axis: Defaults to `-1`.",
    ),
    keys=("from_logits", "label_smoothing", "axis"),
    extra={"from_logits": False, "label_smoothing": 0, "axis": -1},
    module=__name__,
)


SparseCategoricalCrossentropy = _fn_metric(
    "SparseCategoricalCrossentropy",
    sparse_categorical_crossentropy,
    "sparse_categorical_crossentropy",
    _doc(
        "Running mean of the sparse categorical crossentropy (Keras' torch-backend numerics).",
        "sparse_categorical_crossentropy",
        "    >>> m = SparseCategoricalCrossentropy()\n    >>> m.update_state(torch.tensor([1]), torch.tensor([[0.5, 0.5]]))\n"
        "    >>> round(float(m.result()), 4)\n    0.6931",
        "\n        from_logits: Defaults to `False`.\n        ignore_class: Defaults to `None`."
        "\n        axis: Defaults to `-1`.",
    ),
    keys=("from_logits", "ignore_class", "axis"),
    extra={"from_logits": False, "ignore_class": None, "axis": -1},
    module=__name__,
)
