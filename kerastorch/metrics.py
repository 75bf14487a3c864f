"""Keras 3 stateful metrics on torch tensors.

A metric accumulates state over `update_state` calls and reports `result()`. The state
lives in torch tensors on the device of the first inputs, and neither `update_state` nor
`result` reads a value back to the host, so a training loop can call them every step
without synchronising the GPU; `float(metric.result())` once per log line is the only sync.

Example:
>>> import torch
>>> from kerastorch import metrics
>>> m = metrics.get("binary_accuracy")
>>> m.update_state(torch.tensor([[1.0], [0.0]]), torch.tensor([[0.9], [0.8]]))
>>> float(m.result())
0.5
"""

import collections
import difflib

import numpy as np
import torch

from kerastorch import config
from kerastorch import losses as _losses
from kerastorch.losses import (
    _apply_mask,
    _divide_no_nan,
    _to_snake_case,
    _to_tensor,
    binary_crossentropy,
    categorical_crossentropy,
    categorical_hinge,
    hinge,
    kl_divergence,
    log_cosh,
    mean_absolute_error,
    mean_absolute_percentage_error,
    mean_squared_error,
    mean_squared_logarithmic_error,
    poisson,
    sparse_categorical_crossentropy,
    squared_hinge,
    squeeze_or_expand_to_same_rank,
)

_NAME_UIDS = collections.defaultdict(int)
NEG_INF = -1e10


def _auto_name(class_name):
    # Keras names a metric made without `name` after its class, then "_1", "_2", ... for
    # later instances (`AUC()` -> "auc", then "auc_1"); those names become the log keys.
    base = _to_snake_case(class_name)
    uid = _NAME_UIDS[base]
    _NAME_UIDS[base] += 1
    return base if uid == 0 else f"{base}_{uid}"


def _detach(x, dtype=None, like=None):
    x = _to_tensor(x, dtype=dtype, like=like)
    return x.detach()


# --------------------------------------------------------------------------- base classes


class Metric:
    """Base class of stateful metrics.

    Subclasses declare their state in `_state_specs(y_true, y_pred)` (a dict of name to
    shape), implement `update_state` and `result`, and read the state as `self._state[name]`.
    The state tensors are made on the first `update_state`, on the inputs' device.

    Args:
        name: Name of the metric, the key it is logged under. Defaults to the
            snake-case class name (with `_1`, `_2`, ... for later unnamed instances).
        dtype: Dtype of the state and result. Defaults to `None` (`config.floatx()`).

    Example:
    >>> class Count(Metric):
    ...     def _state_specs(self, *inputs):
    ...         return {"n": ()}
    ...     def update_state(self, y_true, y_pred, sample_weight=None):
    ...         self._ensure_state(y_pred)
    ...         self._state["n"] += y_pred.shape[0]
    ...     def result(self):
    ...         return self._get_state("n").clone()
    >>> c = Count()
    >>> c.update_state(None, torch.zeros(3))
    >>> float(c.result())
    3.0
    """

    def __init__(self, name=None, dtype=None):
        self.name = name or _auto_name(type(self).__name__)
        self._dtype = dtype
        self._state = {}
        self._device = None
        self._constants = {}  # device copies of constants (thresholds, label weights)

    @property
    def dtype(self):
        """The state dtype as a string (`"float32"` unless set)."""
        return self._dtype or config.floatx()

    def _torch_dtype(self):
        return getattr(torch, self.dtype)

    def _state_specs(self, *inputs):
        """Returns `{state_name: shape}`; `inputs` are the first update's (may be empty)."""
        return {}

    def _ensure_state(self, like, *inputs):
        """Creates the state on `like`'s device at the first update (or moves it there)."""
        device = like.device if isinstance(like, torch.Tensor) else torch.device("cpu")
        if not self._state:
            self._device = device
            dtype = self._torch_dtype()
            specs = self._state_specs(*inputs) if inputs else self._state_specs(like)
            self._state = {k: torch.zeros(shape, dtype=dtype, device=device) for k, shape in specs.items()}
        elif self._device != device:
            self._device = device
            self._state = {k: v.to(device) for k, v in self._state.items()}

    def _get_state(self, key):
        if not self._state:
            # result() before any update: build the state (when its shape is known without
            # data) on the configured device, so the result is Keras' empty value.
            self._device = config.get_device()
            self._state = {
                k: torch.zeros(shape, dtype=self._torch_dtype(), device=self._device)
                for k, shape in self._state_specs().items()
            }
        return self._state[key]

    @property
    def variables(self):
        """The state tensors, in creation order (empty before the first update)."""
        return list(self._state.values())

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Accumulates statistics from one batch; to be implemented by subclasses."""
        raise NotImplementedError(f"{type(self).__name__} must implement update_state().")

    def result(self):
        """Returns the metric value as a tensor on the state's device; subclasses implement it."""
        raise NotImplementedError(f"{type(self).__name__} must implement result().")

    def reset_state(self):
        """Zeroes the state in place, keeping its device."""
        for v in self._state.values():
            v.zero_()

    def __call__(self, *args, **kwargs):
        self.update_state(*args, **kwargs)
        return self.result()

    def get_config(self):
        """Returns the constructor arguments, with Keras' keys."""
        return {"name": self.name, "dtype": self.dtype}

    @classmethod
    def from_config(cls, config):
        """Builds the metric back from `get_config()`."""
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}>"


def _reduce_to_samplewise_values(values, sample_weight, reduce_fn, dtype):
    mask = getattr(values, "_keras_mask", None)
    values = values.detach().to(dtype)
    if sample_weight is not None:
        sample_weight = _detach(sample_weight, dtype=dtype, like=values)
        if mask is not None:
            sample_weight = _apply_mask(sample_weight, mask, dtype=dtype, reduction="sum")
        values, sample_weight = squeeze_or_expand_to_same_rank(values, sample_weight)
        weight_ndim, values_ndim = sample_weight.dim(), values.dim()
        if values_ndim > weight_ndim:
            values = reduce_fn(values, dim=list(range(weight_ndim, values_ndim)))
        sample_weight = sample_weight.broadcast_to(values.shape)
        values = values * sample_weight
        if weight_ndim > 1:
            sample_weight = reduce_fn(sample_weight, dim=list(range(1, weight_ndim)))
    if values.dim() > 1:
        values = reduce_fn(values, dim=list(range(1, values.dim())))
    return values, sample_weight


class Sum(Metric):
    """Running (weighted) sum of the given values.

    Args:
        name: Defaults to `"sum"`.
        dtype: Defaults to `None`.

    Example:
    >>> m = Sum()
    >>> m.update_state(torch.tensor([1.0, 3.0, 5.0]))
    >>> float(m.result())
    9.0
    """

    def __init__(self, name="sum", dtype=None):
        super().__init__(name=name, dtype=dtype)

    def _state_specs(self, *inputs):
        return {"total": ()}

    def update_state(self, values, sample_weight=None):
        """Adds `sum(values * sample_weight)` to the total."""
        values = _to_tensor(values)
        self._ensure_state(values)
        values, _ = _reduce_to_samplewise_values(values, sample_weight, torch.sum, self._torch_dtype())
        self._state["total"] += values.sum()

    def result(self):
        return self._get_state("total").clone()


