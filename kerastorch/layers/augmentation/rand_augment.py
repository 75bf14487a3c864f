"""Policy augmentation layers as in Keras 3: `RandAugment` and `AugMix`.

Both compose Keras' augmentation layers (shear, translation, rotation, brightness, colour
degeneration, contrast, sharpness, posterization, solarization, auto-contrast,
equalization), built with the policy's `factor`, and draw every random number from the
policy's own seed generator in Keras' order, so with the same seed the outputs equal Keras'.
As in Keras, `AugMix` picks its operations with Python's `random.choice` (Python's global
generator, seeded by `kerastorch.utils.set_random_seed`), not with its seed.
"""

import math
import random as _python_random

import torch

from kerastorch.ops import image as image_ops
from kerastorch.layers.augmentation._base import BaseImageAugmentation, check_value_range, layer_label, parse_factor
from kerastorch.layers.augmentation.color import AutoContrast, RandomColorDegeneration, RandomPosterization, Solarization
from kerastorch.layers.augmentation.filters import RandomSharpness
from kerastorch.layers.augmentation.geometric import RandomShear
from kerastorch.layers.augmentation.histogram import Equalization


class _KerasRotation(BaseImageAugmentation):
    """Keras 3's RandomRotation transformation (angle in `factor * 360` degrees, about the centre)."""

    def __init__(self, factor, interpolation, **kwargs):
        super().__init__(**kwargs)
        self.factor, self.interpolation = parse_factor(self, factor, (-1, 1)), interpolation

    def _transformation(self, images, training):
        n = images.shape[0]
        h_axis, w_axis = self._spatial_axes
        height, width = images.shape[h_axis], images.shape[w_axis]
        angle = self._uniform((n,), self.factor[0] * 360.0, self.factor[1] * 360.0, images.device)
        angle = angle * (math.pi / 180.0)
        cos, sin = torch.cos(angle), torch.sin(angle)
        cx, cy = 0.5 * (width - 1), 0.5 * (height - 1)
        zero = torch.zeros_like(angle)
        return torch.stack([cos, -sin, cx - cx * cos + cy * sin, sin, cos, cy - cx * sin - cy * cos, zero, zero],
                           dim=1)

    def _transform(self, images, matrix, training):
        return image_ops.affine_transform(images, matrix, interpolation=self.interpolation, fill_mode="reflect",
                                          fill_value=0.0, data_format=self.data_format)


class _KerasTranslation(_KerasRotation):
    """Keras 3's RandomTranslation transformation (shifts in `factor` of the height and width)."""

    def _transformation(self, images, training):
        n = images.shape[0]
        h_axis, w_axis = self._spatial_axes
        dy = self._uniform((n, 1), self.factor[0], self.factor[1], images.device) * images.shape[h_axis]
        dx = self._uniform((n, 1), self.factor[0], self.factor[1], images.device) * images.shape[w_axis]
        one, zero = torch.ones_like(dx), torch.zeros_like(dx)
        return torch.cat([one, zero, -dx, zero, one, -dy, zero, zero], dim=1)


class _KerasBrightness(BaseImageAugmentation):
    """Keras 3's RandomBrightness: adds `[lower, upper] * (high - low)` and clips."""

    def __init__(self, factor, value_range, bounds=(-1, 1), **kwargs):
        super().__init__(**kwargs)
        self.factor, self.value_range = parse_factor(self, factor, bounds), sorted(value_range)

    def _transformation(self, images, training):
        delta = self._uniform((images.shape[0], 1, 1, 1), self.factor[0], self.factor[1], images.device)
        return delta * (self.value_range[1] - self.value_range[0])

    def _transform(self, images, delta, training):
        return (images + delta).clamp(self.value_range[0], self.value_range[1])


class _KerasContrast(_KerasBrightness):
    """Keras 3's RandomContrast: scales deviations from the mean by `[1 - lower, 1 + upper]`."""

    def __init__(self, factor, value_range, **kwargs):
        super().__init__(factor, value_range, bounds=(0, 1), **kwargs)

    def _transformation(self, images, training):
        return self._uniform((images.shape[0], 1, 1, 1), 1.0 - self.factor[0], 1.0 + self.factor[1], images.device)

    def _transform(self, images, factor, training):
        h_axis, w_axis = self._spatial_axes
        mean = images.mean(dim=h_axis, keepdim=True).mean(dim=w_axis, keepdim=True)
        return ((images - mean) * factor + mean).clamp(self.value_range[0], self.value_range[1])


