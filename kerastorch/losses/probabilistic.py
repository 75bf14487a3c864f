"""Probabilistic losses: crossentropies (binary, categorical, sparse, focal), KL divergence and Poisson.

The numbers follow Keras 3 on its **torch** backend (not TF): probabilities are
renormalised and clipped to `[epsilon, 1 - epsilon]` before the log.

Example:
>>> import torch
>>> round(float(CategoricalCrossentropy()(torch.tensor([[0.0, 1.0]]), torch.tensor([[0.5, 0.5]]))), 4)
0.6931
"""

import warnings

import torch

from kerastorch import config
# The crossentropies' numerics live in kerastorch.ops.nn (Keras' ops of the same names); the
# functions here add label smoothing, ignore_class and the loss-specific checks.
from kerastorch.ops.nn import losses as _nn_losses
from kerastorch.losses.base import _BuiltinLoss, _prepare, _to_tensor
from kerastorch.losses.targets import _BinaryTargets, _CategoricalTargets, _RegressionTargets, _SparseTargets


def kl_divergence(y_true, y_pred):
    """Kullback-Leibler divergence `sum(y_true * log(y_true / y_pred))`, both clipped to `[eps, 1]`.

    Args:
        y_true: Target distribution, shape `(batch_size, d0, .. dN)`.
        y_pred: Predicted distribution, same shape.

    Returns:
        Per-sample values of shape `(batch_size, d0, .. dN-1)`.

    Example:
    >>> kl_divergence(torch.tensor([[0.5, 0.5]]), torch.tensor([[0.5, 0.5]]))
    tensor([0.])
    """
    y_true, y_pred = _prepare(y_true, y_pred)
    eps = config.epsilon()
    y_true = torch.clamp(y_true, eps, 1.0)
    y_pred = torch.clamp(y_pred, eps, 1.0)
    return torch.sum(y_true * torch.log(y_true / y_pred), dim=-1)


def poisson(y_true, y_pred):
    """Poisson loss: `mean(y_pred - y_true * log(y_pred + eps))` over the last axis.

    Args:
        y_true: Ground truth counts, shape `(batch_size, d0, .. dN)`.
        y_pred: Predicted rates, same shape.

    Returns:
        Per-sample values of shape `(batch_size, d0, .. dN-1)`.

    Example:
    >>> poisson(torch.tensor([[0.0]]), torch.tensor([[2.0]]))
    tensor([2.])
    """
    y_true, y_pred = _prepare(y_true, y_pred)
    return torch.mean(y_pred - y_true * torch.log(y_pred + config.epsilon()), dim=-1)


def _check_axis(axis):
    if isinstance(axis, bool) or not isinstance(axis, int):
        raise ValueError(f"`axis` must be an integer, got axis={axis!r} of type {type(axis).__name__}.")


def _warn_single_class(name, y_pred):
    if y_pred.shape[-1] == 1:
        warnings.warn(
            f"In loss {name}, expected y_pred.shape to be (batch_size, num_classes) with "
            f"num_classes > 1. Received: y_pred.shape={tuple(y_pred.shape)}. "
            "Consider using 'binary_crossentropy' if you only have 2 classes.",
            SyntaxWarning,
            stacklevel=3,
        )


def categorical_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """Categorical crossentropy between one-hot targets and predicted probabilities.

    With `from_logits=False` (Keras' torch backend): `p = y_pred / sum(y_pred)`, clipped to
    `[1e-7, 1 - 1e-7]`, then `-sum(y_true * log(p))`. With `from_logits=True`:
    `-sum(y_true * log_softmax(y_pred))`.

    Args:
        y_true: One-hot targets, same shape as `y_pred`.
        y_pred: Probabilities (or logits), shape `(batch_size, ..., num_classes)`.
        from_logits: Whether `y_pred` holds logits. Defaults to `False`.
        label_smoothing: In `[0, 1]`; targets become `y * (1 - s) + s / num_classes`.
            Defaults to `0.0`.
        axis: The class axis. Defaults to `-1`.

    Returns:
        Per-sample losses with the class axis removed.

    Example:
    >>> categorical_crossentropy(torch.tensor([[0.0, 1.0]]), torch.tensor([[0.5, 0.5]]))
    tensor([0.6931])
    """
    _check_axis(axis)
    y_true, y_pred = _prepare(y_true, y_pred)
    _warn_single_class("categorical_crossentropy", y_pred)
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + label_smoothing / y_true.shape[-1]
    if y_true.shape != y_pred.shape:
        raise ValueError(
            "categorical_crossentropy: targets and predictions must have the same shape, got "
            f"y_true.shape={tuple(y_true.shape)} and y_pred.shape={tuple(y_pred.shape)}. For integer "
            "class ids use sparse_categorical_crossentropy."
        )
    return _nn_losses.categorical_values(y_true, y_pred, from_logits, axis)


