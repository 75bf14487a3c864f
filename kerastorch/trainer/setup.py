"""What a run of fit/evaluate/predict sets up before its first step: the data adapter (and, on the
first run on the CPU, glibc's malloc told to keep freed memory: `kerastorch/_cpu_memory.py`), the
model built from the data's shapes and moved to the device, the layers' constraints and penalties, the direct
forwards (`runtime.DirectCall`) and the step functions (`StepMixin._setup_step_functions`), and the
optimizer's state.
"""

import warnings

import torch

from kerastorch import _cpu_memory, config
from kerastorch.ops import _tree as tree
from kerastorch.trainer import data_adapters
from kerastorch.trainer.runtime import active_distribution, capped_steps, direct_model_call, scales_loss_itself


class RunSetupMixin:
    """The set-up methods of `Trainer` (see the module docstring)."""

    # ------------------------------------------------------------------ data
    def _device(self):
        dist = active_distribution()
        return dist.device() if dist is not None else config.get_device()

    def _shard(self):
        dist = active_distribution()
        return (dist.rank, dist.world_size) if dist is not None else None

    def _adapter(self, x, y, sample_weight, batch_size, shuffle, steps, what, class_weight=None,
                 validation_split=0.0):
        """The data adapter for a call's data (and the validation one split off, or `None`);
        builds the model from the first batch's shapes and moves it to the device."""
        dist = active_distribution()
        steps = capped_steps(steps)
        device = self._device()
        _cpu_memory.reuse_for_device(device)     # once per process: freed CPU memory kept for reuse
        # predict() shards arrays itself (see predict); other sources are not sharded for it.
        if dist is not None and what != "predict" and data_adapters.source_kind(x) is not None:
            x = dist.distribute_dataset(x, batch_size=batch_size, shuffle=shuffle)
        adapter, val = data_adapters.get_data_adapter(
            x, y, sample_weight, batch_size=batch_size, shuffle=shuffle, device=device, steps=steps,
            keep_int_x=self._accepts_integer_inputs(), where=what, class_weight=class_weight,
            validation_split=validation_split, shard=self._shard() if what != "predict" else None,
            adjust_x=self._adjust_input_rank, validation_steps=capped_steps(None) if validation_split else None)
        self._prepare_for_batch(adapter.first_batch()[0], getattr(adapter, "data", None))
        return adapter, val

    def _prepare_for_batch(self, x, data=None):
        """Checks a first batch of inputs (or all of `data`'s, for arrays) against the model, builds
        it from their shapes, moves it to the device and chooses the step functions."""
        if isinstance(x, torch.Tensor):
            shapes = tuple(x.shape)
            self._check_input_shape(tuple(data[0].shape) if data is not None else shapes)
        else:
            shapes = tree.map_structure(lambda t: None if t is None else tuple(t.shape), x)
        return self._prepare_for_run(shapes)

    def _validation_adapter(self, validation_data, batch_size, steps):
        steps = capped_steps(steps)
        dist = active_distribution()
        where = "fit(validation_data=...)"
        if data_adapters.source_kind(validation_data) is not None:
            if dist is not None:
                validation_data = dist.distribute_dataset(validation_data, batch_size=batch_size, shuffle=False)
            vx, vy, vsw = validation_data, None, None
        elif isinstance(validation_data, (list, tuple)) and len(validation_data) in (2, 3):
            vx, vy = validation_data[0], validation_data[1]
            vsw = validation_data[2] if len(validation_data) == 3 else None
        else:
            raise ValueError(
                "`validation_data` must be a tuple (x_val, y_val) or (x_val, y_val, sample_weight_val), "
                f"a DataLoader, a Dataset, a PyDataset or a generator; got {data_adapters.describe(validation_data)}."
            )
        adapter, _ = data_adapters.get_data_adapter(
            vx, vy, vsw, batch_size=batch_size, shuffle=False, device=self._device(), steps=steps,
            keep_int_x=self._accepts_integer_inputs(), where=where, shard=self._shard(),
            adjust_x=self._adjust_input_rank)
        if isinstance(adapter, data_adapters.ArrayDataAdapter) and isinstance(adapter.data[0], torch.Tensor):
            self._check_input_shape(tuple(adapter.data[0].shape))
        return adapter

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
        if any(t.device != device for t in self.parameters()) or any(t.device != device for t in self.buffers()):
            self.to(device)     # (a walk of the tensors costs less than `to` on a model already there)
        self._collect_layer_hooks()
        dist = active_distribution()
        # The training forward goes through DistributedDataParallel when a distribution is
        # active; kept outside the module registry so it is not a submodule of itself.
        direct = direct_model_call(self)
        object.__setattr__(self, "_train_forward", dist.wrap_model(self) if dist is not None else direct)
        object.__setattr__(self, "_test_forward", direct)      # evaluation: no DDP wrapper
        self._setup_step_functions(device)
        return device

    def _maybe_build_from_data(self, data_shape):
        """Builds the model from the first batch's input shape (a tuple, or a structure of them)."""

    def _collect_layer_hooks(self):
        from kerastorch.layers.base import Layer

        layers = [m for m in self.modules() if isinstance(m, Layer)]
        self._constrained_layers = [l for l in layers if l._constraints]
        self._has_penalties = any(l._regularizers or l.activity_regularizer is not None for l in layers)

    def _build_optimizer(self):
        self._loss_scaled = (getattr(self.optimizer, "loss_scale_factor", None) is not None
                             or scales_loss_itself(self.optimizer))
        if not any(p.requires_grad for p in self.parameters()):
            # Keras' own text (its train_step warns so); training reports the loss and metrics
            # and changes no weight.
            warnings.warn("The model does not have any trainable weights.", stacklevel=3)
        if self._optimizer_built:
            self._choose_backward()
            return
        params = [p for p in self.parameters() if p.requires_grad]
        build = getattr(self.optimizer, "build", None)
        if build is not None and not isinstance(self.optimizer, torch.optim.Optimizer):
            build(params)
        self._optimizer_built = True
        self._choose_backward()