def _build_operations(policy, names):
    """Keras' sub-layers of a policy, named as Keras names its attributes, drawing from its generator."""
    f, value_range, common = policy.factor, policy.value_range, dict(data_format=policy.data_format)
    makers = {
        "random_shear": lambda: RandomShear(x_factor=f, y_factor=f, interpolation=policy.interpolation, **common),
        "random_translation": lambda: _KerasTranslation(f, policy.interpolation, **common),
        "random_rotation": lambda: _KerasRotation(f, policy.interpolation, **common),
        "random_brightness": lambda: _KerasBrightness(f, value_range, **common),
        "random_color_degeneration": lambda: RandomColorDegeneration(f, value_range=value_range, **common),
        "random_contrast": lambda: _KerasContrast(f, value_range, **common),
        "random_sharpness": lambda: RandomSharpness(f, value_range=value_range, **common),
        "random_posterization": lambda: RandomPosterization(max(1, int(8 * f[1])), value_range=value_range,
                                                            **common),
        "solarization": lambda: Solarization(addition_factor=f, threshold_factor=f, value_range=value_range,
                                             **common),
        "auto_contrast": lambda: AutoContrast(value_range=value_range, **common),
        "equalization": lambda: Equalization(value_range=value_range, **common),
    }
    operations = {}
    for name in names:
        layer = makers[name]()
        layer.generator = policy.generator      # every draw comes from the policy's stream
        operations[name] = layer
    return operations


def _check_interpolation(layer, interpolation):
    if interpolation not in ("nearest", "bilinear"):
        raise ValueError(f"{layer_label(layer)}: `interpolation` must be 'bilinear' or 'nearest', "
                         f"got interpolation={interpolation!r}.")
    return interpolation


class RandAugment(BaseImageAugmentation):
    """RandAugment: `num_ops` operations picked at random from a fixed list (training only).

    Per call, `num_ops` indices into Keras' list of eleven operations (shear, translation,
    rotation, brightness, colour degeneration, contrast, sharpness, posterization,
    solarization, auto-contrast, equalization) are drawn for the whole batch, and each
    operation draws its own parameters from `factor`. The picked operations are applied in
    turn (an operation picked twice is applied twice with the same parameters).

    Args:
        value_range: `(low, high)` of the input values. Defaults to `(0, 255)`.
        num_ops: Integer, operations applied per call. Defaults to `2`.
        factor: A float `f` in [0, 1] (strengths in `[0, f]`) or a pair. Defaults to `0.5`.
        interpolation: `"bilinear"` or `"nearest"`. Defaults to `"bilinear"`.
        seed: Optional integer seed. Defaults to `None`.
        data_format: `"channels_last"` or `"channels_first"`. Defaults to `None`
            (`kerastorch.config.image_data_format()`).

    Input shape: `(batch, H, W, 3)` or `(H, W, 3)`. Output shape: same as the input.

    Example:
    >>> import torch
    >>> x = torch.rand(2, 8, 8, 3) * 255
    >>> tuple(RandAugment(seed=0)(x).shape)
    (2, 8, 8, 3)
    """

    _OPERATIONS = ("random_shear", "random_translation", "random_rotation", "random_brightness",
                   "random_color_degeneration", "random_contrast", "random_sharpness", "random_posterization",
                   "solarization", "auto_contrast", "equalization")

    def __init__(self, value_range=(0, 255), num_ops=2, factor=0.5, interpolation="bilinear", seed=None,
                 data_format=None, **kwargs):
        super().__init__(data_format=data_format, seed=seed, **kwargs)
        self.value_range = check_value_range(self, value_range, sort=False)
        if isinstance(num_ops, bool) or not isinstance(num_ops, int) or num_ops < 0:
            raise ValueError(f"{layer_label(self)}: `num_ops` must be a non-negative integer, got num_ops={num_ops!r}.")
        self.num_ops = num_ops
        self.factor = parse_factor(self, factor, (0, 1))
        self.interpolation = _check_interpolation(self, interpolation)
        self._operations = _build_operations(self, self._OPERATIONS)

    def _transformation(self, images, training):
        if not training:
            return None
        from kerastorch import random

        picks = random.randint((self.num_ops,), 0, len(self._OPERATIONS), seed=self.generator).tolist()
        # Keras draws every operation's parameters, picked or not, in its list's order.
        drawn = {name: op._transformation(images, True) for name, op in self._operations.items()}
        return picks, drawn

    def _transform(self, images, transformation, training):
        if not training:
            return images
        picks, drawn = transformation
        for index in picks:
            name = self._OPERATIONS[index]
            images = self._operations[name]._transform(images, drawn[name], True)
        return images

    def get_config(self):
        return {**super().get_config(), "value_range": self.value_range, "num_ops": self.num_ops,
                "factor": self.factor, "interpolation": self.interpolation, "seed": self.seed}


