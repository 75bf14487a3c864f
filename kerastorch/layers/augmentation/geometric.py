"""Geometric augmentation layers as in Keras 3: `RandomShear`, `RandomPerspective`,
`RandomElasticTransform`, built on `kerastorch.ops.image` and drawing what Keras draws, in
Keras' order (see `_base`). All run only in training.
"""

import torch

from kerastorch.ops import image as image_ops
from kerastorch.layers.augmentation._base import BaseImageAugmentation, check_value_range, layer_label, parse_factor

_FILL_MODES = ("reflect", "wrap", "constant", "nearest")


def _check_choice(layer, name, value, allowed):
    if value not in allowed:
        raise ValueError(f"{layer_label(layer)}: `{name}` must be one of {', '.join(sorted(allowed))}, "
                         f"got {name}={value!r}.")
    return value


class RandomShear(BaseImageAugmentation):
    """Shears each image by random amounts along x and y (training only).

    Per image, `sx` and `sy` are drawn in the ranges of `x_factor` and `y_factor`, and one
    random sign flips both. Output pixel `(x, y)` reads the input at
    `(x + sx * y, sy * x + y)` (the origin is the top-left corner).

    Args:
        x_factor: A float `f` in [0, 1] (`sx` drawn in `[-f, f]`) or a pair `(lower, upper)`.
            Defaults to `0.0`.
        y_factor: The same for `sy`. Defaults to `0.0`.
        interpolation: `"bilinear"` or `"nearest"`. Defaults to `"bilinear"`.
        fill_mode: `"reflect"`, `"wrap"`, `"constant"` or `"nearest"`. Defaults to `"reflect"`.
        fill_value: Value outside the image with `fill_mode="constant"`. Defaults to `0.0`.
        data_format: `"channels_last"` or `"channels_first"`. Defaults to `None`
            (`kerastorch.config.image_data_format()`).
        seed: Optional integer seed. Defaults to `None`.

    Input shape: `(batch, H, W, C)` or `(H, W, C)`. Output shape: same as the input.

    Example:
    >>> import torch
    >>> x = torch.rand(2, 4, 4, 3)
    >>> bool(torch.allclose(RandomShear()(x), x))    # zero shear: unchanged
    True
    """

    def __init__(self, x_factor=0.0, y_factor=0.0, interpolation="bilinear", fill_mode="reflect", fill_value=0.0,
                 data_format=None, seed=None, **kwargs):
        super().__init__(data_format=data_format, seed=seed, **kwargs)
        self.x_factor = self._factor(x_factor, "x_factor")
        self.y_factor = self._factor(y_factor, "y_factor")
        self.fill_mode = _check_choice(self, "fill_mode", fill_mode, _FILL_MODES)
        self.interpolation = _check_choice(self, "interpolation", interpolation, ("nearest", "bilinear"))
        self.fill_value = fill_value

    def _factor(self, factor, name):
        # Keras: a float f in [0, 1] gives (-f, f); a pair is sorted. Keras refuses negative pair
        # entries, and so cannot load its own config of (-f, f); pairs in [-1, 1] are taken here.
        if isinstance(factor, (tuple, list)):
            if len(factor) == 2 and all(isinstance(v, (int, float)) and not isinstance(v, bool) and -1 <= v <= 1
                                        for v in factor):
                return tuple(sorted(factor))
        elif isinstance(factor, (int, float)) and not isinstance(factor, bool) and 0 <= factor <= 1:
            return (-abs(factor), abs(factor))
        raise ValueError(f"{layer_label(self)}: `{name}` must be a float in [0, 1] or a pair (lower, upper) "
                         f"in [-1, 1], got {name}={factor!r}.")

    def _transformation(self, images, training):
        if not training:
            return None
        n, device = images.shape[0], images.device
        sign = self._uniform((n, 1), 0, 1, device)
        sign = torch.where(sign > 0.5, -torch.ones_like(sign), torch.ones_like(sign))
        shear_y = self._uniform((n, 1), self.y_factor[0], self.y_factor[1], device)
        shear_x = self._uniform((n, 1), self.x_factor[0], self.x_factor[1], device)
        return torch.cat([shear_x, shear_y], dim=1) * sign

    def _transform(self, images, shear, training):
        if not training or shear is None:
            return images
        one, zero = torch.ones_like(shear[:, 0]), torch.zeros_like(shear[:, 0])
        matrix = torch.stack([one, shear[:, 0], zero, shear[:, 1], one, zero, zero, zero], dim=1)
        return image_ops.affine_transform(images, matrix, interpolation=self.interpolation, fill_mode=self.fill_mode,
                                          fill_value=self.fill_value, data_format=self.data_format)

    def get_config(self):
        return {**super().get_config(), "x_factor": self.x_factor, "y_factor": self.y_factor,
                "fill_mode": self.fill_mode, "interpolation": self.interpolation, "seed": self.seed,
                "fill_value": self.fill_value, "data_format": self.data_format}


