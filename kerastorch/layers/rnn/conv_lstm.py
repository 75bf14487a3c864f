"""Convolutional LSTMs: `ConvLSTM1D`, `ConvLSTM2D`, `ConvLSTM3D` (an LSTM whose matmuls are convolutions).

Weights in Keras' layout: `kernel (*kernel_size, in, 4 * filters)`, `recurrent_kernel
(*kernel_size, filters, 4 * filters)`, `bias (4 * filters,)`, gate blocks in Keras' order i, f, c, o
(`unit_forget_bias` sets the f block of the bias to ones). Each step:

    i = rec_act(conv(x, k_i) + b_i + conv_same(h, rk_i))      f, o likewise
    c = f * c + i * act(conv(x, k_c) + b_c + conv_same(h, rk_c));   h = o * act(c)

The input convolution takes `strides`, `padding` and `dilation_rate`; the recurrent one is
always stride 1, `"same"` padding, as in Keras.
"""

import torch

from kerastorch import activations, config, constraints, initializers, regularizers
from kerastorch.layers.base import Layer, format_shape, get_activation
from kerastorch.layers.rnn.base import RNN, carried_states
from kerastorch.layers.rnn.cell_base import _check_rate, _serialize_or_none


def _tuple(layer, value, rank, arg):
    values = (value,) * rank if isinstance(value, int) and not isinstance(value, bool) else tuple(value)
    if len(values) != rank or any(isinstance(v, bool) or not isinstance(v, int) or v < 1 for v in values):
        raise ValueError(f"{type(layer).__name__} layer '{layer.name}': `{arg}` must be an int or a tuple of "
                         f"{rank} positive ints, got {arg}={value!r}.")
    return values


def _conv_length(n, k, s, d, padding):
    if n is None:
        return None
    k_eff = (k - 1) * d + 1
    return (n - k_eff) // s + 1 if padding == "valid" else -(-n // s)


