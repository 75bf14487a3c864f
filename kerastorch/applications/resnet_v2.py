"""ResNet50V2, ResNet101V2, ResNet152V2 (He et al., 2016, pre-activation), as `keras.applications.resnet_v2`.

Functional models with Keras' layer names (`conv2_block1_preact_bn`, ..., `post_bn`,
`predictions`); inputs go through `preprocess_input` ("tf" mode: scaled to -1..1).
"""

from kerastorch.applications import imagenet_utils
from kerastorch.applications import resnet as _resnet


def _v2(blocks, model_name, include_top, weights, input_tensor, input_shape, pooling, classes,
        classifier_activation, name):
    def stack_fn(x):
        x = _resnet.stack_residual_blocks_v2(x, 64, blocks[0], name="conv2")
        x = _resnet.stack_residual_blocks_v2(x, 128, blocks[1], name="conv3")
        x = _resnet.stack_residual_blocks_v2(x, 256, blocks[2], name="conv4")
        return _resnet.stack_residual_blocks_v2(x, 512, blocks[3], stride1=1, name="conv5")

    return _resnet.ResNet(stack_fn, preact=True, use_bias=True, include_top=include_top, weights=weights,
                          input_tensor=input_tensor, input_shape=input_shape, pooling=pooling, classes=classes,
                          classifier_activation=classifier_activation, name=name, weights_name=model_name)


def ResNet50V2(include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None,
               classes=1000, classifier_activation="softmax", name="resnet50v2"):
    """Instantiates the ResNet50V2 architecture (blocks 3, 4, 6, 3).

    Keras' ResNetV2 with Keras' layer names; inputs go through `kerastorch.applications.resnet_v2.preprocess_input`.

    Args:
        include_top: Whether to include the classifier (global average pooling `avg_pool` and
            the dense layer `predictions`). Defaults to `True`.
        weights: `None` (random initialisation), `"imagenet"` (Keras' ImageNet weights file,
            read from Keras' cache `$KERAS_HOME/models/`; never downloaded: when absent the
            error names the file, its URL and the folder), or the path of a weights file
            written by Keras or kerastorch. Defaults to `"imagenet"`.
        input_tensor: Optional symbolic tensor (`kerastorch.Input(...)` or a layer output) to
            use as the image input. Defaults to `None`.
        input_shape: Optional shape tuple, `(224, 224, 3)` by default with `include_top=True`;
            without the top any size at least 32x32. Defaults to `None`.
        pooling: With `include_top=False`: `None` (the 4-D output of the last block), `"avg"`
            or `"max"` (global pooling to 2-D). Defaults to `None`.
        classes: Number of classes, with `include_top=True` and no `"imagenet"` weights.
            Defaults to `1000`.
        classifier_activation: Activation of the `predictions` layer (`None` for logits);
            with pretrained weights only `None` or `"softmax"`. Defaults to `"softmax"`.
        name: The model's name. Defaults to `'resnet50v2'`.

    Returns:
        A Functional `kerastorch.Model`.

    Example:
    >>> model = ResNet50V2(weights=None, include_top=False, input_shape=(32, 32, 3), pooling="avg")
    >>> model.output_shape
    (None, 2048)
    """
    return _v2((3, 4, 6, 3), "resnet50v2", include_top, weights, input_tensor, input_shape, pooling, classes,
               classifier_activation, name)


def ResNet101V2(include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None,
                classes=1000, classifier_activation="softmax", name="resnet101v2"):
    """Instantiates the ResNet101V2 architecture (blocks 3, 4, 23, 3).

    Keras' ResNetV2 with Keras' layer names; inputs go through `kerastorch.applications.resnet_v2.preprocess_input`.

    Args:
        include_top: Whether to include the classifier (global average pooling `avg_pool` and
            the dense layer `predictions`). Defaults to `True`.
        weights: `None` (random initialisation), `"imagenet"` (Keras' ImageNet weights file,
            read from Keras' cache `$KERAS_HOME/models/`; never downloaded: when absent the
            error names the file, its URL and the folder), or the path of a weights file
            written by Keras or kerastorch. Defaults to `"imagenet"`.
        input_tensor: Optional symbolic tensor (`kerastorch.Input(...)` or a layer output) to
            use as the image input. Defaults to `None`.
        input_shape: Optional shape tuple, `(224, 224, 3)` by default with `include_top=True`;
            without the top any size at least 32x32. Defaults to `None`.
        pooling: With `include_top=False`: `None` (the 4-D output of the last block), `"avg"`
            or `"max"` (global pooling to 2-D). Defaults to `None`.
        classes: Number of classes, with `include_top=True` and no `"imagenet"` weights.
            Defaults to `1000`.
        classifier_activation: Activation of the `predictions` layer (`None` for logits);
            with pretrained weights only `None` or `"softmax"`. Defaults to `"softmax"`.
        name: The model's name. Defaults to `'resnet101v2'`.

    Returns:
        A Functional `kerastorch.Model`.

    Example:
    >>> model = ResNet101V2(weights=None, include_top=False, input_shape=(32, 32, 3))
    >>> model.output_shape
    (None, 1, 1, 2048)
    """
    return _v2((3, 4, 23, 3), "resnet101v2", include_top, weights, input_tensor, input_shape, pooling, classes,
               classifier_activation, name)


def ResNet152V2(include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None,
                classes=1000, classifier_activation="softmax", name="resnet152v2"):
    """Instantiates the ResNet152V2 architecture (blocks 3, 8, 36, 3).

    Keras' ResNetV2 with Keras' layer names; inputs go through `kerastorch.applications.resnet_v2.preprocess_input`.

    Args:
        include_top: Whether to include the classifier (global average pooling `avg_pool` and
            the dense layer `predictions`). Defaults to `True`.
        weights: `None` (random initialisation), `"imagenet"` (Keras' ImageNet weights file,
            read from Keras' cache `$KERAS_HOME/models/`; never downloaded: when absent the
            error names the file, its URL and the folder), or the path of a weights file
            written by Keras or kerastorch. Defaults to `"imagenet"`.
        input_tensor: Optional symbolic tensor (`kerastorch.Input(...)` or a layer output) to
            use as the image input. Defaults to `None`.
        input_shape: Optional shape tuple, `(224, 224, 3)` by default with `include_top=True`;
            without the top any size at least 32x32. Defaults to `None`.
        pooling: With `include_top=False`: `None` (the 4-D output of the last block), `"avg"`
            or `"max"` (global pooling to 2-D). Defaults to `None`.
        classes: Number of classes, with `include_top=True` and no `"imagenet"` weights.
            Defaults to `1000`.
        classifier_activation: Activation of the `predictions` layer (`None` for logits);
            with pretrained weights only `None` or `"softmax"`. Defaults to `"softmax"`.
        name: The model's name. Defaults to `'resnet152v2'`.

    Returns:
        A Functional `kerastorch.Model`.

    Example:
    >>> model = ResNet152V2(weights=None, include_top=False, input_shape=(32, 32, 3), pooling="max")
    >>> model.output_shape
    (None, 2048)
    """
    return _v2((3, 8, 36, 3), "resnet152v2", include_top, weights, input_tensor, input_shape, pooling, classes,
               classifier_activation, name)


preprocess_input = imagenet_utils._module_preprocess_input('tf')

# As Keras' module function: ImageNet's decoding (`imagenet_utils.decode_predictions`).
decode_predictions = imagenet_utils.decode_predictions


__all__ = ["ResNet101V2", "ResNet152V2", "ResNet50V2", "decode_predictions", "preprocess_input"]
