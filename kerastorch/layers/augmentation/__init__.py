"""Keras 3's image augmentation layers (colour, histogram, geometric, mixing, RandAugment).

Exported from `kerastorch.layers`; see `_base` for how they draw their randomness as Keras does.
"""

from kerastorch.layers.augmentation.color import (AutoContrast, RandomColorDegeneration, RandomColorJitter,
                                                  RandomGrayscale, RandomHue, RandomInvert, RandomPosterization,
                                                  RandomSaturation, Solarization)
from kerastorch.layers.augmentation.histogram import ContrastLimitedAdaptiveHistogramEqualization, Equalization
from kerastorch.layers.augmentation.erasing import RandomErasing
from kerastorch.layers.augmentation.filters import RandomGaussianBlur, RandomSharpness
from kerastorch.layers.augmentation.geometric import RandomElasticTransform, RandomPerspective, RandomShear
from kerastorch.layers.augmentation.mixing import CutMix, MixUp
from kerastorch.layers.augmentation.rand_augment import AugMix, RandAugment
