"""Reduction metrics: `Sum`, `Mean` and `MeanMetricWrapper` (a running mean of a per-sample function).

Example:
>>> import torch
>>> m = Mean()
>>> m.update_state(torch.tensor([1.0, 3.0, 5.0, 7.0]), sample_weight=torch.tensor([1.0, 1.0, 0.0, 0.0]))
>>> float(m.result())
2.0
"""

import math

import torch

from kerastorch import losses as _losses
from kerastorch.losses.base import _apply_mask, _divide_no_nan, _to_tensor
from kerastorch.metrics.base import Metric, _auto_name, _detach, _reduce_to_samplewise_values


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
        if (sample_weight is None and type(y_pred) is torch.Tensor and type(y_true) is torch.Tensor
                and y_true.device == y_pred.device and getattr(y_pred, "_keras_mask", None) is None):
            # The common call (the trainer's metrics: tensors on one device, no weights, no mask):
            # what the general path below computes, without its conversions and checks.
            values = self._fn(y_true.detach(), y_pred.detach(), **self._fn_kwargs)
            if type(values) is torch.Tensor and values.dim() >= 1 and getattr(values, "_keras_mask", None) is None:
                self._ensure_state(values)
                dtype = self._torch_dtype()
                if values.dtype is not dtype:
                    values = values.to(dtype)
                if values.dim() > 1:     # per-sample means (one value per sample: the values themselves)
                    values = (values.reshape(values.shape[0]) if math.prod(values.shape[1:]) == 1
                              else torch.mean(values, dim=list(range(1, values.dim()))))
                state = self._state
                state["total"] += values.sum()
                state["count"] += values.shape[0]
                return None
            return Mean.update_state(self, values)
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
        from kerastorch.metrics.registry import _deserialize_fn

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


def _fn_metric(class_name, fn, default_name, doc, keys=(), extra=None, module=__name__):
    """Builds a MeanMetricWrapper subclass for a loss function (Keras' probabilistic/regression metrics)."""
    extra = dict(extra or {})

    def __init__(self, name=default_name, dtype=None, **kwargs):
        opts = {**extra, **kwargs}
        _FnMetric.__init__(self, fn, name=name, dtype=dtype, **opts)
        for k in keys:
            setattr(self, k, opts[k])

    cls = type(class_name, (_FnMetric,), {"__init__": __init__, "__doc__": doc, "_config_keys": tuple(keys)})
    cls.__module__ = module  # the family module, where doctest and the docs find it
    return cls


def _doc(summary, default_name, example, extra_args=""):
    return f"""{summary}

    Args:
        name: Defaults to `"{default_name}"`.
        dtype: Defaults to `None`.{extra_args}

    Example:
{example}
    """
