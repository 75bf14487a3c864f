"""EfficientNetV2B0..B3, S, M and L (Tan and Le, 2021), built as Keras builds them.

Functional models with Keras' layer names (`stem_conv`, `block1a_project_conv`, `block4b_dwconv2`,
`top_conv`, ...), so a weights file written by Keras for the same architecture loads and gives
Keras' predictions. As in Keras, the model preprocesses 0..255 pixels itself unless
`include_preprocessing=False`, and `preprocess_input` passes its input through.
"""

import math

from kerastorch import initializers, layers
from kerastorch.applications import _builder, imagenet_utils

CONV_KERNEL_INITIALIZER = {"class_name": "VarianceScaling",
                           "config": {"scale": 2.0, "mode": "fan_out", "distribution": "truncated_normal"}}
DENSE_KERNEL_INITIALIZER = {"class_name": "VarianceScaling",
                            "config": {"scale": 1.0 / 3.0, "mode": "fan_out", "distribution": "uniform"}}
BASE_WEIGHTS_PATH = "https://storage.googleapis.com/tensorflow/keras-applications/efficientnet_v2/"
# Keras' md5 of its ImageNet files: (with top, without top).
WEIGHTS_HASHES = {
    "b0": ("21ecbf6da12460d5c40bb2f29ceb2188", "893217f2bb855e2983157299931e43ff"),
    "b1": ("069f0534ff22adf035c89e2d9547a9dc", "0e80663031ca32d657f9caa404b6ec37"),
    "b2": ("424e49f28180edbde1e94797771950a7", "1dfe2e7a5d45b6632553a8961ea609eb"),
    "b3": ("1f1fc43bd98a6e4fd8fdfd551e02c7a0", "f6abf7b5849ac99a89b50dd3fd532856"),
    "-s": ("e1d88a8495beba45748fedd0cecbe016", "af0682fb74e8c54910f2d4393339c070"),
    "-m": ("a3bf6aa3276309f4fc6a34aa114c95cd", "1b8dc055df72dde80d614482840fe342"),
    "-l": ("27e6d408b53c7ebc868fefa357689935", "b0b66b5c863aef5b46e8608fe1711615"),
}

_KEYS = ("kernel_size", "num_repeat", "input_filters", "output_filters", "expand_ratio", "se_ratio", "strides",
         "conv_type")
_B = [(3, 1, 32, 16, 1, 0, 1, 1), (3, 2, 16, 32, 4, 0, 2, 1), (3, 2, 32, 48, 4, 0, 2, 1),
      (3, 3, 48, 96, 4, 0.25, 2, 0), (3, 5, 96, 112, 6, 0.25, 1, 0), (3, 8, 112, 192, 6, 0.25, 2, 0)]
_TABLES = {
    "efficientnetv2-s": [(3, 2, 24, 24, 1, 0.0, 1, 1), (3, 4, 24, 48, 4, 0.0, 2, 1), (3, 4, 48, 64, 4, 0, 2, 1),
                         (3, 6, 64, 128, 4, 0.25, 2, 0), (3, 9, 128, 160, 6, 0.25, 1, 0),
                         (3, 15, 160, 256, 6, 0.25, 2, 0)],
    "efficientnetv2-m": [(3, 3, 24, 24, 1, 0, 1, 1), (3, 5, 24, 48, 4, 0, 2, 1), (3, 5, 48, 80, 4, 0, 2, 1),
                         (3, 7, 80, 160, 4, 0.25, 2, 0), (3, 14, 160, 176, 6, 0.25, 1, 0),
                         (3, 18, 176, 304, 6, 0.25, 2, 0), (3, 5, 304, 512, 6, 0.25, 1, 0)],
    "efficientnetv2-l": [(3, 4, 32, 32, 1, 0, 1, 1), (3, 7, 32, 64, 4, 0, 2, 1), (3, 7, 64, 96, 4, 0, 2, 1),
                         (3, 10, 96, 192, 4, 0.25, 2, 0), (3, 19, 192, 224, 6, 0.25, 1, 0),
                         (3, 25, 224, 384, 6, 0.25, 2, 0), (3, 7, 384, 640, 6, 0.25, 1, 0)],
    "efficientnetv2-b0": _B, "efficientnetv2-b1": _B, "efficientnetv2-b2": _B, "efficientnetv2-b3": _B,
}
# The stage tables, keyed by model name, as Keras' `DEFAULT_BLOCKS_ARGS`.
DEFAULT_BLOCKS_ARGS = {key: [dict(zip(_KEYS, row)) for row in rows] for key, rows in _TABLES.items()}


