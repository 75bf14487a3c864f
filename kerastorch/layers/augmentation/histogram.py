"""Histogram layers as in Keras 3: `Equalization`."""

import torch

from kerastorch.layers.augmentation._base import BaseImageAugmentation, check_value_range, layer_label


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


__all__ = ["Equalization"]
