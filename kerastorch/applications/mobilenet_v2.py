"""MobileNetV2 (Sandler et al., 2018), built as `keras.applications.MobileNetV2` builds it.

A Functional model with Keras' layer names (`Conv1`, `block_3_expand`, `expanded_conv_project_BN`,
...), so a `.weights.h5` or legacy `.h5` file written by Keras for the same architecture loads
with `weights=<path>` (or `model.load_weights`) and gives Keras' predictions.
"""

from kerastorch import backend, layers
from kerastorch.applications import _builder, imagenet_utils


def _make_divisible(v, divisor, min_value=None):
    # Keras' channel rounding: nearest multiple of `divisor`, never below 90% of v.
    min_value = divisor if min_value is None else min_value
    new_v = max(min_value, int(v + divisor / 2) // divisor * divisor)
    return new_v + divisor if new_v < 0.9 * v else new_v


def _bn(name):
    return layers.BatchNormalization(axis=-1, epsilon=1e-3, momentum=0.999, name=name)


def _inverted_res_block(inputs, expansion, stride, alpha, filters, block_id):
    in_channels = inputs.shape[-1]
    pointwise_filters = _make_divisible(int(filters * alpha), 8)
    x = inputs
    prefix = f"block_{block_id}_"
    if block_id:
        x = layers.Conv2D(expansion * in_channels, kernel_size=1, padding="same", use_bias=False,
                          name=f"{prefix}expand")(x)
        x = _bn(f"{prefix}expand_BN")(x)
        x = layers.ReLU(6.0, name=f"{prefix}expand_relu")(x)
    else:
        prefix = "expanded_conv_"
    if stride == 2:
        x = layers.ZeroPadding2D(padding=imagenet_utils.correct_pad(x, 3), name=f"{prefix}pad")(x)
    x = layers.DepthwiseConv2D(kernel_size=3, strides=stride, use_bias=False,
                               padding="same" if stride == 1 else "valid", name=f"{prefix}depthwise")(x)
    x = _bn(f"{prefix}depthwise_BN")(x)
    x = layers.ReLU(6.0, name=f"{prefix}depthwise_relu")(x)
    x = layers.Conv2D(pointwise_filters, kernel_size=1, padding="same", use_bias=False, name=f"{prefix}project")(x)
    x = _bn(f"{prefix}project_BN")(x)
    if in_channels == pointwise_filters and stride == 1:
        return layers.Add(name=f"{prefix}add")([inputs, x])
    return x


# (filters, stride, expansion) of blocks 0..16.
_BLOCKS = [(16, 1, 1), (24, 2, 6), (24, 1, 6), (32, 2, 6), (32, 1, 6), (32, 1, 6), (64, 2, 6), (64, 1, 6),
           (64, 1, 6), (64, 1, 6), (96, 1, 6), (96, 1, 6), (96, 1, 6), (160, 2, 6), (160, 1, 6), (160, 1, 6),
           (320, 1, 6)]
_SIZES = (96, 128, 160, 192, 224)
BASE_WEIGHT_PATH = "https://storage.googleapis.com/tensorflow/keras-applications/mobilenet_v2/"


def MobileNetV2(input_shape=None, alpha=1.0, include_top=True, weights="imagenet", input_tensor=None,
                pooling=None, classes=1000, classifier_activation="softmax", name=None):
    """Instantiates the MobileNetV2 architecture, as `keras.applications.MobileNetV2`.

    Reference: [MobileNetV2: Inverted Residuals and Linear Bottlenecks](https://arxiv.org/abs/1801.04381).
    Inputs should go through `kerastorch.applications.mobilenet_v2.preprocess_input` (scales
    0..255 pixels to [-1, 1]).

    Args:
        input_shape: Optional `(height, width, channels)`; `(224, 224, 3)` is required with
            `include_top=True` and `weights="imagenet"`. At least 32x32. Defaults to `None`.
        alpha: Width multiplier: the filters of each layer are scaled by it (rounded to a
            multiple of 8). ImageNet weights exist for 0.35, 0.5, 0.75, 1.0, 1.3 and 1.4.
            Defaults to `1.0`.
        include_top: Whether to include the global pooling and dense classifier. Defaults to `True`.
        weights: `None` (random initialization), `"imagenet"` (Keras' file from Keras' cache,
            `~/.keras/models`; nothing is downloaded) or the path of a Keras weights file.
            Defaults to `"imagenet"`.
        input_tensor: Optional `KerasTensor` (from `kerastorch.Input`) to use as the image input.
            Defaults to `None`.
        pooling: With `include_top=False`: `None` (4-D output), `"avg"` or `"max"`. Defaults to `None`.
        classes: Number of classes with `include_top=True`. Defaults to `1000`.
        classifier_activation: Activation of the `predictions` layer (`None` for logits).
            Defaults to `"softmax"`.
        name: Model name. Defaults to `"mobilenetv2_<alpha:.2f>_<rows>"`.

    Returns:
        A Functional `kerastorch.Model`.

    Example:
    >>> model = MobileNetV2(input_shape=(32, 32, 3), alpha=0.35, weights=None, include_top=False)
    >>> model.output_shape
    (None, 1, 1, 1280)
    """
    _builder.check_weights(weights, include_top, classes)
    _builder.check_pooling(pooling)   # Keras would take any other value as None
    if input_tensor is not None and not backend.is_keras_tensor(input_tensor):
        raise ValueError(f"MobileNetV2: input_tensor must be a valid Keras tensor type (from kerastorch.Input); "
                         f"Received {input_tensor!r} of type {type(input_tensor).__name__}")
    if input_shape is not None and input_tensor is not None and input_tensor.shape[2] != input_shape[1]:
        raise ValueError(f"MobileNetV2: input_tensor.shape[2] must equal input_shape[1]; Received "
                         f"`input_tensor.shape={input_tensor.shape}`, `input_shape={input_shape}`")
    if input_shape is None and input_tensor is not None:
        rows, cols = input_tensor.shape[1], input_tensor.shape[2]
    elif input_shape is not None:
        rows, cols = input_shape[0], input_shape[1]
    else:
        rows = cols = None
    default_size = rows if rows == cols and rows in _SIZES else 224
    input_shape = _builder.obtain_input_shape(input_shape, default_size, 32, include_top, weights)
    rows, cols = input_shape[0], input_shape[1]
    if weights == "imagenet":
        if alpha not in (0.35, 0.5, 0.75, 1.0, 1.3, 1.4):
            raise ValueError(f"If imagenet weights are being loaded, alpha must be one of `0.35`, `0.50`, "
                             f"`0.75`, `1.0`, `1.3` or `1.4` only; Received `alpha={alpha}`")
        if rows != cols or rows not in _SIZES:
            import warnings

            rows = 224
            warnings.warn("`input_shape` is undefined or non-square, or `rows` is not in [96, 128, 160, 192, "
                          "224]. Weights for input shape (224, 224) will be loaded as the default.", stacklevel=2)

    img_input = _builder.image_input(input_tensor, input_shape)
    x = layers.Conv2D(_make_divisible(32 * alpha, 8), kernel_size=3, strides=(2, 2), padding="same",
                      use_bias=False, name="Conv1")(img_input)
    x = _bn("bn_Conv1")(x)
    x = layers.ReLU(6.0, name="Conv1_relu")(x)
    for block_id, (filters, stride, expansion) in enumerate(_BLOCKS):
        x = _inverted_res_block(x, filters=filters, alpha=alpha, stride=stride, expansion=expansion,
                                block_id=block_id)
    last_block_filters = _make_divisible(1280 * alpha, 8) if alpha > 1.0 else 1280
    x = layers.Conv2D(last_block_filters, kernel_size=1, use_bias=False, name="Conv_1")(x)
    x = _bn("Conv_1_bn")(x)
    x = layers.ReLU(6.0, name="out_relu")(x)
    if include_top:
        x = layers.GlobalAveragePooling2D()(x)
        imagenet_utils.validate_activation(classifier_activation, weights)
        x = layers.Dense(classes, activation=classifier_activation, name="predictions")(x)
    elif pooling == "avg":
        x = layers.GlobalAveragePooling2D()(x)
    elif pooling == "max":
        x = layers.GlobalMaxPooling2D()(x)

    from kerastorch.models import Model

    if name is None:
        name = f"mobilenetv2_{alpha:0.2f}_{rows}"
    model = Model(_builder.source_inputs(img_input, input_tensor), x, name=name)
    top = "" if include_top else "_no_top"
    file_name = f"mobilenet_v2_weights_tf_dim_ordering_tf_kernels_{float(alpha)}_{rows}{top}.h5"
    return _builder.load_weights(model, weights, file_name, origin=BASE_WEIGHT_PATH + file_name)


preprocess_input = imagenet_utils._module_preprocess_input('tf')

# As Keras' module function: ImageNet's decoding (`imagenet_utils.decode_predictions`).
decode_predictions = imagenet_utils.decode_predictions


__all__ = ["MobileNetV2", "decode_predictions", "preprocess_input"]
