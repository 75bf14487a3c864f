"""Keras 3's `.keras` archive: a zip of `config.json`, `metadata.json` and `model.weights.h5`."""

import datetime
import io
import json
import os
import zipfile

from kerastorch.saving import layer_state, serialization, weights_h5
from kerastorch.saving.atomic import atomic_write, check_exists

_KERAS_VERSION = "3.15.1"   # the Keras version whose format is written


def model_config(model):
    """The full `config.json` dict of a model: class, config, build and compile configs."""
    out = serialization.serialize_layer(model)
    compile_config = serialization.serialize_compile_config(model)
    if compile_config is not None:
        out["compile_config"] = compile_config
    return out


def _check_describable(model):
    if getattr(model, "_plain_module", lambda: False)():
        raise TypeError(
            f"Model '{model.name}' wraps a plain torch.nn.Module ({type(model.module).__name__}), whose "
            "architecture a .keras config cannot describe. Save its weights with "
            "model.save_weights('name.weights.h5') or torch.save(model.state_dict(), 'name.pt'), or "
            "a standalone program with model.export('name.pt2')."
        )


def _members(model, include_optimizer):
    """The three members of a `.keras` archive (or unzipped folder), as bytes, by file name."""
    import h5py

    _check_describable(model)
    config = model_config(model)
    weights = io.BytesIO()
    with h5py.File(weights, "w") as h5:
        weights_h5.write_model(h5, model, include_optimizer=include_optimizer)
        layer_state.write_variables(h5, model)
    metadata = {"keras_version": _KERAS_VERSION,
                "date_saved": datetime.datetime.now().strftime("%Y-%m-%d@%H:%M:%S")}
    return {"metadata.json": json.dumps(metadata).encode(), "config.json": json.dumps(config).encode(),
            "model.weights.h5": weights.getvalue(), **layer_state.asset_members(model)}


def save_model(model, filepath, overwrite=True, include_optimizer=True, zipped=True):
    """Saves `model` in Keras 3's format, which real Keras 3 can load, atomically.

    Args:
        model: A kerastorch `Sequential`.
        filepath: Path ending in `.keras` (zipped), or a folder name (unzipped).
        overwrite: Whether to replace an existing file. Defaults to `True`.
        include_optimizer: Whether to save the optimizer's state. Defaults to `True`.
        zipped: `True` writes the `.keras` zip; `False` writes Keras' unzipped folder
            (`config.json`, `metadata.json`, `model.weights.h5`, an empty `assets/`).
            Defaults to `True`.
    """
    members = _members(model, include_optimizer)
    if not zipped:
        _save_folder(members, os.fspath(filepath), overwrite)
        return
    with atomic_write(filepath, overwrite=overwrite) as tmp:
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            for member in ("metadata.json", "config.json"):
                zf.writestr(member, members[member])
            zf.writestr("model.weights.h5", members["model.weights.h5"], compress_type=zipfile.ZIP_STORED)
            for member in sorted(m for m in members if m.startswith("assets/")):
                zf.writestr(member, members[member])   # lookup layers' vocabularies, as Keras


def _save_folder(members, folder, overwrite):
    # Keras' `save(path, zipped=False)` layout: the archive's members as files of a folder.
    if os.path.exists(folder) and not os.path.isdir(folder):
        raise FileExistsError(f"save(zipped=False) writes a folder, but {folder} is a file. Choose "
                              "another path, or remove the file.")
    if not overwrite and os.path.exists(os.path.join(folder, "config.json")):
        raise FileExistsError(f"{folder} already holds a saved model and overwrite=False; pass "
                              "overwrite=True to replace it, or choose another path.")
    # Keras also makes an (empty) `assets/` folder beside the files (for absolute paths; a
    # relative path sends it to a temporary folder instead, a quirk not copied).
    os.makedirs(os.path.join(folder, "assets"), exist_ok=True)
    for member, data in members.items():
        os.makedirs(os.path.dirname(os.path.join(folder, member)), exist_ok=True)
        with atomic_write(os.path.join(folder, member)) as tmp:
            with open(tmp, "wb") as f:
                f.write(data)


def is_model_folder(filepath):
    """Whether `filepath` is a folder written by `save(..., zipped=False)` (it holds config.json)."""
    return os.path.isdir(filepath) and os.path.isfile(os.path.join(filepath, "config.json"))


def _open_archive(filepath):
    check_exists(filepath, "a .keras archive")
    name = os.fspath(filepath)
    try:
        zf = zipfile.ZipFile(filepath, "r")
        bad = zf.testzip()
    except (zipfile.BadZipFile, OSError, EOFError) as e:
        raise ValueError(
            f"{name}: expected a .keras archive (a zip file holding config.json, metadata.json and "
            f"model.weights.h5), but it cannot be read as a zip ({os.path.getsize(filepath)} bytes; "
            f"corrupted or truncated?): {e}"
        ) from None
    except Exception as e:  # zlib errors on damaged members
        raise ValueError(f"{name}: the .keras archive is damaged (corrupted or truncated?): {e}") from None
    if bad is not None:
        zf.close()
        raise ValueError(f"{name}: the .keras archive is damaged: member {bad!r} fails its CRC check "
                         "(corrupted or truncated file).")
    return zf


