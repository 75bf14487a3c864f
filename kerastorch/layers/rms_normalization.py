"""`RMSNormalization`: inputs divided by their root mean square, times a learned `scale`."""

from kerastorch.layers.base import Layer, format_shape
from kerastorch.ops.nn.normalization import rms_normalization


class RMSNormalization(Layer):
    """Root mean square normalization: `x * rsqrt(mean(square(x), axis) + epsilon) * scale`.

    As in Keras, building turns `axis` into a sorted list (so `get_config()` of a built layer
    writes `[-1]` for the default `-1`), and the learned `scale` has the sizes of those axes.

    Args:
        axis: An int or a list of ints, the axes to normalize over. Defaults to `-1`.
        epsilon: Added to the mean square to avoid a division by zero. Defaults to `1e-6`.

    Weights: `scale`, of shape `(input_shape[a] for a in axis)`, initialized to ones.

    Input shape: any. Output shape: that of the input.

    Example:
    >>> import torch
    >>> from kerastorch import layers
    >>> layer = layers.RMSNormalization(epsilon=0.0)
    >>> layer(torch.tensor([[3.0, 4.0]])) ** 2
    tensor([[0.7200, 1.2800]], grad_fn=<PowBackward0>)
    """

    def __init__(self, axis=-1, epsilon=1e-6, **kwargs):
        super().__init__(**kwargs)
        axes = axis if isinstance(axis, (list, tuple)) else [axis]
        if not axes or any(isinstance(a, bool) or not isinstance(a, int) for a in axes):
            raise TypeError(f"RMSNormalization layer '{self.name}': `axis` must be an int or a list of "
                            f"ints, got axis={axis!r}.")
        self.axis = list(axis) if isinstance(axis, tuple) else axis
        self.epsilon = epsilon

    def _check_axes(self, input_shape):
        axes = self.axis if isinstance(self.axis, list) else [self.axis]
        rank = len(input_shape)
        for a in axes:
            if not -rank <= a < rank:
                raise ValueError(
                    f"RMSNormalization layer '{self.name}': axis {a} is out of range for an input of shape "
                    f"{format_shape(input_shape)} (rank {rank}); received axis={self.axis!r}."
                )
        return axes

    def build(self, input_shape):
        axes = self._check_axes(input_shape)
        self.axis = sorted(axes)
        shape = tuple(input_shape[a] for a in self.axis)
        if any(d is None for d in shape):
            raise ValueError(
                f"RMSNormalization layer '{self.name}': the normalized axes {self.axis} of the input shape "
                f"{format_shape(input_shape)} must have known sizes."
            )
        self.scale = self.add_weight(shape=shape, initializer="ones", name="scale")
        self.built = True

    def call(self, inputs):
        axis = self.axis[0] if len(self.axis) == 1 else self.axis
        return rms_normalization(inputs, scale=self.scale, axis=axis, epsilon=self.epsilon)

    def compute_output_shape(self, input_shape):
        self._check_axes(input_shape)
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis, "epsilon": self.epsilon}
