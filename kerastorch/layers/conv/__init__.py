"""Convolution layers: `Conv1D`, `Conv2D`, `Conv3D` on channels-last data by default.

Layout: Keras images are channels-last, `(batch, H, W, C)`; torch convolutions take
`(batch, C, H, W)`. A channels-last tensor viewed with `movedim(-1, 1)` is exactly torch's
`channels_last` memory format, so no data is copied on the way in or out, and the torch
kernels run on the layout they are fastest on. Kernels are stored in torch's
`(out, in, *k)` layout; `get_weights()`/`set_weights()` speak Keras' `(*k, in, out)`.

One family per module: `base` (argument checks, output lengths, the channels-first views and
`BaseConv`), `convolution` (`Conv1D`/`Conv2D`/`Conv3D`), `transpose` (`Conv*DTranspose`),
`depthwise` (`DepthwiseConv1D`/`DepthwiseConv2D`) and `separable` (`SeparableConv1D`/`SeparableConv2D`).
"""

# The helpers, private ones included, stay importable from here: pooling.py and reshaping.py import
# them from kerastorch.layers.conv, as does code written against the single module this package was.
from kerastorch.layers.conv.base import (BaseConv, _keras_to_torch_kernel, _rank_error, _reshape_hint,  # noqa: F401
                                         _sample_layout, _ser, conv_output_length, crop_transposed,
                                         from_channels_first, normalize_padding, normalize_tuple, pad_spatial,
                                         same_padding, to_channels_first, transpose_output_length)
from kerastorch.layers.conv.convolution import Conv1D, Conv2D, Conv3D, Convolution1D, Convolution2D, Convolution3D
from kerastorch.layers.conv.transpose import (_TRANSPOSE_DOC, BaseConvTranspose, Conv1DTranspose,  # noqa: F401
                                              Conv2DTranspose, Conv3DTranspose, Convolution1DTranspose,
                                              Convolution2DTranspose, Convolution3DTranspose, _transpose_class)
from kerastorch.layers.conv.depthwise import (DepthwiseConv, DepthwiseConv1D, DepthwiseConv2D,  # noqa: F401
                                              _depthwise_layout, _DepthwiseBase)
from kerastorch.layers.conv.separable import (SeparableConv, SeparableConv1D, SeparableConv2D,
                                              SeparableConvolution1D, SeparableConvolution2D)
