"""`ModelCheckpoint`: saves the model or its weights during training."""

import os
import warnings

from kerastorch import distribution
from kerastorch.callbacks.callback import SavesEveryNBatches
from kerastorch.callbacks.monitor_callback import MonitorCallback


class ModelCheckpoint(SavesEveryNBatches, MonitorCallback):
    """Saves the model (`model.save`) or its weights (`model.save_weights`) during training.

    `filepath` may hold `str.format` fields filled from the epoch (1-based, as in Keras),
    the batch (1-based, with an integer `save_freq`) and the logs, e.g.
    `"w.{epoch:02d}-{val_loss:.2f}.keras"` becomes `"w.03-0.41.keras"` after the third epoch.

    Args:
        filepath: Where to save. With `save_weights_only=True` it must end in
            `.weights.h5`; otherwise in `.keras` (or legacy `.h5`), as Keras requires.
        monitor: Quantity compared with `save_best_only`. Defaults to `"val_loss"`.
        verbose: `0` silent, `1` prints a message on each save. Defaults to `0`.
        save_best_only: Whether to save only when the monitored quantity improves on the
            best so far. Without formatting fields in `filepath`, each better model
            overwrites the last one. Defaults to `False`.
        save_weights_only: Whether to save only the weights (`model.save_weights`).
            Defaults to `False` (`model.save`).
        mode: `"auto"`, `"min"` or `"max"`, the direction of improvement. Defaults to `"auto"`.
        save_freq: `"epoch"` to save after every epoch, or an integer to save every that many
            training batches (counted across epochs). Defaults to `"epoch"`.
        initial_value_threshold: Initial "best" value for `save_best_only`; only values that
            beat it are saved. Defaults to `None`.

    Raises:
        ValueError: For a `save_freq` that is neither `"epoch"` nor a positive integer, or a
            `filepath` with the wrong suffix.

    Example:
    >>> import os, tempfile, numpy as np, kerastorch
    >>> from kerastorch import layers
    >>> model = kerastorch.Sequential([layers.Input(shape=(2,)), layers.Dense(1)])
    >>> model.compile(optimizer="sgd", loss="mse")
    >>> folder = tempfile.mkdtemp()
    >>> checkpoint = ModelCheckpoint(os.path.join(folder, "w.{epoch:02d}.weights.h5"),
    ...                              monitor="loss", save_weights_only=True)
    >>> history = model.fit(np.ones((4, 2)), np.ones((4, 1)), epochs=2, verbose=0,
    ...                     callbacks=[checkpoint])
    >>> sorted(os.listdir(folder))
    ['w.01.weights.h5', 'w.02.weights.h5']
    """

    def __init__(self, filepath, monitor="val_loss", verbose=0, save_best_only=False,
                 save_weights_only=False, mode="auto", save_freq="epoch", initial_value_threshold=None):
        super().__init__(monitor, mode, initial_value_threshold)
        self.verbose = verbose
        self.filepath = os.fspath(filepath)
        self.save_best_only = save_best_only
        self.save_weights_only = save_weights_only
        self.save_freq = save_freq
        self._batches_seen_since_last_saving = 0
        self._last_batch_seen = None
        self._current_epoch = 0
        if save_freq != "epoch" and (isinstance(save_freq, bool) or not isinstance(save_freq, int)
                                     or save_freq < 1):
            raise ValueError(
                f"ModelCheckpoint: unrecognized save_freq={save_freq!r}. Expected 'epoch' (save after "
                "each epoch) or a positive integer (save every that many batches)."
            )
        if save_weights_only:
            if not self.filepath.endswith(".weights.h5"):
                raise ValueError(
                    "ModelCheckpoint(save_weights_only=True) saves with model.save_weights(), so the "
                    f"filepath must end in `.weights.h5` (Keras weights format). Received: "
                    f"filepath={self.filepath!r}. Rename it, e.g. "
                    f"{_with_suffix(self.filepath, '.weights.h5')!r}."
                )
        elif not self.filepath.endswith((".keras", ".h5")):
            raise ValueError(
                "ModelCheckpoint saves the whole model with model.save(), so the filepath must end in "
                f"`.keras` (Keras model format). Received: filepath={self.filepath!r}. Rename it, e.g. "
                f"{_with_suffix(self.filepath, '.keras')!r}, or pass save_weights_only=True with a "
                "`.weights.h5` path."
            )
        if save_freq != "epoch":
            # Batch hooks make fit() read the logs after each batch: add them only when needed.
            self.__class__ = _BatchModelCheckpoint

    def on_epoch_begin(self, epoch, logs=None):
        self._current_epoch = epoch

    def on_epoch_end(self, epoch, logs=None):
        if self.monitor_op is None:
            self._set_monitor_op()
        if self.save_freq == "epoch":
            self._save_model(epoch, None, logs)

    def _get_file_path(self, epoch, batch, logs):
        logs = dict(logs or {})
        try:
            if batch is None or "batch" in logs:
                return self.filepath.format(epoch=epoch + 1, **logs)
            return self.filepath.format(epoch=epoch + 1, batch=batch + 1, **logs)
        except KeyError as e:
            raise KeyError(
                f"ModelCheckpoint could not format filepath {self.filepath!r}: the field {e} is not "
                f"among epoch, batch and the log keys ({', '.join(logs) or 'none'}). Use one of "
                "those, or a key that fit() logs (validation keys need validation data)."
            ) from None

    def _should_save_model(self, epoch, logs, filepath):
        if not self.save_best_only:
            if self.verbose > 0:
                print(f"\nEpoch {epoch + 1}: saving model to {filepath}")
            return True
        current = (logs or {}).get(self.monitor)
        if current is None:
            warnings.warn(
                f"ModelCheckpoint: can save the best model only with `{self.monitor}` available; it is "
                f"not in the logs (keys: {', '.join(logs or {}) or '(none)'}). Saving anyway.",
                stacklevel=3,
            )
            return True
        current = float(current)
        best_str = "None" if self.best is None else f"{self.best:.5f}"
        if self._is_improvement(current, self.best):
            if self.verbose > 0:
                print(f"\nEpoch {epoch + 1}: {self.monitor} improved from {best_str} to {current:.5f}, "
                      f"saving model to {filepath}")
            self.best = current
            return True
        if self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: {self.monitor} did not improve from {best_str}")
        return False

    def _save_model(self, epoch, batch, logs):
        if not distribution.is_chief():   # under torchrun, rank 0 alone writes (same weights everywhere)
            return
        filepath = self._get_file_path(epoch, batch, logs)
        if not self._should_save_model(epoch, logs, filepath):
            return
        if os.path.isdir(filepath):
            raise IsADirectoryError(
                f"ModelCheckpoint: the filepath {filepath!r} is an existing directory. Give a file "
                "path, e.g. os.path.join(that_directory, 'model.keras')."
            )
        dirname = os.path.dirname(filepath)
        if dirname:
            os.makedirs(dirname, exist_ok=True)
        method = "save_weights" if self.save_weights_only else "save"
        save = getattr(self.model, method, None)
        if save is None:
            raise NotImplementedError(
                f"ModelCheckpoint needs model.{method}(), which {type(self.model).__name__} does not "
                "provide."
            )
        save(filepath, overwrite=True)
        if self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: finished saving model to {filepath}")


def _with_suffix(path, suffix):
    for old in (".weights.h5", ".keras", ".h5", ".pt", ".pth", ".ckpt"):
        if path.endswith(old):
            return path[: -len(old)] + suffix
    return path + suffix


class _BatchModelCheckpoint(ModelCheckpoint):
    """`ModelCheckpoint` with an integer `save_freq`: also listens to training batches.

    A separate class, because a batch hook makes `fit` read the logs back from the device
    after every batch; with `save_freq="epoch"` there is none.
    """

    def on_train_batch_end(self, batch, logs=None):
        if self._should_save_on_batch(batch):
            self._save_model(self._current_epoch, batch, logs)
