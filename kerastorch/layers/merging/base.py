"""The `Merge` base class and the input, shape and mask checks every merge layer shares."""

import torch

from kerastorch import ops
from kerastorch.layers.base import Layer, format_shape


def _where(layer):
    return f"{type(layer).__name__} layer '{layer.name}'"


def _shape(s):
    return None if s is None else tuple(None if d is None else int(d) for d in s)


def _is_shape(s):
    return isinstance(s, (tuple, list, torch.Size))


def _check_shape_list(layer, input_shape, exactly=None):
    """`input_shape` as a list of tuples; ValueError unless it is a list of (at least one) shapes."""
    if _is_shape(input_shape) and any(_is_shape(s) for s in input_shape):
        for i, s in enumerate(input_shape):
            if not _is_shape(s):
                raise TypeError(f"{_where(layer)}: input {i} has no shape (got {s!r} in input_shape="
                                f"{input_shape!r}). Pass a list of tensors, or one shape per input.")
    if _is_shape(input_shape) and input_shape and all(d is None or isinstance(d, int) for d in input_shape):
        raise ValueError(
            f"{_where(layer)} should be called on a list of inputs, got a single tensor of shape "
            f"{format_shape(input_shape)}. Pass a list of tensors, e.g. layer([x1, x2]), and "
            "compute_output_shape([shape1, shape2])."
        )
    if not _is_shape(input_shape) or not input_shape or not all(_is_shape(s) for s in input_shape):
        raise ValueError(
            f"{_where(layer)} should be called on a list of inputs (one shape per input), got "
            f"input_shape={input_shape!r}. Pass a list of tensors, e.g. layer([x1, x2]), and "
            "compute_output_shape([shape1, shape2])."
        )
    shapes = [_shape(s) for s in input_shape]
    if exactly is not None and len(shapes) != exactly:
        raise ValueError(
            f"{_where(layer)} should be called on exactly {exactly} inputs, got {len(shapes)} "
            f"(shapes {format_shape(shapes)}). Pass a list of {exactly} tensors."
        )
    return shapes


def _check_inputs(layer, inputs, exactly=None):
    """`inputs` as a list of tensors; the errors `_check_shape_list` gives, for tensors."""
    if not isinstance(inputs, (list, tuple)):
        got = f"a single tensor of shape {format_shape(inputs.shape)}" if hasattr(inputs, "shape") else repr(inputs)
        raise ValueError(
            f"{_where(layer)} should be called on a list of inputs, got {got}. Pass a list of "
            "tensors, e.g. layer([x1, x2])."
        )
    if not inputs:
        raise ValueError(f"{_where(layer)} should be called on a list of at least 1 input, got an "
                         "empty list. Pass the tensors to merge, e.g. layer([x1, x2]).")
    for i, x in enumerate(inputs):
        if not isinstance(x, torch.Tensor):
            raise TypeError(f"{_where(layer)}: input {i} is {type(x).__name__} {x!r:.60}, not a tensor. "
                            "Pass a list of tensors (or numpy arrays).")
    if exactly is not None and len(inputs) != exactly:
        raise ValueError(
            f"{_where(layer)} should be called on exactly {exactly} inputs, got {len(inputs)} "
            f"(shapes {format_shape([tuple(x.shape) for x in inputs])}). Pass a list of {exactly} tensors."
        )
    return list(inputs)


def _input_masks(layer, inputs, mask):
    """The masks given as `mask=` (checked against the inputs), else those attached as `_keras_mask`."""
    if mask is None:
        return [getattr(x, "_keras_mask", None) for x in inputs]
    if not isinstance(mask, (list, tuple)):
        raise ValueError(f"{_where(layer)}: `mask` should be a list with one mask (or None) per input, "
                         f"got {type(mask).__name__}. Pass mask=[mask_1, mask_2, ...].")
    if len(mask) != len(inputs):
        raise ValueError(f"{_where(layer)}: `inputs` and `mask` should have the same length, got "
                         f"{len(inputs)} inputs and {len(mask)} masks. Pass one mask (or None) per input.")
    return list(mask)


def _check_mask_lists(layer, inputs, mask):
    """Keras' `compute_mask` checks: `mask` and `inputs` are lists of the same length."""
    if not isinstance(mask, (list, tuple)):
        raise ValueError(f"{_where(layer)}: `mask` should be a list with one mask (or None) per input, "
                         f"got {type(mask).__name__}. Pass mask=[mask_1, mask_2, ...].")
    if not isinstance(inputs, (list, tuple)):
        raise ValueError(f"{_where(layer)}: `inputs` should be a list of tensors, got "
                         f"{type(inputs).__name__}. Pass the list the layer was called on.")
    if len(mask) != len(inputs):
        raise ValueError(f"{_where(layer)}: `inputs` and `mask` should have the same length, got "
                         f"{len(inputs)} inputs and {len(mask)} masks. Pass one mask (or None) per input.")


def _attach(layer, output, inputs, masks):
    """`output`, with the layer's output mask set as `_keras_mask` when an input has a mask."""
    for m in masks:
        if m is not None:
            mask = layer.compute_mask(inputs, masks)
            if mask is not None:
                output._keras_mask = mask
            break
    return output


