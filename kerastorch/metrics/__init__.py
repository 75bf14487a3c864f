"""Keras 3 stateful metrics on torch tensors.

A metric accumulates state over `update_state` calls and reports `result()`. The state
lives in torch tensors on the device of the first inputs, and neither `update_state` nor
`result` reads a value back to the host, so a training loop can call them every step
without synchronising the GPU; `float(metric.result())` once per log line is the only sync.

One family per module, as in Keras: `base` (`Metric`), `reduction` (`Sum`, `Mean`,
`MeanMetricWrapper`), `accuracy`, `regression`, `probabilistic`, `hinge`, `confusion`
(counts, precision, recall, AUC), `f_score`, and `registry` (`get`, `serialize`,
`deserialize`, `resolve_accuracy`, `log_keys`).

Example:
>>> import torch
>>> from kerastorch import metrics
>>> m = metrics.get("binary_accuracy")
>>> m.update_state(torch.tensor([[1.0], [0.0]]), torch.tensor([[0.9], [0.8]]))
>>> float(m.result())
0.5
"""

from kerastorch.losses.base import squeeze_or_expand_to_same_rank  # noqa: F401 - as before the split
from kerastorch.losses.hinge import categorical_hinge, hinge, squared_hinge
from kerastorch.losses.probabilistic import (
    binary_crossentropy,
    categorical_crossentropy,
    kl_divergence,
    poisson,
    sparse_categorical_crossentropy,
)
from kerastorch.losses.regression import (
    log_cosh,
    mean_absolute_error,
    mean_absolute_percentage_error,
    mean_squared_error,
    mean_squared_logarithmic_error,
)
from kerastorch.metrics.accuracy import (
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
from kerastorch.metrics.confusion import (
    AUC,
    FalseNegatives,
    FalsePositives,
    Precision,
    Recall,
    TrueNegatives,
    TruePositives,
)
from kerastorch.metrics.f_score import F1Score, FBetaScore
from kerastorch.metrics.hinge import CategoricalHinge, Hinge, SquaredHinge
from kerastorch.metrics.probabilistic import (
    BinaryCrossentropy,
    CategoricalCrossentropy,
    KLDivergence,
    Poisson,
    SparseCategoricalCrossentropy,
)
from kerastorch.metrics.reduction import Mean, MeanMetricWrapper, Sum
from kerastorch.metrics.registry import deserialize, get, log_keys, resolve_accuracy, serialize
from kerastorch.metrics.regression import (
    CosineSimilarity,
    LogCoshError,
    MeanAbsoluteError,
    MeanAbsolutePercentageError,
    MeanSquaredError,
    MeanSquaredLogarithmicError,
    RootMeanSquaredError,
)
