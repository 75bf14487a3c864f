"""Intersection-over-union metrics, from a running confusion matrix: `IoU`, `MeanIoU`, `BinaryIoU`,
`OneHotIoU` and `OneHotMeanIoU`.

`IoU = tp / (tp + fp + fn)` per class, averaged over the target classes that occur. The
state is one `(num_classes, num_classes)` matrix, `total_confusion_matrix` (rows: true
class, columns: predicted class), in the metric's dtype, which is `"int32"` unless given.

Example:
>>> import torch
>>> m = MeanIoU(num_classes=2)
>>> m.update_state(torch.tensor([0, 0, 1, 1]), torch.tensor([0, 1, 0, 1]))
>>> round(float(m.result()), 4)
0.3333
"""

import warnings

import torch

from kerastorch import config
from kerastorch.losses.base import _to_tensor
from kerastorch.metrics.base import Metric, _detach


class _IoUBase(Metric):
    """A running confusion matrix of class ids; subclasses turn it into a result."""

    def __init__(self, num_classes, name=None, dtype=None, ignore_class=None, sparse_y_true=True,
                 sparse_y_pred=True, axis=-1):
        super().__init__(name=name, dtype=dtype or "int32")
        if isinstance(num_classes, bool) or not isinstance(num_classes, int) or num_classes < 1:
            raise ValueError(f"{type(self).__name__}: `num_classes` must be a positive integer, got "
                             f"num_classes={num_classes!r}.")
        self.num_classes = num_classes
        self.ignore_class = ignore_class
        self.sparse_y_true, self.sparse_y_pred = sparse_y_true, sparse_y_pred
        self.axis = axis

    def _state_specs(self, *inputs):
        return {"total_confusion_matrix": (self.num_classes, self.num_classes)}

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Adds the batch's (weighted) pairs of true and predicted class ids to the matrix.

        Ids outside `[0, num_classes)`, and targets equal to `ignore_class`, are left out.
        """
        dtype = self._torch_dtype()
        y_pred = _detach(y_pred)
        y_true = _detach(y_true, like=y_pred)
        self._ensure_state(y_pred)
        if not self.sparse_y_true:
            y_true = torch.argmax(y_true, dim=self.axis)
        if not self.sparse_y_pred:
            y_pred = torch.argmax(y_pred, dim=self.axis)
        y_true = y_true.to(dtype).reshape(-1)   # Keras casts to the metric dtype: floats truncate
        y_pred = y_pred.to(dtype).reshape(-1)
        if sample_weight is None:
            weights = torch.ones((), dtype=dtype, device=y_pred.device)
        else:
            if not dtype.is_floating_point and "float" in str(getattr(sample_weight, "dtype", "")):
                warnings.warn(
                    f"{type(self).__name__} '{self.name}': sample_weight is float but the metric dtype is "
                    f"{self.dtype}, so the weights are truncated to integers (as in Keras). Use integer "
                    "weights, or a float dtype, e.g. dtype='float32'.",
                    stacklevel=2,
                )
            weights = _detach(sample_weight, dtype=dtype, like=y_pred)
            if weights.dim() > 1:
                weights = weights.reshape(-1)
        weights = weights.broadcast_to(y_true.shape)
        n = self.num_classes
        valid = (y_true >= 0) & (y_true < n) & (y_pred >= 0) & (y_pred < n)
        if self.ignore_class is not None:
            valid = valid & (y_true != self.ignore_class)
        zero = torch.zeros((), dtype=dtype, device=y_pred.device)
        # Each id is cast to an index on its own (float ids truncate, as Keras' int64 cast does).
        rows = torch.where(valid, y_true, zero).to(torch.int64)
        cols = torch.where(valid, y_pred, zero).to(torch.int64)
        cells = rows * n + cols
        counts = torch.zeros(n * n, dtype=dtype, device=y_pred.device)
        counts.index_add_(0, cells, torch.where(valid, weights, zero))
        self._state["total_confusion_matrix"] += counts.reshape(n, n)

    def _base_config(self):
        return {"name": self.name, "dtype": self.dtype}


class IoU(_IoUBase):
    """Intersection-over-union `tp / (tp + fp + fn)`, averaged over `target_class_ids`.

    Classes whose denominator is 0 (absent from targets and predictions) are left out of the
    average.

    Args:
        num_classes: Number of classes; the confusion matrix is `(num_classes, num_classes)`.
        target_class_ids: Ids of the classes averaged over.
        name: Defaults to `"io_u"` (suffixed for later instances).
        dtype: Dtype of the confusion matrix. Defaults to `None` (`"int32"`).
        ignore_class: A target class id left out of the matrix. Defaults to `None`.
        sparse_y_true: Whether `y_true` holds class ids (else one-hot/probabilities, arg-maxed
            over `axis`). Defaults to `True`.
        sparse_y_pred: Whether `y_pred` holds class ids (else scores, arg-maxed). Defaults to `True`.
        axis: The class axis, for the arg-max of non-sparse inputs. Defaults to `-1`.

    Example:
    >>> m = IoU(num_classes=2, target_class_ids=[0], name="iou_doc")
    >>> m.update_state(torch.tensor([0, 0, 1, 1]), torch.tensor([0, 1, 0, 1]))
    >>> round(float(m.result()), 4)
    0.3333
    """

    def __init__(self, num_classes, target_class_ids, name=None, dtype=None, ignore_class=None,
                 sparse_y_true=True, sparse_y_pred=True, axis=-1):
        super().__init__(num_classes, name=name, dtype=dtype, ignore_class=ignore_class,
                         sparse_y_true=sparse_y_true, sparse_y_pred=sparse_y_pred, axis=axis)
        target_class_ids = list(target_class_ids)
        if not target_class_ids:
            raise ValueError(f"{type(self).__name__}: `target_class_ids` must name at least one class.")
        if max(target_class_ids) >= num_classes or min(target_class_ids) < 0:
            raise ValueError(
                f"{type(self).__name__}: target class ids must be in [0, {num_classes}), got "
                f"target_class_ids={target_class_ids!r}."
            )
        self.target_class_ids = target_class_ids

    def result(self):
        cm = self._get_state("total_confusion_matrix")
        ids = self._constants.get(("ids", cm.device))
        if ids is None:  # one host-to-device copy per metric, not per result
            ids = self._constants[("ids", cm.device)] = torch.tensor(self.target_class_ids, device=cm.device)
        true_positives = torch.diagonal(cm)
        denominator = cm.sum(0) + cm.sum(1) - true_positives
        true_positives = true_positives[ids].to(torch.float32)
        denominator = denominator[ids].to(torch.float32)
        valid = denominator > 1e-9
        iou = torch.where(valid, true_positives / (denominator + config.epsilon()), torch.zeros_like(denominator))
        return iou.sum() / (valid.to(torch.float32).sum() + config.epsilon())

    def get_config(self):
        return {**self._base_config(), "num_classes": self.num_classes,
                "target_class_ids": self.target_class_ids, "ignore_class": self.ignore_class,
                "sparse_y_true": self.sparse_y_true, "sparse_y_pred": self.sparse_y_pred, "axis": self.axis}


class BinaryIoU(IoU):
    """IoU of binary predictions: `y_pred >= threshold` is class 1, else class 0.

    Args:
        target_class_ids: Classes averaged over: `(0,)`, `(1,)` or `(0, 1)`. Defaults to `(0, 1)`.
        threshold: Predictions at or above it are class 1. Defaults to `0.5`.
        name: Defaults to `"binary_io_u"` (suffixed for later instances).
        dtype: Dtype of the confusion matrix. Defaults to `None` (`"int32"`).

    Example:
    >>> m = BinaryIoU(target_class_ids=[1], name="binary_iou_doc")
    >>> m.update_state(torch.tensor([0.0, 1.0, 1.0, 0.0]), torch.tensor([0.2, 0.7, 0.4, 0.9]))
    >>> round(float(m.result()), 4)
    0.3333
    """

    def __init__(self, target_class_ids=(0, 1), threshold=0.5, name=None, dtype=None):
        super().__init__(num_classes=2, target_class_ids=target_class_ids, name=name, dtype=dtype)
        self.threshold = threshold

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Thresholds the predictions, then adds the batch to the confusion matrix."""
        y_pred = _to_tensor(y_pred, dtype=torch.float32)
        y_true = _to_tensor(y_true, dtype=self._torch_dtype(), like=y_pred)
        return super().update_state(y_true, (y_pred >= self.threshold).to(self._torch_dtype()),
                                    sample_weight=sample_weight)

    def get_config(self):
        return {"target_class_ids": self.target_class_ids, "threshold": self.threshold,
                "name": self.name, "dtype": self.dtype}


