"""Accuracy metrics: exact, binary, categorical, sparse and top-k accuracy, functions and classes.

Example:
>>> import torch
>>> m = BinaryAccuracy()
>>> m.update_state(torch.tensor([[1.0], [0.0]]), torch.tensor([[0.9], [0.8]]))
>>> float(m.result())
0.5
"""

import torch

from kerastorch.losses.base import _to_tensor, squeeze_or_expand_to_same_rank
from kerastorch.metrics.reduction_metrics import _FnMetric

# --------------------------------------------------------------------------- metric functions


def accuracy(y_true, y_pred):
    """Elementwise `1.0` where `y_true == y_pred`, else `0.0`.

    Args:
        y_true: Targets.
        y_pred: Predicted values (already labels).

    Returns:
        A float tensor of matches.

    Example:
    >>> accuracy(torch.tensor([1.0, 2.0]), torch.tensor([1.0, 3.0]))
    tensor([1., 0.])
    """
    y_pred = _to_tensor(y_pred)
    y_true = _to_tensor(y_true, dtype=y_pred.dtype, like=y_pred)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    return (y_true == y_pred).to(torch.float32)


def binary_accuracy(y_true, y_pred, threshold=0.5):
    """Elementwise match of `y_true` and `y_pred > threshold`.

    Args:
        y_true: Targets in {0, 1}.
        y_pred: Probabilities.
        threshold: Decision threshold. Defaults to `0.5`.

    Returns:
        A float tensor of matches.

    Example:
    >>> binary_accuracy(torch.tensor([[1.0], [0.0]]), torch.tensor([[0.9], [0.8]]))
    tensor([[1.],
            [0.]])
    """
    y_pred = _to_tensor(y_pred)
    y_true = _to_tensor(y_true, like=y_pred)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    y_pred = (y_pred > threshold).to(y_true.dtype)
    return (y_true == y_pred).to(torch.float32)


def categorical_accuracy(y_true, y_pred):
    """Per-sample match of `argmax(y_true)` and `argmax(y_pred)` (one-hot targets).

    Args:
        y_true: One-hot targets.
        y_pred: Scores or probabilities, same shape.

    Returns:
        A float tensor of matches, one per sample.

    Example:
    >>> categorical_accuracy(torch.tensor([[0.0, 1.0], [1.0, 0.0]]), torch.tensor([[0.2, 0.8], [0.3, 0.7]]))
    tensor([1., 0.])
    """
    y_pred = _to_tensor(y_pred)
    y_true = torch.argmax(_to_tensor(y_true, like=y_pred), dim=-1)
    exact = _ids_exact_in(y_pred)
    if not exact:
        y_true = y_true.to(y_pred.dtype)
    original_shape = y_true.shape
    reshape = False
    if y_true.dim() == y_pred.dim():
        y_true = y_true.squeeze(-1)
        reshape = True
    y_pred = torch.argmax(y_pred, dim=-1)
    if not exact:
        y_pred = y_pred.to(y_true.dtype)
    matches = (y_true == y_pred).to(torch.float32)
    return matches.reshape(original_shape) if reshape else matches


def _ids_exact_in(y_pred):
    # Keras casts the class ids to `y_pred`'s dtype before comparing them. In float32 and
    # float64 every id below 2**24 is exact, so comparing the int64 ids directly gives the
    # same result without the copies; half types (2049 -> 2048 in float16) keep the casts.
    return y_pred.dtype in (torch.float32, torch.float64) and (
        y_pred.dim() == 0 or y_pred.shape[-1] <= 2 ** 24)


