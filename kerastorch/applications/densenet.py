"""DenseNet121, DenseNet169, DenseNet201 (Huang et al., 2016), as `keras.applications.densenet`.

Functional models with Keras' layer names (`conv1_conv`, `conv2_block1_0_bn`, ...,
`pool2_conv`, ..., `bn`, `predictions`); inputs go through `preprocess_input` ("torch" mode).
Channels-last only, as in Keras.
"""

from kerastorch import config, layers
from kerastorch.applications import _builder, _weights, imagenet_utils

BASE_WEIGHTS_PATH = "https://storage.googleapis.com/tensorflow/keras-applications/densenet/"
# blocks -> (family, md5 with top, md5 without top), Keras' WEIGHTS facts.
_WEIGHTS = {
    (6, 12, 24, 16): ("densenet121", "9d60b8095a5708f2dcce2bca79d332c7", "30ee3e1110167f948a6b9946edeeb738"),
    (6, 12, 32, 32): ("densenet169", "d699b8f76981ab1b30698df4c175e90b", "b8c4d4c20dd625c148057b9ff1c1176b"),
    (6, 12, 48, 32): ("densenet201", "1ceb130c1ea1b78c3bf6114dbdfd8807", "c13680b51ded0fb44dff2d8f86ac8bb1"),
}
_EPS = 1.001e-5


def conv_block(x, growth_rate, name):
    """BN-ReLU-1x1 conv (4 * growth_rate), BN-ReLU-3x3 conv (growth_rate), concatenated to x (internal)."""
    axis = _builder.bn_axis()
    y = layers.BatchNormalization(axis=axis, epsilon=_EPS, name=f"{name}_0_bn")(x)
    y = layers.Activation("relu", name=f"{name}_0_relu")(y)
    y = layers.Conv2D(4 * growth_rate, 1, use_bias=False, name=f"{name}_1_conv")(y)
    y = layers.BatchNormalization(axis=axis, epsilon=_EPS, name=f"{name}_1_bn")(y)
    y = layers.Activation("relu", name=f"{name}_1_relu")(y)
    y = layers.Conv2D(growth_rate, 3, padding="same", use_bias=False, name=f"{name}_2_conv")(y)
    return layers.Concatenate(axis=axis, name=f"{name}_concat")([x, y])


def dense_block(x, blocks, name):
    """`blocks` conv blocks with growth rate 32 (internal)."""
    for i in range(blocks):
        x = conv_block(x, 32, name=f"{name}_block{i + 1}")
    return x


def transition_block(x, reduction, name):
    """BN-ReLU-1x1 conv to `reduction` of the channels, then 2x2 average pooling (internal)."""
    axis = _builder.bn_axis()
    x = layers.BatchNormalization(axis=axis, epsilon=_EPS, name=f"{name}_bn")(x)
    x = layers.Activation("relu", name=f"{name}_relu")(x)
    x = layers.Conv2D(int(x.shape[axis] * reduction), 1, use_bias=False, name=f"{name}_conv")(x)
    return layers.AveragePooling2D(2, strides=2, name=f"{name}_pool")(x)


