"""The depthwise convolutions, `DepthwiseConv1D` and `DepthwiseConv2D`, and the base they share with the
separable ones."""

import torch.nn.functional as F

from kerastorch import activations, initializers
from kerastorch.layers.base import Layer
from kerastorch.layers.conv.base import BaseConv, _ser, to_channels_first
from kerastorch.ops.nn._spatial import pad_spatial


class _DepthwiseToInternal:
    """Keras depthwise kernel `(*k, in, mult)` -> torch grouped kernel `(in * mult, 1, *k)`.

    An object rather than a closure, so that a built layer pickles (see `_Permute`).
    """

    def __init__(self, rank):
        self.rank = rank

    def __call__(self, k):
        *ks, cin, mult = k.shape
        return k.reshape(*ks, cin * mult).permute(self.rank, *range(self.rank)).unsqueeze(1)


class _DepthwiseToKeras:
    """torch grouped kernel `(in * mult, 1, *k)` -> Keras `(*k, in * mult)`, reshaped to `shape`
    (Keras' `(*k, in, mult)`) when one is given. An object rather than a closure, as above."""

    def __init__(self, rank, shape=None):
        self.rank, self.shape = rank, shape

    def __call__(self, w):
        out = w[:, 0].permute(*range(1, self.rank + 1), 0)
        return out if self.shape is None else out.reshape(*self.shape)


def _depthwise_layout(rank):
    """Keras depthwise kernel `(*k, in, mult)` <-> torch grouped kernel `(in * mult, 1, *k)`.

    torch's grouped convolution with `groups=in` gives output channel `c * mult + m` for input
    channel `c`, which is the row-major flattening of Keras' `(in, mult)` axes.
    """
    return _DepthwiseToInternal(rank), _DepthwiseToKeras(rank)


