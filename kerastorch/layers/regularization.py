"""Regularization layers: `SpatialDropout1D/2D/3D`, `GaussianNoise`, `GaussianDropout`,
`AlphaDropout` and `ActivityRegularization`.

The noise layers act only in training (`fit`, or a call with `training=True`) and are the
identity otherwise. Each holds a `kerastorch.random.SeedGenerator` made from its `seed`, as in
Keras: two layers made with the same seed draw the same noise on the same input, call after
call; with `seed=None` the generator's seed comes from Python's `random` when the layer is
made, so `kerastorch.utils.set_random_seed` before building the model makes runs repeat.
"""

import math

from kerastorch import config, random, regularizers
from kerastorch.layers.base import Layer, format_shape


def _check_rate(layer, value, arg="rate", upper_open=True):
    bad = isinstance(value, bool) or not isinstance(value, (int, float)) or not (
        0 <= value < 1 if upper_open else 0 <= value <= 1)
    if bad:
        interval = "[0, 1)" if upper_open else "[0, 1]"
        raise ValueError(
            f"{type(layer).__name__} layer '{layer.name}': `{arg}` must be a float in {interval}, "
            f"got {arg}={value!r}."
        )
    return float(value)


class _NoiseLayer(Layer):
    """Identity outside training; shape-preserving; passes masks on; draws from its SeedGenerator."""

    def __init__(self, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.seed = seed
        self.supports_masking = True
        self._build_at_init()

    def _make_seed_generator(self, active):
        # Keras makes the generator only for a layer that draws (rate or stddev above 0), so an
        # inactive one leaves Python's `random` untouched, as there.
        if active:
            from kerastorch.layers.tracking import state_unlocked

            with state_unlocked(self):    # built at init (`_build_at_init`) before the subclass makes it
                self.seed_generator = random.SeedGenerator(self.seed)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)


