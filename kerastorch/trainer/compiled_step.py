"""`compile(jit_compile=True)`'s training step: one `torch.compile` graph per execution.

One call of the compiled function runs an execution of `steps_per_execution` steps, each of
them: the forward, Keras' loss (`compute_loss`: the compiled loss, `loss_weights`, the layers'
losses), the gradients (`torch.autograd.grad`, traced by dynamo with
`torch._dynamo.config.trace_autograd_ops`), the optimizer's update written as tensor math
(Keras' formulas, the same as `kerastorch.optimizers` compute eagerly), the weight constraints,
the loss tracker and the compiled metrics. The N steps of an execution are unrolled in the
graph. The parameters, the optimizer's slots and its iteration counter are updated in place, so
`get_weights`, saving and callbacks see the new values.

What does not run in the graph, and why:

- the first execution of the first `fit`: it runs the same function eagerly, so that the targets
  are checked against the outputs and the metrics that choose their kind from the first batch
  (`"accuracy"`) are resolved before anything is traced;
- a batch smaller than the first one (the last batch of an epoch): the same function, eagerly,
  instead of a second compile for one batch an epoch;
- the configurations `unsupported_reason` names (an optimizer without an in-graph update,
  gradient accumulation, loss scaling, mixed precision, a distribution, an overridden
  `train_step`/`compute_loss`, no trainable weights), and a model dynamo cannot trace as one graph
  (e.g. a layer calling a `torch.compiler.disable`d function): the per-step path of `jit_compile`
  (forward and loss compiled, backward and optimizer step eager), with the same arithmetic as the
  eager steps. The reason is kept in `WholeStep.reason`; `WholeStep.path` says which path ran.
  Under `kerastorch.config.enable_nan_checks()` the loop takes the per-step path too (it checks
  every batch and every loss).
"""

import types
import warnings

import numpy as np
import torch

from kerastorch import config
from kerastorch.optimizers.base import _scalar_dtype
from kerastorch.trainer.runtime import active_distribution, batch_size_of

# `WholeStep.path` values.
WHOLE_STEP = "whole-step graph"
PER_STEP = "per-step (forward and loss compiled)"


# ---------------------------------------------------------------------- in-graph optimizer rules
# The per-step scalars (the learning rate, Adam's `lr * sqrt(1 - b2^t) / (1 - b1^t)`, EMA's
# momentum, ...) are computed on the host, as the eager optimizers compute them (float32 numpy
# numbers, from the step count), and enter the graph as one small tensor per execution: computed
# in the graph, inductor would evaluate them again in every iteration of each parameter's loop.
# A rule is `(scalars(opt, steps, lr), update(opt, grads, params, indices, scalars))`: `scalars`
# returns the rule's own numbers (arrays) for the update numbers `steps` (from 0, an array) and
# learning rates `lr` (an array); `update` changes `params`
# (the parameters with a gradient, at `indices` in the optimizer's list, to find the slots) in
# place, reading its numbers from `scalars` (a 1-d tensor) at `_OWN` onwards.

_LR, _DECAY, _EMA, _OVERWRITE, _OWN = range(5)


def _no_scalars(opt, steps, lr):
    return ()


def _sgd(opt, grads, params, indices, scalars):
    lr = scalars[_LR]
    if opt.momentum == 0:
        for p, g in zip(params, grads):
            p.sub_(g * lr)
        return
    for p, g, i in zip(params, grads, indices):
        buf = opt._momentums[i]
        buf.mul_(opt.momentum).sub_(g * lr)
        if opt.nesterov:
            p.add_(buf * opt.momentum - g * lr)
        else:
            p.add_(buf)


def _adam_scalars(opt, steps, lr):
    f = _scalar_dtype(opt._params)
    t = (steps + 1).astype(f)
    return (lr * np.sqrt(f(1) - f(opt.beta_2) ** t) / (f(1) - f(opt.beta_1) ** t),)


def _adam(opt, grads, params, indices, scalars):
    b1, b2 = opt.beta_1, opt.beta_2
    alpha = scalars[_OWN]
    for p, g, i in zip(params, grads, indices):
        m, v = opt._momentums[i], opt._velocities[i]
        m.mul_(b1).add_(g * (1 - b1))
        v.mul_(b2).add_(g * g * (1 - b2))
        if opt.amsgrad:
            v_hat = opt._velocity_hats[i]
            v_hat.copy_(torch.maximum(v_hat, v))
            v = v_hat
        p.sub_(m * alpha / (torch.sqrt(v) + opt.epsilon))


