"""The transposed convolutions: `Conv1DTranspose`, `Conv2DTranspose`, `Conv3DTranspose` and their aliases."""

import torch.nn.functional as F

from kerastorch.layers.conv.base import BaseConv, _keras_to_torch_kernel, to_channels_first
from kerastorch.ops.nn._spatial import crop_transposed, transpose_output_length


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
