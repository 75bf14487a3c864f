"""Image preprocessing and augmentation layers, as in Keras 3, on channels-last batches.

They run inside the model, on the model's device, batch by batch: put them first in a
`Sequential` and the same model takes raw images in training and inference.

- Always active: `Rescaling`, `Resizing`, `CenterCrop`, `Normalization`.
- Active only in training (identity in `predict`/`evaluate`/`model.eval()`): `RandomFlip`,
  `RandomRotation`, `RandomZoom`, `RandomTranslation`, `RandomContrast`, `RandomBrightness`.
- `RandomCrop` crops at random in training; in inference it returns the largest central window
  of the target aspect ratio, resized to the target size (Keras' documented behaviour), so the
  output shape is the same in both modes.

Images are `(batch, height, width, channels)` (a single `(height, width, channels)` image also
works), or `(batch, channels, height, width)` with `data_format="channels_first"`; the default
is `kerastorch.config.image_data_format()` when the layer is made, as in Keras. Integer images
are converted to float32. Geometric transforms sample with `torch.nn.functional.grid_sample`.
Random layers hold a `kerastorch.random.SeedGenerator(seed)`: two layers made with the same
seed draw the same transforms on the same input, call after call; with `seed=None` its seed
comes from Python's `random` when the layer is made (`kerastorch.utils.set_random_seed`).
"""

import math

import numpy as np
import torch
import torch.nn.functional as F
from kerastorch._lazy import LazyModule
TF = LazyModule("torchvision.transforms.v2.functional")

from kerastorch import config, random
from kerastorch.layers.base import Layer

_INTERPOLATIONS = {"bilinear": "bilinear", "nearest": "nearest-exact", "bicubic": "bicubic"}
_FILL_MODES = ("reflect", "wrap", "constant", "nearest")


# ---------------------------------------------------------------------------- helpers
def _as_images(inputs, layer):
    """float channels-last tensor of rank 4, and whether a batch axis was added."""
    if not isinstance(inputs, torch.Tensor):
        inputs = torch.as_tensor(np.asarray(inputs))
    if inputs.ndim not in (3, 4):
        raise ValueError(
            f"{type(layer).__name__} '{layer.name}' expects images of shape (batch, height, width, "
            f"channels) or (height, width, channels), got a tensor of shape {tuple(inputs.shape)}. "
            f"Add a channels axis to grayscale images (x[..., None])."
        )
    if not inputs.is_floating_point():
        inputs = inputs.to(torch.float32)
    unbatched = inputs.ndim == 3
    images = inputs[None] if unbatched else inputs
    if layer.data_format == "channels_first":    # the layers compute channels-last
        images = images.permute(0, 2, 3, 1)
    return images, unbatched


def _restore(nhwc, layer, unbatched):
    """The layer's output from a channels-last batch: its own layout, without an added batch axis."""
    out = nhwc.permute(0, 3, 1, 2) if layer.data_format == "channels_first" else nhwc
    return out[0] if unbatched else out


def _resized_shape(layer, input_shape, height, width):
    """Output shape of a layer that makes `(height, width)` images, in the layer's layout."""
    if layer.data_format == "channels_first":
        return (*input_shape[:-3], input_shape[-3], height, width)
    return (*input_shape[:-3], height, width, input_shape[-1])


def _check_interpolation(value, layer_name, allowed=tuple(_INTERPOLATIONS)):
    if value not in allowed:
        raise ValueError(f"{layer_name}: `interpolation` must be one of {', '.join(allowed)}, "
                         f"got interpolation={value!r}.")
    return value


def _check_fill_mode(value, layer_name):
    if value not in _FILL_MODES:
        raise ValueError(f"{layer_name}: `fill_mode` must be one of {', '.join(_FILL_MODES)}, "
                         f"got fill_mode={value!r}.")
    return value


def _resize(nhwc, size, interpolation="bilinear", antialias=False):
    """Resizes like Keras' torch backend: `F.interpolate`, align_corners=False, nearest-exact."""
    # torchvision's resize() maps NEAREST to "nearest", not Keras' "nearest-exact", so this
    # calls interpolate directly to keep Keras' numbers.
    x = nhwc.permute(0, 3, 1, 2)
    mode = _INTERPOLATIONS[interpolation]
    out = F.interpolate(x, size=tuple(size), mode=mode,
                        align_corners=False if mode in ("bilinear", "bicubic") else None,
                        antialias=antialias and mode in ("bilinear", "bicubic"))
    return out.permute(0, 2, 3, 1)


