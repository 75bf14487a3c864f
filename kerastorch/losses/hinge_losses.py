"""Hinge losses: hinge, squared hinge and categorical hinge.

Example:
>>> import torch
>>> float(Hinge()(torch.ones(1, 1), torch.full((1, 1), 0.25)))
0.75
"""

import torch

from kerastorch.losses.base import _BuiltinLoss, _prepare
from kerastorch.losses.targets import _CategoricalTargets, _RegressionTargets


def _hinge_labels(y_true):
    # Keras turns {0, 1} labels into {-1, 1} when *all* labels are 0 or 1; torch.where keeps
    # that data-dependent choice on the device (no sync).
    is_binary = torch.all((y_true == 0) | (y_true == 1))
    return torch.where(is_binary, 2.0 * y_true - 1.0, y_true)


def hinge(y_true, y_pred):
    """Hinge loss `mean(maximum(1 - y_true * y_pred, 0))`; `{0, 1}` labels become `{-1, 1}`.

    Args:
        y_true: Labels, `-1`/`1` (or `0`/`1`), shape `(batch_size, d0, .. dN)`.
        y_pred: Predictions, same shape.

    Returns:
        Per-sample values of shape `(batch_size, d0, .. dN-1)`.

    Example:
    >>> hinge(torch.tensor([[1.0, 0.0]]), torch.tensor([[0.5, -2.0]]))
    tensor([0.2500])
    """
    y_true, y_pred = _prepare(y_true, y_pred)
    y_true = _hinge_labels(y_true)
    return torch.mean(torch.clamp(1.0 - y_true * y_pred, min=0.0), dim=-1)


def squared_hinge(y_true, y_pred):
    """Squared hinge loss `mean(square(maximum(1 - y_true * y_pred, 0)))`.

    Args:
        y_true: Labels, `-1`/`1` (or `0`/`1`), shape `(batch_size, d0, .. dN)`.
        y_pred: Predictions, same shape.

    Returns:
        Per-sample values of shape `(batch_size, d0, .. dN-1)`.

    Example:
    >>> squared_hinge(torch.tensor([[1.0, 0.0]]), torch.tensor([[0.5, -2.0]]))
    tensor([0.1250])
    """
    y_true, y_pred = _prepare(y_true, y_pred)
    y_true = _hinge_labels(y_true)
    return torch.mean(torch.square(torch.clamp(1.0 - y_true * y_pred, min=0.0)), dim=-1)


def categorical_hinge(y_true, y_pred):
    """Categorical hinge loss `maximum(neg - pos + 1, 0)`.

    `pos = sum(y_true * y_pred)` and `neg = max((1 - y_true) * y_pred)` over the last axis.

    Args:
        y_true: One-hot labels, shape `(batch_size, num_classes)`.
        y_pred: Predictions, same shape.

    Returns:
        Per-sample values of shape `(batch_size,)`.

    Example:
    >>> categorical_hinge(torch.tensor([[0.0, 1.0]]), torch.tensor([[0.3, 0.8]]))
    tensor([0.5000])
    """
    y_true, y_pred = _prepare(y_true, y_pred)
    pos = torch.sum(y_true * y_pred, dim=-1)
    neg = torch.amax((1.0 - y_true) * y_pred, dim=-1)
    return torch.clamp(neg - pos + 1.0, min=0.0)


class Hinge(_RegressionTargets, _BuiltinLoss):
    """Hinge loss; `{0, 1}` labels are turned into `{-1, 1}`.

    Args:
        reduction: Defaults to `"sum_over_batch_size"`.
        name: Defaults to `"hinge"`.
        dtype: Defaults to `None`.

    Example:
    >>> float(Hinge()(torch.ones(1, 1), torch.full((1, 1), 0.25)))
    0.75
    """

    def __init__(self, reduction="sum_over_batch_size", name="hinge", dtype=None):
        super().__init__(hinge, name=name, reduction=reduction, dtype=dtype)


class SquaredHinge(_RegressionTargets, _BuiltinLoss):
    """Squared hinge loss; `{0, 1}` labels are turned into `{-1, 1}`.

    Args:
        reduction: Defaults to `"sum_over_batch_size"`.
        name: Defaults to `"squared_hinge"`.
        dtype: Defaults to `None`.

    Example:
    >>> float(SquaredHinge()(torch.ones(1, 1), torch.full((1, 1), 0.5)))
    0.25
    """

    def __init__(self, reduction="sum_over_batch_size", name="squared_hinge", dtype=None):
        super().__init__(squared_hinge, name=name, reduction=reduction, dtype=dtype)


class CategoricalHinge(_CategoricalTargets, _BuiltinLoss):
    """Categorical hinge loss between one-hot targets and predictions.

    Args:
        reduction: Defaults to `"sum_over_batch_size"`.
        name: Defaults to `"categorical_hinge"`.
        dtype: Defaults to `None`.

    Example:
    >>> float(CategoricalHinge()(torch.tensor([[0.0, 1.0]]), torch.tensor([[0.3, 0.8]])))
    0.5
    """

    def __init__(self, reduction="sum_over_batch_size", name="categorical_hinge", dtype=None):
        super().__init__(categorical_hinge, name=name, reduction=reduction, dtype=dtype)
