"""`CSVLogger`: streams the epoch logs to a CSV file."""

import collections
import csv
import os

import numpy as np

from kerastorch import distribution
from kerastorch.callbacks.callback import Callback


def _cell(value):
    if isinstance(value, str):
        return value
    if isinstance(value, np.ndarray) and value.ndim == 0:
        return value
    if isinstance(value, collections.abc.Iterable):
        return f'"[{", ".join(map(str, value))}]"'
    return value


class CSVLogger(Callback):
    """Writes one CSV row per epoch: `epoch` (0-based) and the log keys, sorted.

    As in Keras 3, the columns are fixed at the first epoch: `epoch` then the sorted log
    keys; when those hold no `val_` key, a `val_<key>` column is added for each key (filled
    with `NA` while there is no validation), so a run with `validation_freq > 1` keeps one
    header. Missing values are written as `NA`.

    Args:
        filename: Path of the CSV file.
        separator: Column separator. Defaults to `","`.
        append: Whether to append to an existing file (the header is written only if the
            file is empty) instead of overwriting it. Defaults to `False`.

    Example:
    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "log.csv")
    >>> logger = CSVLogger(path)
    >>> logger.on_train_begin()
    >>> logger.on_epoch_end(0, {"loss": 0.5, "val_loss": 0.75})
    >>> logger.on_train_end()
    >>> print(open(path).read().strip())
    epoch,loss,val_loss
    0,0.5,0.75
    """

    def __init__(self, filename, separator=",", append=False):
        super().__init__()
        self.sep = separator
        self.filename = os.fspath(filename)
        self.append = append
        self.writer = None
        self.keys = None
        self.append_header = True
        self.csv_file = None

    def on_train_begin(self, logs=None):
        if not distribution.is_chief():   # under torchrun, rank 0 alone writes the (global) logs
            return
        if self.append:
            if os.path.exists(self.filename):
                with open(self.filename, "r", newline="") as f:
                    self.append_header = not bool(len(f.readline()))
            mode = "a"
        else:
            self.append_header = True
            mode = "w"
        if self.csv_file is not None and not self.csv_file.closed:
            self.csv_file.close()
        directory = os.path.dirname(self.filename)
        if directory:
            os.makedirs(directory, exist_ok=True)
        self.csv_file = open(self.filename, mode, newline="")
        self.writer = None
        self.keys = None

    def on_epoch_end(self, epoch, logs=None):
        if not distribution.is_chief():
            return
        logs = logs or {}
        if self.csv_file is None or self.csv_file.closed:
            raise RuntimeError(
                "CSVLogger.on_epoch_end() was called before on_train_begin() opened "
                f"{self.filename!r}; pass the logger to fit(callbacks=[...]) or call on_train_begin() first."
            )
        if self.keys is None:
            self.keys = sorted(logs)
            if self.keys and not any(k.startswith("val_") for k in self.keys):
                self.keys.extend(f"val_{k}" for k in list(self.keys))
        if self.writer is None:
            sep = self.sep

            class _Dialect(csv.excel):
                delimiter = sep

            self.writer = csv.DictWriter(self.csv_file, fieldnames=["epoch"] + self.keys, dialect=_Dialect)
            if self.append_header:
                self.writer.writeheader()
        row = {"epoch": epoch}
        row.update((key, _cell(logs.get(key, "NA"))) for key in self.keys)
        self.writer.writerow(row)
        self.csv_file.flush()

    def on_train_end(self, logs=None):
        if self.csv_file is not None and not self.csv_file.closed:
            self.csv_file.close()
        self.writer = None