class Mean(Metric):
    """Running (weighted) mean of the given values: `sum(v * w) / sum(w)`.

    Args:
        name: Defaults to `"mean"`.
        dtype: Defaults to `None`.

    Example:
    >>> m = Mean()
    >>> m.update_state(torch.tensor([1.0, 3.0, 5.0, 7.0]), sample_weight=torch.tensor([1.0, 1.0, 0.0, 0.0]))
    >>> float(m.result())
    2.0
    """

    def __init__(self, name="mean", dtype=None):
        super().__init__(name=name, dtype=dtype)

    def _state_specs(self, *inputs):
        return {"total": (), "count": ()}

    def update_state(self, values, sample_weight=None):
        """Adds the values (reduced per sample) and their weights (or their count)."""
        values = _to_tensor(values)
        self._ensure_state(values)
        values, sample_weight = _reduce_to_samplewise_values(
            values, sample_weight, torch.mean, self._torch_dtype()
        )
        self._state["total"] += values.sum()
        if sample_weight is not None:
            self._state["count"] += sample_weight.sum()
        else:
            self._state["count"] += values.shape[0] if values.dim() >= 1 else 1

    def result(self):
        return _divide_no_nan(self._get_state("total"), self._get_state("count"))


class MeanMetricWrapper(Mean):
    """Mean over samples of a function `fn(y_true, y_pred, **kwargs)` of tensors.

    Args:
        fn: Callable returning per-sample values.
        name: Defaults to the snake-case class name (`"mean_metric_wrapper"`).
        dtype: Defaults to `None`.
        **kwargs: Passed to `fn` on every call.

    Example:
    >>> m = MeanMetricWrapper(lambda t, p: (t - p).abs().mean(dim=-1), name="l1")
    >>> m.update_state(torch.zeros(2, 2), torch.ones(2, 2))
    >>> m.name, float(m.result())
    ('l1', 1.0)
    """

    def __init__(self, fn, name=None, dtype=None, **kwargs):
        super().__init__(name=name or _auto_name(type(self).__name__), dtype=dtype)
        if not callable(fn):
            raise TypeError(f"MeanMetricWrapper expects a callable fn(y_true, y_pred), got {fn!r}.")
        self._fn = fn
        self._fn_kwargs = kwargs

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Computes `fn` on the batch and adds its per-sample values to the mean."""
        mask = getattr(y_pred, "_keras_mask", None)
        y_pred = _detach(y_pred)
        y_true = _detach(y_true, like=y_pred)
        values = self._fn(y_true, y_pred, **self._fn_kwargs)
        if sample_weight is not None:
            sample_weight = _detach(sample_weight, dtype=self._torch_dtype(), like=y_pred)
        sample_weight = _apply_mask(sample_weight, mask, dtype=self._torch_dtype(), reduction="sum")
        return Mean.update_state(self, values, sample_weight=sample_weight)

    def get_config(self):
        cfg = super().get_config()
        cfg["fn"] = _losses.serialize(self._fn)
        cfg.update(self._fn_kwargs)
        return cfg

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if "fn" in config:
            config["fn"] = _deserialize_fn(config["fn"])
        return cls(**config)


class _FnMetric(MeanMetricWrapper):
    """A built-in MeanMetricWrapper: config is name, dtype and `_config_keys`."""

    _config_keys = ()

    def get_config(self):
        cfg = {"name": self.name, "dtype": self.dtype}
        cfg.update({k: getattr(self, k) for k in self._config_keys})
        return cfg

    @classmethod
    def from_config(cls, config):
        return cls(**config)


# --------------------------------------------------------------------------- metric functions


def accuracy(y_true, y_pred):
    """Elementwise `1.0` where `y_true == y_pred`, else `0.0`.

    Args:
        y_true: Targets.
        y_pred: Predicted values (already labels).

    Returns:
        A float tensor of matches.

    Example:
    >>> accuracy(torch.tensor([1.0, 2.0]), torch.tensor([1.0, 3.0]))
    tensor([1., 0.])
    """
    y_pred = _to_tensor(y_pred)
    y_true = _to_tensor(y_true, dtype=y_pred.dtype, like=y_pred)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    return (y_true == y_pred).to(torch.float32)


def binary_accuracy(y_true, y_pred, threshold=0.5):
    """Elementwise match of `y_true` and `y_pred > threshold`.

    Args:
        y_true: Targets in {0, 1}.
        y_pred: Probabilities.
        threshold: Decision threshold. Defaults to `0.5`.

    Returns:
        A float tensor of matches.

    Example:
    >>> binary_accuracy(torch.tensor([[1.0], [0.0]]), torch.tensor([[0.9], [0.8]]))
    tensor([[1.],
            [0.]])
    """
    y_pred = _to_tensor(y_pred)
    y_true = _to_tensor(y_true, like=y_pred)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    y_pred = (y_pred > threshold).to(y_true.dtype)
    return (y_true == y_pred).to(torch.float32)


def categorical_accuracy(y_true, y_pred):
    """Per-sample match of `argmax(y_true)` and `argmax(y_pred)` (one-hot targets).

    Args:
        y_true: One-hot targets.
        y_pred: Scores or probabilities, same shape.

    Returns:
        A float tensor of matches, one per sample.

    Example:
    >>> categorical_accuracy(torch.tensor([[0.0, 1.0], [1.0, 0.0]]), torch.tensor([[0.2, 0.8], [0.3, 0.7]]))
    tensor([1., 0.])
    """
    y_pred = _to_tensor(y_pred)
    y_true = torch.argmax(_to_tensor(y_true, like=y_pred), dim=-1)
    exact = _ids_exact_in(y_pred)
    if not exact:
        y_true = y_true.to(y_pred.dtype)
    original_shape = y_true.shape
    reshape = False
    if y_true.dim() == y_pred.dim():
        y_true = y_true.squeeze(-1)
        reshape = True
    y_pred = torch.argmax(y_pred, dim=-1)
    if not exact:
        y_pred = y_pred.to(y_true.dtype)
    matches = (y_true == y_pred).to(torch.float32)
    return matches.reshape(original_shape) if reshape else matches


def _ids_exact_in(y_pred):
    # Keras casts the class ids to `y_pred`'s dtype before comparing them. In float32 and
    # float64 every id below 2**24 is exact, so comparing the int64 ids directly gives the
    # same result without the copies; half types (2049 -> 2048 in float16) keep the casts.
    return y_pred.dtype in (torch.float32, torch.float64) and (
        y_pred.dim() == 0 or y_pred.shape[-1] <= 2 ** 24)


def sparse_categorical_accuracy(y_true, y_pred):
    """Per-sample match of integer targets and `argmax(y_pred)`.

    Args:
        y_true: Class ids, shape `(N,)` or `(N, 1)`.
        y_pred: Scores or probabilities, shape `(N, num_classes)`.

    Returns:
        A float tensor of matches, one per sample.

    Example:
    >>> sparse_categorical_accuracy(torch.tensor([1, 1]), torch.tensor([[0.2, 0.8], [0.6, 0.4]]))
    tensor([1., 0.])
    """
    y_pred = _to_tensor(y_pred)
    if isinstance(y_true, torch.Tensor):
        y_true = _to_tensor(y_true, like=y_pred)
    else:  # arrays and scalars are converted to y_pred's dtype directly, as before
        y_true = _to_tensor(y_true, dtype=y_pred.dtype, like=y_pred)
    # Integer labels, or labels already in y_pred's float type, compare with the int64 argmax
    # as Keras' casts would (see `_ids_exact_in`); other labels are cast as Keras does.
    exact = _ids_exact_in(y_pred) and (y_true.dtype == y_pred.dtype or (
        not y_true.is_floating_point() and not y_true.is_complex() and y_true.dtype != torch.bool))
    if not exact:
        y_true = y_true.to(y_pred.dtype)
    original_shape = y_true.shape
    reshape = False
    if y_true.dim() == y_pred.dim() and y_true.shape[-1] == 1:
        y_true = y_true.squeeze(-1)
        reshape = True
    y_pred = torch.argmax(y_pred, dim=-1)
    if not exact:
        y_pred = y_pred.to(y_true.dtype)
    matches = (y_true == y_pred).to(torch.float32)
    if reshape:
        matches = matches.reshape(original_shape)
    if matches.dim() > 1 and matches.shape[-1] == 1:
        matches = matches.squeeze(-1)
    return matches


def _in_top_k(targets, predictions, k):
    # Ties count as hits, as in Keras' torch backend. k is capped at the class count, where
    # Keras' torch backend raises "selected index k out of range".
    k = min(k, predictions.shape[-1])
    kth = torch.topk(predictions, k, dim=-1).values[..., -1:]
    target_values = torch.take_along_dim(predictions, targets.long()[:, None], dim=-1)
    return (target_values >= kth).squeeze(-1)


def top_k_categorical_accuracy(y_true, y_pred, k=5):
    """Per-sample: whether the one-hot target's class is among the `k` highest predictions.

    Args:
        y_true: One-hot targets.
        y_pred: Scores, same shape.
        k: Number of top predictions that count. Defaults to `5`.

    Returns:
        A float tensor of hits, one per sample.

    Example:
    >>> top_k_categorical_accuracy(torch.tensor([[0.0, 0.0, 1.0]]), torch.tensor([[0.5, 0.3, 0.2]]), k=2)
    tensor([0.])
    """
    y_pred = _to_tensor(y_pred)
    y_true = torch.argmax(_to_tensor(y_true, like=y_pred), dim=-1)
    original_shape = y_true.shape
    if y_pred.dim() > 2:
        y_pred = y_pred.reshape(-1, y_pred.shape[-1])
    reshape = y_true.dim() > 1
    if reshape:
        y_true = y_true.reshape(-1)
    matches = _in_top_k(y_true, y_pred, k).to(torch.float32)
    return matches.reshape(original_shape) if reshape else matches


def sparse_top_k_categorical_accuracy(y_true, y_pred, k=5, from_sorted_ids=False):
    """Per-sample: whether the integer target is among the `k` highest predictions.

    Args:
        y_true: Class ids, shape `(N,)`.
        y_pred: Scores `(N, num_classes)`, or with `from_sorted_ids`, class ids sorted by score.
        k: Defaults to `5`.
        from_sorted_ids: Whether `y_pred` already holds sorted class ids. Defaults to `False`.

    Returns:
        A float tensor of hits, one per sample.

    Example:
    >>> sparse_top_k_categorical_accuracy(torch.tensor([2]), torch.tensor([[0.5, 0.3, 0.2]]), k=2)
    tensor([0.])
    """
    y_pred = _to_tensor(y_pred)
    y_true = _to_tensor(y_true, like=y_pred)
    y_true = y_true.to(y_pred.dtype) if from_sorted_ids else y_true.to(torch.int32)
    original_shape = y_true.shape
    if y_pred.dim() > 2:
        y_pred = y_pred.reshape(-1, y_pred.shape[-1])
    reshape = y_true.dim() > 1
    if reshape:
        y_true = y_true.reshape(-1)
    if from_sorted_ids:
        matches = torch.any(y_true[:, None] == y_pred[:, :k], dim=1)
    else:
        matches = _in_top_k(y_true, y_pred, k)
    matches = matches.to(torch.float32)
    return matches.reshape(original_shape) if reshape else matches


def _cosine_similarity(y_true, y_pred, axis=-1):
    return -_losses.cosine_similarity(y_true, y_pred, axis=axis)


# --------------------------------------------------------------------------- accuracy metrics


class Accuracy(_FnMetric):
    """How often predictions equal labels.

    Args:
        name: Defaults to `"accuracy"`.
        dtype: Defaults to `None`.

    Example:
    >>> m = Accuracy()
    >>> m.update_state(torch.tensor([[1.0], [2.0]]), torch.tensor([[1.0], [3.0]]))
    >>> float(m.result())
    0.5
    """

    def __init__(self, name="accuracy", dtype=None):
        super().__init__(accuracy, name=name, dtype=dtype)


class BinaryAccuracy(_FnMetric):
    """How often `y_pred > threshold` matches binary labels.

    Args:
        name: Defaults to `"binary_accuracy"`.
        dtype: Defaults to `None`.
        threshold: Defaults to `0.5`.

    Example:
    >>> m = BinaryAccuracy()
    >>> m.update_state(torch.tensor([[1.0], [0.0]]), torch.tensor([[0.9], [0.8]]))
    >>> float(m.result())
    0.5
    """

    _config_keys = ("threshold",)

    def __init__(self, name="binary_accuracy", dtype=None, threshold=0.5):
        super().__init__(binary_accuracy, name=name, dtype=dtype, threshold=threshold)
        self.threshold = threshold


class CategoricalAccuracy(_FnMetric):
    """How often the arg-max of the predictions matches the one-hot labels.

    Args:
        name: Defaults to `"categorical_accuracy"`.
        dtype: Defaults to `None`.

    Example:
    >>> m = CategoricalAccuracy()
    >>> m.update_state(torch.tensor([[0.0, 1.0], [1.0, 0.0]]), torch.tensor([[0.2, 0.8], [0.3, 0.7]]))
    >>> float(m.result())
    0.5
    """

    def __init__(self, name="categorical_accuracy", dtype=None):
        super().__init__(categorical_accuracy, name=name, dtype=dtype)


class SparseCategoricalAccuracy(_FnMetric):
    """How often the arg-max of the predictions matches integer labels.

    Args:
        name: Defaults to `"sparse_categorical_accuracy"`.
        dtype: Defaults to `None`.

    Example:
    >>> m = SparseCategoricalAccuracy()
    >>> m.update_state(torch.tensor([1, 1]), torch.tensor([[0.2, 0.8], [0.6, 0.4]]))
    >>> float(m.result())
    0.5
    """

    def __init__(self, name="sparse_categorical_accuracy", dtype=None):
        super().__init__(sparse_categorical_accuracy, name=name, dtype=dtype)


class TopKCategoricalAccuracy(_FnMetric):
    """How often the one-hot target is among the top `k` predictions.

    Args:
        k: Defaults to `5`.
        name: Defaults to `"top_k_categorical_accuracy"`.
        dtype: Defaults to `None`.

    Example:
    >>> m = TopKCategoricalAccuracy(k=1)
    >>> m.update_state(torch.tensor([[0.0, 1.0]]), torch.tensor([[0.2, 0.8]]))
    >>> float(m.result())
    1.0
    """

    _config_keys = ("k",)

    def __init__(self, k=5, name="top_k_categorical_accuracy", dtype=None):
        super().__init__(top_k_categorical_accuracy, name=name, dtype=dtype, k=k)
        self.k = k


class SparseTopKCategoricalAccuracy(_FnMetric):
    """How often the integer target is among the top `k` predictions.

    Args:
        k: Defaults to `5`.
        name: Defaults to `"sparse_top_k_categorical_accuracy"`.
        dtype: Defaults to `None`.
        from_sorted_ids: Whether `y_pred` holds class ids sorted by score. Defaults to `False`.

    Example:
    >>> m = SparseTopKCategoricalAccuracy(k=1)
    >>> m.update_state(torch.tensor([1]), torch.tensor([[0.2, 0.8]]))
    >>> float(m.result())
    1.0
    """

    def __init__(self, k=5, name="sparse_top_k_categorical_accuracy", dtype=None, from_sorted_ids=False):
        super().__init__(
            sparse_top_k_categorical_accuracy, name=name, dtype=dtype, k=k, from_sorted_ids=from_sorted_ids
        )
        self.k, self.from_sorted_ids = k, from_sorted_ids

    def get_config(self):
        cfg = {"name": self.name, "dtype": self.dtype, "k": self.k}
        if self.from_sorted_ids:
            cfg["from_sorted_ids"] = True
        return cfg


# --------------------------------------------------------------------------- regression / probabilistic


def _fn_metric(class_name, fn, default_name, doc, keys=(), extra=None):
    """Builds a MeanMetricWrapper subclass for a loss function (Keras' probabilistic/regression metrics)."""
    extra = dict(extra or {})

    def __init__(self, name=default_name, dtype=None, **kwargs):
        opts = {**extra, **kwargs}
        _FnMetric.__init__(self, fn, name=name, dtype=dtype, **opts)
        for k in keys:
            setattr(self, k, opts[k])

    cls = type(class_name, (_FnMetric,), {"__init__": __init__, "__doc__": doc, "_config_keys": tuple(keys)})
    cls.__module__ = __name__
    return cls


def _doc(summary, default_name, example, extra_args=""):
    return f"""{summary}

    Args:
        name: Defaults to `"{default_name}"`.
        dtype: Defaults to `None`.{extra_args}

    Example:
{example}
    """


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
)
KLDivergence = _fn_metric(
    "KLDivergence",
    kl_divergence,
    "kl_divergence",
    _doc(
        "Running mean of the Kullback-Leibler divergence.",
        "kl_divergence",
        "    >>> m = KLDivergence()\n    >>> m.update_state(torch.tensor([[0.5, 0.5]]), torch.tensor([[0.5, 0.5]]))\n"
        "    >>> float(m.result())\n    0.0",
    ),
)
Poisson = _fn_metric(
    "Poisson",
    poisson,
    "poisson",
    _doc(
        "Running mean of the Poisson loss.",
        "poisson",
        "    >>> m = Poisson()\n    >>> m.update_state(torch.zeros(1, 1), torch.full((1, 1), 2.0))\n"
        "    >>> float(m.result())\n    2.0",
    ),
)
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
)
BinaryCrossentropy = _fn_metric(
    "BinaryCrossentropy",
    binary_crossentropy,
    "binary_crossentropy",
    _doc(
        "Running mean of the binary crossentropy (Keras' torch-backend numerics).",
        "binary_crossentropy",
        "    >>> m = BinaryCrossentropy()\n    >>> m.update_state(torch.ones(2, 1), torch.full((2, 1), 0.5))\n"
        "    >>> round(float(m.result()), 4)\n    0.6931",
        "\n        from_logits: Defaults to `False`.\n        label_smoothing: Defaults to `0`.",
    ),
    keys=("from_logits", "label_smoothing"),
    extra={"from_logits": False, "label_smoothing": 0},
)
CategoricalCrossentropy = _fn_metric(
    "CategoricalCrossentropy",
    categorical_crossentropy,
    "categorical_crossentropy",
    _doc(
        "Running mean of the categorical crossentropy (Keras' torch-backend numerics).",
        "categorical_crossentropy",
        "    >>> m = CategoricalCrossentropy()\n    >>> m.update_state(torch.tensor([[0.0, 1.0]]), torch.tensor([[0.5, 0.5]]))\n"
        "    >>> round(float(m.result()), 4)\n    0.6931",
        "\n        from_logits: Defaults to `False`.\n        label_smoothing: Defaults to `0`."
        "\n        axis: Defaults to `-1`.",
    ),
    keys=("from_logits", "label_smoothing", "axis"),
    extra={"from_logits": False, "label_smoothing": 0, "axis": -1},
)
SparseCategoricalCrossentropy = _fn_metric(
    "SparseCategoricalCrossentropy",
    sparse_categorical_crossentropy,
    "sparse_categorical_crossentropy",
    _doc(
        "Running mean of the sparse categorical crossentropy (Keras' torch-backend numerics).",
        "sparse_categorical_crossentropy",
        "    >>> m = SparseCategoricalCrossentropy()\n    >>> m.update_state(torch.tensor([1]), torch.tensor([[0.5, 0.5]]))\n"
        "    >>> round(float(m.result()), 4)\n    0.6931",
        "\n        from_logits: Defaults to `False`.\n        ignore_class: Defaults to `None`."
        "\n        axis: Defaults to `-1`.",
    ),
    keys=("from_logits", "ignore_class", "axis"),
    extra={"from_logits": False, "ignore_class": None, "axis": -1},
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


# --------------------------------------------------------------------------- confusion-matrix metrics


def _parse_thresholds(thresholds, default):
    if thresholds is None:
        return [default]
    values = list(thresholds) if isinstance(thresholds, (list, tuple, np.ndarray)) else [thresholds]
    bad = [t for t in values if t is None or t < 0 or t > 1]
    if bad:
        raise ValueError(f"Threshold values must be in [0, 1], got {bad!r}.")
    return [float(t) for t in values]


def _evenly_distributed(thresholds):
    n = len(thresholds)
    if n < 3:
        return False
    even = np.arange(n, dtype=np.float32) / (n - 1)
    return bool(np.allclose(thresholds, even, atol=config.epsilon()))


def _on_device(values, dtype, device, cache):
    """`values` as a tensor on `device`, copied there once per metric (a copy per step would sync)."""
    key = (id(values), dtype, str(device))
    hit = cache.get(key)
    if hit is None:
        src = values if isinstance(values, torch.Tensor) else torch.as_tensor(np.asarray(values, dtype="float64"))
        hit = cache[key] = src.to(device=device, dtype=dtype)
    return hit


def _filter_top_k(x, k):
    idx = torch.topk(x, k, dim=-1).indices
    mask = torch.zeros_like(x).scatter_(-1, idx, 1.0)
    return x * mask + NEG_INF * (1 - mask)


def _confusion_counts(
    wanted,
    y_true,
    y_pred,
    thresholds,
    top_k=None,
    class_id=None,
    sample_weight=None,
    multi_label=False,
    label_weights=None,
    evenly=False,
    dtype=torch.float32,
    cache=None,
):
    """Returns `{"tp"|"fp"|"tn"|"fn": increments}` over `thresholds` for one batch (Keras' rules)."""
    y_pred = _detach(y_pred, dtype=dtype)
    y_true = _detach(y_true, dtype=dtype, like=y_pred)
    with_eps = evenly and (thresholds[0] < 0.0 or thresholds[-1] > 1.0)
    cache = {} if cache is None else cache
    thr = _on_device(thresholds, dtype, y_pred.device, cache)
    num_t = len(thresholds)
    y_pred, y_true = squeeze_or_expand_to_same_rank(y_pred, y_true)
    if sample_weight is not None:
        sample_weight = _detach(sample_weight, dtype=dtype, like=y_pred).unsqueeze(-1)
        _, sample_weight = squeeze_or_expand_to_same_rank(y_true, sample_weight, expand_rank_1=False)
    if top_k is not None:
        y_pred = _filter_top_k(y_pred, top_k)
    if class_id is not None:
        if y_pred.dim() == 1:
            raise ValueError(
                "When class_id is given, y_pred must have shape (num_samples, num_classes), "
                f"got {tuple(y_pred.shape)}."
            )
        y_true = y_true[..., class_id, None]
        y_pred = y_pred[..., class_id, None]
    if label_weights is not None:
        label_weights = _on_device(label_weights, dtype, y_pred.device, cache)

    if evenly:
        weights = torch.ones((), dtype=dtype, device=y_pred.device)
        if sample_weight is not None:
            sw = sample_weight.broadcast_to(y_pred.shape)
            weights = weights * (sw if multi_label else sw.reshape(-1))
        if label_weights is not None:
            lw = label_weights.unsqueeze(0).broadcast_to(y_pred.shape)
            weights = weights * (lw if multi_label else lw.reshape(-1))
        y_pred = torch.clamp(y_pred, 0.0, 1.0)
        y_true = (y_true != 0).to(dtype)
        if not multi_label:
            y_true, y_pred = y_true.reshape(-1), y_pred.reshape(-1)
        true_labels = y_true * weights
        false_labels = (1.0 - y_true) * weights
        buckets = torch.ceil(y_pred * (num_t - 1)) - 1
        if with_eps:
            buckets = torch.relu(buckets)
        buckets = buckets.to(torch.int64)
        # A prediction of exactly 0 with thresholds starting at 0 falls in no bucket
        # (it is not > 0): give it weight 0 rather than a negative index.
        keep = (buckets >= 0).to(dtype)
        buckets = torch.clamp(buckets, min=0)
        true_labels, false_labels = true_labels * keep, false_labels * keep
        if multi_label:
            n_labels = y_pred.shape[-1]
            flat = (buckets + torch.arange(n_labels, device=y_pred.device) * num_t).reshape(-1)

            def seg(data):
                out = torch.zeros(n_labels * num_t, dtype=dtype, device=y_pred.device)
                return out.index_add_(0, flat, data.reshape(-1)).reshape(n_labels, num_t)

            tp = seg(true_labels).flip(1).cumsum(1).flip(1).T
            fp = seg(false_labels).flip(1).cumsum(1).flip(1).T
            total_true, total_false = true_labels.sum(0), false_labels.sum(0)
        else:

            def seg(data):
                out = torch.zeros(num_t, dtype=dtype, device=y_pred.device)
                return out.index_add_(0, buckets, data.broadcast_to(buckets.shape))

            tp = seg(true_labels).flip(0).cumsum(0).flip(0)
            fp = seg(false_labels).flip(0).cumsum(0).flip(0)
            total_true, total_false = true_labels.sum(), false_labels.sum()
        out = {"tp": tp, "fp": fp}
        if "tn" in wanted:
            out["tn"] = total_false - fp
        if "fn" in wanted:
            out["fn"] = total_true - tp
        return out

    label_pos = y_true.bool()
    if multi_label:
        pred_pos = y_pred.unsqueeze(0) > thr.reshape(num_t, 1, 1)  # (T, N, L)
        label_pos = label_pos.unsqueeze(0)
    else:
        pred_pos = y_pred.reshape(1, -1) > thr.reshape(num_t, 1)  # (T, P)
        label_pos = label_pos.reshape(1, -1)
    weights = None
    if sample_weight is not None:
        sw = sample_weight.broadcast_to(y_pred.shape)
        weights = sw.unsqueeze(0) if multi_label else sw.reshape(1, -1)
    if label_weights is not None and not multi_label:
        lw = label_weights.unsqueeze(0).broadcast_to(y_pred.shape).reshape(1, -1)
        weights = lw if weights is None else weights * lw

    def count(label, pred):
        both = (label & pred).to(dtype)
        if weights is not None:
            both = both * weights
        return both.sum(1)

    out = {}
    if "tp" in wanted:
        out["tp"] = count(label_pos, pred_pos)
    if "fp" in wanted:
        out["fp"] = count(~label_pos, pred_pos)
    if "tn" in wanted:
        out["tn"] = count(~label_pos, ~pred_pos)
    if "fn" in wanted:
        out["fn"] = count(label_pos, ~pred_pos)
    return out


_COND_STATE = {"tp": "true_positives", "fp": "false_positives", "tn": "true_negatives", "fn": "false_negatives"}


class _ConfusionMetric(Metric):
    """Shared state handling of the confusion-matrix metrics."""

    _conditions = ()

    def _state_specs(self, *inputs):
        return {_COND_STATE[c]: (len(self.thresholds),) for c in self._conditions}

    def _update(self, y_true, y_pred, sample_weight, **kwargs):
        y_pred = _to_tensor(y_pred)
        self._ensure_state(y_pred)
        inc = _confusion_counts(
            self._conditions,
            y_true,
            y_pred,
            self.thresholds,
            sample_weight=sample_weight,
            evenly=self._thresholds_distributed_evenly,
            dtype=self._torch_dtype(),
            cache=self._constants,
            **kwargs,
        )
        for c in self._conditions:
            self._state[_COND_STATE[c]] += inc[c]


class _ConditionCount(_ConfusionMetric):
    def __init__(self, thresholds=None, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.init_thresholds = thresholds
        self.thresholds = _parse_thresholds(thresholds, 0.5)
        self._thresholds_distributed_evenly = _evenly_distributed(self.thresholds)

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Adds the batch's (weighted) count of the condition, per threshold."""
        self._update(y_true, y_pred, sample_weight)

    def result(self):
        acc = self._get_state(_COND_STATE[self._conditions[0]])
        return acc[0].clone() if len(self.thresholds) == 1 else acc.clone()

    def get_config(self):
        return {**super().get_config(), "thresholds": self.init_thresholds}


def _condition_class(class_name, cond, summary):
    doc = f"""{summary}

    Args:
        thresholds: A float or list of floats in [0, 1]; a prediction above one counts as
            positive. Defaults to `None` (0.5).
        name: Defaults to `"{_to_snake_case(class_name)}"` (suffixed for later instances).
        dtype: Defaults to `None`.

    Example:
    >>> m = {class_name}(name="{_to_snake_case(class_name)}_doc")
    >>> m.update_state(torch.tensor([0.0, 1.0, 1.0, 0.0]), torch.tensor([0.9, 0.8, 0.2, 0.1]))
    >>> float(m.result())
    1.0
    """
    cls = type(class_name, (_ConditionCount,), {"_conditions": (cond,), "__doc__": doc})
    cls.__module__ = __name__
    return cls


TruePositives = _condition_class("TruePositives", "tp", "Running (weighted) count of true positives.")
FalsePositives = _condition_class("FalsePositives", "fp", "Running (weighted) count of false positives.")
TrueNegatives = _condition_class("TrueNegatives", "tn", "Running (weighted) count of true negatives.")
FalseNegatives = _condition_class("FalseNegatives", "fn", "Running (weighted) count of false negatives.")


class _PrecisionRecall(_ConfusionMetric):
    def __init__(self, thresholds=None, top_k=None, class_id=None, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.init_thresholds = thresholds
        self.top_k, self.class_id = top_k, class_id
        self.thresholds = _parse_thresholds(thresholds, 0.5 if top_k is None else NEG_INF)
        self._thresholds_distributed_evenly = _evenly_distributed(self.thresholds)

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Adds the batch's (weighted) confusion counts, per threshold."""
        self._update(y_true, y_pred, sample_weight, top_k=self.top_k, class_id=self.class_id)

    def result(self):
        tp = self._get_state("true_positives")
        other = self._get_state(_COND_STATE[self._conditions[1]])
        value = _divide_no_nan(tp, tp + other)
        return value[0] if len(self.thresholds) == 1 else value

    def get_config(self):
        return {
            **super().get_config(),
            "thresholds": self.init_thresholds,
            "top_k": self.top_k,
            "class_id": self.class_id,
        }


class Precision(_PrecisionRecall):
    """Precision `tp / (tp + fp)`, with predictions above `thresholds` counted positive.

    Args:
        thresholds: A float or list of floats in [0, 1]. Defaults to `None` (0.5, or
            no threshold with `top_k`).
        top_k: Only the `k` highest predictions of each sample count as positive.
            Defaults to `None`.
        class_id: Restrict to this class (column). Defaults to `None`.
        name: Defaults to `"precision"` (suffixed for later instances).
        dtype: Defaults to `None`.

    Example:
    >>> m = Precision(name="precision_doc")
    >>> m.update_state(torch.tensor([0.0, 1.0, 1.0, 1.0]), torch.tensor([1.0, 0.0, 1.0, 1.0]))
    >>> round(float(m.result()), 4)
    0.6667
    """

    _conditions = ("tp", "fp")


class Recall(_PrecisionRecall):
    """Recall `tp / (tp + fn)`, with predictions above `thresholds` counted positive.

    Args:
        thresholds: A float or list of floats in [0, 1]. Defaults to `None` (0.5, or
            no threshold with `top_k`).
        top_k: Only the `k` highest predictions of each sample count as positive.
            Defaults to `None`.
        class_id: Restrict to this class (column). Defaults to `None`.
        name: Defaults to `"recall"` (suffixed for later instances).
        dtype: Defaults to `None`.

    Example:
    >>> m = Recall(name="recall_doc")
    >>> m.update_state(torch.tensor([0.0, 1.0, 1.0, 1.0]), torch.tensor([1.0, 0.0, 1.0, 1.0]))
    >>> round(float(m.result()), 4)
    0.6667
    """

    _conditions = ("tp", "fn")


class AUC(_ConfusionMetric):
    """Area under the ROC or precision-recall curve, from counts at fixed thresholds.

    Args:
        num_thresholds: Number of thresholds (> 1), evenly spaced over [0, 1] with the ends
            nudged by epsilon. Defaults to `200`.
        curve: `"ROC"` or `"PR"`. Defaults to `"ROC"`.
        summation_method: `"interpolation"` (trapezoids; for PR, Davis & Goadrich's
            interpolation), `"minoring"` or `"majoring"`. Defaults to `"interpolation"`.
        name: Defaults to `"auc"` (suffixed for later instances).
        dtype: Defaults to `None`.
        thresholds: Explicit thresholds in [0, 1] instead of `num_thresholds`. Defaults to `None`.
        multi_label: Whether each column is a separate label, averaged. Defaults to `False`.
        num_labels: Number of labels, with `multi_label`. Defaults to `None` (from the data).
        label_weights: Weights of the labels. Defaults to `None`.
        from_logits: Whether predictions are logits (a sigmoid is applied). Defaults to `False`.

    Example:
    >>> m = AUC(num_thresholds=3, name="auc_doc")
    >>> m.update_state(torch.tensor([0.0, 0.0, 1.0, 1.0]), torch.tensor([0.0, 0.5, 0.3, 0.9]))
    >>> float(m.result())
    0.75
    """

    _conditions = ("tp", "fp", "tn", "fn")

    def __init__(
        self,
        num_thresholds=200,
        curve="ROC",
        summation_method="interpolation",
        name=None,
        dtype=None,
        thresholds=None,
        multi_label=False,
        num_labels=None,
        label_weights=None,
        from_logits=False,
    ):
        curves = {"roc": "ROC", "pr": "PR"}
        methods = ("interpolation", "majoring", "minoring")
        if str(curve).lower() not in curves:
            raise ValueError(f"AUC: invalid curve={curve!r}. Expected 'ROC' or 'PR'.")
        if str(summation_method).lower() not in methods:
            raise ValueError(
                f"AUC: invalid summation_method={summation_method!r}. "
                "Expected 'interpolation', 'majoring' or 'minoring'."
            )
        super().__init__(name=name, dtype=dtype)
        self._init_from_thresholds = thresholds is not None
        if thresholds is not None:
            thresholds = sorted(float(t) for t in thresholds)
            self.num_thresholds = len(thresholds) + 2
            self._thresholds_distributed_evenly = _evenly_distributed(np.array([0.0] + thresholds + [1.0]))
        else:
            if num_thresholds <= 1:
                raise ValueError(f"AUC: num_thresholds must be an integer > 1, got {num_thresholds!r}.")
            self.num_thresholds = num_thresholds
            thresholds = [(i + 1) * 1.0 / (num_thresholds - 1) for i in range(num_thresholds - 2)]
            self._thresholds_distributed_evenly = True
        eps = config.epsilon()
        self.thresholds = [0.0 - eps] + thresholds + [1.0 + eps]
        self.curve = curves[str(curve).lower()]
        self.summation_method = str(summation_method).lower()
        self.multi_label = multi_label
        self.num_labels = num_labels
        if label_weights is not None:
            label_weights = torch.as_tensor(np.asarray(label_weights), dtype=self._torch_dtype())
        self.label_weights = label_weights
        self._from_logits = from_logits
        if num_labels and not multi_label:
            raise ValueError("AUC: `num_labels` is needed only when `multi_label` is True.")

    def _state_specs(self, *inputs):
        if self.multi_label:
            if self.num_labels:
                n = self.num_labels
            elif inputs:
                y_pred = inputs[-1]
                if y_pred.dim() != 2:
                    raise ValueError(
                        f"AUC '{self.name}': y_pred must have rank 2 when multi_label=True, got shape "
                        f"{tuple(y_pred.shape)}."
                    )
                n = y_pred.shape[1]
            else:
                return {}
            shape = (self.num_thresholds, n)
        else:
            shape = (self.num_thresholds,)
        return {_COND_STATE[c]: shape for c in self._conditions}

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Adds the batch's (weighted) confusion counts at every threshold."""
        y_pred = _to_tensor(y_pred)
        self._ensure_state(y_pred, y_true, y_pred)
        if self._from_logits:
            y_pred = torch.sigmoid(y_pred)
        inc = _confusion_counts(
            self._conditions,
            y_true,
            y_pred,
            self.thresholds,
            sample_weight=sample_weight,
            multi_label=self.multi_label,
            label_weights=None if self.multi_label else self.label_weights,
            evenly=self._thresholds_distributed_evenly,
            dtype=self._torch_dtype(),
            cache=self._constants,
        )
        for c in self._conditions:
            self._state[_COND_STATE[c]] += inc[c]

    def _by_label(self, terms):
        if not self.multi_label:
            return terms.sum()
        by_label = terms.sum(0)
        if self.label_weights is None:
            return by_label.mean()
        lw = _on_device(self.label_weights, by_label.dtype, by_label.device, self._constants)
        return _divide_no_nan((by_label * lw).sum(), lw.sum())

    def _interpolate_pr_auc(self, tp, fp, fn):
        n = self.num_thresholds
        dtp = tp[: n - 1] - tp[1:]
        p = tp + fp
        dp = p[: n - 1] - p[1:]
        prec_slope = _divide_no_nan(dtp, torch.clamp(dp, min=0))
        intercept = tp[1:] - prec_slope * p[1:]
        safe_p_ratio = torch.where(
            (p[: n - 1] > 0) & (p[1:] > 0),
            _divide_no_nan(p[: n - 1], torch.clamp(p[1:], min=0)),
            torch.ones_like(p[1:]),
        )
        increment = _divide_no_nan(
            prec_slope * (dtp + intercept * torch.log(safe_p_ratio)),
            torch.clamp(tp[1:] + fn[1:], min=0),
        )
        return self._by_label(increment)

    def result(self):
        if self.multi_label and not self._state and not self.num_labels:
            return torch.zeros((), dtype=self._torch_dtype(), device=config.get_device())
        tp, fp = self._get_state("true_positives"), self._get_state("false_positives")
        tn, fn = self._get_state("true_negatives"), self._get_state("false_negatives")
        if self.curve == "PR" and self.summation_method == "interpolation":
            return self._interpolate_pr_auc(tp, fp, fn)
        recall = _divide_no_nan(tp, tp + fn)
        if self.curve == "ROC":
            x, y = _divide_no_nan(fp, fp + tn), recall
        else:
            x, y = recall, _divide_no_nan(tp, tp + fp)
        n = self.num_thresholds
        if self.summation_method == "interpolation":
            heights = (y[: n - 1] + y[1:]) / 2.0
        elif self.summation_method == "minoring":
            heights = torch.minimum(y[: n - 1], y[1:])
        else:
            heights = torch.maximum(y[: n - 1], y[1:])
        return self._by_label((x[: n - 1] - x[1:]) * heights)

    def get_config(self):
        lw = self.label_weights
        cfg = {
            **super().get_config(),
            "num_thresholds": self.num_thresholds,
            "curve": self.curve,
            "summation_method": self.summation_method,
            "multi_label": self.multi_label,
            "num_labels": self.num_labels,
            "label_weights": None if lw is None else lw.tolist(),
            "from_logits": self._from_logits,
        }
        if self._init_from_thresholds:
            cfg["thresholds"] = self.thresholds[1:-1]
        return cfg


# --------------------------------------------------------------------------- F-scores


class FBetaScore(Metric):
    """F-beta score `(1 + beta**2) * p * r / (beta**2 * p + r)`, per class or averaged.

    Args:
        average: `None` (one score per class), `"micro"`, `"macro"` or `"weighted"`.
            Defaults to `None`.
        beta: Python float > 0, weight of recall. Defaults to `1.0`.
        threshold: Python float in (0, 1]; predictions above it are positive. With `None`,
            each sample's highest prediction is the positive one. Defaults to `None`.
        name: Defaults to `"fbeta_score"`.
        dtype: Defaults to `None`.

    Inputs: `y_true` and `y_pred` shaped `(batch_size, num_classes)`.

    Example:
    >>> m = FBetaScore(beta=2.0, threshold=0.5, average="micro")
    >>> m.update_state(torch.tensor([[1.0, 0.0], [0.0, 1.0]]), torch.tensor([[0.9, 0.6], [0.2, 0.7]]))
    >>> round(float(m.result()), 4)
    0.9091
    """

    def __init__(self, average=None, beta=1.0, threshold=None, name="fbeta_score", dtype=None):
        super().__init__(name=name, dtype=dtype)
        if average not in (None, "micro", "macro", "weighted"):
            raise ValueError(
                f"FBetaScore: invalid average={average!r}. Expected None, 'micro', 'macro' or 'weighted'."
            )
        if not isinstance(beta, float) or beta <= 0.0:
            raise ValueError(f"FBetaScore: beta must be a Python float > 0, got beta={beta!r}.")
        if threshold is not None and (not isinstance(threshold, float) or not 0.0 < threshold <= 1.0):
            raise ValueError(
                f"FBetaScore: threshold must be a Python float in (0, 1], got threshold={threshold!r}."
            )
        self.average, self.beta, self.threshold = average, beta, threshold
        self.axis = None if average == "micro" else 0

    def _state_specs(self, *inputs):
        if not inputs or len(inputs) < 2:
            return {}
        y_true, y_pred = inputs[0], inputs[-1]
        if y_pred.dim() != 2 or y_true.dim() != 2:
            raise ValueError(
                f"{type(self).__name__} '{self.name}' expects 2D inputs shaped (batch_size, num_classes), "
                f"got y_true.shape={tuple(y_true.shape)} and y_pred.shape={tuple(y_pred.shape)}."
            )
        shape = () if self.average == "micro" else (y_pred.shape[-1],)
        return {k: shape for k in ("true_positives", "false_positives", "false_negatives", "intermediate_weights")}

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Adds the batch's (weighted) true/false positives and false negatives per class."""
        dtype = self._torch_dtype()
        y_pred = _detach(y_pred, dtype=dtype)
        y_true = _detach(y_true, dtype=dtype, like=y_pred)
        self._ensure_state(y_pred, y_true, y_pred)
        if self.threshold is None:
            top = torch.amax(y_pred, dim=-1, keepdim=True)
            y_pred = (y_pred >= top) & (torch.abs(y_pred) > 1e-9)
        else:
            y_pred = y_pred > self.threshold
        y_pred = y_pred.to(dtype)
        if sample_weight is not None:
            sample_weight = _detach(sample_weight, dtype=dtype, like=y_pred)

        def weighted_sum(val):
            if sample_weight is not None:
                val = val * sample_weight.unsqueeze(1)
            return val.sum() if self.axis is None else val.sum(dim=self.axis)

        self._state["true_positives"] += weighted_sum(y_pred * y_true)
        self._state["false_positives"] += weighted_sum(y_pred * (1 - y_true))
        self._state["false_negatives"] += weighted_sum((1 - y_pred) * y_true)
        self._state["intermediate_weights"] += weighted_sum(y_true)

    def result(self):
        if not self._state:
            return torch.zeros((), dtype=self._torch_dtype(), device=config.get_device())
        eps = config.epsilon()
        tp, fp, fn = self._state["true_positives"], self._state["false_positives"], self._state["false_negatives"]
        precision = tp / (tp + fp + eps)
        recall = tp / (tp + fn + eps)
        b2 = self.beta**2
        f = precision * recall / (b2 * precision + recall + eps) * (1 + b2)
        if self.average == "weighted":
            w = self._state["intermediate_weights"]
            return torch.sum(f * (w / (w.sum() + eps)))
        if self.average is not None:
            return f.mean()
        return f

    def get_config(self):
        return {
            **super().get_config(),
            "average": self.average,
            "beta": self.beta,
            "threshold": self.threshold,
        }


class F1Score(FBetaScore):
    """F1 score, the harmonic mean of precision and recall, per class or averaged.

    Args:
        average: `None`, `"micro"`, `"macro"` or `"weighted"`. Defaults to `None`.
        threshold: Python float in (0, 1], or `None` (each sample's top prediction).
            Defaults to `None`.
        name: Defaults to `"f1_score"`.
        dtype: Defaults to `None`.

    Example:
    >>> m = F1Score(threshold=0.5, average="micro")
    >>> m.update_state(torch.tensor([[1.0, 0.0], [0.0, 1.0]]), torch.tensor([[0.9, 0.6], [0.2, 0.7]]))
    >>> round(float(m.result()), 4)
    0.8
    """

    def __init__(self, average=None, threshold=None, name="f1_score", dtype=None):
        super().__init__(average=average, beta=1.0, threshold=threshold, name=name, dtype=dtype)

    def get_config(self):
        cfg = super().get_config()
        del cfg["beta"]
        return cfg


# --------------------------------------------------------------------------- registry

_CLASSES = (
    Mean,
    Sum,
    MeanMetricWrapper,
    MeanSquaredError,
    RootMeanSquaredError,
    MeanAbsoluteError,
    MeanAbsolutePercentageError,
    MeanSquaredLogarithmicError,
    CosineSimilarity,
    LogCoshError,
    AUC,
    FalseNegatives,
    FalsePositives,
    TrueNegatives,
    TruePositives,
    Precision,
    Recall,
    Hinge,
    SquaredHinge,
    CategoricalHinge,
    KLDivergence,
    Poisson,
    BinaryCrossentropy,
    CategoricalCrossentropy,
    SparseCategoricalCrossentropy,
    Accuracy,
    BinaryAccuracy,
    CategoricalAccuracy,
    SparseCategoricalAccuracy,
    TopKCategoricalAccuracy,
    SparseTopKCategoricalAccuracy,
    F1Score,
    FBetaScore,
)
# As Keras' `metrics.get`: class names, their snake-case forms ("auc", "f_beta_score",
# "log_cosh_error"), and the short aliases. Not "kld" or "logcosh" (Keras rejects those).
_BY_NAME = {c.__name__: c for c in _CLASSES}
_BY_NAME.update({_to_snake_case(c.__name__): c for c in _CLASSES})
for _alias, _cls in (
    ("bce", BinaryCrossentropy),
    ("mse", MeanSquaredError),
    ("mae", MeanAbsoluteError),
    ("mape", MeanAbsolutePercentageError),
    ("msle", MeanSquaredLogarithmicError),
):
    _BY_NAME[_alias] = _BY_NAME[_alias.upper()] = _cls
_NEEDS_ARGS = {"MeanMetricWrapper", "mean_metric_wrapper"}


def get(identifier):
    """Returns a fresh `Metric` whose `.name` is the key Keras 3 logs it under.

    Args:
        identifier: A Keras metric name (class name, its snake case, or an alias such
            as `"mse"`); a `Metric` (returned as is); a `Metric` class (instantiated); a
            function `fn(y_true, y_pred)` (wrapped in `MeanMetricWrapper`, named after
            the function); a config dict from `serialize`; or `None`.
            `"accuracy"`/`"acc"` give `Accuracy` here: use `resolve_accuracy` for the
            shape-dependent choice that `compile` makes.

    Returns:
        A `Metric`, or `None`. A string gives a metric named exactly that string, as
        `compile(metrics=["mse"])` logs `"mse"`.

    Raises:
        ValueError: for an unknown name, naming the closest known one.

    Example:
    >>> get("mse").name, type(get("mse")).__name__
    ('mse', 'MeanSquaredError')
    """
    if identifier is None:
        return None
    if isinstance(identifier, Metric):
        return identifier
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, str):
        cls = _BY_NAME.get(identifier)
        if cls is None or identifier in _NEEDS_ARGS:
            known = sorted(k for k in _BY_NAME if k not in _NEEDS_ARGS)
            close = difflib.get_close_matches(identifier, known, n=1)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            raise ValueError(f"Unknown metric {identifier!r}.{hint} Known: {', '.join(known)}.")
        return cls(name=identifier)
    if isinstance(identifier, type) and issubclass(identifier, Metric):
        return identifier()
    if callable(identifier):
        name = getattr(identifier, "name", None) or _to_snake_case(
            getattr(identifier, "__name__", type(identifier).__name__)
        )
        return MeanMetricWrapper(identifier, name=name)
    raise TypeError(
        f"Could not interpret metric identifier {identifier!r} of type {type(identifier).__name__}: "
        "expected a metric name, a Metric, a function fn(y_true, y_pred) or a config dict."
    )


def resolve_accuracy(identifier, y_true, y_pred):
    """Resolves `"accuracy"`/`"acc"` (and `"crossentropy"`/`"ce"`) by Keras 3's shape rule.

    Binary if `y_pred.shape[-1] == 1`; sparse if `rank(y_true) < rank(y_pred)` or
    (`y_true.shape[-1] == 1` and `y_pred.shape[-1] > 1`); categorical otherwise. The
    metric is named with the identifier as written. Other identifiers go to `get`.
    (Keras' `compile` accepts `"crossentropy"` only as a loss; as a metric it is a
    kerastorch convenience, resolved the same way.)

    Args:
        identifier: What the user put in `metrics=[...]`.
        y_true: Targets of one batch (anything with `.shape`).
        y_pred: Predictions of one batch.

    Returns:
        A `Metric`.

    Example:
    >>> m = resolve_accuracy("acc", torch.zeros(4), torch.zeros(4, 3))
    >>> type(m).__name__, m.name
    ('SparseCategoricalAccuracy', 'acc')
    """
    key = str(identifier).lower() if isinstance(identifier, str) else None
    if key in ("accuracy", "acc"):
        classes = (BinaryAccuracy, SparseCategoricalAccuracy, CategoricalAccuracy)
    elif key in ("crossentropy", "ce"):
        classes = (BinaryCrossentropy, SparseCategoricalCrossentropy, CategoricalCrossentropy)
    else:
        return get(identifier)
    is_binary, is_sparse = _losses._binary_or_sparse(y_true, y_pred)
    cls = classes[0] if is_binary else classes[1] if is_sparse else classes[2]
    return cls(name=identifier)


def log_keys(metric_list, weighted_metrics=()):
    """Returns the keys Keras 3 logs the compiled metrics under, in order.

    Keras' `compile` keeps each metric's `.name`, except that a repeated name gets
    `_1`, `_2`, ... and a weighted metric whose name is taken becomes `weighted_<name>`
    (numbered too if that is also taken). The `"loss"` key is not included.

    Args:
        metric_list: The `Metric` objects from `metrics=[...]`, in order.
        weighted_metrics: The `Metric` objects from `weighted_metrics=[...]`. Defaults to `()`.

    Returns:
        A list of strings, one per metric.

    Example:
    >>> log_keys([get("mse"), get("mse"), MeanSquaredError()], [get("mse")])
    ['mse', 'mse_1', 'mean_squared_error', 'weighted_mse']
    """
    counters, keys = {}, []
    for m in metric_list:
        name = m.name
        if name in counters:
            index = counters[name]
            counters[name] += 1
            name = f"{name}_{index}"
        else:
            counters[name] = 1
        keys.append(name)
    for m in weighted_metrics:
        name = m.name
        if name in counters:
            name = f"weighted_{m.name}"
            if name in counters:
                index = counters[name]
                counters[name] += 1
                name = f"{name}_{index}"
            else:
                counters[name] = 1
        else:
            counters[name] = 1
        keys.append(name)
    return keys


def serialize(metric):
    """Serializes a `Metric` into Keras' config dict.

    Args:
        metric: A `Metric`.

    Returns:
        `{"module": "keras.metrics", "class_name": ..., "config": ..., "registered_name": None}`.

    Example:
    >>> serialize(BinaryAccuracy())["config"]["threshold"]
    0.5
    """
    if isinstance(metric, Metric):
        return {
            "module": "keras.metrics",
            "class_name": type(metric).__name__,
            "config": metric.get_config(),
            "registered_name": None,
        }
    return _losses.serialize(metric)


def _deserialize_fn(config):
    if isinstance(config, dict) and config.get("class_name") == "function":
        name = config.get("config")
        fn = globals().get(name) or getattr(_losses, name, None)
        if fn is None or not callable(fn):
            raise ValueError(f"Could not deserialize metric function {name!r}.")
        return fn
    return config


def deserialize(config, custom_objects=None):
    """Rebuilds a metric from `serialize()`'s output.

    Args:
        config: A dict from `serialize`.
        custom_objects: Optional dict of extra class names. Defaults to `None`.

    Returns:
        A `Metric`.

    Example:
    >>> deserialize(serialize(AUC(curve="PR", name="auc_pr"))).curve
    'PR'
    """
    custom_objects = custom_objects or {}
    if isinstance(config, str):
        return get(config)
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(f"Could not deserialize metric from {config!r}: expected a dict with 'class_name'.")
    class_name = config["class_name"]
    if class_name == "function":
        return MeanMetricWrapper(_deserialize_fn(config), name=config.get("config"))
    cls = custom_objects.get(class_name) or _BY_NAME.get(class_name)
    if cls is None:
        known = sorted(c.__name__ for c in _CLASSES)
        close = difflib.get_close_matches(class_name, known, n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise ValueError(f"Unknown metric class {class_name!r}.{hint} Known: {', '.join(known)}.")
    return cls.from_config(config.get("config") or {})
