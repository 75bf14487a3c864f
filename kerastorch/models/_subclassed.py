"""What a subclassed `Model` needs beyond a layer: tracked containers, building, configs, weight files.

A subclass creates its layers in `__init__` (directly, or in lists and dicts, which the Layer
base tracks as Keras does) and computes in `call`. It is built by its first call, by `build(input_shape)`, or by
`fit`/`evaluate`/`predict` from the first batch's shape, before any optimizer is made.
"""

import contextlib
import copy
import inspect

import torch

from kerastorch import variables as _variables
from kerastorch.layers.base import (Layer, _call_arguments, _snake_case, no_loss_collection, resolve_training,
                                   training_context)

_PLAIN_TYPES = (str, int, float, bool, type(None))
_VARIADIC = "variadic"     # marker: created with positional-only or *args values


# --------------------------------------------------------------------------- automatic config
def auto_config(cls, args, kwargs):
    """Keras' automatic config of `cls(*args, **kwargs)`: the arguments, when all are plain values.

    Returns the dict of arguments (defaults included, `name` left out), `None` when an
    argument is not a plain value (or the arguments do not fit the signature), or the
    `_VARIADIC` marker for positional-only or `*args` arguments, as Keras tells them apart.
    """
    try:
        signature = inspect.signature(cls.__init__)
        bound = signature.bind(None, *args, **kwargs)
    except (TypeError, ValueError):
        return None
    params = list(signature.parameters.values())
    if any(p.kind is inspect.Parameter.POSITIONAL_ONLY for p in params[1:]):
        return _VARIADIC
    bound.apply_defaults()
    arguments = dict(bound.arguments)
    arguments.pop(params[0].name, None)
    for p in params[1:]:
        if p.kind is inspect.Parameter.VAR_KEYWORD:
            arguments.update(arguments.pop(p.name, {}))
        elif p.kind is inspect.Parameter.VAR_POSITIONAL:
            if arguments.pop(p.name, ()):
                return _VARIADIC
    arguments.pop("name", None)
    if not all(isinstance(v, _PLAIN_TYPES) for v in _leaves(arguments)):
        return None
    return copy.deepcopy(arguments)


def _leaves(value):
    if isinstance(value, dict):
        for v in value.values():
            yield from _leaves(v)
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from _leaves(v)
    else:
        yield value


_EXAMPLE = """
class CustomLayer(keras.layers.Layer):
    def __init__(self, arg1, arg2, **kwargs):
        super().__init__(**kwargs)
        self.arg1 = arg1
        self.arg2 = arg2

    def get_config(self):
        config = super().get_config()
        config.update({
            "arg1": self.arg1,
            "arg2": self.arg2,
        })
        return config
"""


def automatic_config(model, base_config):
    """`get_config()` of a subclass that does not override it: Keras' automatic config or its error."""
    auto = model.__dict__.get("_kt_auto_config")
    name = type(model).__name__
    if auto == _VARIADIC:
        raise NotImplementedError(
            f"\nObject {name} was created by passing\npositional only or variadic positional arguments "
            "(e.g.,\n`*args`) to `__init__()`, which is not supported by the\nautomatic config generation. "
            "Please remove all positional\nonly and variadic arguments from `__init__()`\nor override "
            "`get_config()` and `from_config()` to make\nthe object serializatble.\n\nExample:\n\n" + _EXAMPLE)
    if auto is None:
        raise NotImplementedError(
            f"\nObject {name} was created by passing\nnon-serializable argument values in `__init__()`,\n"
            "and therefore the object must override `get_config()` in\norder to be serializable. Please "
            "implement `get_config()`.\n\nExample:\n\n" + _EXAMPLE)
    config = {"name": base_config["name"], **copy.deepcopy(auto)}
    params = inspect.signature(type(model).__init__).parameters
    has_kwargs = "kwargs" in params and params["kwargs"].kind is inspect.Parameter.VAR_KEYWORD
    if "name" not in params and not has_kwargs:
        config.pop("name")      # it could not be passed back to __init__ (Keras' rule)
    base = {k: v for k, v in base_config.items() if k != "name"}
    return {**config, **base}


# --------------------------------------------------------------------------- calling and building
def run_call(model, inputs, args, kwargs, training, mask):
    """`model.call(...)` for a subclass: `training`/`mask` passed as its signature takes them."""
    accepted = _call_arguments(type(model))
    explicit = training is not None
    if not explicit:
        training = resolve_training(model)
    if "training" in accepted:
        kwargs["training"] = training
    if mask is not None and "mask" in accepted:
        kwargs["mask"] = mask
    # Keras passes an explicit `training` on to every sublayer called without one (the call
    # context, also when the trainer runs forward directly); plain torch modules inside read
    # their module mode, so it is switched for this call only.
    modes = None
    if explicit and bool(training) != model.training:
        modes = [(m, m.training) for m in model.modules()]
        model.train(bool(training))
    try:
        with training_context(training if explicit else None):
            if not model.built:
                return _first_call(model, inputs, args, kwargs)
            return model.call(inputs, *args, **kwargs)
    finally:
        if modes is not None:
            for m, mode in modes:
                m.training = mode


