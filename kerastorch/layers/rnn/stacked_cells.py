"""`StackedRNNCells`: several RNN cells run as one, each feeding the next (`RNN([cell_a, cell_b])`)."""

import torch

from kerastorch.layers.base import Layer, resolve_training


def _flatten(states):
    if isinstance(states, torch.Tensor):
        return [states]
    out = []
    for s in states:
        out.extend(_flatten(s))
    return out


def _sizes(size):
    return list(size) if isinstance(size, (list, tuple)) else [size]


class StackedRNNCells(Layer):
    """Wraps a list of RNN cells so that they behave as one: cell `i`'s output is cell `i + 1`'s input.

    `RNN([cell_a, cell_b])` builds one; it is an efficient way to stack recurrent layers.
    `state_size` is the list of the cells' state sizes, as in Keras; `RNN(..., return_state=True)`
    returns every cell's states, flattened, in cell order.

    Args:
        cells: List of RNN cells (`LSTMCell`, `GRUCell`, `SimpleRNNCell`, or layers with a
            `state_size` whose `call(inputs, states)` returns `(output, new_states)`).

    Call arguments:
        inputs: `(batch, features)` tensor, one time step.
        states: The cells' states: a list with one entry (a tensor or a list of tensors) per
            cell, as Keras passes them, or one flat list of all the tensors.
        training: Whether dropout is active.

    Returns: `(output, new_states)`, the states in the structure they were given in.

    Weights: each cell's, in cell order (file paths `cell/cells/<cell_class>/vars`).

    Example:
    >>> import torch
    >>> from kerastorch import layers
    >>> cells = [layers.LSTMCell(8), layers.GRUCell(4)]
    >>> rnn = layers.RNN(cells)
    >>> tuple(rnn(torch.zeros(2, 5, 3)).shape)
    (2, 4)
    >>> rnn.cell.state_size
    [[8, 8], 4]
    """

    def __init__(self, cells, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(cells, (list, tuple)) or not cells:
            raise ValueError(f"StackedRNNCells '{self.name}': `cells` must be a non-empty list of RNN cells, "
                             f"got {cells!r}.")
        for cell in cells:
            if not isinstance(cell, torch.nn.Module) or not hasattr(cell, "state_size"):
                raise ValueError(
                    f"StackedRNNCells '{self.name}': every cell must be a layer with a `state_size` attribute "
                    f"(e.g. layers.LSTMCell(32)), got {cell!r}."
                )
        self._cell_list = torch.nn.ModuleList(cells)

    @property
    def cells(self):
        """The list of cells, in order."""
        return list(self._cell_list)

    def _sublayers(self):
        return [c for c in self._cell_list if isinstance(c, Layer)]

    @property
    def state_size(self):
        """The cells' state sizes, one entry per cell (Keras' nested form)."""
        return [c.state_size for c in self._cell_list]

    def _state_sizes(self):
        return [n for c in self._cell_list for n in _sizes(c.state_size)]

    @property
    def output_size(self):
        """The last cell's output size."""
        last = self._cell_list[-1]
        if getattr(last, "output_size", None) is not None:
            return last.output_size
        return _sizes(last.state_size)[0]

    def get_initial_state(self, batch_size=None):
        """Zero states in Keras' nested form: per cell, a tensor or a list of tensors."""
        out = []
        for cell in self._cell_list:
            fn = getattr(cell, "get_initial_state", None)
            if fn is not None:
                out.append(fn(batch_size=batch_size))
            else:
                dtype = self._compute_torch_dtype
                zeros = [torch.zeros(batch_size, n, dtype=dtype) for n in _sizes(cell.state_size)]
                out.append(zeros[0] if isinstance(cell.state_size, int) else zeros)
        return out

    def build(self, input_shape):
        shape = tuple(input_shape)
        for cell in self._cell_list:
            if isinstance(cell, Layer) and not cell.built:
                cell._build_wrapper((shape[0], shape[-1]))
            size = getattr(cell, "output_size", None)
            shape = (shape[0], size if size is not None else _sizes(cell.state_size)[0])
        self.built = True

    def forward(self, inputs, states=None, training=None):
        if not self.built:
            self._build_wrapper((None, *inputs.shape[1:]))
        if training is None:
            training = resolve_training(self)
        return self.call(inputs, states, training=training)

    def call(self, inputs, states=None, training=None):
        cells = list(self._cell_list)
        if states is None:
            states = [None] * len(cells)
        states = [states] if isinstance(states, torch.Tensor) else list(states)
        # Keras passes one entry per cell (a tensor or a list); the RNN loop passes one flat list.
        # With one state per cell the two forms are the same.
        nested = any(s is None or isinstance(s, (list, tuple)) for s in states)
        if nested:
            if len(states) != len(cells):
                raise ValueError(f"StackedRNNCells '{self.name}': expected the states of {len(cells)} cells, "
                                 f"got {len(states)} entries.")
            per_cell = [None if s is None else list(s) if isinstance(s, (list, tuple)) else [s] for s in states]
        else:
            sizes = [len(_sizes(c.state_size)) for c in cells]
            if len(states) != sum(sizes):
                raise ValueError(f"StackedRNNCells '{self.name}': expected {sum(sizes)} state tensors "
                                 f"(state_size={self.state_size}), got {len(states)}.")
            per_cell, i = [], 0
            for n in sizes:
                per_cell.append(states[i:i + n])
                i += n
        x, new_states = inputs, []
        for cell, cell_states in zip(cells, per_cell):
            out = cell(x, cell_states, training=training)
            x, s = out
            new_states.append([s] if isinstance(s, torch.Tensor) else list(s))
        if not nested:
            return x, [t for s in new_states for t in s]
        shaped = [s[0] if isinstance(c.state_size, int) else s for c, s in zip(cells, new_states)]
        return x, shaped

    def _nest_states(self, flat):
        """A flat list of all the states as Keras' `RNN(return_state=True)` returns them: a list per cell."""
        out, i = [], 0
        for cell in self._cell_list:
            n = len(_sizes(cell.state_size))
            out.append(list(flat[i:i + n]))
            i += n
        return out

    def _nest_shapes(self, batch):
        """Keras' `compute_output_shape` form of the states: a tuple per int state size, else a list."""
        return [(batch, c.state_size) if isinstance(c.state_size, int) else [(batch, n) for n in c.state_size]
                for c in self._cell_list]

    def _keras_h5_tree(self):
        from kerastorch.saving.weights_h5 import container_keys, layer_tree

        tree = [("vars", [])]
        for key, cell in zip(container_keys(self.cells), self.cells):
            tree.extend((f"cells/{key}/{path}", slots) for path, slots in layer_tree(cell))
        return tree

    def get_config(self):
        from kerastorch.saving.serialization import serialize_keras_object

        return {**super().get_config(), "cells": [serialize_keras_object(c) for c in self._cell_list]}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        """Creates the stack from `get_config()`'s dict, deserializing each cell."""
        from kerastorch.saving.serialization import deserialize_layer

        config = dict(config)
        cells = [c if isinstance(c, Layer) else deserialize_layer(c, custom_objects=custom_objects)
                 for c in config.pop("cells")]
        return cls(cells, **config)
