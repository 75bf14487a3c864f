"""`keras.applications.resnet50`: ResNet50 with its `preprocess_input` and `decode_predictions`.

The same objects as in `kerastorch.applications.resnet` (Keras' module of this name exports
just these three).
"""

from kerastorch.applications.resnet import ResNet50, decode_predictions, preprocess_input

__all__ = ["ResNet50", "decode_predictions", "preprocess_input"]
