"""`DataParallel`: one process per device, the model replicated, each global batch split over ranks.

What the trainer asks of a distribution, and why it is done this way:

- `device()` starts the process group once (NCCL on CUDA, gloo on the CPU) with a timeout on
  every collective, so a rank that dies makes the others fail with an error, not hang.
- `wrap_model(model)` puts a `DistributedDataParallel` around the model (once per model).
  Building it broadcasts rank 0's parameters and buffers, so every rank starts from the
  same weights. The optimizer keeps the model's own parameters: DDP does not copy them.
- Gradients are averaged over ranks WEIGHTED BY EACH RANK'S NUMBER OF SAMPLES (a DDP
  communication hook), so a global batch split unevenly (7 samples over 2 ranks: 4 + 3)
  gives the same gradient as one process on the whole batch, as Keras' mean losses do.
- `global_logs(model)` sums the loss tracker and every metric's state over ranks and
  computes the logs from the sums: every rank sees the same numbers.
"""

import atexit
import datetime
import inspect
import os
import warnings
import weakref

import torch
import torch.distributed as dist

_DEFAULT_TIMEOUT_SECONDS = 1800


def _env_int(name, default=None):
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ValueError(
            f"kerastorch.distribution: the environment variable {name} must be an integer, got "
            f"{name}={value!r}. torchrun sets it; when launching by hand, set RANK, LOCAL_RANK and "
            "WORLD_SIZE to integers."
        ) from None


