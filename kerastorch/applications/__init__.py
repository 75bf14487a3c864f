"""Keras' image classification models (`keras.applications`), built as Keras builds them.

Each model function returns a Functional `kerastorch.Model` made layer for layer with Keras'
layer names, so a weights file written by real Keras for that architecture (`.weights.h5`,
`.keras`, or Keras' legacy ImageNet `.h5` files) loads here by file. `weights="imagenet"`
reads Keras' own cached file from `$KERAS_HOME/models/` (default `~/.keras/models/`); nothing
is downloaded: when the file is absent, the error names it, its URL and the folder. Each family
module has `preprocess_input` and `decode_predictions`, as Keras' modules do. See
docs/applications.md.

Layout: `imagenet_utils` (preprocessing, decoding, Keras' input-shape helpers), `_weights`
(the `weights` argument), `_builder` (input, top, model), then one module per family.
"""

from kerastorch.applications import imagenet_utils

# --- VGG, ResNet, DenseNet, Xception, Inception (issue 15 part A) ---
from kerastorch.applications import (densenet, inception_resnet_v2, inception_v3, resnet, resnet50, resnet_v2,
                                     vgg16, vgg19, xception)
from kerastorch.applications.densenet import DenseNet121, DenseNet169, DenseNet201
from kerastorch.applications.inception_resnet_v2 import InceptionResNetV2
from kerastorch.applications.inception_v3 import InceptionV3
from kerastorch.applications.resnet import ResNet50, ResNet101, ResNet152
from kerastorch.applications.resnet_v2 import ResNet50V2, ResNet101V2, ResNet152V2
from kerastorch.applications.vgg16 import VGG16
from kerastorch.applications.vgg19 import VGG19
from kerastorch.applications.xception import Xception

# --- MobileNet, EfficientNet, ConvNeXt, NASNet (issue 15 part B adds its lines here) ---
from kerastorch.applications import convnext, efficientnet, efficientnet_v2, mobilenet, mobilenet_v2, mobilenet_v3, nasnet
from kerastorch.applications.convnext import ConvNeXtBase, ConvNeXtLarge, ConvNeXtSmall, ConvNeXtTiny, ConvNeXtXLarge
from kerastorch.applications.efficientnet import (EfficientNetB0, EfficientNetB1, EfficientNetB2, EfficientNetB3,
                                                  EfficientNetB4, EfficientNetB5, EfficientNetB6, EfficientNetB7)
from kerastorch.applications.efficientnet_v2 import (EfficientNetV2B0, EfficientNetV2B1, EfficientNetV2B2,
                                                     EfficientNetV2B3, EfficientNetV2L, EfficientNetV2M,
                                                     EfficientNetV2S)
from kerastorch.applications.mobilenet import MobileNet
from kerastorch.applications.mobilenet_v2 import MobileNetV2
from kerastorch.applications.mobilenet_v3 import MobileNetV3Large, MobileNetV3Small
from kerastorch.applications.nasnet import NASNetLarge, NASNetMobile

__all__ = [name for name in dir() if not name.startswith("_")]
