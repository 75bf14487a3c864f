"""Colour augmentation layers as in Keras 3: AutoContrast, Solarization, RandomGrayscale,
RandomInvert, RandomPosterization, RandomColorDegeneration, RandomHue, RandomSaturation,
RandomColorJitter.

Each draws what Keras' torch backend draws, in the same order (see `_base`), so with the same
`seed` the outputs equal Keras' on the CPU. Only `AutoContrast` is active in inference.
"""

import torch

from kerastorch.ops import image as image_ops
from kerastorch.layers.augmentation._base import (BaseImageAugmentation, check_value_range, layer_label,
                                                  parse_factor, to_range)

_EPSILON = 1e-7   # Keras' backend.epsilon()


class AutoContrast(BaseImageAugmentation):
    """Stretches each image's channels over the whole `value_range` (active in training and inference).

    Per image and channel, the lowest value becomes `low` and the highest `high`; a constant
    channel is left unchanged.

    Args:
        value_range: `(low, high)` of the input values. Defaults to `(0, 255)`.
        data_format: `"channels_last"` or `"channels_first"`. Defaults to `None`
            (`kerastorch.config.image_data_format()`).

    Input shape: `(batch, H, W, C)` or `(H, W, C)`. Output shape: same as the input.

    Example:
    >>> import torch
    >>> x = torch.tensor([[[[10.0], [20.0]], [[30.0], [60.0]]]])
    >>> AutoContrast()(x).flatten().tolist()
    [0.0, 51.0, 102.0, 255.0]
    """

    def __init__(self, value_range=(0, 255), **kwargs):
        super().__init__(**kwargs)
        self.value_range = check_value_range(self, value_range)

    def _transform(self, images, transformation, training):
        original = images
        x = to_range(images, self.value_range, (0, 255))
        # The spatial axes of the layer's layout. Keras 3.15.1 reduces axes (1, 2) whatever the
        # data_format, which for channels_first mixes channels; this follows the documented behaviour.
        axes = (1, 2) if self.data_format == "channels_last" else (2, 3)
        low = x.amin(dim=axes, keepdim=True)
        high = x.amax(dim=axes, keepdim=True)
        scale = 255.0 / (high - low)
        out = (x * scale - low * scale).clamp(0.0, 255.0)
        out = to_range(out, (0, 255), self.value_range)
        return torch.where(torch.isnan(out), original, out)

    def get_config(self):
        return {**super().get_config(), "value_range": self.value_range}


