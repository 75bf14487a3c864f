"""Layer wrappers: `Bidirectional` (an RNN run both ways) and `TimeDistributed` (a layer per time step)."""

import contextlib

import torch

from kerastorch import variables as _variables
from kerastorch.layers import base as _base
from kerastorch.layers.base import Layer, format_shape
from kerastorch.layers.rnn.base import RNN

_MERGE_MODES = ("concat", "sum", "mul", "ave", None)


def _as_list(x):
    return list(x) if isinstance(x, (list, tuple)) else [x]


@contextlib.contextmanager
def _in_wrapper_scope(wrapper, layer):
    """Runs `layer` as Keras' TimeDistributed runs it, through its `call`: the layer's own name scope
    does not open, so the sublayers its call builds get the wrapper's path
    (`time_distributed/dense/kernel`, not `time_distributed/blocks/dense/kernel`).

    Only while `layer` still holds unbuilt sublayers (it would open its scope then); a built one
    is called as any layer is. The layer's bookkeeping (`_kt_call_scope`, the state lock after the
    call that built its sublayers) is kept as its own scoped call keeps it.
    """
    if not (layer.built and layer.__dict__.get("_kt_call_scope", True)):
        yield
        return
    with _base.building_call(layer), _variables.name_scope_of(wrapper):
        yield


