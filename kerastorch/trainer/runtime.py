"""What the training loops need around the steps: step groups (steps_per_execution), torch.compile
with an eager fall-back, Ctrl-C handling, Keras' caps on epochs and steps, NaN checks, the active
distribution, and the batch tuple Keras hands to `train_step`."""

import signal
import threading
import warnings

import numpy as np
import torch

from kerastorch import config
from kerastorch.ops import _tree as tree


def scales_loss_itself(optimizer):
    """Whether the optimizer scales the loss and unscales the gradients (a LossScaleOptimizer)."""
    from kerastorch.optimizers import LossScaleOptimizer

    return isinstance(optimizer, LossScaleOptimizer)


class CompiledOrEager:
    """A step function run through `torch.compile`, falling back to eager (with a warning) if compiling fails."""

    def __init__(self, fn, backend):
        self.eager = fn
        self.backend = backend
        self.failed = False
        try:
            self.compiled = torch.compile(fn, backend=backend)
        except Exception as e:   # an unknown backend fails here, others at the first call
            self._fall_back(e)

    def _fall_back(self, error):
        self.failed = True
        first_line = str(error).splitlines()[0] if str(error) else ""
        warnings.warn(
            f"jit_compile: torch.compile (backend {self.backend!r}) failed with "
            f"{type(error).__name__}: {first_line}. Training continues eagerly; "
            "compile(jit_compile=False) silences this.", stacklevel=4)

    def __call__(self, *args):
        if not self.failed:
            try:
                return self.compiled(*args)
            except Exception as e:   # compilation problems surface as many exception types
                self._fall_back(e)
        return self.eager(*args)


def executions(batches, n):
    """Groups `batches` into executions of `n` (Keras' steps_per_execution).

    Yields `(first_step, last_step, [batches])`; the last group may be shorter. With `n == 1`
    every batch is its own execution.
    """
    if n == 1:
        for step, batch in enumerate(batches):
            yield step, step, (batch,)
        return
    group, first = [], 0
    for step, batch in enumerate(batches):
        group.append(batch)
        if len(group) == n:
            yield first, step, group
            group, first = [], step + 1
    if group:
        yield first, first + len(group) - 1, group


class GracefulInterrupt:
    """During fit, Ctrl-C asks training to stop after the current batch (a second Ctrl-C stops at once).

    Only Python's own Ctrl-C handler is replaced: a process that ignores SIGINT (started with
    `trap '' INT`, or `nohup`) keeps ignoring it, and a handler the user installed stays in charge.
    """

    def __init__(self):
        self.requested = False
        self._previous = None
        if (threading.current_thread() is threading.main_thread()
                and signal.getsignal(signal.SIGINT) is signal.default_int_handler):
            self._previous = signal.signal(signal.SIGINT, self._handle)

    def _handle(self, signum, frame):
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True

    def restore(self):
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)
            self._previous = None


def capped_epochs(epochs):
    """`epochs`, lowered to `kerastorch.config.max_epochs()` when that is set and smaller (as Keras)."""
    cap = config.max_epochs()
    if cap and cap < epochs:
        warnings.warn(f"Limiting epochs to {cap} (kerastorch.config.max_epochs()).", stacklevel=3)
        return cap
    return epochs


def capped_steps(steps):
    """Batches per epoch, capped by `kerastorch.config.max_steps_per_epoch()` as Keras' EpochIterator does."""
    cap = config.max_steps_per_epoch()
    if cap and (not steps or cap < steps):
        warnings.warn(f"Limiting steps_per_epoch to {cap} (kerastorch.config.max_steps_per_epoch()).",
                      stacklevel=4)
        return cap
    return steps


def check_finite_batch(batch, epoch, step):
    """Refuses a batch holding NaN or infinite values (`kerastorch.config.enable_nan_checks()`)."""
    for name, value in zip(("x", "y", "sample_weight"), batch):
        for tensor in ([value] if isinstance(value, torch.Tensor) else tree.flatten(value)):
            if (isinstance(tensor, torch.Tensor) and tensor.is_floating_point()
                    and not bool(torch.isfinite(tensor).all())):
                bad = int((~torch.isfinite(tensor)).sum())
                raise ValueError(
                    f"The {name} of batch {step} (epoch {epoch + 1}, step {step + 1}) holds {bad} NaN or "
                    f"infinite value(s), shape {tuple(tensor.shape)}. Clean the data (e.g. "
                    "np.nan_to_num, or drop those samples) before training."
                )


