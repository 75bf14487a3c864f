"""`predict`'s and `evaluate`'s lean path for their most common call, repeated: arrays (or tensors) the
model takes as they are, no callbacks, no progress bar, one step per execution.

The general path (data adapter, build and device checks, step-function choice, callbacks, output sink)
costs about 0.1 ms per call, which is most of the time of a small model on a small input. After a
general call that this path could have served, `remember_*` keeps what that call established (the
inputs' sample shapes and dtypes, the device, the model's layers, for predict the forward it ran); the
next call with data of the same kind (`predict`/`evaluate`) checks that none of it changed — the layers,
torch hooks (on any module, or global), the device, the dtype policy, `jit_compile`, the compiled loss
and metrics, the steps — and runs the batches as a hand-written loop does: predict into one
preallocated output, evaluate through `test_step` on slices of the data. Anything else takes the
general path.

A model whose batches run through step functions — `jit_compile` (the `torch.compile`d predict and test
steps) or a mixed precision policy (the steps under autocast) — takes it too: its predict runs the very
step function the general call ran per batch (the same compiled graphs, called in eval mode as the
general path calls them), its evaluate `test_step`; the step functions themselves are among what is
checked (the same ones, not set up anew since).
"""

import numpy as np
import torch
from torch.nn.modules import module as _torch_module

from kerastorch import _config_flags, config, mixed_precision
from kerastorch import distribution as _distribution
from kerastorch.layers import call_context
from kerastorch.trainer import lean_evaluate
from kerastorch.trainer.loops import _own_step

# torch's global module hooks (registered into these dicts in place): any of them sends a call to the
# general path, as a hook on one of the model's modules does.
_GLOBAL_HOOKS = (_torch_module._global_forward_hooks, _torch_module._global_forward_pre_hooks,
                 _torch_module._global_backward_hooks, _torch_module._global_backward_pre_hooks)


class _Remembered:
    __slots__ = ("what", "shapes", "dtypes", "device", "config_device", "forward", "into", "module_ids", "hooks",
                 "stack", "param", "policy", "floatx", "jit", "switch_mode", "compiled_with", "logits", "step_fns",
                 "nested")

    def __reduce__(self):
        return _forgotten, ()     # a pickled or deep-copied model starts on the general path


def _forgotten():
    return None


def _as_tensor(x):
    """`x` as a tensor without a copy, or None for anything but one plain array or tensor."""
    if type(x) is np.ndarray:
        if x.dtype.kind not in "fiub" or x.dtype.byteorder == ">" or x.ndim < 1 or not x.shape[0] \
                or not x.flags.c_contiguous:
            return None
        return torch.from_numpy(x)
    if type(x) is torch.Tensor and x.dim() >= 1 and x.shape[0] and not x.requires_grad:
        return x
    return None


def _lean_kind(model, verbose, steps, callbacks):
    """Whether a call with these options is of the kind the lean path serves: verbose=0, no callbacks or
    `steps`, no step cap, one step per execution, no distribution."""
    return not (callbacks or steps is not None or verbose != 0 or _config_flags._MAX_STEPS_PER_EPOCH is not None
                or getattr(model, "steps_per_execution", 1) != 1 or _distribution.active() is not None)


def _tensors(model, data, verbose, steps, callbacks):
    """The data as tensors when this call is of the kind the lean path serves, else None."""
    if not _lean_kind(model, verbose, steps, callbacks):
        return None
    tensors = [_as_tensor(d) for d in data]
    if any(t is None for t in tensors) or len({t.shape[0] for t in tensors}) != 1:
        return None
    return tensors


def _hooked():
    """Whether any of torch's global module hooks is registered."""
    return any(_GLOBAL_HOOKS)


def _compiled_with(model):
    return (id(model.optimizer), id(model._loss_fn), tuple(map(id, model._compile_metrics or ())),
            model._loss_weight, model._output_slots is None)


