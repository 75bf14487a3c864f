"""Keras' convolution ops: `conv`, `depthwise_conv`, `separable_conv`, `conv_transpose`.

Inputs are `(batch, *spatial, channels)` for `data_format="channels_last"` (the default, from
`kerastorch.config.image_data_format()`) or `(batch, channels, *spatial)`; 1, 2 or 3 spatial axes.
Kernels have Keras' layouts: `(*kernel_size, in_channels / groups, filters)` for `conv`,
`(*kernel_size, in_channels, multiplier)` for `depthwise_conv`, `(*kernel_size, filters,
in_channels)` for `conv_transpose`. `padding="same"` pads as TensorFlow does (output size
`ceil(n / stride)`, the odd pixel at the end), with the same helper the conv layers use.

Example:
>>> import torch
>>> from kerastorch import ops
>>> tuple(ops.conv(torch.ones(1, 5, 5, 2), torch.ones(3, 3, 2, 4), strides=2, padding="same").shape)
(1, 3, 3, 4)
"""

import torch.nn.functional as F

from kerastorch import config
from kerastorch.backend.dtypes import result_type, to_torch_dtype
from kerastorch.ops._utils import keras_op, tensor
from kerastorch.ops.nn._spatial import crop_transposed, pad_spatial, same_padding, transpose_output_length

__all__ = ["conv", "conv_transpose", "depthwise_conv", "separable_conv"]

_CONV = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}
_CONV_T = {1: F.conv_transpose1d, 2: F.conv_transpose2d, 3: F.conv_transpose3d}


def spatial_rank(name, x, what="inputs"):
    """The number of spatial axes of `x` (1, 2 or 3), or a `ValueError` naming op `name`."""
    rank = x.ndim - 2
    if rank not in (1, 2, 3):
        raise ValueError(
            f"ops.{name}: `{what}` must have rank 3, 4 or 5 (batch, 1 to 3 spatial axes, channels), "
            f"got shape {tuple(x.shape)}. Add the batch and channel axes, e.g. x[None, ..., None]."
        )
    return rank


def int_tuple(name, value, rank, arg, minimum=1):
    """`value` as a tuple of `rank` ints, each at least `minimum`; a `ValueError` otherwise."""
    items = (value,) * rank if isinstance(value, int) and not isinstance(value, bool) else value
    try:
        out = tuple(int(v) for v in items)
        ok = len(out) == rank and all(v >= minimum for v in out)
        ok = ok and not any(isinstance(v, bool) or int(v) != v for v in items)
    except (TypeError, ValueError):
        ok = False
    if not ok:
        raise ValueError(
            f"ops.{name}: `{arg}` must be an int or a tuple of {rank} ints, each >= {minimum}, got "
            f"{arg}={value!r}."
        )
    return out


def padding_mode(name, padding, allowed=("valid", "same")):
    """`padding` lower-cased and checked against `allowed`."""
    value = padding.lower() if isinstance(padding, str) else padding
    if value not in allowed:
        raise ValueError(
            f"ops.{name}: `padding` must be one of {', '.join(repr(a) for a in allowed)}, got "
            f"padding={padding!r}."
        )
    return value


def channels_first(x, data_format):
    """Views channels-last data as torch's (N, C, *spatial) without copying."""
    return x.movedim(-1, 1) if data_format == "channels_last" else x


def channels_last(x, data_format):
    return x.movedim(1, -1) if data_format == "channels_last" else x


def _same_dtype(x, kernels):
    """`x` and the kernels in one dtype (Keras' promotion) when they differ; torch needs that."""
    if all(k.dtype == x.dtype for k in kernels):
        return x, kernels
    dtype = to_torch_dtype(result_type(x.dtype, *(k.dtype for k in kernels)))
    return x.to(dtype), [k.to(dtype) for k in kernels]


