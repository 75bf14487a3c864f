"""Resampling image ops: `resize` (torch's interpolation, and Lanczos through the kernels below)
and `scale_and_translate` (separable kernel resampling, as `jax.image.scale_and_translate`)."""

import math

import numpy as np
import torch
import torch.nn.functional as F

from kerastorch.backend.dtypes import result_type, to_torch_dtype
from kerastorch.ops._utils import keras_op, tensor
from kerastorch.ops.image import _common

__all__ = ["resize", "scale_and_translate"]

_TORCH_MODES = {"bilinear": "bilinear", "nearest": "nearest-exact", "bicubic": "bicubic"}
_KERNEL_MODES = ("lanczos3", "lanczos5")
RESIZE_INTERPOLATIONS = (*_TORCH_MODES, *_KERNEL_MODES)


# ---------------------------------------------------------------------------- resampling kernels
def _triangle(x):
    return torch.clamp(1 - torch.abs(x), min=0)


def _keys_cubic(x):
    near = ((1.5 * x - 2.5) * x) * x + 1.0
    far = ((-0.5 * x + 2.5) * x - 4.0) * x + 2.0
    return torch.where(x >= 2.0, 0.0, torch.where(x >= 1.0, far, near))


def _lanczos(radius):
    def kernel(x):
        y = radius * torch.sin(math.pi * x) * torch.sin(math.pi * x / radius)
        out = torch.where(x > 1e-3, y / torch.where(x != 0, math.pi ** 2 * x ** 2, 1), 1)
        return torch.where(x > radius, 0.0, out)
    return kernel


_KERNELS = {"linear": _triangle, "cubic": _keys_cubic, "lanczos3": _lanczos(3.0),
            "lanczos5": _lanczos(5.0)}
_METHODS = {"linear": "linear", "bilinear": "linear", "trilinear": "linear", "triangle": "linear",
            "cubic": "cubic", "bicubic": "cubic", "tricubic": "cubic", "lanczos3": "lanczos3",
            "lanczos5": "lanczos5"}
_TINY = 1000.0 * float(np.finfo(np.float32).eps)


def _weight_matrix(input_size, output_size, scale, translation, kernel, antialias):
    """`(input_size, output_size)`: how much each input sample contributes to each output one."""
    dtype, device = scale.dtype, scale.device
    inv_scale = 1.0 / scale
    kernel_scale = torch.clamp(inv_scale, min=1.0) if antialias else 1.0
    # Output pixel centres (half-integer) mapped back into input coordinates.
    sample = (torch.arange(output_size, dtype=dtype, device=device) + 0.5) * inv_scale - (
        translation * inv_scale) - 0.5
    distance = torch.abs(sample[None, :] - torch.arange(input_size, dtype=dtype, device=device)[:, None])
    weights = kernel(distance / kernel_scale)
    total = weights.sum(dim=0, keepdim=True)
    weights = torch.where(torch.abs(total) > _TINY, weights / torch.where(total != 0, total, 1), 0)
    inside = (sample >= -0.5) & (sample <= input_size - 0.5)
    return torch.where(inside[None, :], weights, 0)


def _resample(x, output_shape, spatial_dims, scale, translation, kernel, antialias):
    integer = not (x.is_floating_point() or x.is_complex())
    out = x.float() if integer else x
    for i, d in enumerate(spatial_dims):
        d = d % x.ndim
        weights = _weight_matrix(x.shape[d], int(output_shape[d]), scale[i], translation[i], kernel,
                                 antialias).to(out.dtype)
        out = torch.tensordot(out, weights, dims=([d], [0])).movedim(-1, d)
    if integer:
        out = torch.clamp(torch.round(out), x.min(), x.max()).to(x.dtype)
    return out