def _served(model, kept, what, data, verbose, steps, callbacks):
    """`data` as tensors when the lean path serves this call (of the kind `what` remembered, nothing
    it established changed since), else None: checked in one pass, the cheapest first (a call's fixed
    cost is most of a small model's time on a small set)."""
    if (kept is None or kept.what != what or call_context._CALL_STATE.depth or model._step_fns is not kept.step_fns
            or any(kept.hooks) or _hooked() or not _lean_kind(model, verbose, steps, callbacks)):
        return None
    tensors = []
    for d, shape, dtype in zip(data, kept.shapes, kept.dtypes):
        t = _as_tensor(d)
        if t is None or t.shape[1:] != shape or t.dtype is not dtype or t.device != kept.device:
            return None
        tensors.append(t)
    step = "predict_step" if what == "predict" else "test_step"
    holders = call_context._LOSS_HOLDERS     # layers holding add_loss values (another model's do not matter)
    if (len(tensors) != len(data) or (len(tensors) > 1 and tensors[0].shape[0] != tensors[1].shape[0])
            or mixed_precision._GLOBAL is not kept.policy or config._FLOATX != kept.floatx
            or getattr(model, "_jit_compile", None) != kept.jit or kept.param.device != kept.device
            or config.get_device() != kept.config_device
            or (kept.stack is not None and model._stack != kept.stack)
            or not _own_step(model, step) or (what == "evaluate" and _compiled_with(model) != kept.compiled_with)
            or (holders and not holders.keys().isdisjoint(kept.module_ids))):
        return None
    return tensors


def _remember(model, what, tensors, resident):
    """Keeps what the lean path checks, when the general call ran on these very tensors (unconverted)."""
    from kerastorch.layers import base
    from kerastorch.models.functional import Functional
    from kerastorch.models.sequential import Sequential
    from kerastorch.trainer.runtime import DirectCall

    model.__dict__.pop(f"_kt_fast_{what}", None)
    step = "predict_step" if what == "predict" else "test_step"
    if (tensors is None or resident is None or not _own_step(model, step)
            or _hooked() or len(resident) != len(tensors)
            or any(r is None or r.shape != t.shape or r.dtype is not t.dtype or r.device != t.device
                   for r, t in zip(resident, tensors))):
        return        # the general path converted the data (rank, dtype, device): keep taking it
    forward = model._predict_forward
    stepped = model._step_fns is not None
    if stepped:
        # jit_compile or a mixed precision policy: the general path ran each batch through the step
        # function (`torch.compile`d, or under autocast), the model called as a module in eval mode;
        # the lean path runs the very same function.
        if forward is not model._step_fns.get("predict"):
            return
        stack = list(model._stack) if isinstance(model, Sequential) else None
        batch_forward, into = forward, None
    elif not (isinstance(getattr(forward, "__self__", None), DirectCall) and forward.__self__.model is model):
        return        # not the direct forward of a Sequential or Functional model (see step.py)
    # The forward of one batch, as the model's forward would run it on these inputs (their sample
    # shape and dtype, checked at each call, are those the general call ran without converting them).
    elif isinstance(model, Sequential):
        if type(model).call is not Sequential.call or model._uses_masks:
            return
        stack = list(model._stack)
        t = tensors[0]
        calls = lean_evaluate.flat_stack(model._stack, t.dtype) if t.is_floating_point() else None
        batch_forward = (lambda xb: model._run_direct(model._stack, xb, False)) if calls is None \
            else lean_evaluate.chain(calls)                                     # noqa: E731
        into = _activation_into(model, calls)
    elif isinstance(model, Functional):
        stack, into = None, None
        plan = model._plan
        if model._single_input and model._single_output:
            batch_forward = lambda xb: plan.run([xb], False)[0]                   # noqa: E731
        else:
            batch_forward = forward
    else:
        return
    params = list(model.parameters())
    if not params:
        return
    modules = list(model.modules())
    if base._LOSS_HOLDERS and any(id(m) in base._LOSS_HOLDERS for m in modules):
        return        # its layers add losses (add_loss): each call clears them first, as the general path does
    kept = _Remembered()
    kept.what = what
    kept.shapes = [t.shape[1:] for t in tensors]
    kept.dtypes = [t.dtype for t in tensors]
    kept.device, kept.config_device = tensors[0].device, config.get_device()
    kept.forward, kept.into = batch_forward, into
    kept.module_ids = {id(m) for m in modules}
    # The hook dicts of every module (torch registers hooks into them in place).
    kept.hooks = [d for m in modules for d in (m._forward_hooks, m._forward_pre_hooks, m._backward_hooks,
                                              m._backward_pre_hooks)]
    kept.stack, kept.param = stack, params[0]
    kept.policy, kept.floatx = mixed_precision._GLOBAL, config.floatx()     # the global policy's inputs
    kept.jit = getattr(model, "_jit_compile", None)
    kept.compiled_with = _compiled_with(model) if what == "evaluate" else None
    kept.logits = None       # evaluate's logits forward, made at its first lean call
    kept.step_fns = model._step_fns
    # The step function calls the model as a module (a top-level call), in eval mode as the general
    # path calls it (a compiled graph is guarded on the modules' mode); the direct forwards run as
    # inside the model's own call.
    kept.nested = not stepped
    # Every module one of kerastorch's own layers, called with training=False by the forward (and
    # passing it on to its sublayers): the modules' train/eval mode changes nothing, so it is not
    # switched (Layer.forward reads the mode only when not told).
    kept.switch_mode = stepped or any(_may_read_mode(m) for m in modules)
    model.__dict__[f"_kt_fast_{what}"] = kept


