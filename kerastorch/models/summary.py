"""`summary()`: the table of layers, output shapes and parameter counts, as Keras prints it."""

import numpy as np

from kerastorch.layers.base import format_shape


def _readable_size(num_bytes):
    for unit in ("B", "KB", "MB", "GB"):
        if num_bytes < 1024 or unit == "GB":
            return f"{num_bytes:.2f} {unit}"
        num_bytes /= 1024


def _weight_bytes(weights):
    return int(sum(int(np.prod(w.shape)) * w.element_size() for w in weights))


def print_summary(model, rows, line_length=None, print_fn=None):
    """Prints a Keras-style summary table.

    Args:
        model: The model (for its name, weights and optimizer).
        rows: List of `(name, type name, output shape or None, param count or None)`.
        line_length: Total width of the table. Defaults to 76.
        print_fn: Function to print each line with. Defaults to `print`.
    """
    print_fn = print_fn or print
    widths = [33, 24, 15]
    if line_length:
        scale = line_length / (sum(widths) + 4)
        widths = [max(int(w * scale), 10) for w in widths]
    def row(cells, align=("<", "<", ">"), sep="│"):
        # Long cells wrap onto more lines, as Keras' table does.
        chunks = [[c[i:i + w - 2] for i in range(0, max(len(c), 1), w - 2)] for c, w in zip(cells, widths)]
        height = max(len(c) for c in chunks)
        out = []
        for r in range(height):
            parts = [f" {(ch[r] if r < len(ch) else ''):{a}{w - 2}} " for ch, a, w in zip(chunks, align, widths)]
            out.append(sep + sep.join(parts) + sep)
        return "\n".join(out)

    lines = [f'Model: "{model.name}"',
             "┏" + "┳".join("━" * w for w in widths) + "┓",
             row(("Layer (type)", "Output Shape", "Param #"), sep="┃"),
             "┡" + "╇".join("━" * w for w in widths) + "┩"]
    for i, (name, kind, shape, params) in enumerate(rows):
        lines.append(row((f"{name} ({kind})", format_shape(shape) if shape is not None else "?",
                          f"{params:,}" if params is not None else "0 (unbuilt)")))
        if i < len(rows) - 1:
            lines.append("├" + "┼".join("─" * w for w in widths) + "┤")
    lines.append("└" + "┴".join("─" * w for w in widths) + "┘")
    trainable = model.trainable_weights if model.built else []
    non_trainable = model.non_trainable_weights if model.built else []
    every = list(trainable) + list(non_trainable)
    total_count = sum(int(np.prod(w.shape)) for w in every)
    tr_count = sum(int(np.prod(w.shape)) for w in trainable)
    nt_count = total_count - tr_count
    opt_vars = []
    optimizer = getattr(model, "optimizer", None)
    if optimizer is not None and getattr(model, "_optimizer_built", False):
        opt_vars = list(getattr(optimizer, "variables", []) or [])
    opt_count = sum(int(np.prod(getattr(v, "shape", ()))) for v in opt_vars)
    opt_bytes = _weight_bytes([v for v in opt_vars if hasattr(v, "element_size")])
    lines.append(f" Total params: {total_count + opt_count:,} "
                 f"({_readable_size(_weight_bytes(every) + opt_bytes)})")
    lines.append(f" Trainable params: {tr_count:,} ({_readable_size(_weight_bytes(trainable))})")
    lines.append(f" Non-trainable params: {nt_count:,} ({_readable_size(_weight_bytes(non_trainable))})")
    if opt_vars:
        lines.append(f" Optimizer params: {opt_count:,} ({_readable_size(opt_bytes)})")
    for line in lines:
        print_fn(line)
