"""Noise-robust losses: the categorical generalized cross entropy (Zhang and Sabuncu, 2018).

Example:
>>> import torch
>>> y_true = torch.tensor([0, 1, 0, 1])
>>> y_pred = torch.tensor([[0.7, 0.3], [0.2, 0.8], [0.6, 0.4], [0.4, 0.6]])
>>> round(float(CategoricalGeneralizedCrossEntropy()(y_true, y_pred)), 4)
0.3599
"""

import torch

from kerastorch.losses.base import _BuiltinLoss, _to_tensor
from kerastorch.losses.targets import _SparseTargets


def _check_q(q, where):
    if isinstance(q, bool) or not isinstance(q, (int, float)) or not 0 < q < 1:
        raise ValueError(f"{where}: `q` must be a number in the open interval (0, 1), got q={q!r}. "
                         "Values near 0 behave like crossentropy, values near 1 like mean absolute error.")


def categorical_generalized_cross_entropy(y_true, y_pred, q):
    """Generalized cross entropy `(1 - p**q) / q`, `p` the predicted probability of the true class.

    Between crossentropy (`q -> 0`) and mean absolute error (`q = 1`), it is more robust to
    noisy labels than crossentropy.

    Args:
        y_true: Integer class ids, shape `(batch_size,)` (or `(batch_size, 1)`).
        y_pred: Class probabilities, shape `(batch_size, num_classes)`.
        q: Noise parameter in `(0, 1)`.

    Returns:
        Per-sample losses, shape `(batch_size,)`.

    Raises:
        ValueError: for a class id outside `[0, num_classes)`, or `q` outside `(0, 1)`.

    Example:
    >>> categorical_generalized_cross_entropy(torch.tensor([1]), torch.tensor([[0.75, 0.25]]), q=0.5)
    tensor([1.])
    """
    _check_q(q, "categorical_generalized_cross_entropy")
    y_pred = _to_tensor(y_pred)
    if not y_pred.is_floating_point():
        y_pred = y_pred.float()
    # Keras casts the ids to int (truncation). Its one-hot of `(batch_size, 1)` ids broadcasts
    # against y_pred into a (batch, batch) matrix; the documented (batch_size, 1) form is
    # squeezed here instead, giving the same values as `(batch_size,)` ids.
    ids = _to_tensor(y_true, like=y_pred).to(torch.int64)
    if ids.dim() == y_pred.dim() and ids.shape[-1] == 1:
        ids = ids.squeeze(-1)
    num_classes = y_pred.shape[-1]
    # One check (one host sync, as Keras' one_hot makes) instead of a raw torch index error.
    if ids.numel() and bool(((ids < 0) | (ids >= num_classes)).any()):
        raise ValueError(
            f"categorical_generalized_cross_entropy: class ids must be in [0, {num_classes}) for "
            f"predictions of shape {tuple(y_pred.shape)}, got ids from {int(ids.min())} to {int(ids.max())}."
        )
    p = torch.gather(y_pred, -1, ids.unsqueeze(-1)).squeeze(-1)
    return (1 - torch.pow(p, q)) / q


class CategoricalGeneralizedCrossEntropy(_SparseTargets, _BuiltinLoss):
    """Generalized cross entropy `(1 - p**q) / q` between integer labels and class probabilities.

    Args:
        q: Noise parameter in `(0, 1)`: near 0 the loss behaves like crossentropy, near 1 like
            mean absolute error. Defaults to `0.5`.
        reduction: Defaults to `"sum_over_batch_size"`.
        name: Defaults to `"categorical_generalized_cross_entropy"`.
        dtype: Defaults to `None`.

    Raises:
        ValueError: if `q` is not in `(0, 1)`.

    Example:
    >>> loss = CategoricalGeneralizedCrossEntropy(q=0.5)
    >>> float(loss(torch.tensor([1]), torch.tensor([[0.75, 0.25]])))
    1.0
    """

    def __init__(self, q=0.5, reduction="sum_over_batch_size", name="categorical_generalized_cross_entropy",
                 dtype=None):
        _check_q(q, "CategoricalGeneralizedCrossEntropy")
        super().__init__(categorical_generalized_cross_entropy, name=name, reduction=reduction,
                         dtype=dtype, q=q)
        self.q = q

    _config_keys = ("q",)
