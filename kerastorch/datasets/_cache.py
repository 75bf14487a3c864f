"""Where downloaded datasets live, and the error raised when they can't be fetched.

Datasets are cached in `$KERASTORCH_HOME/datasets/<name>/` (`KERASTORCH_HOME` defaults to
`~/.kerastorch`, as Keras caches in `~/.keras/datasets`). Downloads go through torchvision;
set `KERASTORCH_OFFLINE=1` to never try the network (files must then already be in place).
"""

import os


def cache_dir(name):
    """The folder that holds (or will hold) dataset `name`: `$KERASTORCH_HOME/datasets/name`."""
    home = os.environ.get("KERASTORCH_HOME") or os.path.join(os.path.expanduser("~"), ".kerastorch")
    return os.path.join(home, "datasets", name)


def offline():
    """Whether downloads are disabled (`KERASTORCH_OFFLINE` set to 1/true/yes)."""
    return os.environ.get("KERASTORCH_OFFLINE", "").strip().lower() in ("1", "true", "yes")


def missing_error(dataset, folder, files, url, cause=None):
    """An `OSError` that says which files to put where, after a download failed or was disabled."""
    why = ("downloads are disabled (KERASTORCH_OFFLINE is set)" if cause is None
           else f"the download failed ({type(cause).__name__}: {cause})")
    listing = "\n".join(f"    {os.path.join(folder, f)}" for f in files)
    return OSError(
        f"{dataset}.load_data(): the dataset is not in the cache and {why}.\n"
        f"Put these files there (from {url}), then call load_data() again:\n{listing}\n"
        f"The cache is $KERASTORCH_HOME/datasets (KERASTORCH_HOME defaults to ~/.kerastorch)."
    )
