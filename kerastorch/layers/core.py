"""Core layers: `Input`, `InputLayer`, `Dense`, `Activation`, `Dropout`, `Flatten`, `Identity`."""

import math

import torch
import torch.nn.functional as F

from kerastorch import activations, config, initializers, random
from kerastorch.layers import symbolic as _symbolic
from kerastorch.layers.base import KerasTensor, Layer, format_shape, get_activation


def _standardize_dtype(dtype):
    from kerastorch.backend import standardize_dtype

    return standardize_dtype(dtype)


def _check_positive_int(layer, arg, value):
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(
            f"{type(layer).__name__} layer '{layer.name}': `{arg}` must be a positive integer, "
            f"got {arg}={value!r}."
        )


def _standardize_shape(shape, where):
    if isinstance(shape, int):
        shape = (shape,)
    try:
        shape = tuple(None if d is None else int(d) for d in shape)
    except (TypeError, ValueError):
        raise ValueError(f"{where}: `shape` must be a tuple of ints (or None), got {shape!r}.") from None
    if any(d is not None and d < 0 for d in shape):
        raise ValueError(f"{where}: `shape` must not hold negative sizes, got {shape!r}.")
    return shape


class InputLayer(Layer):
    """The entry of a model: declares the shape of one sample. Does no computation.

    `Sequential` turns `layers.Input(shape=...)` into an `InputLayer`; it is not listed
    in `model.layers`, as in Keras.

    Args:
        shape: Shape of ONE sample, without the batch axis, e.g. `(784,)` or `(28, 28, 3)`.
        batch_size: Optional fixed batch size.
        dtype: Dtype of the input. Defaults to `None` (`kerastorch.config.floatx()`).
        batch_shape: Alternatively, the full shape with the batch axis first.
        name: Optional name.

    Example:
    >>> from kerastorch import layers
    >>> layers.InputLayer(shape=(28, 28, 1)).batch_shape
    (None, 28, 28, 1)
    """

    def __init__(self, shape=None, batch_size=None, dtype=None, sparse=None, batch_shape=None,
                 name=None, input_tensor=None, optional=False, **kwargs):
        super().__init__(name=name or None, **kwargs)
        if sparse:
            raise ValueError(f"InputLayer '{self.name}': sparse=True is not supported on torch (as in Keras' "
                             "torch backend). Feed dense tensors and declare Input(shape=..., sparse=False).")
        if input_tensor is not None:
            if not isinstance(input_tensor, KerasTensor):
                raise TypeError(f"InputLayer '{self.name}': `input_tensor` (Input's `tensor=`) must be a "
                                f"KerasTensor, got {type(input_tensor).__name__}. Pass the output of "
                                "kerastorch.Input(...) or of a layer.")
            if batch_shape is None and shape is None:
                batch_shape = input_tensor.shape
            if dtype is None:
                dtype = input_tensor.dtype
        if batch_shape is not None:
            self.batch_shape = _standardize_shape(batch_shape, f"InputLayer '{self.name}'")
        elif shape is not None:
            self.batch_shape = (batch_size, *_standardize_shape(shape, f"Input '{self.name}'"))
        else:
            raise ValueError(
                f"Input '{self.name}': give the shape of one sample, e.g. Input(shape=(784,)), "
                "or batch_shape=(None, 784)."
            )
        self.input_dtype = config.floatx() if dtype is None else _standardize_dtype(dtype)
        self.optional = bool(optional)
        self.built = True
        # The layer's one node: no inputs, its output the model's input (Keras' graph entry point).
        tensor = input_tensor if input_tensor is not None else \
            KerasTensor(self.batch_shape, dtype=self.input_dtype, name=self.name)
        _symbolic.Node(self, outputs=tensor)
        tensor._input_layer = self
        self._output_tensor = tensor

    def call(self, inputs):
        return inputs

    def compute_output_shape(self, input_shape):
        return self.batch_shape

    def get_config(self):
        return {"batch_shape": list(self.batch_shape), "dtype": self.input_dtype, "sparse": False,
                "ragged": False, "name": self.name, "optional": self.optional}


