"""`compile(loss=..., loss_weights=..., metrics=...)` for models with several outputs, as Keras reads them.

A model's outputs are *slots*, in the order of its flattened outputs (a Functional model's
`output_names`; a dict of outputs in sorted-key order). Targets, sample weights, losses, loss
weights and metrics given as a list (by position) or a dict (by output name) are matched to
the slots once, at the first batch; each step then reads them by slot:

- `OutputLosses(y_true, y_pred, sample_weight)` sums each output's loss times its weight and
  records each one, unweighted, in a tracker named `<output>_loss` (when there are two or more);
- `output_metrics(...)` gives one metric per (output, metric), logged as `<output>_<metric>`,
  with Keras' rules for repeated names (`_1`, `weighted_`).
"""

import difflib

import torch

from kerastorch.ops import _tree as tree
from kerastorch.trainer import compile_utils
from kerastorch.trainer.trackers import LossTracker


def _close(name, names):
    match = difflib.get_close_matches(str(name), [str(n) for n in names], n=1)
    return f" (did you mean {match[0]!r}?)" if match else ""


class Outputs:
    """The output slots of a model: how to read each output, target and sample weight by slot.

    Args:
        y_pred: The model's outputs for a batch (a structure of tensors).
        output_names: The model's `output_names`, or `None` (a subclassed model).
    """

    def __init__(self, y_pred, output_names):
        flat = tree.flatten(y_pred)
        self.count = len(flat)
        names = list(output_names) if output_names else None
        if isinstance(y_pred, dict):
            keys = list(y_pred)
            self.keys = names if names and set(keys) == set(names) else sorted(keys)
            names = self.keys
        else:
            self.keys = None
            if names is not None and len(names) != self.count:
                names = None
        self.names = names            # None: unnamed outputs (Keras names their losses after the loss)

    def predictions(self, y_pred):
        if self.keys is not None:
            return [y_pred[k] for k in self.keys]
        if isinstance(y_pred, torch.Tensor):
            return [y_pred]
        return tree.flatten(y_pred)

    def per_output(self, value, arg):
        """`value` (targets or sample weights: a list by position, a dict by output name, or one
        array for every output) as one entry per slot."""
        if value is None:
            return [None] * self.count
        if isinstance(value, torch.Tensor):
            if arg == "sample_weight" or self.count == 1:
                return [value] * self.count   # one weight array weights every output, as in Keras
            raise ValueError(
                f"The model has {self.count} outputs {self.names or ''}, but `{arg}` is a single array. "
                f"Pass a list with one array per output, or a dict by output name."
            )
        if isinstance(value, dict):
            names = self.names or []
            unknown = [k for k in value if k not in names]
            if unknown or not names:
                listed = ", ".join(f"{k!r}{_close(k, names)}" for k in unknown) or repr(list(value))
                raise ValueError(
                    f"`{arg}` is a dict with key(s) {listed} that name no output of the model; its outputs "
                    f"are {names or '(unnamed: pass a list in output order)'}."
                )
            if arg != "sample_weight":
                missing = [n for n in names if n not in value]
                if missing:
                    raise ValueError(f"`{arg}` lacks the output(s) {missing}: the model's outputs are {names}. "
                                     f"Give one entry per output, keyed by output name.")
            return [value.get(n) for n in names]
        flat = tree.flatten(value)
        if len(flat) != self.count:
            raise ValueError(
                f"The model has {self.count} outputs {self.names or ''} but `{arg}` holds {len(flat)} "
                f"array(s). Give one per output, in order (or a dict by output name)."
            )
        return flat


def _structure_for(spec, outputs, arg):
    """A per-slot list from a loss / loss weight / metrics spec (one for all, a list, or a dict)."""
    if isinstance(spec, dict):
        names = outputs.names or []
        unknown = [k for k in spec if k not in names]
        if unknown:
            listed = ", ".join(f"{k!r}{_close(k, names)}" for k in unknown)
            raise ValueError(
                f"`{arg}` names output(s) the model does not have: {listed}. The model's outputs are "
                f"{names or '(unnamed: pass a list in output order)'}."
            )
        return [spec.get(n) for n in names]
    if isinstance(spec, (list, tuple)):
        if len(spec) != outputs.count:
            raise ValueError(
                f"`{arg}` is a {type(spec).__name__} of {len(spec)} entries, but the model has "
                f"{outputs.count} outputs {outputs.names or ''}. Give one entry per output (None for an "
                f"output without one), or a dict by output name."
            )
        return list(spec)
    return [spec] * outputs.count


def _pick_crossentropy(identifier, y_true, y_pred):
    """Keras' "crossentropy"/"ce": binary, sparse or categorical from the shapes."""
    binary = y_pred.shape[-1] == 1
    sparse = y_true.dim() < y_pred.dim() or (y_true.shape[-1] == 1 and y_pred.shape[-1] > 1)
    return "binary_crossentropy" if binary else "sparse_categorical_crossentropy" if sparse else \
        "categorical_crossentropy"


class _Tracker(LossTracker):
    """The mean of one output's loss over the batches (weighted by batch size), as Keras' Mean."""

    def __init__(self, name):
        super().__init__()
        self.name = name