@keras_op
def scale_and_translate(images, output_shape, scale, translation, spatial_dims, method, antialias=True):
    """Resamples `images` to `output_shape` under a scale and a translation of its spatial axes.

    An input location `x` along spatial axis `spatial_dims[i]` lands at
    `x * scale[i] + translation[i]` in the output (pixel centres at half-integers); each output
    sample is read back with the chosen kernel, and output points that map outside the input are
    zero.

    Args:
        images: The input array.
        output_shape: The output's shape, one entry per axis of `images`.
        scale: `K` scales, one per spatial axis.
        translation: `K` translations, one per spatial axis.
        spatial_dims: `K` axes of `images` to resample.
        method: `"linear"` (also `"bilinear"`, `"trilinear"`, `"triangle"`), `"cubic"` (also
            `"bicubic"`, `"tricubic"`; Keys' kernel), `"lanczos3"` or `"lanczos5"`.
        antialias: Whether to widen the kernel when downsampling. Defaults to `True`.

    Returns:
        The resampled array of shape `output_shape` and the input's dtype (integer inputs are
        rounded and clipped to the input's range).

    Example:
    >>> import torch
    >>> scale_and_translate(torch.tensor([1.0, 2.0]), (4,), [2.0], [0.0], (0,), "linear")
    tensor([1.0000, 1.2500, 1.7500, 2.0000])
    """
    name = "scale_and_translate"
    if method not in _METHODS:
        raise ValueError(f"ops.image.scale_and_translate: invalid method={method!r}. Expected one of "
                         f"{', '.join(repr(m) for m in _METHODS)}.")
    images = tensor(images)
    scale, translation = tensor(scale).to(images.device), tensor(translation).to(images.device)
    dtype = to_torch_dtype(result_type(scale.dtype, translation.dtype))
    if not dtype.is_floating_point:
        dtype = torch.float32
    scale, translation = scale.to(dtype).reshape(-1), translation.to(dtype).reshape(-1)
    spatial_dims = tuple(int(d) for d in spatial_dims)
    output_shape = tuple(int(s) for s in output_shape)
    if len(output_shape) != images.ndim:
        raise ValueError(f"ops.image.{name}: output_shape={output_shape} needs one entry per axis of "
                         f"images (shape {_common.shape_of(images)}).")
    if not len(scale) == len(translation) == len(spatial_dims):
        raise ValueError(f"ops.image.{name}: scale ({len(scale)} values), translation "
                         f"({len(translation)}) and spatial_dims ({len(spatial_dims)}) need one entry "
                         "per resampled axis.")
    for d in range(images.ndim):
        if d not in {s % images.ndim for s in spatial_dims} and output_shape[d] != images.shape[d]:
            raise ValueError(f"ops.image.{name}: axis {d} is not in spatial_dims={spatial_dims}, so "
                             f"output_shape[{d}] must stay {images.shape[d]}, got {output_shape[d]}.")
    return _resample(images, output_shape, spatial_dims, scale, translation,
                     _KERNELS[_METHODS[method]], antialias)


# ------------------------------------------------------------------------------------- resize
def _crop_to_aspect(x, target_height, target_width):
    height, width = x.shape[-2], x.shape[-1]
    crop_height = max(min(height, int(float(width * target_height) / target_width)), 1)
    crop_width = max(min(width, int(float(height * target_width) / target_height)), 1)
    top = int(float(height - crop_height) / 2)
    left = int(float(width - crop_width) / 2)
    return x[:, :, top:top + crop_height, left:left + crop_width]


def _pad_to_aspect(x, target_height, target_width, fill_value):
    height, width = x.shape[-2], x.shape[-1]
    pad_height = max(height, int(float(width * target_height) / target_width))
    pad_width = max(width, int(float(height * target_width) / target_height))
    # The same margin on both sides, as in Keras (an odd difference loses one row or column).
    top = int(float(pad_height - height) / 2)
    left = int(float(pad_width - width) / 2)
    if top > 0 or left > 0:
        x = F.pad(x, (left, left, top, top), value=float(fill_value))
    return x


