"""ResNet50 on torchvision's `resnet50`."""

import torch
from kerastorch._lazy import LazyModule
torchvision = LazyModule("torchvision")

from kerastorch.applications.base import Application, check_arguments, load_weights, preprocess_input


def ResNet50(include_top=True, weights=None, input_tensor=None, input_shape=None, pooling=None, classes=1000,
             classifier_activation="softmax", name="resnet50"):
    """ResNet50 (He et al., 2015), as `keras.applications.ResNet50`, built on torchvision.

    Returns a layer taking channels-last RGB images `(batch, height, width, 3)`; use it as the
    first layer of a `Sequential`. Inputs should go through
    `kerastorch.applications.resnet.preprocess_input` (torchvision's ImageNet normalisation).

    Args:
        include_top: Whether to include the classifier (global average pooling and a dense
            layer of `classes` outputs). Defaults to `True`.
        weights: `None` (random initialisation) or the path of a torchvision `resnet50`
            state_dict file, loaded with `torch.load(..., weights_only=True)`. `"imagenet"`
            raises an error telling how to get the file: nothing is downloaded. Defaults to `None`
            (Keras' default is `"imagenet"`, which needs a download).
        input_tensor: Not supported (there are no functional models); must be `None`.
        input_shape: Optional `(height, width, 3)`, at least 32x32. Defaults to `None`.
        pooling: With `include_top=False`: `None` (the 4-D feature map `(batch, h, w, 2048)`),
            `"avg"` or `"max"` (global pooling to `(batch, 2048)`). Defaults to `None`.
        classes: Number of classes with `include_top=True`. Defaults to `1000`.
        classifier_activation: `"softmax"` or `None` (logits). Defaults to `"softmax"`.
        name: Layer name. Defaults to `"resnet50"`.

    Returns:
        An `Application` layer.

    Example:
    >>> import kerastorch, torch
    >>> from kerastorch import layers
    >>> base = ResNet50(include_top=False, input_shape=(32, 32, 3), pooling="avg")
    >>> base.trainable = False
    >>> model = kerastorch.Sequential([base, layers.Dense(2, activation="softmax")])
    >>> model.output_shape
    (None, 2)
    """
    if input_tensor is not None:
        raise ValueError("ResNet50: `input_tensor` is not supported; pass input_shape=(height, width, 3).")
    input_shape = check_arguments("ResNet50", include_top, weights, input_shape, pooling, classes,
                                  classifier_activation)
    net = torchvision.models.resnet50(weights=None, num_classes=classes)
    load_weights("ResNet50", net, weights, include_top, "fc.")
    features = torch.nn.Sequential(net.conv1, net.bn1, net.relu, net.maxpool, net.layer1, net.layer2,
                                   net.layer3, net.layer4)
    head = torch.nn.Sequential(net.fc) if include_top else None
    return Application(features, head, 2048, include_top, pooling, classifier_activation, input_shape, name)


__all__ = ["ResNet50", "preprocess_input"]
