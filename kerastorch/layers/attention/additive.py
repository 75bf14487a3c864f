"""`AdditiveAttention`: Bahdanau-style attention over `[query, value(, key)]`, as in Keras."""

import torch

from kerastorch.layers.attention.attention import Attention

__all__ = ["AdditiveAttention"]


class AdditiveAttention(Attention):
    """Additive attention layer, a.k.a. Bahdanau-style attention.

    For `query (B, Tq, dim)`, `value (B, Tv, dim)` and `key (B, Tv, dim)` (defaults to
    `value`): `scores = sum(scale * tanh(query[:, :, None] + key[:, None]), -1)`, then
    `softmax(scores) @ value`; masks as in `Attention`.

    Args:
        use_scale: Whether to learn a `scale` vector `(dim,)` (glorot-uniform initialized).
            Defaults to `True`.
        dropout: Dropout rate on the attention distribution. Defaults to `0.0`.
        **kwargs: `seed` and the standard layer arguments (`name`, `dtype`, `trainable`).

    Call arguments: as `Attention`'s (`inputs`, `mask`, `return_attention_scores`,
    `training`, `use_causal_mask`).

    Returns:
        The output `(B, Tq, dim)`, and with `return_attention_scores` the scores `(B, Tq, Tv)`.

    Example:
    >>> import torch
    >>> from kerastorch import layers
    >>> out = layers.AdditiveAttention()([torch.ones(2, 3, 4), torch.ones(2, 5, 4)])
    >>> tuple(out.shape)
    (2, 3, 4)
    """

    def __init__(self, use_scale=True, dropout=0.0, **kwargs):
        if "score_mode" in kwargs:
            raise TypeError("AdditiveAttention: unexpected keyword argument `score_mode` (its scores are "
                            "always additive). Use layers.Attention(score_mode=...) for dot/concat scores.")
        super().__init__(use_scale=use_scale, dropout=dropout, **kwargs)

    def build(self, input_shape):
        self._validate_inputs(input_shape)
        self.scale = (self.add_weight(name="scale", shape=(input_shape[0][-1],), initializer="glorot_uniform")
                      if self.use_scale else None)
        self.built = True

    def _calculate_scores(self, query, key):
        summed = torch.tanh(query.unsqueeze(-2) + key.unsqueeze(-3))
        return (summed if self.scale is None else self.scale * summed).sum(-1)

    def get_config(self):
        config = super().get_config()
        del config["score_mode"]
        return config