def categorical_focal_crossentropy(
    y_true, y_pred, alpha=0.25, gamma=2.0, from_logits=False, label_smoothing=0.0, axis=-1
):
    """Categorical focal crossentropy: `sum(alpha * (1 - p)**gamma * -y_true * log(p))`.

    Probabilities are renormalised and clipped to `[1e-7, 1 - 1e-7]`; with `from_logits`,
    a softmax comes first.

    Args:
        y_true: One-hot targets, same shape as `y_pred`.
        y_pred: Probabilities (or logits).
        alpha: Weighting factor. Defaults to `0.25`.
        gamma: Focusing parameter. Defaults to `2.0`.
        from_logits: Whether `y_pred` holds logits. Defaults to `False`.
        label_smoothing: Defaults to `0.0`.
        axis: The class axis. Defaults to `-1`.

    Returns:
        Per-sample losses with the class axis removed.

    Example:
    >>> categorical_focal_crossentropy(torch.tensor([[0.0, 1.0]]), torch.tensor([[0.5, 0.5]]))
    tensor([0.0433])
    """
    _check_axis(axis)
    y_true, y_pred = _prepare(y_true, y_pred)
    _warn_single_class("categorical_focal_crossentropy", y_pred)
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + label_smoothing / y_true.shape[-1]
    if from_logits:
        y_pred = torch.softmax(y_pred, dim=axis)
    eps = config.epsilon()
    output = torch.clamp(y_pred / torch.sum(y_pred, dim=axis, keepdim=True), eps, 1.0 - eps)
    cce = -y_true * torch.log(output)
    focal = torch.pow(1.0 - output, gamma) * alpha * cce
    return torch.sum(focal, dim=axis)


def _sparse_cce(y_true, y_pred, from_logits, ignore_class, axis):
    y_pred = _to_tensor(y_pred)
    if not y_pred.is_floating_point():
        y_pred = y_pred.float()
    y_true = _to_tensor(y_true, like=y_pred)
    if y_true.dim() == y_pred.dim() and y_true.shape[axis] == 1:
        y_true = y_true.squeeze(axis)
    valid = None
    if ignore_class is not None:
        valid = y_true != ignore_class
        y_true = torch.where(valid, y_true, torch.zeros_like(y_true))
        y_pred = torch.where(valid.unsqueeze(axis), y_pred, torch.zeros_like(y_pred))
    target = y_true.long()
    expected = list(y_pred.shape)
    del expected[axis]
    if list(target.shape) != expected:
        raise ValueError(
            "sparse_categorical_crossentropy: targets must have the shape of the predictions without "
            f"the class axis, got y_true.shape={tuple(target.shape)} and "
            f"y_pred.shape={tuple(y_pred.shape)}. For one-hot targets use categorical_crossentropy."
        )
    res = _nn_losses.sparse_values(target, y_pred, from_logits, axis)
    if valid is not None:
        valid = valid.reshape(res.shape)
        res = torch.where(valid, res, torch.zeros_like(res))
    return res, valid


