"""Histogram layers as in Keras 3: `Equalization`, `ContrastLimitedAdaptiveHistogramEqualization`."""

import torch

from kerastorch.layers.augmentation._base import BaseImageAugmentation, check_value_range, layer_label, to_range


def _rescale(values, source, target):
    scale = (float(target[1]) - float(target[0])) / (float(source[1]) - float(source[0]))
    return values * scale + (float(target[0]) - float(source[0]) * scale)


class Equalization(BaseImageAugmentation):
    """Histogram equalization of each channel (training only, as in Keras 3.15.1).

    As Keras computes it, one histogram of `bins` bins is taken per channel over the whole
    batch (values in [0, 255] units); its cumulative sum, rescaled to [0, 255] and rounded,
    is the lookup table each value is mapped through. A channel with a single occupied bin
    is left unchanged. Keras' docstring says the layer is also applied at inference; its
    code returns the input unchanged there, and so does this layer.

    Args:
        value_range: `(low, high)` of the input values. Defaults to `(0, 255)`.
        bins: Number of histogram bins. Defaults to `256`.
        data_format: `"channels_last"` or `"channels_first"`. Defaults to `None`
            (`kerastorch.config.image_data_format()`).

    Input shape: `(batch, H, W, C)` or `(H, W, C)`. Output shape: same as the input.

    Example:
    >>> import torch
    >>> x = torch.tensor([0.0, 0.0, 10.0, 20.0]).reshape(1, 2, 2, 1)
    >>> Equalization()(x).flatten().tolist()
    [0.0, 0.0, 128.0, 255.0]
    """

    def __init__(self, value_range=(0, 255), bins=256, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        if isinstance(bins, bool) or not isinstance(bins, int) or bins < 1:
            raise ValueError(f"{layer_label(self)}: `bins` must be a positive integer, got bins={bins!r}.")
        self.bins = bins
        self.value_range = check_value_range(self, value_range)

    def _equalize(self, channel):
        # Keras compares its sorted list with the tuple (0, 255), which is never equal, so it
        # always rescales; the rescale is exact for (0, 255).
        channel = _rescale(channel, self.value_range, (0, 255))
        bins = self.bins
        index = ((channel - 0.0) * (bins - 1) / 255.0).to(torch.int32).clamp(0, bins - 1)
        hist = torch.bincount(index.reshape(-1).long(), minlength=bins)
        cdf = torch.cumsum(hist, 0)
        cdf_min = cdf[torch.nonzero(cdf)[0, 0]]
        denominator = cdf[-1] - cdf_min
        denominator = torch.where(denominator == 0, torch.ones_like(denominator), denominator)
        table = torch.round(((cdf - cdf_min) * 255).to(torch.float32) / denominator.to(torch.float32)).clamp(0, 255)
        lookup = ((channel / 255.0) * (bins - 1)).clamp(0, bins - 1).to(torch.int32)
        equalized = table[lookup.long()]
        out = channel if int(torch.count_nonzero(hist)) <= 1 else equalized
        return _rescale(out, (0, 255), self.value_range)

    def _transform(self, images, transformation, training):
        if not training:
            return images
        axis = self._channel_axis
        return torch.stack([self._equalize(c) for c in images.unbind(axis)], dim=axis)

    def get_config(self):
        return {**super().get_config(), "bins": self.bins, "value_range": self.value_range}




def _symmetric_index(size, pad, device):
    """Indices padding an axis of `size` by `pad` at its end, mirrored with the edge repeated."""
    index = torch.arange(size + pad, device=device)
    return torch.where(index < size, index, 2 * size - 1 - index).clamp(0, size - 1)


class ContrastLimitedAdaptiveHistogramEqualization(BaseImageAugmentation):
    """Contrast-limited adaptive histogram equalization (CLAHE), active in training and inference.

    The image (in [0, 255] units) is split into a `tile_grid_size` grid of tiles (padded at
    the bottom and right by mirroring when it does not divide evenly). Each tile's 256-bin
    histogram is clipped at `int(clip_limit * tile_pixels / 256)`, the excess spread evenly over
    all bins, and its cumulative sum, rescaled to [0, 255], maps the tile's values; each pixel
    blends the maps of its four nearest tiles bilinearly.

    Args:
        value_range: `(low, high)` of the input values. Defaults to `(0, 255)`.
        clip_limit: Float, the contrast limit; `0` disables clipping. Defaults to `4.0`.
        tile_grid_size: Pair `(rows, columns)` of tiles. Defaults to `(8, 8)`.
        data_format: `"channels_last"` or `"channels_first"`. Defaults to `None`
            (`kerastorch.config.image_data_format()`).

    Input shape: `(batch, H, W, C)` or `(H, W, C)`. Output shape: same as the input.

    Example:
    >>> import torch
    >>> clahe = ContrastLimitedAdaptiveHistogramEqualization(tile_grid_size=(2, 2))
    >>> tuple(clahe(torch.rand(1, 8, 8, 3) * 255).shape)
    (1, 8, 8, 3)
    """

    def __init__(self, value_range=(0, 255), clip_limit=4.0, tile_grid_size=(8, 8), data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.value_range = check_value_range(self, value_range, sort=False)
        if isinstance(clip_limit, bool) or not isinstance(clip_limit, (int, float)) or clip_limit < 0:
            raise ValueError(f"{layer_label(self)}: `clip_limit` must be a non-negative number, "
                             f"got clip_limit={clip_limit!r}.")
        self.clip_limit = clip_limit
        if (not isinstance(tile_grid_size, (tuple, list)) or len(tile_grid_size) != 2
                or not all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in tile_grid_size)):
            raise ValueError(f"{layer_label(self)}: `tile_grid_size` must be a pair of positive integers "
                             f"(rows, columns), got tile_grid_size={tile_grid_size!r}.")
        self.tile_grid_size = list(tile_grid_size)

    def _transform(self, images, transformation, training):
        x = images.permute(0, 2, 3, 1) if self.data_format == "channels_first" else images
        x = to_range(x.to(torch.float32), self.value_range, (0, 255))
        out = to_range(self._clahe(x), (0, 255), self.value_range).to(images.dtype)
        return out.permute(0, 3, 1, 2) if self.data_format == "channels_first" else out

    def _clahe(self, images):
        batch, height, width, channels = images.shape
        device = images.device
        grid_h, grid_w = self.tile_grid_size
        tile_h, tile_w = -(-height // grid_h), -(-width // grid_w)
        padded_h, padded_w = tile_h * grid_h, tile_w * grid_w
        padded = images[:, _symmetric_index(height, padded_h - height, device)]
        padded = padded[:, :, _symmetric_index(width, padded_w - width, device)]
        tiles = padded.reshape(batch, grid_h, tile_h, grid_w, tile_w, channels).permute(0, 1, 3, 5, 2, 4)
        values = tiles.reshape(batch, grid_h, grid_w, channels, tile_h * tile_w).to(torch.int32).clamp(0, 255)
        hist = torch.zeros(batch, grid_h, grid_w, channels, 256, device=device)
        hist.scatter_add_(-1, values.long(), torch.ones_like(values, dtype=torch.float32))
        if self.clip_limit > 0:
            # Keras casts the limit to its integer histogram's dtype, truncating it (a limit
            # under 1 clips every bin to 0, which flattens the tile's histogram).
            limit = float(int(self.clip_limit * (tile_h * tile_w) / 256.0))
            clipped = hist.clamp(0, limit)
            hist = clipped + (hist - clipped).sum(-1, keepdim=True) / 256.0
        cdf = torch.cumsum(hist, -1)
        cdf_min = cdf.amin(-1, keepdim=True)
        denominator = float(tile_h * tile_w) - cdf_min
        denominator = torch.where(denominator == 0, torch.ones_like(denominator), denominator)
        table = ((cdf - cdf_min) * 255.0 / denominator).clamp(0, 255)
        # One tile of edge padding on each side of the grid, so border pixels blend with themselves.
        table = torch.cat([table[:, :1], table, table[:, -1:]], dim=1)
        table = torch.cat([table[:, :, :1], table, table[:, :, -1:]], dim=2)

        def nodes(size, tile, grid):
            pos = (torch.arange(size, dtype=torch.float32, device=device) - tile / 2.0) / tile + 1.0
            low = torch.floor(pos)
            weight = pos - low
            return low.clamp(0, grid + 1).long(), (low + 1.0).clamp(0, grid + 1).long(), weight

        y0, y1, wy = nodes(padded_h, tile_h, grid_h)
        x0, x1, wx = nodes(padded_w, tile_w, grid_w)
        pixels = padded.clamp(0, 255).to(torch.int32).long()
        b = torch.arange(batch, device=device)[:, None, None, None]
        c = torch.arange(channels, device=device)[None, None, None, :]

        def look(ys, xs):
            return table[b, ys[None, :, None, None], xs[None, None, :, None], c, pixels]

        wy, wx = wy[None, :, None, None], wx[None, None, :, None]
        top = look(y0, x0) * (1.0 - wx) + look(y0, x1) * wx
        bottom = look(y1, x0) * (1.0 - wx) + look(y1, x1) * wx
        return (top * (1.0 - wy) + bottom * wy)[:, :height, :width, :]

    def get_config(self):
        return {**super().get_config(), "value_range": self.value_range, "clip_limit": self.clip_limit,
                "tile_grid_size": self.tile_grid_size, "data_format": self.data_format}


__all__ = ["ContrastLimitedAdaptiveHistogramEqualization", "Equalization"]
