"""Saving and loading, in Keras 3's own formats, as in `keras.saving`.

- `.keras` archives (`save_model`/`load_model`), readable by real Keras 3 and back;
- `.weights.h5` weights files, and legacy Keras `.h5` files (read and written);
- configs and JSON (`model.to_json()`, `model_from_json`), `clone_model`;
- the custom-object registry (`register_keras_serializable`, `custom_objects=`);
- `safe_mode=True` by default: Lambda layers and serialized code are refused.

Nothing here unpickles data: configs are JSON, weights HDF5.

Example:
>>> import os, tempfile, numpy as np, kerastorch
>>> from kerastorch import layers
>>> model = kerastorch.Sequential([layers.Input(shape=(3,)), layers.Dense(2)])
>>> path = os.path.join(tempfile.mkdtemp(), "model.keras")
>>> model.save(path)
>>> restored = kerastorch.models.load_model(path)
>>> x = np.ones((1, 3), dtype="float32")
>>> bool(np.allclose(model.predict(x, verbose=0), restored.predict(x, verbose=0)))
True
"""

import json
import os

from kerastorch.saving.serialization import (CustomObjectScope, custom_object_scope, deserialize_keras_object,
                                             get_registered_name, get_registered_object,
                                             register_keras_serializable, serialize_keras_object)

__all__ = ["save_model", "load_model", "save_weights", "load_weights", "clone_model", "model_from_json",
           "register_keras_serializable", "get_registered_name", "get_registered_object",
           "serialize_keras_object", "deserialize_keras_object", "CustomObjectScope",
           "custom_object_scope"]


def _suffix(filepath):
    return os.fspath(filepath).lower()


def save_model(model, filepath, overwrite=True, zipped=None, include_optimizer=True, **kwargs):
    """Saves a model in Keras 3's format (a `.keras` archive or an unzipped folder), or legacy `.h5`.

    Args:
        model: The kerastorch model.
        filepath: Path ending in `.keras`; with `zipped=False`, a folder name (not ending in
            `.keras`); or a path ending in `.h5`/`.hdf5` for Keras' legacy HDF5 format (with
            Keras' warning that it is legacy).
        overwrite: Whether to replace an existing file. Defaults to `True`.
        zipped: `False` writes Keras' unzipped folder (`config.json`, `metadata.json`,
            `model.weights.h5`, `assets/`) instead of the zip. Defaults to `None` (zipped).
        include_optimizer: Whether to save the optimizer's state. Defaults to `True`.
        **kwargs: `save_format` only, which Keras 3 deprecated: accepted (with a warning)
            when it agrees with the path's extension, refused otherwise.

    Raises:
        ValueError: for another extension, `zipped=False` with a `.keras` path, or other
            arguments.

    Example:
    >>> import os, tempfile, kerastorch
    >>> from kerastorch import layers
    >>> model = kerastorch.Sequential([layers.Input(shape=(2,)), layers.Dense(1)])
    >>> folder = os.path.join(tempfile.mkdtemp(), "model")
    >>> save_model(model, folder, zipped=False)
    >>> sorted(os.listdir(folder))
    ['assets', 'config.json', 'metadata.json', 'model.weights.h5']
    """
    import warnings

    from kerastorch.saving import keras_format, legacy_h5

    path = _suffix(filepath)
    is_h5 = path.endswith((".h5", ".hdf5"))
    save_format = kwargs.pop("save_format", None)
    if save_format:
        if not (is_h5 or path.endswith(".keras")):
            raise ValueError("The `save_format` argument is deprecated in Keras 3. Please remove this "
                             "argument and pass a file path with either `.keras` or `.h5` extension. "
                             f"Received: save_format={save_format!r}")
        warnings.warn("The `save_format` argument is deprecated in Keras 3. We recommend removing this "
                      "argument as it can be inferred from the file path. "
                      f"Received: save_format={save_format!r}", stacklevel=3)
    if kwargs:
        raise ValueError(f"save_model: the following argument(s) are not supported: {sorted(kwargs)} "
                         "(as in Keras). Accepted: overwrite, zipped, include_optimizer.")
    if is_h5:
        warnings.warn(legacy_h5.LEGACY_WARNING, UserWarning, stacklevel=3)
    zipped = True if zipped is None else zipped
    if not zipped:
        if path.endswith(".keras"):
            raise ValueError("When using `zipped=False`, the `filepath` argument should not end in "
                             f"`.keras` (it names a folder). Received: filepath={os.fspath(filepath)!r}")
        return keras_format.save_model(model, filepath, overwrite=overwrite,
                                       include_optimizer=include_optimizer, zipped=False)
    if path.endswith(".keras"):
        return keras_format.save_model(model, filepath, overwrite=overwrite, include_optimizer=include_optimizer)
    if is_h5:
        return legacy_h5.save_model(model, filepath, overwrite=overwrite, include_optimizer=include_optimizer)
    raise ValueError(
        f"save_model: the file name must end in '.keras' (or '.h5' for the legacy format), got "
        f"{os.fspath(filepath)!r}. For Keras' unzipped folder pass zipped=False; for weights only use "
        "model.save_weights('name.weights.h5'); for a standalone PyTorch program, model.export('name.pt2')."
    )


