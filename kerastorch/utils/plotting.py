"""`plot_model` (a diagram of the layers: a stack, or a Functional model's graph) and `plot_history` (training curves).

`plot_model` writes Graphviz DOT (`.dot`) or SVG (`.svg`) text itself, with no extra
dependency; other image formats (`.png`, `.pdf`, `.jpg`) are drawn with matplotlib, when it is
installed. `plot_history` needs matplotlib.
"""

import html
import os

from kerastorch.layers.base import format_shape

_MATPLOTLIB_HINT = "Install it with `pip install matplotlib`"


def _require_matplotlib(what):
    try:
        import matplotlib  # noqa: F401
        from matplotlib.figure import Figure
    except ImportError:
        raise ImportError(f"{what} needs matplotlib, which is not installed. {_MATPLOTLIB_HINT}"
                          + (", or write the diagram as text with to_file='model.svg' or 'model.dot'."
                             if what.startswith("plot_model") else ".")) from None
    return Figure


def _is_graph(model):
    return hasattr(model, "_nodes_by_depth") and hasattr(model, "operations")


def _drawn_layers(model, expand_nested, prefix=""):
    """`(layer, label prefix)` in drawing order; nested models expanded into their layers.

    A Functional model (not expanded) is drawn as Keras draws it: every operation of its graph,
    Input layers and ops included."""
    if _is_graph(model) and not expand_nested and not prefix:
        return [(op, "") for op in model.operations]
    out = []
    for layer in list(getattr(model, "layers", None) or []):
        inner = getattr(layer, "layers", None)
        if expand_nested and inner:
            out.extend(_drawn_layers(layer, expand_nested, f"{prefix}{layer.name}/"))
        else:
            out.append((layer, prefix))
    return out


def _boxes(model, show_shapes, show_dtype, show_layer_names, show_trainable, expand_nested=False,
           show_layer_activations=False):
    """One text box per layer: a list of lines each."""
    layers = _drawn_layers(model, expand_nested)
    if not layers:
        raise ValueError(f"plot_model: {type(model).__name__} {getattr(model, 'name', '')!r} has no layers to "
                         f"draw. Pass a Sequential (or a model with a `layers` list).")
    boxes = []
    for layer, prefix in layers:
        kind = type(layer).__name__
        lines = [f"{prefix}{layer.name} ({kind})" if show_layer_names else f"{prefix}{kind}"]
        activation = getattr(layer, "activation", None)
        if show_layer_activations and activation is not None:
            from kerastorch import activations

            try:
                name = activations.serialize(activation)
            except (TypeError, ValueError):
                name = getattr(activation, "__name__", type(activation).__name__)
            lines.append(f"Activation: {name if isinstance(name, str) else name.get('config', '?')}")
        if show_shapes:
            try:
                shape = format_shape(layer.output.shape)
            except (AttributeError, TypeError):
                shape = "?"   # not built yet: no symbolic output
            lines.append(f"output: {shape}")
        if show_dtype:
            lines.append(f"dtype: {getattr(layer, 'dtype', '?')}")
        if show_trainable:
            lines.append("trainable" if getattr(layer, "trainable", True) else "frozen")
        boxes.append(lines)
    return boxes


def _edges(model, expand_nested, count):
    """`(source index, destination index)` of the arrows: a Functional model's connections
    (one per input of each of its calls), else the chain 0 -> 1 -> 2 ..."""
    if not (_is_graph(model) and not expand_nested):
        return [(i, i + 1) for i in range(count - 1)]
    index = {id(op): i for i, op in enumerate(model.operations)}
    edges = []
    for j, op in enumerate(model.operations):
        for node in op.__dict__.get("_inbound_nodes", []):
            if node not in model._nodes:
                continue
            for tensor in node.input_tensors:
                source = index.get(id(tensor._keras_history.operation))
                if source is not None and (source, j) not in edges:
                    edges.append((source, j))
    return edges


def _dot(name, boxes, rankdir, splines="ortho", edges=None):
    out = [f'digraph "{name}" {{', f"  rankdir={rankdir};", f"  splines={splines};",
           '  node [shape=record, fontname="Helvetica"];']
    for i, lines in enumerate(boxes):
        label = "|".join(line.replace("{", r"\{").replace("}", r"\}").replace("|", r"\|")
                         .replace("<", r"\<").replace(">", r"\>").replace('"', r'\"') for line in lines)
        out.append(f'  n{i} [label="{{{label}}}"];')
    edges = [(i, i + 1) for i in range(len(boxes) - 1)] if edges is None else edges
    out += [f"  n{i} -> n{j};" for i, j in edges]
    return "\n".join(out + ["}"]) + "\n"


