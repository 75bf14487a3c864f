"""MobileNet (Howard et al., 2017), built as `keras.applications.MobileNet` builds it.

A Functional model with Keras' layer names (`conv1`, `conv_dw_1`, `conv_pw_13_bn`, `conv_preds`,
...), so a weights file written by Keras for the same architecture loads and gives Keras'
predictions.
"""

import warnings

from kerastorch import layers
from kerastorch.applications import _builder, imagenet_utils

BASE_WEIGHT_PATH = "https://storage.googleapis.com/tensorflow/keras-applications/mobilenet/"
_SIZES = (128, 160, 192, 224)

# (pointwise filters, strides) of depthwise blocks 1..13.
_BLOCKS = [(64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2), (512, 1), (512, 1), (512, 1), (512, 1),
           (512, 1), (1024, 2), (1024, 1)]


def _conv_block(inputs, filters, alpha, kernel=(3, 3), strides=(1, 1)):
    x = layers.Conv2D(int(filters * alpha), kernel, padding="same", use_bias=False, strides=strides,
                      name="conv1")(inputs)
    x = layers.BatchNormalization(axis=-1, name="conv1_bn")(x)
    return layers.ReLU(6.0, name="conv1_relu")(x)


def _depthwise_conv_block(inputs, pointwise_conv_filters, alpha, depth_multiplier=1, strides=1, block_id=1):
    x = inputs
    if strides != 1:
        x = layers.ZeroPadding2D(((0, 1), (0, 1)), name=f"conv_pad_{block_id}")(x)
    x = layers.DepthwiseConv2D((3, 3), padding="same" if strides == 1 else "valid",
                               depth_multiplier=depth_multiplier, strides=(strides, strides), use_bias=False,
                               name=f"conv_dw_{block_id}")(x)
    x = layers.BatchNormalization(axis=-1, name=f"conv_dw_{block_id}_bn")(x)
    x = layers.ReLU(6.0, name=f"conv_dw_{block_id}_relu")(x)
    x = layers.Conv2D(int(pointwise_conv_filters * alpha), (1, 1), padding="same", use_bias=False, strides=(1, 1),
                      name=f"conv_pw_{block_id}")(x)
    x = layers.BatchNormalization(axis=-1, name=f"conv_pw_{block_id}_bn")(x)
    return layers.ReLU(6.0, name=f"conv_pw_{block_id}_relu")(x)


def MobileNet(input_shape=None, alpha=1.0, depth_multiplier=1, dropout=1e-3, include_top=True,
              weights="imagenet", input_tensor=None, pooling=None, classes=1000,
              classifier_activation="softmax", name=None):
    """Instantiates the MobileNet architecture, as `keras.applications.MobileNet`.

    Reference: [MobileNets: Efficient Convolutional Neural Networks for Mobile Vision
    Applications](https://arxiv.org/abs/1704.04861). Inputs should go through
    `kerastorch.applications.mobilenet.preprocess_input` (scales 0..255 pixels to [-1, 1]).

    Args:
        input_shape: Optional `(height, width, channels)`; `(224, 224, 3)` is required with
            `include_top=True` and `weights="imagenet"`. At least 32x32. Defaults to `None`.
        alpha: Width multiplier: each layer's filters are `int(filters * alpha)`. ImageNet
            weights exist for 0.25, 0.5, 0.75 and 1.0. Defaults to `1.0`.
        depth_multiplier: Depth multiplier of the depthwise convolutions (1 for ImageNet
            weights). Defaults to `1`.
        dropout: Dropout rate before the classifier. Defaults to `0.001`.
        include_top: Whether to include the classifier (a 1x1 convolution `conv_preds`).
            Defaults to `True`.
        weights: `None` (random initialization), `"imagenet"` (Keras' file from Keras' cache,
            `~/.keras/models`; nothing is downloaded) or the path of a Keras weights file.
            Defaults to `"imagenet"`.
        input_tensor: Optional `KerasTensor` (from `kerastorch.Input`) to use as the image input.
            Defaults to `None`.
        pooling: With `include_top=False`: `None` (4-D output), `"avg"` or `"max"`. Defaults to `None`.
        classes: Number of classes with `include_top=True`. Defaults to `1000`.
        classifier_activation: Activation of the `predictions` layer (`None` for logits).
            Defaults to `"softmax"`.
        name: Model name. Defaults to `"mobilenet_<alpha:.2f>_<rows>"`.

    Returns:
        A Functional `kerastorch.Model`.

    Example:
    >>> model = MobileNet(input_shape=(32, 32, 3), alpha=0.25, weights=None, include_top=False, pooling="avg")
    >>> model.output_shape
    (None, 256)
    """
    _builder.check_weights(weights, include_top, classes)
    _builder.check_pooling(pooling)   # Keras would take any other value as None
    if input_shape is None:
        default_size = 224
    else:
        rows, cols = input_shape[0], input_shape[1]
        default_size = rows if rows == cols and rows in _SIZES else 224
    input_shape = _builder.obtain_input_shape(input_shape, default_size, 32, include_top, weights)
    rows, cols = input_shape[0], input_shape[1]
    if weights == "imagenet":
        if depth_multiplier != 1:
            raise ValueError(f"If imagenet weights are being loaded, depth multiplier must be 1.  "
                             f"Received depth_multiplier={depth_multiplier}")
        if alpha not in (0.25, 0.50, 0.75, 1.0):
            raise ValueError(f"If imagenet weights are being loaded, alpha can be one of `0.25`, `0.50`, "
                             f"`0.75` or `1.0` only.  Received alpha={alpha}")
        if rows != cols or rows not in _SIZES:
            rows = 224
            warnings.warn("`input_shape` is undefined or non-square, or `rows` is not in [128, 160, 192, 224]. "
                          "Weights for input shape (224, 224) will be loaded as the default.", stacklevel=2)

    img_input = _builder.image_input(input_tensor, input_shape)
    x = _conv_block(img_input, 32, alpha, strides=(2, 2))
    for block_id, (filters, strides) in enumerate(_BLOCKS, start=1):
        x = _depthwise_conv_block(x, filters, alpha, depth_multiplier, strides=strides, block_id=block_id)
    if include_top:
        x = layers.GlobalAveragePooling2D(keepdims=True)(x)
        x = layers.Dropout(dropout, name="dropout")(x)
        x = layers.Conv2D(classes, (1, 1), padding="same", name="conv_preds")(x)
        x = layers.Reshape((classes,), name="reshape_2")(x)
        imagenet_utils.validate_activation(classifier_activation, weights)
        x = layers.Activation(activation=classifier_activation, name="predictions")(x)
    elif pooling == "avg":
        x = layers.GlobalAveragePooling2D()(x)
    elif pooling == "max":
        x = layers.GlobalMaxPooling2D()(x)

    from kerastorch.models import Model

    if name is None:
        name = f"mobilenet_{alpha:0.2f}_{rows}"
    model = Model(_builder.source_inputs(img_input, input_tensor), x, name=name)
    alpha_text = {1.0: "1_0", 0.75: "7_5", 0.5: "5_0"}.get(alpha, "2_5")
    file_name = f"mobilenet_{alpha_text}_{rows}_tf{'' if include_top else '_no_top'}.h5"
    return _builder.load_weights(model, weights, file_name, origin=BASE_WEIGHT_PATH + file_name)


preprocess_input = imagenet_utils._module_preprocess_input('tf')

# As Keras' module function: ImageNet's decoding (`imagenet_utils.decode_predictions`).
decode_predictions = imagenet_utils.decode_predictions


__all__ = ["MobileNet", "decode_predictions", "preprocess_input"]
