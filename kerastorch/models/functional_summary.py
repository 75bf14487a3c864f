"""`summary()` of a Functional model, as Keras 3 prints it: one row per layer and op, "Connected to".

Rows follow Keras: every operation of the graph in the model's order (Input layers and ops
included). A graph that is a plain chain (one node per depth, each with one input, no shared
layer) is printed as Keras prints a Sequential, without the "Connected to" column; otherwise
each row lists its inputs as `layer[node][tensor]`. The table is laid out by
`kerastorch.models.summary` (rich's column widths and wrapping).

Example:
>>> import kerastorch
>>> from kerastorch import layers
>>> a, b = kerastorch.Input(shape=(2,), name="a"), kerastorch.Input(shape=(2,), name="b")
>>> model = kerastorch.Model([a, b], layers.Dense(1, name="d")(a + b), name="m")
>>> model.summary(line_length=76)   # doctest: +NORMALIZE_WHITESPACE
Model: "m"
┏━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━┓
┃ Layer (type)        ┃ Output Shape      ┃    Param # ┃ Connected to      ┃
┡━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━┩
│ a (InputLayer)      │ (None, 2)         │          0 │ -                 │
├─────────────────────┼───────────────────┼────────────┼───────────────────┤
│ b (InputLayer)      │ (None, 2)         │          0 │ -                 │
├─────────────────────┼───────────────────┼────────────┼───────────────────┤
│ add (Add)           │ (None, 2)         │          0 │ a[0][0], b[0][0]  │
├─────────────────────┼───────────────────┼────────────┼───────────────────┤
│ d (Dense)           │ (None, 1)         │          3 │ add[0][0]         │
└─────────────────────┴───────────────────┴────────────┴───────────────────┘
 Total params: 3 (12.00 B)
 Trainable params: 3 (12.00 B)
 Non-trainable params: 0 (0.00 B)
"""

import shutil

from kerastorch.layers.symbolic import inbound_nodes
from kerastorch.models import summary as _table


def _shape_text(shape):
    # Keras writes `(None, 3)`, and a one-axis shape as `(None)`.
    return "(" + ", ".join("None" if d is None else str(d) for d in shape) + ")"


def output_shape_text(operation):
    """The "Output Shape" cell: the outputs of the operation's last call, as Keras writes them."""
    nodes = inbound_nodes(operation)
    if nodes:
        outputs = nodes[-1].outputs
    else:       # a layer of a nested Sequential: the shape its build inferred
        tensor = operation.__dict__.get("_output_tensor")
        if tensor is None:
            return "?"
        outputs = list(tensor) if isinstance(tensor, (list, tuple)) else [tensor]
    if len(outputs) == 1:
        return _shape_text(outputs[0].shape)
    return "[" + ", ".join(_shape_text(x.shape) for x in outputs) + "]"


def _sequential_like(model):
    nodes = []
    for group in model._nodes_by_depth.values():
        if len(group) > 1 or (len(group) == 1 and len(group[0].input_tensors) > 1):
            return False
        nodes.extend(group)
    for layer in model.layers:
        if sum(1 for node in inbound_nodes(layer) if node in nodes) > 1:
            return False
    return True


def _connections(operation, relevant):
    parts = []
    for node in inbound_nodes(operation):
        if relevant and node not in relevant:
            continue
        for x in node.input_tensors:
            history = x._keras_history
            parts.append(f"{history.operation.name}[{history.node_index}][{history.tensor_index}]")
    return ", ".join(parts) or "-"


def _fields(operation, prefix, connected, relevant, show_trainable):
    if not hasattr(operation, "built"):
        params = "0"
    elif not operation.built:
        params = "0 (unbuilt)"
    else:
        params = f"{operation.count_params():,}"
    fields = [f"{prefix}{operation.name} ({type(operation).__name__})", output_shape_text(operation), params]
    if connected:
        fields.append(_connections(operation, relevant))
    if show_trainable:
        weights = list(getattr(operation, "weights", ()) or ())
        fields.append(("Y" if operation.trainable else "N") if weights else "-")
    return fields