@keras_op
def resize(images, size, interpolation="bilinear", antialias=False, crop_to_aspect_ratio=False,
           pad_to_aspect_ratio=False, fill_mode="constant", fill_value=0.0, data_format=None):
    """Resizes images to `size = (height, width)`.

    Args:
        images: Image `(H, W, C)` or batch `(N, H, W, C)` (channels first: `(C, H, W)`,
            `(N, C, H, W)`).
        size: `(height, width)` of the output, positive ints.
        interpolation: `"bilinear"`, `"nearest"`, `"bicubic"` (torch's kernels, as on Keras'
            torch backend), `"lanczos3"` or `"lanczos5"` (the Lanczos kernels of Keras' JAX
            backend). Defaults to `"bilinear"`.
        antialias: Whether to filter when downsampling (bilinear, bicubic, lanczos; nearest
            neighbour has no filter). Defaults to `False`.
        crop_to_aspect_ratio: Whether to first crop the largest centred window with the target
            aspect ratio, so nothing is distorted. Defaults to `False`.
        pad_to_aspect_ratio: Whether to first pad the short side evenly with `fill_value` to the
            target aspect ratio. Defaults to `False`.
        fill_mode: How padding is filled; only `"constant"` (Keras offers no other).
            Defaults to `"constant"`.
        fill_value: The padding value with `pad_to_aspect_ratio=True`. Defaults to `0.0`.
        data_format: `"channels_last"` or `"channels_first"`. Defaults to `None`
            (`kerastorch.config.image_data_format()`).

    Returns:
        The resized images in the input's dtype (integer images are rounded and clipped to the
        dtype's range).

    Example:
    >>> import torch
    >>> resize(torch.arange(4.0).reshape(2, 2, 1), (4, 4), interpolation="nearest")[..., 0]
    tensor([[0., 0., 1., 1.],
            [0., 0., 1., 1.],
            [2., 2., 3., 3.],
            [2., 2., 3., 3.]])
    """
    name = "resize"
    if not isinstance(size, (tuple, list)) or len(size) != 2:
        raise ValueError(f"ops.image.resize: `size` must be a pair (height, width), got size={size!r}.")
    target_height, target_width = (int(s) for s in size)
    if target_height <= 0 or target_width <= 0:
        raise ValueError(f"ops.image.resize: `size` must be positive, got size={tuple(size)!r}.")
    _common.choice(name, "interpolation", interpolation, RESIZE_INTERPOLATIONS)
    if fill_mode != "constant":
        raise ValueError(f"ops.image.resize: only fill_mode='constant' is supported (padding with "
                         f"fill_value), got fill_mode={fill_mode!r}.")
    if pad_to_aspect_ratio and crop_to_aspect_ratio:
        raise ValueError("ops.image.resize: pass only one of pad_to_aspect_ratio and "
                         "crop_to_aspect_ratio.")
    data_format = _common.data_format_of(name, data_format)
    images = _common.images_of(name, images)
    dtype = images.dtype
    x = images if dtype in (torch.float32, torch.float64) else images.float()
    single = x.ndim == 3
    if single:
        x = x.unsqueeze(0)
    if data_format == "channels_last":
        x = x.permute(0, 3, 1, 2)
    if crop_to_aspect_ratio:
        x = _crop_to_aspect(x, target_height, target_width)
    elif pad_to_aspect_ratio:
        x = _pad_to_aspect(x, target_height, target_width, fill_value)
    if interpolation in _KERNEL_MODES:
        shape = tuple(x.shape[:2]) + (target_height, target_width)
        scale = torch.tensor([target_height / x.shape[2], target_width / x.shape[3]],
                             dtype=torch.float32, device=x.device)
        out = _resample(x, shape, (2, 3), scale, torch.zeros_like(scale), _KERNELS[interpolation],
                        antialias)
    else:
        filtered = antialias and interpolation in ("bilinear", "bicubic")
        align = False if interpolation in ("bilinear", "bicubic") else None
        out = F.interpolate(x, size=(target_height, target_width), mode=_TORCH_MODES[interpolation],
                            align_corners=align, antialias=filtered)
    if data_format == "channels_last":
        out = out.permute(0, 2, 3, 1)
    if single:
        out = out.squeeze(0)
    if out.dtype != dtype:
        if not (dtype.is_floating_point or dtype.is_complex):
            info = torch.iinfo(dtype) if dtype != torch.bool else None
            out = torch.round(out)
            if info is not None:
                out = torch.clamp(out, info.min, info.max)
        out = out.to(dtype)
    return out
