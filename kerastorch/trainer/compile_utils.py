"""What `compile` and `fit` arguments mean, as Keras 3 reads them: loss weights, metric names,
validation frequency. Plain functions, so the trainer's hot loop stays free of them."""


def _flatten(value):
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, (list, tuple)):
        out = []
        for item in value:
            out.extend(_flatten(item))
        return out
    return [value]


def single_loss_weight(loss_weights):
    """The factor `compile(loss_weights=...)` puts on a single-output model's loss, or `None` for 1.

    As Keras: a float, or a list, tuple or dict holding exactly one float (a dict's key is
    not checked for a single output). A falsy value other than `0.0` is `None`; Keras refuses
    other types (ints other than 0 included), so this does too.

    Example:
    >>> single_loss_weight([2.0])
    2.0
    """
    if loss_weights is None:
        return None
    if not isinstance(loss_weights, (list, tuple, dict, float)) and loss_weights:
        raise ValueError(
            "Expected `loss_weights` argument to be a float (single output case) or a list, tuple, or "
            f"dict (multiple output case). Received instead: loss_weights={loss_weights!r} of type "
            f"{type(loss_weights)}. For a single output, pass a float, e.g. loss_weights=2.0."
        )
    flat = _flatten(loss_weights)
    if len(flat) != 1:
        raise ValueError(
            f"`loss_weights` must match the number of losses, got 1 losses and {len(flat)} weights "
            f"(loss_weights={loss_weights!r}). This model has one output: give one weight, e.g. "
            "loss_weights=2.0."
        )
    weight = flat[0]
    if isinstance(weight, bool) or not isinstance(weight, (int, float)):
        raise ValueError(f"`loss_weights` must hold numbers, got {weight!r} in loss_weights={loss_weights!r}.")
    return None if weight == 1 else float(weight)


def metric_result_names(names, weighted_from):
    """History names for the compiled metrics, in order, as Keras' CompileMetrics names them.

    A repeated name gets `_1`, `_2`, ...; a weighted metric whose name an unweighted one
    already uses is called `weighted_<name>` (then `weighted_<name>_1`, ...).

    Args:
        names: Each compiled metric's own name, unweighted ones first.
        weighted_from: Index of the first weighted metric in `names`.

    Example:
    >>> metric_result_names(["mse", "mse", "mae", "mae"], 3)
    ['mse', 'mse_1', 'mae', 'weighted_mae']
    """
    counters = {}
    return [claim_result_name(name, counters, weighted=i >= weighted_from) for i, name in enumerate(names)]


def claim_result_name(base, counters, weighted, prefix=""):
    """The History name of one compiled metric, Keras' CompileMetrics rule (see
    `metric_result_names`), with `counters` (name -> uses so far) updated.

    Args:
        base: The metric's own name.
        counters: The names given so far, shared by the metrics of one compile.
        weighted: Whether it is one of the `weighted_metrics`.
        prefix: `"<output>_"` for a metric of one of several outputs, else `""`.
    """
    name = prefix + base
    if name not in counters:
        counters[name] = 1
        return name
    if weighted:
        name = f"{prefix}weighted_{base}"
        if name not in counters:
            counters[name] = 1
            return name
    index = counters[name]
    counters[name] += 1
    return f"{name}_{index}"


def flat_results(metrics):
    """`{name: result}` of `metrics` (`model.metrics`), a dict result (a `CompileMetrics`) merged in
    under its own names, as Keras' `get_metrics_result` (nested dicts flattened, as its logs are).

    Example:
    >>> import torch
    >>> from kerastorch import metrics
    >>> m = metrics.Mean(name="loss")
    >>> m.update_state(torch.tensor(2.0))
    >>> {k: float(v) for k, v in flat_results([m]).items()}
    {'loss': 2.0}
    """
    out = {}

    def merge(results):
        for key, value in results.items():
            if isinstance(value, dict):
                merge(value)
            else:
                out[key] = value

    for metric in metrics:
        result = metric.result()
        if isinstance(result, dict):
            merge(result)
        else:
            out[metric.name] = result
    return out


