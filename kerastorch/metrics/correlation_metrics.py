"""Correlation metrics: Pearson's and the concordance correlation coefficient, per sample, averaged.

Both are computed along `axis` for each sample (population statistics, no Bessel
correction) and averaged over samples like any `MeanMetricWrapper`.

Example:
>>> import torch
>>> m = PearsonCorrelation()
>>> m.update_state(torch.tensor([[1.0, 2.0, 3.0]]), torch.tensor([[2.0, 4.0, 6.5]]))
>>> round(float(m.result()), 4)
0.9979
"""

import torch

from kerastorch import config
from kerastorch.losses.base import _prepare, squeeze_or_expand_to_same_rank
from kerastorch.metrics.reduction_metrics import _FnMetric


def pearson_correlation(y_true, y_pred, axis=-1):
    """Pearson correlation coefficient of `y_true` and `y_pred` along `axis`.

    Args:
        y_true: Targets, shape `(batch_size, d0, .. dN)`.
        y_pred: Predictions, same shape.
        axis: Axis along which the correlation is computed. Defaults to `-1`.

    Returns:
        Per-sample correlations in `[-1, 1]`, with `axis` removed.

    Example:
    >>> pearson_correlation(torch.tensor([[1.0, 2.0, 3.0]]), torch.tensor([[3.0, 2.0, 1.0]]))
    tensor([-1.0000])
    """
    y_true, y_pred = _prepare(y_true, y_pred)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    true_centred = y_true - y_true.mean(dim=axis, keepdim=True)
    pred_centred = y_pred - y_pred.mean(dim=axis, keepdim=True)
    true_centred = true_centred / torch.std(true_centred, dim=axis, keepdim=True, correction=0)
    pred_centred = pred_centred / torch.std(pred_centred, dim=axis, keepdim=True, correction=0)
    return torch.mean(true_centred * pred_centred, dim=axis)


def concordance_correlation(y_true, y_pred, axis=-1):
    """Lin's concordance correlation coefficient of `y_true` and `y_pred` along `axis`, Keras' way.

    `mean(2 * covar / (var(y_true) + var(y_pred) + (mean(y_true) - mean(y_pred))**2 + eps))`,
    where Keras 3.15.1 centres *both* factors of `covar` on `mean(y_pred)`:
    `covar = (y_true - mean(y_pred)) * (y_pred - mean(y_pred))`. Kept as Keras computes it, so
    values (and saved training curves) agree.

    Args:
        y_true: Targets, shape `(batch_size, d0, .. dN)`.
        y_pred: Predictions, same shape.
        axis: Axis along which the coefficient is computed. Defaults to `-1`.

    Returns:
        Per-sample coefficients, with `axis` removed.

    Example:
    >>> concordance_correlation(torch.tensor([[1.0, 2.0, 3.0]]), torch.tensor([[1.0, 2.0, 3.0]]))
    tensor([1.0000])
    """
    y_true, y_pred = _prepare(y_true, y_pred)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    true_mean = y_true.mean(dim=axis, keepdim=True)
    pred_mean = y_pred.mean(dim=axis, keepdim=True)
    true_var = torch.var(y_true - true_mean, dim=axis, keepdim=True, correction=0)
    pred_var = torch.var(y_pred - pred_mean, dim=axis, keepdim=True, correction=0)
    covar = (y_true - pred_mean) * (y_pred - pred_mean)
    norm = true_var + pred_var + torch.square(true_mean - pred_mean)
    return torch.mean(2 * covar / (norm + config.epsilon()), dim=axis)


class PearsonCorrelation(_FnMetric):
    """Running mean over samples of the Pearson correlation coefficient along `axis`.

    Args:
        name: Defaults to `"pearson_correlation"`.
        dtype: Defaults to `None`.
        axis: Axis along which each sample's correlation is computed. Defaults to `-1`.

    Example:
    >>> m = PearsonCorrelation()
    >>> m.update_state(torch.tensor([[1.0, 2.0, 3.0], [1.0, 2.0, 3.0]]),
    ...                torch.tensor([[1.0, 2.0, 3.0], [3.0, 2.0, 1.0]]))
    >>> abs(round(float(m.result()), 4))
    0.0
    """

    _config_keys = ("axis",)

    def __init__(self, name="pearson_correlation", dtype=None, axis=-1):
        super().__init__(pearson_correlation, name=name, dtype=dtype, axis=axis)
        self.axis = axis


class ConcordanceCorrelation(_FnMetric):
    """Running mean over samples of the concordance correlation coefficient along `axis`.

    Args:
        name: Defaults to `"concordance_correlation"`.
        dtype: Defaults to `None`.
        axis: Axis along which each sample's coefficient is computed. Defaults to `-1`.

    Example:
    >>> m = ConcordanceCorrelation()
    >>> m.update_state(torch.tensor([[1.0, 2.0, 3.0]]), torch.tensor([[1.0, 2.0, 3.0]]))
    >>> round(float(m.result()), 4)
    1.0
    """

    _config_keys = ("axis",)

    def __init__(self, name="concordance_correlation", dtype=None, axis=-1):
        super().__init__(concordance_correlation, name=name, dtype=dtype, axis=axis)
        self.axis = axis