class RandomPerspective(BaseImageAugmentation):
    """Applies a random perspective warp to images, at random (training only).

    Each corner `c` of an image moves to `c * (1 + d)`, with `d` drawn in
    `[-scale/2, scale/2]` per coordinate; the image is warped with
    `ops.image.perspective_transform` (outside points get `fill_value`). Each image is warped
    with a probability drawn in `factor`'s range.

    Args:
        factor: A float `f` in [0, 1] (probability drawn in `[0, f]`) or a pair. Defaults to `1.0`.
        scale: A float in [0, 1], the strength of the warp. Defaults to `1.0`.
        interpolation: `"bilinear"` or `"nearest"`. Defaults to `"bilinear"`.
        fill_value: Value for points outside the image. Defaults to `0.0`.
        seed: Optional integer seed. Defaults to `None`.
        data_format: `"channels_last"` or `"channels_first"`. Defaults to `None`.

    Input shape: `(batch, H, W, C)` or `(H, W, C)`. Output shape: same as the input.

    Example:
    >>> import torch
    >>> x = torch.rand(2, 5, 5, 3)
    >>> bool(torch.allclose(RandomPerspective(scale=0.0)(x), x, atol=1e-5))   # no warp
    True
    """

    def __init__(self, factor=1.0, scale=1.0, interpolation="bilinear", fill_value=0.0, seed=None, data_format=None,
                 **kwargs):
        super().__init__(data_format=data_format, seed=seed, **kwargs)
        self.factor = parse_factor(self, factor, (0, 1))
        if isinstance(scale, bool) or not isinstance(scale, (int, float)) or not 0.0 <= scale <= 1.0:
            raise ValueError(f"{layer_label(self)}: `scale` must be a number in [0, 1], got scale={scale!r}.")
        self.scale = scale
        self.interpolation = _check_choice(self, "interpolation", interpolation, ("nearest", "bilinear"))
        self.fill_value = fill_value

    def _transformation(self, images, training):
        if not training:
            return None
        n, device = images.shape[0], images.device
        h_axis, w_axis = self._spatial_axes
        height, width = images.shape[h_axis], images.shape[w_axis]
        probability = self._uniform((n,), self.factor[0], self.factor[1], device)
        apply = self._uniform((n,), 0.0, 1.0, device) < probability
        offsets = self._uniform((n, 4, 2), -0.5 * self.scale, 0.5 * self.scale, device)
        start = torch.tensor([[[0.0, 0.0], [width - 1, 0.0], [0.0, height - 1], [width - 1, height - 1]]],
                             dtype=images.dtype, device=device).repeat(n, 1, 1)
        return apply, start, start + start * offsets

    def _transform(self, images, transformation, training):
        if not training or transformation is None:
            return images
        apply, start, end = transformation
        warped = image_ops.perspective_transform(images, start, end, interpolation=self.interpolation,
                                                 fill_value=self.fill_value, data_format=self.data_format)
        return torch.where(apply[:, None, None, None], warped, images)

    def get_config(self):
        return {**super().get_config(), "factor": self.factor, "scale": self.scale,
                "interpolation": self.interpolation, "fill_value": self.fill_value, "seed": self.seed}


