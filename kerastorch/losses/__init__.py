"""Keras 3 losses on torch tensors: functions, `Loss` classes, `get`, target checks.

The numbers follow Keras 3 on its **torch** backend (not TF): probabilities are
renormalised and clipped to `[epsilon, 1 - epsilon]` before the log, and
`sum_over_batch_size` divides the weighted sum by the number of loss values, not
by the sum of the weights.

One family per module: `base` (the `Loss` classes and the reduction rules), `regression`,
`probabilistic`, `hinge_losses` (named so it does not shadow the `hinge` function),
`segmentation` (Dice, Tversky), `similarity` (Circle), `sequence`
(CTC), `robust` (generalized cross entropy), `targets` (the trainer's first-batch target
checks), `fused` (the logits path after a final softmax/sigmoid) and `registry` (`get`,
`resolve_loss`, `serialize`, `deserialize`).

As in Keras, `get("mean_squared_error")` (a function name or alias) returns the per-sample
function and `get("MeanSquaredError")` (a class name) an instance; `compile(loss=...)` builds
its `Loss` object with `resolve_loss`.

Example:
>>> import torch
>>> from kerastorch import losses
>>> loss = losses.get("CategoricalCrossentropy")
>>> y_true = torch.tensor([[0.0, 1.0], [1.0, 0.0]])
>>> y_pred = torch.tensor([[0.2, 0.8], [0.6, 0.4]])
>>> round(float(loss(y_true, y_pred)), 4)
0.367
"""

from kerastorch.losses.base import (  # noqa: F401 - private helpers other modules import from here
    Loss,
    LossFunctionWrapper,
    _apply_mask,
    _BuiltinLoss,
    _check_reduction,
    _divide_no_nan,
    _float_dtype,
    _prepare,
    _shape_str,
    _to_snake_case,
    _to_tensor,
    reduce_weighted_values,
    squeeze_or_expand_to_same_rank,
)
from kerastorch.losses.fused import _FusedLogitsLoss, fused_from_logits  # noqa: F401
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
from kerastorch.losses.registry import (  # noqa: F401
    BCE,
    KLD,
    MAE,
    MAPE,
    MSE,
    MSLE,
    _binary_or_sparse,
    bce,
    deserialize,
    get,
    kld,
    logcosh,
    mae,
    mape,
    mse,
    msle,
    resolve_crossentropy,
    resolve_loss,
    serialize,
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