def Input(shape=None, batch_size=None, dtype=None, sparse=None, batch_shape=None, name=None,
          tensor=None, optional=False):
    """Declares the input of a model: the shape of ONE sample, without the batch axis.

    Place it first in a `Sequential`, or call layers on it and give it to
    `kerastorch.Model(inputs, outputs)` (the Functional API). The batch axis is added as
    `None`: data of any batch size fits, and `fit(batch_size=...)` chooses it.

    Args:
        shape: Shape of one sample, e.g. `(784,)` for vectors or `(28, 28, 3)` for
            channels-last images. Do NOT include the batch size.
        batch_size: Optional fixed batch size.
        dtype: Dtype of the input data. Defaults to `None` (`kerastorch.config.floatx()`).
        sparse: Must be `None` or `False`: sparse inputs are refused on torch, as in Keras'
            torch backend. Defaults to `None`.
        batch_shape: Alternatively, the full shape, batch axis first.
        name: Optional name (a Functional model's input names come from here).
        tensor: Optional existing `KerasTensor` to use as the input, instead of a new one.
        optional: Whether the model may be called with `None` for this input. Defaults to `False`.

    Returns:
        A `KerasTensor` with `.shape == (batch_size, *shape)`, the output of a new `InputLayer`.

    Example:
    >>> from kerastorch import layers
    >>> layers.Input(shape=(28, 28, 3)).shape
    (None, 28, 28, 3)
    """
    layer = InputLayer(shape=shape, batch_size=batch_size, dtype=dtype, sparse=sparse, batch_shape=batch_shape,
                       name=name, input_tensor=tensor, optional=optional)
    return layer.output


def _transpose(tensor):
    """Keras' Dense kernel (in, out) <-> torch's Linear weight (out, in)."""
    return tensor.t()


