"""Keras 3 losses on torch tensors: functions, `Loss` classes, `get`, target checks.

The numbers follow Keras 3 on its **torch** backend (not TF): probabilities are
renormalised and clipped to `[epsilon, 1 - epsilon]` before the log, and
`sum_over_batch_size` divides the weighted sum by the number of loss values, not
by the sum of the weights.

Example:
>>> import torch
>>> from kerastorch import losses
>>> loss = losses.get("categorical_crossentropy")
>>> y_true = torch.tensor([[0.0, 1.0], [1.0, 0.0]])
>>> y_pred = torch.tensor([[0.2, 0.8], [0.6, 0.4]])
>>> round(float(loss(y_true, y_pred)), 4)
0.367
"""

import difflib
import math
import warnings

import numpy as np
import torch
import torch.nn.functional as F

from kerastorch import config
# The crossentropies' numerics live in kerastorch.ops.nn (Keras' ops of the same names); the
# functions here add label smoothing, ignore_class and the loss-specific checks.
from kerastorch.ops.nn import losses as _nn_losses

_REDUCTIONS = ("sum_over_batch_size", "sum", "mean", "mean_with_sample_weight", "none", None)


# --------------------------------------------------------------------------- helpers


def _to_tensor(x, dtype=None, like=None):
    """Converts arrays, lists and scalars to a tensor on `like`'s device (no copy if already right)."""
    device = like.device if isinstance(like, torch.Tensor) else None
    if isinstance(x, (bool, int, float, np.number)) and device is not None:
        # A fill on the device, not a host-to-device copy (which would sync the GPU).
        return torch.full((), float(x) if dtype is None or dtype.is_floating_point else x,
                          dtype=dtype or torch.float32, device=device)
    if isinstance(x, torch.Tensor):
        if dtype is not None and x.dtype != dtype:
            x = x.to(dtype)
        if device is not None and x.device != device:
            x = x.to(device)
        return x
    if isinstance(x, np.ndarray) and dtype is None and x.dtype == np.float64:
        dtype = torch.float32  # Keras' floatx, not numpy's float64
    return torch.as_tensor(np.asarray(x), dtype=dtype, device=device)


def _float_dtype(x):
    return x.dtype if x.is_floating_point() else torch.float32


def _shape_str(shape, batch=True):
    """Writes a shape as `summary()` does; with `batch`, the first axis becomes `None`."""
    dims = list(shape)
    if batch and dims:
        dims[0] = None
    if len(dims) == 1:
        return f"({dims[0]},)"
    return "(" + ", ".join(str(d) for d in dims) + ")"


def squeeze_or_expand_to_same_rank(x1, x2, expand_rank_1=True):
    """Squeezes or expands the last axis so that two tensors' ranks match, as Keras does.

    When the ranks differ by one and the longer tensor's last axis is 1, that axis is
    squeezed; except that a rank-1 tensor facing a `(N, 1)` one is expanded instead
    (with `expand_rank_1=True`).

    Args:
        x1: A tensor.
        x2: A tensor.
        expand_rank_1: Whether a rank-1 tensor is expanded rather than the other squeezed.
            Defaults to `True`.

    Returns:
        The pair `(x1, x2)`, reshaped.

    Example:
    >>> a, b = squeeze_or_expand_to_same_rank(torch.zeros(4, 1), torch.zeros(4))
    >>> tuple(a.shape), tuple(b.shape)
    ((4, 1), (4, 1))
    """
    r1, r2 = x1.dim(), x2.dim()
    if r1 == r2:
        return x1, x2
    if r1 == r2 + 1 and x1.shape[-1] == 1:
        if r2 == 1 and expand_rank_1:
            x2 = x2.unsqueeze(-1)
        else:
            x1 = x1.squeeze(-1)
    if r2 == r1 + 1 and x2.shape[-1] == 1:
        if r1 == 1 and expand_rank_1:
            x1 = x1.unsqueeze(-1)
        else:
            x2 = x2.squeeze(-1)
    return x1, x2


def _divide_no_nan(a, b):
    if not isinstance(b, torch.Tensor):  # a Python number: no device copy needed
        return a / b if b != 0 else torch.zeros_like(a)
    safe = torch.where(b == 0, torch.ones_like(b), b)
    return torch.where(b == 0, torch.zeros_like(a * safe), a / safe)


def _apply_mask(sample_weight, mask, dtype, reduction):
    """Folds a boolean mask into the sample weights (Keras `apply_mask`)."""
    if mask is None:
        return sample_weight
    if reduction in ("mean", "sum_over_batch_size"):
        # Valid entries get weight total/valid, so the mean runs over valid entries only.
        total = torch.full((), float(mask.numel()), dtype=dtype, device=mask.device)
        valid = mask.to(dtype).sum()
        float_mask = torch.where(mask.bool(), _divide_no_nan(total, valid), torch.zeros((), dtype=dtype, device=mask.device))
    else:
        float_mask = mask.to(dtype)
    if sample_weight is None:
        return float_mask
    sample_weight = sample_weight.to(dtype)
    float_mask, sample_weight = squeeze_or_expand_to_same_rank(float_mask, sample_weight)
    return sample_weight * float_mask