class _DepthwiseBase(BaseConv):
    """Shared machinery of the depthwise and separable convolutions."""

    def _setup_depthwise(self, depth_multiplier, kernel_size, strides, padding, data_format,
                         dilation_rate, depthwise_initializer, depthwise_regularizer,
                         depthwise_constraint):
        if isinstance(depth_multiplier, bool) or not isinstance(depth_multiplier, int) or depth_multiplier < 1:
            raise ValueError(
                f"{type(self).__name__} layer '{self.name}': `depth_multiplier` must be a positive "
                f"integer, got depth_multiplier={depth_multiplier!r}."
            )
        self.depth_multiplier = depth_multiplier
        self._setup_geometry(kernel_size, strides, padding, data_format, dilation_rate)
        self.depthwise_initializer = initializers.get(depthwise_initializer)
        from kerastorch import constraints, regularizers

        self.depthwise_regularizer = regularizers.get(depthwise_regularizer)
        self.depthwise_constraint = constraints.get(depthwise_constraint)

    def _add_depthwise(self, in_channels, name):
        to_internal, _ = _depthwise_layout(self.rank)
        mult = self.depth_multiplier
        # to_keras needs the channel split back: (in * mult) -> (in, mult).
        keras_to = _DepthwiseToKeras(self.rank, (*self.kernel_size, in_channels, mult))
        return self.add_weight(shape=(*self.kernel_size, in_channels, mult),
                               initializer=self.depthwise_initializer,
                               regularizer=self.depthwise_regularizer,
                               constraint=self.depthwise_constraint, name=name,
                               layout=(to_internal, keras_to))

    def _depthwise(self, x, kernel, bias):
        padding, pads = self._padding_args(x.shape[2:])
        if pads is not None:
            x = pad_spatial(x, pads)
        return self._conv(x, kernel, bias, self.strides, padding, self.dilation_rate, x.shape[1])

    def _depthwise_config(self):
        from kerastorch import constraints, regularizers
        config = Layer.get_config(self)
        config.update({
            "depth_multiplier": self.depth_multiplier, "kernel_size": list(self.kernel_size),
            "strides": list(self.strides), "padding": self.padding, "data_format": self.data_format,
            "dilation_rate": list(self.dilation_rate),
            "activation": activations.serialize(self.activation), "use_bias": self.use_bias,
            "depthwise_initializer": initializers.serialize(self.depthwise_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "depthwise_regularizer": _ser(regularizers, self.depthwise_regularizer),
            "bias_regularizer": _ser(regularizers, self.bias_regularizer),
            "activity_regularizer": _ser(regularizers, self.activity_regularizer),
            "depthwise_constraint": _ser(constraints, self.depthwise_constraint),
            "bias_constraint": _ser(constraints, self.bias_constraint),
        })
        return config


class DepthwiseConv(_DepthwiseBase):
    """Depthwise convolution: each input channel is convolved with its own `depth_multiplier` filters."""

    def __init__(self, kernel_size, strides=1, padding="valid", depth_multiplier=1, data_format=None,
                 dilation_rate=1, activation=None, use_bias=True,
                 depthwise_initializer="glorot_uniform", bias_initializer="zeros",
                 depthwise_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 depthwise_constraint=None, bias_constraint=None, **kwargs):
        Layer.__init__(self, **kwargs)
        self._setup_depthwise(depth_multiplier, kernel_size, strides, padding, data_format,
                              dilation_rate, depthwise_initializer, depthwise_regularizer,
                              depthwise_constraint)
        self._setup_activation_and_bias(activation, use_bias, bias_initializer, bias_regularizer,
                                        bias_constraint, activity_regularizer)
        self.groups = 1

    def build(self, input_shape):
        self._check_input_shape(input_shape)
        in_channels = input_shape[self._channel_axis()]
        self.kernel = self._add_depthwise(in_channels, "kernel")
        self.bias = self._add_bias(in_channels * self.depth_multiplier)
        self.built = True

    def _output_channels(self, input_shape):
        return input_shape[self._channel_axis()] * self.depth_multiplier

    def call(self, inputs):
        x = to_channels_first(inputs, self.data_format)
        return self._finish(self._depthwise(x, self.kernel, self.bias))

    def get_config(self):
        return self._depthwise_config()


class DepthwiseConv1D(DepthwiseConv):
    """1-D depthwise convolution over sequences `(batch, steps, channels)`.

    Each input channel is convolved with `depth_multiplier` filters of its own; output
    channel `c * depth_multiplier + m` comes from input channel `c`, as in Keras.

    Args:
        kernel_size: Int or tuple of 1 int.
        strides: Defaults to `1`. padding: `"valid"` (default), `"same"` or `"causal"`.
        depth_multiplier: Filters per input channel. Defaults to `1`.
        data_format: `"channels_last"` (default) or `"channels_first"`.
        dilation_rate: Defaults to `1`. activation: Defaults to `None`. use_bias: `True`.
        depthwise_initializer: Defaults to `"glorot_uniform"`. bias_initializer: `"zeros"`.
        depthwise_regularizer, bias_regularizer, activity_regularizer,
        depthwise_constraint, bias_constraint: Optional, default `None`.

    Output shape: `(batch, new_steps, channels * depth_multiplier)`.
    Weights: `kernel (k, in_channels, depth_multiplier)`, `bias (in_channels * depth_multiplier,)`.

    Example:
    >>> import torch
    >>> from kerastorch import layers
    >>> tuple(layers.DepthwiseConv1D(3, depth_multiplier=2)(torch.zeros(2, 10, 4)).shape)
    (2, 8, 8)
    """

    rank = 1
    _conv = staticmethod(F.conv1d)


class DepthwiseConv2D(DepthwiseConv):
    """2-D depthwise convolution over images, channels-last `(batch, height, width, channels)`.

    Each input channel is convolved with `depth_multiplier` filters of its own; output
    channel `c * depth_multiplier + m` comes from input channel `c`, as in Keras.

    Args:
        kernel_size: Int or tuple of 2 ints.
        strides: Defaults to `(1, 1)`. padding: `"valid"` (default) or `"same"`.
        depth_multiplier: Filters per input channel. Defaults to `1`.
        data_format: `"channels_last"` (default) or `"channels_first"`.
        dilation_rate: Defaults to `(1, 1)`. activation: Defaults to `None`. use_bias: `True`.
        depthwise_initializer: Defaults to `"glorot_uniform"`. bias_initializer: `"zeros"`.
        depthwise_regularizer, bias_regularizer, activity_regularizer,
        depthwise_constraint, bias_constraint: Optional, default `None`.

    Output shape: `(batch, new_h, new_w, channels * depth_multiplier)`.
    Weights: `kernel (kh, kw, in_channels, depth_multiplier)`, `bias (in_channels * depth_multiplier,)`.

    Example:
    >>> import torch
    >>> from kerastorch import layers
    >>> tuple(layers.DepthwiseConv2D(3, padding="same")(torch.zeros(2, 8, 8, 4)).shape)
    (2, 8, 8, 4)
    """

    rank = 2
    _conv = staticmethod(F.conv2d)