def _aspect_crop_box(height, width, target_height, target_width):
    """The largest central window of the target aspect ratio (Keras' smart_resize arithmetic)."""
    crop_h = max(min(height, int(float(width * target_height) / target_width)), 1)
    crop_w = max(min(width, int(float(height * target_width) / target_height)), 1)
    return int(float(height - crop_h) / 2), int(float(width - crop_w) / 2), crop_h, crop_w


def _smart_resize(nhwc, target_height, target_width, interpolation="bilinear"):
    h0, w0, ch, cw = _aspect_crop_box(nhwc.shape[1], nhwc.shape[2], target_height, target_width)
    return _resize(nhwc[:, h0:h0 + ch, w0:w0 + cw, :], (target_height, target_width), interpolation)


def _parse_factor(factor, name, layer_name, symmetric=True, bound=None):
    """`0.2` -> `(-0.2, 0.2)` (or `(0.2, 0.2)` when not symmetric); a pair is kept in order."""
    if isinstance(factor, (tuple, list)):
        if len(factor) != 2:
            raise ValueError(f"{layer_name}: `{name}` must be a number or a pair (lower, upper), "
                             f"got {name}={factor!r}.")
        lower, upper = float(factor[0]), float(factor[1])
    elif isinstance(factor, (int, float)) and not isinstance(factor, bool):
        lower, upper = (-abs(float(factor)) if symmetric else float(factor)), abs(float(factor))
    else:
        raise ValueError(f"{layer_name}: `{name}` must be a number or a pair (lower, upper), got {factor!r}.")
    if lower > upper:
        raise ValueError(f"{layer_name}: `{name}` lower bound {lower} is above the upper bound {upper}; "
                         f"pass (lower, upper).")
    if bound is not None and (lower < bound[0] or upper > bound[1]):
        raise ValueError(f"{layer_name}: `{name}` must lie in [{bound[0]}, {bound[1]}], got {factor!r}.")
    return lower, upper


class _RandomLayer(Layer):
    """Base of the random layers: a seeded generator, and identity outside training."""

    def __init__(self, seed=None, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.seed = seed
        self.data_format = config.standardize_data_format(data_format)
        self.seed_generator = random.SeedGenerator(seed)
        self._generator = None

    def _uniform(self, shape, low, high, device):
        # Drawn on the CPU (so one generator serves every device), then moved without a sync.
        values = torch.rand(shape, generator=self._generator) * (high - low) + low
        return values.to(device, non_blocking=True)

    def _draw_generator(self):
        """A CPU generator for this call's draws; the layer's SeedGenerator advances once per call."""
        self._generator = random.torch_generator(self.seed_generator, "cpu")
        return self._generator

    def call(self, inputs, training=True):       # as Keras: augments unless told training=False
        images, unbatched = _as_images(inputs, self)
        if training:
            self._draw_generator()
            images = self._augment(images)
        return _restore(images, self, unbatched)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "seed": self.seed, "data_format": self.data_format}


