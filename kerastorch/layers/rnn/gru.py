"""`GRUCell` and `GRU`: gates in Keras' order z, r, h outside, stored in torch's r, z, n order."""

import torch.nn.functional as F

from kerastorch import activations
from kerastorch.layers.base import get_activation
from kerastorch.layers.rnn.base import _KerasRNN
from kerastorch.layers.rnn.cell_base import RNNCellBase, _bias_layout


class GRUCell(RNNCellBase):
    """Cell of a Gated Recurrent Unit layer (one time step).

    Args:
        units: Positive integer, size of the output and state.
        activation: Activation of the candidate state. Defaults to `"tanh"`.
        recurrent_activation: Activation of the gates. Defaults to `"sigmoid"`.
        use_bias: Whether to add biases. Defaults to `True`.
        kernel_initializer: Defaults to `"glorot_uniform"` (on the `(input_dim, 3 * units)` kernel).
        recurrent_initializer: Defaults to `"orthogonal"`.
        bias_initializer: Defaults to `"zeros"`.
        kernel_regularizer, recurrent_regularizer, bias_regularizer: Optional regularizers.
        kernel_constraint, recurrent_constraint, bias_constraint: Optional constraints.
        dropout: Fraction of the inputs dropped in training. Defaults to `0.0`.
        recurrent_dropout: Fraction of the state dropped in training. Defaults to `0.0`.
        reset_after: Apply the reset gate after the recurrent matmul (Keras 3 and cuDNN
            convention, with separate input and recurrent biases). Defaults to `True`.
        seed: Optional int seed for the dropout masks.

    Weights (Keras' layout and order): `kernel (input_dim, 3u)`, `recurrent_kernel (u, 3u)`,
    `bias (2, 3u)` ([input; recurrent]) with `reset_after=True`, else `bias (3u,)`; gate blocks z, r, h.
    The attributes are stored in torch's layout and gate order r, z, n: `kernel (3u, input_dim)`,
    `recurrent_kernel (3u, u)`, `bias` with its blocks reordered, which `torch.gru` takes as is.

    Example:
    >>> import torch
    >>> from kerastorch import layers
    >>> cell = layers.GRUCell(2)
    >>> out, states = cell(torch.zeros(1, 3))
    >>> tuple(cell.bias.shape)
    (2, 6)
    """

    _blocks = 3
    _gate_order = (1, 0, 2)     # torch's r, z, n = Keras' blocks 1, 0, 2

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", kernel_regularizer=None, recurrent_regularizer=None,
                 bias_regularizer=None, kernel_constraint=None, recurrent_constraint=None,
                 bias_constraint=None, dropout=0.0, recurrent_dropout=0.0, reset_after=True, seed=None,
                 **kwargs):
        super().__init__(**kwargs)
        self._init_common(units, activation, use_bias, kernel_initializer, recurrent_initializer,
                          bias_initializer, kernel_regularizer, recurrent_regularizer, bias_regularizer,
                          kernel_constraint, recurrent_constraint, bias_constraint, dropout,
                          recurrent_dropout, seed)
        self.recurrent_activation = get_activation(self, "recurrent_activation", recurrent_activation)
        self.reset_after = bool(reset_after)

    def _build_bias(self):
        if not self.use_bias:
            self.bias = None
            return
        shape = (2, 3 * self.units) if self.reset_after else (3 * self.units,)
        self.bias = self.add_weight(shape=shape, initializer=self.bias_initializer,
                                    regularizer=self.bias_regularizer, constraint=self.bias_constraint,
                                    name="bias", layout=_bias_layout(self._gate_order))

    def _input_bias(self):
        if self.bias is None:
            return None
        return self.bias[0] if self.reset_after else self.bias

    def _step(self, projected, states, rec_masks=None):
        # Keras' equations on torch's block order r, z, n (rec_masks stay in Keras' z, r, h order).
        h = states[0]
        u = self.units
        x_r, x_z, x_h = projected.split(u, dim=-1)
        if self.reset_after:
            inner = self._recurrent(h, rec_masks)
            if self.bias is not None:
                inner = inner + self.bias[1]
            r_r, r_z, r_h = inner.split(u, dim=-1)
            z = self.recurrent_activation(x_z + r_z)
            r = self.recurrent_activation(x_r + r_r)
            candidate = self.activation(x_h + r * r_h)
        else:
            r_r, r_z = self._recurrent(h, rec_masks, range(0, 2)).split(u, dim=-1)
            z = self.recurrent_activation(x_z + r_z)
            r = self.recurrent_activation(x_r + r_r)
            h_h = h if rec_masks is None else h * rec_masks[2]
            candidate = self.activation(x_h + F.linear(r * h_h, self.recurrent_kernel[2 * u:]))
        h = z * h + (1 - z) * candidate
        return h, [h]

    def _fused_spec(self):
        if (not self.reset_after or self.activation is not activations.tanh
                or self.recurrent_activation is not activations.sigmoid):
            return None
        params = [self.kernel, self.recurrent_kernel]       # stored in torch's layout and gate order
        if self.bias is not None:
            params += [self.bias[0], self.bias[1]]
        return "gru", params, self.bias is not None

    def get_config(self):
        config = super().get_config()
        config["recurrent_activation"] = activations.serialize(self.recurrent_activation)
        config["reset_after"] = self.reset_after
        return config


