"""`IndexLookup`: the vocabulary machinery shared by `StringLookup` and `IntegerLookup` (Keras 3)."""

import collections
import math
import os

import numpy as np
import torch

from kerastorch import config
from kerastorch.layers.base import Layer
from kerastorch.layers.lookup import _encoding, _hashes

_MODES = ("int", "one_hot", "multi_hot", "count", "tf_idf")


class IndexLookup(Layer):
    """Maps tokens to indices through a vocabulary (given, or learned by `adapt`).

    Index layout, as Keras: `[mask]` (only with a `mask_token` in `"int"` mode), then
    `num_oov_indices` OOV indices, then the vocabulary. `adapt` orders the vocabulary by
    count, highest first, ties broken by the tokens' sort order, high to low (Keras' rule).
    Subclasses set `vocabulary_dtype` ("string" or "int64").
    """

    _config_keywords = ("vocabulary_size", "has_input_vocabulary")   # taken through **kwargs, as Keras

    def __init__(self, max_tokens, num_oov_indices, mask_token, oov_token, vocabulary_dtype,
                 vocabulary=None, idf_weights=None, invert=False, output_mode="int", sparse=False,
                 pad_to_max_tokens=False, oov_method="floormod", name=None, salt=None, **kwargs):
        self._frozen_vocab_size = kwargs.pop("vocabulary_size", None)
        has_input_vocabulary = kwargs.pop("has_input_vocabulary", vocabulary is not None)
        # Keras drops both (its config still reads trainable=True and the float policy).
        kwargs.pop("trainable", None)
        dtype = kwargs.pop("dtype", None)
        if kwargs:
            raise TypeError(f"{type(self).__name__}: unknown keyword argument(s) {sorted(kwargs)}.")
        super().__init__(name=name)
        where = self._where = f"{type(self).__name__} '{self.name}'"
        if max_tokens is not None and max_tokens <= 1:
            raise ValueError(f"{where}: `max_tokens` must be greater than 1 when set, got max_tokens={max_tokens!r}.")
        if pad_to_max_tokens and max_tokens is None:
            raise ValueError(f"{where}: pad_to_max_tokens=True needs `max_tokens`; got max_tokens=None.")
        if num_oov_indices < 0:
            raise ValueError(f"{where}: `num_oov_indices` must be >= 0, got num_oov_indices={num_oov_indices!r}.")
        if oov_method not in ("floormod", "farmhash"):
            raise ValueError(f"{where}: `oov_method` must be 'floormod' or 'farmhash', got {oov_method!r}.")
        if salt is not None:
            if vocabulary_dtype != "string" and oov_method != "farmhash":
                raise ValueError(f"{where}: `salt` is used only with oov_method='farmhash', got "
                                 f"oov_method={oov_method!r}.")
            if isinstance(salt, (tuple, list)) and len(salt) == 2:
                salt = list(salt)
            elif isinstance(salt, int) and not isinstance(salt, bool):
                salt = [salt, salt]
            else:
                raise ValueError(f"{where}: `salt` must be an integer or a pair of integers, got salt={salt!r}.")
        output_mode = _encoding.check_mode(output_mode, _MODES, where)
        if invert and output_mode != "int":
            raise ValueError(f"{where}: invert=True needs output_mode='int', got output_mode={output_mode!r}.")
        if sparse and output_mode == "int":
            raise ValueError(f"{where}: sparse=True needs a non-'int' output_mode, got output_mode='int'.")
        _encoding.refuse_sparse(sparse, where)
        if idf_weights is not None and output_mode != "tf_idf":
            raise ValueError(f"{where}: `idf_weights` is used only with output_mode='tf_idf', got "
                             f"output_mode={output_mode!r}.")
        self.invert, self.max_tokens, self.num_oov_indices = invert, max_tokens, num_oov_indices
        self.mask_token, self.oov_token, self.output_mode = mask_token, oov_token, output_mode
        self.sparse, self.pad_to_max_tokens, self.vocabulary_dtype = sparse, pad_to_max_tokens, vocabulary_dtype
        self.oov_method, self.salt = oov_method, salt
        self._config_dtype = dtype
        self.input_vocabulary = vocabulary if not isinstance(vocabulary, str) else None
        self.input_idf_weights = idf_weights
        self._has_input_vocabulary = has_input_vocabulary
        self._tokens, self._table, self.idf_weights = [], {}, None
        if output_mode == "tf_idf":
            if has_input_vocabulary and idf_weights is None:
                raise ValueError(f"{where}: with a `vocabulary` and output_mode='tf_idf', give `idf_weights` too.")
            if idf_weights is not None:
                self.idf_weights = np.asarray(idf_weights, dtype=config.floatx())
        if vocabulary is not None:
            self.set_vocabulary(vocabulary, idf_weights)
        self.built = True

    # ------------------------------------------------------------------ vocabulary
    def _oov_start_index(self):
        return 1 if self.mask_token is not None and self.output_mode == "int" else 0

    def _token_start_index(self):
        return self._oov_start_index() + self.num_oov_indices

    def vocabulary_size(self):
        """The size of the vocabulary, mask and OOV indices included.

        Returns:
            An integer.
        """
        return len(self._tokens) + self._token_start_index()

    def get_vocabulary(self, include_special_tokens=True):
        """Returns the vocabulary: the token of each index, in index order.

        Args:
            include_special_tokens: Whether to include the mask and OOV tokens, so that a
                token's position equals its index. Defaults to `True`.

        Returns:
            A list of str (StringLookup) or int (IntegerLookup).
        """
        start = self._token_start_index()
        vocab = [self.oov_token] * start + list(self._tokens)
        if self.mask_token is not None and self.output_mode == "int":
            vocab[0] = self.mask_token
        return vocab if include_special_tokens else vocab[start:]

    def _plain(self, token):
        return str(token) if self.vocabulary_dtype == "string" else int(token)

    def set_vocabulary(self, vocabulary, idf_weights=None):
        """Sets the vocabulary (and, for `"tf_idf"`, the idf weights), replacing any present.

        Args:
            vocabulary: A list, tuple, 1D numpy array or tensor of tokens, or the path of a
                text file with one token per line. It may start with the mask and OOV
                tokens in layout order; otherwise they are added.
            idf_weights: 1D weights of the same length as `vocabulary`; required with
                `output_mode="tf_idf"`, refused otherwise. Defaults to `None`.
        """
        where = self._where
        if self.output_mode == "tf_idf" and idf_weights is None:
            raise ValueError(f"{where}: output_mode='tf_idf' needs `idf_weights` with the vocabulary.")
        if self.output_mode != "tf_idf" and idf_weights is not None:
            raise ValueError(f"{where}: `idf_weights` is used only with output_mode='tf_idf', got "
                             f"output_mode={self.output_mode!r}.")
        if isinstance(vocabulary, (str, os.PathLike)):
            if not os.path.exists(vocabulary):
                raise ValueError(f"{where}: vocabulary file {vocabulary} does not exist.")
            if self.output_mode == "tf_idf":
                raise ValueError(f"{where}: output_mode='tf_idf' cannot read the vocabulary from a file; "
                                 "pass the tokens as a list with their idf_weights.")
            with open(vocabulary, encoding="utf-8") as f:
                lines = f.read().splitlines()
            while lines and lines[-1] == "":
                lines.pop()
            vocabulary = lines
        vocabulary = [self._plain(t) for t in _encoding.to_array(vocabulary, where).reshape(-1).tolist()] \
            if not (isinstance(vocabulary, (list, tuple)) and not vocabulary) else []
        if not vocabulary:
            raise ValueError(f"{where}: cannot set an empty vocabulary.")
        start = self._token_start_index()
        special = [self.mask_token] * self._oov_start_index() + [self.oov_token] * self.num_oov_indices
        found_special = vocabulary[:start] == special
        tokens = vocabulary[start:] if found_special else vocabulary
        repeated = [t for t, c in collections.Counter(tokens).items() if c > 1]
        if repeated:
            raise ValueError(f"{where}: the vocabulary repeats the term(s) {repeated}; give each once.")
        if self.mask_token is not None and self.mask_token in tokens:
            raise ValueError(f"{where}: the mask token {self.mask_token!r} is inside the vocabulary. Leave the "
                             f"mask and OOV tokens out, or give them first in this order: {special}.")
        if self.oov_token is not None and self.invert and self.oov_token in tokens:
            raise ValueError(f"{where}: the OOV token {self.oov_token!r} is inside the vocabulary. Leave the "
                             f"mask and OOV tokens out, or give them first in this order: {special}.")
        if self.max_tokens is not None and start + len(tokens) > self.max_tokens:
            raise ValueError(f"{where}: the vocabulary has {start + len(tokens)} entries (special tokens "
                             f"included), more than max_tokens={self.max_tokens}.")
        if (self._frozen_vocab_size is not None and self.output_mode != "int" and not self.pad_to_max_tokens
                and getattr(self, "_called", False) and start + len(tokens) != self._frozen_vocab_size):
            raise RuntimeError(f"{where}: with output_mode={self.output_mode!r} and pad_to_max_tokens=False the "
                               f"vocabulary size cannot change after the layer was called (was "
                               f"{self._frozen_vocab_size}, now {start + len(tokens)}).")
        self._set_tokens(tokens)
        if self.output_mode == "tf_idf":
            idf = np.asarray(idf_weights.detach().cpu().numpy() if isinstance(idf_weights, torch.Tensor)
                             else idf_weights, dtype=np.float64)
            if idf.ndim != 1 or len(idf) != len(vocabulary):
                raise ValueError(f"{where}: `idf_weights` must be 1D with one weight per vocabulary entry "
                                 f"({len(vocabulary)}), got shape {idf.shape}.")
            front, front_value = (0, 0) if found_special else (start, np.average(idf))
            back = self.max_tokens - front - len(idf) if self.pad_to_max_tokens and self.max_tokens else 0
            self.idf_weights = np.pad(idf, (front, back), constant_values=(front_value, 0)).astype(config.floatx())

    def _set_tokens(self, tokens):
        start = self._token_start_index()
        self._tokens = list(tokens)
        self._table = {t: i + start for i, t in enumerate(self._tokens)}
        self._frozen_vocab_size = self.vocabulary_size()

    # ------------------------------------------------------------------ adapt
    def adapt(self, data, steps=None):
        """Learns the vocabulary (and document frequencies for `"tf_idf"`) from `data`.

        Args:
            data: A list, numpy array or tensor of tokens (rank 1: one token per sample;
                rank 2: one row per document), or an iterable of such batches (a
                DataLoader, a generator; `(x, y)` pairs use `x`).
            steps: Optional number of batches to read from an iterable. Defaults to `None`.
        """
        if self._has_input_vocabulary:
            raise ValueError(f"{self._where}: cannot adapt a layer given a `vocabulary` (argument or "
                             "set_vocabulary()). Make it without one to learn it with adapt().")
        counts, doc_counts, num_docs = collections.Counter(), collections.Counter(), 0
        single = isinstance(data, (list, tuple, np.ndarray, torch.Tensor))
        for batch in _encoding.batches(data, steps, f"{self._where}.adapt"):
            if batch.ndim == 0:
                batch = batch.reshape(1, 1)
            elif batch.ndim == 1:
                batch = batch[:, None] if single else batch[None, :]
            rows = batch.reshape(batch.shape[0], -1).tolist()
            self._count(rows, counts, doc_counts)
            num_docs += len(rows)
        self._finalize(counts, doc_counts, num_docs)

    def _count(self, rows, counts, doc_counts):
        for row in rows:
            counts.update(row)
            if self.output_mode == "tf_idf":
                doc_counts.update(set(row))

    def _finalize(self, counts, doc_counts, num_docs):
        if not counts:
            return
        counts.pop(self.mask_token, None) if self.mask_token is not None else None
        counts.pop(self.oov_token, None) if self.oov_token is not None else None
        keyed = [(c, self._plain(t)) for t, c in counts.items()]
        keyed.sort(reverse=True)        # count high to low, then the token high to low (Keras)
        if self.max_tokens:
            keyed = keyed[:self.max_tokens - self._token_start_index()]
        tokens = [t for _, t in keyed]
        self._set_tokens(tokens)
        if self.output_mode == "tf_idf":
            idf = np.array([math.log(1 + num_docs / (1 + doc_counts[t])) for t in tokens], dtype=config.floatx())
            full = np.pad(idf, (self._token_start_index(), 0), constant_values=idf.mean() if len(idf) else 0)
            if self.pad_to_max_tokens and self.max_tokens is not None:
                full = np.pad(full, (0, self.max_tokens - len(full)))
            self.idf_weights = full.astype(config.floatx())

    # ------------------------------------------------------------------ call
    def _oov_ids(self, values):
        """OOV index of each out-of-vocabulary token (num_oov_indices > 1)."""
        n, start = self.num_oov_indices, self._oov_start_index()
        if self.vocabulary_dtype != "string" and self.oov_method != "farmhash":
            return [int(v) % n + start for v in values]
        return [b + start for b in _hashes.hash_bucket([str(v) for v in values], n, self.salt)]

    def _lookup(self, flat):
        where = self._where
        if self.invert:
            size = self.vocabulary_size()
            vocab = self.get_vocabulary()
            out = []
            for i in flat:
                i = int(i)
                if self.mask_token is not None and i == 0:
                    out.append(self.mask_token)
                elif self._token_start_index() <= i < size:
                    out.append(vocab[i])
                else:
                    out.append(self.oov_token)
            return out
        default = self._oov_start_index() if self.num_oov_indices == 1 else -1
        table = self._table
        ids = [table.get(t, default) for t in flat]
        if self.mask_token is not None:
            mask_id = 0 if self.output_mode == "int" else np.iinfo(np.int64).max
            ids = [mask_id if t == self.mask_token else i for t, i in zip(flat, ids)]
        if self.num_oov_indices == 0 and -1 in ids:
            missing = sorted({str(t) for t, i in zip(flat, ids) if i == -1})[:10]
            raise ValueError(f"{where}: with num_oov_indices=0 every input must be in the vocabulary; found "
                             f"out-of-vocabulary value(s) {missing}. Set num_oov_indices=1 (or more).")
        if self.num_oov_indices > 1:
            pos = [k for k, i in enumerate(ids) if i == -1]
            for k, o in zip(pos, self._oov_ids([flat[k] for k in pos])):
                ids[k] = o
        return ids

    def _to_values(self, inputs):
        arr = _encoding.to_array(inputs, self._where)
        if self.invert:
            if arr.dtype == object or arr.dtype.kind not in "iu":
                raise TypeError(f"{self._where}: invert=True maps integer indices back to tokens, got "
                                f"values of dtype {arr.dtype}.")
        elif self.vocabulary_dtype == "string":
            if arr.dtype != object:
                raise TypeError(f"{self._where}: expected strings (a list or numpy array of str), got values "
                                f"of dtype {arr.dtype}. Use IntegerLookup for integer tokens.")
        elif arr.dtype == object or arr.dtype.kind not in "iu":
            raise TypeError(f"{self._where}: expected integer tokens, got values of dtype {arr.dtype}. Use "
                            "StringLookup for strings.")
        return arr

    def forward(self, inputs, training=None, mask=None):
        arr = self._to_values(inputs)
        flat = arr.reshape(-1).tolist()
        self._called = True
        looked = self._lookup(flat)
        if self.invert:
            return self._inverted_output(looked, arr.shape)
        ids = torch.tensor(looked, dtype=torch.int64).reshape(arr.shape)
        if self.output_mode == "int":
            return ids
        depth = self.max_tokens if self.pad_to_max_tokens else self._frozen_vocab_size
        if depth is None:
            raise RuntimeError(f"{self._where}: output_mode={self.output_mode!r} with pad_to_max_tokens=False "
                               "needs the vocabulary before the first call: pass `vocabulary`, or call adapt().")
        dtype = getattr(torch, config.floatx())
        mode = "count" if self.output_mode == "tf_idf" else self.output_mode
        out = _encoding.encode(ids, mode, depth, dtype, where=self._where)
        if self.output_mode == "tf_idf":
            if self.idf_weights is None:
                raise ValueError(f"{self._where}: output_mode='tf_idf' needs idf weights: pass `idf_weights` "
                                 "with the vocabulary, or call adapt().")
            out = out * torch.as_tensor(self.idf_weights, dtype=dtype)
        return out

    def call(self, inputs):
        return self.forward(inputs)

    def _inverted_output(self, tokens, shape):
        return np.array(tokens, dtype=object).reshape(shape)

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        if self.output_mode == "int":
            return input_shape
        depth = self.max_tokens if self.pad_to_max_tokens else self._frozen_vocab_size
        if self.output_mode == "one_hot":
            if len(input_shape) > 1 and input_shape[-1] == 1:
                return input_shape[:-1] + (depth,)
            return input_shape + (depth,)
        return input_shape[:-1] + (depth,)

    # ------------------------------------------------------------------ config and files
    def get_config(self):
        def listify(x):
            if isinstance(x, torch.Tensor):
                x = x.detach().cpu().numpy()
            return x.tolist() if isinstance(x, np.ndarray) else x
        return {**super().get_config(), "invert": self.invert, "max_tokens": self.max_tokens, "num_oov_indices": self.num_oov_indices,
                "oov_token": self.oov_token, "mask_token": self.mask_token, "output_mode": self.output_mode,
                "sparse": self.sparse, "pad_to_max_tokens": self.pad_to_max_tokens,
                "vocabulary_dtype": self.vocabulary_dtype, "idf_weights": listify(self.input_idf_weights),
                "vocabulary": listify(self.input_vocabulary), "vocabulary_size": self._frozen_vocab_size,
                "oov_method": self.oov_method, "salt": self.salt}

    def save_own_variables(self, store):
        """Keras keeps the idf weights (tf_idf mode) in the weights file under `idf_weights`."""
        if self.output_mode == "tf_idf":
            store["idf_weights"] = np.asarray(self.idf_weights)

    def load_own_variables(self, store):
        if self.output_mode == "tf_idf":
            self.idf_weights = np.asarray(store["idf_weights"], dtype=config.floatx())

    def save_assets(self, dir_path):
        """Writes an adapted vocabulary to `dir_path/vocabulary.txt`, one token a line (Keras' asset)."""
        if self.input_vocabulary is not None:
            return
        with open(os.path.join(dir_path, "vocabulary.txt"), "w", encoding="utf-8") as f:
            f.write("\n".join(str(w) for w in self.get_vocabulary(include_special_tokens=True)))

    def load_assets(self, dir_path):
        """Reads the vocabulary written by `save_assets` (by kerastorch or by Keras)."""
        if self.input_vocabulary is not None:
            return
        with open(os.path.join(dir_path, "vocabulary.txt"), encoding="utf-8") as f:
            lines = f.read().splitlines()
        while lines and lines[-1] == "":
            lines.pop()
        values = [self._plain(line) for line in lines]
        self.set_vocabulary(values, idf_weights=self.idf_weights if self.output_mode == "tf_idf" else None)