def _may_read_mode(module):
    """Whether `module` may read its torch train/eval mode in a call told training=False: a torch
    module (one a TorchModuleWrapper holds, say), or a layer class written outside kerastorch."""
    from kerastorch.layers import base

    cls = type(module)
    return (not isinstance(module, base.Layer) or isinstance(module, base.TorchModuleWrapper)
            or not cls.__module__.startswith("kerastorch."))


def _activation_into(model, calls):
    """`(logits, activation, last layer, its activation)` for a Sequential of plain layers ending in a
    Dense layer whose softmax or sigmoid can write into predict's output (`activation(z, out=...)`, as
    a hand loop writes it), or None.

    The same kernels as the layer's own activation: `ops.sigmoid` is `torch.sigmoid`, `ops.softmax`
    over the last axis of float32/float64 logits with more than one class is `torch.softmax`.
    """
    from kerastorch import activations
    from kerastorch.layers.core import Dense

    last = model._stack[-1] if model._stack else None
    if calls is None or type(last) is not Dense or last.dtype not in ("float32", "float64"):
        return None
    if last.activation is activations.sigmoid:
        act = torch.sigmoid
    elif last.activation is activations.softmax and last.units > 1:
        def act(z, out):
            return torch.softmax(z, -1, out=out)
    else:
        return None
    return lean_evaluate.chain(calls[:-1] + [last._call_without_activation]), act, last, last.activation


def _in_inference(model, kept, run, nested, *args):
    """`run(*args)` in eval mode unless no layer reads it; `nested`: as inside the model's own call with
    training=False (for predict's batches, which run the model's stack or plan themselves): a nested
    call (the layers' own calls are not top-level ones) whose call context is inference."""
    state = call_context._CALL_STATE
    outer_depth, outer_training = state.depth, state.training
    was_training = model.training
    if kept.switch_mode:
        from kerastorch.trainer.loops import _inference_mode_on

        was_training = _inference_mode_on(model)
    if nested:
        state.depth, state.training = 1, call_context._EXPLICIT[False]
    try:
        return run(*args)
    finally:
        state.depth, state.training = outer_depth, outer_training
        if kept.switch_mode and was_training:
            model.train()


# --------------------------------------------------------------------------- predict
def run(model, x, batch_size, verbose, steps, callbacks):
    """`predict`'s result by the lean path, or None when the general path must run."""
    kept = model.__dict__.get("_kt_fast_predict")
    tensors = _served(model, kept, "predict", (x,), verbose, steps, callbacks)
    if tensors is None:
        return None
    return _in_inference(model, kept, _predict if kept.into is None else _predict_into, kept.nested,
                         kept, tensors[0], batch_size)


