"""`StringLookup`: strings to integer indices (or encodings) through a vocabulary, as Keras 3."""

from kerastorch.layers.lookup.index_lookup import IndexLookup


class StringLookup(IndexLookup):
    """Maps strings to integer indices through a vocabulary, given or learned with `adapt`.

    Inputs are Python lists or numpy arrays of `str` (torch has no string tensor).

    Args:
        max_tokens: Maximum vocabulary size, mask and OOV indices included. Defaults to
            `None` (no cap).
        num_oov_indices: Number of out-of-vocabulary indices; with more than one, an OOV
            string goes to `Fingerprint64(s) % num_oov_indices` (SipHash with `salt`), as
            Keras. Defaults to `1`.
        mask_token: Token mapped to index 0 (in `"int"` mode) and to zeros in the other
            modes. Defaults to `None` (no mask).
        oov_token: Token returned by `invert=True` for OOV indices. Defaults to `"[UNK]"`.
        vocabulary: List, array or tensor of strings, or a text file path (one per line).
            Defaults to `None` (use `adapt`).
        idf_weights: Idf weights for `output_mode="tf_idf"`. Defaults to `None`.
        invert: Map indices back to strings (a numpy array of str). Defaults to `False`.
        output_mode: `"int"`, `"one_hot"`, `"multi_hot"`, `"count"` or `"tf_idf"`.
            Defaults to `"int"`.
        pad_to_max_tokens: Encodings have `max_tokens` entries. Defaults to `False`.
        sparse: Must be `False`. Defaults to `False`.
        encoding: Text encoding of byte strings. Defaults to `"utf-8"`.
        salt: Optional integer or pair, keying the OOV hash. Defaults to `None`.

    Returns:
        An int64 tensor of indices, a float tensor of encodings, or (`invert`) a numpy
        array of str.

    Example:
    >>> layer = StringLookup(vocabulary=["a", "b", "c", "d"])
    >>> layer([["a", "c", "d"], ["d", "z", "b"]]).tolist()
    [[1, 3, 4], [4, 0, 2]]
    """

    def __init__(self, max_tokens=None, num_oov_indices=1, mask_token=None, oov_token="[UNK]",
                 vocabulary=None, idf_weights=None, invert=False, output_mode="int",
                 pad_to_max_tokens=False, sparse=False, encoding="utf-8", name=None, salt=None, **kwargs):
        self.encoding = encoding
        kwargs.pop("vocabulary_dtype", None)
        super().__init__(max_tokens=max_tokens, num_oov_indices=num_oov_indices, mask_token=mask_token,
                         oov_token=oov_token, vocabulary=vocabulary, idf_weights=idf_weights, invert=invert,
                         output_mode=output_mode, pad_to_max_tokens=pad_to_max_tokens, sparse=sparse,
                         name=name, vocabulary_dtype="string", salt=salt, **kwargs)

    def get_config(self):
        config = super().get_config()
        del config["vocabulary_dtype"]
        return {**config, "encoding": self.encoding}
