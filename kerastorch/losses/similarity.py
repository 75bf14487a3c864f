"""Metric-learning losses: Circle loss on L2-normalised embeddings and integer labels.

Example:
>>> import torch
>>> emb = torch.nn.functional.normalize(torch.tensor([[1.0, 0.1], [0.9, 0.2], [-1.0, 0.3]]), dim=1)
>>> loss = Circle()(torch.tensor([0, 0, 1]), emb)
>>> bool(loss > 0)
True
"""

import torch
import torch.nn.functional as F

from kerastorch.losses.base import _BuiltinLoss, _to_tensor


def _pos_neg_masks(query_labels, key_labels, remove_diagonal):
    """Same-label (positive) and different-label (negative) pairs; a pair with itself is no positive."""
    query = query_labels.reshape(-1, 1) if query_labels.dim() == 1 else query_labels
    key = key_labels.reshape(-1, 1) if key_labels.dim() == 1 else key_labels
    positive = query == key.T
    negative = ~positive
    if remove_diagonal:
        eye = torch.eye(query.numel(), key.numel(), dtype=torch.bool, device=positive.device)
        positive = positive & ~eye
    return positive, negative


def circle(y_true, y_pred, ref_labels=None, ref_embeddings=None, remove_diagonal=True, gamma=80, margin=0.4):
    """Circle loss (Sun et al., 2020) of each embedding against the reference embeddings.

    The cosine distance `d = max(1 - y_pred @ ref_embeddings.T, 0)` of each pair is weighted
    by how far it is from its optimum (`margin` for positives, `1 + margin` for negatives),
    and the loss of a row is `softplus(logsumexp(pos) + logsumexp(neg))` over its positive
    and negative pairs, scaled by `gamma`. Rows whose loss is 0 (no positive or no negative
    pair) are masked out of the `Loss` object's mean, as in Keras.

    Args:
        y_true: Integer labels, shape `(batch_size,)`.
        y_pred: L2-normalised embeddings, shape `(batch_size, dim)`.
        ref_labels: Labels of the reference embeddings. Defaults to `None` (`y_true`).
        ref_embeddings: L2-normalised reference embeddings. Defaults to `None` (`y_pred`).
        remove_diagonal: Whether a sample paired with itself is left out of the positives.
            Defaults to `True`.
        gamma: Scale of the similarity scores. Defaults to `80`.
        margin: Relaxation margin. Defaults to `0.4`.

    Returns:
        Per-sample losses, shape `(batch_size,)`.

    Example:
    >>> emb = torch.tensor([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    >>> circle(torch.tensor([0, 0, 1]), emb)
    tensor([7.6219e-12, 7.6219e-12, 0.0000e+00])
    """
    y_pred = _to_tensor(y_pred)
    if not y_pred.is_floating_point():
        y_pred = y_pred.float()
    y_true = _to_tensor(y_true, like=y_pred).to(torch.int32)
    ref_embeddings = y_pred if ref_embeddings is None else _to_tensor(ref_embeddings, like=y_pred)
    ref_labels = y_true if ref_labels is None else _to_tensor(ref_labels, like=y_pred).to(torch.int32)

    distances = torch.clamp(1 - y_pred @ ref_embeddings.T, min=0.0)
    positive, negative = _pos_neg_masks(y_true, ref_labels, remove_diagonal)
    pos_weights = torch.clamp((margin + distances) * positive.to(distances.dtype), min=0.0)
    neg_weights = torch.clamp((1 + margin - distances) * negative.to(distances.dtype), min=0.0)
    pos_scores = -gamma * pos_weights * (margin - distances)
    neg_scores = gamma * neg_weights * ((1 - margin) - distances)
    minus_inf = torch.full((), float("-inf"), dtype=distances.dtype, device=distances.device)
    p_loss = torch.logsumexp(torch.where(positive, pos_scores, minus_inf), dim=1)
    n_loss = torch.logsumexp(torch.where(negative, neg_scores, minus_inf), dim=1)
    loss = F.softplus(p_loss + n_loss)
    loss._keras_mask = loss > 0  # read by Loss.__call__, as Keras' set_keras_mask
    return loss


class Circle(_BuiltinLoss):
    """Circle loss between integer labels and L2-normalised embeddings (Sun et al., 2020).

    End the model with a linear `Dense` and a `UnitNormalization` layer, so it outputs
    unit-norm embeddings.

    Args:
        gamma: Scale of the similarity scores. Defaults to `80.0`.
        margin: Relaxation margin: below it, negatives are weighted up and positives down.
            Defaults to `0.4`.
        remove_diagonal: Whether a sample paired with itself is left out of the positives.
            Defaults to `True`.
        reduction: Defaults to `"sum_over_batch_size"` (the mean over the rows with a
            non-zero loss).
        name: Defaults to `"circle"`.
        dtype: Defaults to `None`.

    Example:
    >>> emb = torch.tensor([[1.0, 0.0], [0.6, 0.8], [0.0, 1.0]])
    >>> round(float(Circle()(torch.tensor([0, 0, 1]), emb)), 3)
    19.2
    """

    def __init__(self, gamma=80.0, margin=0.4, remove_diagonal=True, reduction="sum_over_batch_size",
                 name="circle", dtype=None):
        super().__init__(circle, name=name, reduction=reduction, dtype=dtype, gamma=gamma,
                         margin=margin, remove_diagonal=remove_diagonal)
        self.gamma, self.margin, self.remove_diagonal = gamma, margin, remove_diagonal

    _config_keys = ("gamma", "margin", "remove_diagonal")
