"""Configs <-> objects: Keras 3's serialized form, the custom-object registry, safe mode.

A Keras config names each object by `class_name` (plus `module` and `registered_name`),
e.g. `{"module": "keras.layers", "class_name": "Dense", "config": {...}}`. Layers are
looked up by name in `kerastorch.layers` at load time, so layers added later need no change
here. Configs written by real Keras carry keys kerastorch layers do not take (`dtype` as a
`DTypePolicy` dict, `build_config`, `lora_rank`, `quantization_config`, ...); they are
normalised here, before `from_config`.
"""

import contextlib
import difflib
import inspect
import json
import threading
import warnings

from kerastorch import _config_flags as _config

_GLOBAL_CUSTOM_OBJECTS = {}   # "package>name" -> object
_GLOBAL_CUSTOM_NAMES = {}     # object -> "package>name"
_SCOPE = threading.local()

# Keys Keras writes that carry no meaning for kerastorch when they hold their default.
_KERAS_ONLY_DEFAULTS = {
    "lora_rank": None, "lora_alpha": None, "quantization_config": None, "autocast": True,
    "synchronized": False, "renorm": False, "renorm_clipping": None, "renorm_momentum": 0.99,
    "ragged": False, "sparse": False, "optional": False, "input_tensor": None,
    "gradient_checkpointing": False, "remat": False,
}


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


# --------------------------------------------------------------------------- layers
def _known_layer_classes():
    from kerastorch import layers
    from kerastorch.layers.base import Layer

    return {name: obj for name, obj in vars(layers).items()
            if inspect.isclass(obj) and issubclass(obj, Layer) and not name.startswith("_")}


def _model_classes():
    from kerastorch import models

    return {"Sequential": models.Sequential, "Model": models.Model}


def layer_class(class_name, registered_name=None, custom_objects=None, where="config"):
    """Finds the class of a serialized layer by its Keras name.

    Looks in custom objects (and the registry) under `registered_name` and `class_name`,
    then in `kerastorch.layers` (read at call time, so new layers are found), then models.

    Args:
        class_name: The Keras class name, e.g. `"Dense"`.
        registered_name: Optional `"package>name"` of a registered custom class.
        custom_objects: Optional dict of name -> class.
        where: Where the name came from, for the error message.

    Returns:
        The class.

    Raises:
        ValueError: for an unknown name, listing the closest known layer classes.

    Example:
    >>> from kerastorch.saving.serialization import layer_class
    >>> layer_class("Dense").__name__
    'Dense'
    """
    for key in (registered_name, class_name):
        if key:
            obj = get_registered_object(key, custom_objects)
            if obj is not None:
                return obj
    known = _known_layer_classes()
    if class_name in known:
        return known[class_name]
    models = _model_classes()
    if class_name in models:
        return models[class_name]
    if class_name == "Functional":
        from kerastorch.models.functional import Functional

        return Functional
    names = sorted(known)
    close = difflib.get_close_matches(class_name, names, n=3, cutoff=0.5)
    hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
    raise ValueError(
        f"{where}: unknown layer class {class_name!r}"
        + (f" (registered name {registered_name!r})" if registered_name else "")
        + f".{hint} Known layers: {', '.join(names)}. For a custom layer, pass "
        f"custom_objects={{{class_name!r}: YourLayer}} or decorate it with "
        "@kerastorch.saving.register_keras_serializable()."
    )


