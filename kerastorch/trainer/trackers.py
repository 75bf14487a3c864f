"""The loss tracker, the compiled metrics' container `model.metrics` lists (Keras' CompileMetrics),
and the wrappers the trainer puts around compiled metrics."""

import torch

from kerastorch import config
from kerastorch.metrics.base import Metric

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
        self.ensure_total(values.device)
        values = values.detach()
        self.last = values
        self.total.add_(values if values.dim() == 0 else values.to(self.total.dtype).mean(), alpha=weight)
        self.count += weight

    def ensure_total(self, device):
        """Makes the running total, a zero of dtype floatx() on `device` as Keras' Mean tracker's, unless it
        exists (the first `update_state` makes it)."""
        if self.total is None:
            self.total = torch.zeros((), dtype=getattr(torch, config.floatx()), device=device)

    def result(self):
        if self.total is None:
            return torch.zeros(())
        return self.total / max(self.count, 1)

    def reset_state(self):
        if self.total is not None:
            self.total.zero_()
        self.count = 0


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


def _concrete(metric):
    """The metric object a compiled metric's wrappers update (an `"accuracy"` not yet resolved stays)."""
    while True:
        inner = getattr(metric, "__dict__", {}).get("_kt_metric")      # a per-output (or unweighted) wrapper
        if inner is not None:
            metric = inner
        elif isinstance(metric, ShapeResolvedMetric) and metric.metric is not None:
            metric = metric.metric
        else:
            return metric


class CompileMetrics(Metric):
    """The metrics given to `compile()`, as one metric: Keras' `CompileMetrics`, named `"compile_metrics"`.

    `model.metrics` lists it after the loss tracker when `compile()` got `metrics` or
    `weighted_metrics` (also an empty list), as Keras does. It is built when the model first runs
    (`fit`, `evaluate`, `train_on_batch`, ...) or at its first `update_state`: before that,
    `metrics` and `variables` are empty and `result()` refuses, as in Keras. The trainer's own
    steps update the same metric objects, so a custom `train_step` may update and read them
    through this container, through `model.compute_metrics`, or not at all.

    Args:
        model: The compiled model whose metrics it holds.

    Example:
    >>> import numpy as np, kerastorch
    >>> from kerastorch import layers
    >>> model = kerastorch.Sequential([layers.Input(shape=(2,)), layers.Dense(1)])
    >>> model.compile(optimizer="sgd", loss="mse", metrics=["mae", "mse"])
    >>> [m.name for m in model.metrics]
    ['loss', 'compile_metrics']
    >>> container = model.metrics[1]
    >>> container.update_state(np.zeros((4, 1), "float32"), np.ones((4, 1), "float32"))
    >>> [m.name for m in container.metrics]
    ['mae', 'mse']
    >>> {k: float(v) for k, v in container.result().items()}
    {'mae': 1.0, 'mse': 1.0}
    """

    def __init__(self, model):
        super().__init__(name="compile_metrics")
        self._model = model
        self._built = False

    @property
    def built(self):
        """Whether the metrics are matched to the model's outputs (the model ran, or `update_state` did)."""
        return self._built or not getattr(self._model, "_outputs_pending", True)

    def _mark_built(self):
        """The model starts a run: from now on the container lists its metrics (Keras builds it then)."""
        self._built = True

    def _compiled(self):
        return list(getattr(self._model, "_compile_metrics", None) or [])

    @property
    def metrics(self):
        """The individual metrics, unweighted ones first, by output, with their own names (Keras' order);
        `[]` until built."""
        if not self.built:
            return []
        return [_concrete(m) for m in self._compiled()]

    @property
    def variables(self):
        """The state of every metric in `metrics` (made at their first update); `[]` until built."""
        out = []
        for m in self.metrics:
            out.extend(getattr(m, "variables", None) or [])
        return out

    def result_names(self):
        """The key of each compiled metric in `result()`: Keras' names (`mse`, `mse_1`, `weighted_mae`,
        `<output>_mae` for a model with several outputs)."""
        from kerastorch.trainer import compile_utils

        compiled = self._compiled()
        if getattr(self._model, "_output_slots", None) is not None:
            return [m.name for m in compiled]      # per output: named when matched to the outputs
        return compile_utils.metric_result_names([m.name for m in compiled],
                                                 getattr(self._model, "_weighted_from", len(compiled)))

    def named_metrics(self):
        """`(name in result(), metric)` for each of `metrics`; `[]` until built."""
        return list(zip(self.result_names(), self.metrics)) if self.built else []

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Updates every compiled metric with a batch, as the trainer's steps do.

        The `metrics` see no `sample_weight`; the `weighted_metrics` do. For a model with several
        outputs, each metric gets its output's targets, predictions and weights.

        Args:
            y_true: The targets (a structure by output for several outputs).
            y_pred: The predictions, in the model's output structure.
            sample_weight: Optional per-sample weights (one array, or one per output).
        """
        model = self._model
        if getattr(model, "_outputs_pending", False):
            model._resolve_outputs(y_true, y_pred)   # the first batch: per-output metrics matched now
        self._built = True
        if self._compiled():
            with torch.no_grad():
                model._update_metrics(y_true, y_pred, sample_weight)

    def result(self):
        """Returns `{name: value}` for the compiled metrics, with Keras' names (see `result_names`).

        Raises:
            ValueError: Before the container is built, as Keras' CompileMetrics.
        """
        if not self.built:
            raise ValueError(
                "Cannot get result() since the metric has not yet been built: the compiled metrics are "
                "matched to the model's outputs when the model first runs. Call fit(), evaluate() or "
                "train_on_batch() first, or update_state(y_true, y_pred) on this container."
            )
        return {name: m.result() for name, m in zip(self.result_names(), self._compiled())}

    def reset_state(self):
        """Resets the state of every compiled metric."""
        for m in self._compiled():
            m.reset_state()

    def get_config(self):
        raise NotImplementedError("CompileMetrics is made by compile() and has no config, as in Keras; "
                                  "serialize the model's compile config (model.get_compile_config()).")
