"""`ReduceLROnPlateau`: lowers the learning rate when a monitored quantity stops improving."""

import numpy as np

from kerastorch.callbacks import _lr
from kerastorch.callbacks.monitor_callback import MonitorCallback


class ReduceLROnPlateau(MonitorCallback):
    """Multiplies the learning rate by `factor` when a monitored quantity has stopped improving.

    After `patience` epochs without an improvement of more than `min_delta` (an absolute
    change, as in Keras; torch's `ReduceLROnPlateau` defaults to a relative threshold), the
    rate becomes `max(lr * factor, min_lr)`, and then `cooldown` epochs pass before the
    wait counts again. Works with kerastorch optimizers (`optimizer.learning_rate`) and plain
    `torch.optim` optimizers (every param group's `lr`). Adds `learning_rate` to the epoch
    logs, as Keras does.

    Args:
        monitor: Quantity to monitor. Defaults to `"val_loss"`.
        factor: Factor by which the rate is multiplied, `new_lr = lr * factor`; must be < 1.
            Defaults to `0.1`.
        patience: Number of epochs with no improvement after which the rate is reduced.
            Defaults to `10`.
        verbose: `0` silent, `1` prints a message on each reduction. Defaults to `0`.
        mode: `"auto"`, `"min"` or `"max"`. Defaults to `"auto"`.
        min_delta: Minimum absolute change that counts as an improvement. Defaults to `1e-4`.
        cooldown: Number of epochs to wait after a reduction before resuming normal
            operation. Defaults to `0`.
        min_lr: Lower bound on the learning rate. Defaults to `0.0`.

    Raises:
        ValueError: If `factor >= 1.0`.

    Example:
    >>> import kerastorch
    >>> from kerastorch import layers
    >>> model = kerastorch.Sequential([layers.Input(shape=(1,)), layers.Dense(1)])
    >>> model.compile(optimizer=kerastorch.optimizers.SGD(learning_rate=0.1), loss="mse")
    >>> reduce_lr = ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=1)
    >>> reduce_lr.set_model(model)
    >>> reduce_lr.on_train_begin()
    >>> for epoch, val_loss in enumerate([1.0, 1.0]):
    ...     reduce_lr.on_epoch_end(epoch, {"val_loss": val_loss})
    >>> round(float(model.optimizer.learning_rate), 6)
    0.05
    """

    def __init__(self, monitor="val_loss", factor=0.1, patience=10, verbose=0, mode="auto",
                 min_delta=1e-4, cooldown=0, min_lr=0.0, **kwargs):
        if "epsilon" in kwargs:  # Keras 2's name for min_delta, still accepted by Keras 3
            min_delta = kwargs.pop("epsilon")
        if kwargs:
            raise TypeError(f"ReduceLROnPlateau got unexpected keyword arguments {sorted(kwargs)!r}.")
        super().__init__(monitor, mode, min_delta=min_delta)
        if factor >= 1.0:
            raise ValueError(
                f"ReduceLROnPlateau does not support a factor >= 1.0 (it would not reduce the rate). "
                f"Received factor={factor!r}; use e.g. factor=0.1."
            )
        self.factor = factor
        self.min_lr = min_lr
        self.patience = patience
        self.verbose = verbose
        self.cooldown = cooldown
        self.cooldown_counter = 0
        self.wait = 0

    def _reset(self):
        self.best = None
        self.cooldown_counter = 0
        self.wait = 0

    def on_train_begin(self, logs=None):
        self._reset()

    def in_cooldown(self):
        """Whether the callback is in its cooldown period after a reduction."""
        return self.cooldown_counter > 0

    def on_epoch_end(self, epoch, logs=None):
        if self.monitor_op is None:
            self._set_monitor_op()
        optimizer = _lr._optimizer(self.model, "ReduceLROnPlateau")
        logs = logs if logs is not None else {}
        logs["learning_rate"] = _lr.get_learning_rate(optimizer, "ReduceLROnPlateau")
        current = self._monitor_value(logs, "learning rate reduction")
        if current is None:
            return
        if self.in_cooldown():
            self.cooldown_counter -= 1
            self.wait = 0
        if self._is_improvement(current, self.best):
            self.best = current
            self.wait = 0
        elif not self.in_cooldown():
            self.wait += 1
            if self.wait >= self.patience:
                old_lr = _lr.get_learning_rate(optimizer, "ReduceLROnPlateau")
                # Keras compares in float32: a rate already at min_lr is left alone.
                if old_lr > np.float32(self.min_lr):
                    new_lr = max(old_lr * self.factor, self.min_lr)
                    _lr.set_learning_rate(optimizer, new_lr, "ReduceLROnPlateau")
                    if self.verbose > 0:
                        print(f"\nEpoch {epoch + 1}: ReduceLROnPlateau reducing learning rate to {new_lr}.")
                    self.cooldown_counter = self.cooldown
                    self.wait = 0
