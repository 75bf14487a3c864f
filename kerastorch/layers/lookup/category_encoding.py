"""`CategoryEncoding`: integer ids to one-hot, multi-hot or count vectors, as Keras 3."""

import numpy as np
import torch

from kerastorch.layers.base import Layer
from kerastorch.layers.lookup import _encoding


class CategoryEncoding(Layer):
    """Encodes integer features as one-hot, multi-hot or count vectors of `num_tokens`.

    Args:
        num_tokens: The number of categories; inputs must lie in `[0, num_tokens)` (values
            outside encode to zeros). Required.
        output_mode: `"one_hot"` (one vector per id; a trailing axis of 1 is dropped),
            `"multi_hot"` (one vector per sample, 1 where an id occurs; `"binary"` is an
            alias) or `"count"` (how often each id occurs). Defaults to `"multi_hot"`.
        sparse: Must be `False`: torch has no sparse outputs here. Defaults to `False`.

    Call arguments:
        inputs: Integer tensor (or array) of rank 0, 1 or 2.
        count_weights: Optional weights of the same shape, summed instead of counting
            (only with `output_mode="count"`).

    Returns:
        A float tensor (the layer's dtype) whose last axis has `num_tokens` entries.

    Example:
    >>> CategoryEncoding(num_tokens=4, output_mode="one_hot")([3, 2, 0, 1]).tolist()
    [[0.0, 0.0, 0.0, 1.0], [0.0, 0.0, 1.0, 0.0], [1.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0]]
    """

    accepts_integer_inputs = True     # Sequential passes integer batches through as they are

    def __init__(self, num_tokens=None, output_mode="multi_hot", sparse=False, **kwargs):
        super().__init__(**kwargs)
        where = f"CategoryEncoding '{self.name}'"
        output_mode = _encoding.check_mode(output_mode, ("count", "one_hot", "multi_hot"), where)
        if num_tokens is None:
            raise ValueError(f"{where}: `num_tokens` must be set. If the number of categories is not "
                             "known beforehand, use IntegerLookup, which learns it with adapt().")
        if isinstance(num_tokens, bool) or not isinstance(num_tokens, (int, np.integer)) or num_tokens < 1:
            raise ValueError(f"{where}: `num_tokens` must be an integer >= 1, got num_tokens={num_tokens!r}.")
        _encoding.refuse_sparse(sparse, where)
        self.num_tokens, self.output_mode, self.sparse = int(num_tokens), output_mode, sparse

    def forward(self, inputs, count_weights=None, training=None, mask=None):
        where = f"CategoryEncoding '{self.name}'"
        x = inputs if isinstance(inputs, torch.Tensor) else torch.as_tensor(np.asarray(inputs))
        if x.is_floating_point() or x.dtype == torch.bool:
            x = x.to(torch.int64)
        if not self.built:
            self._build_wrapper(tuple(x.shape))
        if count_weights is not None:
            if self.output_mode != "count":
                raise ValueError(f"{where}: `count_weights` is used only with output_mode='count', got "
                                 f"output_mode={self.output_mode!r}. Drop count_weights, or use 'count'.")
            count_weights = torch.as_tensor(np.asarray(count_weights) if not isinstance(
                count_weights, torch.Tensor) else count_weights).to(self._compute_torch_dtype)
        return _encoding.encode(x, self.output_mode, self.num_tokens, self._compute_torch_dtype,
                                count_weights, where)

    def call(self, inputs, count_weights=None):
        return self.forward(inputs, count_weights)

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        if len(input_shape) == 0:
            return (self.num_tokens,)
        if self.output_mode == "one_hot" and (input_shape[-1] != 1 or len(input_shape) == 1):
            return input_shape + (self.num_tokens,)
        return input_shape[:-1] + (self.num_tokens,)

    def get_config(self):
        # Keras writes neither `sparse` nor anything else beyond these two.
        return {**super().get_config(), "num_tokens": self.num_tokens, "output_mode": self.output_mode}
