"""Shared by the applications tests and tools/gen_applications_facts.py (which writes keras_facts.json).

`SPECS`: the model configurations whose structure (layer classes, names, weight shapes in Keras'
order), parameter count and output shape real Keras recorded. `PREDICTION_SPECS`: those whose
outputs Keras recorded too, with the weights `deterministic_weights` gives (the same numbers in
Keras and here, from the weights' names and shapes).
"""

import json
import os

import numpy as np

# The model functions of issue 15 part A and their modules (Keras' module names).
PART_A_MODELS = {
    "VGG16": "vgg16", "VGG19": "vgg19", "ResNet50": "resnet", "ResNet101": "resnet", "ResNet152": "resnet",
    "ResNet50V2": "resnet_v2", "ResNet101V2": "resnet_v2", "ResNet152V2": "resnet_v2",
    "DenseNet121": "densenet", "DenseNet169": "densenet", "DenseNet201": "densenet", "Xception": "xception",
    "InceptionV3": "inception_v3", "InceptionResNetV2": "inception_resnet_v2",
}
FACTS = os.path.join(os.path.dirname(__file__), "keras_facts.json")

# (function, module, kwargs)
SPECS = [(fn, mod, {"include_top": False, "input_shape": (size, size, 3)}) for fn, mod, size in [
    ("VGG16", "vgg16", 32), ("VGG19", "vgg19", 32),
    ("ResNet50", "resnet", 32), ("ResNet101", "resnet", 32), ("ResNet152", "resnet", 32),
    ("ResNet50V2", "resnet_v2", 32), ("ResNet101V2", "resnet_v2", 32), ("ResNet152V2", "resnet_v2", 32),
    ("DenseNet121", "densenet", 32), ("DenseNet169", "densenet", 32), ("DenseNet201", "densenet", 32),
    ("Xception", "xception", 71), ("InceptionV3", "inception_v3", 75),
    ("InceptionResNetV2", "inception_resnet_v2", 75)]] + [
    (fn, mod, {"include_top": True, "input_shape": (size, size, 3), "classes": 7}) for fn, mod, size in [
        ("VGG19", "vgg19", 32), ("ResNet101V2", "resnet_v2", 32), ("DenseNet169", "densenet", 32),
        ("InceptionResNetV2", "inception_resnet_v2", 75)]] + [
    ("DenseNet121", "densenet", {"include_top": False, "input_shape": (32, 32, 3), "pooling": "max"}),
    ("InceptionV3", "inception_v3", {"include_top": True, "input_shape": (75, 75, 3), "classes": 5}),
    ("InceptionResNetV2", "inception_resnet_v2", {"include_top": False, "input_shape": (75, 75, 3),
                                                  "pooling": "avg"}),
]
PREDICTION_SPECS = SPECS[-3:]


def spec_id(fn, kwargs):
    return fn + "(" + ", ".join(f"{k}={v!r}" for k, v in sorted(kwargs.items())) + ")"


def deterministic_weights(model):
    """One array per weight of `model` (Keras' order): numbers from the weight's position, name and shape.

    Kernels are uniform with variance 1/fan_in (fan_in: all but the last axis; a depthwise kernel's
    two spatial axes), so activations keep their scale through 500 layers; BatchNormalization gets
    gamma and moving_variance in [0.5, 1.5], beta, moving_mean and biases in [-0.1, 0.1].
    """
    arrays = []
    for i, weight in enumerate(model.weights):
        shape = tuple(int(d) for d in weight.shape)
        rng = np.random.RandomState(i)
        name = weight.path.split("/")[-1]
        if name in ("gamma", "moving_variance"):
            value = rng.uniform(0.5, 1.5, shape)
        elif len(shape) <= 1:
            value = rng.uniform(-0.1, 0.1, shape)
        else:
            fan_in = int(np.prod(shape[:2])) if "depthwise" in name else int(np.prod(shape[:-1]))
            bound = np.sqrt(3.0 / fan_in)
            value = rng.uniform(-bound, bound, shape)
        arrays.append(value.astype("float32"))
    return arrays


def prediction_input(input_shape):
    return np.random.RandomState(123).uniform(-1, 1, (2, *input_shape)).astype("float32")


def load_facts():
    with open(FACTS) as f:
        return json.load(f)
