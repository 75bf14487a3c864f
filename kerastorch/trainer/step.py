"""The steps: `train_step`, `test_step`, `predict_step`, and the losses and metrics they compute.

`train_step` reads top to bottom: zero the gradients, forward and loss, backward and optimizer
step, constraints, loss tracker, metrics. Which variant of "forward and loss" and of "backward
and step" runs is chosen once, when training starts (`_setup_step_functions`):

- forward and loss: eager (`compute_loss` on the model's output); the fused logits path
  (softmax/sigmoid + crossentropy computed from the logits) for a Sequential or Functional model
  whose last activation allows it and whose steps, call and loss nobody overrides; or, under a mixed
  precision policy or `jit_compile`, one function wrapped in autocast and/or `torch.compile`;
- backward and step: plain, with Keras' LossScaleOptimizer scaling, with dynamic loss scaling
  (mixed_float16), or nothing at all for a model without trainable weights.
"""

import torch

from kerastorch.ops import _tree as tree
from kerastorch.trainer import compile_outputs, compile_utils
from kerastorch.trainer.runtime import (CompiledOrEager, DirectCall, active_distribution, batch_size_of,
                                        direct_model_call, scales_loss_itself, unpack_x_y_sample_weight)


def _own(cls, name, base):
    """Whether `cls.name` is kerastorch's own (not overridden by the user's subclass)."""
    attr = getattr(cls, name, None)
    return attr is None or getattr(attr, "__module__", "").startswith("kerastorch.") or attr is getattr(base, name, None)