class Solarization(BaseImageAugmentation):
    """Inverts pixels above a random threshold, after adding a random amount (training only).

    In `[0, 255]` units: `x + a` (clipped), then values at or above the threshold `t`
    become `255 - x`. `a` and `t` are drawn per image in `[lower, upper * 255]` of
    `addition_factor` and `threshold_factor`. With the defaults (`t = 0`) every pixel is inverted.

    Args:
        addition_factor: A float in [0, 1] (`a` in `[0, f * 255]`) or a pair. Defaults to `0.0`.
        threshold_factor: A float in [0, 1] (`t` in `[0, f * 255]`) or a pair. Defaults to `0.0`.
        value_range: `(low, high)` of the input values. Defaults to `(0, 255)`.
        seed: Optional integer seed. Defaults to `None`.

    Input shape: `(batch, H, W, C)` or `(H, W, C)`. Output shape: same as the input.

    Example:
    >>> import torch
    >>> Solarization(value_range=(0, 1))(torch.tensor([[[[0.25]]]])).item()
    0.75
    """

    def __init__(self, addition_factor=0.0, threshold_factor=0.0, value_range=(0, 255), seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.addition_factor = self._factor(addition_factor, "addition_factor")
        self.threshold_factor = self._factor(threshold_factor, "threshold_factor")
        self.value_range = check_value_range(self, value_range)

    def _factor(self, factor, name):
        # Keras: a float f gives (0, f); a pair is sorted; every entry lies in [0, 1].
        values = factor if isinstance(factor, (tuple, list)) else [factor]
        if (isinstance(factor, (tuple, list)) and len(factor) != 2) or not all(
                isinstance(v, (int, float)) and not isinstance(v, bool) and 0 <= v <= 1 for v in values):
            raise ValueError(f"{layer_label(self)}: `{name}` must be a float in [0, 1] or a pair of them, "
                             f"got {name}={factor!r}.")
        return tuple(sorted(factor)) if isinstance(factor, (tuple, list)) else (0, factor)

    def _transformation(self, images, training):
        if not training:
            return None
        shape = (images.shape[0], 1, 1, 1)
        additions = self._uniform(shape, self.addition_factor[0], self.addition_factor[1] * 255, images.device)
        thresholds = self._uniform(shape, self.threshold_factor[0], self.threshold_factor[1] * 255,
                                   images.device)
        return additions, thresholds

    def _transform(self, images, transformation, training):
        if not training:
            return images
        additions, thresholds = transformation
        x = (to_range(images, self.value_range, (0, 255)) + additions).clamp(0, 255)
        x = torch.where(x < thresholds, x, 255 - x)
        return to_range(x, (0, 255), self.value_range)

    def get_config(self):
        return {**super().get_config(), "value_range": self.value_range,
                "addition_factor": self.addition_factor, "threshold_factor": self.threshold_factor,
                "seed": self.seed}


class RandomGrayscale(BaseImageAugmentation):
    """Turns each image to grayscale with probability `factor`, keeping its channels (training only).

    Grayscale is `0.2989 R + 0.587 G + 0.114 B`, repeated over the three channels.

    Args:
        factor: Probability in [0, 1] of converting an image. Defaults to `0.5`.
        data_format: `"channels_last"` or `"channels_first"`. Defaults to `None`
            (`kerastorch.config.image_data_format()`).
        seed: Optional integer seed. Defaults to `None`.

    Input shape: `(batch, H, W, 3)` or `(H, W, 3)`. Output shape: same as the input.

    Example:
    >>> import torch
    >>> RandomGrayscale(factor=1.0)(torch.tensor([[[[255.0, 0.0, 0.0]]]])).flatten().round().tolist()
    [76.0, 76.0, 76.0]
    """

    def __init__(self, factor=0.5, data_format=None, seed=None, **kwargs):
        super().__init__(data_format=data_format, seed=seed, **kwargs)
        if isinstance(factor, bool) or not isinstance(factor, (int, float)) or not 0 <= factor <= 1:
            raise ValueError(f"{layer_label(self)}: `factor` must be a probability between 0 and 1, "
                             f"got factor={factor!r}.")
        self.factor = factor

    def _transformation(self, images, training):
        # Keras draws in inference too.
        return (self._uniform((images.shape[0],), 0, 1, images.device) < self.factor)[:, None, None, None]

    def _transform(self, images, apply, training):
        if not training:
            return images
        gray = image_ops.rgb_to_grayscale(images, data_format=self.data_format)
        return torch.where(apply, gray, images)

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}


class RandomInvert(BaseImageAugmentation):
    """Inverts images (`high - x`) at random (training only).

    Per image a probability `p` is drawn in `factor`'s range and the image is inverted with
    probability `p`.

    Args:
        factor: A float `f` in [0, 1] (`p` drawn in `[0, f]`) or a pair `(lower, upper)`.
            Defaults to `1.0`.
        value_range: `(low, high)` of the input values. Defaults to `(0, 255)`.
        seed: Optional integer seed. Defaults to `None`.
        data_format: `"channels_last"` or `"channels_first"`. Defaults to `None`.

    Input shape: `(batch, H, W, C)` or `(H, W, C)`. Output shape: same as the input.

    Example:
    >>> import torch
    >>> RandomInvert(factor=(1.0, 1.0))(torch.tensor([[[[55.0]]]])).item()   # always inverts
    200.0
    """

    def __init__(self, factor=1.0, value_range=(0, 255), seed=None, data_format=None, **kwargs):
        super().__init__(data_format=data_format, seed=seed, **kwargs)
        self.factor = parse_factor(self, factor, (0, 1))
        self.value_range = check_value_range(self, value_range, sort=False)

    def _transformation(self, images, training):
        if not training:
            return None
        n = images.shape[0]
        probability = self._uniform((n,), self.factor[0], self.factor[1], images.device)
        threshold = self._uniform((n,), 0, 1, images.device)
        return (threshold < probability)[:, None, None, None]

    def _transform(self, images, apply, training):
        if not training:
            return images
        return torch.where(apply, self.value_range[1] - images, images)

    def get_config(self):
        return {**super().get_config(), "factor": self.factor, "value_range": self.value_range,
                "seed": self.seed}


