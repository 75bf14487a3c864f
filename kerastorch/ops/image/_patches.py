"""Patch and border image ops: `extract_patches`, `extract_patches_3d`, `pad_images`, `crop_images`.

Patches are read with `Tensor.unfold` (strided windows, exact for every dtype), laid out as Keras
lays them out: each output pixel holds its patch flattened in `(row, column, channel)` order.
"""

import math

import torch.nn.functional as F

from kerastorch.ops._utils import keras_op
from kerastorch.ops.image import _common

__all__ = ["crop_images", "extract_patches", "extract_patches_3d", "pad_images"]


def _ints(name, what, value, n):
    if isinstance(value, int) and not isinstance(value, bool):
        return (value,) * n
    if isinstance(value, (tuple, list)) and len(value) == n and all(isinstance(v, int) for v in value):
        return tuple(value)
    raise ValueError(f"ops.image.{name}: `{what}` must be an int or a tuple of {n} ints, got {value!r}.")


def _same_pads(size, kernel, stride, dilation):
    """TF's "same" padding: enough for ceil(size / stride) windows, the odd pixel at the end."""
    needed = (math.ceil(size / stride) - 1) * stride + (kernel - 1) * dilation + 1 - size
    total = max(needed, 0)
    return total // 2, total - total // 2


def _patches(name, images, size, strides, dilation_rate, padding, data_format):
    spatial = len(size)
    strides = _ints(name, "strides", strides, spatial)
    dilation = _ints(name, "dilation_rate", dilation_rate, spatial)
    if min(size) < 1 or min(strides) < 1 or min(dilation) < 1:
        raise ValueError(f"ops.image.{name}: size, strides and dilation_rate must be positive, got "
                         f"size={size}, strides={strides}, dilation_rate={dilation}.")
    padding = str(padding).lower()
    _common.choice(name, "padding", padding, ("valid", "same"))
    data_format = _common.data_format_of(name, data_format)
    images = _common.images_of(name, images, ranks=(spatial + 1, spatial + 2))
    single = images.ndim == spatial + 1
    x = images.unsqueeze(0) if single else images
    if data_format == "channels_last":
        x = x.movedim(-1, 1)                                      # (N, C, *spatial)
    if padding == "same":
        pads = []
        for d in reversed(range(spatial)):
            pads.extend(_same_pads(x.shape[2 + d], size[d], strides[d], dilation[d]))
        if any(pads):
            x = F.pad(x, pads)
    for d in range(spatial):
        span = (size[d] - 1) * dilation[d] + 1
        if x.shape[2 + d] < span:
            raise ValueError(f"ops.image.{name}: a patch spans {span} pixels on spatial axis {d} but "
                             f"the images have {x.shape[2 + d]} (images.shape="
                             f"{_common.shape_of(images)}); use padding='same' or smaller patches.")
        x = x.unfold(2 + d, span, strides[d])
        if dilation[d] > 1:
            x = x[..., ::dilation[d]]
    # x: (N, C, *out_spatial, *patch): move channels after the patch axes, then flatten them.
    n, channels = x.shape[0], x.shape[1]
    out_spatial = tuple(x.shape[2:2 + spatial])
    order = (0, *range(2, 2 + spatial), *range(2 + spatial, 2 + 2 * spatial), 1)
    x = x.permute(order).reshape((n,) + out_spatial + (math.prod(size) * channels,))
    if data_format == "channels_first":
        x = x.movedim(-1, 1)
    return x.squeeze(0) if single else x


