"""`TerminateOnNaN`: stops training when the loss becomes NaN or infinite."""

import math

from kerastorch.callbacks.callback import Callback


class TerminateOnNaN(Callback):
    """Stops training when a batch's loss is NaN or infinite.

    It watches the training batch logs, so the loss is read from the device after every
    batch while it is in use.

    Args:
        raise_error: If `False` (default), stop gracefully with `model.stop_training = True`
            (the current batch ends the epoch, `on_train_end` still runs). If `True`, raise
            `RuntimeError` at once, skipping the other callbacks' cleanup.

    Example:
    >>> import numpy as np, kerastorch
    >>> from kerastorch import layers
    >>> model = kerastorch.Sequential([layers.Input(shape=(1,)), layers.Dense(1)])
    >>> model.compile(optimizer="sgd", loss="mse")
    >>> x = np.array([[1.0], [np.nan], [1.0], [1.0]])
    >>> history = model.fit(x, np.ones((4, 1)), batch_size=1, epochs=3, shuffle=False,
    ...                     verbose=0, callbacks=[TerminateOnNaN()])
    Batch 1: Invalid loss, terminating training
    >>> len(history.history["loss"])
    1
    """

    def __init__(self, raise_error=False):
        super().__init__()
        self.raise_error = raise_error

    def on_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is None:
            return
        loss = float(loss)
        if math.isnan(loss) or math.isinf(loss):
            if self.raise_error:
                raise RuntimeError(
                    f"NaN or Inf loss encountered at batch {batch}. Loss value: {loss}. Terminating "
                    "training immediately."
                )
            print(f"Batch {batch}: Invalid loss, terminating training")
            self.model.stop_training = True