def round_filters(filters, width_coefficient, min_depth, depth_divisor):
    """Rounds `filters * width_coefficient` to a multiple of `depth_divisor`, at least `min_depth`, as Keras."""
    filters *= width_coefficient
    minimum_depth = min_depth or depth_divisor
    return int(max(minimum_depth, int(filters + depth_divisor / 2) // depth_divisor * depth_divisor))


def round_repeats(repeats, depth_coefficient):
    """Scales a stage's number of blocks: `ceil(depth_coefficient * repeats)`, as Keras."""
    return int(math.ceil(depth_coefficient * repeats))


def _squeeze_excite(x, input_filters, filters, se_ratio, activation, name):
    filters_se = max(1, int(input_filters * se_ratio))
    se = layers.GlobalAveragePooling2D(name=f"{name}se_squeeze")(x)
    se = layers.Reshape((1, 1, filters), name=f"{name}se_reshape")(se)
    se = layers.Conv2D(filters_se, 1, padding="same", activation=activation,
                       kernel_initializer=CONV_KERNEL_INITIALIZER, name=f"{name}se_reduce")(se)
    se = layers.Conv2D(filters, 1, padding="same", activation="sigmoid", kernel_initializer=CONV_KERNEL_INITIALIZER,
                       name=f"{name}se_expand")(se)
    return layers.multiply([x, se], name=f"{name}se_excite")


def _residual(x, inputs, strides, input_filters, output_filters, survival_probability, name):
    if strides == 1 and input_filters == output_filters:
        if survival_probability:
            # Keras passes the survival probability as the Dropout *rate*; kept as Keras does.
            x = layers.Dropout(survival_probability, noise_shape=(None, 1, 1, 1), name=f"{name}drop")(x)
        x = layers.add([x, inputs], name=f"{name}add")
    return x


def _mb_conv(inputs, input_filters, output_filters, expand_ratio, kernel_size, strides, se_ratio, bn_momentum,
             activation, survival_probability, name):
    filters = input_filters * expand_ratio
    x = inputs
    if expand_ratio != 1:
        x = layers.Conv2D(filters=filters, kernel_size=1, strides=1, kernel_initializer=CONV_KERNEL_INITIALIZER,
                          padding="same", use_bias=False, name=f"{name}expand_conv")(x)
        x = layers.BatchNormalization(axis=3, momentum=bn_momentum, name=f"{name}expand_bn")(x)
        x = layers.Activation(activation, name=f"{name}expand_activation")(x)
    x = layers.DepthwiseConv2D(kernel_size=kernel_size, strides=strides, depthwise_initializer=CONV_KERNEL_INITIALIZER,
                               padding="same", use_bias=False, name=f"{name}dwconv2")(x)
    x = layers.BatchNormalization(axis=3, momentum=bn_momentum, name=f"{name}bn")(x)
    x = layers.Activation(activation, name=f"{name}activation")(x)
    if 0 < se_ratio <= 1:
        x = _squeeze_excite(x, input_filters, filters, se_ratio, activation, name)
    x = layers.Conv2D(filters=output_filters, kernel_size=1, strides=1, kernel_initializer=CONV_KERNEL_INITIALIZER,
                      padding="same", use_bias=False, name=f"{name}project_conv")(x)
    x = layers.BatchNormalization(axis=3, momentum=bn_momentum, name=f"{name}project_bn")(x)
    return _residual(x, inputs, strides, input_filters, output_filters, survival_probability, name)


def _fused_mb_conv(inputs, input_filters, output_filters, expand_ratio, kernel_size, strides, se_ratio, bn_momentum,
                   activation, survival_probability, name):
    filters = input_filters * expand_ratio
    x = inputs
    if expand_ratio != 1:
        x = layers.Conv2D(filters, kernel_size=kernel_size, strides=strides, kernel_initializer=CONV_KERNEL_INITIALIZER,
                          padding="same", use_bias=False, name=f"{name}expand_conv")(x)
        x = layers.BatchNormalization(axis=3, momentum=bn_momentum, name=f"{name}expand_bn")(x)
        x = layers.Activation(activation=activation, name=f"{name}expand_activation")(x)
    if 0 < se_ratio <= 1:
        x = _squeeze_excite(x, input_filters, filters, se_ratio, activation, name)
    x = layers.Conv2D(output_filters, kernel_size=1 if expand_ratio != 1 else kernel_size,
                      strides=1 if expand_ratio != 1 else strides, kernel_initializer=CONV_KERNEL_INITIALIZER,
                      padding="same", use_bias=False, name=f"{name}project_conv")(x)
    x = layers.BatchNormalization(axis=3, momentum=bn_momentum, name=f"{name}project_bn")(x)
    if expand_ratio == 1:
        x = layers.Activation(activation=activation, name=f"{name}project_activation")(x)
    return _residual(x, inputs, strides, input_filters, output_filters, survival_probability, name)


def EfficientNetV2(width_coefficient, depth_coefficient, default_size, dropout_rate=0.2, drop_connect_rate=0.2,
                   depth_divisor=8, min_depth=8, bn_momentum=0.9, activation="swish", blocks_args="default",
                   name="efficientnetv2", include_top=True, weights="imagenet", input_tensor=None, input_shape=None,
                   pooling=None, classes=1000, classifier_activation="softmax", include_preprocessing=True,
                   weights_name=None):
    """Instantiates an EfficientNetV2 of any scaling, as Keras' `efficientnet_v2.EfficientNetV2`.

    `EfficientNetV2B0`..`EfficientNetV2L` call it with their coefficients.

    Args:
        width_coefficient: Scaling of the filters.
        depth_coefficient: Scaling of the number of blocks per stage.
        default_size: Default image size.
        dropout_rate: Dropout rate before the classifier. Defaults to `0.2`.
        drop_connect_rate: Largest per-block dropout rate, reached linearly over the blocks.
            Defaults to `0.2`.
        depth_divisor: Filters are rounded to multiples of it. Defaults to `8`.
        min_depth: Fewest filters of a layer. Defaults to `8`.
        bn_momentum: Momentum of the BatchNormalization layers. Defaults to `0.9`.
        activation: Activation of the blocks. Defaults to `"swish"`.
        blocks_args: `"default"` (the table of `name` in `DEFAULT_BLOCKS_ARGS`, as in Keras) or
            a list of per-stage dicts. Defaults to `"default"`.
        name: Model name. Defaults to `"efficientnetv2"`.
        include_top, weights, input_tensor, input_shape, pooling, classes, classifier_activation,
        include_preprocessing: As in `EfficientNetV2B0`.
        weights_name: The variant of the ImageNet weights. Defaults to `None`.

    Returns:
        A Functional `kerastorch.Model`.

    Example:
    >>> model = EfficientNetV2(1.0, 1.0, 224, name="efficientnetv2-b0", weights=None,
    ...                        include_top=False, input_shape=(32, 32, 3))
    >>> model.output_shape
    (None, 1, 1, 1280)
    """
    if blocks_args == "default":
        if name not in DEFAULT_BLOCKS_ARGS:
            raise ValueError(f"EfficientNetV2: with blocks_args='default' the stage table is chosen by `name`, "
                             f"one of {sorted(DEFAULT_BLOCKS_ARGS)}; got name={name!r}. Pass blocks_args "
                             f"(a list of stage dicts) for another name.")
        blocks_args = DEFAULT_BLOCKS_ARGS[name]
    _builder.check_weights(weights, include_top, classes)
    _builder.check_pooling(pooling)   # Keras would take any other value as None
    input_shape = _builder.obtain_input_shape(input_shape, default_size, 32, include_top, weights)
    img_input = _builder.image_input(input_tensor, input_shape)

    x = img_input
    if include_preprocessing:
        num_channels = input_shape[-1]
        if name.split("-")[-1].startswith("b") and num_channels == 3:
            x = layers.Rescaling(scale=1.0 / 255)(x)
            x = layers.Normalization(mean=[0.485, 0.456, 0.406], variance=[0.229**2, 0.224**2, 0.225**2],
                                     axis=3)(x)
        else:
            x = layers.Rescaling(scale=1.0 / 128.0, offset=-1)(x)

    def rf(filters):
        return round_filters(filters, width_coefficient, min_depth, depth_divisor)

    x = layers.Conv2D(filters=rf(blocks_args[0]["input_filters"]), kernel_size=3, strides=2,
                      kernel_initializer=CONV_KERNEL_INITIALIZER, padding="same", use_bias=False,
                      name="stem_conv")(x)
    x = layers.BatchNormalization(axis=3, momentum=bn_momentum, name="stem_bn")(x)
    x = layers.Activation(activation, name="stem_activation")(x)

    blocks_args = [dict(args) for args in blocks_args]
    b = 0
    blocks = float(sum(args["num_repeat"] for args in blocks_args))
    for i, args in enumerate(blocks_args):
        if args["num_repeat"] <= 0:
            raise ValueError(f"The number of repeats in `EfficientNetV2` must be > 0. Received: "
                             f"num_repeat={args['num_repeat']}")
        args["input_filters"] = rf(args["input_filters"])
        args["output_filters"] = rf(args["output_filters"])
        block = {0: _mb_conv, 1: _fused_mb_conv}[args.pop("conv_type")]
        repeats = round_repeats(args.pop("num_repeat"), depth_coefficient)
        for j in range(repeats):
            if j > 0:
                args["strides"] = 1
                args["input_filters"] = args["output_filters"]
            x = block(x, activation=activation, bn_momentum=bn_momentum,
                      survival_probability=drop_connect_rate * b / blocks, name=f"block{i + 1}{chr(j + 97)}_", **args)
            b += 1

    x = layers.Conv2D(filters=rf(1280), kernel_size=1, strides=1, kernel_initializer=CONV_KERNEL_INITIALIZER,
                      padding="same", use_bias=False, name="top_conv")(x)
    x = layers.BatchNormalization(axis=3, momentum=bn_momentum, name="top_bn")(x)
    x = layers.Activation(activation=activation, name="top_activation")(x)
    if include_top:
        x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
        if dropout_rate > 0:
            x = layers.Dropout(dropout_rate, name="top_dropout")(x)
        imagenet_utils.validate_activation(classifier_activation, weights)
        x = layers.Dense(classes, activation=classifier_activation, kernel_initializer=DENSE_KERNEL_INITIALIZER,
                         bias_initializer=initializers.Constant(0.0), name="predictions")(x)
    elif pooling == "avg":
        x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
    elif pooling == "max":
        x = layers.GlobalMaxPooling2D(name="max_pool")(x)

    from kerastorch.models import Model

    model = Model(_builder.source_inputs(img_input, input_tensor), x, name=name)
    file_name = name + (".h5" if include_top else "_notop.h5")
    hashes = WEIGHTS_HASHES.get(weights_name)
    return _builder.load_weights(model, weights, file_name, origin=BASE_WEIGHTS_PATH + file_name,
                                file_hash=None if hashes is None else hashes[0 if include_top else 1])


# constructor name: (width, depth, default size, Keras' default model name, Keras' weights name)
_VARIANTS = {"EfficientNetV2B0": (1.0, 1.0, 224, "efficientnetv2-b0", "b0"),
             "EfficientNetV2B1": (1.0, 1.1, 240, "efficientnetv2-b1", "b1"),
             "EfficientNetV2B2": (1.1, 1.2, 260, "efficientnetv2-b2", "b2"),
             "EfficientNetV2B3": (1.2, 1.4, 300, "efficientnetv2-b3", "b3"),
             "EfficientNetV2S": (1.0, 1.0, 384, "efficientnetv2-s", "-s"),
             "EfficientNetV2M": (1.0, 1.0, 480, "efficientnetv2-m", "-m"),
             "EfficientNetV2L": (1.0, 1.0, 480, "efficientnetv2-l", "-l")}


def _variant(fn_name):
    width, depth, size, default_name, weights_name = _VARIANTS[fn_name]

    def constructor(include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None,
                    classes=1000, classifier_activation="softmax", include_preprocessing=True, name=default_name):
        return EfficientNetV2(width_coefficient=width, depth_coefficient=depth, default_size=size, name=name,
                              include_top=include_top, weights=weights, input_tensor=input_tensor,
                              input_shape=input_shape, pooling=pooling, classes=classes,
                              classifier_activation=classifier_activation,
                              include_preprocessing=include_preprocessing, weights_name=weights_name)

    constructor.__name__ = constructor.__qualname__ = fn_name
    constructor.__doc__ = f"""Instantiates the {fn_name} architecture, as `keras.applications.{fn_name}`.

    Reference: [EfficientNetV2: Smaller Models and Faster Training](https://arxiv.org/abs/2104.00298).
    The model includes its input preprocessing unless `include_preprocessing=False`: give it
    float pixels in 0..255. `kerastorch.applications.efficientnet_v2.preprocess_input` is a
    pass-through.

    Args:
        include_top: Whether to include the classifier. Defaults to `True`.
        weights: `None` (random initialization), `"imagenet"` (Keras' file from Keras' cache,
            `~/.keras/models`; nothing is downloaded) or the path of a Keras weights file.
            Defaults to `"imagenet"`.
        input_tensor: Optional `KerasTensor` (from `kerastorch.Input`) to use as the image input.
            Defaults to `None`.
        input_shape: Optional `(height, width, channels)`, at least 32x32; `({size}, {size}, 3)`
            is required with `include_top=True` and `weights="imagenet"`. Defaults to `None`.
        pooling: With `include_top=False`: `None` (4-D output), `"avg"` or `"max"`. Defaults to `None`.
        classes: Number of classes with `include_top=True`. Defaults to `1000`.
        classifier_activation: Activation of the `predictions` layer (`None` for logits).
            Defaults to `"softmax"`.
        include_preprocessing: Whether to include the preprocessing layers (`Rescaling`, and
            `Normalization` for the B variants). Defaults to `True`.
        name: Model name; the default `"{default_name}"` also picks the stage table. Defaults
            to `"{default_name}"`.

    Returns:
        A Functional `kerastorch.Model`.

    Example:
    >>> model = {fn_name}(weights=None, include_top=False, input_shape=(32, 32, 3), pooling="avg")
    >>> model.output_shape[-1] > 0
    True
    """
    return constructor


EfficientNetV2B0 = _variant("EfficientNetV2B0")
EfficientNetV2B1 = _variant("EfficientNetV2B1")
EfficientNetV2B2 = _variant("EfficientNetV2B2")
EfficientNetV2B3 = _variant("EfficientNetV2B3")
EfficientNetV2S = _variant("EfficientNetV2S")
EfficientNetV2M = _variant("EfficientNetV2M")
EfficientNetV2L = _variant("EfficientNetV2L")


preprocess_input = imagenet_utils._module_preprocess_input(None)

# As Keras' module function: ImageNet's decoding (`imagenet_utils.decode_predictions`).
decode_predictions = imagenet_utils.decode_predictions


__all__ = ["EfficientNetV2B0", "EfficientNetV2B1", "EfficientNetV2B2", "EfficientNetV2B3", "EfficientNetV2L",
           "EfficientNetV2M", "EfficientNetV2S", "decode_predictions", "preprocess_input"]
