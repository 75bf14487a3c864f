"""The `RNN` layer, shared by `SimpleRNN`, `LSTM` and `GRU`: runs a cell over the time axis.

The cells and the layout of their weights are in `cell_base.py` (`RNNCellBase`). The layer runs
the sequence one of two ways, with the same results (within float rounding):

* the fused path: `torch.lstm` / `torch.gru` / `torch.rnn_tanh` / `torch.rnn_relu` (oneDNN on
  CPU, cuDNN on GPU), given the parameters themselves (no per-call transposes or copies, which
  the kernels would otherwise make forward and backward); Keras' single bias is torch's
  `b_ih`, and `b_hh` a constant zero buffer; right-padded masks go through packed sequences;
* a Python loop over time with Keras' cell equations, for everything else (other
  activations, GRU `reset_after=False`, recurrent dropout in training, masks with holes).

The most common call (no mask, no initial state, not stateful, no dropout active) runs the fused
kernel with its parameter list and zero initial states kept between calls (`fused_plan.py`):
what `predict` repeats per batch is the kernel call and little else.
"""

import torch
from torch.nn.utils.rnn import PackedSequence, pack_padded_sequence, pad_packed_sequence

from kerastorch import regularizers
from kerastorch.layers.base import (Layer, _set_output_masks, _snake_case, convert_inputs, format_shape,
                                   unique_name)
from kerastorch.layers.base import resolve_training
from kerastorch.layers.rnn import fused_plan
# The cell base and its helpers lived here before `cell_base.py`: importable from here as before.
from kerastorch.layers.rnn.cell_base import (RNNCellBase, _bias_layout, _check_rate,  # noqa: F401
                                             _check_units, _dropout_mask, _kernel_layout,
                                             _reorder_blocks, _serialize_or_none)


def _right_padding_lengths(mask):
    """Lengths `(B,)` if every row of the boolean mask `(B, T)` is ones then zeros, else `None` (one host sync)."""
    lengths = mask.sum(dim=1)
    steps = torch.arange(mask.shape[1], device=mask.device)
    if bool((mask == (steps[None, :] < lengths[:, None])).all()):
        return lengths
    return None


