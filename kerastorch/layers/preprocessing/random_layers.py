"""The random layers, active only in training: `RandomCrop`, `RandomFlip`, `RandomRotation`, `RandomZoom`,
`RandomTranslation`, `RandomContrast`, `RandomBrightness`."""

import math

import torch

from kerastorch.layers.preprocessing.base import (TF, _affine, _as_images, _check_fill_mode, _check_interpolation,
                                                  _check_size, _parse_factor, _RandomLayer, _resized_shape,
                                                  _restore, _smart_resize)


# ---------------------------------------------------------------------------- random layers
class RandomCrop(_RandomLayer):
    """Crops a random `(height, width)` window of each batch in training.

    In inference (and in training when the image is smaller than the target), it returns the
    largest central window of the target aspect ratio, resized to `(height, width)`, so the
    output shape is the same in both modes. One window position is drawn per batch, as Keras does.

    Args:
        height: Integer, output height.
        width: Integer, output width.
        seed: Optional integer seed. Defaults to `None`.
        data_format: `"channels_last"` or `"channels_first"`. Defaults to `None`
            (`kerastorch.config.image_data_format()`).

    Input shape: `(batch, H, W, C)` or `(H, W, C)`. Output shape: `(batch, height, width, C)`.

    Example:
    >>> import torch
    >>> tuple(RandomCrop(4, 4, seed=1)(torch.rand(2, 8, 8, 3), training=True).shape)
    (2, 4, 4, 3)
    """

    def __init__(self, height, width, seed=None, data_format=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        _check_size(height, width, self)
        self.height, self.width = int(height), int(width)

    def call(self, inputs, training=True):
        images, unbatched = _as_images(inputs, self)
        h, w = images.shape[1], images.shape[2]
        if training and h > self.height and w > self.width:
            self._draw_generator()
            h0 = int(torch.randint(0, h - self.height + 1, (), generator=self._generator))
            w0 = int(torch.randint(0, w - self.width + 1, (), generator=self._generator))
            out = images[:, h0:h0 + self.height, w0:w0 + self.width, :]
        elif h == self.height and w == self.width:
            out = images
        else:
            out = _smart_resize(images, self.height, self.width)
        return _restore(out, self, unbatched)

    def compute_output_shape(self, input_shape):
        return _resized_shape(self, input_shape, self.height, self.width)

    def get_config(self):
        return {**super().get_config(), "height": self.height, "width": self.width}


class RandomFlip(_RandomLayer):
    """Flips each image horizontally and/or vertically with probability 1/2, in training only.

    Args:
        mode: `"horizontal"` (left-right), `"vertical"` (up-down) or
            `"horizontal_and_vertical"` (each decided independently). Defaults to
            `"horizontal_and_vertical"`.
        seed: Optional integer seed. Defaults to `None`.
        data_format: `"channels_last"` or `"channels_first"`. Defaults to `None`
            (`kerastorch.config.image_data_format()`).

    Input shape: `(batch, H, W, C)` or `(H, W, C)`. Output shape: same as the input.

    Example:
    >>> import torch
    >>> x = torch.arange(4.0).reshape(1, 1, 4, 1)
    >>> flip = RandomFlip("horizontal", seed=0)
    >>> flip(x, training=False)[0, 0, :, 0].tolist()    # inference: unchanged
    [0.0, 1.0, 2.0, 3.0]
    """

    _MODES = ("horizontal", "vertical", "horizontal_and_vertical")

    def __init__(self, mode="horizontal_and_vertical", seed=None, data_format=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        if mode not in self._MODES:
            raise ValueError(f"RandomFlip '{self.name}': `mode` must be one of {', '.join(self._MODES)}, "
                             f"got mode={mode!r}.")
        self.mode = mode

    def _augment(self, images):
        n = images.shape[0]
        if self.mode in ("horizontal", "horizontal_and_vertical"):
            pick = (self._uniform((n, 1, 1, 1), 0, 1, images.device) < 0.5)
            # hflip on the channels-first view flips the width axis.
            flipped = TF.hflip(images.permute(0, 3, 1, 2)).permute(0, 2, 3, 1)
            images = torch.where(pick, flipped, images)
        if self.mode in ("vertical", "horizontal_and_vertical"):
            pick = (self._uniform((n, 1, 1, 1), 0, 1, images.device) < 0.5)
            flipped = TF.vflip(images.permute(0, 3, 1, 2)).permute(0, 2, 3, 1)
            images = torch.where(pick, flipped, images)
        return images

    def get_config(self):
        return {**super().get_config(), "mode": self.mode}


class _AffineLayer(_RandomLayer):
    def __init__(self, fill_mode="reflect", interpolation="bilinear", seed=None, fill_value=0.0, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.fill_mode = _check_fill_mode(fill_mode, f"{type(self).__name__} '{self.name}'")
        self.interpolation = _check_interpolation(interpolation, f"{type(self).__name__} '{self.name}'",
                                                  ("bilinear", "nearest"))
        self.fill_value = float(fill_value)

    def _augment(self, images):
        matrix = self._matrix(images.shape[0], images.shape[1], images.shape[2], images.device)
        return _affine(images, matrix, self.interpolation, self.fill_mode, self.fill_value)

    def get_config(self):
        return {**super().get_config(), "fill_mode": self.fill_mode, "interpolation": self.interpolation,
                "fill_value": self.fill_value}


class RandomRotation(_AffineLayer):
    """Rotates each image by a random angle about its centre, in training only.

    Args:
        factor: A fraction of a full turn (2π): a float `f` draws angles in `[-f·2π, f·2π]`,
            a pair `(lower, upper)` in `[lower·2π, upper·2π]`. Positive angles rotate
            counter-clockwise.
        fill_mode: How points outside the image are filled: `"reflect"`, `"wrap"`,
            `"constant"` or `"nearest"`. Defaults to `"reflect"`.
        interpolation: `"bilinear"` or `"nearest"`. Defaults to `"bilinear"`.
        seed: Optional integer seed. Defaults to `None`.
        data_format: `"channels_last"` or `"channels_first"`. Defaults to `None`
            (`kerastorch.config.image_data_format()`).
        fill_value: Value outside the image with `fill_mode="constant"`. Defaults to `0.0`.

    Input shape: `(batch, H, W, C)` or `(H, W, C)`. Output shape: same as the input.

    Example:
    >>> import torch
    >>> x = torch.tensor([[1.0, 2.0], [3.0, 4.0]]).reshape(1, 2, 2, 1)
    >>> quarter_turn = RandomRotation((0.25, 0.25))
    >>> quarter_turn(x, training=True)[0, :, :, 0].round().tolist()
    [[2.0, 4.0], [1.0, 3.0]]
    """

    def __init__(self, factor, fill_mode="reflect", interpolation="bilinear", seed=None, fill_value=0.0,
                 data_format=None, **kwargs):
        super().__init__(fill_mode=fill_mode, interpolation=interpolation, seed=seed, fill_value=fill_value,
                         data_format=data_format, **kwargs)
        self.factor = factor
        self._range = _parse_factor(factor, "factor", f"RandomRotation '{self.name}'")

    def _matrix(self, n, height, width, device):
        angle = self._uniform((n,), *self._range, device) * 2 * math.pi
        cos, sin = torch.cos(angle), torch.sin(angle)
        cx, cy = (width - 1) / 2, (height - 1) / 2
        # Output -> input: rotate the output offset from the centre clockwise (y points down).
        row_x = torch.stack([cos, -sin, cx - cos * cx + sin * cy], dim=-1)
        row_y = torch.stack([sin, cos, cy - sin * cx - cos * cy], dim=-1)
        return torch.stack([row_x, row_y], dim=1)

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}


class RandomZoom(_AffineLayer):
    """Zooms each image in or out by a random amount, in training only.

    Args:
        height_factor: A float `f` or a pair `(lower, upper)`: the vertical zoom is drawn in
            `[1 + lower, 1 + upper]` (a float gives `[1 - f, 1 + f]`). Positive values zoom
            out (the image looks smaller), negative ones zoom in.
        width_factor: The same for the horizontal zoom. Defaults to `None`: the horizontal
            zoom equals the vertical one, keeping the aspect ratio.
        fill_mode: `"reflect"`, `"wrap"`, `"constant"` or `"nearest"`. Defaults to `"reflect"`.
        interpolation: `"bilinear"` or `"nearest"`. Defaults to `"bilinear"`.
        seed: Optional integer seed. Defaults to `None`.
        data_format: `"channels_last"` or `"channels_first"`. Defaults to `None`
            (`kerastorch.config.image_data_format()`).
        fill_value: Value outside the image with `fill_mode="constant"`. Defaults to `0.0`.

    Input shape: `(batch, H, W, C)` or `(H, W, C)`. Output shape: same as the input.

    Example:
    >>> import torch
    >>> zoom = RandomZoom((-0.5, -0.5))                 # zoom in 2x
    >>> x = torch.arange(16.0).reshape(1, 4, 4, 1)
    >>> zoom(x, training=True)[0, 1:3, 1:3, 0].tolist()
    [[6.25, 6.75], [8.25, 8.75]]
    """

    def __init__(self, height_factor, width_factor=None, fill_mode="reflect", interpolation="bilinear",
                 seed=None, fill_value=0.0, data_format=None, **kwargs):
        super().__init__(fill_mode=fill_mode, interpolation=interpolation, seed=seed, fill_value=fill_value,
                         data_format=data_format, **kwargs)
        self.height_factor, self.width_factor = height_factor, width_factor
        self._h = _parse_factor(height_factor, "height_factor", f"RandomZoom '{self.name}'", bound=(-1, math.inf))
        self._w = (None if width_factor is None else
                   _parse_factor(width_factor, "width_factor", f"RandomZoom '{self.name}'", bound=(-1, math.inf)))

    def _matrix(self, n, height, width, device):
        zy = 1 + self._uniform((n,), *self._h, device)
        zx = zy if self._w is None else 1 + self._uniform((n,), *self._w, device)
        cx, cy = (width - 1) / 2, (height - 1) / 2
        zero = torch.zeros_like(zx)
        row_x = torch.stack([zx, zero, cx - zx * cx], dim=-1)
        row_y = torch.stack([zero, zy, cy - zy * cy], dim=-1)
        return torch.stack([row_x, row_y], dim=1)

    def get_config(self):
        return {**super().get_config(), "height_factor": self.height_factor, "width_factor": self.width_factor}


class RandomTranslation(_AffineLayer):
    """Shifts each image by a random fraction of its height and width, in training only.

    Args:
        height_factor: A float `f` (shift in `[-f·H, f·H]`) or a pair `(lower, upper)` of
            fractions of the height; positive values shift down.
        width_factor: The same for the width; positive values shift right.
        fill_mode: `"reflect"`, `"wrap"`, `"constant"` or `"nearest"`. Defaults to `"reflect"`.
        interpolation: `"bilinear"` or `"nearest"`. Defaults to `"bilinear"`.
        seed: Optional integer seed. Defaults to `None`.
        data_format: `"channels_last"` or `"channels_first"`. Defaults to `None`
            (`kerastorch.config.image_data_format()`).
        fill_value: Value outside the image with `fill_mode="constant"`. Defaults to `0.0`.

    Input shape: `(batch, H, W, C)` or `(H, W, C)`. Output shape: same as the input.

    Example:
    >>> import torch
    >>> shift = RandomTranslation(0.0, (0.25, 0.25), fill_mode="constant")   # one pixel right of 4
    >>> shift(torch.tensor([[1.0, 2.0, 3.0, 4.0]]).reshape(1, 1, 4, 1), training=True).flatten().tolist()
    [0.0, 1.0, 2.0, 3.0]
    """

    def __init__(self, height_factor, width_factor, fill_mode="reflect", interpolation="bilinear",
                 seed=None, fill_value=0.0, data_format=None, **kwargs):
        super().__init__(fill_mode=fill_mode, interpolation=interpolation, seed=seed, fill_value=fill_value,
                         data_format=data_format, **kwargs)
        self.height_factor, self.width_factor = height_factor, width_factor
        self._h = _parse_factor(height_factor, "height_factor", f"RandomTranslation '{self.name}'")
        self._w = _parse_factor(width_factor, "width_factor", f"RandomTranslation '{self.name}'")

    def _matrix(self, n, height, width, device):
        dy = self._uniform((n,), *self._h, device) * height
        dx = self._uniform((n,), *self._w, device) * width
        one, zero = torch.ones_like(dx), torch.zeros_like(dx)
        return torch.stack([torch.stack([one, zero, -dx], -1), torch.stack([zero, one, -dy], -1)], dim=1)

    def get_config(self):
        return {**super().get_config(), "height_factor": self.height_factor, "width_factor": self.width_factor}


class RandomContrast(_RandomLayer):
    """Scales each image's deviation from its per-channel mean by a random factor, in training only.

    `out = (x - mean) * c + mean`, with `c` drawn per image in `[1 - lower, 1 + upper]`,
    then clipped to `value_range`.

    Args:
        factor: A float `f` in [0, 1] (`c` in `[1 - f, 1 + f]`) or a pair `(lower, upper)`.
        value_range: `(min, max)` of the pixel values. Defaults to `(0, 255)`.
        seed: Optional integer seed. Defaults to `None`.
        data_format: `"channels_last"` or `"channels_first"`. Defaults to `None`
            (`kerastorch.config.image_data_format()`).

    Input shape: `(batch, H, W, C)` or `(H, W, C)`. Output shape: same as the input.

    Example:
    >>> import torch
    >>> x = torch.tensor([[0.0, 100.0]]).reshape(1, 1, 2, 1)
    >>> RandomContrast((0.5, -0.5))(x, training=True).flatten().tolist()   # c = 0.5
    [25.0, 75.0]
    """

    def __init__(self, factor, value_range=(0, 255), seed=None, data_format=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.factor, self.value_range = factor, tuple(value_range)
        if isinstance(factor, (tuple, list)) and len(factor) == 2:
            lower, upper = float(factor[0]), float(factor[1])
        elif isinstance(factor, (int, float)) and not isinstance(factor, bool) and 0 <= factor <= 1:
            lower = upper = float(factor)
        else:
            raise ValueError(f"RandomContrast '{self.name}': `factor` must be a float in [0, 1] or a pair "
                             f"(lower, upper), got factor={factor!r}.")
        if lower > 1 or 1 - lower > 1 + upper:
            raise ValueError(f"RandomContrast '{self.name}': factor={factor!r} gives the empty or negative "
                             f"range [{1 - lower}, {1 + upper}] of contrast factors; use lower <= 1 and "
                             f"1 - lower <= 1 + upper.")
        # Keras documents c in [1 - f, 1 + f]; Keras 3.15.1's code turns a float f into (-f, f) and then
        # always draws c = 1 + f. This follows the documentation.
        self._low, self._high = 1.0 - float(lower), 1.0 + float(upper)

    def _augment(self, images):
        c = self._uniform((images.shape[0], 1, 1, 1), self._low, self._high, images.device).to(images.dtype)
        mean = images.mean(dim=(1, 2), keepdim=True)
        return ((images - mean) * c + mean).clamp(*self.value_range)

    def get_config(self):
        return {**super().get_config(), "factor": self.factor, "value_range": list(self.value_range)}


class RandomBrightness(_RandomLayer):
    """Adds a random offset to each image's pixels, in training only.

    The offset is drawn per image in `[lower, upper] * (max - min)` of `value_range`, and the
    result is clipped to `value_range`.

    Args:
        factor: A float `f` in [-1, 1] (offsets in `[-f, f]` of the range) or a pair
            `(lower, upper)`.
        value_range: `(min, max)` of the pixel values. Defaults to `(0, 255)`.
        seed: Optional integer seed. Defaults to `None`.
        data_format: `"channels_last"` or `"channels_first"`. Defaults to `None`
            (`kerastorch.config.image_data_format()`).

    Input shape: `(batch, H, W, C)` or `(H, W, C)`. Output shape: same as the input.

    Example:
    >>> import torch
    >>> brighter = RandomBrightness((0.1, 0.1), value_range=(0, 1))
    >>> brighter(torch.full((1, 1, 2, 1), 0.5), training=True).flatten().tolist()
    [0.6000000238418579, 0.6000000238418579]
    """

    def __init__(self, factor, value_range=(0, 255), seed=None, data_format=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.factor, self.value_range = factor, tuple(value_range)
        self._range = _parse_factor(factor, "factor", f"RandomBrightness '{self.name}'", bound=(-1, 1))

    def _augment(self, images):
        span = self.value_range[1] - self.value_range[0]
        delta = self._uniform((images.shape[0], 1, 1, 1), *self._range, images.device).to(images.dtype) * span
        return (images + delta).clamp(*self.value_range)

    def get_config(self):
        return {**super().get_config(), "factor": self.factor, "value_range": list(self.value_range)}
