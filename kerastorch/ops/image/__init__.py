"""Keras' `keras.ops.image` on torch tensors: resizing, colour spaces, geometric transforms, patches.

Reached as `kerastorch.ops.image.X` only, as in Keras. Every op that takes a `data_format`
defaults to `kerastorch.config.image_data_format()` (`"channels_last"`: images `(H, W, C)` or
`(N, H, W, C)`); pass `data_format="channels_first"` for `(C, H, W)` / `(N, C, H, W)`.

Example:
>>> import torch
>>> from kerastorch import ops
>>> ops.image.resize(torch.zeros(2, 8, 8, 3), (4, 4)).shape
torch.Size([2, 4, 4, 3])
"""

from kerastorch.ops.image._color import hsv_to_rgb, rgb_to_grayscale, rgb_to_hsv
from kerastorch.ops.image._filters import gaussian_blur, sobel_edges, ssim
from kerastorch.ops.image._geometry import (affine_transform, elastic_transform, map_coordinates,
                                            perspective_transform)
from kerastorch.ops.image._patches import crop_images, extract_patches, extract_patches_3d, pad_images
from kerastorch.ops.image._resize import resize, scale_and_translate

__all__ = ["affine_transform", "crop_images", "elastic_transform", "extract_patches",
           "extract_patches_3d", "gaussian_blur", "hsv_to_rgb", "map_coordinates", "pad_images",
           "perspective_transform", "resize", "rgb_to_grayscale", "rgb_to_hsv", "scale_and_translate",
           "sobel_edges", "ssim"]