def _affine(nhwc, matrix, interpolation, fill_mode, fill_value):
    """Samples `out[b, y, x] = in[b, matrix[b] @ (x, y, 1)]`, pixel centers at integer coordinates.

    `matrix` is `(batch, 2, 3)`, mapping output pixel coordinates to input ones. Fill modes
    follow Keras: reflect (d c b a | a b c d | d c b a), wrap (a b c d | a b c d), nearest
    (a a a a | a b c d), constant (k k k k | a b c d).
    """
    batch, height, width, _ = nhwc.shape
    device, dtype = nhwc.device, nhwc.dtype
    ys, xs = torch.meshgrid(torch.arange(height, device=device, dtype=dtype),
                            torch.arange(width, device=device, dtype=dtype), indexing="ij")
    coords = torch.stack([xs, ys, torch.ones_like(xs)], dim=-1).reshape(1, -1, 3)
    src = coords @ matrix.to(dtype).transpose(1, 2)          # (batch, H*W, 2) in pixels
    sx, sy = src[..., 0], src[..., 1]
    if fill_mode == "wrap":
        sx = torch.remainder(sx + 0.5, width) - 0.5
        sy = torch.remainder(sy + 0.5, height) - 0.5
    # grid_sample's normalised coordinates with align_corners=False: -1 and 1 are the outer pixel edges.
    grid = torch.stack([(sx + 0.5) / width * 2 - 1, (sy + 0.5) / height * 2 - 1], dim=-1)
    grid = grid.reshape(batch, height, width, 2)
    padding = {"reflect": "reflection", "nearest": "border", "wrap": "border", "constant": "zeros"}[fill_mode]
    mode = "nearest" if interpolation == "nearest" else "bilinear"
    x = nhwc.permute(0, 3, 1, 2)
    out = F.grid_sample(x, grid, mode=mode, padding_mode=padding, align_corners=False)
    if fill_mode == "constant" and fill_value != 0:
        coverage = F.grid_sample(torch.ones_like(x[:, :1]), grid, mode=mode, padding_mode="zeros",
                                 align_corners=False)
        out = out + fill_value * (1 - coverage)
    return out.permute(0, 2, 3, 1)


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


def _check_size(height, width, layer):
    for name, value in (("height", height), ("width", width)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"{type(layer).__name__} '{layer.name}': `{name}` must be a positive integer, "
                             f"got {name}={value!r}.")


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


