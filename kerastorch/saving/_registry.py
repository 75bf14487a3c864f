"""The custom-object registry (`register_keras_serializable`, `get_registered_name`,
`get_registered_object`), `CustomObjectScope`, the lookup of the custom objects visible when loading,
and safe mode's refusal of code in a config. Importable from `kerastorch.saving.serialization` as before."""

import inspect
import threading

_GLOBAL_CUSTOM_OBJECTS = {}   # "package>name" -> object
_GLOBAL_CUSTOM_NAMES = {}     # object -> "package>name"
_SCOPE = threading.local()


# --------------------------------------------------------------------------- registry
def register_keras_serializable(package="Custom", name=None):
    """Registers a class or function so that saved models find it by name when loaded.

    The object is stored under `"package>name"`, which is written as the
    `registered_name` of its config; loading looks it up without `custom_objects`.

    Args:
        package: String, the package the object belongs to. Defaults to `"Custom"`.
        name: String, the name to register under. Defaults to the object's `__name__`.

    Returns:
        A decorator that registers its argument and returns it unchanged.

    Raises:
        ValueError: if `package` contains `">"` or the object has no `get_config` (classes).

    Example:
    >>> from kerastorch import layers, saving
    >>> @saving.register_keras_serializable(package="Demo")
    ... class Double(layers.Layer):
    ...     def call(self, inputs):
    ...         return 2 * inputs
    >>> saving.get_registered_name(Double)
    'Demo>Double'
    >>> saving.get_registered_object("Demo>Double") is Double
    True
    """
    if not isinstance(package, str) or ">" in package:
        raise ValueError(f"register_keras_serializable: `package` must be a string without '>', got {package!r}.")

    def decorator(obj):
        key = f"{package}>{name or obj.__name__}"
        if inspect.isclass(obj) and not hasattr(obj, "get_config"):
            raise ValueError(
                f"Cannot register {obj.__name__!r}: a serializable class must define get_config()."
            )
        _GLOBAL_CUSTOM_OBJECTS[key] = obj
        _GLOBAL_CUSTOM_NAMES[obj] = key
        return obj

    return decorator


def get_registered_name(obj):
    """Returns the name `obj` is registered under (`"package>name"`), or its `__name__`.

    Args:
        obj: A class or function.

    Returns:
        A string.

    Example:
    >>> from kerastorch import layers, saving
    >>> saving.get_registered_name(layers.Dense)
    'Dense'
    """
    return _GLOBAL_CUSTOM_NAMES.get(obj, getattr(obj, "__name__", type(obj).__name__))


def get_registered_object(name, custom_objects=None, module_objects=None):
    """Looks `name` up in the active custom-object scopes, `custom_objects` and the registry.

    Args:
        name: A registered name (`"package>name"`) or a plain class/function name.
        custom_objects: Optional dict of name -> object, searched first after the scopes.
        module_objects: Optional dict searched last.

    Returns:
        The object, or `None` if not found.

    Example:
    >>> from kerastorch import saving
    >>> saving.get_registered_object("NoSuchThing") is None
    True
    """
    for scope in reversed(getattr(_SCOPE, "stack", [])):
        if name in scope:
            return scope[name]
    if custom_objects and name in custom_objects:
        return custom_objects[name]
    if name in _GLOBAL_CUSTOM_OBJECTS:
        return _GLOBAL_CUSTOM_OBJECTS[name]
    if module_objects and name in module_objects:
        return module_objects[name]
    return None


class CustomObjectScope:
    """Context manager within which `custom_objects` are found by name when loading.

    Args:
        custom_objects: Dict of name -> class or function (several dicts may be given).

    Example:
    >>> from kerastorch import saving
    >>> def twice(x):
    ...     return 2 * x
    >>> with saving.CustomObjectScope({"twice": twice}):
    ...     saving.get_registered_object("twice") is twice
    True
    """

    def __init__(self, *custom_objects):
        self.custom_objects = {}
        for objects in custom_objects:
            self.custom_objects.update(objects or {})

    def __enter__(self):
        if not hasattr(_SCOPE, "stack"):
            _SCOPE.stack = []
        _SCOPE.stack.append(self.custom_objects)
        return self

    def __exit__(self, *exc):
        _SCOPE.stack.pop()


custom_object_scope = CustomObjectScope


def _all_custom_objects(custom_objects=None):
    """Every custom object visible now, keyed both by registered and by plain name."""
    out = {}
    for key, obj in _GLOBAL_CUSTOM_OBJECTS.items():
        out[key] = obj
        out.setdefault(key.split(">", 1)[-1], obj)     # a plain key (get_custom_objects()["x"] = ...) too
    for scope in getattr(_SCOPE, "stack", []):
        out.update(scope)
    out.update(custom_objects or {})
    return out


# --------------------------------------------------------------------------- safe mode
class _UnsafeContentError(ValueError):
    pass


def _refuse_unsafe(config, where, safe_mode):
    """Raises if `config` holds a Lambda layer or serialized Python bytecode and safe mode is on."""
    if not safe_mode:
        return
    stack = [config]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            cls = item.get("class_name")
            if cls in ("Lambda", "__lambda__"):
                what = "a Lambda layer" if cls == "Lambda" else "a serialized Python function (lambda)"
                layer = (item.get("config") or {}).get("name") if cls == "Lambda" else None
                raise _UnsafeContentError(
                    f"{where} holds {what}{f' ({layer!r})' if layer else ''}, whose Python code would "
                    "run when loaded, and safe_mode=True refuses it. Only if you trust the source of "
                    "this file, load it with safe_mode=False (or call "
                    "kerastorch.config.enable_unsafe_deserialization() first)."
                )
            stack.extend(item.values())
        elif isinstance(item, (list, tuple)):
            stack.extend(item)