def sparse_categorical_crossentropy(y_true, y_pred, from_logits=False, ignore_class=None, axis=-1):
    """Categorical crossentropy with integer class ids as targets.

    Same numbers as `categorical_crossentropy` on one-hot targets, without building them.

    Args:
        y_true: Integer class ids, shape `y_pred.shape[:-1]` (or with a trailing `1`).
        y_pred: Probabilities (or logits), shape `(batch_size, ..., num_classes)`.
        from_logits: Whether `y_pred` holds logits. Defaults to `False`.
        ignore_class: Class id whose entries get loss 0 (and are left out of the
            `Loss` object's mean). Defaults to `None`.
        axis: The class axis. Defaults to `-1`.

    Returns:
        Per-sample losses with the class axis removed.

    Example:
    >>> sparse_categorical_crossentropy(torch.tensor([1]), torch.tensor([[0.5, 0.5]]))
    tensor([0.6931])
    """
    res, valid = _sparse_cce(y_true, y_pred, from_logits, ignore_class, axis)
    if valid is not None:
        res._keras_mask = valid  # read by Loss.__call__, as Keras' set_keras_mask
    return res


def binary_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """Binary crossentropy, averaged over `axis`.

    With `from_logits=False` (Keras' torch backend) `y_pred` is clipped to
    `[1e-7, 1 - 1e-7]` before `-(y log p + (1 - y) log(1 - p))`; with `from_logits=True`
    the stable `binary_cross_entropy_with_logits` is used.

    Args:
        y_true: Targets in `[0, 1]`, same shape as `y_pred`.
        y_pred: Probabilities (or logits).
        from_logits: Whether `y_pred` holds logits. Defaults to `False`.
        label_smoothing: Targets become `y * (1 - s) + 0.5 * s`. Defaults to `0.0`.
        axis: Axis averaged over. Defaults to `-1`.

    Returns:
        Per-sample losses with `axis` removed.

    Example:
    >>> binary_crossentropy(torch.tensor([[1.0, 0.0]]), torch.tensor([[0.5, 0.5]]))
    tensor([0.6931])
    """
    y_true, y_pred = _prepare(y_true, y_pred)
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing
    return torch.mean(_elementwise_bce(y_true, y_pred, from_logits), dim=axis)


def _elementwise_bce(y_true, y_pred, from_logits):
    if y_true.shape != y_pred.shape:
        raise ValueError(
            "binary_crossentropy: targets and predictions must have the same shape, got "
            f"y_true.shape={tuple(y_true.shape)} and y_pred.shape={tuple(y_pred.shape)}."
        )
    return _nn_losses.binary_values(y_true, y_pred, from_logits)


def binary_focal_crossentropy(
    y_true,
    y_pred,
    apply_class_balancing=False,
    alpha=0.25,
    gamma=2.0,
    from_logits=False,
    label_smoothing=0.0,
    axis=-1,
):
    """Binary focal crossentropy: `(1 - p_t)**gamma * bce`, averaged over `axis`.

    Args:
        y_true: Targets in `[0, 1]`, same shape as `y_pred`.
        y_pred: Probabilities (or logits).
        apply_class_balancing: Whether to weight by `alpha` / `1 - alpha`. Defaults to `False`.
        alpha: Weight of the positive class when balancing. Defaults to `0.25`.
        gamma: Focusing parameter. Defaults to `2.0`.
        from_logits: Whether `y_pred` holds logits. Defaults to `False`.
        label_smoothing: Defaults to `0.0`.
        axis: Axis averaged over. Defaults to `-1`.

    Returns:
        Per-sample losses with `axis` removed.

    Example:
    >>> binary_focal_crossentropy(torch.tensor([[1.0]]), torch.tensor([[0.5]]))
    tensor([0.1733])
    """
    y_true, y_pred = _prepare(y_true, y_pred)
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing
    if from_logits:
        y_pred = torch.sigmoid(y_pred)
    bce = _elementwise_bce(y_true, y_pred, from_logits=False)
    p_t = y_true * y_pred + (1 - y_true) * (1 - y_pred)
    focal_bce = torch.pow(1.0 - p_t, gamma) * bce
    if apply_class_balancing:
        focal_bce = (y_true * alpha + (1 - y_true) * (1 - alpha)) * focal_bce
    return torch.mean(focal_bce, dim=axis)


