"""Weight constraints with Keras 3's names, defaults and numerics.

A constraint maps a weight tensor to its constrained value; the trainer writes the
result back into the parameter (in place, without gradient tracking) after each
optimizer step. `axis` refers to **Keras' weight layout**: for a Dense kernel
`(in, out)` the default `axis=0` constrains each output unit's incoming weight
vector; for a Conv2D kernel `(kh, kw, in, out)` use `axis=[0, 1, 2]` for the same.

Example:
>>> import torch
>>> from kerastorch import constraints
>>> constraints.get("non_neg")(torch.tensor([-1.0, 2.0]))
tensor([0., 2.])
"""

import re

import torch

from kerastorch import config
from kerastorch import _registry

__all__ = ["Constraint", "MaxNorm", "NonNeg", "UnitNorm", "MinMaxNorm", "max_norm", "non_neg",
           "unit_norm", "min_max_norm", "get", "serialize", "deserialize"]


def _axis(axis):
    return tuple(axis) if isinstance(axis, (list, tuple)) else axis


def _norms(w, axis):
    return torch.sqrt(torch.sum(w.square(), dim=_axis(axis), keepdim=True))


class Constraint:
    """Base class of constraints: `constraint(w)` returns the constrained weight.

    The base class is the identity. Subclasses implement `__call__(w)` and, when they
    take arguments, `get_config()`.

    Example:
    >>> class Clip(Constraint):
    ...     def __call__(self, w):
    ...         return w.clamp(-1, 1)
    >>> Clip()(torch.tensor([-3.0, 0.5]))
    tensor([-1.0000,  0.5000])
    """

    def __call__(self, w):
        return w

    def get_config(self):
        """Returns the constructor arguments as a JSON-friendly dict."""
        return {}

    @classmethod
    def from_config(cls, config):
        """Builds a constraint from the dict `get_config()` returned."""
        return cls(**config)

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


class MaxNorm(Constraint):
    """Rescales weight vectors whose L2 norm along `axis` exceeds `max_value`.

    Computes `w * clip(norm, 0, max_value) / (epsilon + norm)`, as Keras.

    Args:
        max_value: Maximum norm. Defaults to `2`.
        axis: Axis (or list of axes) along which norms are taken, in Keras' layout.
            Defaults to `0`.

    Example:
    >>> MaxNorm(max_value=1.0)(torch.tensor([[3.0], [4.0]]))
    tensor([[0.6000],
            [0.8000]])
    """

    def __init__(self, max_value=2, axis=0):
        self.max_value, self.axis = max_value, axis

    def __call__(self, w):
        norms = _norms(w, self.axis)
        desired = torch.clamp(norms, 0, self.max_value)
        return w * (desired / (config.epsilon() + norms))

    def get_config(self):
        return {"max_value": self.max_value, "axis": self.axis}


class NonNeg(Constraint):
    """Sets negative weights to zero.

    Example:
    >>> NonNeg()(torch.tensor([-1.0, 2.0]))
    tensor([0., 2.])
    """

    def __call__(self, w):
        return torch.clamp(w, min=0)


class UnitNorm(Constraint):
    """Scales weight vectors to unit L2 norm along `axis`: `w / (epsilon + norm)`.

    Args:
        axis: Axis (or list of axes) along which norms are taken, in Keras' layout.
            Defaults to `0`.

    Example:
    >>> UnitNorm()(torch.tensor([[3.0], [4.0]]))
    tensor([[0.6000],
            [0.8000]])
    """

    def __init__(self, axis=0):
        self.axis = axis

    def __call__(self, w):
        return w / (config.epsilon() + _norms(w, self.axis))

    def get_config(self):
        return {"axis": self.axis}


class MinMaxNorm(Constraint):
    """Moves the L2 norm of weight vectors along `axis` into `[min_value, max_value]`.

    The new norm is `rate * clip(norm, min_value, max_value) + (1 - rate) * norm`;
    `rate=1.0` enforces the bounds exactly, smaller rates move part of the way.

    Args:
        min_value: Minimum norm. Defaults to `0.0`.
        max_value: Maximum norm. Defaults to `1.0`.
        rate: Fraction of the way to move each step. Defaults to `1.0`.
        axis: Axis (or list of axes) along which norms are taken, in Keras' layout.
            Defaults to `0`.

    Example:
    >>> MinMaxNorm(min_value=1.0, max_value=2.0)(torch.tensor([[0.3], [0.4]]))
    tensor([[0.6000],
            [0.8000]])
    """

    def __init__(self, min_value=0.0, max_value=1.0, rate=1.0, axis=0):
        self.min_value, self.max_value, self.rate, self.axis = min_value, max_value, rate, axis

    def __call__(self, w):
        norms = _norms(w, self.axis)
        desired = (self.rate * torch.clamp(norms, self.min_value, self.max_value)
                   + (1 - self.rate) * norms)
        return w * (desired / (config.epsilon() + norms))

    def get_config(self):
        return {"min_value": self.min_value, "max_value": self.max_value, "rate": self.rate,
                "axis": self.axis}


# Lower-case aliases, as Keras exports them (`keras.constraints.max_norm(3)`).
max_norm = MaxNorm
non_neg = NonNeg
unit_norm = UnitNorm
min_max_norm = MinMaxNorm

_CLASSES = (Constraint, MaxNorm, MinMaxNorm, NonNeg, UnitNorm)


def _snake(name):
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


# Keras' names (`keras/src/constraints/__init__.py`): class names and their snake_case.
_BY_NAME = {cls.__name__: cls for cls in _CLASSES}
_BY_NAME.update({_snake(cls.__name__): cls for cls in _CLASSES})


def _lookup(name):
    return _registry.lookup("constraint", _BY_NAME, name, "MaxNorm")


def get(identifier):
    """Returns a constraint for `identifier`.

    Args:
        identifier: `None` (returns `None`), a name (`"max_norm"`, `"non_neg"`,
            `"unit_norm"`, `"min_max_norm"` or a class name; default arguments), a Keras
            config dict, a `Constraint` class (instantiated), or a callable (returned
            as is).

    Raises:
        ValueError: for an unknown name, listing the close and the known ones.
        TypeError: for anything else.

    Example:
    >>> get("max_norm")
    MaxNorm(max_value=2, axis=0)
    """
    return _registry.get(identifier, "constraint", Constraint, _lookup, deserialize,
                         "None, a constraint name (e.g. 'max_norm'), a Keras config dict or a callable")


def serialize(constraint):
    """Returns Keras' config dict for a constraint, as written in `.keras` files.

    Args:
        constraint: A `Constraint`, a plain callable (written in Keras' custom-function
            form, `{"class_name": "function", "config": <its name>, ...}`), or
            `None` (returns `None`).

    Example:
    >>> serialize(NonNeg())
    {'module': 'keras.constraints', 'class_name': 'NonNeg', 'config': {}, 'registered_name': None}
    """
    return _registry.serialize(constraint, "constraint", Constraint, _BY_NAME, "keras.constraints")


def deserialize(config, custom_objects=None):
    """Builds a constraint from a Keras config dict (or a name).

    Args:
        config: `{"class_name": ..., "config": {...}}` as `serialize()` or Keras write it,
            or a name.
        custom_objects: Optional dict mapping class names to your own classes.
            Defaults to `None`.

    Example:
    >>> deserialize({"class_name": "MaxNorm", "config": {"max_value": 3, "axis": 0}})
    MaxNorm(max_value=3, axis=0)
    """
    return _registry.deserialize(config, "constraint", get, _lookup, custom_objects)