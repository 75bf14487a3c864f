"""Normalization layers with Keras' numerics: `BatchNormalization`, `LayerNormalization`,
`GroupNormalization`, `UnitNormalization`."""

import torch
import torch.nn.functional as F

from kerastorch import constraints, initializers, regularizers
from kerastorch.layers.base import Layer, format_shape


def _world_size():
    """The number of processes of an initialised `torch.distributed` group, else 1."""
    dist = torch.distributed
    return dist.get_world_size() if dist.is_available() and dist.is_initialized() else 1


class _AllReduceSum(torch.autograd.Function):
    """Sum over every rank, differentiably: the gradient of a sum is the sum of the gradients."""

    @staticmethod
    def forward(ctx, x):
        out = x.clone()
        torch.distributed.all_reduce(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        grad = grad.contiguous().clone()
        torch.distributed.all_reduce(grad)
        return grad


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
        beta_initializer: Defaults to `"zeros"`.
        gamma_initializer: Defaults to `"ones"`.
        moving_mean_initializer: Defaults to `"zeros"`.
        moving_variance_initializer: Defaults to `"ones"`.
        beta_regularizer: Optional regularizer. Defaults to `None`.
        gamma_regularizer: Optional regularizer. Defaults to `None`.
        beta_constraint: Optional constraint. Defaults to `None`.
        gamma_constraint: Optional constraint. Defaults to `None`.
        renorm: Keras' batch renormalization; kept in the config, only `False` (the default) is supported.
        renorm_clipping: Kept in the config. Defaults to `None`.
        renorm_momentum: Kept in the config. Defaults to `0.99`.
        synchronized: Under data parallelism (several processes of `torch.distributed`),
            whether training computes the batch statistics over every rank's batch (torch's
            `SyncBatchNorm`); with one process the local batch is the whole batch. Keras reads
            it on TensorFlow only; kerastorch implements it on torch. Defaults to `False`.

    Weights: `gamma, beta, moving_mean, moving_variance`, each of shape `(features,)`.

    Example:
    >>> import torch
    >>> from kerastorch import layers
    >>> bn = layers.BatchNormalization()
    >>> tuple(bn(torch.randn(8, 4), training=True).shape)
    (8, 4)
    >>> tuple(w.shape for w in bn.get_weights())
    ((4,), (4,), (4,), (4,))
    """

    def __init__(self, axis=-1, momentum=0.99, epsilon=1e-3, center=True, scale=True,
                 beta_initializer="zeros", gamma_initializer="ones", moving_mean_initializer="zeros",
                 moving_variance_initializer="ones", beta_regularizer=None, gamma_regularizer=None,
                 beta_constraint=None, gamma_constraint=None, renorm=False, renorm_clipping=None,
                 renorm_momentum=0.99, synchronized=False, **kwargs):
        super().__init__(**kwargs)
        if renorm:
            raise ValueError(
                f"BatchNormalization layer '{self.name}': renorm=True (batch renormalization) is not "
                "supported by kerastorch. Use renorm=False, or GroupNormalization for small batches."
            )
        self.renorm, self.renorm_clipping, self.renorm_momentum = False, renorm_clipping, renorm_momentum
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
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.beta_constraint = constraints.get(beta_constraint)
        self.gamma_constraint = constraints.get(gamma_constraint)
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
        if training and self.trainable and self.synchronized and _world_size() > 1:
            out, mean, var = self._synchronized_batch_norm(x)
            with torch.no_grad():
                self.moving_mean.mul_(self.momentum).add_(mean.detach(), alpha=1 - self.momentum)
                self.moving_variance.mul_(self.momentum).add_(var.detach(), alpha=1 - self.momentum)
        elif training and self.trainable:
            out, mean, invstd = torch.native_batch_norm(x, self.gamma, self.beta, None, None, True,
                                                        0.0, self.epsilon)
            # Keras' update, with the biased batch variance recovered from invstd (the batch statistics
            # are not differentiable outputs, so nothing here is recorded for autograd); both moving
            # statistics in one call of each kernel (the same per-tensor kernels as mul_ and add_).
            var = invstd.reciprocal().square_().sub_(self.epsilon)
            moving = [self.moving_mean, self.moving_variance]
            torch._foreach_mul_(moving, self.momentum)
            torch._foreach_add_(moving, [mean, var], alpha=1 - self.momentum)
        else:
            out = torch.batch_norm(x, self.gamma, self.beta, self.moving_mean, self.moving_variance,
                                   False, 0.0, self.epsilon, torch.backends.cudnn.enabled)
        return out if self._axis == 1 else out.movedim(1, self._axis)

    def _synchronized_batch_norm(self, x):
        """Batch statistics over every rank's batch (torch's SyncBatchNorm), differentiably.

        One all-reduce of each rank's per-feature sums, sums of squares and sample count; its
        backward all-reduces the gradients of those statistics, so every rank gets the
        gradient of the one global batch.
        """
        dims = [0, *range(2, x.dim())]
        features = x.shape[1]
        xf = x.float()
        count = torch.full((1,), x.numel() // max(features, 1), dtype=torch.float32, device=x.device)
        stats = _AllReduceSum.apply(torch.cat([xf.sum(dims), xf.square().sum(dims), count]))
        n = stats[-1].clamp(min=1)
        mean = stats[:features] / n
        var = (stats[features:2 * features] / n - mean.square()).clamp(min=0)
        shape = [1, features] + [1] * (x.dim() - 2)
        out = (xf - mean.view(shape)) * torch.rsqrt(var.view(shape) + self.epsilon)
        if self.gamma is not None:
            out = out * self.gamma.view(shape)
        if self.beta is not None:
            out = out + self.beta.view(shape)
        return out.to(x.dtype), mean, var

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
                "synchronized": self.synchronized, "renorm": self.renorm,
                "renorm_clipping": self.renorm_clipping, "renorm_momentum": self.renorm_momentum}


def _ser(module, obj):
    return module.serialize(obj) if obj is not None else None


def _normalize_axes(layer, axis, rank, input_shape):
    """Keras `axis` (int or list, negatives allowed, never the batch axis) -> sorted positives."""
    axes = [axis] if isinstance(axis, int) else list(axis)
    out = []
    for a in axes:
        pos = a + rank if a < 0 else a
        if not 1 <= pos < rank:
            raise ValueError(
                f"{type(layer).__name__} layer '{layer.name}': axis={axis!r} is out of range for an "
                f"input of shape {format_shape(input_shape)} (valid: 1..{rank - 1}, or -1..-{rank - 1}; "
                "axis 0 is the batch)."
            )
        out.append(pos)
    return sorted(set(out))


def _check_axis_arg(layer, axis):
    ok = (isinstance(axis, int) and not isinstance(axis, bool)) or (
        isinstance(axis, (list, tuple)) and axis and all(isinstance(a, int) and not isinstance(a, bool)
                                                         for a in axis))
    if not ok:
        raise TypeError(
            f"{type(layer).__name__} layer '{layer.name}': `axis` must be an int or a list of ints, "
            f"got axis={axis!r}."
        )
    return list(axis) if isinstance(axis, (list, tuple)) else axis


class LayerNormalization(Layer):
    """Normalizes each sample over `axis` to zero mean and unit variance, then scales and shifts.

    `outputs = (x - mean) / sqrt(var + epsilon) * gamma + beta`, with the biased variance
    over `axis`, per sample. Keras' `epsilon=1e-3` (torch's default is 1e-5).

    Args:
        axis: Int or list of ints, the axes to normalize over. Defaults to `-1`.
        epsilon: Added to the variance. Defaults to `1e-3`.
        center: Whether to learn an offset `beta`. Defaults to `True`.
        scale: Whether to learn a scale `gamma`. Defaults to `True`.
        rms_scaling: Keras' deprecated option: no centering, `x * rsqrt(var + epsilon) * gamma`
            (the variance, not the root mean square, as Keras computes it; no `beta`).
            Defaults to `False`.
        beta_initializer, gamma_initializer: Defaults `"zeros"` and `"ones"`.
        beta_regularizer, gamma_regularizer, beta_constraint, gamma_constraint: Optional.

    Weights: `gamma`, `beta`, each of the shape of the normalized axes.

    Example:
    >>> import torch
    >>> from kerastorch import layers
    >>> out = layers.LayerNormalization()(torch.tensor([[1.0, 2.0, 3.0]]))
    >>> [round(v, 3) for v in out[0].tolist()]
    [-1.224, 0.0, 1.224]
    """

    def __init__(self, axis=-1, epsilon=1e-3, center=True, scale=True, rms_scaling=False,
                 beta_initializer="zeros", gamma_initializer="ones", beta_regularizer=None,
                 gamma_regularizer=None, beta_constraint=None, gamma_constraint=None, **kwargs):
        super().__init__(**kwargs)
        self.axis = _check_axis_arg(self, axis)
        self.epsilon = float(epsilon)
        self.center, self.scale, self.rms_scaling = bool(center), bool(scale), bool(rms_scaling)
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.beta_constraint = constraints.get(beta_constraint)
        self.gamma_constraint = constraints.get(gamma_constraint)
        self.supports_masking = True

    def build(self, input_shape):
        rank = len(input_shape)
        self._axes = _normalize_axes(self, self.axis, rank, input_shape)
        if any(input_shape[a] is None for a in self._axes):
            raise ValueError(
                f"LayerNormalization layer '{self.name}': the normalized axes {self._axes} must have "
                f"known sizes, got input shape {format_shape(input_shape)}."
            )
        shape = tuple(input_shape[a] for a in self._axes)
        # The weights broadcast against the input: sizes on the normalized axes, 1 elsewhere.
        self._broadcast = [input_shape[a] if a in self._axes else 1 for a in range(1, rank)]
        self._trailing = self._axes == list(range(rank - len(self._axes), rank))
        self.gamma = (self.add_weight(shape=shape, initializer=self.gamma_initializer, name="gamma",
                                      regularizer=self.gamma_regularizer, constraint=self.gamma_constraint)
                      if self.scale or self.rms_scaling else None)
        self.beta = (self.add_weight(shape=shape, initializer=self.beta_initializer, name="beta",
                                     regularizer=self.beta_regularizer, constraint=self.beta_constraint)
                     if self.center and not self.rms_scaling else None)
        self.built = True

    def call(self, inputs):
        if self._trailing and not self.rms_scaling:
            shape = tuple(inputs.shape[a] for a in self._axes)
            return F.layer_norm(inputs, shape, self.gamma, self.beta, self.epsilon)
        var, mean = torch.var_mean(inputs, dim=self._axes, correction=0, keepdim=True)
        out = (inputs if self.rms_scaling else inputs - mean) * torch.rsqrt(var + self.epsilon)
        if self.gamma is not None:
            out = out * self.gamma.reshape(self._broadcast)
        if self.beta is not None:
            out = out + self.beta.reshape(self._broadcast)
        return out

    def compute_output_shape(self, input_shape):
        _normalize_axes(self, self.axis, len(input_shape), input_shape)
        return tuple(input_shape)

    def get_config(self):
        from kerastorch import constraints, regularizers
        return {**super().get_config(), "axis": self.axis, "epsilon": self.epsilon, "center": self.center,
                "scale": self.scale, "rms_scaling": self.rms_scaling,
                "beta_initializer": initializers.serialize(self.beta_initializer),
                "gamma_initializer": initializers.serialize(self.gamma_initializer),
                "beta_regularizer": _ser(regularizers, self.beta_regularizer),
                "gamma_regularizer": _ser(regularizers, self.gamma_regularizer),
                "beta_constraint": _ser(constraints, self.beta_constraint),
                "gamma_constraint": _ser(constraints, self.gamma_constraint)}


class GroupNormalization(Layer):
    """Normalizes each sample over groups of channels (and all other non-batch axes).

    The `C` channels on `axis` are split into `groups` consecutive blocks of `C // groups`;
    each block is normalized with its own mean and biased variance, then scaled and
    shifted per channel. `groups=-1` normalizes every channel alone (instance
    normalization); `groups=1` normalizes over all features, like LayerNormalization.

    Args:
        groups: Number of groups; must divide the channels. Defaults to `32`.
        axis: The channels axis. Defaults to `-1`.
        epsilon: Added to the variance. Defaults to `1e-3`.
        center: Whether to learn `beta`. Defaults to `True`.
        scale: Whether to learn `gamma`. Defaults to `True`.
        beta_initializer, gamma_initializer: Defaults `"zeros"` and `"ones"`.
        beta_regularizer, gamma_regularizer, beta_constraint, gamma_constraint: Optional.

    Weights: `gamma (channels,)`, `beta (channels,)`.

    Example:
    >>> import torch
    >>> from kerastorch import layers
    >>> tuple(layers.GroupNormalization(groups=2)(torch.randn(2, 5, 4)).shape)
    (2, 5, 4)
    """

    def __init__(self, groups=32, axis=-1, epsilon=1e-3, center=True, scale=True,
                 beta_initializer="zeros", gamma_initializer="ones", beta_regularizer=None,
                 gamma_regularizer=None, beta_constraint=None, gamma_constraint=None, **kwargs):
        super().__init__(**kwargs)
        if isinstance(groups, bool) or not isinstance(groups, int) or (groups < 1 and groups != -1):
            raise ValueError(
                f"GroupNormalization layer '{self.name}': `groups` must be a positive integer (or -1 "
                f"for instance normalization), got groups={groups!r}."
            )
        if isinstance(axis, bool) or not isinstance(axis, int):
            raise TypeError(f"GroupNormalization layer '{self.name}': `axis` must be an int, got {axis!r}.")
        self.groups, self.axis, self.epsilon = groups, axis, float(epsilon)
        self.center, self.scale = bool(center), bool(scale)
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.beta_constraint = constraints.get(beta_constraint)
        self.gamma_constraint = constraints.get(gamma_constraint)
        self.supports_masking = True

    def build(self, input_shape):
        (self._axis,) = _normalize_axes(self, self.axis, len(input_shape), input_shape)
        dim = input_shape[self._axis]
        if dim is None:
            raise ValueError(
                f"GroupNormalization layer '{self.name}': the channels axis {self.axis} must have a known "
                f"size, got input shape {format_shape(input_shape)}."
            )
        if self.groups == -1:
            self.groups = dim           # as Keras, which then reports groups=channels in its config
        if dim < self.groups or dim % self.groups:
            raise ValueError(
                f"GroupNormalization layer '{self.name}': groups={self.groups} must divide the {dim} "
                f"channels of the input of shape {format_shape(input_shape)}. Choose groups among the "
                f"divisors of {dim} (e.g. {max(d for d in range(1, min(dim, self.groups) + 1) if dim % d == 0)})."
            )
        self.gamma = (self.add_weight(shape=(dim,), initializer=self.gamma_initializer, name="gamma",
                                      regularizer=self.gamma_regularizer, constraint=self.gamma_constraint)
                      if self.scale else None)
        self.beta = (self.add_weight(shape=(dim,), initializer=self.beta_initializer, name="beta",
                                     regularizer=self.beta_regularizer, constraint=self.beta_constraint)
                     if self.center else None)
        self.built = True

    def call(self, inputs):
        # torch's group_norm wants channels on axis 1 and groups consecutive channel blocks,
        # exactly Keras' reshape to (..., groups, channels // groups).
        x = inputs if self._axis == 1 else inputs.movedim(self._axis, 1)
        out = F.group_norm(x, self.groups, self.gamma, self.beta, self.epsilon)
        return out if self._axis == 1 else out.movedim(1, self._axis)

    def compute_output_shape(self, input_shape):
        _normalize_axes(self, self.axis, len(input_shape), input_shape)
        return tuple(input_shape)

    def get_config(self):
        from kerastorch import constraints, regularizers
        return {**super().get_config(), "groups": self.groups, "axis": self.axis, "epsilon": self.epsilon,
                "center": self.center, "scale": self.scale,
                "beta_initializer": initializers.serialize(self.beta_initializer),
                "gamma_initializer": initializers.serialize(self.gamma_initializer),
                "beta_regularizer": _ser(regularizers, self.beta_regularizer),
                "gamma_regularizer": _ser(regularizers, self.gamma_regularizer),
                "beta_constraint": _ser(constraints, self.beta_constraint),
                "gamma_constraint": _ser(constraints, self.gamma_constraint)}


class UnitNormalization(Layer):
    """Scales each sample to unit L2 norm over `axis`: `x / max(||x||, 1e-12)`.

    Args:
        axis: Int or list of ints, the axes the norm is taken over. Defaults to `-1`.

    Example:
    >>> import torch
    >>> from kerastorch import layers
    >>> layers.UnitNormalization()(torch.tensor([[3.0, 4.0]]))
    tensor([[0.6000, 0.8000]])
    """

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = _check_axis_arg(self, axis)
        self.supports_masking = True
        self._build_at_init()

    def call(self, inputs):
        axes = _normalize_axes(self, self.axis, inputs.dim(), tuple(inputs.shape))
        inv = torch.rsqrt(inputs.square().sum(dim=axes, keepdim=True)).clamp(max=1e12)
        return inputs * inv

    def compute_output_shape(self, input_shape):
        _normalize_axes(self, self.axis, len(input_shape), input_shape)
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}