def reduce_weighted_values(values, sample_weight=None, mask=None, reduction="sum_over_batch_size"):
    """Weights and reduces per-sample loss values with Keras' rules.

    Args:
        values: Tensor of per-sample (or per-element) losses.
        sample_weight: Optional weights; a `(N,)` weight facing `(N, 1)` values (or the
            reverse) is expanded/squeezed to match, then broadcast. Defaults to `None`.
        mask: Optional boolean tensor of valid entries. Defaults to `None`.
        reduction: `"sum_over_batch_size"` (sum divided by the number of values, not
            the weight sum), `"mean"` (same), `"sum"`, `"mean_with_sample_weight"`
            (divided by the weight sum), `"none"` or `None`. Defaults to
            `"sum_over_batch_size"`.

    Returns:
        The reduced loss tensor (0-d unless `reduction` is `"none"`/`None`).

    Example:
    >>> v = torch.tensor([1.0, 2.0, 3.0, 4.0])
    >>> float(reduce_weighted_values(v, torch.tensor([1.0, 1.0, 0.0, 0.0])))
    0.75
    """
    _check_reduction(reduction)
    dtype = values.dtype
    if sample_weight is not None:
        sample_weight = _to_tensor(sample_weight, dtype=dtype, like=values)
    sample_weight = _apply_mask(sample_weight, mask, dtype, reduction)
    if sample_weight is not None:
        values, sample_weight = squeeze_or_expand_to_same_rank(values, sample_weight)
        values = values * sample_weight
    if reduction is None or reduction == "none" or values.dim() == 0 or tuple(values.shape) == (0,):
        return values
    loss = values.sum()
    if reduction in ("sum_over_batch_size", "mean", "mean_with_sample_weight"):
        if reduction == "mean_with_sample_weight" and sample_weight is not None:
            divisor = sample_weight.sum()
        else:
            divisor = float(values.numel())
        loss = _divide_no_nan(loss, divisor)
    return loss


def _check_reduction(reduction):
    if reduction not in _REDUCTIONS:
        raise ValueError(
            f"Invalid reduction={reduction!r}. Expected one of 'sum_over_batch_size', 'sum', "
            "'mean', 'mean_with_sample_weight', 'none' or None."
        )


# --------------------------------------------------------------------------- functions


def _prepare(y_true, y_pred):
    y_pred = _to_tensor(y_pred)
    if not y_pred.is_floating_point():
        y_pred = y_pred.float()
    y_true = _to_tensor(y_true, dtype=y_pred.dtype, like=y_pred)
    return y_true, y_pred


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


# Legacy/short aliases, as Keras exposes them.
mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error
mape = MAPE = mean_absolute_percentage_error
msle = MSLE = mean_squared_logarithmic_error
kld = KLD = kl_divergence
bce = BCE = binary_crossentropy
logcosh = log_cosh


# --------------------------------------------------------------------------- classes


def _to_snake_case(name):
    import re

    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


