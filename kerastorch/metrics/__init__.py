"""Keras 3 stateful metrics on torch tensors.

A metric accumulates state over `update_state` calls and reports `result()`. The state
lives in torch tensors on the device of the first inputs, and neither `update_state` nor
`result` reads a value back to the host, so a training loop can call them every step
without synchronising the GPU; `float(metric.result())` once per log line is the only sync.

One family per module, named as Keras names its files: `base` (`Metric`),
`reduction_metrics` (`Sum`, `Mean`, `MeanMetricWrapper`), `accuracy_metrics`,
`regression_metrics` (with `R2Score`), `probabilistic_metrics`, `hinge_metrics`,
`confusion_metrics` (counts, precision, recall, AUC), `sensitivity_specificity_metrics`
(one rate at a constraint on another), `f_score_metrics`, `iou_metrics`,
`correlation_metrics`, and `registry` (`get`, `serialize`, `deserialize`,
`resolve_accuracy`, `log_keys`). The `_metrics` suffix keeps a module from shadowing a
function of the same name (`kerastorch.metrics.hinge` is the function).

Example:
>>> import torch
>>> from kerastorch import metrics
>>> m = metrics.get("binary_accuracy")
>>> m.update_state(torch.tensor([[1.0], [0.0]]), torch.tensor([[0.9], [0.8]]))
>>> float(m.result())
0.5
"""

from kerastorch.losses.base import squeeze_or_expand_to_same_rank  # noqa: F401 - as before the split
from kerastorch.losses.hinge_losses import categorical_hinge, hinge, squared_hinge
from kerastorch.losses.probabilistic import (
    binary_crossentropy,
    binary_focal_crossentropy,
    categorical_crossentropy,
    categorical_focal_crossentropy,
    kl_divergence,
    poisson,
    sparse_categorical_crossentropy,
)
from kerastorch.losses.regression import (
    huber,
    log_cosh,
    mean_absolute_error,
    mean_absolute_percentage_error,
    mean_squared_error,
    mean_squared_logarithmic_error,
)
from kerastorch.metrics.accuracy_metrics import (
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
from kerastorch.metrics.base import NEG_INF, Metric  # noqa: F401
from kerastorch.metrics.confusion_metrics import (
    AUC,
    FalseNegatives,
    FalsePositives,
    Precision,
    Recall,
    TrueNegatives,
    TruePositives,
)
from kerastorch.metrics.correlation_metrics import (
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
from kerastorch.metrics.registry import deserialize, get, log_keys, resolve_accuracy, serialize
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
