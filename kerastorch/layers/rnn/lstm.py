"""`LSTMCell` and `LSTM`, gates in Keras' (and torch's) order i, f, c, o."""

import torch

from kerastorch import activations, initializers
from kerastorch.layers.base import get_activation
from kerastorch.layers.rnn.base import _KerasRNN
from kerastorch.layers.rnn.cell_base import RNNCellBase


class LSTMCell(RNNCellBase):
    """Cell of a Long Short-Term Memory layer (one time step).

    Args:
        units: Positive integer, size of the output and of each state.
        activation: Activation of the cell input and output. Defaults to `"tanh"`.
        recurrent_activation: Activation of the gates. Defaults to `"sigmoid"`.
        use_bias: Whether to add a bias. Defaults to `True`.
        kernel_initializer: Defaults to `"glorot_uniform"` (on the `(input_dim, 4 * units)` kernel).
        recurrent_initializer: Defaults to `"orthogonal"`.
        bias_initializer: Defaults to `"zeros"`.
        unit_forget_bias: Whether the forget-gate slice of the bias starts at 1. Defaults to `True`.
        kernel_regularizer, recurrent_regularizer, bias_regularizer: Optional regularizers.
        kernel_constraint, recurrent_constraint, bias_constraint: Optional constraints.
        dropout: Fraction of the inputs dropped in training. Defaults to `0.0`.
        recurrent_dropout: Fraction of the state dropped in training. Defaults to `0.0`.
        seed: Optional int seed for the dropout masks.

    Weights (Keras' layout and order, as `get_weights()` and saved files hold them):
    `kernel (input_dim, 4 * units)`, `recurrent_kernel (units, 4 * units)`, `bias (4 * units,)`,
    gate blocks i, f, c, o. The `kernel` and `recurrent_kernel` attributes are stored
    transposed, in torch's `weight_ih (4 * units, input_dim)` / `weight_hh (4 * units, units)`
    layout, which the fused kernel takes without copies.

    Example:
    >>> import torch
    >>> from kerastorch import layers
    >>> cell = layers.LSTMCell(2)
    >>> out, (h, c) = cell(torch.zeros(1, 3))
    >>> cell.bias.tolist()
    [0.0, 0.0, 1.0, 1.0, 0.0, 0.0, 0.0, 0.0]
    """

    _blocks = 4

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", unit_forget_bias=True, kernel_regularizer=None,
                 recurrent_regularizer=None, bias_regularizer=None, kernel_constraint=None,
                 recurrent_constraint=None, bias_constraint=None, dropout=0.0, recurrent_dropout=0.0,
                 seed=None, **kwargs):
        super().__init__(**kwargs)
        self._init_common(units, activation, use_bias, kernel_initializer, recurrent_initializer,
                          bias_initializer, kernel_regularizer, recurrent_regularizer, bias_regularizer,
                          kernel_constraint, recurrent_constraint, bias_constraint, dropout,
                          recurrent_dropout, seed)
        self.recurrent_activation = get_activation(self, "recurrent_activation", recurrent_activation)
        self.unit_forget_bias = bool(unit_forget_bias)

    @property
    def state_size(self):
        return [self.units, self.units]

    def _build_bias(self):
        if not self.use_bias:
            self.bias = None
            return
        initializer = self.bias_initializer
        if self.unit_forget_bias:
            base, u = initializers.get(self.bias_initializer), self.units

            def initializer(shape, dtype=None):
                # Keras: [bias_init(u), ones(u), bias_init(2u)] -> the forget gate starts open.
                return torch.cat([torch.as_tensor(base((u,), dtype=dtype)), torch.ones(u),
                                  torch.as_tensor(base((2 * u,), dtype=dtype))])
        self.bias = self.add_weight(shape=(4 * self.units,), initializer=initializer,
                                    regularizer=self.bias_regularizer, constraint=self.bias_constraint,
                                    name="bias")
        self._register_zero_bias()

    def _step(self, projected, states, rec_masks=None):
        h, c = states
        z = projected + self._recurrent(h, rec_masks)
        i, f, g, o = z.chunk(4, dim=-1)
        c = self.recurrent_activation(f) * c + self.recurrent_activation(i) * self.activation(g)
        h = self.recurrent_activation(o) * self.activation(c)
        return h, [h, c]

    def _fused_spec(self):
        if self.activation is not activations.tanh or self.recurrent_activation is not activations.sigmoid:
            return None
        # The weights are stored in torch's layout: passed as they are. torch has b_ih + b_hh;
        # Keras' single bias goes to b_ih and b_hh is a constant zero buffer.
        params = [self.kernel, self.recurrent_kernel]
        if self.bias is not None:
            params += [self.bias, self._zero_bias()]
        return "lstm", params, self.bias is not None

    def get_config(self):
        config = super().get_config()
        config["recurrent_activation"] = activations.serialize(self.recurrent_activation)
        config["unit_forget_bias"] = self.unit_forget_bias
        return config