class RNN(Layer):
    """Base class for recurrent layers: runs a cell over the time axis of its input.

    Args:
        cell: An RNN cell (`SimpleRNNCell`, `LSTMCell`, `GRUCell`, or any layer whose
            `call(inputs, states)` returns `(output, new_states)` and that has
            `state_size`), or a list of cells, run as one `StackedRNNCells`.
        return_sequences: Whether to return the output at every step `(B, T, units)`
            or only the last one `(B, units)`. Defaults to `False`.
        return_state: Whether to return `[output, *final_states]`. Defaults to `False`.
        go_backwards: Whether to process the sequence in reverse; with
            `return_sequences` the outputs stay in processing (reversed) order, as in
            Keras. Defaults to `False`.
        stateful: Whether the final states of a batch are the initial states of the
            next (fixed batch size; `reset_states()` clears them). Defaults to `False`.
        unroll: Accepted for Keras compatibility; the result is the same either way.
            Defaults to `False`.
        zero_output_for_mask: Whether masked steps output zeros (`True`) or repeat the
            previous output (`False`, Keras' default; `Bidirectional` sets it to
            `return_sequences`). Defaults to `False`.

    Call arguments:
        inputs: `(batch, timesteps, features)` tensor.
        mask: Optional boolean `(batch, timesteps)`; masked steps keep the previous
            states and output, as in Keras.
        training: Whether dropout is active.
        initial_state: Optional list of initial state tensors.

    Input shape: `(batch, timesteps, features)`. Output shape: `(batch, units)`, or
    `(batch, timesteps, units)` with `return_sequences`; with `return_state` a list
    `[output, *states]`, each state `(batch, units)`.

    Example:
    >>> import torch
    >>> from kerastorch import layers
    >>> layer = layers.RNN(layers.LSTMCell(4), return_sequences=True)
    >>> tuple(layer(torch.zeros(2, 5, 3)).shape)
    (2, 5, 4)
    """

    def __init__(self, cell, return_sequences=False, return_state=False, go_backwards=False,
                 stateful=False, unroll=False, zero_output_for_mask=False, activity_regularizer=None,
                 **kwargs):
        super().__init__(**kwargs)
        if isinstance(cell, (list, tuple)):       # Keras: a list of cells runs as StackedRNNCells
            from kerastorch.layers.rnn.stacked_cells import StackedRNNCells

            cell = StackedRNNCells(list(cell))
        if not isinstance(cell, torch.nn.Module) or not hasattr(cell, "state_size"):
            raise TypeError(
                f"{type(self).__name__} layer '{self.name}': `cell` must be an RNN cell layer with a "
                f"`state_size` attribute (e.g. layers.LSTMCell(32)), got {cell!r}."
            )
        self.cell = cell
        self.return_sequences = bool(return_sequences)
        self.return_state = bool(return_state)
        self.go_backwards = bool(go_backwards)
        self.stateful = bool(stateful)
        self.unroll = bool(unroll)
        self.zero_output_for_mask = bool(zero_output_for_mask)
        self.supports_masking = True
        self.activity_regularizer = regularizers.get(activity_regularizer)
        self._states = None
        # Tests turn this off to run the Python loop on a configuration the fused kernel covers.
        self._fast_path_enabled = True
        self._last_path = None

    # ------------------------------------------------------------------ shapes
    def _check_input_shape(self, shape):
        if len(shape) != 3:
            shape = tuple(shape)
            if len(shape) == 2:
                n = "features" if shape[1] is None else shape[1]
                fix = (f" Add a time axis: with {n} steps of one feature each, put "
                       f"layers.Reshape(({n}, 1)) before it (or pass x[..., None]); with one step of "
                       f"{n} features, layers.Reshape((1, {n})). For integer word ids, put "
                       "layers.Embedding(vocab_size, dim) first.")
            else:
                fix = (" Reshape the data to (batch, timesteps, features), e.g. with layers.Reshape, or "
                       "wrap per-step layers in layers.TimeDistributed.")
            raise ValueError(
                f"{type(self).__name__} layer '{self.name}' expects 3D input (batch, timesteps, "
                f"features), got shape {format_shape((None, *shape[1:]))} ({len(shape)} axes).{fix}"
            )

    def build(self, input_shape):
        self._check_input_shape(input_shape)
        if not self.cell.built:
            self.cell._build_wrapper((None, input_shape[-1]))
        self.built = True

    def compute_output_shape(self, input_shape):
        self._check_input_shape(input_shape)
        units = self.cell.output_size
        out = (input_shape[0], input_shape[1], units) if self.return_sequences else (input_shape[0], units)
        if self.return_state:
            nest = getattr(self.cell, "_nest_shapes", None)
            if nest is not None:
                return [out, *nest(input_shape[0])]
            return [out] + [(input_shape[0], n) for n in self.cell._state_sizes()]
        return out

    def compute_mask(self, inputs, previous_mask=None):
        if previous_mask is None or not self.return_sequences:
            return None
        return previous_mask

    def reset_states(self):
        """Clears the carried states of a stateful layer (the next batch starts from zeros)."""
        self._states = None

    reset_state = reset_states

    @property
    def states(self):
        """The carried states of a stateful layer (`None` until the first batch)."""
        return self._states

    # ------------------------------------------------------------------ calling
    def forward(self, inputs, training=None, mask=None, initial_state=None):
        if (mask is None and initial_state is None and type(inputs) is torch.Tensor and self.built
                and not self.stateful and self._fast_path_enabled and self._autocast_torch_dtype is None
                and self.activity_regularizer is None and type(self).call is RNN.call
                and inputs.dtype is self._compute_torch_dtype and getattr(inputs, "_keras_mask", None) is None):
            # The common call: one fused kernel with its arguments worked out once (fused_plan.py).
            cell = self._modules.get("cell")
            if isinstance(cell, RNNCellBase):
                if training is None:
                    training = resolve_training(self)
                outputs = fused_plan.run(self, cell, inputs, training)
                if outputs is not None:
                    return outputs
        if not isinstance(inputs, torch.Tensor):   # numpy arrays and lists, as Layer.forward
            inputs = convert_inputs(self, inputs)
        if not self.built:
            self._check_input_shape(tuple(inputs.shape))
            self._build_wrapper((None, *inputs.shape[1:]))
        if training is None:
            training = resolve_training(self)
        if mask is None:
            mask = getattr(inputs, "_keras_mask", None)    # Keras' eager mask, set by the layer before
        first = inputs
        if inputs.dtype is not self._compute_torch_dtype and inputs.is_floating_point():
            inputs = inputs.to(self._compute_torch_dtype)     # Keras' cast to the compute dtype
        kwargs = dict(initial_state=initial_state, mask=mask, training=training)
        if self._autocast_torch_dtype is None:
            outputs = self.call(inputs, **kwargs)
        else:
            outputs = self._call_with_autocast(inputs, kwargs)
        if self.activity_regularizer is not None:
            self._add_activity_loss(outputs)     # every output (states too), as Keras' Layer.__call__
        if mask is not None and self.supports_masking:
            _set_output_masks(self, first, outputs, mask)
        return outputs

    def _initial_states(self, batch, initial_state, like):
        cell = self.cell
        if (initial_state is None and self._states is None and isinstance(cell, RNNCellBase)
                and type(cell).get_initial_state is RNNCellBase.get_initial_state):
            # The common case, without the generic path's conversions: zeros like the inputs.
            return [torch.zeros(batch, n, dtype=like.dtype, device=like.device) for n in cell._state_sizes()]
        if initial_state is not None:
            states = [initial_state] if isinstance(initial_state, torch.Tensor) else list(initial_state)
            sizes = cell._state_sizes()
            if len(states) != len(sizes):
                raise ValueError(
                    f"{type(self).__name__} layer '{self.name}' expects {len(sizes)} initial state "
                    f"tensor(s) of shape (batch, {sizes[0]}), got {len(states)}."
                )
            return [torch.as_tensor(s, dtype=like.dtype, device=like.device) for s in states]
        if self.stateful and self._states is not None:
            if self._states[0].shape[0] != batch:
                raise ValueError(
                    f"{type(self).__name__} layer '{self.name}' is stateful and carries states for a batch "
                    f"of {self._states[0].shape[0]}, but got a batch of {batch}. Use the same batch size "
                    "for every batch (fit(..., batch_size=..., shuffle=False)), or call reset_states()."
                )
            return list(self._states)
        if hasattr(cell, "get_initial_state"):
            try:
                states = cell.get_initial_state(batch)
            except TypeError:
                states = cell.get_initial_state(batch_size=batch)
            from kerastorch.layers.rnn.stacked_cells import _flatten

            states = _flatten(states)      # StackedRNNCells gives Keras' nested form
            return [s.to(device=like.device, dtype=like.dtype) for s in states]
        return [torch.zeros(batch, n, dtype=like.dtype, device=like.device) for n in cell._state_sizes()]

    def call(self, sequences, initial_state=None, mask=None, training=None):
        self._check_input_shape(tuple(sequences.shape))
        cell = self.cell
        weight = getattr(cell, "kernel", None)
        dtype = weight.dtype if isinstance(weight, torch.Tensor) else torch.float32
        if sequences.dtype != dtype:
            sequences = sequences.to(dtype)      # Keras casts inputs to the layer's compute dtype
        batch, steps = sequences.shape[0], sequences.shape[1]
        states = self._initial_states(batch, initial_state, sequences)

        lengths = None
        if mask is not None:
            mask = torch.as_tensor(mask, device=sequences.device)
            if mask.dim() == 3:
                mask = mask[..., 0]
            mask = mask.to(torch.bool)
            if torch.compiler.is_exporting() or torch.jit.is_tracing():
                # An exported program must hold for every padding: no look at the mask's values
                # (that choice would be frozen to the example's); the step loop applies any mask.
                lengths = None
            else:
                lengths = _right_padding_lengths(mask)
                if lengths is not None and bool((lengths == steps).all()):
                    mask = lengths = None       # nothing is masked: the plain path is the same

        if isinstance(cell, RNNCellBase):
            in_masks, rec_masks = cell._make_masks(sequences, states, training,
                                                   per_gate=cell.recurrent_dropout > 0)
            spec = cell._fused_spec() if self._fast_path_enabled else None
            if spec is not None and rec_masks is None and (mask is None or lengths is not None):
                x = sequences if in_masks is None else sequences * in_masks[:, None]
                if getattr(self, "use_cudnn", "auto") is False and x.is_cuda:
                    with torch.backends.cudnn.flags(enabled=False):
                        seq, finals = self._run_fused(spec, x, states, lengths)
                else:
                    seq, finals = self._run_fused(spec, x, states, lengths)
                path = "fused"
            else:
                x = sequences.flip(1) if self.go_backwards else sequences
                m = None if mask is None else (mask.flip(1) if self.go_backwards else mask)
                seq, finals = self._run_loop(cell._project(x, in_masks), states, m, rec_masks)
                path = "loop"
        else:
            x = sequences.flip(1) if self.go_backwards else sequences
            m = None if mask is None else (mask.flip(1) if self.go_backwards else mask)
            seq, finals = self._run_loop(x, states, m, None, raw_cell=True, training=training)
            path = "loop"
        object.__setattr__(self, "_last_path", path)   # a plain attribute: skip Module.__setattr__

        if self.stateful:
            self._states = carried_states(finals)
        if self.return_sequences:
            output = seq
        elif path == "fused" and lengths is None:
            # Unmasked fused run: the last output is the final hidden state itself (the hand-written
            # loop's h_n[-1]); no select on the sequence, whose backward would scatter into zeros.
            output = finals[0]
        else:
            output = seq[:, -1]
        if self.return_state:
            nest = getattr(cell, "_nest_states", None)     # StackedRNNCells: one list per cell, as Keras
            return [output, *(finals if nest is None else nest(finals))]
        return output

    def _run_loop(self, inputs, states, mask, rec_masks, raw_cell=False, training=None):
        """Keras' step loop: a masked step keeps the states and repeats the previous output (or zeros)."""
        cell = self.cell
        outputs = []
        prev = None
        for t in range(inputs.shape[1]):
            if raw_cell:
                out, new_states = cell(inputs[:, t], states, training=training)
                new_states = [new_states] if isinstance(new_states, torch.Tensor) else list(new_states)
            else:
                out, new_states = cell._step(inputs[:, t], states, rec_masks)
            if mask is not None:
                keep = mask[:, t, None]
                if prev is None or self.zero_output_for_mask:
                    prev = torch.zeros_like(out)
                out = torch.where(keep, out, prev)
                new_states = [torch.where(keep, n, s) for n, s in zip(new_states, states)]
            outputs.append(out)
            prev, states = out, new_states
        return torch.stack(outputs, dim=1), list(states)

    def _run_fused(self, spec, x, states, lengths):
        """One fused torch kernel over the sequence; right-padded masks via packed sequences.

        Under CPU autocast (a mixed policy) the kernel runs in the weights' float32 and its outputs
        are cast to the autocast dtype: oneDNN has no bfloat16 LSTM primitive on CPUs without
        bfloat16 instructions ("could not create a primitive descriptor").
        """
        if x.device.type == "cpu" and torch.is_autocast_enabled("cpu"):
            dtype = torch.get_autocast_dtype("cpu")
            with torch.autocast("cpu", enabled=False):
                out, finals = self._run_fused_kernel(spec, x, [s.float() for s in states], lengths)
            return out.to(dtype), [f.to(dtype) for f in finals]
        return self._run_fused_kernel(spec, x, states, lengths)

    def _run_fused_kernel(self, spec, x, states, lengths):
        name, params, has_biases = spec
        fn = getattr(torch, name)
        if x.dtype != params[0].dtype:
            x = x.to(params[0].dtype)
        steps = x.shape[1]
        hx = [s.unsqueeze(0) for s in states]
        # train=True keeps cuDNN able to backpropagate; dropout between layers is 0 anyway.
        train = torch.is_grad_enabled()
        if lengths is None:
            if self.go_backwards:
                x = x.flip(1)
            if name == "lstm":
                out, h, c = fn(x, hx, params, has_biases, 1, 0.0, train, False, True)
                return out, [h[0], c[0]]
            out, h = fn(x, hx[0], params, has_biases, 1, 0.0, train, False, True)
            return out, [h[0]]

        batch = x.shape[0]
        units = states[0].shape[-1]
        t = torch.arange(steps, device=x.device)[None, :]
        lens = lengths[:, None]
        if self.go_backwards:
            # Keras flips the sequence and its mask, so the padding comes first and outputs
            # zeros; the valid steps run last-to-first. Run the valid part reversed...
            rev = (lens - 1 - t).clamp(min=0)
            x = x.gather(1, rev[..., None].expand(-1, -1, x.shape[-1]))
        clamped = lengths.clamp(min=1)         # pack_padded_sequence rejects empty rows
        packed = pack_padded_sequence(x, clamped.cpu(), batch_first=True, enforce_sorted=False)
        order, back = packed.sorted_indices, packed.unsorted_indices
        hx_sorted = [h[:, order] for h in hx]
        if name == "lstm":
            data, h, c = fn(packed.data, packed.batch_sizes, hx_sorted, params, has_biases, 1, 0.0, train, False)
            finals = [h[0][back], c[0][back]]
        else:
            data, h = fn(packed.data, packed.batch_sizes, hx_sorted[0], params, has_biases, 1, 0.0, train, False)
            finals = [h[0][back]]
        out, _ = pad_packed_sequence(PackedSequence(data, packed.batch_sizes, order, back),
                                     batch_first=True, total_length=steps)
        if self.go_backwards:
            # ...and shift it right by the padding length: positions before it read zeros.
            idx = (t + lens) % steps
            out = out.gather(1, idx[..., None].expand(-1, -1, units))
        elif not self.zero_output_for_mask:
            # Masked steps after the end repeat the last valid output, as Keras does.
            idx = torch.minimum(t, (lens - 1).clamp(min=0)).expand(batch, -1)
            out = out.gather(1, idx[..., None].expand(-1, -1, units))
        empty = lengths == 0
        if bool(empty.any()):
            out = torch.where(empty[:, None, None], torch.zeros_like(out), out)
            finals = [torch.where(empty[:, None], s, f) for s, f in zip(states, finals)]
        return out, finals

    # ------------------------------------------------------------------ config
    def _rnn_config(self):
        return {**Layer.get_config(self), "return_sequences": self.return_sequences,
                "return_state": self.return_state, "go_backwards": self.go_backwards,
                "stateful": self.stateful, "unroll": self.unroll,
                "zero_output_for_mask": self.zero_output_for_mask}

    def get_config(self):
        config = self._rnn_config()
        cell_config = self.cell.get_config() if hasattr(self.cell, "get_config") else {}
        config["cell"] = {"module": "keras.layers", "class_name": type(self.cell).__name__,
                          "config": cell_config, "registered_name": None}
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        cell = config.pop("cell")
        if isinstance(cell, dict):
            from kerastorch import layers as _layers
            cell = getattr(_layers, cell["class_name"]).from_config(cell["config"])
        return cls(cell, **config)


