"""Confusion-matrix metrics: true/false positive/negative counts, precision, recall and AUC.

Counts are kept per threshold, on the device, with Keras' rules for thresholds, `top_k`,
`class_id`, multi-label inputs and label weights.

Example:
>>> import torch
>>> m = Precision(name="precision_module_doc")
>>> m.update_state(torch.tensor([0.0, 1.0, 1.0, 1.0]), torch.tensor([1.0, 0.0, 1.0, 1.0]))
>>> round(float(m.result()), 4)
0.6667
"""

import numpy as np
import torch

from kerastorch import config
from kerastorch.losses.base import _divide_no_nan, _to_snake_case, _to_tensor, squeeze_or_expand_to_same_rank
from kerastorch.metrics.base import NEG_INF, Metric, _detach


def _parse_thresholds(thresholds, default):
    if thresholds is None:
        return [default]
    values = list(thresholds) if isinstance(thresholds, (list, tuple, np.ndarray)) else [thresholds]
    bad = [t for t in values if t is None or t < 0 or t > 1]
    if bad:
        raise ValueError(f"Threshold values must be in [0, 1], got {bad!r}.")
    return [float(t) for t in values]


def _evenly_distributed(thresholds):
    n = len(thresholds)
    if n < 3:
        return False
    even = np.arange(n, dtype=np.float32) / (n - 1)
    return bool(np.allclose(thresholds, even, atol=config.epsilon()))


def _on_device(values, dtype, device, cache):
    """`values` as a tensor on `device`, copied there once per metric (a copy per step would sync)."""
    key = (id(values), dtype, str(device))
    hit = cache.get(key)
    if hit is None:
        src = values if isinstance(values, torch.Tensor) else torch.as_tensor(np.asarray(values, dtype="float64"))
        hit = cache[key] = src.to(device=device, dtype=dtype)
    return hit


def _filter_top_k(x, k):
    idx = torch.topk(x, k, dim=-1).indices
    mask = torch.zeros_like(x).scatter_(-1, idx, 1.0)
    return x * mask + NEG_INF * (1 - mask)