class LSTM(_KerasRNN):
    """Long Short-Term Memory layer (Hochreiter & Schmidhuber, 1997), with Keras' defaults.

    Args:
        units: Positive integer, size of the output.
        activation: Defaults to `"tanh"`.
        recurrent_activation: Activation of the gates. Defaults to `"sigmoid"`.
        use_bias: Defaults to `True`.
        kernel_initializer: Defaults to `"glorot_uniform"`.
        recurrent_initializer: Defaults to `"orthogonal"`.
        bias_initializer: Defaults to `"zeros"`.
        unit_forget_bias: Start the forget-gate bias at 1. Defaults to `True`.
        kernel_regularizer: Optional regularizer. Defaults to `None`.
        recurrent_regularizer: Optional regularizer. Defaults to `None`.
        bias_regularizer: Optional regularizer. Defaults to `None`.
        activity_regularizer: Optional regularizer. Defaults to `None`.
        kernel_constraint: Optional constraint. Defaults to `None`.
        recurrent_constraint: Optional constraint. Defaults to `None`.
        bias_constraint: Optional constraint. Defaults to `None`.
        dropout: Fraction of the inputs dropped in training. Defaults to `0.0`.
        recurrent_dropout: Fraction of the state dropped in training. Defaults to `0.0`.
        seed: Optional int seed for dropout.
        return_sequences: Return every step's output. Defaults to `False`.
        return_state: Return `[output, h, c]`. Defaults to `False`.
        go_backwards: Process the sequence in reverse. Defaults to `False`.
        stateful: Carry the final states to the next batch. Defaults to `False`.
        unroll: Keras' graph-unrolling switch, a speed/memory choice with the same
            outputs; kerastorch runs its fused kernel or step loop either way, so the
            outputs are Keras'. Defaults to `False`.
        use_cudnn: `"auto"` or `True`: the fused torch kernel uses cuDNN on CUDA where it can;
            `False` keeps cuDNN out (as in Keras). Defaults to `"auto"`.

    Runs the fused `torch.lstm` kernel (cuDNN on GPU) when `activation="tanh"`,
    `recurrent_activation="sigmoid"`, no recurrent dropout is active and the mask is
    absent or right-padded; a Python loop with Keras' equations otherwise.

    Input shape: `(batch, timesteps, features)`. Output shape: `(batch, units)`, or
    `(batch, timesteps, units)` with `return_sequences`.
    Weights: `kernel (features, 4u)`, `recurrent_kernel (u, 4u)`, `bias (4u,)`.

    Example:
    >>> import torch
    >>> from kerastorch import layers
    >>> out, h, c = layers.LSTM(4, return_state=True)(torch.zeros(2, 5, 3))
    >>> tuple(out.shape), tuple(c.shape)
    ((2, 4), (2, 4))
    """

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", unit_forget_bias=True, kernel_regularizer=None,
                 recurrent_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, recurrent_constraint=None, bias_constraint=None, dropout=0.0,
                 recurrent_dropout=0.0, seed=None, return_sequences=False, return_state=False,
                 go_backwards=False, stateful=False, unroll=False, use_cudnn="auto", **kwargs):
        cell_kwargs = dict(units=units, activation=activation, recurrent_activation=recurrent_activation,
                           use_bias=use_bias, kernel_initializer=kernel_initializer,
                           recurrent_initializer=recurrent_initializer, bias_initializer=bias_initializer,
                           unit_forget_bias=unit_forget_bias, kernel_regularizer=kernel_regularizer,
                           recurrent_regularizer=recurrent_regularizer, bias_regularizer=bias_regularizer,
                           kernel_constraint=kernel_constraint, recurrent_constraint=recurrent_constraint,
                           bias_constraint=bias_constraint, dropout=dropout,
                           recurrent_dropout=recurrent_dropout, seed=seed)
        kwargs["use_cudnn"] = use_cudnn     # validated and honoured by the RNN base
        super().__init__(LSTMCell, cell_kwargs, return_sequences, return_state, go_backwards, stateful,
                         unroll, activity_regularizer, kwargs)
