"""Name lookup and Keras' config-dict form, shared by initializers, regularizers and constraints."""

import difflib


def lookup(kind, by_name, name, example, cutoff=0.6):
    """The class registered under `name`, or a ValueError listing the close and the known names.

    Args:
        kind: What is looked up, for the message (`"initializer"`).
        by_name: Dict of names (snake-case aliases and class names) to classes.
        name: The name asked for.
        example: A class name to show in the message (`"GlorotUniform"`).
        cutoff: `difflib` similarity cutoff for the suggestions.
    """
    cls = by_name.get(name)
    if cls is None:
        known = sorted(k for k in by_name if k.islower())
        close = difflib.get_close_matches(name, list(by_name), n=3, cutoff=cutoff)
        hint = f" Did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
        raise ValueError(
            f"Unknown {kind} {name!r}.{hint} Known: {', '.join(known)} "
            f"(or their class names, e.g. {example!r})."
        )
    return cls


def serialize(obj, kind, base_cls, by_name, module):
    """Keras' config dict for `obj`: `{"module", "class_name", "config", "registered_name"}`.

    A plain callable is written in Keras' custom-function form; loading it back needs
    `custom_objects={name: fn}`.
    """
    if obj is None:
        return None
    if not isinstance(obj, base_cls):
        if not callable(obj):
            article = "an" if base_cls.__name__[0] in "AEIOU" else "a"
            raise TypeError(
                f"Cannot serialize {kind} {obj!r}: expected {article} {base_cls.__name__} or a callable."
            )
        return {"module": "builtins", "class_name": "function",
                "config": getattr(obj, "__name__", type(obj).__name__),
                "registered_name": "function"}
    cls = type(obj)
    builtin = by_name.get(cls.__name__) is cls
    return {"module": module if builtin else cls.__module__,
            "class_name": cls.__name__, "config": obj.get_config(),
            "registered_name": None if builtin else cls.__name__}


def deserialize(config, kind, get, find, custom_objects=None):
    """Builds an object from a Keras config dict (or a name), as `serialize` writes it.

    Args:
        config: The dict, or a name (passed to `get`).
        kind: What is built, for the messages.
        get: The module's `get`, for names.
        find: Function from a class name to the class (raising for unknown names).
        custom_objects: Optional dict of names to your own classes or functions.
    """
    if isinstance(config, str):
        return get(config)
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(
            f"Could not deserialize {kind} from {config!r}: expected a dict with "
            "'class_name' and 'config', or a name."
        )
    name = config["class_name"]
    if name == "function":
        fn = (custom_objects or {}).get(config.get("config"))
        if fn is None:
            raise ValueError(
                f"Cannot deserialize the custom {kind} function {config.get('config')!r}: "
                "pass it in custom_objects={name: fn}."
            )
        return fn
    cls = (custom_objects or {}).get(name) or find(name)
    return cls.from_config(dict(config.get("config") or {}))


def get(identifier, kind, base_cls, find, deserialize, accepted, convert=None):
    """Resolves an identifier the way Keras' `get` functions do.

    Args:
        identifier: `None`, a name, a config dict, a class, an instance or a callable.
        kind: What is resolved, for the message (`"constraint"`).
        base_cls: The base class; a subclass given as `identifier` is instantiated.
        find: Function from a name to the class (raising for unknown names).
        deserialize: The module's `deserialize`, for config dicts.
        accepted: Words for the message, listing what is accepted.
        convert: Optional function trying one more kind of identifier (e.g. a tensor);
            it returns `None` for identifiers it does not handle.
    """
    if identifier is None:
        return None
    if isinstance(identifier, str):
        return find(identifier)()
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, type) and issubclass(identifier, base_cls):
        return identifier()
    if convert is not None:
        converted = convert(identifier)
        if converted is not None:
            return converted
    if callable(identifier):
        return identifier
    raise TypeError(
        f"Could not interpret {kind} identifier: expected {accepted}, got "
        f"{identifier!r} of type {type(identifier).__name__}."
    )
