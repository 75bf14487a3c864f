"""Keras 3 optimizers on torch parameters, as in `keras.optimizers`.

Each optimizer reproduces Keras' own update rule (Keras' torch backend,
`keras/src/backend/torch/optimizers/`), which differs from `torch.optim` in defaults and in
formulas (Adam's epsilon, RMSprop/Adagrad epsilon inside the root, SGD momentum with the
learning rate folded in, decoupled weight decay, per-variable `clipnorm`).

Example:
>>> from kerastorch import optimizers
>>> opt = optimizers.get("adam")
>>> type(opt).__name__, float(opt.learning_rate) == float(optimizers.Adam().learning_rate)
('Adam', True)
"""

import difflib

import torch

from kerastorch.optimizers import legacy, schedules
from kerastorch.optimizers.adadelta import Adadelta
from kerastorch.optimizers.adafactor import Adafactor
from kerastorch.optimizers.adagrad import Adagrad
from kerastorch.optimizers.adam import Adam, AdamW
from kerastorch.optimizers.adamax import Adamax
from kerastorch.optimizers.base import Optimizer
from kerastorch.optimizers.ftrl import Ftrl
from kerastorch.optimizers.lamb import Lamb
from kerastorch.optimizers.lion import Lion
from kerastorch.optimizers.loss_scale_optimizer import LossScaleOptimizer
from kerastorch.optimizers.multi_optimizer import MultiOptimizer, OptimizerMap
from kerastorch.optimizers.muon import Muon
from kerastorch.optimizers.nadam import Nadam
from kerastorch.optimizers.rmsprop import RMSprop
from kerastorch.optimizers.schedule_free_adamw import ScheduleFreeAdamW
from kerastorch.optimizers.sgd import SGD

__all__ = [
    "Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta", "Adamax", "Nadam",
    "Lion", "Adafactor", "Ftrl", "Lamb", "Muon", "ScheduleFreeAdamW", "LossScaleOptimizer",
    "MultiOptimizer", "OptimizerMap", "get", "serialize", "deserialize", "schedules", "legacy",
]

# Keras' torch backend has its own subclasses of these; `serialize` writes their module.
_TORCH_BACKEND = (SGD, Adam, AdamW, RMSprop, Adagrad, Adadelta, Adamax, Nadam, Lion)
# Written as `keras.optimizers` classes, with `registered_name: None`, as Keras writes them.
_KERAS_MODULE = (Adafactor, Ftrl, Lamb, Muon, ScheduleFreeAdamW, LossScaleOptimizer,
                 MultiOptimizer, OptimizerMap)
# Keras looks names up lower-cased, so "adam", "Adam" and "ADAM" all work. (Keras 3.15.1
# leaves Lamb out of its table, so `get("lamb")` fails there; it works here.)
_BY_NAME = {cls.__name__.lower(): cls for cls in _TORCH_BACKEND + _KERAS_MODULE}
# Wrappers need another optimizer: a bare name cannot build them.
_WRAPPERS = {"lossscaleoptimizer": "inner_optimizer", "multioptimizer": "optimizer_map",
             "optimizermap": "default_optimizer"}


def _lookup(name):
    cls = _BY_NAME.get(name.lower())
    if cls is None:
        known = sorted(k for k in _BY_NAME if k not in _WRAPPERS)
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
    if not isinstance(optimizer, (Optimizer, OptimizerMap)):
        if callable(optimizer) and not isinstance(optimizer, type):
            # A function (a MultiOptimizer's map): Keras' custom-function form.
            return {"module": "builtins", "class_name": "function",
                    "config": getattr(optimizer, "__name__", type(optimizer).__name__),
                    "registered_name": "function"}
        raise TypeError(
            "optimizers.serialize() expects a kerastorch.optimizers.Optimizer, got "
            f"{type(optimizer).__name__}: {optimizer!r}."
        )
    cls = type(optimizer)
    if cls in _TORCH_BACKEND:
        module, registered = f"keras.src.backend.torch.optimizers.torch_{cls.__name__.lower()}", cls.__name__
    elif cls in _KERAS_MODULE:
        module, registered = "keras.optimizers", None
    else:
        module, registered = cls.__module__, cls.__name__
    return {
        "module": module,
        "class_name": cls.__name__,
        "config": optimizer.get_config(),
        "registered_name": registered,
    }


def deserialize(config, custom_objects=None):
    """Creates an optimizer from `serialize()` output (or Keras' own serialized optimizer).

    Args:
        config: Dict with `"class_name"` (any case: `"adam"`, `"Adam"`) and `"config"`.
        custom_objects: Optional dict mapping names to user-defined optimizer classes.

    Example:
    >>> float(deserialize({"class_name": "sgd", "config": {"learning_rate": 0.5}}).learning_rate)
    0.5
    """
    if not isinstance(config, dict) or "class_name" not in config:
        raise TypeError(
            "optimizers.deserialize() expects a dict with 'class_name' and 'config' keys, as "
            f"returned by optimizers.serialize(), got {config!r}."
        )
    name = config["class_name"]
    custom = dict(custom_objects or {})
    if name == "function":
        # A MultiOptimizer's optimizer-choosing function, saved by name.
        fn = custom.get(config.get("config"))
        if fn is None:
            raise ValueError(
                f"Cannot deserialize the function {config.get('config')!r} (a MultiOptimizer's "
                "optimizer map): pass it in custom_objects={name: fn}."
            )
        return fn
    cls = custom.get(name) or _lookup(name)
    return cls.from_config(dict(config.get("config") or {}), custom_objects=custom_objects)


def get(identifier):
    """Retrieves an optimizer from a name, a config dict or an instance.

    Args:
        identifier: One of: a Keras optimizer name (`"adam"`, `"sgd"`, `"rmsprop"`, `"adamw"`,
            `"adagrad"`, `"adadelta"`, `"adamax"`, `"nadam"`, `"lion"`, `"adafactor"`,
            `"ftrl"`, `"lamb"`, `"muon"`, `"schedulefreeadamw"`, any case, class names too),
            which gives the optimizer with Keras' defaults; a config dict (see
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
    ValueError: Unknown optimizer 'adamm'. Did you mean 'adam'? Known: adadelta, adafactor, adagrad, adam, adamax, adamw, ftrl, lamb, lion, muon, nadam, rmsprop, schedulefreeadamw, sgd.
    """
    if identifier is None:
        return None
    if isinstance(identifier, (Optimizer, torch.optim.Optimizer)):
        return identifier
    if isinstance(identifier, str):
        needs = _WRAPPERS.get(identifier.lower())
        if needs is not None:
            cls = _BY_NAME[identifier.lower()]
            raise ValueError(
                f"optimizers.get({identifier!r}): a {cls.__name__} wraps other optimizers, so it cannot "
                f"be made from its name alone; create it with its `{needs}`, e.g. "
                + ("LossScaleOptimizer(optimizers.Adam())." if cls is LossScaleOptimizer else
                   "MultiOptimizer(OptimizerMap(optimizers.Adam(), {'encoder/.*': optimizers.SGD()}))."
                   if cls is MultiOptimizer else "OptimizerMap(optimizers.Adam()).")
            )
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