def _confusion_counts(
    wanted,
    y_true,
    y_pred,
    thresholds,
    top_k=None,
    class_id=None,
    sample_weight=None,
    multi_label=False,
    label_weights=None,
    evenly=False,
    dtype=torch.float32,
    cache=None,
):
    """Returns `{"tp"|"fp"|"tn"|"fn": increments}` over `thresholds` for one batch (Keras' rules)."""
    y_pred = _detach(y_pred, dtype=dtype)
    y_true = _detach(y_true, dtype=dtype, like=y_pred)
    with_eps = evenly and (thresholds[0] < 0.0 or thresholds[-1] > 1.0)
    cache = {} if cache is None else cache
    thr = _on_device(thresholds, dtype, y_pred.device, cache)
    num_t = len(thresholds)
    y_pred, y_true = squeeze_or_expand_to_same_rank(y_pred, y_true)
    if sample_weight is not None:
        sample_weight = _detach(sample_weight, dtype=dtype, like=y_pred).unsqueeze(-1)
        _, sample_weight = squeeze_or_expand_to_same_rank(y_true, sample_weight, expand_rank_1=False)
    if top_k is not None:
        y_pred = _filter_top_k(y_pred, top_k)
    if class_id is not None:
        if y_pred.dim() == 1:
            raise ValueError(
                "When class_id is given, y_pred must have shape (num_samples, num_classes), "
                f"got {tuple(y_pred.shape)}."
            )
        y_true = y_true[..., class_id, None]
        y_pred = y_pred[..., class_id, None]
    if label_weights is not None:
        label_weights = _on_device(label_weights, dtype, y_pred.device, cache)

    if evenly:
        weights = torch.ones((), dtype=dtype, device=y_pred.device)
        if sample_weight is not None:
            sw = sample_weight.broadcast_to(y_pred.shape)
            weights = weights * (sw if multi_label else sw.reshape(-1))
        if label_weights is not None:
            lw = label_weights.unsqueeze(0).broadcast_to(y_pred.shape)
            weights = weights * (lw if multi_label else lw.reshape(-1))
        y_pred = torch.clamp(y_pred, 0.0, 1.0)
        y_true = (y_true != 0).to(dtype)
        if not multi_label:
            y_true, y_pred = y_true.reshape(-1), y_pred.reshape(-1)
        true_labels = y_true * weights
        false_labels = (1.0 - y_true) * weights
        buckets = torch.ceil(y_pred * (num_t - 1)) - 1
        if with_eps:
            buckets = torch.relu(buckets)
        buckets = buckets.to(torch.int64)
        # A prediction of exactly 0 with thresholds starting at 0 falls in no bucket (it is
        # not > 0): it adds to no tp/fp count (weight 0 rather than a negative index), but
        # it still counts in the totals, so it is a true or false negative at every threshold.
        keep = (buckets >= 0).to(dtype)
        buckets = torch.clamp(buckets, min=0)
        all_true, all_false = true_labels, false_labels
        true_labels, false_labels = true_labels * keep, false_labels * keep
        if multi_label:
            n_labels = y_pred.shape[-1]
            flat = (buckets + torch.arange(n_labels, device=y_pred.device) * num_t).reshape(-1)

            def seg(data):
                out = torch.zeros(n_labels * num_t, dtype=dtype, device=y_pred.device)
                return out.index_add_(0, flat, data.reshape(-1)).reshape(n_labels, num_t)

            tp = seg(true_labels).flip(1).cumsum(1).flip(1).T
            fp = seg(false_labels).flip(1).cumsum(1).flip(1).T
            total_true, total_false = all_true.sum(0), all_false.sum(0)
        else:

            def seg(data):
                out = torch.zeros(num_t, dtype=dtype, device=y_pred.device)
                return out.index_add_(0, buckets, data.broadcast_to(buckets.shape))

            tp = seg(true_labels).flip(0).cumsum(0).flip(0)
            fp = seg(false_labels).flip(0).cumsum(0).flip(0)
            total_true, total_false = all_true.sum(), all_false.sum()
        out = {"tp": tp, "fp": fp}
        if "tn" in wanted:
            out["tn"] = total_false - fp
        if "fn" in wanted:
            out["fn"] = total_true - tp
        return out

    label_pos = y_true.bool()
    if multi_label:
        pred_pos = y_pred.unsqueeze(0) > thr.reshape(num_t, 1, 1)  # (T, N, L)
        label_pos = label_pos.unsqueeze(0)
    else:
        pred_pos = y_pred.reshape(1, -1) > thr.reshape(num_t, 1)  # (T, P)
        label_pos = label_pos.reshape(1, -1)
    weights = None
    if sample_weight is not None:
        sw = sample_weight.broadcast_to(y_pred.shape)
        weights = sw.unsqueeze(0) if multi_label else sw.reshape(1, -1)
    if label_weights is not None and not multi_label:
        lw = label_weights.unsqueeze(0).broadcast_to(y_pred.shape).reshape(1, -1)
        weights = lw if weights is None else weights * lw

    def count(label, pred):
        both = (label & pred).to(dtype)
        if weights is not None:
            both = both * weights
        return both.sum(1)

    out = {}
    if "tp" in wanted:
        out["tp"] = count(label_pos, pred_pos)
    if "fp" in wanted:
        out["fp"] = count(~label_pos, pred_pos)
    if "tn" in wanted:
        out["tn"] = count(~label_pos, ~pred_pos)
    if "fn" in wanted:
        out["fn"] = count(label_pos, ~pred_pos)
    return out


_COND_STATE = {"tp": "true_positives", "fp": "false_positives", "tn": "true_negatives", "fn": "false_negatives"}


class _ConfusionMetric(Metric):
    """Shared state handling of the confusion-matrix metrics."""

    _conditions = ()

    def _state_dtype(self):
        # Keras keeps the counts in floatx whatever the metric's dtype, and counts in that dtype.
        return getattr(torch, config.floatx())

    def _state_specs(self, *inputs):
        return {_COND_STATE[c]: (len(self.thresholds),) for c in self._conditions}

    def _update(self, y_true, y_pred, sample_weight, **kwargs):
        y_pred = _to_tensor(y_pred)
        self._ensure_state(y_pred)
        inc = _confusion_counts(
            self._conditions,
            y_true,
            y_pred,
            self.thresholds,
            sample_weight=sample_weight,
            evenly=self._thresholds_distributed_evenly,
            dtype=self._state_dtype(),
            cache=self._constants,
            **kwargs,
        )
        for c in self._conditions:
            self._state[_COND_STATE[c]] += inc[c]


