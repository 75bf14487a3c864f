"""InceptionV3 (Szegedy et al., 2015), as `keras.applications.inception_v3`.

A Functional model made in Keras' order, with Keras' names: the mixed blocks are named
`mixed0` ... `mixed10` (and `mixed9_0`, `mixed9_1`); their convolutions, BatchNormalization
(without scale) and activations are unnamed, as in Keras. Inputs go through `preprocess_input`
("tf" mode). Default input 299x299, at least 75x75.
"""

from kerastorch import config, layers
from kerastorch.applications import _builder, _weights, imagenet_utils

_BASE = "https://storage.googleapis.com/tensorflow/keras-applications/inception_v3/"
_FILES = (("inception_v3_weights_tf_dim_ordering_tf_kernels.h5", "9a0d58056eeedaa3f26cb7ebd46da564"),
          ("inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5", "bcbd6486424b2319ff4ef7d526e38f63"))


def conv2d_bn(x, filters, num_row, num_col, padding="same", strides=(1, 1), name=None):
    """Conv2D (no bias) + BatchNormalization (no scale) + ReLU; named `{name}_conv`, `{name}_bn`, `name`."""
    axis = 1 if config.image_data_format() == "channels_first" else 3
    x = layers.Conv2D(filters, (num_row, num_col), strides=strides, padding=padding, use_bias=False,
                      name=None if name is None else f"{name}_conv")(x)
    x = layers.BatchNormalization(axis=axis, scale=False, name=None if name is None else f"{name}_bn")(x)
    return layers.Activation("relu", name=name)(x)


def _chain(x, specs):
    """conv2d_bn applied in turn for each `(filters, rows, cols)` (or with strides/padding)."""
    for spec in specs:
        x = conv2d_bn(x, *spec[:3], **(spec[3] if len(spec) > 3 else {}))
    return x


def _avg_pool_branch(x, filters):
    return conv2d_bn(layers.AveragePooling2D((3, 3), strides=(1, 1), padding="same")(x), filters, 1, 1)


def InceptionV3(include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None,
                classes=1000, classifier_activation="softmax", name="inception_v3"):
    """Instantiates the Inception v3 architecture.

    Inputs go through `kerastorch.applications.inception_v3.preprocess_input`.

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
            the top, any size at least 75x75. Defaults to `None`.
        pooling: With `include_top=False`: `None` (the 4-D output of the last block), `"avg"`
            or `"max"` (global pooling to 2-D). Defaults to `None`.
        classes: Number of classes, with `include_top=True` and no `"imagenet"` weights.
            Defaults to `1000`.
        classifier_activation: Activation of the `predictions` layer (`None` for logits);
            with pretrained weights only `None` or `"softmax"`. Defaults to `"softmax"`.
        name: The model's name. Defaults to `'inception_v3'`.

    Returns:
        A Functional `kerastorch.Model`.

    Example:
    >>> model = InceptionV3(weights=None, include_top=False, input_shape=(75, 75, 3))
    >>> model.output_shape
    (None, 1, 1, 2048)
    """
    _weights.check_weights(weights, include_top, classes)
    _builder.check_pooling(pooling)
    input_shape = imagenet_utils.obtain_input_shape(input_shape, default_size=299, min_size=75,
                                                    data_format=config.image_data_format(),
                                                    require_flatten=include_top, weights=weights)
    img_input = _builder.image_input(input_tensor, input_shape)
    axis = 1 if config.image_data_format() == "channels_first" else 3
    stride2 = {"strides": (2, 2), "padding": "valid"}

    x = conv2d_bn(img_input, 32, 3, 3, strides=(2, 2), padding="valid")
    x = conv2d_bn(x, 32, 3, 3, padding="valid")
    x = conv2d_bn(x, 64, 3, 3)
    x = layers.MaxPooling2D((3, 3), strides=(2, 2))(x)
    x = conv2d_bn(x, 80, 1, 1, padding="valid")
    x = conv2d_bn(x, 192, 3, 3, padding="valid")
    x = layers.MaxPooling2D((3, 3), strides=(2, 2))(x)

    # mixed 0, 1, 2: 35 x 35
    for i, pool_filters in enumerate((32, 64, 64)):
        branches = [conv2d_bn(x, 64, 1, 1),
                    _chain(x, [(48, 1, 1), (64, 5, 5)]),
                    _chain(x, [(64, 1, 1), (96, 3, 3), (96, 3, 3)]),
                    _avg_pool_branch(x, pool_filters)]
        x = layers.concatenate(branches, axis=axis, name=f"mixed{i}")

    # mixed 3: 17 x 17
    branches = [conv2d_bn(x, 384, 3, 3, **stride2),
                _chain(x, [(64, 1, 1), (96, 3, 3), (96, 3, 3, stride2)]),
                layers.MaxPooling2D((3, 3), strides=(2, 2))(x)]
    x = layers.concatenate(branches, axis=axis, name="mixed3")

    # mixed 4, 5, 6, 7: 17 x 17, factorised 7x7 convolutions
    for i, width in zip((4, 5, 6, 7), (128, 160, 160, 192)):
        branches = [conv2d_bn(x, 192, 1, 1),
                    _chain(x, [(width, 1, 1), (width, 1, 7), (192, 7, 1)]),
                    _chain(x, [(width, 1, 1), (width, 7, 1), (width, 1, 7), (width, 7, 1), (192, 1, 7)]),
                    _avg_pool_branch(x, 192)]
        x = layers.concatenate(branches, axis=axis, name=f"mixed{i}")

    # mixed 8: 8 x 8
    branches = [_chain(x, [(192, 1, 1), (320, 3, 3, stride2)]),
                _chain(x, [(192, 1, 1), (192, 1, 7), (192, 7, 1), (192, 3, 3, stride2)]),
                layers.MaxPooling2D((3, 3), strides=(2, 2))(x)]
    x = layers.concatenate(branches, axis=axis, name="mixed8")

    # mixed 9, 10: 8 x 8
    for i in range(2):
        branch1x1 = conv2d_bn(x, 320, 1, 1)
        branch3x3 = conv2d_bn(x, 384, 1, 1)
        branch3x3 = layers.concatenate([conv2d_bn(branch3x3, 384, 1, 3), conv2d_bn(branch3x3, 384, 3, 1)],
                                       axis=axis, name=f"mixed9_{i}")
        dbl = _chain(x, [(448, 1, 1), (384, 3, 3)])
        dbl = layers.concatenate([conv2d_bn(dbl, 384, 1, 3), conv2d_bn(dbl, 384, 3, 1)], axis=axis)
        x = layers.concatenate([branch1x1, branch3x3, dbl, _avg_pool_branch(x, 192)], axis=axis,
                               name=f"mixed{9 + i}")

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


__all__ = ["InceptionV3", "decode_predictions", "preprocess_input"]
