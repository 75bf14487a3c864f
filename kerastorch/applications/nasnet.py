"""NASNetMobile and NASNetLarge (Zoph et al., 2018), built as Keras builds them.

Functional models with Keras' layer names (`stem_conv1`, `reduction_conv_1_stem_1`,
`separable_conv_1_normal_left1_0`, `adjust_conv_projection_5`, ...), Keras' `ZeroPadding2D` +
`Cropping2D` shift in the adjust blocks, so a weights file written by Keras for the same
architecture loads and gives Keras' predictions. Inputs should go through
`kerastorch.applications.nasnet.preprocess_input` (scales 0..255 pixels to [-1, 1]).
"""

from kerastorch import config, layers
from kerastorch.applications import _builder, imagenet_utils
BASE_WEIGHTS_PATH = "https://storage.googleapis.com/tensorflow/keras-applications/nasnet/"
# Keras' md5 of its ImageNet files.
_HASHES = {"nasnet_mobile.h5": "020fb642bf7360b370c678b08e0adf61",
           "nasnet_mobile_no_top.h5": "1ed92395b5b598bdda52abe5c0dbfd63",
           "nasnet_large.h5": "11577c9a518f0070763c2b964a382f17",
           "nasnet_large_no_top.h5": "d81d89dc07e6e56530c4e77faddd61b5"}


def _bn(name):
    return layers.BatchNormalization(axis=-1, momentum=0.9997, epsilon=1e-3, name=name)


def _separable_conv_block(ip, filters, kernel_size=(3, 3), strides=(1, 1), block_id=None):
    x = layers.Activation("relu")(ip)
    if strides == (2, 2):
        x = layers.ZeroPadding2D(padding=imagenet_utils.correct_pad(x, kernel_size),
                                 name=f"separable_conv_1_pad_{block_id}")(x)
        conv_pad = "valid"
    else:
        conv_pad = "same"
    x = layers.SeparableConv2D(filters, kernel_size, strides=strides, name=f"separable_conv_1_{block_id}",
                               padding=conv_pad, use_bias=False)(x)
    x = _bn(f"separable_conv_1_bn_{block_id}")(x)
    x = layers.Activation("relu")(x)
    x = layers.SeparableConv2D(filters, kernel_size, name=f"separable_conv_2_{block_id}", padding="same",
                               use_bias=False)(x)
    return _bn(f"separable_conv_2_bn_{block_id}")(x)


def _adjust_block(p, ip, filters, block_id=None):
    """Matches the previous cell's output `p` to `ip`'s size (stride 2) or channels (1x1 conv)."""
    if p is None:
        return ip
    if p.shape[-2] != ip.shape[-2]:
        p = layers.Activation("relu", name=f"adjust_relu_1_{block_id}")(p)
        p1 = layers.AveragePooling2D((1, 1), strides=(2, 2), padding="valid", name=f"adjust_avg_pool_1_{block_id}")(p)
        p1 = layers.Conv2D(filters // 2, (1, 1), padding="same", use_bias=False, name=f"adjust_conv_1_{block_id}",
                           kernel_initializer="he_normal")(p1)
        # the second path samples the odd pixels: shift by one (pad at the end, crop at the start)
        p2 = layers.ZeroPadding2D(padding=((0, 1), (0, 1)))(p)
        p2 = layers.Cropping2D(cropping=((1, 0), (1, 0)))(p2)
        p2 = layers.AveragePooling2D((1, 1), strides=(2, 2), padding="valid", name=f"adjust_avg_pool_2_{block_id}")(p2)
        p2 = layers.Conv2D(filters // 2, (1, 1), padding="same", use_bias=False, name=f"adjust_conv_2_{block_id}",
                           kernel_initializer="he_normal")(p2)
        p = layers.concatenate([p1, p2], axis=-1)
        p = _bn(f"adjust_bn_{block_id}")(p)
    elif p.shape[-1] != filters:
        p = layers.Activation("relu")(p)
        p = layers.Conv2D(filters, (1, 1), strides=(1, 1), padding="same", name=f"adjust_conv_projection_{block_id}",
                          use_bias=False, kernel_initializer="he_normal")(p)
        p = _bn(f"adjust_bn_{block_id}")(p)
    return p


