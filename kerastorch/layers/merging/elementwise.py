"""The elementwise merges: `Add`, `Subtract`, `Multiply`, `Average`, `Maximum`, `Minimum`, and their function forms."""

import torch

from kerastorch import ops
from kerastorch.layers.merging.base import Merge, _spread


def _sum(inputs):
    out = inputs[0]
    for x in inputs[1:]:
        out = ops.add(out, x)
    return out


def _masked_extremum(layer, op, inputs, masks):
    """Maximum/Minimum where a masked step of an input takes the other inputs' value, as in Keras."""
    out = out_mask = None
    for x, m in zip(inputs, masks):
        if m is not None:
            m = _spread(layer, m, x)
        if out is None:
            out, out_mask = x, m
            continue
        if m is not None:
            x = torch.where(m, x, out)
        if out_mask is not None:
            out = torch.where(out_mask, out, x)
        out_mask = torch.logical_or(out_mask, m) if (m is not None and out_mask is not None) else None
        out = op(out, x)
    return out


class Add(Merge):
    """Adds a list of inputs elementwise.

    Takes a list of tensors of one shape (or shapes that broadcast, see the module notes) and
    returns their sum.

    Args:
        **kwargs: Standard layer keyword arguments (`name`, `dtype`, `trainable`).

    Input shape: a list of `(batch_size, ...)` shapes. Output shape: their broadcast shape.

    Example:
    >>> import torch
    >>> from kerastorch import layers
    >>> layers.Add()([torch.tensor([[1.0, 2.0]]), torch.tensor([[10.0, 20.0]])]).tolist()
    [[11.0, 22.0]]
    """

    def _merge(self, inputs, masks):
        return _sum(inputs)


class Subtract(Merge):
    """Subtracts two inputs elementwise: `inputs[0] - inputs[1]`.

    Args:
        **kwargs: Standard layer keyword arguments (`name`, `dtype`, `trainable`).

    Input shape: a list of exactly 2 `(batch_size, ...)` shapes. Output shape: their broadcast shape.

    Example:
    >>> import torch
    >>> from kerastorch import layers
    >>> layers.Subtract()([torch.tensor([[5.0, 7.0]]), torch.tensor([[1.0, 2.0]])]).tolist()
    [[4.0, 5.0]]
    """

    _inputs_needed = 2

    def _merge(self, inputs, masks):
        return ops.subtract(inputs[0], inputs[1])


class Multiply(Merge):
    """Multiplies a list of inputs elementwise.

    Masked steps of an input count as 1; steps masked in every input are 0 in the output.

    Args:
        **kwargs: Standard layer keyword arguments (`name`, `dtype`, `trainable`).

    Input shape: a list of `(batch_size, ...)` shapes. Output shape: their broadcast shape.

    Example:
    >>> import torch
    >>> from kerastorch import layers
    >>> layers.Multiply()([torch.tensor([[2.0, 3.0]]), torch.tensor([[4.0, 5.0]])]).tolist()
    [[8.0, 15.0]]
    """

    def _merge(self, inputs, masks):
        every = all(m is not None for m in masks)
        out = out_mask = None
        for x, m in zip(inputs, masks):
            if m is not None:
                m = _spread(self, m, x)
                x = torch.where(m, x, torch.ones((), dtype=x.dtype, device=x.device))
                if every:
                    out_mask = m if out_mask is None else torch.logical_or(out_mask, m)
            out = x if out is None else ops.multiply(out, x)
        if every:
            out = torch.where(out_mask, out, torch.zeros((), dtype=out.dtype, device=out.device))
        return out


class Average(Merge):
    """Averages a list of inputs elementwise: their sum divided by their number.

    Args:
        **kwargs: Standard layer keyword arguments (`name`, `dtype`, `trainable`).

    Input shape: a list of `(batch_size, ...)` shapes. Output shape: their broadcast shape.

    Example:
    >>> import torch
    >>> from kerastorch import layers
    >>> layers.Average()([torch.tensor([[1.0, 2.0]]), torch.tensor([[3.0, 6.0]])]).tolist()
    [[2.0, 4.0]]
    """

    def _merge(self, inputs, masks):
        return _sum(inputs) / len(inputs)


class Maximum(Merge):
    """The elementwise maximum of a list of inputs.

    A masked step of an input takes the other inputs' value there.

    Args:
        **kwargs: Standard layer keyword arguments (`name`, `dtype`, `trainable`).

    Input shape: a list of `(batch_size, ...)` shapes. Output shape: their broadcast shape.

    Example:
    >>> import torch
    >>> from kerastorch import layers
    >>> layers.Maximum()([torch.tensor([[1.0, 5.0]]), torch.tensor([[3.0, 2.0]])]).tolist()
    [[3.0, 5.0]]
    """

    def _merge(self, inputs, masks):
        return _masked_extremum(self, ops.maximum, inputs, masks)


