"""VGG16 (Simonyan and Zisserman, 2014), as `keras.applications.vgg16`; the VGG builder VGG19 shares.

A Functional model with Keras' layer names (`block1_conv1`, ..., `block5_pool`, `flatten`,
`fc1`, `fc2`, `predictions`); inputs go through `preprocess_input` ("caffe" mode).
"""

from kerastorch import config, layers
from kerastorch.applications import _builder, _weights, imagenet_utils

_BASE = "https://storage.googleapis.com/tensorflow/keras-applications/"
# Keras' cache file names and md5 hashes, (with top, without top).
WEIGHTS = {
    "vgg16": (("vgg16_weights_tf_dim_ordering_tf_kernels.h5", "64373286793e3c8b2b4e3219cbf3544b"),
              ("vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5", "6d6bbae143d832006294945121d1f1fc")),
    "vgg19": (("vgg19_weights_tf_dim_ordering_tf_kernels.h5", "cbe5617147190e668d6c5d5026f83318"),
              ("vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5", "253f8cb515780f3b799900260a226db6")),
}


def build_vgg(family, convs, include_top, weights, input_tensor, input_shape, pooling, classes,
              classifier_activation, name):
    """VGG with `convs[i]` 3x3 convolutions in block i+1 (internal)."""
    _weights.check_weights(weights, include_top, classes)
    _builder.check_pooling(pooling)
    input_shape = imagenet_utils.obtain_input_shape(input_shape, default_size=224, min_size=32,
                                                    data_format=config.image_data_format(),
                                                    require_flatten=include_top, weights=weights)
    img_input = _builder.image_input(input_tensor, input_shape)
    x = img_input
    for block, (filters, count) in enumerate(zip((64, 128, 256, 512, 512), convs), start=1):
        for i in range(1, count + 1):
            x = layers.Conv2D(filters, (3, 3), activation="relu", padding="same", name=f"block{block}_conv{i}")(x)
        x = layers.MaxPooling2D((2, 2), strides=(2, 2), name=f"block{block}_pool")(x)
    if include_top:
        x = layers.Flatten(name="flatten")(x)
        x = layers.Dense(4096, activation="relu", name="fc1")(x)
        x = layers.Dense(4096, activation="relu", name="fc2")(x)
        imagenet_utils.validate_activation(classifier_activation, weights)
        x = layers.Dense(classes, activation=classifier_activation, name="predictions")(x)
    elif pooling == "avg":
        x = layers.GlobalAveragePooling2D()(x)      # unnamed in Keras too
    elif pooling == "max":
        x = layers.GlobalMaxPooling2D()(x)
    model = _builder.make_model(input_tensor, img_input, x, name)
    file_name, file_hash = WEIGHTS[family][0 if include_top else 1]
    _weights.load_weights(model, weights, file_name=file_name, origin=f"{_BASE}{family}/{file_name}",
                          file_hash=file_hash)
    return model


def VGG16(include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None, classes=1000,
          classifier_activation="softmax", name="vgg16"):
    """Instantiates the VGG16 model (13 convolutions in 5 blocks, then two 4096-unit dense layers).

    The top is `flatten`, `fc1`, `fc2` and `predictions`; inputs go through
    `kerastorch.applications.vgg16.preprocess_input`.

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
        name: The model's name. Defaults to `'vgg16'`.

    Returns:
        A Functional `kerastorch.Model`.

    Example:
    >>> model = VGG16(weights=None, include_top=False, input_shape=(32, 32, 3))
    >>> model.output_shape
    (None, 1, 1, 512)
    """
    return build_vgg("vgg16", (2, 2, 3, 3, 3), include_top, weights, input_tensor, input_shape, pooling, classes,
                     classifier_activation, name)


preprocess_input = imagenet_utils._module_preprocess_input('caffe')

# As Keras' module function: ImageNet's decoding (`imagenet_utils.decode_predictions`).
decode_predictions = imagenet_utils.decode_predictions


__all__ = ["VGG16", "decode_predictions", "preprocess_input"]