def _rows(operations, connected, relevant, expand_nested, show_trainable, level=0):
    rows = []
    for op in operations:
        prefix = "   " * level + "└ " if level else ""
        rows.append(_fields(op, prefix, connected, relevant, show_trainable))
        inner = list(getattr(op, "layers", None) or []) if expand_nested else []
        if inner:
            rows.extend(_rows(inner, connected, relevant, expand_nested, show_trainable, level + 1))
    return rows


def summary_text(model, line_length=None, positions=None, expand_nested=False, show_trainable=False,
                 layer_range=None):
    """The summary of the Functional `model` as one string (see `Functional.summary`)."""
    connected = not _sequential_like(model)
    if connected:
        default_length, positions = 108, list(positions or [0.3, 0.56, 0.74, 1.0])
        header = ["Layer (type)", "Output Shape", "Param #", "Connected to"]
        align = ["left", "left", "right", "left"]
        relevant = [n for group in model._nodes_by_depth.values() for n in group]
    else:
        default_length, positions = 88, list(positions or [0.45, 0.80, 1.0])
        header, align, relevant = ["Layer (type)", "Output Shape", "Param #"], ["left", "left", "right"], []
    if show_trainable:
        default_length += 12
        positions = [p * 0.90 for p in positions] + [1.0]
        header.append("Trainable")
        align.append("center")
    line_length = line_length or min(default_length, shutil.get_terminal_size().columns - 4)
    widths = _table.column_widths(line_length, positions)
    if len(widths) != len(header):
        raise ValueError(f"summary: positions must give {len(header)} column edges, got {len(widths)} "
                         f"(positions={positions}).")
    operations = model.operations
    first, last = _table.layer_index_range(operations, layer_range)
    rows = _rows(operations[first:last], connected, relevant, expand_nested, show_trainable)

    def render(cells, sep, bottom=False):
        wrapped = [_table.wrap_cell(c, w - 2) for c, w in zip(cells, widths)]
        height = max(len(c) for c in wrapped)
        wrapped = [([""] * (height - len(c)) + c) if bottom else c + [""] * (height - len(c)) for c in wrapped]
        return [sep + sep.join(" " + _table._justify(c[r], w - 2, a) + " " for c, w, a in zip(wrapped, widths, align))
                + sep for r in range(height)]

    lines = [f'Model: "{model.name}"', "┏" + "┳".join("━" * w for w in widths) + "┓"]
    lines += render(header, "┃", bottom=True)
    lines.append("┡" + "╇".join("━" * w for w in widths) + "┩")
    for i, cells in enumerate(rows):
        lines += render(cells, "│")
        if i < len(rows) - 1:
            lines.append("├" + "┼".join("─" * w for w in widths) + "┤")
    lines.append("└" + "┴".join("─" * w for w in widths) + "┘")
    lines += _totals(model)
    console = shutil.get_terminal_size().columns
    return "\n".join(line[:console] for line in lines) + "\n"


def _totals(model):
    trainable = list(model.trainable_weights)
    non_trainable = list(model.non_trainable_weights)
    optimizer = getattr(model, "optimizer", None)
    opt_vars = []
    if getattr(model, "compiled", False) and optimizer is not None and getattr(model, "_optimizer_built", False):
        opt_vars = list(getattr(optimizer, "variables", []) or [])
    count, size, readable = _table._count, _table._weight_bytes, _table._readable_size
    tr_bytes, nt_bytes = size(trainable), size(non_trainable)
    opt_bytes = size([v for v in opt_vars if hasattr(v, "element_size")])
    lines = [f" Total params: {count(trainable) + count(non_trainable) + count(opt_vars):,} "
             f"({readable(tr_bytes + nt_bytes + opt_bytes)})",
             f" Trainable params: {count(trainable):,} ({readable(tr_bytes)})",
             f" Non-trainable params: {count(non_trainable):,} ({readable(nt_bytes)})"]
    if opt_vars:
        lines.append(f" Optimizer params: {count(opt_vars):,} ({readable(opt_bytes)})")
    return lines


def print_summary(model, line_length=None, positions=None, print_fn=None, expand_nested=False,
                  show_trainable=False, layer_range=None):
    """Prints `summary_text(...)`; with `print_fn`, one call with the whole text, as Keras does."""
    text = summary_text(model, line_length, positions, expand_nested, show_trainable, layer_range)
    if print_fn is None:
        print(text, end="")
    else:
        print_fn(text)