def _init_parameters(cls):
    """The keyword arguments `cls(**config)` accepts: its own and, through `**kwargs`, its bases' up to `Layer`.

    Returns `None` when the class takes arbitrary keywords (then the config is passed as is).
    """
    from kerastorch.layers.base import Layer

    def params_of(klass):
        try:
            return inspect.signature(klass.__dict__["__init__"]).parameters
        except (TypeError, ValueError):
            return None

    leaf = next((k for k in cls.__mro__ if "__init__" in k.__dict__), None)
    if leaf is None or params_of(leaf) is None:
        return None
    leaf_params = params_of(leaf)
    accepted = {n for n, p in leaf_params.items() if p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)}
    if not any(p.kind is p.VAR_KEYWORD for p in leaf_params.values()):
        return accepted - {"self"}
    if not issubclass(cls, Layer):
        return None
    # Keywords travel up the bases (possibly as a plain `kwargs` dict): take every base's
    # arguments, down to Layer, whose **kwargs only exist to reject unknown ones.
    for klass in cls.__mro__:
        if "__init__" in klass.__dict__ and (params := params_of(klass)) is not None:
            accepted |= {n for n, p in params.items() if p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)}
        if klass is Layer:
            break
    # Keys a layer takes through **kwargs, as Keras' lookup layers take `vocabulary_size`.
    accepted |= set(getattr(cls, "_config_keywords", ()))
    return accepted - {"self", "kwargs"}


def _dtype_name(dtype):
    if isinstance(dtype, dict):
        cfg = dtype.get("config") or {}
        name = cfg.get("name", "float32")
        return name if isinstance(name, str) else "float32"
    return dtype


def normalize_layer_config(cls, config, where="config"):
    """Turns a Keras layer config into keyword arguments `cls` accepts.

    `dtype` dicts become names, Keras 2 `batch_input_shape` on an `InputLayer` becomes
    `batch_shape`, and keys the class does not take are dropped when they hold Keras'
    default; a non-default value raises a ValueError (the layer could not honour it).

    Args:
        cls: The layer class.
        config: The layer's `config` dict.
        where: Where the config came from, for warnings.

    Returns:
        A new dict.
    """
    config = dict(config)
    config.pop("build_config", None)
    if "dtype" in config:
        config["dtype"] = _dtype_name(config["dtype"])
    if cls.__name__ == "InputLayer" and "batch_input_shape" in config and "batch_shape" not in config:
        config["batch_shape"] = config.pop("batch_input_shape")
    accepted = _init_parameters(cls)
    if accepted is None:
        return config
    for key in list(config):
        if key in accepted:
            continue
        value = config.pop(key)
        if key in _KERAS_ONLY_DEFAULTS and value == _KERAS_ONLY_DEFAULTS[key]:
            continue
        if value in (None, False, {}, []):
            continue
        # Never accepted and ignored: a setting the layer cannot honour would change the model.
        raise ValueError(
            f"{where}: layer {config.get('name', '?')!r} ({cls.__name__}) uses the Keras option "
            f"{key}={value!r}, which kerastorch's {cls.__name__} does not implement, so the model "
            f"cannot be rebuilt as saved. Save it from Keras without that option ({key} at its "
            "default), or rebuild the layer in code and load the weights with load_weights()."
        )
    return config