@keras_op
def extract_patches(images, size, strides=None, dilation_rate=1, padding="valid", data_format=None):
    """Extracts patches from images (a 2-D `size`) or volumes (a 3-D `size`).

    Args:
        images: For 2-D patches, `(H, W, C)` or `(N, H, W, C)`; for 3-D patches, `(D, H, W, C)`
            or `(N, D, H, W, C)` (channels first: channels before the spatial axes).
        size: Patch size: an int or `(height, width)` for 2-D patches, `(depth, height, width)`
            for 3-D.
        strides: Step between patches, an int or one per spatial axis. Defaults to `None`
            (`size`: non-overlapping patches).
        dilation_rate: Spacing of the pixels inside a patch. Defaults to `1`.
        padding: `"valid"` (only whole patches) or `"same"` (zero padding so that there are
            `ceil(size / stride)` patches per axis). Defaults to `"valid"`.
        data_format: `"channels_last"` or `"channels_first"`. Defaults to `None`
            (`kerastorch.config.image_data_format()`).

    Returns:
        Patches `(N, out_h, out_w, ph * pw * C)` (channels first: `(N, ph * pw * C, out_h, out_w)`),
        each flattened in (row, column, channel) order; unbatched input gives unbatched output.

    Example:
    >>> import torch
    >>> extract_patches(torch.arange(16.0).reshape(4, 4, 1), 2)[0, 0]
    tensor([0., 1., 4., 5.])
    """
    if isinstance(size, int) and not isinstance(size, bool):
        size = (size, size)
    elif not isinstance(size, (tuple, list)):
        raise TypeError(f"ops.image.extract_patches: `size` must be an int or a tuple, got "
                        f"{type(size).__name__} {size!r}.")
    elif len(size) not in (2, 3):
        raise ValueError(f"ops.image.extract_patches: `size` must have 2 (images) or 3 (volumes) "
                         f"entries, got size={size!r}.")
    size = _ints("extract_patches", "size", tuple(size), len(size))
    if not strides:
        strides = size
    return _patches("extract_patches", images, size, strides, dilation_rate, padding, data_format)


@keras_op
def extract_patches_3d(volumes, size, strides=None, dilation_rate=1, padding="valid", data_format=None):
    """Extracts 3-D patches from volumes.

    Args:
        volumes: Volume `(D, H, W, C)` or batch `(N, D, H, W, C)` (channels first: `(C, D, H, W)`,
            `(N, C, D, H, W)`).
        size: Patch size: an int or `(depth, height, width)`.
        strides: Step between patches, an int or a triple. Defaults to `None` (`size`).
        dilation_rate: Spacing of the voxels inside a patch. Defaults to `1`.
        padding: `"valid"` or `"same"`. Defaults to `"valid"`.
        data_format: `"channels_last"` or `"channels_first"`. Defaults to `None`
            (`kerastorch.config.image_data_format()`).

    Returns:
        Patches `(N, out_d, out_h, out_w, pd * ph * pw * C)` (channels first: the patch axis
        second), each flattened in (depth, row, column, channel) order.

    Example:
    >>> import torch
    >>> extract_patches_3d(torch.zeros(4, 4, 4, 2), 2).shape
    torch.Size([2, 2, 2, 16])
    """
    size = _ints("extract_patches_3d", "size", size, 3)
    if strides is None:
        strides = size
    return _patches("extract_patches_3d", volumes, size, strides, dilation_rate, padding, data_format)


def _resolve_borders(name, words, before, after, target):
    """Fills in the one of (before, after, target) that is None; checks none is negative."""
    b_name, a_name, t_name = words
    given = [before, after, target]
    if given.count(None) != 1:
        raise ValueError(f"ops.image.{name}: give exactly two of {b_name}, {a_name}, {t_name}; got "
                         f"{b_name}={before!r}, {a_name}={after!r}, {t_name}={target!r}.")
    for label, value in zip(words, given):
        if value is not None and value < 0:
            raise ValueError(f"ops.image.{name}: {label} must be >= 0, got {label}={value!r}.")
    return before, after, target


def _height_width_axes(data_format):
    return (-3, -2) if data_format == "channels_last" else (-2, -1)


