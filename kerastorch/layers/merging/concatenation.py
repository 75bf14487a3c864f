"""`Concatenate` and its function form `concatenate`."""

from kerastorch import ops
from kerastorch.layers.base import format_shape
from kerastorch.layers.merging.base import (Merge, _attach, _axis_in_range, _check_inputs, _check_int,
                                            _check_mask_lists, _input_masks, _where)


class Concatenate(Merge):
    """Concatenates a list of inputs along one axis.

    The inputs must have the same shape except along `axis` (the batch axis included, unless
    `axis=0`).

    Args:
        axis: Integer, the axis to join along (the batch axis is 0). Defaults to `-1`.
        **kwargs: Standard layer keyword arguments (`name`, `dtype`, `trainable`).

    Input shape: a list of shapes of one rank. Output shape: the shared shape, with the sizes
    along `axis` summed (`None` if one is unknown).

    Example:
    >>> import torch
    >>> from kerastorch import layers
    >>> layers.Concatenate(axis=1)([torch.zeros(2, 2, 5), torch.zeros(2, 1, 5)]).shape
    torch.Size([2, 3, 5])
    """

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        _check_int(self, "axis", axis)
        self.axis = axis

    def _output_shape(self, shapes):
        ranks = {len(s) for s in shapes}
        if len(ranks) > 1:
            raise ValueError(
                f"{_where(self)} requires inputs with matching shapes except for the concatenation axis "
                f"(axis={self.axis}), got shapes {format_shape(shapes)} of different ranks. Reshape the "
                "inputs to one rank first (layers.Reshape, or ops.expand_dims)."
            )
        axis = _axis_in_range(self, self.axis, ranks.pop(), shapes)
        out = list(shapes[0])
        for i in range(len(out)):
            sizes = {s[i] for s in shapes} - {None}
            if i == axis:
                out[i] = None if any(s[i] is None for s in shapes) else sum(s[i] for s in shapes)
            elif len(sizes) > 1:
                raise ValueError(
                    f"{_where(self)} requires inputs with matching shapes except for the concatenation "
                    f"axis (axis={self.axis}), got shapes {format_shape(shapes)}, which differ at axis {i} "
                    f"({' vs '.join(str(d) for d in sorted(sizes))}). Make those sizes equal, or "
                    "concatenate along the axis where they differ."
                )
        return tuple(out)

    def call(self, inputs, mask=None):
        inputs = _check_inputs(self, inputs)
        masks = _input_masks(self, inputs, mask)
        first, rank = inputs[0].shape, inputs[0].dim()
        axis = self.axis % rank if -rank <= self.axis < rank else None
        if axis is None or any(x.dim() != rank or x.shape[:axis] != first[:axis]
                               or x.shape[axis + 1:] != first[axis + 1:] for x in inputs[1:]):
            self._output_shape([tuple(x.shape) for x in inputs])       # our error before torch's
        return _attach(self, ops.concatenate(inputs, axis=self.axis), inputs, masks)

    def compute_mask(self, inputs, mask=None):
        """The output mask: the input masks (all-True for an unmasked input) joined along `axis`.

        Args:
            inputs: The list of input tensors.
            mask: `None`, or a list with one mask (or `None`) per input.
        """
        if mask is None:
            return None
        _check_mask_lists(self, inputs, mask)
        if all(m is None for m in mask):
            return None
        full = []                               # ops, so that symbolic masks work too
        for x, m in zip(inputs, mask):
            if m is None:
                full.append(ops.ones_like(x, dtype="bool"))
            elif m.ndim < x.ndim:
                full.append(ops.logical_or(ops.expand_dims(m, -1), ops.zeros_like(x, dtype="bool")))
            else:
                full.append(ops.cast(m, "bool"))
        return ops.any(ops.concatenate(full, axis=self.axis), axis=-1)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}


def concatenate(inputs, axis=-1, **kwargs):
    """Concatenates a list of inputs along `axis`: the function form of `Concatenate`.

    Args:
        inputs: A list of tensors, of one shape except along `axis`.
        axis: The axis to join along. Defaults to `-1`.
        **kwargs: Standard layer keyword arguments (`name`, `dtype`).

    Returns:
        The concatenated tensor.

    Example:
    >>> import torch
    >>> from kerastorch import layers
    >>> layers.concatenate([torch.zeros(2, 3), torch.zeros(2, 4)]).shape
    torch.Size([2, 7])
    """
    return Concatenate(axis=axis, **kwargs)(inputs)