class StepMixin:
    """The step methods of `Trainer` (see the module docstring)."""

    # ------------------------------------------------------------------ losses
    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        """Returns the total loss: the compiled loss plus the layers' losses (`model.losses`).

        Args:
            x: Input batch (unused by the default; there for overriding).
            y: Targets (a tensor, or a list/dict by output for several outputs).
            y_pred: Predictions, in the model's output structure.
            sample_weight: Optional per-sample weights (per output: a list or dict).
            training: Whether this is a training step.
        """
        loss = self._loss_fn(y, y_pred, sample_weight=sample_weight) if self._loss_fn is not None else None
        loss = self._weighted_with_layer_losses(loss)
        if loss is None:
            raise ValueError(
                f"No loss to compute. Provide a `loss` argument in `compile()` (model '{self.name}' was compiled "
                "without one and its layers added no loss with `add_loss`), e.g. model.compile(optimizer='adam', "
                "loss='mse')."
            )
        return loss

    def _weighted_with_layer_losses(self, loss):
        """The compiled loss (or `None`) times `loss_weights`, plus the layers' losses (`model.losses`)."""
        if loss is not None and self._loss_weight is not None:
            loss = loss * self._loss_weight
        if self._has_penalties or self._added_losses_possible():
            penalty = self._penalty()
            if isinstance(penalty, torch.Tensor):
                loss = penalty if loss is None else loss + penalty
        return loss

    def _added_losses_possible(self):
        from kerastorch.layers import base

        return getattr(base, "ADD_LOSS_USED", False)

    def _penalty(self):
        """Sum of the layers' losses (regularization of weights and activities, `add_loss`)."""
        extra = self.losses
        if not extra:
            return 0.0
        return torch.stack([torch.as_tensor(v).float().sum() for v in extra]).sum()

    def _resolve_outputs(self, y, y_pred):
        """At the first batch: a model whose outputs turn out to be several gets per-output losses
        and metrics (Keras' CompileLoss/CompileMetrics), matched by position or output name."""
        if not self._outputs_pending:
            return
        if not (isinstance(y_pred, torch.Tensor) or len(tree.flatten(y_pred)) == 1 and not isinstance(y_pred, dict)):
            self._become_multi_output(y, y_pred)
        # Only once matched: after a refused batch (a target missing, ...), the next one matches again.
        self._outputs_pending = False

    def _become_multi_output(self, y, y_pred):
        spec = self._compile_config
        outputs = compile_outputs.Outputs(y_pred, getattr(self, "output_names", None))
        self._output_slots = outputs
        self._loss_weight = None
        self._loss_fn = (compile_outputs.OutputLosses(spec["loss"], spec["loss_weights"], outputs, y, y_pred)
                         if spec["loss"] is not None else None)
        metrics, weighted_from = compile_outputs.output_metrics(
            spec["metrics"], spec["weighted_metrics"], outputs, self._make_metric)
        self._compile_metrics = metrics
        self._weighted_from = weighted_from
        self._metrics_view = list(metrics)

    def _check_targets_once(self, y, y_pred):
        if self._targets_checked:
            return
        self._resolve_outputs(y, y_pred)
        check = getattr(self._loss_fn, "check_targets", None)
        if check is not None and y is not None:
            check(y, y_pred)
        # Only once the targets passed: after a refused fit, the next one must check again.
        object.__setattr__(self, "_targets_checked", True)   # a plain flag: skip Module.__setattr__ (per call)

    def _check_targets_upfront(self, y):
        """Checks ALL targets against the loss before the first step, when the output shape is known."""
        if self._targets_checked or not isinstance(y, torch.Tensor) or self._loss_fn is None or self._output_slots:
            return
        try:
            out_shape = self.output_shape
        except (AttributeError, NotImplementedError, ValueError):
            return
        if not isinstance(out_shape, tuple) or any(d is None or isinstance(d, tuple) for d in out_shape[1:]):
            return
        # A zero-cost stand-in for the predictions: one row, expanded (no memory) to len(y).
        y_pred = torch.zeros((1, *out_shape[1:]), dtype=torch.float32).expand(y.shape[0], *out_shape[1:])
        self._check_targets_once(y, y_pred)

    # ------------------------------------------------------------------ metrics
    def _update_metrics(self, y, y_pred, sample_weight):
        for i, metric in enumerate(self._compile_metrics):
            weighted = i >= self._weighted_from
            metric.update_state(y, y_pred, sample_weight=sample_weight if weighted else None)

    def compute_metrics(self, x, y, y_pred, sample_weight=None):
        """Updates the compiled metrics with a batch and returns every metric's result.

        For custom `train_step`/`test_step`s, as in Keras (the loss tracker is not updated
        here: update it with `metric.update_state(loss)` or in `compute_loss`).

        Args:
            x: Input batch (unused by the default; there for overriding).
            y: Targets.
            y_pred: Predictions.
            sample_weight: Optional per-sample weights (used by `weighted_metrics`).

        Returns:
            `get_metrics_result()`: a dict `{metric name: result tensor}`.
        """
        if self._compile_metrics:
            with torch.no_grad():
                self._update_metrics(y, _detached(y_pred), sample_weight)
        return self.get_metrics_result()

    def get_metrics_result(self):
        """Returns `{name: result}` for every metric in `self.metrics` (dict results are merged in)."""
        return compile_utils.flat_results(self.metrics)

    # ------------------------------------------------------------------ steps
    def train_step(self, data):
        """One training step on a batch: forward, loss, backward, optimizer step, metrics.

        Override it for custom training, as in Keras; return a dict of logs (tensors or
        floats), or `None` to use `model.metrics`.

        Args:
            data: The batch, as Keras passes it: `(x,)`, `(x, y)` or `(x, y, sample_weight)`,
                tensors (or structures of tensors) on the device.
        """
        x, y, sample_weight = unpack_x_y_sample_weight(data)
        self.optimizer.zero_grad(set_to_none=True)
        y_pred, loss = self._train_loss(x, y, sample_weight)
        self._backward_and_step(loss)
        for layer in self._constrained_layers:
            layer._apply_constraints()
        self._loss_tracker.update_state(loss, sample_weight=batch_size_of(x))
        if self._compile_metrics:
            with torch.no_grad():
                self._update_metrics(y, _detached(y_pred), sample_weight)
        return None

    def test_step(self, data):
        """One evaluation step: forward, loss and metrics, without gradients.

        Args:
            data: The batch: `(x,)`, `(x, y)` or `(x, y, sample_weight)`, tensors on the device.
        """
        x, y, sample_weight = unpack_x_y_sample_weight(data)
        y_pred, loss = self._test_loss(x, y, sample_weight)
        self._loss_tracker.update_state(loss, sample_weight=batch_size_of(x))
        self._update_metrics(y, y_pred, sample_weight)
        return None

    def predict_step(self, data):
        """One prediction step: returns the model's output for the inputs of the batch `data`."""
        x, _, _ = unpack_x_y_sample_weight(data)
        return self._predict_forward(x)

    # ------------------------------------------------------------------ the variants, chosen once
    # `_train_forward`/`_test_forward`: the model's call for the steps; a run sets instance attributes
    # (runtime.DirectCall, or DDP's wrapper for training) that take the place of these defaults.
    def _train_forward(self, x, **kwargs):
        return self(x, **kwargs)

    def _test_forward(self, x, **kwargs):
        return self(x, **kwargs)

    def _eager_train_loss(self, x, y, sample_weight):
        # As Keras' train step: `training=True` only for a model whose call takes `training` (else its
        # layers resolve their own, as called without it).
        y_pred = self._train_forward(x, training=True) if _call_takes_training(self) else self._train_forward(x)
        if not self._targets_checked:   # before the loss, which would fail inside torch
            self._check_targets_once(y, y_pred)
        return y_pred, self.compute_loss(x, y, y_pred, sample_weight, training=True)

    def _eager_test_loss(self, x, y, sample_weight):
        y_pred = self._test_forward(x, training=False) if _call_takes_training(self) else self._test_forward(x)
        if not self._targets_checked:
            self._check_targets_once(y, y_pred)
        return y_pred, self.compute_loss(x, y, y_pred, sample_weight, training=False)

    def _fused_train_loss(self, x, y, sample_weight):
        """softmax/sigmoid + crossentropy computed from the logits: stable, fewer kernels, Keras' values."""
        if y is None:
            return self._eager_train_loss(x, y, sample_weight)
        logits = self._train_forward(x, training=True, return_logits=True)
        if not self._targets_checked:   # before the loss, which would fail inside torch
            self._check_targets_once(y, self._fused_activation(logits.detach()))
        loss, y_pred = self._fused_loss.loss_and_probabilities(
            y, logits, sample_weight=sample_weight, need_probabilities=bool(self._compile_metrics))
        return y_pred, self._weighted_with_layer_losses(loss)

    def _fused_test_loss(self, x, y, sample_weight):
        """`_fused_train_loss` for evaluation: the logits of the inference forward."""
        if y is None:
            return self._eager_test_loss(x, y, sample_weight)
        logits = self._test_forward(x, training=False, return_logits=True)
        if not self._targets_checked:
            self._check_targets_once(y, self._fused_activation(logits))
        loss, y_pred = self._fused_loss.loss_and_probabilities(
            y, logits, sample_weight=sample_weight, need_probabilities=bool(self._compile_metrics))
        return y_pred, self._weighted_with_layer_losses(loss)

    def _eager_predict_forward(self, x):
        return self(x, training=False) if _call_takes_training(self) else self(x)

    def _choose_predict_forward(self):
        """The inference forward: the model's forward called directly when nothing its module call
        does applies (`runtime.DirectCall`: a Sequential's plain layers' calls in a row, a Functional
        plan's plain steps), else the module call."""
        direct = direct_model_call(self)
        return direct.inference if isinstance(direct, DirectCall) else self._eager_predict_forward

    def _wrapped_loss(self, which):
        fn = self._step_fns[which]

        def run(x, y, sample_weight):
            y_pred, loss = fn(x, y, sample_weight)
            if not self._targets_checked:
                self._check_targets_once(y, _detached(y_pred))
            return y_pred, loss
        return run

    def _forward_and_loss(self, x, y, sample_weight, training=True):
        if not _call_takes_training(self):
            y_pred = self._train_forward(x) if training else self(x)
        else:
            y_pred = self._train_forward(x, training=True) if training else self(x, training=False)
        return y_pred, self.compute_loss(x, y, y_pred, sample_weight, training=training)

    def _plain_step(self, loss):
        loss.backward()
        self.optimizer.step()

    def _scaled_step(self, loss):
        self.optimizer.scale_loss(loss).backward()
        self.optimizer.step()

    def _dynamic_scaled_step(self, loss):
        self._loss_scaler.backward(loss)
        if self._loss_scaler.unscale_and_check(self._trainable_params):
            self.optimizer.step()

    @staticmethod
    def _frozen_step(loss):
        """A model without trainable weights: Keras reports the loss and metrics and updates nothing."""

    def _fused_path_allowed(self):
        """The fused logits path computes what the default steps compute: only without overrides."""
        from kerastorch.trainer.trainer import Trainer

        cls = type(self)
        return all(_own(cls, name, Trainer) for name in ("train_step", "compute_loss", "call", "forward"))

    def _setup_step_functions(self, device):
        """Chooses, once, the forward-and-loss and backward-and-step variants the steps run.

        Called at the start of every fit/evaluate/predict: when nothing the choice depends on has
        changed since the last call, the functions chosen then are kept (the same `torch.compile`d
        functions too, so that their compiled graphs are reused, not recompiled).
        """
        from kerastorch import losses, mixed_precision

        policy = mixed_precision.global_policy()
        jit = getattr(self, "_jit_compile", None)
        state = self.__dict__      # plain attributes, written without nn.Module's __setattr__
        state["_trainable_params"] = [p for p in self.parameters() if p.requires_grad]
        final = getattr(self, "_final_activation", None)
        activation = final() if final is not None else None
        dist_active = active_distribution() is not None
        # Values compared with ==, objects by identity (held here, so their ids cannot be reused).
        values = (device, policy.name, jit, self.compiled, activation, dist_active,
                  getattr(self, "_auto_scale_loss", True), type(self))
        objects = (getattr(self, "_compile_config", None), self._loss_fn, self.optimizer, self._output_slots)
        kept = state.get("_step_setup_key")
        if kept is not None and kept[0] == values and all(a is b for a, b in zip(kept[1], objects)):
            self._choose_backward()
            if self._step_fns is None:
                state["_predict_forward"] = self._choose_predict_forward()
            return
        state["_loss_scaler"] = None
        state["_fused_loss"] = None
        if (policy.autocast_dtype is None and jit is None and activation is not None and self.compiled
                and not self._output_slots and self._fused_path_allowed() and not dist_active):
            state["_fused_loss"] = losses.fused_from_logits(self._loss_fn, activation)
            state["_fused_activation"] = torch.sigmoid if activation == "sigmoid" else _softmax_last_axis
        if policy.autocast_dtype is None and jit is None:
            state["_step_fns"] = None
            fused = self._fused_loss is not None
            state["_train_loss"] = self._fused_train_loss if fused else self._eager_train_loss
            state["_test_loss"] = self._fused_test_loss if fused else self._eager_test_loss
            state["_predict_forward"] = None          # chosen at each run: hooks may come and go
        else:
            if (policy.needs_loss_scaling and getattr(self, "_auto_scale_loss", True)
                    and not scales_loss_itself(self.optimizer)):
                state["_loss_scaler"] = getattr(self, "_kept_loss_scaler", None) or mixed_precision.LossScaler()
                state["_kept_loss_scaler"] = self._loss_scaler
            state["_step_fns"] = _step_functions(self, device, jit)
            state["_train_loss"] = self._wrapped_loss("train")
            state["_test_loss"] = self._wrapped_loss("test")
            state["_predict_forward"] = self._step_fns["predict"]
        state["_step_setup_key"] = (values, objects)
        if self._step_fns is None:
            state["_predict_forward"] = self._choose_predict_forward()
        self._choose_backward()

    def _choose_backward(self):
        """The backward-and-step variant, from the trainable weights and the optimizer's scaling."""
        if "_trainable_params" not in self.__dict__:
            return     # the steps are set up when a run starts (_setup_step_functions)
        if not self._trainable_params:
            step = self._frozen_step
        elif getattr(self, "_loss_scaler", None) is not None:
            step = self._dynamic_scaled_step
        elif getattr(self, "_loss_scaled", False):
            step = self._scaled_step
        else:
            step = self._plain_step
        self.__dict__["_backward_and_step"] = step


