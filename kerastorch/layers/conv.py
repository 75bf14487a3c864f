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
from kerastorch.layers.base import Layer, format_shape, get_activation
# The padding geometry is shared with kerastorch.ops (pooling.py and reshaping.py import it from here).
from kerastorch.ops.nn._spatial import (crop_transposed, pad_spatial, same_padding,  # noqa: F401
                                        transpose_output_length)


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


def _sample_layout(rank, data_format):
    spatial = {1: ["steps"], 2: ["height", "width"], 3: ["depth", "height", "width"]}[rank]
    axes = [*spatial, "channels"] if data_format == "channels_last" else ["channels", *spatial]
    return "(" + ", ".join(axes) + ")"


def _reshape_hint(rank, data_format, input_shape):
    """A concrete `Reshape` target for flat samples (784 -> (28, 28, 1)), else a generic one."""
    sample = input_shape[1:]
    if len(sample) == 1 and sample[0]:
        n = sample[0]
        side = round(n ** (1 / rank))
        if side ** rank == n:
            spatial = (side,) * rank
            target = (*spatial, 1) if data_format == "channels_last" else (1, *spatial)
            return f"layers.Reshape({target})"
    if len(sample) == rank:
        target = (*sample, 1) if data_format == "channels_last" else (1, *sample)
        if all(d is not None for d in sample):
            return f"layers.Reshape({target})"
    return f"layers.Reshape({_sample_layout(rank, data_format)})"


def _rank_error(layer, input_shape):
    """The message for a convolution fed data of the wrong rank: expected, got, and the fix."""
    rank, fmt = layer.rank, layer.data_format
    layout = _sample_layout(rank, fmt)
    batch_layout = "(batch, " + layout[1:]
    hint = _reshape_hint(rank, fmt, input_shape)
    return (
        f"{type(layer).__name__} layer '{layer.name}' expects {rank + 2}-D input {batch_layout}, "
        f"got a {len(input_shape)}-D input of shape {format_shape(input_shape)}. Each sample must "
        f"have shape {layout}. To fix it, put {hint} before this layer, or give the model "
        f"samples of that shape with Input(shape={layout})."
    )


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
        self._setup_geometry(kernel_size, strides, padding, data_format, dilation_rate)
        if isinstance(groups, bool) or not isinstance(groups, int) or groups < 1 or filters % groups:
            raise ValueError(
                f"{type(self).__name__} layer '{self.name}': `groups` must be a positive integer "
                f"that divides filters={filters}, got groups={groups!r}."
            )
        self.groups = groups
        self._setup_activation_and_bias(activation, use_bias, bias_initializer, bias_regularizer,
                                        bias_constraint, activity_regularizer)
        from kerastorch import constraints, regularizers

        # Resolved here, as Keras does: an unknown name fails now, and get_config() writes Keras' dicts.
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)

    # Padding modes each family accepts ("causal" only for the 1-D forward convolutions).
    def _allowed_paddings(self):
        return ("valid", "same", "causal") if self.rank == 1 else ("valid", "same")

    def _setup_geometry(self, kernel_size, strides, padding, data_format, dilation_rate):
        self.kernel_size = normalize_tuple(kernel_size, self.rank, "kernel_size", self)
        self.strides = normalize_tuple(strides, self.rank, "strides", self)
        self.dilation_rate = normalize_tuple(dilation_rate, self.rank, "dilation_rate", self)
        self.padding = normalize_padding(padding, self, self._allowed_paddings())
        self.data_format = config.standardize_data_format(data_format)
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise ValueError(
                f"{type(self).__name__} layer '{self.name}': strides > 1 cannot be combined with "
                f"dilation_rate > 1 (got strides={self.strides}, dilation_rate={self.dilation_rate}), "
                "as in Keras. Use one or the other."
            )

    def _setup_activation_and_bias(self, activation, use_bias, bias_initializer, bias_regularizer,
                                   bias_constraint, activity_regularizer):
        self.activation = get_activation(self, "activation", activation)
        self._linear_activation = activations.serialize(self.activation) == "linear"
        self.use_bias = bool(use_bias)
        self.bias_initializer = initializers.get(bias_initializer)
        from kerastorch import constraints, regularizers

        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.bias_constraint = constraints.get(bias_constraint)
        if activity_regularizer is not None:
            self.activity_regularizer = regularizers.get(activity_regularizer)

    def _add_bias(self, size):
        return (self.add_weight(shape=(size,), initializer=self.bias_initializer,
                                regularizer=self.bias_regularizer, constraint=self.bias_constraint,
                                name="bias")
                if self.use_bias else None)

    def _finish(self, outputs):
        if not self._linear_activation:
            outputs = self.activation(outputs)
        return from_channels_first(outputs, self.data_format)

    def _channel_axis(self):
        return -1 if self.data_format == "channels_last" else 1

    def _check_input_shape(self, input_shape):
        if len(input_shape) != self.rank + 2:
            raise ValueError(_rank_error(self, input_shape))
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
        self.bias = self._add_bias(self.filters)
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
        return self._finish(outputs)

    def _output_channels(self, input_shape):
        return self.filters

    def _output_spatial(self, spatial):
        return tuple(conv_output_length(n, k, s, self.padding, d) for n, k, s, d in
                     zip(spatial, self.kernel_size, self.strides, self.dilation_rate))

    def compute_output_shape(self, input_shape):
        self._check_input_shape(input_shape)
        if self.data_format == "channels_last":
            spatial = input_shape[1:-1]
        else:
            spatial = input_shape[2:]
        out = self._output_spatial(spatial)
        if any(o is not None and o <= 0 for o in out):
            raise ValueError(
                f"{type(self).__name__} layer '{self.name}': input shape {format_shape(input_shape)} "
                f"is smaller than the kernel {self.kernel_size} with padding='valid', leaving an "
                "empty output. Use padding='same', a smaller kernel, or larger inputs."
            )
        channels = self._output_channels(input_shape)
        if self.data_format == "channels_last":
            return (input_shape[0], *out, channels)
        return (input_shape[0], channels, *out)

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
                "bias_constraint": ser(constraints, self.bias_constraint),
                "activity_regularizer": ser(regularizers, self.activity_regularizer)}


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