def _rmsprop(opt, grads, params, indices, scalars):
    rho, lr = opt.rho, scalars[_LR]
    for p, g, i in zip(params, grads, indices):
        v = opt._velocities[i]
        v.mul_(rho).add_(g * g * (1 - rho))
        denominator = v + opt.epsilon          # as Keras' torch backend: (v + eps) - mean_g**2
        if opt.centered:
            mean_g = opt._average_gradients[i]
            mean_g.mul_(rho).add_(g * (1 - rho))
            denominator = denominator - mean_g * mean_g
        increment = g * lr / torch.sqrt(denominator)
        if opt.momentum > 0:
            buf = opt._momentums[i]
            buf.mul_(opt.momentum).add_(increment)
            p.sub_(buf)
        else:
            p.sub_(increment)


def _adagrad(opt, grads, params, indices, scalars):
    lr = scalars[_LR]
    for p, g, i in zip(params, grads, indices):
        acc = opt._accumulators_sq[i]
        acc.add_(g * g)
        p.sub_(g * lr / torch.sqrt(acc + opt.epsilon))


def _adamax_scalars(opt, steps, lr):
    f = _scalar_dtype(opt._params)
    return (f(1) - f(opt.beta_1) ** (steps + 1).astype(f),)


def _adamax(opt, grads, params, indices, scalars):
    b1, b2, lr, bias_correction = opt.beta_1, opt.beta_2, scalars[_LR], scalars[_OWN]
    for p, g, i in zip(params, grads, indices):
        m, u = opt._m[i], opt._u[i]
        m.mul_(b1).add_(g * (1 - b1))
        u.copy_(torch.maximum(u * b2, g.abs()))
        p.sub_(m * lr / ((u + opt.epsilon) * bias_correction))


def _lion(opt, grads, params, indices, scalars):
    b1, b2, lr = opt.beta_1, opt.beta_2, scalars[_LR]
    for p, g, i in zip(params, grads, indices):
        m = opt._momentums[i]
        p.sub_(torch.sign(m * b1 + g * (1 - b1)) * lr)
        m.mul_(b2).add_(g * (1 - b2))


def _rules():
    from kerastorch import optimizers

    return {optimizers.SGD: (_no_scalars, _sgd), optimizers.Adam: (_adam_scalars, _adam),
            optimizers.AdamW: (_adam_scalars, _adam), optimizers.RMSprop: (_no_scalars, _rmsprop),
            optimizers.Adagrad: (_no_scalars, _adagrad), optimizers.Adamax: (_adamax_scalars, _adamax),
            optimizers.Lion: (_no_scalars, _lion)}


# The base-class methods whose arithmetic the graph reproduces: a subclass overriding one of
# them computes something else, so it takes the per-step path.
_BASE_METHODS = ("step", "_step_on", "_apply_update", "_clip_gradients", "_update_ema", "_update",
                 "_current_learning_rate")


def _rule_for(optimizer):
    """The in-graph update of `optimizer`'s class, or `None` (with the reason) when there is none."""
    from kerastorch.optimizers.base import Optimizer

    if not isinstance(optimizer, Optimizer):
        return None, f"the optimizer {type(optimizer).__name__} is not a kerastorch optimizer"
    rules = _rules()
    cls = type(optimizer)
    owner = next((c for c in cls.__mro__ if c in rules), None)
    if owner is None or any(getattr(cls, name) is not getattr(owner, name) for name in _BASE_METHODS):
        names = ", ".join(sorted(c.__name__ for c in rules))
        return None, f"{cls.__name__} has no in-graph update (those with one: {names})"
    return rules[owner], None