class Normalization(Layer):
    """Shifts and scales inputs to zero mean and unit variance: `(x - mean) / sqrt(variance)`.

    Give `mean` and `variance`, or call `adapt(data)` before training to compute them from
    data. Adapted statistics are non-trainable weights `mean`, `variance` (and an int32
    `count` that Keras keeps at 0), saved with the model; given ones are constants of the
    config, as in Keras (no weights). Both move to the model's device.

    Args:
        axis: Integer, tuple of integers or `None`: the axes that keep separate statistics
            (the others are reduced). Defaults to `-1` (per feature or per channel).
        mean: Optional mean to use instead of `adapt`.
        variance: Optional variance to use instead of `adapt`.
        invert: If `True`, undo the normalisation: `x * sqrt(variance) + mean`. Defaults to `False`.

    Input shape: any. Output shape: same as the input.

    Example:
    >>> import numpy as np, torch
    >>> layer = Normalization()
    >>> layer.adapt(np.array([[0.0], [2.0], [4.0]]))
    >>> layer(torch.tensor([[4.0]])).item()  # (4 - 2) / sqrt(8 / 3)
    1.2247...
    """

    def __init__(self, axis=-1, mean=None, variance=None, invert=False, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True     # as Keras: a mask passes through
        if (mean is None) != (variance is None):
            raise ValueError(f"Normalization '{self.name}': give both `mean` and `variance`, or neither "
                             f"(and call adapt()); got mean={mean!r}, variance={variance!r}.")
        self.axis = (axis,) if isinstance(axis, int) else (tuple(axis) if axis is not None else ())
        self.input_mean, self.input_variance, self.invert = mean, variance, invert
        if mean is not None:
            if np.shape(mean) != np.shape(variance):
                raise ValueError(f"Normalization '{self.name}': `mean` and `variance` must have the same "
                                 f"shape, got {np.shape(mean)} and {np.shape(variance)}.")
            if len(np.shape(mean)) > len(self.axis):
                raise ValueError(f"Normalization '{self.name}': `mean` has rank {len(np.shape(mean))}, "
                                 f"more than the {len(self.axis)} kept axes (axis={self.axis}). Give one "
                                 "value per kept position, or a scalar.")

    def build(self, input_shape):
        rank = len(input_shape)
        keep = sorted(a % rank for a in self.axis)
        if 0 in keep:
            raise ValueError(f"Normalization '{self.name}': axis={self.axis!r} includes the batch axis; "
                             f"statistics are per feature, over the batch.")
        for a in keep:
            if input_shape[a] is None:
                raise ValueError(f"Normalization '{self.name}': axis {a} of input shape "
                                 f"{tuple(input_shape)} must be known to keep statistics along it.")
        self._keep = keep
        self._reduce = [a for a in range(rank) if a not in keep]
        shape = tuple(int(input_shape[a]) for a in keep)
        self._broadcast = [int(input_shape[a]) if a in keep else 1 for a in range(rank)]
        if self.input_mean is None:
            # Keras' weights, in its order and dtypes: mean, variance and an int32 `count`
            # (kept for old files; Keras leaves it at 0).
            self.add_weight(shape=shape, initializer="zeros", trainable=False, name="mean")
            self.add_weight(shape=shape, initializer="ones", trainable=False, name="variance")
            self.add_weight(shape=(), initializer="zeros", dtype="int32", trainable=False, name="count")
        else:
            # Given statistics are constants of the config, not weights (as in Keras): buffers
            # that move with the model but are neither saved nor counted.
            for name, value in (("mean", self.input_mean), ("variance", self.input_variance)):
                tensor = torch.zeros(shape) + torch.as_tensor(np.asarray(value, dtype=np.float32))
                self.register_buffer(name, tensor, persistent=False)
        self.built = True

    def adapt(self, data, batch_size=None, steps=None):
        """Computes the mean and variance of `data` along the non-kept axes, in float64.

        Args:
            data: A numpy array or tensor of samples, or an iterable of batches (a
                `torch.utils.data.DataLoader`, a generator) yielding arrays or `(x, y)` pairs.
            batch_size: Batch size for array data (statistics are exact either way).
                Defaults to the whole array in one pass.
            steps: Optional number of batches to read from an iterable.
        """
        if self.input_mean is not None:
            raise ValueError(f"Normalization '{self.name}' was given `mean` and `variance`, so it has "
                             "nothing to adapt. Make it without them (Normalization(axis=...)) to "
                             "compute them with adapt().")
        if isinstance(data, (np.ndarray, torch.Tensor, list)):
            array = data if isinstance(data, torch.Tensor) else torch.as_tensor(np.asarray(data))
            size = batch_size or max(len(array), 1)
            batches = (array[i:i + size] for i in range(0, len(array), size))
        else:
            batches = iter(data)
        count, mean, m2 = 0, None, None
        for step, batch in enumerate(batches):
            if steps is not None and step >= steps:
                break
            if isinstance(batch, (tuple, list)):
                batch = batch[0]
            x = torch.as_tensor(np.asarray(batch) if not isinstance(batch, torch.Tensor) else batch)
            x = x.detach().to("cpu", torch.float64)
            if not self.built:
                self._build_wrapper((None, *x.shape[1:]))
            if x.ndim != len(self._broadcast):
                raise ValueError(f"Normalization '{self.name}'.adapt: batches must have rank "
                                 f"{len(self._broadcast)}, got shape {tuple(x.shape)}.")
            n = int(np.prod([x.shape[a] for a in self._reduce]))
            b_mean = x.mean(dim=self._reduce)
            b_m2 = ((x - b_mean.reshape(self._broadcast)) ** 2).sum(dim=self._reduce)
            if mean is None:
                count, mean, m2 = n, b_mean, b_m2
            else:
                # Chan et al.'s pairwise update: exact for any batching.
                delta, total = b_mean - mean, count + n
                mean = mean + delta * n / total
                m2 = m2 + b_m2 + delta ** 2 * count * n / total
                count = total
        if mean is None:
            raise ValueError(f"Normalization '{self.name}'.adapt: got no data to adapt on.")
        with torch.no_grad():
            self.mean.copy_(mean.to(self.mean.dtype))
            self.variance.copy_((m2 / count).to(self.variance.dtype))

    def call(self, inputs):
        x = inputs if inputs.is_floating_point() else inputs.to(torch.float32)
        mean = self.mean.reshape(self._broadcast).to(x.dtype)
        var = self.variance.reshape(self._broadcast).to(x.dtype)
        if self.invert:
            return mean + x * torch.sqrt(var)
        # Keras' floor on the standard deviation, so constant features don't divide by zero.
        return (x - mean) / torch.clamp(torch.sqrt(var), min=1e-7)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        def plain(v):
            return np.asarray(v).tolist() if v is not None else None
        return {**super().get_config(), "axis": self.axis, "invert": self.invert,
                "mean": plain(self.input_mean), "variance": plain(self.input_variance)}


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


__all__ = ["CenterCrop", "Normalization", "RandomBrightness", "RandomContrast", "RandomCrop", "RandomFlip",
           "RandomRotation", "RandomTranslation", "RandomZoom", "Rescaling", "Resizing"]