def _svg(boxes, rankdir, edges=None):
    char_w, line_h, pad, gap = 7.2, 18, 10, 30
    width = max(max(len(line) for line in lines) for lines in boxes) * char_w + 2 * pad
    heights = [len(lines) * line_h + pad for lines in boxes]
    vertical = rankdir == "TB"
    total_w = width + 20 if vertical else len(boxes) * (width + gap) + 20
    total_h = sum(heights) + gap * (len(boxes) - 1) + 20 if vertical else max(heights) + 20
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{total_w:.0f}" height="{total_h:.0f}" '
             f'font-family="Helvetica, Arial, sans-serif" font-size="12">',
             '<defs><marker id="arrow" markerWidth="8" markerHeight="8" refX="7" refY="4" orient="auto">'
             '<path d="M0,0 L8,4 L0,8 z" fill="#444"/></marker></defs>']
    x, y = 10.0, 10.0
    for i, (lines, h) in enumerate(zip(boxes, heights)):
        parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{width:.1f}" height="{h}" rx="4" '
                     f'fill="#eef3fb" stroke="#335"/>')
        for j, line in enumerate(lines):
            weight = ' font-weight="bold"' if j == 0 else ""
            parts.append(f'<text x="{x + pad:.1f}" y="{y + pad + (j + 0.8) * line_h - 4:.1f}"{weight}>'
                         f"{html.escape(line)}</text>")
        chained = edges is None or (i, i + 1) in edges
        if i < len(boxes) - 1:
            if vertical:
                if chained:
                    parts.append(f'<line x1="{x + width / 2:.1f}" y1="{y + h:.1f}" x2="{x + width / 2:.1f}" '
                                 f'y2="{y + h + gap - 2:.1f}" stroke="#444" marker-end="url(#arrow)"/>')
                y += h + gap
            else:
                if chained:
                    parts.append(f'<line x1="{x + width:.1f}" y1="{y + h / 2:.1f}" x2="{x + width + gap - 2:.1f}" '
                                 f'y2="{y + h / 2:.1f}" stroke="#444" marker-end="url(#arrow)"/>')
                x += width + gap
    # A graph's other connections (skips, several inputs) as curves beside the boxes.
    tops = [10.0 + sum(heights[:k]) + gap * k for k in range(len(boxes))]
    lefts = [10.0 + (width + gap) * k for k in range(len(boxes))]
    for n, (i, j) in enumerate(e for e in (edges or []) if e[1] != e[0] + 1):
        bend = 20 + 12 * (n % 4)
        if vertical:
            x1, y1, y2 = 10.0 + width, tops[i] + heights[i] / 2, tops[j] + heights[j] / 2
            parts.append(f'<path d="M{x1:.1f},{y1:.1f} C{x1 + bend:.1f},{y1:.1f} {x1 + bend:.1f},{y2:.1f} '
                         f'{x1 + 2:.1f},{y2:.1f}" fill="none" stroke="#444" marker-end="url(#arrow)"/>')
        else:
            y1, x1, x2 = 10.0 + max(heights), lefts[i] + width / 2, lefts[j] + width / 2
            parts.append(f'<path d="M{x1:.1f},{y1:.1f} C{x1:.1f},{y1 + bend:.1f} {x2:.1f},{y1 + bend:.1f} '
                         f'{x2:.1f},{y1 + 2:.1f}" fill="none" stroke="#444" marker-end="url(#arrow)"/>')
    if edges and any(e[1] != e[0] + 1 for e in edges):
        parts[0] = parts[0].replace(f'width="{total_w:.0f}"', f'width="{total_w + 70:.0f}"') if vertical \
            else parts[0].replace(f'height="{total_h:.0f}"', f'height="{total_h + 70:.0f}"')
    return "\n".join(parts + ["</svg>"]) + "\n"


