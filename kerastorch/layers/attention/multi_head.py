"""`MultiHeadAttention` with Keras' weight layout, on `torch.nn.functional.scaled_dot_product_attention`."""

import math
import string

from kerastorch import config as _config
from kerastorch.layers.activation_layers import Softmax
from kerastorch.layers.attention.base import MultiInputAttention, check_positive_int, shape_of, where
from kerastorch.layers.core import Dropout
from kerastorch.layers.einsum_dense import EinsumDense

__all__ = ["MultiHeadAttention"]

_LETTERS = string.ascii_lowercase


def projection_equation(free_dims, bound_dims, output_dims):
    """`(equation, bias_axes, output_rank)` of a projection: keep `free_dims` axes, contract
    `bound_dims`, add `output_dims` (Keras' letters: free `a..`, then bound, then output)."""
    free = _LETTERS[:free_dims]
    bound = _LETTERS[free_dims:free_dims + bound_dims]
    added = _LETTERS[free_dims + bound_dims:free_dims + bound_dims + output_dims]
    return f"{free}{bound},{bound}{added}->{free}{added}", added, free_dims + output_dims


def attention_equations(rank, attn_axes):
    """Keras' `(dot_product_equation, combine_equation, scores_rank)` for projected tensors of
    `rank` axes `(batch, <other axes>, <attention axes>, heads, channels)`."""
    target = _LETTERS[:rank]
    batch_dims = [i for i in range(rank) if i not in attn_axes and i != rank - 1]
    source, offset = "", rank
    for i in range(rank):
        if i in batch_dims or i == rank - 1:
            source += target[i]
        else:
            source += _LETTERS[offset]
            offset += 1
    product = "".join([target[i] for i in batch_dims] + [target[i] for i in attn_axes]
                      + [source[i] for i in attn_axes])
    return f"{source},{target}->{product}", f"{product},{source}->{target}", len(product)


def _padded_shape(output_rank, known_last):
    return [None] * (output_rank - len(known_last)) + list(known_last)


