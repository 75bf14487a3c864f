"""`BackupAndRestore`: resumes an interrupted `fit` from its last backup."""

import os
import random
import shutil

import numpy as np
import torch

from kerastorch import distribution
from kerastorch.callbacks.callback import Callback, SavesEveryNBatches

_FORMAT = "kerastorch.BackupAndRestore"
_VERSION = 1


def _rng_state():
    """Every RNG the fit loop draws from (shuffling, Dropout, ...), in a weights_only-safe form."""
    np_state = np.random.get_state()
    state = {
        "torch": torch.get_rng_state(),
        "numpy": {"keys": torch.from_numpy(np_state[1].astype(np.int64)), "pos": int(np_state[2]),
                  "has_gauss": int(np_state[3]), "cached_gaussian": float(np_state[4])},
        "python": [list(x) if isinstance(x, tuple) else x for x in random.getstate()],
    }
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def _set_rng_state(state):
    torch.set_rng_state(state["torch"])
    np_state = state["numpy"]
    np.random.set_state(("MT19937", np_state["keys"].numpy().astype(np.uint32), np_state["pos"],
                         np_state["has_gauss"], np_state["cached_gaussian"]))
    version, internal, gauss = state["python"]
    random.setstate((version, tuple(internal), gauss))
    if "cuda" in state and torch.cuda.is_available() and len(state["cuda"]) == torch.cuda.device_count():
        torch.cuda.set_rng_state_all(state["cuda"])


