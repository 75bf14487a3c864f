"""`Hashing`: hashes strings or integers into `num_bins` buckets, with Keras' (TensorFlow's) hashes."""

import numpy as np
import torch

from kerastorch import config
from kerastorch.layers.base import Layer
from kerastorch.layers.lookup import _encoding, _hashes


class Hashing(Layer):
    """Hashes each value into one of `num_bins` bins, with the ids Keras gives.

    Unsalted, a value's bin is `Fingerprint64(str(value)) % num_bins` (FarmHash, as
    `tf.strings.to_hash_bucket_fast`); with a `salt`, SipHash-2-4 keyed by the salt (as
    `tf.strings.to_hash_bucket_strong`). Integers hash their decimal string, floats are
    cast to integers first, as in Keras. With `mask_value`, that value gets bin 0 and the
    others hash into bins `1 .. num_bins - 1`.

    Args:
        num_bins: Number of bins (mask bin included). Required.
        mask_value: Value mapped to bin 0. Defaults to `None`.
        salt: Integer or pair of integers keying SipHash. Defaults to `None` (FarmHash).
        output_mode: `"int"`, `"one_hot"`, `"multi_hot"` or `"count"`. Defaults to `"int"`.
        sparse: Must be `False`. Defaults to `False`.

    Returns:
        An int64 tensor of bins (`"int"`), else a float tensor of encodings.

    Example:
    >>> Hashing(num_bins=3)([["A"], ["B"], ["C"], ["D"], ["E"]]).tolist()
    [[1], [0], [1], [1], [2]]
    >>> Hashing(num_bins=3, salt=133)([["A"], ["B"], ["C"], ["D"], ["E"]]).tolist()
    [[0], [0], [2], [1], [0]]
    """

    accepts_integer_inputs = True     # Sequential passes integer batches through as they are

    def __init__(self, num_bins, mask_value=None, salt=None, output_mode="int", sparse=False, **kwargs):
        if kwargs.get("dtype") is None:
            kwargs["dtype"] = "int64" if output_mode == "int" else config.floatx()
        super().__init__(**kwargs)
        where = f"Hashing '{self.name}'"
        if num_bins is None or isinstance(num_bins, bool) or num_bins <= 0:
            raise ValueError(f"{where}: `num_bins` must be a positive integer, got num_bins={num_bins!r}.")
        if output_mode == "int" and self.dtype_policy.name not in ("int32", "int64"):
            raise ValueError(f"{where}: with output_mode='int' the dtype must be 'int32' or 'int64', got "
                             f"dtype={kwargs['dtype']!r}.")
        self.output_mode = _encoding.check_mode(output_mode, _encoding.OUTPUT_MODES, where)
        if sparse and output_mode == "int":
            raise ValueError(f"{where}: sparse=True needs output_mode 'one_hot', 'multi_hot' or 'count'.")
        _encoding.refuse_sparse(sparse, where)
        self.num_bins, self.mask_value, self.sparse = num_bins, mask_value, sparse
        self.strong_hash = salt is not None
        self.salt = None
        if salt is not None:
            if isinstance(salt, (tuple, list)) and len(salt) == 2:
                self.salt = list(salt)
            elif isinstance(salt, int) and not isinstance(salt, bool):
                self.salt = [salt, salt]
            else:
                raise ValueError(f"{where}: `salt` must be an integer or a pair of integers, got salt={salt!r}.")
        self.built = True

    def _bins(self, arr):
        flat = arr.reshape(-1)
        bins = self.num_bins
        mask = None
        if self.mask_value is not None and bins > 1:
            bins -= 1
            mask = np.array([v == self.mask_value for v in flat.tolist()], dtype=bool)
        if flat.dtype.kind == "f":
            flat = flat.astype(np.int64)
        ids = np.array(_hashes.hash_bucket([str(v) for v in flat.tolist()], bins, self.salt), dtype=np.int64)
        if mask is not None:
            ids = np.where(mask, 0, ids + 1)
        return ids.reshape(arr.shape)

    def forward(self, inputs, training=None, mask=None):
        arr = _encoding.to_array(inputs, f"Hashing '{self.name}'")
        if arr.dtype != object and arr.dtype.kind not in "iuf":
            raise TypeError(f"Hashing '{self.name}': expected strings or numbers, got dtype {arr.dtype}.")
        if self.output_mode == "one_hot" and arr.ndim and arr.shape[-1] == 1:
            arr = arr[..., 0]
        ids = torch.as_tensor(self._bins(arr))
        if self.output_mode == "int":
            return ids.to(self._compute_torch_dtype)
        return _encoding.encode(ids, self.output_mode, self.num_bins, self._compute_torch_dtype,
                                where=f"Hashing '{self.name}'")

    def call(self, inputs):
        return self.forward(inputs)

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        if self.output_mode == "int":
            return input_shape
        if len(input_shape) == 0:
            return (self.num_bins,)
        return input_shape[:-1] + (self.num_bins,)

    def get_config(self):
        return {**super().get_config(), "num_bins": self.num_bins, "salt": self.salt,
                "mask_value": self.mask_value, "output_mode": self.output_mode, "sparse": self.sparse}