class OutputLosses:
    """The compiled loss of a model with several outputs (Keras' CompileLoss).

    Args:
        loss: One loss for every output, a list by output, or a dict by output name (`None`
            entries: that output has no loss).
        loss_weights: `None`, a list or a dict of floats, matched as `loss`.
        outputs: The model's `Outputs`.
        y_true, y_pred: The first batch's targets and outputs (to resolve `"crossentropy"`).
    """

    def __init__(self, loss, loss_weights, outputs, y_true, y_pred):
        from kerastorch import losses

        self.outputs = outputs
        specs = _structure_for(loss, outputs, "loss")
        if loss_weights is not None:
            weights = _structure_for(loss_weights, outputs, "loss_weights") \
                if isinstance(loss_weights, (list, tuple, dict)) else None
            if weights is None:
                raise ValueError(
                    f"`loss_weights` must match the number of losses, got {outputs.count} losses and 1 weight "
                    f"(loss_weights={loss_weights!r}). Give a list with one weight per output, or a dict by "
                    "output name."
                )
        else:
            weights = [None] * outputs.count
        preds = outputs.predictions(y_pred)
        trues = outputs.per_output(y_true, "y")
        self.entries = []      # (slot, Loss, weight, name)
        order = list(range(outputs.count))
        if isinstance(loss, dict) and outputs.keys is not None:
            # Dict outputs and a dict of losses: Keras walks the losses in the dict's order.
            order = [outputs.keys.index(k) for k in loss] + [i for i, k in enumerate(outputs.keys) if k not in loss]
        for slot in order:
            spec, weight = specs[slot], weights[slot]
            if spec is None:
                continue
            if isinstance(spec, str) and spec.lower() in ("crossentropy", "ce") and trues[slot] is not None:
                spec = _pick_crossentropy(spec, trues[slot], preds[slot])
            fn = losses.resolve_loss(spec)
            name = outputs.names[slot] if outputs.names else fn.name
            self.entries.append((slot, fn, None if weight is None else float(weight), name))
        self.trackers = [_Tracker(f"{e[3]}_loss") for e in self.entries] if len(self.entries) > 1 else []

    def check_targets(self, y_true, y_pred):
        trues = self.outputs.per_output(y_true, "y")
        preds = self.outputs.predictions(y_pred)
        for slot, fn, _, _ in self.entries:
            check = getattr(fn, "check_targets", None)
            if check is not None and trues[slot] is not None:
                check(trues[slot], preds[slot])

    def __call__(self, y_true, y_pred, sample_weight=None):
        trues = self.outputs.per_output(y_true, "y")
        preds = self.outputs.predictions(y_pred)
        weights = self.outputs.per_output(sample_weight, "sample_weight")
        total = None
        for i, (slot, fn, weight, _) in enumerate(self.entries):
            value = fn(trues[slot], preds[slot], sample_weight=weights[slot])
            if self.trackers:
                self.trackers[i].update_state(value, sample_weight=preds[slot].shape[0])
            if weight is not None:
                value = value * weight
            total = value if total is None else total + value
        return total if total is not None else torch.zeros(())


class OutputMetric:
    """One compiled metric on one output: picks that output's target, prediction and weight."""

    def __init__(self, metric, outputs, slot, log_name):
        self._kt_metric = metric
        self.outputs = outputs
        self.slot = slot
        self.name = log_name

    def update_state(self, y_true, y_pred, sample_weight=None):
        trues = self.outputs.per_output(y_true, "y")
        preds = self.outputs.predictions(y_pred)
        weight = None if sample_weight is None else self.outputs.per_output(sample_weight, "sample_weight")[self.slot]
        self._kt_metric.update_state(trues[self.slot], preds[self.slot], sample_weight=weight)

    def result(self):
        return self._kt_metric.result()

    def reset_state(self):
        self._kt_metric.reset_state()

    def __getattr__(self, name):
        return getattr(self.__dict__["_kt_metric"], name)


def output_metrics(metrics, weighted_metrics, outputs, make_metric):
    """The compiled metrics of a multi-output model, named as Keras' CompileMetrics logs them.

    Args:
        metrics, weighted_metrics: As given to `compile` (lists by output, or dicts by name).
        outputs: The model's `Outputs`.
        make_metric: Turns a metric spec into a metric object.

    Returns:
        `(metric_list, weighted_from)`: `OutputMetric`s, unweighted ones first.
    """
    counters = {}
    out = []

    def build(spec, arg, weighted):
        if not spec:
            return
        if not isinstance(spec, (list, tuple, dict)):
            raise ValueError(f"Expected `{arg}` argument to be a list, tuple, or dict. Received instead: "
                             f"{arg}={spec!r} of type {type(spec)}")
        try:
            per_slot = _structure_for(spec, outputs, arg)
        except ValueError as e:
            raise ValueError(
                f"{e}\nInvalid `{arg}`: it should hold metrics and be a dict or a list matching the output "
                f"names of the model {outputs.names or ''}, one entry per output. Received: {arg}={spec!r}"
            ) from None
        for slot, entry in enumerate(per_slot):
            if entry is None:
                continue
            for item in (entry if isinstance(entry, (list, tuple)) else [entry]):
                metric = make_metric(item)
                base = item if isinstance(item, str) else metric.name
                prefix = f"{outputs.names[slot]}_" if outputs.names else ""
                name = compile_utils.claim_result_name(base, counters, weighted, prefix)
                out.append(OutputMetric(metric, outputs, slot, name))

    build(metrics, "metrics", False)
    weighted_from = len(out)
    build(weighted_metrics, "weighted_metrics", True)
    return out, weighted_from
