"""`DataParallel(shard_parameters=True)`: the model sharded over ranks with FSDP2 (`fully_shard`).

What `shard_model` does to a built model, and why:

- Rank 0's parameters and buffers are broadcast (as DDP does), then each top-level layer that
  has trainable parameters, then the model itself, goes through
  `torch.distributed.fsdp.fully_shard`: every parameter becomes a `DTensor` sharded on dim 0
  (rank `r` keeps rows `[r * ceil(d/W), ...)`), gradients are reduce-scattered into shards of
  the same layout, and the optimizer, built on these parameters, creates its slots with
  `torch.full_like` as `DTensor`s of the same layout: parameters, gradients and optimizer
  state take about `1/W` of the memory on each rank. kerastorch's optimizers run unchanged:
  `torch._foreach_*` (and `torch._fused_adam_`) on `DTensor`s compute on the local shards
  (norms for clipping are reduced over ranks by `DTensor` itself).
- The training forward records this rank's sample count, all-reduces the counts (one small
  collective per step) and scales the output's gradient by `n_r * W / N`, so FSDP's mean over
  ranks becomes the sample-weighted mean `sum_r n_r g_r / N` that DDP's hook computes: a global
  batch split 4 + 3 gives one process's gradient.
- Reading weights (`get_weights`, `layer.weights`, `save_weights`, `ModelCheckpoint`) needs the
  full tensors, and gathering them is a collective that every rank must join. So at each
  `global_logs` (end of every epoch and of `evaluate`, where all ranks are) the weights and
  optimizer slots are gathered (`DTensor.full_tensor()`) into a CPU snapshot on every rank;
  reads use it until the next training step. A read while the snapshot is stale (after a
  `train_on_batch`, say) gathers on the spot: every rank must then make the same read.
- Writing (`set_weights`, `load_weights`) copies the full arrays into the shards (each rank
  keeps its own rows, no communication) under `implicit_replication`.

The layer classes are swapped (as `fully_shard` itself does) for subclasses that keep the
original class's name, so saved files and configs name `Dense`, not `FSDPDense`.
"""

import weakref

import torch
import torch.distributed as dist

from kerastorch.variables import stored_tensor

_READABLE = {}   # FSDP class -> readable subclass


def _dtensor_types():
    from torch.distributed.tensor import DTensor

    return DTensor


def _fully_shard():
    try:
        from torch.distributed.fsdp import fully_shard
    except ImportError:   # torch < 2.6
        from torch.distributed._composable.fsdp import fully_shard
    return fully_shard


def _implicit_replication():
    from torch.distributed.tensor.experimental import implicit_replication

    return implicit_replication()


def is_sharded(tensor):
    """Whether `tensor` is a `DTensor` (a parameter, gradient or slot sharded by FSDP2)."""
    return isinstance(tensor, _dtensor_types())


def local_numel(tensor):
    """The number of elements this rank stores for `tensor` (its shard, or all of it)."""
    return tensor.to_local().numel() if is_sharded(tensor) else tensor.numel()


class _ShardedState:
    """Per model: the strategy, and the CPU snapshot of the gathered weights and optimizer slots."""

    def __init__(self, strategy, model):
        self.strategy = strategy
        self.model_ref = weakref.ref(model)
        self.weights = None    # {(id(layer), name): full tensor (CPU)}
        self.slots = None      # [full tensor (CPU)] in optimizer._slot_variables order

    def invalidate(self):
        self.weights = None
        self.slots = None

    def refresh(self):
        """Gathers every sharded weight and optimizer slot (a collective: every rank calls it)."""
        if self.weights is not None:
            return
        model = self.model_ref()
        if model is None:
            return
        weights = {}
        for owner, name in model._weight_slots():
            # The stored tensor is gathered, in its own layout; `_keras_value` converts the full
            # tensor afterwards (converting the sharded one would redistribute it unevenly).
            value = stored_tensor(getattr(owner, name))
            if is_sharded(value):
                weights[(id(owner), name)] = value.full_tensor().detach().cpu()
        opt = getattr(model, "optimizer", None)
        slots = None
        variables = getattr(opt, "_slot_variables", None)
        if variables is not None and any(is_sharded(v) for v in variables):
            slots = [v.full_tensor().detach().cpu() if is_sharded(v) else v for v in variables]
        self.weights, self.slots = weights, slots

    def read(self, owner, name, value):
        if self.weights is not None and (id(owner), name) in self.weights:
            return self.weights[(id(owner), name)]
        return value.full_tensor()


def _base_keras_value(layer, name):
    for cls in type(layer).__mro__:
        if "_kerastorch_readable" in cls.__dict__:
            continue
        fn = cls.__dict__.get("_keras_value")
        if fn is not None:
            return fn(layer, name)
    return getattr(layer, name)


def _state_of(layer):
    return layer.__dict__.get("_kerastorch_fsdp_state")


