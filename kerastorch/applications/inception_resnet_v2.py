"""InceptionResNetV2 (Szegedy et al., 2016), as `keras.applications.inception_resnet_v2`.

A Functional model made in Keras' order with Keras' names (`mixed_5b`, `block35_1_mixed`,
`block35_1_conv`, `block35_1_ac`, ..., `conv_7b`, `predictions`); the stem and branch
convolutions are unnamed, as in Keras. Each residual block adds `scale * residual` to its input
with a `CustomScaleLayer`, Keras' own layer. Inputs go through `preprocess_input` ("tf" mode).
Default input 299x299, at least 75x75.
"""

from kerastorch import config, layers
from kerastorch.applications import _builder, _weights, imagenet_utils
from kerastorch.layers.base import Layer
from kerastorch.saving import serialization as _serialization

BASE_WEIGHT_URL = "https://storage.googleapis.com/tensorflow/keras-applications/inception_resnet_v2/"
_FILES = (("inception_resnet_v2_weights_tf_dim_ordering_tf_kernels.h5", "e693bd0210a403b3192acc6073ad2e96"),
          ("inception_resnet_v2_weights_tf_dim_ordering_tf_kernels_notop.h5", "d19885ff4a710c122648d3b5c3b684e4"))


class CustomScaleLayer(Layer):
    """Adds a scaled residual: `inputs[0] + inputs[1] * scale` (Keras' InceptionResNetV2 layer).

    Args:
        scale: The factor of the residual branch (0.17, 0.1, 0.2 or 1.0 in InceptionResNetV2).
        **kwargs: Layer arguments (`name`, ...).

    Example:
    >>> import torch
    >>> CustomScaleLayer(0.5)([torch.ones(1, 2), torch.full((1, 2), 4.0)]).tolist()
    [[3.0, 3.0]]
    """

    _keras_module = "keras.src.applications.inception_resnet_v2"     # where Keras' .keras files say it lives

    def __init__(self, scale, **kwargs):
        super().__init__(**kwargs)
        self.scale = scale

    def call(self, inputs):
        return inputs[0] + inputs[1] * self.scale

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[0])

    def get_config(self):
        return {**super().get_config(), "scale": self.scale}


# Keras' .keras files name it by its bare class name (registered_name "CustomScaleLayer"): registered
# under that name, their files load here, and ours name it as Keras does.
_serialization._GLOBAL_CUSTOM_OBJECTS.setdefault("CustomScaleLayer", CustomScaleLayer)
_serialization._GLOBAL_CUSTOM_NAMES.setdefault(CustomScaleLayer, "CustomScaleLayer")


def conv2d_bn(x, filters, kernel_size, strides=1, padding="same", activation="relu", use_bias=False, name=None):
    """Conv2D, then (without a bias) BatchNormalization without scale, then the activation (internal)."""
    x = layers.Conv2D(filters, kernel_size, strides=strides, padding=padding, use_bias=use_bias, name=name)(x)
    if not use_bias:
        axis = 1 if config.image_data_format() == "channels_first" else 3
        x = layers.BatchNormalization(axis=axis, scale=False, name=None if name is None else f"{name}_bn")(x)
    if activation is not None:
        x = layers.Activation(activation, name=None if name is None else f"{name}_ac")(x)
    return x


def _chain(x, specs):
    for spec in specs:
        x = conv2d_bn(x, *spec[:2], **(spec[2] if len(spec) > 2 else {}))
    return x


_BRANCHES = {
    "block35": [[(32, 1)], [(32, 1), (32, 3)], [(32, 1), (48, 3), (64, 3)]],
    "block17": [[(192, 1)], [(128, 1), (160, [1, 7]), (192, [7, 1])]],
    "block8": [[(192, 1)], [(192, 1), (224, [1, 3]), (256, [3, 1])]],
}


def inception_resnet_block(x, scale, block_type, block_idx, activation="relu"):
    """One Inception-ResNet block: `activation(x + scale * conv(concat(branches)))` (internal)."""
    if block_type not in _BRANCHES:
        raise ValueError(f'Unknown Inception-ResNet block type. Expects "block35", "block17" or "block8", '
                         f"but got: {block_type}")
    branches = [_chain(x, specs) for specs in _BRANCHES[block_type]]
    block_name = f"{block_type}_{block_idx}"
    axis = 1 if config.image_data_format() == "channels_first" else 3
    mixed = layers.Concatenate(axis=axis, name=f"{block_name}_mixed")(branches)
    up = conv2d_bn(mixed, x.shape[axis], 1, activation=None, use_bias=True, name=f"{block_name}_conv")
    x = CustomScaleLayer(scale)([x, up])
    if activation is not None:
        x = layers.Activation(activation, name=f"{block_name}_ac")(x)
    return x


