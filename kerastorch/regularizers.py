"""Weight regularizers with Keras 3's names, defaults and penalties.

A regularizer maps a weight tensor to a scalar penalty tensor that is added to the
loss (differentiable, on the weight's device and dtype). Keras' `L2` is
`l2 * sum(w ** 2)`, with no factor 1/2, so `L2(0.01)` is not torch's
`weight_decay=0.01`: the gradients differ by a factor 2.

Example:
>>> import torch
>>> from kerastorch import regularizers
>>> regularizers.get("l2")(torch.ones(2))
tensor(0.0200)
"""

import math
import re

import numpy as np
import torch

from kerastorch import config
from kerastorch import _registry

__all__ = ["Regularizer", "L1", "L2", "L1L2", "OrthogonalRegularizer", "l1", "l2", "l1_l2",
           "orthogonal_regularizer", "get", "serialize", "deserialize"]


def _validate_float(value, name):
    if (isinstance(value, bool) or not isinstance(value, (float, int))
            or math.isinf(value) or math.isnan(value) or value < 0):
        raise ValueError(
            f"Invalid value for argument {name}: expected a non-negative float. "
            f"Received: {name}={value!r}"
        )
    return float(value)


def _float32(value):
    # Keras keeps L1's `l1` and OrthogonalRegularizer's `factor` as float32 tensors, so
    # its configs hold the float32-rounded value (0.3 -> 0.30000001192092896).
    return float(np.float32(value))


class Regularizer:
    """Base class of regularizers: `regularizer(weight)` returns a scalar penalty.

    Subclasses implement `__call__(x)` and `get_config()`.

    Example:
    >>> class Sum(Regularizer):
    ...     def __call__(self, x):
    ...         return x.sum()
    ...     def get_config(self):
    ...         return {}
    >>> Sum()(torch.ones(3))
    tensor(3.)
    """

    def __call__(self, x):
        return 0.0

    def get_config(self):
        """Returns the constructor arguments as a JSON-friendly dict."""
        raise NotImplementedError(f"{self} does not implement get_config()")

    @classmethod
    def from_config(cls, config):
        """Builds a regularizer from the dict `get_config()` returned."""
        return cls(**config)

    def __repr__(self):
        try:
            args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        except NotImplementedError:
            args = ""
        return f"{type(self).__name__}({args})"


class L1L2(Regularizer):
    """`l1 * sum(abs(x)) + l2 * sum(square(x))`.

    Args:
        l1: Non-negative L1 factor. Defaults to `0.0`.
        l2: Non-negative L2 factor. Defaults to `0.0`.

    Example:
    >>> L1L2(l1=0.1, l2=0.01)(torch.tensor([1.0, -2.0]))
    tensor(0.3500)
    """

    def __init__(self, l1=0.0, l2=0.0):
        self.l1 = _validate_float(0.0 if l1 is None else l1, "l1")
        self.l2 = _validate_float(0.0 if l2 is None else l2, "l2")

    def __call__(self, x):
        penalty = torch.zeros((), dtype=x.dtype, device=x.device)
        if self.l1:
            penalty = penalty + self.l1 * x.abs().sum()
        if self.l2:
            penalty = penalty + self.l2 * x.square().sum()
        return penalty

    def get_config(self):
        return {"l1": self.l1, "l2": self.l2}


class L1(Regularizer):
    """`l1 * sum(abs(x))`.

    Args:
        l1: Non-negative factor. Defaults to `0.01`.

    Example:
    >>> L1(0.5)(torch.tensor([1.0, -2.0]))
    tensor(1.5000)
    """

    def __init__(self, l1=0.01):
        self.l1 = _float32(_validate_float(0.01 if l1 is None else l1, "l1"))

    def __call__(self, x):
        return self.l1 * x.abs().sum()

    def get_config(self):
        return {"l1": self.l1}


class L2(Regularizer):
    """`l2 * sum(square(x))` (no factor 1/2, unlike torch's `weight_decay`).

    Args:
        l2: Non-negative factor. Defaults to `0.01`.

    Example:
    >>> L2()(torch.ones(2))
    tensor(0.0200)
    """

    def __init__(self, l2=0.01):
        self.l2 = _validate_float(0.01 if l2 is None else l2, "l2")

    def __call__(self, x):
        return self.l2 * x.square().sum()

    def get_config(self):
        return {"l2": self.l2}


