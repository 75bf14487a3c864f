"""Keras' `pad`, with NumPy's padding modes, on torch.

`"constant"` is one call of torch's `pad`; the mirroring and wrapping modes gather each padded axis
with an index vector built on the tensor's device (any rank, any dtype, any pad width, and the
gradient flows back through the gather); the statistic modes concatenate the statistic.

Where Keras' torch backend departs from the behaviour Keras documents (NumPy's), this follows NumPy:
one `(before, after)` pair (or an int) pads every axis (Keras' torch backend pads only the last
axis, though its own shape inference pads them all), `mode="symmetric"` mirrors the edge values in (Keras' torch backend repeats the edge value, as
`"edge"` does), and `"edge"`, `"wrap"`, `"maximum"`, `"minimum"`, `"mean"`, `"median"`,
`"linear_ramp"` and `"empty"` work (Keras' torch backend refuses them).

Example:
>>> from kerastorch import ops
>>> ops.pad([1, 2, 3], 1, mode="reflect")
tensor([2, 1, 2, 3, 2], dtype=torch.int32)
"""

import builtins

import numpy as np
import torch

from kerastorch.ops._utils import keras_op
from kerastorch.ops.numpy.manipulation import _int_tuple, _shape_text, _t

__all__ = ["pad"]


_PAD_MODES = ("constant", "edge", "linear_ramp", "maximum", "mean", "median", "minimum", "reflect",
              "symmetric", "wrap", "empty", "circular")


def _pad_widths(pad_width, ndim):
    """`pad_width` as one `(before, after)` pair of ints per axis, as NumPy reads it."""
    if type(pad_width) in (tuple, list) and len(pad_width) == ndim and ndim:
        # the common case: one (before, after) pair of non-negative ints per axis
        for pair in pad_width:
            if (type(pair) not in (tuple, list) or len(pair) != 2 or type(pair[0]) is not int
                    or type(pair[1]) is not int or pair[0] < 0 or pair[1] < 0):
                break
        else:
            return pad_width
    if isinstance(pad_width, (torch.Tensor, np.ndarray)):
        pad_width = np.asarray(pad_width.tolist() if isinstance(pad_width, torch.Tensor) else pad_width).tolist()
    if isinstance(pad_width, (int, np.integer)):
        pairs = [(int(pad_width), int(pad_width))]
    elif isinstance(pad_width, (list, tuple)) and pad_width and all(isinstance(p, (int, np.integer)) for p in pad_width):
        if len(pad_width) > 2:
            raise ValueError(f"ops.pad: `pad_width` {tuple(pad_width)} has {len(pad_width)} ints; give an int, "
                             "(before, after), or one (before, after) pair per axis.")
        pairs = [(int(pad_width[0]), int(pad_width[-1]))]
    elif isinstance(pad_width, (list, tuple)) and pad_width:
        pairs = []
        for p in pad_width:
            p = _int_tuple(p, "pad", "pad_width")
            if len(p) not in (1, 2):
                raise ValueError(f"ops.pad: each entry of `pad_width` must be (pad,) or (before, after), "
                                 f"got {p} in pad_width={pad_width!r}.")
            pairs.append((p[0], p[-1]))
    else:
        raise TypeError(f"ops.pad: `pad_width` must be an int or (before, after) pairs, got {pad_width!r}.")
    if len(pairs) == 1:
        pairs = pairs * ndim
    if len(pairs) != ndim:
        raise ValueError(f"ops.pad: `pad_width` must have one (before, after) pair per axis of the input "
                         f"(rank {ndim}), or a single pair for all of them; got {len(pairs)} pairs: "
                         f"pad_width={pad_width!r}.")
    if builtins.any(b < 0 or a < 0 for b, a in pairs):
        raise ValueError(f"ops.pad: pad widths must be non-negative, got pad_width={pad_width!r}.")
    return pairs


def _pad_index(mode, n, before, after, device):
    """Indices into an axis of length `n` that pad it by `before`/`after` in `mode`."""
    i = torch.arange(-before, n + after, device=device)
    if mode == "edge":
        return i.clamp(0, n - 1)
    if mode in ("wrap", "circular"):
        return i.remainder(n)
    if mode == "reflect":
        if n == 1:
            return torch.zeros_like(i)
        period = 2 * n - 2
        j = i.remainder(period)
        return torch.where(j < n, j, period - j)
    j = i.remainder(2 * n)                          # symmetric: the edge value is repeated
    return torch.where(j < n, j, 2 * n - 1 - j)


def _round_to(values, dtype, rounding=torch.round):
    """`values` in `dtype`, rounded first for integer dtypes (NumPy's pad rounds statistics to the
    nearest integer and floors ramps, as its integer `linspace` does)."""
    if not (dtype.is_floating_point or dtype.is_complex or dtype == torch.bool):
        values = rounding(values)
    return values.to(dtype)