def InceptionResNetV2(include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None,
                      classes=1000, classifier_activation="softmax", name="inception_resnet_v2"):
    """Instantiates the Inception-ResNet v2 architecture.

    Inputs go through `kerastorch.applications.inception_resnet_v2.preprocess_input`.

    Args:
        include_top: Whether to include the classifier at the top of the network.
            Defaults to `True`.
        weights: `None` (random initialisation), `"imagenet"` (Keras' ImageNet weights file,
            read from Keras' cache `$KERAS_HOME/models/`; never downloaded: when absent the
            error names the file, its URL and the folder), or the path of a weights file
            written by Keras or kerastorch. Defaults to `"imagenet"`.
        input_tensor: Optional symbolic tensor (`kerastorch.Input(...)` or a layer output) to
            use as the image input. Defaults to `None`.
        input_shape: Optional shape tuple; 299x299 with `include_top=True`; without
            the top, any size at least 75x75. Defaults to `None`.
        pooling: With `include_top=False`: `None` (the 4-D output of the last block), `"avg"`
            or `"max"` (global pooling to 2-D). Defaults to `None`.
        classes: Number of classes, with `include_top=True` and no `"imagenet"` weights.
            Defaults to `1000`.
        classifier_activation: Activation of the `predictions` layer (`None` for logits);
            with pretrained weights only `None` or `"softmax"`. Defaults to `"softmax"`.
        name: The model's name. Defaults to `'inception_resnet_v2'`.

    Returns:
        A Functional `kerastorch.Model`.

    Example:
    >>> model = InceptionResNetV2(weights=None, include_top=False, input_shape=(75, 75, 3))
    >>> model.output_shape
    (None, 1, 1, 1536)
    """
    _weights.check_weights(weights, include_top, classes)
    _builder.check_pooling(pooling)
    input_shape = imagenet_utils.obtain_input_shape(input_shape, default_size=299, min_size=75,
                                                    data_format=config.image_data_format(),
                                                    require_flatten=include_top, weights=weights)
    img_input = _builder.image_input(input_tensor, input_shape)
    axis = 1 if config.image_data_format() == "channels_first" else 3
    valid2 = {"strides": 2, "padding": "valid"}

    x = conv2d_bn(img_input, 32, 3, **valid2)
    x = conv2d_bn(x, 32, 3, padding="valid")
    x = conv2d_bn(x, 64, 3)
    x = layers.MaxPooling2D(3, strides=2)(x)
    x = conv2d_bn(x, 80, 1, padding="valid")
    x = conv2d_bn(x, 192, 3, padding="valid")
    x = layers.MaxPooling2D(3, strides=2)(x)

    # mixed_5b (Inception-A), 10 x block35
    branches = [conv2d_bn(x, 96, 1), _chain(x, [(48, 1), (64, 5)]), _chain(x, [(64, 1), (96, 3), (96, 3)]),
                conv2d_bn(layers.AveragePooling2D(3, strides=1, padding="same")(x), 64, 1)]
    x = layers.Concatenate(axis=axis, name="mixed_5b")(branches)
    for block_idx in range(1, 11):
        x = inception_resnet_block(x, scale=0.17, block_type="block35", block_idx=block_idx)

    # mixed_6a (Reduction-A), 20 x block17
    branches = [conv2d_bn(x, 384, 3, **valid2), _chain(x, [(256, 1), (256, 3), (384, 3, valid2)]),
                layers.MaxPooling2D(3, strides=2, padding="valid")(x)]
    x = layers.Concatenate(axis=axis, name="mixed_6a")(branches)
    for block_idx in range(1, 21):
        x = inception_resnet_block(x, scale=0.1, block_type="block17", block_idx=block_idx)

    # mixed_7a (Reduction-B), 10 x block8 (the last one without activation)
    branches = [_chain(x, [(256, 1), (384, 3, valid2)]), _chain(x, [(256, 1), (288, 3, valid2)]),
                _chain(x, [(256, 1), (288, 3), (320, 3, valid2)]),
                layers.MaxPooling2D(3, strides=2, padding="valid")(x)]
    x = layers.Concatenate(axis=axis, name="mixed_7a")(branches)
    for block_idx in range(1, 10):
        x = inception_resnet_block(x, scale=0.2, block_type="block8", block_idx=block_idx)
    x = inception_resnet_block(x, scale=1.0, activation=None, block_type="block8", block_idx=10)
    x = conv2d_bn(x, 1536, 1, name="conv_7b")

    if include_top:
        x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
        imagenet_utils.validate_activation(classifier_activation, weights)
        x = layers.Dense(classes, activation=classifier_activation, name="predictions")(x)
    elif pooling == "avg":
        x = layers.GlobalAveragePooling2D()(x)      # unnamed in Keras
    elif pooling == "max":
        x = layers.GlobalMaxPooling2D()(x)
    model = _builder.make_model(input_tensor, img_input, x, name)
    file_name, file_hash = _FILES[0 if include_top else 1]
    _weights.load_weights(model, weights, file_name=file_name, origin=f"{BASE_WEIGHT_URL}{file_name}",
                          file_hash=file_hash)
    return model


preprocess_input = imagenet_utils._module_preprocess_input('tf')

# As Keras' module function: ImageNet's decoding (`imagenet_utils.decode_predictions`).
decode_predictions = imagenet_utils.decode_predictions


__all__ = ["InceptionResNetV2", "decode_predictions", "preprocess_input"]
