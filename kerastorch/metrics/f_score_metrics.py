"""F-score metrics: `FBetaScore` and `F1Score`, per class or averaged.

Example:
>>> import torch
>>> m = F1Score(threshold=0.5, average="micro")
>>> m.update_state(torch.tensor([[1.0, 0.0], [0.0, 1.0]]), torch.tensor([[0.9, 0.6], [0.2, 0.7]]))
>>> round(float(m.result()), 4)
0.8
"""

import torch

from kerastorch import config
from kerastorch.metrics.base import Metric, _detach


class FBetaScore(Metric):
    """F-beta score `(1 + beta**2) * p * r / (beta**2 * p + r)`, per class or averaged.

    Args:
        average: `None` (one score per class), `"micro"`, `"macro"` or `"weighted"`.
            Defaults to `None`.
        beta: Python float > 0, weight of recall. Defaults to `1.0`.
        threshold: Python float in (0, 1]; predictions above it are positive. With `None`,
            each sample's highest prediction is the positive one. Defaults to `None`.
        name: Defaults to `"fbeta_score"`.
        dtype: Defaults to `None`.

    Inputs: `y_true` and `y_pred` shaped `(batch_size, num_classes)`.

    Example:
    >>> m = FBetaScore(beta=2.0, threshold=0.5, average="micro")
    >>> m.update_state(torch.tensor([[1.0, 0.0], [0.0, 1.0]]), torch.tensor([[0.9, 0.6], [0.2, 0.7]]))
    >>> round(float(m.result()), 4)
    0.9091
    """

    def __init__(self, average=None, beta=1.0, threshold=None, name="fbeta_score", dtype=None):
        super().__init__(name=name, dtype=dtype)
        if average not in (None, "micro", "macro", "weighted"):
            raise ValueError(
                f"FBetaScore: invalid average={average!r}. Expected None, 'micro', 'macro' or 'weighted'."
            )
        if not isinstance(beta, float) or beta <= 0.0:
            raise ValueError(f"FBetaScore: beta must be a Python float > 0, got beta={beta!r}.")
        if threshold is not None and (not isinstance(threshold, float) or not 0.0 < threshold <= 1.0):
            raise ValueError(
                f"FBetaScore: threshold must be a Python float in (0, 1], got threshold={threshold!r}."
            )
        self.average, self.beta, self.threshold = average, beta, threshold
        self.axis = None if average == "micro" else 0

    def _state_specs(self, *inputs):
        if not inputs or len(inputs) < 2:
            return {}
        y_true, y_pred = inputs[0], inputs[-1]
        if y_pred.dim() != 2 or y_true.dim() != 2:
            raise ValueError(
                f"{type(self).__name__} '{self.name}' expects 2D inputs shaped (batch_size, num_classes), "
                f"got y_true.shape={tuple(y_true.shape)} and y_pred.shape={tuple(y_pred.shape)}."
            )
        shape = () if self.average == "micro" else (y_pred.shape[-1],)
        return {k: shape for k in ("true_positives", "false_positives", "false_negatives", "intermediate_weights")}

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Adds the batch's (weighted) true/false positives and false negatives per class."""
        dtype = self._torch_dtype()
        y_pred = _detach(y_pred, dtype=dtype)
        y_true = _detach(y_true, dtype=dtype, like=y_pred)
        self._ensure_state(y_pred, y_true, y_pred)
        if self.threshold is None:
            top = torch.amax(y_pred, dim=-1, keepdim=True)
            y_pred = (y_pred >= top) & (torch.abs(y_pred) > 1e-9)
        else:
            y_pred = y_pred > self.threshold
        y_pred = y_pred.to(dtype)
        if sample_weight is not None:
            sample_weight = _detach(sample_weight, dtype=dtype, like=y_pred)

        def weighted_sum(val):
            if sample_weight is not None:
                val = val * sample_weight.unsqueeze(1)
            return val.sum() if self.axis is None else val.sum(dim=self.axis)

        self._state["true_positives"] += weighted_sum(y_pred * y_true)
        self._state["false_positives"] += weighted_sum(y_pred * (1 - y_true))
        self._state["false_negatives"] += weighted_sum((1 - y_pred) * y_true)
        self._state["intermediate_weights"] += weighted_sum(y_true)

    def result(self):
        if not self._state:
            return torch.zeros((), dtype=self._torch_dtype(), device=config.get_device())
        eps = config.epsilon()
        tp, fp, fn = self._state["true_positives"], self._state["false_positives"], self._state["false_negatives"]
        precision = tp / (tp + fp + eps)
        recall = tp / (tp + fn + eps)
        b2 = self.beta**2
        f = precision * recall / (b2 * precision + recall + eps) * (1 + b2)
        if self.average == "weighted":
            w = self._state["intermediate_weights"]
            return torch.sum(f * (w / (w.sum() + eps)))
        if self.average is not None:
            return f.mean()
        return f

    def get_config(self):
        return {
            **super().get_config(),
            "average": self.average,
            "beta": self.beta,
            "threshold": self.threshold,
        }


class F1Score(FBetaScore):
    """F1 score, the harmonic mean of precision and recall, per class or averaged.

    Args:
        average: `None`, `"micro"`, `"macro"` or `"weighted"`. Defaults to `None`.
        threshold: Python float in (0, 1], or `None` (each sample's top prediction).
            Defaults to `None`.
        name: Defaults to `"f1_score"`.
        dtype: Defaults to `None`.

    Example:
    >>> m = F1Score(threshold=0.5, average="micro")
    >>> m.update_state(torch.tensor([[1.0, 0.0], [0.0, 1.0]]), torch.tensor([[0.9, 0.6], [0.2, 0.7]]))
    >>> round(float(m.result()), 4)
    0.8
    """

    def __init__(self, average=None, threshold=None, name="f1_score", dtype=None):
        super().__init__(average=average, beta=1.0, threshold=threshold, name=name, dtype=dtype)

    def get_config(self):
        cfg = super().get_config()
        del cfg["beta"]
        return cfg
