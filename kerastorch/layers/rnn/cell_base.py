"""The cells' shared base, `RNNCellBase` (one time step of `SimpleRNNCell`, `LSTMCell`, `GRUCell`).

An RNN layer holds a cell (`LSTMCell`, ...) that owns the weights. They are stored in
torch's layout, the one `torch.lstm` / `torch.gru` take as is: `kernel (blocks * units, in)`,
`recurrent_kernel (blocks * units, units)` (contiguous; a GRU's gate blocks in torch's r, z, n
order, its bias too). Each weight is registered with a `(to_internal, to_keras)` layout pair,
so `get_weights()`, `set_weights()`, the `.keras` tree (`lstm/cell/vars/0..2`), regularizers,
constraints and saved optimizer slots all see Keras' layout `kernel (in, blocks * units)`,
`recurrent_kernel (units, blocks * units)`, gate blocks in Keras' order. The `RNN` layer that
runs a cell over a sequence is in `base.py`.
"""

import functools

import torch
import torch.nn.functional as F

from kerastorch import activations, constraints, initializers, regularizers
from kerastorch.layers.base import Layer, format_shape, get_activation, resolve_training
from kerastorch.layers.rnn import fused_plan


def _check_rate(layer, arg, value):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
        raise ValueError(
            f"{type(layer).__name__} layer '{layer.name}': `{arg}` must be a float in [0, 1], "
            f"got {arg}={value!r}."
        )
    return float(value)


def _check_units(layer, units):
    if isinstance(units, bool) or not isinstance(units, int) or units < 1:
        raise ValueError(
            f"{type(layer).__name__} layer '{layer.name}': `units` must be a positive integer, "
            f"got units={units!r}."
        )
    return units


def _dropout_mask(like, rate, generator=None):
    """A Keras RNN dropout mask: 0 or 1/(1-rate), drawn once per sequence and reused at every step."""
    keep = torch.empty_like(like).bernoulli_(1.0 - rate, generator=generator)
    return keep / (1.0 - rate)


def _serialize_or_none(module, obj):
    return None if obj is None else module.serialize(obj)


def _reorder_blocks(x, order, dim):
    """`x` with its `len(order)` equal blocks along `dim` taken in `order` (`None`: as is)."""
    if order is None:
        return x
    blocks = x.chunk(len(order), dim=dim)
    return torch.cat([blocks[i] for i in order], dim=dim)


def _transpose(x):
    return x.t()


def _reorder_then_transpose(x, order, dim):
    return _reorder_blocks(x, order, dim).t()


# The layouts are module-level functions (or partials of them), not lambdas: a cell, its layer and
# a model holding them stay picklable (pickle.dumps, torch.save of the whole model).
def _kernel_layout(blocks, order):
    """`(to_internal, to_keras)`: Keras `(rows, blocks * u)` <-> torch `(blocks * u, rows)`.

    `order[i]` is the Keras block stored as torch's block `i` (a permutation that is its own
    inverse, GRU's z, r <-> r, z swap), or `None` for the same order. Without a reorder,
    `to_keras` is a view (`.t()`).
    """
    if order is None:
        return _transpose, _transpose
    return (functools.partial(_reorder_then_transpose, order=order, dim=-1),
            functools.partial(_reorder_then_transpose, order=order, dim=0))


def _bias_layout(order):
    """`(to_internal, to_keras)` reordering the last axis's blocks (`None`: Keras' order is torch's)."""
    if order is None:
        return None
    return (functools.partial(_reorder_blocks, order=order, dim=-1),
            functools.partial(_reorder_blocks, order=order, dim=-1))