@keras_op
def pad_images(images, top_padding=None, left_padding=None, bottom_padding=None, right_padding=None,
               target_height=None, target_width=None, data_format=None):
    """Pads images with zeros; per axis give two of (before, after, target size).

    Args:
        images: Image `(H, W, C)` or batch `(N, H, W, C)` (channels first: `(C, H, W)`,
            `(N, C, H, W)`).
        top_padding: Rows of zeros above. Defaults to `None`.
        left_padding: Columns of zeros on the left. Defaults to `None`.
        bottom_padding: Rows of zeros below. Defaults to `None`.
        right_padding: Columns of zeros on the right. Defaults to `None`.
        target_height: Height of the output. Defaults to `None`.
        target_width: Width of the output. Defaults to `None`.
        data_format: `"channels_last"` or `"channels_first"`. Defaults to `None`
            (`kerastorch.config.image_data_format()`).

    Returns:
        The padded images.

    Example:
    >>> import torch
    >>> pad_images(torch.ones(1, 1, 1), 1, 0, target_height=3, target_width=2)[..., 0]
    tensor([[0., 0.],
            [1., 0.],
            [0., 0.]])
    """
    name = "pad_images"
    data_format = _common.data_format_of(name, data_format)
    top, bottom, target_height = _resolve_borders(
        name, ("top_padding", "bottom_padding", "target_height"), top_padding, bottom_padding,
        target_height)
    left, right, target_width = _resolve_borders(
        name, ("left_padding", "right_padding", "target_width"), left_padding, right_padding,
        target_width)
    images = _common.images_of(name, images)
    h_axis, w_axis = _height_width_axes(data_format)
    height, width = images.shape[h_axis], images.shape[w_axis]
    if top is None:
        top = target_height - bottom - height
    if bottom is None:
        bottom = target_height - top - height
    if left is None:
        left = target_width - right - width
    if right is None:
        right = target_width - left - width
    for label, value in (("top_padding", top), ("bottom_padding", bottom), ("left_padding", left),
                         ("right_padding", right)):
        if value < 0:
            raise ValueError(f"ops.image.pad_images: {label} works out to {value} for images of shape "
                             f"{_common.shape_of(images)}; the target size must be at least the "
                             "image size plus the given padding.")
    pads = (0, 0, left, right, top, bottom) if data_format == "channels_last" else (left, right, top, bottom)
    return F.pad(images, pads)


@keras_op
def crop_images(images, top_cropping=None, left_cropping=None, bottom_cropping=None,
                right_cropping=None, target_height=None, target_width=None, data_format=None):
    """Crops images; per axis give two of (cut before, cut after, target size).

    Args:
        images: Image `(H, W, C)` or batch `(N, H, W, C)` (channels first: `(C, H, W)`,
            `(N, C, H, W)`).
        top_cropping: Rows removed at the top. Defaults to `None`.
        left_cropping: Columns removed on the left. Defaults to `None`.
        bottom_cropping: Rows removed at the bottom. Defaults to `None`.
        right_cropping: Columns removed on the right. Defaults to `None`.
        target_height: Height of the output. Defaults to `None`.
        target_width: Width of the output. Defaults to `None`.
        data_format: `"channels_last"` or `"channels_first"`. Defaults to `None`
            (`kerastorch.config.image_data_format()`).

    Returns:
        The cropped images (a view of `images`).

    Example:
    >>> import torch
    >>> crop_images(torch.arange(9.0).reshape(3, 3, 1), 1, 1, target_height=2, target_width=2)[..., 0]
    tensor([[4., 5.],
            [7., 8.]])
    """
    name = "crop_images"
    data_format = _common.data_format_of(name, data_format)
    top, bottom, target_height = _resolve_borders(
        name, ("top_cropping", "bottom_cropping", "target_height"), top_cropping, bottom_cropping,
        target_height)
    left, right, target_width = _resolve_borders(
        name, ("left_cropping", "right_cropping", "target_width"), left_cropping, right_cropping,
        target_width)
    images = _common.images_of(name, images)
    h_axis, w_axis = _height_width_axes(data_format)
    height, width = images.shape[h_axis], images.shape[w_axis]
    if top is None:
        top = height - target_height - bottom
    if target_height is None:
        target_height = height - bottom - top
    if left is None:
        left = width - target_width - right
    if target_width is None:
        target_width = width - right - left
    for label, value in (("top_cropping", top), ("target_height", target_height),
                         ("left_cropping", left), ("target_width", target_width)):
        if value < 0:
            raise ValueError(f"ops.image.crop_images: {label} works out to {value} for images of shape "
                             f"{_common.shape_of(images)}; crop less than the image size.")
    if top + target_height > height or left + target_width > width:
        raise ValueError(f"ops.image.crop_images: a {target_height}x{target_width} crop at "
                         f"(top={top}, left={left}) does not fit in images of shape "
                         f"{_common.shape_of(images)}.")
    index = [slice(None)] * images.ndim
    index[h_axis] = slice(top, top + target_height)
    index[w_axis] = slice(left, left + target_width)
    return images[tuple(index)]
