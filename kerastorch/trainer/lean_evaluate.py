"""The batches of `evaluate`'s lean path (see `fast_inference`): a hand loop's work per batch, or less.

For the common compile — a softmax/sigmoid crossentropy the trainer fuses with the last layer, and the
built-in accuracies — a batch runs the logits forward, the fused loss (the loss tracker's one in-place
add) and, per accuracy, the comparison of the batch written into one preallocated buffer of matches.
When these accuracies are the only compiled metrics and the call's logits are few enough to keep, the
batches run the forward alone (the first one's logits also tell the loss and the counters their
shapes): the losses of all of them are computed once at the end, per sample, and averaged batch by
batch into the loss tracker, and the whole call's predictions are compared once.
What depends on the targets alone (the class ids of one-hot targets) is computed once for the whole
call, and the matches are counted once at the end, into the metrics' states. The values are those of
`test_step` batch by batch (the same logits, matches and batch means, to float rounding; the loss of
one-hot targets summed over their one class).

Any other metric is updated per batch as `test_step` updates it; any other loss runs `test_step` itself.
"""

import contextlib
import typing

import torch

from kerastorch.metrics import accuracy_metrics as acc
from kerastorch.metrics.reduction_metrics import MeanMetricWrapper
from kerastorch.ops.nn._last_axis_softmax import log_softmax_last_axis
from kerastorch.trainer.trackers import ShapeResolvedMetric


def _concrete(metric):
    """The metric object a compiled metric updates (an `"accuracy"` once its kind is resolved)."""
    if isinstance(metric, ShapeResolvedMetric):
        return metric.metric
    return metric


class _MatchCounter:
    """An accuracy accumulated over one call: matches written per batch, counted once at the end."""

    def __init__(self, metric, n, device, compare, targets):
        self.metric, self.compare, self.targets = metric, compare, targets
        self.matches = torch.empty(n, dtype=torch.bool, device=device)

    def batch(self, probabilities, start, stop):
        self.compare(probabilities, self.targets[start:stop], self.matches[start:stop])

    def finish(self):
        state = self.metric._state
        state["total"] += self.matches.sum()
        state["count"] += self.matches.shape[0]


def _binary(metric, y, probabilities, class_ids):
    """`binary_accuracy`: `(p > threshold)` cast to the targets' dtype equals them (`torch.eq` promotes
    the comparison's booleans to that dtype: the same cast)."""
    threshold = metric._fn_kwargs.get("threshold", 0.5)
    if (set(metric._fn_kwargs) - {"threshold"} or y.shape[1:] != probabilities.shape[1:]
            or probabilities[0].numel() != 1 or y.dtype == torch.bool or y.is_complex()):
        return None

    def compare(p, target, out):
        torch.eq(p.reshape(-1) > threshold, target, out=out)
    return compare, y.reshape(-1)


def _categorical(metric, y, probabilities, class_ids):
    """`categorical_accuracy`: the arg-max of the targets (once; the class ids of one-hot targets when the
    loss found them) equals that of the predictions."""
    if metric._fn_kwargs or probabilities.dim() != 2 or y.shape != (y.shape[0], probabilities.shape[1]) \
            or not acc._ids_exact_in(probabilities):
        return None

    def compare(p, target, out):
        torch.eq(torch.argmax(p, dim=-1), target, out=out)
    return compare, torch.argmax(y, dim=-1) if class_ids is None else class_ids


def _sparse(metric, y, probabilities, class_ids):
    """`sparse_categorical_accuracy`: integer (or same-float) class ids equal the predictions' arg-max."""
    if metric._fn_kwargs or probabilities.dim() != 2 or not acc._ids_exact_in(probabilities):
        return None
    if not (y.dim() == 1 or (y.dim() == 2 and y.shape[1] == 1)):
        return None
    if not (y.dtype == probabilities.dtype
            or (not y.is_floating_point() and not y.is_complex() and y.dtype != torch.bool)):
        return None

    def compare(p, target, out):
        torch.eq(torch.argmax(p, dim=-1), target, out=out)
    return compare, y.reshape(-1)


_COUNTERS = {acc.BinaryAccuracy: (acc.binary_accuracy, _binary),
             acc.CategoricalAccuracy: (acc.categorical_accuracy, _categorical),
             acc.SparseCategoricalAccuracy: (acc.sparse_categorical_accuracy, _sparse)}


