"""Variance-scaling initializers: `VarianceScaling` and its Glorot, He and LeCun presets.

The variance is scaled to the weight's fans, computed from its shape in Keras' layout
(`compute_fans`), so a layer storing a weight in another layout still asks for Keras' shape.
"""

import math

from kerastorch.initializers.base import _shape
from kerastorch.initializers.random import _RandomInitializer, _normal, _truncated_normal, _uniform

# Standard deviation of a standard normal truncated to [-2, 2]; Keras divides by it so
# that the truncated draws have the intended variance (`random_initializers.py`).
_TRUNCATED_STDDEV = 0.87962566103423978


def compute_fans(shape, input_axes=None, output_axes=None):
    """Returns `(fan_in, fan_out)` for a weight shape in Keras' layout, as Keras does.

    Scalars give `(1, 1)`; a 1-D shape `(n,)` gives `(n, n)`; `(in, out)` gives
    `(in, out)`; a convolution kernel `(*spatial, in, out)` gives
    `(in * prod(spatial), out * prod(spatial))`. With both `input_axes` and
    `output_axes`, the fans are the products of those axes' sizes.

    Args:
        shape: Tuple of integers.
        input_axes: Axes whose sizes multiply into `fan_in`. Defaults to `None`.
        output_axes: Axes whose sizes multiply into `fan_out`. Defaults to `None`.

    Example:
    >>> compute_fans((3, 3, 16, 32))
    (144, 288)
    """
    shape = _shape(shape)
    if input_axes is not None and output_axes is not None:
        return (int(math.prod(shape[a] for a in input_axes)),
                int(math.prod(shape[a] for a in output_axes)))
    if len(shape) < 1:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    if len(shape) == 2:
        return shape[0], shape[1]
    receptive_field = math.prod(shape[:-2])
    return shape[-2] * receptive_field, shape[-1] * receptive_field


class VarianceScaling(_RandomInitializer):
    """Draws with a variance scaled to the weight's fans, as Keras does.

    With `n` = `fan_in`, `fan_out` or `(fan_in + fan_out) / 2` (by `mode`, at least 1):
    `"truncated_normal"` draws a normal truncated at 2 stddev with stddev
    `sqrt(scale / n) / 0.8796` (so the values' variance is `scale / n`);
    `"untruncated_normal"` a normal with stddev `sqrt(scale / n)`; `"uniform"`
    `U(-limit, limit)` with `limit = sqrt(3 * scale / n)`.

    Args:
        scale: Positive scaling factor. Defaults to `1.0`.
        mode: `"fan_in"`, `"fan_out"` or `"fan_avg"`. Defaults to `"fan_in"`.
        distribution: `"truncated_normal"` (`"normal"` is an alias),
            `"untruncated_normal"` or `"uniform"`. Defaults to `"truncated_normal"`.
        seed: `None` or an integer. Defaults to `None`.
        input_axes: Axes that make up `fan_in` (with `output_axes`); defaults to `None`,
            Keras' `compute_fans` rule.
        output_axes: Axes that make up `fan_out`. Defaults to `None`.

    Example:
    >>> w = VarianceScaling(scale=2.0, mode="fan_in", distribution="uniform")((50, 10))
    >>> bool(w.abs().max() <= (3 * 2.0 / 50) ** 0.5)
    True
    """

    def __init__(self, scale=1.0, mode="fan_in", distribution="truncated_normal", seed=None,
                 input_axes=None, output_axes=None):
        if scale <= 0.0:
            raise ValueError(f"Argument `scale` must be positive float. Received: scale={scale!r}")
        modes = ("fan_in", "fan_out", "fan_avg")
        if mode not in modes:
            raise ValueError(f"Invalid `mode` argument: {mode!r}. Please use one of {modes}.")
        distribution = str(distribution).lower()
        if distribution == "normal":
            distribution = "truncated_normal"
        distributions = ("uniform", "truncated_normal", "untruncated_normal")
        if distribution not in distributions:
            raise ValueError(
                f"Invalid `distribution` argument: {distribution!r}. Please use one of "
                f"{distributions} ('normal' means 'truncated_normal')."
            )
        self.scale, self.mode, self.distribution = scale, mode, distribution
        self.input_axes, self.output_axes = input_axes, output_axes
        super().__init__(seed=seed)

    def __call__(self, shape, dtype=None):
        fan_in, fan_out = compute_fans(shape, self.input_axes, self.output_axes)
        n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2.0}[self.mode]
        scale = self.scale / max(1.0, n)
        generator = self._generator()
        if self.distribution == "truncated_normal":
            return _truncated_normal(shape, 0.0, math.sqrt(scale) / _TRUNCATED_STDDEV, dtype,
                                     generator)
        if self.distribution == "untruncated_normal":
            return _normal(shape, 0.0, math.sqrt(scale), dtype, generator)
        limit = math.sqrt(3.0 * scale)
        return _uniform(shape, -limit, limit, dtype, generator)

    def get_config(self):
        return {**super().get_config(), "scale": self.scale, "mode": self.mode,
                "distribution": self.distribution, "input_axes": self.input_axes,
                "output_axes": self.output_axes}


