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

One family per module: `base` (the image layout, resizing, factor parsing, `_RandomLayer` and the
affine sampler), `image` (`Rescaling`, `Resizing`, `CenterCrop`), `normalization` (`Normalization`)
and `random_layers` (the layers active only in training).
"""

# The helpers, private ones included, stay importable from here, as from the single module this package was.
from kerastorch.layers.preprocessing.base import (_FILL_MODES, _INTERPOLATIONS, TF, _affine,  # noqa: F401
                                                  _as_images, _aspect_crop_box, _check_fill_mode,
                                                  _check_interpolation, _check_size, _parse_factor,
                                                  _RandomLayer, _resize, _resized_shape, _restore,
                                                  _smart_resize)
from kerastorch.layers.preprocessing.image import CenterCrop, Rescaling, Resizing
from kerastorch.layers.preprocessing.normalization import Normalization
from kerastorch.layers.preprocessing.random_layers import (_AffineLayer, RandomBrightness,  # noqa: F401
                                                           RandomContrast, RandomCrop, RandomFlip,
                                                           RandomRotation, RandomTranslation, RandomZoom)

__all__ = ["CenterCrop", "Normalization", "RandomBrightness", "RandomContrast", "RandomCrop", "RandomFlip",
           "RandomRotation", "RandomTranslation", "RandomZoom", "Rescaling", "Resizing"]