def load_model(filepath, custom_objects=None, compile=True, safe_mode=True):
    """Loads a model saved by kerastorch or real Keras 3 (`.keras`), or a legacy Keras `.h5`.

    Args:
        filepath: Path to a `.keras` or `.h5` file, or a folder written by `save(..., zipped=False)`.
        custom_objects: Optional dict mapping names to custom classes or functions.
        compile: Whether to compile the model from its saved compile config, restoring
            the optimizer's state. Defaults to `True`.
        safe_mode: Whether to refuse Lambda layers and serialized Python code, which
            would run when loaded. Defaults to `True`; set `False` only for trusted files.

    Returns:
        The model.

    Raises:
        ValueError: for a damaged file, a file that is not a model, an unknown layer class
            (listing the close known ones), or a Lambda layer in safe mode.
    """
    from kerastorch.saving import keras_format, legacy_h5

    path = _suffix(filepath)
    if keras_format.is_model_folder(filepath):    # save(..., zipped=False)
        return keras_format.load_model(filepath, custom_objects, compile, safe_mode)
    if path.endswith((".h5", ".hdf5")):
        return legacy_h5.load_model(filepath, custom_objects, compile, safe_mode)
    if path.endswith(".keras"):
        return keras_format.load_model(filepath, custom_objects, compile, safe_mode)
    if path.endswith((".pt2", ".pt", ".pth")):
        raise ValueError(
            f"load_model({os.fspath(filepath)!r}): PyTorch files are loaded with torch: an exported "
            "program with torch.export.load(path).module(), a state dict with "
            "model.load_state_dict(torch.load(path, weights_only=True))."
        )
    raise ValueError(f"load_model: expected a path ending in '.keras' or '.h5', got {os.fspath(filepath)!r}.")


def save_weights(model, filepath, overwrite=True):
    """Saves a model's weights (and optimizer state) to a Keras 3 `.weights.h5` file, atomically.

    Args:
        model: The model.
        filepath: Path ending in `.weights.h5`.
        overwrite: Whether to replace an existing file. Defaults to `True`.
    """
    from kerastorch.saving import weights_h5
    from kerastorch.saving.atomic import atomic_write

    if not _suffix(filepath).endswith(".weights.h5"):
        raise ValueError(f"save_weights: the file name must end in '.weights.h5' (Keras 3's format), "
                         f"got {os.fspath(filepath)!r}.")
    import h5py

    with atomic_write(filepath, overwrite=overwrite) as tmp:
        with h5py.File(tmp, "w") as h5:
            weights_h5.write_model(h5, model)
            from kerastorch.saving import layer_state      # lookup layers' idf weights, as Keras

            layer_state.write_variables(h5, model)


def load_weights(model, filepath, skip_mismatch=False, by_name=False):
    """Loads weights into `model` from a `.weights.h5`, `.keras` or legacy `.h5` file.

    Args:
        model: The model (built).
        filepath: Path to the file.
        skip_mismatch: Whether to skip layers whose weights do not match, with a warning.
            Defaults to `False`.
        by_name: Legacy `.h5` only: match layers by name. Defaults to `False`.

    Raises:
        ValueError: when the file does not match the model; no weight is changed then.
    """
    from kerastorch.saving import keras_format, legacy_h5, weights_h5

    if not getattr(model, "built", True):
        raise ValueError(f"Model '{model.name}' is not built, so it has no weights to load into. "
                         "Give it an Input(shape=...) or call model.build(input_shape) first.")
    path = _suffix(filepath)
    if path.endswith(".keras"):
        _, weights = keras_format.read_archive(filepath)
        if weights is None:
            raise ValueError(f"{os.fspath(filepath)}: the archive holds no model.weights.h5.")
        with keras_format.open_weights(weights, os.fspath(filepath)) as h5:
            weights_h5.read_model(h5, model, f"{os.fspath(filepath)}/model.weights.h5",
                                  skip_mismatch=skip_mismatch)
            from kerastorch.saving import layer_state

            layer_state.read_variables(h5, model, f"{os.fspath(filepath)}/model.weights.h5")
        return
    if path.endswith((".h5", ".hdf5")):
        try:
            return legacy_h5.load_weights(model, filepath, by_name=by_name, skip_mismatch=skip_mismatch)
        except (RuntimeError, KeyError) as e:
            # h5py, reading a damaged file (a bad heap, a link past the end): name the file.
            # The file is read completely before any weight is assigned, so none changed.
            raise ValueError(f"{os.fspath(filepath)}: cannot read the weights; the file is damaged "
                             f"(corrupted or truncated?): {type(e).__name__}: {e}. No weight was "
                             "changed.") from e
    raise ValueError(f"load_weights: expected a '.weights.h5', '.keras' or '.h5' file, got "
                     f"{os.fspath(filepath)!r}. A torch state dict is loaded with "
                     "model.load_state_dict(torch.load(path, weights_only=True)).")