def DenseNet(blocks, include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None,
             classes=1000, classifier_activation="softmax", name="densenet"):
    """Builds a DenseNet with `blocks` conv blocks in each of its 4 dense blocks (internal)."""
    if config.image_data_format() == "channels_first":
        raise ValueError("DenseNet does not support the `channels_first` image data format. Switch to "
                         "`channels_last` with kerastorch.config.set_image_data_format('channels_last').")
    _weights.check_weights(weights, include_top, classes)
    _builder.check_pooling(pooling)
    input_shape = imagenet_utils.obtain_input_shape(input_shape, default_size=224, min_size=32,
                                                    data_format=config.image_data_format(),
                                                    require_flatten=include_top, weights=weights)
    img_input = _builder.image_input(input_tensor, input_shape)
    axis = _builder.bn_axis()
    x = layers.ZeroPadding2D(padding=((3, 3), (3, 3)))(img_input)     # unnamed in Keras
    x = layers.Conv2D(64, 7, strides=2, use_bias=False, name="conv1_conv")(x)
    x = layers.BatchNormalization(axis=axis, epsilon=_EPS, name="conv1_bn")(x)
    x = layers.Activation("relu", name="conv1_relu")(x)
    x = layers.ZeroPadding2D(padding=((1, 1), (1, 1)))(x)
    x = layers.MaxPooling2D(3, strides=2, name="pool1")(x)
    for stage, count in enumerate(blocks, start=2):
        x = dense_block(x, count, name=f"conv{stage}")
        if stage < 5:
            x = transition_block(x, 0.5, name=f"pool{stage}")
    x = layers.BatchNormalization(axis=axis, epsilon=_EPS, name="bn")(x)
    x = layers.Activation("relu", name="relu")(x)
    x = _builder.top(x, include_top, pooling, classes, classifier_activation, weights)
    model = _builder.make_model(input_tensor, img_input, x, name)
    file_name = file_hash = None
    if tuple(blocks) in _WEIGHTS:
        family, top_hash, notop_hash = _WEIGHTS[tuple(blocks)]
        file_name = f"{family}_weights_tf_dim_ordering_tf_kernels{'' if include_top else '_notop'}.h5"
        file_hash = top_hash if include_top else notop_hash
    elif weights == "imagenet":
        raise ValueError(f"DenseNet: Keras has ImageNet weights only for blocks {sorted(_WEIGHTS)}; got "
                         f"blocks={list(blocks)}. Use weights=None or a weights file.")
    _weights.load_weights(model, weights, file_name=file_name, origin=f"{BASE_WEIGHTS_PATH}{file_name}",
                          file_hash=file_hash)
    return model


def DenseNet121(include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None,
                classes=1000, classifier_activation="softmax", name="densenet121"):
    """Instantiates the DenseNet121 architecture (dense blocks of 6, 12, 24, 16 conv blocks).

    Channels-last only; inputs go through `kerastorch.applications.densenet.preprocess_input`.

    Args:
        include_top: Whether to include the classifier at the top of the network.
            Defaults to `True`.
        weights: `None` (random initialisation), `"imagenet"` (Keras' ImageNet weights file,
            read from Keras' cache `$KERAS_HOME/models/`; never downloaded: when absent the
            error names the file, its URL and the folder), or the path of a weights file
            written by Keras or kerastorch. Defaults to `"imagenet"`.
        input_tensor: Optional symbolic tensor (`kerastorch.Input(...)` or a layer output) to
            use as the image input. Defaults to `None`.
        input_shape: Optional shape tuple; 224x224 with `include_top=True`; without
            the top, any size at least 32x32. Defaults to `None`.
        pooling: With `include_top=False`: `None` (the 4-D output of the last block), `"avg"`
            or `"max"` (global pooling to 2-D). Defaults to `None`.
        classes: Number of classes, with `include_top=True` and no `"imagenet"` weights.
            Defaults to `1000`.
        classifier_activation: Activation of the `predictions` layer (`None` for logits);
            with pretrained weights only `None` or `"softmax"`. Defaults to `"softmax"`.
        name: The model's name. Defaults to `'densenet121'`.

    Returns:
        A Functional `kerastorch.Model`.

    Example:
    >>> model = DenseNet121(weights=None, include_top=False, input_shape=(32, 32, 3))
    >>> model.output_shape
    (None, 1, 1, 1024)
    """
    return DenseNet([6, 12, 24, 16], include_top, weights, input_tensor, input_shape, pooling, classes,
                    classifier_activation, name)


