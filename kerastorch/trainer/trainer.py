"""`compile`, `fit`, `evaluate` and `predict`: the training engine behind every kerastorch model.

The hot loop reads top to bottom: zero_grad, forward, loss, backward, step, metrics. It
never reads a value back from the device per step: the loss and metrics accumulate on the
device, and are read only when the progress bar redraws (bounded rate), when a callback
asks for batch logs, and at the end of each epoch.
"""

import signal
import threading
import warnings

import numpy as np
import torch

from kerastorch import config
from kerastorch.callbacks.callback import CallbackList
from kerastorch.callbacks.progbar_logger import ProgbarLogger
from kerastorch.layers.base import format_shape
from kerastorch.trainer import compile_utils
from kerastorch.trainer import data as data_lib


class _LossTracker:
    """The running, batch-size weighted mean of the loss (Keras' `Mean(name="loss")`), kept on the device."""

    name = "loss"

    def __init__(self):
        self.total = None
        self.count = 0
        self.last = None

    def update_state(self, values, sample_weight=None):
        """Adds a (scalar) loss with weight `sample_weight` (the trainer passes the batch size)."""
        weight = 1 if sample_weight is None else sample_weight
        if weight == 0:   # an empty shard of a batch (data parallelism): nothing to add
            return
        if self.total is None:   # Keras' Mean tracker has dtype floatx()
            self.total = torch.zeros((), dtype=getattr(torch, config.floatx()), device=values.device)
        values = values.detach()
        self.last = values
        self.total.add_(values if values.dim() == 0 else values.to(self.total.dtype).mean(), alpha=weight)
        self.count += weight

    def result(self):
        if self.total is None:
            return torch.zeros(())
        return self.total / max(self.count, 1)

    def reset_state(self):
        if self.total is not None:
            self.total.zero_()
        self.count = 0


_ACCURACY_ALIASES = ("accuracy", "acc", "crossentropy", "ce")


def _scales_loss_itself(optimizer):
    """Whether the optimizer scales the loss and unscales the gradients (a LossScaleOptimizer)."""
    from kerastorch.optimizers import LossScaleOptimizer

    return isinstance(optimizer, LossScaleOptimizer)


class _UnweightedMetric:
    """A compiled (unweighted) metric as `model.metrics` lists it: `sample_weight` is not applied."""

    def __init__(self, metric):
        self._kt_metric = metric

    def update_state(self, y_true, y_pred, sample_weight=None):
        return self._kt_metric.update_state(y_true, y_pred)

    def __getattr__(self, name):
        return getattr(self.__dict__["_kt_metric"], name)

    def __repr__(self):
        return repr(self._kt_metric)


class _ShapeResolvedMetric:
    """`"accuracy"` (or `"acc"`, `"crossentropy"`): binary, sparse or categorical, chosen from the
    shapes of the first targets and predictions it sees, as Keras does."""

    def __init__(self, spec):
        self.spec = spec
        self.name = spec
        self.metric = None

    def update_state(self, y_true, y_pred, sample_weight=None):
        if self.metric is None:
            from kerastorch import metrics as metrics_lib

            self.metric = metrics_lib.resolve_accuracy(self.spec, y_true, y_pred)
            self.name = self.metric.name
        self.metric.update_state(y_true, y_pred, sample_weight=sample_weight)

    def result(self):
        return self.metric.result() if self.metric is not None else torch.zeros(())

    def reset_state(self):
        if self.metric is not None:
            self.metric.reset_state()


