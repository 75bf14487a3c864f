"""The graph of a Functional model: its nodes in Keras' order, the checks, and the execution plan.

`map_graph(inputs, outputs)` walks back from the outputs through each KerasTensor's
`_keras_history` and orders the nodes and operations as Keras does (by depth from the outputs,
then by first visit), which fixes `model.layers`, the weights' order and the config's layer list.
`Plan` turns that order into a flat list of steps (operation, input slots, output slots), made
once; running the model walks the list, with no graph search per call.

Example:
>>> import kerastorch
>>> from kerastorch import layers
>>> x = kerastorch.Input(shape=(2,), name="x")
>>> y = layers.Dense(1, name="d")(x)
>>> [op.name for op in map_graph([x], [y]).operations]
['x', 'd']
"""

import collections

import torch
from torch.nn.modules import module as _torch_module

from kerastorch.backend.dtypes import to_torch_dtype
from kerastorch.layers.symbolic import KerasTensor, Node, inbound_nodes


def _node_of(tensor):
    history = getattr(tensor, "_keras_history", None)
    if history is None or history.operation is None:
        return None
    return inbound_nodes(history.operation)[history.node_index]


def _describe(tensor):
    from kerastorch.layers.base import format_shape

    history = getattr(tensor, "_keras_history", None)
    source = f"output of '{history.operation.name}'" if history is not None and history.operation is not None \
        else "made directly, not by Input or a layer"
    return f"KerasTensor {tensor.name!r} (shape {format_shape(tensor.shape)}, {source})"


def _build_map(inputs, outputs):
    """The nodes from the inputs to `outputs`, topologically sorted, and each operation's first-visit index.

    A depth-first walk back from each output, in order, as Keras' `_build_map`: an operation is
    numbered when first entered, a node is listed when all its inputs are.
    """
    input_ids = {id(x) for x in inputs}
    finished, in_progress = set(), set()
    ordered, op_index = [], {}
    for output in outputs:
        stack = [[output, None, None]]
        while stack:
            frame = stack[-1]
            tensor, node, pending = frame
            if node is None:
                node = _node_of(tensor)
                if node is None or node in finished:
                    stack.pop()
                    continue
                if not node.is_input and id(tensor) in input_ids:
                    finished.add(node)      # an intermediate tensor given as input: the graph starts here
                    stack.pop()
                    continue
                if node in in_progress:
                    raise ValueError(f"{_describe(tensor)} is part of a cycle: a layer's output feeds back into "
                                     "its own input. A Functional model must be acyclic.")
                op_index.setdefault(node.operation, len(op_index))
                in_progress.add(node)
                frame[1], frame[2] = node, iter(() if node.is_input else node.input_tensors)
                continue
            child = next(pending, None)
            if child is not None:
                stack.append([child, None, None])
                continue
            finished.add(node)
            in_progress.discard(node)
            ordered.append(node)
            stack.pop()
    return ordered, op_index


class Graph:
    """What `map_graph` finds: `nodes` (set), `nodes_by_depth`, `operations` (Keras' order), `unused_inputs`."""

    def __init__(self, nodes, nodes_by_depth, operations, unused_inputs):
        self.nodes = nodes
        self.nodes_by_depth = nodes_by_depth
        self.operations = operations
        self.unused_inputs = unused_inputs

    def execution_order(self):
        """The graph's nodes, deepest first (inputs to outputs), as Keras runs them."""
        return [n for depth in sorted(self.nodes_by_depth, reverse=True) for n in self.nodes_by_depth[depth]]


