"""Keras' `keras.ops.rearrange`: einops-style axis rearrangement on torch tensors.

A pattern `"input -> output"` names the axes on each side; parentheses group axes that share
one dimension: on the input side a group splits a dimension (`"(h w) c"`, with all but one of the
sizes given as keyword arguments), on the output side a group merges axes (`"b (h w c)"`). Every
input axis appears once in the output. The result is one reshape, one permute and one reshape.

Example:
>>> import torch
>>> from kerastorch import ops
>>> ops.rearrange(torch.zeros(2, 3, 4), "b h w -> b (h w)").shape
torch.Size([2, 12])
"""

import functools
import math
import re

from kerastorch.ops._utils import keras_op
from kerastorch.ops._utils import tensor as _to_tensor

__all__ = ["rearrange"]

_TOKEN = re.compile(r"\(|\)|[A-Za-z_][A-Za-z0-9_]*|\d+|\S")


def _syntax_error(pattern, why):
    return ValueError(f"ops.rearrange: invalid pattern {pattern!r}: {why}. Patterns look like "
                      "'b (h w) c -> b h w c'; axis names are identifiers, parentheses group axes.")


@functools.lru_cache(maxsize=256)
def _parse_side(pattern, side):
    """`side` of the pattern as a list of groups, each a tuple of axis names."""
    groups, current = [], None
    for token in _TOKEN.findall(side):
        if token == "(":
            if current is not None:
                raise _syntax_error(pattern, "parentheses cannot nest")
            current = []
        elif token == ")":
            if current is None:
                raise _syntax_error(pattern, "')' without a matching '('")
            groups.append(tuple(current))
            current = None
        elif token == "..." or token == ".":
            raise _syntax_error(pattern, "Keras' rearrange has no ellipsis; name every axis")
        elif token[0].isdigit() or token[0].isalpha() or token[0] == "_":
            if token[0].isdigit():
                raise _syntax_error(pattern, f"{token!r} is not an axis name (names start with a letter)")
            if current is None:
                groups.append((token,))
            else:
                current.append(token)
        else:
            raise _syntax_error(pattern, f"unexpected character {token!r}")
    if current is not None:
        raise _syntax_error(pattern, "'(' without a matching ')'")
    names = [n for g in groups for n in g]
    if len(set(names)) != len(names):
        raise _syntax_error(pattern, f"an axis name repeats on one side ({side.strip()!r})")
    return tuple(groups)


def _parse(pattern):
    if not isinstance(pattern, str) or pattern.count("->") != 1:
        raise _syntax_error(pattern, "expected exactly one '->'")
    left, right = pattern.split("->")
    inputs, outputs = _parse_side(pattern, left), _parse_side(pattern, right)
    in_names = [n for g in inputs for n in g]
    out_names = [n for g in outputs for n in g]
    if set(in_names) != set(out_names):
        missing = sorted(set(in_names) - set(out_names))
        extra = sorted(set(out_names) - set(in_names))
        why = (f"input axes {missing} do not appear in the output" if missing else
               f"output axes {extra} do not appear in the input")
        raise _syntax_error(pattern, why)
    return inputs, outputs, in_names, out_names


@keras_op
def rearrange(tensor, pattern, **axes_lengths):
    """Rearranges the axes of a tensor by an einops-style pattern (transpose, split, merge).

    Args:
        tensor: Input tensor.
        pattern: String `"input axes -> output axes"`, e.g. `"b h w c -> b c h w"` (a
            transpose), `"b (h w) -> b h w"` (a split, with `h=` or `w=` given) or
            `"b h w -> b (h w)"` (a merge).
        **axes_lengths: Sizes of the axes that a split on the input side cannot infer.

    Returns:
        The rearranged tensor.

    Example:
    >>> import torch
    >>> rearrange(torch.arange(6).reshape(2, 3), "a b -> b a")
    tensor([[0, 3],
            [1, 4],
            [2, 5]])
    >>> rearrange(torch.arange(6), "(a b) -> b a", a=2)
    tensor([[0, 3],
            [1, 4],
            [2, 5]])
    """
    x = _to_tensor(tensor)
    key = (pattern, tuple(x.shape), tuple(sorted(axes_lengths.items())))
    try:
        split_shape, order, out_shape = _plan(*key)
    except TypeError:                                  # unhashable sizes: plan without the cache
        split_shape, order, out_shape = _plan.__wrapped__(*key)
    if split_shape is not None:
        x = x.reshape(split_shape)
    if order is not None:
        x = x.permute(order)
    if out_shape is not None:
        x = x.reshape(out_shape)
    return x


@functools.lru_cache(maxsize=512)
def _plan(pattern, shape, lengths):
    """`(split shape, permutation, output shape)` for a pattern and an input shape (None: skip)."""
    axes_lengths = dict(lengths)
    inputs, outputs, in_names, out_names = _parse(pattern)
    if len(inputs) != len(shape):
        raise ValueError(f"ops.rearrange: the pattern {pattern!r} names {len(inputs)} input axes but "
                         f"the tensor has {len(shape)} (shape {shape}).")
    unknown = sorted(set(axes_lengths) - set(in_names))
    if unknown:
        raise ValueError(f"ops.rearrange: axes_lengths {unknown} are not axes of the input side of "
                         f"{pattern!r}.")
    sizes = {}
    for group, dim in zip(inputs, shape):
        known = [n for n in group if n in axes_lengths]
        free = [n for n in group if n not in axes_lengths]
        product = math.prod(int(axes_lengths[n]) for n in known)
        if len(free) > 1:
            raise ValueError(f"ops.rearrange: cannot infer the sizes of {free} in group "
                             f"({' '.join(group)}) of size {dim}; pass all but one of them, e.g. "
                             f"{free[0]}=...")
        if free:
            if product == 0 or dim % product:
                raise ValueError(f"ops.rearrange: the axis of size {dim} cannot be split into "
                                 f"({' '.join(group)}) with {dict((n, axes_lengths[n]) for n in known)}.")
            sizes[free[0]] = dim // product
        elif product != dim:
            raise ValueError(f"ops.rearrange: the group ({' '.join(group)}) has size {product} from "
                             f"axes_lengths but the axis has size {dim} (shape {shape}).")
        for n in known:
            sizes[n] = int(axes_lengths[n])
    split_shape = tuple(sizes[n] for n in in_names)
    order = tuple(in_names.index(n) for n in out_names)
    out_shape = tuple(math.prod(sizes[n] for n in group) for group in outputs)
    return (split_shape if split_shape != shape else None,
            order if order != tuple(range(len(order))) else None,
            out_shape if out_shape != tuple(sizes[n] for n in out_names) else None)
