"""`HashedCrossing`: crosses categorical features by hashing, with `tf.sparse.cross_hashed`'s ids."""

import numpy as np
import torch

from kerastorch.layers.base import Layer
from kerastorch.layers.lookup import _encoding, _hashes

_HASH_KEY = 0xDECAFCAFFE      # tf.sparse.cross_hashed's default key, which Keras uses


class HashedCrossing(Layer):
    """Crosses two or more categorical features into `num_bins` hashed bins.

    For each sample the features are combined as TensorFlow's `cross_hashed` does (strings by
    their FarmHash Fingerprint64, integers as they are, chained with FingerprintCat64 from
    the key `0xDECAFCAFFE`), then taken modulo `num_bins`, so crossed ids equal Keras'.

    Args:
        num_bins: Number of hash bins. Required.
        output_mode: `"int"` or `"one_hot"`. Defaults to `"int"`.
        sparse: Must be `False`. Defaults to `False`.

    Call arguments:
        inputs: A list or tuple of at least two inputs of the same shape `()`, `(batch,)`
            or `(batch, 1)`, of integers or strings.

    Example:
    >>> layer = HashedCrossing(num_bins=5)
    >>> layer((["A", "B", "A", "B", "A"], [101, 101, 101, 102, 102])).tolist()
    [1, 4, 1, 1, 3]
    """

    accepts_integer_inputs = True     # Sequential passes integer batches through as they are

    def __init__(self, num_bins, output_mode="int", sparse=False, name=None, dtype=None, **kwargs):
        if output_mode == "int" and dtype is None:
            dtype = "int64"
        super().__init__(name=name, dtype=dtype, **kwargs)
        where = f"HashedCrossing '{self.name}'"
        _encoding.refuse_sparse(sparse, where)
        self.output_mode = _encoding.check_mode(output_mode, ("int", "one_hot"), where)
        if isinstance(num_bins, bool) or not isinstance(num_bins, (int, np.integer)) or num_bins < 1:
            raise ValueError(f"{where}: `num_bins` must be a positive integer, got num_bins={num_bins!r}.")
        self.num_bins, self.sparse = int(num_bins), sparse
        self.built = True

    def forward(self, inputs, training=None, mask=None):
        where = f"HashedCrossing '{self.name}'"
        if not isinstance(inputs, (list, tuple)) or len(inputs) < 2:
            raise ValueError(f"{where}: expected a list or tuple of at least two inputs, got "
                             f"{type(inputs).__name__}{'' if not isinstance(inputs, (list, tuple)) else ' of ' + str(len(inputs))}.")
        arrays = [_encoding.to_array(x, where) for x in inputs]
        shape = arrays[0].shape
        if len(shape) > 2 or (len(shape) == 2 and shape[-1] != 1):
            raise ValueError(f"{where}: every input must have shape (), (batch_size,) or (batch_size, 1), "
                             f"got {shape}.")
        if any(a.shape != shape for a in arrays[1:]):
            raise ValueError(f"{where}: all inputs must have the same shape, got {[a.shape for a in arrays]}.")
        for a in arrays:
            if a.dtype != object and a.dtype.kind not in "iu":
                raise TypeError(f"{where}: inputs must hold integers or strings, got dtype {a.dtype}.")
        columns = [[_hashes.fingerprint64(v) if isinstance(v, str) else int(v) & 0xFFFFFFFFFFFFFFFF
                    for v in a.reshape(-1).tolist()] for a in arrays]
        out = []
        for row in zip(*columns):
            h = _HASH_KEY
            for f in row:
                h = _hashes.fingerprint_cat64(h, f)
            out.append(h % self.num_bins)
        ids = torch.tensor(out, dtype=torch.int64).reshape(shape)
        if self.output_mode == "int":
            return ids.to(self._compute_torch_dtype)
        return _encoding.encode(ids, "one_hot", self.num_bins, self._compute_torch_dtype, where=where)

    def call(self, inputs):
        return self.forward(inputs)

    def compute_output_shape(self, input_shape):
        first = tuple(input_shape[0])
        if self.output_mode == "int":
            return first
        if first and first[-1] != 1:
            return first + (self.num_bins,)
        return first[:-1] + (self.num_bins,)

    def get_config(self):
        base = super().get_config()
        return {"num_bins": self.num_bins, "output_mode": self.output_mode, "sparse": self.sparse,
                "name": base["name"], "dtype": self.dtype}   # a name, as Keras writes it