def deserialize_layer(config, custom_objects=None, safe_mode=True, where="config"):
    """Creates a layer (or a Sequential model) from its Keras serialization.

    Args:
        config: Dict `{"class_name", "config", ("module", "registered_name")}`.
        custom_objects: Optional dict of name -> class or function.
        safe_mode: Whether to refuse Lambda layers and serialized code. Defaults to `True`;
            `kerastorch.config.enable_unsafe_deserialization()` turns it off everywhere, as in Keras.
        where: Where the config came from (a file name), for error messages.

    Returns:
        The layer.

    Raises:
        ValueError: for an unknown class, or unsafe content with `safe_mode=True`.

    Example:
    >>> from kerastorch.saving.serialization import deserialize_layer
    >>> deserialize_layer({"class_name": "Dense", "config": {"units": 2, "lora_rank": None}}).units
    2
    """
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(f"{where}: expected a layer config dict with 'class_name' and 'config', got {config!r}.")
    safe_mode = _config._effective_safe_mode(safe_mode)
    _refuse_unsafe(config, where, safe_mode)
    custom = _all_custom_objects(custom_objects)
    cls = layer_class(config["class_name"], config.get("registered_name"), custom, where)
    inner = config.get("config") or {}
    if "input_layers" in inner and "output_layers" in inner and "layers" in inner:
        from kerastorch.models import functional_config

        return functional_config.from_config(inner, custom_objects=custom, cls=cls, safe_mode=safe_mode,
                                             where=where)
    if cls.__name__ == "Sequential" or "layers" in inner and hasattr(cls, "add"):
        return sequential_from_config(inner, custom_objects=custom, safe_mode=safe_mode, where=where, cls=cls)
    kwargs = normalize_layer_config(cls, inner, where)
    with CustomObjectScope(custom):
        from_config = getattr(cls, "from_config", None)
        try:
            if from_config is not None and "safe_mode" in inspect.signature(from_config).parameters:
                layer = from_config(kwargs, safe_mode=safe_mode)
            elif from_config is not None and "custom_objects" in inspect.signature(from_config).parameters:
                layer = from_config(kwargs, custom_objects=custom)
            elif from_config is not None:
                layer = from_config(kwargs)
            else:
                layer = cls(**kwargs)
        except TypeError as e:
            raise TypeError(f"{where}: cannot create layer {inner.get('name', '?')!r} "
                            f"({config['class_name']}) from its config: {e}") from e
    build_from_config(layer, config.get("build_config"))
    return layer


def build_from_config(layer, build_config):
    """Builds a just-deserialized layer from its `build_config`, as Keras' deserialization does.

    Keras builds each layer whose config carries a `build_config` as soon as it is created,
    outside any parent's scope, so its weights' paths start at the layer itself
    (`blocks/dense/kernel`, not `sequential/blocks/dense/kernel`). A layer's own
    `build_from_config` is used when it has one; otherwise `input_shape` builds it (with its
    sublayers, as a first call would) and `shapes_dict` calls `build(**shapes)`. A layer already
    built, or a config without shapes, is left as it is (the model builds it later).

    Args:
        layer: The layer `from_config` made.
        build_config: The `build_config` dict of its serialization, or `None`.

    Example:
    >>> from kerastorch import layers
    >>> dense = layers.Dense(2)
    >>> build_from_config(dense, {"input_shape": [None, 3]})
    >>> [tuple(w.shape) for w in dense.weights]
    [(3, 2), (2,)]
    """
    if not build_config or getattr(layer, "built", True):
        return
    import torch

    own = getattr(layer, "build_from_config", None)
    with torch.inference_mode(False):
        if own is not None:
            own(build_config)
        elif build_config.get("input_shape") is not None:
            layer._build_wrapper(build_config["input_shape"])
        elif build_config.get("shapes_dict"):
            layer.build(**build_config["shapes_dict"])
            layer.built = True


def sequential_from_config(config, custom_objects=None, safe_mode=True, where="config", cls=None):
    """Builds a `Sequential` from its Keras config (`{"name", "layers", "build_input_shape", ...}`).

    Args:
        config: The Sequential's `config` dict (Keras 3 or Keras 2 form).
        custom_objects: Optional dict of name -> class or function.
        safe_mode: Whether to refuse Lambda layers. Defaults to `True`.
        where: Where the config came from, for error messages.
        cls: The class to create. Defaults to `kerastorch.Sequential`.

    Returns:
        The model, built when the config gives an input shape.
    """
    from kerastorch.models.sequential import Sequential

    cls = cls or Sequential
    layer_configs = config.get("layers")
    if not isinstance(layer_configs, list):
        raise ValueError(f"{where}: a Sequential config needs a 'layers' list, got keys {sorted(config)}.")
    layers = [deserialize_layer(c, custom_objects, safe_mode, where) for c in layer_configs]
    model = cls(name=config.get("name"), trainable=config.get("trainable", True))
    for layer in layers:
        model.add(layer, rebuild=False)
    if model._input_layer is None and config.get("build_input_shape"):
        model.build(tuple(config["build_input_shape"]))
    elif model._input_layer is not None and model.layers:
        model.build()
    return model


