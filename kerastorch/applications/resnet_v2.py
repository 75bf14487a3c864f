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

    Example:
    >>> model = ResNet152V2(weights=None, include_top=False, input_shape=(32, 32, 3), pooling="max")
    >>> model.output_shape
    (None, 2048)
    """
    return _v2((3, 8, 36, 3), "resnet152v2", include_top, weights, input_tensor, input_shape, pooling, classes,
               classifier_activation, name)


for _fn, _name in ((ResNet50V2, "resnet50v2"), (ResNet101V2, "resnet101v2"), (ResNet152V2, "resnet152v2")):
    _summary, _example = _fn.__doc__.split("\n\n", 1)
    _fn.__doc__ = (f"{_summary}\n\n    Keras' ResNetV2 with Keras' layer names; inputs go through "
                   f"`kerastorch.applications.resnet_v2.preprocess_input`.\n"
                   f"{_resnet._ARGS_DOC.format(name=_name)}\n    {_example}")


def preprocess_input(x, data_format=None):
    """Preprocesses images for ResNet v2: "tf" mode (scaled from 0..255 to -1..1).

    Args:
        x: Numpy array or tensor of images, values 0..255 (a float numpy array is written over).
        data_format: `None` (the global setting), `"channels_last"` or `"channels_first"`.
            Defaults to `None`.

    Returns:
        The preprocessed images (float32 for integer numpy input).

    Example:
    >>> import numpy as np
    >>> preprocess_input(np.array([[[0, 255, 255]]], dtype="uint8")).tolist()
    [[[-1.0, 1.0, 1.0]]]
    """
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="tf")


def decode_predictions(preds, top=5):
    """Decodes ImageNet predictions; see `kerastorch.applications.imagenet_utils.decode_predictions`.

    Args:
        preds: Array of shape `(samples, 1000)`.
        top: How many top guesses per sample. Defaults to `5`.

    Returns:
        A list of lists of `(class_name, class_description, score)` tuples.

    Example:
    >>> import numpy as np
    >>> decode_predictions(np.zeros((1, 3)))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: `decode_predictions` expects a batch of predictions ...
    """
    return imagenet_utils.decode_predictions(preds, top=top)


__all__ = ["ResNet101V2", "ResNet152V2", "ResNet50V2", "decode_predictions", "preprocess_input"]
