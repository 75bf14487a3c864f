"""`summary()`: the table of layers, output shapes and parameter counts, as Keras prints it.

Keras draws the table with `rich`; this module lays it out the same way without it: the
column widths from `positions` and `line_length` (shrunk as rich shrinks a table that is
too wide), cells wrapped at spaces, a word too long for its cell cut with "…", and nested
models indented with "└ " when `expand_nested=True`.
"""

import re
import shutil

import numpy as np

from kerastorch.layers.base import format_shape


def _readable_size(num_bytes):
    for unit in ("B", "KB", "MB", "GB"):
        if num_bytes < 1024 or unit == "GB":
            return f"{num_bytes:.2f} {unit}"
        num_bytes /= 1024


def _weight_bytes(weights):
    # Variables (model weights) report their stored tensor's element size; optimizer state is tensors.
    stored = [w._stored() if hasattr(w, "_stored") else w for w in weights]
    return int(sum(int(np.prod(t.shape)) * t.element_size() for t in stored))


def _count(weights):
    return sum(int(np.prod(w.shape)) for w in weights)


def _ratio_reduce(total, values):
    """rich's `ratio_reduce` with equal ratios: takes `total` off `values`, spread evenly."""
    remaining, left, out = total, len(values), []
    for value in values:
        taken = min(value, round(remaining / left))
        out.append(value - taken)
        remaining -= taken
        left -= 1
    return out


def column_widths(line_length, positions):
    """Widths of the table's columns (padding included), as Keras asks rich for them.

    Keras requests `int(pos * line_length) - previous` per column; rich adds one space of
    padding on each side and, when the table is wider than `line_length` less its borders,
    takes the excess off the columns evenly.

    Example:
    >>> column_widths(76, [0.45, 0.80, 1.0])
    [33, 24, 15]
    """
    requested, current = [], 0
    for pos in positions:
        width = int(pos * line_length) - current
        if width < 4:
            raise ValueError(
                f"Insufficient console width to print summary: line_length={line_length} with "
                f"positions={list(positions)} leaves a column {width} characters wide (4 at least). "
                "Pass a larger line_length, or positions further apart."
            )
        requested.append(width)
        current += width
    padded = [w + 2 for w in requested]
    available = line_length - (len(padded) + 1)
    if sum(padded) > available:
        padded = _ratio_reduce(sum(padded) - available, padded)
    return padded


def wrap_cell(text, width):
    """The lines of a cell `width` wide: wrapped at spaces, an overlong word cut with "…".

    Example:
    >>> wrap_cell("outer_dense_with_a_long_name (Dense)", 12)
    ['outer_dense…', '(Dense)']
    """
    lines, line, offset = [], "", 0
    for word in re.findall(r"\s*\S+\s*", text) or [""]:
        length = len(word.rstrip())
        if offset and width - offset < length:
            lines.append(line)
            line, offset = "", 0
        line += word
        offset += len(word)
    lines.append(line)
    out = []
    for line in lines:
        line = line.rstrip()
        out.append(line if len(line) <= width else line[:width - 1] + "…")
    return out


