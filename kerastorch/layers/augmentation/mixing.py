"""Mixing augmentation layers as in Keras 3: `MixUp` and `CutMix`.

They take a batch of images, or a dict `{"images": ..., "labels": ...}` whose one-hot (or
soft) labels are mixed with the same weights as the images. Both draw what Keras' torch
backend draws, in Keras' order (see `_base`).
"""

import numpy as np
import torch

from kerastorch import random
from kerastorch.layers.augmentation._base import BaseImageAugmentation, layer_label, parse_factor
from kerastorch.layers.augmentation.erasing import box_masks, crop_bounds


class _MixingLayer(BaseImageAugmentation):
    def _as_float(self, x):
        if not isinstance(x, torch.Tensor):
            x = torch.as_tensor(np.asarray(x))
        return x if x.is_floating_point() else x.to(torch.float32)

    def call(self, inputs, training=True):
        if not isinstance(inputs, dict):
            return super().call(inputs, training=training)
        unknown = sorted(set(inputs) - {"images", "labels"})
        if "images" not in inputs or unknown:
            raise NotImplementedError(
                f"{layer_label(self)} takes a dict with the keys 'images' and optionally 'labels'; got keys "
                f"{sorted(inputs)}. Bounding boxes and segmentation masks are not supported: mix them "
                f"separately.")
        images = self._images(inputs["images"])
        unbatched = images.ndim == 3
        batch = images[None] if unbatched else images
        transformation = self._transformation(batch, training)
        out = dict(inputs)
        result = self._transform(batch, transformation, training)
        out["images"] = result[0] if unbatched else result
        if "labels" in inputs:
            labels = self._as_float(inputs["labels"])
            labels = labels[None] if unbatched else labels
            mixed = self._mix_labels(labels, transformation, training)
            out["labels"] = mixed[0] if unbatched else mixed
        return out

    def _mix_labels(self, labels, transformation, training):
        if not training or transformation is None:
            return labels
        order, weight = transformation[0], transformation[-1]
        weight = weight.to(labels.dtype).reshape(-1, 1)
        return weight * labels + (1.0 - weight) * labels[order]


class MixUp(_MixingLayer):
    """Blends each image (and its label) with another image of the batch (training only).

    A permutation of the batch and a weight `w ~ Beta(alpha, alpha)` per image are drawn;
    image `i` becomes `w_i x_i + (1 - w_i) x_perm(i)`, and so does its label when a dict
    `{"images": ..., "labels": ...}` is passed.

    Args:
        alpha: Float, the Beta distribution's concentration. Defaults to `0.2`.
        data_format: `"channels_last"` or `"channels_first"`. Defaults to `None`
            (`kerastorch.config.image_data_format()`).
        seed: Optional integer seed. Defaults to `None`.

    Input shape: `(batch, H, W, C)` images, or a dict of them with `(batch, classes)` labels.
    Output shape: same as the input.

    Example:
    >>> import torch
    >>> out = MixUp(seed=0)({"images": torch.rand(4, 8, 8, 3), "labels": torch.eye(4)})
    >>> bool(torch.allclose(out["labels"].sum(-1), torch.ones(4)))
    True
    """

    def __init__(self, alpha=0.2, data_format=None, seed=None, **kwargs):
        super().__init__(data_format=data_format, seed=seed, **kwargs)
        if isinstance(alpha, bool) or not isinstance(alpha, (int, float)) or alpha <= 0:
            raise ValueError(f"{layer_label(self)}: `alpha` must be a positive number, got alpha={alpha!r}.")
        self.alpha = alpha

    def _transformation(self, images, training):
        # Keras draws in inference too.
        n = images.shape[0]
        order = random.shuffle(torch.arange(n, dtype=torch.int64), seed=self.generator).to(images.device)
        weight = random.beta((n,), self.alpha, self.alpha, seed=self.generator).to(images.device)
        return order, weight

    def _transform(self, images, transformation, training):
        if not training:
            return images
        order, weight = transformation
        weight = weight.to(images.dtype).reshape(-1, 1, 1, 1)
        return weight * images + (1.0 - weight) * images[order]

    def get_config(self):
        return {**super().get_config(), "alpha": self.alpha, "seed": self.seed}


class CutMix(_MixingLayer):
    """Pastes a random rectangle of another image of the batch into each image (training only).

    Per batch a concentration `a` is drawn in `factor`'s range, then per image a weight
    `w ~ Beta(a, a)`; the rectangle's sides are `sqrt(1 - w)` of the width and height, at a
    uniform random position, filled from the image `perm(i)` of a random permutation. Labels
    (with a dict input) are mixed by the area actually kept. A single image is returned unchanged.

    Args:
        factor: A float `f` in [0, 1] (`a` drawn in `[0, f]`) or a pair. Defaults to `1.0`.
        seed: Optional integer seed. Defaults to `None`.
        data_format: `"channels_last"` or `"channels_first"`. Defaults to `None`.

    Input shape: `(batch, H, W, C)` images, or a dict of them with `(batch, classes)` labels.
    Output shape: same as the input.

    Example:
    >>> import torch
    >>> out = CutMix(seed=0)({"images": torch.rand(4, 8, 8, 3), "labels": torch.eye(4)})
    >>> bool(torch.allclose(out["labels"].sum(-1), torch.ones(4)))
    True
    """

    def __init__(self, factor=1.0, seed=None, data_format=None, **kwargs):
        super().__init__(data_format=data_format, seed=seed, **kwargs)
        self.factor = parse_factor(self, factor, (0, 1))

    def _transformation(self, images, training):
        if not training:
            return None
        n, device = images.shape[0], images.device
        if getattr(self, "_unbatched_call", False):
            return None
        h_axis, w_axis = self._spatial_axes
        height, width = images.shape[h_axis], images.shape[w_axis]
        alpha = self._uniform((), self.factor[0], self.factor[1]) + 1e-6
        weight = random.beta((n,), alpha, alpha, seed=self.generator).to(device)
        ratio = torch.sqrt(1.0 - weight)
        x0, x1 = crop_bounds(self, n, width, ratio, device)
        y0, y1 = crop_bounds(self, n, height, ratio, device)
        masks = box_masks(self, images, x0, x1, y0, y1)
        weight = 1.0 - (x1 - x0) * (y1 - y0) / (width * height)
        order = random.shuffle(torch.arange(n, dtype=torch.int32), seed=self.generator).to(device).long()
        return order, masks, weight

    def call(self, inputs, training=True):
        # Keras leaves a single image unchanged (and draws nothing for it).
        images = inputs["images"] if isinstance(inputs, dict) else inputs
        self._unbatched_call = getattr(images, "ndim", np.ndim(images)) == 3
        try:
            return super().call(inputs, training=training)
        finally:
            self._unbatched_call = False

    def _transform(self, images, transformation, training):
        if not training or transformation is None:
            return images
        order, masks, _ = transformation
        return torch.where(masks, images[order], images)

    def get_config(self):
        return {**super().get_config(), "factor": self.factor, "seed": self.seed}


__all__ = ["CutMix", "MixUp"]