class Loss:
    """Base class of losses: `__call__` computes `call()` then weights and reduces it.

    Subclasses implement `call(y_true, y_pred)` returning per-sample values.

    Args:
        name: Name of the loss. Defaults to the snake-case class name.
        reduction: `"sum_over_batch_size"` (sum over the number of values), `"sum"`,
            `"mean"`, `"mean_with_sample_weight"`, `"none"` or `None`. Defaults to
            `"sum_over_batch_size"`.
        dtype: Computation dtype. Defaults to `None` (`config.floatx()`).

    Example:
    >>> class Squared(Loss):
    ...     def call(self, y_true, y_pred):
    ...         return ((y_pred - y_true) ** 2).mean(dim=-1)
    >>> float(Squared()(torch.zeros(2, 1), torch.ones(2, 1)))
    1.0
    """

    def __init__(self, name=None, reduction="sum_over_batch_size", dtype=None):
        _check_reduction(reduction)
        self.name = name or _to_snake_case(type(self).__name__)
        self.reduction = reduction
        self._dtype = dtype

    @property
    def dtype(self):
        """The computation dtype as a string (`"float32"` unless set)."""
        return self._dtype or config.floatx()

    def _torch_dtype(self):
        return getattr(torch, self.dtype)

    def __call__(self, y_true, y_pred, sample_weight=None):
        # The training hot path: tensors already of the loss dtype, no weights, no mask, the
        # default reduction. Same arithmetic as below (sum / number of values), less Python.
        if (sample_weight is None and self.reduction == "sum_over_batch_size"
                and type(y_pred) is torch.Tensor and type(y_true) is torch.Tensor
                and y_pred.dtype == self._torch_dtype() and y_true.device == y_pred.device
                and getattr(y_pred, "_keras_mask", None) is None):
            if y_true.dtype != y_pred.dtype:
                y_true = y_true.to(y_pred.dtype)
            values = self.call(y_true, y_pred)
            if getattr(values, "_keras_mask", None) is None and values.dim():
                return values.sum() / values.numel()
            return reduce_weighted_values(values, mask=getattr(values, "_keras_mask", None),
                                          reduction=self.reduction)
        in_mask = getattr(y_pred, "_keras_mask", None)
        y_pred = _to_tensor(y_pred, dtype=self._torch_dtype())
        y_true = _to_tensor(y_true, dtype=self._torch_dtype(), like=y_pred)
        values = self.call(y_true, y_pred)
        out_mask = getattr(values, "_keras_mask", None)
        if in_mask is not None and out_mask is not None:
            mask = in_mask & out_mask
        else:
            mask = in_mask if in_mask is not None else out_mask
        return reduce_weighted_values(values, sample_weight=sample_weight, mask=mask, reduction=self.reduction)

    def call(self, y_true, y_pred):
        """Returns the per-sample loss values; to be implemented by subclasses."""
        raise NotImplementedError(f"{type(self).__name__} must implement call(y_true, y_pred).")

    def check_targets(self, y_true, y_pred):
        """Raises `ValueError` if `y_true` cannot be targets for `y_pred`; no-op by default.

        The trainer calls it once, on the first batch, so it may read values (and sync).
        """

    def get_config(self):
        """Returns the constructor arguments, with Keras' keys."""
        return {"name": self.name, "reduction": self.reduction}

    @classmethod
    def from_config(cls, config):
        """Builds the loss back from `get_config()`."""
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}>"


class LossFunctionWrapper(Loss):
    """Wraps a function `fn(y_true, y_pred, **kwargs)` of tensors into a `Loss`.

    Before calling `fn`, a `(N,)` vs `(N, 1)` rank mismatch between targets and
    predictions is reconciled, as Keras does.

    Args:
        fn: Callable returning per-sample losses.
        reduction: Defaults to `"sum_over_batch_size"`.
        name: Defaults to the function's name.
        dtype: Defaults to `None` (`config.floatx()`).
        **kwargs: Passed to `fn` on every call.

    Example:
    >>> loss = LossFunctionWrapper(lambda t, p: (p - t).abs().mean(dim=-1), name="l1")
    >>> float(loss(torch.zeros(2, 2), torch.ones(2, 2)))
    1.0
    """

    def __init__(self, fn, reduction="sum_over_batch_size", name=None, dtype=None, **kwargs):
        if not callable(fn):
            raise TypeError(f"LossFunctionWrapper expects a callable fn(y_true, y_pred), got {fn!r}.")
        if name is None:
            name = _to_snake_case(getattr(fn, "__name__", type(fn).__name__))
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        self.fn = fn
        self._fn_kwargs = kwargs

    def call(self, y_true, y_pred):
        y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
        return self.fn(y_true, y_pred, **self._fn_kwargs)

    def check_targets(self, y_true, y_pred):
        """Checks that targets and predictions broadcast (for custom functions)."""
        if self.fn in _REGRESSION_FNS:
            _check_broadcast(self.name, y_true, y_pred)

    def get_config(self):
        cfg = super().get_config()
        cfg["fn"] = serialize(self.fn)
        cfg.update(self._fn_kwargs)
        return cfg

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if "fn" in config:
            config["fn"] = deserialize(config["fn"])
        return cls(**config)

    def __repr__(self):
        return f"<LossFunctionWrapper({self.fn}, kwargs={self._fn_kwargs})>"


class _BuiltinLoss(LossFunctionWrapper):
    """A built-in Keras loss: `get_config()` is the base config plus `_config_keys`."""

    _config_keys = ()

    def get_config(self):
        cfg = Loss.get_config(self)
        cfg.update({k: getattr(self, k) for k in self._config_keys})
        return cfg

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}>"


# ---- target checks ------------------------------------------------------------


def _as_tensor_for_check(x):
    return x if isinstance(x, torch.Tensor) else torch.as_tensor(np.asarray(x))


def _is_integral(y):
    if not (y.is_floating_point() or y.is_complex()):
        return True
    return bool(torch.all(y == torch.round(y))) if y.numel() else True


def _check_broadcast(name, y_true, y_pred):
    y_true, y_pred = _as_tensor_for_check(y_true), _as_tensor_for_check(y_pred)
    t, p = squeeze_or_expand_to_same_rank(y_true, y_pred)
    try:
        torch.broadcast_shapes(t.shape, p.shape)
    except RuntimeError:
        raise ValueError(
            f"Loss '{name}' expects targets that broadcast against the predictions, "
            f"{_shape_str(y_pred.shape)}, but y has shape {tuple(y_true.shape)}. Make the model's last "
            f"layer output {y_true.shape[-1] if y_true.dim() > 1 else 1} value(s) per sample, or reshape y "
            f"to {_shape_str(y_pred.shape)}."
        ) from None


