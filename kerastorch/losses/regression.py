"""Regression losses: mean squared/absolute (percentage/logarithmic) error, cosine similarity,
Huber and log-cosh.

Example:
>>> import torch
>>> float(MeanSquaredError()(torch.zeros(2, 2), torch.ones(2, 2)))
1.0
"""

import math

import torch
import torch.nn.functional as F

from kerastorch import config
from kerastorch.losses.base import _BuiltinLoss, _prepare, squeeze_or_expand_to_same_rank
from kerastorch.losses.targets import _RegressionTargets


def mean_squared_error(y_true, y_pred):
    """Mean squared error over the last axis: `mean(square(y_true - y_pred), axis=-1)`.

    Args:
        y_true: Ground truth, shape `(batch_size, d0, .. dN)`.
        y_pred: Predictions, same shape (a `(N,)` vs `(N, 1)` mismatch is reconciled).

    Returns:
        Per-sample values of shape `(batch_size, d0, .. dN-1)`.

    Example:
    >>> mean_squared_error(torch.tensor([[0.0, 1.0]]), torch.tensor([[1.0, 1.0]]))
    tensor([0.5000])
    """
    y_true, y_pred = _prepare(y_true, y_pred)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    return torch.mean(torch.square(y_true - y_pred), dim=-1)


def mean_absolute_error(y_true, y_pred):
    """Mean absolute error over the last axis: `mean(abs(y_true - y_pred), axis=-1)`.

    Args:
        y_true: Ground truth, shape `(batch_size, d0, .. dN)`.
        y_pred: Predictions, same shape.

    Returns:
        Per-sample values of shape `(batch_size, d0, .. dN-1)`.

    Example:
    >>> mean_absolute_error(torch.tensor([[0.0, 1.0]]), torch.tensor([[1.0, 1.0]]))
    tensor([0.5000])
    """
    y_true, y_pred = _prepare(y_true, y_pred)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    return torch.mean(torch.abs(y_true - y_pred), dim=-1)


def mean_absolute_percentage_error(y_true, y_pred):
    """Mean absolute percentage error: `100 * mean(abs((y_true - y_pred) / max(abs(y_true), eps)))`.

    Args:
        y_true: Ground truth, shape `(batch_size, d0, .. dN)`.
        y_pred: Predictions, same shape.

    Returns:
        Per-sample values of shape `(batch_size, d0, .. dN-1)`.

    Example:
    >>> mean_absolute_percentage_error(torch.tensor([[2.0, 4.0]]), torch.tensor([[1.0, 4.0]]))
    tensor([25.])
    """
    y_true, y_pred = _prepare(y_true, y_pred)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    diff = torch.abs((y_true - y_pred) / torch.clamp(torch.abs(y_true), min=config.epsilon()))
    return 100.0 * torch.mean(diff, dim=-1)


def mean_squared_logarithmic_error(y_true, y_pred):
    """Mean squared logarithmic error: `mean(square(log(y_true + 1) - log(y_pred + 1)))`.

    Values below `epsilon` are raised to `epsilon` before the log, as in Keras.

    Args:
        y_true: Ground truth, shape `(batch_size, d0, .. dN)`.
        y_pred: Predictions, same shape.

    Returns:
        Per-sample values of shape `(batch_size, d0, .. dN-1)`.

    Example:
    >>> round(float(mean_squared_logarithmic_error(torch.tensor([[0.0]]), torch.tensor([[math.e - 1]]))), 4)
    1.0
    """
    y_true, y_pred = _prepare(y_true, y_pred)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    eps = config.epsilon()
    first = torch.log(torch.clamp(y_pred, min=eps) + 1.0)
    second = torch.log(torch.clamp(y_true, min=eps) + 1.0)
    return torch.mean(torch.square(first - second), dim=-1)


def _l2_normalize(x, axis):
    # Keras' ops.normalize: x / max(||x||, eps-ish); torch's F.normalize uses eps 1e-12 the same way.
    return F.normalize(x, p=2.0, dim=axis)


def cosine_similarity(y_true, y_pred, axis=-1):
    """Negative cosine similarity along `axis`: `-sum(l2_normalize(y_true) * l2_normalize(y_pred))`.

    Args:
        y_true: Ground truth.
        y_pred: Predictions, same shape.
        axis: Axis along which the similarity is computed. Defaults to `-1`.

    Returns:
        Per-sample values in `[-1, 1]` (`-1` when the vectors point the same way).

    Example:
    >>> cosine_similarity(torch.tensor([[1.0, 0.0]]), torch.tensor([[2.0, 0.0]]))
    tensor([-1.])
    """
    y_true, y_pred = _prepare(y_true, y_pred)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    return -torch.sum(_l2_normalize(y_true, axis) * _l2_normalize(y_pred, axis), dim=axis)


def huber(y_true, y_pred, delta=1.0):
    """Huber loss: `0.5 * x**2` where `|x| <= delta`, else `delta * |x| - 0.5 * delta**2`, averaged.

    Args:
        y_true: Ground truth, shape `(batch_size, d0, .. dN)`.
        y_pred: Predictions, same shape.
        delta: Where the loss turns from quadratic to linear. Defaults to `1.0`.

    Returns:
        Per-sample values of shape `(batch_size, d0, .. dN-1)`.

    Example:
    >>> huber(torch.tensor([[0.0, 0.0]]), torch.tensor([[0.5, 3.0]]))
    tensor([1.3125])
    """
    y_true, y_pred = _prepare(y_true, y_pred)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    error = y_pred - y_true
    abs_error = torch.abs(error)
    quadratic = 0.5 * torch.square(error)
    linear = delta * abs_error - 0.5 * delta * delta
    return torch.mean(torch.where(abs_error <= delta, quadratic, linear), dim=-1)