def _convolve(name, x, weight, strides, padding, dilation, groups):
    """torch's convolution of channels-first `x` with torch-layout `weight`, Keras' padding."""
    rank = x.ndim - 2
    torch_padding = 0
    if padding == "same":
        pads = [same_padding(n, k, s, d) for n, k, s, d in
                zip(x.shape[2:], weight.shape[2:], strides, dilation)]
        if all(a == b for a, b in pads):
            torch_padding = tuple(a for a, _ in pads)
        else:
            x = pad_spatial(x, pads)
    return _CONV[rank](x, weight, None, strides, torch_padding, dilation, groups)


def _check_kernel(name, x, kernel, rank, what="kernel"):
    if kernel.ndim != rank + 2:
        raise ValueError(
            f"ops.{name}: `{what}` must have rank {rank + 2} ({rank} kernel axes, input channels, "
            f"output channels) for inputs of shape {tuple(x.shape)}, got {what} shape "
            f"{tuple(kernel.shape)}."
        )


@keras_op
def conv(inputs, kernel, strides=1, padding="valid", data_format=None, dilation_rate=1):
    """General N-D convolution (1D, 2D or 3D), with Keras' kernel layout and padding.

    The number of groups is `in_channels // kernel.shape[-2]`, as in Keras.

    Args:
        inputs: Tensor of rank 3, 4 or 5: `(batch, *spatial, channels)` for channels-last data,
            `(batch, channels, *spatial)` for channels-first.
        kernel: Tensor of shape `(*kernel_size, in_channels / groups, filters)`.
        strides: An int or a tuple of ints, one per spatial axis. Defaults to `1`.
        padding: `"valid"` (no padding) or `"same"` (output size `ceil(n / stride)`, TensorFlow's
            padding, the odd pixel at the end). Defaults to `"valid"`.
        data_format: `"channels_last"` or `"channels_first"`. Defaults to `None`, which means
            `kerastorch.config.image_data_format()`.
        dilation_rate: An int or a tuple of ints. Defaults to `1`.

    Returns:
        A tensor of rank `inputs.ndim`, with `filters` channels.

    Example:
    >>> import torch
    >>> conv(torch.ones(1, 4, 1), torch.ones(2, 1, 1))
    tensor([[[2.],
             [2.],
             [2.]]])
    """
    data_format = config.standardize_data_format(data_format)
    padding = padding_mode("conv", padding)
    x, kernel = tensor(inputs), tensor(kernel)
    rank = spatial_rank("conv", x)
    _check_kernel("conv", x, kernel, rank)
    strides = int_tuple("conv", strides, rank, "strides")
    dilation = int_tuple("conv", dilation_rate, rank, "dilation_rate")
    x, (kernel,) = _same_dtype(x, [kernel])
    shape = tuple(x.shape)
    x = channels_first(x, data_format)
    weight = kernel.permute(rank + 1, rank, *range(rank))      # Keras (*k, in, out) -> (out, in, *k)
    in_channels, kernel_in = x.shape[1], weight.shape[1]
    if kernel_in == 0 or in_channels % kernel_in or weight.shape[0] % (in_channels // kernel_in):
        raise ValueError(
            f"ops.conv: the inputs' {in_channels} channels must be a multiple of the kernel's input "
            f"channels (kernel.shape[-2] = {kernel_in}), and the kernel's filters "
            f"({weight.shape[0]}) a multiple of the groups; got inputs of shape {shape}, kernel of "
            f"shape {tuple(kernel.shape)}, data_format={data_format!r}."
        )
    out = _convolve("conv", x, weight, strides, padding, dilation, in_channels // kernel_in)
    return channels_last(out, data_format)


def _check_input_channels(name, x, kernel, data_format, kernel_axis):
    channels = x.shape[-1] if data_format == "channels_last" else x.shape[1]
    if channels != kernel.shape[kernel_axis]:
        raise ValueError(
            f"ops.{name}: the number of input channels must match the kernel's input channels, got "
            f"{channels} input channels (inputs of shape {tuple(x.shape)}, data_format="
            f"{data_format!r}) and kernel.shape[{kernel_axis}] = {kernel.shape[kernel_axis]} "
            f"(kernel of shape {tuple(kernel.shape)})."
        )


def _depthwise(name, x, kernel, strides, padding, data_format, dilation):
    rank = spatial_rank(name, x)
    _check_kernel(name, x, kernel, rank, "depthwise_kernel" if name == "separable_conv" else "kernel")
    _check_input_channels(name, x, kernel, data_format, -2)
    strides = int_tuple(name, strides, rank, "strides")
    dilation = int_tuple(name, dilation, rank, "dilation_rate")
    in_channels, multiplier = kernel.shape[-2], kernel.shape[-1]
    # Keras (*k, in, mult) -> torch (in * mult, 1, *k); output channel c * mult + m.
    weight = kernel.reshape(*kernel.shape[:-2], 1, in_channels * multiplier)
    weight = weight.permute(rank + 1, rank, *range(rank))
    out = _convolve(name, channels_first(x, data_format), weight, strides, padding, dilation,
                    in_channels)
    return out, dilation


@keras_op
def depthwise_conv(inputs, kernel, strides=1, padding="valid", data_format=None, dilation_rate=1):
    """Depthwise convolution: each input channel is convolved with its own `multiplier` filters.

    Args:
        inputs: Tensor of rank 3, 4 or 5, channels-last or channels-first.
        kernel: Tensor of shape `(*kernel_size, in_channels, multiplier)`.
        strides: An int or a tuple of ints. Defaults to `1`.
        padding: `"valid"` or `"same"` (TensorFlow's padding). Defaults to `"valid"`.
        data_format: `"channels_last"` or `"channels_first"`. Defaults to `None`, which means
            `kerastorch.config.image_data_format()`.
        dilation_rate: An int or a tuple of ints. Defaults to `1`.

    Returns:
        A tensor with `in_channels * multiplier` channels (channel `c * multiplier + m`).

    Example:
    >>> import torch
    >>> tuple(depthwise_conv(torch.ones(1, 5, 5, 3), torch.ones(3, 3, 3, 2)).shape)
    (1, 3, 3, 6)
    """
    data_format = config.standardize_data_format(data_format)
    padding = padding_mode("depthwise_conv", padding)
    x, kernel = tensor(inputs), tensor(kernel)
    x, (kernel,) = _same_dtype(x, [kernel])
    out, _ = _depthwise("depthwise_conv", x, kernel, strides, padding, data_format, dilation_rate)
    return channels_last(out, data_format)


@keras_op
def separable_conv(inputs, depthwise_kernel, pointwise_kernel, strides=1, padding="valid",
                   data_format=None, dilation_rate=1):
    """Separable convolution: a depthwise convolution followed by a pointwise (1x1) one.

    Args:
        inputs: Tensor of rank 3, 4 or 5, channels-last or channels-first.
        depthwise_kernel: Tensor of shape `(*kernel_size, in_channels, multiplier)`.
        pointwise_kernel: Tensor of shape `(*(1,) * rank, in_channels * multiplier, filters)`.
        strides: An int or a tuple of ints, for the depthwise step. Defaults to `1`.
        padding: `"valid"` or `"same"` (TensorFlow's padding), for the depthwise step.
            Defaults to `"valid"`.
        data_format: `"channels_last"` or `"channels_first"`. Defaults to `None`, which means
            `kerastorch.config.image_data_format()`.
        dilation_rate: An int or a tuple of ints. Defaults to `1`.

    Returns:
        A tensor with `filters` channels.

    Example:
    >>> import torch
    >>> tuple(separable_conv(torch.ones(1, 5, 5, 3), torch.ones(3, 3, 3, 2),
    ...                      torch.ones(1, 1, 6, 4)).shape)
    (1, 3, 3, 4)
    """
    data_format = config.standardize_data_format(data_format)
    padding = padding_mode("separable_conv", padding)
    x, depthwise, pointwise = tensor(inputs), tensor(depthwise_kernel), tensor(pointwise_kernel)
    x, (depthwise, pointwise) = _same_dtype(x, [depthwise, pointwise])
    out, dilation = _depthwise("separable_conv", x, depthwise, strides, padding, data_format,
                               dilation_rate)
    rank = x.ndim - 2
    if pointwise.ndim != rank + 2 or pointwise.shape[-2] != out.shape[1]:
        raise ValueError(
            f"ops.separable_conv: `pointwise_kernel` must have shape ({'1, ' * rank}"
            f"{out.shape[1]}, filters) (in_channels * multiplier = {out.shape[1]}), got "
            f"{tuple(pointwise.shape)}."
        )
    weight = pointwise.permute(rank + 1, rank, *range(rank))
    out = _CONV[rank](out, weight, None, 1, 0, dilation, 1)
    return channels_last(out, data_format)


@keras_op
def conv_transpose(inputs, kernel, strides=1, padding="valid", output_padding=None,
                   data_format=None, dilation_rate=1):
    """Transposed convolution (the gradient of `conv`), with Keras' output shape.

    The output length of each spatial axis is, with `k_eff = (k - 1) * dilation + 1`:
    `"valid"`: `(n - 1) * s + k_eff + op`, `op` defaulting to `max(k_eff, s) - k_eff`;
    `"same"`: `n * s`, or `(n - 1) * s + k_eff % 2 + op` with an explicit `output_padding`.

    Args:
        inputs: Tensor of rank 3, 4 or 5, channels-last or channels-first.
        kernel: Tensor of shape `(*kernel_size, filters, in_channels)`.
        strides: An int or a tuple of ints. Defaults to `1`.
        padding: `"valid"` or `"same"`. Defaults to `"valid"`.
        output_padding: `None`, an int or a tuple of ints: extra length added at the end of each
            spatial axis. Defaults to `None` (as above).
        data_format: `"channels_last"` or `"channels_first"`. Defaults to `None`, which means
            `kerastorch.config.image_data_format()`.
        dilation_rate: An int or a tuple of ints. Defaults to `1`.

    Returns:
        A tensor with `filters` channels.

    Example:
    >>> import torch
    >>> tuple(conv_transpose(torch.ones(1, 4, 4, 3), torch.ones(3, 3, 8, 3), strides=2,
    ...                      padding="same").shape)
    (1, 8, 8, 8)
    """
    data_format = config.standardize_data_format(data_format)
    padding = padding_mode("conv_transpose", padding)
    x, kernel = tensor(inputs), tensor(kernel)
    rank = spatial_rank("conv_transpose", x)
    _check_kernel("conv_transpose", x, kernel, rank)
    _check_input_channels("conv_transpose", x, kernel, data_format, -1)
    strides = int_tuple("conv_transpose", strides, rank, "strides")
    dilation = int_tuple("conv_transpose", dilation_rate, rank, "dilation_rate")
    extra = ((None,) * rank if output_padding is None
             else int_tuple("conv_transpose", output_padding, rank, "output_padding", minimum=0))
    x, (kernel,) = _same_dtype(x, [kernel])
    x = channels_first(x, data_format)
    spatial = tuple(x.shape[2:])
    kernel_size = tuple(kernel.shape[:rank])
    targets = [transpose_output_length(n, k, s, padding, op, d)
               for n, k, s, op, d in zip(spatial, kernel_size, strides, extra, dilation)]
    weight = kernel.permute(rank + 1, rank, *range(rank))      # (*k, out, in) -> (in, out, *k)
    full = _CONV_T[rank](x, weight, None, strides, 0, 0, 1, dilation)
    out = crop_transposed(full, spatial, kernel_size, strides, dilation, padding, targets)
    return channels_last(out, data_format)