def DenseNet169(include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None,
                classes=1000, classifier_activation="softmax", name="densenet169"):
    """Instantiates the DenseNet169 architecture (dense blocks of 6, 12, 32, 32 conv blocks).

    Channels-last only; inputs go through `kerastorch.applications.densenet.preprocess_input`.

    Args:
        include_top: Whether to include the classifier at the top of the network.
            Defaults to `True`.
        weights: `None` (random initialisation), `"imagenet"` (Keras' ImageNet weights file,
            read from Keras' cache `$KERAS_HOME/models/`; never downloaded: when absent the
            error names the file, its URL and the folder), or the path of a weights file
            written by Keras or kerastorch. Defaults to `"imagenet"`.
        input_tensor: Optional symbolic tensor (`kerastorch.Input(...)` or a layer output) to
            use as the image input. Defaults to `None`.
        input_shape: Optional shape tuple; 224x224 with `include_top=True`; without
            the top, any size at least 32x32. Defaults to `None`.
        pooling: With `include_top=False`: `None` (the 4-D output of the last block), `"avg"`
            or `"max"` (global pooling to 2-D). Defaults to `None`.
        classes: Number of classes, with `include_top=True` and no `"imagenet"` weights.
            Defaults to `1000`.
        classifier_activation: Activation of the `predictions` layer (`None` for logits);
            with pretrained weights only `None` or `"softmax"`. Defaults to `"softmax"`.
        name: The model's name. Defaults to `'densenet169'`.

    Returns:
        A Functional `kerastorch.Model`.

    Example:
    >>> model = DenseNet169(weights=None, include_top=False, input_shape=(32, 32, 3), pooling='avg')
    >>> model.output_shape
    (None, 1664)
    """
    return DenseNet([6, 12, 32, 32], include_top, weights, input_tensor, input_shape, pooling, classes,
                    classifier_activation, name)


def DenseNet201(include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None,
                classes=1000, classifier_activation="softmax", name="densenet201"):
    """Instantiates the DenseNet201 architecture (dense blocks of 6, 12, 48, 32 conv blocks).

    Channels-last only; inputs go through `kerastorch.applications.densenet.preprocess_input`.

    Args:
        include_top: Whether to include the classifier at the top of the network.
            Defaults to `True`.
        weights: `None` (random initialisation), `"imagenet"` (Keras' ImageNet weights file,
            read from Keras' cache `$KERAS_HOME/models/`; never downloaded: when absent the
            error names the file, its URL and the folder), or the path of a weights file
            written by Keras or kerastorch. Defaults to `"imagenet"`.
        input_tensor: Optional symbolic tensor (`kerastorch.Input(...)` or a layer output) to
            use as the image input. Defaults to `None`.
        input_shape: Optional shape tuple; 224x224 with `include_top=True`; without
            the top, any size at least 32x32. Defaults to `None`.
        pooling: With `include_top=False`: `None` (the 4-D output of the last block), `"avg"`
            or `"max"` (global pooling to 2-D). Defaults to `None`.
        classes: Number of classes, with `include_top=True` and no `"imagenet"` weights.
            Defaults to `1000`.
        classifier_activation: Activation of the `predictions` layer (`None` for logits);
            with pretrained weights only `None` or `"softmax"`. Defaults to `"softmax"`.
        name: The model's name. Defaults to `'densenet201'`.

    Returns:
        A Functional `kerastorch.Model`.

    Example:
    >>> model = DenseNet201(weights=None, include_top=False, input_shape=(32, 32, 3), pooling='max')
    >>> model.output_shape
    (None, 1920)
    """
    return DenseNet([6, 12, 48, 32], include_top, weights, input_tensor, input_shape, pooling, classes,
                    classifier_activation, name)


preprocess_input = imagenet_utils._module_preprocess_input('torch')

# As Keras' module function: ImageNet's decoding (`imagenet_utils.decode_predictions`).
decode_predictions = imagenet_utils.decode_predictions


__all__ = ["DenseNet121", "DenseNet169", "DenseNet201", "decode_predictions", "preprocess_input"]
