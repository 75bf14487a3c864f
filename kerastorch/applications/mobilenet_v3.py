"""MobileNetV3Large and MobileNetV3Small (Howard et al., 2019), built as Keras builds them.

Functional models with Keras' layer names (`conv`, `expanded_conv_3_squeeze_excite_conv`,
`logits`, ...), so a weights file written by Keras for the same architecture loads and gives
Keras' predictions. As in Keras, the model rescales 0..255 pixels itself (a `Rescaling` layer,
`include_preprocessing=True`), and `preprocess_input` passes its input through.
"""

import warnings

from kerastorch import backend, layers
from kerastorch.applications import _builder, imagenet_utils


BASE_WEIGHT_PATH = "https://storage.googleapis.com/tensorflow/keras-applications/mobilenet_v3/"
# Keras' md5 of its ImageNet files: (with top, without top).
WEIGHTS_HASHES = {
    "large_224_0.75_float": ("765b44a33ad4005b3ac83185abf1d0eb", "40af19a13ebea4e2ee0c676887f69a2e"),
    "large_224_1.0_float": ("59e551e166be033d707958cf9e29a6a7", "07fb09a5933dd0c8eaafa16978110389"),
    "large_minimalistic_224_1.0_float": ("675e7b876c45c57e9e63e6d90a36599c", "ec5221f64a2f6d1ef965a614bdae7973"),
    "small_224_0.75_float": ("cb65d4e5be93758266aa0a7f2c6708b7", "ebdb5cc8e0b497cd13a7c275d475c819"),
    "small_224_1.0_float": ("8768d4c2e7dee89b9d02b2d03d65d862", "d3e8ec802a04aa4fc771ee12a9a9b836"),
    "small_minimalistic_224_1.0_float": ("99cd97fb2fcdad2bf028eb838de69e37", "cde8136e733e811080d9fcd8a252f7e4"),
}


def _relu(x):
    return layers.ReLU()(x)


def _hard_sigmoid(x):
    # Keras writes it with ops on the tensor (an Add and a Multiply in the graph), not as a layer.
    return layers.ReLU(6.0)(x + 3.0) * (1.0 / 6.0)


def _hard_swish(x):
    return layers.Activation("hard_swish")(x)


