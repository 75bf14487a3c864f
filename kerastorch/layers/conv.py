"""Convolution layers: `Conv1D`, `Conv2D`, `Conv3D` on channels-last data by default.

Layout: Keras images are channels-last, `(batch, H, W, C)`; torch convolutions take
`(batch, C, H, W)`. A channels-last tensor viewed with `movedim(-1, 1)` is exactly torch's
`channels_last` memory format, so no data is copied on the way in or out, and the torch
kernels run on the layout they are fastest on. Kernels are stored in torch's
`(out, in, *k)` layout; `get_weights()`/`set_weights()` speak Keras' `(*k, in, out)`.
"""

import math

import torch
import torch.nn.functional as F

from kerastorch import activations, config, initializers
from kerastorch.layers.base import Layer, format_shape


def normalize_tuple(value, rank, arg, layer):
    """`3` -> `(3, 3)` for rank 2; validates positive ints."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = (value,) * rank
    try:
        value = tuple(int(v) for v in value)
    except (TypeError, ValueError):
        raise ValueError(
            f"{type(layer).__name__} layer '{layer.name}': `{arg}` must be an int or a tuple of "
            f"{rank} ints, got {arg}={value!r}."
        ) from None
    if len(value) != rank or any(v < 1 for v in value):
        raise ValueError(
            f"{type(layer).__name__} layer '{layer.name}': `{arg}` must be an int or a tuple of "
            f"{rank} positive ints, got {arg}={value!r}."
        )
    return value


def normalize_padding(value, layer, allowed=("valid", "same")):
    padding = str(value).lower()
    if padding not in allowed:
        raise ValueError(
            f"{type(layer).__name__} layer '{layer.name}': `padding` must be one of "
            f"{', '.join(repr(a) for a in allowed)}, got padding={value!r}."
        )
    return padding


def same_padding(size, kernel, stride, dilation=1):
    """TensorFlow's "same" padding for one axis: (before, after), the odd pixel at the end."""
    k_eff = (kernel - 1) * dilation + 1
    out = math.ceil(size / stride)
    total = max((out - 1) * stride + k_eff - size, 0)
    return total // 2, total - total // 2