def map_graph(inputs, outputs, model_name="model"):
    """Validates the graph between `inputs` and `outputs` (flat lists) and orders it as Keras does.

    Raises:
        ValueError: for an output that needs an `Input` not in `inputs` (naming both), a tensor
            not made by `Input` or a layer, a cycle, or two operations of one name.
    """
    ordered, op_index = _build_map(inputs, outputs)
    in_graph = set(ordered)
    node_depth, op_depth = {}, {}
    for node in reversed(ordered):
        depth = node_depth.setdefault(node, 0)
        depth = max(depth, op_depth.get(node.operation, 0))     # a shared layer: its deepest call
        op_depth[node.operation] = depth
        node_depth[node] = depth
        for parent in node.parent_nodes:
            if parent in in_graph:
                node_depth[parent] = max(depth + 1, node_depth.get(parent, 0))
    unused = []
    for x in inputs:
        node = _node_of(x)
        if node is not None and node.operation not in op_depth and node.is_input:
            op_depth[node.operation] = 0
            op_index[node.operation] = -1
            node_depth[node] = 0
            unused.append(x)
    nodes_by_depth = collections.defaultdict(list)
    for node, depth in node_depth.items():
        nodes_by_depth[depth].append(node)
    ops_by_depth = collections.defaultdict(list)
    for op, depth in op_depth.items():
        ops_by_depth[depth].append(op)
    operations = []
    for depth in sorted(ops_by_depth, reverse=True):
        operations.extend(sorted(ops_by_depth[depth], key=lambda op: op_index[op]))
    graph = Graph(set(node_depth), dict(nodes_by_depth), operations, unused)
    _check_computable(graph, inputs, outputs, model_name)
    names = collections.Counter(op.name for op in operations)
    twice = sorted(n for n, c in names.items() if c > 1)
    if twice:
        raise ValueError(
            f"Model '{model_name}': the name {twice[0]!r} is used by {names[twice[0]]} different layers or "
            "ops. Names must be unique within a model (its config refers to layers by name): pass "
            "name=... to tell them apart."
        )
    return graph


def _check_computable(graph, inputs, outputs, model_name):
    input_ids = {id(x) for x in inputs}
    given = ", ".join(repr(x.name) for x in inputs)
    computable = set(input_ids)
    for node in graph.execution_order():
        if node.is_input and not any(id(x) in input_ids for x in node.outputs):
            needing = [o._keras_history.operation.name for o in outputs if _depends_on(o, node, input_ids)]
            name = node.operation.name
            raise ValueError(
                f"Model '{model_name}': the output(s) of {needing} depend on Input {name!r}, which is not among the "
                f"model's inputs ({given}). Add it to inputs=[...], or compute the output(s) from the "
                "given inputs only."
            )
        for x in node.input_tensors:
            if id(x) not in computable:
                raise ValueError(
                    f"Model '{model_name}': {_describe(x)}, an input of '{node.operation.name}', cannot be "
                    f"computed from the model's inputs ({given}). Build every output from "
                    "kerastorch.Input(...) tensors through layers and ops, and list those Inputs in "
                    "inputs=[...]."
                )
        computable.update(id(x) for x in node.outputs)
    for x in outputs:
        if id(x) not in computable:
            raise ValueError(f"Model '{model_name}': the output {_describe(x)} is not computed from the "
                             f"model's inputs ({given}).")


def _depends_on(tensor, target, input_ids):
    seen, stack = set(), [tensor]
    while stack:
        t = stack.pop()
        node = _node_of(t)
        if node is None or node in seen or (not node.is_input and id(t) in input_ids):
            continue
        if node is target:
            return True
        seen.add(node)
        stack.extend(node.input_tensors)
    return False


