"""The forward convolutions: `Conv1D`, `Conv2D`, `Conv3D` and their `Convolution*D` aliases."""

import torch.nn.functional as F

from kerastorch.layers.conv.base import BaseConv


class Conv1D(BaseConv):
    """1-D convolution over sequences `(batch, steps, channels)`.

    Args:
        filters: Number of output channels.
        kernel_size: Int or tuple of 1 int, the window length.
        strides: Int or tuple, the step. Defaults to `1`.
        padding: `"valid"` (default), `"same"` (TensorFlow semantics: output length
            `ceil(n / stride)`, odd padding at the end), or `"causal"`.
        data_format: `"channels_last"` (default) or `"channels_first"`.
        dilation_rate: Int or tuple. Defaults to `1`.
        groups: Number of channel groups. Defaults to `1`.
        activation: Activation name or callable. Defaults to `None` (identity).
        use_bias: Defaults to `True`.
        kernel_initializer: Defaults to `"glorot_uniform"`. bias_initializer: `"zeros"`.

    Weights: `kernel (kernel_size, in_channels // groups, filters)`, `bias (filters,)`.

    Example:
    >>> import torch
    >>> from kerastorch import layers
    >>> tuple(layers.Conv1D(8, 3)(torch.zeros(2, 10, 4)).shape)
    (2, 8, 8)
    """

    rank = 1
    _conv = staticmethod(F.conv1d)


class Conv2D(BaseConv):
    """2-D convolution over images, channels-last `(batch, height, width, channels)` by default.

    Args:
        filters: Number of output channels.
        kernel_size: Int or tuple of 2 ints, the window size.
        strides: Int or tuple of 2 ints. Defaults to `(1, 1)`.
        padding: `"valid"` (default) or `"same"` (TensorFlow semantics for any stride:
            output size `ceil(n / stride)`, the odd padding pixel at the end).
        data_format: `"channels_last"` (default) or `"channels_first"`.
        dilation_rate: Int or tuple of 2 ints. Defaults to `(1, 1)`.
        groups: Number of channel groups. Defaults to `1`.
        activation: Activation name or callable. Defaults to `None` (identity).
        use_bias: Defaults to `True`.
        kernel_initializer: Defaults to `"glorot_uniform"`.
        bias_initializer: Defaults to `"zeros"`.
        kernel_regularizer: Optional regularizer. Defaults to `None`.
        bias_regularizer: Optional regularizer. Defaults to `None`.
        activity_regularizer: Optional regularizer. Defaults to `None`.
        kernel_constraint: Optional constraint. Defaults to `None`.
        bias_constraint: Optional constraint. Defaults to `None`.

    Weights: `kernel (kh, kw, in_channels // groups, filters)`, `bias (filters,)` (Keras' layout).

    Example:
    >>> import torch
    >>> from kerastorch import layers
    >>> tuple(layers.Conv2D(32, (3, 3), padding="same")(torch.zeros(2, 28, 28, 3)).shape)
    (2, 28, 28, 32)
    """

    rank = 2
    _conv = staticmethod(F.conv2d)


class Conv3D(BaseConv):
    """3-D convolution over volumes `(batch, depth, height, width, channels)`.

    Args are those of `Conv2D`, with tuples of 3 ints.

    Weights: `kernel (kd, kh, kw, in_channels // groups, filters)`, `bias (filters,)`.

    Example:
    >>> import torch
    >>> from kerastorch import layers
    >>> tuple(layers.Conv3D(4, 3)(torch.zeros(1, 5, 5, 5, 2)).shape)
    (1, 3, 3, 3, 4)
    """

    rank = 3
    _conv = staticmethod(F.conv3d)


Convolution1D = Conv1D
Convolution2D = Conv2D
Convolution3D = Conv3D