def _check_one_hot(name, y_true, y_pred):
    y_true, y_pred = _as_tensor_for_check(y_true), _as_tensor_for_check(y_pred)
    if tuple(y_true.shape[1:]) == tuple(y_pred.shape[1:]):
        return
    n = y_pred.shape[-1]
    pred_shape = _shape_str(y_pred.shape)
    looks_sparse = tuple(y_true.shape[1:]) == tuple(y_pred.shape[1:-1]) or tuple(y_true.shape[1:]) == (
        *y_pred.shape[1:-1],
        1,
    )
    if looks_sparse and n > 1 and _is_integral(y_true):
        raise ValueError(
            f"Loss '{name}' expects one-hot targets shaped like the predictions, {pred_shape}, but y "
            f"has shape {tuple(y_true.shape)} with integer class ids. Use "
            f"loss='sparse_categorical_crossentropy', or one-hot encode y with "
            f"kerastorch.utils.to_categorical(y, num_classes={n})."
        )
    raise ValueError(
        f"Loss '{name}' expects one-hot targets shaped like the predictions, {pred_shape}, but y has "
        f"shape {tuple(y_true.shape)}. Make the last layer output {y_true.shape[-1]} classes "
        f"(e.g. Dense({y_true.shape[-1]}, activation='softmax')), or give y with {n} columns."
    )


class _CategoricalTargets:
    def check_targets(self, y_true, y_pred):
        """Raises `ValueError` unless `y_true` is one-hot, shaped like `y_pred`."""
        _check_one_hot(self.name, y_true, y_pred)


class _RegressionTargets:
    def check_targets(self, y_true, y_pred):
        """Raises `ValueError` unless `y_true` and `y_pred` broadcast."""
        _check_broadcast(self.name, y_true, y_pred)


class _BinaryTargets:
    def check_targets(self, y_true, y_pred):
        """Raises `ValueError` unless `y_true` holds values in [0, 1] shaped like `y_pred`."""
        name = self.name
        y_true, y_pred = _as_tensor_for_check(y_true), _as_tensor_for_check(y_pred)
        t, p = squeeze_or_expand_to_same_rank(y_true, y_pred)
        pred_shape = _shape_str(y_pred.shape)
        if tuple(t.shape[1:]) != tuple(p.shape[1:]):
            if y_pred.shape[-1] == 1 and y_true.dim() >= 2 and y_true.shape[-1] > 1:
                k = y_true.shape[-1]
                raise ValueError(
                    f"Loss '{name}' expects targets shaped like the predictions, {pred_shape}, but y has "
                    f"shape {tuple(y_true.shape)}. If y is one-hot over {k} classes, end the model with "
                    f"Dense({k}, activation='softmax') and use loss='categorical_crossentropy'."
                )
            raise ValueError(
                f"Loss '{name}' expects targets shaped like the predictions, {pred_shape}, but y has "
                f"shape {tuple(y_true.shape)}. Make the last layer output {t.shape[-1] if t.dim() > 1 else 1} "
                f"value(s) per sample, or reshape y to {pred_shape}."
            )
        if y_true.numel():
            lo, hi = float(y_true.min()), float(y_true.max())
            if lo < 0 or hi > 1:
                hint = (
                    f" If y holds class ids 0..{int(hi)}, end the model with Dense({int(hi) + 1}, "
                    "activation='softmax') and use loss='sparse_categorical_crossentropy'."
                    if _is_integral(y_true) and lo >= 0
                    else ""
                )
                raise ValueError(
                    f"Loss '{name}' expects targets in [0, 1], but y holds values in "
                    f"[{lo:g}, {hi:g}] (shape {tuple(y_true.shape)}).{hint}"
                )


class _SparseTargets:
    def check_targets(self, y_true, y_pred):
        """Raises `ValueError` unless `y_true` holds integer class ids in [0, num_classes)."""
        name = self.name
        y_true, y_pred = _as_tensor_for_check(y_true), _as_tensor_for_check(y_pred)
        n = y_pred.shape[-1]
        pred_shape = _shape_str(y_pred.shape)
        expected = tuple(y_pred.shape[1:-1])
        got = tuple(y_true.shape[1:])
        if got not in (expected, (*expected, 1)):
            if got == tuple(y_pred.shape[1:]) and n > 1:
                raise ValueError(
                    f"Loss '{name}' expects integer class ids shaped {_shape_str((None, *expected))}, "
                    f"one per sample, but y has shape {tuple(y_true.shape)}, like the predictions "
                    f"{pred_shape}: one-hot targets. Use loss='categorical_crossentropy', or pass the "
                    "class ids, y.argmax(axis=-1)."
                )
            raise ValueError(
                f"Loss '{name}' expects integer class ids shaped {_shape_str((None, *expected))} for "
                f"predictions {pred_shape}, but y has shape {tuple(y_true.shape)}."
            )
        if not _is_integral(y_true):
            raise ValueError(
                f"Loss '{name}' expects integer class ids in [0, {n}), but y holds non-integer values. "
                "For probability targets use loss='categorical_crossentropy'."
            )
        vals = y_true
        ignore = getattr(self, "ignore_class", None)
        if ignore is not None:
            vals = vals[vals != ignore]
        if vals.numel():
            lo, hi = int(vals.min()), int(vals.max())
            if lo < 0 or hi >= n:
                raise ValueError(
                    f"Loss '{name}' expects class ids in [0, {n}) for predictions {pred_shape}, but y "
                    f"holds ids from {lo} to {hi}. Make the last layer output at least {hi + 1} classes "
                    f"(Dense({hi + 1}, activation='softmax')), or relabel y to 0..{n - 1}."
                )