class _ConvLSTMCell(Layer):
    """One step of a convolutional LSTM (Keras' `ConvLSTMCell`, named `conv_lstm_cell`)."""

    def __init__(self, rank, filters, kernel_size, strides=1, padding="valid", data_format=None, dilation_rate=1,
                 activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", unit_forget_bias=True, kernel_regularizer=None,
                 recurrent_regularizer=None, bias_regularizer=None, kernel_constraint=None,
                 recurrent_constraint=None, bias_constraint=None, dropout=0.0, recurrent_dropout=0.0, seed=None,
                 **kwargs):
        super().__init__(**kwargs)
        self.rank = rank
        if isinstance(filters, bool) or not isinstance(filters, int) or filters < 1:
            raise ValueError(f"ConvLSTM{rank}D: `filters` must be a positive int, got filters={filters!r}.")
        self.filters = filters
        self.kernel_size = _tuple(self, kernel_size, rank, "kernel_size")
        self.strides = _tuple(self, strides, rank, "strides")
        padding = padding.lower() if isinstance(padding, str) else padding
        if padding not in ("valid", "same"):
            raise ValueError(f"ConvLSTM{rank}D: `padding` must be 'valid' or 'same', got padding={padding!r}.")
        self.padding = padding
        self.data_format = config.standardize_data_format(data_format)
        self.dilation_rate = _tuple(self, dilation_rate, rank, "dilation_rate")
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise ValueError(f"ConvLSTM{rank}D: `strides > 1` is not compatible with `dilation_rate > 1`; got "
                             f"strides={self.strides} and dilation_rate={self.dilation_rate}. Use one of them.")
        self.activation = get_activation(self, "activation", activation)
        self.recurrent_activation = get_activation(self, "recurrent_activation", recurrent_activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.recurrent_initializer = initializers.get(recurrent_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.unit_forget_bias = bool(unit_forget_bias)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.recurrent_regularizer = regularizers.get(recurrent_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.recurrent_constraint = constraints.get(recurrent_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.dropout = _check_rate(self, "dropout", dropout)
        self.recurrent_dropout = _check_rate(self, "recurrent_dropout", recurrent_dropout)
        self.seed = seed
        self._generator = None
        self.state_size = -1     # as Keras: the states are feature maps, sized at build

    def build(self, input_shape):
        cf = self.data_format == "channels_first"
        spatial = tuple(input_shape[2:] if cf else input_shape[1:-1])
        channels = input_shape[1] if cf else input_shape[-1]
        if None in spatial or channels is None:
            raise ValueError(f"ConvLSTM{self.rank}D: the spatial axes and the channel axis must be known, got "
                             f"a step input shape {format_shape(input_shape)}.")
        self.spatial_dims, self.input_dim = spatial, int(channels)
        f4 = 4 * self.filters
        self.kernel = self.add_weight(shape=self.kernel_size + (self.input_dim, f4), name="kernel",
                                      initializer=self.kernel_initializer, regularizer=self.kernel_regularizer,
                                      constraint=self.kernel_constraint)
        self.recurrent_kernel = self.add_weight(shape=self.kernel_size + (self.filters, f4), name="recurrent_kernel",
                                                initializer=self.recurrent_initializer,
                                                regularizer=self.recurrent_regularizer,
                                                constraint=self.recurrent_constraint)
        if self.use_bias:
            init = self.bias_initializer
            if self.unit_forget_bias:
                f, base = self.filters, self.bias_initializer
                ones = initializers.get("ones")

                def init(shape, dtype=None):      # i: initializer, f: ones, c and o: initializer
                    return torch.cat([torch.as_tensor(base((f,), dtype=dtype)), torch.as_tensor(ones((f,), dtype=dtype)),
                                      torch.as_tensor(base((2 * f,), dtype=dtype))])
            self.bias = self.add_weight(shape=(f4,), name="bias", initializer=init,
                                        regularizer=self.bias_regularizer, constraint=self.bias_constraint)
        else:
            self.bias = None
        self.built = True

    def output_shape_for(self, step_shape):
        """The output (and state) shape of one step of input shape `step_shape` (batch included)."""
        cf = self.data_format == "channels_first"
        spatial = step_shape[2:] if cf else step_shape[1:-1]
        out = tuple(_conv_length(n, k, s, d, self.padding)
                    for n, k, s, d in zip(spatial, self.kernel_size, self.strides, self.dilation_rate))
        return (step_shape[0], self.filters, *out) if cf else (step_shape[0], *out, self.filters)

    def get_initial_state(self, batch_size=None):
        cf = self.data_format == "channels_first"
        step = (batch_size, self.input_dim, *self.spatial_dims) if cf else (batch_size, *self.spatial_dims,
                                                                           self.input_dim)
        shape = self.output_shape_for(step)
        ref = self.kernel
        return [torch.zeros(shape, dtype=ref.dtype, device=ref.device) for _ in range(2)]

    def _masks(self, like, rate):
        if self.seed is not None and self._generator is None:
            self._generator = torch.Generator(device=like.device)
            self._generator.manual_seed(int(self.seed))
        return [torch.empty_like(like).bernoulli_(1.0 - rate, generator=self._generator) / (1.0 - rate)
                for _ in range(4)]

    def _step(self, x, h, c, in_masks=None, rec_masks=None):
        from kerastorch.ops import conv

        ks = self.kernel.chunk(4, dim=-1)
        rks = self.recurrent_kernel.chunk(4, dim=-1)
        bs = self.bias.chunk(4) if self.bias is not None else [None] * 4
        bias_shape = (1, -1) + (1,) * self.rank if self.data_format == "channels_first" else (-1,)
        pre = []
        for g in range(4):
            xg = x if in_masks is None else x * in_masks[g]
            hg = h if rec_masks is None else h * rec_masks[g]
            z = conv(xg, ks[g], strides=self.strides, padding=self.padding, data_format=self.data_format,
                     dilation_rate=self.dilation_rate)
            if bs[g] is not None:
                z = z + bs[g].reshape(bias_shape)
            pre.append(z + conv(hg, rks[g], strides=1, padding="same", data_format=self.data_format))
        i = self.recurrent_activation(pre[0])
        f = self.recurrent_activation(pre[1])
        c = f * c + i * self.activation(pre[2])
        o = self.recurrent_activation(pre[3])
        h = o * self.activation(c)
        return h, c

    def get_config(self):
        return {**super().get_config(), "filters": self.filters, "kernel_size": self.kernel_size,
                "strides": self.strides, "padding": self.padding, "data_format": self.data_format,
                "dilation_rate": self.dilation_rate, "activation": activations.serialize(self.activation),
                "recurrent_activation": activations.serialize(self.recurrent_activation),
                "use_bias": self.use_bias,
                "kernel_initializer": initializers.serialize(self.kernel_initializer),
                "recurrent_initializer": initializers.serialize(self.recurrent_initializer),
                "bias_initializer": initializers.serialize(self.bias_initializer),
                "unit_forget_bias": self.unit_forget_bias,
                "kernel_regularizer": _serialize_or_none(regularizers, self.kernel_regularizer),
                "recurrent_regularizer": _serialize_or_none(regularizers, self.recurrent_regularizer),
                "bias_regularizer": _serialize_or_none(regularizers, self.bias_regularizer),
                "kernel_constraint": _serialize_or_none(constraints, self.kernel_constraint),
                "recurrent_constraint": _serialize_or_none(constraints, self.recurrent_constraint),
                "bias_constraint": _serialize_or_none(constraints, self.bias_constraint),
                "dropout": self.dropout, "recurrent_dropout": self.recurrent_dropout, "seed": self.seed}


_CELL_ARGS = ("filters", "kernel_size", "strides", "padding", "data_format", "dilation_rate", "activation",
              "recurrent_activation", "use_bias", "kernel_initializer", "recurrent_initializer", "bias_initializer",
              "unit_forget_bias", "kernel_regularizer", "recurrent_regularizer", "bias_regularizer",
              "kernel_constraint", "recurrent_constraint", "bias_constraint", "dropout", "recurrent_dropout", "seed")


class _ConvLSTM(RNN):
    _rank = 2

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None, dilation_rate=1,
                 activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", unit_forget_bias=True, kernel_regularizer=None,
                 recurrent_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, recurrent_constraint=None, bias_constraint=None, dropout=0.0,
                 recurrent_dropout=0.0, seed=None, return_sequences=False, return_state=False,
                 go_backwards=False, stateful=False, **kwargs):
        values = dict(locals())
        cell = _ConvLSTMCell(self._rank, **{k: values[k] for k in _CELL_ARGS}, name="conv_lstm_cell",
                             dtype=kwargs.get("dtype"))
        super().__init__(cell, return_sequences=return_sequences, return_state=return_state,
                         go_backwards=go_backwards, stateful=stateful, activity_regularizer=activity_regularizer,
                         **kwargs)

    def __getattr__(self, name):
        # filters, kernel_size, ... live on the cell, as Keras' properties forward them.
        try:
            return super().__getattr__(name)
        except AttributeError:
            cell = self._modules.get("cell")
            if cell is not None and name in _CELL_ARGS:
                return getattr(cell, name)
            raise

    def _check_input_shape(self, shape):
        if len(shape) != self._rank + 3:
            raise ValueError(
                f"{type(self).__name__} layer '{self.name}' expects inputs of rank {self._rank + 3} (batch, "
                f"timesteps, {self._rank} spatial axes and channels), got shape "
                f"{format_shape((None, *tuple(shape)[1:]))}."
            )

    def build(self, input_shape):
        self._check_input_shape(input_shape)
        if not self.cell.built:
            self.cell._build_wrapper((input_shape[0], *input_shape[2:]))
        self.built = True

    def compute_output_shape(self, input_shape):
        self._check_input_shape(input_shape)
        state = self.cell.output_shape_for((input_shape[0], *input_shape[2:]))
        out = (input_shape[0], input_shape[1], *state[1:]) if self.return_sequences else state
        return [out, state, state] if self.return_state else out

    def compute_mask(self, inputs, previous_mask=None):
        out = previous_mask if self.return_sequences else None
        return [out, None, None] if self.return_state else out

    def call(self, sequences, initial_state=None, mask=None, training=None):
        self._check_input_shape(tuple(sequences.shape))
        cell = self.cell
        batch, steps = sequences.shape[0], sequences.shape[1]
        if initial_state is not None:
            states = [initial_state] if isinstance(initial_state, torch.Tensor) else list(initial_state)
            if len(states) != 2:
                raise ValueError(f"{type(self).__name__} layer '{self.name}' expects 2 initial state tensors "
                                 f"(h and c), got {len(states)}.")
            h, c = (torch.as_tensor(s, dtype=sequences.dtype, device=sequences.device) for s in states)
        elif self.stateful and self._states is not None:
            h, c = self._states
        else:
            h, c = (s.to(sequences.dtype) for s in cell.get_initial_state(batch))
        in_masks = rec_masks = None
        if training and 0 < cell.dropout < 1:
            in_masks = cell._masks(sequences[:, 0], cell.dropout)
        if training and 0 < cell.recurrent_dropout < 1:
            rec_masks = cell._masks(h, cell.recurrent_dropout)
        x = sequences.flip(1) if self.go_backwards else sequences
        if mask is not None:
            mask = torch.as_tensor(mask, device=sequences.device).to(torch.bool)
            mask = mask.flip(1) if self.go_backwards else mask
        outputs, prev = [], None
        for t in range(steps):
            new_h, new_c = cell._step(x[:, t], h, c, in_masks, rec_masks)
            out = new_h
            if mask is not None:
                keep = mask[:, t].reshape(-1, *([1] * (new_h.dim() - 1)))
                if prev is None or self.zero_output_for_mask:
                    prev = torch.zeros_like(out)
                out = torch.where(keep, out, prev)
                new_h, new_c = torch.where(keep, new_h, h), torch.where(keep, new_c, c)
            outputs.append(out)
            prev, h, c = out, new_h, new_c
        if self.stateful:
            self._states = carried_states([h, c])
        output = torch.stack(outputs, dim=1) if self.return_sequences else outputs[-1]
        return [output, h, c] if self.return_state else output

    def get_config(self):
        cell_config = self.cell.get_config()
        for key in ("name", "trainable", "dtype", "batch_input_shape"):
            cell_config.pop(key, None)
        return {**self._rnn_config(), **cell_config,
                "activity_regularizer": _serialize_or_none(regularizers, self.activity_regularizer)}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


_DOC = """{rank}D convolutional LSTM: an LSTM whose input and recurrent transformations are convolutions.

    Keras' numerics and weight layout: `kernel {kshape}`, `recurrent_kernel {rkshape}` and `bias
    (4 * filters,)` with gate blocks i, f, c, o. The input convolution uses `strides`, `padding`
    and `dilation_rate`; the recurrent one stride 1 and `"same"` padding.

    Args:
        filters: Positive int, the number of output channels.
        kernel_size: An int or a tuple of {rank} ints.
        strides: An int or a tuple of {rank} ints. Defaults to `1`.
        padding: `"valid"` or `"same"` (of the input convolution). Defaults to `"valid"`.
        data_format: `"channels_last"` (`(batch, time, {spatial}, channels)`) or `"channels_first"`
            (`(batch, time, channels, {spatial})`). Defaults to `None`, which means
            `kerastorch.config.image_data_format()`.
        dilation_rate: An int or a tuple of {rank} ints (not with strides > 1). Defaults to `1`.
        activation: Defaults to `"tanh"`.
        recurrent_activation: Defaults to `"sigmoid"`.
        use_bias: Defaults to `True`.
        kernel_initializer: Defaults to `"glorot_uniform"`.
        recurrent_initializer: Defaults to `"orthogonal"`.
        bias_initializer: Defaults to `"zeros"`.
        unit_forget_bias: Whether the forget-gate bias starts at 1. Defaults to `True`.
        kernel_regularizer, recurrent_regularizer, bias_regularizer, activity_regularizer: Defaults to `None`.
        kernel_constraint, recurrent_constraint, bias_constraint: Defaults to `None`.
        dropout: Float in [0, 1], dropout of the inputs (one mask per gate per sequence). Defaults to `0.0`.
        recurrent_dropout: Float in [0, 1], dropout of the recurrent state. Defaults to `0.0`.
        seed: Optional int seed of the dropout masks. Defaults to `None`.
        return_sequences: Whether to return every step's output. Defaults to `False`.
        return_state: Whether to return `[output, h, c]`. Defaults to `False`.
        go_backwards: Whether to process the sequence in reverse. Defaults to `False`.
        stateful: Whether the final states of a batch start the next. Defaults to `False`.

    Call arguments: `inputs`, `mask` (`(batch, time)` booleans; masked steps keep the states),
    `training`, `initial_state` (`[h, c]`).

    Example:
    >>> import torch
    >>> from kerastorch import layers
    >>> tuple(layers.{name}(2, 3)(torch.zeros({shape})).shape)
    {out}
    """


def _make(rank, shape, out):
    name = f"ConvLSTM{rank}D"
    k = ", ".join(["k"] * rank)
    doc = _DOC.format(rank=rank, name=name, shape=shape, out=out, kshape=f"({k}, in, 4 * filters)",
                      rkshape=f"({k}, filters, 4 * filters)", spatial=", ".join(["d"] * rank))
    return type(name, (_ConvLSTM,), {"_rank": rank, "__doc__": doc, "__module__": __name__})


ConvLSTM1D = _make(1, "2, 4, 6, 3", "(2, 4, 2)")
ConvLSTM2D = _make(2, "2, 4, 6, 6, 3", "(2, 4, 4, 2)")
ConvLSTM3D = _make(3, "1, 2, 4, 4, 4, 1", "(1, 2, 2, 2, 2)")
