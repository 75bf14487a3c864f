"""Normalization layers: `BatchNormalization` with Keras' numerics."""

import torch

from kerastorch import initializers
from kerastorch.layers.base import Layer, format_shape


class BatchNormalization(Layer):
    """Normalizes inputs with batch statistics in training and moving statistics otherwise.

    Keras' numerics, which differ from `torch.nn.BatchNorm*d`: `momentum=0.99` means
    `moving = moving * 0.99 + batch * 0.01`, `epsilon=1e-3`, and the moving variance
    tracks the BIASED batch variance (torch tracks the unbiased one). A frozen layer
    (`trainable=False`) runs in inference mode, as in Keras.

    Args:
        axis: The feature axis to normalize per. Defaults to `-1` (channels-last).
        momentum: Momentum of the moving statistics. Defaults to `0.99`.
        epsilon: Added to the variance. Defaults to `1e-3`.
        center: Whether to learn an offset `beta`. Defaults to `True`.
        scale: Whether to learn a scale `gamma`. Defaults to `True`.
        beta_initializer, gamma_initializer, moving_mean_initializer,
        moving_variance_initializer: Defaults `"zeros"`, `"ones"`, `"zeros"`, `"ones"`.
        beta_regularizer, gamma_regularizer, beta_constraint, gamma_constraint: Optional.

    Weights: `gamma, beta, moving_mean, moving_variance`, each of shape `(features,)`.

    Example:
    >>> import torch
    >>> from kerastorch import layers
    >>> bn = layers.BatchNormalization()
    >>> tuple(bn(torch.randn(8, 4), training=True).shape)
    (8, 4)
    >>> [w.shape for w in bn.get_weights()]
    [(4,), (4,), (4,), (4,)]
    """

    def __init__(self, axis=-1, momentum=0.99, epsilon=1e-3, center=True, scale=True,
                 beta_initializer="zeros", gamma_initializer="ones", moving_mean_initializer="zeros",
                 moving_variance_initializer="ones", beta_regularizer=None, gamma_regularizer=None,
                 beta_constraint=None, gamma_constraint=None, synchronized=False, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(axis, int) or isinstance(axis, bool):
            raise ValueError(
                f"BatchNormalization layer '{self.name}': `axis` must be an int, got axis={axis!r}."
            )
        if not 0 <= momentum <= 1:
            raise ValueError(
                f"BatchNormalization layer '{self.name}': `momentum` must be in [0, 1], got {momentum!r}."
            )
        self.axis = axis
        self.momentum = float(momentum)
        self.epsilon = float(epsilon)
        self.center = bool(center)
        self.scale = bool(scale)
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.moving_mean_initializer = initializers.get(moving_mean_initializer)
        self.moving_variance_initializer = initializers.get(moving_variance_initializer)
        self.beta_regularizer, self.gamma_regularizer = beta_regularizer, gamma_regularizer
        self.beta_constraint, self.gamma_constraint = beta_constraint, gamma_constraint
        self.synchronized = synchronized
        self.supports_masking = True

    def build(self, input_shape):
        rank = len(input_shape)
        axis = self.axis if self.axis >= 0 else rank + self.axis
        if not 1 <= axis < rank or input_shape[axis] is None:
            raise ValueError(
                f"BatchNormalization layer '{self.name}': axis={self.axis} must point at a known "
                f"feature axis of the input, got input shape {format_shape(input_shape)}."
            )
        self._axis = axis
        dim = (input_shape[axis],)
        self.gamma = (self.add_weight(shape=dim, initializer=self.gamma_initializer, name="gamma",
                                      regularizer=self.gamma_regularizer, constraint=self.gamma_constraint)
                      if self.scale else None)
        self.beta = (self.add_weight(shape=dim, initializer=self.beta_initializer, name="beta",
                                     regularizer=self.beta_regularizer, constraint=self.beta_constraint)
                     if self.center else None)
        self.moving_mean = self.add_weight(shape=dim, initializer=self.moving_mean_initializer,
                                           name="moving_mean", trainable=False)
        self.moving_variance = self.add_weight(shape=dim, initializer=self.moving_variance_initializer,
                                               name="moving_variance", trainable=False)
        self.built = True

    def call(self, inputs, training=None):
        # torch's kernels want the features on axis 1; a channels-last tensor viewed that way
        # is torch's channels_last memory format, so this is a view, not a copy.
        x = inputs if self._axis == 1 else inputs.movedim(self._axis, 1)
        if training and self.trainable:
            out, mean, invstd = torch.native_batch_norm(x, self.gamma, self.beta, None, None, True,
                                                        0.0, self.epsilon)
            with torch.no_grad():
                # Keras' update, with the biased batch variance recovered from invstd.
                var = invstd.reciprocal().square_().sub_(self.epsilon)
                self.moving_mean.mul_(self.momentum).add_(mean, alpha=1 - self.momentum)
                self.moving_variance.mul_(self.momentum).add_(var, alpha=1 - self.momentum)
        else:
            out = torch.batch_norm(x, self.gamma, self.beta, self.moving_mean, self.moving_variance,
                                   False, 0.0, self.epsilon, torch.backends.cudnn.enabled)
        return out if self._axis == 1 else out.movedim(1, self._axis)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        from kerastorch import constraints, regularizers

        def ser(module, obj):
            return module.serialize(obj) if obj is not None else None

        return {**super().get_config(), "axis": self.axis, "momentum": self.momentum,
                "epsilon": self.epsilon, "center": self.center, "scale": self.scale,
                "beta_initializer": initializers.serialize(self.beta_initializer),
                "gamma_initializer": initializers.serialize(self.gamma_initializer),
                "moving_mean_initializer": initializers.serialize(self.moving_mean_initializer),
                "moving_variance_initializer": initializers.serialize(self.moving_variance_initializer),
                "beta_regularizer": ser(regularizers, self.beta_regularizer),
                "gamma_regularizer": ser(regularizers, self.gamma_regularizer),
                "beta_constraint": ser(constraints, self.beta_constraint),
                "gamma_constraint": ser(constraints, self.gamma_constraint),
                "synchronized": self.synchronized}
