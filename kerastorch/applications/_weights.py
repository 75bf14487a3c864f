"""The `weights` argument of every application: checking it and loading the weights (internal).

Interface for the architecture modules (call in this order, as Keras' builders do):

    from kerastorch.applications import _weights

    _weights.check_weights(weights, include_top, classes)
        # first thing in the builder: Keras' ValueErrors for a `weights` that is neither None,
        # "imagenet" nor an existing file, and for weights="imagenet" + include_top + classes != 1000.

    ... build `model = kerastorch.Model(inputs, x, name=name)` ...

    _weights.load_weights(model, weights, file_name=..., origin=..., file_hash=None)
        # None: nothing. A path: `model.load_weights(path)` (Keras 3 `.weights.h5`, legacy `.h5`,
        # `.keras`). "imagenet": Keras' cached file `file_name` (Keras' own name, e.g.
        # "resnet50_weights_tf_dim_ordering_tf_kernels.h5") from `$KERAS_HOME/models/` (default
        # `~/.keras/models/`, as keras.utils.get_file(cache_subdir="models")); `origin` is the URL
        # Keras downloads it from, named in the error when the file is absent (nothing is
        # downloaded). With `file_hash` (Keras' md5 or sha256), a cached file that does not match
        # raises instead of loading. "imagenet" with `file_name=None` (Keras has no such file for
        # this variant) loads nothing, as Keras does.

    _weights.cache_path(file_name)   # where a cached file is looked for (for messages and tests)

The input-shape and classifier-activation checks are in `imagenet_utils` (`obtain_input_shape`,
`validate_activation`), under Keras' names.
"""

import os

from kerastorch.utils.file_utils import hash_file, keras_home


def cache_dirs():
    """The folders searched for Keras' cached model files, in order (Keras' `get_file` rules).

    `$KERAS_HOME/models` (default `~/.keras/models`); Keras falls back to `/tmp/.keras/models`
    when the cache root is not writable, so that folder is searched too.

    Example:
    >>> cache_dirs()[0].endswith("models")
    True
    """
    root = os.path.expanduser(keras_home())
    dirs = [os.path.join(root, "models")]
    fallback = os.path.join("/tmp", ".keras", "models")
    if fallback not in dirs:
        dirs.append(fallback)
    return dirs


def cache_path(file_name):
    """The path of `file_name` in Keras' model cache: the first that exists, else the primary one.

    Example:
    >>> os.path.basename(cache_path("resnet50_weights_tf_dim_ordering_tf_kernels.h5"))
    'resnet50_weights_tf_dim_ordering_tf_kernels.h5'
    """
    dirs = cache_dirs()
    for folder in dirs:
        path = os.path.join(folder, file_name)
        if os.path.isfile(path):
            return path
    return os.path.join(dirs[0], file_name)


def check_weights(weights, include_top, classes):
    """Keras' checks of `weights` against `include_top` and `classes`.

    Args:
        weights: `None`, `"imagenet"` or the path of a weights file.
        include_top: Whether the model has its classifier.
        classes: The number of classes of the classifier.

    Raises:
        ValueError: with Keras' messages.

    Example:
    >>> check_weights(None, True, 10)     # random initialisation: any number of classes
    """
    if not (weights is None or (isinstance(weights, str) and weights == "imagenet")
            or (isinstance(weights, (str, os.PathLike)) and os.path.exists(weights))):
        raise ValueError("The `weights` argument should be either `None` (random initialization), 'imagenet' "
                         "(pre-training on ImageNet), or the path to the weights file to be loaded.  "
                         f"Received: weights={weights}")
    if isinstance(weights, str) and weights == "imagenet" and include_top and classes != 1000:
        raise ValueError("If using `weights='imagenet'` with `include_top=True`, `classes` should be 1000.  "
                         f"Received classes={classes}")


def load_weights(model, weights, file_name=None, origin=None, file_hash=None):
    """Loads `weights` into a freshly built application model.

    Args:
        model: The kerastorch Functional model.
        weights: `None`, `"imagenet"` or a file path (Keras' `.weights.h5`, legacy `.h5` or `.keras`).
        file_name: Keras' cache file name of the ImageNet weights for this model and `include_top`.
        origin: The URL Keras downloads `file_name` from (for the error message).
        file_hash: Optional md5/sha256 of that file (Keras' `WEIGHTS_HASHES`).

    Raises:
        ValueError: when the ImageNet file is not cached (naming the file, its URL and the cache
            folder), does not match `file_hash`, or the file does not fit the model.
    """
    if weights is None:
        return
    if isinstance(weights, str) and weights == "imagenet":
        if file_name is None:
            return
        path = cache_path(file_name)
        folder = os.path.dirname(path)
        if not os.path.isfile(path):
            raise ValueError(
                f"Model '{model.name}' (weights='imagenet') needs Keras' ImageNet weights file {file_name!r}, which is "
                f"not in Keras' cache (looked in {', '.join(cache_dirs())}). kerastorch does not download it: "
                f"fetch it once from {origin or 'Keras download URL for it'} and put it in {folder}/ (the "
                f"folder real Keras downloads it to; set KERAS_HOME to use another cache root), or pass the "
                f"file's path as `weights=`.")
        if file_hash is not None:
            algorithm = "sha256" if len(file_hash) == 64 else "md5"
            if hash_file(path, algorithm) != file_hash:
                raise ValueError(f"{path} does not match the {algorithm} hash Keras expects for {file_name!r} "
                                 f"({file_hash}): the file is incomplete or another file. Fetch it again from "
                                 f"{origin}.")
        model.load_weights(path)
        return
    model.load_weights(os.fspath(weights))
