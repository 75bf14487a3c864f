"""The custom-object registry as `keras.utils` names it (the objects live in `kerastorch.saving`)."""

from kerastorch.saving import serialization as _serialization
from kerastorch.saving.serialization import (CustomObjectScope, custom_object_scope, deserialize_keras_object,
                                             get_registered_name, get_registered_object,
                                             register_keras_serializable, serialize_keras_object)


def get_custom_objects():
    """Returns the global registry of custom objects: a live dict of name -> class or function.

    `register_keras_serializable` adds entries under `"package>name"`; adding an entry
    here directly makes it found by name when loading, as in Keras.

    Returns:
        The registry dict itself (changes to it take effect).

    Example:
    >>> def my_relu(x):
    ...     return x
    >>> get_custom_objects()["my_relu"] = my_relu
    >>> get_registered_object("my_relu") is my_relu
    True
    >>> del get_custom_objects()["my_relu"]
    """
    return _serialization._GLOBAL_CUSTOM_OBJECTS


__all__ = ["CustomObjectScope", "custom_object_scope", "deserialize_keras_object", "get_custom_objects",
           "get_registered_name", "get_registered_object", "register_keras_serializable",
           "serialize_keras_object"]