class KLDivergence(_CategoricalTargets, _BuiltinLoss):
    """Kullback-Leibler divergence between target and predicted distributions.

    Args:
        reduction: Defaults to `"sum_over_batch_size"`.
        name: Defaults to `"kl_divergence"`.
        dtype: Defaults to `None`.

    Example:
    >>> float(KLDivergence()(torch.tensor([[0.5, 0.5]]), torch.tensor([[0.5, 0.5]])))
    0.0
    """

    def __init__(self, reduction="sum_over_batch_size", name="kl_divergence", dtype=None):
        super().__init__(kl_divergence, name=name, reduction=reduction, dtype=dtype)


class Poisson(_RegressionTargets, _BuiltinLoss):
    """Poisson loss `mean(y_pred - y_true * log(y_pred + eps))`.

    Args:
        reduction: Defaults to `"sum_over_batch_size"`.
        name: Defaults to `"poisson"`.
        dtype: Defaults to `None`.

    Example:
    >>> float(Poisson()(torch.zeros(1, 1), torch.full((1, 1), 2.0)))
    2.0
    """

    def __init__(self, reduction="sum_over_batch_size", name="poisson", dtype=None):
        super().__init__(poisson, name=name, reduction=reduction, dtype=dtype)


class BinaryCrossentropy(_BinaryTargets, _BuiltinLoss):
    """Binary crossentropy between targets in [0, 1] and probabilities (or logits).

    Args:
        from_logits: Whether predictions are logits. Defaults to `False`.
        label_smoothing: Defaults to `0.0`.
        axis: Axis averaged over. Defaults to `-1`.
        reduction: Defaults to `"sum_over_batch_size"`.
        name: Defaults to `"binary_crossentropy"`.
        dtype: Defaults to `None`.

    Example:
    >>> round(float(BinaryCrossentropy()(torch.ones(2, 1), torch.full((2, 1), 0.5))), 4)
    0.6931
    """

    _config_keys = ("from_logits", "label_smoothing", "axis")

    def __init__(
        self,
        from_logits=False,
        label_smoothing=0.0,
        axis=-1,
        reduction="sum_over_batch_size",
        name="binary_crossentropy",
        dtype=None,
    ):
        super().__init__(
            binary_crossentropy,
            name=name,
            reduction=reduction,
            dtype=dtype,
            from_logits=from_logits,
            label_smoothing=label_smoothing,
            axis=axis,
        )
        self.from_logits, self.label_smoothing, self.axis = from_logits, label_smoothing, axis


class BinaryFocalCrossentropy(_BinaryTargets, _BuiltinLoss):
    """Binary focal crossentropy: down-weights easy examples by `(1 - p_t)**gamma`.

    Args:
        apply_class_balancing: Defaults to `False`.
        alpha: Defaults to `0.25`.
        gamma: Defaults to `2.0`.
        from_logits: Defaults to `False`.
        label_smoothing: Defaults to `0.0`.
        axis: Defaults to `-1`.
        reduction: Defaults to `"sum_over_batch_size"`.
        name: Defaults to `"binary_focal_crossentropy"`.
        dtype: Defaults to `None`.

    Example:
    >>> round(float(BinaryFocalCrossentropy()(torch.ones(1, 1), torch.full((1, 1), 0.5))), 4)
    0.1733
    """

    _config_keys = ("from_logits", "label_smoothing", "axis", "apply_class_balancing", "alpha", "gamma")

    def __init__(
        self,
        apply_class_balancing=False,
        alpha=0.25,
        gamma=2.0,
        from_logits=False,
        label_smoothing=0.0,
        axis=-1,
        reduction="sum_over_batch_size",
        name="binary_focal_crossentropy",
        dtype=None,
    ):
        super().__init__(
            binary_focal_crossentropy,
            name=name,
            reduction=reduction,
            dtype=dtype,
            apply_class_balancing=apply_class_balancing,
            alpha=alpha,
            gamma=gamma,
            from_logits=from_logits,
            label_smoothing=label_smoothing,
            axis=axis,
        )
        self.from_logits, self.label_smoothing, self.axis = from_logits, label_smoothing, axis
        self.apply_class_balancing, self.alpha, self.gamma = apply_class_balancing, alpha, gamma