def _spread(layer, mask, x):
    """A `(batch, ...)` mask of `x`'s leading axes spread over `x`'s shape, as a bool tensor."""
    mask = mask if mask.dtype is torch.bool else mask.bool()
    try:
        return mask.unsqueeze(-1).expand(x.shape)
    except RuntimeError:
        raise ValueError(
            f"{_where(layer)}: a mask of shape {format_shape(mask.shape)} does not fit its input of shape "
            f"{format_shape(x.shape)}. A mask covers the input's leading axes (all but the last): for "
            "an input (batch, steps, features) pass a mask (batch, steps)."
        ) from None


class Merge(Layer):
    """Base class of the elementwise merge layers (`Add`, `Multiply`, ...); Keras' `Merge`.

    Subclasses define `_merge(inputs, masks)`, combining a list of tensors of one rank.

    Args:
        **kwargs: Standard layer keyword arguments (`name`, `dtype`, `trainable`).
    """

    # No float weights: integer inputs keep their dtype, as in Keras.
    accepts_integer_inputs = True
    _inputs_needed = None      # Subtract and Dot take exactly 2

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def forward(self, inputs, *args, **kwargs):
        if isinstance(inputs, (list, tuple)) and not inputs:    # before it would become one empty tensor
            _check_inputs(self, inputs)
        return super().forward(inputs, *args, **kwargs)

    # ------------------------------------------------------------------ shapes
    def _broadcast(self, shape1, shape2, shapes):
        """Keras' elementwise rule for two shapes without the batch axis (aligned from the last axis)."""
        n = min(len(shape1), len(shape2))
        longer = shape1 if len(shape1) >= len(shape2) else shape2
        out = list(longer[:len(longer) - n])
        for i, j in zip(shape1[len(shape1) - n:], shape2[len(shape2) - n:]):
            if i is None or j is None:
                out.append(None)
            elif i == 1 or j == 1:
                out.append(j if i == 1 else i)
            elif i != j:
                raise ValueError(
                    f"{_where(self)}: inputs have incompatible shapes {format_shape(shapes)}: after the "
                    f"batch axis, aligned from the last axis, {format_shape(shape1)} and "
                    f"{format_shape(shape2)} differ where neither size is 1 ({i} vs {j}). Give the "
                    "inputs the same shape (e.g. with a Dense or Reshape layer), or use Concatenate "
                    "to join them along an axis."
                )
            else:
                out.append(i)
        return tuple(out)

    def _output_shape(self, shapes):
        batch_sizes = {s[0] for s in shapes if s} - {None}
        if len(batch_sizes) > 1:
            raise ValueError(
                f"{_where(self)} cannot merge tensors with different batch sizes, got shapes "
                f"{format_shape(shapes)}. Pass tensors with the same number of samples."
            )
        out = shapes[0][1:]
        for s in shapes[1:]:
            out = self._broadcast(out, s[1:], shapes)
        return (batch_sizes.pop() if batch_sizes else None, *out)

    def build(self, input_shape):
        self._output_shape(_check_shape_list(self, input_shape, self._inputs_needed))
        self.built = True

    def compute_output_shape(self, input_shape):
        """The output shape for a list of input shapes (batch axis first).

        Raises:
            ValueError: for input shapes Keras refuses (different batch sizes, shapes that
                do not broadcast), or not a list of shapes.
        """
        return self._output_shape(_check_shape_list(self, input_shape, self._inputs_needed))

    # ------------------------------------------------------------------ computing
    def call(self, inputs, mask=None):
        inputs = _check_inputs(self, inputs, self._inputs_needed)
        masks = _input_masks(self, inputs, mask)
        first = inputs[0].shape
        if any(x.shape != first for x in inputs[1:]):
            shapes = [tuple(x.shape) for x in inputs]
            self._output_shape(shapes)        # our error before torch's
            ranks = [len(s) for s in shapes]
            if min(ranks) != max(ranks):
                if min(ranks) == 0:
                    raise ValueError(f"{_where(self)}: inputs of shapes {format_shape(shapes)} have different "
                                     "ranks and one has no batch axis. Give every input a batch axis.")
                # Keras inserts axes after the batch axis until the ranks agree; an expanded
                # tensor carries no mask, so its values merge unmasked (the output mask stays).
                top = max(ranks)
                expanded = [x.reshape((x.shape[0],) + (1,) * (top - x.dim()) + tuple(x.shape[1:]))
                            for x in inputs]
                kept = [m if x.dim() == top else None for x, m in zip(inputs, masks)]
                return _attach(self, self._merge(expanded, kept), inputs, masks)
        return _attach(self, self._merge(inputs, masks), inputs, masks)

    def _merge(self, inputs, masks):
        raise NotImplementedError(f"{type(self).__name__} does not define how it merges its inputs.")

    def compute_mask(self, inputs, mask=None):
        """The output mask: the elementwise OR of the input masks when every input has one, else None.

        Args:
            inputs: The list of input tensors.
            mask: `None`, or a list with one mask (or `None`) per input.
        """
        if mask is None:
            return None
        _check_mask_lists(self, inputs, mask)
        if any(m is None for m in mask):
            return None
        out = mask[0]
        for m in mask[1:]:
            out = ops.logical_or(out, m)        # ops, so that symbolic masks work too
        return out


def _check_int(layer, arg, value):
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{_where(layer)}: `{arg}` must be an int, got {arg}={value!r}.")


def _axis_in_range(layer, axis, rank, shapes, arg="axis"):
    if not -rank <= axis < rank:
        raise ValueError(
            f"{_where(layer)}: {arg}={axis} is out of range for inputs of rank {rank} (shapes "
            f"{format_shape(shapes)}); it must lie in [{-rank}, {rank - 1}], the batch axis counting as 0."
        )
    return axis % rank