def batch_size_of(x):
    """The number of samples in a batch of inputs (a tensor, or the first tensor of a structure)."""
    if isinstance(x, torch.Tensor):
        return x.shape[0]
    if type(x) in (list, tuple) and x and type(x[0]) is torch.Tensor and x[0].dim():
        return x[0].shape[0]
    for leaf in tree.flatten(x):
        if hasattr(leaf, "shape") and len(leaf.shape):
            return leaf.shape[0]
    return 1


def active_distribution():
    """The active `kerastorch.distribution` (set explicitly, or detected from torchrun), or None."""
    from kerastorch import distribution

    return distribution.active()


def chief_verbose(verbose):
    """Only the chief process (rank 0) prints progress under a distribution."""
    dist = active_distribution()
    return verbose if dist is None or dist.is_chief() else 0


def unpack_x_y_sample_weight(data):
    """Splits a batch `(x,)`, `(x, y)`, `(x, y, sample_weight)` or `x` into three (missing ones `None`)."""
    if isinstance(data, (tuple, list)):
        if len(data) == 1:
            return data[0], None, None
        if len(data) == 2:
            return data[0], data[1], None
        return data[0], data[1], data[2]
    return data, None, None


def as_keras_batch(batch):
    """(x, y, sw) with Nones -> what Keras hands to `train_step` (its `pack_x_y_sample_weight`):
    `x` itself when there are no targets (`(x,)` when x is a list or tuple), `(x, y)`, or
    `(x, y, sw)`."""
    x, y, sw = batch
    if sw is not None:
        return batch
    if y is None:
        return (x,) if isinstance(x, (list, tuple)) else x
    return (x, y)


def check_batch_size(batch_size, arg):
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise ValueError(f"`{arg}` must be a positive integer, got {arg}={batch_size!r}.")


def direct_model_call(model):
    """`model(x, training=..., return_logits=...)` for the training step, without the module-call
    machinery when nothing needs it (a `DirectCall`), or `model` itself.

    For a built Sequential or Functional model with their own `__call__`/`forward`, not compiled
    with `nn.Module.compile`.
    """
    from kerastorch.layers import base
    from kerastorch.models.functional import Functional
    from kerastorch.models.sequential import Sequential

    cls = type(model)
    if (cls.__call__ is not base.Layer.__call__ or model._compiled_call_impl is not None or not model.built
            or not ((isinstance(model, Functional) and cls.forward is Functional.forward)
                    or (isinstance(model, Sequential) and cls.forward is Sequential.forward))):
        return model
    return DirectCall(model)


class DirectCall:
    """Calls a model's `forward` directly, as the top-level `Layer.__call__` does, unless (checked
    at each call) torch hooks are registered on the model or globally, or the inputs are not a
    tensor or a list: then it calls `model(...)` itself.
    A plain object holding the model, so that a model holding it still pickles and deep-copies."""

    __slots__ = ("model",)

    def __init__(self, model):
        self.model = model

    def __call__(self, x, training=None, return_logits=False):
        from torch.nn.modules import module as torch_module

        from kerastorch.layers import base

        model, state = self.model, base._CALL_STATE
        if (state.depth or (type(x) is not torch.Tensor and type(x) is not list)
                or model._forward_hooks or model._forward_pre_hooks or model._backward_hooks
                or model._backward_pre_hooks or torch_module._global_forward_hooks
                or torch_module._global_forward_pre_hooks or torch_module._global_backward_hooks
                or torch_module._global_backward_pre_hooks):
            return model(x, training=training, return_logits=return_logits)
        # As the model's `Layer.__call__` would: the losses its layers added in the previous call go
        # first; a nested call, and `training` the call context of the layers the forward runs (a
        # sublayer called without `training` inherits it, as in Keras).
        if base._LOSS_HOLDERS and state.collect:
            base._clear_losses_below(model)
        outer = state.training
        if training is not None:
            state.training = base._EXPLICIT[bool(training)]
        state.depth = 1
        try:
            return model.forward(x, training=training, return_logits=return_logits)
        finally:
            state.depth = 0
            state.training = outer

    def inference(self, x):
        """The model's output for `x` in inference (predict's forward)."""
        return self(x, training=False)