class AugMix(BaseImageAugmentation):
    """AugMix: a Dirichlet-weighted mix of `num_chains` random augmentation chains, blended with the input.

    Each chain applies up to `chain_depth` operations, each picked with Python's
    `random.choice` among the operations and "none" (as Keras does), with parameters drawn
    from `factor`. The chains are mixed with weights `~ Dirichlet(alpha)`, and the mix is
    blended with the original image by `w ~ Beta(alpha, alpha)`: `w x + (1 - w) mix`,
    clipped to `value_range` (training only).

    Args:
        value_range: `(low, high)` of the input values. Defaults to `(0, 255)`.
        num_chains: Integer, number of chains. Defaults to `3`.
        chain_depth: Integer, the most operations per chain. Defaults to `3`.
        factor: A float `f` in [0, 1] (strengths in `[0, f]`) or a pair. Defaults to `0.3`.
        alpha: Float, the Dirichlet and Beta concentration. Defaults to `1.0`.
        all_ops: `True` uses all eleven operations; `False` leaves out brightness, colour
            degeneration, contrast and sharpness (the ones that overlap ImageNet-C). Defaults to `True`.
        interpolation: `"bilinear"` or `"nearest"`. Defaults to `"bilinear"`.
        seed: Optional integer seed. Defaults to `None`.
        data_format: `"channels_last"` or `"channels_first"`. Defaults to `None`.

    Input shape: `(batch, H, W, 3)` or `(H, W, 3)`. Output shape: same as the input.

    Example:
    >>> import torch
    >>> x = torch.rand(2, 8, 8, 3) * 255
    >>> out = AugMix(seed=0)(x)
    >>> tuple(out.shape), bool(out.min() >= 0 and out.max() <= 255)
    ((2, 8, 8, 3), True)
    """

    _ALL = ("random_shear", "random_translation", "random_rotation", "random_posterization", "solarization",
            "auto_contrast", "equalization", "random_brightness", "random_color_degeneration", "random_contrast",
            "random_sharpness")
    _BASIC = _ALL[:7]

    def __init__(self, value_range=(0, 255), num_chains=3, chain_depth=3, factor=0.3, alpha=1.0, all_ops=True,
                 interpolation="bilinear", seed=None, data_format=None, **kwargs):
        super().__init__(data_format=data_format, seed=seed, **kwargs)
        self.value_range = check_value_range(self, value_range, sort=False)
        for name, value in (("num_chains", num_chains), ("chain_depth", chain_depth)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{layer_label(self)}: `{name}` must be a positive integer, got {name}={value!r}.")
        self.num_chains, self.chain_depth = num_chains, chain_depth
        self.factor = parse_factor(self, factor, (0, 1))
        if isinstance(alpha, bool) or not isinstance(alpha, (int, float)) or alpha <= 0:
            raise ValueError(f"{layer_label(self)}: `alpha` must be a positive number, got alpha={alpha!r}.")
        self.alpha, self.all_ops = alpha, bool(all_ops)
        self.interpolation = _check_interpolation(self, interpolation)
        self._names = list(self._ALL if self.all_ops else self._BASIC)
        self._operations = _build_operations(self, self._names)

    def _transformation(self, images, training):
        if not training:
            return None
        from kerastorch import random

        gamma = random.gamma((self.num_chains,), self.alpha, seed=self.generator)
        chain_weights = (gamma / gamma.sum(-1, keepdim=True)).to(images.device)
        blend = random.beta((), self.alpha, self.alpha, seed=self.generator).to(images.device)
        chains = []
        for _ in range(self.num_chains):
            chain = []
            for _ in range(self.chain_depth):
                name = _python_random.choice(self._names + [None])
                if name is not None:
                    chain.append((name, self._operations[name]._transformation(images, True)))
            chains.append(chain)
        return chain_weights, blend, chains

    def _transform(self, images, transformation, training):
        if not training:
            return images
        chain_weights, blend, chains = transformation
        mixed = torch.zeros_like(images)
        for index, chain in enumerate(chains):
            x = images.clone()
            for name, drawn in chain:
                x = self._operations[name]._transform(x, drawn, True)
            mixed = mixed + x * chain_weights[index]
        out = blend * images + (1 - blend) * mixed
        return out.clamp(self.value_range[0], self.value_range[1])

    def get_config(self):
        return {**super().get_config(), "value_range": self.value_range, "num_chains": self.num_chains,
                "chain_depth": self.chain_depth, "factor": self.factor, "alpha": self.alpha,
                "all_ops": self.all_ops, "interpolation": self.interpolation, "seed": self.seed}


__all__ = ["AugMix", "RandAugment"]
