"""`GroupedQueryAttention` (Keras' `GroupQueryAttention`): query heads share fewer key/value heads."""

import math

import torch

from kerastorch import config as _config
from kerastorch.layers.activation_layers import Softmax
from kerastorch.layers.attention.base import MultiInputAttention, causal_mask, check_positive_int, shape_of, where
from kerastorch.layers.core import Dropout
from kerastorch.layers.einsum_dense import EinsumDense

__all__ = ["GroupedQueryAttention", "GroupQueryAttention"]


class GroupedQueryAttention(MultiInputAttention):
    """Grouped-query attention (Ainslie et al., 2023), as Keras' `GroupQueryAttention`.

    `num_query_heads` query heads attend with `num_key_value_heads` key/value heads, each
    shared by `num_query_heads // num_key_value_heads` query heads. Projections are
    `EinsumDense` layers `query (dim, num_query_heads, head_dim)`, `key`/`value`
    `(dim, num_key_value_heads, head_dim)` and `attention_output (num_query_heads, head_dim,
    dim)`, with Keras' names, so Keras' weight files load.

    Args:
        head_dim: Size of each attention head.
        num_query_heads: Number of query heads.
        num_key_value_heads: Number of key/value heads; must divide `num_query_heads`.
        dropout: Dropout rate on the attention probabilities. Defaults to `0.0`.
        use_bias: Whether the projections use biases. Defaults to `True`.
        sliding_window: Optional positive int, as in `MultiHeadAttention`. Defaults to `None`.
        flash_attention: `None`, `True` or `False`, as in `MultiHeadAttention`. Defaults to `None`.
        kernel_initializer: Defaults to `"glorot_uniform"`. bias_initializer: Defaults to `"zeros"`.
        kernel_regularizer, bias_regularizer, activity_regularizer, kernel_constraint,
            bias_constraint: Optional, default to `None`.
        use_gate: Whether a sigmoid gate from the query multiplies the attention output.
            Defaults to `False`.
        seed: Optional int seed of the dropout. Defaults to `None`.

    Call arguments: as `MultiHeadAttention`'s (`query`, `value`, `key`, `query_mask`,
    `value_mask`, `key_mask`, `attention_mask`, `return_attention_scores`, `training`,
    `use_causal_mask`).

    Returns:
        The output `(B, T, dim)`, and with `return_attention_scores` the scores
        `(B, num_query_heads, T, S)`.

    Example:
    >>> import torch
    >>> from kerastorch import layers
    >>> gqa = layers.GroupQueryAttention(head_dim=4, num_query_heads=4, num_key_value_heads=2)
    >>> tuple(gqa(torch.ones(1, 6, 8), torch.ones(1, 3, 8)).shape)
    (1, 6, 8)
    """

    def __init__(self, head_dim, num_query_heads, num_key_value_heads, dropout=0.0, use_bias=True,
                 sliding_window=None, flash_attention=None, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, bias_constraint=None, use_gate=False,
                 seed=None, **kwargs):
        name = f"GroupQueryAttention layer '{kwargs.get('name') or 'grouped_query_attention'}'"
        for arg, value in (("head_dim", head_dim), ("num_query_heads", num_query_heads),
                           ("num_key_value_heads", num_key_value_heads)):
            check_positive_int(name, arg, value)
        if num_query_heads % num_key_value_heads != 0:
            raise ValueError(f"{name}: `num_query_heads` must be divisible by `num_key_value_heads`, got "
                             f"num_query_heads={num_query_heads} and num_key_value_heads={num_key_value_heads}.")
        super().__init__(**kwargs)
        self._init_common(kernel_initializer, bias_initializer, kernel_regularizer, bias_regularizer,
                          activity_regularizer, kernel_constraint, bias_constraint, sliding_window, seed)
        self.head_dim, self.num_query_heads, self.num_key_value_heads = head_dim, num_query_heads, num_key_value_heads
        self.num_repeats = num_query_heads // num_key_value_heads
        if isinstance(dropout, bool) or not isinstance(dropout, (int, float)) or not 0 <= dropout <= 1:
            raise ValueError(f"{where(self)}: `dropout` must be a float in [0, 1], got dropout={dropout!r}.")
        self.dropout = dropout
        self.use_bias, self.use_gate = bool(use_bias), bool(use_gate)
        if flash_attention not in (None, True, False):
            raise ValueError(f"{where(self)}: `flash_attention` must be None, True or False, got "
                             f"{flash_attention!r}.")
        self._flash_attention = flash_attention or _config.is_flash_attention_enabled()
        if self._flash_attention and self.dropout > 0.0:
            raise ValueError(f"{where(self)}: dropout is not supported when flash attention is enabled. "
                             "Set dropout=0.0 to use flash attention, or flash_attention=None.")
        self._inverse_sqrt_head_dim = 1.0 / math.sqrt(float(head_dim))

    _keras_class_name = "GroupQueryAttention"    # the name Keras writes in configs

    sliding_window = property(lambda self: self._sliding_window, doc="The sliding window, or None.")
    kernel_initializer = property(lambda self: self._kernel_initializer)
    bias_initializer = property(lambda self: self._bias_initializer)

    def build(self, query_shape, value_shape=None, key_shape=None):
        """Creates the projections from the shapes of `query`, `value` and (optionally) `key`."""
        if value_shape is None:
            raise ValueError(f"{where(self)}.build needs query_shape and value_shape (and optionally "
                             "key_shape), got only one shape.")
        key_shape = value_shape if key_shape is None else key_shape
        self._check_kv_shapes(value_shape, key_shape)
        self.feature_dim = query_shape[-1]

        def dense(eq, shape, heads, bias_axes, name, **extra):
            layer = EinsumDense(eq, output_shape=(None, heads, self.head_dim),
                                bias_axes=bias_axes if self.use_bias else None, name=name, **extra,
                                **self._sublayer_kwargs())
            self._build_sublayer(layer, shape)
            return layer

        # Keras' creation order (query, key, (gate,) value, output) is get_weights()' order; the
        # attribute names (with the underscore) are the groups of Keras' weight files.
        self._query_dense = dense("bqm,muh->bquh", query_shape, self.num_query_heads, "uh", "query")
        self._key_dense = dense("bkm,mvh->bkvh", key_shape, self.num_key_value_heads, "vh", "key")
        if self.use_gate:
            self._gate_dense = dense("bqm,muh->bquh", query_shape, self.num_query_heads, "uh", "gate",
                                     activation="sigmoid")
        self._value_dense = dense("bkm,mvh->bkvh", value_shape, self.num_key_value_heads, "vh", "value")
        self._softmax = Softmax(axis=-1, dtype=self._dtype_policy)
        self._dropout_layer = Dropout(rate=self.dropout, dtype=self._dtype_policy, seed=self.seed)
        self._dot_product_equation = "bquh,bkuh->buqk"
        self._combine_equation = "buqk,bkuh->bquh"
        self._output_dense = EinsumDense("bquh,uhm->bqm", output_shape=(None, self.feature_dim),
                                        bias_axes="m" if self.use_bias else None, name="attention_output",
                                        **self._sublayer_kwargs())
        self._build_sublayer(self._output_dense, (None, None, self.num_query_heads, self.head_dim))
        self.built = True

    def _compute_attention(self, query, key, value, attention_mask=None, training=None, use_causal_mask=False,
                           return_attention_scores=False):
        from kerastorch import ops

        if self._flash_attention and return_attention_scores:
            raise ValueError(f"{where(self)}: returning attention scores is not supported when flash "
                             "attention is enabled. Pass flash_attention=None to get the scores.")
        if attention_mask is not None:
            for _ in range(4 - attention_mask.dim()):
                attention_mask = attention_mask.unsqueeze(-3)
        if not (self.dropout > 0.0 or return_attention_scores):
            out = ops.dot_product_attention(query, key, value, mask=attention_mask,
                                            scale=self._inverse_sqrt_head_dim, is_causal=use_causal_mask,
                                            flash_attention=self._flash_attention)
            return out, None
        if use_causal_mask:
            causal = causal_mask(query.shape[1], value.shape[1], query.device)
            attention_mask = causal if attention_mask is None else attention_mask & causal
        scores = torch.einsum(self._dot_product_equation, query * self._inverse_sqrt_head_dim, key)
        scores = self._softmax(scores, mask=attention_mask)
        dropped = self._dropout_layer(scores, training=training) if self.dropout > 0.0 else scores
        return torch.einsum(self._combine_equation, dropped, value), scores

    def call(self, query, value, key=None, query_mask=None, value_mask=None, key_mask=None, attention_mask=None,
             return_attention_scores=False, training=None, use_causal_mask=False):
        if key is None:
            key = value
        causal_only = (use_causal_mask and query_mask is None and value_mask is None and key_mask is None
                       and attention_mask is None and self._sliding_window is None
                       and type(self)._compute_attention is GroupedQueryAttention._compute_attention)
        if not causal_only:
            attention_mask = self._compute_attention_mask(query, value, query_mask, value_mask, key_mask,
                                                          attention_mask, use_causal_mask)
        gate = self._gate_dense(query) if self.use_gate else None
        q, k, v = self._query_dense(query), self._key_dense(key), self._value_dense(value)
        k = k.repeat_interleave(self.num_repeats, dim=2)      # (B, S, query heads, head_dim)
        v = v.repeat_interleave(self.num_repeats, dim=2)
        out, scores = self._compute_attention(q, k, v, attention_mask, training, use_causal_mask=causal_only,
                                              return_attention_scores=return_attention_scores)
        out = self._output_dense(out if gate is None else out * gate)
        return (out, scores) if return_attention_scores else out

    def compute_output_shape(self, query_shape, value_shape=None, key_shape=None):
        """The output shape: `query_shape`."""
        if value_shape is not None:
            if query_shape[-1] != value_shape[-1]:
                raise ValueError(
                    f"{where(self)}: the last dimension of `query_shape` and `value_shape` must be equal, "
                    f"but are {query_shape[-1]}, {value_shape[-1]}. Received: query_shape={tuple(query_shape)}, "
                    f"value_shape={tuple(value_shape)}."
                )
            self._check_kv_shapes(tuple(value_shape), None if key_shape is None else tuple(key_shape))
        return tuple(query_shape)

    def compute_output_spec(self, query, value, key=None, query_mask=None, value_mask=None, key_mask=None,
                            attention_mask=None, return_attention_scores=False, training=None,
                            use_causal_mask=False):
        """Symbolic outputs (KerasTensors) for symbolic inputs; builds the layer."""
        if not self.built:
            self._build_wrapper(shape_of(query), shape_of(value), shape_of(key))
        kv = key if key is not None else value
        scores = (query.shape[0], self.num_query_heads, query.shape[1], kv.shape[1])
        shape = self.compute_output_shape(tuple(query.shape), tuple(value.shape),
                                          None if key is None else tuple(key.shape))
        return self._output_spec(shape, scores, return_attention_scores)

    def get_config(self):
        cfg = self._common_config()
        return {**super().get_config(), "head_dim": self.head_dim, "num_query_heads": self.num_query_heads,
                "num_key_value_heads": self.num_key_value_heads, "use_bias": self.use_bias,
                "use_gate": self.use_gate, "sliding_window": self._sliding_window, "dropout": self.dropout,
                **cfg, "seed": self.seed}


GroupQueryAttention = GroupedQueryAttention
