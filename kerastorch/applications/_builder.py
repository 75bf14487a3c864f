"""Pieces every architecture module shares (internal): the image input, the top, the model.

    img_input = image_input(input_tensor, input_shape)      # Keras' input_tensor rules
    ...layers on img_input...
    x = top(x, include_top, pooling, classes, classifier_activation, weights)
    model = make_model(input_tensor, img_input, x, name)     # inputs from input_tensor's sources

`top` is the ResNet/DenseNet/Xception/Inception head (`avg_pool` + `predictions`, or the
`avg_pool`/`max_pool` of `pooling`); VGG builds its own.
"""

from kerastorch import config


def bn_axis():
    """The channel axis for BatchNormalization/Concatenate: 3 channels-last, 1 channels-first."""
    return 3 if config.image_data_format() == "channels_last" else 1


def image_input(input_tensor, input_shape):
    """The model's input: `Input(shape=input_shape)`, or `input_tensor` as Keras takes it.

    A symbolic tensor (`kerastorch.Input(...)` or a layer's output) is used as is, and the model's
    inputs are its source inputs; anything else is refused with a ValueError, as Keras' `Input(tensor=...)`
    refuses it.
    """
    from kerastorch import backend, layers

    if input_tensor is None:
        return layers.Input(shape=input_shape)
    if backend.is_keras_tensor(input_tensor):
        return input_tensor
    # Keras passes anything else to Input(tensor=...), which refuses it with a ValueError; say so here.
    raise ValueError(f"Argument `input_tensor` must be a KerasTensor (kerastorch.Input(...) or a layer's output "
                     f"on one). Received invalid type: {type(input_tensor).__name__}. To run the model on a "
                     f"tensor, build it with input_shape=... and call it: model(tensor).")


def top(x, include_top, pooling, classes, classifier_activation, weights):
    """Keras' common head: GlobalAveragePooling2D('avg_pool') + Dense('predictions'), or pooling only."""
    from kerastorch import layers
    from kerastorch.applications import imagenet_utils

    if include_top:
        x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
        imagenet_utils.validate_activation(classifier_activation, weights)
        return layers.Dense(classes, activation=classifier_activation, name="predictions")(x)
    if pooling == "avg":
        return layers.GlobalAveragePooling2D(name="avg_pool")(x)
    if pooling == "max":
        return layers.GlobalMaxPooling2D(name="max_pool")(x)
    return x


def make_model(input_tensor, img_input, outputs, name):
    """`Model(inputs, outputs, name=name)`, its inputs the sources of `input_tensor` when given."""
    from kerastorch.models.model import Model
    from kerastorch.utils import get_source_inputs

    inputs = img_input if input_tensor is None else get_source_inputs(input_tensor)
    return Model(inputs, outputs, name=name)


def check_pooling(pooling):
    """Refuses a `pooling` other than None, "avg" or "max" (Keras treats any other value as None)."""
    if pooling not in (None, "avg", "max"):
        raise ValueError(f"`pooling` must be None (the 4-D output of the last block), 'avg' or 'max' (global "
                         f"average or max pooling). Received: pooling={pooling!r}")
