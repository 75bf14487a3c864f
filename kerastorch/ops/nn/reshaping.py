"""Keras' block-rearranging ops: `unfold`, `fold`, `depth_to_space`, `space_to_depth`.

`unfold`/`fold` work on channels-first images `(N, C, H, W)` as torch's `F.unfold`/`F.fold`
(Keras' own convention); `depth_to_space`/`space_to_depth` follow TensorFlow's block order in both
data formats.

Example:
>>> import torch
>>> from kerastorch import ops
>>> tuple(ops.unfold(torch.zeros(1, 2, 4, 4), 2).shape)
(1, 8, 9)
"""

import torch.nn.functional as F

from kerastorch import config
from kerastorch.ops._utils import keras_op, tensor

__all__ = ["depth_to_space", "fold", "space_to_depth", "unfold"]


def _check_ndim(name, x, ndim, layout):
    if x.ndim != ndim:
        raise ValueError(f"ops.{name}: the input must be a {ndim}D tensor {layout}, got shape "
                         f"{tuple(x.shape)}.")


@keras_op
def unfold(x, kernel_size, dilation=1, padding=0, stride=1):
    """Extracts sliding local blocks from a batch of channels-first images (torch's `unfold`).

    Args:
        x: Tensor of shape `(N, C, H, W)`.
        kernel_size: An int or a pair of ints, the block size.
        dilation: An int or a pair of ints. Defaults to `1`.
        padding: An int or a pair of ints, zero padding on both sides. Defaults to `0`.
        stride: An int or a pair of ints. Defaults to `1`.

    Returns:
        A tensor of shape `(N, C * kh * kw, L)`, `L` the number of blocks.

    Example:
    >>> import torch
    >>> unfold(torch.arange(4.0).reshape(1, 1, 2, 2), 1)
    tensor([[[0., 1., 2., 3.]]])
    """
    x = tensor(x)
    _check_ndim("unfold", x, 4, "(N, C, H, W)")
    return F.unfold(x, kernel_size, dilation=dilation, padding=padding, stride=stride)


@keras_op
def fold(x, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """Combines sliding local blocks into a batch of channels-first images (torch's `fold`),
    summing overlapping values; the inverse layout of `unfold`.

    Args:
        x: Tensor of shape `(N, C * kh * kw, L)`.
        output_size: An int or a pair of ints, the image size `(H, W)`.
        kernel_size: An int or a pair of ints, the block size.
        dilation: An int or a pair of ints. Defaults to `1`.
        padding: An int or a pair of ints. Defaults to `0`.
        stride: An int or a pair of ints. Defaults to `1`.

    Returns:
        A tensor of shape `(N, C, H, W)`.

    Example:
    >>> import torch
    >>> fold(torch.arange(4.0).reshape(1, 1, 4), 2, 1)
    tensor([[[[0., 1.],
              [2., 3.]]]])
    """
    x = tensor(x)
    _check_ndim("fold", x, 3, "(N, C * kh * kw, L)")
    return F.fold(x, output_size, kernel_size, dilation=dilation, padding=padding, stride=stride)


def _block(name, x, block_size, data_format):
    data_format = config.standardize_data_format(data_format)
    if isinstance(block_size, bool) or not isinstance(block_size, int) or block_size < 2:
        raise ValueError(f"ops.{name}: `block_size` must be an int of at least 2, got "
                         f"block_size={block_size!r}.")
    x = tensor(x)
    _check_ndim(name, x, 4, "(N, H, W, C)" if data_format == "channels_last" else "(N, C, H, W)")
    return x, data_format


@keras_op
def depth_to_space(x, block_size, data_format="channels_last"):
    """Moves blocks of channels into `block_size x block_size` spatial blocks (TensorFlow's order).

    Args:
        x: Tensor of shape `(N, H, W, C)` (channels-last) or `(N, C, H, W)`; `C` must be a
            multiple of `block_size ** 2`.
        block_size: An int, at least 2.
        data_format: `"channels_last"` or `"channels_first"`; `None` means
            `kerastorch.config.image_data_format()`. Defaults to `"channels_last"`.

    Returns:
        A tensor of shape `(N, H * b, W * b, C / b**2)` (or its channels-first form).

    Example:
    >>> import torch
    >>> depth_to_space(torch.arange(4.0).reshape(1, 1, 1, 4), 2)[0, :, :, 0]
    tensor([[0., 1.],
            [2., 3.]])
    """
    x, data_format = _block("depth_to_space", x, block_size, data_format)
    b = block_size
    if data_format == "channels_last":
        n, h, w, c = x.shape
        _check_divisible("depth_to_space", x, c, b * b, "channels")
        out = x.reshape(n, h, w, b, b, c // (b * b)).permute(0, 1, 3, 2, 4, 5)
        return out.reshape(n, h * b, w * b, c // (b * b))
    n, c, h, w = x.shape
    _check_divisible("depth_to_space", x, c, b * b, "channels")
    out = x.reshape(n, c // (b * b), b, b, h, w).permute(0, 1, 4, 2, 5, 3)
    return out.reshape(n, c // (b * b), h * b, w * b)


def _check_divisible(name, x, size, block, what):
    if size % block:
        raise ValueError(f"ops.{name}: the number of {what} ({size}) must be a multiple of {block}, "
                         f"got an input of shape {tuple(x.shape)}.")


@keras_op
def space_to_depth(x, block_size, data_format="channels_last"):
    """Moves `block_size x block_size` spatial blocks into channels (TensorFlow's order).

    Args:
        x: Tensor of shape `(N, H, W, C)` (channels-last) or `(N, C, H, W)`; `H` and `W` must be
            multiples of `block_size`.
        block_size: An int, at least 2.
        data_format: `"channels_last"` or `"channels_first"`; `None` means
            `kerastorch.config.image_data_format()`. Defaults to `"channels_last"`.

    Returns:
        A tensor of shape `(N, H / b, W / b, C * b**2)` (or its channels-first form).

    Example:
    >>> import torch
    >>> space_to_depth(torch.arange(4.0).reshape(1, 2, 2, 1), 2)
    tensor([[[[0., 1., 2., 3.]]]])
    """
    x, data_format = _block("space_to_depth", x, block_size, data_format)
    b = block_size
    if data_format == "channels_last":
        n, h, w, c = x.shape
        _check_divisible("space_to_depth", x, h, b, "rows")
        _check_divisible("space_to_depth", x, w, b, "columns")
        out = x.reshape(n, h // b, b, w // b, b, c).permute(0, 1, 3, 2, 4, 5)
        return out.reshape(n, h // b, w // b, c * b * b)
    n, c, h, w = x.shape
    _check_divisible("space_to_depth", x, h, b, "rows")
    _check_divisible("space_to_depth", x, w, b, "columns")
    out = x.reshape(n, c, h // b, b, w // b, b).permute(0, 1, 3, 5, 2, 4)
    return out.reshape(n, c * b * b, h // b, w // b)