def clone_graph_nodes(inputs, outputs):
    """Gives intermediate tensors used as model inputs their own `Input`, re-recording the nodes between.

    Keras' way of making `Model(hidden_tensor, output)`: the nodes from those tensors to the
    outputs are recorded again (on the same layers, so weights are shared) from new Inputs
    named `<tensor name>CLONE`.

    Returns:
        `(inputs, outputs)` in the structures given, with new KerasTensors.
    """
    from kerastorch.layers.core import Input, InputLayer
    from kerastorch.ops._tree import flatten, pack_sequence_as

    flat_inputs, flat_outputs = flatten(inputs), flatten(outputs)
    ordered, _ = _build_map(flat_inputs, flat_outputs)
    mapping = {}
    new_inputs = []
    for x in flat_inputs:
        node = _node_of(x)
        if node is not None and node.is_input:
            new_inputs.append(x)
            mapping[id(x)] = x
            continue
        op = getattr(x, "_keras_history", (None,))[0]
        clone = Input(batch_shape=x.shape, dtype=x.dtype, name=f"{x.name}CLONE",
                      optional=isinstance(op, InputLayer) and op.optional)
        new_inputs.append(clone)
        mapping[id(x)] = clone

    def swap(value):
        if not isinstance(value, KerasTensor):
            return value
        if id(value) not in mapping:
            node = _node_of(value)
            if node is not None and node.is_input:
                return value        # an Input not among `inputs`: kept, so the check below names it
            mapping[id(value)] = KerasTensor(value.shape, dtype=value.dtype, name=f"{value.name}_clone")
        return mapping[id(value)]

    from kerastorch.layers.symbolic import map_structure

    new_outputs = []
    for x in flat_outputs:
        copy = mapping.get(id(x))
        if copy is None:
            copy = KerasTensor(x.shape, dtype=x.dtype, name=f"{x.name}_clone")
            mapping[id(x)] = copy
        new_outputs.append(copy)
    for node in ordered:
        if node.is_input:
            continue
        outs = [swap(o) for o in node.outputs]
        Node(node.operation, map_structure(swap, node.args), map_structure(swap, node.kwargs), outs)
    return pack_sequence_as(inputs, new_inputs), pack_sequence_as(outputs, new_outputs)


# --------------------------------------------------------------------------- the plan
class _Slot:
    """Stands for the value of slot `index` in a step's argument template."""

    __slots__ = ("index",)

    def __init__(self, index):
        self.index = index


def _template(value, slots):
    if isinstance(value, KerasTensor):
        return _Slot(slots[id(value)])
    if isinstance(value, (list, tuple)):
        items = [_template(v, slots) for v in value]
        return type(value)(items) if not hasattr(value, "_fields") else type(value)(*items)
    if isinstance(value, dict):
        return {k: _template(v, slots) for k, v in value.items()}
    return value


def _fill(template, values):
    if isinstance(template, _Slot):
        return values[template.index]
    if isinstance(template, (list, tuple)):
        items = [_fill(v, values) for v in template]
        return type(template)(items) if not hasattr(template, "_fields") else type(template)(*items)
    if isinstance(template, dict):
        return {k: _fill(v, values) for k, v in template.items()}
    return template


