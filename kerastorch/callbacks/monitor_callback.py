"""`MonitorCallback`: the shared logic of callbacks that watch one logged quantity.

`EarlyStopping`, `ModelCheckpoint` and `ReduceLROnPlateau` build on it, as in Keras
(`keras/src/callbacks/monitor_callback.py`): a comparison chosen from `mode`, an absolute
`min_delta`, and a warning naming the available keys when the monitored one is missing.
"""

import operator
import warnings

from kerastorch.callbacks.callback import Callback

# Metrics Keras marks `_direction = "up"` (accuracy, confusion, F-score, IoU, correlation
# and R2 metrics). Used in `mode="auto"` when the model's metric objects don't say.
_UP_NAMES = (
    "acc", "accuracy", "auc", "precision", "recall", "f1_score", "fbeta_score", "iou",
    "r2_score", "cosine_similarity", "pearson_correlation", "concordance_correlation",
    "sensitivity", "specificity", "true_positives", "true_negatives",
)


def _name_goes_up(name):
    return any(name == up or name.endswith("_" + up) or name.startswith(up + "_") or up + "_at_" in name
               for up in _UP_NAMES)


def _named_metrics(model):
    """`(log name, metric)` of each of `model.metrics`; the compiled metrics' container (Keras'
    CompileMetrics) by each of its metrics, under the name it logs (`mae_1`, `<output>_auc`)."""
    from kerastorch.trainer.trackers import CompileMetrics

    out = []
    for metric in getattr(model, "metrics", None) or []:
        if isinstance(metric, CompileMetrics):
            out.extend(metric.named_metrics())
        else:
            out.append((getattr(metric, "name", None), metric))
    return out


def _name_goes_down(name):
    down = ("loss", "error", "crossentropy", "hinge", "divergence", "mse", "mae", "mape", "msle",
            "poisson", "logcosh", "log_cosh", "huber")
    return any(name == d or name.endswith("_" + d) or name.startswith(d + "_") for d in down)


class MonitorCallback(Callback):
    """Base class of callbacks that monitor a logged quantity and detect improvements.

    Args:
        monitor: Key of the quantity in the epoch logs. Defaults to `"val_loss"`.
        mode: One of `"auto"`, `"min"`, `"max"`. In `"auto"` mode the direction comes from
            the name: `loss` (and `val_loss`) are minimized; a compiled metric's direction
            is read from the metric (`_direction`) or, failing that, from Keras' metric
            names (accuracy, AUC, precision, ... go up; errors and losses go down).
            Defaults to `"auto"`. An unknown mode warns and falls back to `"auto"`.
        baseline: Initial "best" value, or `None` to take the first value seen.
        min_delta: Minimum absolute change that counts as an improvement. Defaults to `0`.

    Raises:
        ValueError: In `"auto"` mode, when the direction of `monitor` cannot be inferred
            (pass `mode="min"` or `mode="max"`).

    Example:
    >>> cb = MonitorCallback(monitor="val_accuracy")
    >>> cb._set_monitor_op()
    >>> cb._is_improvement(0.9, 0.8)
    True
    """

    def __init__(self, monitor="val_loss", mode="auto", baseline=None, min_delta=0):
        super().__init__()
        if mode not in ("auto", "min", "max"):
            warnings.warn(
                f"{type(self).__name__}: mode={mode!r} is unknown; expected 'auto', 'min' or "
                "'max'. Falling back to 'auto'.",
                stacklevel=3,
            )
            mode = "auto"
        self.monitor = monitor
        self.mode = mode
        self.best = baseline
        self.min_delta = abs(min_delta)
        self.monitor_op = None

    def _set_monitor_op(self):
        if self.mode == "min":
            self.monitor_op = operator.lt
        elif self.mode == "max":
            self.monitor_op = operator.gt
        else:
            name = self.monitor.removeprefix("val_")
            direction = None
            if name == "loss":
                direction = "down"
            else:
                for logged, metric in _named_metrics(self.model):
                    if logged == name:
                        direction = getattr(metric, "_direction", None)
                        if direction is None:
                            direction = "up" if _name_goes_up(_snake(type(metric).__name__)) else None
                        break
                if direction is None:
                    if _name_goes_up(name):
                        direction = "up"
                    elif _name_goes_down(name):
                        direction = "down"
            if direction is None:
                raise ValueError(
                    f"{type(self).__name__} callback received monitor={self.monitor!r}, but cannot "
                    "tell whether that quantity should be maximized or minimized. Pass mode='max' "
                    "to keep the highest value, or mode='min' to keep the lowest."
                )
            self.monitor_op = operator.gt if direction == "up" else operator.lt
        # Keras subtracts min_delta before comparing: negate it when lower is better.
        self._signed_min_delta = -self.min_delta if self.monitor_op is operator.lt else self.min_delta

    def _is_improvement(self, monitor_value, reference_value):
        if reference_value is None:
            return True
        if self.monitor_op is None:
            self._set_monitor_op()
        return bool(self.monitor_op(monitor_value - self._signed_min_delta, reference_value))

    def _monitor_value(self, logs, what):
        """The monitored value from `logs`, or `None` after warning which keys exist."""
        logs = logs or {}
        value = logs.get(self.monitor)
        if value is None:
            warnings.warn(
                f"{type(self).__name__}: {what} is conditioned on `{self.monitor}`, which is not in "
                f"the logs. Available keys: {', '.join(logs) or '(none)'}. Pass one of them as "
                "monitor=..., or add the metric to compile(metrics=[...]) / give fit() validation "
                "data for a `val_` key.",
                stacklevel=3,
            )
            return None
        return float(value)


def _snake(name):
    out = []
    for i, ch in enumerate(name):
        if ch.isupper() and i and not name[i - 1].isupper():
            out.append("_")
        out.append(ch.lower())
    return "".join(out)

