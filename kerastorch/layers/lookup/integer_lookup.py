"""`IntegerLookup`: integer tokens to contiguous indices (or encodings), as Keras 3."""

import numpy as np
import torch

from kerastorch.layers.lookup.index_lookup import IndexLookup


class IntegerLookup(IndexLookup):
    """Maps integer tokens to contiguous indices through a vocabulary, given or adapted.

    Args:
        max_tokens: Maximum vocabulary size, mask and OOV indices included. Defaults to `None`.
        num_oov_indices: Number of OOV indices; with more than one, an OOV value `v` goes to
            `v % num_oov_indices` (`oov_method="floormod"`) or to its string's FarmHash
            bucket (`"farmhash"`). Defaults to `1`.
        mask_token: Integer mapped to index 0 in `"int"` mode. Defaults to `None`.
        oov_token: Value returned by `invert=True` for OOV indices. Defaults to `-1`.
        vocabulary: List, array or tensor of integers, or a file path. Defaults to `None`.
        vocabulary_dtype: Must be `"int64"`. Defaults to `"int64"`.
        idf_weights: Idf weights for `output_mode="tf_idf"`. Defaults to `None`.
        invert: Map indices back to tokens. Defaults to `False`.
        output_mode: `"int"`, `"one_hot"`, `"multi_hot"`, `"count"` or `"tf_idf"`.
            Defaults to `"int"`.
        sparse: Must be `False`. Defaults to `False`.
        pad_to_max_tokens: Encodings have `max_tokens` entries. Defaults to `False`.
        oov_method: `"floormod"` or `"farmhash"`. Defaults to `"floormod"`.
        salt: Integer or pair keying the farmhash OOV buckets. Defaults to `None`.

    Returns:
        An int64 tensor (indices, or tokens with `invert`) or a float tensor of encodings.

    Example:
    >>> layer = IntegerLookup(vocabulary=[12, 36, 1138, 42])
    >>> layer([[12, 1138, 42], [42, 1000, 36]]).tolist()
    [[1, 3, 4], [4, 0, 2]]
    """

    accepts_integer_inputs = True     # Sequential passes integer batches through as they are

    def __init__(self, max_tokens=None, num_oov_indices=1, mask_token=None, oov_token=-1, vocabulary=None,
                 vocabulary_dtype="int64", idf_weights=None, invert=False, output_mode="int", sparse=False,
                 pad_to_max_tokens=False, oov_method="floormod", salt=None, name=None, **kwargs):
        if vocabulary_dtype != "int64":
            raise ValueError(f"IntegerLookup: only vocabulary_dtype='int64' is supported (as in Keras), got "
                             f"vocabulary_dtype={vocabulary_dtype!r}.")
        super().__init__(max_tokens=max_tokens, num_oov_indices=num_oov_indices, mask_token=mask_token,
                         oov_token=oov_token, vocabulary=vocabulary, vocabulary_dtype="int64",
                         idf_weights=idf_weights, invert=invert, output_mode=output_mode, sparse=sparse,
                         pad_to_max_tokens=pad_to_max_tokens, oov_method=oov_method, salt=salt, name=name,
                         **kwargs)

    def _inverted_output(self, tokens, shape):
        return torch.tensor(tokens, dtype=torch.int64).reshape(shape)

    def get_config(self):
        config = super().get_config()
        for key in ("oov_token", "mask_token"):
            if config[key] is not None:
                config[key] = int(config[key])
        if config["vocabulary"] is not None:
            config["vocabulary"] = [int(v) for v in np.asarray(config["vocabulary"]).reshape(-1)]
        return config
