"""`Embedding`: integer ids -> dense vectors, with Keras' `mask_zero` padding mask."""

import warnings

import torch

from kerastorch import constraints, initializers, regularizers
from kerastorch.layers.base import Layer


def _check_positive_int(layer, arg, value):
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(
            f"Embedding layer '{layer.name}': `{arg}` must be a positive integer, got {arg}={value!r}."
        )
    return value


class Embedding(Layer):
    """Turns integer ids into dense vectors: `outputs = embeddings[inputs]`.

    Args:
        input_dim: Size of the vocabulary: ids run from 0 to `input_dim - 1`.
        output_dim: Size of each vector.
        embeddings_initializer: Initializer of the `(input_dim, output_dim)` matrix.
            Defaults to `"uniform"` (Keras' `RandomUniform(-0.05, 0.05)`, not torch's N(0, 1)).
        embeddings_regularizer: Optional regularizer. Defaults to `None`.
        embeddings_constraint: Optional constraint. Defaults to `None`.
        mask_zero: Whether id 0 is padding: the layer then passes the mask `inputs != 0`
            on to the next layers (RNNs skip the padded steps), and id 0 cannot be a real
            word, so `input_dim` should be vocabulary size + 1. Defaults to `False`.
        weights: Optional initial `[embeddings]` array list.
        activity_regularizer: Optional regularizer of the output.
        input_length: Deprecated in Keras 3 and ignored (with a warning), as in Keras.

    Input shape: `(batch, ...)` integer ids. Output shape: `(batch, ..., output_dim)`.
    Weights: `embeddings (input_dim, output_dim)`.

    Example:
    >>> import torch
    >>> from kerastorch import layers
    >>> layer = layers.Embedding(1000, 16, mask_zero=True)
    >>> ids = torch.tensor([[4, 8, 0]])
    >>> tuple(layer(ids).shape), layer.compute_mask(ids).tolist()
    ((1, 3, 16), [[True, True, False]])
    """

    accepts_integer_inputs = True

    def __init__(self, input_dim, output_dim, embeddings_initializer="uniform", embeddings_regularizer=None,
                 embeddings_constraint=None, mask_zero=False, weights=None, lora_rank=None, lora_alpha=None,
                 activity_regularizer=None, input_length=None, quantization_config=None, **kwargs):
        super().__init__(**kwargs)
        if input_length is not None:
            warnings.warn("Argument `input_length` is deprecated. Just remove it.", stacklevel=2)
        if lora_rank is not None or quantization_config is not None:
            raise ValueError(
                f"Embedding layer '{self.name}': LoRA and quantization are not supported by kerastorch; "
                "remove `lora_rank`/`quantization_config`."
            )
        self.input_dim = _check_positive_int(self, "input_dim", input_dim)
        self.output_dim = _check_positive_int(self, "output_dim", output_dim)
        self.embeddings_initializer = initializers.get(embeddings_initializer)
        self.embeddings_regularizer = regularizers.get(embeddings_regularizer)
        self.embeddings_constraint = constraints.get(embeddings_constraint)
        self.activity_regularizer = regularizers.get(activity_regularizer)
        self.mask_zero = bool(mask_zero)
        self.supports_masking = self.mask_zero
        if weights is not None:
            self.build(None)
            self.built = True
            self.set_weights(weights)

    @property
    def produces_mask(self):
        """Whether this layer starts a mask (`mask_zero=True`); `Sequential` then passes masks along."""
        return self.mask_zero

    def build(self, input_shape=None):
        self.embeddings = self.add_weight(shape=(self.input_dim, self.output_dim),
                                          initializer=self.embeddings_initializer,
                                          regularizer=self.embeddings_regularizer,
                                          constraint=self.embeddings_constraint, name="embeddings")
        self.built = True

    def call(self, inputs):
        if inputs.dtype is not torch.int64 and (inputs.is_floating_point() or inputs.dtype is torch.bool):
            inputs = inputs.to(torch.long)
        # The weight from the module's own dicts (a Module attribute lookup costs more than the
        # lookup of a small batch), and torch.embedding, the op F.embedding runs, without its wrapper.
        weights = self.__dict__.get("embeddings")
        if weights is None:
            weights = self._parameters.get("embeddings")
            if weights is None:
                weights = self.embeddings
        try:
            return torch.embedding(weights, inputs)
        except IndexError:
            low, high = int(inputs.min()), int(inputs.max())
            raise ValueError(
                f"Embedding layer '{self.name}' has input_dim={self.input_dim}, so ids must lie in "
                f"[0, {self.input_dim - 1}], but got ids in [{low}, {high}]. Set input_dim to the "
                "vocabulary size (plus 1 when id 0 is padding with mask_zero=True), or fix the ids."
            ) from None

    def compute_mask(self, inputs, previous_mask=None):
        if not self.mask_zero:
            return None
        return inputs != 0

    def compute_output_shape(self, input_shape):
        return (*tuple(input_shape), self.output_dim)

    def get_config(self):
        return {**super().get_config(), "input_dim": self.input_dim, "output_dim": self.output_dim,
                "embeddings_initializer": initializers.serialize(self.embeddings_initializer),
                "embeddings_regularizer": (regularizers.serialize(self.embeddings_regularizer)
                                           if self.embeddings_regularizer else None),
                "activity_regularizer": (regularizers.serialize(self.activity_regularizer)
                                         if self.activity_regularizer else None),
                "embeddings_constraint": (constraints.serialize(self.embeddings_constraint)
                                          if self.embeddings_constraint else None),
                "mask_zero": self.mask_zero, "quantization_config": None}
