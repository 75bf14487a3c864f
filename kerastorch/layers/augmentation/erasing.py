"""`RandomErasing` as in Keras 3: random rectangles replaced by noise or a fill value."""

import torch

from kerastorch.layers.augmentation._base import BaseImageAugmentation, check_value_range, layer_label, parse_factor


def crop_bounds(layer, batch, length, ratio, device):
    """Keras' `_compute_crop_bounds`: a window of `ratio * length` at a uniform random start."""
    crop = ratio * length
    start = layer._uniform((batch,), 0, 1, device) * (length - crop)
    return start, start + crop


def box_masks(layer, images, x0, x1, y0, y1):
    """Boolean masks (in the layer's layout) of the pixels inside each image's box, every channel."""
    h_axis, w_axis = layer._spatial_axes
    height, width = images.shape[h_axis], images.shape[w_axis]
    ys = torch.arange(height, dtype=images.dtype, device=images.device)
    xs = torch.arange(width, dtype=images.dtype, device=images.device)
    grid_y, grid_x = torch.meshgrid(ys, xs, indexing="ij")
    if layer.data_format == "channels_last":
        grid_y, grid_x = grid_y[None, :, :, None], grid_x[None, :, :, None]
    else:
        grid_y, grid_x = grid_y[None, None], grid_x[None, None]
    x0, x1, y0, y1 = (v[:, None, None, None] for v in (x0, x1, y0, y1))
    mask = (grid_x >= x0) & (grid_x < x1) & (grid_y >= y0) & (grid_y < y1)
    return mask.expand_as(images)


class RandomErasing(BaseImageAugmentation):
    """Replaces a random rectangle of each image with noise or `fill_value`, at random (training only).

    The rectangle's sides are `sqrt(s)` of the image's width and height, `s` drawn in
    `scale` for each side, at a uniform random position. Each image is erased with a
    probability drawn in `factor`'s range. With `fill_value=None` the rectangle holds
    `N(0, 1) * high` noise, clipped to `value_range`.

    Args:
        factor: A float `f` in [0, 1] (probability drawn in `[0, f]`) or a pair. Defaults to `1.0`.
        scale: A pair `(lower, upper)` in [0, 1] (or a float `s`: `(0, s)`), the area fractions
            per side before the square root. Defaults to `(0.02, 0.33)`.
        fill_value: `None` (noise), a number, or three numbers (one per channel). Defaults to `None`.
        value_range: `(low, high)` of the input values. Defaults to `(0, 255)`.
        seed: Optional integer seed. Defaults to `None`.
        data_format: `"channels_last"` or `"channels_first"`. Defaults to `None`.

    Input shape: `(batch, H, W, C)` or `(H, W, C)`. Output shape: same as the input.

    Example:
    >>> import torch
    >>> out = RandomErasing(factor=(1.0, 1.0), fill_value=0.0, scale=(0.25, 0.25), seed=0)(torch.ones(1, 4, 4, 1))
    >>> int((out == 0).sum())     # a 2x2 window
    4
    """

    def __init__(self, factor=1.0, scale=(0.02, 0.33), fill_value=None, value_range=(0, 255), seed=None,
                 data_format=None, **kwargs):
        super().__init__(data_format=data_format, seed=seed, **kwargs)
        self.factor = parse_factor(self, factor, (0, 1))
        self.scale = parse_factor(self, scale, (0, 1), "scale")
        if fill_value is not None and not (
                isinstance(fill_value, (int, float)) and not isinstance(fill_value, bool)
                or isinstance(fill_value, (tuple, list)) and len(fill_value) == 3):
            raise ValueError(f"{layer_label(self)}: `fill_value` must be None, a number or a list of three "
                             f"numbers, got fill_value={fill_value!r}.")
        self.fill_value = fill_value
        self.value_range = check_value_range(self, value_range, sort=False)

    def _transformation(self, images, training):
        if not training:
            return None
        n, device = images.shape[0], images.device
        h_axis, w_axis = self._spatial_axes
        sides = torch.sqrt(self._uniform((n, 2), self.scale[0], self.scale[1], device))
        x0, x1 = crop_bounds(self, n, images.shape[w_axis], sides[:, 0], device)
        y0, y1 = crop_bounds(self, n, images.shape[h_axis], sides[:, 1], device)
        masks = box_masks(self, images, x0, x1, y0, y1)
        probability = self._uniform((n,), self.factor[0], self.factor[1], device)
        apply = self._uniform((n,), 0.0, 1.0, device) < probability
        if self.fill_value is None:
            fill = self._normal(tuple(images.shape), device) * self.value_range[1]
        elif isinstance(self.fill_value, (tuple, list)):
            # Keras' full_like broadcasts the three values over the last axis.
            fill = torch.tensor([float(v) for v in self.fill_value], dtype=images.dtype,
                                device=device).expand_as(images)
        else:
            fill = torch.full_like(images, float(self.fill_value))
        fill = fill.clamp(self.value_range[0], self.value_range[1])
        return masks, apply, fill

    def _transform(self, images, transformation, training):
        if not training:
            return images
        masks, apply, fill = transformation
        erased = torch.where(masks, fill, images)
        return torch.where(apply[:, None, None, None], erased, images)

    def get_config(self):
        return {**super().get_config(), "factor": self.factor, "scale": self.scale, "fill_value": self.fill_value,
                "value_range": self.value_range, "seed": self.seed}


__all__ = ["RandomErasing"]