def _normal_a_cell(ip, p, filters, block_id=None):
    p = _adjust_block(p, ip, filters, block_id)
    h = layers.Activation("relu")(ip)
    h = layers.Conv2D(filters, (1, 1), strides=(1, 1), padding="same", name=f"normal_conv_1_{block_id}",
                      use_bias=False, kernel_initializer="he_normal")(h)
    h = _bn(f"normal_bn_1_{block_id}")(h)
    x1_1 = _separable_conv_block(h, filters, kernel_size=(5, 5), block_id=f"normal_left1_{block_id}")
    x1_2 = _separable_conv_block(p, filters, block_id=f"normal_right1_{block_id}")
    x1 = layers.add([x1_1, x1_2], name=f"normal_add_1_{block_id}")
    x2_1 = _separable_conv_block(p, filters, (5, 5), block_id=f"normal_left2_{block_id}")
    x2_2 = _separable_conv_block(p, filters, (3, 3), block_id=f"normal_right2_{block_id}")
    x2 = layers.add([x2_1, x2_2], name=f"normal_add_2_{block_id}")
    x3 = layers.AveragePooling2D((3, 3), strides=(1, 1), padding="same", name=f"normal_left3_{block_id}")(h)
    x3 = layers.add([x3, p], name=f"normal_add_3_{block_id}")
    x4_1 = layers.AveragePooling2D((3, 3), strides=(1, 1), padding="same", name=f"normal_left4_{block_id}")(p)
    x4_2 = layers.AveragePooling2D((3, 3), strides=(1, 1), padding="same", name=f"normal_right4_{block_id}")(p)
    x4 = layers.add([x4_1, x4_2], name=f"normal_add_4_{block_id}")
    x5 = _separable_conv_block(h, filters, block_id=f"normal_left5_{block_id}")
    x5 = layers.add([x5, h], name=f"normal_add_5_{block_id}")
    x = layers.concatenate([p, x1, x2, x3, x4, x5], axis=-1, name=f"normal_concat_{block_id}")
    return x, ip


def _reduction_a_cell(ip, p, filters, block_id=None):
    p = _adjust_block(p, ip, filters, block_id)
    h = layers.Activation("relu")(ip)
    h = layers.Conv2D(filters, (1, 1), strides=(1, 1), padding="same", name=f"reduction_conv_1_{block_id}",
                      use_bias=False, kernel_initializer="he_normal")(h)
    h = _bn(f"reduction_bn_1_{block_id}")(h)
    h3 = layers.ZeroPadding2D(padding=imagenet_utils.correct_pad(h, 3), name=f"reduction_pad_1_{block_id}")(h)
    x1_1 = _separable_conv_block(h, filters, (5, 5), strides=(2, 2), block_id=f"reduction_left1_{block_id}")
    x1_2 = _separable_conv_block(p, filters, (7, 7), strides=(2, 2), block_id=f"reduction_right1_{block_id}")
    x1 = layers.add([x1_1, x1_2], name=f"reduction_add_1_{block_id}")
    x2_1 = layers.MaxPooling2D((3, 3), strides=(2, 2), padding="valid", name=f"reduction_left2_{block_id}")(h3)
    x2_2 = _separable_conv_block(p, filters, (7, 7), strides=(2, 2), block_id=f"reduction_right2_{block_id}")
    x2 = layers.add([x2_1, x2_2], name=f"reduction_add_2_{block_id}")
    x3_1 = layers.AveragePooling2D((3, 3), strides=(2, 2), padding="valid", name=f"reduction_left3_{block_id}")(h3)
    x3_2 = _separable_conv_block(p, filters, (5, 5), strides=(2, 2), block_id=f"reduction_right3_{block_id}")
    x3 = layers.add([x3_1, x3_2], name=f"reduction_add3_{block_id}")
    x4 = layers.AveragePooling2D((3, 3), strides=(1, 1), padding="same", name=f"reduction_left4_{block_id}")(x1)
    x4 = layers.add([x2, x4])
    x5_1 = _separable_conv_block(x1, filters, (3, 3), block_id=f"reduction_left4_{block_id}")
    x5_2 = layers.MaxPooling2D((3, 3), strides=(2, 2), padding="valid", name=f"reduction_right5_{block_id}")(h3)
    x5 = layers.add([x5_1, x5_2], name=f"reduction_add4_{block_id}")
    x = layers.concatenate([x2, x3, x4, x5], axis=-1, name=f"reduction_concat_{block_id}")
    return x, ip