def pythonify_logs(logs):
    """Logs as Keras hands them to callbacks and History (its `pythonify_logs`): keys sorted, a
    nested dict (a `train_step` returning `{m.name: m.result() for m in self.metrics}` holds the
    `"compile_metrics"` dict) flattened into its own sorted keys, scalar tensors as floats; a value
    that is no number is kept as it is (a tensor as a numpy array).

    Args:
        logs: A dict of logs (or `None`, which is `{}`).

    Example:
    >>> import torch
    >>> pythonify_logs({"loss": torch.tensor(0.5), "compile_metrics": {"mae": torch.tensor(0.25)}})
    {'mae': 0.25, 'loss': 0.5}
    """
    import torch

    out = {}
    for key, value in sorted((logs or {}).items(), key=lambda item: item[0]):
        if isinstance(value, dict):
            out.update(pythonify_logs(value))
            continue
        if isinstance(value, torch.Tensor):
            if value.numel() == 1:
                value = value.item()
            else:
                value = value.detach().cpu()
                value = (value.float() if value.dtype == torch.bfloat16 else value).numpy()
        try:
            value = float(value)
        except (TypeError, ValueError):
            pass
        out[key] = value
    return out


def check_validation_freq(validation_freq):
    """Refuses a `fit(validation_freq=...)` Keras would not read: an int >= 1 or a list of epochs."""
    if isinstance(validation_freq, bool) or not isinstance(validation_freq, (int, list)):
        raise ValueError(
            "Expected `validation_freq` to be a list or int. Received: "
            f"validation_freq={validation_freq!r} of the type {type(validation_freq)}. Pass an int "
            "(validate every N epochs) or a list of 1-based epoch numbers, e.g. [1, 3]."
        )
    if isinstance(validation_freq, int) and validation_freq < 1:
        raise ValueError(f"`validation_freq` must be at least 1 (validate every N epochs), got {validation_freq}.")


def should_validate(epoch, validation_freq):
    """Whether `fit` validates after the 0-based `epoch` (`validation_freq` epochs are 1-based)."""
    if isinstance(validation_freq, int):
        return (epoch + 1) % validation_freq == 0
    return (epoch + 1) in validation_freq


def holds_several(spec):
    """Whether a `loss` spec holds more than one entry (a list/tuple/dict of several)."""
    return isinstance(spec, (list, tuple, dict)) and len(_flatten(spec)) > 1


def single_loss(loss, output_names=None):
    """The loss of a single-output model from `compile(loss=...)`: one loss, or a list/dict of one.

    A dict's key must be the output's name when the model knows it, as in Keras.

    Example:
    >>> single_loss({"out": "mse"}, ["out"])
    'mse'
    """
    if isinstance(loss, dict):
        if output_names and set(loss) != set(output_names):
            from kerastorch.trainer.compile_outputs import _close

            hints = [f"{k!r}{_close(k, output_names)}" for k in loss if k not in output_names]
            raise ValueError(
                f"Expected keys {list(output_names)} in loss dict, but found loss.keys()={list(loss)}"
                + (f": unknown {', '.join(hints)}" if hints else "") + ". Key the losses by output name."
            )
        values = list(loss.values())
        if len(values) != 1:
            raise ValueError(f"The model has one output but `loss` holds {len(values)}: {loss!r}.")
        return values[0]
    if isinstance(loss, (list, tuple)):
        if len(loss) != 1:
            raise ValueError(f"The model has one output but `loss` is a list of {len(loss)}: {loss!r}. Give one "
                             "loss (or a list of one).")
        return loss[0]
    return loss


def single_output_metrics(metrics):
    """`compile(metrics=...)` for one output: a dict by output name (or a list of lists) flattens,
    as Keras applies every metric to the single output; a metric's config dict stays one metric."""
    if isinstance(metrics, dict) and "class_name" not in metrics:
        return _flatten(metrics)
    if isinstance(metrics, (str, dict)) or callable(metrics):
        return [metrics]
    return metrics


def flat_metrics(metrics):
    """A list of metrics, nested lists flattened (config dicts kept whole)."""
    out = []
    for item in metrics:
        if isinstance(item, (list, tuple)):
            out.extend(flat_metrics(item))
        else:
            out.append(item)
    return out


class PendingOutputs:
    """Stands for the compiled loss of a model with several outputs until the first batch, which
    shows the outputs' structure: then the model gets its per-output losses and metrics."""

    def __init__(self, model):
        self.model = model

    def __call__(self, y_true, y_pred, sample_weight=None):
        model = self.model
        model._resolve_outputs(y_true, y_pred)
        if model._loss_fn is self:
            raise ValueError(f"Model '{model.name}': `loss` holds several losses ({model.loss!r}), but the "
                             "model returned one output. Give one loss.")
        return model._loss_fn(y_true, y_pred, sample_weight=sample_weight)
