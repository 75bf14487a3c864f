"""The lean call of a recurrent layer: one fused torch kernel, with what the general path works out
per call (the kernel's parameters, its function, the zero initial states) worked out once.

`RNN.call` reads the weights, builds the fused kernel's argument list, makes zero initial states and
unsqueezes them, checks masks and dropout, on every call: a dozen Python attribute lookups and four
small tensor ops that a hand-written `torch.nn.LSTM` loop does not all pay. On the common call (no
mask, no initial state, not stateful, no dropout active, the inputs already in the weights' dtype),
`run` does only what the kernel needs: it passes the parameters kept in a `FusedPlan` (the cell's
stored tensors themselves, so in-place updates, an optimizer step, `set_weights`, `load_weights`,
reach it with no copy) and one zero state tensor kept per batch size, given as every initial state
(the kernels never write into their initial states).

The plan is dropped when the cell's configuration or its weights can have changed: any attribute
set on the cell (`RNNCellBase.__setattr__`), any `to()`/`cuda()`/`double()`... (`_apply`), and at
each call it checks that the weights are the very tensors, on the very storage, it was made from
(a weight replaced, or `.data` assigned, rebuilds it). Results, gradients and the kernel are the
general path's fused run's, bit for bit.
"""

import torch

_MAX_ZERO_STATES = 4      # zero states kept per plan (one per batch size: the last batch is smaller)


class FusedPlan:
    """What the fused kernel of one cell needs, worked out once (see the module docstring).

    Attributes:
        fn: `torch.lstm`, `torch.gru`, `torch.rnn_tanh` or `torch.rnn_relu`.
        lstm: Whether `fn` takes two states (h, c).
        params: The kernel's parameter list (the cell's stored tensors, and its zero `b_hh` buffer).
        has_biases: Whether `params` holds biases.
        derived: Whether `params` holds views made from the weights (GRU's two bias rows): then
            calls under autograd take fresh ones from the cell, as the general path does.
        weights: `(name, tensor, data_ptr)` of each stored weight the plan was made from.
        dtype: The weights' dtype (inputs in another dtype take the general path).
        dropout: Whether the cell has dropout (the lean call then serves inference only).
        zeros: Zero initial states by batch size, on the weights' device, in their dtype.

    Example:
    >>> import torch
    >>> from kerastorch import layers
    >>> layer = layers.LSTM(3)
    >>> _ = layer(torch.zeros(2, 4, 5))
    >>> make_plan(layer.cell).fn is torch.lstm
    True
    """

    __slots__ = ("fn", "lstm", "params", "has_biases", "derived", "weights", "dtype", "dropout", "zeros")

    def __reduce__(self):
        return _forgotten, ()     # a pickled or deep-copied cell makes its plan anew

    def is_current(self, cell):
        """Whether every weight is still the tensor, on the storage, the plan was made from.

        Args:
            cell: The `RNNCellBase` the plan was made for.

        Returns:
            `False` after a weight was replaced (`setattr`, `register_parameter`,
            `load_state_dict(assign=True)`) or its `.data` assigned; `True` otherwise (in-place
            writes reach the kernel through the same tensors).
        """
        stored = cell._parameters
        for name, tensor, ptr in self.weights:
            if stored.get(name) is not tensor or tensor.data_ptr() != ptr:
                return False
        return True

    def zero_state(self, batch):
        """A `(1, batch, units)` zero tensor, kept for the next calls of this batch size.

        A normal tensor also when made under `torch.inference_mode()` (training may run through it
        later); on the weights' device, in their dtype.

        Args:
            batch: The batch size.
        """
        zero = self.zeros.get(batch)
        if zero is None:
            reference = self.params[1]          # the recurrent kernel: (blocks * units, units)
            with torch.inference_mode(False):
                zero = torch.zeros(1, batch, reference.shape[1], dtype=reference.dtype, device=reference.device)
            if len(self.zeros) >= _MAX_ZERO_STATES:
                self.zeros.clear()
            self.zeros[batch] = zero
        return zero


def _forgotten():
    return None