class MeanIoU(IoU):
    """IoU averaged over every class (those present in targets or predictions).

    Args:
        num_classes: Number of classes.
        name: Defaults to `"mean_io_u"` (suffixed for later instances).
        dtype: Dtype of the confusion matrix. Defaults to `None` (`"int32"`).
        ignore_class: A target class id left out. Defaults to `None`.
        sparse_y_true: Whether `y_true` holds class ids. Defaults to `True`.
        sparse_y_pred: Whether `y_pred` holds class ids. Defaults to `True`.
        axis: The class axis of non-sparse inputs. Defaults to `-1`.

    Example:
    >>> m = MeanIoU(num_classes=2, name="mean_iou_doc")
    >>> m.update_state(torch.tensor([0, 0, 1, 1]), torch.tensor([0, 1, 0, 1]))
    >>> round(float(m.result()), 4)
    0.3333
    """

    def __init__(self, num_classes, name=None, dtype=None, ignore_class=None, sparse_y_true=True,
                 sparse_y_pred=True, axis=-1):
        # A bad num_classes is reported by _IoUBase, before the ids would be checked.
        ids = list(range(num_classes)) if isinstance(num_classes, int) else []
        super().__init__(num_classes=num_classes, target_class_ids=ids,
                         name=name, dtype=dtype, ignore_class=ignore_class, sparse_y_true=sparse_y_true,
                         sparse_y_pred=sparse_y_pred, axis=axis)

    def get_config(self):
        return {"num_classes": self.num_classes, **self._base_config(), "ignore_class": self.ignore_class,
                "sparse_y_true": self.sparse_y_true, "sparse_y_pred": self.sparse_y_pred, "axis": self.axis}