class _KerasRNN(RNN):
    """Base of `SimpleRNN`, `LSTM`, `GRU`: the cell's arguments sit on the layer, as in Keras."""

    def __init__(self, cell_cls, cell_kwargs, return_sequences, return_state, go_backwards, stateful,
                 unroll, activity_regularizer, kwargs):
        if cell_cls.__name__ not in ("LSTMCell", "GRUCell"):    # Keras' SimpleRNN takes neither
            extra = {k: kwargs[k] for k in ("implementation", "use_cudnn") if k in kwargs}
            if extra:
                raise ValueError(f"Unrecognized keyword arguments passed to {type(self).__name__}: {extra}.")
        kwargs.pop("implementation", None)   # Keras' implementation switch: same math here
        use_cudnn = kwargs.pop("use_cudnn", "auto")
        if use_cudnn not in ("auto", True, False):
            raise ValueError("Invalid value received for argument `use_cudnn`. Expected one of "
                             f"{{'auto', True, False}}. Received: use_cudnn={use_cudnn!r}")
        if "time_major" in kwargs:     # gone from Keras 3, which refuses it
            raise ValueError(f"Unrecognized keyword arguments passed to {type(self).__name__}: "
                             f"{{'time_major': {kwargs['time_major']!r}}}. Keras 3 takes batch-major "
                             "input (batch, timesteps, features): transpose time-major data first.")
        if kwargs.get("name") is None:
            # Named now, so that an error in the cell's arguments can name this layer.
            kwargs["name"] = unique_name(_snake_case(type(self).__name__))
        try:
            # Keras names the cell after its class, unnumbered ("lstm_cell"): weight paths are
            # "lstm_1/lstm_cell/kernel".
            # The cell takes the layer's dtype policy, as Keras passes `dtype` on to it.
            cell = cell_cls(**{"name": _snake_case(cell_cls.__name__), "dtype": kwargs.get("dtype"),
                               **cell_kwargs})
        except (ValueError, TypeError) as e:
            raise type(e)(f"{type(self).__name__} layer '{kwargs['name']}': {e}") from None
        super().__init__(cell, return_sequences=return_sequences, return_state=return_state,
                         go_backwards=go_backwards, stateful=stateful, unroll=unroll,
                         activity_regularizer=activity_regularizer, **kwargs)
        # use_cudnn=False keeps cuDNN out of the fused kernel on CUDA (as Keras keeps it out);
        # "auto" and True use it where torch can (Keras does not fail on True without cuDNN either).
        object.__setattr__(self, "use_cudnn", use_cudnn)

    def __getattr__(self, name):
        # units, activation, dropout, ... live on the cell, as Keras' properties forward them.
        try:
            return super().__getattr__(name)
        except AttributeError:
            cell = self._modules.get("cell")
            if cell is not None and name in _CELL_ATTRIBUTES and hasattr(cell, name):
                return getattr(cell, name)
            raise

    def get_config(self):
        cell_config = self.cell.get_config()
        for key in ("name", "trainable", "dtype", "batch_input_shape"):
            cell_config.pop(key, None)
        return {**self._rnn_config(), **cell_config,
                "activity_regularizer": _serialize_or_none(regularizers, self.activity_regularizer)}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


_CELL_ATTRIBUTES = {"units", "activation", "recurrent_activation", "use_bias", "unit_forget_bias",
                    "reset_after", "kernel_initializer", "recurrent_initializer", "bias_initializer",
                    "kernel_regularizer", "recurrent_regularizer", "bias_regularizer",
                    "kernel_constraint", "recurrent_constraint", "bias_constraint", "dropout",
                    "recurrent_dropout", "seed"}


def carried_states(finals):
    """A stateful layer's final states, kept for its next batch: detached, and never inference tensors
    (those `predict` makes), which training could not use; a state carried from `predict` into `fit`
    works as in Keras, where the states are variables."""
    finals = [s.detach() for s in finals]
    if any(s.is_inference() for s in finals):
        with torch.inference_mode(False):
            finals = [s.clone() for s in finals]
    return finals
