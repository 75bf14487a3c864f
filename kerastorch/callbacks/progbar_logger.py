"""`ProgbarLogger`: prints the progress bar of `fit`, `evaluate` and `predict`."""

from kerastorch.callbacks.callback import Callback
from kerastorch.utils.progbar import Progbar
from kerastorch.utils.io_utils import print_msg


class ProgbarLogger(Callback):
    """Prints Keras' progress bar: a live bar with `verbose=1`, one line per epoch with `verbose=2`.

    Added automatically by `fit`, `evaluate` and `predict` when `verbose` is not 0.
    It reads the running metric values only when it redraws (at most every 0.05 s),
    so the training loop does not wait on the device every step.
    """

    def __init__(self):
        super().__init__()
        self.progbar = None
        self.verbose = 1
        self.epochs = 1
        self._seen = 0

    def set_params(self, params):
        super().set_params(params)
        verbose = params.get("verbose", 1)
        self.verbose = 1 if verbose == "auto" else verbose
        self.epochs = params.get("epochs", 1)

    def _new_bar(self, target):
        self.progbar = Progbar(target=target, verbose=self.verbose, unit_name="step")

    def on_epoch_begin(self, epoch, logs=None):
        self._new_bar(self.params.get("steps"))
        self._seen = 0
        if self.verbose and self.epochs > 1:
            print_msg(f"Epoch {epoch + 1}/{self.epochs}")

    def on_train_batch_end(self, batch, logs=None):
        self._update(batch + 1, logs)

    def on_epoch_end(self, epoch, logs=None):
        self.progbar.update(self._seen, logs, finalize=True)

    def on_test_begin(self, logs=None):
        self._new_bar(self.params.get("steps"))
        self._seen = 0

    def on_test_batch_end(self, batch, logs=None):
        self._update(batch + 1, logs)

    def on_test_end(self, logs=None):
        self.progbar.update(self._seen, logs, finalize=True)

    def on_predict_begin(self, logs=None):
        self._new_bar(self.params.get("steps"))
        self._seen = 0

    def on_predict_batch_end(self, batch, logs=None):
        self._update(batch + 1, None)

    def on_predict_end(self, logs=None):
        self.progbar.update(self._seen, finalize=True)

    def _update(self, current, logs):
        """Redraws at a bounded rate; `logs` may be a function, called only when drawing."""
        self._seen = current
        target = self.progbar.target
        if target is not None and current >= target:
            return  # the final line is drawn by the *_end hook, with every metric
        if self.progbar.wants_update(current):
            self.progbar.update(current, logs() if callable(logs) else logs)