def _matplotlib_diagram(boxes, rankdir, dpi, path, edges=None):
    Figure = _require_matplotlib("plot_model with a .png/.pdf/.jpg file")
    n = len(boxes)
    vertical = rankdir == "TB"
    longest = max(max(len(line) for line in lines) for lines in boxes)
    rows = max(len(lines) for lines in boxes)
    box_w, box_h = 0.09 * longest + 0.4, 0.22 * rows + 0.2
    fig = Figure(figsize=(box_w + 0.6, n * (box_h + 0.5)) if vertical else (n * (box_w + 0.6), box_h + 0.6))
    ax = fig.add_axes([0, 0, 1, 1])
    ax.set_axis_off()
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    for i, lines in enumerate(boxes):
        cx, cy = (0.5, 1 - (i + 0.5) / n) if vertical else ((i + 0.5) / n, 0.5)
        ax.text(cx, cy, "\n".join(lines), ha="center", va="center", family="monospace", fontsize=9,
                bbox=dict(boxstyle="round,pad=0.5", facecolor="#eef3fb", edgecolor="#335"))
        if i < n - 1 and (edges is None or (i, i + 1) in edges):
            nx, ny = (0.5, 1 - (i + 1.5) / n) if vertical else ((i + 1.5) / n, 0.5)
            start = (cx, cy - 0.28 / n) if vertical else (cx + 0.3 / n, cy)
            end = (nx, ny + 0.28 / n) if vertical else (nx - 0.3 / n, ny)
            ax.annotate("", xy=end, xytext=start, arrowprops=dict(arrowstyle="->", color="#444"))
    for i, j in (e for e in (edges or []) if e[1] != e[0] + 1):   # a graph's skips, as arcs
        centre = (lambda k: (0.5, 1 - (k + 0.5) / n) if vertical else ((k + 0.5) / n, 0.5))
        ax.annotate("", xy=centre(j), xytext=centre(i),
                    arrowprops=dict(arrowstyle="->", color="#444", connectionstyle="arc3,rad=-0.4"))
    fig.savefig(path, dpi=dpi)


def plot_model(model, to_file="model.png", show_shapes=False, show_dtype=False, show_layer_names=False,
               rankdir="TB", expand_nested=False, dpi=200, show_layer_activations=False,
               show_trainable=False, splines="ortho", **kwargs):
    """Draws a model's layer stack as a diagram file, like `keras.utils.plot_model`.

    The format follows the file extension: `.dot` writes Graphviz DOT text and `.svg` an SVG
    image, both without any extra dependency; `.png`, `.pdf`, `.jpg` draw with matplotlib
    (Keras uses pydot and Graphviz; kerastorch needs neither).

    Args:
        model: A `Sequential` (or any model with a `layers` list).
        to_file: Output path. Defaults to `"model.png"`.
        show_shapes: Whether to show each layer's output shape. Defaults to `False`.
        show_dtype: Whether to show each layer's dtype. Defaults to `False`.
        show_layer_names: Whether to show layer names (else class names only). Defaults to
            `False`, as in Keras.
        rankdir: `"TB"` (top to bottom) or `"LR"` (left to right). Defaults to `"TB"`.
        expand_nested: Whether to draw the layers of nested models in their place (labelled
            `outer/`). Defaults to `False`.
        dpi: Resolution of raster images. Defaults to `200`.
        show_layer_activations: Whether to show the activation of layers that have one.
            Defaults to `False`.
        show_trainable: Whether to mark frozen layers. Defaults to `False`.
        splines: Graphviz's edge style, written to `.dot` files (`"ortho"`, `"line"`,
            `"polyline"`, `"curved"`, `"spline"`, `"none"`); a layer stack's edges are
            straight in every style, so the SVG and raster drawings are the same. Defaults
            to `"ortho"`.
        **kwargs: None are accepted: other names raise, as in Keras (`layer_range` is no longer
            supported there either).

    Returns:
        The path written, as a string.

    Raises:
        ImportError: A raster format was asked for without matplotlib installed.
        ValueError: Unknown extension or `rankdir`.

    Example:
    >>> import kerastorch, tempfile, os
    >>> from kerastorch import layers
    >>> model = kerastorch.Sequential([layers.Input(shape=(4,)), layers.Dense(2)])
    >>> path = plot_model(model, os.path.join(tempfile.mkdtemp(), "model.svg"), show_shapes=True)
    >>> "(None, 2)" in open(path).read()
    True
    """
    if kwargs.pop("layer_range", None) is not None:
        raise ValueError("plot_model: argument `layer_range` is no longer supported (as in Keras 3); "
                         "draw a sub-model instead.")
    if kwargs:
        raise ValueError(f"plot_model: unrecognized keyword arguments: {kwargs}. Accepted: show_shapes, "
                         "show_dtype, show_layer_names, rankdir, expand_nested, dpi, "
                         "show_layer_activations, show_trainable, splines.")
    if splines not in ("ortho", "line", "polyline", "curved", "spline", "none", "true", "false"):
        raise ValueError(f"plot_model: `splines` must be a Graphviz splines value ('ortho', 'line', "
                         f"'polyline', 'curved', 'spline', 'none'), got splines={splines!r}.")
    if rankdir not in ("TB", "LR"):
        raise ValueError(f"plot_model: `rankdir` must be 'TB' or 'LR', got rankdir={rankdir!r}.")
    to_file = os.fspath(to_file)
    extension = os.path.splitext(to_file)[1].lower()
    known = (".dot", ".gv", ".svg", ".png", ".pdf", ".jpg", ".jpeg")
    if extension not in known:
        raise ValueError(f"plot_model: cannot tell the format of to_file={to_file!r}; use one of the "
                         f"extensions {', '.join(known)}.")
    boxes = _boxes(model, show_shapes, show_dtype, show_layer_names, show_trainable, expand_nested,
                   show_layer_activations)
    edges = _edges(model, expand_nested, len(boxes))
    if extension in (".dot", ".gv"):
        with open(to_file, "w", encoding="utf-8") as f:
            f.write(_dot(getattr(model, "name", "model"), boxes, rankdir, splines, edges))
    elif extension == ".svg":
        with open(to_file, "w", encoding="utf-8") as f:
            f.write(_svg(boxes, rankdir, edges))
    else:
        _matplotlib_diagram(boxes, rankdir, dpi, to_file, edges)
    return to_file


