"""The loops of `fit`, `evaluate` and `predict`: epochs, executions of `steps_per_execution` steps,
callbacks' hooks, logs, and predict's preallocated outputs."""

import warnings

import numpy as np
import torch

from kerastorch import config
from kerastorch.callbacks.callback import CallbackList
from kerastorch.callbacks.progbar_logger import ProgbarLogger
from kerastorch.ops import _tree as tree
from kerastorch.trainer import compile_utils, data_adapters
from kerastorch.trainer.runtime import (GracefulInterrupt, active_distribution, as_keras_batch, check_finite_batch,
                                        executions)


class LoopsMixin:
    """The loops of `Trainer` (see the module docstring)."""

    def _fit_loop(self, train_batches, val_batches, cbs, epochs, initial_epoch, validation_freq):
        interrupt = GracefulInterrupt()
        was_training = self.training
        try:
            return self._run_epochs(train_batches, val_batches, cbs, epochs, initial_epoch,
                                    validation_freq, interrupt)
        finally:
            interrupt.restore()
            self.train(was_training)     # the mode the model had before fit (train()/eval())

    def _check_finite_loss(self, step_logs, epoch, step):
        value = self._loss_tracker.last if step_logs is None else next(iter(step_logs.values()), None)
        if value is not None and not bool(torch.isfinite(torch.as_tensor(value)).all()):
            raise FloatingPointError(
                f"The loss became {float(value)} at epoch {epoch + 1}, step {step + 1} (batch index {step}). "
                "Common causes: a learning rate too high, log of 0 in a custom loss, or bad values in "
                "the data. Lower the learning rate, clip gradients (optimizer clipnorm=1.0), or check "
                "the data of that batch."
            )

    def _run_epochs(self, train_batches, val_batches, cbs, epochs, initial_epoch, validation_freq, interrupt):
        self.stop_training = False
        listeners = cbs.batch_listeners("train", "batch_end")
        begin_listeners = cbs.batch_listeners("train", "batch_begin")
        lazy = [cb for cb in listeners if isinstance(cb, ProgbarLogger)]
        eager = [cb for cb in listeners if not isinstance(cb, ProgbarLogger)]
        val_cbs = CallbackList([cb for cb in cbs.callbacks if not isinstance(cb, ProgbarLogger)], model=self,
                               verbose=0, epochs=1, steps=len(val_batches) if val_batches else None)
        for cb in cbs.callbacks:   # val_cbs gave them its own params: callbacks read fit's, as in Keras
            cb.set_params(cbs.params)
        logs = {}
        self._initial_epoch = None
        nan_checks = config.nan_checks_enabled()
        cbs.on_train_begin()
        # A callback that restores a run (BackupAndRestore) sets model._initial_epoch.
        if isinstance(self._initial_epoch, int):
            initial_epoch = self._initial_epoch
        self._initial_epoch = None
        epoch = initial_epoch
        for epoch in range(initial_epoch, epochs):
            self._reset_metrics()
            self.train()
            cbs.on_epoch_begin(epoch)
            train_batches.on_epoch_begin(epoch)
            step_logs = None
            ran = False
            for first, step, group in executions(train_batches, getattr(self, "steps_per_execution", 1)):
                ran = True
                if begin_listeners:
                    begin_logs = {}      # Keras passes an empty dict, by keyword
                    for cb in begin_listeners:
                        cb.on_train_batch_begin(first, logs=begin_logs)
                step_logs = self._train_function(group, epoch, first, nan_checks)
                if eager:
                    batch_logs = self._logs_from_step(step_logs)
                    for cb in eager:
                        cb.on_train_batch_end(step, logs=batch_logs)
                for cb in lazy:
                    cb.on_train_batch_end(step, lambda sl=step_logs: self._logs_from_step(sl))
                if self.stop_training or interrupt.requested:
                    break
            if interrupt.requested:
                print(f"\nTraining interrupted (KeyboardInterrupt) during epoch {epoch + 1}, after batch "
                      f"{step + 1}. The model keeps the weights of that step; fit() returns the History "
                      "of the completed epochs.")
                break
            if not ran:
                warnings.warn(
                    f"Your input ran out of data at epoch {epoch + 1}: the generator or iterator "
                    "yielded no batch. Training stopped. Pass steps_per_epoch=... with a generator "
                    "that yields steps_per_epoch * epochs batches, or use a DataLoader/PyDataset, "
                    "which restart every epoch.", stacklevel=2)
                break
            logs = self._epoch_logs(step_logs)
            if val_batches is not None and compile_utils.should_validate(epoch, validation_freq):
                val_logs = self._evaluate_loop(val_batches, val_cbs)
                logs.update({"val_" + k: v for k, v in val_logs.items()})
                logs = dict(sorted(logs.items()))
            cbs.on_epoch_end(epoch, logs)
            if self.stop_training:
                break
        if hasattr(self.optimizer, "finalize_variable_values"):
            # Keras swaps the averaged weights in when training ends (a no-op without EMA).
            self.optimizer.finalize_variable_values([p for p in self.parameters() if p.requires_grad])
        watching = any(type(cb).__name__ == "TerminateOnNaN" for cb in cbs.callbacks)
        if logs and not np.isfinite(logs.get("loss", 0.0)) and not nan_checks and not watching:
            warnings.warn(
                f"The training loss is {logs['loss']} at the end of epoch {epoch + 1}. To find the first "
                "step and batch where it stopped being finite, run again after "
                "kerastorch.config.enable_nan_checks(), or add callbacks.TerminateOnNaN().", stacklevel=2)
        cbs.on_train_end(logs)
        self.history = cbs.history
        self.history.params = dict(cbs.params)
        return cbs.history

    def _train_function(self, batches, epoch, first_step, nan_checks):
        """One execution: `train_step` on each of `batches` (`steps_per_execution` of them), or
        under `jit_compile` one call of the compiled whole step (`compiled_step.WholeStep`)."""
        whole = self._step_fns.get("whole") if self._step_fns is not None and not nan_checks else None
        if whole is not None and whole(batches):
            return None
        step_logs = None
        for i, batch in enumerate(batches):
            if nan_checks:
                check_finite_batch(batch, epoch, first_step + i)
            step_logs = self.train_step(as_keras_batch(batch))
            if nan_checks:
                self._check_finite_loss(step_logs, epoch, first_step + i)
        return step_logs

    def _test_function(self, batches):
        """One execution of `test_step` over `batches`; the last step's logs."""
        step_logs = None
        for batch in batches:
            step_logs = self.test_step(as_keras_batch(batch))
        return step_logs

    def _epoch_logs(self, step_logs):
        """The logs at the end of an epoch (or evaluation): over every process when distributed."""
        dist = active_distribution()
        if dist is not None and step_logs is None:
            return dist.global_logs(self)
        return self._logs_from_step(step_logs)

    def _logs_from_step(self, step_logs):
        if step_logs is None:
            return self._read_logs()
        return compile_utils.pythonify_logs(step_logs)     # a nested dict flattened, as Keras' logs

    def _evaluate_loop(self, batches, cbs):
        was_training = _inference_mode_on(self)
        self._reset_metrics()
        listeners = cbs.batch_listeners("test", "batch_end")
        begin_listeners = cbs.batch_listeners("test", "batch_begin")
        cbs.on_test_begin()
        step_logs = None
        # no_grad, not inference_mode: metric states first created here must stay usable in training.
        n = getattr(self, "steps_per_execution", 1)
        with torch.no_grad():
            if n == 1 and not listeners and not begin_listeners:
                test_step = self.test_step
                for batch in batches:      # as a hand-written loop: one step per batch, no hooks
                    step_logs = test_step(as_keras_batch(batch))
            else:
                step_logs = self._evaluate_executions(batches, n, listeners, begin_listeners)
        logs = self._epoch_logs(step_logs)
        cbs.on_test_end(logs)
        _restore_mode(self, was_training)
        return logs

    def _evaluate_executions(self, batches, n, listeners, begin_listeners):
        """evaluate's executions of `n` steps with the batch hooks; the last step's logs."""
        step_logs = None
        for first, step, group in executions(batches, n):
            if begin_listeners:
                begin_logs = {}
                for cb in begin_listeners:
                    cb.on_test_batch_begin(first, logs=begin_logs)
            step_logs = self._test_function(group)
            for cb in listeners:
                cb.on_test_batch_end(step, logs=(lambda sl=step_logs: self._logs_from_step(sl))
                                     if isinstance(cb, ProgbarLogger) else self._logs_from_step(step_logs))
        return step_logs

    def _predict_loop(self, batches, cbs):
        """`predict_step` over the batches in inference mode; the outputs as numpy arrays."""
        listeners = cbs.batch_listeners("predict", "batch_end")
        begin_listeners = cbs.batch_listeners("predict", "batch_begin")
        was_training = _inference_mode_on(self)
        cbs.on_predict_begin()
        # Arrays: outputs are copied into arrays preallocated at the first batch (one per output);
        # sources of unknown size: the batches' outputs are gathered and concatenated at the end.
        sink = _OutputSink(batches)
        n = getattr(self, "steps_per_execution", 1)
        if n == 1 and not listeners and not begin_listeners and _own_step(self, "predict_step"):
            # The common case, as a hand-written loop: the forward of each batch into the outputs.
            forward, add = self._predict_forward, sink.add
            inputs = _resident_inputs(batches)
            with torch.inference_mode():
                if inputs is not None:
                    _predict_slices(forward, inputs, batches, sink)
                else:
                    for x, _, _ in batches:
                        add(forward(x))
            result = sink.result(self._device())
            cbs.on_predict_end()
            _restore_mode(self, was_training)
            return result
        with torch.inference_mode():
            for first, step, group in executions(batches, n):
                if begin_listeners:
                    begin_logs = {}
                    for cb in begin_listeners:
                        cb.on_predict_batch_begin(first, logs=begin_logs)
                outputs = []
                for batch in group:      # one execution: steps_per_execution batches
                    y_pred = self.predict_step(as_keras_batch(batch))
                    sink.add(y_pred)
                    if listeners:
                        outputs.append(y_pred)
                if listeners:
                    # Keras hands the hook the outputs of the whole execution.
                    y_pred = outputs[0] if len(outputs) == 1 else _concat(outputs)
                for cb in listeners:
                    cb.on_predict_batch_end(step, logs=None if isinstance(cb, ProgbarLogger) else {"outputs": y_pred})
        result = sink.result(self._device())
        cbs.on_predict_end()
        _restore_mode(self, was_training)
        return result


