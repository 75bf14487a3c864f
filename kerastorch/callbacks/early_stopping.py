"""`EarlyStopping`: stops training when a monitored quantity has stopped improving."""

from kerastorch.callbacks.monitor_callback import MonitorCallback


class EarlyStopping(MonitorCallback):
    """Stops training when a monitored quantity has stopped improving.

    At the end of each epoch the monitored value is compared with the best so far; after
    `patience` epochs without an improvement of more than `min_delta`, training stops
    (`model.stop_training = True`).

    Args:
        monitor: Quantity to monitor, a key of the epoch logs. Defaults to `"val_loss"`.
        min_delta: Minimum absolute change that counts as an improvement. Defaults to `0`.
        patience: Number of epochs with no improvement after which training stops.
            Defaults to `0`.
        verbose: `0` silent, `1` prints a message when stopping or restoring. Defaults to `0`.
        mode: `"auto"`, `"min"` or `"max"`; `"auto"` infers the direction from the name.
            Defaults to `"auto"`.
        baseline: If not `None`, training also stops when the model does not improve on
            this value within `patience` epochs. Defaults to `None`.
        restore_best_weights: Whether to restore the weights of the best epoch when
            training ends (also when no epoch beat `baseline`). Defaults to `False`.
        start_from_epoch: Number of warm-up epochs during which nothing is monitored.
            Defaults to `0`.

    Attributes:
        stopped_epoch: The (0-based) epoch at which training was stopped, or `0`.
        best: The best monitored value seen.
        best_epoch: The (0-based) epoch of `best`.

    Example:
    >>> import numpy as np, kerastorch
    >>> from kerastorch import layers
    >>> model = kerastorch.Sequential([layers.Input(shape=(20,)), layers.Dense(10)])
    >>> model.compile(optimizer="sgd", loss="mse")
    >>> callback = EarlyStopping(monitor="loss", patience=3)
    >>> history = model.fit(np.arange(100).reshape(5, 20), np.zeros((5, 10)), epochs=10,
    ...                     batch_size=1, callbacks=[callback], verbose=0)
    >>> len(history.history["loss"])  # the loss diverges: 1 + patience epochs are run
    4
    """

    def __init__(self, monitor="val_loss", min_delta=0, patience=0, verbose=0, mode="auto",
                 baseline=None, restore_best_weights=False, start_from_epoch=0):
        super().__init__(monitor, mode, min_delta=min_delta)
        self.patience = patience
        self.verbose = verbose
        self.baseline = baseline
        self.restore_best_weights = restore_best_weights
        self.start_from_epoch = start_from_epoch
        self.wait = 0
        self.stopped_epoch = 0
        self.best_weights = None
        self.best_epoch = 0

    def on_train_begin(self, logs=None):
        # Reset so one instance can serve several fit() calls, as in Keras.
        self.wait = 0
        self.stopped_epoch = 0
        self.best = None
        self.best_weights = None
        self.best_epoch = 0

    def on_epoch_end(self, epoch, logs=None):
        if self.monitor_op is None:
            self._set_monitor_op()
        current = self._monitor_value(logs, "early stopping")
        if current is None or epoch < self.start_from_epoch:
            return
        if self.restore_best_weights and self.best_weights is None:
            # Until something improves, the first monitored epoch counts as the best.
            self.best_weights = self.model.get_weights()
            self.best_epoch = epoch
        self.wait += 1
        if self._is_improvement(current, self.best):
            self.best = current
            self.best_epoch = epoch
            if self.restore_best_weights:
                self.best_weights = self.model.get_weights()
            # The wait restarts only when the value also beats the baseline.
            if self.baseline is None or self._is_improvement(current, self.baseline):
                self.wait = 0
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        if self.stopped_epoch > 0 and self.verbose > 0:
            print(f"Epoch {self.stopped_epoch + 1}: early stopping")
        if self.restore_best_weights and self.best_weights is not None:
            if self.verbose > 0:
                print(f"Restoring model weights from the end of the best epoch: {self.best_epoch + 1}.")
            self.model.set_weights(self.best_weights)