class _FixedVarianceScaling(VarianceScaling):
    _scale, _mode, _distribution = 1.0, "fan_in", "truncated_normal"

    def __init__(self, seed=None, input_axes=None, output_axes=None):
        super().__init__(scale=self._scale, mode=self._mode, distribution=self._distribution,
                         seed=seed, input_axes=input_axes, output_axes=output_axes)

    def get_config(self):
        return {"seed": self.seed, "input_axes": self.input_axes, "output_axes": self.output_axes}


class GlorotUniform(_FixedVarianceScaling):
    """Glorot (Xavier) uniform: `U(-limit, limit)`, `limit = sqrt(6 / (fan_in + fan_out))`.

    Keras' default kernel initializer (Dense, Conv, RNN input kernels).

    Args:
        seed: `None` or an integer. Defaults to `None`.
        input_axes: See `VarianceScaling`. Defaults to `None`.
        output_axes: See `VarianceScaling`. Defaults to `None`.

    Example:
    >>> bool(GlorotUniform()((300, 200)).abs().max() <= (6 / 500) ** 0.5)
    True
    """

    _scale, _mode, _distribution = 1.0, "fan_avg", "uniform"


class GlorotNormal(_FixedVarianceScaling):
    """Glorot (Xavier) normal: truncated normal, stddev `sqrt(2 / (fan_in + fan_out)) / 0.8796`.

    Args:
        seed: `None` or an integer. Defaults to `None`.
        input_axes: See `VarianceScaling`. Defaults to `None`.
        output_axes: See `VarianceScaling`. Defaults to `None`.

    Example:
    >>> GlorotNormal(seed=0)((3, 4)).shape
    torch.Size([3, 4])
    """

    _scale, _mode, _distribution = 1.0, "fan_avg", "truncated_normal"


class HeUniform(_FixedVarianceScaling):
    """He uniform: `U(-limit, limit)`, `limit = sqrt(6 / fan_in)`.

    Args:
        seed: `None` or an integer. Defaults to `None`.
        input_axes: See `VarianceScaling`. Defaults to `None`.
        output_axes: See `VarianceScaling`. Defaults to `None`.

    Example:
    >>> bool(HeUniform()((24, 8)).abs().max() <= 0.5)
    True
    """

    _scale, _mode, _distribution = 2.0, "fan_in", "uniform"


class HeNormal(_FixedVarianceScaling):
    """He normal: truncated normal, stddev `sqrt(2 / fan_in) / 0.8796`.

    Args:
        seed: `None` or an integer. Defaults to `None`.
        input_axes: See `VarianceScaling`. Defaults to `None`.
        output_axes: See `VarianceScaling`. Defaults to `None`.

    Example:
    >>> HeNormal(seed=0)((3, 3, 16, 32)).shape
    torch.Size([3, 3, 16, 32])
    """

    _scale, _mode, _distribution = 2.0, "fan_in", "truncated_normal"


class LecunUniform(_FixedVarianceScaling):
    """LeCun uniform: `U(-limit, limit)`, `limit = sqrt(3 / fan_in)`.

    Args:
        seed: `None` or an integer. Defaults to `None`.
        input_axes: See `VarianceScaling`. Defaults to `None`.
        output_axes: See `VarianceScaling`. Defaults to `None`.

    Example:
    >>> bool(LecunUniform()((12, 8)).abs().max() <= 0.5)
    True
    """

    _scale, _mode, _distribution = 1.0, "fan_in", "uniform"


class LecunNormal(_FixedVarianceScaling):
    """LeCun normal: truncated normal, stddev `sqrt(1 / fan_in) / 0.8796`.

    Args:
        seed: `None` or an integer. Defaults to `None`.
        input_axes: See `VarianceScaling`. Defaults to `None`.
        output_axes: See `VarianceScaling`. Defaults to `None`.

    Example:
    >>> LecunNormal(seed=0)((5,)).shape
    torch.Size([5])
    """

    _scale, _mode, _distribution = 1.0, "fan_in", "truncated_normal"
