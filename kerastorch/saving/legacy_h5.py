"""Legacy Keras (2.x, and Keras 3's `save("x.h5")`) HDF5 files: whole models and weights.

Layout (KERAS-FACTS 3.3): root attrs `model_config` (JSON), `training_config`; weights under
`model_weights/` (whole model) or the root (weights file), with a `layer_names` attr and, per
layer group, an ordered `weight_names` attr. Unlike Keras 3's format, it is keyed by layer name.
"""

import json
import os
import warnings

import numpy as np

from kerastorch.saving import weights_h5
from kerastorch.saving.atomic import open_h5


def _decode(values):
    return [v.decode("utf8") if isinstance(v, bytes) else str(v) for v in values]


def _layer_weights(group, layer_name):
    """The arrays of one layer group, in its `weight_names` order."""
    g = group[layer_name]
    names = _decode(g.attrs.get("weight_names", []))
    return names, [np.asarray(g[n]) for n in names]


def _weights_root(h5, filename):
    root = h5["model_weights"] if "model_weights" in h5 else h5
    if "layer_names" not in root.attrs:
        if "layers" in h5 or "vars" in h5:
            return None    # a Keras 3 .weights.h5 file
        raise ValueError(
            f"{filename}: expected Keras weights in HDF5 (a 'layer_names' attribute, or a Keras 3 "
            f"'layers' group), found top-level keys {sorted(h5.keys())} and attributes "
            f"{sorted(h5.attrs.keys())}. It is not a Keras model or weights file."
        )
    return root


def _model_layers(model):
    return list(model.layers) if hasattr(model, "layers") else [model]


def load_weights(model, filepath, by_name=False, skip_mismatch=False):
    """Loads a legacy `.h5` file (whole model or weights only) into `model`, all-or-nothing.

    Args:
        model: The kerastorch model.
        filepath: Path to the `.h5` file.
        by_name: Whether to match layers by name (layers absent from the file are left
            unchanged). Defaults to `False`: layers with weights are matched in order.
        skip_mismatch: With `by_name=True`, skip layers whose weights do not match (with a
            warning) instead of raising. Defaults to `False`.

    Raises:
        ValueError: when the file does not match the model, naming the layer, what was
            expected and what was found; no weight is changed then.
    """
    name = os.fspath(filepath)
    with open_h5(filepath, "a Keras .h5 model or weights file") as h5:
        root = _weights_root(h5, name)
        if root is None:
            weights_h5.read_model(h5, model, name, skip_mismatch=skip_mismatch)
            from kerastorch.saving import layer_state      # lookup layers' idf weights, as Keras
            layer_state.read_variables(h5, model, name)
            return
        file_layers = _decode(root.attrs["layer_names"])
        plan, problems = [], []
        if by_name:
            for layer in _model_layers(model):
                if layer.name not in file_layers:
                    continue
                wnames, arrays = _layer_weights(root, layer.name)
                _match(layer, arrays, wnames, name, plan, problems)
        else:
            with_weights = [n for n in file_layers if len(root[n].attrs.get("weight_names", [])) > 0]
            layers = [l for l in _model_layers(model) if l._weight_slots()]
            if len(with_weights) != len(layers):
                raise ValueError(
                    f"{name}: the file holds weights for {len(with_weights)} layer(s) {with_weights}, "
                    f"the model has {len(layers)} layer(s) with weights {[l.name for l in layers]}. "
                    "It is a file of another model; load it into a model with the same layers, or "
                    "use by_name=True (with skip_mismatch=True) to load the matching layers only. "
                    "No weight was changed."
                )
            for layer, lname in zip(layers, with_weights):
                wnames, arrays = _layer_weights(root, lname)
                _match(layer, arrays, wnames, name, plan, problems, file_layer=lname)
        if problems:
            if not (skip_mismatch and by_name):
                raise ValueError("\n".join(problems) + "\nNo weight was changed."
                                 + (" Pass skip_mismatch=True to skip such layers." if by_name else
                                    " To load only matching layers, use by_name=True, skip_mismatch=True."))
            for message in problems:
                warnings.warn(f"Skipping: {message}", stacklevel=2)
        weights_h5.assign(plan)


def _match(layer, arrays, wnames, filename, plan, problems, file_layer=None):
    slots = layer._weight_slots()
    where = f"{filename}, layer '{layer.name}'" + (f" (file layer '{file_layer}')"
                                                   if file_layer and file_layer != layer.name else "")
    if len(arrays) != len(slots):
        problems.append(f"{where}: expected {len(slots)} weight(s) "
                        f"{[f'{o.name}/{n}' for o, n in slots]}, found {len(arrays)} {wnames}.")
        return
    layer_plan = []
    for (owner, n), arr, wname in zip(slots, arrays, wnames):
        want = tuple(owner._keras_value(n).shape)
        if tuple(arr.shape) != want:
            problems.append(f"{where}: weight '{n}' expected shape {want}, found {tuple(arr.shape)} "
                            f"('{wname}').")
            return
        layer_plan.append((owner, n, arr))
    plan.extend(layer_plan)