class _Readable:
    """Mixed into the layer classes of a sharded model: weights read as full tensors."""

    _kerastorch_readable = True

    def _keras_value(self, name):
        stored = stored_tensor(getattr(self, name))
        state = _state_of(self)
        if state is not None and is_sharded(stored):
            full = state.read(self, name, stored)
            layout = self._weight_layouts.get(name)
            return layout[1](full) if layout else full
        return _base_keras_value(self, name)

    def set_weights(self, weights):
        state = _state_of(self)
        with _implicit_replication():
            super().set_weights(weights)
        if state is not None:
            state.invalidate()

    def load_weights(self, *args, **kwargs):
        state = _state_of(self)
        with _implicit_replication():
            out = super().load_weights(*args, **kwargs)
        if state is not None:
            state.invalidate()
        return out

    def save_weights(self, *args, **kwargs):
        with _gathered_optimizer_slots(self):
            return super().save_weights(*args, **kwargs)

    def save(self, *args, **kwargs):
        with _gathered_optimizer_slots(self):
            return super().save(*args, **kwargs)


class _gathered_optimizer_slots:
    """Puts the gathered (full) optimizer slots in place of the sharded ones while saving."""

    def __init__(self, model):
        self.model = model
        self.saved = None

    def __enter__(self):
        state = _state_of(self.model)
        opt = getattr(self.model, "optimizer", None)
        variables = getattr(opt, "_slot_variables", None)
        if state is None or not variables or not any(is_sharded(v) for v in variables):
            return self
        slots = state.slots
        if slots is None:   # stale: gather now (every rank must be saving)
            slots = [v.full_tensor().detach().cpu() if is_sharded(v) else v for v in variables]
        full = {id(v): f for v, f in zip(variables, slots)}
        self.saved = (opt, list(variables), [list(g) for g in opt._slot_groups])
        opt._slot_variables[:] = [full.get(id(v), v) for v in variables]
        for group in opt._slot_groups:
            group[:] = [full.get(id(v), v) for v in group]
        return self

    def __exit__(self, *exc):
        if self.saved is not None:
            opt, variables, groups = self.saved
            opt._slot_variables[:] = variables
            for group, old in zip(opt._slot_groups, groups):
                group[:] = old
        return False


def _readable_class(cls):
    if getattr(cls, "_kerastorch_readable", False):
        return cls
    if cls not in _READABLE:
        original = next((c for c in cls.__mro__ if c.__name__ == cls.__name__.removeprefix("FSDP")
                         and not c.__name__.startswith("FSDP")), cls)
        new = type(original.__name__, (_Readable, cls), {"__module__": original.__module__,
                                                        "__qualname__": original.__qualname__})
        _READABLE[cls] = new
    return _READABLE[cls]


class _SampleWeightedForward:
    """The training forward of a sharded model: sample-weighted gradient average over ranks."""

    def __init__(self, model, strategy, state):
        self.model = model
        self.strategy = strategy
        self.state = state

    def __call__(self, x, *args, **kwargs):
        self.state.invalidate()   # the weights are about to change
        y = self.model(x, *args, **kwargs)
        if not (torch.is_grad_enabled() and isinstance(y, torch.Tensor) and y.requires_grad
                and isinstance(x, torch.Tensor) and x.dim()):
            return y
        n = x.shape[0]
        counts = torch.tensor([float(n)], dtype=torch.float64, device=y.device)
        self.strategy._check_collective("all-reduce the sample counts",
                                        lambda: dist.all_reduce(counts, op=dist.ReduceOp.SUM))
        total = float(counts.item())
        # FSDP divides the reduce-scattered sum by W; n * W / N turns it into sum_r n_r g_r / N.
        scale = n * self.strategy.world_size / total if total > 0 else 0.0
        if n == 0:
            y.register_hook(lambda g: torch.zeros_like(g))   # an empty batch's mean loss is NaN
        elif scale != 1.0:
            y.register_hook(lambda g: g * scale)
        return y


def shard_model(strategy, model):
    """Shards `model` in place with FSDP2; returns its training forward (see the module doc).

    Args:
        strategy: The `DataParallel(shard_parameters=True)`; its process group is started.
        model: A built kerastorch model on `strategy.device()`.

    Returns:
        A callable `(x, training=True)` whose backward gives the sample-weighted gradient.
    """
    from kerastorch.layers.base import Layer

    existing = model.__dict__.get("_kerastorch_fsdp_state")
    if existing is not None:   # sharded before (the cache was dropped): keep the same FSDP
        return _SampleWeightedForward(model, strategy, existing)
    opt = getattr(model, "optimizer", None)
    if getattr(opt, "built", False) and getattr(opt, "_params", None):
        raise ValueError(
            f"DataParallel(shard_parameters=True): the optimizer of model '{model.name}' was already "
            "built on the unsharded parameters (by an earlier fit/train_on_batch without the "
            "distribution, or by loading its state), and FSDP2 replaces them with sharded ones. "
            "Set the distribution before the first fit, or compile again (a new optimizer)."
        )
    # fully_shard keeps each rank's own rows of its own tensors: start every rank from rank 0's
    # weights (and buffers) first, as DDP does.
    with torch.no_grad():
        for tensor in [*model.parameters(), *model.buffers()]:
            dist.broadcast(tensor.data, src=0)
    fully_shard = _fully_shard()
    for layer in getattr(model, "layers", []):
        if any(p.requires_grad for p in layer.parameters()):
            fully_shard(layer)
    fully_shard(model)
    state = _ShardedState(strategy, model)
    for module in model.modules():
        if isinstance(module, Layer):
            module.__class__ = _readable_class(type(module))
            module.__dict__["_kerastorch_fsdp_state"] = state
    model.__dict__["_kerastorch_fsdp"] = state
    return _SampleWeightedForward(model, strategy, state)
