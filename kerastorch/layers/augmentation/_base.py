"""Shared machinery of the image augmentation layers (`kerastorch.layers.augmentation`).

Each layer follows Keras 3's `BaseImagePreprocessingLayer` on its torch backend: a call first
draws the batch's random transformation from the layer's `SeedGenerator` (`self.generator`),
in the order and with the shapes Keras draws it, then applies it. Because
`kerastorch.random` reproduces Keras' torch streams, a layer made with the same `seed` as its
Keras twin draws the same numbers on the CPU. Layers that Keras makes draw even outside
training (e.g. `RandomGrayscale`) draw here too, so the streams stay aligned call after call.

Images are `(batch, H, W, C)` or one `(H, W, C)` image (`(batch, C, H, W)` / `(C, H, W)` with
`data_format="channels_first"`); a single image is treated as a batch of one, as Keras does.
Integer images are computed in float32 (the layer's compute dtype).
"""

import numpy as np
import torch

from kerastorch import config, random
from kerastorch.layers.base import Layer


def layer_label(layer):
    return f"{type(layer).__name__} '{layer.name}'"


def check_value_range(layer, value_range, sort=True):
    """Keras' `_set_value_range`: a pair of numbers, sorted (some Keras layers keep the order)."""
    if not isinstance(value_range, (tuple, list)) or len(value_range) != 2:
        raise ValueError(f"{layer_label(layer)}: `value_range` must be a list or tuple of two numbers "
                         f"(low, high), e.g. (0, 255) or (0, 1); got value_range={value_range!r}.")
    for v in value_range:
        if isinstance(v, bool) or not isinstance(v, (int, float, np.number)):
            raise ValueError(f"{layer_label(layer)}: `value_range` must hold two numbers, "
                             f"got value_range={value_range!r}.")
    # A list either way, as the value reads back from a saved config (JSON has no tuples).
    return sorted(value_range) if sort else list(value_range)


def parse_factor(layer, factor, bounds, name="factor"):
    """Keras' `_set_factor`: a number `f` gives `(max(-|f|, low), |f|)`, a pair is sorted.

    The number, or the pair's first entry, must not exceed `bounds[1]`, and the pair's
    second entry must not lie below `bounds[0]` (Keras checks exactly these).
    """
    lo, hi = bounds
    problem = (f"{layer_label(layer)}: `{name}` must be a number or a list of two numbers in the range "
               f"[{lo}, {hi}], got {name}={factor!r}.")
    if isinstance(factor, (tuple, list)):
        if len(factor) != 2 or not all(_is_number(v) for v in factor):
            raise ValueError(problem)
        if factor[0] > hi or factor[1] < lo:
            raise ValueError(problem)
        lower, upper = sorted(factor)
    elif _is_number(factor):
        if factor < lo or factor > hi:
            raise ValueError(problem)
        factor = abs(factor)
        lower, upper = max(-factor, lo), factor
    else:
        raise ValueError(problem)
    return lower, upper


def _is_number(v):
    return not isinstance(v, bool) and isinstance(v, (int, float, np.number))


def to_range(images, source, target):
    """Keras' `_transform_value_range`: maps `source` linearly onto `target` (no-op when equal)."""
    if source[0] == target[0] and source[1] == target[1]:
        return images
    images = (images - float(source[0])) / (float(source[1]) - float(source[0]))
    return images * (float(target[1]) - float(target[0])) + float(target[0])


class BaseImageAugmentation(Layer):
    """Base of the augmentation layers: data format, seed generator, batching and the call.

    Subclasses implement `_transformation(images, training)` (draws; `images` is a 4-D batch
    in the layer's layout) and `_transform(images, transformation, training)`.
    """

    def __init__(self, data_format=None, seed=None, bounding_box_format=None, **kwargs):
        super().__init__(**kwargs)
        if bounding_box_format is not None:
            raise NotImplementedError(
                f"{layer_label(self)}: bounding boxes are not supported by kerastorch's augmentation "
                f"layers (got bounding_box_format={bounding_box_format!r}); pass bounding_box_format=None "
                f"and transform boxes separately.")
        self.data_format = config.standardize_data_format(data_format)
        self.bounding_box_format = None
        self.seed = seed
        # Keras' attribute name; its state is Keras' `seed_generator_state`.
        self.generator = random.SeedGenerator(seed)

    # ------------------------------------------------------------------ drawing helpers
    @property
    def _channel_axis(self):
        return -1 if self.data_format == "channels_last" else -3

    @property
    def _spatial_axes(self):
        return (-3, -2) if self.data_format == "channels_last" else (-2, -1)

    def _uniform(self, shape, minval=0.0, maxval=1.0, device=None):
        out = random.uniform(tuple(shape), float(minval), float(maxval), seed=self.generator)
        return out if device is None else out.to(device)

    def _normal(self, shape, device=None):
        out = random.normal(tuple(shape), seed=self.generator)
        return out if device is None else out.to(device)

    # ------------------------------------------------------------------ the call
    def _images(self, inputs):
        if isinstance(inputs, dict):
            raise ValueError(
                f"{layer_label(self)} takes a tensor of images; got a dict with keys {sorted(inputs)}. "
                f"Pass the images tensor itself (dict inputs with labels are taken by MixUp and CutMix).")
        if not isinstance(inputs, torch.Tensor):
            inputs = torch.as_tensor(np.asarray(inputs))
        if inputs.ndim not in (3, 4):
            layout = "(batch, height, width, channels)" if self.data_format == "channels_last" else \
                "(batch, channels, height, width)"
            raise ValueError(f"{layer_label(self)} expects images of rank 4 {layout} or rank 3 (one image), "
                             f"got a tensor of shape {tuple(inputs.shape)}.")
        if not inputs.is_floating_point():
            inputs = inputs.to(torch.float32)
        return inputs

    def call(self, inputs, training=True):
        images = self._images(inputs)
        unbatched = images.ndim == 3
        batch = images[None] if unbatched else images
        transformation = self._transformation(batch, training)
        out = self._transform(batch, transformation, training)
        return out[0] if unbatched else out

    def _transformation(self, images, training):
        return None

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "data_format": self.data_format}
