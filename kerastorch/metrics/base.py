"""The `Metric` base class: state made lazily on the inputs' device, Keras' automatic names.

Example:
>>> import torch
>>> from kerastorch import metrics
>>> m = metrics.Mean()
>>> m.update_state(torch.tensor([1.0, 3.0]))
>>> float(m.result())
2.0
"""

import collections

import torch

from kerastorch import config
from kerastorch.losses.base import (
    _apply_mask,
    _to_snake_case,
    _to_tensor,
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

    def _state_dtype(self):
        """The dtype of the state tensors: the metric's dtype, unless Keras keeps them in floatx."""
        return self._torch_dtype()

    def _state_specs(self, *inputs):
        """Returns `{state_name: shape}`; `inputs` are the first update's (may be empty)."""
        return {}

    def _ensure_state(self, like, *inputs):
        """Creates the state on `like`'s device at the first update (or moves it there)."""
        device = like.device if isinstance(like, torch.Tensor) else torch.device("cpu")
        if not self._state:
            self._device = device
            dtype = self._state_dtype()
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
                k: torch.zeros(shape, dtype=self._state_dtype(), device=self._device)
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
