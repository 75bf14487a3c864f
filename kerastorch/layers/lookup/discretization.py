"""`Discretization`: buckets continuous features by boundaries, given or adapted (Keras' quantiles)."""

import numpy as np
import torch

from kerastorch.layers.base import Layer
from kerastorch.layers.lookup import _encoding


# Keras' approximate-quantile summary (a 2 x n array: values, weights), merged batch by batch;
# the arithmetic is Keras' so adapted boundaries equal its boundaries.
def _summarize(values, epsilon):
    values = np.sort(np.reshape(values, [-1]))
    step = max(values.size * epsilon, 1)        # elements / (1 / epsilon)
    picked = values[int(step - 1)::int(step)]
    return np.stack([picked, np.full_like(picked, step)])


def _compress(summary, epsilon):
    if summary.shape[1] * epsilon < 1:
        return summary
    percents = epsilon + np.arange(0.0, 1.0, epsilon)
    cum = summary[1].cumsum()
    share = cum / cum[-1]
    bins = np.interp(percents, share, summary[0])
    cum = np.interp(percents, share, cum)
    return np.stack((bins, cum - np.concatenate(([0], cum[:-1])))).astype("float32")


def _merge(a, b, epsilon):
    merged = np.concatenate((a, b), axis=1)
    return _compress(merged[:, np.argsort(merged[0])], epsilon)


class Discretization(Layer):
    """Buckets continuous features: output `i` where `bin_boundaries[i-1] <= x < bin_boundaries[i]`.

    Give `bin_boundaries`, or `num_bins` and call `adapt(data)` to place the boundaries at
    the data's approximate quantiles (Keras' summary algorithm, within `epsilon`). Adapted
    boundaries are part of the config, as in Keras (no weights).

    Args:
        bin_boundaries: Sorted list of boundaries; `n` boundaries make `n + 1` bins.
            Defaults to `None`.
        num_bins: Number of bins for `adapt`. Give this or `bin_boundaries`. Defaults to `None`.
        epsilon: Error tolerance of the quantiles (about `1 / epsilon` summary points).
            Defaults to `0.01`.
        output_mode: `"int"` (bin ids, int32), `"one_hot"`, `"multi_hot"` or `"count"`.
            Defaults to `"int"`.
        sparse: Must be `False`. Defaults to `False`.

    Example:
    >>> layer = Discretization(bin_boundaries=[0.0, 1.0, 2.0])
    >>> layer([[-1.5, 1.0, 3.4, 0.5], [0.0, 3.0, 1.3, 0.0]]).tolist()
    [[0, 2, 3, 1], [1, 3, 2, 1]]
    """

    accepts_integer_inputs = True     # Sequential passes integer batches through as they are

    def __init__(self, bin_boundaries=None, num_bins=None, epsilon=0.01, output_mode="int",
                 sparse=False, dtype=None, name=None, **kwargs):
        super().__init__(name=name, dtype=dtype, **kwargs)
        where = f"Discretization '{self.name}'"
        self.output_mode = _encoding.check_mode(output_mode, _encoding.OUTPUT_MODES, where)
        _encoding.refuse_sparse(sparse, where)
        if num_bins is not None and num_bins < 0:
            raise ValueError(f"{where}: `num_bins` must be >= 0, got num_bins={num_bins!r}.")
        if num_bins is not None and bin_boundaries is not None:
            raise ValueError(f"{where}: give `num_bins` (and adapt) or `bin_boundaries`, not both; got "
                             f"num_bins={num_bins!r} and bin_boundaries={bin_boundaries!r}.")
        if num_bins is None and bin_boundaries is None:
            raise ValueError(f"{where}: give `bin_boundaries`, or `num_bins` and then call adapt(data).")
        self.bin_boundaries = list(bin_boundaries) if bin_boundaries is not None else None
        self.num_bins, self.epsilon, self.sparse = num_bins, epsilon, sparse
        self.summary = None if self.bin_boundaries else np.array([[], []], dtype="float32")

    def adapt(self, data, steps=None):
        """Places `num_bins - 1` boundaries at the approximate quantiles of `data`.

        Args:
            data: A numpy array or tensor (one batch), or an iterable of batches (a
                list of arrays, a DataLoader, a generator; `(x, y)` pairs use `x`).
            steps: Optional number of batches to read from an iterable. Defaults to `None`.
        """
        if self.num_bins is None:
            raise ValueError(f"Discretization '{self.name}' was made with `bin_boundaries`; it has nothing "
                             "to adapt. Make it with num_bins=... to compute boundaries with adapt().")
        self.summary = np.array([[], []], dtype="float32")
        if isinstance(data, (np.ndarray, torch.Tensor)):
            data = [data]       # as Keras: an array is one batch, a list is a list of batches
        for i, batch in enumerate(data):
            if steps is not None and i >= steps:
                break
            if isinstance(batch, tuple) and len(batch) in (2, 3):
                batch = batch[0]
            if isinstance(batch, torch.Tensor):
                batch = batch.detach().cpu().numpy()
            self.summary = _merge(_summarize(np.asarray(batch).astype("float32"), self.epsilon),
                                  self.summary, self.epsilon)
        self.bin_boundaries = _compress(self.summary, 1.0 / self.num_bins)[0, :-1].tolist()

    def forward(self, inputs, training=None, mask=None):
        if self.bin_boundaries is None:
            raise ValueError(f"Discretization '{self.name}': no boundaries yet. Pass `bin_boundaries` or "
                             "call adapt(data) before calling the layer.")
        x = inputs if isinstance(inputs, torch.Tensor) else torch.as_tensor(np.asarray(inputs))
        if not self.built:
            self._build_wrapper(tuple(x.shape))
        x = x.to(torch.float32) if not x.is_floating_point() else x
        bounds = torch.as_tensor(self.bin_boundaries, dtype=x.dtype, device=x.device)
        ids = torch.bucketize(x, bounds, right=True)      # np.digitize's rule: b[i-1] <= x < b[i]
        if self.output_mode == "int":
            return ids.to(torch.int32)
        return _encoding.encode(ids, self.output_mode, len(self.bin_boundaries) + 1,
                                self._compute_torch_dtype, where=f"Discretization '{self.name}'")

    def call(self, inputs):
        return self.forward(inputs)

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        if self.output_mode == "int":
            return input_shape
        depth = len(self.bin_boundaries) + 1 if self.bin_boundaries is not None else self.num_bins
        if self.output_mode == "one_hot":
            if input_shape and input_shape[-1] == 1 and len(input_shape) > 1:
                return input_shape[:-1] + (depth,)
            return input_shape + (depth,)
        if len(input_shape) >= 2:      # Keras' rule, kept as it is
            return (input_shape[0],) + input_shape[2:] + (depth,)
        return (depth,)

    def load_own_variables(self, store):
        # Old Keras files kept the summary as a weight; Keras reads it back, so do we.
        if len(store) == 1:
            self.summary = np.asarray(store["0"])

    def get_config(self):
        base = super().get_config()
        return {"bin_boundaries": self.bin_boundaries, "num_bins": self.num_bins, "epsilon": self.epsilon,
                "output_mode": self.output_mode, "sparse": self.sparse, "name": base["name"],
                "dtype": self.dtype}      # Keras writes the dtype name here, not a policy

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if config.get("bin_boundaries") is not None and config.get("num_bins") is not None:
            boundaries = config.pop("bin_boundaries")
            layer = cls(**config)
            layer.bin_boundaries = boundaries       # adapted boundaries come back with num_bins
            return layer
        return cls(**config)