class OrthogonalRegularizer(Regularizer):
    """Pushes the rows (or columns) of a 2-D weight towards orthogonality.

    The rows (`mode="rows"`) or columns are L2-normalized; the penalty is
    `factor * 0.5 * sum(abs(off-diagonal of the Gram matrix)) / (n * (n - 1) / 2)`
    with `n` the number of rows (columns).

    Args:
        factor: Non-negative factor. Defaults to `0.01`.
        mode: `"rows"` or `"columns"`. Defaults to `"rows"`.

    Example:
    >>> OrthogonalRegularizer(factor=1.0)(torch.tensor([[1.0, 0.0], [1.0, 0.0]]))
    tensor(1.)
    """

    def __init__(self, factor=0.01, mode="rows"):
        self.factor = _float32(_validate_float(factor, "factor"))
        if mode not in ("rows", "columns"):
            raise ValueError(
                "Invalid value for argument `mode`. Expected one of "
                f"{{'rows', 'columns'}}. Received: mode={mode!r}"
            )
        self.mode = mode

    def __call__(self, inputs):
        if inputs.ndim != 2:
            raise ValueError(
                "Inputs to OrthogonalRegularizer must have rank 2. "
                f"Received: inputs.shape={tuple(inputs.shape)}"
            )
        axis = 1 if self.mode == "rows" else 0
        # Keras' `normalize`: x * min(rsqrt(sum(x**2)), 1 / epsilon), so zero rows stay zero.
        inv_norm = torch.clamp(torch.rsqrt(inputs.square().sum(axis, keepdim=True)),
                               max=1.0 / config.epsilon())
        unit = inputs * inv_norm
        product = unit @ unit.T if self.mode == "rows" else unit.T @ unit
        size = product.shape[0]
        off_diagonal = product * (1.0 - torch.eye(size, dtype=product.dtype, device=product.device))
        num_pairs = size * (size - 1.0) / 2.0
        return self.factor * 0.5 * off_diagonal.abs().sum() / num_pairs

    def get_config(self):
        return {"factor": self.factor, "mode": self.mode}


# Lower-case aliases, as Keras exports them (`keras.regularizers.l2(0.01)` builds an L2).
l1 = L1
l2 = L2
l1_l2 = L1L2
orthogonal_regularizer = OrthogonalRegularizer

_CLASSES = (Regularizer, L1, L2, L1L2, OrthogonalRegularizer)


def _snake(name):
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


# Keras' names (`keras/src/regularizers/__init__.py`): class names and their snake_case,
# with "l1l2" for L1L2. The string "l1_l2" is refused, as Keras refuses it (only the Python
# alias `regularizers.l1_l2` is spelled so).
_BY_NAME = {cls.__name__: cls for cls in _CLASSES}
_BY_NAME.update({_snake(cls.__name__): cls for cls in _CLASSES})
_BY_NAME.pop("l1_l2", None)
_BY_NAME["l1l2"] = L1L2


def _lookup(name):
    # The names are short: a lower cutoff still suggests "l1"/"l2" for "l3".
    return _registry.lookup("regularizer", _BY_NAME, name, "L2", cutoff=0.5)


def get(identifier):
    """Returns a regularizer for `identifier`.

    Args:
        identifier: `None` (returns `None`), a name (`"l1"`, `"l2"`, `"l1l2"`,
            `"orthogonal_regularizer"` or a class name; default arguments), a Keras
            config dict, a `Regularizer` class (instantiated), or a callable
            (returned as is).

    Raises:
        ValueError: for an unknown name, listing the close and the known ones.
        TypeError: for anything else.

    Example:
    >>> get("l2")
    L2(l2=0.01)
    """
    return _registry.get(identifier, "regularizer", Regularizer, _lookup, deserialize,
                         "None, a regularizer name (e.g. 'l2'), a Keras config dict or a callable")


def serialize(regularizer):
    """Returns Keras' config dict for a regularizer, as written in `.keras` files.

    Args:
        regularizer: A `Regularizer`, a plain callable (written in Keras' custom-function
            form, `{"class_name": "function", "config": <its name>, ...}`), or
            `None` (returns `None`).

    Example:
    >>> serialize(L2())
    {'module': 'keras.regularizers', 'class_name': 'L2', 'config': {'l2': 0.01}, 'registered_name': None}
    """
    return _registry.serialize(regularizer, "regularizer", Regularizer, _BY_NAME, "keras.regularizers")


def deserialize(config, custom_objects=None):
    """Builds a regularizer from a Keras config dict (or a name).

    Args:
        config: `{"class_name": ..., "config": {...}}` as `serialize()` or Keras write it,
            or a name.
        custom_objects: Optional dict mapping class names to your own classes.
            Defaults to `None`.

    Example:
    >>> deserialize({"class_name": "L1L2", "config": {"l1": 0.1, "l2": 0.2}})
    L1L2(l1=0.1, l2=0.2)
    """
    return _registry.deserialize(config, "regularizer", get, _lookup, custom_objects)