class BackupAndRestore(SavesEveryNBatches, Callback):
    """Backs up the training state so that an interrupted `fit` resumes where it stopped.

    At the end of every epoch (or every `save_freq` batches) it writes the model's
    `state_dict()`, the optimizer's `state_dict()`, the number of completed epochs and the
    random number generators' states (torch, CUDA, numpy, python) to
    `backup_dir/latest.pt`, atomically: the file is written next to it and then renamed
    with `os.replace`, so a crash mid-write leaves the previous backup intact. When `fit`
    starts again with the same callback directory, the state is loaded
    (`torch.load(weights_only=True)`) and training continues from the first unfinished
    epoch. Because the RNG states are restored too, a run resumed from an epoch-end backup
    draws the same shuffles and Dropout masks as an uninterrupted run, and ends with the
    same weights (on the same device, data and code). A backup taken mid-epoch
    (integer `save_freq`) restarts that epoch from its first batch with the mid-epoch
    weights, as Keras does. The backup is deleted when training ends normally.

    The model and its `compile()`/`fit()` arguments must be the same as in the run that
    wrote the backup; `backup_dir` must not be shared with other runs or callbacks.

    Args:
        backup_dir: Directory for the backup files.
        save_freq: `"epoch"` to back up after each epoch, or an integer to back up every
            that many batches. Defaults to `"epoch"`.
        double_checkpoint: Whether to keep the previous backup too (`latest.pt.bkp`),
            used when the latest one cannot be read. Defaults to `False`.
        delete_checkpoint: Whether to delete `backup_dir` when training ends. Defaults to `True`.

    Raises:
        ValueError: For an empty `backup_dir` or a bad `save_freq`.

    Example:
    >>> import tempfile, numpy as np, kerastorch
    >>> from kerastorch import layers
    >>> model = kerastorch.Sequential([layers.Input(shape=(2,)), layers.Dense(1)])
    >>> model.compile(optimizer="sgd", loss="mse")
    >>> backup = BackupAndRestore(backup_dir=tempfile.mkdtemp())
    >>> history = model.fit(np.ones((4, 2)), np.ones((4, 1)), epochs=2, verbose=0,
    ...                     callbacks=[backup])
    >>> tuple(history.epoch)  # after an interruption at epoch 1, a new fit() runs only epoch 1
    (0, 1)
    """

    def __init__(self, backup_dir, save_freq="epoch", double_checkpoint=False, delete_checkpoint=True):
        super().__init__()
        if not backup_dir:
            raise ValueError(
                f"BackupAndRestore needs a directory for its backups, got backup_dir={backup_dir!r}. "
                "Pass e.g. backup_dir='/tmp/backup'."
            )
        if save_freq != "epoch" and (isinstance(save_freq, bool) or not isinstance(save_freq, int)
                                     or save_freq < 1):
            raise ValueError(
                f"BackupAndRestore: invalid save_freq={save_freq!r}. Expected 'epoch' or a positive "
                "integer (a number of batches)."
            )
        self.backup_dir = os.fspath(backup_dir)
        self.save_freq = save_freq
        self.double_checkpoint = double_checkpoint
        self.delete_checkpoint = delete_checkpoint
        self._path = os.path.join(self.backup_dir, "latest.pt")
        self._prev_path = self._path + ".bkp"
        self._batches_seen_since_last_saving = 0
        self._last_batch_seen = 0
        self._current_epoch = 0
        if save_freq != "epoch":
            # Batch hooks make fit() read the logs after each batch: add them only when needed.
            self.__class__ = _BatchBackupAndRestore

    # ------------------------------------------------------------------ restore
    def on_train_begin(self, logs=None):
        self._current_epoch = 0
        self._last_batch_seen = 0
        self._batches_seen_since_last_saving = 0
        candidates = [p for p in (self._path, self._prev_path if self.double_checkpoint else None)
                      if p is not None and os.path.exists(p)]
        errors = []
        for path in candidates:
            try:
                state = torch.load(path, map_location="cpu", weights_only=True)
                self._check_format(state, path)
            except Exception as e:  # unreadable or truncated: try the previous backup
                first_line = (str(e).strip().splitlines() or [""])[0][:200]
                errors.append(f"{path}: {type(e).__name__}: {first_line}")
                continue
            self._restore(state, path)
            return
        if errors:
            raise OSError(
                "BackupAndRestore could not read its backup(s): " + "; ".join(errors) + ". Delete "
                f"{self.backup_dir!r} to start training from scratch"
                + ("" if self.double_checkpoint else ", or use double_checkpoint=True to keep a spare")
                + "."
            )

    def _check_format(self, state, path):
        if not isinstance(state, dict) or state.get("format") != _FORMAT:
            raise ValueError(f"{path} is not a kerastorch BackupAndRestore file")

    def _restore(self, state, path):
        model = self.model
        try:
            model.load_state_dict(state["model"])
        except RuntimeError as e:
            raise ValueError(
                f"BackupAndRestore: the backup {path!r} does not fit this model ({e}). It was written "
                f"by another model; use another backup_dir or delete {self.backup_dir!r}."
            ) from e
        optimizer = getattr(model, "optimizer", None)
        if optimizer is not None and state.get("optimizer") is not None:
            optimizer.load_state_dict(state["optimizer"])
        if state.get("rng") is not None:
            _set_rng_state(state["rng"])
        self._current_epoch = int(state["epoch"])
        # The fit loop reads this right after on_train_begin and starts from that epoch.
        model._initial_epoch = self._current_epoch

    # ------------------------------------------------------------------ back up
    def on_epoch_end(self, epoch, logs=None):
        self._current_epoch = epoch + 1
        self._last_batch_seen = 0
        if self.save_freq == "epoch":
            self._save()

    def _save(self):
        if not distribution.is_chief():   # under torchrun, rank 0 alone writes; every rank reads it back
            return
        model = self.model
        optimizer = getattr(model, "optimizer", None)
        state = {
            "format": _FORMAT,
            "version": _VERSION,
            "epoch": self._current_epoch,
            "batch": self._last_batch_seen,
            "model": model.state_dict(),
            "optimizer": optimizer.state_dict() if optimizer is not None else None,
            "rng": _rng_state(),
        }
        os.makedirs(self.backup_dir, exist_ok=True)
        tmp = self._path + ".tmp"
        with open(tmp, "wb") as f:
            torch.save(state, f)
            f.flush()
            os.fsync(f.fileno())
        if self.double_checkpoint and os.path.exists(self._path):
            os.replace(self._path, self._prev_path)
        os.replace(tmp, self._path)

    def on_train_end(self, logs=None):
        # Only a run that ended normally (all epochs, or stop_training as EarlyStopping sets) deletes
        # the backup: fit() returns after a Ctrl-C too, and that run must be able to resume.
        epochs = (self.params or {}).get("epochs")
        finished = epochs is None or self._current_epoch >= epochs or getattr(self.model, "stop_training", False)
        if finished and self.delete_checkpoint and distribution.is_chief() and os.path.exists(self.backup_dir):
            shutil.rmtree(self.backup_dir)


class _BatchBackupAndRestore(BackupAndRestore):
    """`BackupAndRestore` with an integer `save_freq`: also listens to training batches."""

    def on_train_batch_end(self, batch, logs=None):
        if self._should_save_on_batch(batch):
            self._save()