class MultiHeadAttention(MultiInputAttention):
    """Multi-head attention ("Attention is all you need", Vaswani et al., 2017), as in Keras.

    `query`, `key` and `value` are projected per head by `EinsumDense` layers (`query`, `key`,
    `value`, kernels `(dim, num_heads, key_dim)`), attended (`softmax(q k^T / sqrt(key_dim)) v`,
    on torch's `scaled_dot_product_attention` unless scores are returned or dropout is set, as
    Keras chooses its path), and projected back by `attention_output` (`(num_heads, value_dim,
    dim)`). Keras' weight files load as they are.

    Args:
        num_heads: Number of attention heads.
        key_dim: Size of each head for query and key.
        value_dim: Size of each head for value. Defaults to `None` (`key_dim`).
        dropout: Dropout rate on the attention probabilities. Defaults to `0.0`.
        use_bias: Whether the projections use biases. Defaults to `True`.
        output_shape: Shape of the output besides the batch and sequence axes (int or tuple).
            Defaults to `None` (the query's last dimension).
        attention_axes: Axes attention is applied over (int or tuple). Defaults to `None`
            (all axes but batch, heads and features).
        sliding_window: Optional positive int: each query position attends only to key
            positions within `sliding_window - 1` of itself. Defaults to `None`.
        flash_attention: `None` (torch picks its kernel), `True` (require the flash kernel) or
            `False`. Defaults to `None`.
        kernel_initializer: Initializer of the projection kernels. Defaults to `"glorot_uniform"`.
        bias_initializer: Initializer of the biases. Defaults to `"zeros"`.
        kernel_regularizer, bias_regularizer, activity_regularizer: Optional regularizers of the
            projections. Default to `None`.
        kernel_constraint, bias_constraint: Optional constraints. Default to `None`.
        use_gate: Whether a sigmoid gate projected from the query multiplies the attention
            output (gated attention). Defaults to `False`.
        seed: Optional int seed of the dropout. Defaults to `None`.

    Call arguments:
        query: `(B, T, dim)`. value: `(B, S, dim)`. key: optional `(B, S, dim)`, defaults to `value`.
        query_mask, value_mask, key_mask: optional `(B, T)` / `(B, S)` boolean masks; default to
            the tensors' Keras masks. (Keras 3.15's MultiHeadAttention replaces an explicit
            `query_mask` by the query tensor's own mask; here an explicit one is applied.)
        attention_mask: optional boolean `(B, T, S)` mask, `True` where a query may attend.
        return_attention_scores: whether to return `(output, scores)`. Defaults to `False`.
        training: whether dropout is active. Defaults to Keras' resolution (the enclosing call's, else
            inference), or the mode set with `train()`/`eval()`.
        use_causal_mask: whether position i attends only to positions up to i. Defaults to `False`.

    Returns:
        The output `(B, T, dim)` (or `output_shape`), and with `return_attention_scores` the
        scores `(B, num_heads, T, S)`.

    Example:
    >>> import torch
    >>> from kerastorch import layers
    >>> mha = layers.MultiHeadAttention(num_heads=2, key_dim=4)
    >>> out, scores = mha(torch.ones(1, 8, 16), torch.ones(1, 4, 16), return_attention_scores=True)
    >>> tuple(out.shape), tuple(scores.shape)
    ((1, 8, 16), (1, 2, 8, 4))
    """

    def __init__(self, num_heads, key_dim, value_dim=None, dropout=0.0, use_bias=True, output_shape=None,
                 attention_axes=None, sliding_window=None, flash_attention=None,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros", kernel_regularizer=None,
                 bias_regularizer=None, activity_regularizer=None, kernel_constraint=None, bias_constraint=None,
                 use_gate=False, seed=None, **kwargs):
        name = f"MultiHeadAttention layer '{kwargs.get('name') or 'multi_head_attention'}'"
        check_positive_int(name, "num_heads", num_heads)
        check_positive_int(name, "key_dim", key_dim)
        check_positive_int(name, "value_dim", value_dim, allow_none=True)
        super().__init__(**kwargs)
        self._init_common(kernel_initializer, bias_initializer, kernel_regularizer, bias_regularizer,
                          activity_regularizer, kernel_constraint, bias_constraint, sliding_window, seed)
        self._num_heads, self._key_dim = num_heads, key_dim
        self._value_dim = value_dim if value_dim else key_dim
        if isinstance(dropout, bool) or not isinstance(dropout, (int, float)) or not 0 <= dropout <= 1:
            raise ValueError(f"{where(self)}: `dropout` must be a float in [0, 1], got dropout={dropout!r}.")
        self._dropout = dropout
        self._use_bias, self._use_gate = bool(use_bias), bool(use_gate)
        if output_shape:
            if isinstance(output_shape, int):
                output_shape = (output_shape,)
            if not isinstance(output_shape, (tuple, list)):
                raise ValueError(f"{where(self)}: invalid `output_shape`={output_shape!r}; it should be a "
                                 "tuple, a list or an int.")
            output_shape = tuple(output_shape)
        self._output_shape = output_shape or None
        if isinstance(attention_axes, int):
            attention_axes = (attention_axes,)
        elif attention_axes and not isinstance(attention_axes, (list, tuple)):
            raise ValueError(f"{where(self)}: `attention_axes` must be an int, list, or tuple, got "
                             f"attention_axes={attention_axes!r}.")
        self._attention_axes = tuple(attention_axes) if attention_axes else None
        if flash_attention not in (None, True, False):
            raise ValueError(f"{where(self)}: `flash_attention` must be None, True or False, got "
                             f"{flash_attention!r}.")
        self._flash_attention = flash_attention or _config.is_flash_attention_enabled()
        if self._flash_attention and self._dropout > 0.0:
            raise ValueError(f"{where(self)}: dropout is not supported when flash attention is enabled. "
                             "Set dropout=0.0 to use flash attention, or flash_attention=None.")
        self._inverse_sqrt_key_dim = 1.0 / math.sqrt(float(key_dim))

    num_heads = property(lambda self: self._num_heads, doc="Number of attention heads.")
    key_dim = property(lambda self: self._key_dim, doc="Size of each query/key head.")
    value_dim = property(lambda self: self._value_dim, doc="Size of each value head.")
    dropout = property(lambda self: self._dropout, doc="Dropout rate on the attention probabilities.")
    use_bias = property(lambda self: self._use_bias, doc="Whether the projections have biases.")
    attention_axes = property(lambda self: self._attention_axes, doc="Axes attention is applied over.")

    def build(self, query_shape, value_shape=None, key_shape=None):
        """Creates the projections from the shapes of `query`, `value` and (optionally) `key`."""
        if value_shape is None:
            raise ValueError(f"{where(self)}.build needs query_shape and value_shape (and optionally "
                             "key_shape), got only one shape.")
        key_shape = value_shape if key_shape is None else key_shape
        self._check_kv_shapes(value_shape, key_shape)
        common = self._sublayer_kwargs

        def dense(rank, heads_dim, name, shape, **extra):
            eq, bias_axes, out_rank = projection_equation(rank - 1, 1, 2)
            layer = EinsumDense(eq, output_shape=_padded_shape(out_rank - 1, [self._num_heads, heads_dim]),
                                bias_axes=bias_axes if self._use_bias else None, name=name, **extra, **common())
            self._build_sublayer(layer, shape)
            return layer

        # Registered in Keras' creation order: get_weights() lists query, key, (gate,) value, output.
        self.query_dense = dense(len(query_shape), self._key_dim, "query", query_shape)
        self.key_dense = dense(len(key_shape), self._key_dim, "key", key_shape)
        if self._use_gate:
            self._gate_dense = dense(len(query_shape), self._value_dim, "gate", query_shape, activation="sigmoid")
        self.value_dense = dense(len(value_shape), self._value_dim, "value", value_shape)
        rank = len(value_shape) + 1           # the projected tensors' rank
        if self._attention_axes is None:
            self._attention_axes = tuple(range(1, rank - 2))
        else:
            self._attention_axes = tuple(a if a >= 0 else (rank - 1) + a for a in self._attention_axes)
        self._dot_product_equation, self._combine_equation, scores_rank = attention_equations(
            rank, self._attention_axes)
        norm_axes = tuple(range(scores_rank - len(self._attention_axes), scores_rank))
        self._softmax = Softmax(axis=norm_axes, dtype=self._dtype_policy)
        self._dropout_layer = Dropout(rate=self._dropout, dtype=self._dtype_policy, seed=self.seed)
        out_shape = self._output_shape or [query_shape[-1]]
        eq, bias_axes, out_rank = projection_equation(len(query_shape) - 1, 2, len(out_shape))
        self.output_dense = EinsumDense(eq, output_shape=_padded_shape(out_rank - 1, out_shape),
                                        bias_axes=bias_axes if self._use_bias else None,
                                        name="attention_output", **common())
        dense_in = list(self.query_dense.compute_output_shape(tuple(query_shape)))
        dense_in[-1] = self._value_dim
        self._build_sublayer(self.output_dense, dense_in)
        self.built = True

    # ------------------------------------------------------------------ computing
    def _masked_softmax(self, scores, attention_mask=None):
        if attention_mask is not None:
            axis = -len(self._attention_axes) * 2 - 1
            for _ in range(scores.dim() - attention_mask.dim()):
                attention_mask = attention_mask.unsqueeze(axis)
        return self._softmax(scores, mask=attention_mask)

    def _compute_attention(self, query, key, value, attention_mask=None, training=None,
                           return_attention_scores=False, use_causal_mask=False):
        """Attention of projected `(B, T, N, key_dim)` query with `(B, S, N, ·)` key and value.

        Returns `(output, scores)`; scores are computed (explicitly, as Keras) only when asked
        for, with dropout, or for attention over several axes; otherwise they are `None`.
        """
        from kerastorch import ops

        if self._flash_attention and return_attention_scores:
            raise ValueError(f"{where(self)}: returning attention scores is not supported when flash "
                             "attention is enabled. Pass flash_attention=None to get the scores.")
        fused = not (self._dropout > 0.0 or return_attention_scores or query.dim() != 4)
        if fused:
            if attention_mask is not None:
                axis = -len(self._attention_axes) * 2 - 1
                for _ in range(4 - attention_mask.dim()):
                    attention_mask = attention_mask.unsqueeze(axis)
            out = ops.dot_product_attention(query, key, value, mask=attention_mask,
                                            scale=self._inverse_sqrt_key_dim, is_causal=use_causal_mask,
                                            flash_attention=self._flash_attention)
            return out, None
        if use_causal_mask:      # the fused kernel was skipped: build the causal mask here
            from kerastorch.layers.attention.base import causal_mask

            causal = causal_mask(query.shape[1], value.shape[1], query.device)
            attention_mask = causal if attention_mask is None else attention_mask & causal
        query = query * self._inverse_sqrt_key_dim
        import torch

        scores = torch.einsum(self._dot_product_equation, key, query)
        scores = self._masked_softmax(scores, attention_mask)
        dropped = self._dropout_layer(scores, training=training) if self._dropout > 0.0 else scores
        return torch.einsum(self._combine_equation, dropped, value), scores

    def call(self, query, value, key=None, query_mask=None, value_mask=None, key_mask=None, attention_mask=None,
             return_attention_scores=False, training=None, use_causal_mask=False):
        if key is None:
            key = value
        causal_only = (use_causal_mask and query_mask is None and value_mask is None and key_mask is None
                       and attention_mask is None and self._sliding_window is None
                       and type(self)._compute_attention is MultiHeadAttention._compute_attention)
        if not causal_only:
            attention_mask = self._compute_attention_mask(query, value, query_mask, value_mask, key_mask,
                                                          attention_mask, use_causal_mask)
        gate = self._gate_dense(query) if self._use_gate else None
        q, k, v = self.query_dense(query), self.key_dense(key), self.value_dense(value)
        extra = {"use_causal_mask": True} if causal_only else {}
        out, scores = self._compute_attention(q, k, v, attention_mask, training, return_attention_scores, **extra)
        out = self.output_dense(out if gate is None else out * gate)
        if query_mask is not None:
            out._keras_mask = query_mask
        return (out, scores) if return_attention_scores else out

    def compute_output_shape(self, query_shape, value_shape=None, key_shape=None):
        """The output shape: `query_shape` with its last axis `output_shape` (or kept)."""
        query_shape = tuple(query_shape)
        if value_shape is not None:
            self._check_kv_shapes(tuple(value_shape), None if key_shape is None else tuple(key_shape))
        if self._output_shape:
            return query_shape[:-1] + tuple(self._output_shape)
        return query_shape

    def compute_output_spec(self, query, value, key=None, query_mask=None, value_mask=None, key_mask=None,
                            attention_mask=None, return_attention_scores=False, training=None,
                            use_causal_mask=False):
        """Symbolic outputs (KerasTensors) for symbolic `query`, `value`, `key`; builds the layer."""
        if not self.built:
            self._build_wrapper(shape_of(query), shape_of(value), shape_of(key))
        q, kv = tuple(query.shape), tuple((key if key is not None else value).shape)
        scores = (q[0], self._num_heads, *q[1:-1], *kv[1:-1]) if len(q) == 3 else None
        if return_attention_scores and scores is None:
            raise ValueError(f"{where(self)}: symbolic attention scores are only shaped for 3D inputs here; "
                             "call the layer on tensors to get them for higher-rank inputs.")
        return self._output_spec(self.compute_output_shape(q, tuple(value.shape), kv), scores,
                                 return_attention_scores)

    def get_config(self):
        return {**super().get_config(), "num_heads": self._num_heads, "key_dim": self._key_dim,
                "value_dim": self._value_dim, "dropout": self._dropout, "use_bias": self._use_bias,
                "use_gate": self._use_gate, "output_shape": self._output_shape,
                "attention_axes": self._attention_axes, "sliding_window": self._sliding_window,
                **self._common_config(), "seed": self.seed}
