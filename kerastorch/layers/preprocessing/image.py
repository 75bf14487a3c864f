"""The always-active image layers: `Rescaling`, `Resizing`, `CenterCrop`."""

import torch
import torch.nn.functional as F

from kerastorch import config
from kerastorch.layers.base import Layer
from kerastorch.layers.preprocessing.base import (_as_images, _aspect_crop_box, _check_interpolation, _check_size,
                                                  _resize, _resized_shape, _restore, _smart_resize)


# ---------------------------------------------------------------------------- always-active layers
class Rescaling(Layer):
    """Multiplies inputs by `scale` and adds `offset`: `inputs * scale + offset`.

    Active in training and inference. Use `Rescaling(1/255)` for [0, 1] pixels, or
    `Rescaling(1/127.5, offset=-1)` for [-1, 1].

    Args:
        scale: Float (or a per-channel list), the multiplier.
        offset: Float (or a per-channel list) added after scaling. Defaults to `0.0`.

    Input shape: any. Output shape: same as the input.

    Example:
    >>> import torch
    >>> Rescaling(1 / 255)(torch.full((1, 2, 2, 3), 255.0)).max().item()
    1.0
    """

    def __init__(self, scale, offset=0.0, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True     # as Keras: a mask passes through
        self.scale, self.offset = scale, offset

    def call(self, inputs):
        x = inputs if inputs.is_floating_point() else inputs.to(torch.float32)
        scale = torch.as_tensor(self.scale, dtype=x.dtype, device=x.device)
        offset = torch.as_tensor(self.offset, dtype=x.dtype, device=x.device)
        return x * scale + offset

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "scale": self.scale, "offset": self.offset}


class Resizing(Layer):
    """Resizes images to `(height, width)`, as Keras' `Resizing` on its torch backend.

    Args:
        height: Integer, output height.
        width: Integer, output width.
        interpolation: `"bilinear"`, `"nearest"` or `"bicubic"`. Defaults to `"bilinear"`.
        crop_to_aspect_ratio: If `True`, first crop the largest central window of the
            target aspect ratio, so the image is not distorted. Defaults to `False`.
        pad_to_aspect_ratio: If `True`, first pad (with `fill_value`) to the target aspect
            ratio instead. Defaults to `False`.
        fill_value: Padding value for `pad_to_aspect_ratio`. Defaults to `0.0`.
        antialias: Whether to antialias when downsampling (bilinear/bicubic). Defaults to `False`.
        data_format: `"channels_last"` or `"channels_first"`. Defaults to `None`
            (`kerastorch.config.image_data_format()`).

    Input shape: `(batch, H, W, C)` or `(H, W, C)`. Output shape: `(batch, height, width, C)`.

    Example:
    >>> import torch
    >>> tuple(Resizing(4, 6)(torch.rand(2, 8, 8, 3)).shape)
    (2, 4, 6, 3)
    """

    def __init__(self, height, width, interpolation="bilinear", crop_to_aspect_ratio=False,
                 pad_to_aspect_ratio=False, fill_mode="constant", fill_value=0.0, antialias=False,
                 data_format=None, **kwargs):
        super().__init__(**kwargs)
        _check_size(height, width, self)
        self.data_format = config.standardize_data_format(data_format)
        if crop_to_aspect_ratio and pad_to_aspect_ratio:
            raise ValueError(f"Resizing '{self.name}': choose crop_to_aspect_ratio or pad_to_aspect_ratio, not both.")
        self.height, self.width = int(height), int(width)
        self.interpolation = _check_interpolation(interpolation, f"Resizing '{self.name}'")
        self.crop_to_aspect_ratio, self.pad_to_aspect_ratio = crop_to_aspect_ratio, pad_to_aspect_ratio
        self.fill_mode, self.fill_value, self.antialias = fill_mode, fill_value, antialias

    def call(self, inputs):
        images, unbatched = _as_images(inputs, self)
        h, w = images.shape[1], images.shape[2]
        if self.crop_to_aspect_ratio:
            h0, w0, ch, cw = _aspect_crop_box(h, w, self.height, self.width)
            images = images[:, h0:h0 + ch, w0:w0 + cw, :]
        elif self.pad_to_aspect_ratio:
            ph = max(h, int(float(w * self.height) / self.width))
            pw = max(w, int(float(h * self.width) / self.height))
            top, left = int(float(ph - h) / 2), int(float(pw - w) / 2)
            # Keras pads the same amount on both sides (F.pad's order: C, then W, then H from the end).
            images = F.pad(images, (0, 0, left, left, top, top), value=float(self.fill_value))
        out = _resize(images, (self.height, self.width), self.interpolation, self.antialias)
        return _restore(out, self, unbatched)

    def compute_output_shape(self, input_shape):
        return _resized_shape(self, input_shape, self.height, self.width)

    def get_config(self):
        return {**super().get_config(), "height": self.height, "width": self.width,
                "interpolation": self.interpolation, "crop_to_aspect_ratio": self.crop_to_aspect_ratio,
                "pad_to_aspect_ratio": self.pad_to_aspect_ratio, "fill_mode": self.fill_mode,
                "fill_value": self.fill_value, "antialias": self.antialias, "data_format": self.data_format}


class CenterCrop(Layer):
    """Crops the central `(height, width)` window of each image (active in training and inference).

    An image smaller than the target on either side is instead cropped to the target aspect
    ratio and resized (bilinear), as Keras does.

    Args:
        height: Integer, output height.
        width: Integer, output width.
        data_format: `"channels_last"` or `"channels_first"`. Defaults to `None`
            (`kerastorch.config.image_data_format()`).

    Input shape: `(batch, H, W, C)` or `(H, W, C)`. Output shape: `(batch, height, width, C)`.

    Example:
    >>> import torch
    >>> x = torch.arange(16.0).reshape(1, 4, 4, 1)
    >>> CenterCrop(2, 2)(x)[0, :, :, 0].tolist()
    [[5.0, 6.0], [9.0, 10.0]]
    """

    def __init__(self, height, width, data_format=None, **kwargs):
        super().__init__(**kwargs)
        _check_size(height, width, self)
        self.height, self.width = int(height), int(width)
        self.data_format = config.standardize_data_format(data_format)

    def call(self, inputs):
        images, unbatched = _as_images(inputs, self)
        h, w = images.shape[1], images.shape[2]
        if h >= self.height and w >= self.width:
            h0, w0 = (h - self.height) // 2, (w - self.width) // 2
            out = images[:, h0:h0 + self.height, w0:w0 + self.width, :]
        else:
            out = _smart_resize(images, self.height, self.width)
        return _restore(out, self, unbatched)

    def compute_output_shape(self, input_shape):
        return _resized_shape(self, input_shape, self.height, self.width)

    def get_config(self):
        return {**super().get_config(), "height": self.height, "width": self.width,
                "data_format": self.data_format}