class Dense(Layer):
    """Fully connected layer: `activation(inputs @ kernel + bias)`.

    Args:
        units: Positive integer, size of the last axis of the output.
        activation: Activation name or callable. Defaults to `None` (identity).
        use_bias: Whether to add a learned bias. Defaults to `True`.
        kernel_initializer: Initializer for `kernel`. Defaults to `"glorot_uniform"`.
        bias_initializer: Initializer for `bias`. Defaults to `"zeros"`.
        kernel_regularizer: Optional regularizer. Defaults to `None`.
        bias_regularizer: Optional regularizer. Defaults to `None`.
        activity_regularizer: Optional regularizer. Defaults to `None`.
        kernel_constraint: Optional constraint. Defaults to `None`.
        bias_constraint: Optional constraint. Defaults to `None`.

    Input shape: `(batch_size, ..., input_dim)`. Output shape: `(batch_size, ..., units)`.
    Weights: `kernel (input_dim, units)`, `bias (units,)` in Keras' layout, as
    `get_weights()`/`set_weights()` and saved files show them. Inside, the kernel is stored
    as torch's `Linear` weight, `(units, input_dim)`, the layout BLAS is fastest on for both
    passes (measured: 40% less time for a 128->10 output layer at batch 256).

    Example:
    >>> import torch
    >>> from kerastorch import layers
    >>> tuple(layers.Dense(4)(torch.ones(2, 3)).shape)
    (2, 4)
    """

    def __init__(self, units, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, bias_constraint=None,
                 lora_rank=None, lora_alpha=None, quantization_config=None, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True     # as Keras: a mask passes through to the next layer
        if lora_rank is not None or lora_alpha is not None or quantization_config is not None:
            raise NotImplementedError(
                f"Dense layer '{self.name}': LoRA (lora_rank/lora_alpha) and quantization "
                "(quantization_config) are not implemented in kerastorch. Remove these arguments; "
                "to fine-tune a few parameters, freeze the layer (layer.trainable = False) and add a "
                "small trainable layer, or use a PyTorch LoRA library on the model's modules."
            )
        _check_positive_int(self, "units", units)
        self.units = units
        self.activation = get_activation(self, "activation", activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        from kerastorch import constraints, regularizers

        # Resolved here, as Keras does: an unknown name fails now, and get_config() writes Keras' dicts.
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        if activity_regularizer is not None:
            self.activity_regularizer = regularizers.get(activity_regularizer)
        self._linear_activation = activations.serialize(self.activation) == "linear"

    def build(self, input_shape):
        in_dim = input_shape[-1] if len(input_shape) >= 2 else None
        if in_dim is None:
            raise ValueError(
                f"Dense layer '{self.name}' needs a known last axis, got input shape "
                f"{format_shape(input_shape)}. Give the model an input shape with a fixed last "
                "axis, e.g. layers.Input(shape=(784,))."
            )
        self.kernel = self.add_weight(shape=(in_dim, self.units), initializer=self.kernel_initializer,
                                      regularizer=self.kernel_regularizer,
                                      constraint=self.kernel_constraint, name="kernel",
                                      layout=(_transpose, _transpose))
        self.bias = (self.add_weight(shape=(self.units,), initializer=self.bias_initializer,
                                     regularizer=self.bias_regularizer,
                                     constraint=self.bias_constraint, name="bias")
                     if self.use_bias else None)
        self.built = True

    def call(self, inputs):
        outputs = F.linear(inputs, self.kernel, self.bias)
        if self._linear_activation:
            return outputs
        if self.activation is activations.relu and not torch.is_grad_enabled() and type(outputs) is torch.Tensor:
            return outputs.relu_()      # inference: in place, on the layer's own new tensor (one buffer fewer)
        return self.activation(outputs)

    def _call_without_activation(self, inputs):
        """The pre-activation output (logits), for the trainer's fused softmax-crossentropy."""
        return F.linear(inputs, self.kernel, self.bias)

    def enable_lora(self, rank, lora_alpha=None, a_initializer="he_uniform", b_initializer="zeros"):
        """Keras' LoRA switch: not implemented in kerastorch, so it raises.

        Raises:
            NotImplementedError: always, saying what to use instead.
        """
        raise NotImplementedError(
            f"Dense layer '{self.name}'.enable_lora(rank={rank!r}): LoRA is not implemented in "
            "kerastorch. Freeze the layer (layer.trainable = False) and train a small added layer, "
            "or use a PyTorch LoRA library on the model's modules."
        )

    def compute_output_shape(self, input_shape):
        if len(input_shape) < 2:
            raise ValueError(
                f"Dense layer '{self.name}' expects inputs with at least 2 axes (batch, features), "
                f"got shape {format_shape(input_shape)}."
            )
        return (*input_shape[:-1], self.units)

    def get_config(self):
        from kerastorch import constraints, regularizers
        return {**super().get_config(), "units": self.units,
                "activation": activations.serialize(self.activation), "use_bias": self.use_bias,
                "kernel_initializer": initializers.serialize(self.kernel_initializer),
                "bias_initializer": initializers.serialize(self.bias_initializer),
                "kernel_regularizer": regularizers.serialize(self.kernel_regularizer) if self.kernel_regularizer else None,
                "bias_regularizer": regularizers.serialize(self.bias_regularizer) if self.bias_regularizer else None,
                "kernel_constraint": constraints.serialize(self.kernel_constraint) if self.kernel_constraint else None,
                "bias_constraint": constraints.serialize(self.bias_constraint) if self.bias_constraint else None,
                "quantization_config": None}    # as Keras writes it (quantization is not implemented)


class Activation(Layer):
    """Applies an activation function to its input.

    Args:
        activation: Activation name (`"relu"`, `"softmax"`, ...) or callable.

    Example:
    >>> import torch
    >>> from kerastorch import layers
    >>> layers.Activation("relu")(torch.tensor([[-1.0, 2.0]]))
    tensor([[0., 2.]])
    """

    def __init__(self, activation, **kwargs):
        super().__init__(**kwargs)
        self.activation = get_activation(self, "activation", activation)
        self.supports_masking = True
        self._build_at_init()

    def call(self, inputs):
        return self.activation(inputs)

    def _call_without_activation(self, inputs):
        return inputs

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "activation": activations.serialize(self.activation)}


class Dropout(Layer):
    """Sets a fraction `rate` of inputs to 0 in training, scaling the rest by `1 / (1 - rate)`.

    Inactive outside training (`evaluate`, `predict`, `model.eval()`). Without `seed` and
    `noise_shape` it is torch's fused dropout on torch's global generator (as Keras' torch
    backend). With a `seed`, the masks come from the layer's `seed_generator`
    (`kerastorch.random.SeedGenerator(seed)`): two layers made with the same seed drop the
    same values, call after call.

    Args:
        rate: Float in [0, 1], the fraction of inputs to drop (`1` drops everything).
        noise_shape: Optional shape of the binary mask, broadcast over the input
            (`None` axes take the input's size), e.g. `(None, 1, features)`. Defaults to `None`.
        seed: Optional int seed. Defaults to `None`.

    Example:
    >>> import torch
    >>> from kerastorch import layers
    >>> layers.Dropout(0.5)(torch.ones(2, 4), training=False)
    tensor([[1., 1., 1., 1.],
            [1., 1., 1., 1.]])
    """

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0 <= rate <= 1:
            raise ValueError(
                f"Dropout layer '{self.name}': `rate` must be a float in [0, 1], got rate={rate!r}."
            )
        self.rate = float(rate)
        self.noise_shape = None if noise_shape is None else tuple(noise_shape)
        self.seed = seed
        self.supports_masking = True
        if self.rate > 0:    # as Keras: a generator only for a layer that drops
            self.seed_generator = random.SeedGenerator(seed)
        # Torch's fused kernel serves the unseeded case; the rest takes the seeded path.
        self._fused = seed is None and self.noise_shape is None
        self._build_at_init()

    def call(self, inputs, training=None):
        if not training or self.rate == 0:
            return inputs
        if self._fused:
            return F.dropout(inputs, self.rate, True)
        return random._dropout(inputs, self.rate, self.noise_shape, self.seed_generator,
                               f"Dropout layer '{self.name}'")

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "rate": self.rate,
                "noise_shape": list(self.noise_shape) if self.noise_shape else None, "seed": self.seed}