# --------------------------------------------------------------------------- to Keras form
def _dtype_policy(name):
    return {"module": "keras", "class_name": "DTypePolicy", "config": {"name": name or "float32"},
            "registered_name": None}


def serialize_layer(layer):
    """Returns a layer's Keras serialization: `{"module", "class_name", "config", "registered_name", "build_config"}`.

    Args:
        layer: A kerastorch layer (a `Sequential` is serialized with its layers).

    Returns:
        A JSON-able dict in the form real Keras 3 writes to `config.json`.

    Example:
    >>> from kerastorch import layers
    >>> from kerastorch.saving.serialization import serialize_layer
    >>> d = serialize_layer(layers.Dense(2, name="d"))
    >>> d["class_name"], d["config"]["dtype"]["class_name"]
    ('Dense', 'DTypePolicy')
    """
    cls = type(layer)
    own_form = getattr(layer, "_keras_serialize", None)     # Functional models write their graph
    if own_form is not None:
        return _jsonable(own_form())
    if hasattr(layer, "_stack"):
        config = layer.get_config()
        config["dtype"] = _dtype_policy(_dtype_name(config.get("dtype")))
        config["layers"] = [
            dict(c, config=c["config"]) if c["class_name"] == "InputLayer" else serialize_layer(sub)
            for c, sub in zip(config["layers"], _with_input(layer))
        ]
        own = cls.__module__.startswith("kerastorch.") and cls not in _GLOBAL_CUSTOM_NAMES
        out = {"module": "keras" if own else _written_module(cls), "class_name": cls.__name__,
               "config": config, "registered_name": _written_registered_name(cls)}
        if layer._input_layer is not None:
            out["build_config"] = {"input_shape": list(layer._input_layer.batch_shape)}
        return _jsonable(out)
    config = layer.get_config()
    if cls.__name__ != "InputLayer" and "dtype" in config:     # Pipeline's config has no dtype, as Keras'
        config["dtype"] = _dtype_policy(_dtype_name(config.get("dtype")))
        if config.get("batch_input_shape") is None:
            config.pop("batch_input_shape", None)
    registered = _GLOBAL_CUSTOM_NAMES.get(cls)
    builtin = cls.__module__.startswith("kerastorch.layers") and registered is None
    # A class Keras exports under another name (GroupedQueryAttention as GroupQueryAttention) says so.
    # A class Keras defines outside keras.layers (an application's own layer) names Keras' module.
    out = {"module": cls.__dict__.get("_keras_module") or ("keras.layers" if builtin else _written_module(cls)),
           "class_name": cls.__dict__.get("_keras_class_name", cls.__name__),
           "config": config, "registered_name": _written_registered_name(cls)}
    shape = getattr(getattr(layer, "_input_tensor", None), "shape", None)
    own_build_config = getattr(layer, "get_build_config", None)     # layers built from several shapes (MHA)
    if layer.built and callable(own_build_config):
        out["build_config"] = own_build_config()
    elif layer.built and shape is not None:
        out["build_config"] = {"input_shape": list(shape)}
    return _jsonable(out)


def _written_registered_name(cls):
    """The `registered_name` Keras writes for a layer or model class.

    A class registered with `register_keras_serializable` is written as `"package>Name"`;
    kerastorch's own classes (Keras' exported ones) as `None`; any other user class as its
    `__name__`, the key `custom_objects` finds it by when loading (in Keras too).
    """
    if cls in _GLOBAL_CUSTOM_NAMES:
        return _GLOBAL_CUSTOM_NAMES[cls]
    if cls.__module__ == "kerastorch" or cls.__module__.startswith("kerastorch.") or cls.__module__ == "builtins":
        return None
    return cls.__name__


