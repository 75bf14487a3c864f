"""The `Callback` base class and `CallbackList`, which drives a list of callbacks."""


class Callback:
    """Base class of callbacks: override the hooks you need.

    A callback sees the model as `self.model` and the run's parameters (`epochs`,
    `steps`, `verbose`) as `self.params`. It stops training with
    `self.model.stop_training = True`. `logs` are dicts of python floats with Keras'
    keys (`loss`, `accuracy`, `val_loss`, ...).

    Example:
    >>> class PrintLoss(Callback):
    ...     def on_epoch_end(self, epoch, logs=None):
    ...         print(f"epoch {epoch}: loss {logs['loss']:.3f}")
    """

    def __init__(self):
        self.model = None
        self.params = {}
        self.validation_data = None

    def set_params(self, params):
        """Stores the run's parameters (`epochs`, `steps`, `verbose`)."""
        self.params = params

    def set_model(self, model):
        """Stores the model being trained."""
        self.model = model

    # Batch-level hooks: the trainer reads the metric values (a device sync) only for the
    # callbacks that override them, so leaving them alone keeps the loop fast.
    def on_batch_begin(self, batch, logs=None):
        """Called at the start of a training batch (alias of `on_train_batch_begin`)."""

    def on_batch_end(self, batch, logs=None):
        """Called at the end of a training batch (alias of `on_train_batch_end`)."""

    def on_epoch_begin(self, epoch, logs=None):
        """Called at the start of an epoch."""

    def on_epoch_end(self, epoch, logs=None):
        """Called at the end of an epoch; `logs` hold the epoch's metrics and `val_` metrics."""

    def on_train_batch_begin(self, batch, logs=None):
        """Called at the start of a training batch."""
        self.on_batch_begin(batch, logs=logs)

    def on_train_batch_end(self, batch, logs=None):
        """Called at the end of a training batch; `logs` hold the running means so far."""
        self.on_batch_end(batch, logs=logs)

    def on_test_batch_begin(self, batch, logs=None):
        """Called at the start of an evaluation batch."""

    def on_test_batch_end(self, batch, logs=None):
        """Called at the end of an evaluation batch."""

    def on_predict_batch_begin(self, batch, logs=None):
        """Called at the start of a prediction batch."""

    def on_predict_batch_end(self, batch, logs=None):
        """Called at the end of a prediction batch."""

    def on_train_begin(self, logs=None):
        """Called at the start of training."""

    def on_train_end(self, logs=None):
        """Called at the end of training."""

    def on_test_begin(self, logs=None):
        """Called at the start of evaluation."""

    def on_test_end(self, logs=None):
        """Called at the end of evaluation."""

    def on_predict_begin(self, logs=None):
        """Called at the start of prediction."""

    def on_predict_end(self, logs=None):
        """Called at the end of prediction."""


class SavesEveryNBatches:
    """Keras' integer `save_freq` for callbacks that write files: True every `save_freq` batches.

    Counts batches across epochs (batch indices restart at 0 each epoch). The callback keeps
    `save_freq`, `_last_batch_seen` (`None` or the last batch index) and
    `_batches_seen_since_last_saving`.
    """

    def _should_save_on_batch(self, batch):
        if self.save_freq == "epoch":
            return False
        last = self._last_batch_seen
        added = batch + 1 if last is None or batch <= last else batch - last   # a new epoch: from 0
        self._batches_seen_since_last_saving += added
        self._last_batch_seen = batch
        if self._batches_seen_since_last_saving >= self.save_freq:
            self._batches_seen_since_last_saving = 0
            return True
        return False


_BATCH_HOOKS = {
    "train": ("on_train_batch_begin", "on_train_batch_end", "on_batch_begin", "on_batch_end"),
    "test": ("on_test_batch_begin", "on_test_batch_end"),
    "predict": ("on_predict_batch_begin", "on_predict_batch_end"),
}


def _overrides(callback, hook):
    """Whether `callback` has its own `hook`: a subclass method, or a function set on the instance."""
    method = getattr(callback, hook, None)
    return getattr(method, "__func__", method) is not getattr(Callback, hook)


class CallbackList:
    """Calls a list of callbacks hook by hook.

    Batch hooks are called only on callbacks that override them, and `logs` for them
    are read from the model (a device sync) only when some callback will see them.

    Args:
        callbacks: List of `Callback`s.
        model: The model; set on each callback.
        add_history: Whether to add a `History` callback. Defaults to `False`.
        add_progbar: Whether to add a `ProgbarLogger`. Defaults to `False`.
        **params: The run's parameters (`epochs`, `steps`, `verbose`).
    """

    def __init__(self, callbacks=None, model=None, add_history=False, add_progbar=False, **params):
        from kerastorch.callbacks.history import History
        from kerastorch.callbacks.progbar_logger import ProgbarLogger

        self.callbacks = []
        for cb in callbacks or []:
            if not isinstance(cb, Callback):
                raise TypeError(
                    f"callbacks must be kerastorch.callbacks.Callback instances, got {cb!r} "
                    f"({type(cb).__name__}). Subclass kerastorch.callbacks.Callback, or use "
                    "kerastorch.callbacks.LambdaCallback for plain functions."
                )
            self.callbacks.append(cb)
        self.history = next((cb for cb in self.callbacks if isinstance(cb, History)), None)
        if add_history and self.history is None:
            self.history = History()
            self.callbacks.append(self.history)
        if add_progbar and params.get("verbose") and not any(isinstance(cb, ProgbarLogger) for cb in self.callbacks):
            self.callbacks.insert(0, ProgbarLogger())
        self.model = model
        self.params = params
        for cb in self.callbacks:
            cb.set_model(model)
            cb.set_params(params)

    def append(self, callback):
        """Adds a callback to the list."""
        callback.set_model(self.model)
        callback.set_params(self.params)
        self.callbacks.append(callback)

    def batch_listeners(self, mode, hook):
        """The callbacks that override a batch hook of `mode` ("train", "test", "predict")."""
        names = [h for h in _BATCH_HOOKS[mode] if h.endswith(hook)]
        return [cb for cb in self.callbacks if any(_overrides(cb, h) for h in names)]

    def _call(self, hook, *args):
        for cb in self.callbacks:
            getattr(cb, hook)(*args)

    def on_train_begin(self, logs=None):
        self._call("on_train_begin", {} if logs is None else logs)   # Keras passes a dict

    def on_train_end(self, logs=None):
        self._call("on_train_end", logs)

    def on_epoch_begin(self, epoch, logs=None):
        self._call("on_epoch_begin", epoch, {} if logs is None else logs)   # Keras passes a dict

    def on_epoch_end(self, epoch, logs=None):
        self._call("on_epoch_end", epoch, logs)

    def on_test_begin(self, logs=None):
        self._call("on_test_begin", {} if logs is None else logs)   # Keras passes a dict

    def on_test_end(self, logs=None):
        self._call("on_test_end", logs)

    def on_predict_begin(self, logs=None):
        self._call("on_predict_begin", {} if logs is None else logs)   # Keras passes a dict

    def on_predict_end(self, logs=None):
        self._call("on_predict_end", {} if logs is None else logs)   # Keras passes a dict
