"""Regression metrics: mean squared/absolute (percentage/logarithmic) error, root mean squared
error, cosine similarity, log-cosh error and the R2 score.

Example:
>>> import torch
>>> m = MeanSquaredError()
>>> m.update_state(torch.zeros(2, 2), torch.ones(2, 2))
>>> float(m.result())
1.0
"""

import warnings

import torch

from kerastorch import config
from kerastorch import losses as _losses
from kerastorch.losses.base import squeeze_or_expand_to_same_rank
from kerastorch.losses.regression import (
    log_cosh,
    mean_absolute_error,
    mean_absolute_percentage_error,
    mean_squared_error,
    mean_squared_logarithmic_error,
)
from kerastorch.metrics.base import Metric, _detach
from kerastorch.metrics.reduction_metrics import Mean, _doc, _fn_metric


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


class R2Score(Metric):
    """Coefficient of determination `1 - SS_res / SS_tot` per output, optionally aggregated and adjusted.

    The state, per output column (Keras' variables, in order): `num_samples` (Keras counts
    the elements of `y_true`, which it then uses as `n` of the adjusted score), `squared_sum`,
    `sum`, `residual` and `count`, kept in `floatx` whatever `dtype` is (as Keras does).

    Args:
        class_aggregation: `"uniform_average"` (mean over outputs), `"variance_weighted_average"`
            (weighted by each output's variance) or `None` (one score per output).
            Defaults to `"uniform_average"`.
        num_regressors: Number of independent regressors `p`; when not 0, the adjusted
            score `1 - (1 - r2) * (n - 1) / (n - p - 1)`. Defaults to `0`.
        name: Defaults to `"r2_score"`.
        dtype: Dtype the inputs are cast to. Defaults to `None` (`floatx`).

    Inputs: `y_true` and `y_pred` shaped `(batch_size, num_outputs)`.

    Example:
    >>> m = R2Score()
    >>> m.update_state(torch.tensor([[1.0], [4.0], [3.0]]), torch.tensor([[2.0], [4.0], [4.0]]))
    >>> round(float(m.result()), 4)
    0.5714
    """

    _AGGREGATIONS = (None, "uniform_average", "variance_weighted_average")

    def __init__(self, class_aggregation="uniform_average", num_regressors=0, name="r2_score", dtype=None):
        super().__init__(name=name, dtype=dtype)
        if class_aggregation not in self._AGGREGATIONS:
            raise ValueError(
                f"R2Score: invalid class_aggregation={class_aggregation!r}. Expected None, "
                "'uniform_average' or 'variance_weighted_average'."
            )
        if isinstance(num_regressors, bool) or not isinstance(num_regressors, int) or num_regressors < 0:
            raise ValueError(f"R2Score: `num_regressors` must be an integer >= 0, got num_regressors={num_regressors!r}.")
        self.class_aggregation = class_aggregation
        self.num_regressors = num_regressors

    def _state_dtype(self):
        return getattr(torch, config.floatx())

    def _state_specs(self, *inputs):
        if len(inputs) < 2:
            return {}
        y_true, y_pred = inputs[0], inputs[-1]
        if y_true.dim() != 2 or y_pred.dim() != 2:
            raise ValueError(
                f"R2Score '{self.name}' expects 2D inputs shaped (batch_size, output_dim), got "
                f"y_true.shape={tuple(y_true.shape)} and y_pred.shape={tuple(y_pred.shape)}."
            )
        n = y_pred.shape[-1]
        return {"num_samples": (), "squared_sum": (n,), "sum": (n,), "residual": (n,), "count": (n,)}

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Adds the batch's (weighted) sums, squared sums, squared residuals and counts per output."""
        dtype = self._torch_dtype()
        y_true = _detach(y_true, dtype=dtype)
        y_pred = _detach(y_pred, dtype=dtype, like=y_true)
        y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
        self._ensure_state(y_true, y_true, y_pred)
        width = self._state["sum"].shape[0]
        if y_true.dim() != 2 or y_pred.dim() != 2 or y_pred.shape[-1] != width or y_true.shape[-1] != width:
            raise ValueError(
                f"R2Score '{self.name}' was built for inputs shaped (batch_size, {width}), got "
                f"y_true.shape={tuple(y_true.shape)} and y_pred.shape={tuple(y_pred.shape)}."
            )
        if sample_weight is None:
            weights = torch.ones((), dtype=dtype, device=y_true.device)
        else:
            weights = _detach(sample_weight, dtype=dtype, like=y_true)
            if weights.dim() == 1:
                weights = weights.unsqueeze(1)  # one weight per sample, for every output
        weights = weights.broadcast_to(y_true.shape)
        weighted = y_true * weights
        self._state["sum"] += weighted.sum(0)
        self._state["squared_sum"] += (y_true * weighted).sum(0)
        self._state["residual"] += (torch.square(y_true - y_pred) * weights).sum(0)
        self._state["count"] += weights.sum(0)
        self._state["num_samples"] += y_true.numel()

    def result(self):
        if not self._state:
            return torch.zeros((), dtype=self._state_dtype(), device=config.get_device())
        state = self._state
        mean = state["sum"] / state["count"]
        total = state["squared_sum"] - state["sum"] * mean
        raw = 1 - state["residual"] / total
        raw = torch.where(torch.isinf(raw), torch.zeros_like(raw), raw)
        if self.class_aggregation == "uniform_average":
            score = raw.mean()
        elif self.class_aggregation == "variance_weighted_average":
            score = (total * raw).sum() / total.sum()
        else:
            score = raw
        if self.num_regressors:
            n = float(state["num_samples"])  # one host read: the adjustment depends on n
            p = float(self.num_regressors)
            if p > n - 1:
                warnings.warn("More independent predictors than datapoints in adjusted R2 score. "
                              "Falling back to standard R2 score.", stacklevel=2)
            elif p == n - 1:
                warnings.warn("Division by zero in Adjusted R2 score. Falling back to standard R2 score.",
                              stacklevel=2)
            else:
                score = 1.0 - (1.0 - score) * (n - 1.0) / (n - p - 1.0)
        return score

    def get_config(self):
        return {**super().get_config(), "class_aggregation": self.class_aggregation,
                "num_regressors": self.num_regressors}