def _own_step(model, name):
    """Whether `model.name` is the trainer's own step (not overridden by a subclass or on the instance)."""
    from kerastorch.trainer.step import StepMixin

    return name not in model.__dict__ and getattr(type(model), name) is getattr(StepMixin, name)


def _inference_mode_on(model):
    """`model.eval()` when any of its modules is in training mode; returns `model.training` before."""
    was_training = model.training
    if was_training or any(m.training for m in model.modules()):
        model.eval()
    return was_training


def _restore_mode(model, was_training):
    if was_training:
        model.train()


def _resident_inputs(batches):
    """The one input tensor of an array adapter whose batches are plain slices of it, or None."""
    if (not isinstance(batches, data_adapters.ArrayDataAdapter) or batches.shuffle or batches.shard is not None
            or not batches._simple):
        return None
    x = batches._resident[0]
    return x if isinstance(x, torch.Tensor) and x.device == batches.device else None


def _predict_slices(forward, inputs, batches, sink):
    """predict over slices of one resident input tensor: each output copied into its rows."""
    bs = batches.batch_size
    stop = min(batches.n, batches.num_batches * bs)
    sink.add(forward(inputs[:bs]))
    if sink.structure is not _SINGLE:
        for start in range(bs, stop, bs):
            sink.add(forward(inputs[start:start + bs]))
        return
    out = sink.arrays[0]
    pinned = out.is_pinned()
    for start in range(bs, stop, bs):
        out[start:start + bs].copy_(forward(inputs[start:start + bs]), non_blocking=pinned)
    sink.filled = stop


