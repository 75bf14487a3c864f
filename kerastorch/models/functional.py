"""`Functional`: a model defined by calling layers on `Input`s (Keras' Functional API).

`kerastorch.Model(inputs, outputs)` returns one. The graph between the inputs and outputs is
mapped once, in Keras' order (`model.layers`, weights, config and summary follow it), and turned
into a plan: a flat list of steps (layer or op, input slots, output slots) that `forward` walks.
It is a `torch.nn.Module` whose submodules are its layers; as a layer it nests in other models.

Example:
>>> import numpy as np, kerastorch
>>> from kerastorch import layers
>>> inputs = kerastorch.Input(shape=(4,), name="features")
>>> hidden = layers.Dense(8, activation="relu")(inputs)
>>> outputs = layers.Dense(1)(hidden) + inputs[:, :1]        # a skip connection
>>> model = kerastorch.Model(inputs, outputs, name="residual")
>>> model.output_shape
(None, 1)
>>> model.predict(np.ones((2, 4), "float32"), verbose=0).shape
(2, 1)
"""

import warnings

import torch

from kerastorch.layers.base import Layer, format_shape
from kerastorch.layers.symbolic import KerasTensor
from kerastorch.models import functional_graph
from kerastorch.models.model import Model
from kerastorch.ops._tree import flatten, pack_sequence_as


def _is_symbolic_structure(x):
    leaves = flatten(x) if isinstance(x, (list, tuple, dict)) else [x]
    return bool(leaves) and all(isinstance(v, KerasTensor) for v in leaves)


def functional_init_arguments(args, kwargs):
    """Whether `Model(*args, **kwargs)` asks for a Functional model (inputs and outputs given)."""
    if "inputs" in kwargs and "outputs" in kwargs:
        return True
    if "outputs" in kwargs:
        return (len(args) == 1 and _is_symbolic_structure(args[0])) or "inputs" in kwargs
    # Model(inputs, outputs): the outputs are checked (with a clear message) by Functional itself.
    return len(args) >= 2 and _is_symbolic_structure(args[0])


def _check_structure(model_name, what, value):
    leaves = flatten(value) if isinstance(value, (list, tuple, dict)) else [value]
    if not leaves:
        raise ValueError(f"Model '{model_name}': `{what}` is empty. Pass the KerasTensor(s) from "
                         "kerastorch.Input(...) as inputs and the tensors computed from them as outputs.")
    for x in leaves:
        if not isinstance(x, KerasTensor):
            raise TypeError(
                f"Model '{model_name}': every value of `{what}` must be a KerasTensor (from kerastorch.Input "
                f"or a layer call), got {type(x).__name__} {x!r:.80}. Build the model from "
                "x = kerastorch.Input(shape=...); y = layers.Dense(...)(x); Model(inputs=x, outputs=y)."
            )
    return leaves