# ---- the built-in classes -----------------------------------------------------


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


_REGRESSION_FNS = {
    mean_squared_error,
    mean_absolute_error,
    mean_absolute_percentage_error,
    mean_squared_logarithmic_error,
    cosine_similarity,
    huber,
    log_cosh,
    poisson,
    hinge,
    squared_hinge,
}


# --------------------------------------------------------------------------- fused logits path

# Bounds that reproduce, in log space, Keras' float32 clip to [eps, 1 - eps]: log is monotonic,
# so log(clip(p, lo, hi)) == clip(log(p), log(lo), log(hi)) with lo/hi rounded to float32 as
# torch.clip rounds them.
_LOG_BOUNDS = {}


def _log_bounds():
    eps = config.epsilon()
    if eps in _LOG_BOUNDS:
        return _LOG_BOUNDS[eps]
    lo = torch.tensor(eps, dtype=torch.float32)
    hi = torch.tensor(1.0 - eps, dtype=torch.float32)
    one = torch.tensor(1.0, dtype=torch.float32)
    _LOG_BOUNDS[eps] = (
        float(torch.log(lo)),
        float(torch.log(hi)),
        float(torch.log(one - hi)),  # smallest 1 - p after the clip
        float(torch.log(one - lo)),  # largest 1 - p after the clip
    )
    return _LOG_BOUNDS[eps]


_LOGIT_BOUNDS = {}


def _logit_bounds():
    """The logits whose sigmoid is Keras' clip bounds, float32(eps) and float32(1 - eps).

    sigmoid is monotonic, so clipping the probability to [lo, hi] is clamping the logit to
    [logit(lo), logit(hi)]: same values, same zero gradient outside.
    """
    eps = config.epsilon()
    if eps not in _LOGIT_BOUNDS:
        lo = float(torch.tensor(eps, dtype=torch.float32))
        hi = float(torch.tensor(1.0 - eps, dtype=torch.float32))
        _LOGIT_BOUNDS[eps] = (float(np.log(lo / (1.0 - lo))), float(np.log(hi / (1.0 - hi))))
    return _LOGIT_BOUNDS[eps]