def plot_history(history, to_file=None, metrics=None, figsize=None):
    """Plots training curves from `model.fit`'s `History`: one panel per metric, with its `val_` twin.

    Args:
        history: The `History` returned by `fit`, or its `.history` dict (`{"loss": [...], ...}`).
        to_file: Optional path to save the figure to (any format matplotlib writes).
            Defaults to `None` (not saved).
        metrics: Optional list of metric names to plot (without `val_`). Defaults to every
            metric in the history.
        figsize: Optional `(width, height)` in inches. Defaults to 4 x 3 per panel.

    Returns:
        The `matplotlib.figure.Figure` (display it in a notebook, or save it yourself).

    Raises:
        ImportError: matplotlib is not installed.

    Example:
    >>> fig = plot_history({"loss": [1.0, 0.5], "val_loss": [1.1, 0.7]})  # doctest: +SKIP
    >>> [ax.get_title() for ax in fig.axes]                               # doctest: +SKIP
    ['loss']
    """
    logs = getattr(history, "history", history)
    if not isinstance(logs, dict) or not logs:
        raise ValueError(f"plot_history expects the History returned by fit() or a dict of lists, got "
                         f"{type(history).__name__}{' (empty)' if isinstance(logs, dict) else ''}.")
    names = [k for k in logs if not k.startswith("val_") and k != "learning_rate"]
    if metrics is not None:
        unknown = [m for m in metrics if m not in logs]
        if unknown:
            raise ValueError(f"plot_history: {unknown} are not in the history; it holds {sorted(logs)}.")
        names = list(metrics)
    Figure = _require_matplotlib("plot_history")
    fig = Figure(figsize=figsize or (4 * len(names), 3))
    axes = fig.subplots(1, len(names), squeeze=False)[0]
    for ax, name in zip(axes, names):
        epochs = range(1, len(logs[name]) + 1)
        ax.plot(epochs, logs[name], marker="o", label=name)
        if f"val_{name}" in logs:
            ax.plot(range(1, len(logs[f"val_{name}"]) + 1), logs[f"val_{name}"], marker="o", label=f"val_{name}")
        ax.set_title(name)
        ax.set_xlabel("epoch")
        ax.legend()
    fig.tight_layout()
    if to_file is not None:
        fig.savefig(os.fspath(to_file))
    return fig


__all__ = ["plot_history", "plot_model"]
