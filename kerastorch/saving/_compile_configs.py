"""A model's `compile_config`: written in Keras' form when saving, and compiled from when loading.
Importable from `kerastorch.saving.serialization` as before."""

import json
import warnings

from kerastorch.saving._layer_configs import _jsonable
from kerastorch.saving._registry import _all_custom_objects


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
