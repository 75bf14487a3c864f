"""Geometry shared by the convolution and pooling ops and layers: TensorFlow's "same" padding,
explicit spatial padding, and the output window of a transposed convolution.

The layers in `kerastorch/layers/conv/`, `pooling.py` and `reshaping.py` import these too, so an
op and its layer pad and crop the same way.
"""

import math

import torch.nn.functional as F


def same_padding(size, kernel, stride, dilation=1):
    """TensorFlow's "same" padding for one axis: (before, after), the odd pixel at the end."""
    k_eff = (kernel - 1) * dilation + 1
    out = math.ceil(size / stride)
    total = max((out - 1) * stride + k_eff - size, 0)
    return total // 2, total - total // 2


def pad_spatial(inputs, pads, value=0.0):
    """Pads the spatial axes of an (N, C, *spatial) tensor by `pads` [(before, after), ...]."""
    flat = []
    for before, after in reversed(pads):
        flat.extend((before, after))
    return F.pad(inputs, flat, value=value)


def transpose_output_length(size, kernel, stride, padding, output_padding=None, dilation=1):
    """Keras' (TensorFlow's) output length of a transposed convolution axis; `None` stays `None`.

    `"valid"`: `(n - 1) * s + k_eff + op`, where `op` defaults to `max(k_eff, s) - k_eff`.
    `"same"`: `n * s` by default, or `(n - 1) * s + k_eff % 2 + op` with an explicit `op`.
    """
    if size is None:
        return None
    k_eff = (kernel - 1) * dilation + 1
    if padding == "valid":
        op = max(k_eff, stride) - k_eff if output_padding is None else output_padding
        return (size - 1) * stride + k_eff + op
    if output_padding is None:
        return size * stride
    return (size - 1) * stride + k_eff % 2 + output_padding


def crop_transposed(full, spatial, kernel_size, strides, dilation_rate, padding, targets):
    """Cuts torch's full transposed convolution `full` (N, C, *spatial) to Keras' output window.

    `full` has length `(n - 1) * s + k_eff` on each axis. The window starts at the left padding of
    the forward "same" convolution from `target` to `n` (TensorFlow's rule, odd pixel at the end;
    0 for "valid"), and is zero-extended at the end where `target` reaches past `full`.
    """
    for axis, (n, k, s, d, target) in enumerate(zip(spatial, kernel_size, strides, dilation_rate,
                                                    targets)):
        dim = axis + 2
        k_eff = (k - 1) * d + 1
        before = max((n - 1) * s + k_eff - target, 0) // 2 if padding == "same" else 0
        keep = min(target, full.shape[dim] - before)
        full = full.narrow(dim, before, keep)
        if keep < target:
            full = F.pad(full, [0, 0] * (full.dim() - dim - 1) + [0, target - keep])
    return full