def conv_output_length(size, kernel, stride, padding, dilation=1):
    """Output length of a convolution or pooling axis; `None` stays `None`."""
    if size is None:
        return None
    k_eff = (kernel - 1) * dilation + 1
    if padding == "same":
        return math.ceil(size / stride)
    if padding == "causal":
        return math.ceil(size / stride)
    return max((size - k_eff) // stride + 1, 0)


def to_channels_first(inputs, data_format):
    """Views channels-last data as torch's (N, C, ...) without copying."""
    return inputs.movedim(-1, 1) if data_format == "channels_last" else inputs


def from_channels_first(outputs, data_format):
    return outputs.movedim(1, -1) if data_format == "channels_last" else outputs


def pad_spatial(inputs, pads, value=0.0):
    """Pads the spatial axes of an (N, C, *spatial) tensor by `pads` [(before, after), ...]."""
    flat = []
    for before, after in reversed(pads):
        flat.extend((before, after))
    return F.pad(inputs, flat, value=value)


class BaseConv(Layer):
    """Shared machinery of `Conv1D`/`Conv2D`/`Conv3D`: arguments, weights, "same" padding."""

    rank = 2
    _conv = staticmethod(F.conv2d)

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None,
                 dilation_rate=1, groups=1, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(**kwargs)
        if isinstance(filters, bool) or not isinstance(filters, int) or filters < 1:
            raise ValueError(
                f"{type(self).__name__} layer '{self.name}': `filters` must be a positive integer, "
                f"got filters={filters!r}."
            )
        self.filters = filters
        self.kernel_size = normalize_tuple(kernel_size, self.rank, "kernel_size", self)
        self.strides = normalize_tuple(strides, self.rank, "strides", self)
        self.dilation_rate = normalize_tuple(dilation_rate, self.rank, "dilation_rate", self)
        allowed = ("valid", "same", "causal") if self.rank == 1 else ("valid", "same")
        self.padding = normalize_padding(padding, self, allowed)
        self.data_format = config.standardize_data_format(data_format)
        if isinstance(groups, bool) or not isinstance(groups, int) or groups < 1 or filters % groups:
            raise ValueError(
                f"{type(self).__name__} layer '{self.name}': `groups` must be a positive integer "
                f"that divides filters={filters}, got groups={groups!r}."
            )
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise ValueError(
                f"{type(self).__name__} layer '{self.name}': strides > 1 cannot be combined with "
                f"dilation_rate > 1 (got strides={self.strides}, dilation_rate={self.dilation_rate}), "
                "as in Keras. Use one or the other."
            )
        self.groups = groups
        self.activation = activations.get(activation)
        self._linear_activation = activations.serialize(self.activation) == "linear"
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = kernel_regularizer
        self.bias_regularizer = bias_regularizer
        self.kernel_constraint = kernel_constraint
        self.bias_constraint = bias_constraint
        if activity_regularizer is not None:
            from kerastorch import regularizers
            self.activity_regularizer = regularizers.get(activity_regularizer)

    def _channel_axis(self):
        return -1 if self.data_format == "channels_last" else 1

    def _check_input_shape(self, input_shape):
        if len(input_shape) != self.rank + 2:
            example = {1: "(steps, channels)", 2: "(height, width, channels)",
                       3: "(depth, height, width, channels)"}[self.rank]
            raise ValueError(
                f"{type(self).__name__} layer '{self.name}' expects inputs with {self.rank + 2} axes "
                f"(batch, {'spatial axes, ' if self.rank > 1 else 'steps, '}channels), got shape "
                f"{format_shape(input_shape)}. Give samples of shape {example}: for example, add "
                f"a channels axis with layers.Reshape(...) or Input(shape=(..., 1))."
            )
        if input_shape[self._channel_axis()] is None:
            raise ValueError(
                f"{type(self).__name__} layer '{self.name}': the channels axis of the input must be "
                f"known, got shape {format_shape(input_shape)}."
            )

    def build(self, input_shape):
        self._check_input_shape(input_shape)
        in_channels = input_shape[self._channel_axis()]
        if in_channels % self.groups:
            raise ValueError(
                f"{type(self).__name__} layer '{self.name}': input channels ({in_channels}) must be "
                f"divisible by groups={self.groups}."
            )
        rank = self.rank
        keras_shape = (*self.kernel_size, in_channels // self.groups, self.filters)
        # Keras (*k, in, out) <-> torch (out, in, *k).
        to_internal = lambda k: k.permute(rank + 1, rank, *range(rank))  # noqa: E731
        to_keras = lambda w: w.permute(*range(2, rank + 2), 1, 0)  # noqa: E731
        self.kernel = self.add_weight(shape=keras_shape, initializer=self.kernel_initializer,
                                      regularizer=self.kernel_regularizer,
                                      constraint=self.kernel_constraint, name="kernel",
                                      layout=(to_internal, to_keras))
        self.bias = (self.add_weight(shape=(self.filters,), initializer=self.bias_initializer,
                                     regularizer=self.bias_regularizer,
                                     constraint=self.bias_constraint, name="bias")
                     if self.use_bias else None)
        self.built = True

    def _padding_args(self, spatial):
        """(padding for the torch conv, explicit pads or None)."""
        if self.padding == "valid":
            return 0, None
        if self.padding == "causal":
            k_eff = (self.kernel_size[0] - 1) * self.dilation_rate[0] + 1
            return 0, [(k_eff - 1, 0)]
        pads = [same_padding(n, k, s, d) for n, k, s, d in
                zip(spatial, self.kernel_size, self.strides, self.dilation_rate)]
        if all(a == b for a, b in pads):
            return tuple(a for a, _ in pads), None
        return 0, pads

    def call(self, inputs):
        x = to_channels_first(inputs, self.data_format)
        padding, pads = self._padding_args(x.shape[2:])
        if pads is not None:
            x = pad_spatial(x, pads)
        outputs = self._conv(x, self.kernel, self.bias, self.strides, padding, self.dilation_rate,
                             self.groups)
        if not self._linear_activation:
            outputs = self.activation(outputs)
        return from_channels_first(outputs, self.data_format)

    def compute_output_shape(self, input_shape):
        self._check_input_shape(input_shape)
        if self.data_format == "channels_last":
            spatial = input_shape[1:-1]
        else:
            spatial = input_shape[2:]
        out = tuple(conv_output_length(n, k, s, self.padding, d) for n, k, s, d in
                    zip(spatial, self.kernel_size, self.strides, self.dilation_rate))
        if any(o == 0 for o in out):
            raise ValueError(
                f"{type(self).__name__} layer '{self.name}': input shape {format_shape(input_shape)} "
                f"is smaller than the kernel {self.kernel_size} with padding='valid', leaving an "
                "empty output. Use padding='same', a smaller kernel, or larger inputs."
            )
        if self.data_format == "channels_last":
            return (input_shape[0], *out, self.filters)
        return (input_shape[0], self.filters, *out)

    def get_config(self):
        from kerastorch import constraints, regularizers

        def ser(module, obj):
            return module.serialize(obj) if obj is not None else None

        return {**super().get_config(), "filters": self.filters, "kernel_size": list(self.kernel_size),
                "strides": list(self.strides), "padding": self.padding, "data_format": self.data_format,
                "dilation_rate": list(self.dilation_rate), "groups": self.groups,
                "activation": activations.serialize(self.activation), "use_bias": self.use_bias,
                "kernel_initializer": initializers.serialize(self.kernel_initializer),
                "bias_initializer": initializers.serialize(self.bias_initializer),
                "kernel_regularizer": ser(regularizers, self.kernel_regularizer),
                "bias_regularizer": ser(regularizers, self.bias_regularizer),
                "kernel_constraint": ser(constraints, self.kernel_constraint),
                "bias_constraint": ser(constraints, self.bias_constraint)}


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
        kernel_initializer: Defaults to `"glorot_uniform"`. bias_initializer: `"zeros"`.
        kernel_regularizer, bias_regularizer, activity_regularizer: Optional regularizers.
        kernel_constraint, bias_constraint: Optional constraints.

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
