"""`TorchModuleWrapper`: any `torch.nn.Module` as a layer. Importable from `kerastorch.layers.base`
as before."""

import numpy as np
import torch

from kerastorch import variables as _variables
from kerastorch.layers.base import Layer


class TorchModuleWrapper(Layer):
    """Wraps any `torch.nn.Module` as a layer, so it can sit inside a `Sequential`.

    The module is used as is (its own layout, initialisation and parameters); its
    output shape is found by tracing a small batch. `Sequential` wraps plain modules
    automatically.

    Args:
        module: The `torch.nn.Module` to wrap.
        name: Optional layer name. Defaults to `torch_module_wrapper`, `..._1`, ...

    Example:
    >>> import torch
    >>> from kerastorch import layers
    >>> layer = layers.TorchModuleWrapper(torch.nn.Linear(3, 2))
    >>> layer.compute_output_shape((None, 3))
    (None, 2)
    """

    def __init__(self, module, name=None, **kwargs):
        super().__init__(name=name, **kwargs)
        if not isinstance(module, torch.nn.Module):
            raise TypeError(f"TorchModuleWrapper expects a torch.nn.Module, got {type(module).__name__}.")
        self.module = module
        # As Keras: built at construction (the module holds its weights), unless a lazy module
        # still waits for its first input.
        lazy = isinstance(module, torch.nn.modules.lazy.LazyModuleMixin) and module.has_uninitialized_params()
        self.built = not lazy

    def build(self, input_shape):
        self.built = True

    def call(self, inputs, training=None):
        return self.module(inputs)

    def _module_tensors(self):
        return list(self.module.parameters()) + [b for b in self.module.buffers() if b.is_floating_point()]

    @property
    def weights(self):
        return _variables.module_variables(self, self.module)

    @property
    def trainable_weights(self):
        return _variables.module_variables(self, self.module, trainable_only=True) if self.trainable else []

    @property
    def non_trainable_weights(self):
        return [v for v in self.weights if not (self.trainable and v.trainable)]

    def _weight_slots(self):
        return [(_SlotProxy(self, w), "value") for w in self._module_tensors()]

    def count_params(self):
        return int(sum(int(np.prod(w.shape)) for w in self._module_tensors()))

    def get_config(self):
        return {**super().get_config(), "module": repr(self.module)}


class _SlotProxy:
    """Lets set_weights() address a wrapped module's tensors like Layer attributes."""

    def __init__(self, owner, tensor):
        self.name = owner.name
        self.value = tensor
        self._weight_layouts = {}

    def _keras_value(self, name):
        return self.value
