"""`get`, `serialize` and `deserialize` over every built-in loss, with Keras' names and aliases.

Example:
>>> get("CategoricalCrossentropy").name
'categorical_crossentropy'
"""

import difflib
import inspect

import numpy as np

from kerastorch.losses.base import Loss, LossFunctionWrapper
from kerastorch.losses.hinge_losses import CategoricalHinge, Hinge, SquaredHinge, categorical_hinge, hinge, squared_hinge
from kerastorch.losses.probabilistic import (
    BinaryCrossentropy,
    BinaryFocalCrossentropy,
    CategoricalCrossentropy,
    CategoricalFocalCrossentropy,
    KLDivergence,
    Poisson,
    SparseCategoricalCrossentropy,
    binary_crossentropy,
    binary_focal_crossentropy,
    categorical_crossentropy,
    categorical_focal_crossentropy,
    kl_divergence,
    poisson,
    sparse_categorical_crossentropy,
)
from kerastorch.losses.robust import CategoricalGeneralizedCrossEntropy, categorical_generalized_cross_entropy
from kerastorch.losses.segmentation import Dice, Tversky, dice, tversky
from kerastorch.losses.sequence import CTC, ctc
from kerastorch.losses.similarity import Circle, circle
from kerastorch.losses.regression import (
    CosineSimilarity,
    Huber,
    LogCosh,
    MeanAbsoluteError,
    MeanAbsolutePercentageError,
    MeanSquaredError,
    MeanSquaredLogarithmicError,
    cosine_similarity,
    huber,
    log_cosh,
    mean_absolute_error,
    mean_absolute_percentage_error,
    mean_squared_error,
    mean_squared_logarithmic_error,
)

# Legacy/short aliases, as Keras exposes them.
mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error
mape = MAPE = mean_absolute_percentage_error
msle = MSLE = mean_squared_logarithmic_error
kld = KLD = kl_divergence
bce = BCE = binary_crossentropy
logcosh = log_cosh


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
    Dice,
    Tversky,
    Circle,
    CTC,
)
# Keras 3.15.1 leaves it out of `losses.get` (its ALL_OBJECTS); `deserialize` still finds it,
# as Keras' generic deserialization does.
_DESERIALIZABLE_ONLY = {CategoricalGeneralizedCrossEntropy.__name__: CategoricalGeneralizedCrossEntropy}

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
    "dice": (dice, Dice),
    "tversky": (tversky, Tversky),
    "circle": (circle, Circle),
    "ctc": (ctc, CTC),
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
# `categorical_generalized_cross_entropy` needs `q`, so a bare name cannot stand for it; as a
# serialized function it is found all the same.
_ALL_FUNCTIONS = {**{name: fn for name, (fn, _) in _FUNCTIONS.items()},
                  "categorical_generalized_cross_entropy": categorical_generalized_cross_entropy}


def _known_names():
    return sorted(set(_FUNCTIONS) | set(_ALIASES) | {c.__name__ for c in _CLASSES[1:] if c is not LossFunctionWrapper})


def _lookup(name):
    """The function or class Keras' `losses.get` finds for a string, or `None`."""
    name = _ALIASES.get(name, name)
    if name in _FUNCTIONS:
        return _FUNCTIONS[name][0]
    if name == LossFunctionWrapper.__name__:
        raise TypeError("LossFunctionWrapper cannot be made from a name: it wraps a function. Use "
                        "kerastorch.losses.LossFunctionWrapper(fn) with fn(y_true, y_pred).")
    return _CLASS_BY_NAME.get(name)


def _unknown(kind, identifier, known):
    close = difflib.get_close_matches(str(identifier), known, n=1)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    return ValueError(f"Unknown {kind} {identifier!r}.{hint} Known: {', '.join(known)}.")