def _depth(v, divisor=8, min_value=None):
    min_value = divisor if min_value is None else min_value
    new_v = max(min_value, int(v + divisor / 2) // divisor * divisor)
    return new_v + divisor if new_v < 0.9 * v else new_v


def _bn(name):
    return layers.BatchNormalization(axis=-1, epsilon=1e-3, momentum=0.999, name=name)


def _se_block(inputs, filters, se_ratio, prefix):
    x = layers.GlobalAveragePooling2D(keepdims=True, name=f"{prefix}squeeze_excite_avg_pool")(inputs)
    x = layers.Conv2D(_depth(filters * se_ratio), kernel_size=1, padding="same",
                      name=f"{prefix}squeeze_excite_conv")(x)
    x = layers.ReLU(name=f"{prefix}squeeze_excite_relu")(x)
    x = layers.Conv2D(filters, kernel_size=1, padding="same", name=f"{prefix}squeeze_excite_conv_1")(x)
    x = _hard_sigmoid(x)
    return layers.Multiply(name=f"{prefix}squeeze_excite_mul")([inputs, x])


def _inverted_res_block(x, expansion, filters, kernel_size, stride, se_ratio, activation, block_id):
    shortcut = x
    prefix = "expanded_conv_"
    infilters = x.shape[-1]
    if block_id:
        prefix = f"expanded_conv_{block_id}_"
        x = layers.Conv2D(_depth(infilters * expansion), kernel_size=1, padding="same", use_bias=False,
                          name=f"{prefix}expand")(x)
        x = _bn(f"{prefix}expand_bn")(x)
        x = activation(x)
    if stride == 2:
        x = layers.ZeroPadding2D(padding=imagenet_utils.correct_pad(x, kernel_size), name=f"{prefix}depthwise_pad")(x)
    x = layers.DepthwiseConv2D(kernel_size, strides=stride, padding="same" if stride == 1 else "valid",
                               use_bias=False, name=f"{prefix}depthwise")(x)
    x = _bn(f"{prefix}depthwise_bn")(x)
    x = activation(x)
    if se_ratio:
        x = _se_block(x, _depth(infilters * expansion), se_ratio, prefix)
    x = layers.Conv2D(filters, kernel_size=1, padding="same", use_bias=False, name=f"{prefix}project")(x)
    x = _bn(f"{prefix}project_bn")(x)
    if stride == 1 and infilters == filters:
        x = layers.Add(name=f"{prefix}add")([shortcut, x])
    return x


# Rows (expansion, filters, kernel, stride, squeeze-excite, activation); kernel "k" is 5 (3 when
# minimalistic), "se" and "act" are the model's (none and relu when minimalistic).
_SMALL = [(1, 16, 3, 2, "se", "relu"), (72.0 / 16, 24, 3, 2, None, "relu"), (88.0 / 24, 24, 3, 1, None, "relu"),
          (4, 40, "k", 2, "se", "act"), (6, 40, "k", 1, "se", "act"), (6, 40, "k", 1, "se", "act"),
          (3, 48, "k", 1, "se", "act"), (3, 48, "k", 1, "se", "act"), (6, 96, "k", 2, "se", "act"),
          (6, 96, "k", 1, "se", "act"), (6, 96, "k", 1, "se", "act")]
_LARGE = [(1, 16, 3, 1, None, "relu"), (4, 24, 3, 2, None, "relu"), (3, 24, 3, 1, None, "relu"),
          (3, 40, "k", 2, "se", "relu"), (3, 40, "k", 1, "se", "relu"), (3, 40, "k", 1, "se", "relu"),
          (6, 80, 3, 2, None, "act"), (2.5, 80, 3, 1, None, "act"), (2.3, 80, 3, 1, None, "act"),
          (2.3, 80, 3, 1, None, "act"), (6, 112, 3, 1, "se", "act"), (6, 112, 3, 1, "se", "act"),
          (6, 160, "k", 2, "se", "act"), (6, 160, "k", 1, "se", "act"), (6, 160, "k", 1, "se", "act")]


def _mobilenet_v3(rows_table, last_point_ch, input_shape, alpha, model_type, minimalistic, include_top, weights,
                  input_tensor, classes, pooling, dropout_rate, classifier_activation, include_preprocessing,
                  name, model_name):
    _builder.check_weights(weights, include_top, classes)
    _builder.check_pooling(pooling)   # Keras would take any other value as None
    if input_tensor is not None and not backend.is_keras_tensor(input_tensor):
        raise ValueError(f"{model_name}: input_tensor {input_tensor!r} is of type {type(input_tensor).__name__}, "
                         f"which is not a valid type: use a tensor from kerastorch.Input(...).")
    if input_shape is not None and input_tensor is not None and input_tensor.shape[2] != input_shape[1]:
        raise ValueError(f"{model_name}: input_shape[1] must equal input_tensor.shape[2].  Received "
                         f"input_shape={input_shape}, input_tensor.shape={input_tensor.shape}")
    if input_shape is None and input_tensor is not None:
        rows, cols = input_tensor.shape[1], input_tensor.shape[2]
        input_shape = (cols, rows, 3)      # Keras' order here (cols, rows), kept
    if input_shape is None:
        input_shape = (None, None, 3)
    rows, cols = input_shape[0], input_shape[1]
    if rows and cols and (rows < 32 or cols < 32):
        raise ValueError(f"{model_name}: input size must be at least 32x32; Received `input_shape={input_shape}`")
    if weights == "imagenet":
        if (not minimalistic and alpha not in (0.75, 1.0)) or (minimalistic and alpha != 1.0):
            raise ValueError("If imagenet weights are being loaded, alpha can be one of `0.75`, `1.0` for non "
                             "minimalistic or `1.0` for minimalistic only.")
        if rows != cols or rows != 224:
            warnings.warn("`input_shape` is undefined or non-square, or `rows` is not 224. Weights for input "
                          "shape (224, 224) will be loaded as the default.", stacklevel=3)

    img_input = _builder.image_input(input_tensor, input_shape)
    if minimalistic:
        kernel, activation, se_ratio = 3, _relu, None
    else:
        kernel, activation, se_ratio = 5, _hard_swish, 0.25
    x = img_input
    if include_preprocessing:
        x = layers.Rescaling(scale=1.0 / 127.5, offset=-1.0)(x)
    x = layers.Conv2D(16, kernel_size=3, strides=(2, 2), padding="same", use_bias=False, name="conv")(x)
    x = _bn("conv_bn")(x)
    x = activation(x)
    for block_id, (expansion, filters, k, stride, se, act) in enumerate(rows_table):
        x = _inverted_res_block(x, expansion, _depth(filters * alpha), kernel if k == "k" else k, stride,
                                se_ratio if se else None, activation if act == "act" else _relu, block_id)
    last_conv_ch = _depth(x.shape[-1] * 6)
    if alpha > 1.0:
        last_point_ch = _depth(last_point_ch * alpha)
    x = layers.Conv2D(last_conv_ch, kernel_size=1, padding="same", use_bias=False, name="conv_1")(x)
    x = _bn("conv_1_bn")(x)
    x = activation(x)
    if include_top:
        x = layers.GlobalAveragePooling2D(keepdims=True)(x)
        x = layers.Conv2D(last_point_ch, kernel_size=1, padding="same", use_bias=True, name="conv_2")(x)
        x = activation(x)
        if dropout_rate > 0:
            x = layers.Dropout(dropout_rate)(x)
        x = layers.Conv2D(classes, kernel_size=1, padding="same", name="logits")(x)
        x = layers.Flatten()(x)
        imagenet_utils.validate_activation(classifier_activation, weights)
        x = layers.Activation(activation=classifier_activation, name="predictions")(x)
    elif pooling == "avg":
        x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
    elif pooling == "max":
        x = layers.GlobalMaxPooling2D(name="max_pool")(x)

    from kerastorch.models import Model

    model = Model(_builder.source_inputs(img_input, input_tensor), x, name=name)
    variant = f"{model_type}{'_minimalistic' if minimalistic else ''}_224_{alpha}_float"
    file_name = f"weights_mobilenet_v3_{variant}{'' if include_top else '_no_top_v2'}.h5"
    hashes = WEIGHTS_HASHES.get(variant)
    return _builder.load_weights(model, weights, file_name, origin=BASE_WEIGHT_PATH + file_name,
                                file_hash=None if hashes is None else hashes[0 if include_top else 1])


_DOC = """Instantiates the {name} architecture, as `keras.applications.{name}`.

    Reference: [Searching for MobileNetV3](https://arxiv.org/pdf/1905.02244.pdf). The model
    includes its input preprocessing (a `Rescaling` to [-1, 1]) unless
    `include_preprocessing=False`: give it float pixels in 0..255 (in [-1, 1] without it).

    Args:
        input_shape: Optional `(height, width, channels)`, at least 32x32; inferred from
            `input_tensor` when only that is given. Defaults to `None` (`(None, None, 3)`).
        alpha: Width multiplier of the filters (rounded to a multiple of 8). ImageNet weights
            exist for 0.75 and 1.0 (1.0 only when minimalistic). Defaults to `1.0`.
        minimalistic: Whether to use the minimalistic blocks (no squeeze-and-excite, no
            hard-swish, 3x3 kernels). Defaults to `False`.
        include_top: Whether to include the classifier. Defaults to `True`.
        weights: `None` (random initialization), `"imagenet"` (Keras' file from Keras' cache,
            `~/.keras/models`; nothing is downloaded) or the path of a Keras weights file.
            Defaults to `"imagenet"`.
        input_tensor: Optional `KerasTensor` (from `kerastorch.Input`) to use as the image input.
            Defaults to `None`.
        classes: Number of classes with `include_top=True`. Defaults to `1000`.
        pooling: With `include_top=False`: `None` (4-D output), `"avg"` or `"max"`. Defaults to `None`.
        dropout_rate: Dropout rate before the last layer (none when 0). Defaults to `0.2`.
        classifier_activation: Activation of the `predictions` layer (`None` for logits).
            Defaults to `"softmax"`.
        include_preprocessing: Whether to include the `Rescaling` layer. Defaults to `True`.
        name: Model name. Defaults to `"{name}"`.

    Returns:
        A Functional `kerastorch.Model`.

    Example:
    >>> model = {name}(input_shape=(32, 32, 3), weights=None, include_top=False, pooling="avg")
    >>> model.output_shape
    (None, {channels})
    """


def MobileNetV3Small(input_shape=None, alpha=1.0, minimalistic=False, include_top=True, weights="imagenet",
                     input_tensor=None, classes=1000, pooling=None, dropout_rate=0.2,
                     classifier_activation="softmax", include_preprocessing=True, name="MobileNetV3Small"):
    return _mobilenet_v3(_SMALL, 1024, input_shape, alpha, "small", minimalistic, include_top, weights,
                         input_tensor, classes, pooling, dropout_rate, classifier_activation, include_preprocessing,
                         name, "MobileNetV3Small")


def MobileNetV3Large(input_shape=None, alpha=1.0, minimalistic=False, include_top=True, weights="imagenet",
                     input_tensor=None, classes=1000, pooling=None, dropout_rate=0.2,
                     classifier_activation="softmax", include_preprocessing=True, name="MobileNetV3Large"):
    return _mobilenet_v3(_LARGE, 1280, input_shape, alpha, "large", minimalistic, include_top, weights,
                         input_tensor, classes, pooling, dropout_rate, classifier_activation, include_preprocessing,
                         name, "MobileNetV3Large")


MobileNetV3Small.__doc__ = _DOC.format(name="MobileNetV3Small", channels=576)
MobileNetV3Large.__doc__ = _DOC.format(name="MobileNetV3Large", channels=960)


preprocess_input = imagenet_utils._module_preprocess_input(None)

# As Keras' module function: ImageNet's decoding (`imagenet_utils.decode_predictions`).
decode_predictions = imagenet_utils.decode_predictions


__all__ = ["MobileNetV3Large", "MobileNetV3Small", "decode_predictions", "preprocess_input"]