def after_build(model, args, kwargs):
    """After a subclass's own `build(*args, **kwargs)` ran (in the model's name scope, see
    `layers.base._wrap_build`): the model is built, and its input shape kept."""
    shape = args[0] if args else kwargs.get("input_shape", next(iter(kwargs.values()), None))
    if not model.built or "_kt_build_input_shape" not in model.__dict__:
        _mark_built(model, tuple(shape) if _is_shape(shape) else shape)


def _own_build(model):
    from kerastorch.models.model import Model

    return type(model).build is not Model.build


def _first_call(model, inputs, args, kwargs):
    # Layers built during the first call get the model's name in their weights' paths.
    with _variables.name_scope_of(model):
        if _own_build(model):
            model._build_wrapper(shape_structure(inputs, batch=None))
        outputs = model.call(inputs, *args, **kwargs)
    _mark_built(model, shape_structure(inputs))
    return outputs


def _mark_built(model, shape):
    model.built = True
    model.__dict__["_kt_build_input_shape"] = shape
    if not model.trainable:
        for p in model.parameters():
            p.requires_grad_(False)


def shape_structure(inputs, batch="keep"):
    """The shapes of `inputs` (a tensor, list or dict), the batch axis kept or set to `batch`."""
    if isinstance(inputs, dict):
        return {k: shape_structure(v, batch) for k, v in inputs.items()}
    if isinstance(inputs, (list, tuple)):
        return [shape_structure(v, batch) for v in inputs]
    shape = getattr(inputs, "shape", None)
    if shape is None:
        return None
    shape = tuple(shape)
    return shape if batch == "keep" or not shape else (batch, *shape[1:])


def _is_shape(value):
    return isinstance(value, (list, tuple)) and all(d is None or isinstance(d, int) for d in value)


def batch_shapes(data_shape):
    """The trainer's first-batch shape(s) with the batch axis as `None`."""
    if _is_shape(data_shape):
        return (None, *tuple(data_shape)[1:]) if len(data_shape) else tuple(data_shape)
    if isinstance(data_shape, dict):
        return {k: batch_shapes(v) for k, v in data_shape.items()}
    if isinstance(data_shape, (list, tuple)):
        return [batch_shapes(v) for v in data_shape]
    return data_shape


def listed(shape):
    """A shape structure with tuples as lists, as Keras writes it in `build_config`."""
    if isinstance(shape, dict):
        return {k: listed(v) for k, v in shape.items()}
    if isinstance(shape, (list, tuple)):
        return [listed(v) for v in shape]
    return shape


_STAND_IN_SIZE = 83    # a `None` axis other than the batch, as the symbolic shape trace sizes it


def _stand_in_inputs(model, shape, device):
    """Zeros of `shape` (a shape, or a list/dict of them): batch 2, other `None` axes 83."""
    if _is_shape(shape):
        dims = [(2 if axis == 0 else _STAND_IN_SIZE) if d is None else int(d) for axis, d in enumerate(shape)]
        return torch.zeros(dims, device=device)
    if isinstance(shape, dict):
        return {k: _stand_in_inputs(model, v, device) for k, v in shape.items()}
    if isinstance(shape, (list, tuple)):
        return [_stand_in_inputs(model, v, device) for v in shape]
    raise ValueError(
        f"Model '{model.name}': build(input_shape) expects a shape such as (None, 784) (None for the "
        f"batch axis), or a list or dict of shapes for several inputs; got {shape!r}."
    )


def build_completely(model, input_shape, in_scope=True):
    """Builds a subclass as Keras' `fit` and loading do: its own `build` (if any), then `call` once on zeros.

    A subclass whose `build` creates only some of its layers' weights (the others built by
    `call`) gets them all, so that an optimizer or a weights file sees every one. `in_scope=False`
    runs `call` outside the model's name scope, as Keras' `build_from_config` does (the layers it
    builds get paths from themselves: `dense/kernel`, not `model/dense/kernel`).
    """
    if not _own_build(model):
        build_by_run(model, input_shape, in_scope)
        return
    model.build(tuple(input_shape) if _is_shape(input_shape) else input_shape)
    build_by_run(model, input_shape, in_scope)