def NASNet(input_shape=None, penultimate_filters=4032, num_blocks=6, stem_block_filters=96, skip_reduction=True,
           filter_multiplier=2, include_top=True, weights="imagenet", input_tensor=None, pooling=None, classes=1000,
           default_size=None, classifier_activation="softmax", name="NASNet"):
    """Instantiates a NASNet-A of any size, as Keras' `nasnet.NASNet`.

    `NASNetMobile` and `NASNetLarge` call it with their sizes.

    Args:
        input_shape: Optional `(height, width, channels)`, at least 32x32. Defaults to `None`.
        penultimate_filters: Filters of the last cells; a multiple of
            `24 * filter_multiplier ** 2`. Defaults to `4032`.
        num_blocks: Normal cells between reductions. Defaults to `6`.
        stem_block_filters: Filters of the first convolution. Defaults to `96`.
        skip_reduction: Whether the cell after a reduction takes the reduction's input (not its
            output) as its second input. Defaults to `True`.
        filter_multiplier: Growth of the filters at each reduction. Defaults to `2`.
        include_top, weights, input_tensor, pooling, classes, classifier_activation: As in
            `NASNetLarge`.
        default_size: Default image size (224 picks NASNetMobile's ImageNet weights, 331
            NASNetLarge's). Defaults to `None` (331).
        name: Model name. Defaults to `"NASNet"`.

    Returns:
        A Functional `kerastorch.Model`.

    Example:
    >>> model = NASNet((32, 32, 3), penultimate_filters=96, num_blocks=1, stem_block_filters=8,
    ...                include_top=False, weights=None, pooling="avg")
    >>> model.output_shape
    (None, 96)
    """
    if config.image_data_format() == "channels_first":
        raise ValueError("NASNet does not support the `channels_first` image data format. Switch to "
                         "`channels_last` with kerastorch.config.set_image_data_format('channels_last').")
    _builder.check_weights(weights, include_top, classes)
    _builder.check_pooling(pooling)   # Keras would take any other value as None
    if isinstance(input_shape, tuple) and None in input_shape and weights == "imagenet":
        raise ValueError(f"When specifying the input shape of a NASNet and loading `ImageNet` weights, the "
                         f"input_shape argument must be static (no None entries). Got: `input_shape={input_shape}`.")
    if default_size is None:
        default_size = 331
    input_shape = _builder.obtain_input_shape(input_shape, default_size, 32, include_top, weights)
    img_input = _builder.image_input(input_tensor, input_shape)
    if penultimate_filters % (24 * (filter_multiplier**2)) != 0:
        raise ValueError(f"For NASNet-A models, the `penultimate_filters` must be a multiple of 24 * "
                         f"(`filter_multiplier` ** 2). Current value: {penultimate_filters}")

    filters = penultimate_filters // 24
    x = layers.Conv2D(stem_block_filters, (3, 3), strides=(2, 2), padding="valid", use_bias=False,
                      name="stem_conv1", kernel_initializer="he_normal")(img_input)
    x = _bn("stem_bn1")(x)
    p = None
    x, p = _reduction_a_cell(x, p, filters // (filter_multiplier**2), block_id="stem_1")
    x, p = _reduction_a_cell(x, p, filters // filter_multiplier, block_id="stem_2")
    for i in range(num_blocks):
        x, p = _normal_a_cell(x, p, filters, block_id=f"{i}")
    x, p0 = _reduction_a_cell(x, p, filters * filter_multiplier, block_id=f"reduce_{num_blocks}")
    p = p0 if not skip_reduction else p
    for i in range(num_blocks):
        x, p = _normal_a_cell(x, p, filters * filter_multiplier, block_id=f"{num_blocks + i + 1}")
    x, p0 = _reduction_a_cell(x, p, filters * filter_multiplier**2, block_id=f"reduce_{2 * num_blocks}")
    p = p0 if not skip_reduction else p
    for i in range(num_blocks):
        x, p = _normal_a_cell(x, p, filters * filter_multiplier**2, block_id=f"{2 * num_blocks + i + 1}")
    x = layers.Activation("relu")(x)
    if include_top:
        x = layers.GlobalAveragePooling2D()(x)
        imagenet_utils.validate_activation(classifier_activation, weights)
        x = layers.Dense(classes, activation=classifier_activation, name="predictions")(x)
    elif pooling == "avg":
        x = layers.GlobalAveragePooling2D()(x)
    elif pooling == "max":
        x = layers.GlobalMaxPooling2D()(x)

    from kerastorch.models import Model

    model = Model(_builder.source_inputs(img_input, input_tensor), x, name=name)
    if weights == "imagenet" and default_size not in (224, 331):
        raise ValueError("ImageNet weights can only be loaded with NASNetLarge or NASNetMobile")
    mobile = default_size == 224
    file_name = f"nasnet_{'mobile' if mobile else 'large'}{'' if include_top else '_no_top'}.h5"
    origin = BASE_WEIGHTS_PATH + f"NASNet-{'mobile' if mobile else 'large'}{'' if include_top else '-no-top'}.h5"
    return _builder.load_weights(model, weights, file_name, origin=origin, file_hash=_HASHES[file_name])


def NASNetMobile(input_shape=None, include_top=True, weights="imagenet", input_tensor=None, pooling=None,
                 classes=1000, classifier_activation="softmax", name="nasnet_mobile"):
    """Instantiates the NASNetMobile architecture, as `keras.applications.NASNetMobile`.

    Reference: [Learning Transferable Architectures for Scalable Image Recognition](
    https://arxiv.org/abs/1707.07012). Keras 3.15.1 refuses this model on its torch backend (an
    outstanding bug there); kerastorch builds it as Keras' other backends do.

    Args:
        input_shape: Optional `(height, width, channels)`, at least 32x32; `(224, 224, 3)` is
            required with `include_top=True` and `weights="imagenet"`. Defaults to `None`
            (`(224, 224, 3)` when `include_top=False`, as in Keras).
        include_top: Whether to include the classifier. Defaults to `True`.
        weights: `None` (random initialization), `"imagenet"` (Keras' file from Keras' cache,
            `~/.keras/models`; nothing is downloaded) or the path of a Keras weights file.
            Defaults to `"imagenet"`.
        input_tensor: Optional `KerasTensor` (from `kerastorch.Input`) to use as the image input.
            Defaults to `None`.
        pooling: With `include_top=False`: `None` (4-D output), `"avg"` or `"max"`. Defaults to `None`.
        classes: Number of classes with `include_top=True`. Defaults to `1000`.
        classifier_activation: Activation of the `predictions` layer (`None` for logits).
            Defaults to `"softmax"`.
        name: Model name. Defaults to `"nasnet_mobile"`.

    Returns:
        A Functional `kerastorch.Model`.

    Example:
    >>> model = NASNetMobile(input_shape=(32, 32, 3), weights=None, include_top=False, pooling="avg")
    >>> model.output_shape
    (None, 1056)
    """
    if not include_top and input_shape is None:
        input_shape = (224, 224, 3)
    return NASNet(input_shape, penultimate_filters=1056, num_blocks=4, stem_block_filters=32, skip_reduction=False,
                  filter_multiplier=2, include_top=include_top, weights=weights, input_tensor=input_tensor,
                  pooling=pooling, classes=classes, default_size=224, classifier_activation=classifier_activation,
                  name=name)


def NASNetLarge(input_shape=None, include_top=True, weights="imagenet", input_tensor=None, pooling=None,
                classes=1000, classifier_activation="softmax", name="nasnet_large"):
    """Instantiates the NASNetLarge architecture, as `keras.applications.NASNetLarge`.

    Reference: [Learning Transferable Architectures for Scalable Image Recognition](
    https://arxiv.org/abs/1707.07012).

    Args:
        input_shape: Optional `(height, width, channels)`, at least 32x32; `(331, 331, 3)` is
            required with `include_top=True` and `weights="imagenet"`. Defaults to `None`.
        include_top: Whether to include the classifier. Defaults to `True`.
        weights: `None` (random initialization), `"imagenet"` (Keras' file from Keras' cache,
            `~/.keras/models`; nothing is downloaded) or the path of a Keras weights file.
            Defaults to `"imagenet"`.
        input_tensor: Optional `KerasTensor` (from `kerastorch.Input`) to use as the image input.
            Defaults to `None`.
        pooling: With `include_top=False`: `None` (4-D output), `"avg"` or `"max"`. Defaults to `None`.
        classes: Number of classes with `include_top=True`. Defaults to `1000`.
        classifier_activation: Activation of the `predictions` layer (`None` for logits).
            Defaults to `"softmax"`.
        name: Model name. Defaults to `"nasnet_large"`.

    Returns:
        A Functional `kerastorch.Model`.

    Example:
    >>> model = NASNetLarge(input_shape=(32, 32, 3), weights=None, include_top=False, pooling="avg")
    >>> model.output_shape
    (None, 4032)
    """
    return NASNet(input_shape, penultimate_filters=4032, num_blocks=6, stem_block_filters=96, skip_reduction=True,
                  filter_multiplier=2, include_top=include_top, weights=weights, input_tensor=input_tensor,
                  pooling=pooling, classes=classes, default_size=331, classifier_activation=classifier_activation,
                  name=name)


preprocess_input = imagenet_utils._module_preprocess_input('tf')

# As Keras' module function: ImageNet's decoding (`imagenet_utils.decode_predictions`).
decode_predictions = imagenet_utils.decode_predictions


__all__ = ["NASNetLarge", "NASNetMobile", "decode_predictions", "preprocess_input"]