class _ConditionCount(_ConfusionMetric):
    def __init__(self, thresholds=None, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.init_thresholds = thresholds
        self.thresholds = _parse_thresholds(thresholds, 0.5)
        self._thresholds_distributed_evenly = _evenly_distributed(self.thresholds)

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Adds the batch's (weighted) count of the condition, per threshold."""
        self._update(y_true, y_pred, sample_weight)

    def result(self):
        acc = self._get_state(_COND_STATE[self._conditions[0]])
        return acc[0].clone() if len(self.thresholds) == 1 else acc.clone()

    def get_config(self):
        return {**super().get_config(), "thresholds": self.init_thresholds}


def _condition_class(class_name, cond, summary):
    doc = f"""{summary}

    Args:
        thresholds: A float or list of floats in [0, 1]; a prediction above one counts as
            positive. Defaults to `None` (0.5).
        name: Defaults to `"{_to_snake_case(class_name)}"` (suffixed for later instances).
        dtype: Defaults to `None`.

    Example:
    >>> m = {class_name}(name="{_to_snake_case(class_name)}_doc")
    >>> m.update_state(torch.tensor([0.0, 1.0, 1.0, 0.0]), torch.tensor([0.9, 0.8, 0.2, 0.1]))
    >>> float(m.result())
    1.0
    """
    cls = type(class_name, (_ConditionCount,), {"_conditions": (cond,), "__doc__": doc})
    cls.__module__ = __name__
    return cls


TruePositives = _condition_class("TruePositives", "tp", "Running (weighted) count of true positives.")
FalsePositives = _condition_class("FalsePositives", "fp", "Running (weighted) count of false positives.")
TrueNegatives = _condition_class("TrueNegatives", "tn", "Running (weighted) count of true negatives.")
FalseNegatives = _condition_class("FalseNegatives", "fn", "Running (weighted) count of false negatives.")


class _PrecisionRecall(_ConfusionMetric):
    def __init__(self, thresholds=None, top_k=None, class_id=None, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.init_thresholds = thresholds
        self.top_k, self.class_id = top_k, class_id
        self.thresholds = _parse_thresholds(thresholds, 0.5 if top_k is None else NEG_INF)
        self._thresholds_distributed_evenly = _evenly_distributed(self.thresholds)

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Adds the batch's (weighted) confusion counts, per threshold."""
        self._update(y_true, y_pred, sample_weight, top_k=self.top_k, class_id=self.class_id)

    def result(self):
        tp = self._get_state("true_positives")
        other = self._get_state(_COND_STATE[self._conditions[1]])
        value = _divide_no_nan(tp, tp + other)
        return value[0] if len(self.thresholds) == 1 else value

    def get_config(self):
        return {
            **super().get_config(),
            "thresholds": self.init_thresholds,
            "top_k": self.top_k,
            "class_id": self.class_id,
        }


class Precision(_PrecisionRecall):
    """Precision `tp / (tp + fp)`, with predictions above `thresholds` counted positive.

    Args:
        thresholds: A float or list of floats in [0, 1]. Defaults to `None` (0.5, or
            no threshold with `top_k`).
        top_k: Only the `k` highest predictions of each sample count as positive.
            Defaults to `None`.
        class_id: Restrict to this class (column). Defaults to `None`.
        name: Defaults to `"precision"` (suffixed for later instances).
        dtype: Defaults to `None`.

    Example:
    >>> m = Precision(name="precision_doc")
    >>> m.update_state(torch.tensor([0.0, 1.0, 1.0, 1.0]), torch.tensor([1.0, 0.0, 1.0, 1.0]))
    >>> round(float(m.result()), 4)
    0.6667
    """

    _conditions = ("tp", "fp")


class Recall(_PrecisionRecall):
    """Recall `tp / (tp + fn)`, with predictions above `thresholds` counted positive.

    Args:
        thresholds: A float or list of floats in [0, 1]. Defaults to `None` (0.5, or
            no threshold with `top_k`).
        top_k: Only the `k` highest predictions of each sample count as positive.
            Defaults to `None`.
        class_id: Restrict to this class (column). Defaults to `None`.
        name: Defaults to `"recall"` (suffixed for later instances).
        dtype: Defaults to `None`.

    Example:
    >>> m = Recall(name="recall_doc")
    >>> m.update_state(torch.tensor([0.0, 1.0, 1.0, 1.0]), torch.tensor([1.0, 0.0, 1.0, 1.0]))
    >>> round(float(m.result()), 4)
    0.6667
    """

    _conditions = ("tp", "fn")


class AUC(_ConfusionMetric):
    """Area under the ROC or precision-recall curve, from counts at fixed thresholds.

    Args:
        num_thresholds: Number of thresholds (> 1), evenly spaced over [0, 1] with the ends
            nudged by epsilon. Defaults to `200`.
        curve: `"ROC"` or `"PR"`. Defaults to `"ROC"`.
        summation_method: `"interpolation"` (trapezoids; for PR, Davis & Goadrich's
            interpolation), `"minoring"` or `"majoring"`. Defaults to `"interpolation"`.
        name: Defaults to `"auc"` (suffixed for later instances).
        dtype: Defaults to `None`.
        thresholds: Explicit thresholds in [0, 1] instead of `num_thresholds`. Defaults to `None`.
        multi_label: Whether each column is a separate label, averaged. Defaults to `False`.
        num_labels: Number of labels, with `multi_label`. Defaults to `None` (from the data).
        label_weights: Weights of the labels. Defaults to `None`.
        from_logits: Whether predictions are logits (a sigmoid is applied). Defaults to `False`.

    Example:
    >>> m = AUC(num_thresholds=3, name="auc_doc")
    >>> m.update_state(torch.tensor([0.0, 0.0, 1.0, 1.0]), torch.tensor([0.0, 0.5, 0.3, 0.9]))
    >>> float(m.result())
    0.75
    """

    _conditions = ("tp", "fp", "tn", "fn")

    def __init__(
        self,
        num_thresholds=200,
        curve="ROC",
        summation_method="interpolation",
        name=None,
        dtype=None,
        thresholds=None,
        multi_label=False,
        num_labels=None,
        label_weights=None,
        from_logits=False,
    ):
        curves = {"roc": "ROC", "pr": "PR"}
        methods = ("interpolation", "majoring", "minoring")
        if str(curve).lower() not in curves:
            raise ValueError(f"AUC: invalid curve={curve!r}. Expected 'ROC' or 'PR'.")
        if str(summation_method).lower() not in methods:
            raise ValueError(
                f"AUC: invalid summation_method={summation_method!r}. "
                "Expected 'interpolation', 'majoring' or 'minoring'."
            )
        super().__init__(name=name, dtype=dtype)
        self._init_from_thresholds = thresholds is not None
        if thresholds is not None:
            thresholds = sorted(float(t) for t in thresholds)
            self.num_thresholds = len(thresholds) + 2
            self._thresholds_distributed_evenly = _evenly_distributed(np.array([0.0] + thresholds + [1.0]))
        else:
            if num_thresholds <= 1:
                raise ValueError(f"AUC: num_thresholds must be an integer > 1, got {num_thresholds!r}.")
            self.num_thresholds = num_thresholds
            thresholds = [(i + 1) * 1.0 / (num_thresholds - 1) for i in range(num_thresholds - 2)]
            self._thresholds_distributed_evenly = True
        eps = config.epsilon()
        self.thresholds = [0.0 - eps] + thresholds + [1.0 + eps]
        self.curve = curves[str(curve).lower()]
        self.summation_method = str(summation_method).lower()
        self.multi_label = multi_label
        self.num_labels = num_labels
        if label_weights is not None:
            label_weights = torch.as_tensor(np.asarray(label_weights), dtype=self._torch_dtype())
        self.label_weights = label_weights
        self._from_logits = from_logits
        if num_labels and not multi_label:
            raise ValueError("AUC: `num_labels` is needed only when `multi_label` is True.")

    def _state_specs(self, *inputs):
        if self.multi_label:
            if self.num_labels:
                n = self.num_labels
            elif inputs:
                y_pred = inputs[-1]
                if y_pred.dim() != 2:
                    raise ValueError(
                        f"AUC '{self.name}': y_pred must have rank 2 when multi_label=True, got shape "
                        f"{tuple(y_pred.shape)}."
                    )
                n = y_pred.shape[1]
            else:
                return {}
            shape = (self.num_thresholds, n)
        else:
            shape = (self.num_thresholds,)
        return {_COND_STATE[c]: shape for c in self._conditions}

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Adds the batch's (weighted) confusion counts at every threshold."""
        y_pred = _to_tensor(y_pred)
        self._ensure_state(y_pred, y_true, y_pred)
        if self._from_logits:
            y_pred = torch.sigmoid(y_pred)
        inc = _confusion_counts(
            self._conditions,
            y_true,
            y_pred,
            self.thresholds,
            sample_weight=sample_weight,
            multi_label=self.multi_label,
            label_weights=None if self.multi_label else self.label_weights,
            evenly=self._thresholds_distributed_evenly,
            dtype=self._state_dtype(),
            cache=self._constants,
        )
        for c in self._conditions:
            self._state[_COND_STATE[c]] += inc[c]

    def _by_label(self, terms):
        if not self.multi_label:
            return terms.sum()
        by_label = terms.sum(0)
        if self.label_weights is None:
            return by_label.mean()
        lw = _on_device(self.label_weights, by_label.dtype, by_label.device, self._constants)
        return _divide_no_nan((by_label * lw).sum(), lw.sum())

    def _interpolate_pr_auc(self, tp, fp, fn):
        n = self.num_thresholds
        dtp = tp[: n - 1] - tp[1:]
        p = tp + fp
        dp = p[: n - 1] - p[1:]
        prec_slope = _divide_no_nan(dtp, torch.clamp(dp, min=0))
        intercept = tp[1:] - prec_slope * p[1:]
        safe_p_ratio = torch.where(
            (p[: n - 1] > 0) & (p[1:] > 0),
            _divide_no_nan(p[: n - 1], torch.clamp(p[1:], min=0)),
            torch.ones_like(p[1:]),
        )
        increment = _divide_no_nan(
            prec_slope * (dtp + intercept * torch.log(safe_p_ratio)),
            torch.clamp(tp[1:] + fn[1:], min=0),
        )
        return self._by_label(increment)

    def result(self):
        if self.multi_label and not self._state and not self.num_labels:
            return torch.zeros((), dtype=self._state_dtype(), device=config.get_device())
        tp, fp = self._get_state("true_positives"), self._get_state("false_positives")
        tn, fn = self._get_state("true_negatives"), self._get_state("false_negatives")
        if self.curve == "PR" and self.summation_method == "interpolation":
            return self._interpolate_pr_auc(tp, fp, fn)
        recall = _divide_no_nan(tp, tp + fn)
        if self.curve == "ROC":
            x, y = _divide_no_nan(fp, fp + tn), recall
        else:
            x, y = recall, _divide_no_nan(tp, tp + fp)
        n = self.num_thresholds
        if self.summation_method == "interpolation":
            heights = (y[: n - 1] + y[1:]) / 2.0
        elif self.summation_method == "minoring":
            heights = torch.minimum(y[: n - 1], y[1:])
        else:
            heights = torch.maximum(y[: n - 1], y[1:])
        return self._by_label((x[: n - 1] - x[1:]) * heights)

    def get_config(self):
        lw = self.label_weights
        cfg = {
            **super().get_config(),
            "num_thresholds": self.num_thresholds,
            "curve": self.curve,
            "summation_method": self.summation_method,
            "multi_label": self.multi_label,
            "num_labels": self.num_labels,
            "label_weights": None if lw is None else lw.tolist(),
            "from_logits": self._from_logits,
        }
        if self._init_from_thresholds:
            cfg["thresholds"] = self.thresholds[1:-1]
        return cfg
