"""Atomic writes and checked opening of saved files."""

import contextlib
import os
import tempfile


@contextlib.contextmanager
def atomic_write(filepath, overwrite=True):
    """Yields a temporary path in the target's folder; on success it replaces `filepath`.

    A crash or an exception while writing removes the temporary file and leaves any
    existing `filepath` untouched: a good file is never replaced by a half-written one.

    Args:
        filepath: The final path.
        overwrite: Whether an existing file may be replaced. Defaults to `True`.

    Raises:
        FileExistsError: if the file exists and `overwrite=False`.

    Example:
    >>> import os, tempfile
    >>> from kerastorch.saving.atomic import atomic_write
    >>> path = os.path.join(tempfile.mkdtemp(), "x.txt")
    >>> with atomic_write(path) as tmp:
    ...     _ = open(tmp, "w").write("hello")
    >>> open(path).read()
    'hello'
    """
    filepath = os.fspath(filepath)
    if not overwrite and os.path.exists(filepath):
        raise FileExistsError(f"{filepath} already exists and overwrite=False; pass overwrite=True "
                              "to replace it, or choose another path.")
    folder = os.path.dirname(os.path.abspath(filepath))
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"Cannot save to {filepath}: the folder {folder} does not exist. "
                                "Create it first (os.makedirs(folder, exist_ok=True)).")
    # The temporary name keeps the extension: some writers (torch.export.save) check it.
    suffix = ".tmp" + os.path.splitext(filepath)[1]
    fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(filepath)}.", suffix=suffix, dir=folder)
    os.close(fd)
    try:
        yield tmp
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        os.replace(tmp, filepath)
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(tmp)
        raise


def check_exists(filepath, what):
    """Raises FileNotFoundError naming `what` was expected at `filepath`."""
    if not os.path.exists(filepath):
        raise FileNotFoundError(f"No file at {os.fspath(filepath)!r}: expected {what}. Check the path.")


@contextlib.contextmanager
def open_h5(filepath, what="a Keras weights file (HDF5)"):
    """Opens an HDF5 file read-only; a damaged or non-HDF5 file raises a ValueError naming it."""
    import h5py

    check_exists(filepath, what)
    try:
        h5 = h5py.File(filepath, "r")
    except OSError as e:
        size = os.path.getsize(filepath)
        raise ValueError(
            f"{os.fspath(filepath)}: expected {what}, but it cannot be read as HDF5 ({size} bytes; "
            f"corrupted, truncated, or another kind of file): {e}"
        ) from None
    try:
        yield h5
    finally:
        h5.close()
