"""Keras 3 optimizers on torch parameters, as in `keras.optimizers`.

Each optimizer reproduces Keras' own update rule (Keras' torch backend,
`keras/src/backend/torch/optimizers/`), which differs from `torch.optim` in defaults and in
formulas (Adam's epsilon, RMSprop/Adagrad epsilon inside the root, SGD momentum with the
learning rate folded in, decoupled weight decay, per-variable `clipnorm`).

Example:
>>> from kerastorch import optimizers
>>> opt = optimizers.get("adam")
>>> type(opt).__name__, opt.learning_rate == optimizers.Adam().learning_rate
('Adam', True)
"""

import difflib

import torch

from kerastorch.optimizers import schedules
from kerastorch.optimizers.adadelta import Adadelta
from kerastorch.optimizers.adagrad import Adagrad
from kerastorch.optimizers.adam import Adam, AdamW
from kerastorch.optimizers.adamax import Adamax
from kerastorch.optimizers.base import Optimizer
from kerastorch.optimizers.lion import Lion
from kerastorch.optimizers.nadam import Nadam
from kerastorch.optimizers.rmsprop import RMSprop
from kerastorch.optimizers.sgd import SGD

__all__ = [
    "Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta", "Adamax", "Nadam",
    "Lion", "get", "serialize", "deserialize", "schedules",
]

_ALL = (SGD, Adam, AdamW, RMSprop, Adagrad, Adadelta, Adamax, Nadam, Lion)
# Keras looks names up lower-cased, so "adam", "Adam" and "ADAM" all work.
_BY_NAME = {cls.__name__.lower(): cls for cls in _ALL}


def _lookup(name):
    cls = _BY_NAME.get(name.lower())
    if cls is None:
        known = sorted(_BY_NAME)
        close = difflib.get_close_matches(name.lower(), known, n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise ValueError(f"Unknown optimizer {name!r}.{hint} Known: {', '.join(known)}.")
    return cls


def serialize(optimizer):
    """Returns the Keras serialization of an optimizer (as stored in a `.keras` file).

    Args:
        optimizer: A kerastorch `Optimizer`.

    Returns:
        A dict `{"module", "class_name", "config", "registered_name"}`, where `module` names
        Keras' torch-backend class, as real Keras writes it.

    Example:
    >>> serialize(SGD())["class_name"], serialize(SGD())["config"]["momentum"]
    ('SGD', 0.0)
    """
    if not isinstance(optimizer, Optimizer):
        raise TypeError(
            "optimizers.serialize() expects a kerastorch.optimizers.Optimizer, got "
            f"{type(optimizer).__name__}: {optimizer!r}."
        )
    cls = type(optimizer)
    builtin = _BY_NAME.get(cls.__name__.lower()) is cls
    module = f"keras.src.backend.torch.optimizers.torch_{cls.__name__.lower()}" if builtin else cls.__module__
    return {
        "module": module,
        "class_name": cls.__name__,
        "config": optimizer.get_config(),
        "registered_name": cls.__name__,
    }


def deserialize(config, custom_objects=None):
    """Creates an optimizer from `serialize()` output (or Keras' own serialized optimizer).

    Args:
        config: Dict with `"class_name"` (any case: `"adam"`, `"Adam"`) and `"config"`.
        custom_objects: Optional dict mapping names to user-defined optimizer classes.

    Example:
    >>> deserialize({"class_name": "sgd", "config": {"learning_rate": 0.5}}).learning_rate
    0.5
    """
    if not isinstance(config, dict) or "class_name" not in config:
        raise TypeError(
            "optimizers.deserialize() expects a dict with 'class_name' and 'config' keys, as "
            f"returned by optimizers.serialize(), got {config!r}."
        )
    name = config["class_name"]
    custom = dict(custom_objects or {})
    cls = custom.get(name) or _lookup(name)
    return cls.from_config(dict(config.get("config") or {}), custom_objects=custom_objects)


def get(identifier):
    """Retrieves an optimizer from a name, a config dict or an instance.

    Args:
        identifier: One of: a Keras optimizer name (`"adam"`, `"sgd"`, `"rmsprop"`, `"adamw"`,
            `"adagrad"`, `"adadelta"`, `"adamax"`, `"nadam"`, `"lion"`, any case, class names
            too), which gives the optimizer with Keras' defaults; a config dict (see
            `deserialize`); a kerastorch `Optimizer` or a `torch.optim.Optimizer` instance,
            returned as is; an `Optimizer` subclass, instantiated with its defaults; or `None`.

    Returns:
        The optimizer (or `None` for `None`).

    Raises:
        ValueError: for an unknown name; the message suggests the closest known one.
        TypeError: for any other kind of object.

    Example:
    >>> type(get("RMSprop")).__name__
    'RMSprop'
    >>> get("adamm")
    Traceback (most recent call last):
    ...
    ValueError: Unknown optimizer 'adamm'. Did you mean 'adam'? Known: adadelta, adagrad, adam, adamax, adamw, lion, nadam, rmsprop, sgd.
    """
    if identifier is None:
        return None
    if isinstance(identifier, (Optimizer, torch.optim.Optimizer)):
        return identifier
    if isinstance(identifier, str):
        return _lookup(identifier)()
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, type) and issubclass(identifier, Optimizer):
        return identifier()
    raise TypeError(
        "optimizers.get() accepts an optimizer name (e.g. 'adam'), a config dict, a "
        "kerastorch.optimizers.Optimizer or a torch.optim.Optimizer instance, got "
        f"{type(identifier).__name__}: {identifier!r}."
    )