class OneHotIoU(IoU):
    """IoU with one-hot targets (arg-maxed over `axis`), averaged over `target_class_ids`.

    Args:
        num_classes: Number of classes.
        target_class_ids: Ids of the classes averaged over.
        name: Defaults to `"one_hot_io_u"` (suffixed for later instances).
        dtype: Dtype of the confusion matrix. Defaults to `None` (`"int32"`).
        ignore_class: A target class id left out. Defaults to `None`.
        sparse_y_pred: Whether `y_pred` holds class ids (else scores, arg-maxed). Defaults to `False`.
        axis: The class axis. Defaults to `-1`.

    Example:
    >>> m = OneHotIoU(num_classes=2, target_class_ids=[0], name="one_hot_iou_doc")
    >>> m.update_state(torch.eye(2)[[0, 0, 1, 1]], torch.tensor([[0.9, 0.1], [0.4, 0.6], [0.8, 0.2], [0.3, 0.7]]))
    >>> round(float(m.result()), 4)
    0.3333
    """

    def __init__(self, num_classes, target_class_ids, name=None, dtype=None, ignore_class=None,
                 sparse_y_pred=False, axis=-1):
        super().__init__(num_classes=num_classes, target_class_ids=target_class_ids, name=name, dtype=dtype,
                         ignore_class=ignore_class, sparse_y_true=False, sparse_y_pred=sparse_y_pred, axis=axis)

    def get_config(self):
        return {"num_classes": self.num_classes, "target_class_ids": self.target_class_ids,
                **self._base_config(), "ignore_class": self.ignore_class,
                "sparse_y_pred": self.sparse_y_pred, "axis": self.axis}


class OneHotMeanIoU(MeanIoU):
    """Mean IoU with one-hot targets (arg-maxed over `axis`), over every class present.

    Args:
        num_classes: Number of classes.
        name: Defaults to `"one_hot_mean_io_u"` (suffixed for later instances).
        dtype: Dtype of the confusion matrix. Defaults to `None` (`"int32"`).
        ignore_class: A target class id left out. Defaults to `None`.
        sparse_y_pred: Whether `y_pred` holds class ids (else scores, arg-maxed). Defaults to `False`.
        axis: The class axis. Defaults to `-1`.

    Example:
    >>> m = OneHotMeanIoU(num_classes=2, name="one_hot_mean_iou_doc")
    >>> m.update_state(torch.eye(2)[[0, 0, 1, 1]], torch.tensor([[0.9, 0.1], [0.4, 0.6], [0.8, 0.2], [0.3, 0.7]]))
    >>> round(float(m.result()), 4)
    0.3333
    """

    def __init__(self, num_classes, name=None, dtype=None, ignore_class=None, sparse_y_pred=False, axis=-1):
        super().__init__(num_classes=num_classes, name=name, dtype=dtype, ignore_class=ignore_class,
                         sparse_y_true=False, sparse_y_pred=sparse_y_pred, axis=axis)

    def get_config(self):
        return {"num_classes": self.num_classes, **self._base_config(), "ignore_class": self.ignore_class,
                "sparse_y_pred": self.sparse_y_pred, "axis": self.axis}