def _counter(metric, y, probabilities, class_ids=None):
    """A `_MatchCounter` for a built-in accuracy (of the exact class, its own function), else None.
    `class_ids`: those of one-hot targets `y`, when known."""
    concrete = _concrete(metric)
    entry = _COUNTERS.get(type(concrete))
    if (entry is None or concrete._fn is not entry[0] or not isinstance(concrete, MeanMetricWrapper)
            or concrete._state is None or "total" not in concrete._state):
        return None
    made = entry[1](concrete, y, probabilities, class_ids)
    if made is None:
        return None
    compare, targets = made
    return _MatchCounter(concrete, y.shape[0], probabilities.device, compare, targets)


def flat_stack(stack, dtype):
    """The plain calls of a Sequential's `stack` in a row, when each is what `_run_direct` would make
    on inputs of `dtype` (the same compute dtype: no casts between layers), else None."""
    from kerastorch.layers.base import plain_call

    calls = []
    for layer in stack:
        plain = plain_call(layer)
        if plain is None or plain[1] is not dtype:
            return None
        call, _, takes_training = plain
        calls.append((lambda x, call=call: call(x, training=False)) if takes_training else call)
    return calls


def chain(calls):
    """One function calling `calls` in a row, each on the previous one's output."""
    def run(x):
        for call in calls:
            x = call(x)
        return x
    return run


def logits_forward(model, xt):
    """The forward to the logits before the fused activation, for batches of `xt` in inference, or None.

    A Sequential's layers are called as its forward calls them (`_run_direct` with training=False,
    then the last layer without its activation), in a row when all are plain; a Functional model
    runs its logits plan through its direct call.
    """
    from kerastorch.models.sequential import Sequential
    from kerastorch.trainer.runtime import DirectCall

    forward = model._predict_forward
    if not (isinstance(getattr(forward, "__self__", None), DirectCall) and forward.__self__.model is model):
        return None
    if isinstance(model, Sequential):
        if (type(model).call is not Sequential.call or model._uses_masks or not model._stack
                or xt.dim() != model._input_rank):
            return None
        stack, last = model._stack[:-1], model._stack[-1]
        calls = flat_stack(stack, xt.dtype) if xt.is_floating_point() else None
        if calls is None:
            return lambda xb: last._call_without_activation(model._run_direct(stack, xb, False))  # noqa: E731
        return chain(calls + [last._call_without_activation])
    direct = forward.__self__
    return lambda xb: direct(xb, training=False, return_logits=True)                       # noqa: E731


def _identity(x):
    return x


class _LossPlan(typing.NamedTuple):
    """How `fused_loop` computes the loss (see `_specialized_loss`)."""
    targets: torch.Tensor
    fn: typing.Callable
    probabilities_of: typing.Callable
    unreduced: bool
    source_of: typing.Optional[typing.Callable]
    class_ids: typing.Optional[torch.Tensor]


def _specialized_loss(fused, yt, logits, need, batches):
    """A `_LossPlan`: `fn(targets[start:stop], logits)` gives the batch's loss and what its probabilities
    come from (`source`), `probabilities_of(source)` the probabilities, as `fused.loss_and_probabilities`
    gives them; what depends on the targets alone is done once here. `unreduced`: whether
    `fn(targets[start:stop], logits, NO_REDUCTION)` gives the loss of each element instead (the
    specialized losses), for any number of batches at once; then `source_of(logits)` gives the source
    alone, as `fn` computes it (else `source_of` is None). The probabilities and the unreduced losses
    are functions of each sample alone, so those of several batches put together are theirs put
    together. `class_ids`: those of one-hot targets, when the loss found them (else None)."""
    from kerastorch.losses import fused as fused_lib
    from kerastorch.losses.probabilistic import BinaryCrossentropy, CategoricalCrossentropy

    base = fused.base
    general = _LossPlan(yt, lambda yb, z: fused.loss_and_probabilities(yb, z, None, need),  # noqa: E731
                        _identity, False, None, None)
    if (fused.reduction != "sum_over_batch_size" or logits.dim() != 2 or type(logits) is not torch.Tensor
            or getattr(logits, "_keras_mask", None) is not None or yt.shape[0] != 0 and yt.dim() != 2):
        return general
    if fused.activation == "sigmoid":
        if type(base) is not BinaryCrossentropy or base.label_smoothing or yt.shape[1:] != logits.shape[1:]:
            return general
        def sigmoid_bce(yb, z, reduction=fused_lib.MEAN):
            return fused_lib.clipped_sigmoid_bce(z, yb, reduction), z
        return _LossPlan(yt.to(logits.dtype), sigmoid_bce, torch.sigmoid, True, _identity, None)
    if (fused.activation != "softmax" or type(base) is not CategoricalCrossentropy or base.label_smoothing
            or yt.shape != (yt.shape[0], logits.shape[1]) or not acc._ids_exact_in(logits) or batches < 4):
        return general
    # One-hot targets (checked once, worth it over a few batches): the sum of y * log p over the
    # classes is log p of the one class.
    labels = one_hot_ids(yt)
    if labels is None:
        return general
    def softmax_cce(labels, z, reduction=fused_lib.MEAN):
        log_p = log_softmax_last_axis(z)    # padded over the whole call's logits, on the CPU
        return fused_lib.clipped_softmax_nll(log_p, labels, reduction), log_p
    return _LossPlan(labels, softmax_cce, torch.exp, True, log_softmax_last_axis, labels)