def build_by_run(model, input_shape, in_scope=True):
    """Builds a subclass by running its `call` once on zeros of `input_shape`, as Keras' `build_from_config`
    runs it on symbolic inputs: in inference mode, without gradients, adding no losses.

    Real zeros rather than torch's `meta` device: a layer's bias add mixes the input with its
    (CPU) weights, which `meta` refuses, and a run that fails halfway would leave layers built
    outside their name scope.
    """
    if input_shape is None:
        raise ValueError(
            f"Model '{model.name}': build() needs the input shape, e.g. model.build((None, 784)) "
            "(None for the batch axis). Or call the model on a batch of data, or fit it."
        )
    if _is_shape(input_shape):
        input_shape = tuple(input_shape)
    device = next((p.device for p in model.parameters()), None)
    inputs = _stand_in_inputs(model, input_shape, device)
    kwargs = {"training": False} if "training" in _call_arguments(type(model)) else {}
    modes = [(m, m.training) for m in model.modules()]
    model.eval()
    try:
        scope = _variables.name_scope_of(model) if in_scope else contextlib.nullcontext()
        with torch.inference_mode(False), torch.no_grad(), no_loss_collection(), scope:
            model.call(inputs, **kwargs)
    except Exception as e:  # noqa: BLE001 - any failure of the user's call, reported with the shape
        raise ValueError(
            f"Model '{model.name}' ({type(model).__name__}): building it runs call() on inputs of shape "
            f"{input_shape}, and call() failed: {type(e).__name__}: {e}. Check that the shape is that of "
            "one batch (None for the batch axis), or define build(self, input_shape) to build the layers, "
            "or call the model on a batch of data first."
        ) from e
    finally:
        for m, mode in modes:
            m.training = mode
    _mark_built(model, input_shape)


# --------------------------------------------------------------------------- weights file layout
def _name_key(name):
    return f"~{name}" if name.startswith("_") else name     # Keras visits private attributes last


def _unique(name, used):
    if name in used:
        used[name] += 1
        return f"{name}_{used[name]}"
    used[name] = 0
    return name


def h5_tree(model):
    """The `.weights.h5` groups of a subclassed model, as Keras' saving walks it.

    The model's own weights under `vars`; then its attributes in sorted order (private ones
    last), `model.layers` among them as `layers`: a layer under the attribute's name, a list
    or dict of layers under `<attribute>/<snake_class>[_<n>]` (nested ones as `container`).
    A layer reached twice is written once, where it is first reached.
    """
    from kerastorch.saving import weights_h5

    if hasattr(model, "_stack"):
        return weights_h5.model_tree(model)
    own = [(model, n) for n in model._keras_weights]
    if model.module is not None:
        if not isinstance(model.module, Layer):
            return [("vars", list(model._weight_slots()))]
        return [("vars", own)] + [(f"module/{p}", s) for p, s in weights_h5.layer_tree(model.module)]
    names = {k for k in model._modules if not k.startswith("_kt_tracked_")}
    names |= {k for k in model.__dict__ if f"_kt_tracked_{k}" in model._modules}
    names.add("layers")
    walk = _Walk()
    for name in sorted(names, key=_name_key):
        walk.attribute(name, model.layers if name == "layers" else getattr(model, name, None))
    return [("vars", own)] + walk.tree


def container_trees(layer):
    """The groups of the layers a (non-model) layer holds in lists and dicts: `<attribute>/<class key>/...`."""
    walk = _Walk()
    for name in layer.__dict__:
        if f"_kt_tracked_{name}" in layer._modules:
            walk.attribute(name, layer.__dict__[name])
    return walk.tree


class _Walk:
    """Keras' saving walk: layers by path, containers by class-name keys, each layer once."""

    def __init__(self):
        self.tree, self.visited = [], set()

    def attribute(self, name, value):
        if isinstance(value, Layer):
            self.visit(value, name)
        elif isinstance(value, (list, tuple, dict, torch.nn.ModuleList, torch.nn.ModuleDict)):
            self.container(_items(value), name)

    def visit(self, layer, path):
        from kerastorch.saving import weights_h5

        if id(layer) in self.visited:
            return
        self.visited.update(id(m) for m in layer.modules())
        self.tree.extend((f"{path}/{sub}", slots) for sub, slots in weights_h5.layer_tree(layer))

    def container(self, items, path):
        used = {}
        for item in items:
            if isinstance(item, Layer):
                self.visit(item, f"{path}/{_unique(_snake_case(type(item).__name__), used)}")
            elif isinstance(item, (list, tuple, dict, torch.nn.ModuleList, torch.nn.ModuleDict)):
                self.container(_items(item), f"{path}/{_unique('container', used)}")


def _items(value):
    if isinstance(value, (dict, torch.nn.ModuleDict)):
        return list(value.values())
    return list(value)