class Trainer:
    """Mixin giving a model Keras' training API. `kerastorch.Model` and `Sequential` include it."""

    def _init_trainer(self):
        self.compiled = False
        self.optimizer = None
        self.loss = None
        self.stop_training = False
        self.history = None
        self._compile_metric_specs = []
        self._compile_metrics = None
        self._loss_tracker = _LossTracker()
        self._targets_checked = False
        self._loss_scaled = False
        self._step_fns = None
        self._loss_scaler = None
        self._fused_loss = None
        self._constrained_layers = []
        self._has_penalties = False
        self._loss_weight = None     # compile(loss_weights=...) on the single output; None is 1

    # ------------------------------------------------------------------ compile
    def compile(self, optimizer="rmsprop", loss=None, loss_weights=None, metrics=None,
                weighted_metrics=None, run_eagerly=False, steps_per_execution=1, jit_compile="auto",
                auto_scale_loss=True):
        """Configures the model for training.

        Args:
            optimizer: Optimizer name (`"adam"`, `"sgd"`, `"rmsprop"`, `"adamw"`, ...), a
                `kerastorch.optimizers.Optimizer`, or a `torch.optim.Optimizer`. Defaults to
                `"rmsprop"`, as in Keras.
            loss: Loss name (`"categorical_crossentropy"`, `"mse"`, ...), a
                `kerastorch.losses.Loss`, or any callable `loss(y_true, y_pred)` on tensors.
            loss_weights: Optional factor on the compiled loss (not on the regularization
                penalties), as Keras: a float, or a list/tuple/dict holding one float for the
                single output. Defaults to `None` (1).
            metrics: List of metric names (`"accuracy"`, `"mae"`, ...), `Metric` objects or
                callables. `"accuracy"` is resolved from the shapes of the targets and
                predictions, as Keras does.
            weighted_metrics: Metrics that also take `sample_weight` into account.
            run_eagerly: Whether to run the steps eagerly: `True` turns `jit_compile` off
                (with Keras' warning if it was asked for). kerastorch runs eagerly unless
                `jit_compile` asks for `torch.compile`. Defaults to `False`.
            steps_per_execution: Number of batches each call of the step function runs
                (`fit`, `evaluate` and `predict`), as Keras: callbacks' batch hooks run once per
                call, `on_*_batch_begin` with the first batch's index and `on_*_batch_end` with
                the last one's; History and the results are unchanged. Defaults to `1`.
            jit_compile: `True` runs the train, test and predict steps through
                `torch.compile` (inductor); a string names another `torch.compile` backend
                (e.g. `"aot_eager"`). Compilation that fails falls back to eager with a
                warning. Defaults to `"auto"`, which is eager: compiling costs tens of
                seconds, which rarely pays off for small models.
            auto_scale_loss: Under a `"mixed_float16"` policy, whether to scale the loss
                dynamically (Keras' LossScaleOptimizer: skip a step whose gradients overflow,
                then halve the scale). `False` trains without loss scaling. Defaults to `True`.

        Example:
        >>> import kerastorch
        >>> from kerastorch import layers
        >>> model = kerastorch.Sequential([layers.Input(shape=(4,)), layers.Dense(3, activation="softmax")])
        >>> model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
        """
        from kerastorch import losses, optimizers

        if jit_compile not in (True, False, "auto") and not isinstance(jit_compile, str):
            raise ValueError(
                f"`jit_compile` must be True, False, 'auto' or a torch.compile backend name, got {jit_compile!r}."
            )
        if (isinstance(steps_per_execution, bool) or not isinstance(steps_per_execution, (int, np.integer))
                or steps_per_execution < 1):
            raise ValueError(f"`steps_per_execution` must be a positive integer, got {steps_per_execution!r}.")
        loss_weight = compile_utils.single_loss_weight(loss_weights)
        self.steps_per_execution = int(steps_per_execution)
        self.optimizer = optimizers.get(optimizer)
        if (auto_scale_loss and isinstance(self.optimizer, optimizers.Optimizer)
                and not isinstance(self.optimizer, optimizers.LossScaleOptimizer)
                and getattr(getattr(self, "dtype_policy", None), "name", None) == "mixed_float16"):
            # As Keras: a mixed_float16 model trains through a LossScaleOptimizer.
            self.optimizer = optimizers.LossScaleOptimizer(self.optimizer, name="loss_scale_optimizer")
        self._loss_weight = loss_weight
        self.loss = loss
        self._loss_fn = losses.resolve_loss(loss)  # a Loss object, also for names of functions
        if metrics is None:
            metrics = []
        if isinstance(metrics, (str, dict)) or callable(metrics):
            metrics = [metrics]
        if not isinstance(metrics, (list, tuple)):
            raise TypeError(f"`metrics` must be a list of metric names, Metric objects or callables, got {metrics!r}.")
        self._compile_metric_specs = list(metrics) + list(weighted_metrics or [])
        self._weighted_from = len(metrics)
        self._compile_metrics = [self._make_metric(spec) for spec in self._compile_metric_specs]
        # As listed by `self.metrics`: a custom train_step's `metric.update_state(y, y_pred,
        # sample_weight=sw)` weights only `weighted_metrics`, as through Keras' CompileMetrics.
        self._metrics_view = [m if i >= self._weighted_from else _UnweightedMetric(m)
                              for i, m in enumerate(self._compile_metrics)]
        self._compile_config = dict(optimizer=optimizer, loss=loss, loss_weights=loss_weights,
                                    metrics=metrics, weighted_metrics=weighted_metrics,
                                    run_eagerly=run_eagerly, steps_per_execution=steps_per_execution,
                                    jit_compile=jit_compile)
        # "auto" means eager: torch.compile's start-up cost rarely pays off for the models Keras
        # scripts train; jit_compile=True (or a backend name such as "aot_eager") opts in.
        self._jit_compile = jit_compile if jit_compile not in ("auto", False) else None
        self._run_eagerly = bool(run_eagerly)
        if self._run_eagerly and self._jit_compile is not None:
            warnings.warn("If `run_eagerly` is True, then `jit_compile` cannot also be True. "
                          "Disabling `jit_compile` (as Keras does).", stacklevel=2)
            self._jit_compile = None
        # compile(auto_scale_loss=False): no loss scaling under a mixed_float16 policy, as Keras.
        self._auto_scale_loss = bool(auto_scale_loss)
        self._step_fns = None
        self._optimizer_built = False
        self._targets_checked = False
        self.compiled = True

    @property
    def run_eagerly(self):
        """Whether the steps run eagerly (`compile(run_eagerly=True)`; then `jit_compile` is off)."""
        return getattr(self, "_run_eagerly", False)

    @run_eagerly.setter
    def run_eagerly(self, value):
        self._run_eagerly = bool(value)
        if self._run_eagerly:
            self._jit_compile = None

    @property
    def jit_compile(self):
        """Whether the steps run through `torch.compile` (`compile(jit_compile=...)`), as a bool."""
        return getattr(self, "_jit_compile", None) is not None

    @jit_compile.setter
    def jit_compile(self, value):
        if value not in (True, False) and not isinstance(value, str):
            raise ValueError(f"`jit_compile` must be True, False or a torch.compile backend name, got {value!r}.")
        if value and self.run_eagerly:
            warnings.warn("If `run_eagerly` is True, then `jit_compile` cannot also be True. "
                          "Disabling `jit_compile` (as Keras does).", stacklevel=2)
            value = False
        self._jit_compile = value if value else None

    @staticmethod
    def _make_metric(spec):
        from kerastorch import metrics as metrics_lib

        if isinstance(spec, str) and spec.lower() in _ACCURACY_ALIASES:
            return _ShapeResolvedMetric(spec)
        return metrics_lib.get(spec)

    @property
    def metrics(self):
        """The loss tracker and the compiled metrics (`"accuracy"` picks its kind at the first batch)."""
        return [self._loss_tracker] + list(getattr(self, "_metrics_view", None) or [])

    @property
    def metrics_names(self):
        """Names of the values `evaluate()` returns: `["loss", ...metrics]`."""
        return self._metric_names()

    def _metric_names(self):
        """The log name of each of `self.metrics`: compiled metrics named as Keras' CompileMetrics
        names them (`mse`, `mse_1`; `weighted_mae` for a weighted twin of `mae`)."""
        metrics = self.metrics
        compiled = self._compile_metrics or []
        if len(compiled) < 2:
            return [m.name for m in metrics]
        unique = compile_utils.metric_result_names([m.name for m in compiled], self._weighted_from)
        renamed = {id(m): name for m, name in zip(compiled, unique)}
        return [renamed.get(id(getattr(m, "_kt_metric", m)), m.name) for m in metrics]

    def _require_compiled(self, what):
        if not self.compiled:
            raise ValueError(
                f"You must call `compile()` before using the model: {what}() needs an optimizer "
                "and a loss. For example: model.compile(optimizer='adam', "
                "loss='categorical_crossentropy', metrics=['accuracy'])."
            )
        if self._loss_fn is None and type(self).train_step is Trainer.train_step:
            raise ValueError(
                f"{what}() needs a loss: compile() was called without one. Pass loss=..., e.g. "
                "model.compile(optimizer='adam', loss='mse')."
            )

    # ------------------------------------------------------------------ losses and steps
    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        """Returns the total loss: the compiled loss plus the layers' regularization losses.

        Args:
            x: Input batch (unused by the default; there for overriding).
            y: Targets.
            y_pred: Predictions.
            sample_weight: Optional per-sample weights.
            training: Whether this is a training step.
        """
        loss = self._loss_fn(y, y_pred, sample_weight=sample_weight) if self._loss_fn is not None else 0.0
        if self._loss_weight is not None:
            loss = loss * self._loss_weight
        if self._has_penalties:
            loss = loss + self._penalty()
        return loss

    def _penalty(self):
        """Sum of the layers' regularization losses (weights and activities)."""
        extra = self.losses
        if not extra:
            return 0.0
        return torch.stack([torch.as_tensor(v).float().sum() for v in extra]).sum()

    def _check_targets_once(self, y, y_pred):
        if self._targets_checked:
            return
        check = getattr(self._loss_fn, "check_targets", None)
        if check is not None and y is not None:
            check(y, y_pred)
        # Only once the targets passed: after a refused fit, the next one must check again.
        self._targets_checked = True

    def _check_targets_upfront(self, y):
        """Checks ALL targets against the loss before the first step, when the output shape is known."""
        if self._targets_checked or y is None or self._loss_fn is None:
            return
        try:
            out_shape = self.output_shape
        except (AttributeError, NotImplementedError):
            return
        if out_shape is None or any(d is None for d in out_shape[1:]):
            return
        # A zero-cost stand-in for the predictions: one row, expanded (no memory) to len(y).
        y_pred = torch.zeros((1, *out_shape[1:]), dtype=torch.float32).expand(y.shape[0], *out_shape[1:])
        self._check_targets_once(y, y_pred)

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
                self._update_metrics(y, y_pred.detach() if isinstance(y_pred, torch.Tensor) else y_pred,
                                     sample_weight)
        return self.get_metrics_result()

    def get_metrics_result(self):
        """Returns `{name: result}` for every metric in `self.metrics` (dict results are merged in)."""
        out = {}
        for metric in self.metrics:
            result = metric.result()
            if isinstance(result, dict):
                out.update(result)
            else:
                out[metric.name] = result
        return out

    def train_step(self, data):
        """One training step on a batch: forward, loss, backward, optimizer step, metrics.

        Override it for custom training, as in Keras; return a dict of logs (tensors or
        floats), or `None` to use `model.metrics`.

        Args:
            data: The batch, as Keras passes it: `(x,)`, `(x, y)` or `(x, y, sample_weight)`,
                tensors on the device.
        """
        x, y, sample_weight = unpack_x_y_sample_weight(data)
        self.optimizer.zero_grad(set_to_none=True)
        if self._fused_loss is not None and y is not None:
            # softmax/sigmoid + crossentropy computed from the logits: stable, fewer kernels, Keras' values.
            logits = self._train_forward(x, training=True, return_logits=True)
            if not self._targets_checked:   # before the loss, which would fail inside torch
                self._check_targets_once(y, self._fused_activation(logits.detach()))
            loss, y_pred = self._fused_loss.loss_and_probabilities(
                y, logits, sample_weight=sample_weight, need_probabilities=bool(self._compile_metrics))
            if self._loss_weight is not None:
                loss = loss * self._loss_weight
            if self._has_penalties:
                loss = loss + self._penalty()
        elif self._step_fns is None:
            y_pred = self._train_forward(x, training=True)
            if not self._targets_checked:
                self._check_targets_once(y, y_pred)
            loss = self.compute_loss(x, y, y_pred, sample_weight, training=True)
        else:
            y_pred, loss = self._step_fns["train"](x, y, sample_weight)
            if not self._targets_checked:
                self._check_targets_once(y, y_pred.detach())
        if not getattr(self, "_trainable_params", True):
            pass   # a frozen model: Keras reports the loss and metrics and updates nothing
        elif self._loss_scaler is not None:
            self._loss_scaler.backward(loss)
            if self._loss_scaler.unscale_and_check(self._trainable_params):
                self.optimizer.step()
        elif self._loss_scaled:
            self.optimizer.scale_loss(loss).backward()
            self.optimizer.step()
        else:
            loss.backward()
            self.optimizer.step()
        if self._constrained_layers:
            for layer in self._constrained_layers:
                layer._apply_constraints()
        self._loss_tracker.update_state(loss, sample_weight=x.shape[0])
        if self._compile_metrics:
            with torch.no_grad():
                self._update_metrics(y, y_pred.detach(), sample_weight)
        return None

    def test_step(self, data):
        """One evaluation step: forward, loss and metrics, without gradients.

        Args:
            data: The batch: `(x,)`, `(x, y)` or `(x, y, sample_weight)`, tensors on the device.
        """
        x, y, sample_weight = unpack_x_y_sample_weight(data)
        if self._step_fns is None:
            y_pred = self(x, training=False)
            if not self._targets_checked:   # before the loss, which would fail inside torch
                self._check_targets_once(y, y_pred)
            loss = self.compute_loss(x, y, y_pred, sample_weight, training=False)
        else:
            y_pred, loss = self._step_fns["test"](x, y, sample_weight)
            if not self._targets_checked:
                self._check_targets_once(y, y_pred)
        self._loss_tracker.update_state(loss, sample_weight=x.shape[0])
        self._update_metrics(y, y_pred, sample_weight)
        return None

    def predict_step(self, data):
        """One prediction step: returns the model's output for the batch `data[0]`."""
        if self._step_fns is None:
            return self(data[0], training=False)
        return self._step_fns["predict"](data[0])

    def _forward_and_loss(self, x, y, sample_weight, training=True):
        y_pred = (self._train_forward(x, training=True) if training else self(x, training=False))
        return y_pred, self.compute_loss(x, y, y_pred, sample_weight, training=training)

    def _setup_step_functions(self, device):
        """Wraps the steps in autocast (mixed precision policy) and torch.compile (jit_compile)."""
        from kerastorch import mixed_precision

        policy = mixed_precision.global_policy()
        jit = getattr(self, "_jit_compile", None)
        self._loss_scaler = None
        self._fused_loss = None
        final = getattr(self, "_final_activation", None)
        if (policy.autocast_dtype is None and jit is None and final is not None and self.compiled
                and type(self).train_step is Trainer.train_step and _active_distribution() is None):
            from kerastorch import losses

            activation = final()
            if activation is not None:
                self._fused_loss = losses.fused_from_logits(self._loss_fn, activation)
                self._fused_activation = (torch.sigmoid if activation == "sigmoid"
                                          else lambda t: torch.softmax(t, dim=-1))
        self._trainable_params = [p for p in self.parameters() if p.requires_grad]
        if policy.autocast_dtype is None and jit is None:
            self._step_fns = None
            return
        if (policy.needs_loss_scaling and getattr(self, "_auto_scale_loss", True)
                and not _scales_loss_itself(self.optimizer)):
            self._loss_scaler = getattr(self, "_kept_loss_scaler", None) or mixed_precision.LossScaler()
            self._kept_loss_scaler = self._loss_scaler

        def train(x, y, sw):
            with mixed_precision.autocast(device):
                return self._forward_and_loss(x, y, sw, training=True)

        def test(x, y, sw):
            with mixed_precision.autocast(device):
                return self._forward_and_loss(x, y, sw, training=False)

        def predict(x):
            with mixed_precision.autocast(device):
                out = self(x, training=False)
            return out.float() if out.dtype in (torch.float16, torch.bfloat16) else out

        fns = {"train": train, "test": test, "predict": predict}
        if jit is not None:
            backend = "inductor" if jit is True else jit
            fns = {k: _CompiledOrEager(fn, backend) for k, fn in fns.items()}
        self._step_fns = fns

    # ------------------------------------------------------------------ logs
    def _read_logs(self):
        """Reads the metric values (one device sync), sorted by name as Keras' History is."""
        results = {name: m.result() for name, m in zip(self._metric_names(), self.metrics)}
        if len(results) > 1:
            # float32 unless a value is float64 (floatx "float64"), so no digit is lost either way.
            wide = any(getattr(v, "dtype", None) == torch.float64 for v in results.values())
            dtype = torch.float64 if wide else torch.float32
            stacked = torch.stack([torch.as_tensor(v, dtype=dtype).to(self._loss_tracker_device())
                                   for v in results.values()]).cpu().tolist()
        else:
            stacked = [float(v) for v in results.values()]
        return {k: float(v) for k, v in sorted(zip(results, stacked))}

    def _loss_tracker_device(self):
        total = self._loss_tracker.total
        return total.device if total is not None else torch.device("cpu")

    def _reset_metrics(self):
        self.reset_metrics()   # overridable, as Keras' fit/evaluate call it

    def reset_metrics(self):
        """Resets the state of every metric in `self.metrics` (the loss tracker and the compiled metrics)."""
        for m in self.metrics:
            m.reset_state()

    # ------------------------------------------------------------------ data
    def _device(self):
        dist = _active_distribution()
        return dist.device() if dist is not None else config.get_device()

    def _shard(self):
        dist = _active_distribution()
        return (dist.rank, dist.world_size) if dist is not None else None

    def _prepare_arrays(self, x, y, sample_weight, what):
        """Tensors for x, y, sample_weight, with the checks that must come before any step."""
        if x is None:
            raise ValueError(f"{what}() needs input data: pass x (a numpy array or a torch tensor).")
        keep_int_x = self._accepts_integer_inputs()
        x_t = self._adjust_input_rank(data_lib.to_tensor(x, "x", keep_integers=keep_int_x))
        y_t = data_lib.to_tensor(y, "y")
        sw_t = data_lib.to_tensor(sample_weight, "sample_weight", keep_integers=False)
        if x_t.dim() == 0:
            raise ValueError(f"`x` must have a sample axis, got a scalar ({x!r}).")
        data_lib.check_lengths(x_t, y_t, sw_t)
        self._check_input_shape(tuple(x_t.shape))
        return x_t, y_t, sw_t

    def _accepts_integer_inputs(self):
        return True

    def _check_input_shape(self, data_shape):
        """Overridden by models that know their input shape (Sequential)."""

    def _adjust_input_rank(self, x):
        """Keras' `(N,)` -> `(N, 1)` input-rank rule; overridden by models that know their Input."""
        return x

    def _prepare_for_run(self, sample_shape):
        """Builds (from the data shape if needed) and moves the model to the device."""
        device = self._device()
        self._maybe_build_from_data(sample_shape)
        self.to(device)
        self._collect_layer_hooks()
        dist = _active_distribution()
        # The training forward goes through DistributedDataParallel when a distribution is
        # active; kept outside the module registry so it is not a submodule of itself.
        object.__setattr__(self, "_train_forward", dist.wrap_model(self) if dist is not None else self)
        self._setup_step_functions(device)
        return device

    def _maybe_build_from_data(self, data_shape):
        pass

    def _collect_layer_hooks(self):
        from kerastorch.layers.base import Layer

        layers = [m for m in self.modules() if isinstance(m, Layer)]
        self._constrained_layers = [l for l in layers if l._constraints]
        self._has_penalties = any(l._regularizers or l.activity_regularizer is not None for l in layers)

    def _build_optimizer(self):
        self._loss_scaled = (getattr(self.optimizer, "loss_scale_factor", None) is not None
                             or _scales_loss_itself(self.optimizer))
        if not any(p.requires_grad for p in self.parameters()):
            warnings.warn("The model does not have any trainable weights: training computes the loss and "
                          "metrics and changes no weight (as in Keras). Set `trainable = True` on the "
                          "layers to train, then compile again.", stacklevel=3)
        if self._optimizer_built:
            return
        params = [p for p in self.parameters() if p.requires_grad]
        build = getattr(self.optimizer, "build", None)
        if build is not None and not isinstance(self.optimizer, torch.optim.Optimizer):
            build(params)
        self._optimizer_built = True

    # ------------------------------------------------------------------ fit
    def fit(self, x=None, y=None, batch_size=None, epochs=1, verbose="auto", callbacks=None,
            validation_split=0.0, validation_data=None, shuffle=True, class_weight=None,
            sample_weight=None, initial_epoch=0, steps_per_epoch=None, validation_steps=None,
            validation_batch_size=None, validation_freq=1):
        """Trains the model for a number of epochs.

        Args:
            x: Input data: a numpy array or torch tensor, samples on the first axis.
            y: Targets, same number of samples as `x`.
            batch_size: Samples per gradient step. Defaults to `32`.
            epochs: Index of the epoch to stop after (with `initial_epoch`). Defaults to `1`.
            verbose: `"auto"` (= 1), `0` silent, `1` progress bar, `2` one line per epoch.
            callbacks: List of `kerastorch.callbacks.Callback`.
            validation_split: Fraction of the data (the LAST samples, before shuffling) held
                out for validation. Defaults to `0.0`.
            validation_data: `(x_val, y_val)` or `(x_val, y_val, sample_weight_val)`.
            shuffle: Whether to shuffle the training samples each epoch. Defaults to `True`.
            class_weight: Optional dict `{class_id: weight}` scaling the loss per class.
            sample_weight: Optional per-sample weights, shape `(samples,)`.
            initial_epoch: Epoch to start from (to resume). Defaults to `0`.
            steps_per_epoch: Optional cap on batches per epoch.
            validation_steps: Optional cap on validation batches.
            validation_batch_size: Batch size for validation. Defaults to `batch_size`.
            validation_freq: An int (validate every this many epochs) or a list of the
                1-based epochs to validate after (`[1, 3]`), as Keras. Defaults to `1`.

        Returns:
            A `History` whose `.history` maps `loss`, each metric and their `val_`
            versions to per-epoch values.

        Example:
        >>> import numpy as np, kerastorch
        >>> from kerastorch import layers
        >>> model = kerastorch.Sequential([layers.Input(shape=(3,)), layers.Dense(1)])
        >>> model.compile(optimizer="sgd", loss="mse")
        >>> history = model.fit(np.ones((8, 3)), np.ones((8, 1)), epochs=2, verbose=0)
        >>> len(history.history["loss"])
        2
        """
        self._require_compiled("fit")
        compile_utils.check_validation_freq(validation_freq)
        if batch_size is None:
            batch_size = 32
        epochs = _capped_epochs(epochs)
        _check_batch_size(batch_size, "batch_size")
        train_batches, y_t = self._batches_for(x, y, sample_weight, batch_size, shuffle, steps_per_epoch,
                                               "fit", class_weight, validation_split=validation_split,
                                               split_off=validation_data is None and bool(validation_split))
        val_batches = None
        if isinstance(train_batches, tuple):   # arrays with validation_split: (train, val)
            train_batches, val_batches = train_batches
        if validation_data is not None:
            val_batches = self._validation_batches(validation_data, validation_batch_size or batch_size,
                                                   validation_steps)
        self._targets_checked = False     # new data: check these targets, not the last fit's
        self._check_targets_upfront(y_t)
        self._build_optimizer()
        verbose = _chief_verbose(1 if verbose == "auto" else verbose)
        cbs = CallbackList(callbacks, model=self, add_history=True, add_progbar=True,
                           verbose=verbose, epochs=epochs, steps=train_batches.num_batches)
        return self._fit_loop(train_batches, val_batches, cbs, epochs, initial_epoch, validation_freq)

    def _batches_for(self, x, y, sample_weight, batch_size, shuffle, steps, what, class_weight=None,
                     validation_split=0.0, split_off=False):
        """Batches for any accepted input; builds the model from the data and moves it to the device.

        Returns `(batches, y_tensor_or_None)`; with `split_off`, batches is `(train, validation)`.
        """
        device = self._device()
        dist = _active_distribution()
        steps = _capped_steps(steps)
        # predict() shards arrays itself (see predict); other sources are not sharded for it.
        if dist is not None and what != "predict" and not isinstance(x, (np.ndarray, torch.Tensor, list, tuple)):
            x = dist.distribute_dataset(x, batch_size=batch_size, shuffle=shuffle)
        iterable = data_lib.make_batches(x, y, sample_weight, batch_size, shuffle, device, steps,
                                         self._accepts_integer_inputs(), f"{what}(x=...)", class_weight)
        if iterable is not None:
            if validation_split:
                raise ValueError(
                    f"`validation_split` is only supported when x is an array or a tensor, but x is a "
                    f"{data_lib.describe(x)}, whose samples cannot be split off. Pass "
                    "validation_data=... instead (a DataLoader, a generator or (x_val, y_val))."
                )
            first_x = iterable.first()[0]
            self._check_input_shape(tuple(first_x.shape))
            self._prepare_for_run(tuple(first_x.shape))
            return iterable, None
        x_t, y_t, sw_t = self._prepare_arrays(x, y, sample_weight, what)
        if class_weight is not None:
            data_lib.check_class_weight(class_weight, sw_t)
        self._prepare_for_run(tuple(x_t.shape))
        shard = self._shard() if what != "predict" else None
        val = None
        if split_off:
            (x_t, y_t, sw_t), val = data_lib.split_validation((x_t, y_t, sw_t), validation_split)
        if class_weight is not None:   # the training samples only: Keras' val_loss is unweighted
            sw_t = data_lib.class_weight_to_sample_weight(y_t, class_weight, sw_t)
        if val is not None:
            return (data_lib.ArrayBatches((x_t, y_t, sw_t), batch_size, shuffle, device, steps, shard),
                    data_lib.ArrayBatches(val, batch_size, False, device, _capped_steps(None), shard)), y_t
        return data_lib.ArrayBatches((x_t, y_t, sw_t), batch_size, shuffle, device, steps, shard), y_t

    def _validation_batches(self, validation_data, batch_size, steps):
        steps = _capped_steps(steps)
        device = self._device()
        dist = _active_distribution()
        if dist is not None and not isinstance(validation_data, (np.ndarray, torch.Tensor, list, tuple)):
            validation_data = dist.distribute_dataset(validation_data, batch_size=batch_size, shuffle=False)
        iterable = data_lib.make_batches(validation_data, None, None, batch_size, False, device, steps,
                                         self._accepts_integer_inputs(), "fit(validation_data=...)")
        if iterable is not None:
            return iterable
        vx, vy, vsw = self._unpack_validation(validation_data)
        return data_lib.ArrayBatches((vx, vy, vsw), batch_size, False, device, steps, self._shard())

    def _unpack_validation(self, validation_data):
        if isinstance(validation_data, (list, tuple)) and len(validation_data) in (2, 3):
            vx, vy = validation_data[0], validation_data[1]
            vsw = validation_data[2] if len(validation_data) == 3 else None
            return self._prepare_arrays(vx, vy, vsw, "fit(validation_data=...)")
        raise ValueError(
            "`validation_data` must be a tuple (x_val, y_val) or (x_val, y_val, sample_weight_val), "
            f"got {data_lib.describe(validation_data)}."
        )

    def _fit_loop(self, train_batches, val_batches, cbs, epochs, initial_epoch, validation_freq):
        interrupt = _GracefulInterrupt()
        try:
            return self._run_epochs(train_batches, val_batches, cbs, epochs, initial_epoch,
                                    validation_freq, interrupt)
        finally:
            interrupt.restore()

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
            if isinstance(train_batches, data_lib.ArrayBatches):
                train_batches.epoch = epoch   # the shared shuffle of data parallelism follows the epoch
            step_logs = None
            ran = False
            for first, step, group in _executions(train_batches, getattr(self, "steps_per_execution", 1)):
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
        """One execution: `train_step` on each of `batches` (`steps_per_execution` of them)."""
        step_logs = None
        for i, batch in enumerate(batches):
            if nan_checks:
                _check_finite_batch(batch, epoch, first_step + i)
            step_logs = self.train_step(_as_keras_batch(batch))
            if nan_checks:
                self._check_finite_loss(step_logs, epoch, first_step + i)
        return step_logs

    def _test_function(self, batches):
        """One execution of `test_step` over `batches`; the last step's logs."""
        step_logs = None
        for batch in batches:
            step_logs = self.test_step(_as_keras_batch(batch))
        return step_logs

    def _epoch_logs(self, step_logs):
        """The logs at the end of an epoch (or evaluation): over every process when distributed."""
        dist = _active_distribution()
        if dist is not None and step_logs is None:
            return dist.global_logs(self)
        return self._logs_from_step(step_logs)

    def _logs_from_step(self, step_logs):
        if step_logs is None:
            return self._read_logs()
        values = {k: (v.item() if isinstance(v, torch.Tensor) else float(v)) for k, v in step_logs.items()}
        return dict(sorted(values.items()))

    # ------------------------------------------------------------------ evaluate
    def evaluate(self, x=None, y=None, batch_size=None, verbose="auto", sample_weight=None, steps=None,
                 callbacks=None, return_dict=False, **kwargs):
        """Returns the loss and metrics of the model on the given data.

        Args:
            x: Input data.
            y: Targets.
            batch_size: Samples per batch. Defaults to `32`.
            verbose: `"auto"` (= 1), `0` or `1`.
            sample_weight: Optional per-sample weights.
            steps: Optional number of batches to evaluate.
            callbacks: List of callbacks.
            return_dict: Whether to return `{name: value}` instead of a list.

        Returns:
            The loss (a float) if no metrics were compiled; else `[loss, *metrics]` in
            compile order; or a dict with `return_dict=True`.
        """
        if kwargs:   # Keras' signature has **kwargs, and refuses what it does not know
            raise ValueError(f"Arguments not recognized: {kwargs}. evaluate() takes x, y, batch_size, "
                             "verbose, sample_weight, steps, callbacks and return_dict.")
        self._require_compiled("evaluate")
        batch_size = 32 if batch_size is None else batch_size
        _check_batch_size(batch_size, "batch_size")
        batches, y_t = self._batches_for(x, y, sample_weight, batch_size, False, steps, "evaluate")
        self._targets_checked = False     # new data: check these targets (all of them for arrays)
        self._check_targets_upfront(y_t)
        verbose = _chief_verbose(1 if verbose == "auto" else verbose)
        cbs = CallbackList(callbacks, model=self, add_progbar=True, verbose=verbose, epochs=1,
                           steps=batches.num_batches)
        logs = self._evaluate_loop(batches, cbs)
        if return_dict:
            return logs
        ordered = [logs[name] for name in self._metric_names()]
        return ordered[0] if len(ordered) == 1 else ordered

    def _evaluate_loop(self, batches, cbs):
        was_training = self.training
        self.eval()
        self._reset_metrics()
        listeners = cbs.batch_listeners("test", "batch_end")
        begin_listeners = cbs.batch_listeners("test", "batch_begin")
        cbs.on_test_begin()
        step_logs = None
        # no_grad, not inference_mode: metric states first created here must stay usable in training.
        with torch.no_grad():
            for first, step, group in _executions(batches, getattr(self, "steps_per_execution", 1)):
                if begin_listeners:
                    begin_logs = {}
                    for cb in begin_listeners:
                        cb.on_test_batch_begin(first, logs=begin_logs)
                step_logs = self._test_function(group)
                for cb in listeners:
                    cb.on_test_batch_end(step, logs=(lambda sl=step_logs: self._logs_from_step(sl))
                                         if isinstance(cb, ProgbarLogger) else self._logs_from_step(step_logs))
        logs = self._epoch_logs(step_logs)
        cbs.on_test_end(logs)
        self.train(was_training)
        return logs

    # ------------------------------------------------------------------ predict
    def predict(self, x, batch_size=None, verbose="auto", steps=None, callbacks=None):
        """Returns the model's outputs for the input samples, as a numpy array.

        Runs in inference mode (no gradients, Dropout off, BatchNormalization on its
        moving statistics), batch by batch, into one preallocated output array. Under a
        `kerastorch.distribution`, each rank predicts a contiguous part of an array input and
        the parts are all-gathered: every rank returns all the outputs, in order.

        Args:
            x: Input data.
            batch_size: Samples per batch. Defaults to `32`.
            verbose: `"auto"` (= 1), `0` or `1`.
            steps: Optional number of batches.
            callbacks: List of callbacks.

        Returns:
            numpy array of predictions, samples on the first axis.
        """
        batch_size = 32 if batch_size is None else batch_size
        _check_batch_size(batch_size, "batch_size")
        dist = _active_distribution()
        n_total = None
        # Under a distribution, arrays are cut into one contiguous part per rank, and the
        # outputs all-gathered (other sources: every rank predicts every sample).
        if (dist is not None and dist.world_size > 1 and steps is None
                and isinstance(x, (np.ndarray, torch.Tensor)) and x.ndim and x.shape[0]):
            x, n_total = dist.predict_shard(x)
        batches, _ = self._batches_for(x, None, None, batch_size, False, steps, "predict")
        device = self._device()
        verbose = _chief_verbose(1 if verbose == "auto" else verbose)
        cbs = CallbackList(callbacks, model=self, add_progbar=True, verbose=verbose, epochs=1,
                           steps=batches.num_batches)
        listeners = cbs.batch_listeners("predict", "batch_end")
        begin_listeners = cbs.batch_listeners("predict", "batch_begin")
        was_training = self.training
        self.eval()
        cbs.on_predict_begin()
        out = None
        filled = 0
        chunks = []   # outputs of sources of unknown size; arrays fill one preallocated array
        with torch.inference_mode():
            for first, step, group in _executions(batches, getattr(self, "steps_per_execution", 1)):
                if begin_listeners:
                    begin_logs = {}
                    for cb in begin_listeners:
                        cb.on_predict_batch_begin(first, logs=begin_logs)
                outputs = []
                for batch in group:      # one execution: steps_per_execution batches
                    y_pred = self.predict_step(_as_keras_batch(batch))
                    if not isinstance(batches, data_lib.ArrayBatches):
                        chunks.append(y_pred.to("cpu"))
                        filled += y_pred.shape[0]
                    elif out is None:
                        total = min(batches.n, batches.num_batches * batches.batch_size)
                        out = torch.empty((total, *y_pred.shape[1:]), dtype=y_pred.dtype, device="cpu",
                                          pin_memory=y_pred.is_cuda)
                    if out is not None:
                        out[filled:filled + y_pred.shape[0]].copy_(y_pred, non_blocking=y_pred.is_cuda)
                        filled += y_pred.shape[0]
                    if listeners:
                        outputs.append(y_pred)
                if listeners:
                    # Keras hands the hook the outputs of the whole execution.
                    y_pred = outputs[0] if len(outputs) == 1 else torch.cat(outputs)
                for cb in listeners:
                    cb.on_predict_batch_end(step, logs=None if isinstance(cb, ProgbarLogger) else {"outputs": y_pred})
        if out is not None and out.is_pinned():
            torch.cuda.synchronize(device)
        cbs.on_predict_end()
        self.train(was_training)
        if chunks:
            return torch.cat(chunks).numpy()
        if out is None:
            raise ValueError("predict() got no data: the input produced no batch.")
        if n_total is not None:
            return dist.gather_predictions(out[:filled], n_total).numpy()
        return out[:filled].numpy()

    # ------------------------------------------------------------------ single batches
    def train_on_batch(self, x, y=None, sample_weight=None, class_weight=None, return_dict=False):
        """Runs one gradient step on one batch and returns the loss (and metrics) on it."""
        self._require_compiled("train_on_batch")
        x_t, y_t, sw_t = self._prepare_arrays(x, y, sample_weight, "train_on_batch")
        if class_weight is not None:
            sw_t = data_lib.class_weight_to_sample_weight(y_t, class_weight, sw_t)
        device = self._prepare_for_run(tuple(x_t.shape))
        self._build_optimizer()
        self._reset_metrics()
        self.train()
        batch = tuple(None if t is None else t.to(device) for t in (x_t, y_t, sw_t))
        logs = self._logs_from_step(self.train_step(_as_keras_batch(batch)))
        return logs if return_dict else _ordered(self, logs)

    def test_on_batch(self, x, y=None, sample_weight=None, return_dict=False):
        """Returns the loss (and metrics) of the model on one batch, without training."""
        self._require_compiled("test_on_batch")
        x_t, y_t, sw_t = self._prepare_arrays(x, y, sample_weight, "test_on_batch")
        device = self._prepare_for_run(tuple(x_t.shape))
        batches = data_lib.ArrayBatches((x_t, y_t, sw_t), x_t.shape[0], False, device)
        logs = self._evaluate_loop(batches, CallbackList([], model=self))
        return logs if return_dict else _ordered(self, logs)

    def predict_on_batch(self, x):
        """Returns the model's outputs for one batch, as a numpy array."""
        return self.predict(x, batch_size=max(len(x), 1), verbose=0)