class RandomElasticTransform(BaseImageAugmentation):
    """Deforms images elastically by a random amount, at random (training only).

    A distortion `d` is drawn per batch in `scale`'s range; `ops.image.elastic_transform`
    then runs with `alpha = 0.1 d max(H, W)` and `sigma = 0.05 d min(H, W)`, drawing its
    noise from this layer's seed generator. Each image is transformed with a probability drawn
    in `factor`'s range; results are clipped to `value_range`.

    Args:
        factor: A float `f` in [0, 1] (probability drawn in `[0, f]`) or a pair. Defaults to `1.0`.
        scale: A float `s` in [0, 1] (drawn in `[0, s]`) or a pair. Defaults to `1.0`.
        interpolation: `"bilinear"` or `"nearest"`. Defaults to `"bilinear"`.
        fill_mode: `"reflect"`, `"mirror"`, `"wrap"`, `"constant"` or `"nearest"`. Defaults to `"reflect"`.
        fill_value: Value outside the image with `fill_mode="constant"`. Defaults to `0.0`.
        value_range: `(low, high)` of the input values. Defaults to `(0, 255)`.
        seed: Optional integer seed. Defaults to `None`.
        data_format: `"channels_last"` or `"channels_first"`. Defaults to `None`.

    Input shape: `(batch, H, W, C)` or `(H, W, C)`. Output shape: same as the input.

    Example:
    >>> import torch
    >>> x = torch.rand(1, 8, 8, 3) * 255
    >>> bool(torch.equal(RandomElasticTransform(scale=0.0)(x), x))   # no distortion
    True
    """

    def __init__(self, factor=1.0, scale=1.0, interpolation="bilinear", fill_mode="reflect", fill_value=0.0,
                 value_range=(0, 255), seed=None, data_format=None, **kwargs):
        super().__init__(data_format=data_format, seed=seed, **kwargs)
        self.factor = parse_factor(self, factor, (0, 1))
        self.scale = parse_factor(self, scale, (0, 1), "scale")
        self.interpolation = _check_choice(self, "interpolation", interpolation, ("nearest", "bilinear"))
        self.fill_mode = _check_choice(self, "fill_mode", fill_mode, ("constant", "nearest", "wrap", "mirror",
                                                                      "reflect"))
        self.fill_value = fill_value
        self.value_range = check_value_range(self, value_range, sort=False)

    def _transformation(self, images, training):
        if not training or self.scale[1] == 0 or self.factor[1] == 0:
            return None
        n, device = images.shape[0], images.device
        probability = self._uniform((n,), self.factor[0], self.factor[1], device)
        apply = self._uniform((n,), 0.0, 1.0, device) < probability
        distortion = self._uniform((), self.scale[0], self.scale[1], device)
        return apply, distortion

    def _transform(self, images, transformation, training):
        if not training or transformation is None:
            return images
        apply, distortion = transformation
        h_axis, w_axis = self._spatial_axes
        height, width = images.shape[h_axis], images.shape[w_axis]
        alpha = max(height, width) * (0.1 * distortion)
        sigma = min(height, width) * (0.05 * distortion)
        warped = image_ops.elastic_transform(images, alpha=alpha, sigma=sigma, interpolation=self.interpolation,
                                             fill_mode=self.fill_mode, fill_value=self.fill_value,
                                             seed=self.generator, data_format=self.data_format)
        out = torch.where(apply[:, None, None, None], warped, images)
        return out.clamp(self.value_range[0], self.value_range[1])

    def get_config(self):
        return {**super().get_config(), "factor": self.factor, "scale": self.scale,
                "interpolation": self.interpolation, "fill_mode": self.fill_mode, "fill_value": self.fill_value,
                "value_range": self.value_range, "seed": self.seed}


__all__ = ["RandomElasticTransform", "RandomPerspective", "RandomShear"]
