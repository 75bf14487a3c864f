"""`Pipeline`: a list of (preprocessing) layers applied in order, as one layer."""

import torch

from kerastorch.layers.base import Layer, _call_arguments


class Pipeline(Layer):
    """Applies a list of layers in order, passing masks along; meant for preprocessing chains.

    Unlike `Sequential` it is a plain layer (no `fit`, no input shape): use it where one
    preprocessing step is expected, e.g. `Pipeline([layers.Rescaling(1 / 255), layers.RandomFlip()])`.
    Its config is Keras' (`layers` and `name` only).

    Args:
        layers: List of layers.
        name: Optional name. Defaults to `pipeline`, `pipeline_1`, ...

    Call arguments: `inputs`, `training` (passed to the layers that take it; defaults to
    `True` as in Keras when called directly), `mask`.

    Example:
    >>> import torch
    >>> from kerastorch import layers
    >>> pipe = layers.Pipeline([layers.Rescaling(2.0), layers.Rescaling(0.5, offset=1.0)])
    >>> pipe(torch.tensor([[1.0, 2.0]]))
    tensor([[2., 3.]])
    """

    def __init__(self, layers, name=None):
        super().__init__(name=name)
        if not isinstance(layers, (list, tuple)) or not all(isinstance(x, torch.nn.Module) for x in layers):
            raise ValueError(f"Pipeline '{self.name}': `layers` must be a list of layers, got {layers!r}.")
        self._pipeline_layers = torch.nn.ModuleList(layers)

    @property
    def layers(self):
        """The list of layers, in order."""
        return list(self._pipeline_layers)

    def _sublayers(self):
        return [x for x in self._pipeline_layers if isinstance(x, Layer)]

    def build(self, input_shape):
        # Each layer is built from the shape the previous one gives, so the weights exist before a call.
        shape = tuple(input_shape)
        for layer in self._pipeline_layers:
            if isinstance(layer, Layer):
                if not layer.built:
                    layer._build_wrapper(shape)
                shape = layer.compute_output_shape(shape)
        self.built = True

    def call(self, inputs, training=True, mask=None):
        for layer in self._pipeline_layers:
            kwargs = {}
            accepted = _call_arguments(type(layer)) if isinstance(layer, Layer) else set()
            if "mask" in accepted and mask is not None:
                kwargs["mask"] = mask
            if "training" in accepted and training is not None:
                kwargs["training"] = training
            outputs = layer(inputs, **kwargs)
            compute_mask = getattr(layer, "compute_mask", None)
            mask = compute_mask(inputs, mask) if compute_mask is not None else None
            inputs = outputs
        return inputs

    def compute_output_shape(self, input_shape):
        shape = input_shape
        for layer in self._pipeline_layers:
            shape = layer.compute_output_shape(shape)
        return shape

    def _keras_h5_tree(self):
        from kerastorch.saving.weights_h5 import container_keys, layer_tree

        tree = [("vars", [])]
        for key, layer in zip(container_keys(self.layers), self.layers):
            tree.extend((f"layers/{key}/{path}", slots) for path, slots in layer_tree(layer))
        return tree

    def get_config(self):
        from kerastorch.saving.serialization import serialize_keras_object

        return {"layers": [serialize_keras_object(x) for x in self._pipeline_layers], "name": self.name}

    @classmethod
    def from_config(cls, config):
        """Creates the pipeline from `get_config()`'s dict, deserializing each layer."""
        from kerastorch.saving.serialization import deserialize_layer

        layers = config.get("layers")
        if not isinstance(layers, (list, tuple)):
            raise ValueError(f"A Pipeline config needs a 'layers' list of serialized layers, got layers={layers!r}.")
        config = {**config, "layers": [x if isinstance(x, Layer) else deserialize_layer(x) for x in layers]}
        return cls(**config)
