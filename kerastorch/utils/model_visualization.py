"""`model_to_dot`: a model's layer stack as a `pydot` graph, as in Keras (needs the `pydot` package).

`plot_model` (in `plotting.py`) draws the same diagram without pydot; this is for code that wants
the `pydot.Dot` object itself.
"""

from kerastorch.utils.plotting import _boxes, _dot, _edges


def _pydot():
    try:
        import pydot
    except ImportError:
        raise ImportError("model_to_dot needs pydot (`pip install pydot`), which is not installed. Without it, "
                          "kerastorch.utils.plot_model(model, 'model.dot') writes the same graph as DOT text, "
                          "and 'model.svg' / 'model.png' draw it.") from None
    return pydot


def model_to_dot(model, show_shapes=False, show_dtype=False, show_layer_names=True, rankdir="TB",
                 expand_nested=False, dpi=200, subgraph=False, show_layer_activations=False, show_trainable=False,
                 splines="ortho", **kwargs):
    """Converts a model's layer stack to a `pydot.Dot` graph (one node per layer, in order).

    Args:
        model: A built `Sequential` (or a model with a `layers` list).
        show_shapes: Whether to show output shapes. Defaults to `False`.
        show_dtype: Whether to show dtypes. Defaults to `False`.
        show_layer_names: Whether to show layer names. Defaults to `True`.
        rankdir: `"TB"` (top to bottom) or `"LR"`. Defaults to `"TB"`.
        expand_nested: Expanding nested models into clusters is not supported: `True` raises.
            Defaults to `False`.
        dpi: Resolution attribute of the graph. Defaults to `200`.
        subgraph: Whether to return a `pydot.Cluster` (for nesting) instead of a `pydot.Dot`.
            Defaults to `False`.
        show_layer_activations: Whether to show each layer's activation. Defaults to `False`.
        show_trainable: Whether to mark frozen layers. Defaults to `False`.
        splines: Graphviz edge style (`"ortho"`, `"curved"`, `"polyline"`, `"spline"`,
            `"line"`). Defaults to `"ortho"`.

    Returns:
        A `pydot.Dot` (or `pydot.Cluster` with `subgraph=True`).

    Raises:
        ImportError: pydot is not installed (the message says what to use instead).
        ValueError: the model is not built.

    Example:
    >>> import kerastorch
    >>> from kerastorch import layers
    >>> model = kerastorch.Sequential([layers.Input(shape=(4,)), layers.Dense(2)])
    >>> dot = model_to_dot(model, show_shapes=True)  # doctest: +SKIP
    >>> dot.to_string()                              # doctest: +SKIP
    """
    if kwargs:
        raise TypeError(f"model_to_dot() got unexpected keyword arguments {sorted(kwargs)}.")
    if rankdir not in ("TB", "LR"):
        raise ValueError(f"model_to_dot: `rankdir` must be 'TB' or 'LR', got rankdir={rankdir!r}.")
    if not getattr(model, "built", True):
        raise ValueError(f"model_to_dot: model {getattr(model, 'name', '')!r} is not built yet. Build it first "
                         f"(give it an Input, call model.build(input_shape), or call it on a batch).")
    if expand_nested:
        raise NotImplementedError("model_to_dot: expand_nested=True (nested models as clusters) is not supported; "
                                  "draw the inner model with its own model_to_dot call.")
    pydot = _pydot()
    boxes = _boxes(model, show_shapes, show_dtype, show_layer_names, show_trainable)
    if show_layer_activations:
        for lines, layer in zip(boxes, model.layers):
            activation = getattr(layer, "activation", None)
            if activation is not None:
                lines.append(f"activation: {getattr(activation, '__name__', type(activation).__name__)}")
    name = getattr(model, "name", "model")
    parsed = pydot.graph_from_dot_data(_dot(name, boxes, rankdir, edges=_edges(model, False, len(boxes))))[0]
    graph = pydot.Cluster(graph_name=name, style="dashed", label=name, labeljust="l") if subgraph else pydot.Dot()
    if not subgraph:
        graph.set("rankdir", rankdir)
        graph.set("concentrate", True)
        graph.set("dpi", dpi)
        graph.set("splines", splines)
        graph.set_node_defaults(shape="record")
    for node in parsed.get_nodes():
        if node.get_name() not in ("node", "graph", "edge"):
            node.set("fontname", "Helvetica")
            graph.add_node(node)
    for edge in parsed.get_edges():
        graph.add_edge(edge)
    return graph
