"""The shared machinery of the convolution layers: argument checks, output lengths, layouts and `BaseConv`."""

import math

import torch
import torch.nn.functional as F

from kerastorch import activations, config, initializers
from kerastorch.layers.base import Layer, format_shape, get_activation
from kerastorch.layers.conv import _fused
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
        to_internal, to_keras = _keras_to_torch_kernel(rank)
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
        if not torch.is_grad_enabled() and _fused.applies(self, x):    # inference: ReLU fused in
            return from_channels_first(_fused.conv_relu(self, x, padding), self.data_format)
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


def _ser(module, obj):
    return module.serialize(obj) if obj is not None else None


class _Permute:
    """The layout function `tensor.permute(*dims)`, as an object: a built layer holds its layout
    functions, and a lambda or closure there would make the layer (and its model) unpicklable."""

    def __init__(self, *dims):
        self.dims = dims

    def __call__(self, tensor):
        return tensor.permute(*self.dims)

    def __repr__(self):
        return f"_Permute{self.dims}"


def _keras_to_torch_kernel(rank):
    """Keras `(*k, a, b)` <-> torch `(b, a, *k)`: the same permutation for conv and transpose."""
    return _Permute(rank + 1, rank, *range(rank)), _Permute(*range(2, rank + 2), 1, 0)