def step_scalars(opt, rule, n):
    """The host-side numbers of the next `n` updates, one row each: learning rate, weight decay
    factor `1 - wd * lr`, EMA momentum, EMA overwrite (1 or 0), then the rule's own (a float
    tensor of shape `(n, columns)`, computed in the parameters' float type as the eager step)."""
    from kerastorch.optimizers import schedules

    f = _scalar_dtype(opt._params)
    steps = np.arange(int(opt._iterations), int(opt._iterations) + n)
    lr = opt._learning_rate
    if isinstance(lr, torch.Tensor):
        rate = np.full(n, float(lr), dtype=f)
    elif isinstance(lr, schedules.LearningRateSchedule):   # at the raw call count, as Keras
        rate = np.array([float(lr(int(step))) for step in steps], dtype=f)
    else:
        rate = np.array([float(lr()) for _ in steps], dtype=f)
    decay = f(1) - f(opt.weight_decay) * rate if opt.weight_decay is not None else np.ones(n, dtype=f)
    momentum = np.where(steps == 0, f(0), f(opt.ema_momentum)).astype(f) if opt.use_ema else np.zeros(n, f)
    freq = opt.ema_overwrite_frequency if opt.use_ema else None
    overwrite = ((steps + 1) % freq == 0).astype(f) if freq else np.zeros(n, dtype=f)
    columns = [rate, decay, momentum, overwrite, *rule[0](opt, steps, rate)]
    return torch.from_numpy(np.stack(columns, axis=1).astype(f, copy=False))


class _ScalarRows:
    """`step_scalars`, computed `BLOCK` updates ahead while the learning rate is a number and the
    optimizer's hyperparameters stay the same. The rows of a call are copied into one tensor per
    execution length: a slice of the table would reach the graph at a new storage offset at every
    call, which dynamo guards on (it would compile again). The rows live on the parameters'
    device: one host-to-device copy per `BLOCK` updates, not one per call."""

    BLOCK = 512

    def __init__(self):
        self.key = None
        self.first = 0
        self.table = None
        self.out = {}

    def __call__(self, opt, rule, n):
        lr = opt._learning_rate
        device = opt._params[0].device
        if not isinstance(lr, torch.Tensor) or n > self.BLOCK:
            return step_scalars(opt, rule, n).to(device)
        calls = int(opt._iterations)
        key = (float(lr), opt.weight_decay, opt.use_ema, opt.ema_momentum, opt.ema_overwrite_frequency,
               getattr(opt, "beta_1", None), getattr(opt, "beta_2", None), device)
        start = calls - self.first
        if key != self.key or start < 0 or start + n > self.BLOCK:
            self.table = step_scalars(opt, rule, self.BLOCK).to(device)
            self.key, self.first, start = key, calls, 0
        out = self.out.get(n)
        if out is None or out.dtype != self.table.dtype or out.device != device:
            out = self.out[n] = torch.empty((n, self.table.shape[1]), dtype=self.table.dtype, device=device)
        return out.copy_(self.table[start:start + n])


def _clip(opt, grads):
    """Keras' gradient clipping, as `Optimizer._clip_gradients` computes it."""
    if opt.clipnorm and opt.clipnorm > 0:
        c = float(opt.clipnorm)
        return [g * c / torch.clamp_min(torch.linalg.vector_norm(g), c) for g in grads]
    if opt.global_clipnorm and opt.global_clipnorm > 0:
        c = float(opt.global_clipnorm)
        total = torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(g) for g in grads]))
        scale = torch.clamp_max(total.reciprocal(), 1.0 / c) * c + (total - total)
        return [g * scale for g in grads]
    if opt.clipvalue and opt.clipvalue > 0:
        v = float(opt.clipvalue)
        return [torch.clamp(g, -v, v) for g in grads]
    return grads


def apply_update(opt, rule, grads, indices, scalars):
    """One optimizer update in tensor math (`Optimizer._step_on` without accumulation/scaling):
    clipping, decoupled weight decay, the rule, EMA. The iteration counter is advanced by the
    caller, on the host."""
    params = [opt._params[i] for i in indices]
    grads = _clip(opt, grads)
    if opt.weight_decay is not None:
        for p, i in zip(params, indices):
            if opt._use_weight_decay[i]:
                p.mul_(scalars[_DECAY])
    rule[1](opt, grads, params, indices, scalars)
    if opt.use_ema:
        momentum = scalars[_EMA]
        for average, p in zip(opt._averages, opt._params):
            average.mul_(momentum).add_(p * (1 - momentum))
        if opt.ema_overwrite_frequency:
            overwrite = scalars[_OVERWRITE] > 0
            for average, p in zip(opt._averages, opt._params):
                p.copy_(torch.where(overwrite, average, p))


