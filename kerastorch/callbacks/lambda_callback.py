"""`LambdaCallback`: a callback made from plain functions."""

from kerastorch.callbacks.callback import Callback

_HOOKS = (
    "on_epoch_begin", "on_epoch_end", "on_train_begin", "on_train_end",
    "on_train_batch_begin", "on_train_batch_end", "on_batch_begin", "on_batch_end",
    "on_test_begin", "on_test_end", "on_test_batch_begin", "on_test_batch_end",
    "on_predict_begin", "on_predict_end", "on_predict_batch_begin", "on_predict_batch_end",
)


class LambdaCallback(Callback):
    """A callback whose hooks are the functions you pass.

    Each argument is a function called at that hook with Keras' arguments:
    `on_epoch_begin(epoch, logs)`, `on_epoch_end(epoch, logs)`, `on_train_begin(logs)`,
    `on_train_end(logs)`, `on_train_batch_begin(batch, logs)`, `on_train_batch_end(batch, logs)`,
    and the same for `test`/`predict` (passed as keyword arguments, as in Keras).
    Batch functions are called only when given, so an epoch-only `LambdaCallback` does
    not make `fit` read the metrics back after every batch.

    Args:
        on_epoch_begin: Called at the start of every epoch. Defaults to `None`.
        on_epoch_end: Called at the end of every epoch. Defaults to `None`.
        on_train_begin: Called at the start of training. Defaults to `None`.
        on_train_end: Called at the end of training. Defaults to `None`.
        on_train_batch_begin: Called at the start of every training batch. Defaults to `None`.
        on_train_batch_end: Called at the end of every training batch. Defaults to `None`.
        **kwargs: Other hooks (`on_test_begin`, `on_predict_batch_end`, `on_batch_end`, ...),
            or extra attributes set on the callback, as in Keras.

    Example:
    >>> import numpy as np, kerastorch
    >>> from kerastorch import layers
    >>> model = kerastorch.Sequential([layers.Input(shape=(1,)), layers.Dense(1)])
    >>> model.compile(optimizer="sgd", loss="mse")
    >>> seen = []
    >>> cb = LambdaCallback(on_epoch_end=lambda epoch, logs: seen.append(epoch))
    >>> _ = model.fit(np.ones((4, 1)), np.ones((4, 1)), epochs=3, verbose=0, callbacks=[cb])
    >>> seen
    [0, 1, 2]
    """

    def __init__(self, on_epoch_begin=None, on_epoch_end=None, on_train_begin=None, on_train_end=None,
                 on_train_batch_begin=None, on_train_batch_end=None, **kwargs):
        super().__init__()
        given = dict(on_epoch_begin=on_epoch_begin, on_epoch_end=on_epoch_end, on_train_begin=on_train_begin,
                     on_train_end=on_train_end, on_train_batch_begin=on_train_batch_begin,
                     on_train_batch_end=on_train_batch_end)
        for name in list(kwargs):
            if name in _HOOKS:
                given[name] = kwargs.pop(name)
        self.__dict__.update(kwargs)
        hooks = {}
        for name, fn in given.items():
            if fn is None:
                continue
            if not callable(fn):
                raise TypeError(f"LambdaCallback: {name} must be a function, got {fn!r} ({type(fn).__name__}).")
            hooks[name] = _as_method(fn, indexed="batch" in name or "epoch" in name)
        if hooks:
            # CallbackList finds batch listeners by looking at the class, so the given hooks go
            # on a per-instance subclass rather than on the instance.
            self.__class__ = type("LambdaCallback", (LambdaCallback,), hooks)


def _as_method(fn, indexed):
    # Keras calls every hook with `logs`; the fit loop may leave it out, so fill it in.
    if indexed:
        def hook(self, index, logs=None):
            return fn(index, logs)
    else:
        def hook(self, logs=None):
            return fn(logs)

    hook.__wrapped__ = fn
    return hook