def _written_module(cls):
    # Keras writes no module for a class defined in the main script.
    return None if cls.__module__ == "__main__" else cls.__module__


def _with_input(model):
    return ([model._input_layer] if model._input_layer is not None else []) + list(model.layers)


def _jsonable(obj):
    """Tuples become lists and numpy scalars Python numbers, as json.dumps needs."""
    import numpy as np

    if isinstance(obj, dict):
        return {k: _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, np.generic):
        return obj.item()
    return obj


# --------------------------------------------------------------------------- compile config
def serialize_compile_config(model):
    """The Keras `compile_config` of a compiled model, or `None`.

    Strings are kept; optimizer, loss and metric objects are written in Keras' dict form.
    A `torch.optim` optimizer or a plain Python loss function cannot be written: a warning
    says so and the entry is `None` (the model then needs `compile()` after loading).
    """
    cfg = getattr(model, "_compile_config", None)
    if not getattr(model, "compiled", False) or cfg is None:
        return None
    from kerastorch import losses, metrics, optimizers

    out = dict(cfg)
    opt = model.optimizer
    if isinstance(opt, optimizers.Optimizer):
        out["optimizer"] = optimizers.serialize(opt)
    else:
        warnings.warn(f"Model '{model.name}': the optimizer {type(opt).__name__} is not a Keras optimizer "
                      "and cannot be saved in the config; call compile() again after loading.", stacklevel=3)
        out["optimizer"] = None
    out["loss"] = _serialize_entry(cfg.get("loss"), losses.serialize, "loss", model)
    for key in ("metrics", "weighted_metrics"):
        value = cfg.get(key)
        if value is not None:
            value = value if isinstance(value, (list, tuple, dict)) else [value]   # a dict by output stays one
            out[key] = _serialize_entry(value, metrics.serialize, key, model)
    if out.get("jit_compile") == "auto":
        out["jit_compile"] = False
    return _jsonable(out)


def _serialize_entry(value, serializer, what, model):
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, dict):
        return {k: _serialize_entry(v, serializer, what, model) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_serialize_entry(v, serializer, what, model) for v in value]
    try:
        out = serializer(value)
        json.dumps(out)
        return out
    except Exception:  # noqa: BLE001 - any failure means: cannot be written
        warnings.warn(f"Model '{model.name}': the {what} {value!r} cannot be saved in the config; "
                      "call compile() again after loading.", stacklevel=4)
        return None


def compile_from_config(model, compile_config, custom_objects=None, where="config"):
    """Compiles `model` from a Keras `compile_config` dict (as found in a `.keras` file).

    Returns:
        `True` if the model was compiled, `False` if the config had no usable optimizer.
    """
    from kerastorch import losses, metrics, optimizers

    cfg = dict(compile_config)
    custom = _all_custom_objects(custom_objects)
    # Keras' compile(**config): a config without an optimizer compiles with the default, rmsprop.
    opt = cfg.get("optimizer", "rmsprop")
    if opt is None:
        return False
    if isinstance(opt, dict):
        opt = optimizers.deserialize(opt, custom_objects=custom)

    def entry(value, deserializer):
        if isinstance(value, dict) and "class_name" in value:
            return deserializer(value, custom_objects=custom)
        if isinstance(value, str) and value in custom:
            return custom[value]
        if isinstance(value, list):
            return [entry(v, deserializer) for v in value]
        if isinstance(value, dict):         # by output name
            return {k: entry(v, deserializer) for k, v in value.items()}
        return value

    loss = entry(cfg.get("loss"), losses.deserialize)
    kwargs = {"loss_weights": cfg.get("loss_weights")}
    for key in ("metrics", "weighted_metrics"):
        if cfg.get(key) is not None:
            kwargs[key] = entry(cfg[key], metrics.deserialize)
    model.compile(optimizer=opt, loss=loss, **kwargs)
    return True


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
