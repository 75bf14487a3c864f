"""One rate at a constraint on another, from confusion counts at evenly spaced thresholds:
`SensitivityAtSpecificity`, `SpecificityAtSensitivity`, `PrecisionAtRecall` and `RecallAtPrecision`.

Each keeps true/false positive/negative counts at `num_thresholds` thresholds spread over
`[0, 1]` (Keras' state: `true_positives`, `false_positives`, `true_negatives`,
`false_negatives`), and reports the best value of one rate among the thresholds where the
other reaches the target (0 when none does).

Example:
>>> import torch
>>> m = PrecisionAtRecall(recall=0.5, num_thresholds=5)
>>> m.update_state(torch.tensor([0.0, 0.0, 1.0, 1.0]), torch.tensor([0.1, 0.6, 0.4, 0.9]))
>>> float(m.result())
1.0
"""

import torch

from kerastorch.losses.base import _divide_no_nan
from kerastorch.metrics.confusion_metrics import _ConfusionMetric


class _SensitivitySpecificityBase(_ConfusionMetric):
    """Counts at `num_thresholds` thresholds; `result` maximises one rate under a constraint."""

    _conditions = ("tp", "fp", "tn", "fn")
    _value_name = ""  # the constructor argument holding the constraint: "specificity", ...

    def __init__(self, value, num_thresholds=200, class_id=None, name=None, dtype=None):
        where = type(self).__name__
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
            raise ValueError(f"{where}: `{self._value_name}` must be in the range [0, 1], got "
                             f"{self._value_name}={value!r}.")
        if isinstance(num_thresholds, bool) or not isinstance(num_thresholds, int) or num_thresholds <= 0:
            raise ValueError(f"{where}: `num_thresholds` must be an integer > 0, got "
                             f"num_thresholds={num_thresholds!r}.")
        super().__init__(name=name, dtype=dtype)
        self.value = value
        self.num_thresholds = num_thresholds
        self.class_id = class_id
        if num_thresholds == 1:
            self.thresholds = [0.5]
            self._thresholds_distributed_evenly = False
        else:
            inner = [(i + 1) * 1.0 / (num_thresholds - 1) for i in range(num_thresholds - 2)]
            self.thresholds = [0.0] + inner + [1.0]
            self._thresholds_distributed_evenly = True
        setattr(self, self._value_name, value)

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Adds the batch's (weighted) confusion counts at every threshold."""
        self._update(y_true, y_pred, sample_weight, class_id=self.class_id)

    def _rates(self):
        tp, fp = self._get_state("true_positives"), self._get_state("false_positives")
        tn, fn = self._get_state("true_negatives"), self._get_state("false_negatives")
        return {"sensitivity": _divide_no_nan(tp, tp + fn), "specificity": _divide_no_nan(tn, tn + fp),
                "precision": _divide_no_nan(tp, tp + fp)}

    def _max_under_constraint(self, constrained, dependent):
        # Keras: max(where(constrained >= value, dependent, 0), initial=0).
        feasible = torch.where(constrained >= self.value, dependent, torch.zeros_like(dependent))
        return torch.clamp(feasible.max(), min=0.0)

    def get_config(self):
        return {**super().get_config(), "class_id": self.class_id, "num_thresholds": self.num_thresholds,
                self._value_name: self.value}


