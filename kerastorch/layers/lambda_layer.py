"""`Lambda` (any function as a layer) and `Masking` (skip time steps equal to a padding value)."""

import base64
import inspect
import marshal
import types

import torch

from kerastorch.layers.base import Layer


class Lambda(Layer):
    """Wraps a function of tensors as a layer, e.g. `Lambda(lambda x: x * 2)`.

    The function runs on torch tensors (use `torch` operations). It has no weights:
    for trainable state, subclass `Layer` instead.

    Args:
        function: Callable `function(inputs, **arguments)`; if it takes `mask` or
            `training` arguments, they are passed too.
        output_shape: Optional output shape, without the batch axis (a tuple), or a
            callable `input_shape -> output_shape` (batch axis included). Defaults to
            `None`: found by running the function on a small zero batch.
        mask: Optional mask to pass on: a callable `(inputs, previous_mask) -> mask`
            or a fixed mask. Defaults to `None` (no mask after this layer, as in Keras).
        arguments: Optional dict of keyword arguments for `function`. Defaults to `None`.

    Input shape: anything `function` accepts. Output shape: what it returns.

    Example:
    >>> import torch
    >>> from kerastorch import layers
    >>> layers.Lambda(lambda x, k: x * k, arguments={"k": 3})(torch.ones(1, 2))
    tensor([[3., 3.]])
    """

    def __init__(self, function, output_shape=None, mask=None, arguments=None, **kwargs):
        super().__init__(**kwargs)
        if not callable(function):
            raise TypeError(
                f"Lambda layer '{self.name}': `function` must be callable, got {function!r} "
                f"({type(function).__name__})."
            )
        if arguments is not None and not isinstance(arguments, dict):
            raise TypeError(
                f"Lambda layer '{self.name}': `arguments` must be a dict of keyword arguments, got "
                f"{arguments!r}."
            )
        self.function = function
        self.arguments = dict(arguments or {})
        self.mask = mask
        self.supports_masking = mask is not None
        self._output_shape = output_shape
        try:
            params = inspect.signature(function).parameters
        except (TypeError, ValueError):
            params = {}
        self._wants_mask = "mask" in params
        self._wants_training = "training" in params

    def call(self, inputs, training=None, mask=None):
        kwargs = dict(self.arguments)
        if self._wants_mask:
            kwargs["mask"] = mask
        if self._wants_training:
            kwargs["training"] = training
        return self.function(inputs, **kwargs)

    def compute_output_shape(self, input_shape):
        if self._output_shape is None:
            return super().compute_output_shape(input_shape)
        if callable(self._output_shape):
            return tuple(self._output_shape(tuple(input_shape)))
        return (input_shape[0], *tuple(self._output_shape))

    def compute_mask(self, inputs, previous_mask=None):
        if callable(self.mask):
            return self.mask(inputs, previous_mask)
        return self.mask

    def get_config(self):
        # Keras' '__lambda__' form: the function's bytecode, marshalled and base64-encoded.
        # Like Keras, it loads only on the same Python version, and only with safe_mode=False.
        code = base64.encodebytes(marshal.dumps(self.function.__code__)).decode("ascii")
        function = {"class_name": "__lambda__", "config": {"code": code, "defaults": None, "closure": None}}
        config = {**super().get_config(), "function": function, "arguments": self.arguments}
        if self._output_shape is not None and not callable(self._output_shape):
            config["output_shape"] = list(self._output_shape)
        return config

    @classmethod
    def from_config(cls, config, safe_mode=None):
        """Rebuilds a Lambda from `get_config()`.

        Args:
            config: The config dict.
            safe_mode: Loading a function from bytecode runs arbitrary code, so it is
                refused unless `safe_mode=False` (Keras' rule). Defaults to `None`: safe,
                unless `kerastorch.config.enable_unsafe_deserialization()` was called.
        """
        if safe_mode is None:
            from kerastorch._config_flags import _effective_safe_mode

            safe_mode = _effective_safe_mode(True)
        config = dict(config)
        function = config.pop("function")
        if isinstance(function, dict):
            if safe_mode:
                raise ValueError(
                    f"Lambda layer '{config.get('name')}': its function is stored as Python bytecode, "
                    "which can run arbitrary code when loaded. Pass safe_mode=False if you trust the "
                    "source of this config."
                )
            code = marshal.loads(base64.decodebytes(function["config"]["code"].encode("ascii")))
            function = types.FunctionType(code, globals())
        return cls(function, **config)


class Masking(Layer):
    """Marks time steps to skip: a step whose features all equal `mask_value` is masked.

    The mask goes on to the following layers (RNNs keep their state through masked
    steps); the masked steps themselves are set to 0 in the output, as in Keras.

    Args:
        mask_value: The padding value. Defaults to `0.0`.

    Input shape: `(batch, timesteps, features)`. Output shape: the same.

    Example:
    >>> import torch
    >>> from kerastorch import layers
    >>> x = torch.tensor([[[1.0, 2.0], [0.0, 0.0], [3.0, 0.0]]])
    >>> layers.Masking()(x).shape, layers.Masking().compute_mask(x).tolist()
    (torch.Size([1, 3, 2]), [[True, False, True]])
    """

    produces_mask = True

    def __init__(self, mask_value=0.0, **kwargs):
        super().__init__(**kwargs)
        self.mask_value = mask_value
        self.supports_masking = True
        self._build_at_init()

    def call(self, inputs):
        keep = (inputs != self.mask_value).any(dim=-1, keepdim=True)
        return torch.where(keep, inputs, torch.zeros((), dtype=inputs.dtype, device=inputs.device))

    def compute_mask(self, inputs, previous_mask=None):
        return (inputs != self.mask_value).any(dim=-1)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "mask_value": self.mask_value}
