"""Keras layer names that cannot work on torch: `JaxLayer`, `FlaxLayer` (JAX) and `TFSMLayer` (TensorFlow).

Each exists, as in Keras, and raises a `NotImplementedError` that says why and what to use
instead (listed in docs/keras-coverage.md).
"""

from kerastorch.layers.base import Layer


class JaxLayer(Layer):
    """Keras' wrapper of a JAX function as a layer; JAX-only, so unavailable on kerastorch.

    Args:
        call_fn: The JAX function Keras would wrap.
        init_fn: Keras' parameter initialization function. Defaults to `None`.
        params: Keras' initial parameters. Defaults to `None`.
        state: Keras' initial non-trainable state. Defaults to `None`.
        seed: Keras' seed. Defaults to `None`.
        native_serialization_platforms: Keras' export platforms. Defaults to `None`.

    Raises:
        NotImplementedError: always; the message names the torch alternative.

    Example:
    >>> from kerastorch import layers
    >>> try:
    ...     layers.JaxLayer(lambda params, x: x)
    ... except NotImplementedError as e:
    ...     print(str(e).split(". ")[0])
    layers.JaxLayer wraps a JAX function and runs only on Keras' JAX backend
    """

    def __init__(self, call_fn=None, init_fn=None, params=None, state=None, seed=None,
                 native_serialization_platforms=None, **kwargs):
        raise NotImplementedError(
            "layers.JaxLayer wraps a JAX function and runs only on Keras' JAX backend. kerastorch runs on "
            "PyTorch: write the computation as a torch.nn.Module and wrap it in "
            "layers.TorchModuleWrapper(module), or subclass layers.Layer and use kerastorch.ops in call()."
        )


class FlaxLayer(Layer):
    """Keras' wrapper of a Flax module as a layer; JAX-only, so unavailable on kerastorch.

    Args:
        module: The Flax module Keras would wrap.
        method: Keras' method of the module to call. Defaults to `None`.
        variables: Keras' initial Flax variables. Defaults to `None`.

    Raises:
        NotImplementedError: always; the message names the torch alternative.

    Example:
    >>> from kerastorch import layers
    >>> try:
    ...     layers.FlaxLayer(None)
    ... except NotImplementedError as e:
    ...     print(str(e).split(". ")[0])
    layers.FlaxLayer wraps a Flax (JAX) module and runs only on Keras' JAX backend
    """

    def __init__(self, module=None, method=None, variables=None, **kwargs):
        raise NotImplementedError(
            "layers.FlaxLayer wraps a Flax (JAX) module and runs only on Keras' JAX backend. kerastorch runs "
            "on PyTorch: port the module to a torch.nn.Module and wrap it in layers.TorchModuleWrapper(module)."
        )


class TFSMLayer(Layer):
    """Keras' layer that reloads a TensorFlow SavedModel; it needs TensorFlow, so it is unavailable here.

    Args:
        filepath: The SavedModel directory Keras would load.
        call_endpoint: Keras' inference endpoint name. Defaults to `"serve"`.
        call_training_endpoint: Keras' training endpoint name. Defaults to `None`.
        trainable: Defaults to `True`.
        name: Defaults to `None`.
        dtype: Defaults to `None`.

    Raises:
        NotImplementedError: always; the message names the alternatives.

    Example:
    >>> from kerastorch import layers
    >>> try:
    ...     layers.TFSMLayer("saved_model_dir")
    ... except NotImplementedError as e:
    ...     print(str(e).split(". ")[0])
    layers.TFSMLayer loads a TensorFlow SavedModel, which needs TensorFlow's runtime
    """

    def __init__(self, filepath=None, call_endpoint="serve", call_training_endpoint=None, trainable=True,
                 name=None, dtype=None):
        raise NotImplementedError(
            "layers.TFSMLayer loads a TensorFlow SavedModel, which needs TensorFlow's runtime. kerastorch runs "
            "on PyTorch and does not read SavedModels: rebuild the model in kerastorch and load its weights by "
            "file (model.load_weights('model.weights.h5') or kerastorch.models.load_model('model.keras'), "
            "saved from Keras), or export a torch program with model.export()."
        )