_SINGLE = object()   # predict's output is one tensor


class _OutputSink:
    """Collects `predict`'s outputs: into arrays preallocated at the first batch when the number of
    samples is known (arrays), else batch by batch, concatenated at the end."""

    def __init__(self, batches):
        self.known = isinstance(batches, data_adapters.ArrayDataAdapter)
        self.total = min(batches.n, batches.num_batches * batches.batch_size) if self.known else None
        self.structure = None
        self.arrays = None
        self.chunks = []
        self.filled = 0

    def add(self, y_pred):
        if type(y_pred) is torch.Tensor:
            leaves = (y_pred,)
            if self.structure is None:
                self.structure = _SINGLE
        else:
            leaves = tree.flatten(y_pred)
            if self.structure is None:
                self.structure = y_pred
        if not self.known:
            self.chunks.append([t.to("cpu") for t in leaves])
            return
        if self.arrays is None:
            self.arrays = [torch.empty((self.total, *t.shape[1:]), dtype=t.dtype, device="cpu",
                                       pin_memory=t.is_cuda) for t in leaves]
        n = leaves[0].shape[0]
        for out, t in zip(self.arrays, leaves):
            out[self.filled:self.filled + n].copy_(t, non_blocking=t.is_cuda)
        self.filled += n

    def result(self, device):
        if self.structure is None:
            raise ValueError("predict() got no data: the input produced no batch.")
        if self.known:
            if self.arrays[0].is_pinned():
                torch.cuda.synchronize(device)
            flat = [a[:self.filled].numpy() for a in self.arrays]
        else:
            flat = [torch.cat(parts).numpy() for parts in zip(*self.chunks)]
        if self.structure is _SINGLE:
            return flat[0]
        packed = tree.pack_sequence_as(self.structure, flat)
        return list(packed) if isinstance(packed, tuple) else packed


def _concat(outputs):
    if isinstance(outputs[0], torch.Tensor):
        return torch.cat(outputs)
    return tree.map_structure(lambda *ts: torch.cat(ts), *outputs)