def one_hot_ids(y):
    """The class ids (int64) of the rows of the 2-d targets `y` when every row is one-hot (a single 1,
    zeros elsewhere), else None; one read of the device.

    In float32/float64 (fewer than 2**24 classes) it takes three passes over `y` where comparing every
    element twice took five: the rows are one-hot when `y` holds as many nonzeros as rows and every
    row sums to 1 (each row then holds a nonzero, so exactly one, and it is the row's sum); their ids
    are then the rows' products with 0, 1, ... (one term is nonzero: exact).

    Example:
    >>> import torch
    >>> one_hot_ids(torch.tensor([[0., 1., 0.], [1., 0., 0.]])).tolist()
    [1, 0]
    >>> one_hot_ids(torch.tensor([[0., 1., 1.], [0., 0., 0.]])) is None
    True
    """
    if y.dtype in (torch.float32, torch.float64) and y.shape[1] < 2 ** 24:
        sums = torch.mv(y, torch.ones(y.shape[1], dtype=y.dtype, device=y.device))
        one_hot = torch.logical_and(torch.count_nonzero(y) == y.shape[0], (sums == 1).all())
        ids = torch.mv(y, torch.arange(y.shape[1], dtype=y.dtype, device=y.device))
        return ids.long() if bool(one_hot) else None
    ones = y == 1
    if not bool(torch.logical_and((ones.sum(dim=1) == 1).all(), (ones | (y == 0)).all())):
        return None
    return torch.argmax(y, dim=1)


def _add_batch_means(total, losses, batch_size):
    """Adds to `total` each batch's mean of the unreduced `losses` (a row per sample) times its size, as
    the loss tracker adds a batch's loss (batches of `batch_size` rows, the last one possibly shorter);
    returns the last batch's mean."""
    n = losses.shape[0]
    full = n // batch_size
    means = losses[:full * batch_size].view(full, batch_size * losses[0].numel()).mean(dim=1)
    total.add_(means.sum(), alpha=batch_size)
    if full * batch_size == n:
        return means[-1]
    last = losses[full * batch_size:].mean()
    total.add_(last, alpha=n - full * batch_size)
    return last


# The most elements of logits kept over a call to compute its loss and count its accuracies once at its
# end (16 MiB of float32); a call with more runs them batch by batch.
_DEFERRED_ELEMENTS = 1 << 22