class Minimum(Merge):
    """The elementwise minimum of a list of inputs.

    A masked step of an input takes the other inputs' value there.

    Args:
        **kwargs: Standard layer keyword arguments (`name`, `dtype`, `trainable`).

    Input shape: a list of `(batch_size, ...)` shapes. Output shape: their broadcast shape.

    Example:
    >>> import torch
    >>> from kerastorch import layers
    >>> layers.Minimum()([torch.tensor([[1.0, 5.0]]), torch.tensor([[3.0, 2.0]])]).tolist()
    [[1.0, 2.0]]
    """

    def _merge(self, inputs, masks):
        return _masked_extremum(self, ops.minimum, inputs, masks)


def add(inputs, **kwargs):
    """Adds a list of inputs elementwise: the function form of `Add`.

    Args:
        inputs: A list of tensors of one shape (or shapes that broadcast).
        **kwargs: Standard layer keyword arguments (`name`, `dtype`).

    Returns:
        The elementwise sum of the inputs.

    Example:
    >>> import torch
    >>> from kerastorch import layers
    >>> layers.add([torch.tensor([[1.0]]), torch.tensor([[2.0]])]).tolist()
    [[3.0]]
    """
    return Add(**kwargs)(inputs)


def subtract(inputs, **kwargs):
    """Subtracts two inputs elementwise: the function form of `Subtract`.

    Args:
        inputs: A list of exactly two tensors.
        **kwargs: Standard layer keyword arguments (`name`, `dtype`).

    Returns:
        `inputs[0] - inputs[1]`.

    Example:
    >>> import torch
    >>> from kerastorch import layers
    >>> layers.subtract([torch.tensor([[5.0]]), torch.tensor([[2.0]])]).tolist()
    [[3.0]]
    """
    return Subtract(**kwargs)(inputs)


def multiply(inputs, **kwargs):
    """Multiplies a list of inputs elementwise: the function form of `Multiply`.

    Args:
        inputs: A list of tensors of one shape (or shapes that broadcast).
        **kwargs: Standard layer keyword arguments (`name`, `dtype`).

    Returns:
        The elementwise product of the inputs.

    Example:
    >>> import torch
    >>> from kerastorch import layers
    >>> layers.multiply([torch.tensor([[2.0]]), torch.tensor([[4.0]])]).tolist()
    [[8.0]]
    """
    return Multiply(**kwargs)(inputs)


def average(inputs, **kwargs):
    """Averages a list of inputs elementwise: the function form of `Average`.

    Args:
        inputs: A list of tensors of one shape (or shapes that broadcast).
        **kwargs: Standard layer keyword arguments (`name`, `dtype`).

    Returns:
        The elementwise mean of the inputs.

    Example:
    >>> import torch
    >>> from kerastorch import layers
    >>> layers.average([torch.tensor([[1.0]]), torch.tensor([[4.0]])]).tolist()
    [[2.5]]
    """
    return Average(**kwargs)(inputs)


def maximum(inputs, **kwargs):
    """The elementwise maximum of a list of inputs: the function form of `Maximum`.

    Args:
        inputs: A list of tensors of one shape (or shapes that broadcast).
        **kwargs: Standard layer keyword arguments (`name`, `dtype`).

    Returns:
        The elementwise maximum of the inputs.

    Example:
    >>> import torch
    >>> from kerastorch import layers
    >>> layers.maximum([torch.tensor([[1.0, 4.0]]), torch.tensor([[3.0, 2.0]])]).tolist()
    [[3.0, 4.0]]
    """
    return Maximum(**kwargs)(inputs)


def minimum(inputs, **kwargs):
    """The elementwise minimum of a list of inputs: the function form of `Minimum`.

    Args:
        inputs: A list of tensors of one shape (or shapes that broadcast).
        **kwargs: Standard layer keyword arguments (`name`, `dtype`).

    Returns:
        The elementwise minimum of the inputs.

    Example:
    >>> import torch
    >>> from kerastorch import layers
    >>> layers.minimum([torch.tensor([[1.0, 4.0]]), torch.tensor([[3.0, 2.0]])]).tolist()
    [[1.0, 2.0]]
    """
    return Minimum(**kwargs)(inputs)
