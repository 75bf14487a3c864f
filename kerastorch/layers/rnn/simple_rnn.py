"""`SimpleRNNCell` and `SimpleRNN`: `h_t = activation(x_t @ kernel + h_{t-1} @ recurrent_kernel + bias)`."""

from kerastorch import activations
from kerastorch.layers.rnn.base import _KerasRNN
from kerastorch.layers.rnn.cell_base import RNNCellBase


class SimpleRNNCell(RNNCellBase):
    """Cell of a fully connected RNN: one step `activation(x @ kernel + h @ recurrent_kernel + bias)`.

    Args:
        units: Positive integer, size of the output and state.
        activation: Activation name or callable. Defaults to `"tanh"`.
        use_bias: Whether to add a bias. Defaults to `True`.
        kernel_initializer: Defaults to `"glorot_uniform"` (on the `(input_dim, units)` kernel).
        recurrent_initializer: Defaults to `"orthogonal"`.
        bias_initializer: Defaults to `"zeros"`.
        kernel_regularizer, recurrent_regularizer, bias_regularizer: Optional regularizers.
        kernel_constraint, recurrent_constraint, bias_constraint: Optional constraints.
        dropout: Fraction of the inputs dropped in training (one mask per sequence). Defaults to `0.0`.
        recurrent_dropout: Fraction of the state dropped in training. Defaults to `0.0`.
        seed: Optional int seed for the dropout masks.

    Weights (Keras' layout and order): `kernel (input_dim, units)`, `recurrent_kernel (units, units)`, `bias (units,)`.
    The `kernel` and `recurrent_kernel` attributes are stored transposed (torch's layout).

    Example:
    >>> import torch
    >>> from kerastorch import layers
    >>> out, states = layers.SimpleRNNCell(4)(torch.zeros(2, 3))
    >>> tuple(out.shape), len(states)
    ((2, 4), 1)
    """

    _blocks = 1

    def __init__(self, units, activation="tanh", use_bias=True, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros", kernel_regularizer=None,
                 recurrent_regularizer=None, bias_regularizer=None, kernel_constraint=None,
                 recurrent_constraint=None, bias_constraint=None, dropout=0.0, recurrent_dropout=0.0,
                 seed=None, **kwargs):
        super().__init__(**kwargs)
        self._init_common(units, activation, use_bias, kernel_initializer, recurrent_initializer,
                          bias_initializer, kernel_regularizer, recurrent_regularizer, bias_regularizer,
                          kernel_constraint, recurrent_constraint, bias_constraint, dropout,
                          recurrent_dropout, seed)

    def _step(self, projected, states, rec_masks=None):
        out = self.activation(projected + self._recurrent(states[0], rec_masks))
        return out, [out]

    def _fused_spec(self):
        if self.activation is activations.tanh:
            name = "rnn_tanh"
        elif self.activation is activations.relu:
            name = "rnn_relu"
        else:
            return None
        params = [self.kernel, self.recurrent_kernel]     # stored in torch's layout
        if self.bias is not None:
            params += [self.bias, self._zero_bias()]
        return name, params, self.bias is not None


class SimpleRNN(_KerasRNN):
    """Fully connected RNN whose output is fed back as the next step's state.

    Args:
        units: Positive integer, size of the output.
        activation: Activation name or callable. Defaults to `"tanh"`.
        use_bias: Whether to add a bias. Defaults to `True`.
        kernel_initializer: Defaults to `"glorot_uniform"`.
        recurrent_initializer: Defaults to `"orthogonal"`.
        bias_initializer: Defaults to `"zeros"`.
        kernel_regularizer, recurrent_regularizer, bias_regularizer, activity_regularizer:
            Optional regularizers. Default `None`.
        kernel_constraint, recurrent_constraint, bias_constraint: Optional constraints.
        dropout: Fraction of the inputs dropped in training. Defaults to `0.0`.
        recurrent_dropout: Fraction of the state dropped in training. Defaults to `0.0`.
        return_sequences: Return every step's output. Defaults to `False`.
        return_state: Return `[output, state]`. Defaults to `False`.
        go_backwards: Process the sequence in reverse. Defaults to `False`.
        stateful: Carry the final state to the next batch. Defaults to `False`.
        unroll: Keras' graph-unrolling switch, a speed/memory choice with the same
            outputs; kerastorch runs its step loop either way. Defaults to `False`.
        seed: Optional int seed for dropout.

    Runs the fused `torch.rnn_tanh`/`torch.rnn_relu` kernel for `"tanh"`/`"relu"`
    (without recurrent dropout in training, and with no mask or a right-padded one),
    a Python loop otherwise.

    Input shape: `(batch, timesteps, features)`. Output shape: `(batch, units)`, or
    `(batch, timesteps, units)` with `return_sequences`.

    Example:
    >>> import torch
    >>> from kerastorch import layers
    >>> tuple(layers.SimpleRNN(4)(torch.zeros(2, 5, 3)).shape)
    (2, 4)
    """

    def __init__(self, units, activation="tanh", use_bias=True, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros", kernel_regularizer=None,
                 recurrent_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, recurrent_constraint=None, bias_constraint=None, dropout=0.0,
                 recurrent_dropout=0.0, return_sequences=False, return_state=False, go_backwards=False,
                 stateful=False, unroll=False, seed=None, **kwargs):
        cell_kwargs = dict(units=units, activation=activation, use_bias=use_bias,
                           kernel_initializer=kernel_initializer, recurrent_initializer=recurrent_initializer,
                           bias_initializer=bias_initializer, kernel_regularizer=kernel_regularizer,
                           recurrent_regularizer=recurrent_regularizer, bias_regularizer=bias_regularizer,
                           kernel_constraint=kernel_constraint, recurrent_constraint=recurrent_constraint,
                           bias_constraint=bias_constraint, dropout=dropout,
                           recurrent_dropout=recurrent_dropout, seed=seed)
        super().__init__(SimpleRNNCell, cell_kwargs, return_sequences, return_state, go_backwards,
                         stateful, unroll, activity_regularizer, kwargs)

    def get_config(self):
        config = super().get_config()
        config.pop("seed", None)    # Keras' SimpleRNN config has no seed (its cell's does)
        return config