class RandomPosterization(BaseImageAugmentation):
    """Keeps only the top bits of each 8-bit channel value (training only).

    The number of bits kept is drawn per image as an integer in `[lower, upper)` of `factor`
    (Keras' `randint`), or is `lower` when the bounds are equal. As in Keras, an integer
    `factor=n` means the range `(1, n)`; pass `(n, n)` to always keep `n` bits.

    Args:
        factor: An integer in [1, 8] or a pair of them.
        value_range: `(low, high)` of the input values. Defaults to `(0, 255)`.
        data_format: `"channels_last"` or `"channels_first"`. Defaults to `None`.
        seed: Optional integer seed. Defaults to `None`.

    Input shape: `(batch, H, W, C)` or `(H, W, C)`. Output shape: same as the input.

    Example:
    >>> import torch
    >>> RandomPosterization(factor=(2, 2))(torch.tensor([[[[200.0]]]])).item()   # 0b11001000 -> 0b11000000
    192.0
    """

    def __init__(self, factor, value_range=(0, 255), data_format=None, seed=None, **kwargs):
        super().__init__(data_format=data_format, seed=seed, **kwargs)
        self.factor = parse_factor(self, factor, (1, 8))
        self.value_range = check_value_range(self, value_range)

    def _transformation(self, images, training):
        n = images.shape[0]
        if self.factor[0] != self.factor[1]:
            from kerastorch import random

            bits = random.randint((n,), int(self.factor[0]), int(self.factor[1]), dtype="uint8",
                                  seed=self.generator).to(images.device)
        else:
            bits = torch.full((n,), int(self.factor[0]), dtype=torch.uint8, device=images.device)
        return (8 - bits).reshape(n, 1, 1, 1)

    def _transform(self, images, shift, training):
        if not training:
            return images
        x = to_range(images, self.value_range, (0, 255)).to(torch.uint8)
        x = ((x >> shift) << shift).to(images.dtype)
        return to_range(x, (0, 255), self.value_range)

    def get_config(self):
        return {**super().get_config(), "factor": self.factor, "value_range": self.value_range,
                "seed": self.seed}


class RandomColorDegeneration(BaseImageAugmentation):
    """Blends each image towards its grayscale version by a random amount (training only).

    `x + f * (gray(x) - x)`, with `f` drawn per image in `factor`'s range, clipped to
    `value_range`.

    Args:
        factor: A float `f` in [-1, 1] (`f` drawn in `[-|f|, |f|]`) or a pair `(lower, upper)`.
        value_range: `(low, high)` of the input values. Defaults to `(0, 255)`.
        data_format: `"channels_last"` or `"channels_first"`. Defaults to `None`.
        seed: Optional integer seed. Defaults to `None`.

    Input shape: `(batch, H, W, 3)` or `(H, W, 3)`. Output shape: same as the input.

    Example:
    >>> import torch
    >>> x = torch.tensor([[[[255.0, 0.0, 0.0]]]])
    >>> RandomColorDegeneration(factor=(1.0, 1.0))(x).flatten().round().tolist()   # fully gray
    [76.0, 76.0, 76.0]
    """

    def __init__(self, factor, value_range=(0, 255), data_format=None, seed=None, **kwargs):
        super().__init__(data_format=data_format, seed=seed, **kwargs)
        self.factor = parse_factor(self, factor, (-1, 1))
        self.value_range = check_value_range(self, value_range)

    def _transformation(self, images, training):
        return self._uniform((images.shape[0], 1, 1, 1), self.factor[0], self.factor[1], images.device)

    def _transform(self, images, factor, training):
        if not training:
            return images
        gray = image_ops.rgb_to_grayscale(images, data_format=self.data_format)
        return (images + factor * (gray - images)).clamp(self.value_range[0], self.value_range[1])

    def get_config(self):
        return {**super().get_config(), "factor": self.factor, "value_range": self.value_range,
                "seed": self.seed}

    def compute_output_shape(self, input_shape):
        channels = input_shape[self._channel_axis] if len(input_shape) in (3, 4) else None
        if len(input_shape) not in (3, 4) or (channels is not None and channels != 3):
            raise ValueError(f"{layer_label(self)} expects RGB images of rank 3 or 4 with 3 channels, "
                             f"got input_shape={tuple(input_shape)}.")
        return tuple(input_shape)


def _hue_factors(layer, n, device):
    """Keras' RandomHue draws: a sign (`-1` above 0.5), then a magnitude in `factor`; times 0.5."""
    sign = layer._uniform((n,), 0, 1, device)
    sign = torch.where(sign > 0.5, -torch.ones_like(sign), torch.ones_like(sign))
    return sign * layer._uniform((n,), layer._hue[0], layer._hue[1], device) * 0.5


