"""Filtering augmentation layers as in Keras 3: `RandomSharpness`, `RandomGaussianBlur`.

Both draw what Keras' torch backend draws, in Keras' order (see `_base`), and run only in
training.
"""

import torch
import torch.nn.functional as F

from kerastorch.ops import image as image_ops
from kerastorch.layers.augmentation._base import (BaseImageAugmentation, check_value_range, layer_label,
                                                  parse_factor)


class RandomSharpness(BaseImageAugmentation):
    """Sharpens or blurs each image by a random amount (training only).

    A factor `f` is drawn per image in `factor`'s range; the image is blended with a 3x3
    smoothed copy (kernel `1/13` around `5/13`, zero-padded): `x + (1 - 2f) (smooth - x)`.
    `f = 0.5` leaves the image unchanged, smaller values blur, larger ones sharpen. The result
    is clipped to `value_range`.

    Args:
        factor: A float `f` in [0, 1] (drawn in `[0, f]`) or a pair `(lower, upper)`.
        value_range: `(low, high)` of the input values. Defaults to `(0, 255)`.
        data_format: `"channels_last"` or `"channels_first"`. Defaults to `None`
            (`kerastorch.config.image_data_format()`).
        seed: Optional integer seed. Defaults to `None`.

    Input shape: `(batch, H, W, C)` or `(H, W, C)`. Output shape: same as the input.

    Example:
    >>> import torch
    >>> x = torch.rand(1, 4, 4, 3) * 255
    >>> bool(torch.allclose(RandomSharpness(factor=(0.5, 0.5))(x), x, atol=1e-4))
    True
    """

    def __init__(self, factor, value_range=(0, 255), data_format=None, seed=None, **kwargs):
        super().__init__(data_format=data_format, seed=seed, **kwargs)
        self.factor = parse_factor(self, factor, (0, 1))
        self.value_range = check_value_range(self, value_range)

    def _transformation(self, images, training):
        return self._uniform((images.shape[0],), self.factor[0], self.factor[1], images.device)

    def _transform(self, images, factor, training):
        if not training:
            return images
        x = images if self.data_format == "channels_first" else images.permute(0, 3, 1, 2)
        channels = x.shape[1]
        a, b = 1.0 / 13.0, 5.0 / 13.0
        kernel = torch.tensor([[a, a, a], [a, b, a], [a, a, a]], dtype=x.dtype, device=x.device)
        smooth = F.conv2d(x, kernel.expand(channels, 1, 3, 3), padding=1, groups=channels)
        sharp = (factor * 2).to(x.dtype).reshape(-1, 1, 1, 1)
        out = (x + (1.0 - sharp) * (smooth - x)).clamp(self.value_range[0], self.value_range[1])
        return out if self.data_format == "channels_first" else out.permute(0, 2, 3, 1)

    def get_config(self):
        return {**super().get_config(), "factor": self.factor, "value_range": self.value_range,
                "seed": self.seed}


class RandomGaussianBlur(BaseImageAugmentation):
    """Blurs images with a Gaussian kernel of random width, at random (training only).

    Per image a probability `p` is drawn in `factor`'s range and the image is blurred with
    probability `p`. One pair of standard deviations `(sigma_y, sigma_x)` is drawn per batch
    in `sigma`'s range (plus `1e-6`). The result is clipped to `value_range`.

    Args:
        factor: A float `f` in [0, 1] (`p` drawn in `[0, f]`) or a pair. Defaults to `1.0`.
        kernel_size: An odd integer or a pair of odd integers `(height, width)`. Defaults to `3`.
        sigma: A float `s` in [0, 1] (drawn in `[0, s]`) or a pair. Defaults to `1.0`.
        value_range: `(low, high)` of the input values. Defaults to `(0, 255)`.
        data_format: `"channels_last"` or `"channels_first"`. Defaults to `None`.
        seed: Optional integer seed. Defaults to `None`.

    Input shape: `(batch, H, W, C)` or `(H, W, C)`. Output shape: same as the input.

    Example:
    >>> import torch
    >>> x = torch.zeros(1, 5, 5, 1)
    >>> x[0, 2, 2, 0] = 100.0
    >>> out = RandomGaussianBlur(factor=(1.0, 1.0), sigma=(1.0, 1.0), seed=1)(x)
    >>> bool(out[0, 2, 2, 0] < 100.0 and out[0, 1, 2, 0] > 0.0)
    True
    """

    def __init__(self, factor=1.0, kernel_size=3, sigma=1.0, value_range=(0, 255), data_format=None, seed=None,
                 **kwargs):
        super().__init__(data_format=data_format, seed=seed, **kwargs)
        self.factor = parse_factor(self, factor, (0, 1))
        self.kernel_size = self._kernel_size(kernel_size)
        self.sigma = parse_factor(self, sigma, (0, 1), "sigma")
        self.value_range = check_value_range(self, value_range, sort=False)

    def _kernel_size(self, value):
        pair = tuple(value) if isinstance(value, (tuple, list)) else (value, value)
        if len(pair) != 2 or not all(isinstance(v, int) and not isinstance(v, bool) and v > 0 and v % 2 == 1
                                     for v in pair):
            raise ValueError(f"{layer_label(self)}: `kernel_size` must be an odd positive integer or a pair of "
                             f"them, got kernel_size={value!r}.")
        return pair

    def _transformation(self, images, training):
        if not training:
            return None
        n = images.shape[0]
        probability = self._uniform((n,), self.factor[0], self.factor[1], images.device)
        threshold = self._uniform((n,), 0.0, 1.0, images.device)
        sigma = self._uniform((2,), self.sigma[0], self.sigma[1], images.device) + 1e-6
        return threshold < probability, sigma

    def _transform(self, images, transformation, training):
        if not training or transformation is None:
            return images
        apply, sigma = transformation
        blurred = image_ops.gaussian_blur(images, kernel_size=self.kernel_size, sigma=sigma,
                                          data_format=self.data_format)
        out = torch.where(apply[:, None, None, None], blurred, images)
        return out.clamp(self.value_range[0], self.value_range[1])

    def get_config(self):
        return {**super().get_config(), "factor": self.factor, "kernel_size": self.kernel_size,
                "sigma": self.sigma, "value_range": self.value_range, "seed": self.seed}


__all__ = ["RandomGaussianBlur", "RandomSharpness"]
