"""The `History` callback: what `fit` returns."""

from kerastorch.callbacks.callback import Callback


class History(Callback):
    """Records the epoch logs; `fit()` returns it.

    Attributes:
        history: Dict mapping each log key (`loss`, `accuracy`, `val_loss`, ...) to the
            list of its per-epoch values.
        epoch: List of the epoch indices seen.
        params: The run's parameters (`verbose`, `epochs`, `steps`).

    Example:
    >>> import numpy as np, kerastorch
    >>> from kerastorch import layers
    >>> model = kerastorch.Sequential([layers.Input(shape=(2,)), layers.Dense(1)])
    >>> model.compile(optimizer="sgd", loss="mse")
    >>> history = model.fit(np.zeros((4, 2)), np.zeros((4, 1)), epochs=2, verbose=0)
    >>> sorted(history.history), history.epoch
    (['loss'], [0, 1])
    """

    def __init__(self):
        super().__init__()
        self.history = {}
        self.epoch = []

    def on_train_begin(self, logs=None):
        self.epoch = []

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for k, v in (logs or {}).items():
            self.history.setdefault(k, []).append(v)