def sparse_categorical_accuracy(y_true, y_pred):
    """Per-sample match of integer targets and `argmax(y_pred)`.

    Args:
        y_true: Class ids, shape `(N,)` or `(N, 1)`.
        y_pred: Scores or probabilities, shape `(N, num_classes)`.

    Returns:
        A float tensor of matches, one per sample.

    Example:
    >>> sparse_categorical_accuracy(torch.tensor([1, 1]), torch.tensor([[0.2, 0.8], [0.6, 0.4]]))
    tensor([1., 0.])
    """
    y_pred = _to_tensor(y_pred)
    if isinstance(y_true, torch.Tensor):
        y_true = _to_tensor(y_true, like=y_pred)
    else:  # arrays and scalars are converted to y_pred's dtype directly, as before
        y_true = _to_tensor(y_true, dtype=y_pred.dtype, like=y_pred)
    # Integer labels, or labels already in y_pred's float type, compare with the int64 argmax
    # as Keras' casts would (see `_ids_exact_in`); other labels are cast as Keras does.
    exact = _ids_exact_in(y_pred) and (y_true.dtype == y_pred.dtype or (
        not y_true.is_floating_point() and not y_true.is_complex() and y_true.dtype != torch.bool))
    if not exact:
        y_true = y_true.to(y_pred.dtype)
    original_shape = y_true.shape
    reshape = False
    if y_true.dim() == y_pred.dim() and y_true.shape[-1] == 1:
        y_true = y_true.squeeze(-1)
        reshape = True
    y_pred = torch.argmax(y_pred, dim=-1)
    if not exact:
        y_pred = y_pred.to(y_true.dtype)
    matches = (y_true == y_pred).to(torch.float32)
    if reshape:
        matches = matches.reshape(original_shape)
    if matches.dim() > 1 and matches.shape[-1] == 1:
        matches = matches.squeeze(-1)
    return matches


def _in_top_k(targets, predictions, k):
    # Ties count as hits, as in Keras' torch backend. k is capped at the class count, where
    # Keras' torch backend raises "selected index k out of range".
    k = min(k, predictions.shape[-1])
    kth = torch.topk(predictions, k, dim=-1).values[..., -1:]
    target_values = torch.take_along_dim(predictions, targets.long()[:, None], dim=-1)
    return (target_values >= kth).squeeze(-1)


def top_k_categorical_accuracy(y_true, y_pred, k=5):
    """Per-sample: whether the one-hot target's class is among the `k` highest predictions.

    Args:
        y_true: One-hot targets.
        y_pred: Scores, same shape.
        k: Number of top predictions that count. Defaults to `5`.

    Returns:
        A float tensor of hits, one per sample.

    Example:
    >>> top_k_categorical_accuracy(torch.tensor([[0.0, 0.0, 1.0]]), torch.tensor([[0.5, 0.3, 0.2]]), k=2)
    tensor([0.])
    """
    y_pred = _to_tensor(y_pred)
    y_true = torch.argmax(_to_tensor(y_true, like=y_pred), dim=-1)
    original_shape = y_true.shape
    if y_pred.dim() > 2:
        y_pred = y_pred.reshape(-1, y_pred.shape[-1])
    reshape = y_true.dim() > 1
    if reshape:
        y_true = y_true.reshape(-1)
    matches = _in_top_k(y_true, y_pred, k).to(torch.float32)
    return matches.reshape(original_shape) if reshape else matches


def sparse_top_k_categorical_accuracy(y_true, y_pred, k=5, from_sorted_ids=False):
    """Per-sample: whether the integer target is among the `k` highest predictions.

    Args:
        y_true: Class ids, shape `(N,)`.
        y_pred: Scores `(N, num_classes)`, or with `from_sorted_ids`, class ids sorted by score.
        k: Defaults to `5`.
        from_sorted_ids: Whether `y_pred` already holds sorted class ids. Defaults to `False`.

    Returns:
        A float tensor of hits, one per sample.

    Example:
    >>> sparse_top_k_categorical_accuracy(torch.tensor([2]), torch.tensor([[0.5, 0.3, 0.2]]), k=2)
    tensor([0.])
    """
    y_pred = _to_tensor(y_pred)
    y_true = _to_tensor(y_true, like=y_pred)
    y_true = y_true.to(y_pred.dtype) if from_sorted_ids else y_true.to(torch.int32)
    original_shape = y_true.shape
    if y_pred.dim() > 2:
        y_pred = y_pred.reshape(-1, y_pred.shape[-1])
    reshape = y_true.dim() > 1
    if reshape:
        y_true = y_true.reshape(-1)
    if from_sorted_ids:
        matches = torch.any(y_true[:, None] == y_pred[:, :k], dim=1)
    else:
        matches = _in_top_k(y_true, y_pred, k)
    matches = matches.to(torch.float32)
    return matches.reshape(original_shape) if reshape else matches


