"""`LearningRateScheduler`: sets the learning rate at the start of each epoch."""

import inspect
import numbers

import torch

from kerastorch.callbacks import _lr
from kerastorch.callbacks.callback import Callback


def _takes_two_args(fn):
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return None
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    if any(p.kind == p.VAR_POSITIONAL for p in params):
        return True
    return len(positional) >= 2


class LearningRateScheduler(Callback):
    """Sets the learning rate at the start of every epoch from `schedule`.

    `schedule(epoch, lr)` (or `schedule(epoch)`) gets the 0-based epoch index and the
    current rate and returns the new rate, a float. Works with kerastorch optimizers and
    plain `torch.optim` optimizers (every param group's `lr`). Adds `learning_rate` to the
    epoch logs, as Keras does.

    Args:
        schedule: Function `(epoch, lr) -> float` or `(epoch) -> float`.
        verbose: `0` silent, `1` prints the rate each epoch. Defaults to `0`.

    Raises:
        ValueError: When `schedule` returns something other than a real number.

    Example:
    >>> import kerastorch
    >>> from kerastorch import layers
    >>> def scheduler(epoch, lr):
    ...     return lr if epoch < 2 else lr * 0.5
    >>> model = kerastorch.Sequential([layers.Input(shape=(1,)), layers.Dense(1)])
    >>> model.compile(optimizer=kerastorch.optimizers.SGD(learning_rate=0.1), loss="mse")
    >>> callback = LearningRateScheduler(scheduler)
    >>> callback.set_model(model)
    >>> for epoch in range(4):
    ...     callback.on_epoch_begin(epoch)
    >>> round(float(model.optimizer.learning_rate), 6)
    0.025
    """

    def __init__(self, schedule, verbose=0):
        super().__init__()
        if not callable(schedule):
            raise TypeError(
                f"LearningRateScheduler expects a callable schedule(epoch, lr) -> float, got "
                f"{schedule!r} ({type(schedule).__name__})."
            )
        self.schedule = schedule
        self.verbose = verbose
        self._two_args = _takes_two_args(schedule)

    def on_epoch_begin(self, epoch, logs=None):
        optimizer = _lr._optimizer(self.model, "LearningRateScheduler")
        current = _lr.get_learning_rate(optimizer, "LearningRateScheduler")
        if self._two_args is None:  # signature unknown: Keras' try-the-new-API-first
            try:
                new_lr = self.schedule(epoch, current)
            except TypeError:
                new_lr = self.schedule(epoch)
        elif self._two_args:
            new_lr = self.schedule(epoch, current)
        else:
            new_lr = self.schedule(epoch)
        if isinstance(new_lr, torch.Tensor) and new_lr.numel() == 1:
            new_lr = new_lr.item()
        if isinstance(new_lr, bool) or not isinstance(new_lr, numbers.Real):
            raise ValueError(
                f"LearningRateScheduler: the schedule must return a float, got {new_lr!r} "
                f"({type(new_lr).__name__}) at epoch {epoch}. Return e.g. float(lr * 0.5)."
            )
        _lr.set_learning_rate(optimizer, float(new_lr), "LearningRateScheduler")
        if self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: LearningRateScheduler setting learning rate to {float(new_lr)}.")

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["learning_rate"] = _lr.get_learning_rate(_lr._optimizer(self.model, "LearningRateScheduler"),
                                                          "LearningRateScheduler")