def make_plan(cell):
    """The cell's `FusedPlan`, kept on it (made anew when a weight changed), or `None`.

    Args:
        cell: An `RNNCellBase` (`LSTMCell`, `GRUCell`, `SimpleRNNCell`), built.

    Returns:
        The plan, or `None` when the cell's configuration has no fused kernel (other activations,
        GRU `reset_after=False`) or a weight is not a registered Parameter.

    Example:
    >>> import torch
    >>> from kerastorch import layers
    >>> cell = layers.GRUCell(2)
    >>> _ = cell(torch.zeros(1, 3))
    >>> make_plan(cell).fn is torch.gru, make_plan(layers.GRUCell(2, reset_after=False)) is None
    (True, True)
    """
    plan = cell.__dict__.get("_kt_fused_plan")
    if plan is False:
        return None             # no fused kernel for this configuration (kept until an attribute is set)
    if plan is not None and plan.is_current(cell):
        return plan
    with torch.no_grad():       # GRU's bias rows, kept for calls without autograd: views without a graph
        spec = cell._fused_spec()
    if spec is None:
        cell.__dict__["_kt_fused_plan"] = False
        return None
    name, params, has_biases = spec
    stored = cell._parameters
    weights = []
    for attr in ("kernel", "recurrent_kernel", "bias"):
        tensor = stored.get(attr)
        if tensor is None:
            if attr != "bias" or cell.bias is not None:
                return None     # a weight that is not a registered Parameter: the general path
            continue
        weights.append((attr, tensor, tensor.data_ptr()))
    own = {id(t) for _, t, _ in weights}
    zero = cell._buffers.get("_zero_recurrent_bias")
    plan = FusedPlan()
    plan.fn = getattr(torch, name)
    plan.lstm = name == "lstm"
    plan.params = list(params)
    plan.has_biases = has_biases
    # A view of a weight (GRU's bias rows) or a zero bias made for this call: under autograd, the
    # cell makes them afresh at each call, as the general path does.
    plan.derived = any(id(p) not in own and p is not zero for p in params)
    plan.weights = tuple(weights)
    plan.dtype = params[0].dtype
    plan.dropout = 0 < cell.dropout < 1 or 0 < cell.recurrent_dropout < 1
    plan.zeros = {}
    cell.__dict__["_kt_fused_plan"] = plan
    return plan


def drop_plan(cell):
    """Forgets the cell's plan (its configuration or weights changed): the next call makes it anew.

    Args:
        cell: An `RNNCellBase`.
    """
    cell.__dict__.pop("_kt_fused_plan", None)


def run(layer, cell, sequences, training):
    """The layer's output for `sequences` by the plan, or `None` when this call needs the general path.

    Args:
        layer: The `RNN` layer; the caller (`RNN.forward`) has checked that this call has no mask,
            no initial state, is not stateful, has the fused path enabled, no autocast, no activity
            regularizer, and inputs in the layer's compute dtype.
        cell: The layer's `RNNCellBase` cell.
        sequences: `(batch, timesteps, features)` tensor.
        training: Whether the call is in training (dropout then takes the general path).

    Returns:
        What `RNN.call` returns (`output`, or `[output, *states]` with `return_state`), or `None`.
    """
    if sequences.dim() != 3 or torch.compiler.is_compiling() or torch._C._get_tracing_state():
        return None
    plan = make_plan(cell)
    if plan is None or (training and plan.dropout) or sequences.dtype is not plan.dtype:
        return None
    batch, steps = sequences.shape[0], sequences.shape[1]
    if not steps or (layer.__dict__.get("use_cudnn") is False and sequences.is_cuda):
        return None
    train = torch.is_grad_enabled()
    params = cell._fused_spec()[1] if plan.derived and train else plan.params
    zero = plan.zero_state(batch)
    x = sequences.flip(1) if layer.go_backwards else sequences
    if plan.lstm:
        seq, h, c = plan.fn(x, [zero, zero], params, plan.has_biases, 1, 0.0, train, False, True)
        last = h[0]
        states = (last, c[0]) if layer.return_state else None
    else:
        seq, h = plan.fn(x, zero, params, plan.has_biases, 1, 0.0, train, False, True)
        last = h[0]
        states = (last,)
    object.__setattr__(layer, "_last_path", "fused")
    output = seq if layer.return_sequences else last
    if layer.return_state:
        return [output, *states]
    return output