class Accuracy(_FnMetric):
    """How often predictions equal labels.

    Args:
        name: Defaults to `"accuracy"`.
        dtype: Defaults to `None`.

    Example:
    >>> m = Accuracy()
    >>> m.update_state(torch.tensor([[1.0], [2.0]]), torch.tensor([[1.0], [3.0]]))
    >>> float(m.result())
    0.5
    """

    def __init__(self, name="accuracy", dtype=None):
        super().__init__(accuracy, name=name, dtype=dtype)


class BinaryAccuracy(_FnMetric):
    """How often `y_pred > threshold` matches binary labels.

    Args:
        name: Defaults to `"binary_accuracy"`.
        dtype: Defaults to `None`.
        threshold: Defaults to `0.5`.

    Example:
    >>> m = BinaryAccuracy()
    >>> m.update_state(torch.tensor([[1.0], [0.0]]), torch.tensor([[0.9], [0.8]]))
    >>> float(m.result())
    0.5
    """

    _config_keys = ("threshold",)

    def __init__(self, name="binary_accuracy", dtype=None, threshold=0.5):
        super().__init__(binary_accuracy, name=name, dtype=dtype, threshold=threshold)
        self.threshold = threshold


class CategoricalAccuracy(_FnMetric):
    """How often the arg-max of the predictions matches the one-hot labels.

    Args:
        name: Defaults to `"categorical_accuracy"`.
        dtype: Defaults to `None`.

    Example:
    >>> m = CategoricalAccuracy()
    >>> m.update_state(torch.tensor([[0.0, 1.0], [1.0, 0.0]]), torch.tensor([[0.2, 0.8], [0.3, 0.7]]))
    >>> float(m.result())
    0.5
    """

    def __init__(self, name="categorical_accuracy", dtype=None):
        super().__init__(categorical_accuracy, name=name, dtype=dtype)


class SparseCategoricalAccuracy(_FnMetric):
    """How often the arg-max of the predictions matches integer labels.

    Args:
        name: Defaults to `"sparse_categorical_accuracy"`.
        dtype: Defaults to `None`.

    Example:
    >>> m = SparseCategoricalAccuracy()
    >>> m.update_state(torch.tensor([1, 1]), torch.tensor([[0.2, 0.8], [0.6, 0.4]]))
    >>> float(m.result())
    0.5
    """

    def __init__(self, name="sparse_categorical_accuracy", dtype=None):
        super().__init__(sparse_categorical_accuracy, name=name, dtype=dtype)


class TopKCategoricalAccuracy(_FnMetric):
    """How often the one-hot target is among the top `k` predictions.

    Args:
        k: Defaults to `5`.
        name: Defaults to `"top_k_categorical_accuracy"`.
        dtype: Defaults to `None`.

    Example:
    >>> m = TopKCategoricalAccuracy(k=1)
    >>> m.update_state(torch.tensor([[0.0, 1.0]]), torch.tensor([[0.2, 0.8]]))
    >>> float(m.result())
    1.0
    """

    _config_keys = ("k",)

    def __init__(self, k=5, name="top_k_categorical_accuracy", dtype=None):
        super().__init__(top_k_categorical_accuracy, name=name, dtype=dtype, k=k)
        self.k = k


class SparseTopKCategoricalAccuracy(_FnMetric):
    """How often the integer target is among the top `k` predictions.

    Args:
        k: Defaults to `5`.
        name: Defaults to `"sparse_top_k_categorical_accuracy"`.
        dtype: Defaults to `None`.
        from_sorted_ids: Whether `y_pred` holds class ids sorted by score. Defaults to `False`.

    Example:
    >>> m = SparseTopKCategoricalAccuracy(k=1)
    >>> m.update_state(torch.tensor([1]), torch.tensor([[0.2, 0.8]]))
    >>> float(m.result())
    1.0
    """

    def __init__(self, k=5, name="sparse_top_k_categorical_accuracy", dtype=None, from_sorted_ids=False):
        super().__init__(
            sparse_top_k_categorical_accuracy, name=name, dtype=dtype, k=k, from_sorted_ids=from_sorted_ids
        )
        self.k, self.from_sorted_ids = k, from_sorted_ids

    def get_config(self):
        cfg = {"name": self.name, "dtype": self.dtype, "k": self.k}
        if self.from_sorted_ids:
            cfg["from_sorted_ids"] = True
        return cfg
