"""Activation layers with parameters: `ReLU`, `LeakyReLU`, `PReLU`, `ELU`, `Softmax`."""

import torch
import torch.nn.functional as F

from kerastorch import activations, initializers
from kerastorch.layers.base import Layer, format_shape


def _non_negative(layer, arg, value, allow_none=False):
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise ValueError(
            f"{type(layer).__name__} layer '{layer.name}': `{arg}` must be a non-negative number"
            f"{' or None' if allow_none else ''}, got {arg}={value!r}."
        )
    return float(value)


class _Elementwise(Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True
        self._build_at_init()

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)


class ReLU(_Elementwise):
    """Rectified linear unit with Keras' optional ceiling, slope and threshold.

    `f(x) = max_value` for `x >= max_value`, `x` for `threshold <= x < max_value`, and
    `negative_slope * (x - threshold)` otherwise.

    Args:
        max_value: Non-negative float ceiling, or `None` (default) for none.
        negative_slope: Non-negative slope below the threshold. Defaults to `0.0`.
        threshold: Non-negative threshold. Defaults to `0.0`.

    Example:
    >>> import torch
    >>> from kerastorch import layers
    >>> layers.ReLU(max_value=6.0)(torch.tensor([-1.0, 3.0, 9.0]))
    tensor([0., 3., 6.])
    """

    def __init__(self, max_value=None, negative_slope=0.0, threshold=0.0, **kwargs):
        super().__init__(**kwargs)
        self.max_value = _non_negative(self, "max_value", max_value, allow_none=True)
        self.negative_slope = _non_negative(self, "negative_slope", negative_slope)
        self.threshold = _non_negative(self, "threshold", threshold)

    def call(self, inputs):
        return activations.relu(inputs, negative_slope=self.negative_slope, max_value=self.max_value,
                                threshold=self.threshold)

    def get_config(self):
        return {**super().get_config(), "max_value": self.max_value,
                "negative_slope": self.negative_slope, "threshold": self.threshold}


class LeakyReLU(_Elementwise):
    """Leaky ReLU: `x` for `x >= 0`, `negative_slope * x` otherwise.

    Note the Keras default slope of the LAYER is `0.3` (the `leaky_relu` function's is
    0.2, torch's `LeakyReLU` 0.01).

    Args:
        negative_slope: Non-negative slope for negative inputs. Defaults to `0.3`.

    Example:
    >>> import torch
    >>> from kerastorch import layers
    >>> layers.LeakyReLU()(torch.tensor([-10.0, 2.0]))
    tensor([-3.,  2.])
    """

    def __init__(self, negative_slope=0.3, **kwargs):
        if "alpha" in kwargs:                         # Keras 2's name, still accepted by Keras 3
            negative_slope = kwargs.pop("alpha")
        super().__init__(**kwargs)
        self.negative_slope = _non_negative(self, "negative_slope", negative_slope)

    def call(self, inputs):
        return F.leaky_relu(inputs, self.negative_slope)

    def get_config(self):
        return {**super().get_config(), "negative_slope": self.negative_slope}