def _shift_hue(images, delta, value_range, data_format):
    axis = -1 if data_format == "channels_last" else -3
    x = to_range(images, value_range, (0, 1))
    hsv = image_ops.rgb_to_hsv(x, data_format=data_format)
    h, s, v = hsv.unbind(axis)
    h = h + delta.reshape(-1, 1, 1)
    h = torch.where(h > 1.0, h - 1.0, h)
    h = torch.where(h < 0.0, h + 1.0, h)
    rgb = image_ops.hsv_to_rgb(torch.stack([h, s, v], dim=axis), data_format=data_format).clamp(0, 1)
    return to_range(rgb, (0, 1), value_range)


def _saturation_factors(layer, n, device):
    f = layer._uniform((n,), layer._saturation[0], layer._saturation[1], device)
    return f / (1 - f + _EPSILON)


def _scale_saturation(images, factor, value_range, data_format):
    # Keras converts the raw values (not value_range -> [0, 1]) and clips the saturation to
    # value_range, so with (0, 255) the saturation is not clipped at 1; kept as Keras does it.
    axis = -1 if data_format == "channels_last" else -3
    hsv = image_ops.rgb_to_hsv(images, data_format=data_format)
    h, s, v = hsv.unbind(axis)
    s = (s * factor.reshape(-1, 1, 1)).clamp(value_range[0], value_range[1])
    return image_ops.hsv_to_rgb(torch.stack([h, s, v], dim=axis), data_format=data_format)


class RandomHue(BaseImageAugmentation):
    """Shifts each image's hue by a random amount (training only).

    A magnitude `m` is drawn per image in `factor`'s range and a random sign; the hue (in
    [0, 1), wrapping around) moves by `±m / 2`. `factor=0` leaves images unchanged.

    Args:
        factor: A float `f` in [0, 1] (magnitudes in `[0, f]`) or a pair `(lower, upper)`.
        value_range: `(low, high)` of the input values. Defaults to `(0, 255)`.
        data_format: `"channels_last"` or `"channels_first"`. Defaults to `None`.
        seed: Optional integer seed. Defaults to `None`.

    Input shape: `(batch, H, W, 3)` or `(H, W, 3)`. Output shape: same as the input.

    Example:
    >>> import torch
    >>> x = torch.tensor([[[[200.0, 100.0, 50.0]]]])
    >>> bool(torch.allclose(RandomHue(factor=0.0)(x), x, atol=1e-3))
    True
    """

    def __init__(self, factor, value_range=(0, 255), data_format=None, seed=None, **kwargs):
        super().__init__(data_format=data_format, seed=seed, **kwargs)
        self.factor = self._hue = parse_factor(self, factor, (0, 1))
        self.value_range = check_value_range(self, value_range, sort=False)

    def _transformation(self, images, training):
        return _hue_factors(self, images.shape[0], images.device)

    def _transform(self, images, delta, training):
        if not training:
            return images
        return _shift_hue(images, delta, self.value_range, self.data_format)

    def get_config(self):
        return {**super().get_config(), "factor": self.factor, "value_range": self.value_range,
                "seed": self.seed}


class RandomSaturation(BaseImageAugmentation):
    """Scales each image's saturation by a random factor (training only).

    `f` is drawn per image in `factor`'s range and the saturation is multiplied by
    `f / (1 - f)`: `f = 0.5` keeps it, `f = 0` makes the image gray, `f -> 1` saturates fully.

    Args:
        factor: A float `f` in [-1, 1] (drawn in `[-|f|, |f|]`, clipping negative products to
            gray) or a pair `(lower, upper)`.
        value_range: `(low, high)` of the input values. Defaults to `(0, 255)`.
        data_format: `"channels_last"` or `"channels_first"`. Defaults to `None`.
        seed: Optional integer seed. Defaults to `None`.

    Input shape: `(batch, H, W, 3)` or `(H, W, 3)`. Output shape: same as the input.

    Example:
    >>> import torch
    >>> x = torch.tensor([[[[200.0, 100.0, 50.0]]]])
    >>> RandomSaturation(factor=(0.0, 0.0))(x).flatten().tolist()    # gray: every channel = max
    [200.0, 200.0, 200.0]
    """

    def __init__(self, factor, value_range=(0, 255), data_format=None, seed=None, **kwargs):
        super().__init__(data_format=data_format, seed=seed, **kwargs)
        self.factor = self._saturation = parse_factor(self, factor, (-1, 1))
        self.value_range = check_value_range(self, value_range)

    def _transformation(self, images, training):
        return _saturation_factors(self, images.shape[0], images.device)

    def _transform(self, images, factor, training):
        if not training:
            return images
        return _scale_saturation(images, factor, self.value_range, self.data_format)

    def get_config(self):
        return {**super().get_config(), "factor": self.factor, "value_range": self.value_range,
                "seed": self.seed}


