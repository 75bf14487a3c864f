"""Keras' pooling ops: `max_pool`, `average_pool`, `adaptive_max_pool`, `adaptive_average_pool`.

Inputs are `(batch, *spatial, channels)` (channels-last, the default from
`kerastorch.config.image_data_format()`) or `(batch, channels, *spatial)`, with 1 to 3 spatial axes.

`padding="same"` pads as TensorFlow does: output size `ceil(n / stride)`, the odd padding pixel
at the end; max pooling never picks a padded pixel, and average pooling averages the real pixels
of each window only. Where that padding is asymmetric, Keras 3.15.1's torch backend
replicate-pads for `average_pool` instead (measured: `average_pool` of `[0, 1, 2, 3]` with
`pool_size=4, strides=1, padding="same"` gives `[0.75, 1.5, 2.25, 2.75]` there and
`[1, 1.5, 2, 2.5]` here, in TensorFlow and in JAX); upstream fixed it after 3.15.1
(keras-team/keras PR #23233). kerastorch keeps the fixed result, as its pooling layers do.

Example:
>>> import torch
>>> from kerastorch import ops
>>> ops.max_pool(torch.tensor([[[1.0], [3.0], [2.0], [5.0]]]), 2)
tensor([[[3.],
         [5.]]])
"""

import torch
import torch.nn.functional as F

from kerastorch import config
from kerastorch.ops._utils import keras_op, tensor
from kerastorch.ops.nn._max_pool_kernel import max_pool as _max_pool
from kerastorch.ops.nn._spatial import pad_spatial, same_padding
from kerastorch.ops.nn.convolution import channels_first, channels_last, int_tuple, padding_mode, spatial_rank

__all__ = ["adaptive_average_pool", "adaptive_max_pool", "average_pool", "max_pool"]

_AVG = {1: F.avg_pool1d, 2: F.avg_pool2d, 3: F.avg_pool3d}
_ADAPTIVE_MAX = {1: F.adaptive_max_pool1d, 2: F.adaptive_max_pool2d, 3: F.adaptive_max_pool3d}
_ADAPTIVE_AVG = {1: F.adaptive_avg_pool1d, 2: F.adaptive_avg_pool2d, 3: F.adaptive_avg_pool3d}


def _window(name, inputs, pool_size, strides, padding, data_format):
    data_format = config.standardize_data_format(data_format)
    padding = padding_mode(name, padding)
    x = tensor(inputs)
    rank = spatial_rank(name, x)
    pool_size = int_tuple(name, pool_size, rank, "pool_size")
    strides = pool_size if strides is None else int_tuple(name, strides, rank, "strides")
    shape = tuple(x.shape)
    x = channels_first(x, data_format)
    pads = None
    if padding == "same":
        pads = [same_padding(n, k, s) for n, k, s in zip(x.shape[2:], pool_size, strides)]
    else:
        for n, k in zip(x.shape[2:], pool_size):
            if n < k:
                raise ValueError(
                    f"ops.{name}: with padding='valid' every spatial axis must be at least as long as "
                    f"pool_size={pool_size}, got inputs of shape {shape} "
                    f"(data_format={data_format!r}). Use padding='same' or a smaller pool_size."
                )
    return x, rank, pool_size, strides, pads, data_format


@keras_op
def max_pool(inputs, pool_size, strides=None, padding="valid", data_format=None):
    """Max pooling over windows of `pool_size`.

    Args:
        inputs: Tensor of rank 3, 4 or 5: `(batch, *spatial, channels)` for channels-last data,
            `(batch, channels, *spatial)` for channels-first.
        pool_size: An int or a tuple of ints, the window size per spatial axis.
        strides: An int or a tuple of ints. Defaults to `None`, which means `pool_size`.
        padding: `"valid"` or `"same"` (TensorFlow's padding; a padded pixel is never the
            maximum). Defaults to `"valid"`.
        data_format: `"channels_last"` or `"channels_first"`. Defaults to `None`, which means
            `kerastorch.config.image_data_format()`.

    Returns:
        The pooled tensor, of the same rank and dtype as `inputs`.

    Example:
    >>> import torch
    >>> max_pool(torch.tensor([[[1.0], [3.0], [2.0]]]), 2, strides=1)
    tensor([[[3.],
             [3.]]])
    """
    x, rank, pool_size, strides, pads, data_format = _window("max_pool", inputs, pool_size, strides,
                                                             padding, data_format)
    torch_padding = 0
    if pads is not None:
        if all(a == b for a, b in pads):
            torch_padding = tuple(a for a, _ in pads)
        else:
            x = pad_spatial(x, pads, value=float("-inf"))
    return channels_last(_max_pool(x, pool_size, strides, torch_padding), data_format)