def _ser(module, obj):
    return module.serialize(obj) if obj is not None else None


def _keras_to_torch_kernel(rank):
    """Keras `(*k, a, b)` <-> torch `(b, a, *k)`: the same permutation for conv and transpose."""
    to_internal = lambda k: k.permute(rank + 1, rank, *range(rank))  # noqa: E731
    to_keras = lambda w: w.permute(*range(2, rank + 2), 1, 0)  # noqa: E731
    return to_internal, to_keras


class BaseConvTranspose(BaseConv):
    """Shared machinery of `Conv1DTranspose`/`Conv2DTranspose`/`Conv3DTranspose`.

    The output length follows Keras/TensorFlow (`transpose_output_length`). The layer is the
    gradient of a "same"/"valid" forward convolution with that output size: torch's full
    transposed convolution is computed, then cropped by the forward convolution's padding
    (odd pixel at the end, as TensorFlow pads) or zero-extended at the end, and the bias is
    added last so that extended positions carry it too.
    """

    _conv_t = staticmethod(F.conv_transpose2d)

    def __init__(self, filters, kernel_size, strides=1, padding="valid", output_padding=None,
                 data_format=None, dilation_rate=1, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(filters, kernel_size, strides=strides, padding=padding,
                         data_format=data_format, dilation_rate=dilation_rate, groups=1,
                         activation=activation, use_bias=use_bias,
                         kernel_initializer=kernel_initializer, bias_initializer=bias_initializer,
                         kernel_regularizer=kernel_regularizer, bias_regularizer=bias_regularizer,
                         activity_regularizer=activity_regularizer,
                         kernel_constraint=kernel_constraint, bias_constraint=bias_constraint,
                         **kwargs)
        if output_padding is None:
            self.output_padding = None
        else:
            if isinstance(output_padding, int) and not isinstance(output_padding, bool):
                output_padding = (output_padding,) * self.rank
            try:
                self.output_padding = tuple(int(v) for v in output_padding)
            except (TypeError, ValueError):
                self.output_padding = ()
            if len(self.output_padding) != self.rank or any(v < 0 for v in self.output_padding):
                raise ValueError(
                    f"{type(self).__name__} layer '{self.name}': `output_padding` must be None, an "
                    f"int or a tuple of {self.rank} non-negative ints, got output_padding={output_padding!r}."
                )
            for i, (op, s) in enumerate(zip(self.output_padding, self.strides)):
                if op >= s:
                    raise ValueError(
                        f"{type(self).__name__} layer '{self.name}': each `output_padding` value must be "
                        f"smaller than the matching stride, got output_padding={self.output_padding} "
                        f"with strides={self.strides} (axis {i}). Lower output_padding or raise strides."
                    )

    def _allowed_paddings(self):
        return ("valid", "same")

    def build(self, input_shape):
        self._check_input_shape(input_shape)
        in_channels = input_shape[self._channel_axis()]
        # Keras (*k, out, in) <-> torch ConvTranspose (in, out, *k); no spatial flip.
        self.kernel = self.add_weight(shape=(*self.kernel_size, self.filters, in_channels),
                                      initializer=self.kernel_initializer,
                                      regularizer=self.kernel_regularizer,
                                      constraint=self.kernel_constraint, name="kernel",
                                      layout=_keras_to_torch_kernel(self.rank))
        self.bias = self._add_bias(self.filters)
        self.built = True

    def _output_spatial(self, spatial):
        ops = self.output_padding or (None,) * self.rank
        return tuple(transpose_output_length(n, k, s, self.padding, op, d) for n, k, s, op, d in
                     zip(spatial, self.kernel_size, self.strides, ops, self.dilation_rate))

    def call(self, inputs):
        x = to_channels_first(inputs, self.data_format)
        spatial = tuple(x.shape[2:])
        targets = self._output_spatial(spatial)
        full = self._conv_t(x, self.kernel, None, self.strides, 0, 0, 1, self.dilation_rate)
        full = crop_transposed(full, spatial, self.kernel_size, self.strides, self.dilation_rate,
                               self.padding, targets)
        if self.bias is not None:
            full = full + self.bias.view(-1, *([1] * self.rank))
        return self._finish(full)

    def get_config(self):
        config = super().get_config()
        config.pop("groups")
        config["output_padding"] = None if self.output_padding is None else list(self.output_padding)
        return config


_TRANSPOSE_DOC = """Transposed {rank}-D convolution ("deconvolution"), channels-last `{shape}` by default.

    Output length per axis, as in Keras: `"valid"`: `(n - 1) * stride + kernel + op`
    (`op` defaults to `max(kernel, stride) - kernel`); `"same"`: `n * stride`, or
    `(n - 1) * stride + kernel % 2 + output_padding` when `output_padding` is given.

    Args:
        filters: Number of output channels.
        kernel_size: Int or tuple of {rank} ints.
        strides: Int or tuple of {rank} ints. Defaults to `1`.
        padding: `"valid"` (default) or `"same"`.
        output_padding: `None` (default), int or tuple: extra length added at the end of
            each axis; each value must be smaller than the stride.
        data_format: `"channels_last"` (default) or `"channels_first"`.
        dilation_rate: Int or tuple. Defaults to `1`.
        activation: Defaults to `None` (identity). use_bias: Defaults to `True`.
        kernel_initializer: Defaults to `"glorot_uniform"`. bias_initializer: `"zeros"`.
        kernel_regularizer, bias_regularizer, activity_regularizer, kernel_constraint,
        bias_constraint: Optional, default `None`.

    Weights: `kernel {kernel}` (Keras' layout, output channels before input channels),
    `bias (filters,)`.

    Example:
    >>> import torch
    >>> from kerastorch import layers
    >>> tuple(layers.{name}(4, 3, strides=2, padding="same")(torch.zeros({example_in})).shape)
    {example_out}
    """


def _transpose_class(name, rank, conv_t):
    shapes = {1: "(batch, steps, channels)", 2: "(batch, height, width, channels)",
              3: "(batch, depth, height, width, channels)"}
    kernels = {1: "(k, filters, in_channels)", 2: "(kh, kw, filters, in_channels)",
               3: "(kd, kh, kw, filters, in_channels)"}
    example_in = {1: "2, 5, 3", 2: "2, 5, 5, 3", 3: "1, 3, 3, 3, 2"}[rank]
    example_out = {1: "(2, 10, 4)", 2: "(2, 10, 10, 4)", 3: "(1, 6, 6, 6, 4)"}[rank]
    doc = _TRANSPOSE_DOC.format(rank=rank, shape=shapes[rank], kernel=kernels[rank], name=name,
                                example_in=example_in, example_out=example_out)
    return type(name, (BaseConvTranspose,), {"rank": rank, "_conv_t": staticmethod(conv_t),
                                             "__doc__": doc, "__module__": __name__})


Conv1DTranspose = _transpose_class("Conv1DTranspose", 1, F.conv_transpose1d)
Conv2DTranspose = _transpose_class("Conv2DTranspose", 2, F.conv_transpose2d)
Conv3DTranspose = _transpose_class("Conv3DTranspose", 3, F.conv_transpose3d)
Convolution1DTranspose = Conv1DTranspose
Convolution2DTranspose = Conv2DTranspose
Convolution3DTranspose = Conv3DTranspose


def _depthwise_layout(rank):
    """Keras depthwise kernel `(*k, in, mult)` <-> torch grouped kernel `(in * mult, 1, *k)`.

    torch's grouped convolution with `groups=in` gives output channel `c * mult + m` for input
    channel `c`, which is the row-major flattening of Keras' `(in, mult)` axes.
    """
    def to_internal(k):
        *ks, cin, mult = k.shape
        return k.reshape(*ks, cin * mult).permute(rank, *range(rank)).unsqueeze(1)

    def to_keras(w, shape=None):
        return w[:, 0].permute(*range(1, rank + 1), 0)

    return to_internal, to_keras


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
        to_internal, to_keras = _depthwise_layout(self.rank)
        mult = self.depth_multiplier
        # to_keras needs the channel split back: (in * mult) -> (in, mult).
        keras_to = lambda w: to_keras(w).reshape(*self.kernel_size, in_channels, mult)  # noqa: E731
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