class RNNCellBase(Layer):
    """Common part of `SimpleRNNCell`, `LSTMCell` and `GRUCell` (one time step).

    Subclasses set `_blocks` (how many `units`-wide blocks the kernels hold: 1, 4 or 3),
    create weights in `build`, and implement `_project` (inputs -> input part of every
    gate, bias included) and `_step` (one step of the recurrence from projected inputs).
    """

    _blocks = 1
    # Torch's block i holds Keras' block _gate_order[i]; None: the same order (GRU: (1, 0, 2)).
    _gate_order = None

    def _init_common(self, units, activation, use_bias, kernel_initializer, recurrent_initializer,
                     bias_initializer, kernel_regularizer, recurrent_regularizer, bias_regularizer,
                     kernel_constraint, recurrent_constraint, bias_constraint, dropout,
                     recurrent_dropout, seed):
        self.units = _check_units(self, units)
        self.activation = get_activation(self, "activation", activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.recurrent_initializer = initializers.get(recurrent_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
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

    @property
    def state_size(self):
        """Size of each state tensor (an int, or a list for several states)."""
        return self.units

    @property
    def output_size(self):
        """Size of the last axis of the cell's output."""
        return self.units

    def _state_sizes(self):
        size = self.state_size
        return list(size) if isinstance(size, (list, tuple)) else [size]

    def get_initial_state(self, batch_size=None):
        """Zero states, one `(batch_size, size)` tensor per state."""
        ref = self.kernel
        return [torch.zeros(batch_size, n, dtype=ref.dtype, device=ref.device) for n in self._state_sizes()]

    def _random(self):
        if self.seed is not None and self._generator is None:
            self._generator = torch.Generator(device=self.kernel.device)
            self._generator.manual_seed(int(self.seed))
        return self._generator

    def _build_kernels(self, input_dim):
        # Shapes and initializers in Keras' layout; stored transposed (torch's weight_ih/weight_hh).
        width = self._blocks * self.units
        layout = _kernel_layout(self._blocks, self._gate_order)
        self.kernel = self.add_weight(shape=(input_dim, width), initializer=self.kernel_initializer,
                                      regularizer=self.kernel_regularizer,
                                      constraint=self.kernel_constraint, name="kernel", layout=layout)
        self.recurrent_kernel = self.add_weight(shape=(self.units, width),
                                                initializer=self.recurrent_initializer,
                                                regularizer=self.recurrent_regularizer,
                                                constraint=self.recurrent_constraint,
                                                name="recurrent_kernel", layout=layout)

    def build(self, input_shape):
        if input_shape[-1] is None:
            raise ValueError(
                f"{type(self).__name__} '{self.name}' needs a known feature axis, got input shape "
                f"{format_shape(input_shape)}. Give the model an input shape, e.g. "
                "layers.Input(shape=(timesteps, features))."
            )
        self._build_kernels(int(input_shape[-1]))
        self._build_bias()
        self.built = True

    def _build_bias(self):
        self.bias = (self.add_weight(shape=(self._blocks * self.units,), initializer=self.bias_initializer,
                                     regularizer=self.bias_regularizer, constraint=self.bias_constraint,
                                     name="bias", layout=_bias_layout(self._gate_order))
                     if self.use_bias else None)
        self._register_zero_bias()

    def __setattr__(self, name, value):
        if name != "training":       # train()/eval() change nothing the fused plan holds
            fused_plan.drop_plan(self)   # a configuration or weight set anew: the fused plan is remade
        super().__setattr__(name, value)

    def _apply(self, fn, *args, **kwargs):
        fused_plan.drop_plan(self)       # to(), cuda(), double(), ...: the weights' dtype or device change
        return super()._apply(fn, *args, **kwargs)

    def _register_zero_bias(self):
        """torch's `b_hh` for cells whose Keras bias is one vector: zeros, not a weight."""
        if self.bias is not None:
            self.register_buffer("_zero_recurrent_bias", torch.zeros_like(self.bias.detach()),
                                 persistent=False)

    def _zero_bias(self):
        zero = self._buffers.get("_zero_recurrent_bias")
        bias = self.bias
        if zero is None or zero.shape != bias.shape or zero.dtype != bias.dtype or zero.device != bias.device:
            zero = torch.zeros_like(bias.detach())
        return zero

    def _keras_block(self, g):
        """The Keras block (gate) index of torch's block `g` (what per-gate dropout masks follow)."""
        return g if self._gate_order is None else self._gate_order[g]

    # ------------------------------------------------------------------ computation
    # The loop path works on the stored (torch) layout: block g of a kernel is rows g*u:(g+1)*u.
    def _input_bias(self):
        return self.bias

    def _project(self, inputs, in_masks=None):
        """`inputs @ kernel + input bias` for one step `(B, in)` or a sequence `(B, T, in)`, torch's block order.

        `in_masks` is `None`, one dropout mask `(B, in)` for all gates, or a list of one
        mask per gate in Keras' gate order (Keras' per-gate masks when recurrent dropout is on).
        """
        seq = inputs.dim() == 3
        if in_masks is None:
            out = F.linear(inputs, self.kernel)
        elif isinstance(in_masks, torch.Tensor):
            out = F.linear(inputs * (in_masks[:, None] if seq else in_masks), self.kernel)
        else:
            u = self.units
            masks = [in_masks[self._keras_block(g)] for g in range(self._blocks)]
            out = torch.cat([F.linear(inputs * (m[:, None] if seq else m), self.kernel[g * u:(g + 1) * u])
                             for g, m in enumerate(masks)], dim=-1)
        bias = self._input_bias()
        return out if bias is None else out + bias

    def _recurrent(self, h, rec_masks, blocks=None):
        """`h @ recurrent_kernel` over torch's blocks `blocks` (a range; all by default), per-gate masks if given."""
        u = self.units
        rk = self.recurrent_kernel if blocks is None else self.recurrent_kernel[blocks.start * u:blocks.stop * u]
        if rec_masks is None:
            return F.linear(h, rk)
        first = 0 if blocks is None else blocks.start
        return torch.cat([F.linear(h * rec_masks[self._keras_block(first + g)], rk[g * u:(g + 1) * u])
                          for g in range(rk.shape[0] // u)], dim=-1)

    def _step(self, projected, states, rec_masks=None):
        raise NotImplementedError

    def _fused_spec(self):
        """`(kernel name, params, has_biases)` for the fused torch kernel, or `None` if the config does not allow it."""
        return None

    def _make_masks(self, inputs, states, training, per_gate):
        in_masks = rec_masks = None
        if training and 0 < self.dropout < 1:
            like = inputs[:, 0] if inputs.dim() == 3 else inputs
            in_masks = ([_dropout_mask(like, self.dropout, self._random()) for _ in range(self._blocks)]
                        if per_gate else _dropout_mask(like, self.dropout, self._random()))
        if training and 0 < self.recurrent_dropout < 1:
            rec_masks = [_dropout_mask(states[0], self.recurrent_dropout, self._random())
                         for _ in range(self._blocks)]
        return in_masks, rec_masks

    def forward(self, inputs, states=None, training=None):
        if not self.built:
            self._build_wrapper((None, *inputs.shape[1:]))
        if training is None:
            training = resolve_training(self)
        return self.call(inputs, states, training=training)

    def call(self, inputs, states=None, training=None):
        """Runs one time step.

        Args:
            inputs: `(batch, features)` tensor.
            states: List of state tensors, `(batch, units)` each. Defaults to zeros.
            training: Whether dropout is active.

        Returns:
            `(output, new_states)`.
        """
        if states is None:
            states = self.get_initial_state(inputs.shape[0])
        if isinstance(states, torch.Tensor):
            states = [states]
        states = list(states)
        per_gate = self.recurrent_dropout > 0
        in_masks, rec_masks = self._make_masks(inputs, states, training, per_gate)
        return self._step(self._project(inputs, in_masks), states, rec_masks)

    def get_config(self):
        return {**super().get_config(), "units": self.units,
                "activation": activations.serialize(self.activation), "use_bias": self.use_bias,
                "kernel_initializer": initializers.serialize(self.kernel_initializer),
                "recurrent_initializer": initializers.serialize(self.recurrent_initializer),
                "bias_initializer": initializers.serialize(self.bias_initializer),
                "kernel_regularizer": _serialize_or_none(regularizers, self.kernel_regularizer),
                "recurrent_regularizer": _serialize_or_none(regularizers, self.recurrent_regularizer),
                "bias_regularizer": _serialize_or_none(regularizers, self.bias_regularizer),
                "kernel_constraint": _serialize_or_none(constraints, self.kernel_constraint),
                "recurrent_constraint": _serialize_or_none(constraints, self.recurrent_constraint),
                "bias_constraint": _serialize_or_none(constraints, self.bias_constraint),
                "dropout": self.dropout, "recurrent_dropout": self.recurrent_dropout, "seed": self.seed}
