"""The shared machinery of the preprocessing layers: image layout, resizing, factor parsing, `_RandomLayer`
and the affine sampler."""

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


def _check_size(height, width, layer):
    for name, value in (("height", height), ("width", width)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"{type(layer).__name__} '{layer.name}': `{name}` must be a positive integer, "
                             f"got {name}={value!r}.")