class DataParallel:
    """Data parallelism over processes: each process holds a full copy of the model.

    Start one process per device with `torchrun` (`torchrun --nproc_per_node=8 train.py`);
    inside, the same `fit()` call trains one model together. Each global batch of
    `batch_size` samples is cut into `world_size` nearly equal parts, rank `r` computes on
    part `r`, the gradients are averaged (weighted by samples) and every rank applies the
    same update, so the weights stay identical and match one process training on the same
    global batches. Logs are computed over all ranks; only rank 0 prints and writes files.

    Args:
        devices: Optional list of device names, one per local process (`["cuda:0", "cuda:1"]`);
            this process takes `devices[LOCAL_RANK]`. Defaults to `None`: `cuda:LOCAL_RANK`
            when CUDA is available, else the CPU.
        backend: `torch.distributed` backend. Defaults to `None`: `"nccl"` on CUDA, `"gloo"`
            on the CPU.
        timeout_seconds: How long a collective (gradient all-reduce, log reduction) may wait
            for the other ranks before failing with an error. Defaults to `1800`.
        rank: This process's rank. Defaults to the `RANK` environment variable (torchrun).
        world_size: Number of processes. Defaults to `WORLD_SIZE` (torchrun).
        local_rank: Rank within this machine. Defaults to `LOCAL_RANK` (torchrun), else `rank`.
        shard_parameters: Whether to shard parameters, gradients and optimizer state over
            ranks with FSDP2 (`torch.distributed.fsdp.fully_shard`) instead of replicating
            them with DDP. Defaults to `False`. With `True`, each rank keeps `1/world_size` of
            every parameter (dim 0), of its gradient and of the optimizer's slots; see
            `kerastorch.distribution.fsdp` and docs/distributed.md for what changes.

    Raises:
        ValueError: For a rank, world size or device list that does not fit together.

    Example:
    >>> import kerastorch
    >>> dp = kerastorch.distribution.DataParallel(rank=0, world_size=1)
    >>> dp.rank, dp.world_size, dp.is_chief()
    (0, 1, True)
    """

    def __init__(self, devices=None, backend=None, timeout_seconds=_DEFAULT_TIMEOUT_SECONDS, rank=None,
                 world_size=None, local_rank=None, shard_parameters=False):
        if not isinstance(shard_parameters, bool):
            raise ValueError(f"DataParallel: shard_parameters must be True or False, got "
                             f"shard_parameters={shard_parameters!r}.")
        self.shard_parameters = shard_parameters
        self.rank = _env_int("RANK", 0) if rank is None else int(rank)
        self.world_size = _env_int("WORLD_SIZE", 1) if world_size is None else int(world_size)
        self.local_rank = _env_int("LOCAL_RANK", self.rank) if local_rank is None else int(local_rank)
        if self.world_size < 1 or not 0 <= self.rank < self.world_size:
            raise ValueError(
                f"DataParallel: rank must be in [0, world_size), got rank={self.rank}, "
                f"world_size={self.world_size}. Launch with torchrun, which sets RANK and WORLD_SIZE, "
                "or pass matching rank= and world_size=."
            )
        if isinstance(timeout_seconds, bool) or not isinstance(timeout_seconds, (int, float)) \
                or timeout_seconds <= 0:
            raise ValueError(f"DataParallel: timeout_seconds must be a positive number of seconds, got "
                             f"timeout_seconds={timeout_seconds!r}.")
        self.timeout_seconds = timeout_seconds
        self.devices = None if devices is None else [str(d) for d in devices]
        if self.devices is not None and self.local_rank >= len(self.devices):
            raise ValueError(
                f"DataParallel: this process has LOCAL_RANK={self.local_rank} but devices lists "
                f"{len(self.devices)} device(s) ({self.devices}). List one device per process of the "
                "machine, or leave devices=None to use cuda:LOCAL_RANK."
            )
        self.backend = backend
        self._device = None
        self._wrapped = {}   # id(model) -> (weakref to model, parameter ids, DDP)
        self._seed_warned = False

    def __repr__(self):
        sharded = " shard_parameters=True" if self.shard_parameters else ""
        return (f"<DataParallel rank={self.rank} world_size={self.world_size}{sharded} "
                f"device={self._device or 'not initialised'}>")

    # ------------------------------------------------------------------ process group
    def is_chief(self):
        """Whether this is rank 0, the process that prints progress and writes files."""
        return self.rank == 0

    def _pick_device(self):
        if self.devices is not None:
            return torch.device(self.devices[self.local_rank])
        if torch.cuda.is_available():
            return torch.device("cuda", self.local_rank % torch.cuda.device_count())
        return torch.device("cpu")

    def device(self):
        """This process's device; starts the process group at the first call.

        Returns:
            The `torch.device` this rank computes on: `cuda:LOCAL_RANK`, or the CPU.
        """
        if self._device is not None:
            return self._device
        device = self._pick_device()
        if device.type == "cuda":
            torch.cuda.set_device(device)
        backend = self.backend or ("nccl" if device.type == "cuda" else "gloo")
        if not dist.is_available():
            raise RuntimeError("kerastorch.distribution needs torch.distributed, which this torch build "
                               "lacks. Install a torch build with distributed support.")
        if dist.is_initialized():
            if dist.get_world_size() != self.world_size or dist.get_rank() != self.rank:
                raise ValueError(
                    f"DataParallel(rank={self.rank}, world_size={self.world_size}) found a process group "
                    f"already started with rank={dist.get_rank()}, world_size={dist.get_world_size()}. "
                    "Leave rank and world_size unset to take the running group's."
                )
        elif self.world_size > 1:
            for name in ("MASTER_ADDR", "MASTER_PORT"):
                if not os.environ.get(name):
                    raise RuntimeError(
                        f"kerastorch.distribution: cannot start the process group of {self.world_size} "
                        f"processes: {name} is not set. Launch with torchrun (it sets MASTER_ADDR, "
                        "MASTER_PORT, RANK and WORLD_SIZE), or set them by hand."
                    )
            kwargs = {}
            if device.type == "cuda":
                kwargs["device_id"] = device
            dist.init_process_group(backend=backend, rank=self.rank, world_size=self.world_size,
                                    timeout=datetime.timedelta(seconds=self.timeout_seconds), **kwargs)
            # A group left alive at exit lets the backend's threads die with the interpreter,
            # which aborts the process ("terminate called without an active exception").
            atexit.register(_destroy_process_group)
            _align_seeds(self)
        self._device = device
        return device

    def _check_collective(self, what, fn):
        """Runs a collective; a failure (dead peer, timeout) becomes an error that says what happened."""
        try:
            return fn()
        except RuntimeError as e:   # DistBackendError and gloo's errors are RuntimeErrors
            raise RuntimeError(_lost_peer_message(self, what, e)) from e

    # ------------------------------------------------------------------ model
    def wrap_model(self, model):
        """Returns the model inside a `DistributedDataParallel`, built once per model.

        Building it broadcasts rank 0's parameters and buffers to every rank. It is rebuilt
        when the model's parameters change (a model rebuilt from another input shape).
        Every rank must call it (`fit`, `evaluate` and `predict` do) with the same model.

        Args:
            model: A built kerastorch model, already on `device()`.

        With `shard_parameters=True` the model is sharded in place with FSDP2 instead (its
        parameters become `DTensor`s; see `kerastorch.distribution.fsdp`).

        Returns:
            A callable taking `(x, training=True)` like the model: the DDP wrapper (or the
            FSDP2 forward with sample-weighted gradients), or the model itself when it has no
            trainable parameter (nothing to synchronise).
        """
        params = [p for p in model.parameters() if p.requires_grad]
        if not params or self.world_size == 1 and not dist.is_initialized():
            return model
        key = id(model)
        cached = self._wrapped.get(key)
        ids = tuple(id(p) for p in params)
        if cached is not None and cached[0]() is model and cached[1] == ids:
            return cached[2]
        device = self.device()
        if self.shard_parameters:
            from kerastorch.distribution import fsdp

            wrapped = self._check_collective(
                "shard the model with FSDP2 (fully_shard: broadcast of rank 0's weights)",
                lambda: fsdp.shard_model(self, model))
            self._wrapped = {k: v for k, v in self._wrapped.items() if v[0]() is not None}
            self._wrapped[key] = (weakref.ref(model), tuple(id(p) for p in model.parameters()
                                                            if p.requires_grad), wrapped)
            return wrapped
        # Buffers (BatchNormalization's moving statistics) are broadcast from rank 0 at each
        # training forward, so every rank evaluates with the same ones; models without buffers
        # skip that collective.
        has_buffers = any(True for _ in model.buffers())
        kwargs = {"device_ids": [device] if device.type == "cuda" else None}
        # Newer torch renames broadcast_buffers to forward_sync_buffers (buffers are synced at
        # construction either way).
        if "forward_sync_buffers" in inspect.signature(_SampleWeightedDDP.__init__).parameters:
            kwargs["forward_sync_buffers"] = has_buffers
        else:
            kwargs["broadcast_buffers"] = has_buffers
        wrapped = self._check_collective(
            "wrap the model in DistributedDataParallel (broadcast of rank 0's weights)",
            lambda: _SampleWeightedDDP(model, **kwargs))
        wrapped._kerastorch_state = _HookState(self)
        wrapped.register_comm_hook(wrapped._kerastorch_state, _weighted_allreduce_hook)
        self._wrapped = {k: v for k, v in self._wrapped.items() if v[0]() is not None}
        self._wrapped[key] = (weakref.ref(model), ids, wrapped)
        return wrapped

    # ------------------------------------------------------------------ data
    def distribute_dataset(self, dataset, batch_size, shuffle=False):
        """Gives this rank its share of a non-array data source.

        - `torch.utils.data.Dataset` (map-style): a `DataLoader` with a `DistributedSampler`
          and a per-rank batch size of `batch_size // world_size`: the global batch is
          `batch_size`, which must be divisible by `world_size`.
        - `DataLoader`: rebuilt the same way, its own `batch_size` being the global one
          (a loader that already has a `DistributedSampler` is returned as it is).
        - `PyDataset` and Python generators: batch `i` goes to rank `i % world_size`; the
          last `len % world_size` batches (an incomplete round) are dropped so that every rank
          makes the same number of steps. A steps count (`steps_per_epoch`) counts rounds.
        - `IterableDataset`: returned batched by `batch_size // world_size`; it must yield
          each rank its own shard (read `torch.distributed.get_rank()`).

        Args:
            dataset: The data source given to `fit`/`evaluate`.
            batch_size: The global batch size (for `Dataset`s; loaders bring their own).
            shuffle: Whether to shuffle (map-style datasets; loaders keep their own choice).

        Returns:
            A source of this rank's batches, of the same kind the trainer accepts.
        """
        from kerastorch.distribution import datasets

        self.device()   # the sampler's seed is agreed on when the group starts
        return datasets.distribute(dataset, batch_size, shuffle, self.rank, self.world_size)

    # ------------------------------------------------------------------ predict
    def predict_shard(self, x):
        """This rank's contiguous part of the samples `x` for `predict`, padded to equal length.

        With `n` samples and `W` ranks, rank `r` takes `x[r * ceil(n/W):(r + 1) * ceil(n/W)]`,
        padded with copies of `x[0]` to `ceil(n/W)` samples, so that every rank runs the same
        number of batches of the same sizes (an FSDP2 forward is a collective) and the outputs
        can be all-gathered. `gather_predictions` trims the padding.

        Args:
            x: A numpy array or a tensor with at least one sample.

        Returns:
            `(local_x, n)`: this rank's samples (same type as `x`) and the total count.
        """
        n = int(x.shape[0])
        per = -(-n // self.world_size)
        start = min(self.rank * per, n)
        stop = min(start + per, n)
        local = x[start:stop]
        missing = per - (stop - start)
        if missing:
            if isinstance(x, torch.Tensor):
                local = torch.cat([local, x[:1].expand(missing, *x.shape[1:])])
            else:
                import numpy as np

                local = np.concatenate([local, np.repeat(x[:1], missing, axis=0)])
        return local, n

    def gather_predictions(self, local, n):
        """Every rank's `predict_shard` outputs, concatenated in rank order and trimmed to `n`.

        Args:
            local: This rank's outputs (a tensor, `ceil(n/W)` rows, the same shape on every rank).
            n: The number of samples given to `predict`.

        Returns:
            A CPU tensor of `n` rows, the same on every rank, in the original sample order.
        """
        device = self.device()
        if not dist.is_initialized():
            return local[:n]
        mine = local.to(device).contiguous()
        everyone = [torch.empty_like(mine) for _ in range(self.world_size)]
        self._check_collective("all-gather the predictions",
                               lambda: dist.all_gather(everyone, mine))
        return torch.cat([t.cpu() for t in everyone])[:n]

    # ------------------------------------------------------------------ logs
    def global_logs(self, model):
        """The epoch (or evaluation) logs over every rank's samples, the same on every rank.

        Sums the loss tracker's `total`/`count` and every metric's state tensors over ranks
        (one all-reduce), computes the results from the sums, and puts the local state back.

        Args:
            model: The model whose `_loss_tracker` and compiled metrics hold this rank's state.

        Returns:
            The logs dict, keys sorted, as `History` records them.
        """
        device = self.device()
        if not dist.is_initialized():   # one process: nothing to sum
            return model._read_logs()
        state = getattr(model, "_kerastorch_fsdp", None)
        if state is not None:   # every rank is here: gather the weights for rank-0-only callbacks
            self._check_collective("gather the sharded weights at the end of the epoch", state.refresh)
        tracker = model._loss_tracker
        metrics = [_unwrap_metric(m) for m in (model._compile_metrics or [])]
        metrics = [m for m in metrics if m is not None]
        parts = [tracker.total.detach().reshape(1).to(device, torch.float64) if tracker.total is not None
                 else torch.zeros(1, dtype=torch.float64, device=device),
                 torch.tensor([float(tracker.count)], dtype=torch.float64, device=device)]
        layout = []
        for m in metrics:
            for name, value in m._state.items():
                layout.append((m, name, value.shape, value.dtype, value.numel()))
                parts.append(value.detach().reshape(-1).to(device, torch.float64))
        flat = torch.cat(parts)
        # Every rank must send the same layout, or the sum would mix unrelated numbers.
        seed = torch.initial_seed() % (2 ** 62)
        mine = torch.tensor([flat.numel(), seed], dtype=torch.int64, device=device)
        everyone = [torch.empty_like(mine) for _ in range(self.world_size)]
        self._check_collective("gather the metric layout at the end of the epoch",
                               lambda: dist.all_gather(everyone, mine))
        everyone = torch.stack(everyone).cpu()
        if (everyone[:, 0] != everyone[0, 0]).any():
            raise RuntimeError(
                "kerastorch.distribution: the ranks hold metric states of different sizes "
                f"({everyone[:, 0].tolist()} numbers per rank), so they cannot be summed. A rank "
                "probably ran no batch (an empty shard): give every rank at least one batch "
                "(more samples, or a smaller batch_size)."
            )
        if (everyone[:, 1] != everyone[0, 1]).any() and not self._seed_warned:
            self._seed_warned = True
            warnings.warn(
                "kerastorch.distribution: the ranks have different torch seeds "
                f"({everyone[:, 1].tolist()}), so with shuffle=True they draw different orders and "
                "some samples are seen twice, others never. Call "
                "kerastorch.utils.set_random_seed(seed) with the same seed on every rank.",
                RuntimeWarning, stacklevel=2)
        self._check_collective("sum the loss and metrics over ranks at the end of the epoch",
                               lambda: dist.all_reduce(flat, op=dist.ReduceOp.SUM))
        saved = (tracker.total, tracker.count, [(m, m._state) for m in metrics])
        try:
            tracker.total = flat[0].to(torch.float32)
            tracker.count = int(round(float(flat[1])))
            offset = 2
            new_states = {}
            for m, name, shape, dtype, n in layout:
                new_states.setdefault(id(m), {})[name] = flat[offset:offset + n].reshape(shape).to(dtype)
                offset += n
            for m in metrics:
                if m._state:
                    m._state = new_states[id(m)]
            return model._read_logs()
        finally:
            tracker.total, tracker.count = saved[0], saved[1]
            for m, state in saved[2]:
                m._state = state


def _unwrap_metric(metric):
    inner = getattr(metric, "metric", metric)   # "accuracy" resolved from shapes
    if inner is None or not isinstance(getattr(inner, "_state", None), dict):
        return None
    return inner


def _align_seeds(strategy):
    """Makes `torch.initial_seed()` rank 0's on every rank.

    Every rank must draw the same shuffle (each takes its part of each global batch), and
    the order is drawn from `torch.initial_seed() + epoch`. After `set_random_seed(seed)` on
    every rank nothing changes; without it, the other ranks are reseeded with rank 0's seed.
    """
    seed = [torch.initial_seed()]
    dist.broadcast_object_list(seed, src=0)
    if seed[0] != torch.initial_seed():
        torch.manual_seed(seed[0])


def _lost_peer_message(strategy, what, error):
    first = (str(error).strip().splitlines() or [""])[0][:300]
    return (
        f"kerastorch.distribution: rank {strategy.rank} of {strategy.world_size} could not {what}: "
        f"{type(error).__name__}: {first}. Another rank has probably stopped (crashed, was killed, "
        "ran out of memory, or left the training loop early) or is more than "
        f"timeout_seconds={strategy.timeout_seconds} behind: look at the other ranks' output for "
        "the first error. Every rank must run the same fit/evaluate calls on the same number of "
        "batches."
    )


class _HookState:
    """What the communication hook needs: the group, and this rank's samples in the current step."""

    def __init__(self, strategy):
        self.strategy = strategy
        self.local_count = None

    def __setstate__(self, state):   # DDP may copy hook states; keep the plain attributes
        self.__dict__.update(state)


class _SampleWeightedDDP(torch.nn.parallel.DistributedDataParallel):
    """DDP that records how many samples this rank's batch holds, for the weighted average."""

    def forward(self, *inputs, **kwargs):
        x = inputs[0] if inputs else None
        self._kerastorch_state.local_count = x.shape[0] if isinstance(x, torch.Tensor) and x.dim() else None
        return super().forward(*inputs, **kwargs)


def _weighted_allreduce_hook(state, bucket):
    """Gradient bucket -> sum_r n_r * g_r / sum_r n_r, with n_r the samples of rank r.

    DDP's default divides the sum by the number of ranks, which equals this only when every
    rank has the same number of samples. The count rides along in the same all-reduce.
    """
    buffer = bucket.buffer()
    n = state.local_count
    if n is None:   # inputs that are not one tensor: plain average
        n = 1
    dtype = buffer.dtype if buffer.dtype in (torch.float32, torch.float64) else torch.float32
    flat = torch.empty(buffer.numel() + 1, dtype=dtype, device=buffer.device)
    if n:
        torch.mul(buffer, n, out=flat[:-1])
    else:   # an empty local batch contributes nothing (its mean loss is NaN)
        flat[:-1].zero_()
    flat[-1] = n
    strategy = state.strategy
    work = dist.all_reduce(flat, op=dist.ReduceOp.SUM, async_op=True)

    def finish(future):
        try:
            total = future.value()[0]
        except Exception as e:
            raise RuntimeError(_lost_peer_message(strategy, "all-reduce the gradients", e)) from e
        return (total[:-1] / total[-1].clamp_min(1)).to(buffer.dtype)

    return work.get_future().then(finish)


def _destroy_process_group():
    """Shuts the process group down at exit, every rank together.

    Ranks first meet at a barrier bounded to a few seconds (gloo's `monitored_barrier`), so
    no rank tears its threads down while a peer still talks to it; a peer that is gone
    only costs that bound. Then the group is destroyed while the interpreter is still whole.
    """
    if not (dist.is_available() and dist.is_initialized()):
        return
    try:
        if dist.get_backend() == "gloo":
            dist.monitored_barrier(timeout=datetime.timedelta(seconds=5))
        else:
            dist.barrier()
    except Exception:   # a peer already gone: tear down anyway
        pass
    try:
        dist.destroy_process_group()
    except Exception:
        pass