class Plan:
    """The steps that compute a Functional model's outputs, made once from its graph.

    Each step is `(callable, kind, arguments, output slots, is_layer, single)`: kind 0 takes one
    slot as its only argument (the common case, no templating), kind 2 one list of slots (a merge
    layer's inputs), kind 1 fills an argument template.
    Values live in a list indexed by slot; inputs take the first slots.
    """

    def __init__(self, graph, inputs, outputs):
        from kerastorch.layers.base import Layer
        from kerastorch.ops._tree import flatten

        slots = {id(x): i for i, x in enumerate(inputs)}
        steps = []
        merge_specs = {}           # step index -> the (shape, dtype) of each input of a list step
        for node in graph.execution_order():
            if node.is_input:
                continue
            op = node.operation
            is_layer = isinstance(op, Layer)
            fn = op if is_layer else op._invoke_fn()
            if len(node.args) == 1 and not node.kwargs and isinstance(node.args[0], KerasTensor):
                kind, arguments = 0, slots[id(node.args[0])]
            elif (len(node.args) == 1 and not node.kwargs and type(node.args[0]) is list and node.args[0]
                  and all(isinstance(v, KerasTensor) for v in node.args[0])):
                kind, arguments = 2, tuple(slots[id(v)] for v in node.args[0])     # a merge layer's list
                merge_specs[len(steps)] = [(tuple(v.shape), v.dtype) for v in node.args[0]]
            else:
                kind, arguments = 1, (_template(node.args, slots), _template(node.kwargs, slots))
            out_slots = []
            for x in node.outputs:
                slots[id(x)] = len(slots)
                out_slots.append(slots[id(x)])
            # A lone output tensor is stored as is; several (or one in a list) are flattened.
            single = len(node.outputs) == 1 and _returns_bare_tensor(node)
            steps.append((fn, kind, arguments, tuple(out_slots), is_layer, single))
        self.steps = steps
        self._merge_specs = merge_specs
        self.size = len(slots)
        self.output_slots = [slots[id(x)] for x in outputs]
        self._flatten = flatten
        self._direct = None        # per step: how to run a plain layer's call directly (made at the first run)

    def __getstate__(self):
        state = dict(self.__dict__)
        state["_direct"] = None     # functions made at the first run (not picklable): made again
        return state

    def final_layer(self):
        """The layer whose output is the plan's only output and the last step's, or None.

        That layer's activation can then be left out (`without_final_activation`): no other
        step reads its output.
        """
        if len(self.output_slots) != 1 or not self.steps:
            return None
        fn, kind, arguments, out_slots, is_layer, single = self.steps[-1]
        if not (is_layer and kind == 0 and single and out_slots == (self.output_slots[0],)):
            return None
        return fn

    def without_final_activation(self):
        """A plan computing the same graph, but the last layer's output before its activation (logits)."""
        layer = self.final_layer()
        plan = Plan.__new__(Plan)
        plan.__dict__.update(self.__dict__)
        fn, kind, arguments, out_slots, _, single = self.steps[-1]
        plan.steps = self.steps[:-1] + [(layer._call_without_activation, kind, arguments, out_slots, False, single)]
        plan._direct = None
        return plan

    def _make_direct(self):
        """For each step, `layers.base.plain_call` of its layer (a plain layer's call is then made
        directly, without the module-call machinery), else None. Torch hooks or a tensor carrying
        a Keras mask still send the step through `layer(...)` (checked at each run)."""
        from kerastorch.layers import base

        specs = getattr(self, "_merge_specs", {})
        self._direct = [
            (base.plain_call(fn) if kind == 0 else _direct_merge(fn, specs.get(i))) if is_layer and single else None
            for i, (fn, kind, _, _, is_layer, single) in enumerate(self.steps)]
        return self._direct

    def run(self, flat_inputs, training=None):
        """The flat list of output values for `flat_inputs` (one value per model input)."""
        values = list(flat_inputs) + [None] * (self.size - len(flat_inputs))
        flatten = self._flatten
        direct = self._direct if self._direct is not None else self._make_direct()
        no_global_hooks = not (_torch_module._global_forward_hooks or _torch_module._global_forward_pre_hooks)
        for (fn, kind, arguments, out_slots, is_layer, single), plain in zip(self.steps, direct):
            if kind == 0:
                x = values[arguments]
                if (plain is not None and no_global_hooks and type(x) is torch.Tensor and not fn._forward_hooks
                        and not fn._forward_pre_hooks and getattr(x, "_keras_mask", None) is None):
                    call, dtype, takes_training = plain
                    if x.dtype is not dtype and x.is_floating_point():
                        x = x.to(dtype)       # Keras' cast to the compute dtype, as forward does
                    if takes_training:
                        y = call(x, training=_resolve_training(fn) if training is None else training)
                    else:
                        y = call(x)
                elif training is None or not is_layer:
                    y = fn(x)
                else:
                    y = fn(x, training=training)
            elif kind == 2:
                xs = [values[i] for i in arguments]
                y = None
                if plain is not None and no_global_hooks and not fn._forward_hooks and not fn._forward_pre_hooks:
                    y = _run_direct_merge(plain, xs)
                if y is None:
                    y = fn(xs) if training is None or not is_layer else fn(xs, training=training)
            else:
                args = _fill(arguments[0], values)
                kwargs = _fill(arguments[1], values)
                if training is not None and is_layer:
                    kwargs["training"] = training
                y = fn(*args, **kwargs)
            if single:
                values[out_slots[0]] = y
            else:
                for slot, v in zip(out_slots, flatten(y)):
                    values[slot] = v
        return [values[i] for i in self.output_slots]


