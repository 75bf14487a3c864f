"""`Attention`: Luong-style dot-product (or concat) attention over `[query, value(, key)]`, as in Keras."""

import torch

from kerastorch import random as _random
from kerastorch.layers.base import Layer, resolve_training, convert_inputs, format_shape

__all__ = ["Attention"]


def _where(layer):
    return f"{type(layer).__name__} layer '{layer.name}'"


class Attention(Layer):
    """Dot-product attention layer, a.k.a. Luong-style attention.

    For `query (B, Tq, dim)`, `value (B, Tv, dim)` and `key (B, Tv, dim)` (defaults to
    `value`): `scores = query @ key^T` (times `scale` with `use_scale`; with
    `score_mode="concat"`, `concat_score_weight * sum(tanh(scale * (q + k)), -1)`), then
    `softmax(scores) @ value`. Masked value positions get `-1e9` before the softmax
    (`-65504` in float16), masked query positions a zero output, as in Keras.

    Args:
        use_scale: Whether to learn a scalar `scale` (initialized to 1) for the scores.
            Defaults to `False`.
        score_mode: `"dot"` or `"concat"`. Defaults to `"dot"`.
        dropout: Dropout rate on the attention distribution. Defaults to `0.0`.
        seed: Optional int seed of the dropout. Defaults to `None`.
        **kwargs: Standard layer arguments (`name`, `dtype`, `trainable`).

    Call arguments:
        inputs: A list `[query, value]` or `[query, value, key]`.
        mask: Optional list `[query_mask, value_mask]` of `(B, Tq)` / `(B, Tv)` boolean masks.
            Defaults to the inputs' Keras masks.
        return_attention_scores: Whether to return `(output, scores)`. Defaults to `False`.
        training: Whether dropout is active. Defaults to Keras' resolution (the enclosing call's, else
            inference), or the mode set with `train()`/`eval()`.
        use_causal_mask: Whether query position i attends only to value positions up to i.
            Defaults to `False`.

    Returns:
        The output `(B, Tq, dim)`, and with `return_attention_scores` the attention
        distribution `(B, Tq, Tv)`.

    Example:
    >>> import torch
    >>> from kerastorch import layers
    >>> out = layers.Attention()([torch.ones(2, 3, 4), torch.ones(2, 5, 4)])
    >>> tuple(out.shape)
    (2, 3, 4)
    """

    def __init__(self, use_scale=False, score_mode="dot", dropout=0.0, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True
        self.use_scale = use_scale
        self.score_mode = score_mode
        if isinstance(dropout, bool) or not isinstance(dropout, (int, float)) or not 0 <= dropout <= 1:
            raise ValueError(f"{_where(self)}: `dropout` must be a float in [0, 1], got dropout={dropout!r}.")
        self.dropout = dropout
        self.seed = seed
        if self.dropout > 0:
            self.seed_generator = _random.SeedGenerator(seed)
        self._check_score_mode()

    def _check_score_mode(self):
        if self.score_mode not in ("dot", "concat"):
            raise ValueError(f"{_where(self)}: invalid score_mode={self.score_mode!r}. Expected one of "
                             "{'dot', 'concat'}.")

    # ------------------------------------------------------------------ checks
    def _validate_inputs(self, inputs, mask=None):
        if not isinstance(inputs, (list, tuple)):
            got = f"a single tensor of shape {format_shape(inputs.shape)}" if hasattr(inputs, "shape") else repr(inputs)
            raise ValueError(f"{_where(self)} must be called on a list of inputs, namely [query, value] or "
                             f"[query, value, key]. Received: {got}.")
        if not 2 <= len(inputs) <= 3:
            raise ValueError(f"{_where(self)} accepts an inputs list of length 2 or 3, namely [query, value] "
                             f"or [query, value, key]. Received length: {len(inputs)}.")
        if mask is not None:
            if not isinstance(mask, (list, tuple)):
                raise ValueError(f"{_where(self)}: `mask` must be a list, namely [query_mask, value_mask]. "
                                 f"Received: {type(mask).__name__}.")
            if not 2 <= len(mask) <= 3:
                raise ValueError(f"{_where(self)} accepts a mask list of length 2 or 3, got {len(mask)}. "
                                 "Pass [query_mask, value_mask].")

    def build(self, input_shape):
        self._validate_inputs(input_shape)
        # Set once (a registered weight or None): torch refuses a parameter over a plain attribute.
        self.scale = self.add_weight(name="scale", shape=(), initializer="ones") if self.use_scale else None
        self.concat_score_weight = (self.add_weight(name="concat_score_weight", shape=(), initializer="ones")
                                    if self.score_mode == "concat" else None)
        self.built = True

    # ------------------------------------------------------------------ computing
    def forward(self, inputs, mask=None, training=None, return_attention_scores=False, use_causal_mask=False):
        self._validate_inputs(inputs, mask)
        if mask is None:
            found = [getattr(x, "_keras_mask", None) for x in inputs]
            mask = found if any(m is not None for m in found) else None
        tensors = []
        for i, x in enumerate(inputs):
            if not isinstance(x, torch.Tensor):
                x = convert_inputs(self, x, keep_integers=False)
            if not isinstance(x, torch.Tensor):
                raise TypeError(f"{_where(self)}: input {i} must be a tensor or an array, got {type(x).__name__}.")
            tensors.append(self._cast_input(x))
        if not self.built:
            self._build_wrapper([(None, *x.shape[1:]) for x in tensors])
        if training is None:
            training = resolve_training(self)
        return self.call(tensors, mask=mask, training=training, return_attention_scores=return_attention_scores,
                         use_causal_mask=use_causal_mask)

    def _calculate_scores(self, query, key):
        """Scores `(B, Tq, Tv)` of `query (B, Tq, dim)` against `key (B, Tv, dim)`."""
        if self.score_mode == "dot":
            scores = query @ key.transpose(-2, -1)
            return scores if self.scale is None else scores * self.scale
        summed = query.unsqueeze(-2) + key.unsqueeze(-3)
        if self.scale is not None:
            summed = self.scale * summed
        return self.concat_score_weight * torch.tanh(summed).sum(-1)

    def _apply_scores(self, scores, value, scores_mask=None, training=False):
        if scores_mask is not None:
            padding = ~scores_mask
            big = 65504.0 if scores.dtype == torch.float16 else 1.0e9
            if padding.dim() == 2:
                padding = padding.unsqueeze(-2)
            scores = torch.where(padding, scores - big, scores)
        weights = torch.softmax(scores, dim=-1)
        if training and self.dropout > 0:
            weights = _random._dropout(weights, self.dropout, None, self.seed_generator, _where(self))
        return weights @ value, weights

    def _score_mask(self, scores, value_mask, use_causal_mask):
        if not use_causal_mask:
            return value_mask
        causal = torch.ones(scores.shape[-2:], dtype=torch.bool, device=scores.device).tril().unsqueeze(0)
        return causal if value_mask is None else value_mask.unsqueeze(-2) & causal

    def call(self, inputs, mask=None, training=False, return_attention_scores=False, use_causal_mask=False):
        q, v = inputs[0], inputs[1]
        k = inputs[2] if len(inputs) > 2 else v
        q_mask = v_mask = None
        if mask:
            q_mask, v_mask = mask[0], mask[1]
        q_mask = None if q_mask is None else torch.as_tensor(q_mask, device=q.device).bool()
        v_mask = None if v_mask is None else torch.as_tensor(v_mask, device=q.device).bool()
        scores = self._calculate_scores(q, k)
        output, weights = self._apply_scores(scores, v, self._score_mask(scores, v_mask, use_causal_mask), training)
        if q_mask is not None:
            output = torch.where(q_mask.unsqueeze(-1), output, torch.zeros((), dtype=output.dtype,
                                                                           device=output.device))
            output._keras_mask = q_mask
        return (output, weights) if return_attention_scores else output

    def compute_mask(self, inputs, mask=None):
        """The output mask: the query's mask (or `None`)."""
        self._validate_inputs(inputs, mask)
        if mask is None or mask[0] is None:
            return None
        return mask[0]

    def compute_output_shape(self, input_shape):
        self._validate_inputs(input_shape)
        return (*tuple(input_shape[0])[:-1], tuple(input_shape[1])[-1])

    def compute_output_spec(self, inputs, mask=None, return_attention_scores=False, training=None,
                            use_causal_mask=False):
        """Symbolic outputs for a symbolic `[query, value(, key)]`."""
        from kerastorch.layers.symbolic import spec_from_shapes

        self._validate_inputs(inputs, mask)
        key = inputs[2] if len(inputs) > 2 else inputs[1]
        out = spec_from_shapes(self.compute_output_shape([tuple(x.shape) for x in inputs]), self.compute_dtype)
        if return_attention_scores:
            return out, spec_from_shapes((*tuple(inputs[0].shape)[:-1], tuple(key.shape)[-2]), self.compute_dtype)
        return out

    def get_config(self):
        return {**super().get_config(), "use_scale": self.use_scale, "score_mode": self.score_mode,
                "dropout": self.dropout, "seed": self.seed}