def _step_functions(model, device, jit):
    """The train/test/predict functions under autocast (mixed precision) and/or `torch.compile`."""
    from kerastorch import mixed_precision

    def train(x, y, sw):
        with mixed_precision.autocast(device):
            return model._forward_and_loss(x, y, sw, training=True)

    def test(x, y, sw):
        with mixed_precision.autocast(device):
            return model._forward_and_loss(x, y, sw, training=False)

    def predict(x):
        with mixed_precision.autocast(device):
            out = model(x, training=False)
        return tree.map_structure(_to_float32, out) if not isinstance(out, torch.Tensor) else _to_float32(out)

    fns = {"train": train, "test": test, "predict": predict}
    if jit is not None:
        from kerastorch.trainer.compiled_step import WholeStep

        backend = "inductor" if jit is True else jit
        fns = {k: CompiledOrEager(fn, backend) for k, fn in fns.items()}
        # fit's executions as one graph each (forward, loss, gradients, optimizer update, metrics);
        # "train" above is its fall-back (see compiled_step.unsupported_reason).
        fns["whole"] = WholeStep(model, backend)
    return fns


def _call_takes_training(model):
    """Whether the model's `call` names a `training` argument (Keras' `_call_has_training_arg`), cached per class."""
    cls = type(model)
    cached = cls.__dict__.get("_kt_call_has_training")
    if cached is None:
        import inspect

        cached = "training" in inspect.signature(cls.call).parameters
        cls._kt_call_has_training = cached
    return cached


def _softmax_last_axis(t):
    return torch.softmax(t, dim=-1)


def _to_float32(out):
    return out.float() if isinstance(out, torch.Tensor) and out.dtype in (torch.float16, torch.bfloat16) else out


def _detached(y_pred):
    if isinstance(y_pred, torch.Tensor):
        return y_pred.detach()
    return tree.map_structure(lambda t: t.detach() if isinstance(t, torch.Tensor) else t, y_pred)
