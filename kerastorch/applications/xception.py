"""Xception (Chollet, 2017), as `keras.applications.xception`.

A Functional model with Keras' layer names (`block1_conv1`, `block2_sepconv1`, ...,
`block14_sepconv2_act`, `predictions`); the residual 1x1 convolutions, their BatchNormalization
and the additions are unnamed, as in Keras. Inputs go through `preprocess_input` ("tf" mode).
Default input 299x299, at least 71x71.
"""

from kerastorch import config, layers
from kerastorch.applications import _builder, _weights, imagenet_utils

_BASE = "https://storage.googleapis.com/tensorflow/keras-applications/xception/"
_FILES = (("xception_weights_tf_dim_ordering_tf_kernels.h5", "0a58e3b7378bc2990ea3b43d5981f1f6"),
          ("xception_weights_tf_dim_ordering_tf_kernels_notop.h5", "b0042744bf5b25fce3cb969f33bebb97"))


def _sep_bn(x, filters, name, axis):
    x = layers.SeparableConv2D(filters, (3, 3), padding="same", use_bias=False, name=name)(x)
    return layers.BatchNormalization(axis=axis, name=f"{name}_bn")(x)


def _residual(x, filters, axis):
    residual = layers.Conv2D(filters, (1, 1), strides=(2, 2), padding="same", use_bias=False)(x)
    return layers.BatchNormalization(axis=axis)(residual)


def Xception(include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None,
             classes=1000, classifier_activation="softmax", name="xception"):
    """Instantiates the Xception architecture (depthwise separable convolutions, 36 layers).

    Inputs go through `kerastorch.applications.xception.preprocess_input`.

    Args:
        include_top: Whether to include the classifier at the top of the network.
            Defaults to `True`.
        weights: `None` (random initialisation), `"imagenet"` (Keras' ImageNet weights file,
            read from Keras' cache `$KERAS_HOME/models/`; never downloaded: when absent the
            error names the file, its URL and the folder), or the path of a weights file
            written by Keras or kerastorch. Defaults to `"imagenet"`.
        input_tensor: Optional symbolic tensor (`kerastorch.Input(...)` or a layer output) to
            use as the image input. Defaults to `None`.
        input_shape: Optional shape tuple; 299x299 with `include_top=True`; without
            the top, any size at least 71x71. Defaults to `None`.
        pooling: With `include_top=False`: `None` (the 4-D output of the last block), `"avg"`
            or `"max"` (global pooling to 2-D). Defaults to `None`.
        classes: Number of classes, with `include_top=True` and no `"imagenet"` weights.
            Defaults to `1000`.
        classifier_activation: Activation of the `predictions` layer (`None` for logits);
            with pretrained weights only `None` or `"softmax"`. Defaults to `"softmax"`.
        name: The model's name. Defaults to `'xception'`.

    Returns:
        A Functional `kerastorch.Model`.

    Example:
    >>> model = Xception(weights=None, include_top=False, input_shape=(71, 71, 3))
    >>> model.output_shape
    (None, 3, 3, 2048)
    """
    _weights.check_weights(weights, include_top, classes)
    _builder.check_pooling(pooling)
    input_shape = imagenet_utils.obtain_input_shape(input_shape, default_size=299, min_size=71,
                                                    data_format=config.image_data_format(),
                                                    require_flatten=include_top, weights=weights)
    img_input = _builder.image_input(input_tensor, input_shape)
    axis = 1 if config.image_data_format() == "channels_first" else -1

    x = layers.Conv2D(32, (3, 3), strides=(2, 2), use_bias=False, name="block1_conv1")(img_input)
    x = layers.BatchNormalization(axis=axis, name="block1_conv1_bn")(x)
    x = layers.Activation("relu", name="block1_conv1_act")(x)
    x = layers.Conv2D(64, (3, 3), use_bias=False, name="block1_conv2")(x)
    x = layers.BatchNormalization(axis=axis, name="block1_conv2_bn")(x)
    x = layers.Activation("relu", name="block1_conv2_act")(x)

    # Entry flow: blocks 2-4, each two separable convolutions, a pooling and a strided shortcut.
    for block, filters in ((2, 128), (3, 256), (4, 728)):
        residual = _residual(x, filters, axis)
        if block > 2:       # block 2 follows block1_conv2_act directly
            x = layers.Activation("relu", name=f"block{block}_sepconv1_act")(x)
        x = _sep_bn(x, filters, f"block{block}_sepconv1", axis)
        x = layers.Activation("relu", name=f"block{block}_sepconv2_act")(x)
        x = _sep_bn(x, filters, f"block{block}_sepconv2", axis)
        x = layers.MaxPooling2D((3, 3), strides=(2, 2), padding="same", name=f"block{block}_pool")(x)
        x = layers.add([x, residual])

    # Middle flow: blocks 5-12, three separable convolutions with an identity shortcut.
    for block in range(5, 13):
        residual = x
        for i in (1, 2, 3):
            x = layers.Activation("relu", name=f"block{block}_sepconv{i}_act")(x)
            x = _sep_bn(x, 728, f"block{block}_sepconv{i}", axis)
        x = layers.add([x, residual])

    # Exit flow.
    residual = _residual(x, 1024, axis)
    x = layers.Activation("relu", name="block13_sepconv1_act")(x)
    x = _sep_bn(x, 728, "block13_sepconv1", axis)
    x = layers.Activation("relu", name="block13_sepconv2_act")(x)
    x = _sep_bn(x, 1024, "block13_sepconv2", axis)
    x = layers.MaxPooling2D((3, 3), strides=(2, 2), padding="same", name="block13_pool")(x)
    x = layers.add([x, residual])
    x = _sep_bn(x, 1536, "block14_sepconv1", axis)
    x = layers.Activation("relu", name="block14_sepconv1_act")(x)
    x = _sep_bn(x, 2048, "block14_sepconv2", axis)
    x = layers.Activation("relu", name="block14_sepconv2_act")(x)

    if include_top:
        x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
        imagenet_utils.validate_activation(classifier_activation, weights)
        x = layers.Dense(classes, activation=classifier_activation, name="predictions")(x)
    elif pooling == "avg":
        x = layers.GlobalAveragePooling2D()(x)      # unnamed in Keras
    elif pooling == "max":
        x = layers.GlobalMaxPooling2D()(x)
    model = _builder.make_model(input_tensor, img_input, x, name)
    file_name, file_hash = _FILES[0 if include_top else 1]
    _weights.load_weights(model, weights, file_name=file_name, origin=f"{_BASE}{file_name}", file_hash=file_hash)
    return model


preprocess_input = imagenet_utils._module_preprocess_input('tf')

# As Keras' module function: ImageNet's decoding (`imagenet_utils.decode_predictions`).
decode_predictions = imagenet_utils.decode_predictions


__all__ = ["Xception", "decode_predictions", "preprocess_input"]