# ---------------------------------------------------------------------- the step


def unsupported_reason(model):
    """Why `model`'s training cannot run as one graph (a string), or `None` when it can."""
    from kerastorch import mixed_precision
    from kerastorch.trainer.step import _own
    from kerastorch.trainer.trainer import Trainer

    cls = type(model)
    for name in ("train_step", "compute_loss"):
        if name in model.__dict__ or not _own(cls, name, Trainer):
            return f"`{name}` is overridden"
    if mixed_precision.global_policy().autocast_dtype is not None:
        return f"the mixed precision policy {mixed_precision.global_policy().name!r} (autocast, loss scaling)"
    if active_distribution() is not None:
        return "a distribution is active"
    opt = model.optimizer
    if getattr(model, "_loss_scaler", None) is not None or getattr(model, "_loss_scaled", False):
        return "the optimizer scales the loss (loss_scale_factor or LossScaleOptimizer)"
    _, reason = _rule_for(opt)
    if reason is not None:
        return reason
    if opt.gradient_accumulation_steps:
        return "gradient_accumulation_steps is set"
    if not opt.built or not opt._params or not any(p.requires_grad for p in opt._params):
        return "the model has no trainable weights"
    if any(p.device != opt._params[0].device for p in opt._params):
        return "the weights are on several devices"
    return None


