"""`get`, `serialize`, `deserialize`, Keras' `"accuracy"` resolution and its log-key naming.

Example:
>>> get("mse").name
'mse'
"""

import difflib
import inspect

from kerastorch import losses as _losses
from kerastorch.losses.base import _to_snake_case
from kerastorch.metrics.accuracy_metrics import (  # noqa: F401 - found by name in _deserialize_fn
    Accuracy,
    BinaryAccuracy,
    CategoricalAccuracy,
    SparseCategoricalAccuracy,
    SparseTopKCategoricalAccuracy,
    TopKCategoricalAccuracy,
    accuracy,
    binary_accuracy,
    categorical_accuracy,
    sparse_categorical_accuracy,
    sparse_top_k_categorical_accuracy,
    top_k_categorical_accuracy,
)
from kerastorch.metrics.base import Metric
from kerastorch.metrics.confusion_metrics import (
    AUC,
    FalseNegatives,
    FalsePositives,
    Precision,
    Recall,
    TrueNegatives,
    TruePositives,
)
from kerastorch.metrics.correlation_metrics import (  # noqa: F401 - functions found by name in _deserialize_fn
    ConcordanceCorrelation,
    PearsonCorrelation,
    concordance_correlation,
    pearson_correlation,
)
from kerastorch.metrics.f_score_metrics import F1Score, FBetaScore
from kerastorch.metrics.hinge_metrics import CategoricalHinge, Hinge, SquaredHinge
from kerastorch.metrics.iou_metrics import BinaryIoU, IoU, MeanIoU, OneHotIoU, OneHotMeanIoU
from kerastorch.metrics.probabilistic_metrics import (
    BinaryCrossentropy,
    CategoricalCrossentropy,
    KLDivergence,
    Poisson,
    SparseCategoricalCrossentropy,
)
from kerastorch.metrics.reduction_metrics import Mean, MeanMetricWrapper, Sum
from kerastorch.metrics.regression_metrics import (
    CosineSimilarity,
    LogCoshError,
    MeanAbsoluteError,
    MeanAbsolutePercentageError,
    MeanSquaredError,
    MeanSquaredLogarithmicError,
    R2Score,
    RootMeanSquaredError,
)
from kerastorch.metrics.sensitivity_specificity_metrics import (
    PrecisionAtRecall,
    RecallAtPrecision,
    SensitivityAtSpecificity,
    SpecificityAtSensitivity,
)


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
    R2Score,
    PrecisionAtRecall,
    RecallAtPrecision,
    SensitivityAtSpecificity,
    SpecificityAtSensitivity,
    ConcordanceCorrelation,
    PearsonCorrelation,
    IoU,
    BinaryIoU,
    MeanIoU,
    OneHotIoU,
    OneHotMeanIoU,
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


def _required_args(cls):
    """The constructor arguments without a default (`MeanIoU`: `num_classes`)."""
    params = list(inspect.signature(cls.__init__).parameters.values())[1:]
    return [p.name for p in params if p.default is inspect.Parameter.empty
            and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]


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
        required = _required_args(cls)
        if required:
            args = ", ".join(f"{a}=..." for a in required)
            raise ValueError(
                f"Metric {identifier!r} ({cls.__name__}) needs {', '.join(required)}, which a name cannot "
                f"give: pass the object instead, e.g. metrics=[kerastorch.metrics.{cls.__name__}({args})]."
            )
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
