"""Pooling layers: `MaxPooling1D/2D/3D`, `AveragePooling1D/2D/3D` and the global poolings,
channels-last by default.

`padding="same"` follows TensorFlow: output size `ceil(n / stride)`, the odd padding pixel at
the end. Average pooling then averages only the real pixels of each window (padding is
excluded from the count). Keras 3.15.1 on its torch backend instead replicate-pads when the
padding is asymmetric (measured: AveragePooling1D(4, strides=1, padding="same") on
[0, 1, 2, 3] gives [0.75, 1.5, 2.25, 2.75] there, [1, 1.5, 2, 2.5] here and in TensorFlow/JAX);
upstream fixed it after 3.15.1 (keras-team/keras PR #23233), so kerastorch keeps the fixed
behaviour. Where the padding is symmetric, or absent, both agree.
"""

import torch
import torch.nn.functional as F

from kerastorch import config
from kerastorch.layers.base import Layer, format_shape
from kerastorch.layers.conv import (conv_output_length, from_channels_first, normalize_padding,
                                    normalize_tuple, pad_spatial, same_padding, to_channels_first)
from kerastorch.ops.nn._max_pool_kernel import max_pool as _max_pool


class BasePooling(Layer):
    """Shared machinery of the max and average pooling layers."""

    rank = 2
    mode = "max"

    def __init__(self, pool_size=2, strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.pool_size = normalize_tuple(pool_size, self.rank, "pool_size", self)
        self.strides = self.pool_size if strides is None else normalize_tuple(strides, self.rank, "strides", self)
        self.padding = normalize_padding(padding, self)
        self.data_format = config.standardize_data_format(data_format)
        self._build_at_init()

    def _check_input_shape(self, input_shape):
        if len(input_shape) != self.rank + 2:
            raise ValueError(
                f"{type(self).__name__} layer '{self.name}' expects inputs with {self.rank + 2} axes "
                f"(batch, {self.rank} spatial, channels), got shape {format_shape(input_shape)}."
            )

    def call(self, inputs):
        x = to_channels_first(inputs, self.data_format)
        pads = None
        if self.padding == "same":
            pads = [same_padding(n, k, s) for n, k, s in zip(x.shape[2:], self.pool_size, self.strides)]
            if not any(a or b for a, b in pads):
                pads = None
        if self.mode == "max":
            if pads is not None:
                x = pad_spatial(x, pads, value=float("-inf"))
            out = _max_pool(x, self.pool_size, self.strides)
        elif pads is None:
            out = _AVG[self.rank](x, self.pool_size, self.strides)
        else:
            # TensorFlow's "same" average: the mean over the real (unpadded) pixels of each window.
            summed = _AVG[self.rank](pad_spatial(x, pads), self.pool_size, self.strides)
            ones = torch.ones((1, 1, *x.shape[2:]), dtype=x.dtype, device=x.device)
            counts = _AVG[self.rank](pad_spatial(ones, pads), self.pool_size, self.strides)
            out = summed / counts
        return from_channels_first(out, self.data_format)

    def compute_output_shape(self, input_shape):
        self._check_input_shape(input_shape)
        spatial = input_shape[1:-1] if self.data_format == "channels_last" else input_shape[2:]
        out = tuple(conv_output_length(n, k, s, self.padding) for n, k, s in
                    zip(spatial, self.pool_size, self.strides))
        if any(o == 0 for o in out):
            raise ValueError(
                f"{type(self).__name__} layer '{self.name}': input shape {format_shape(input_shape)} "
                f"is smaller than pool_size={self.pool_size} with padding='valid'. Use "
                "padding='same', a smaller pool_size, or larger inputs."
            )
        if self.data_format == "channels_last":
            return (input_shape[0], *out, input_shape[-1])
        return (input_shape[0], input_shape[1], *out)

    def get_config(self):
        return {**super().get_config(), "pool_size": list(self.pool_size), "padding": self.padding,
                "strides": list(self.strides), "data_format": self.data_format}


_AVG = {1: F.avg_pool1d, 2: F.avg_pool2d, 3: F.avg_pool3d}

_POOL_DOC = """{kind} pooling over {what}, channels-last `{shape}` by default.

    Args:
        pool_size: Int or tuple of {rank} ints, the window size. Defaults to `{default}`.
        strides: Int, tuple, or `None` (default: `pool_size`).
        padding: `"valid"` (default) or `"same"` (TensorFlow semantics: output size
            `ceil(n / stride)`, the odd padding at the end{avg_note}).
        data_format: `"channels_last"` (default) or `"channels_first"`.

    Example:
    >>> import torch
    >>> from kerastorch import layers
    >>> tuple(layers.{name}()(torch.zeros({example_in})).shape)
    {example_out}
    """


def _pooling_class(name, rank, mode):
    shapes = {1: "(batch, steps, channels)", 2: "(batch, height, width, channels)",
              3: "(batch, depth, height, width, channels)"}
    example_in = {1: "2, 8, 3", 2: "2, 8, 8, 3", 3: "2, 4, 4, 4, 3"}[rank]
    example_out = {1: "(2, 4, 3)", 2: "(2, 4, 4, 3)", 3: "(2, 2, 2, 2, 3)"}[rank]
    default = "2" if rank == 1 else str((2,) * rank)
    doc = _POOL_DOC.format(
        kind="Max" if mode == "max" else "Average", what={1: "sequences", 2: "images", 3: "volumes"}[rank],
        shape=shapes[rank], rank=rank, default=default, name=name, example_in=example_in,
        example_out=example_out,
        avg_note="; windows average only the real pixels, not the padding" if mode == "avg" else "")

    def __init__(self, pool_size=2, strides=None, padding="valid", data_format=None, **kwargs):
        BasePooling.__init__(self, pool_size, strides, padding, data_format, **kwargs)

    return type(name, (BasePooling,), {"rank": rank, "mode": mode, "__doc__": doc, "__init__": __init__,
                                        "__module__": __name__})


MaxPooling1D = _pooling_class("MaxPooling1D", 1, "max")
MaxPooling2D = _pooling_class("MaxPooling2D", 2, "max")
MaxPooling3D = _pooling_class("MaxPooling3D", 3, "max")
AveragePooling1D = _pooling_class("AveragePooling1D", 1, "avg")
AveragePooling2D = _pooling_class("AveragePooling2D", 2, "avg")
AveragePooling3D = _pooling_class("AveragePooling3D", 3, "avg")
MaxPool1D, MaxPool2D, MaxPool3D = MaxPooling1D, MaxPooling2D, MaxPooling3D
AvgPool1D, AvgPool2D, AvgPool3D = AveragePooling1D, AveragePooling2D, AveragePooling3D


class BaseGlobalPooling(Layer):
    """Shared machinery of the global pooling layers: reduce every spatial axis."""

    rank = 2
    mode = "avg"

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(**kwargs)
        self.data_format = config.standardize_data_format(data_format)
        self.keepdims = bool(keepdims)
        self._build_at_init()

    def _axes(self):
        start = 1 if self.data_format == "channels_last" else 2
        return tuple(range(start, start + self.rank))

    def _check_input_shape(self, input_shape):
        if len(input_shape) != self.rank + 2:
            layout = {1: "steps", 2: "height, width", 3: "depth, height, width"}[self.rank]
            layout = (f"(batch, {layout}, channels)" if self.data_format == "channels_last"
                      else f"(batch, channels, {layout})")
            raise ValueError(
                f"{type(self).__name__} layer '{self.name}' expects {self.rank + 2}-D input {layout}, "
                f"got a {len(input_shape)}-D input of shape {format_shape(input_shape)}."
            )

    def call(self, inputs, mask=None):
        self._check_input_shape(tuple(inputs.shape))
        axes = self._axes()
        if self.mode == "max":
            return inputs.amax(dim=axes, keepdim=self.keepdims)
        if mask is not None and self.rank == 1:
            # Keras averages only the unmasked steps.
            weights = mask.to(inputs.dtype).unsqueeze(-1 if self.data_format == "channels_last" else 1)
            total = (inputs * weights).sum(dim=axes, keepdim=self.keepdims)
            return total / weights.sum(dim=axes, keepdim=self.keepdims)
        return inputs.mean(dim=axes, keepdim=self.keepdims)

    def compute_mask(self, inputs, previous_mask=None):
        return None

    def compute_output_shape(self, input_shape):
        self._check_input_shape(input_shape)
        axes = self._axes()
        if self.keepdims:
            return tuple(1 if i in axes else d for i, d in enumerate(input_shape))
        return tuple(d for i, d in enumerate(input_shape) if i not in axes)

    def get_config(self):
        return {**super().get_config(), "data_format": self.data_format, "keepdims": self.keepdims}


_GLOBAL_DOC = """Global {kind} pooling over {what}: one value per channel and sample.

    Args:
        data_format: `"channels_last"` (default, `{shape}`) or `"channels_first"`.
        keepdims: Whether to keep the reduced axes with length 1. Defaults to `False`.
{mask_note}
    Output shape: `(batch, channels)`, or with `keepdims=True` the input rank with the
    spatial axes of length 1.

    Example:
    >>> import torch
    >>> from kerastorch import layers
    >>> tuple(layers.{name}()(torch.zeros({example_in})).shape)
    {example_out}
    >>> tuple(layers.{name}(keepdims=True)(torch.zeros({example_in})).shape)
    {example_keep}
    """


def _global_class(name, rank, mode):
    shapes = {1: "(batch, steps, channels)", 2: "(batch, height, width, channels)",
              3: "(batch, depth, height, width, channels)"}
    example_in = {1: "2, 8, 3", 2: "2, 5, 5, 3", 3: "2, 3, 3, 3, 3"}[rank]
    example_keep = {1: "(2, 1, 3)", 2: "(2, 1, 1, 3)", 3: "(2, 1, 1, 1, 3)"}[rank]
    mask_note = ("        A mask from an earlier layer (`Embedding(mask_zero=True)`, `Masking`) is honoured:\n"
                 "        only unmasked steps are averaged, as in Keras.\n"
                 if rank == 1 and mode == "avg" else "")
    doc = _GLOBAL_DOC.format(kind="average" if mode == "avg" else "max",
                             what={1: "steps", 2: "height and width", 3: "depth, height and width"}[rank],
                             shape=shapes[rank], name=name, example_in=example_in, example_out="(2, 3)",
                             example_keep=example_keep, mask_note=mask_note)

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        BaseGlobalPooling.__init__(self, data_format, keepdims, **kwargs)
        if rank == 1 and mode == "avg":
            self.supports_masking = True   # as Keras: it uses the mask, and passes none on

    attrs = {"rank": rank, "mode": mode, "__doc__": doc, "__init__": __init__, "__module__": __name__}
    if mode == "max":
        # Keras' GlobalMaxPooling ignores masks; a `call` without `mask` says so to the base class.
        attrs["call"] = lambda self, inputs: BaseGlobalPooling.call(self, inputs)
    return type(name, (BaseGlobalPooling,), attrs)


GlobalAveragePooling1D = _global_class("GlobalAveragePooling1D", 1, "avg")
GlobalAveragePooling2D = _global_class("GlobalAveragePooling2D", 2, "avg")
GlobalAveragePooling3D = _global_class("GlobalAveragePooling3D", 3, "avg")
GlobalMaxPooling1D = _global_class("GlobalMaxPooling1D", 1, "max")
GlobalMaxPooling2D = _global_class("GlobalMaxPooling2D", 2, "max")
GlobalMaxPooling3D = _global_class("GlobalMaxPooling3D", 3, "max")
GlobalAvgPool1D, GlobalAvgPool2D, GlobalAvgPool3D = (GlobalAveragePooling1D, GlobalAveragePooling2D,
                                                     GlobalAveragePooling3D)
GlobalMaxPool1D, GlobalMaxPool2D, GlobalMaxPool3D = GlobalMaxPooling1D, GlobalMaxPooling2D, GlobalMaxPooling3D