class _FusedLogitsLoss(Loss):
    """A crossentropy computed from logits that equals the base loss on softmax/sigmoid outputs."""

    def __init__(self, base, activation):
        super().__init__(name=base.name, reduction=base.reduction, dtype=base._dtype)
        self.base, self.activation = base, activation

    def call(self, y_true, logits):
        base = self.base
        log_lo, log_hi, log_1m_lo, log_1m_hi = _log_bounds()
        if isinstance(base, BinaryCrossentropy):
            y_true, logits = squeeze_or_expand_to_same_rank(y_true, logits)
            if base.label_smoothing:
                y_true = y_true * (1.0 - base.label_smoothing) + 0.5 * base.label_smoothing
            z_lo, z_hi = _logit_bounds()
            values = F.binary_cross_entropy_with_logits(torch.clamp(logits, z_lo, z_hi), y_true,
                                                        reduction="none")
            return torch.mean(values, dim=base.axis)
        log_p = torch.clamp(F.log_softmax(logits, dim=-1), log_lo, log_hi)
        if isinstance(base, SparseCategoricalCrossentropy):
            target = y_true
            if target.dim() == log_p.dim() and target.shape[-1] == 1:
                target = target.squeeze(-1)
            valid = None
            if base.ignore_class is not None:
                valid = target != base.ignore_class
                target = torch.where(valid, target, torch.zeros_like(target))
            res = -torch.gather(log_p, -1, target.long().unsqueeze(-1)).squeeze(-1)
            if valid is not None:
                res = torch.where(valid, res, torch.zeros_like(res))
                res._keras_mask = valid
            return res
        y_true, logits = squeeze_or_expand_to_same_rank(y_true, logits)
        if base.label_smoothing:
            y_true = y_true * (1.0 - base.label_smoothing) + base.label_smoothing / y_true.shape[-1]
        return -torch.sum(y_true * log_p, dim=-1)

    def _softmax_hot_path(self, y_true, logits):
        """(loss, log-probabilities) on the training hot path, or None where it does not apply.

        The loss is the sum over samples and classes / samples: the same value as the mean
        of the per-sample sums, with two autograd nodes fewer.
        """
        base = self.base
        if (self.activation != "softmax" or self.reduction != "sum_over_batch_size"
                or type(y_true) is not torch.Tensor or logits.dim() != 2
                or getattr(logits, "_keras_mask", None) is not None):
            return None
        log_lo, log_hi = _log_bounds()[:2]
        if type(base) is CategoricalCrossentropy and not base.label_smoothing and y_true.shape == logits.shape:
            log_p = F.log_softmax(logits, dim=-1)
            loss = -(y_true.to(log_p.dtype) * torch.clamp(log_p, log_lo, log_hi)).sum() / logits.shape[0]
            return loss, log_p
        if (type(base) is SparseCategoricalCrossentropy and base.ignore_class is None
                and not y_true.is_floating_point() and y_true.numel() == logits.shape[0]):
            log_p = F.log_softmax(logits, dim=-1)
            return F.nll_loss(torch.clamp(log_p, log_lo, log_hi), y_true.reshape(-1).long()), log_p
        return None

    def loss_and_probabilities(self, y_true, logits, sample_weight=None, need_probabilities=True):
        """The loss and, for the metrics, the activation's output (`softmax`/`sigmoid` of the logits).

        On the hot path the probabilities come from the loss's own `log_softmax` (`exp` of it:
        within one float32 ulp of `softmax`, at a tenth of its cost).
        """
        if sample_weight is None:
            hot = self._softmax_hot_path(y_true, logits)
            if hot is not None:
                loss, log_p = hot
                return loss, (log_p.detach().exp() if need_probabilities else None)
        loss = self(y_true, logits, sample_weight=sample_weight)
        if not need_probabilities:
            return loss, None
        detached = logits.detach()
        return loss, (torch.sigmoid(detached) if self.activation == "sigmoid" else torch.softmax(detached, -1))

    def __call__(self, y_true, y_pred, sample_weight=None):
        base = self.base
        if sample_weight is None:
            hot = self._softmax_hot_path(y_true, y_pred)
            if hot is not None:
                return hot[0]
        plain = (sample_weight is None and self.reduction == "sum_over_batch_size"
                 and type(y_true) is torch.Tensor and getattr(y_pred, "_keras_mask", None) is None
                 and y_pred.dim() == 2)
        if (plain and self.activation == "sigmoid"
                and not base.label_smoothing and y_true.shape == y_pred.shape):
            # The training hot path: the mean over every element is the mean of the per-sample
            # means (all rows have the same length), in one fused kernel.
            z_lo, z_hi = _logit_bounds()
            return F.binary_cross_entropy_with_logits(torch.clamp(y_pred, z_lo, z_hi),
                                                      y_true.to(y_pred.dtype))
        return super().__call__(y_true, y_pred, sample_weight=sample_weight)

    def check_targets(self, y_true, y_pred):
        self.base.check_targets(y_true, y_pred)

    def get_config(self):
        return self.base.get_config()


def fused_from_logits(loss_obj, activation_name):
    """Returns a loss that takes the logits *before* `activation_name` and gives `loss_obj`'s value.

    The trainer may drop a final `softmax`/`sigmoid` from the forward pass and call the
    returned loss on the logits: faster, and stable. It covers
    `CategoricalCrossentropy`/`SparseCategoricalCrossentropy` after `"softmax"` and
    `BinaryCrossentropy` after `"sigmoid"`, all with `from_logits=False`, on the last axis;
    for anything else it returns `None` (keep the activation and the loss as they are).

    Keras' clip of probabilities to `[1e-7, 1 - 1e-7]` is reproduced exactly: in log space
    for softmax (`log(clip(p)) == clip(log(p))`), and as a clamp of the logits for sigmoid
    (`clip(sigmoid(z)) == sigmoid(clamp(z, logit(lo), logit(hi)))`), bounds rounded to
    float32 as `torch.clip` does, so saturated logits give Keras' plateau values (and zero
    gradients) too. The values agree
    with Keras to 1e-6 for softmax everywhere and for sigmoid while `|logit| <~ 5`; beyond
    that Keras computes `1 - sigmoid(z)` in float32 and loses digits to cancellation (about
    1e-3 relative at `|z| = 10`), whereas the logits path stays exact. The metrics must then
    be fed `activation(logits)`, not the logits.

    Args:
        loss_obj: A `Loss` (as returned by `get`).
        activation_name: Name of the model's final activation, e.g. `"softmax"`.

    Returns:
        A `Loss` taking logits, or `None` when no fused path applies.

    Example:
    >>> fused = fused_from_logits(CategoricalCrossentropy(), "softmax")
    >>> logits = torch.tensor([[1.0, 2.0, 0.5]])
    >>> y = torch.tensor([[0.0, 1.0, 0.0]])
    >>> bool(torch.isclose(fused(y, logits), CategoricalCrossentropy()(y, logits.softmax(-1))))
    True
    """
    if not isinstance(loss_obj, Loss) or getattr(loss_obj, "from_logits", True):
        return None
    if getattr(loss_obj, "axis", -1) != -1:
        return None
    kind = type(loss_obj)
    if activation_name == "softmax" and kind in (CategoricalCrossentropy, SparseCategoricalCrossentropy):
        return _FusedLogitsLoss(loss_obj, "softmax")
    if activation_name == "sigmoid" and kind is BinaryCrossentropy:
        return _FusedLogitsLoss(loss_obj, "sigmoid")
    return None


