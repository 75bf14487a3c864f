"""`Wrapper`, the base class of layers that hold another layer, and `SpectralNormalization`."""

import torch

from kerastorch import initializers
from kerastorch import variables as _variables
from kerastorch.layers.base import Layer
from kerastorch.layers.input_spec import InputSpec


class Wrapper(Layer):
    """Abstract base class of wrappers: layers that hold another layer and change how it runs.

    Subclass it and define `call`; `build` builds the wrapped layer, and `get_config` writes it
    in Keras' serialized form under `"layer"` (`from_config` reads it back). `SpectralNormalization`
    is one; use it directly rather than this class.

    Args:
        layer: The `Layer` to wrap.

    Example:
    >>> import torch
    >>> from kerastorch import layers
    >>> class Twice(layers.Wrapper):
    ...     def call(self, inputs):
    ...         return 2 * self.layer(inputs)
    >>> tuple(Twice(layers.Dense(3))(torch.ones(2, 4)).shape)
    (2, 3)
    """

    def __init__(self, layer, **kwargs):
        if not isinstance(layer, Layer):
            raise ValueError(
                f"{type(self).__name__}: `layer` must be a kerastorch layer, got {layer!r} "
                f"({type(layer).__name__}). Wrap a torch module in layers.TorchModuleWrapper first."
            )
        super().__init__(**kwargs)
        self.layer = layer

    def build(self, input_shape=None):
        if not self.layer.built:
            with _variables.name_scope_of(self):      # paths `wrapper/inner/kernel`, as Keras'
                self.layer._build_wrapper(input_shape)
        self.built = True

    def call(self, inputs, training=None):
        raise NotImplementedError(
            f"{type(self).__name__} layer '{self.name}': Wrapper is an abstract base class; subclass it and "
            "define call(), or use a concrete wrapper such as SpectralNormalization or TimeDistributed."
        )

    def compute_output_shape(self, input_shape):
        return self.layer.compute_output_shape(input_shape)

    def get_config(self):
        from kerastorch.saving.serialization import serialize_keras_object

        return {**super().get_config(), "layer": serialize_keras_object(self.layer)}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        """Creates the wrapper from `get_config()`'s dict, deserializing the wrapped layer."""
        from kerastorch.saving.serialization import deserialize_layer

        config = dict(config)
        layer = config.pop("layer")
        if not isinstance(layer, Layer):
            layer = deserialize_layer(layer, custom_objects=custom_objects)
        return cls(layer, **config)


