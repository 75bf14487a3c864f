"""`compile`, `fit`, `evaluate` and `predict`: the training engine behind every kerastorch model.

Data reaches the loops through one data adapter per source (`trainer/data_adapters/`); the steps
and the losses and metrics they compute are in `trainer/step.py`; models with several outputs
get per-output losses and metrics from `trainer/compile_outputs.py`. The loops never read a value
back from the device per step: the loss and metrics accumulate on the device, and are read only
when the progress bar redraws (bounded rate), when a callback asks for batch logs, and at the
end of each epoch.
"""

import warnings

import numpy as np
import torch

from kerastorch.callbacks.callback import CallbackList
from kerastorch.layers import tracking
from kerastorch.trainer import compile_utils, data_adapters, fast_inference
from kerastorch.trainer.runtime import (active_distribution, as_keras_batch, capped_epochs, check_batch_size,
                                        chief_verbose, unpack_x_y_sample_weight)
from kerastorch.trainer.loops import LoopsMixin
from kerastorch.trainer.setup import RunSetupMixin
from kerastorch.trainer.step import StepMixin
from kerastorch.trainer.trackers import ACCURACY_ALIASES, CompileMetrics, LossTracker, ShapeResolvedMetric

__all__ = ["Trainer", "unpack_x_y_sample_weight"]