# --------------------------------------------------------------------------- registry

_CLASSES = (
    Loss,
    LossFunctionWrapper,
    KLDivergence,
    Poisson,
    BinaryCrossentropy,
    BinaryFocalCrossentropy,
    CategoricalCrossentropy,
    CategoricalFocalCrossentropy,
    SparseCategoricalCrossentropy,
    MeanSquaredError,
    MeanAbsoluteError,
    MeanAbsolutePercentageError,
    MeanSquaredLogarithmicError,
    CosineSimilarity,
    LogCosh,
    Huber,
    Hinge,
    SquaredHinge,
    CategoricalHinge,
)

# Function name -> the class whose default instance computes it.
_FUNCTIONS = {
    "kl_divergence": (kl_divergence, KLDivergence),
    "poisson": (poisson, Poisson),
    "binary_crossentropy": (binary_crossentropy, BinaryCrossentropy),
    "binary_focal_crossentropy": (binary_focal_crossentropy, BinaryFocalCrossentropy),
    "categorical_crossentropy": (categorical_crossentropy, CategoricalCrossentropy),
    "categorical_focal_crossentropy": (categorical_focal_crossentropy, CategoricalFocalCrossentropy),
    "sparse_categorical_crossentropy": (sparse_categorical_crossentropy, SparseCategoricalCrossentropy),
    "mean_squared_error": (mean_squared_error, MeanSquaredError),
    "mean_absolute_error": (mean_absolute_error, MeanAbsoluteError),
    "mean_absolute_percentage_error": (mean_absolute_percentage_error, MeanAbsolutePercentageError),
    "mean_squared_logarithmic_error": (mean_squared_logarithmic_error, MeanSquaredLogarithmicError),
    "cosine_similarity": (cosine_similarity, CosineSimilarity),
    "log_cosh": (log_cosh, LogCosh),
    "huber": (huber, Huber),
    "hinge": (hinge, Hinge),
    "squared_hinge": (squared_hinge, SquaredHinge),
    "categorical_hinge": (categorical_hinge, CategoricalHinge),
}
# Keras 3's `losses.get` aliases (`logcosh`, `huber_loss` are *not* among them).
_ALIASES = {
    "bce": "binary_crossentropy",
    "BCE": "binary_crossentropy",
    "kld": "kl_divergence",
    "KLD": "kl_divergence",
    "mae": "mean_absolute_error",
    "MAE": "mean_absolute_error",
    "mse": "mean_squared_error",
    "MSE": "mean_squared_error",
    "mape": "mean_absolute_percentage_error",
    "MAPE": "mean_absolute_percentage_error",
    "msle": "mean_squared_logarithmic_error",
    "MSLE": "mean_squared_logarithmic_error",
}
_CLASS_BY_NAME = {c.__name__: c for c in _CLASSES}
_FN_TO_CLASS = {fn: cls for fn, cls in _FUNCTIONS.values()}


def _known_names():
    return sorted(set(_FUNCTIONS) | set(_ALIASES) | {c.__name__ for c in _CLASSES[2:]})


def _unknown(kind, identifier, known):
    close = difflib.get_close_matches(str(identifier), known, n=1)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    return ValueError(f"Unknown {kind} {identifier!r}.{hint} Known: {', '.join(known)}.")