def get(identifier):
    """Retrieves a Keras loss as a function or a `Loss` instance, as Keras' `losses.get` does.

    A function name or alias gives the per-sample **function** (`"mse"` gives
    `mean_squared_error`, whose values keep the batch axis); a class name gives a fresh
    instance of the class (`"MeanSquaredError"`, reduced to a scalar when called).
    `compile(loss=...)` turns either into the `Loss` it trains with (see `resolve_loss`).

    Args:
        identifier: A loss name (function, alias such as `"mse"`/`"bce"`/`"kld"`, or class
            name); a config dict from `serialize`; a `Loss` class (instantiated); any callable
            (a `Loss` instance or a function, returned as is); or `None`.

    Returns:
        A `Loss` instance or a function, or `None` for `None`.

    Raises:
        ValueError: for an unknown name, naming the closest known one.
        TypeError: for an identifier that is neither a name, a dict nor a callable.

    Example:
    >>> import torch
    >>> get("mean_squared_error") is mean_squared_error
    True
    >>> type(get("MeanSquaredError")).__name__
    'MeanSquaredError'
    >>> get("mse")(torch.zeros(2, 3), torch.ones(2, 3))
    tensor([1., 1.])
    """
    if identifier is None:
        return None
    if isinstance(identifier, dict):
        obj = deserialize(identifier)
    elif isinstance(identifier, str):
        obj = _lookup(identifier)
        if obj is None:
            if identifier == CategoricalGeneralizedCrossEntropy.__name__:
                raise ValueError(
                    f"Unknown loss {identifier!r}: Keras' losses.get does not list it (nor does "
                    "kerastorch's). Pass the object instead, e.g. "
                    "loss=kerastorch.losses.CategoricalGeneralizedCrossEntropy(q=0.5)."
                )
            raise _unknown("loss", identifier, _known_names())
    else:
        obj = identifier
    if inspect.isclass(obj):
        obj = obj()
    if callable(obj):
        return obj
    raise TypeError(
        f"Could not interpret loss identifier {identifier!r} of type {type(identifier).__name__}: "
        "expected a loss name, a Loss, a callable fn(y_true, y_pred) or a config dict."
    )


def resolve_loss(identifier):
    """Returns the `Loss` object `compile(loss=identifier)` trains with.

    As `get`, but a function becomes a `Loss`: a built-in function or its name gives the
    matching built-in class (so the trainer keeps its target checks and fused logits path),
    named with the identifier as Keras' `compile` names it; any other callable is wrapped
    in `LossFunctionWrapper`.

    Args:
        identifier: Anything `get` accepts.

    Returns:
        A `Loss`, or `None` for `None`.

    Example:
    >>> import torch
    >>> loss = resolve_loss("mse")
    >>> type(loss).__name__, loss.name
    ('MeanSquaredError', 'mse')
    >>> float(loss(torch.zeros(2, 3), torch.ones(2, 3)))
    1.0
    """
    if identifier is None or isinstance(identifier, Loss):
        return identifier
    if isinstance(identifier, str):
        name = _ALIASES.get(identifier, identifier)
        if name in _FUNCTIONS:
            return _FUNCTIONS[name][1](name=identifier)
    obj = get(identifier)
    if isinstance(obj, Loss):
        return obj
    for fn, cls in _FUNCTIONS.values():
        if obj is fn:  # a built-in function: keep its target checks and fused path
            return cls(name=fn.__name__)
    return LossFunctionWrapper(obj)


def resolve_crossentropy(identifier, y_true, y_pred):
    """Resolves the loss names `"crossentropy"`/`"ce"` by Keras 3's shape rule.

    Binary if `y_pred.shape[-1] == 1`; sparse if `rank(y_true) < rank(y_pred)` or
    (`y_true.shape[-1] == 1` and `y_pred.shape[-1] > 1`); categorical otherwise. Other
    identifiers go to `resolve_loss`.

    Args:
        identifier: What the user passed as `loss`.
        y_true: Targets of one batch (anything with `.shape`).
        y_pred: Predictions of one batch.

    Returns:
        A `Loss`, named with the identifier.

    Example:
    >>> import torch
    >>> type(resolve_crossentropy("ce", torch.zeros(4), torch.zeros(4, 3))).__name__
    'SparseCategoricalCrossentropy'
    """
    if str(identifier).lower() not in ("crossentropy", "ce"):
        return resolve_loss(identifier)
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
        if name in _ALL_FUNCTIONS:
            return _ALL_FUNCTIONS[name]
        return get(config)
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(f"Could not deserialize loss from {config!r}: expected a dict with 'class_name'.")
    class_name, inner = config["class_name"], config.get("config")
    if class_name == "function":
        return deserialize(inner, custom_objects)
    cls = custom_objects.get(class_name) or _CLASS_BY_NAME.get(class_name)
    if cls is None:
        cls = _DESERIALIZABLE_ONLY.get(class_name)
    if cls is None:
        raise _unknown("loss class", class_name, sorted(_CLASS_BY_NAME))
    return cls.from_config(inner or {})