class WholeStep:
    """`fit`'s executions as one `torch.compile`d function (see the module docstring).

    Attributes:
        path: Which path the last execution took: `WHOLE_STEP` (the compiled function, or the
            same function eagerly for a first or smaller batch) or `PER_STEP` (the fall-back).
        reason: Why the fall-back runs (`None` while the whole step runs).
        compiled_calls: Calls of the compiled function (one per execution of equal batches).
        eager_calls: Executions of the same function run eagerly (the first execution, and the
            batches smaller than the first one).
    """

    def __init__(self, model, backend):
        self.model = model
        self.backend = backend
        self.path = None
        self.reason = None
        self.compiled_calls = 0
        self.eager_calls = 0
        self._batch_size = None
        self._checked = False
        self._rule = None
        self._training_kwargs = {"training": True}
        self._scalars = _ScalarRows()
        # Dynamo keeps its compiled graphs (and its recompile limit) per code object: each step
        # traces its own copy of `_steps`, so that the graphs of other models' steps neither
        # count against this one's limit nor stay alive after their model.
        steps = types.FunctionType(WholeStep._steps.__code__.replace(), globals(), "_steps",
                                   WholeStep._steps.__defaults__)
        try:
            self._compiled = torch.compile(types.MethodType(steps, self), backend=backend, fullgraph=True)
        except Exception as error:     # an unknown backend fails here (the per-step path warns)
            self._compiled = None
            self.reason = f"torch.compile failed: {type(error).__name__}: {error}"
            self._checked = True

    def __call__(self, batches):
        """Runs the execution `batches` (a list of `(x, y, sample_weight)`); returns False when it
        must take the per-step path instead (then nothing was run)."""
        if not self._checked:
            self.reason = unsupported_reason(self.model)
            self._checked = True
            if self.reason is None:
                from kerastorch.trainer.step import _call_takes_training

                self._rule, _ = _rule_for(self.model.optimizer)
                # As the eager step: `training=True` only for a model whose call takes `training`.
                self._training_kwargs = {"training": True} if _call_takes_training(self.model) else {}
        if self.reason is not None:
            self.path = PER_STEP
            return False
        opt = self.model.optimizer
        opt._maybe_move_state()
        self.path = WHOLE_STEP
        if self._batch_size is None:       # the first execution: eagerly, checking the targets
            self._run_eager(batches, check=True)
            self._batch_size = batch_size_of(batches[0][0])
            return True
        full = len(batches)
        while full and batch_size_of(batches[full - 1][0]) < self._batch_size:
            full -= 1
        if full:
            self._run_compiled(batches[:full])
        if full < len(batches):
            self._run_eager(batches[full:], check=False)
        return True

    def _run_eager(self, batches, check):
        self.eager_calls += 1
        self._steps(*_columns(batches), self._scalars(self.model.optimizer, self._rule, len(batches)),
                    check=check)
        self.model.optimizer._iterations += len(batches)
        self._count(batches)

    def _count(self, batches):
        tracker = self.model._loss_tracker
        tracker.count += sum(batch_size_of(b[0]) for b in batches)

    def _run_compiled(self, batches):
        xs, ys, sws = _columns(batches)
        opt = self.model.optimizer
        scalars = self._scalars(opt, self._rule, len(batches))
        # dynamo traces `torch.autograd.grad` (instead of stopping the graph there) only with this
        # option on; it matters only while tracing, but a call may trace (a recompile), so it is
        # on for every call (set and restored directly: `config.patch` costs 4x more per call).
        dynamo_config = torch._dynamo.config
        before = dynamo_config.trace_autograd_ops
        dynamo_config.trace_autograd_ops = True
        try:
            self._compiled(xs, ys, sws, scalars)
        except Exception as error:      # compiling fails with many exception types
            if self.compiled_calls:     # it ran before: an error of this batch, not of compiling
                raise
            self._fall_back(error)
            self._run_eager(batches, check=False)
            return
        finally:
            dynamo_config.trace_autograd_ops = before
        self.compiled_calls += 1
        opt._iterations += len(batches)
        self._count(batches)

    def _fall_back(self, error):
        first_line = str(error).splitlines()[0] if str(error) else ""
        self.reason = f"torch.compile failed: {type(error).__name__}: {first_line}"
        warnings.warn(
            f"jit_compile: the whole training step could not be compiled ({self.reason}). Training "
            "continues with the forward and loss compiled and the optimizer step eager.", stacklevel=5)

    def _steps(self, xs, ys, sws, scalars, check=False):
        """`len(xs)` training steps (traced as one graph by `torch.compile`, or run eagerly)."""
        model = self.model
        opt = model.optimizer
        rule = self._rule
        done = []
        for k in range(len(xs)):
            x, y, sw = xs[k], ys[k], sws[k]
            y_pred = model._train_forward(x, **self._training_kwargs)
            if check and not model._targets_checked:
                model._check_targets_once(y, y_pred.detach() if isinstance(y_pred, torch.Tensor) else y_pred)
            loss = model.compute_loss(x, y, y_pred, sw, training=True)
            indices = [i for i, p in enumerate(opt._params) if p.requires_grad]
            grads = torch.autograd.grad(loss, [opt._params[i] for i in indices], allow_unused=True)
            with torch.no_grad():
                used = [(i, g) for i, g in zip(indices, grads) if g is not None]
                apply_update(opt, rule, [g for _, g in used], [i for i, _ in used], scalars[k])
                for layer in model._constrained_layers:
                    layer._apply_constraints()
            done.append((loss.detach(), x, y, _detached(y_pred), sw))
        # The loss tracker and the metrics after the N updates, in step order (the same sums as
        # step by step): a metric's state dict changing mid-graph would stop dynamo at the next
        # layer call (it reads the layer class' __dict__, a mappingproxy).
        # The loss tracker's total is summed here, its (Python int) count outside (`_count`):
        # a Python number the graph changed would make dynamo compile again at every call.
        tracker = model._loss_tracker
        if tracker.total is None:          # Keras' Mean tracker has dtype floatx()
            tracker.total = torch.zeros((), dtype=getattr(torch, config.floatx()), device=done[0][0].device)
        with torch.no_grad():
            for loss, x, y, y_pred, sw in done:
                tracker.total.add_(loss.to(tracker.total.dtype), alpha=batch_size_of(x))
                if model._compile_metrics:
                    model._update_metrics(y, y_pred, sw)
        tracker.last = done[-1][0]


def _columns(batches):
    return (tuple(b[0] for b in batches), tuple(b[1] for b in batches), tuple(b[2] for b in batches))


def _detached(y_pred):
    if isinstance(y_pred, torch.Tensor):
        return y_pred.detach()
    from kerastorch.ops import _tree as tree

    return tree.map_structure(lambda t: t.detach() if isinstance(t, torch.Tensor) else t, y_pred)
