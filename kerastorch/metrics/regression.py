"""Regression metrics: mean squared/absolute (percentage/logarithmic) error, root mean squared
error, cosine similarity and log-cosh error.

Example:
>>> import torch
>>> m = MeanSquaredError()
>>> m.update_state(torch.zeros(2, 2), torch.ones(2, 2))
>>> float(m.result())
1.0
"""

import torch

from kerastorch import losses as _losses
from kerastorch.losses.base import squeeze_or_expand_to_same_rank
from kerastorch.losses.regression import (
    log_cosh,
    mean_absolute_error,
    mean_absolute_percentage_error,
    mean_squared_error,
    mean_squared_logarithmic_error,
)
from kerastorch.metrics.base import _detach
from kerastorch.metrics.reduction import Mean, _doc, _fn_metric

def _cosine_similarity(y_true, y_pred, axis=-1):
    return -_losses.cosine_similarity(y_true, y_pred, axis=axis)


MeanSquaredError = _fn_metric(
    "MeanSquaredError",
    mean_squared_error,
    "mean_squared_error",
    _doc(
        "Running mean of the squared error between targets and predictions.",
        "mean_squared_error",
        "    >>> m = MeanSquaredError()\n    >>> m.update_state(torch.zeros(2, 2), torch.ones(2, 2))\n"
        "    >>> float(m.result())\n    1.0",
    ),
    module=__name__,
)

MeanAbsoluteError = _fn_metric(
    "MeanAbsoluteError",
    mean_absolute_error,
    "mean_absolute_error",
    _doc(
        "Running mean of the absolute error between targets and predictions.",
        "mean_absolute_error",
        "    >>> m = MeanAbsoluteError()\n    >>> m.update_state(torch.zeros(2, 2), torch.ones(2, 2))\n"
        "    >>> float(m.result())\n    1.0",
    ),
    module=__name__,
)

MeanAbsolutePercentageError = _fn_metric(
    "MeanAbsolutePercentageError",
    mean_absolute_percentage_error,
    "mean_absolute_percentage_error",
    _doc(
        "Running mean of the absolute percentage error.",
        "mean_absolute_percentage_error",
        "    >>> m = MeanAbsolutePercentageError()\n    >>> m.update_state(torch.full((1, 2), 2.0), torch.ones(1, 2))\n"
        "    >>> float(m.result())\n    50.0",
    ),
    module=__name__,
)

MeanSquaredLogarithmicError = _fn_metric(
    "MeanSquaredLogarithmicError",
    mean_squared_logarithmic_error,
    "mean_squared_logarithmic_error",
    _doc(
        "Running mean of the squared logarithmic error.",
        "mean_squared_logarithmic_error",
        "    >>> m = MeanSquaredLogarithmicError()\n    >>> m.update_state(torch.zeros(1, 1), torch.zeros(1, 1))\n"
        "    >>> float(m.result())\n    0.0",
    ),
    module=__name__,
)

CosineSimilarity = _fn_metric(
    "CosineSimilarity",
    _cosine_similarity,
    "cosine_similarity",
    _doc(
        "Running mean of the cosine similarity (positive, unlike the loss) along `axis`.",
        "cosine_similarity",
        "    >>> m = CosineSimilarity()\n    >>> m.update_state(torch.tensor([[1.0, 0.0]]), torch.tensor([[2.0, 0.0]]))\n"
        "    >>> float(m.result())\n    1.0",
        "\n        axis: Axis of the vectors. Defaults to `-1`.",
    ),
    extra={"axis": -1},
    module=__name__,
)
CosineSimilarity._config_keys = ()  # Keras' config has only name and dtype
LogCoshError = _fn_metric(
    "LogCoshError",
    log_cosh,
    "logcosh",
    _doc(
        "Running mean of the log-cosh of the prediction error.",
        "logcosh",
        "    >>> m = LogCoshError()\n    >>> m.update_state(torch.zeros(1, 1), torch.zeros(1, 1))\n"
        "    >>> float(m.result())\n    0.0",
    ),
    module=__name__,
)


class RootMeanSquaredError(Mean):
    """Square root of the running mean of squared errors.

    Args:
        name: Defaults to `"root_mean_squared_error"`.
        dtype: Defaults to `None`.

    Example:
    >>> m = RootMeanSquaredError()
    >>> m.update_state(torch.zeros(1, 2), torch.tensor([[3.0, 5.0]]))
    >>> float(m.result())
    4.123105525970459
    """

    def __init__(self, name="root_mean_squared_error", dtype=None):
        super().__init__(name=name, dtype=dtype)

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Adds the squared errors of one batch."""
        y_pred = _detach(y_pred, dtype=self._torch_dtype())
        y_true = _detach(y_true, dtype=self._torch_dtype(), like=y_pred)
        y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
        return super().update_state(torch.square(y_pred - y_true), sample_weight=sample_weight)

    def result(self):
        return torch.sqrt(super().result())