class CategoricalCrossentropy(_CategoricalTargets, _BuiltinLoss):
    """Crossentropy between one-hot targets and predicted probabilities (or logits).

    Args:
        from_logits: Whether predictions are logits. Defaults to `False`.
        label_smoothing: Defaults to `0.0`.
        axis: The class axis. Defaults to `-1`.
        reduction: Defaults to `"sum_over_batch_size"`.
        name: Defaults to `"categorical_crossentropy"`.
        dtype: Defaults to `None`.

    Example:
    >>> round(float(CategoricalCrossentropy()(torch.tensor([[0.0, 1.0]]), torch.tensor([[0.5, 0.5]]))), 4)
    0.6931
    """

    _config_keys = ("from_logits", "label_smoothing", "axis")

    def __init__(
        self,
        from_logits=False,
        label_smoothing=0.0,
        axis=-1,
        reduction="sum_over_batch_size",
        name="categorical_crossentropy",
        dtype=None,
    ):
        super().__init__(
            categorical_crossentropy,
            name=name,
            reduction=reduction,
            dtype=dtype,
            from_logits=from_logits,
            label_smoothing=label_smoothing,
            axis=axis,
        )
        self.from_logits, self.label_smoothing, self.axis = from_logits, label_smoothing, axis


class CategoricalFocalCrossentropy(_CategoricalTargets, _BuiltinLoss):
    """Categorical focal crossentropy between one-hot targets and predictions.

    Args:
        alpha: Defaults to `0.25`.
        gamma: Defaults to `2.0`.
        from_logits: Defaults to `False`.
        label_smoothing: Defaults to `0.0`.
        axis: Defaults to `-1`.
        reduction: Defaults to `"sum_over_batch_size"`.
        name: Defaults to `"categorical_focal_crossentropy"`.
        dtype: Defaults to `None`.

    Example:
    >>> round(float(CategoricalFocalCrossentropy()(torch.tensor([[0.0, 1.0]]), torch.tensor([[0.5, 0.5]]))), 4)
    0.0433
    """

    _config_keys = ("from_logits", "label_smoothing", "axis", "alpha", "gamma")

    def __init__(
        self,
        alpha=0.25,
        gamma=2.0,
        from_logits=False,
        label_smoothing=0.0,
        axis=-1,
        reduction="sum_over_batch_size",
        name="categorical_focal_crossentropy",
        dtype=None,
    ):
        super().__init__(
            categorical_focal_crossentropy,
            name=name,
            reduction=reduction,
            dtype=dtype,
            alpha=alpha,
            gamma=gamma,
            from_logits=from_logits,
            label_smoothing=label_smoothing,
            axis=axis,
        )
        self.from_logits, self.label_smoothing, self.axis = from_logits, label_smoothing, axis
        self.alpha, self.gamma = alpha, gamma


class SparseCategoricalCrossentropy(_SparseTargets, _BuiltinLoss):
    """Crossentropy between integer class ids and predicted probabilities (or logits).

    Args:
        from_logits: Whether predictions are logits. Defaults to `False`.
        ignore_class: Class id left out of the loss (and of the mean). Defaults to `None`.
        reduction: Defaults to `"sum_over_batch_size"`.
        axis: The class axis. Defaults to `-1`.
        name: Defaults to `"sparse_categorical_crossentropy"`.
        dtype: Defaults to `None`.

    Example:
    >>> round(float(SparseCategoricalCrossentropy()(torch.tensor([1]), torch.tensor([[0.5, 0.5]]))), 4)
    0.6931
    """

    _config_keys = ("from_logits", "ignore_class")

    def __init__(
        self,
        from_logits=False,
        ignore_class=None,
        reduction="sum_over_batch_size",
        axis=-1,
        name="sparse_categorical_crossentropy",
        dtype=None,
    ):
        super().__init__(
            sparse_categorical_crossentropy,
            name=name,
            reduction=reduction,
            dtype=dtype,
            from_logits=from_logits,
            ignore_class=ignore_class,
            axis=axis,
        )
        self.from_logits, self.ignore_class, self.axis = from_logits, ignore_class, axis