class PReLU(Layer):
    """Parametric ReLU: `x` for `x >= 0`, `alpha * x` otherwise, with a learned `alpha`.

    `alpha` has one entry per input position (batch axis excluded), shared along
    `shared_axes`. Keras initializes it to zeros (torch's `PReLU` to 0.25).

    Args:
        alpha_initializer: Defaults to `"Zeros"`.
        alpha_regularizer, alpha_constraint: Optional, default `None`.
        shared_axes: Int or list of ints (1-based, batch excluded) along which `alpha` is
            shared, e.g. `[1, 2]` for one alpha per channel of channels-last images.
            Defaults to `None`.

    Weights: `alpha` of shape `input_shape[1:]`, with the shared axes of size 1.

    Example:
    >>> import torch
    >>> from kerastorch import layers
    >>> layer = layers.PReLU(shared_axes=[1, 2])
    >>> layer.build((None, 4, 4, 3))
    >>> [w.shape for w in layer.get_weights()]
    [(1, 1, 3)]
    """

    def __init__(self, alpha_initializer="Zeros", alpha_regularizer=None, alpha_constraint=None,
                 shared_axes=None, **kwargs):
        super().__init__(**kwargs)
        self.alpha_initializer = initializers.get(alpha_initializer)
        from kerastorch import constraints, regularizers

        self.alpha_regularizer = regularizers.get(alpha_regularizer)
        self.alpha_constraint = constraints.get(alpha_constraint)
        if shared_axes is None:
            self.shared_axes = None
        else:
            axes = list(shared_axes) if isinstance(shared_axes, (list, tuple)) else [shared_axes]
            if not all(isinstance(a, int) and not isinstance(a, bool) and a >= 1 for a in axes):
                raise ValueError(
                    f"PReLU layer '{self.name}': `shared_axes` must be ints >= 1 (axis 0 is the batch), "
                    f"got shared_axes={shared_axes!r}."
                )
            self.shared_axes = axes
        self.supports_masking = True

    def build(self, input_shape):
        shape = list(input_shape[1:])
        for axis in self.shared_axes or []:
            if axis > len(shape):
                raise ValueError(
                    f"PReLU layer '{self.name}': shared_axes={self.shared_axes} includes axis {axis}, but "
                    f"the input of shape {format_shape(input_shape)} has only {len(shape)} non-batch axes."
                )
            shape[axis - 1] = 1
        if any(d is None for d in shape):
            raise ValueError(
                f"PReLU layer '{self.name}': every axis of alpha must have a known size, got input shape "
                f"{format_shape(input_shape)}. Share the unknown axes with shared_axes=[...]."
            )
        self.alpha = self.add_weight(shape=tuple(shape), initializer=self.alpha_initializer, name="alpha",
                                     regularizer=self.alpha_regularizer, constraint=self.alpha_constraint)
        self.built = True

    def call(self, inputs):
        return F.relu(inputs) - self.alpha * F.relu(-inputs)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        from kerastorch import constraints, regularizers
        return {**super().get_config(), "alpha_initializer": initializers.serialize(self.alpha_initializer),
                "alpha_regularizer": (regularizers.serialize(self.alpha_regularizer)
                                      if self.alpha_regularizer is not None else None),
                "alpha_constraint": (constraints.serialize(self.alpha_constraint)
                                     if self.alpha_constraint is not None else None),
                "shared_axes": self.shared_axes}


class ELU(_Elementwise):
    """Exponential linear unit: `x` for `x > 0`, `alpha * (exp(x) - 1)` otherwise.

    Args:
        alpha: Scale of the negative part. Defaults to `1.0`.

    Example:
    >>> import torch
    >>> from kerastorch import layers
    >>> layers.ELU()(torch.tensor([0.0, 2.0]))
    tensor([0., 2.])
    """

    def __init__(self, alpha=1.0, **kwargs):
        super().__init__(**kwargs)
        self.alpha = float(alpha)

    def call(self, inputs):
        return F.elu(inputs, self.alpha)

    def get_config(self):
        return {**super().get_config(), "alpha": self.alpha}


class Softmax(_Elementwise):
    """Softmax over `axis`, with an optional mask: masked positions get probability 0.

    Args:
        axis: Int or list of ints, the axes normalized over. Defaults to `-1`.

    Call arguments:
        mask: Optional boolean tensor broadcastable to the inputs; `False` positions are
            excluded (set to -1e9 before the softmax and to 0 after, as in Keras).

    Example:
    >>> import torch
    >>> from kerastorch import layers
    >>> layers.Softmax()(torch.tensor([[0.0, 0.0]]))
    tensor([[0.5000, 0.5000]])
    """

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = list(axis) if isinstance(axis, (list, tuple)) else axis

    def call(self, inputs, mask=None):
        if mask is not None:
            if mask.dtype != torch.bool:
                mask = mask > 0.5
            # float16's range ends near 6.5e4; Keras uses -3e4 there and -1e9 otherwise.
            fill = -3e4 if inputs.dtype == torch.float16 else -1e9
            inputs = inputs.masked_fill(~mask, fill)
        if isinstance(self.axis, list) and len(self.axis) > 1:
            outputs = torch.exp(inputs - torch.logsumexp(inputs, dim=self.axis, keepdim=True))
        else:
            axis = self.axis[0] if isinstance(self.axis, list) else self.axis
            outputs = torch.softmax(inputs, dim=axis)
        if mask is not None:
            outputs = outputs.masked_fill(~mask, 0.0)
        return outputs

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}