class SensitivityAtSpecificity(_SensitivitySpecificityBase):
    """Best sensitivity (recall, `tp / (tp + fn)`) among thresholds whose specificity is `>= specificity`.

    Args:
        specificity: The specificity to reach, in `[0, 1]`.
        num_thresholds: Number of thresholds evenly spaced over `[0, 1]` (one: 0.5).
            Defaults to `200`.
        class_id: Restrict to this class (column of `(batch_size, num_classes)` inputs).
            Defaults to `None`.
        name: Defaults to `"sensitivity_at_specificity"` (suffixed for later instances).
        dtype: Defaults to `None`.

    Example:
    >>> m = SensitivityAtSpecificity(0.5, num_thresholds=5, name="sens_doc")
    >>> m.update_state(torch.tensor([0.0, 0.0, 1.0, 1.0]), torch.tensor([0.1, 0.6, 0.4, 0.9]))
    >>> float(m.result())
    1.0
    """

    _value_name = "specificity"

    def __init__(self, specificity, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(specificity, num_thresholds=num_thresholds, class_id=class_id, name=name, dtype=dtype)

    def result(self):
        rates = self._rates()
        return self._max_under_constraint(rates["specificity"], rates["sensitivity"])


class SpecificityAtSensitivity(_SensitivitySpecificityBase):
    """Best specificity (`tn / (tn + fp)`) among thresholds whose sensitivity is `>= sensitivity`.

    Args:
        sensitivity: The sensitivity to reach, in `[0, 1]`.
        num_thresholds: Number of thresholds evenly spaced over `[0, 1]` (one: 0.5).
            Defaults to `200`.
        class_id: Restrict to this class. Defaults to `None`.
        name: Defaults to `"specificity_at_sensitivity"` (suffixed for later instances).
        dtype: Defaults to `None`.

    Example:
    >>> m = SpecificityAtSensitivity(0.5, num_thresholds=5, name="spec_doc")
    >>> m.update_state(torch.tensor([0.0, 0.0, 1.0, 1.0]), torch.tensor([0.1, 0.6, 0.4, 0.9]))
    >>> float(m.result())
    1.0
    """

    _value_name = "sensitivity"

    def __init__(self, sensitivity, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(sensitivity, num_thresholds=num_thresholds, class_id=class_id, name=name, dtype=dtype)

    def result(self):
        rates = self._rates()
        return self._max_under_constraint(rates["sensitivity"], rates["specificity"])


class PrecisionAtRecall(_SensitivitySpecificityBase):
    """Best precision (`tp / (tp + fp)`) among thresholds whose recall is `>= recall`.

    Args:
        recall: The recall to reach, in `[0, 1]`.
        num_thresholds: Number of thresholds evenly spaced over `[0, 1]` (one: 0.5).
            Defaults to `200`.
        class_id: Restrict to this class. Defaults to `None`.
        name: Defaults to `"precision_at_recall"` (suffixed for later instances).
        dtype: Defaults to `None`.

    Example:
    >>> m = PrecisionAtRecall(0.8, num_thresholds=5, name="par_doc")
    >>> m.update_state(torch.tensor([0.0, 0.0, 1.0, 1.0]), torch.tensor([0.1, 0.6, 0.4, 0.9]))
    >>> round(float(m.result()), 4)
    0.6667
    """

    _value_name = "recall"

    def __init__(self, recall, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(recall, num_thresholds=num_thresholds, class_id=class_id, name=name, dtype=dtype)

    def result(self):
        rates = self._rates()
        return self._max_under_constraint(rates["sensitivity"], rates["precision"])


class RecallAtPrecision(_SensitivitySpecificityBase):
    """Best recall (`tp / (tp + fn)`) among thresholds whose precision is `>= precision`.

    Args:
        precision: The precision to reach, in `[0, 1]`.
        num_thresholds: Number of thresholds evenly spaced over `[0, 1]` (one: 0.5).
            Defaults to `200`.
        class_id: Restrict to this class. Defaults to `None`.
        name: Defaults to `"recall_at_precision"` (suffixed for later instances).
        dtype: Defaults to `None`.

    Example:
    >>> m = RecallAtPrecision(0.8, num_thresholds=5, name="rap_doc")
    >>> m.update_state(torch.tensor([0.0, 0.0, 1.0, 1.0]), torch.tensor([0.1, 0.6, 0.4, 0.9]))
    >>> float(m.result())
    0.5
    """

    _value_name = "precision"

    def __init__(self, precision, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(precision, num_thresholds=num_thresholds, class_id=class_id, name=name, dtype=dtype)

    def result(self):
        rates = self._rates()
        return self._max_under_constraint(rates["precision"], rates["sensitivity"])
