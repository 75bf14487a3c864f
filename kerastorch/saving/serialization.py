"""Configs <-> objects: Keras 3's serialized form, the custom-object registry, safe mode.

A Keras config names each object by `class_name` (plus `module` and `registered_name`),
e.g. `{"module": "keras.layers", "class_name": "Dense", "config": {...}}`. Layers are
looked up by name in `kerastorch.layers` at load time, so layers added later need no change
here. Configs written by real Keras carry keys kerastorch layers do not take (`dtype` as a
`DTypePolicy` dict, `build_config`, `lora_rank`, `quantization_config`, ...); they are
normalised here, before `from_config`.

Its parts live in private sibling modules, all importable from here as before: the registry,
`CustomObjectScope` and safe mode (`_registry.py`), layer configs (`_layer_configs.py`) and
compile configs (`_compile_configs.py`); `serialize_keras_object`/`deserialize_keras_object` are here.
"""

import inspect

# The parts split out of this module, importable from here as before.
from kerastorch.saving._compile_configs import (  # noqa: F401
    _serialize_entry, compile_from_config, serialize_compile_config)
from kerastorch.saving._layer_configs import (  # noqa: F401
    _KERAS_ONLY_DEFAULTS, _dtype_name, _dtype_policy, _init_parameters, _jsonable, _known_layer_classes,
    _model_classes, _with_input, _written_module, _written_registered_name, build_from_config, deserialize_layer,
    layer_class, normalize_layer_config, sequential_from_config, serialize_layer)
from kerastorch.saving._registry import (  # noqa: F401
    _GLOBAL_CUSTOM_NAMES, _GLOBAL_CUSTOM_OBJECTS, _SCOPE, CustomObjectScope, _all_custom_objects, _refuse_unsafe,
    _UnsafeContentError, custom_object_scope, get_registered_name, get_registered_object,
    register_keras_serializable)


# --------------------------------------------------------------------------- generic objects
def serialize_keras_object(obj):
    """Serializes a kerastorch object to Keras' dict form (strings and numbers pass through).

    Handles layers and models, optimizers, losses, metrics, initializers, regularizers,
    constraints, activations and registered functions.

    Args:
        obj: The object.

    Returns:
        A JSON-able value.

    Example:
    >>> from kerastorch import optimizers, saving
    >>> saving.serialize_keras_object(optimizers.SGD())["class_name"]
    'SGD'
    """
    from kerastorch import activations, constraints, initializers, losses, metrics, optimizers, regularizers
    from kerastorch.layers.base import Layer

    if obj is None or isinstance(obj, (str, int, float, bool)):
        return obj
    if isinstance(obj, (list, tuple)):
        return [serialize_keras_object(o) for o in obj]
    if isinstance(obj, dict):
        return {k: serialize_keras_object(v) for k, v in obj.items()}
    if isinstance(obj, Layer):
        return serialize_layer(obj)
    if isinstance(obj, optimizers.Optimizer):
        return optimizers.serialize(obj)
    if isinstance(obj, losses.Loss):
        return losses.serialize(obj)
    if isinstance(obj, metrics.Metric):
        return metrics.serialize(obj)
    if obj in _GLOBAL_CUSTOM_NAMES and not inspect.isclass(obj):
        return _GLOBAL_CUSTOM_NAMES[obj]
    for module in (initializers, regularizers, constraints, activations):
        try:
            return module.serialize(obj)
        except Exception:  # noqa: BLE001 - try the next family
            continue
    if hasattr(obj, "get_config"):
        cls = type(obj)
        return {"module": cls.__module__, "class_name": cls.__name__, "config": obj.get_config(),
                "registered_name": _GLOBAL_CUSTOM_NAMES.get(cls, cls.__name__)}
    raise TypeError(f"serialize_keras_object: cannot serialize {obj!r} ({type(obj).__name__}); "
                    "give it a get_config() method or register it with register_keras_serializable().")


_MODULE_FAMILIES = {
    "keras.layers": "layers", "keras.models": "layers", "keras": "layers",
    "keras.optimizers": "optimizers", "keras.losses": "losses", "keras.metrics": "metrics",
    "keras.initializers": "initializers", "keras.regularizers": "regularizers",
    "keras.constraints": "constraints", "keras.activations": "activations",
}


def deserialize_keras_object(config, custom_objects=None, safe_mode=True, **kwargs):
    """Creates an object from Keras' serialized form (the inverse of `serialize_keras_object`).

    Args:
        config: A dict with `class_name` and `config` (and `module`), or a plain value.
        custom_objects: Optional dict of name -> class or function.
        safe_mode: Whether to refuse Lambda layers and serialized code. Defaults to `True`.

    Returns:
        The object.

    Raises:
        ValueError: for an unknown class, or unsafe content in safe mode.

    Example:
    >>> from kerastorch import saving
    >>> saving.deserialize_keras_object({"module": "keras.layers", "class_name": "Dense",
    ...                                  "config": {"units": 3}}).units
    3
    """
    import importlib

    if config is None or isinstance(config, (int, float, bool)):
        return config
    custom = _all_custom_objects(custom_objects)
    if isinstance(config, str):
        obj = get_registered_object(config, custom)
        return obj if obj is not None else config
    if isinstance(config, list):
        return [deserialize_keras_object(c, custom, safe_mode) for c in config]
    if not isinstance(config, dict) or "class_name" not in config:
        raise TypeError(f"deserialize_keras_object expects a dict with 'class_name', got {config!r}.")
    _refuse_unsafe(config, "deserialize_keras_object", safe_mode)
    module = config.get("module") or "keras"
    family = None
    for prefix, fam in _MODULE_FAMILIES.items():
        if module == prefix or module.startswith(prefix + "."):
            family = fam
    if "optimizers" in module:
        family = "optimizers"
    obj = get_registered_object(config.get("registered_name") or "", custom) or \
        get_registered_object(config["class_name"], custom)
    if family in (None, "layers") or (obj is not None and hasattr(obj, "build")):
        if family is None and obj is None:
            raise ValueError(f"deserialize_keras_object: unknown object {config['class_name']!r} "
                             f"(module {module!r}); pass it in custom_objects.")
        if obj is None or inspect.isclass(obj) and hasattr(obj, "call"):
            return deserialize_layer(config, custom, safe_mode)
    if obj is not None:
        if inspect.isclass(obj):
            inner = config.get("config") or {}
            return obj.from_config(inner) if hasattr(obj, "from_config") else obj(**inner)
        return obj
    mod = importlib.import_module(f"kerastorch.{family}")
    return mod.deserialize(config, custom_objects=custom)