class Bidirectional(Layer):
    """Runs a recurrent layer forwards and a copy of it backwards, and merges the two outputs.

    The forward copy is named `forward_<layer.name>` and the backward one
    `backward_<layer.name>` (with `go_backwards` flipped), as in Keras; the wrapped
    layer itself only serves as a template. With `return_sequences`, the backward
    outputs are re-reversed so that step `t` of both halves describes the same input
    step, and masked steps output zeros.

    Args:
        layer: A recurrent layer (`LSTM`, `GRU`, `SimpleRNN`, `RNN`).
        merge_mode: How to combine the two outputs: `"concat"` (default, last axis
            doubled), `"sum"`, `"mul"`, `"ave"`, or `None` (a list `[forward, backward]`).
        weights: Optional list of initial weights (forward layer's, then backward's).
        backward_layer: Optional recurrent layer to use for the backward direction; it
            must have the opposite `go_backwards` and the same `return_sequences` and
            `return_state` as `layer`.

    Input shape: `(batch, timesteps, features)`. Output shape: that of `layer`, with
    the last axis doubled for `"concat"`. Weights: the forward cell's, then the backward cell's.

    Example:
    >>> import torch
    >>> from kerastorch import layers
    >>> layer = layers.Bidirectional(layers.LSTM(4))
    >>> tuple(layer(torch.zeros(2, 5, 3)).shape)
    (2, 8)
    >>> [tuple(w.shape) for w in layer.get_weights()]
    [(3, 16), (4, 16), (16,), (3, 16), (4, 16), (16,)]
    """

    def __init__(self, layer, merge_mode="concat", weights=None, backward_layer=None, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(layer, RNN):
            raise ValueError(
                f"Bidirectional '{self.name}': `layer` must be a recurrent layer (LSTM, GRU, SimpleRNN or "
                f"RNN), got {layer!r} ({type(layer).__name__}). Wrap e.g. layers.LSTM(32)."
            )
        if merge_mode not in _MERGE_MODES:
            raise ValueError(
                f"Bidirectional '{self.name}': invalid merge_mode={merge_mode!r}. Use one of "
                "'concat', 'sum', 'mul', 'ave' or None."
            )
        if backward_layer is not None:
            if not isinstance(backward_layer, RNN):
                raise ValueError(
                    f"Bidirectional '{self.name}': `backward_layer` must be a recurrent layer, got "
                    f"{backward_layer!r}."
                )
            if backward_layer.go_backwards == layer.go_backwards:
                raise ValueError(
                    f"Bidirectional '{self.name}': `backward_layer` must have the opposite go_backwards "
                    f"of `layer` (both have go_backwards={layer.go_backwards}). Create it with "
                    f"go_backwards={not layer.go_backwards}."
                )
            for attr in ("return_sequences", "return_state"):
                if getattr(backward_layer, attr) != getattr(layer, attr):
                    raise ValueError(
                        f"Bidirectional '{self.name}': `layer` and `backward_layer` must agree on {attr} "
                        f"(got {getattr(layer, attr)} and {getattr(backward_layer, attr)})."
                    )
        config = layer.get_config()
        config.pop("batch_input_shape", None)
        self.forward_layer = type(layer).from_config({**config, "name": "forward_" + layer.name})
        if backward_layer is None:
            backward_layer = type(layer).from_config({**config, "name": "backward_" + layer.name,
                                                      "go_backwards": not layer.go_backwards})
        self.backward_layer = backward_layer
        for sub in (self.forward_layer, self.backward_layer):
            # Keras: masked steps of the sequences output zeros, so both halves line up.
            sub.zero_output_for_mask = sub.return_sequences
        self.merge_mode = merge_mode
        self.return_sequences = layer.return_sequences
        self.return_state = layer.return_state
        self.supports_masking = True
        if self._batch_input_shape is None and layer._batch_input_shape is not None:
            self._batch_input_shape = layer._batch_input_shape
        self._initial_weights = weights

    def build(self, input_shape):
        self.forward_layer._build_wrapper(input_shape)
        self.backward_layer._build_wrapper(input_shape)
        self.built = True
        if self._initial_weights is not None:
            self.set_weights(self._initial_weights)
            self._initial_weights = None

    def _merge(self, y, y_rev):
        if self.merge_mode == "concat":
            return torch.cat([y, y_rev], dim=-1)
        if self.merge_mode == "sum":
            return y + y_rev
        if self.merge_mode == "ave":
            return (y + y_rev) / 2
        if self.merge_mode == "mul":
            return y * y_rev
        return [y, y_rev]

    def call(self, inputs, training=None, mask=None, initial_state=None):
        forward_state = backward_state = None
        if initial_state is not None:
            states = _as_list(initial_state)
            half = len(states) // 2
            forward_state, backward_state = states[:half], states[half:]
        y = self.forward_layer(inputs, training=training, mask=mask, initial_state=forward_state)
        y_rev = self.backward_layer(inputs, training=training, mask=mask, initial_state=backward_state)
        states = []
        if self.return_state:
            states = list(y[1:]) + list(y_rev[1:])
            y, y_rev = y[0], y_rev[0]
        if self.return_sequences:
            y_rev = y_rev.flip(1)
        output = self._merge(y, y_rev)
        if self.return_state:
            return _as_list(output) + states
        return output

    def compute_output_shape(self, input_shape):
        shape = self.forward_layer.compute_output_shape(input_shape)
        states = []
        if self.return_state:
            shape, states = shape[0], list(shape[1:])
            states = states + states
        shape = tuple(shape)
        if self.merge_mode == "concat":
            out = [(*shape[:-1], shape[-1] * 2)]
        elif self.merge_mode is None:
            out = [shape, shape]
        else:
            out = [shape]
        out = out + states
        return out[0] if len(out) == 1 else out

    def compute_mask(self, inputs, previous_mask=None):
        if previous_mask is None or not self.return_sequences:
            return None
        return [previous_mask, previous_mask] if self.merge_mode is None else previous_mask

    def get_config(self):
        def entry(layer):
            return {"module": "keras.layers", "class_name": type(layer).__name__,
                    "config": layer.get_config(), "registered_name": None}
        return {**super().get_config(), "merge_mode": self.merge_mode,
                "layer": entry(self.forward_layer), "backward_layer": entry(self.backward_layer)}

    @classmethod
    def from_config(cls, config):
        from kerastorch.saving.serialization import build_from_config, deserialize_layer

        config = dict(config)

        def load(entry, built=True):
            if entry is None or isinstance(entry, Layer):
                return entry
            if not built:
                entry = {k: v for k, v in entry.items() if k != "build_config"}
            return deserialize_layer(entry, where="Bidirectional config")

        forward = config.pop("layer")
        layer = load(forward, built=False)      # __init__ makes the forward layer anew from it
        backward = load(config.pop("backward_layer", None))
        if layer.name.startswith("forward_"):
            layer.name = layer.name[len("forward_"):]
        wrapper = cls(layer, backward_layer=backward, **config)
        if isinstance(forward, dict):
            # Keras' copy of a built layer is built from its build_config, outside this wrapper's scope.
            build_from_config(wrapper.forward_layer, forward.get("build_config"))
        return wrapper


class TimeDistributed(Layer):
    """Applies a layer to every time step: `(batch, T, ...)` is folded into `(batch * T, ...)`.

    One set of weights serves all steps (e.g. a `Dense` classifying each step of an RNN's
    output sequence, or a `Conv2D` on each frame of a video).

    Args:
        layer: The layer applied to each step.

    Input shape: `(batch, timesteps, ...)`. Output shape: `(batch, timesteps, *inner_output[1:])`.
    Weights: the inner layer's.

    Example:
    >>> import torch
    >>> from kerastorch import layers
    >>> layer = layers.TimeDistributed(layers.Dense(8))
    >>> tuple(layer(torch.zeros(2, 10, 3)).shape)
    (2, 10, 8)
    """

    def __init__(self, layer, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(layer, torch.nn.Module):
            raise ValueError(
                f"TimeDistributed '{self.name}': `layer` must be a layer, got {layer!r} "
                f"({type(layer).__name__}). Wrap e.g. layers.Dense(10)."
            )
        if not isinstance(layer, Layer):
            from kerastorch.layers.base import TorchModuleWrapper
            layer = TorchModuleWrapper(layer)
        self.layer = layer
        self.supports_masking = True

    def _check(self, input_shape):
        if len(input_shape) < 3:
            raise ValueError(
                f"TimeDistributed '{self.name}' expects input with at least 3 axes (batch, timesteps, "
                f"...), got shape {format_shape((None, *tuple(input_shape)[1:]))}. It applies "
                f"'{self.layer.name}' to every time step; without a time axis use the layer directly."
            )

    def build(self, input_shape):
        self._check(input_shape)
        # Keras builds the layer with its `build` alone (no trace of its call): what its call
        # builds is built by the first call, in this wrapper's scope.
        eager, _base._EAGER_BUILD[0] = _base._EAGER_BUILD[0], True
        try:
            self.layer._build_wrapper((None, *tuple(input_shape)[2:]))
        finally:
            _base._EAGER_BUILD[0] = eager
        self.built = True

    def call(self, inputs, training=None, mask=None):
        self._check(tuple(inputs.shape))
        batch, steps = inputs.shape[0], inputs.shape[1]
        folded = inputs.reshape(batch * steps, *inputs.shape[2:])
        with _in_wrapper_scope(self, self.layer):
            outputs = self.layer(folded, training=training)
        return outputs.reshape(batch, steps, *outputs.shape[1:])

    def compute_output_shape(self, input_shape):
        self._check(input_shape)
        with _in_wrapper_scope(self, self.layer):
            inner = self.layer.compute_output_shape((None, *tuple(input_shape)[2:]))
        return (input_shape[0], input_shape[1], *tuple(inner)[1:])

    def get_config(self):
        from kerastorch.saving.serialization import serialize_layer

        # As Keras' Wrapper: the layer's full serialization (a custom layer's module and registered name).
        return {**super().get_config(), "layer": serialize_layer(self.layer)}

    @classmethod
    def from_config(cls, config):
        from kerastorch.saving.serialization import deserialize_layer

        config = dict(config)
        entry = config.pop("layer")
        # As Keras: any serializable layer (a registered custom one too), built from its build_config.
        layer = entry if isinstance(entry, Layer) else deserialize_layer(entry, where="TimeDistributed config")
        return cls(layer, **config)