class _SpatialDropout(_NoiseLayer):
    """Drops whole channels (feature maps): one keep/drop draw per sample and channel."""

    rank = 1

    def __init__(self, rate, data_format=None, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.rate = _check_rate(self, rate, upper_open=False)
        self.data_format = config.standardize_data_format(data_format)
        self._make_seed_generator(self.rate > 0)

    def _noise_shape(self, shape):
        ones = [1] * self.rank
        if self.data_format == "channels_last":
            return (shape[0], *ones, shape[-1])
        return (shape[0], shape[1], *ones)

    def call(self, inputs, training=None):
        if inputs.dim() != self.rank + 2:
            raise ValueError(
                f"{type(self).__name__} layer '{self.name}' expects {self.rank + 2}-D input, got shape "
                f"{format_shape((None, *inputs.shape[1:]))}."
            )
        if not training or self.rate == 0:
            return inputs
        return random._dropout(inputs, self.rate, self._noise_shape(inputs.shape), self.seed_generator,
                               f"{type(self).__name__} layer '{self.name}'")

    def get_config(self):
        # Keras' own short config: no `trainable`, the dtype as a name (its SpatialDropout
        # constructors take only rate, seed, name, dtype and data_format).
        config_ = {"rate": self.rate, "seed": self.seed, "name": self.name, "dtype": self.dtype}
        if self.rank > 1:
            config_["data_format"] = self.data_format
        return config_


class SpatialDropout1D(_SpatialDropout):
    """Dropout of whole channels of sequences `(batch, steps, channels)`, in training only.

    Each (sample, channel) pair is dropped for all steps at once with probability `rate`;
    kept values are scaled by `1 / (1 - rate)`.

    Args:
        rate: Float in [0, 1], the fraction of channels to drop.
        seed: Optional int seed. Defaults to `None` (drawn from Python's `random`).

    Example:
    >>> import torch
    >>> from kerastorch import layers
    >>> out = layers.SpatialDropout1D(0.5)(torch.ones(1, 4, 3), training=True)
    >>> bool((out == out[:, :1]).all())          # each channel is kept or dropped for all steps
    True
    """

    rank = 1

    def __init__(self, rate, seed=None, **kwargs):
        super().__init__(rate, data_format="channels_last", seed=seed, **kwargs)


class SpatialDropout2D(_SpatialDropout):
    """Dropout of whole feature maps of images, in training only.

    Args:
        rate: Float in [0, 1], the fraction of channels to drop.
        data_format: `"channels_last"` (default, `(batch, h, w, channels)`) or `"channels_first"`.
        seed: Optional int seed. Defaults to `None` (drawn from Python's `random`).

    Example:
    >>> import torch
    >>> from kerastorch import layers
    >>> layers.SpatialDropout2D(0.5)(torch.ones(1, 2, 2, 3), training=False).sum().item()
    12.0
    """

    rank = 2

    def __init__(self, rate, data_format=None, seed=None, **kwargs):
        super().__init__(rate, data_format=data_format, seed=seed, **kwargs)


class SpatialDropout3D(_SpatialDropout):
    """Dropout of whole feature maps of volumes, in training only.

    Args:
        rate: Float in [0, 1], the fraction of channels to drop.
        data_format: `"channels_last"` (default) or `"channels_first"`.
        seed: Optional int seed. Defaults to `None` (drawn from Python's `random`).

    Example:
    >>> import torch
    >>> from kerastorch import layers
    >>> tuple(layers.SpatialDropout3D(0.2)(torch.ones(1, 2, 2, 2, 3), training=True).shape)
    (1, 2, 2, 2, 3)
    """

    rank = 3

    def __init__(self, rate, data_format=None, seed=None, **kwargs):
        super().__init__(rate, data_format=data_format, seed=seed, **kwargs)


class GaussianNoise(_NoiseLayer):
    """Adds zero-mean Gaussian noise of standard deviation `stddev`, in training only.

    Args:
        stddev: Float in [0, 1], the noise's standard deviation.
        seed: Optional int seed. Defaults to `None` (drawn from Python's `random`).

    Example:
    >>> import torch
    >>> from kerastorch import layers
    >>> layers.GaussianNoise(0.1)(torch.ones(1, 3), training=False)
    tensor([[1., 1., 1.]])
    """

    def __init__(self, stddev, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.stddev = _check_rate(self, stddev, "stddev", upper_open=False)
        self._make_seed_generator(self.stddev > 0)

    def call(self, inputs, training=None):
        if not training or self.stddev == 0:
            return inputs
        return inputs + random._normal(tuple(inputs.shape), 0.0, self.stddev, inputs.dtype, self.seed_generator,
                                       inputs.device)

    def get_config(self):
        return {**super().get_config(), "stddev": self.stddev, "seed": self.seed}


class GaussianDropout(_NoiseLayer):
    """Multiplies inputs by Gaussian noise of mean 1 and stddev `sqrt(rate / (1 - rate))`, in training only.

    Args:
        rate: Float in [0, 1), the equivalent dropout probability.
        seed: Optional int seed. Defaults to `None` (drawn from Python's `random`).

    Example:
    >>> import torch
    >>> from kerastorch import layers
    >>> layers.GaussianDropout(0.5)(torch.ones(1, 2), training=False)
    tensor([[1., 1.]])
    """

    def __init__(self, rate, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.rate = _check_rate(self, rate)
        self._make_seed_generator(self.rate > 0)

    def call(self, inputs, training=None):
        if not training or self.rate == 0:
            return inputs
        stddev = math.sqrt(self.rate / (1.0 - self.rate))
        return inputs * random._normal(tuple(inputs.shape), 1.0, stddev, inputs.dtype, self.seed_generator,
                                       inputs.device)

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "seed": self.seed}


class AlphaDropout(_NoiseLayer):
    """Dropout for SELU networks: keeps mean and variance of the inputs, in training only.

    Dropped values are set to SELU's negative saturation `-alpha * scale`, then an affine map
    `a * x + b` restores zero mean and unit variance, with
    `a = ((1 - rate) * (1 + rate * alpha_p ** 2)) ** -0.5` and `b = -a * alpha_p * rate`.

    Args:
        rate: Float in [0, 1), the drop probability.
        noise_shape: Optional mask shape broadcast over the input (`None` axes take the
            input's size). Defaults to `None` (the input's shape).
        seed: Optional int seed. Defaults to `None` (drawn from Python's `random`).

    Example:
    >>> import torch
    >>> from kerastorch import layers
    >>> layers.AlphaDropout(0.2)(torch.ones(1, 2), training=False)
    tensor([[1., 1.]])
    """

    _ALPHA = 1.6732632423543772848170429916717
    _SCALE = 1.0507009873554804934193349852946

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.rate = _check_rate(self, rate)
        self.noise_shape = None if noise_shape is None else tuple(noise_shape)
        self._make_seed_generator(self.rate > 0)

    def call(self, inputs, training=None):
        if not training or self.rate == 0:
            return inputs
        shape = random._noise_shape(inputs, self.noise_shape, f"AlphaDropout layer '{self.name}'")
        # Keras keeps a value where a uniform draw is at least `rate`.
        draws = random._uniform(shape, 0.0, 1.0, random._float_dtype(None, 'AlphaDropout'), self.seed_generator,
                                 inputs.device)
        keep = (draws >= self.rate).to(inputs.dtype)
        alpha_p = -self._ALPHA * self._SCALE
        a = ((1 - self.rate) * (1 + self.rate * alpha_p ** 2)) ** -0.5
        b = -a * alpha_p * self.rate
        return a * (inputs * keep + alpha_p * (1 - keep)) + b

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "seed": self.seed,
                "noise_shape": None if self.noise_shape is None else list(self.noise_shape)}


class ActivityRegularization(Layer):
    """Identity layer that adds an L1/L2 penalty on its input activity to the training loss.

    The penalty `l1 * sum(|x|) + l2 * sum(x ** 2)`, divided by the batch size as in Keras,
    is recorded on every call and reported in `layer.losses` (and so in `model.losses`
    and the loss `fit` minimizes).

    Args:
        l1: L1 factor. Defaults to `0.0`.
        l2: L2 factor. Defaults to `0.0`.

    Example:
    >>> import torch
    >>> from kerastorch import layers
    >>> layer = layers.ActivityRegularization(l1=0.1)
    >>> _ = layer(torch.tensor([[1.0, -2.0], [3.0, 0.0]]))
    >>> round(float(layer.losses[0]), 4)           # 0.1 * 6 / batch of 2
    0.3
    """

    def __init__(self, l1=0.0, l2=0.0, **kwargs):
        kwargs.pop("activity_regularizer", None)       # a Keras config may carry it; l1/l2 rule
        super().__init__(**kwargs)
        self.l1, self.l2 = float(l1), float(l2)
        self.activity_regularizer = regularizers.L1L2(l1=self.l1, l2=self.l2)
        self.supports_masking = True
        self._build_at_init()

    def call(self, inputs):
        return inputs

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.pop("activity_regularizer", None)   # made from l1/l2 here, as Keras leaves it out
        return {**config, "l1": self.l1, "l2": self.l2}