def load_model(filepath, custom_objects=None, compile=True, safe_mode=True):
    """Loads a whole model from a legacy `.h5` file (config, weights, compile settings).

    Args:
        filepath: Path to the `.h5` file.
        custom_objects: Optional dict of name -> class or function.
        compile: Whether to compile from the saved training config. Defaults to `True`.
        safe_mode: Whether to refuse Lambda layers. Defaults to `True`.

    Returns:
        The model.
    """
    from kerastorch.saving import keras_format, serialization

    name = os.fspath(filepath)
    with open_h5(filepath, "a Keras .h5 model file") as h5:
        raw = h5.attrs.get("model_config")
        if raw is None:
            raise ValueError(
                f"{name}: expected a whole-model .h5 file with a 'model_config' attribute, found "
                f"attributes {sorted(h5.attrs.keys())}. It holds weights only: build the model in "
                "code and call model.load_weights(path)."
            )
        config = json.loads(raw.decode("utf8") if isinstance(raw, bytes) else raw)
        training = h5.attrs.get("training_config")
    model = keras_format.model_from_config(config, custom_objects, safe_mode, where=name, compile=False)
    load_weights(model, filepath)
    if compile and training is not None:
        training = json.loads(training.decode("utf8") if isinstance(training, bytes) else training)
        cfg = dict(training)
        cfg["optimizer"] = cfg.pop("optimizer_config", None)
        try:
            serialization.compile_from_config(model, cfg, custom_objects, name)
        except (ValueError, TypeError) as e:
            warnings.warn(f"{name}: the model was loaded uncompiled, as its training config could not "
                          f"be restored ({e}). Call model.compile(...) before fit().", stacklevel=2)
        else:
            _load_optimizer(model, filepath, name)
    return model


def _load_optimizer(model, filepath, name):
    """Restores `optimizer_weights` (ordered by its `weight_names` attr) into the compiled model."""
    with open_h5(filepath) as h5:
        if "optimizer_weights" not in h5:
            return
        group = h5["optimizer_weights"]
        names = _decode(group.attrs.get("weight_names", []))
        values = {str(i): np.asarray(group[n]) for i, n in enumerate(names)}
    apply = weights_h5._plan_optimizer(values, model, name)
    if apply is not None:
        apply()


LEGACY_WARNING = (
    "You are saving your model as an HDF5 file via `model.save()` or "
    "`keras.saving.save_model(model)`. This file format is considered legacy. We recommend using "
    "instead the native Keras format, e.g. `model.save('my_model.keras')` or "
    "`keras.saving.save_model(model, 'my_model.keras')`."
)


def save_model(model, filepath, overwrite=True, include_optimizer=True):
    """Writes a whole model to a legacy `.h5` file, as Keras 3's `save("x.h5")` does, atomically.

    Layout: root attributes `backend`, `keras_version`, `model_config` (JSON) and, when
    compiled, `training_config`; `model_weights/<layer name>/<weight path>` with the ordered
    `weight_names` of each layer and `layer_names` on `model_weights`; the optimizer's
    variables under `optimizer_weights`, in Keras' order. The caller warns that the format is
    legacy (Keras' message, `LEGACY_WARNING`).

    Args:
        model: The kerastorch model (its architecture must be describable, as for `.keras`).
        filepath: Path ending in `.h5` or `.hdf5`.
        overwrite: Whether to replace an existing file. Defaults to `True`.
        include_optimizer: Whether to write the optimizer's state. Defaults to `True`.
    """
    import h5py

    from kerastorch.saving import keras_format, serialization
    from kerastorch.saving.atomic import atomic_write

    keras_format._check_describable(model)
    config = serialization.serialize_layer(model)
    model_config = {"class_name": config["class_name"], "config": config["config"]}
    training = serialization.serialize_compile_config(model)
    if training is not None:
        training = dict(training)
        optimizer = training.pop("optimizer", None)
        if isinstance(optimizer, dict):
            training["optimizer_config"] = {"class_name": optimizer["class_name"],
                                            "config": optimizer["config"]}
    version = keras_format._KERAS_VERSION
    with atomic_write(filepath, overwrite=overwrite) as tmp:
        with h5py.File(tmp, "w") as h5:
            h5.attrs["backend"] = "torch"
            h5.attrs["keras_version"] = version
            h5.attrs["model_config"] = json.dumps(model_config)
            if training is not None:
                h5.attrs["training_config"] = json.dumps(training)
            root = h5.create_group("model_weights")
            root.attrs["backend"] = "torch"
            root.attrs["keras_version"] = version
            layers = _model_layers(model)
            root.attrs["layer_names"] = [layer.name.encode("utf8") for layer in layers]
            for layer in layers:
                group = root.create_group(layer.name)
                paths = [w.path for w in layer.weights]
                group.attrs["weight_names"] = [p.encode("utf8") for p in paths]
                for path, value in zip(paths, layer.get_weights()):
                    group.create_dataset(path, data=np.asarray(value))
            root.create_group("top_level_model_weights").attrs["weight_names"] = np.zeros((0,))
            values = weights_h5.optimizer_variables(model) if include_optimizer else None
            if values:
                group = h5.create_group("optimizer_weights")
                names = _optimizer_weight_names(model.optimizer, len(values))
                group.attrs["weight_names"] = [n.encode("utf8") for n in names]
                for n, value in zip(names, values):
                    group.create_dataset(n, data=value)


def _optimizer_weight_names(optimizer, count):
    # Keras names them `<optimizer>/iteration`, `<optimizer>/learning_rate`, then one per slot;
    # readers (Keras' included) go by the order of `weight_names`, not by these names.
    names = [f"{optimizer.name}/iteration"]
    if count > 1 and isinstance(getattr(optimizer, "_learning_rate", None), __import__("torch").Tensor):
        names.append(f"{optimizer.name}/learning_rate")
    names += [f"{optimizer.name}/variable_{i}" for i in range(count - len(names))]
    return names
