"""`keras.utils.legacy`: Keras 2's serialized form, `{"class_name": ..., "config": ...}`.

Keras 3 writes `module` and `registered_name` beside `class_name`; Keras 2 configs (old `.h5`
and JSON files) have only `class_name` and `config`. These two functions read and write that
older form.
"""

import inspect

from kerastorch.saving.serialization import (CustomObjectScope, get_registered_name, get_registered_object,
                                             normalize_layer_config, serialize_keras_object as _serialize)


def serialize_keras_object(instance):
    """Serializes an object to Keras 2's `{"class_name": ..., "config": ...}` form.

    Args:
        instance: An object with `get_config()` (layer, optimizer, loss, ...), or a named
            function (serialized to its registered name), or `None`.

    Returns:
        A dict, a string, or `None`.

    Raises:
        ValueError: the object has neither `get_config()` nor a name.

    Example:
    >>> from kerastorch import layers
    >>> config = serialize_keras_object(layers.Dense(3))
    >>> config["class_name"], config["config"]["units"], "module" in config
    ('Dense', 3, False)
    """
    if instance is None:
        return None
    if hasattr(instance, "get_config"):
        full = _serialize(instance)
        config = full.get("config", full) if isinstance(full, dict) else instance.get_config()
        return {"class_name": get_registered_name(type(instance)), "config": config}
    if hasattr(instance, "__name__"):
        return get_registered_name(instance)
    raise ValueError(f"legacy.serialize_keras_object: cannot serialize {instance!r} because it doesn't implement "
                     f"`get_config()`.")


def _lookup(name, module_objects, custom_objects, printable_module_name):
    obj = get_registered_object(name, custom_objects, module_objects)
    if obj is None:
        known = sorted((module_objects or {}).keys()) + sorted((custom_objects or {}).keys())
        raise ValueError(f"Unknown {printable_module_name}: '{name}'. Pass it in custom_objects= or register it "
                         f"with register_keras_serializable()" + (f"; known here: {', '.join(known[:20])}." if known
                                                                 else "."))
    return obj


def deserialize_keras_object(identifier, module_objects=None, custom_objects=None, printable_module_name="object"):
    """Builds an object from Keras 2's serialized form (the inverse of `serialize_keras_object`).

    Names are looked up in the active `custom_object_scope`s, `custom_objects`, the registry
    and then `module_objects` (which this function does not fill in: pass e.g. a dict of the
    classes you expect).

    Args:
        identifier: A `{"class_name": ..., "config": ...}` dict, a name, a function, or `None`.
        module_objects: Optional dict of name -> built-in object.
        custom_objects: Optional dict of name -> custom object.
        printable_module_name: What the object is, for error messages. Defaults to `"object"`.

    Returns:
        The object: `cls.from_config(config)` for a dict, the function for a function's name,
        and `cls()` for a class's name.

    Raises:
        ValueError: an unknown name, or a dict without `class_name` and `config`.

    Example:
    >>> from kerastorch import layers
    >>> deserialize_keras_object({"class_name": "Dense", "config": {"units": 3}},
    ...                          module_objects={"Dense": layers.Dense}).units
    3
    """
    if identifier is None:
        return None
    if isinstance(identifier, dict):
        if "class_name" not in identifier or "config" not in identifier:
            raise ValueError(f"legacy.deserialize_keras_object: expected a dict with 'class_name' and 'config', "
                             f"got {identifier!r}.")
        cls = _lookup(identifier["class_name"], module_objects, custom_objects, printable_module_name)
        config = identifier["config"]
        if isinstance(config, dict):
            config = dict(config)
            for key, item in config.items():
                if key != "name" and isinstance(item, str):
                    found = get_registered_object(item, custom_objects, module_objects)
                    if inspect.isfunction(found):   # a custom function saved by its name
                        config[key] = found
        from kerastorch.layers.base import Layer

        if inspect.isclass(cls) and issubclass(cls, Layer) and isinstance(config, dict):
            # Keras writes keys kerastorch layers do not take (dtype policies, quantization_config, ...)
            config = normalize_layer_config(cls, config, where="legacy.deserialize_keras_object")
        with CustomObjectScope(custom_objects or {}):
            if hasattr(cls, "from_config"):
                return cls.from_config(config)
            return cls(**config)
    if isinstance(identifier, str):
        obj = _lookup(identifier, module_objects, custom_objects, printable_module_name)
        return obj() if inspect.isclass(obj) else obj
    if inspect.isfunction(identifier):
        return identifier
    raise ValueError(f"Could not interpret serialized {printable_module_name}: {identifier!r}.")


__all__ = ["deserialize_keras_object", "serialize_keras_object"]