class SpectralNormalization(Wrapper):
    """Divides the kernel of a layer by its spectral norm, estimated by power iteration.

    In training, each call runs `power_iterations` steps of power iteration from the
    non-trainable `vector_u`, stores the new `u`, and assigns `kernel / sigma` to the wrapped
    layer's kernel before running it, as Keras does (a kernel of zeros is left alone).
    Outside training the layer runs with its kernel as it is. A Keras-layout kernel of
    shape `(..., out)` is treated as the matrix `reshape(kernel, (-1, out))`.

    Args:
        layer: A layer with a `kernel` (`Dense`, `Conv2D`, ...) or `embeddings` (`Embedding`).
        power_iterations: Positive int, the power-iteration steps per training call. Defaults to `1`.

    Weights: the wrapped layer's, and `vector_u` of shape `(1, out)` (non-trainable, initialized
    with `TruncatedNormal(stddev=0.02)`); `get_weights()` lists the kernel, `vector_u`, then the
    wrapped layer's other weights, as Keras does.

    Example:
    >>> import torch
    >>> from kerastorch import layers
    >>> layer = layers.SpectralNormalization(layers.Dense(3))
    >>> tuple(layer(torch.ones(2, 4), training=True).shape)
    (2, 3)
    >>> [tuple(w.shape) for w in layer.get_weights()]
    [(4, 3), (1, 3), (3,)]
    """

    def __init__(self, layer, power_iterations=1, **kwargs):
        super().__init__(layer, **kwargs)
        if isinstance(power_iterations, bool) or not isinstance(power_iterations, int) or power_iterations <= 0:
            raise ValueError(
                f"SpectralNormalization layer '{self.name}': `power_iterations` must be a positive int, "
                f"got power_iterations={power_iterations!r}."
            )
        self.power_iterations = power_iterations
        self._kernel_attr = None

    def build(self, input_shape):
        super().build(input_shape)
        self.input_spec = InputSpec(min_ndim=1, axes={-1: input_shape[-1]})
        for attr in ("kernel", "embeddings"):
            if attr in self.layer._keras_weights:
                self._kernel_attr = attr
                break
        else:
            raise ValueError(
                f"SpectralNormalization layer '{self.name}': the wrapped {type(self.layer).__name__} "
                f"'{self.layer.name}' has no weight 'kernel' nor 'embeddings'. Wrap a layer such as "
                "Dense, Conv2D or Embedding."
            )
        kernel = self.layer._keras_value(self._kernel_attr)
        self._kernel_shape = tuple(kernel.shape)
        self.vector_u = self.add_weight(shape=(1, self._kernel_shape[-1]),
                                        initializer=initializers.TruncatedNormal(stddev=0.02),
                                        trainable=False, name="vector_u",
                                        dtype=str(kernel.dtype).replace("torch.", ""))
        self.built = True

    @property
    def kernel(self):
        """The wrapped layer's kernel (or embeddings) as a Variable, as Keras' `self.kernel`."""
        return _variables.layer_variable(self.layer, self._kernel_attr)

    def normalized_weights(self):
        """Returns `(new_vector_u, kernel / sigma)` from power iteration, both without gradient."""
        from kerastorch.ops.nn import normalize

        with torch.no_grad():
            kernel = self.layer._keras_value(self._kernel_attr)
            weights = kernel.reshape(-1, self._kernel_shape[-1])
            u = self.vector_u
            for _ in range(self.power_iterations):
                v = normalize(u @ weights.T, axis=None)
                u = normalize(v @ weights, axis=None)
            sigma = (v @ weights) @ u.T
            return u.to(self.vector_u.dtype), (kernel / sigma).reshape(self._kernel_shape).to(kernel.dtype)

    def call(self, inputs, training=False):
        if training and torch.any(self.layer._keras_value(self._kernel_attr) != 0):
            u, kernel = self.normalized_weights()
            with torch.no_grad():
                self.vector_u.copy_(u)
                stored = _variables.stored_tensor(getattr(self.layer, self._kernel_attr))
                layout = self.layer._weight_layouts.get(self._kernel_attr)
                stored.copy_(layout[0](kernel) if layout else kernel)
        outputs = self.layer(inputs, training=training)
        return outputs.to(inputs.dtype) if outputs.dtype != inputs.dtype else outputs

    # Keras tracks the kernel as this layer's own variable too: get_weights() lists it first,
    # and the weights file holds it under both `vars/0` and `layer/vars/0`.
    def _own_slots(self):
        return [(self.layer, self._kernel_attr)] + [(self, n) for n in self._keras_weights]

    def _weight_slots(self):
        if self._kernel_attr is None:
            return super()._weight_slots()
        own = self._own_slots()
        return own + [s for s in self.layer._weight_slots() if s != own[0]]

    @property
    def weights(self):
        if self._kernel_attr is None:
            return super().weights
        return [_variables.layer_variable(owner, n) for owner, n in self._weight_slots()]

    def _keras_h5_tree(self):
        from kerastorch.saving.weights_h5 import layer_tree

        inner = [(f"layer/{path}", slots) for path, slots in layer_tree(self.layer)]
        own = self._own_slots() if self._kernel_attr is not None else []
        return [("vars", own)] + inner

    def get_config(self):
        return {**super().get_config(), "power_iterations": self.power_iterations}
