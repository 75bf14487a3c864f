"""`predict`'s lean path for its most common call, repeated: one array (or tensor) the model takes as it
is, no callbacks, no progress bar, eager steps, one output.

The general path (data adapter, build and device checks, step-function choice, callbacks, output sink)
costs about 0.1 ms per call, which is most of the time of a small model on a small input. After a
general `predict` call that this path could have served, `remember` keeps what that call established
(the forward it ran, the input's sample shape and dtype, the device, the model's layers); the next call
with an input of the same kind (`run`) checks that none of it changed — the layers, torch hooks (on any
module, or global), the device, the dtype policy, `jit_compile` — and runs the batches straight into one
preallocated output, as a hand-written loop does. Anything else takes the general path.
"""

import numpy as np
import torch
from torch.nn.modules import module as _torch_module

from kerastorch import config


class _Remembered:
    __slots__ = ("sample_shape", "dtype", "device", "config_device", "forward", "modules", "stack", "param",
                 "policy", "jit", "switch_mode")

    def __reduce__(self):
        return _forgotten, ()     # a pickled or deep-copied model starts on the general path


def _forgotten():
    return None


def _eligible(model, x, batch_size, verbose, steps, callbacks):
    """The input as a tensor when this call is of the kind the lean path serves, else None."""
    from kerastorch.trainer.runtime import active_distribution

    if callbacks or steps is not None or verbose != 0 or config.max_steps_per_epoch():
        return None
    if type(x) is np.ndarray:
        if (x.dtype.kind not in "fiub" or x.dtype.byteorder == ">" or x.ndim < 1 or not x.shape[0]
                or not x.flags.c_contiguous):
            return None
        t = torch.from_numpy(x)
    elif type(x) is torch.Tensor:
        if x.dim() < 1 or not x.shape[0] or x.requires_grad:
            return None
        t = x
    else:
        return None
    if active_distribution() is not None or getattr(model, "steps_per_execution", 1) != 1:
        return None
    return t


def _hooked():
    return (_torch_module._global_forward_hooks or _torch_module._global_forward_pre_hooks
            or _torch_module._global_backward_hooks or _torch_module._global_backward_pre_hooks)


def run(model, x, batch_size, verbose, steps, callbacks):
    """`predict`'s result by the lean path, or None when the general path must run."""
    from kerastorch import mixed_precision
    from kerastorch.layers import base

    kept = model.__dict__.get("_kt_fast_predict")
    if kept is None:
        return None
    t = _eligible(model, x, batch_size, verbose, steps, callbacks)
    if (t is None or t.shape[1:] != kept.sample_shape or t.dtype is not kept.dtype or t.device != kept.device
            or _hooked()
            or base._LOSS_HOLDERS or kept.param.device != kept.device
            or getattr(model, "_jit_compile", None) != kept.jit
            or mixed_precision.global_policy().name != kept.policy
            or config.get_device() != kept.config_device):
        return None
    if kept.stack is not None and tuple(map(id, model._stack)) != kept.stack:
        return None
    if "predict_step" in model.__dict__:       # set on the instance since
        return None
    for m in kept.modules:
        if m._forward_hooks or m._forward_pre_hooks or m._backward_hooks or m._backward_pre_hooks:
            return None
    forward, n = kept.forward, t.shape[0]
    was_training = model.training
    if kept.switch_mode:
        from kerastorch.trainer.loops import _inference_mode_on

        was_training = _inference_mode_on(model)
    try:
        with torch.inference_mode():
            first = forward(t[:batch_size])
            if type(first) is not torch.Tensor or first.shape[0] != min(batch_size, n):
                return None
            out = torch.empty((n, *first.shape[1:]), dtype=first.dtype)
            out[:first.shape[0]].copy_(first)
            for start in range(batch_size, n, batch_size):
                out[start:start + batch_size].copy_(forward(t[start:start + batch_size]))
    finally:
        if kept.switch_mode and was_training:
            model.train()
    return out.numpy()


def remember(model, x, batch_size, verbose, steps, callbacks, batches, result):
    """After a general `predict` call: keeps what the lean path needs when it could serve the next one."""
    from kerastorch import mixed_precision
    from kerastorch.layers import base
    from kerastorch.models.functional import Functional
    from kerastorch.models.sequential import Sequential
    from kerastorch.trainer.loops import _own_step, _resident_inputs
    from kerastorch.trainer.runtime import DirectCall

    model.__dict__.pop("_kt_fast_predict", None)
    t = _eligible(model, x, batch_size, verbose, steps, callbacks)
    if (t is None or not isinstance(result, np.ndarray) or model._step_fns is not None
            or not _own_step(model, "predict_step") or _hooked()):
        return
    resident = _resident_inputs(batches)
    if resident is None or resident.shape != t.shape or resident.dtype is not t.dtype or resident.device != t.device:
        return        # the general path converted the input (rank, dtype, device): keep taking it
    forward = model._predict_forward
    if not (isinstance(getattr(forward, "__self__", None), DirectCall) and forward.__self__.model is model):
        return        # not the direct forward of a Sequential or Functional model (see step.py)
    if isinstance(model, Sequential):
        if type(model).call is not Sequential.call:
            return
        stack = tuple(map(id, model._stack))
    elif isinstance(model, Functional):
        stack = None
    else:
        return
    params = list(model.parameters())
    if not params:
        return
    modules = list(model.modules())
    kept = _Remembered()
    kept.sample_shape, kept.dtype, kept.device = t.shape[1:], t.dtype, t.device
    kept.config_device = config.get_device()
    kept.forward, kept.modules, kept.stack, kept.param = forward, modules, stack, params[0]
    kept.policy = mixed_precision.global_policy().name
    kept.jit = getattr(model, "_jit_compile", None)
    # Every layer a plain leaf, called with training=False by the forward: the modules' train/eval mode
    # changes nothing, so it is not switched (Layer.forward reads `self.training` only when not told).
    kept.switch_mode = any(base.plain_call(m) is None or next(m.children(), None) is not None
                           for m in modules[1:]) or not isinstance(modules[0], base.Layer)
    model.__dict__["_kt_fast_predict"] = kept
