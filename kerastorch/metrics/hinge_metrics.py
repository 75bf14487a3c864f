"""Hinge metrics: running means of the hinge, squared hinge and categorical hinge losses.

Example:
>>> import torch
>>> m = Hinge()
>>> m.update_state(torch.ones(1, 1), torch.full((1, 1), 0.25))
>>> float(m.result())
0.75
"""

from kerastorch.losses.hinge_losses import categorical_hinge, hinge, squared_hinge
from kerastorch.metrics.reduction_metrics import _doc, _fn_metric


Hinge = _fn_metric(
    "Hinge",
    hinge,
    "hinge",
    _doc(
        "Running mean of the hinge loss.",
        "hinge",
        "    >>> m = Hinge()\n    >>> m.update_state(torch.ones(1, 1), torch.full((1, 1), 0.25))\n"
        "    >>> float(m.result())\n    0.75",
    ),
    module=__name__,
)


SquaredHinge = _fn_metric(
    "SquaredHinge",
    squared_hinge,
    "squared_hinge",
    _doc(
        "Running mean of the squared hinge loss.",
        "squared_hinge",
        "    >>> m = SquaredHinge()\n    >>> m.update_state(torch.ones(1, 1), torch.full((1, 1), 0.5))\n"
        "    >>> float(m.result())\n    0.25",
    ),
    module=__name__,
)


CategoricalHinge = _fn_metric(
    "CategoricalHinge",
    categorical_hinge,
    "categorical_hinge",
    _doc(
        "Running mean of the categorical hinge loss.",
        "categorical_hinge",
        "    >>> m = CategoricalHinge()\n    >>> m.update_state(torch.tensor([[0.0, 1.0]]), torch.tensor([[0.3, 0.8]]))\n"
        "    >>> float(m.result())\n    0.5",
    ),
    module=__name__,
)
