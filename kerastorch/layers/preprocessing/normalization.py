"""`Normalization`: shifts and scales inputs by given or adapted statistics."""

import numpy as np
import torch

from kerastorch.layers.base import Layer


class Normalization(Layer):
    """Shifts and scales inputs to zero mean and unit variance: `(x - mean) / sqrt(variance)`.

    Give `mean` and `variance`, or call `adapt(data)` before training to compute them from
    data. Adapted statistics are non-trainable weights `mean`, `variance` (and an int32
    `count` that Keras keeps at 0), saved with the model; given ones are constants of the
    config, as in Keras (no weights). Both move to the model's device.

    Args:
        axis: Integer, tuple of integers or `None`: the axes that keep separate statistics
            (the others are reduced). Defaults to `-1` (per feature or per channel).
        mean: Optional mean to use instead of `adapt`.
        variance: Optional variance to use instead of `adapt`.
        invert: If `True`, undo the normalisation: `x * sqrt(variance) + mean`. Defaults to `False`.

    Input shape: any. Output shape: same as the input.

    Example:
    >>> import numpy as np, torch
    >>> layer = Normalization()
    >>> layer.adapt(np.array([[0.0], [2.0], [4.0]]))
    >>> layer(torch.tensor([[4.0]])).item()  # (4 - 2) / sqrt(8 / 3)
    1.2247...
    """

    def __init__(self, axis=-1, mean=None, variance=None, invert=False, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True     # as Keras: a mask passes through
        if (mean is None) != (variance is None):
            raise ValueError(f"Normalization '{self.name}': give both `mean` and `variance`, or neither "
                             f"(and call adapt()); got mean={mean!r}, variance={variance!r}.")
        self.axis = (axis,) if isinstance(axis, int) else (tuple(axis) if axis is not None else ())
        self.input_mean, self.input_variance, self.invert = mean, variance, invert
        if mean is not None:
            if np.shape(mean) != np.shape(variance):
                raise ValueError(f"Normalization '{self.name}': `mean` and `variance` must have the same "
                                 f"shape, got {np.shape(mean)} and {np.shape(variance)}.")
            if len(np.shape(mean)) > len(self.axis):
                raise ValueError(f"Normalization '{self.name}': `mean` has rank {len(np.shape(mean))}, "
                                 f"more than the {len(self.axis)} kept axes (axis={self.axis}). Give one "
                                 "value per kept position, or a scalar.")

    def build(self, input_shape):
        rank = len(input_shape)
        keep = sorted(a % rank for a in self.axis)
        if 0 in keep:
            raise ValueError(f"Normalization '{self.name}': axis={self.axis!r} includes the batch axis; "
                             f"statistics are per feature, over the batch.")
        for a in keep:
            if input_shape[a] is None:
                raise ValueError(f"Normalization '{self.name}': axis {a} of input shape "
                                 f"{tuple(input_shape)} must be known to keep statistics along it.")
        self._keep = keep
        self._reduce = [a for a in range(rank) if a not in keep]
        shape = tuple(int(input_shape[a]) for a in keep)
        self._broadcast = [int(input_shape[a]) if a in keep else 1 for a in range(rank)]
        if self.input_mean is None:
            # Keras' weights, in its order and dtypes: mean, variance and an int32 `count`
            # (kept for old files; Keras leaves it at 0).
            self.add_weight(shape=shape, initializer="zeros", trainable=False, name="mean")
            self.add_weight(shape=shape, initializer="ones", trainable=False, name="variance")
            self.add_weight(shape=(), initializer="zeros", dtype="int32", trainable=False, name="count")
        else:
            # Given statistics are constants of the config, not weights (as in Keras): buffers
            # that move with the model but are neither saved nor counted.
            for name, value in (("mean", self.input_mean), ("variance", self.input_variance)):
                tensor = torch.zeros(shape) + torch.as_tensor(np.asarray(value, dtype=np.float32))
                self.register_buffer(name, tensor, persistent=False)
        self.built = True

    def adapt(self, data, batch_size=None, steps=None):
        """Computes the mean and variance of `data` along the non-kept axes, in float64.

        Args:
            data: A numpy array or tensor of samples, or an iterable of batches (a
                `torch.utils.data.DataLoader`, a generator) yielding arrays or `(x, y)` pairs.
            batch_size: Batch size for array data (statistics are exact either way).
                Defaults to the whole array in one pass.
            steps: Optional number of batches to read from an iterable.
        """
        if self.input_mean is not None:
            raise ValueError(f"Normalization '{self.name}' was given `mean` and `variance`, so it has "
                             "nothing to adapt. Make it without them (Normalization(axis=...)) to "
                             "compute them with adapt().")
        if isinstance(data, (np.ndarray, torch.Tensor, list)):
            array = data if isinstance(data, torch.Tensor) else torch.as_tensor(np.asarray(data))
            size = batch_size or max(len(array), 1)
            batches = (array[i:i + size] for i in range(0, len(array), size))
        else:
            batches = iter(data)
        count, mean, m2 = 0, None, None
        for step, batch in enumerate(batches):
            if steps is not None and step >= steps:
                break
            if isinstance(batch, (tuple, list)):
                batch = batch[0]
            x = torch.as_tensor(np.asarray(batch) if not isinstance(batch, torch.Tensor) else batch)
            x = x.detach().to("cpu", torch.float64)
            if not self.built:
                self._build_wrapper((None, *x.shape[1:]))
            if x.ndim != len(self._broadcast):
                raise ValueError(f"Normalization '{self.name}'.adapt: batches must have rank "
                                 f"{len(self._broadcast)}, got shape {tuple(x.shape)}.")
            n = int(np.prod([x.shape[a] for a in self._reduce]))
            b_mean = x.mean(dim=self._reduce)
            b_m2 = ((x - b_mean.reshape(self._broadcast)) ** 2).sum(dim=self._reduce)
            if mean is None:
                count, mean, m2 = n, b_mean, b_m2
            else:
                # Chan et al.'s pairwise update: exact for any batching.
                delta, total = b_mean - mean, count + n
                mean = mean + delta * n / total
                m2 = m2 + b_m2 + delta ** 2 * count * n / total
                count = total
        if mean is None:
            raise ValueError(f"Normalization '{self.name}'.adapt: got no data to adapt on.")
        with torch.no_grad():
            self.mean.copy_(mean.to(self.mean.dtype))
            self.variance.copy_((m2 / count).to(self.variance.dtype))

    def call(self, inputs):
        x = inputs if inputs.is_floating_point() else inputs.to(torch.float32)
        mean = self.mean.reshape(self._broadcast).to(x.dtype)
        var = self.variance.reshape(self._broadcast).to(x.dtype)
        if self.invert:
            return mean + x * torch.sqrt(var)
        # Keras' floor on the standard deviation, so constant features don't divide by zero.
        return (x - mean) / torch.clamp(torch.sqrt(var), min=1e-7)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        def plain(v):
            return np.asarray(v).tolist() if v is not None else None
        return {**super().get_config(), "axis": self.axis, "invert": self.invert,
                "mean": plain(self.input_mean), "variance": plain(self.input_variance)}
