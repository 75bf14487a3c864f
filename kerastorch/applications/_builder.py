"""Pieces every architecture module shares (internal): the argument checks, the image input, the top,
the model and its weights.

    check_weights(weights, include_top, classes)            # Keras' checks of `weights`
    input_shape = obtain_input_shape(input_shape, default_size, min_size, include_top, weights)
    img_input = image_input(input_tensor, input_shape)      # Keras' input_tensor rules
    ...layers on img_input...
    x = top(x, include_top, pooling, classes, classifier_activation, weights)
    model = make_model(input_tensor, img_input, x, name)     # inputs from input_tensor's sources

    load_weights(model, weights, file_name, origin=...)

`top` is the ResNet/DenseNet/Xception/Inception head (`avg_pool` + `predictions`, or the
`avg_pool`/`max_pool` of `pooling`); VGG builds its own.
"""

from kerastorch import config
from kerastorch.applications import _weights, imagenet_utils


def check_weights(weights, include_top, classes):
    """Keras' checks of `weights` (see `_weights.check_weights`)."""
    _weights.check_weights(weights, include_top, classes)


def obtain_input_shape(input_shape, default_size, min_size, include_top, weights):
    """`imagenet_utils.obtain_input_shape` in the global data format, `require_flatten=include_top`."""
    return imagenet_utils.obtain_input_shape(input_shape, default_size, min_size, config.image_data_format(),
                                             require_flatten=include_top, weights=weights)


def load_weights(model, weights, file_name, origin=None, file_hash=None):
    """`_weights.load_weights(model, weights, file_name, origin, file_hash)`; returns `model`."""
    _weights.load_weights(model, weights, file_name=file_name, origin=origin, file_hash=file_hash)
    return model


def source_inputs(img_input, input_tensor):
    """The model's inputs: `img_input`, or the source inputs of `input_tensor` when given."""
    from kerastorch.utils import get_source_inputs

    return img_input if input_tensor is None else get_source_inputs(input_tensor)


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

    return Model(source_inputs(img_input, input_tensor), outputs, name=name)


def check_pooling(pooling):
    """Refuses a `pooling` other than None, "avg" or "max" (Keras treats any other value as None)."""
    if pooling not in (None, "avg", "max"):
        raise ValueError(f"`pooling` must be None (the 4-D output of the last block), 'avg' or 'max' (global "
                         f"average or max pooling). Received: pooling={pooling!r}")
