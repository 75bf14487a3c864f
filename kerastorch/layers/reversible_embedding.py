"""`ReversibleEmbedding`: an `Embedding` that can also project vectors back to vocabulary logits."""

import torch

from kerastorch.backend.dtypes import to_torch_dtype
from kerastorch.layers.embedding import Embedding


class ReversibleEmbedding(Embedding):
    """An embedding layer that can be called in reverse, to turn hidden vectors into logits.

    Called normally it looks up ids as `Embedding` does; called with `reverse=True` on float
    vectors `(..., output_dim)` it returns `inputs @ embeddings.T` (tied weights, the default) or
    `inputs @ reverse_embeddings`, optionally cast to `reverse_dtype` and soft-capped as
    `tanh(logits / logit_soft_cap) * logit_soft_cap`, as in Keras.

    Args:
        input_dim: Positive int, the vocabulary size.
        output_dim: Positive int, the embedding size.
        tie_weights: Whether the reverse projection uses the transposed embeddings; if `False`,
            a separate `reverse_embeddings` weight `(output_dim, input_dim)` is learned. Defaults to `True`.
        embeddings_initializer: Defaults to `"uniform"`.
        embeddings_regularizer: Defaults to `None`.
        embeddings_constraint: Defaults to `None`.
        mask_zero: Whether id 0 is padding (masked). Defaults to `False`.
        reverse_dtype: Optional dtype of the reverse matmul (e.g. `"float32"` under mixed
            precision). Defaults to `None` (the compute dtype).
        logit_soft_cap: Optional float; the logits are soft-capped to `(-cap, cap)`. Defaults to `None`.

    Call arguments:
        inputs: integer ids, or with `reverse=True` float vectors `(..., output_dim)`.
        reverse: Whether to project back to logits. Defaults to `False`.

    Example:
    >>> import torch
    >>> from kerastorch import layers
    >>> layer = layers.ReversibleEmbedding(10, 4)
    >>> hidden = layer(torch.tensor([[1, 2, 3]]))
    >>> tuple(layer(hidden, reverse=True).shape)
    (1, 3, 10)
    """

    def __init__(self, input_dim, output_dim, tie_weights=True, embeddings_initializer="uniform",
                 embeddings_regularizer=None, embeddings_constraint=None, mask_zero=False, reverse_dtype=None,
                 logit_soft_cap=None, **kwargs):
        super().__init__(input_dim, output_dim, embeddings_initializer=embeddings_initializer,
                         embeddings_regularizer=embeddings_regularizer,
                         embeddings_constraint=embeddings_constraint, mask_zero=mask_zero, **kwargs)
        self.tie_weights = bool(tie_weights)
        self.reverse_dtype = reverse_dtype
        if reverse_dtype is not None:
            to_torch_dtype(reverse_dtype)      # an unknown dtype fails now, not at the first reverse call
        self.logit_soft_cap = logit_soft_cap

    def build(self, input_shape=None):
        super().build(input_shape)
        if not self.tie_weights:
            self.reverse_embeddings = self.add_weight(shape=(self.output_dim, self.input_dim),
                                                      initializer=self.embeddings_initializer,
                                                      name="reverse_embeddings")
        self.built = True

    def forward(self, inputs, reverse=False, training=None, mask=None):
        if not reverse:
            return super().forward(inputs, training=training, mask=mask)
        if not self.built:
            self._build_wrapper(None)
        inputs = torch.as_tensor(inputs)
        if inputs.shape[-1] != self.output_dim:
            raise ValueError(
                f"ReversibleEmbedding layer '{self.name}': reverse=True takes vectors of size output_dim="
                f"{self.output_dim} on the last axis, got shape {tuple(inputs.shape)}."
            )
        kernel = self.embeddings.t() if self.tie_weights else self.reverse_embeddings
        if self.reverse_dtype is not None:
            dtype = to_torch_dtype(self.reverse_dtype)
            inputs, kernel = inputs.to(dtype), kernel.to(dtype)
        elif inputs.dtype != kernel.dtype:
            inputs = inputs.to(kernel.dtype)
        logits = inputs @ kernel
        if self.logit_soft_cap is not None:
            logits = torch.tanh(logits / self.logit_soft_cap) * self.logit_soft_cap
        return logits

    def compute_output_shape(self, input_shape, reverse=False):
        if reverse:
            return (*tuple(input_shape)[:-1], self.input_dim)
        return super().compute_output_shape(input_shape)

    def get_config(self):
        return {**super().get_config(), "tie_weights": self.tie_weights, "reverse_dtype": self.reverse_dtype,
                "logit_soft_cap": self.logit_soft_cap}
