"""The loss tracker and the wrappers the trainer puts around compiled metrics."""

import torch

from kerastorch import config

ACCURACY_ALIASES = ("accuracy", "acc", "crossentropy", "ce")


class LossTracker:
    """The running, batch-size weighted mean of the loss (Keras' `Mean(name="loss")`), kept on the device."""

    name = "loss"

    def __init__(self):
        self.total = None
        self.count = 0
        self.last = None

    def update_state(self, values, sample_weight=None):
        """Adds a (scalar) loss with weight `sample_weight` (the trainer passes the batch size)."""
        weight = 1 if sample_weight is None else sample_weight
        if weight == 0:   # an empty shard of a batch (data parallelism): nothing to add
            return
        if self.total is None:   # Keras' Mean tracker has dtype floatx()
            self.total = torch.zeros((), dtype=getattr(torch, config.floatx()), device=values.device)
        values = values.detach()
        self.last = values
        self.total.add_(values if values.dim() == 0 else values.to(self.total.dtype).mean(), alpha=weight)
        self.count += weight

    def result(self):
        if self.total is None:
            return torch.zeros(())
        return self.total / max(self.count, 1)

    def reset_state(self):
        if self.total is not None:
            self.total.zero_()
        self.count = 0


class UnweightedMetric:
    """A compiled (unweighted) metric as `model.metrics` lists it: `sample_weight` is not applied."""

    def __init__(self, metric):
        self._kt_metric = metric

    def update_state(self, y_true, y_pred, sample_weight=None):
        return self._kt_metric.update_state(y_true, y_pred)

    def __getattr__(self, name):
        metric = self.__dict__.get("_kt_metric")
        if metric is None:          # while unpickling, before the attributes are back
            raise AttributeError(name)
        return getattr(metric, name)

    def __repr__(self):
        return repr(self._kt_metric)


class ShapeResolvedMetric:
    """`"accuracy"` (or `"acc"`, `"crossentropy"`): binary, sparse or categorical, chosen from the
    shapes of the first targets and predictions it sees, as Keras does."""

    def __init__(self, spec):
        self.spec = spec
        self.name = spec
        self.metric = None

    def update_state(self, y_true, y_pred, sample_weight=None):
        if self.metric is None:
            from kerastorch import metrics as metrics_lib

            self.metric = metrics_lib.resolve_accuracy(self.spec, y_true, y_pred)
            self.name = self.metric.name
        self.metric.update_state(y_true, y_pred, sample_weight=sample_weight)

    def result(self):
        return self.metric.result() if self.metric is not None else torch.zeros(())

    def reset_state(self):
        if self.metric is not None:
            self.metric.reset_state()