class Flatten(Layer):
    """Flattens each sample to one axis: `(batch, d1, d2, ...)` -> `(batch, d1 * d2 * ...)`.

    Features are ordered as Keras orders them: for channels-last images `(H, W, C)`,
    so a Dense kernel trained in Keras fits unchanged.

    Args:
        data_format: `"channels_last"` (default) or `"channels_first"`. Channels-first
            inputs are moved to channels-last before flattening, as Keras 3 does, so the
            feature order is `(H, W, C)` either way.

    Example:
    >>> import torch
    >>> from kerastorch import layers
    >>> tuple(layers.Flatten()(torch.zeros(2, 4, 4, 3)).shape)
    (2, 48)
    """

    def __init__(self, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = config.standardize_data_format(data_format)

    def call(self, inputs):
        if self.data_format == "channels_first" and inputs.dim() > 2:
            inputs = inputs.movedim(1, -1)
        return inputs.reshape(inputs.shape[0], -1)

    def compute_output_shape(self, input_shape):
        rest = input_shape[1:]
        size = None if any(d is None for d in rest) else math.prod(rest)
        return (input_shape[0], size)

    def get_config(self):
        return {**super().get_config(), "data_format": self.data_format}


class Identity(Layer):
    """Returns its input unchanged: a placeholder where no operation is to be done.

    It takes any input (a tensor, or a list or dict of them) and passes masks on. It has no
    weights and is built when made.

    Args:
        **kwargs: Standard layer keyword arguments (`name`, `dtype`, `trainable`).

    Input shape: any. Output shape: the input shape.

    Example:
    >>> import torch
    >>> from kerastorch import layers
    >>> layers.Identity()(torch.tensor([[1.0, 2.0]])).tolist()
    [[1.0, 2.0]]
    """

    # No weights: integer inputs keep their dtype, as in Keras.
    accepts_integer_inputs = True

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True
        self._build_at_init()

    def call(self, inputs):
        return inputs

    def compute_output_shape(self, input_shape):
        return input_shape
