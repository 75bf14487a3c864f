"""`TextVectorization`: strings to token ids or bag-of-words vectors, as Keras 3, without TensorFlow."""

import re

import numpy as np
import torch

from kerastorch.layers.base import Layer
from kerastorch.layers.lookup import _encoding
from kerastorch.layers.lookup.string_lookup import StringLookup

# Keras' punctuation class (its `,-\.` is a range: `,`, `-` and `.`).
_PUNCTUATION = re.compile(r'[!"#$%&()\*\+,-\./:;<=>?@\[\\\]^_`{|}~\']')
# tf.strings.lower and tf.strings.split (no separator) work on ASCII only; so do these.
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
_ASCII_SPACE = re.compile(r"[ \t\n\r\v\f]+")


def _ngrams(tokens, widths):
    """tf.strings.ngrams(..., separator=" "): every width in order, short rows give no n-grams."""
    out = []
    for n in widths:
        out.extend(" ".join(tokens[i:i + n]) for i in range(len(tokens) - n + 1))
    return out


class TextVectorization(Layer):
    """Turns strings into sequences of token ids, or into multi-hot, count or tf-idf vectors.

    Each string is standardized, split into tokens, optionally made into n-grams, and looked
    up in a vocabulary (given, or learned by `adapt`, ordered by count, ties by the token,
    high to low, as Keras). Index 0 is the padding/mask token `""`, index 1 the OOV token
    `"[UNK]"`. Inputs are Python lists or numpy arrays of `str`, shape `(batch,)` or
    `(batch, 1)`; outputs are torch tensors.

    Args:
        max_tokens: Maximum vocabulary size, padding and OOV included. Defaults to `None`.
        standardize: `"lower_and_strip_punctuation"`, `"lower"`, `"strip_punctuation"`, a
            callable (given a numpy array of str, returning one), or `None`. Lowercasing is
            ASCII-only, as TensorFlow's. Defaults to `"lower_and_strip_punctuation"`.
        split: `"whitespace"` (ASCII whitespace), `"character"`, a callable (given a numpy
            array of str, one per sample, returning a list of token lists), or `None` (the
            inputs are tokens already). Defaults to `"whitespace"`.
        ngrams: `None`, an integer `n` (all n-grams up to `n`) or a tuple of widths.
            Defaults to `None`.
        output_mode: `"int"`, `"multi_hot"`, `"count"` or `"tf_idf"` (`"one_hot"` too, as
            Keras accepts it). Defaults to `"int"`.
        output_sequence_length: With `"int"`, pad or cut every sequence to this length.
            Defaults to `None` (pad to the longest in the batch).
        pad_to_max_tokens: Vectors have `max_tokens` entries. Defaults to `False`.
        vocabulary: List of strings or a text file path. Defaults to `None`.
        idf_weights: Idf weights for `"tf_idf"` with a given vocabulary. Defaults to `None`.
        sparse: Must be `False`. Defaults to `False`.
        ragged: Must be `False` (torch has no ragged tensors). Defaults to `False`.
        encoding: Text encoding of byte strings. Defaults to `"utf-8"`.

    Example:
    >>> layer = TextVectorization(max_tokens=5000, output_mode="int", output_sequence_length=4)
    >>> layer.adapt(["foo bar", "bar baz", "baz bada boom"])
    >>> layer([["foo qux bar"], ["qux baz"]]).tolist()
    [[4, 1, 3, 0], [1, 2, 0, 0]]
    """

    _config_keywords = ("vocabulary_size", "has_input_vocabulary")   # taken through **kwargs, as Keras

    def __init__(self, max_tokens=None, standardize="lower_and_strip_punctuation", split="whitespace",
                 ngrams=None, output_mode="int", output_sequence_length=None, pad_to_max_tokens=False,
                 vocabulary=None, idf_weights=None, sparse=False, ragged=False, encoding="utf-8", name=None,
                 **kwargs):
        has_input_vocabulary = kwargs.pop("has_input_vocabulary", vocabulary is not None)
        vocabulary_size = kwargs.pop("vocabulary_size", None)
        super().__init__(name=name, **kwargs)
        where = self._where = f"TextVectorization '{self.name}'"
        _encoding.refuse_sparse(sparse, where)
        if ragged:
            raise ValueError(f"{where}: ragged=True needs TensorFlow ragged tensors, which torch does not have. "
                             "Use ragged=False (sequences padded with 0; output_sequence_length fixes the length).")
        if not (standardize is None or callable(standardize) or standardize in
                ("lower_and_strip_punctuation", "lower", "strip_punctuation")):
            raise ValueError(f"{where}: `standardize` must be 'lower_and_strip_punctuation', 'lower', "
                             f"'strip_punctuation', a callable or None, got standardize={standardize!r}.")
        if not (split is None or callable(split) or split in ("whitespace", "character")):
            raise ValueError(f"{where}: `split` must be 'whitespace', 'character', a callable or None, got "
                             f"split={split!r}.")
        output_mode = _encoding.check_mode(output_mode, ("int", "one_hot", "multi_hot", "count", "tf_idf"), where)
        if isinstance(ngrams, list):
            ngrams = tuple(ngrams)
        if not (ngrams is None or (isinstance(ngrams, int) and not isinstance(ngrams, bool))
                or (isinstance(ngrams, tuple) and all(isinstance(n, int) for n in ngrams))):
            raise ValueError(f"{where}: `ngrams` must be None, an integer or a tuple of integers, got ngrams={ngrams!r}.")
        if output_mode == "int" and not (output_sequence_length is None or (
                isinstance(output_sequence_length, int) and not isinstance(output_sequence_length, bool))):
            raise ValueError(f"{where}: `output_sequence_length` must be None or an integer with output_mode='int', "
                             f"got output_sequence_length={output_sequence_length!r}.")
        if output_mode != "int" and output_sequence_length is not None:
            raise ValueError(f"{where}: `output_sequence_length` is used only with output_mode='int', got "
                             f"output_mode={output_mode!r} and output_sequence_length={output_sequence_length!r}.")
        self._max_tokens, self._standardize, self._split = max_tokens, standardize, split
        self._ngrams_arg = ngrams
        self._ngrams = tuple(range(1, ngrams + 1)) if isinstance(ngrams, int) else ngrams
        self._ragged, self._output_mode = ragged, output_mode
        self._output_sequence_length, self._encoding = output_sequence_length, encoding
        self._has_input_vocabulary = has_input_vocabulary
        self._lookup_layer = StringLookup(
            max_tokens=max_tokens, vocabulary=vocabulary, idf_weights=idf_weights,
            pad_to_max_tokens=pad_to_max_tokens, mask_token="", output_mode=output_mode, sparse=sparse,
            has_input_vocabulary=has_input_vocabulary, encoding=encoding, vocabulary_size=vocabulary_size,
            name=f"{self.name}_lookup")
        self.built = True

    # ------------------------------------------------------------------ text to tokens
    def _standardized(self, arr):
        if callable(self._standardize):
            out = self._standardize(np.asarray(arr, dtype=str))
            return _encoding.to_array(out, f"{self._where}: the `standardize` callable's result")
        if self._standardize in ("lower", "lower_and_strip_punctuation"):
            arr = np.array([s.translate(_ASCII_LOWER) for s in arr.reshape(-1).tolist()],
                           dtype=object).reshape(arr.shape)
        if self._standardize in ("strip_punctuation", "lower_and_strip_punctuation"):
            arr = np.array([_PUNCTUATION.sub("", s) for s in arr.reshape(-1).tolist()],
                           dtype=object).reshape(arr.shape)
        return arr

    def _tokens(self, inputs):
        """A list of token lists (one per sample), or with split=None the standardized array."""
        arr = _encoding.to_array(inputs, self._where)
        if arr.dtype != object:
            raise TypeError(f"{self._where}: expected strings (a list or numpy array of str), got values "
                            f"of dtype {arr.dtype}.")
        arr = self._standardized(arr)
        if self._split is None:
            rows = None
        else:
            if arr.ndim == 0:
                arr = arr.reshape(1)
            if arr.ndim > 1:
                if arr.shape[-1] != 1 or arr.ndim > 2:
                    raise ValueError(f"{self._where}: to split strings the input must have shape (batch,) or "
                                     f"(batch, 1), got {arr.shape}.")
                arr = arr[:, 0]
            texts = arr.tolist()
            if self._split == "whitespace":
                rows = [[t for t in _ASCII_SPACE.split(s) if t] for s in texts]
            elif self._split == "character":
                rows = [list(s) for s in texts]
            else:
                rows = [list(map(str, r)) for r in self._split(np.asarray(texts, dtype=str))]
        if self._ngrams is not None:
            if rows is None:
                rows = [[str(t) for t in np.atleast_1d(r).tolist()] for r in np.atleast_2d(arr)]
            rows = [_ngrams(r, self._ngrams) for r in rows]
        return rows if rows is not None else arr

    # ------------------------------------------------------------------ adapt and vocabulary
    def adapt(self, data, batch_size=None, steps=None):
        """Learns the vocabulary (and idf weights for `"tf_idf"`) from `data`.

        Args:
            data: A list or numpy array of strings, or an iterable of such batches (a
                DataLoader, a generator; `(x, y)` pairs use `x`).
            batch_size: Unused for in-memory data (the counts are exact); kept for Keras'
                signature. Defaults to `None`.
            steps: Optional number of batches to read from an iterable. Defaults to `None`.
        """
        import collections

        lookup = self._lookup_layer
        if lookup._has_input_vocabulary:
            raise ValueError(f"{self._where}: cannot adapt a layer given a `vocabulary`. Make it without one "
                             "to learn the vocabulary with adapt().")
        counts, doc_counts, num_docs = collections.Counter(), collections.Counter(), 0
        for batch in _encoding.batches(data, steps, f"{self._where}.adapt"):
            rows = self._tokens(batch)
            if not isinstance(rows, list):       # split=None: each sample's tokens are its row
                arr = np.atleast_1d(rows)
                rows = arr.reshape(arr.shape[0], -1).tolist() if arr.ndim > 1 else [[t] for t in arr.tolist()]
            lookup._count(rows, counts, doc_counts)
            num_docs += len(rows)
        lookup._finalize(counts, doc_counts, num_docs)

    def get_vocabulary(self, include_special_tokens=True):
        """The vocabulary, index order (`""` and `"[UNK]"` first unless `include_special_tokens=False`)."""
        return self._lookup_layer.get_vocabulary(include_special_tokens)

    def vocabulary_size(self):
        """The vocabulary size, padding and OOV tokens included."""
        return self._lookup_layer.vocabulary_size()

    def set_vocabulary(self, vocabulary, idf_weights=None):
        """Sets the vocabulary (and idf weights for `"tf_idf"`); see `StringLookup.set_vocabulary`."""
        self._lookup_layer.set_vocabulary(vocabulary, idf_weights=idf_weights)

    # ------------------------------------------------------------------ call
    def forward(self, inputs, training=None, mask=None):
        rows = self._tokens(inputs)
        lookup = self._lookup_layer
        if not isinstance(rows, list):
            return lookup(rows)
        if self._output_mode != "int":
            width = max((len(r) for r in rows), default=0)
            if width == 0:
                width = 1
            padded = np.array([r + [""] * (width - len(r)) for r in rows], dtype=object).reshape(len(rows), width)
            # '' is the mask token: in encodings it maps past the vector and counts nowhere.
            return lookup(padded)
        flat = [t for r in rows for t in r]
        ids = lookup._lookup(flat) if flat else []
        length = self._output_sequence_length
        if length is None:
            length = max((len(r) for r in rows), default=0)
        # Scatter the flat ids into a zero-padded (batch, length) array in one numpy step.
        lengths = np.fromiter((len(r) for r in rows), dtype=np.int64, count=len(rows))
        flat_ids = np.asarray(ids, dtype=np.int64)
        row_of = np.repeat(np.arange(len(rows)), lengths)
        col_of = np.arange(len(flat_ids)) - np.repeat(np.cumsum(lengths) - lengths, lengths)
        keep = col_of < length
        out = np.zeros((len(rows), length), dtype=np.int64)
        out[row_of[keep], col_of[keep]] = flat_ids[keep]
        return torch.from_numpy(out)

    def call(self, inputs):
        return self.forward(inputs)

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        if self._output_mode == "int":
            return (input_shape[0], self._output_sequence_length)
        if self._split is None:
            if len(input_shape) <= 1:
                input_shape = input_shape + (1,)
        else:
            input_shape = input_shape + (None,)
        return self._lookup_layer.compute_output_shape(input_shape)

    # ------------------------------------------------------------------ config and files
    def get_config(self):
        lookup = self._lookup_layer
        listify = lambda x: x.tolist() if isinstance(x, np.ndarray) else x   # noqa: E731
        return {**super().get_config(), "max_tokens": lookup.max_tokens, "standardize": self._standardize,
                "split": self._split, "ngrams": self._ngrams_arg, "output_mode": self._output_mode,
                "output_sequence_length": self._output_sequence_length,
                "pad_to_max_tokens": lookup.pad_to_max_tokens, "sparse": lookup.sparse, "ragged": self._ragged,
                "vocabulary": listify(lookup.input_vocabulary), "idf_weights": listify(lookup.input_idf_weights),
                "encoding": self._encoding, "vocabulary_size": self.vocabulary_size()}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        for key in ("standardize", "split"):
            if isinstance(config.get(key), dict):
                from kerastorch.saving import serialization
                config[key] = serialization.deserialize_keras_object(config[key]) \
                    if hasattr(serialization, "deserialize_keras_object") else config[key]
                if isinstance(config[key], dict):
                    raise ValueError(f"TextVectorization.from_config: cannot rebuild the `{key}` callable "
                                     f"{config[key]!r}; pass it with custom_objects, or rebuild the layer "
                                     "in code.")
        if isinstance(config.get("ngrams"), list):
            config["ngrams"] = tuple(config["ngrams"])
        return cls(**config)

    def save_own_variables(self, store):
        self._lookup_layer.save_own_variables(store)

    def load_own_variables(self, store):
        self._lookup_layer.load_own_variables(store)

    def save_assets(self, dir_path):
        self._lookup_layer.save_assets(dir_path)

    def load_assets(self, dir_path):
        self._lookup_layer.load_assets(dir_path)
