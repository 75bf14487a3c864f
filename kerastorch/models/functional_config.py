"""A Functional model's config in Keras 3's form, both ways.

`get_config` writes what Keras writes: `name`, `trainable`, `layers` (each layer's or op's own
serialization plus its `name` and `inbound_nodes`, one `{"args", "kwargs"}` per call, where
KerasTensors are `__keras_tensor__` dicts whose `keras_history` is `[layer name, node index,
tensor index]`), and `input_layers` / `output_layers` (`[name, node index, tensor index]`
references in the structure of the model's inputs and outputs). `from_config` reads that form,
and Keras 2's `inbound_nodes` lists too, by creating each layer and calling it on the tensors
its nodes name, as many passes as the graph needs.

Keras numbers a nested Functional model's nodes one higher in `input_layers`/`output_layers`
(not in `keras_history`); both directions keep that.

Example:
>>> import kerastorch
>>> from kerastorch import layers
>>> x = kerastorch.Input(shape=(3,), name="x")
>>> model = kerastorch.Model(x, layers.Dense(2, name="d")(x))
>>> config = model.get_config()
>>> config["input_layers"], config["output_layers"], config["layers"][1]["inbound_nodes"][0]["kwargs"]
(['x', 0, 0], ['d', 0, 0], {})
>>> kerastorch.Model.from_config(config).output_shape
(None, 2)
"""

import copy
import functools
import types

import numpy as np
import torch

from kerastorch.layers.symbolic import KerasTensor, inbound_nodes


class _NotReady(Exception):
    """A node's input does not exist yet (its layer's earlier node was not processed)."""


def _is_functional(op):
    from kerastorch.models.functional import Functional

    return isinstance(op, Functional)