class GRU(_KerasRNN):
    """Gated Recurrent Unit layer (Cho et al., 2014), with Keras 3's defaults (`reset_after=True`).

    Args:
        units: Positive integer, size of the output.
        activation: Defaults to `"tanh"`.
        recurrent_activation: Activation of the gates. Defaults to `"sigmoid"`.
        use_bias: Defaults to `True`.
        kernel_initializer: Defaults to `"glorot_uniform"`.
        recurrent_initializer: Defaults to `"orthogonal"`.
        bias_initializer: Defaults to `"zeros"`.
        kernel_regularizer, recurrent_regularizer, bias_regularizer, activity_regularizer:
            Optional regularizers. Default `None`.
        kernel_constraint, recurrent_constraint, bias_constraint: Optional constraints.
        dropout: Fraction of the inputs dropped in training. Defaults to `0.0`.
        recurrent_dropout: Fraction of the state dropped in training. Defaults to `0.0`.
        seed: Optional int seed for dropout.
        return_sequences: Return every step's output. Defaults to `False`.
        return_state: Return `[output, h]`. Defaults to `False`.
        go_backwards: Process the sequence in reverse. Defaults to `False`.
        stateful: Carry the final state to the next batch. Defaults to `False`.
        unroll: Keras' graph-unrolling switch, a speed/memory choice with the same
            outputs; kerastorch runs its fused kernel or step loop either way, so the
            outputs are Keras'. Defaults to `False`.
        reset_after: Reset gate after the recurrent matmul. Defaults to `True`.
        use_cudnn: `"auto"` or `True`: the fused torch kernel uses cuDNN on CUDA where it can;
            `False` keeps cuDNN out (as in Keras). Defaults to `"auto"`.

    Runs the fused `torch.gru` kernel when `reset_after=True`, `activation="tanh"`,
    `recurrent_activation="sigmoid"`, no recurrent dropout is active and the mask is
    absent or right-padded; a Python loop with Keras' equations otherwise.

    Input shape: `(batch, timesteps, features)`. Output shape: `(batch, units)`, or
    `(batch, timesteps, units)` with `return_sequences`.

    Example:
    >>> import torch
    >>> from kerastorch import layers
    >>> tuple(layers.GRU(4, return_sequences=True)(torch.zeros(2, 5, 3)).shape)
    (2, 5, 4)
    """

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", kernel_regularizer=None, recurrent_regularizer=None,
                 bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
                 recurrent_constraint=None, bias_constraint=None, dropout=0.0, recurrent_dropout=0.0,
                 seed=None, return_sequences=False, return_state=False, go_backwards=False, stateful=False,
                 unroll=False, reset_after=True, use_cudnn="auto", **kwargs):
        cell_kwargs = dict(units=units, activation=activation, recurrent_activation=recurrent_activation,
                           use_bias=use_bias, kernel_initializer=kernel_initializer,
                           recurrent_initializer=recurrent_initializer, bias_initializer=bias_initializer,
                           kernel_regularizer=kernel_regularizer, recurrent_regularizer=recurrent_regularizer,
                           bias_regularizer=bias_regularizer, kernel_constraint=kernel_constraint,
                           recurrent_constraint=recurrent_constraint, bias_constraint=bias_constraint,
                           dropout=dropout, recurrent_dropout=recurrent_dropout, reset_after=reset_after,
                           seed=seed)
        kwargs["use_cudnn"] = use_cudnn     # validated and honoured by the RNN base
        super().__init__(GRUCell, cell_kwargs, return_sequences, return_state, go_backwards, stateful,
                         unroll, activity_regularizer, kwargs)
