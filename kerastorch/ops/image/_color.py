"""Colour-space image ops: `rgb_to_grayscale`, `rgb_to_hsv`, `hsv_to_rgb`."""

import torch

from kerastorch.backend.dtypes import standardize_dtype
from kerastorch.ops._utils import keras_op
from kerastorch.ops.image import _common

__all__ = ["hsv_to_rgb", "rgb_to_grayscale", "rgb_to_hsv"]


def _channel_axis(data_format):
    return -1 if data_format == "channels_last" else -3


def _three_channels(name, images, axis):
    if images.shape[axis] != 3:
        raise ValueError(f"ops.image.{name}: expected 3 channels on axis {axis}, got images of shape "
                         f"{_common.shape_of(images)}. Check data_format.")


def _float_images(name, images):
    if not images.is_floating_point():
        raise ValueError(f"ops.image.{name}: expected float images (values in [0, 1]), got dtype "
                         f"{standardize_dtype(images.dtype)}. Convert first, e.g. "
                         "ops.cast(images, 'float32') / 255.")


@keras_op
def rgb_to_grayscale(images, data_format=None):
    """Converts RGB images to grayscale: `0.2989 R + 0.587 G + 0.114 B` (one channel).

    Args:
        images: Image `(H, W, 3)` or batch `(N, H, W, 3)` (channels first: `(3, H, W)`,
            `(N, 3, H, W)`); one-channel images are returned as a copy.
        data_format: `"channels_last"` or `"channels_first"`. Defaults to `None`
            (`kerastorch.config.image_data_format()`).

    Returns:
        Images with one channel, in the input's dtype (integer results are truncated, as in Keras).

    Example:
    >>> rgb_to_grayscale([[[1.0, 1.0, 1.0]]])
    tensor([[[0.9999]]])
    """
    name = "rgb_to_grayscale"
    data_format = _common.data_format_of(name, data_format)
    images = _common.images_of(name, images)
    axis = _channel_axis(data_format)
    if images.shape[axis] not in (1, 3):
        raise ValueError(f"ops.image.rgb_to_grayscale: expected 3 (RGB) or 1 (grayscale) channels on "
                         f"axis {axis}, got images of shape {_common.shape_of(images)}.")
    if images.shape[axis] == 1:
        return images.clone()
    red, green, blue = images.unbind(dim=axis)
    gray = (0.2989 * red + 0.587 * green + 0.114 * blue).to(images.dtype)
    return gray.unsqueeze(axis)


@keras_op
def rgb_to_hsv(images, data_format=None):
    """Converts RGB images (floats in `[0, 1]`) to HSV, each channel in `[0, 1]`.

    Args:
        images: Float image `(H, W, 3)` or batch `(N, H, W, 3)` (channels first: `(3, H, W)`,
            `(N, 3, H, W)`).
        data_format: `"channels_last"` or `"channels_first"`. Defaults to `None`
            (`kerastorch.config.image_data_format()`).

    Returns:
        HSV images of the input's shape and dtype.

    Example:
    >>> rgb_to_hsv([[[1.0, 0.0, 0.0]]])
    tensor([[[0., 1., 1.]]])
    """
    name = "rgb_to_hsv"
    data_format = _common.data_format_of(name, data_format)
    images = _common.images_of(name, images)
    _float_images(name, images)
    axis = _channel_axis(data_format)
    _three_channels(name, images, axis)
    eps = torch.finfo(images.dtype).eps
    images = torch.where(torch.abs(images) < eps, 0.0, images)
    red, green, blue = images.unbind(dim=axis)
    value = torch.maximum(torch.maximum(red, green), blue)
    spread = value - torch.minimum(torch.minimum(red, green), blue)
    saturation = torch.where(value > 0, spread / torch.where(value > 0, value, 1.0), 0.0)
    norm = 1.0 / (6.0 * torch.where(spread > 0, spread, 1.0))
    hue = torch.where(value == green, norm * (blue - red) + 2.0 / 6.0, norm * (red - green) + 4.0 / 6.0)
    hue = torch.where(value == red, norm * (green - blue), hue)
    hue = torch.where(spread > 0, hue, 0.0) + (hue < 0.0).to(hue.dtype)
    return torch.stack((hue, saturation, value), dim=axis)


@keras_op
def hsv_to_rgb(images, data_format=None):
    """Converts HSV images (floats in `[0, 1]`) to RGB.

    Args:
        images: Float image `(H, W, 3)` or batch `(N, H, W, 3)` (channels first: `(3, H, W)`,
            `(N, 3, H, W)`).
        data_format: `"channels_last"` or `"channels_first"`. Defaults to `None`
            (`kerastorch.config.image_data_format()`).

    Returns:
        RGB images of the input's shape and dtype.

    Example:
    >>> hsv_to_rgb([[[0.0, 1.0, 1.0]]])
    tensor([[[1., 0., 0.]]])
    """
    name = "hsv_to_rgb"
    data_format = _common.data_format_of(name, data_format)
    images = _common.images_of(name, images)
    _float_images(name, images)
    axis = _channel_axis(data_format)
    _three_channels(name, images, axis)
    hue, saturation, value = images.unbind(dim=axis)
    sector = torch.remainder(hue, 1.0) * 6.0
    red_part = torch.clip(torch.abs(sector - 3.0) - 1.0, 0.0, 1.0)
    green_part = torch.clip(2.0 - torch.abs(sector - 2.0), 0.0, 1.0)
    blue_part = torch.clip(2.0 - torch.abs(sector - 4.0), 0.0, 1.0)
    grey = 1.0 - saturation
    planes = [value * (grey + saturation * part) for part in (red_part, green_part, blue_part)]
    return torch.stack(planes, dim=axis)
