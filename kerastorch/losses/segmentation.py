"""Image-segmentation losses: Dice and Tversky, overlap scores of targets and predictions.

Both reduce over `axis` (every axis by default, giving one value for the whole batch) and add
`epsilon` to the denominator, as Keras does.

Example:
>>> import torch
>>> y_true = torch.tensor([[1.0, 1.0, 0.0, 0.0]])
>>> y_pred = torch.tensor([[1.0, 0.0, 0.0, 1.0]])
>>> round(float(Dice()(y_true, y_pred)), 4)
0.5
"""

from kerastorch import config
from kerastorch.losses.base import _BuiltinLoss, _to_tensor
from kerastorch.losses.targets import _RegressionTargets


def _overlap_inputs(y_true, y_pred):
    y_pred = _to_tensor(y_pred)
    if not y_pred.is_floating_point():
        y_pred = y_pred.float()
    return _to_tensor(y_true, dtype=y_pred.dtype, like=y_pred), y_pred


def _sum(x, axis):
    # Keras' ops.sum: `None` sums every axis; a tuple or list names several.
    if axis is None:
        return x.sum()
    return x.sum(dim=tuple(axis) if isinstance(axis, (tuple, list)) else axis)


def dice(y_true, y_pred, axis=None):
    """Dice loss: `1 - 2 * sum(y_true * y_pred) / (sum(y_true) + sum(y_pred) + epsilon)`.

    Args:
        y_true: Targets (usually masks in `[0, 1]`).
        y_pred: Predictions, same shape.
        axis: Axis or tuple of axes summed over. Defaults to `None` (all axes: one value).

    Returns:
        The loss, with `axis` reduced (a scalar for `axis=None`).

    Example:
    >>> y_true = torch.tensor([[1.0, 1.0], [0.0, 0.0]])
    >>> y_pred = torch.tensor([[0.0, 1.0], [0.0, 1.0]])
    >>> dice(y_true, y_pred, axis=1)
    tensor([0.3333, 1.0000])
    """
    y_true, y_pred = _overlap_inputs(y_true, y_pred)
    intersection = _sum(y_true * y_pred, axis)
    return 1 - 2.0 * intersection / (_sum(y_true, axis) + _sum(y_pred, axis) + config.epsilon())


def tversky(y_true, y_pred, alpha=0.5, beta=0.5, axis=None):
    """Tversky loss: `1 - tp / (tp + alpha * fp + beta * fn + epsilon)`, a Dice loss with weights.

    With soft predictions, `tp = sum(y_true * y_pred)`, `fp = sum((1 - y_pred) * y_true)` and
    `fn = sum(y_pred * (1 - y_true))`, as Keras names them.

    Args:
        y_true: Targets (usually masks in `[0, 1]`).
        y_pred: Predictions, same shape.
        alpha: Weight of the `fp` term. Defaults to `0.5`.
        beta: Weight of the `fn` term. Defaults to `0.5`.
        axis: Axis or tuple of axes summed over. Defaults to `None` (all axes: one value).

    Returns:
        The loss, with `axis` reduced (a scalar for `axis=None`). With `alpha = beta = 0.5`
        it equals `dice`.

    Example:
    >>> y_true = torch.tensor([[1.0, 1.0, 0.0, 0.0]])
    >>> y_pred = torch.tensor([[1.0, 0.0, 0.0, 1.0]])
    >>> round(float(tversky(y_true, y_pred, alpha=0.7, beta=0.3)), 4)
    0.5
    """
    y_true, y_pred = _overlap_inputs(y_true, y_pred)
    intersection = _sum(y_true * y_pred, axis)
    fp = _sum((1 - y_pred) * y_true, axis)
    fn = _sum(y_pred * (1 - y_true), axis)
    return 1 - intersection / (intersection + fp * alpha + fn * beta + config.epsilon())


class Dice(_RegressionTargets, _BuiltinLoss):
    """Dice loss between targets and predictions: `1 - 2 * |y_true * y_pred| / (|y_true| + |y_pred|)`.

    Args:
        reduction: Defaults to `"sum_over_batch_size"`.
        name: Defaults to `"dice"`.
        axis: Axis or tuple of axes the overlap is summed over; `None` sums every axis, giving
            one value for the batch. Defaults to `None`.
        dtype: Defaults to `None`.

    Example:
    >>> y_true = torch.tensor([[[1.0], [1.0]], [[0.0], [0.0]]])
    >>> y_pred = torch.tensor([[[0.0], [1.0]], [[0.0], [1.0]]])
    >>> Dice(axis=(1, 2), reduction=None)(y_true, y_pred)
    tensor([0.3333, 1.0000])
    """

    def __init__(self, reduction="sum_over_batch_size", name="dice", axis=None, dtype=None):
        super().__init__(dice, name=name, reduction=reduction, dtype=dtype, axis=axis)
        self.axis = axis

    _config_keys = ("axis",)


class Tversky(_RegressionTargets, _BuiltinLoss):
    """Tversky loss: a Dice loss whose false positives and negatives are weighted by `alpha`/`beta`.

    Args:
        alpha: Weight of the false positives. Defaults to `0.5`.
        beta: Weight of the false negatives. Defaults to `0.5`.
        reduction: Defaults to `"sum_over_batch_size"`.
        name: Defaults to `"tversky"`.
        axis: Axis or tuple of axes summed over; `None` sums every axis. Defaults to `None`.
        dtype: Defaults to `None`.

    Example:
    >>> y_true = torch.tensor([[1.0, 1.0, 0.0, 0.0]])
    >>> y_pred = torch.tensor([[1.0, 0.0, 0.0, 1.0]])
    >>> round(float(Tversky(alpha=0.7, beta=0.3)(y_true, y_pred)), 4)
    0.5
    """

    def __init__(self, alpha=0.5, beta=0.5, reduction="sum_over_batch_size", name="tversky",
                 axis=None, dtype=None):
        super().__init__(tversky, name=name, reduction=reduction, dtype=dtype,
                         alpha=alpha, beta=beta, axis=axis)
        self.alpha, self.beta, self.axis = alpha, beta, axis

    _config_keys = ("alpha", "beta", "axis")