class Trainer(RunSetupMixin, LoopsMixin, StepMixin):
    """Mixin giving a model Keras' training API. `kerastorch.Model` and `Sequential` include it."""

    def _init_trainer(self):
        self.compiled = False
        self.optimizer = None
        self.loss = None
        self.stop_training = False
        self.history = None
        self._compile_metric_specs = []
        self._compile_metrics = None
        self._compile_metrics_container = None   # Keras' CompileMetrics, as `metrics` lists it
        self._loss_tracker = LossTracker()
        self._targets_checked = False
        self._loss_scaled = False
        self._step_fns = None
        self._loss_scaler = None
        self._fused_loss = None
        self._constrained_layers = []
        self._has_penalties = False
        self._loss_weight = None     # compile(loss_weights=...) on the single output; None is 1
        self._loss_fn = None
        self._output_slots = None         # compile_outputs.Outputs once a model shows several outputs
        self._outputs_pending = False

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
        n_outputs = self._known_output_count()
        several = (n_outputs or 0) > 1 or (n_outputs is None and compile_utils.holds_several(loss))
        loss_weight = None if several else compile_utils.single_loss_weight(loss_weights)
        self.steps_per_execution = int(steps_per_execution)
        self.optimizer = optimizers.get(optimizer)
        if (auto_scale_loss and isinstance(self.optimizer, optimizers.Optimizer)
                and not isinstance(self.optimizer, optimizers.LossScaleOptimizer)
                and getattr(getattr(self, "dtype_policy", None), "name", None) == "mixed_float16"):
            # As Keras: a mixed_float16 model trains through a LossScaleOptimizer.
            self.optimizer = optimizers.LossScaleOptimizer(self.optimizer, name="loss_scale_optimizer")
        self._loss_weight = loss_weight
        self.loss = loss
        # Several outputs: per-output losses and metrics are matched at the first batch, when
        # the outputs' structure and shapes are known (trainer/compile_outputs.py), as in Keras.
        self._output_slots = None
        self._outputs_pending = True
        # As Keras: one container of the compiled metrics when `metrics` or `weighted_metrics` is given
        # (an empty list too), listed by `self.metrics` as "compile_metrics".
        metrics_given = metrics is not None
        self._compile_metrics_container = (CompileMetrics(self) if metrics_given or weighted_metrics is not None
                                           else None)
        if metrics is None:
            metrics = []
        if several:
            self._loss_fn = compile_utils.PendingOutputs(self) if loss is not None else None
            self._compile_metrics, self._weighted_from = [], 0
        else:
            single_loss = compile_utils.single_loss(loss, getattr(self, "output_names", None))
            self._loss_fn = losses.resolve_loss(single_loss)  # a Loss object, also for names of functions
            if isinstance(metrics, (str, dict)) or callable(metrics):
                metrics = compile_utils.single_output_metrics(metrics)
            if not isinstance(metrics, (list, tuple)):
                raise TypeError(f"`metrics` must be a list of metric names, Metric objects or callables, "
                                f"got {metrics!r}.")
            metrics = compile_utils.flat_metrics(metrics)
            weighted = compile_utils.flat_metrics(compile_utils.single_output_metrics(weighted_metrics or []))
            self._compile_metric_specs = list(metrics) + list(weighted)
            self._weighted_from = len(metrics)
            self._compile_metrics = [self._make_metric(spec) for spec in self._compile_metric_specs]
        self._compile_config = dict(optimizer=optimizer, loss=loss, loss_weights=loss_weights,
                                    metrics=metrics if metrics_given else None, weighted_metrics=weighted_metrics,
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

    def get_compile_config(self):
        """Returns the arguments `compile()` was called with, serialized as Keras writes them.

        Returns:
            A dict (`optimizer`, `loss`, `metrics`, ... in Keras' `compile_config` form); an
            empty dict if the model is not compiled, as Keras returns.

        Example:
        >>> import kerastorch
        >>> from kerastorch import layers
        >>> model = kerastorch.Sequential([layers.Input(shape=(2,)), layers.Dense(1)])
        >>> model.compile(optimizer="sgd", loss="mse")
        >>> model.get_compile_config()["loss"]
        'mse'
        """
        from kerastorch.saving import serialization

        return serialization.serialize_compile_config(self) or {}

    def compile_from_config(self, config):
        """Compiles the model from a `get_compile_config()` dict (as Keras' `compile_from_config`).

        Args:
            config: A dict from `get_compile_config()` (this library's or real Keras').

        Example:
        >>> import kerastorch
        >>> from kerastorch import layers
        >>> model = kerastorch.Sequential([layers.Input(shape=(2,)), layers.Dense(1)])
        >>> model.compile(optimizer="adam", loss="mae")
        >>> other = kerastorch.Sequential([layers.Input(shape=(2,)), layers.Dense(1)])
        >>> other.compile_from_config(model.get_compile_config())
        >>> other.compiled, type(other.optimizer).__name__
        (True, 'Adam')
        """
        from kerastorch.saving import serialization

        if not isinstance(config, dict):
            raise TypeError(f"compile_from_config expects a dict from get_compile_config(), got {type(config).__name__}.")
        serialization.compile_from_config(self, config, where="compile_from_config")

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

    def _known_output_count(self):
        """The number of outputs when the model knows it before running (Functional), else `None`."""
        try:
            names = getattr(self, "output_names", None)
        except (AttributeError, ValueError):
            names = None
        return len(names) if isinstance(names, (list, tuple)) and names else None

    @staticmethod
    def _make_metric(spec):
        from kerastorch import metrics as metrics_lib

        if isinstance(spec, str) and spec.lower() in ACCURACY_ALIASES:
            return ShapeResolvedMetric(spec)
        return metrics_lib.get(spec)

    @property
    def metrics(self):
        """The model's metrics, as Keras lists them. Once compiled: the loss tracker (a mean named
        `"loss"`), the compiled metrics' container (`"compile_metrics"`, a `CompileMetrics` whose
        `.metrics` are the individual metrics) when `compile()` got `metrics` or `weighted_metrics`,
        then each output's loss tracker (`"<output>_loss"`) once a model with several outputs has run.
        Then, compiled or not, each `Metric` set as an attribute of the model (or held in a list,
        tuple or dict on it), in the order they were set, then the `metrics` of each sublayer in
        Keras' `_flatten_layers` order (a nested model's own metrics are left out, its layers' are
        not; a metric of a layer two levels down comes once per level, as in Keras).

        `reset_metrics()` (at the start of each epoch of `fit`, and of `evaluate`) resets them all,
        and the logs show each one's result, so a custom `train_step` may return
        `{m.name: m.result() for m in self.metrics}`.

        Example:
        >>> import kerastorch
        >>> from kerastorch import layers
        >>> class Regressor(kerastorch.Model):
        ...     def __init__(self, **kwargs):
        ...         super().__init__(**kwargs)
        ...         self.dense = layers.Dense(1)
        ...         self.mae_metric = kerastorch.metrics.MeanAbsoluteError(name="mae")
        ...     def call(self, x):
        ...         return self.dense(x)
        >>> model = Regressor()
        >>> [m.name for m in model.metrics]
        ['mae']
        >>> model.compile(optimizer="sgd", loss="mse", metrics=["mse"])
        >>> [m.name for m in model.metrics]
        ['loss', 'compile_metrics', 'mae']
        """
        out = []
        if self.compiled:
            container = getattr(self, "_compile_metrics_container", None)
            out.append(self._loss_tracker)
            if container is not None:
                out.append(container)
            out.extend(getattr(self._loss_fn, "trackers", None) or [])
        out.extend(tracking.own_metrics(self))
        if tracking.metrics_tracked():
            for layer in tracking._flatten_sublayers(self):
                if not isinstance(layer, Trainer):   # as Keras: a nested model's trainer metrics are its own
                    out.extend(layer.metrics)
        return out

    @property
    def metrics_names(self):
        """The names of `self.metrics`, as Keras: `"loss"`, `"compile_metrics"` when metrics were
        compiled, each output's `"<output>_loss"` once a model with several outputs has run, then
        the names of the metrics set as attributes of the model and its layers (see `metrics`).
        `evaluate(..., return_dict=True)` names each value.

        Example:
        >>> import kerastorch
        >>> from kerastorch import layers
        >>> model = kerastorch.Sequential([layers.Input(shape=(2,)), layers.Dense(1)])
        >>> model.compile(optimizer="sgd", loss="mse", metrics=["mae"])
        >>> model.metrics_names
        ['loss', 'compile_metrics']
        """
        return [m.name for m in self.metrics]

    def _require_compiled(self, what):
        if not self.compiled:
            raise ValueError(
                f"You must call `compile()` before using the model: {what}() needs an optimizer "
                "and a loss. For example: model.compile(optimizer='adam', "
                "loss='categorical_crossentropy', metrics=['accuracy'])."
            )
        # Without a compiled loss, the layers' `add_loss` losses train the model, as in Keras;
        # with neither, the first step refuses ("No loss to compute") before changing any weight.

    # ------------------------------------------------------------------ logs
    def _read_logs(self):
        """Reads the metric values (one device sync), sorted by name as Keras' History is: the
        results of `self.metrics`, a container's dict of results merged in (`get_metrics_result`)."""
        results = compile_utils.flat_results(self.metrics)
        if len(results) > 1 and all(type(v) is torch.Tensor and v.device.type == "cpu"
                                    and v.dtype in (torch.float32, torch.float64) for v in results.values()):
            stacked = [float(v) for v in results.values()]   # CPU values: read as they are, no copies
        elif len(results) > 1:
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
        container = getattr(self, "_compile_metrics_container", None)
        if container is not None:
            container._mark_built()     # a run starts: Keras builds its CompileMetrics then
        self.reset_metrics()   # overridable, as Keras' fit/evaluate call it

    def reset_metrics(self):
        """Resets the state of every metric in `self.metrics`: the loss tracker, the compiled metrics, and
        the metrics set as attributes of the model and its layers. `fit` calls it at the start of each
        epoch, `evaluate` at its start, as in Keras; override it (with `metrics`) to reset others.

        Example:
        >>> import numpy as np, kerastorch
        >>> from kerastorch import layers
        >>> model = kerastorch.Sequential([layers.Input(shape=(2,)), layers.Dense(1)])
        >>> model.compile(optimizer="sgd", loss="mse")
        >>> _ = model.fit(np.ones((4, 2)), np.ones((4, 1)), verbose=0)
        >>> model.reset_metrics()
        >>> float(model.metrics[0].result())
        0.0
        """
        for m in self.metrics:
            m.reset_state()

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
        epochs = capped_epochs(epochs)
        check_batch_size(batch_size, "batch_size")
        split = validation_split if validation_data is None else 0.0
        train_batches, val_batches = self._adapter(x, y, sample_weight, batch_size, shuffle, steps_per_epoch,
                                                   "fit", class_weight, validation_split=split)
        if validation_data is not None:
            val_batches = self._validation_adapter(validation_data, validation_batch_size or batch_size,
                                                   validation_steps)
        object.__setattr__(self, "_targets_checked", False)   # new data: check these targets, not the last fit's
        self._check_targets_upfront(getattr(train_batches, "targets", None))
        self._build_optimizer()
        verbose = chief_verbose(1 if verbose == "auto" else verbose)
        cbs = CallbackList(callbacks, model=self, add_history=True, add_progbar=True,
                           verbose=verbose, epochs=epochs, steps=train_batches.num_batches)
        return self._fit_loop(train_batches, val_batches, cbs, epochs, initial_epoch, validation_freq)

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
        check_batch_size(batch_size, "batch_size")
        logs = fast_inference.evaluate(self, x, y, batch_size, verbose, sample_weight, steps, callbacks)
        if logs is None:          # not a repeat of an earlier call's kind with nothing changed since
            batches, _ = self._adapter(x, y, sample_weight, batch_size, False, steps, "evaluate")
            object.__setattr__(self, "_targets_checked", False)   # new data: check these targets (all for arrays)
            self._check_targets_upfront(getattr(batches, "targets", None))
            cbs = CallbackList(callbacks, model=self, add_progbar=True, verbose=chief_verbose(
                1 if verbose == "auto" else verbose), epochs=1, steps=batches.num_batches)
            logs = self._evaluate_loop(batches, cbs)
            fast_inference.remember_evaluate(self, x, y, batch_size, verbose, sample_weight, steps, callbacks,
                                             batches)
        return logs if return_dict else self._ordered_results(logs)

    # ------------------------------------------------------------------ predict
    def predict(self, x, batch_size=None, verbose="auto", steps=None, callbacks=None):
        """Returns the model's outputs for the input samples, as numpy arrays.

        Runs in inference mode (no gradients, Dropout off, BatchNormalization on its
        moving statistics), batch by batch, into preallocated output arrays. Under a
        `kerastorch.distribution`, each rank predicts a contiguous part of an array input and
        the parts are all-gathered: every rank returns all the outputs, in order.

        Args:
            x: Input data: an array, or a list/dict of arrays for several inputs; or a
                DataLoader, Dataset, PyDataset or generator.
            batch_size: Samples per batch. Defaults to `32`.
            verbose: `"auto"` (= 1), `0` or `1`.
            steps: Optional number of batches.
            callbacks: List of callbacks.

        Returns:
            A numpy array of predictions, samples on the first axis; for a model with several
            outputs, a list or dict of arrays in the model's output structure.

        Example:
        >>> import numpy as np, kerastorch
        >>> from kerastorch import layers
        >>> model = kerastorch.Sequential([layers.Input(shape=(3,)), layers.Dense(2)])
        >>> model.predict(np.ones((5, 3)), verbose=0).shape
        (5, 2)
        """
        batch_size = 32 if batch_size is None else batch_size
        check_batch_size(batch_size, "batch_size")
        result = fast_inference.run(self, x, batch_size, verbose, steps, callbacks)
        if result is not None:      # a repeat of an earlier call's kind, nothing changed since
            return result
        dist = active_distribution()
        n_total = None
        # Under a distribution, arrays are cut into one contiguous part per rank, and the
        # outputs all-gathered (other sources: every rank predicts every sample).
        if (dist is not None and dist.world_size > 1 and steps is None
                and isinstance(x, (np.ndarray, torch.Tensor)) and x.ndim and x.shape[0]):
            x, n_total = dist.predict_shard(x)
        batches, _ = self._adapter(x, None, None, batch_size, False, steps, "predict")
        verbose = chief_verbose(1 if verbose == "auto" else verbose)
        cbs = CallbackList(callbacks, model=self, add_progbar=True, verbose=verbose, epochs=1,
                           steps=batches.num_batches)
        result = self._predict_loop(batches, cbs)
        if n_total is not None:
            return dist.gather_predictions(torch.from_numpy(result), n_total).numpy()
        fast_inference.remember(self, x, batch_size, verbose, steps, callbacks, batches, result)
        return result

    # ------------------------------------------------------------------ single batches
    def train_on_batch(self, x, y=None, sample_weight=None, class_weight=None, return_dict=False):
        """Runs one gradient step on one batch and returns the loss (and metrics) on it.

        Args:
            x: Inputs (an array, or a list/dict of arrays for several inputs).
            y: Targets (per output: a list or dict by output name).
            sample_weight: Optional per-sample weights (per output: a list or dict).
            class_weight: Optional `{class id: weight}` (single-output models).
            return_dict: Whether to return `{name: value}` instead of a list.
        """
        self._require_compiled("train_on_batch")
        adapter = self._single_batch(x, y, sample_weight, "train_on_batch", class_weight)
        self._build_optimizer()
        self._reset_metrics()
        was_training = self.training
        self.train()
        try:
            logs = self._logs_from_step(self.train_step(as_keras_batch(adapter.first_batch())))
        finally:
            self.train(was_training)
        return logs if return_dict else self._ordered_results(logs)

    def test_on_batch(self, x, y=None, sample_weight=None, return_dict=False):
        """Returns the loss (and metrics) of the model on one batch, without training.

        Args:
            x: Inputs. y: Targets. sample_weight: Optional weights. return_dict: As `evaluate`.
        """
        self._require_compiled("test_on_batch")
        adapter = self._single_batch(x, y, sample_weight, "test_on_batch")
        logs = self._evaluate_loop(adapter, CallbackList([], model=self))
        return logs if return_dict else self._ordered_results(logs)

    def predict_on_batch(self, x):
        """Returns the model's outputs for one batch, as numpy arrays (as `predict`)."""
        return self.predict(x, batch_size=max(data_adapters.conversions.num_samples(
            data_adapters.conversions.structure_to_tensors(x, "x")) or 1, 1), verbose=0)

    def _single_batch(self, x, y, sample_weight, what, class_weight=None):
        """An adapter delivering all of `x` (arrays) as one batch."""
        data = data_adapters.convert_arrays(x, y, sample_weight, self._accepts_integer_inputs(), what,
                                            self._adjust_input_rank)
        n = data_adapters.conversions.num_samples(data[0])
        adapter, _ = data_adapters.get_data_adapter(*data, batch_size=max(n, 1), shuffle=False,
                                                    device=self._device(), keep_int_x=True, where=what,
                                                    class_weight=class_weight)
        self._prepare_for_batch(adapter.first_batch()[0])
        return adapter

    def _ordered_results(self, logs):
        """`evaluate`'s list: Keras' `_flatten_metrics_in_order`. The values named by `self.metrics`
        (a container by its metrics' own names) in that order, then the other logs by name."""
        names = []
        for metric in self.metrics:
            if isinstance(metric, CompileMetrics):
                names.extend(m.name for m in metric.metrics)
            else:
                names.append(metric.name)
        values = [logs[name] for name in names if name in logs]
        values += [logs[key] for key in sorted(logs) if key not in names]
        return values[0] if len(values) == 1 else values