def model_from_json(json_string, custom_objects=None, safe_mode=True):
    """Creates a model (new weights) from `model.to_json()` output, or Keras' own JSON.

    Args:
        json_string: The JSON string.
        custom_objects: Optional dict of name -> class or function.
        safe_mode: Whether to refuse Lambda layers. Defaults to `True`.

    Returns:
        The model, uncompiled.

    Example:
    >>> import kerastorch
    >>> from kerastorch import layers
    >>> model = kerastorch.Sequential([layers.Input(shape=(3,)), layers.Dense(2)])
    >>> kerastorch.models.model_from_json(model.to_json()).output_shape
    (None, 2)
    """
    from kerastorch.saving import keras_format

    try:
        config = json.loads(json_string)
    except (TypeError, ValueError) as e:
        raise ValueError(f"model_from_json: expected a JSON string from model.to_json(), got "
                         f"{str(json_string)[:80]!r}: {e}") from None
    return keras_format.model_from_config(config, custom_objects, safe_mode, where="model_from_json",
                                          compile=False)


def clone_model(model, input_tensors=None, clone_function=None, custom_objects=None):
    """Returns a new model with the same configuration and freshly initialised weights.

    Args:
        model: A kerastorch `Sequential` or Functional model (or a layer).
        input_tensors: Optional `Input(...)` to use instead of the model's own (for a
            Functional model, in the structure of `model.input`).
        clone_function: Optional function `layer -> new layer`, called once on each layer
            (shared layers stay shared). Defaults to re-creating each layer from its config.
        custom_objects: Optional dict of name -> class, for custom layers.

    Returns:
        The new, uncompiled model.

    Example:
    >>> import kerastorch
    >>> from kerastorch import layers
    >>> model = kerastorch.Sequential([layers.Input(shape=(3,)), layers.Dense(2)])
    >>> clone = kerastorch.models.clone_model(model)
    >>> clone.get_config() == model.get_config(), clone.layers[0] is model.layers[0]
    (True, False)
    """
    from kerastorch.layers.core import InputLayer
    from kerastorch.models.functional import Functional
    from kerastorch.saving import serialization

    if isinstance(model, Functional):
        from kerastorch.models import functional_config

        return functional_config.clone(model, input_tensors, clone_function, custom_objects)
    if not hasattr(model, "_stack"):
        return serialization.deserialize_layer(serialization.serialize_layer(model), custom_objects,
                                               safe_mode=False, where="clone_model")
    if clone_function is None:
        def clone_function(layer):
            return serialization.deserialize_layer(serialization.serialize_layer(layer), custom_objects,
                                                   safe_mode=False, where="clone_model")
    new = type(model)(name=model.name, trainable=model.trainable)
    if input_tensors is not None:
        from kerastorch.layers.keras_tensor import KerasTensor

        if isinstance(input_tensors, (list, tuple)):
            if len(input_tensors) != 1:
                raise ValueError("clone_model: for a Sequential model, `input_tensors` must contain a single "
                                 f"tensor; got {len(input_tensors)}.")
            input_tensors = input_tensors[0]
        if not isinstance(input_tensors, KerasTensor):
            raise ValueError("clone_model: `input_tensors` must be a KerasTensor (from kerastorch.Input(...)); "
                             f"got {type(input_tensors).__name__}.")
        # As Keras: the clone's input layer takes the tensor's shape and dtype and the model's input name.
        name = model._input_layer.name if model._input_layer is not None else None
        new.add(InputLayer(batch_shape=tuple(input_tensors.shape), dtype=input_tensors.dtype, name=name),
                rebuild=False)
    elif model._input_layer is not None:
        new.add(InputLayer(**{k: v for k, v in model._input_layer.get_config().items()
                              if k in ("batch_shape", "dtype", "name")}), rebuild=False)
    for layer in model.layers:
        new.add(clone_function(layer), rebuild=False)
    if new._input_layer is not None and new.layers:
        new.build()
    return new