def read_archive(filepath):
    """Returns `(config dict, weights bytes or None)` of a `.keras` archive (or unzipped folder), checked."""
    name = os.fspath(filepath)
    if is_model_folder(filepath):
        try:
            with open(os.path.join(name, "config.json"), "rb") as f:
                config = json.loads(f.read().decode("utf-8"))
        except (ValueError, UnicodeDecodeError) as e:
            raise ValueError(f"{name}/config.json is not valid JSON: {e}") from None
        weights_path = os.path.join(name, "model.weights.h5")
        weights = open(weights_path, "rb").read() if os.path.exists(weights_path) else None
        return config, weights
    with _open_archive(filepath) as zf:
        members = zf.namelist()
        if "config.json" not in members:
            raise ValueError(
                f"{name}: expected a .keras archive holding config.json, metadata.json and "
                f"model.weights.h5, found {members or 'an empty zip'}. It is not a Keras model "
                "file (a weights-only file is read with model.load_weights())."
            )
        try:
            config = json.loads(zf.read("config.json").decode("utf-8"))
        except (ValueError, UnicodeDecodeError) as e:
            raise ValueError(f"{name}: config.json is not valid JSON: {e}") from None
        weights = zf.read("model.weights.h5") if "model.weights.h5" in members else None
    return config, weights


def model_from_config(config, custom_objects=None, safe_mode=True, where="config", compile=True):
    """Creates a model from a `.keras` `config.json` dict, compiled from its `compile_config`.

    Args:
        config: Dict with `class_name`, `config` (and `compile_config`).
        custom_objects: Optional dict of name -> class or function.
        safe_mode: Whether to refuse Lambda layers. Defaults to `True`.
        where: Where the config came from, for error messages.
        compile: Whether to compile from `compile_config`. Defaults to `True`.

    Returns:
        The model.
    """
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(f"{where}: expected a model config with 'class_name' and 'config', got "
                         f"{type(config).__name__} {str(config)[:200]}.")
    try:
        model = serialization.deserialize_layer(config, custom_objects, safe_mode, where)
        if not model.built and (config.get("build_config") or {}).get("input_shape"):
            if hasattr(model, "build_from_config"):      # a subclassed model builds all its layers
                model.build_from_config(config["build_config"])
            else:
                model.build(tuple(config["build_config"]["input_shape"]))
        if compile and config.get("compile_config") and hasattr(model, "compile"):
            serialization.compile_from_config(model, config["compile_config"], custom_objects, where)
    except (ValueError, TypeError, KeyError, AttributeError, IndexError, RuntimeError) as e:
        # A damaged or hand-edited config fails somewhere inside a constructor: say which file.
        if isinstance(e, ValueError) and str(where) in str(e):
            raise
        raise ValueError(f"{where}: the model config cannot be loaded: {type(e).__name__}: {e}") from e
    return model


def load_model(filepath, custom_objects=None, compile=True, safe_mode=True):
    """Loads a `.keras` archive written by kerastorch or by real Keras 3.

    Args:
        filepath: Path to the `.keras` file, or to a folder written by `save(..., zipped=False)`.
        custom_objects: Optional dict of name -> class or function.
        compile: Whether to compile the model from the saved compile config. Defaults to `True`.
        safe_mode: Whether to refuse Lambda layers. Defaults to `True`.

    Returns:
        The model, with its weights and (when compiled) its optimizer state.
    """
    import h5py

    name = os.fspath(filepath)
    config, weights = read_archive(filepath)
    model = model_from_config(config, custom_objects, safe_mode, where=name, compile=compile)
    if weights is None:
        if any(True for _ in model.parameters()) or any(True for _ in model.buffers()):
            raise ValueError(f"{name}: the archive holds no model.weights.h5, so the model's weights "
                             "are missing (damaged or incomplete file). Save the model again with model.save().")
    else:
        with open_weights(weights, name) as h5:
            weights_h5.read_model(h5, model, f"{name}/model.weights.h5", include_optimizer=compile)
            layer_state.read_variables(h5, model, f"{name}/model.weights.h5")
    if layer_state._stateful(model, "load_assets"):
        layer_state.load_assets(model, layer_state.read_asset_members(filepath), name)
    return model


def open_weights(weights, name):
    """Opens the `model.weights.h5` bytes of archive `name`; damaged HDF5 raises a ValueError."""
    import h5py

    try:
        return h5py.File(io.BytesIO(weights), "r")
    except OSError as e:
        raise ValueError(f"{name}: model.weights.h5 inside the archive is not valid HDF5 "
                         f"(corrupted or truncated?): {e}") from None
