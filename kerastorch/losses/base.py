"""The loss base classes and Keras' weighting/reduction rules, shared by every loss family.

`Loss` computes `call()` and then weights and reduces it; `LossFunctionWrapper` turns a
per-sample function into a `Loss`. The reduction follows Keras 3: `sum_over_batch_size`
divides the weighted sum by the number of loss values, not by the sum of the weights.

Example:
>>> import torch
>>> loss = LossFunctionWrapper(lambda t, p: (p - t).abs().mean(dim=-1), name="l1")
>>> float(loss(torch.zeros(2, 2), torch.ones(2, 2)))
1.0
"""

import numpy as np
import torch

from kerastorch import config


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


def _auto_name(class_name):
    """Keras' auto name of an object made without `name` (a loss, a metric): the class's in snake case,
    then "_1", "_2", ... for later ones (`AUC()` -> "auc", then "auc_1"), one count for layers, metrics,
    losses and the rest, restarted by `clear_session`."""
    from kerastorch.layers.base import unique_name

    return unique_name(_to_snake_case(class_name))


def _divide_no_nan(a, b):
    """`a / b`, 0 where `b == 0`, in the dtype Keras' `ops.divide_no_nan` gives.

    Keras promotes the operands with a Python float, which its dtype rules read as `floatx`:
    float64 comes back as float32 (so a float64 loss's mean, or a float64 `Mean`, is float32),
    half types are kept.
    """
    if not isinstance(b, torch.Tensor):  # a Python number: no device copy needed
        out = a / b if b != 0 else torch.zeros_like(a)
    else:
        zero = b == 0
        if a.requires_grad or b.requires_grad:   # a safe divisor: no 0/0 in the division's gradient
            out = torch.where(zero, 0.0, a / torch.where(zero, torch.ones_like(b), b))
        else:
            out = torch.where(zero, 0.0, a / b)     # the division's inf/nan where b == 0 replaced
    if out.dtype == torch.float64:
        out = out.to(getattr(torch, config.floatx()))
    return out


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
        self.name = name or _auto_name(type(self).__name__)
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
            if getattr(values, "_keras_mask", None) is None and values.dim() and values.dtype != torch.float64:
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
        from kerastorch.losses.registry import _REGRESSION_FNS
        from kerastorch.losses.targets import _check_broadcast

        if self.fn in _REGRESSION_FNS:
            _check_broadcast(self.name, y_true, y_pred)

    def get_config(self):
        from kerastorch.losses.registry import serialize

        cfg = super().get_config()
        cfg["fn"] = serialize(self.fn)
        cfg.update(self._fn_kwargs)
        return cfg

    @classmethod
    def from_config(cls, config):
        from kerastorch.losses.registry import deserialize

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
