"""Keras' small helpers for custom training steps and graphs: `pack_x_y_sample_weight`,
`unpack_x_y_sample_weight`, `get_source_inputs`."""


def pack_x_y_sample_weight(x, y=None, sample_weight=None):
    """Packs `x`, `y` and `sample_weight` into the tuple `fit` takes from a dataset.

    Args:
        x: Features.
        y: Optional targets. Defaults to `None`.
        sample_weight: Optional sample weights. Defaults to `None`.

    Returns:
        `x` alone (or `(x,)` when `x` is itself a tuple or list, so it is not read as
        `(x, y)`), `(x, y)`, or `(x, y, sample_weight)`.

    Example:
    >>> pack_x_y_sample_weight([1, 2])
    ([1, 2],)
    >>> pack_x_y_sample_weight("x", "y")
    ('x', 'y')
    """
    if y is None:
        return (x,) if isinstance(x, (tuple, list)) else x
    if sample_weight is None:
        return (x, y)
    return (x, y, sample_weight)


def unpack_x_y_sample_weight(data):
    """Unpacks a batch `x`, `(x,)`, `(x, y)` or `(x, y, sample_weight)` into three values.

    Useful in a custom `train_step(self, data)`.

    Args:
        data: The batch (a list counts as a tuple).

    Returns:
        `(x, y, sample_weight)`, with `None` for what the batch lacks.

    Raises:
        ValueError: an empty tuple, or one of more than three items.

    Example:
    >>> unpack_x_y_sample_weight(("x", "y"))
    ('x', 'y', None)
    """
    if isinstance(data, list):
        data = tuple(data)
    if not isinstance(data, tuple):
        return (data, None, None)
    if 1 <= len(data) <= 3:
        return tuple(data) + (None,) * (3 - len(data))
    raise ValueError(f"unpack_x_y_sample_weight: a batch is `x`, `(x,)`, `(x, y)` or `(x, y, sample_weight)`, "
                     f"got a tuple of {len(data)} items: {data!r}. Pack extra inputs into x (a tuple or dict).")


def _flatten(structure):
    if isinstance(structure, dict):
        return [leaf for key in sorted(structure) for leaf in _flatten(structure[key])]
    if isinstance(structure, (list, tuple)):
        return [leaf for item in structure for leaf in _flatten(item)]
    return [structure]


def get_source_inputs(tensor):
    """Returns the input tensors a symbolic tensor is computed from.

    Walks the graph back through each tensor's `_keras_history` (operation, node index,
    tensor index) to the input nodes, as Keras does. A `KerasTensor` with no history (an
    `Input`) is its own source.

    Args:
        tensor: A `KerasTensor`.

    Returns:
        A list of `KerasTensor`s (the object itself, unchanged, if it is not symbolic,
        as in Keras).

    Example:
    >>> import kerastorch
    >>> x = kerastorch.Input(shape=(3,))
    >>> get_source_inputs(x) == [x]
    True
    """
    from kerastorch.layers.base import KerasTensor

    history = getattr(tensor, "_keras_history", None)
    if history is None:
        return [tensor] if isinstance(tensor, KerasTensor) else tensor
    operation, node_index, _ = history
    nodes = getattr(operation, "_inbound_nodes", None) if operation else None
    if not nodes:
        return [tensor]
    node = nodes[node_index]
    if getattr(node, "is_input", False):
        return _flatten(node.output_tensors)
    sources = []
    for parent in _flatten(node.input_tensors):
        for source in get_source_inputs(parent):
            if all(source is not s for s in sources):
                sources.append(source)
    return sources