def _predict_into(kept, t, batch_size):
    """The batches' logits, their activation written into the output (as a hand loop writes it)."""
    logits, act, last, activation = kept.into
    if last.activation is not activation:
        return None          # the activation was changed since: the general path sees it
    n = t.shape[0]
    with torch.inference_mode():
        first = logits(t[:batch_size])
        if type(first) is not torch.Tensor or first.shape[0] != min(batch_size, n):
            return None
        out = torch.empty((n, *first.shape[1:]), dtype=first.dtype)
        act(first, out=out[:first.shape[0]])
        for start in range(batch_size, n, batch_size):
            act(logits(t[start:start + batch_size]), out=out[start:start + batch_size])
    return out.numpy()


def _predict(kept, t, batch_size):
    """The batches' outputs, copied into the output."""
    forward, n = kept.forward, t.shape[0]
    with torch.inference_mode():
        first = forward(t[:batch_size])
        if type(first) is not torch.Tensor or first.shape[0] != min(batch_size, n):
            return None
        out = torch.empty((n, *first.shape[1:]), dtype=first.dtype)
        out[:first.shape[0]].copy_(first)
        for start in range(batch_size, n, batch_size):
            out[start:start + batch_size].copy_(forward(t[start:start + batch_size]))
    return out.numpy()


def remember(model, x, batch_size, verbose, steps, callbacks, batches, result):
    """After a general `predict` call: keeps what the lean path needs when it could serve the next one."""
    from kerastorch.trainer.loops import _resident_inputs

    if not isinstance(result, np.ndarray):
        model.__dict__.pop("_kt_fast_predict", None)
        return
    resident = _resident_inputs(batches)
    _remember(model, "predict", _tensors(model, [x], verbose, steps, callbacks),
              None if resident is None else [resident])


# --------------------------------------------------------------------------- evaluate
def evaluate(model, x, y, batch_size, verbose, sample_weight, steps, callbacks):
    """`evaluate`'s logs (a dict) by the lean path, or None when the general path must run."""
    kept = model.__dict__.get("_kt_fast_evaluate")
    if sample_weight is not None:
        return None
    tensors = _served(model, kept, "evaluate", (x, y), verbose, steps, callbacks)
    if tensors is None:
        return None
    xt, yt = tensors
    n = xt.shape[0]
    object.__setattr__(model, "_targets_checked", False)   # new data: check these targets, as the general path does
    model._check_targets_upfront(yt)

    def loop():
        model._reset_metrics()
        with torch.no_grad():
            if kept.logits is None or kept.logits[0] is not xt.dtype or kept.logits[1] != xt.dim():
                kept.logits = (xt.dtype, xt.dim(), lean_evaluate.logits_forward(model, xt))
            forward = kept.logits[2]
            if forward is None or not lean_evaluate.fused_loop(model, forward, xt, yt, batch_size):
                test_step = model.test_step
                for start in range(0, n, batch_size):
                    test_step((xt[start:start + batch_size], yt[start:start + batch_size]))
        return model._read_logs()
    return _in_inference(model, kept, loop, nested=False)   # test_step calls the model itself


def remember_evaluate(model, x, y, batch_size, verbose, sample_weight, steps, callbacks, batches):
    """After a general `evaluate` call: keeps what the lean path needs when it could serve the next one."""
    from kerastorch.trainer import data_adapters

    resident = getattr(batches, "_resident", None)
    if (sample_weight is not None or not isinstance(batches, data_adapters.ArrayDataAdapter) or batches.shuffle
            or batches.shard is not None or not batches._simple or not _evaluate_loop_is_own(model)
            or len(resident) < 2 or any(t is not None for t in resident[2:])):
        model.__dict__.pop("_kt_fast_evaluate", None)
        return
    _remember(model, "evaluate", _tensors(model, [x, y], verbose, steps, callbacks), list(resident[:2]))


def _evaluate_loop_is_own(model):
    from kerastorch.trainer.loops import LoopsMixin
    from kerastorch.trainer.trainer import Trainer

    return (type(model)._evaluate_loop is LoopsMixin._evaluate_loop and type(model).reset_metrics is Trainer.reset_metrics
            and "_evaluate_loop" not in model.__dict__)