# --------------------------------------------------------------------------- writing
def serialize_value(value, own_nodes=None):
    """A node argument in Keras' serialized form (KerasTensors, slices, tensors, arrays, ...)."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, KerasTensor):
        history = getattr(value, "_keras_history", None)
        keras_history = None
        if history is not None and history.operation is not None:
            index = history.node_index
            if own_nodes is not None:
                # Nodes of the layer that belong to other models are not in this config.
                earlier = inbound_nodes(history.operation)[:history.node_index]
                index -= sum(1 for node in earlier if node not in own_nodes)
            keras_history = [history.operation.name, index, history.tensor_index]
        return {"class_name": "__keras_tensor__",
                "config": {"shape": list(value.shape), "dtype": value.dtype, "keras_history": keras_history}}
    if isinstance(value, slice):
        return {"class_name": "__slice__", "config": {"start": serialize_value(value.start),
                                                       "stop": serialize_value(value.stop),
                                                       "step": serialize_value(value.step)}}
    if value is Ellipsis:
        return {"class_name": "__ellipsis__", "config": {}}
    if isinstance(value, (list, tuple)):
        return [serialize_value(v, own_nodes) for v in value]
    if isinstance(value, dict):
        return {k: serialize_value(v, own_nodes) for k, v in value.items()}
    if isinstance(value, torch.Tensor):
        from kerastorch.backend import standardize_dtype

        return {"class_name": "__tensor__", "config": {"value": value.detach().cpu().tolist(),
                                                         "dtype": standardize_dtype(value.dtype)}}
    if isinstance(value, np.ndarray):
        if value.ndim == 0:
            return value.item()
        from kerastorch.backend import standardize_dtype

        return {"class_name": "__numpy__", "config": {"value": value.tolist(),
                                                        "dtype": standardize_dtype(value.dtype)}}
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, torch.dtype):
        from kerastorch.backend import standardize_dtype

        return standardize_dtype(value)
    if isinstance(value, (types.FunctionType, types.MethodType, functools.partial)):
        name = getattr(value, "__name__", repr(value))
        raise NotImplementedError(
            f"A node of this model holds the Python function {name!r} as an argument (a control-flow op "
            "such as ops.cond or ops.vectorized_map, or a function passed to an op), and a config cannot "
            "hold code. The model runs, but cannot be saved or configured this way: put the computation "
            "in a Layer subclass with get_config(), or save the weights only (save_weights)."
        )
    from kerastorch.saving import serialization

    return serialization.serialize_keras_object(value)


def serialize_operation(op):
    """`{"module", "class_name", "config", "registered_name", ...}` of a layer or an op of the graph."""
    from kerastorch.ops.operation import ComputeMask, Operation
    from kerastorch.saving import serialization

    if isinstance(op, Operation):
        cls = type(op)
        if isinstance(op, ComputeMask):
            module, registered = "kerastorch.ops", None
        elif cls._keras_module is not None:
            module, registered = f"keras.src.ops.{cls._keras_module}", cls.__name__
        else:
            module, registered = "kerastorch.ops", None
        config = {k: serialize_value(v) for k, v in op.get_config().items()}
        return {"module": module, "class_name": cls.__name__, "config": config, "registered_name": registered}
    return serialization.serialize_layer(op)


def _node_data(node, own_nodes):
    return {"args": serialize_value(list(node.args), own_nodes),
            "kwargs": serialize_value(dict(node.kwargs), own_nodes)}


def get_config(model):
    """The Functional `model`'s config, as Keras' `Functional.get_config` writes it."""
    from kerastorch.layers.symbolic import map_structure

    own = model._nodes
    renumber = {}
    for op in model._operations:
        kept = 1 if _is_functional(op) else 0
        for node in inbound_nodes(op):
            if node in own:
                renumber[node] = kept
                kept += 1
    layers = []
    for op in model._operations:
        data = serialize_operation(op)
        data["name"] = op.name
        data["inbound_nodes"] = [_node_data(node, own) for node in inbound_nodes(op)
                                 if node in own and not node.is_input]
        layers.append(data)

    def reference(tensor):
        history = tensor._keras_history
        node = inbound_nodes(history.operation)[history.node_index]
        return [history.operation.name, renumber[node], history.tensor_index]

    config = {"name": model.name, "trainable": model.trainable, "layers": layers,
              "input_layers": map_structure(reference, model._inputs_struct),
              "output_layers": map_structure(reference, model._outputs_struct)}
    return copy.deepcopy(config)


def serialize(model):
    """The `{"module", "class_name", "config", ...}` form of a Functional model (its `config.json` entry)."""
    from kerastorch.models.functional import Functional
    from kerastorch.saving import serialization

    cls = type(model)
    registered = serialization.get_registered_name(cls) if cls is not Functional else "Functional"
    plain = cls is Functional or cls.__qualname__ == "Functional"
    return {"module": "keras.src.models.functional" if plain else cls.__module__,
            "class_name": "Functional" if plain else cls.__name__,
            "config": model.get_config(), "registered_name": registered,
            "build_config": {"input_shape": None}}


# --------------------------------------------------------------------------- reading
def _deserialize_value(value, created, custom_objects):
    if isinstance(value, (list, tuple)):
        return type(value)(_deserialize_value(v, created, custom_objects) for v in value)
    if not isinstance(value, dict):
        return value
    kind = value.get("class_name")
    inner = value.get("config") or {}
    if kind == "__keras_tensor__":
        history = inner.get("keras_history")
        if history is None:
            return KerasTensor(inner["shape"], dtype=inner.get("dtype", "float32"))
        return _tensor_at(created, *history)
    if kind == "__slice__":
        return slice(*(_deserialize_value(inner.get(k), created, custom_objects) for k in ("start", "stop", "step")))
    if kind == "__ellipsis__":
        return Ellipsis
    if kind == "__tensor__":
        from kerastorch.backend import convert_to_tensor

        return convert_to_tensor(inner["value"], dtype=inner.get("dtype"))
    if kind == "__numpy__":
        return np.array(inner["value"], dtype=inner.get("dtype"))
    if kind == "__bytes__":
        return inner["value"].encode("utf-8")
    if kind is not None and "config" in value:
        from kerastorch.saving import serialization

        return serialization.deserialize_keras_object(value, custom_objects)
    return {k: _deserialize_value(v, created, custom_objects) for k, v in value.items()}


def _tensor_at(created, name, node_index, tensor_index):
    op = created.get(name)
    if op is None:
        raise ValueError(f"Functional config: a node refers to layer {name!r}, which the config does not "
                         f"define (layers: {sorted(created)}). The config is damaged or incomplete.")
    nodes = inbound_nodes(op)
    if node_index >= len(nodes):
        raise _NotReady(name)
    return nodes[node_index].outputs[tensor_index]


def _node_call(node_data, created, custom_objects):
    """`(args, kwargs)` of a serialized node, KerasTensors resolved (Keras 3 dicts or Keras 2 lists)."""
    if isinstance(node_data, list):       # Keras 2: [[layer, node, tensor, kwargs], ...]
        tensors, kwargs = [], {}
        for entry in node_data:
            tensors.append(_tensor_at(created, entry[0], entry[1], entry[2]))
            if len(entry) > 3:
                kwargs = _deserialize_value(entry[3], created, custom_objects)
        return [tensors[0] if len(tensors) == 1 else tensors], kwargs
    args = _deserialize_value(node_data.get("args", []), created, custom_objects)
    kwargs = _deserialize_value(node_data.get("kwargs", {}), created, custom_objects)
    return list(args), dict(kwargs)


def _make_operation(data, created, custom_objects, safe_mode, where):
    from kerastorch.ops import operation
    from kerastorch.saving import serialization

    module = data.get("module") or ""
    class_name = data.get("class_name")
    if module.startswith("keras.src.ops") or module == "kerastorch.ops":
        config = dict(data.get("config") or {})
        if class_name == "ComputeMask":
            return operation.ComputeMask(created[config["layer"]], name=config.get("name"))
        cls = operation.keras_class(module, class_name)
        if cls is None:
            raise ValueError(f"{where}: the op {class_name!r} (module {module!r}) of layer "
                             f"{data.get('name')!r} has no kerastorch.ops counterpart.")
        return cls.from_config(config)
    return serialization.deserialize_layer(data, custom_objects, safe_mode=safe_mode, where=where)


def from_config(config, custom_objects=None, cls=None, safe_mode=True, where="Functional config"):
    """Creates a Functional model (new weights) from its Keras config; `config` is not changed.

    Args:
        config: The `config` dict (`layers`, `input_layers`, `output_layers`, `name`, `trainable`).
        custom_objects: Optional dict of name -> class or function, for custom layers.
        cls: The class to create. Defaults to `Functional`.
        safe_mode: Whether to refuse Lambda layers (their code would run). Defaults to `True`.
        where: Where the config came from, for messages.

    Raises:
        ValueError: for a config that is not a Functional one, names an unknown layer, or whose
            nodes cannot all be connected (a cycle or a missing layer).
    """
    from kerastorch.models.functional import Functional

    for key in ("layers", "input_layers", "output_layers"):
        if key not in config:
            raise ValueError(f"{where}: a Functional config needs 'layers', 'input_layers' and 'output_layers'; "
                             f"it has {sorted(config)}.")
    created, pending = {}, {}
    for data in config["layers"]:
        name = data.get("name") or (data.get("config") or {}).get("name")
        op = _make_operation(data, created, custom_objects, safe_mode, where)
        created[name] = op
        nodes = data.get("inbound_nodes") or []
        if nodes:
            pending[name] = list(nodes)
    while pending:
        progressed = False
        for data in config["layers"]:
            name = data.get("name") or (data.get("config") or {}).get("name")
            queue = pending.get(name)
            if not queue:
                continue
            done = 0
            for node_data in queue:
                try:
                    args, kwargs = _node_call(node_data, created, custom_objects)
                except _NotReady:
                    break
                created[name](*args, **kwargs)
                done += 1
            if done:
                progressed = True
                pending[name] = queue[done:]
                if not pending[name]:
                    del pending[name]
        if not progressed:
            raise ValueError(f"{where}: the graph cannot be rebuilt: the nodes of {sorted(pending)} take tensors "
                             "that no layer of the config produces (a cycle, or a damaged config).")

    def tensor(entry):
        if isinstance(entry, (list, tuple)) and len(entry) == 3 and isinstance(entry[0], str):
            name, node_index, tensor_index = entry
            op = created.get(name)
            if op is not None and _is_functional(op):
                node_index -= 1          # Keras numbers a nested Functional's nodes from 1 here
            try:
                return _tensor_at(created, name, node_index, tensor_index)
            except _NotReady:
                raise ValueError(f"{where}: {entry!r} names a call of {name!r} that the config does not "
                                 "hold.") from None
        if isinstance(entry, dict):
            return {k: tensor(v) for k, v in entry.items()}
        return [tensor(v) for v in entry]

    inputs, outputs = tensor(config["input_layers"]), tensor(config["output_layers"])
    cls = cls or Functional
    if cls is not Functional and not issubclass(cls, Functional):
        cls = Functional
    return cls(inputs, outputs, name=config.get("name"), trainable=config.get("trainable", True))


# --------------------------------------------------------------------------- cloning
def clone(model, input_tensors=None, clone_function=None, custom_objects=None):
    """`clone_model` for a Functional model: new layers (new weights) called on new inputs, as Keras.

    Args:
        model: The Functional model.
        input_tensors: Optional KerasTensors (the structure of `model.input`) to build the clone on.
            Defaults to new `Input`s like the model's.
        clone_function: Optional `layer -> layer` applied once to each layer and op (not to the
            Inputs). Defaults to re-creating each from its config; return the layer itself to share it.
        custom_objects: Optional dict of name -> class, for custom layers.

    Returns:
        A new Functional model of the same name, compiled like `model` when it is compiled.
    """
    from kerastorch.layers.base import Layer
    from kerastorch.layers.core import Input
    from kerastorch.layers.symbolic import map_structure
    from kerastorch.models.functional import Functional
    from kerastorch.ops._tree import flatten, pack_sequence_as
    from kerastorch.ops.operation import Operation
    from kerastorch.saving import serialization

    if clone_function is None:
        def clone_function(op):
            if isinstance(op, Operation):
                return type(op).from_config(op.get_config())
            return serialization.deserialize_layer(serialization.serialize_layer(op), custom_objects,
                                                   safe_mode=False, where="clone_model")
    elif not callable(clone_function):
        raise TypeError(f"clone_model: `clone_function` must be callable (layer -> layer), got {clone_function!r}.")
    structure = model._inputs_struct
    if input_tensors is None:
        new_inputs = map_structure(lambda x: Input(batch_shape=x.shape, dtype=x.dtype, name=x.name), structure)
    else:
        given = flatten(input_tensors) if isinstance(input_tensors, (list, tuple, dict)) else [input_tensors]
        if not all(isinstance(x, KerasTensor) for x in given):
            raise TypeError(f"clone_model: every entry of `input_tensors` must be a KerasTensor (from "
                            f"kerastorch.Input), got {[type(x).__name__ for x in given]}.")
        if len(given) != len(model._inputs):
            raise ValueError(f"clone_model: `input_tensors` must match model.input ({len(model._inputs)} "
                             f"tensor(s) {model.input_names}), got {len(given)}.")
        new_inputs = pack_sequence_as(structure, given) if isinstance(structure, (list, tuple, dict)) else given[0]
    flat_new = flatten(new_inputs) if isinstance(new_inputs, (list, tuple, dict)) else [new_inputs]

    def checked(op):
        new_op = clone_function(op)
        if not isinstance(new_op, (Layer, Operation)):
            raise TypeError(f"clone_model: clone_function returned {type(new_op).__name__} for layer "
                            f"'{op.name}'; it must return a layer.")
        return new_op

    new_outputs = rerun(model, flat_new, checked)
    new_model = Functional(new_inputs, new_outputs, name=model.name, trainable=model.trainable)
    compile_config = serialization.serialize_compile_config(model)
    if compile_config is not None:
        serialization.compile_from_config(new_model, compile_config, custom_objects)
    return new_model


def rerun(model, new_inputs, operation_fn=lambda op: op):
    """The model's graph called again, node by node, on `new_inputs` (flat, one per model input).

    Each operation is replaced by `operation_fn(op)` (once per operation, so shared layers stay
    shared); returns the new outputs in the model's output structure.
    """
    from kerastorch.layers.symbolic import map_structure
    from kerastorch.ops._tree import flatten

    mapping = {id(old): new for old, new in zip(model._inputs, new_inputs)}
    cache = {}

    def swap(value):
        return mapping.get(id(value), value) if isinstance(value, KerasTensor) else value

    for node in model._graph.execution_order():
        if node.is_input:
            continue
        op = node.operation
        if id(op) not in cache:
            cache[id(op)] = operation_fn(op)
        outputs = cache[id(op)](*map_structure(swap, list(node.args)), **map_structure(swap, dict(node.kwargs)))
        flat_out = flatten(outputs) if isinstance(outputs, (list, tuple, dict)) else [outputs]
        for old, new in zip(node.outputs, flat_out):
            mapping[id(old)] = new
    return map_structure(swap, model._outputs_struct)