class Functional(Model):
    """A model defined by a graph of layer and op calls from `Input`s to outputs.

    Made by `kerastorch.Model(inputs, outputs)`; `inputs` and `outputs` are each a
    KerasTensor, a list or a dict of them.

    Args:
        inputs: The model's `Input` tensors (or intermediate tensors, which get their own Inputs).
        outputs: The tensors computed from them.
        name: Optional name. Defaults to `functional`, `functional_1`, ...
        trainable: Whether the model's weights are trained. Defaults to `True`.

    Example:
    >>> import kerastorch
    >>> from kerastorch import layers
    >>> a, b = kerastorch.Input(shape=(3,), name="a"), kerastorch.Input(shape=(3,), name="b")
    >>> shared = layers.Dense(2, name="shared")
    >>> model = kerastorch.Model([a, b], [shared(a), shared(b)])
    >>> [layer.name for layer in model.layers], model.count_params()
    (['a', 'b', 'shared'], 8)
    """

    def __init__(self, inputs, outputs, name=None, trainable=True, **kwargs):
        _init_functional(self, inputs, outputs, name, trainable, kwargs)

    # ------------------------------------------------------------------ structure
    @property
    def layers(self):
        """The model's layers in Keras' order (by depth from the inputs), `InputLayer`s included."""
        return [op for op in self._operations if isinstance(op, Layer)]

    @property
    def operations(self):
        """Every layer and op of the graph, in Keras' order (what `summary()` lists)."""
        return list(self._operations)

    @property
    def inputs(self):
        """The flat list of the model's input KerasTensors."""
        return list(self._inputs)

    @property
    def outputs(self):
        """The flat list of the model's output KerasTensors."""
        return list(self._outputs)

    @property
    def input(self):
        """The inputs in the structure given (one KerasTensor, a list or a dict)."""
        return self._inputs_struct

    @property
    def output(self):
        """The outputs in the structure given."""
        return self._outputs_struct

    @property
    def input_shape(self):
        """The input shape (a list of shapes, in `model.inputs` order, for several), `None` for the batch axis."""
        shapes = [x.shape for x in self._inputs]          # flat, as Keras (a dict of inputs too)
        return shapes[0] if len(shapes) == 1 else shapes

    @property
    def output_shape(self):
        """The output shape (a list of shapes, in `model.outputs` order, for several), `None` for the batch axis."""
        shapes = [x.shape for x in self._outputs]
        return shapes[0] if len(shapes) == 1 else shapes

    @property
    def input_names(self):
        """The names of the inputs (their `Input(name=...)`), in `model.inputs` order."""
        return list(self._input_names)

    # ------------------------------------------------------------------ calling
    def forward(self, inputs, training=None, mask=None, return_logits=False):
        if self._single_input and type(inputs) is torch.Tensor:
            flat = [self._standardize_tensor(0, inputs)]
        elif (type(inputs) is list and len(inputs) == len(self._inputs) and not isinstance(self._inputs_struct, dict)
              and all(type(x) is torch.Tensor for x in inputs)):
            flat = [self._standardize_tensor(i, x) for i, x in enumerate(inputs)]    # the common list, checked
        else:
            flat = self._standardize_inputs(inputs)
        if mask is not None:
            return self._call_masked(flat, mask, training)
        if return_logits:
            # The trainer's fused softmax/sigmoid crossentropy (see `_final_activation`).
            return self._logits_plan().run(flat, training)[0]
        outputs = self._plan.run(flat, training)
        if self._single_output:
            return outputs[0]
        return pack_sequence_as(self._outputs_struct, outputs)

    def call(self, inputs, training=None, mask=None):
        """Runs the graph on `inputs` (a tensor, a list, or a dict by input name).

        `mask` (one per input, or `None` entries) reaches the layers as Keras passes an input's
        mask: to the first layers whose call takes one, and on through those that carry masks.
        """
        return self.forward(inputs, training=training, mask=mask)

    def _final_activation(self):
        """`"softmax"`/`"sigmoid"` when the model ends in one the trainer may fuse into the loss.

        Only for one output made by a final Dense or Activation layer that nothing else reads,
        and a model whose `call`/`forward` are Functional's own.
        """
        from kerastorch import activations
        from kerastorch.layers.core import Activation, Dense

        cls = type(self)
        if not self._single_output or cls.call is not Functional.call or cls.forward is not Functional.forward:
            return None
        last = self._plan.final_layer()
        if type(last) not in (Dense, Activation):
            return None
        name = activations.serialize(last.activation)
        return name if name in ("softmax", "sigmoid") else None

    def _logits_plan(self):
        plan = self.__dict__.get("_plan_of_logits")
        if plan is None:
            if self._final_activation() is None:
                raise ValueError(f"Model '{self.name}' does not end in a softmax or sigmoid layer whose "
                                 "logits the fused loss could use; call it without return_logits.")
            plan = self.__dict__["_plan_of_logits"] = self._plan.without_final_activation()
        return plan

    def _call_masked(self, flat, mask, training):
        masks = flatten(mask) if isinstance(mask, (list, tuple, dict)) else [mask]
        if len(masks) != len(flat):
            raise ValueError(f"Model '{self.name}': `mask` must hold one mask (or None) per input "
                             f"({len(flat)}: {self._input_names}), got {len(masks)}.")
        key = tuple(None if m is None else (tuple(m.shape[1:]), str(m.dtype)) for m in masks)
        plans = self.__dict__.setdefault("_masked_plans", {})
        if key not in plans:
            plans[key] = self._masked_plan(key)
        given = [m if m.dtype is torch.bool else m.bool() for m in masks if m is not None]
        outputs = plans[key].run(flat + given, training)
        if self._single_output:
            return outputs[0]
        return pack_sequence_as(self._outputs_struct, outputs)

    def _masked_plan(self, key):
        """The plan of the graph re-recorded from Inputs that carry masks (made once per mask layout)."""
        from kerastorch.layers.core import Input
        from kerastorch.models import functional_config

        new_inputs, mask_inputs = [], []
        for x, entry in zip(self._inputs, key):
            tensor = Input(batch_shape=x.shape, dtype=x.dtype, name=f"{x.name}_masked")
            if entry is not None:
                mask_input = Input(batch_shape=(None, *entry[0]), dtype="bool", name=f"{x.name}_mask")
                tensor._keras_mask = mask_input
                mask_inputs.append(mask_input)
            new_inputs.append(tensor)
        outputs = functional_config.rerun(self, new_inputs)
        flat_outputs = flatten(outputs) if isinstance(outputs, (list, tuple, dict)) else [outputs]
        graph = functional_graph.map_graph(new_inputs + mask_inputs, flat_outputs, self.name)
        return functional_graph.Plan(graph, new_inputs + mask_inputs, flat_outputs)

    def _standardize_tensor(self, i, x):
        """One input as the model's Input expects it: its dtype, Keras' rank rule, a checked shape."""
        ref = self._inputs[i]
        if x.dim() != len(ref.shape):
            x = self._adjust_rank(i, x)
        fixed = self._fixed_dims[i]
        if fixed:
            shape = x.shape
            for axis, size in fixed:
                if shape[axis] != size:
                    raise ValueError(
                        f"Model '{self.name}': input {self._input_names[i]!r} expects shape "
                        f"{format_shape(ref.shape)}, got a tensor of shape {format_shape(tuple(shape))} (axis "
                        f"{axis} is {shape[axis]}, not {size}). Reshape the data, or change the model's "
                        f"Input(shape=...)."
                    )
        dtype = self._input_torch_dtypes[i]
        if x.dtype is not dtype:
            x = x.to(dtype)
        return x

    def _adjust_rank(self, i, x):
        ref = self._inputs[i].shape
        if x.dim() == len(ref) + 1 and x.shape[-1] == 1:
            return x.squeeze(-1)
        if x.dim() == len(ref) - 1 and ref[-1] == 1:
            return x.unsqueeze(-1)
        raise ValueError(
            f"Model '{self.name}': input {self._input_names[i]!r} expects shape {format_shape(ref)} "
            f"({len(ref)} axes, batch first), got a tensor of shape {format_shape(tuple(x.shape))} "
            f"({x.dim()} axes). Reshape the data to (num_samples, {', '.join(str(d) for d in ref[1:])})."
        )

    def _standardize_inputs(self, inputs):
        names = self._input_names
        struct = self._inputs_struct
        if isinstance(inputs, dict):
            keys = list(struct) if isinstance(struct, dict) else names
            missing = [k for k in keys if k not in inputs]
            extra = [k for k in inputs if k not in keys]
            if missing or (extra and isinstance(struct, dict)):
                import difflib

                hints = [f"{k!r} (did you mean {difflib.get_close_matches(k, missing or keys, n=1)[0]!r}?)"
                         if difflib.get_close_matches(k, missing or keys, n=1) else repr(k) for k in extra]
                raise ValueError(
                    f"Model '{self.name}' takes the inputs {keys}; the dict given "
                    + (f"lacks {missing}" if missing else "")
                    + (" and " if missing and extra else "")
                    + (f"has unknown key(s) {', '.join(hints)}" if extra else "")
                    + ". Pass one entry per model input, keyed by the Input's name."
                )
            values = [inputs[k] for k in sorted(keys)] if isinstance(struct, dict) else [inputs[k] for k in keys]
        elif isinstance(inputs, (list, tuple)):
            values = flatten(inputs)
            if len(values) != len(names):
                raise ValueError(
                    f"Model '{self.name}' takes {len(names)} input(s) {names}, got a {type(inputs).__name__} "
                    f"of {len(values)}. Pass one tensor per input, in this order, or a dict by name."
                )
        else:
            if len(names) != 1:
                raise ValueError(
                    f"Model '{self.name}' takes {len(names)} inputs {names}, got one "
                    f"{type(inputs).__name__}. Pass a list in this order, or a dict by input name."
                )
            values = [inputs]
        flat = []
        for i, x in enumerate(values):
            if x is None:
                if not self._optional[i]:
                    raise ValueError(f"Model '{self.name}': input {names[i]!r} is not optional, but None was "
                                     "passed. Pass a tensor, or declare Input(..., optional=True).")
                flat.append(None)
                continue
            if not isinstance(x, torch.Tensor):
                x = self._convert(i, x)
            flat.append(self._standardize_tensor(i, x))
        return flat

    def _convert(self, i, x):
        from kerastorch.backend import convert_to_tensor
        from kerastorch import variables

        if isinstance(x, variables.Variable):
            return x.value
        try:
            tensor = convert_to_tensor(x, dtype=self._inputs[i].dtype)
        except (TypeError, ValueError) as e:
            raise TypeError(f"Model '{self.name}': input {self._input_names[i]!r} got {type(x).__name__} "
                            f"{x!r:.80}, which cannot become a tensor ({e}). Pass a tensor or a numpy array.") \
                from None
        param = next(self.parameters(), None)
        return tensor if param is None or tensor.device == param.device else tensor.to(param.device)

    def compute_output_spec(self, inputs, training=None, mask=None):
        """The output KerasTensors of a call on symbolic `inputs` (this model nested in another).

        With the model's own input shapes, its outputs' shapes and dtypes, in its output
        structure; otherwise the graph is run on stand-in tensors to find them.
        """
        if isinstance(inputs, dict):
            keys = sorted(self._inputs_struct) if isinstance(self._inputs_struct, dict) else self._input_names
            flat = [inputs.get(k) for k in keys]
        elif isinstance(inputs, (list, tuple)):
            flat = flatten(inputs)
        else:
            flat = [inputs]
        if len(flat) != len(self._inputs) or not all(isinstance(x, KerasTensor) for x in flat):
            raise ValueError(f"Model '{self.name}' takes {len(self._inputs)} input(s) {self._input_names}, "
                             f"got {len(flat)}: {flat!r:.200}.")
        if all(x.shape == ref.shape for x, ref in zip(flat, self._inputs)):
            outputs = [KerasTensor(x.shape, dtype=x.dtype) for x in self._outputs]
        else:
            outputs = _run_symbolic(self, flat)
        if self._single_output:
            return outputs[0]
        return pack_sequence_as(self._outputs_struct, outputs)

    def compute_output_shape(self, input_shape):
        """The output shape(s) for `input_shape` (the model's own input shapes give `output_shape`)."""
        shapes = [input_shape] if self._single_input and not (
            isinstance(input_shape, (list, tuple)) and input_shape and isinstance(input_shape[0], (list, tuple))) \
            else flatten_shapes(input_shape)
        if all(tuple(s) == x.shape for s, x in zip(shapes, self._inputs)):
            return self.output_shape
        symbolic = [KerasTensor(s, dtype=x.dtype) for s, x in zip(shapes, self._inputs)]
        result = _run_symbolic(self, symbolic)
        shapes_out = [r.shape for r in result]
        return shapes_out[0] if len(shapes_out) == 1 else shapes_out

    def build(self, input_shape=None):
        """A Functional model is built when made; this does nothing (as in Keras)."""
        self.built = True

    # ------------------------------------------------------------------ trainer hooks (one input)
    def _accepts_integer_inputs(self):
        return len(self._inputs) == 1 and not self._inputs[0].dtype.startswith(("float", "bfloat", "complex"))

    def _adjust_input_rank(self, x):
        if len(self._inputs) != 1 or not isinstance(x, torch.Tensor) or x.dim() == len(self._inputs[0].shape):
            return x
        return self._adjust_rank(0, x)

    def _check_input_shape(self, data_shape):
        if len(self._inputs) != 1:
            return
        ref = self._inputs[0].shape
        if len(data_shape) == len(ref) and all(r is None or r == d for r, d in zip(ref[1:], data_shape[1:])):
            return
        raise ValueError(
            f"Model '{self.name}' expects samples of shape {format_shape(ref[1:])}, from its Input "
            f"{self._input_names[0]!r}, but x holds samples of shape {format_shape(tuple(data_shape[1:]))} "
            f"(x.shape={tuple(data_shape)}). Reshape the data to (num_samples, "
            f"{', '.join('None' if d is None else str(d) for d in ref[1:])}), or change Input(shape=...)."
        )

    # ------------------------------------------------------------------ summary, config, files
    def summary(self, line_length=None, positions=None, print_fn=None, expand_nested=False,
                show_trainable=False, layer_range=None):
        """Prints the layers and ops with their output shapes, parameter counts and connections.

        Args:
            line_length: Total width. Defaults to Keras' (108 for a graph, 88 for a chain, at most
                the terminal width minus 4).
            positions: Relative or absolute column ends. Defaults to Keras'.
            print_fn: Function called with the text. Defaults to `print`.
            expand_nested: Whether to list the layers of nested models under them. Defaults to `False`.
            show_trainable: Whether to add a column telling trainable layers. Defaults to `False`.
            layer_range: Optional pair of names (or regexes): the first and last layer to list.
        """
        from kerastorch.models import functional_summary

        functional_summary.print_summary(self, line_length=line_length, positions=positions, print_fn=print_fn,
                                         expand_nested=expand_nested, show_trainable=show_trainable,
                                         layer_range=layer_range)

    def get_config(self):
        """Keras' Functional config: `name`, `trainable`, `layers` (with `inbound_nodes`), `input_layers`, `output_layers`."""
        from kerastorch.models import functional_config

        return functional_config.get_config(self)

    @classmethod
    def from_config(cls, config, custom_objects=None):
        """Rebuilds a Functional model (new weights) from `get_config()` output or a Keras config."""
        from kerastorch.models import functional_config

        return functional_config.from_config(config, custom_objects=custom_objects, cls=cls)

    def _keras_h5_tree(self):
        """The `.weights.h5` layout Keras writes: `layers/<class key>/...` per layer, `vars` for the model."""
        from kerastorch.saving import weights_h5

        tree = [("vars", [])]
        layers = self.layers
        for key, layer in zip(weights_h5.container_keys(layers), layers):
            tree.extend((f"layers/{key}/{path}", slots) for path, slots in weights_h5.layer_tree(layer))
        return tree

    def _keras_serialize(self):
        from kerastorch.models import functional_config

        return functional_config.serialize(self)


