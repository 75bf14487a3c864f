"""Layer configs <-> layers: finding a layer class by its Keras name, normalising a Keras config
into the arguments a kerastorch layer takes, deserializing layers and Sequential models (and building
them from their `build_config`), and writing a layer in Keras' form. Importable from
`kerastorch.saving.serialization` as before."""

import difflib
import inspect

from kerastorch import _config_flags as _config
from kerastorch.saving._registry import (_GLOBAL_CUSTOM_NAMES, CustomObjectScope, _all_custom_objects, _refuse_unsafe,
                                         get_registered_object)

# Keys Keras writes that carry no meaning for kerastorch when they hold their default.
_KERAS_ONLY_DEFAULTS = {
    "lora_rank": None, "lora_alpha": None, "quantization_config": None, "autocast": True,
    "synchronized": False, "renorm": False, "renorm_clipping": None, "renorm_momentum": 0.99,
    "ragged": False, "sparse": False, "optional": False, "input_tensor": None,
    "gradient_checkpointing": False, "remat": False,
}


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
