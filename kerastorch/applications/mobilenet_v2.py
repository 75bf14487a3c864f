"""MobileNetV2 on torchvision's `mobilenet_v2`."""

import torch
from kerastorch._lazy import LazyModule
torchvision = LazyModule("torchvision")

from kerastorch.applications.base import Application, check_arguments, load_weights, preprocess_input


def MobileNetV2(input_shape=None, alpha=1.0, include_top=True, weights=None, input_tensor=None, pooling=None,
                classes=1000, classifier_activation="softmax", name=None):
    """MobileNetV2 (Sandler et al., 2018), as `keras.applications.MobileNetV2`, built on torchvision.

    Returns a layer taking channels-last RGB images; use it as the first layer of a
    `Sequential`. Inputs should go through `kerastorch.applications.mobilenet_v2.preprocess_input`
    (torchvision's ImageNet normalisation, not Keras' [-1, 1] scaling).

    Args:
        input_shape: Optional `(height, width, 3)`, at least 32x32. Defaults to `None`.
        alpha: Width multiplier (torchvision's `width_mult`). Defaults to `1.0`.
        include_top: Whether to include the classifier (dropout 0.2 and a dense layer).
            Defaults to `True`.
        weights: `None` or the path of a torchvision `mobilenet_v2` state_dict file; `"imagenet"`
            raises an error explaining how to provide the file. Defaults to `None`.
        input_tensor: Not supported; must be `None`.
        pooling: With `include_top=False`: `None` (4-D features `(batch, h, w, 1280)`), `"avg"`
            or `"max"`. Defaults to `None`.
        classes: Number of classes with `include_top=True`. Defaults to `1000`.
        classifier_activation: `"softmax"` or `None`. Defaults to `"softmax"`.
        name: Layer name. Defaults to `"mobilenetv2_<alpha>_<rows>"` as in Keras, or
            `"mobilenetv2_1.00"` without an input shape.

    Returns:
        An `Application` layer.

    Example:
    >>> base = MobileNetV2(input_shape=(32, 32, 3), include_top=False)
    >>> base.compute_output_shape((None, 32, 32, 3))
    (None, 1, 1, 1280)
    """
    if input_tensor is not None:
        raise ValueError("MobileNetV2: `input_tensor` is not supported; pass input_shape=(height, width, 3).")
    input_shape = check_arguments("MobileNetV2", include_top, weights, input_shape, pooling, classes,
                                  classifier_activation)
    net = torchvision.models.mobilenet_v2(weights=None, num_classes=classes, width_mult=alpha)
    load_weights("MobileNetV2", net, weights, include_top, "classifier.")
    if name is None:
        rows = input_shape[0] if input_shape is not None and input_shape[0] else 224
        name = f"mobilenetv2_{alpha:0.2f}_{rows}"
    head = net.classifier if include_top else None
    return Application(net.features, head, net.last_channel, include_top, pooling, classifier_activation,
                       input_shape, name)


__all__ = ["MobileNetV2", "preprocess_input"]
