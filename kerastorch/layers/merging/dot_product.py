"""`Dot` and its function form `dot`."""

from kerastorch import ops
from kerastorch.layers.base import format_shape
from kerastorch.layers.merging.base import Merge, _axis_in_range, _check_inputs, _where


class Dot(Merge):
    """The dot product of two inputs, sample by sample, along the given axes.

    For inputs of shapes `(batch, 3, 5)` and `(batch, 10, 3)` and `axes=(1, 2)` the output has
    shape `(batch, 5, 10)`. The output has at least two axes: two `(batch, n)` inputs give
    `(batch, 1)`.

    Args:
        axes: Integer, or tuple of two integers: the axis of the first and of the second input
            to sum over (their sizes must match). The batch axis (0) cannot be one of them;
            negative axes count from the end of each input.
        normalize: Whether to L2-normalize each input along its dot axis first, so that the
            output is the cosine similarity. Defaults to `False`.
        **kwargs: Standard layer keyword arguments (`name`, `dtype`, `trainable`).

    Example:
    >>> import torch
    >>> from kerastorch import layers
    >>> x = torch.arange(10.0).reshape(1, 5, 2)
    >>> y = torch.arange(10.0, 20.0).reshape(1, 2, 5)
    >>> layers.Dot(axes=(1, 2))([x, y]).tolist()
    [[[260.0, 360.0], [320.0, 445.0]]]
    """

    _inputs_needed = 2

    def __init__(self, axes, normalize=False, **kwargs):
        super().__init__(**kwargs)
        if isinstance(axes, bool) or not isinstance(axes, (int, list, tuple)):
            raise TypeError(f"{_where(self)}: `axes` should be an int or a list/tuple of two ints, got "
                            f"axes={axes!r}. E.g. axes=1, or axes=(1, 2).")
        if isinstance(axes, (list, tuple)):
            if len(axes) != 2:
                raise ValueError(f"{_where(self)}: `axes` should contain two elements (one axis per "
                                 f"input), got axes={axes!r}. E.g. axes=(1, 2).")
            if any(isinstance(a, bool) or not isinstance(a, int) for a in axes):
                raise ValueError(f"{_where(self)}: the elements of `axes` should be integers, got "
                                 f"axes={axes!r}. E.g. axes=(1, 2).")
        self.axes = axes
        self.normalize = normalize

    def _axes(self, shapes):
        pair = (self.axes, self.axes) if isinstance(self.axes, int) else tuple(self.axes)
        return [_axis_in_range(self, a, len(s), shapes, arg="axes") for a, s in zip(pair, shapes)]

    def _output_shape(self, shapes):
        s1, s2 = shapes
        if len(s1) < 2 or len(s2) < 2:
            raise ValueError(f"{_where(self)} needs inputs with a batch axis and at least one more "
                             f"axis (rank >= 2), got shapes {format_shape(shapes)}. Add an axis with "
                             "ops.expand_dims(x, -1), or a batch axis with ops.expand_dims(x, 0).")
        if s1[0] is not None and s2[0] is not None and s1[0] != s2[0]:
            raise ValueError(f"{_where(self)} cannot take the dot product of inputs with different "
                             f"batch sizes, got shapes {format_shape(shapes)}. Pass tensors with the "
                             "same number of samples.")
        a1, a2 = self._axes(shapes)
        if a1 == 0 or a2 == 0:
            raise ValueError(f"{_where(self)} cannot take the dot product over the batch axis (axes="
                             f"{self.axes!r} on shapes {format_shape(shapes)}). If your inputs are not "
                             "batched, add a batch axis with ops.expand_dims(x, 0).")
        if s1[a1] is not None and s2[a2] is not None and s1[a1] != s2[a2]:
            raise ValueError(f"{_where(self)}: incompatible input shapes {format_shape(shapes)}: axis {a1} "
                             f"of the first has size {s1[a1]} but axis {a2} of the second has size "
                             f"{s2[a2]} (axes={self.axes!r}). Choose axes of equal size.")
        out = [*s1[:a1], *s1[a1 + 1:], *s2[1:a2], *s2[a2 + 1:]]
        return tuple(out + [1] if len(out) == 1 else out)

    def call(self, inputs):
        x, y = _check_inputs(self, inputs, 2)
        shapes = [tuple(x.shape), tuple(y.shape)]
        out_shape = self._output_shape(shapes)
        a1, a2 = self._axes(shapes)
        if self.normalize:
            x, y = ops.normalize(x, axis=a1), ops.normalize(y, axis=a2)
        # (batch, ..., d) @ (batch, d, ...) as one batched matmul, then the kept axes unfolded.
        x = x.movedim(a1, -1)
        y = y.movedim(a2, 1)
        out = ops.matmul(x.reshape(x.shape[0], -1, x.shape[-1]), y.reshape(y.shape[0], y.shape[1], -1))
        return out.reshape(out_shape[:1] + tuple(d if d is not None else -1 for d in out_shape[1:]))

    def compute_mask(self, inputs, mask=None):
        """Always `None`: the dot product drops the masks, as in Keras."""
        return None

    def get_config(self):
        return {**super().get_config(), "axes": self.axes, "normalize": self.normalize}


def dot(inputs, axes=-1, **kwargs):
    """The sample-wise dot product of two inputs: the function form of `Dot`.

    Args:
        inputs: A list of two tensors.
        axes: Integer or tuple of two integers, the axes to sum over. Defaults to `-1`.
        **kwargs: Standard layer keyword arguments, and `normalize` (whether to L2-normalize
            the inputs along the dot axes first; defaults to `False`).

    Returns:
        The dot product of the samples of the two inputs.

    Example:
    >>> import torch
    >>> from kerastorch import layers
    >>> layers.dot([torch.tensor([[1.0, 2.0]]), torch.tensor([[3.0, 4.0]])], axes=1).tolist()
    [[11.0]]
    """
    return Dot(axes=axes, **kwargs)(inputs)