class _CompiledOrEager:
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


def _executions(batches, n):
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


class _GracefulInterrupt:
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


def _capped_epochs(epochs):
    """`epochs`, lowered to `kerastorch.config.max_epochs()` when that is set and smaller (as Keras)."""
    cap = config.max_epochs()
    if cap and cap < epochs:
        warnings.warn(f"Limiting epochs to {cap} (kerastorch.config.max_epochs()).", stacklevel=3)
        return cap
    return epochs


def _capped_steps(steps):
    """Batches per epoch, capped by `kerastorch.config.max_steps_per_epoch()` as Keras' EpochIterator does."""
    cap = config.max_steps_per_epoch()
    if cap and (not steps or cap < steps):
        warnings.warn(f"Limiting steps_per_epoch to {cap} (kerastorch.config.max_steps_per_epoch()).",
                      stacklevel=4)
        return cap
    return steps


def _check_finite_batch(batch, epoch, step):
    for name, tensor in zip(("x", "y", "sample_weight"), batch):
        if tensor is not None and tensor.is_floating_point() and not bool(torch.isfinite(tensor).all()):
            bad = int((~torch.isfinite(tensor)).sum())
            raise ValueError(
                f"The {name} of batch {step} (epoch {epoch + 1}, step {step + 1}) holds {bad} NaN or "
                f"infinite value(s), shape {tuple(tensor.shape)}. Clean the data (e.g. "
                "np.nan_to_num, or drop those samples) before training."
            )


def _active_distribution():
    """The active `kerastorch.distribution` (set explicitly, or detected from torchrun), or None."""
    from kerastorch import distribution

    return distribution.active()


def _chief_verbose(verbose):
    """Only the chief process (rank 0) prints progress under a distribution."""
    dist = _active_distribution()
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


def _as_keras_batch(batch):
    """(x, y, sw) with Nones -> the tuple Keras hands to train_step: (x,), (x, y) or (x, y, sw)."""
    x, y, sw = batch
    if sw is not None:
        return batch
    return (x,) if y is None else (x, y)


def _ordered(model, logs):
    values = [logs[name] for name in model._metric_names()]
    return values[0] if len(values) == 1 else values


def _check_batch_size(batch_size, arg):
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise ValueError(f"`{arg}` must be a positive integer, got {arg}={batch_size!r}.")
