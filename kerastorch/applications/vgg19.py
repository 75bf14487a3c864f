"""VGG19 (Simonyan and Zisserman, 2014), as `keras.applications.vgg19`.

A Functional model with Keras' layer names (`block1_conv1`, ..., `block5_conv4`, `fc1`, `fc2`,
`predictions`); inputs go through `preprocess_input` ("caffe" mode).
"""

from kerastorch.applications import _builder
from kerastorch.applications.vgg16 import build_vgg


def VGG19(include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None, classes=1000,
          classifier_activation="softmax", name="vgg19"):
    return build_vgg("vgg19", (2, 2, 4, 4, 4), include_top, weights, input_tensor, input_shape, pooling, classes,
                     classifier_activation, name)


_builder.document(
    VGG19, "Instantiates the VGG19 model (16 convolutions in 5 blocks, then two 4096-unit dense layers).",
    "vgg19", 224, 32, note="    The top is `flatten`, `fc1`, `fc2` and `predictions`; inputs go through\n"
                           "    `kerastorch.applications.vgg19.preprocess_input`.\n",
    example="    >>> model = VGG19(weights=None, include_top=False, input_shape=(32, 32, 3), pooling='avg')\n"
            "    >>> model.output_shape\n    (None, 512)\n")
preprocess_input = _builder.make_preprocess_input("caffe", "vgg19")
decode_predictions = _builder.make_decode_predictions("vgg19")

__all__ = ["VGG19", "decode_predictions", "preprocess_input"]