@keras_op
def average_pool(inputs, pool_size, strides=None, padding="valid", data_format=None):
    """Average pooling over windows of `pool_size`.

    With `padding="same"`, each window averages its real pixels only (TensorFlow's rule; see the
    module notes for where Keras 3.15.1's torch backend differs).

    Args:
        inputs: Float tensor of rank 3, 4 or 5: `(batch, *spatial, channels)` for channels-last
            data, `(batch, channels, *spatial)` for channels-first.
        pool_size: An int or a tuple of ints, the window size per spatial axis.
        strides: An int or a tuple of ints. Defaults to `None`, which means `pool_size`.
        padding: `"valid"` or `"same"`. Defaults to `"valid"`.
        data_format: `"channels_last"` or `"channels_first"`. Defaults to `None`, which means
            `kerastorch.config.image_data_format()`.

    Returns:
        The pooled tensor, of the same rank and dtype as `inputs`.

    Example:
    >>> import torch
    >>> average_pool(torch.tensor([[[0.0], [1.0], [2.0], [3.0]]]), 4, strides=1, padding="same")
    tensor([[[1.0000],
             [1.5000],
             [2.0000],
             [2.5000]]])
    """
    x, rank, pool_size, strides, pads, data_format = _window("average_pool", inputs, pool_size,
                                                             strides, padding, data_format)
    if pads is None or all(a == b for a, b in pads):
        torch_padding = 0 if pads is None else tuple(a for a, _ in pads)
        out = _AVG[rank](x, pool_size, strides, torch_padding, count_include_pad=False)
    else:
        # Asymmetric: the sum over the real pixels of each window, divided by their count.
        summed = _AVG[rank](pad_spatial(x, pads), pool_size, strides)
        ones = torch.ones((1, 1, *x.shape[2:]), dtype=x.dtype, device=x.device)
        out = summed / _AVG[rank](pad_spatial(ones, pads), pool_size, strides)
    return channels_last(out, data_format)


def _adaptive(name, table, inputs, output_size, data_format):
    data_format = config.standardize_data_format(data_format)
    x = tensor(inputs)
    rank = spatial_rank(name, x)
    size = int_tuple(name, output_size, rank, "output_size")
    out = table[rank](channels_first(x, data_format), size if rank > 1 else size[0])
    if isinstance(out, tuple):          # adaptive max pooling can return (values, indices)
        out = out[0]
    return channels_last(out, data_format)


@keras_op
def adaptive_max_pool(inputs, output_size, data_format=None):
    """Adaptive max pooling: windows chosen so that the output has `output_size` per spatial axis.

    Window `i` of an axis of length `n` covers `[floor(i * n / out), ceil((i + 1) * n / out))`.

    Args:
        inputs: Tensor of rank 3, 4 or 5, channels-last or channels-first.
        output_size: An int or a tuple of ints, the output length of each spatial axis.
        data_format: `"channels_last"` or `"channels_first"`. Defaults to `None`, which means
            `kerastorch.config.image_data_format()`.

    Returns:
        The pooled tensor.

    Example:
    >>> import torch
    >>> adaptive_max_pool(torch.tensor([[[1.0], [3.0], [2.0], [5.0], [4.0]]]), 2)
    tensor([[[3.],
             [5.]]])
    """
    return _adaptive("adaptive_max_pool", _ADAPTIVE_MAX, inputs, output_size, data_format)


@keras_op
def adaptive_average_pool(inputs, output_size, data_format=None):
    """Adaptive average pooling: windows chosen so that the output has `output_size` per axis.

    Window `i` of an axis of length `n` covers `[floor(i * n / out), ceil((i + 1) * n / out))`.

    Args:
        inputs: Float tensor of rank 3, 4 or 5, channels-last or channels-first.
        output_size: An int or a tuple of ints, the output length of each spatial axis.
        data_format: `"channels_last"` or `"channels_first"`. Defaults to `None`, which means
            `kerastorch.config.image_data_format()`.

    Returns:
        The pooled tensor.

    Example:
    >>> import torch
    >>> adaptive_average_pool(torch.tensor([[[1.0], [3.0], [2.0], [6.0]]]), 2)
    tensor([[[2.],
             [4.]]])
    """
    return _adaptive("adaptive_average_pool", _ADAPTIVE_AVG, inputs, output_size, data_format)