def _pad_axis_stat(x, axis, before, after, mode):
    """Pads one axis with a statistic of the whole axis, or with a linear ramp down to 0."""
    trailing = (1,) * (x.ndim - axis - 1)
    if mode == "linear_ramp":
        def ramp(edge, width, reverse):
            # NumPy's linspace(0, edge, width, endpoint=False): i * (edge / width), i = 0 .. width-1
            steps = torch.arange(width, device=x.device, dtype=torch.float64)
            steps = steps.flip(0) if reverse else steps
            return _round_to(steps.reshape((-1,) + trailing) * (edge.double() / width), x.dtype, torch.floor)
        parts = [ramp(x.narrow(axis, 0, 1), before, False)] if before else []
        parts.append(x)
        if after:
            parts.append(ramp(x.narrow(axis, x.shape[axis] - 1, 1), after, True))
        return torch.cat(parts, dim=axis)
    if mode == "maximum":
        stat = torch.amax(x, dim=axis, keepdim=True)
    elif mode == "minimum":
        stat = torch.amin(x, dim=axis, keepdim=True)
    else:
        wide = x if x.dtype == torch.float64 else x.double()
        if mode == "median":
            stat = torch.quantile(wide, 0.5, dim=axis, keepdim=True)
        else:
            stat = wide.mean(dim=axis, keepdim=True)
        stat = _round_to(stat, x.dtype)
    shape = list(x.shape)
    pieces = []
    if before:
        shape[axis] = before
        pieces.append(stat.expand(shape))
    pieces.append(x)
    if after:
        shape[axis] = after
        pieces.append(stat.expand(shape))
    return torch.cat(pieces, dim=axis)


@keras_op
def pad(x, pad_width, mode="constant", constant_values=None):
    """Pads a tensor.

    Args:
        x: Tensor to pad.
        pad_width: Number of values padded at the edges of each axis:
            `((before_1, after_1), ..., (before_N, after_N))` per axis, `((before, after),)` or
            `(before, after)` for every axis, `(pad,)` or an int for `before = after = pad`.
        mode: One of `"constant"`, `"edge"`, `"linear_ramp"`, `"maximum"`, `"mean"`,
            `"median"`, `"minimum"`, `"reflect"`, `"symmetric"`, `"wrap"`, `"empty"`,
            `"circular"` (NumPy's meanings; `"circular"` is `"wrap"`, `"empty"` pads with zeros).
            Defaults to `"constant"`.
        constant_values: The value to pad with when `mode="constant"`. Defaults to `None` (0);
            giving it with another mode raises a `ValueError`.

    Returns:
        The padded tensor.

    Example:
    >>> pad([1, 2], (1, 2))
    tensor([0, 1, 2, 0, 0], dtype=torch.int32)
    >>> pad([1, 2, 3], 2, mode="symmetric")
    tensor([2, 1, 1, 2, 3, 3, 2], dtype=torch.int32)
    """
    if mode not in _PAD_MODES:
        raise ValueError(f"ops.pad: unknown mode={mode!r}; expected one of {', '.join(_PAD_MODES)}.")
    if constant_values is not None and mode != "constant":
        raise ValueError(f"ops.pad: `constant_values` can only be given with mode='constant', got "
                         f"mode={mode!r} and constant_values={constant_values!r}.")
    x = _t(x)
    pairs = _pad_widths(pad_width, x.ndim)
    if mode in ("constant", "empty"):
        value = 0 if constant_values is None else constant_values
        if isinstance(value, (torch.Tensor, np.ndarray)):
            if np.ndim(value) != 0:
                raise ValueError(f"ops.pad: `constant_values` must be a scalar, got an array of shape "
                                 f"{tuple(np.shape(value))}.")
            value = value.item()
        elif not isinstance(value, (bool, int, float)):
            raise TypeError(f"ops.pad: `constant_values` must be a scalar, got {value!r}.")
        flat = [w for pair in reversed(pairs) for w in pair]        # torch lists the last axis first
        while flat and flat[-1] == 0 and flat[-2] == 0:
            del flat[-2:]
        if not flat:
            return x.clone()
        return torch.nn.functional.pad(x, flat, mode="constant", value=value)
    for axis, (before, after) in enumerate(pairs):
        if not before and not after:
            continue
        n = x.shape[axis]
        if n == 0:
            raise ValueError(f"ops.pad: cannot pad axis {axis} of an input of shape {_shape_text(x.shape)} "
                             f"with mode={mode!r}: the axis is empty. Use mode='constant'.")
        if mode in ("maximum", "minimum", "mean", "median", "linear_ramp"):
            x = _pad_axis_stat(x, axis, before, after, mode)
        else:
            x = torch.index_select(x, axis, _pad_index(mode, n, before, after, x.device))
    return x