def fused_loop(model, forward, xt, yt, batch_size):
    """Every batch of the call through the fused loss, the loss tracker and the metrics' counters.

    Returns False when the compiled loss is not the fused one the test step would use, or it adds
    anything: loss weights, regularization (having run nothing), or losses the layers add in their
    calls (`add_loss`; seen after the batches: the metrics are then reset for test_step to run).
    """
    from kerastorch.layers.call_context import _LOSS_HOLDERS
    from kerastorch.losses import fused as fused_lib

    fused = model._fused_loss
    if (fused is None or model._test_loss.__func__ is not type(model)._fused_test_loss
            or model._loss_weight is not None or model._has_penalties):
        return False
    n = xt.shape[0]
    tracker = model._loss_tracker
    metrics = list(model._compile_metrics)
    need = bool(metrics)
    # The first batch's logits tell the loss and the counters their shapes (and check the targets
    # when they could not be checked upfront, as test_step does).
    stop = min(batch_size, n)
    logits = forward(xt[:stop])
    if not model._targets_checked:
        model._check_targets_once(yt[:stop], model._fused_activation(logits))
    plan = _specialized_loss(fused, yt, logits, need, -(-n // batch_size))
    targets, batch_loss, probabilities_of, unreduced, source_of = plan[:5]
    # The whole call's loss computed once at its end, the first batch's with the others', when the loss
    # is specialized and the call's logits few enough to keep (and no other metric updates per batch:
    # seen below); else the first batch's loss now.
    fits = n * logits[0].numel() <= _DEFERRED_ELEMENTS
    if unreduced and fits:
        source = source_of(logits)
    else:
        loss, source = batch_loss(targets[:stop], logits)
        tracker.update_state(loss, sample_weight=stop)
    probabilities = probabilities_of(source) if need else None
    counters, others = [], []
    for metric in metrics:
        counter = (_counter(metric, yt, probabilities, plan.class_ids) if type(probabilities) is torch.Tensor
                   else None)
        if counter is None:
            metric.update_state(yt[:stop], probabilities)
            others.append(metric)
        else:
            counters.append(counter)
    # Nothing but the loss and the accuracies to update, and the call's logits not too many to keep:
    # the batches run the forward alone; the loss of all the batches is computed once at the end,
    # unreduced, then averaged batch by batch into the tracker (a specialized loss), and the accuracies
    # are counted once at the end, on the probabilities of all the batches. A few kernels a call, not a
    # dozen a batch, and the same batch means.
    keep = not others and fits
    whole_loss = keep and unreduced
    if unreduced and fits and others:     # another metric updates per batch: the first batch's loss now
        loss, _ = batch_loss(targets[:stop], logits)
        tracker.update_state(loss, sample_weight=stop)
    deferred = keep and bool(counters)
    sources = ([] if whole_loss else [source]) if deferred else None
    kept_logits = [logits] if whole_loss else []
    for counter in () if deferred else counters:
        counter.batch(probabilities, 0, stop)
    first = stop
    if whole_loss:
        tracker.ensure_total(logits.device)      # made here, outside inference mode: usable in training
    total = tracker.total
    # Past the first batch nothing is made that outlives the call (the loss tracker's and the counters'
    # states exist and are updated in place), so the other batches run in inference mode, as a hand
    # loop runs: no autograd bookkeeping per op (the fused loss alone is a composite of ~10 ops). Not
    # when another metric updates: its update may make state, and an inference tensor kept as state
    # could not be updated in place in training.
    with contextlib.nullcontext() if others else torch.inference_mode():   # (inference_mode(False) enables grad)
        for start in range(first, n, batch_size):
            stop = min(start + batch_size, n)
            logits = forward(xt[start:stop])
            if whole_loss:
                kept_logits.append(logits)
                continue
            loss, source = batch_loss(targets[start:stop], logits)
            total.add_(loss, alpha=stop - start)        # LossTracker.update_state of a scalar loss
            if deferred:
                sources.append(source)
                continue
            if need:
                probabilities = probabilities_of(source)
            for counter in counters:
                counter.batch(probabilities, start, stop)
            if others:
                yb = yt[start:stop]
                for metric in others:
                    metric.update_state(yb, probabilities)
        if whole_loss:
            every = kept_logits[0] if len(kept_logits) == 1 else torch.cat(kept_logits)
            losses, source = batch_loss(targets, every, fused_lib.NO_REDUCTION)
            loss = _add_batch_means(total, losses, batch_size)
            if deferred:
                sources.append(source)
        tracker.count += n if whole_loss else n - first
        tracker.last = loss.detach()
        added = bool(_LOSS_HOLDERS) and any(id(m) in _LOSS_HOLDERS for m in model.modules())
        if deferred and not added:
            probabilities = probabilities_of(sources[0] if len(sources) == 1 else torch.cat(sources))
            for counter in counters:
                counter.batch(probabilities, 0, n)
    if added:
        model._reset_metrics()        # a layer added a loss: the test step's loss includes it
        return False
    for counter in counters:
        counter.finish()
    return True