def get(identifier):
    """Returns a `Loss` object for a Keras identifier.

    Args:
        identifier: A Keras loss name: a function name (`"categorical_crossentropy"`),
            an alias (`"mse"`, `"bce"`, `"kld"`, ...) or a class name
            (`"CategoricalCrossentropy"`); a `Loss` instance (returned as is); a `Loss`
            class (instantiated); any callable `fn(y_true, y_pred)` (wrapped in
            `LossFunctionWrapper`); a config dict from `serialize`; or `None`.

    Returns:
        A `Loss`, or `None` for `None`. A function name or alias gives the matching
        class, named with the identifier as Keras' `compile` names it.

    Raises:
        ValueError: for an unknown name, naming the closest known one.

    Example:
    >>> get("mse").name, type(get("mse")).__name__
    ('mse', 'MeanSquaredError')
    >>> get("CategoricalCrossentropy").name
    'categorical_crossentropy'
    """
    if identifier is None:
        return None
    if isinstance(identifier, Loss):
        return identifier
    if isinstance(identifier, dict):
        obj = deserialize(identifier)
        return obj if isinstance(obj, Loss) else LossFunctionWrapper(obj)
    if isinstance(identifier, str):
        name = _ALIASES.get(identifier, identifier)
        if name in _FUNCTIONS:
            return _FUNCTIONS[name][1](name=identifier)
        cls = _CLASS_BY_NAME.get(identifier)
        if cls is not None and cls not in (Loss, LossFunctionWrapper):
            return cls()
        raise _unknown("loss", identifier, _known_names())
    if isinstance(identifier, type) and issubclass(identifier, Loss):
        return identifier()
    if callable(identifier):
        cls = _FN_TO_CLASS.get(identifier)
        if cls is not None:  # a built-in function: keep its target checks and fused path
            return cls(name=identifier.__name__)
        return LossFunctionWrapper(identifier)
    raise TypeError(
        f"Could not interpret loss identifier {identifier!r} of type {type(identifier).__name__}: "
        "expected a loss name, a Loss, a callable fn(y_true, y_pred) or a config dict."
    )


def resolve_crossentropy(identifier, y_true, y_pred):
    """Resolves the loss names `"crossentropy"`/`"ce"` by Keras 3's shape rule.

    Binary if `y_pred.shape[-1] == 1`; sparse if `rank(y_true) < rank(y_pred)` or
    (`y_true.shape[-1] == 1` and `y_pred.shape[-1] > 1`); categorical otherwise. Other
    identifiers go to `get`.

    Args:
        identifier: What the user passed as `loss`.
        y_true: Targets of one batch (anything with `.shape`).
        y_pred: Predictions of one batch.

    Returns:
        A `Loss`, named with the identifier.

    Example:
    >>> type(resolve_crossentropy("ce", torch.zeros(4), torch.zeros(4, 3))).__name__
    'SparseCategoricalCrossentropy'
    """
    if str(identifier).lower() not in ("crossentropy", "ce"):
        return get(identifier)
    is_binary, is_sparse = _binary_or_sparse(y_true, y_pred)
    if is_binary:
        return BinaryCrossentropy(name=str(identifier))
    if is_sparse:
        return SparseCategoricalCrossentropy(name=str(identifier))
    return CategoricalCrossentropy(name=str(identifier))


def _binary_or_sparse(y_true, y_pred):
    t_shape, p_shape = tuple(np.shape(y_true)), tuple(np.shape(y_pred))
    is_binary = p_shape[-1] == 1
    is_sparse = len(t_shape) < len(p_shape) or (t_shape[-1] == 1 and p_shape[-1] > 1)
    return is_binary, is_sparse


def serialize(loss):
    """Serializes a `Loss` (or a loss function) into Keras' config dict.

    Args:
        loss: A `Loss` or a function.

    Returns:
        `{"module": "keras.losses", "class_name": ..., "config": ..., "registered_name": None}`
        for a `Loss`; for a function, Keras' `{"module": "builtins", "class_name": "function",
        "config": name, "registered_name": "function"}`.

    Example:
    >>> serialize(MeanSquaredError())["class_name"]
    'MeanSquaredError'
    """
    if loss is None:
        return None
    if isinstance(loss, Loss):
        return {
            "module": "keras.losses",
            "class_name": type(loss).__name__,
            "config": loss.get_config(),
            "registered_name": None,
        }
    if callable(loss) and hasattr(loss, "__name__"):
        return {"module": "builtins", "class_name": "function", "config": loss.__name__, "registered_name": "function"}
    raise TypeError(f"Cannot serialize {loss!r}: expected a Loss or a function.")


def deserialize(config, custom_objects=None):
    """Rebuilds a loss from `serialize()`'s output (or a bare name).

    Args:
        config: A dict from `serialize`, or a name.
        custom_objects: Optional dict of extra names to classes/functions. Defaults to `None`.

    Returns:
        A `Loss` instance, or a function for a serialized function.

    Example:
    >>> deserialize(serialize(Huber(delta=2.0))).delta
    2.0
    """
    custom_objects = custom_objects or {}
    if isinstance(config, str):
        if config in custom_objects:
            return custom_objects[config]
        name = _ALIASES.get(config, config)
        if name in _FUNCTIONS:
            return _FUNCTIONS[name][0]
        return get(config)
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(f"Could not deserialize loss from {config!r}: expected a dict with 'class_name'.")
    class_name, inner = config["class_name"], config.get("config")
    if class_name == "function":
        return deserialize(inner, custom_objects)
    cls = custom_objects.get(class_name) or _CLASS_BY_NAME.get(class_name)
    if cls is None:
        raise _unknown("loss class", class_name, sorted(_CLASS_BY_NAME))
    return cls.from_config(inner or {})
