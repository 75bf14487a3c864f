"""Image classification networks with Keras' `keras.applications` interface, built on torchvision.

`ResNet50`, `MobileNetV2` and `EfficientNetB0` return layers taking channels-last RGB images,
ready to be the first layer of a `Sequential` (transfer learning: freeze with
`base.trainable = False`, add a head, train, then unfreeze and fine-tune with a small learning
rate). Weights are torchvision's: pass `weights=None` or the path of a torchvision state_dict
file; nothing is downloaded. Each model module has `preprocess_input`.
"""

from kerastorch.applications import efficientnet, mobilenet_v2, resnet
from kerastorch.applications.base import Application, preprocess_input
from kerastorch.applications.efficientnet import EfficientNetB0
from kerastorch.applications.mobilenet_v2 import MobileNetV2
from kerastorch.applications.resnet import ResNet50

resnet50 = resnet   # keras.applications.resnet50.preprocess_input works too

__all__ = ["Application", "EfficientNetB0", "MobileNetV2", "ResNet50", "efficientnet", "mobilenet_v2",
           "preprocess_input", "resnet", "resnet50"]
