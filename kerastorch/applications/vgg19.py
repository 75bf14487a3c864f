"""VGG19 (Simonyan and Zisserman, 2014), as `keras.applications.vgg19`.

A Functional model with Keras' layer names (`block1_conv1`, ..., `block5_conv4`, `fc1`, `fc2`,
`predictions`); inputs go through `preprocess_input` ("caffe" mode).
"""

from kerastorch.applications import imagenet_utils
from kerastorch.applications.vgg16 import build_vgg


def VGG19(include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None, classes=1000,
          classifier_activation="softmax", name="vgg19"):
    """Instantiates the VGG19 model (16 convolutions in 5 blocks, then two 4096-unit dense layers).

    The top is `flatten`, `fc1`, `fc2` and `predictions`; inputs go through
    `kerastorch.applications.vgg19.preprocess_input`.

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
        name: The model's name. Defaults to `'vgg19'`.

    Returns:
        A Functional `kerastorch.Model`.

    Example:
    >>> model = VGG19(weights=None, include_top=False, input_shape=(32, 32, 3), pooling='avg')
    >>> model.output_shape
    (None, 512)
    """
    return build_vgg("vgg19", (2, 2, 4, 4, 4), include_top, weights, input_tensor, input_shape, pooling, classes,
                     classifier_activation, name)


preprocess_input = imagenet_utils._module_preprocess_input('caffe')

# As Keras' module function: ImageNet's decoding (`imagenet_utils.decode_predictions`).
decode_predictions = imagenet_utils.decode_predictions


__all__ = ["VGG19", "decode_predictions", "preprocess_input"]
