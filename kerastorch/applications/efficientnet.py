"""EfficientNetB0 on torchvision's `efficientnet_b0`."""

from kerastorch._lazy import LazyModule
torchvision = LazyModule("torchvision")

from kerastorch.applications.base import Application, check_arguments, load_weights


def EfficientNetB0(include_top=True, weights=None, input_tensor=None, input_shape=None, pooling=None,
                   classes=1000, classifier_activation="softmax", name="efficientnetb0"):
    """EfficientNetB0 (Tan and Le, 2019), as `keras.applications.EfficientNetB0`, built on torchvision.

    Returns a layer taking channels-last RGB images; use it as the first layer of a
    `Sequential`. Unlike Keras' EfficientNet, whose model rescales 0..255 inputs itself, this
    one expects `kerastorch.applications.efficientnet.preprocess_input(x)` (torchvision's
    ImageNet normalisation), which torchvision's weights were trained with.

    Args:
        include_top: Whether to include the classifier (dropout 0.2 and a dense layer).
            Defaults to `True`.
        weights: `None` or the path of a torchvision `efficientnet_b0` state_dict file;
            `"imagenet"` raises an error explaining how to provide the file. Defaults to `None`.
        input_tensor: Not supported; must be `None`.
        input_shape: Optional `(height, width, 3)`, at least 32x32. Defaults to `None`.
        pooling: With `include_top=False`: `None` (4-D features `(batch, h, w, 1280)`), `"avg"`
            or `"max"`. Defaults to `None`.
        classes: Number of classes with `include_top=True`. Defaults to `1000`.
        classifier_activation: `"softmax"` or `None`. Defaults to `"softmax"`.
        name: Layer name. Defaults to `"efficientnetb0"`.

    Returns:
        An `Application` layer.

    Example:
    >>> import torch
    >>> net = EfficientNetB0(classes=3, input_shape=(32, 32, 3))
    >>> tuple(net(torch.rand(2, 32, 32, 3)).shape)
    (2, 3)
    """
    if input_tensor is not None:
        raise ValueError("EfficientNetB0: `input_tensor` is not supported; pass input_shape=(height, width, 3).")
    input_shape = check_arguments("EfficientNetB0", include_top, weights, input_shape, pooling, classes,
                                  classifier_activation)
    net = torchvision.models.efficientnet_b0(weights=None, num_classes=classes)
    load_weights("EfficientNetB0", net, weights, include_top, "classifier.")
    head = net.classifier if include_top else None
    return Application(net.features, head, 1280, include_top, pooling, classifier_activation, input_shape, name)


from kerastorch.applications.base import preprocess_input  # noqa: E402  (re-exported, as keras.applications.efficientnet does)

__all__ = ["EfficientNetB0", "preprocess_input"]