class RandomColorJitter(BaseImageAugmentation):
    """Random brightness, contrast, saturation and hue, applied in that order (training only).

    Each part is Keras' layer of that name with the given factor (`None` skips it), drawing
    from this layer's seed generator: brightness adds `[lower, upper] * (high - low)`,
    contrast scales deviations from the mean by `[1 - lower, 1 + upper]`, then saturation
    and hue as in `RandomSaturation` and `RandomHue`. Results are clipped to `value_range`.

    Args:
        value_range: `(low, high)` of the input values. Defaults to `(0, 255)`.
        brightness_factor: Factor of `RandomBrightness` (in [-1, 1]). Defaults to `None`.
        contrast_factor: Factor of `RandomContrast` (in [0, 1]). Defaults to `None`.
        saturation_factor: Factor of `RandomSaturation`. Defaults to `None`.
        hue_factor: Factor of `RandomHue`. Defaults to `None`.
        seed: Optional integer seed. Defaults to `None`.
        data_format: `"channels_last"` or `"channels_first"`. Defaults to `None`.

    Input shape: `(batch, H, W, 3)` or `(H, W, 3)`. Output shape: same as the input.

    Example:
    >>> import torch
    >>> jitter = RandomColorJitter(brightness_factor=(0.1, 0.1), value_range=(0, 1))
    >>> round(jitter(torch.full((1, 1, 1, 3), 0.5))[0, 0, 0, 0].item(), 4)
    0.6
    """

    def __init__(self, value_range=(0, 255), brightness_factor=None, contrast_factor=None,
                 saturation_factor=None, hue_factor=None, seed=None, data_format=None, **kwargs):
        super().__init__(data_format=data_format, seed=seed, **kwargs)
        self.value_range = check_value_range(self, value_range, sort=False)
        self._sorted_range = sorted(value_range)
        self.brightness_factor, self.contrast_factor = brightness_factor, contrast_factor
        self.saturation_factor, self.hue_factor = saturation_factor, hue_factor
        # Each part validates its factor as Keras' layer of that name does.
        self._brightness = None if brightness_factor is None else parse_factor(self, brightness_factor, (-1, 1),
                                                                                 "brightness_factor")
        self._contrast = None if contrast_factor is None else parse_factor(self, contrast_factor, (0, 1),
                                                                           "contrast_factor")
        self._saturation = None if saturation_factor is None else parse_factor(self, saturation_factor, (-1, 1),
                                                                               "saturation_factor")
        self._hue = None if hue_factor is None else parse_factor(self, hue_factor, (0, 1), "hue_factor")

    def _transform(self, images, transformation, training):
        if not training:
            return images
        n, device = images.shape[0], images.device
        low, high = self._sorted_range
        if self._brightness is not None:
            delta = self._uniform((n, 1, 1, 1), *self._brightness, device) * (high - low)
            images = (images + delta).clamp(low, high)
        if self._contrast is not None:
            c = self._uniform((n, 1, 1, 1), 1.0 - self._contrast[0], 1.0 + self._contrast[1], device)
            h_axis, w_axis = self._spatial_axes
            mean = images.mean(dim=h_axis, keepdim=True).mean(dim=w_axis, keepdim=True)
            images = ((images - mean) * c + mean).clamp(self.value_range[0], self.value_range[1])
        if self._saturation is not None:
            images = _scale_saturation(images, _saturation_factors(self, n, device), self._sorted_range,
                                       self.data_format)
        if self._hue is not None:
            images = _shift_hue(images, _hue_factors(self, n, device), self.value_range, self.data_format)
        return images

    def get_config(self):
        return {**super().get_config(), "value_range": self.value_range,
                "brightness_factor": self.brightness_factor, "contrast_factor": self.contrast_factor,
                "saturation_factor": self.saturation_factor, "hue_factor": self.hue_factor, "seed": self.seed}


__all__ = ["AutoContrast", "RandomColorDegeneration", "RandomColorJitter", "RandomGrayscale", "RandomHue",
           "RandomInvert", "RandomPosterization", "RandomSaturation", "Solarization"]
