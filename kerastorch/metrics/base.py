"""The `Metric` base class: state made lazily on the inputs' device, Keras' automatic names.

Example:
>>> import torch
>>> from kerastorch import metrics
>>> m = metrics.Mean()
>>> m.update_state(torch.tensor([1.0, 3.0]))
>>> float(m.result())
2.0
"""

import torch

from kerastorch import config
from kerastorch.losses.base import (
    _apply_mask,
    _auto_name,
    _to_tensor,
    squeeze_or_expand_to_same_rank,
)


NEG_INF = -1e10


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
        self._variables = []  # made by add_variable (custom metrics written as in Keras)

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

    def add_variable(self, shape, initializer, dtype=None, aggregation="sum", name=None):
        """Creates a non-trainable state `Variable` of the metric, as custom Keras metrics do.

        The variable is listed in `variables` and zeroed by the default `reset_state()`.

        Args:
            shape: Tuple of ints, the variable's shape (`()` for a scalar).
            initializer: Initializer name, object or callable.
            dtype: Dtype of the variable. Defaults to `None` (`config.floatx()`, as in Keras,
                whatever the metric's dtype).
            aggregation: How a distributed run aggregates it: `"sum"`, `"mean"`, `"none"` or
                `"only_first_replica"`. Defaults to `"sum"`.
            name: Name of the variable. Defaults to an automatic `"variable_N"`.

        Returns:
            The `kerastorch.Variable`; its path is `"<metric name>/<name>"`.

        Example:
        >>> class Total(Metric):
        ...     def __init__(self, name="total"):
        ...         super().__init__(name=name)
        ...         self.total = self.add_variable(shape=(), initializer="zeros", name="total")
        ...     def update_state(self, values):
        ...         self.total.assign_add(torch.sum(torch.as_tensor(values, dtype=torch.float32)))
        ...     def result(self):
        ...         return self.total.value
        >>> t = Total()
        >>> t.update_state([1.0, 2.0])
        >>> float(t.result())
        3.0
        """
        from kerastorch import initializers
        from kerastorch.variables import Variable

        if "_variables" not in self.__dict__:
            raise RuntimeError(
                f"{type(self).__name__}.add_variable() was called before Metric.__init__(): call "
                "super().__init__(name=name, dtype=dtype) first in your metric's __init__."
            )
        variable = Variable(initializer=initializers.get(initializer), shape=shape, dtype=dtype,
                            trainable=False, aggregation=aggregation, synchronization="on_read",
                            name=name)
        variable._path = f"{self.name.replace('/', '>')}/{variable.name}"   # Keras' name scope
        self._variables.append(variable)
        return variable

    def add_weight(self, shape=(), initializer=None, dtype=None, name=None):
        """Keras' older alias of `add_variable` (scalar by default)."""
        return self.add_variable(shape=shape, initializer=initializer, dtype=dtype, name=name)

    @property
    def variables(self):
        """The metric's `add_variable` Variables, then its state tensors (made at the first update)."""
        return list(self.__dict__.get("_variables", ())) + list(self._state.values())

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Accumulates statistics from one batch; to be implemented by subclasses."""
        raise NotImplementedError(f"{type(self).__name__} must implement update_state().")

    def result(self):
        """Returns the metric value as a tensor on the state's device; subclasses implement it."""
        raise NotImplementedError(f"{type(self).__name__} must implement result().")

    def reset_state(self):
        """Zeroes the state (and the `add_variable` Variables) in place, keeping its device."""
        for v in self._state.values():
            v.zero_()
        for v in self.__dict__.get("_variables", ()):
            v.assign(torch.zeros(v.shape, dtype=v.value.dtype))

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
