"""`OrbaxCheckpoint`: Keras' Orbax (JAX) checkpointing, which cannot exist on torch."""

from kerastorch.callbacks.monitor_callback import MonitorCallback


class OrbaxCheckpoint(MonitorCallback):
    """Keras' Orbax checkpointing callback; not available in kerastorch.

    Keras' `OrbaxCheckpoint` writes asynchronous, multi-host checkpoints of the model's state
    tree with Google's Orbax library, which is built on JAX arrays. kerastorch keeps torch
    tensors, so it offers the same job through `ModelCheckpoint` (weights or whole `.keras`
    models, `monitor`/`mode`/`save_best_only`/`save_freq`, as in Keras) and `BackupAndRestore`
    (resumable training state), or `torch.save(model.state_dict(), ...)` for torch-native
    files. Constructing it raises, with any arguments.

    Raises:
        NotImplementedError: always, naming the alternatives.

    Example:
    >>> OrbaxCheckpoint("/tmp/ckpt")
    Traceback (most recent call last):
    ...
    NotImplementedError: callbacks.OrbaxCheckpoint is not available in kerastorch: Orbax checkpoints hold JAX arrays and need the orbax library. Use callbacks.ModelCheckpoint(filepath, monitor=..., save_best_only=..., save_freq=...) to save weights or .keras models, or callbacks.BackupAndRestore(backup_dir) to resume interrupted training.
    """

    def __init__(self, *args, **kwargs):
        raise NotImplementedError(
            "callbacks.OrbaxCheckpoint is not available in kerastorch: Orbax checkpoints hold JAX "
            "arrays and need the orbax library. Use callbacks.ModelCheckpoint(filepath, monitor=..., "
            "save_best_only=..., save_freq=...) to save weights or .keras models, or "
            "callbacks.BackupAndRestore(backup_dir) to resume interrupted training."
        )