def flatten_shapes(shapes):
    """A list of shapes from a shape, a list of shapes or a dict of shapes."""
    if isinstance(shapes, dict):
        return [tuple(shapes[k]) for k in sorted(shapes)]
    return [tuple(s) for s in shapes]


def _run_symbolic(model, symbolic_inputs):
    """The model's graph re-run on other KerasTensors (for shapes), recording nothing on its layers."""
    from kerastorch.layers.symbolic import trace

    results = trace(lambda *xs: model._plan.run(list(xs)), symbolic_inputs, {},
                    device=next((p.device for p in model.parameters()), None))
    return results if isinstance(results, list) else [results]


def _module_key(model, key):
    if hasattr(type(model), key) or key in model.__dict__ or key in model._modules:
        key = f"layer_{key}"
    base, count = key, 0
    while key in model._modules:
        count += 1
        key = f"{base}_{count}"
    return key


def _init_functional(model, inputs, outputs, name, trainable, kwargs):
    """Makes `model` (a `Functional`) the model of the graph from `inputs` to `outputs`."""
    from kerastorch.layers.core import InputLayer
    from kerastorch.saving import weights_h5

    Layer.__init__(model, name=name, trainable=True, **kwargs)
    model._init_trainer()
    model.module = None
    if isinstance(inputs, dict):
        for key, value in inputs.items():
            if isinstance(value, KerasTensor) and key != value.name:
                warnings.warn(
                    f"Model '{model.name}': the inputs dict maps key {key!r} to the Input named {value.name!r}. "
                    f"Keys should be the Inputs' names: name it Input(..., name={key!r}).", stacklevel=3)
    flat_inputs = _check_structure(model.name, "inputs", inputs)
    flat_outputs = _check_structure(model.name, "outputs", outputs)
    if any(not _is_input_tensor(x) for x in flat_inputs):
        inputs, outputs = functional_graph.clone_graph_nodes(inputs, outputs)
        flat_inputs, flat_outputs = flatten(inputs) if isinstance(inputs, (list, tuple, dict)) else [inputs], \
            flatten(outputs) if isinstance(outputs, (list, tuple, dict)) else [outputs]
    if len({id(x) for x in flat_inputs}) != len(flat_inputs):
        raise ValueError(f"Model '{model.name}': an Input is listed twice in `inputs`; list each once.")
    graph = functional_graph.map_graph(flat_inputs, flat_outputs, model.name)
    if graph.unused_inputs:
        warnings.warn(
            f"Model '{model.name}': the input(s) {[x.name for x in graph.unused_inputs]} reach no output. "
            "They are kept as inputs (the model must be given them) but nothing uses them; remove them "
            "from inputs=[...] unless a custom train_step or loss reads them.", stacklevel=3)
    model._inputs_struct = inputs
    model._outputs_struct = outputs
    model._inputs = flat_inputs
    model._outputs = flat_outputs
    model._graph = graph
    model._operations = graph.operations
    model._nodes = graph.nodes
    model._nodes_by_depth = graph.nodes_by_depth
    input_ops = [x._keras_history.operation for x in flat_inputs]
    model._input_names = [op.name for op in input_ops]
    model.output_names = [x._keras_history.operation.name for x in flat_outputs]
    model._optional = [bool(getattr(op, "optional", False)) for op in input_ops]
    from kerastorch.backend import to_torch_dtype

    model._input_torch_dtypes = [to_torch_dtype(x.dtype) for x in flat_inputs]
    model._fixed_dims = [[(a, d) for a, d in enumerate(x.shape) if a > 0 and d is not None] for x in flat_inputs]
    model._single_input = len(flat_inputs) == 1 and not isinstance(inputs, dict)
    model._single_output = len(flat_outputs) == 1 and not isinstance(outputs, dict)
    layers = [op for op in graph.operations if isinstance(op, Layer)]
    if any(layer is model for layer in layers):
        raise ValueError(f"Model '{model.name}' cannot contain itself.")
    for key, layer in zip(weights_h5.container_keys(layers), layers):
        if not isinstance(layer, InputLayer):       # no weights; Keras lists it, torch need not hold it
            model.add_module(_module_key(model, key), layer)
    model._plan = functional_graph.Plan(graph, flat_inputs, flat_outputs)
    model.built = True
    if not trainable:
        model.trainable = False


def _is_input_tensor(x):
    node = functional_graph._node_of(x)
    return node is not None and node.is_input


_FUNCTIONAL_SUBCLASSES = {}


def init_subclass(model, args, kwargs):
    """`super().__init__(inputs=..., outputs=...)` in a `Model` subclass: the instance becomes Functional.

    As Keras does, the subclass gains `Functional` as a base (its own methods stay first).
    """
    cls = type(model)
    if not isinstance(model, Functional):
        new = _FUNCTIONAL_SUBCLASSES.get(cls)
        if new is None:
            new = type(cls.__name__, (cls, Functional), {"__module__": cls.__module__,
                                                        "__qualname__": cls.__qualname__})
            _FUNCTIONAL_SUBCLASSES[cls] = new
        model.__class__ = new
    kwargs = dict(kwargs)
    inputs = args[0] if args else kwargs.pop("inputs")
    outputs = args[1] if len(args) > 1 else kwargs.pop("outputs")
    _init_functional(model, inputs, outputs, kwargs.pop("name", None), kwargs.pop("trainable", True), kwargs)
