"""The separable convolutions: `SeparableConv1D`, `SeparableConv2D` and their `SeparableConvolution*D` aliases."""

import torch.nn.functional as F

from kerastorch import initializers
from kerastorch.layers.base import Layer
from kerastorch.layers.conv.base import _keras_to_torch_kernel, _ser, to_channels_first
from kerastorch.layers.conv.depthwise import _DepthwiseBase


class SeparableConv(_DepthwiseBase):
    """Depthwise convolution followed by a 1x1 (pointwise) convolution mixing the channels."""

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None,
                 dilation_rate=1, depth_multiplier=1, activation=None, use_bias=True,
                 depthwise_initializer="glorot_uniform", pointwise_initializer="glorot_uniform",
                 bias_initializer="zeros", depthwise_regularizer=None, pointwise_regularizer=None,
                 bias_regularizer=None, activity_regularizer=None, depthwise_constraint=None,
                 pointwise_constraint=None, bias_constraint=None, **kwargs):
        Layer.__init__(self, **kwargs)
        if isinstance(filters, bool) or not isinstance(filters, int) or filters < 1:
            raise ValueError(
                f"{type(self).__name__} layer '{self.name}': `filters` must be a positive integer, "
                f"got filters={filters!r}."
            )
        self.filters = filters
        self._setup_depthwise(depth_multiplier, kernel_size, strides, padding, data_format,
                              dilation_rate, depthwise_initializer, depthwise_regularizer,
                              depthwise_constraint)
        self._setup_activation_and_bias(activation, use_bias, bias_initializer, bias_regularizer,
                                        bias_constraint, activity_regularizer)
        self.pointwise_initializer = initializers.get(pointwise_initializer)
        from kerastorch import constraints, regularizers

        self.pointwise_regularizer = regularizers.get(pointwise_regularizer)
        self.pointwise_constraint = constraints.get(pointwise_constraint)
        self.groups = 1

    def build(self, input_shape):
        self._check_input_shape(input_shape)
        in_channels = input_shape[self._channel_axis()]
        self.depthwise_kernel = self._add_depthwise(in_channels, "depthwise_kernel")
        self.pointwise_kernel = self.add_weight(
            shape=(*(1,) * self.rank, in_channels * self.depth_multiplier, self.filters),
            initializer=self.pointwise_initializer, regularizer=self.pointwise_regularizer,
            constraint=self.pointwise_constraint, name="pointwise_kernel",
            layout=_keras_to_torch_kernel(self.rank))
        self.bias = self._add_bias(self.filters)
        self.built = True

    def call(self, inputs):
        x = to_channels_first(inputs, self.data_format)
        x = self._depthwise(x, self.depthwise_kernel, None)
        return self._finish(self._conv(x, self.pointwise_kernel, self.bias))

    def get_config(self):
        from kerastorch import constraints, regularizers
        config = self._depthwise_config()
        config["filters"] = self.filters
        config["pointwise_initializer"] = initializers.serialize(self.pointwise_initializer)
        config["pointwise_regularizer"] = _ser(regularizers, self.pointwise_regularizer)
        config["pointwise_constraint"] = _ser(constraints, self.pointwise_constraint)
        return config


class SeparableConv1D(SeparableConv):
    """1-D separable convolution: a depthwise convolution, then a pointwise (size-1) one.

    Args:
        filters: Number of output channels.
        kernel_size: Int or tuple of 1 int.
        strides: Defaults to `1`. padding: `"valid"` (default), `"same"` or `"causal"`.
        data_format: `"channels_last"` (default) or `"channels_first"`.
        dilation_rate: Defaults to `1`.
        depth_multiplier: Depthwise filters per input channel. Defaults to `1`.
        activation: Defaults to `None`. use_bias: Defaults to `True`.
        depthwise_initializer, pointwise_initializer: Default `"glorot_uniform"`.
        bias_initializer: Defaults to `"zeros"`.
        depthwise_regularizer, pointwise_regularizer, bias_regularizer, activity_regularizer,
        depthwise_constraint, pointwise_constraint, bias_constraint: Optional, default `None`.

    Weights: `depthwise_kernel (k, in, depth_multiplier)`,
    `pointwise_kernel (1, in * depth_multiplier, filters)`, `bias (filters,)`.

    Example:
    >>> import torch
    >>> from kerastorch import layers
    >>> tuple(layers.SeparableConv1D(6, 3)(torch.zeros(2, 10, 4)).shape)
    (2, 8, 6)
    """

    rank = 1
    _conv = staticmethod(F.conv1d)


class SeparableConv2D(SeparableConv):
    """2-D separable convolution: a depthwise convolution, then a pointwise (1x1) one.

    Args:
        filters: Number of output channels.
        kernel_size: Int or tuple of 2 ints.
        strides: Defaults to `(1, 1)`. padding: `"valid"` (default) or `"same"`.
        data_format: `"channels_last"` (default) or `"channels_first"`.
        dilation_rate: Defaults to `(1, 1)`.
        depth_multiplier: Depthwise filters per input channel. Defaults to `1`.
        activation: Defaults to `None`. use_bias: Defaults to `True`.
        depthwise_initializer, pointwise_initializer: Default `"glorot_uniform"`.
        bias_initializer: Defaults to `"zeros"`.
        depthwise_regularizer, pointwise_regularizer, bias_regularizer, activity_regularizer,
        depthwise_constraint, pointwise_constraint, bias_constraint: Optional, default `None`.

    Weights: `depthwise_kernel (kh, kw, in, depth_multiplier)`,
    `pointwise_kernel (1, 1, in * depth_multiplier, filters)`, `bias (filters,)`.

    Example:
    >>> import torch
    >>> from kerastorch import layers
    >>> tuple(layers.SeparableConv2D(8, 3, padding="same")(torch.zeros(2, 8, 8, 4)).shape)
    (2, 8, 8, 8)
    """

    rank = 2
    _conv = staticmethod(F.conv2d)


SeparableConvolution1D = SeparableConv1D
SeparableConvolution2D = SeparableConv2D