def log_cosh(y_true, y_pred):
    """Logarithm of the hyperbolic cosine of the error, `mean(log(cosh(y_pred - y_true)))`.

    Computed as `x + softplus(-2x) - log(2)` so large errors do not overflow.

    Args:
        y_true: Ground truth, shape `(batch_size, d0, .. dN)`.
        y_pred: Predictions, same shape.

    Returns:
        Per-sample values of shape `(batch_size, d0, .. dN-1)`.

    Example:
    >>> log_cosh(torch.tensor([[0.0]]), torch.tensor([[0.0]]))
    tensor([0.])
    """
    y_true, y_pred = _prepare(y_true, y_pred)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    x = y_pred - y_true
    return torch.mean(x + F.softplus(x * -2.0) - math.log(2.0), dim=-1)


class MeanSquaredError(_RegressionTargets, _BuiltinLoss):
    """Mean of squares of errors between targets and predictions.

    Args:
        reduction: Defaults to `"sum_over_batch_size"`.
        name: Defaults to `"mean_squared_error"`.
        dtype: Defaults to `None`.

    Example:
    >>> float(MeanSquaredError()(torch.zeros(2, 2), torch.ones(2, 2)))
    1.0
    """

    def __init__(self, reduction="sum_over_batch_size", name="mean_squared_error", dtype=None):
        super().__init__(mean_squared_error, name=name, reduction=reduction, dtype=dtype)


class MeanAbsoluteError(_RegressionTargets, _BuiltinLoss):
    """Mean of absolute errors between targets and predictions.

    Args:
        reduction: Defaults to `"sum_over_batch_size"`.
        name: Defaults to `"mean_absolute_error"`.
        dtype: Defaults to `None`.

    Example:
    >>> float(MeanAbsoluteError()(torch.zeros(2, 2), torch.ones(2, 2)))
    1.0
    """

    def __init__(self, reduction="sum_over_batch_size", name="mean_absolute_error", dtype=None):
        super().__init__(mean_absolute_error, name=name, reduction=reduction, dtype=dtype)


class MeanAbsolutePercentageError(_RegressionTargets, _BuiltinLoss):
    """Mean absolute percentage error between targets and predictions.

    Args:
        reduction: Defaults to `"sum_over_batch_size"`.
        name: Defaults to `"mean_absolute_percentage_error"`.
        dtype: Defaults to `None`.

    Example:
    >>> float(MeanAbsolutePercentageError()(torch.full((1, 2), 2.0), torch.ones(1, 2)))
    50.0
    """

    def __init__(self, reduction="sum_over_batch_size", name="mean_absolute_percentage_error", dtype=None):
        super().__init__(mean_absolute_percentage_error, name=name, reduction=reduction, dtype=dtype)


class MeanSquaredLogarithmicError(_RegressionTargets, _BuiltinLoss):
    """Mean squared logarithmic error between targets and predictions.

    Args:
        reduction: Defaults to `"sum_over_batch_size"`.
        name: Defaults to `"mean_squared_logarithmic_error"`.
        dtype: Defaults to `None`.

    Example:
    >>> float(MeanSquaredLogarithmicError()(torch.zeros(1, 1), torch.zeros(1, 1)))
    0.0
    """

    def __init__(self, reduction="sum_over_batch_size", name="mean_squared_logarithmic_error", dtype=None):
        super().__init__(mean_squared_logarithmic_error, name=name, reduction=reduction, dtype=dtype)


class CosineSimilarity(_RegressionTargets, _BuiltinLoss):
    """Negative cosine similarity between targets and predictions.

    Args:
        axis: Axis of the vectors. Defaults to `-1`.
        reduction: Defaults to `"sum_over_batch_size"`.
        name: Defaults to `"cosine_similarity"`.
        dtype: Defaults to `None`.

    Example:
    >>> float(CosineSimilarity()(torch.tensor([[1.0, 0.0]]), torch.tensor([[1.0, 0.0]])))
    -1.0
    """

    def __init__(self, axis=-1, reduction="sum_over_batch_size", name="cosine_similarity", dtype=None):
        super().__init__(cosine_similarity, name=name, reduction=reduction, dtype=dtype, axis=axis)
        self.axis = axis

    # Keras 3.15.1 drops `axis` (and Huber's `delta`) from get_config, so a round trip
    # loses it; kerastorch keeps the key, which Keras' constructor also accepts.
    _config_keys = ("axis",)


class Huber(_RegressionTargets, _BuiltinLoss):
    """Huber loss: quadratic for errors up to `delta`, linear beyond.

    Args:
        delta: Where the loss turns linear. Defaults to `1.0`.
        reduction: Defaults to `"sum_over_batch_size"`.
        name: Defaults to `"huber_loss"`.
        dtype: Defaults to `None`.

    Example:
    >>> float(Huber()(torch.zeros(1, 1), torch.full((1, 1), 3.0)))
    2.5
    """

    def __init__(self, delta=1.0, reduction="sum_over_batch_size", name="huber_loss", dtype=None):
        super().__init__(huber, name=name, reduction=reduction, dtype=dtype, delta=delta)
        self.delta = delta

    _config_keys = ("delta",)


class LogCosh(_RegressionTargets, _BuiltinLoss):
    """Logarithm of the hyperbolic cosine of the prediction error.

    Args:
        reduction: Defaults to `"sum_over_batch_size"`.
        name: Defaults to `"log_cosh"`.
        dtype: Defaults to `None`.

    Example:
    >>> float(LogCosh()(torch.zeros(1, 1), torch.zeros(1, 1)))
    0.0
    """

    def __init__(self, reduction="sum_over_batch_size", name="log_cosh", dtype=None):
        super().__init__(log_cosh, name=name, reduction=reduction, dtype=dtype)