def _resolve_training(layer):
    from kerastorch.layers.base import resolve_training

    return resolve_training(layer)


def _direct_merge(layer, specs):
    """`(torch function, dtypes)` computing a merge layer's output for inputs of the recorded shapes
    and dtypes (the shape checks were made when the graph was built), else None.

    Only for kerastorch's own merge layers, called as they are (their own `__call__`/`forward`,
    no activity regularizer or autocast), whose inputs have one dtype (the layer's compute dtype
    when floating) and fully known, equal shapes after the batch axis (Concatenate: equal but on
    its axis): there the layer's `call` computes exactly this torch function. The values are
    checked again at each run (`_run_direct_merge`).
    """
    from kerastorch.layers.base import Layer
    from kerastorch.layers.merging import base as merging, concatenation, elementwise

    cls = type(layer)
    if (not specs or len(specs) < 2 or cls.__call__ is not Layer.__call__ or cls.forward is not merging.Merge.forward
            or not layer.built or layer.activity_regularizer is not None or layer._autocast_torch_dtype is not None
            or layer.input_spec is not None):
        return None
    shapes = [shape for shape, _ in specs]
    dtypes = {dtype for _, dtype in specs}
    if len(dtypes) != 1 or any(len(s) < 2 or None in s[1:] for s in shapes):
        return None
    dtype = to_torch_dtype(dtypes.pop())
    if dtype.is_floating_point and dtype is not layer._compute_torch_dtype:
        return None
    if cls is concatenation.Concatenate:
        rank = len(shapes[0])
        axis = layer.axis % rank if -rank <= layer.axis < rank else None
        if (axis is None or axis == 0
                or any(len(s) != rank or s[1:axis] != shapes[0][1:axis] or s[axis + 1:] != shapes[0][axis + 1:]
                       for s in shapes)):
            return None
        return (lambda xs: torch.cat(xs, dim=axis)), dtype
    if any(s[1:] != shapes[0][1:] for s in shapes):
        return None
    if cls is elementwise.Add:
        return _chain(torch.add), dtype
    if cls is elementwise.Subtract and len(shapes) == 2:
        return (lambda xs: torch.sub(xs[0], xs[1])), dtype
    if cls is elementwise.Multiply:
        return _chain(torch.mul), dtype
    if cls is elementwise.Maximum:
        return _chain(torch.maximum), dtype
    if cls is elementwise.Minimum:
        return _chain(torch.minimum), dtype
    if cls is elementwise.Average and dtype.is_floating_point:
        add = _chain(torch.add)
        return (lambda xs: add(xs) / len(xs)), dtype
    return None


def _chain(op):
    """`op` folded over a list from the left, as the merge layers combine their inputs."""
    def run(xs):
        out = op(xs[0], xs[1])
        for x in xs[2:]:
            out = op(out, x)
        return out
    return run


def _run_direct_merge(direct, xs):
    """The merge of `xs` by `direct` (see `_direct_merge`), or None when the values are not the
    plain tensors it was made for (a mask, another dtype or batch size: the layer is called then)."""
    fn, dtype = direct
    batch = None
    for x in xs:
        if type(x) is not torch.Tensor or x.dtype is not dtype or getattr(x, "_keras_mask", None) is not None:
            return None
        if batch is None:
            batch = x.shape[0]
        elif x.shape[0] != batch:
            return None
    return fn(xs)


def _returns_bare_tensor(node):
    return not node._nested_outputs