def _justify(text, width, how):
    if how == "right":
        return text.rjust(width)
    if how == "center":
        excess = width - len(text)
        return " " * (excess // 2) + text + " " * (excess - excess // 2)
    return text.ljust(width)


def _output_shape(layer):
    tensor = getattr(layer, "_output_tensor", None)
    return format_shape(tensor.shape) if tensor is not None else "?"


def _layer_fields(layer, prefix, show_trainable):
    if not getattr(layer, "built", True):
        params = "0 (unbuilt)"
    else:
        params = f"{layer.count_params():,}"
    fields = [f"{prefix}{layer.name} ({type(layer).__name__})", _output_shape(layer), params]
    if show_trainable:
        fields.append(("Y" if layer.trainable else "N") if layer.weights else "-")
    return fields


def _rows(layers, expand_nested, show_trainable, level=0):
    rows = []
    for layer in layers:
        prefix = "   " * level + "└ " if level else ""
        rows.append(_layer_fields(layer, prefix, show_trainable))
        inner = getattr(layer, "layers", None) if expand_nested else None
        if inner:
            rows.extend(_rows(inner, expand_nested, show_trainable, level + 1))
    return rows


def layer_index_range(layers, layer_range):
    """`[first, last + 1]` of the layers `layer_range` (two names or regexes) spans, as Keras."""
    if layer_range is None:
        return [0, len(layers)]
    if len(layer_range) != 2:
        raise ValueError("layer_range must be a list or tuple of length 2 (the first and the last layer "
                         f"name). Received: layer_range = {layer_range} of length {len(layer_range)}")
    if not all(isinstance(name, str) for name in layer_range):
        raise ValueError(f"layer_range should contain string type only. Received: {layer_range}")
    lower = [i for i, layer in enumerate(layers) if re.match(layer_range[0], layer.name)]
    upper = [i for i, layer in enumerate(layers) if re.match(layer_range[1], layer.name)]
    if not lower or not upper:
        raise ValueError(f"Passed layer_names do not match the layer names in the model. Received: "
                         f"{layer_range}. The model's layers: {[layer.name for layer in layers]}.")
    if min(lower) > max(upper):
        return [min(upper), max(lower) + 1]
    return [min(lower), max(upper) + 1]


def summary_text(model, line_length=None, positions=None, expand_nested=False, show_trainable=False,
                 layer_range=None, extra_rows=()):
    """The summary of `model` as one string, laid out as Keras 3 prints it.

    Args:
        model: The model.
        line_length: Total width. Defaults to 88 (100 with `show_trainable`), at most the
            terminal's width less 4, as Keras.
        positions: Right edges of the columns as fractions of `line_length`. Defaults to
            `[0.45, 0.80, 1.0]` (each scaled by 0.9, plus `1.0`, with `show_trainable`).
        expand_nested: Whether to list the layers of nested models under them. Defaults to `False`.
        show_trainable: Whether to add a "Trainable" column (Y, N, or - for no weights).
            Defaults to `False`.
        layer_range: Optional pair of layer names (or regexes): the first and last layer shown.
        extra_rows: More rows `(name, type, output shape text, params text)` after the layers.
    """
    header = ["Layer (type)", "Output Shape", "Param #"]
    align = ["left", "left", "right"]
    default_length = 88
    positions = list(positions or [0.45, 0.80, 1.0])
    if show_trainable:
        default_length += 12
        positions = [p * 0.90 for p in positions] + [1.0]
        header.append("Trainable")
        align.append("center")
    line_length = line_length or min(default_length, shutil.get_terminal_size().columns - 4)
    widths = column_widths(line_length, positions)
    if len(widths) != len(header):
        raise ValueError(f"summary: positions must give {len(header)} column edges, got {len(widths)} "
                         f"(positions={positions}).")
    layers = list(getattr(model, "layers", []))
    first, last = layer_index_range(layers, layer_range)
    rows = _rows(layers[first:last], expand_nested, show_trainable)
    for name, kind, shape, params in extra_rows:
        rows.append([f"{name} ({kind})", shape, params] + (["-"] if show_trainable else []))

    def render(cells, sep, bottom=False):
        wrapped = [wrap_cell(c, w - 2) for c, w in zip(cells, widths)]
        height = max(len(c) for c in wrapped)
        # Body cells sit at the top of their row, header cells at the bottom (rich's layout).
        wrapped = [([""] * (height - len(c)) + c) if bottom else c + [""] * (height - len(c))
                   for c in wrapped]
        return [sep + sep.join(" " + _justify(c[r], w - 2, a) + " "
                               for c, w, a in zip(wrapped, widths, align)) + sep
                for r in range(height)]

    lines = [f'Model: "{model.name}"', "┏" + "┳".join("━" * w for w in widths) + "┓"]
    lines += render(header, "┃", bottom=True)
    lines.append("┡" + "╇".join("━" * w for w in widths) + "┩")
    for i, cells in enumerate(rows):
        lines += render(cells, "│")
        if i < len(rows) - 1:
            lines.append("├" + "┼".join("─" * w for w in widths) + "┤")
    lines.append("└" + "┴".join("─" * w for w in widths) + "┘")

    # Totals over the whole model's weights (built layers' only, when it is half built), as Keras.
    trainable = list(model.trainable_weights)
    non_trainable = list(model.non_trainable_weights)
    optimizer = getattr(model, "optimizer", None)
    opt_vars = []
    if getattr(model, "compiled", False) and optimizer is not None and getattr(model, "_optimizer_built", False):
        opt_vars = list(getattr(optimizer, "variables", []) or [])
    tr_bytes, nt_bytes = _weight_bytes(trainable), _weight_bytes(non_trainable)
    opt_bytes = _weight_bytes([v for v in opt_vars if hasattr(v, "element_size")])
    total = _count(trainable) + _count(non_trainable) + _count(opt_vars)
    lines.append(f" Total params: {total:,} ({_readable_size(tr_bytes + nt_bytes + opt_bytes)})")
    lines.append(f" Trainable params: {_count(trainable):,} ({_readable_size(tr_bytes)})")
    lines.append(f" Non-trainable params: {_count(non_trainable):,} ({_readable_size(nt_bytes)})")
    if opt_vars:
        lines.append(f" Optimizer params: {_count(opt_vars):,} ({_readable_size(opt_bytes)})")
    # Keras' rich console is as wide as the terminal (80 columns when there is none): a
    # wider table is cut at its edge.
    console = shutil.get_terminal_size().columns
    return "\n".join(line[:console] for line in lines) + "\n"


def print_summary(model, line_length=None, positions=None, print_fn=None, expand_nested=False,
                  show_trainable=False, layer_range=None, extra_rows=()):
    """Prints `summary_text(...)`: with `print_fn`, one call with the whole table, as Keras does.

    Example:
    >>> import kerastorch
    >>> from kerastorch import layers
    >>> model = kerastorch.Sequential([layers.Input(shape=(3,)), layers.Dense(2, name="d")])
    >>> print_summary(model, line_length=60)   # doctest: +NORMALIZE_WHITESPACE
    Model: "sequential"
    ┏━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━┓
    ┃ Layer (type)             ┃ Output Shape      ┃   Param # ┃
    ┡━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━┩
    │ d (Dense)                │ (None, 2)         │         8 │
    └──────────────────────────┴───────────────────┴───────────┘
     Total params: 8 (32.00 B)
     Trainable params: 8 (32.00 B)
     Non-trainable params: 0 (0.00 B)
    """
    text = summary_text(model, line_length, positions, expand_nested, show_trainable, layer_range, extra_rows)
    if print_fn is None:
        print(text, end="")
    else:
        print_fn(text)
