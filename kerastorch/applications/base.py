"""The shared machinery of `kerastorch.applications`: a torchvision network as a channels-last layer."""

import math
import os
import pickle

import torch

from kerastorch.layers.base import TorchModuleWrapper

# torchvision's ImageNet weights expect RGB in [0, 1], normalised with these per-channel statistics.
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


def preprocess_input(x, data_format=None):
    """Prepares RGB images with values in 0..255 for networks with torchvision's ImageNet weights.

    Scales to [0, 1], then subtracts the ImageNet mean and divides by its standard deviation,
    per channel (torchvision's convention; Keras' own ResNet50 weights use "caffe" BGR mean
    subtraction instead, which does not fit torchvision weights).

    Args:
        x: Channels-last images, numpy array or tensor, values in 0..255.
        data_format: Only `None`/`"channels_last"` is supported.

    Returns:
        A float32 tensor of the same shape.

    Example:
    >>> import torch
    >>> preprocess_input(torch.full((1, 1, 1, 3), 255.0)).flatten().tolist()  # doctest: +ELLIPSIS
    [2.24..., 2.42..., 2.64...]
    """
    if data_format not in (None, "channels_last"):
        raise ValueError(f"preprocess_input: only channels_last images are supported, got data_format={data_format!r}.")
    x = torch.as_tensor(x, dtype=torch.float32)
    if x.shape[-1] != 3:
        raise ValueError(f"preprocess_input expects RGB images with 3 channels last, got shape {tuple(x.shape)}.")
    mean = torch.tensor(IMAGENET_MEAN, device=x.device)
    std = torch.tensor(IMAGENET_STD, device=x.device)
    return (x / 255.0 - mean) / std


class Application(TorchModuleWrapper):
    """A torchvision image network as a kerastorch layer taking channels-last images.

    Made by the constructors `ResNet50`, `MobileNetV2`, `EfficientNetB0`; usable as the first
    layer of a `Sequential`. Its weights are torchvision's (in torch's layout). When
    `trainable` is `False`, its BatchNormalization layers run in inference mode even during
    `fit`, as in Keras, so a frozen base keeps its statistics while a new head trains.

    Args:
        features: The convolutional part, `(B, 3, H, W) -> (B, C, h, w)`.
        head: The classifier applied to pooled features, or `None`.
        channels: `C`, the number of feature channels.
        include_top, pooling, classifier_activation, input_shape, name: As in the constructors.
    """

    def __init__(self, features, head, channels, include_top, pooling, classifier_activation,
                 input_shape, name):
        module = torch.nn.ModuleDict({"features": features})
        if head is not None:
            module["head"] = head
        super().__init__(module, name=name, input_shape=input_shape)
        self.channels, self.include_top, self.pooling = channels, include_top, pooling
        self.classifier_activation = classifier_activation

    def call(self, inputs, training=None):
        if inputs.ndim != 4 or inputs.shape[-1] != 3:
            raise ValueError(f"{self.name} expects channels-last RGB images (batch, height, width, 3), "
                             f"got shape {tuple(inputs.shape)}.")
        features = self.module["features"]
        active = bool(training) and self.trainable
        if features.training != active:
            features.train(active)      # frozen -> BatchNorm uses its moving statistics
        # permute gives a channels_last-strided NCHW view: no copy, and the fast conv layout.
        x = features(inputs.permute(0, 3, 1, 2))
        if self.include_top or self.pooling == "avg":
            x = x.mean(dim=(2, 3))
        elif self.pooling == "max":
            x = x.amax(dim=(2, 3))
        else:
            return x.permute(0, 2, 3, 1)
        if self.include_top:
            x = self.module["head"](x)
            if self.classifier_activation == "softmax":
                x = torch.softmax(x, dim=-1)
        return x

    def compute_output_shape(self, input_shape):
        if self.include_top:
            return (input_shape[0], self.module["head"][-1].out_features)
        if self.pooling in ("avg", "max"):
            return (input_shape[0], self.channels)
        h, w = input_shape[1], input_shape[2]
        for _ in range(5):   # five stride-2 stages, each ceil(n / 2) with these paddings
            h = None if h is None else math.ceil(h / 2)
            w = None if w is None else math.ceil(w / 2)
        return (input_shape[0], h, w, self.channels)

    def get_config(self):
        return {**super().get_config(), "include_top": self.include_top, "pooling": self.pooling,
                "classifier_activation": self.classifier_activation}


def check_arguments(model_name, include_top, weights, input_shape, pooling, classes, classifier_activation):
    if pooling not in (None, "avg", "max"):
        raise ValueError(f"{model_name}: `pooling` must be None, 'avg' or 'max', got pooling={pooling!r}.")
    if classifier_activation not in (None, "softmax"):
        raise ValueError(f"{model_name}: `classifier_activation` must be 'softmax' or None (logits), "
                         f"got {classifier_activation!r}.")
    if weights == "imagenet":
        raise ValueError(
            f"{model_name}(weights='imagenet'): kerastorch does not download weights (this may run "
            f"offline). Download torchvision's ImageNet state_dict for {model_name} once (for example "
            f"torchvision.models.{_TV_NAMES[model_name]}(weights='DEFAULT').state_dict(), saved with "
            f"torch.save), then pass its path: {model_name}(weights='/path/to/{model_name.lower()}.pth')."
        )
    if weights is not None and not (isinstance(weights, (str, os.PathLike)) and os.path.isfile(weights)):
        raise ValueError(f"{model_name}: `weights` must be None (random initialisation) or the path of a "
                         f"torch state_dict file; got weights={weights!r}, which is not a file.")
    if input_shape is not None:
        input_shape = tuple(input_shape)
        if len(input_shape) != 3 or input_shape[-1] != 3:
            raise ValueError(f"{model_name}: `input_shape` must be (height, width, 3), channels last, got "
                             f"input_shape={input_shape!r}.")
        if any(d is not None and d < 32 for d in input_shape[:2]):
            raise ValueError(f"{model_name}: images must be at least 32x32, got input_shape={input_shape!r}.")
    if isinstance(classes, bool) or not isinstance(classes, int) or classes < 1:
        raise ValueError(f"{model_name}: `classes` must be a positive integer, got classes={classes!r}.")
    return input_shape


_TV_NAMES = {"ResNet50": "resnet50", "MobileNetV2": "mobilenet_v2", "EfficientNetB0": "efficientnet_b0"}


def load_weights(model_name, tv_model, weights, include_top, classifier_prefix):
    """Loads a state_dict file into the torchvision model; a headless model skips the classifier keys."""
    if weights is None:
        return
    try:
        state = torch.load(weights, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as e:
        # weights_only=True refuses pickled objects (whole modules, arbitrary code): only tensors load.
        raise ValueError(f"{model_name}: {weights!r} is not a plain state_dict file ({str(e).splitlines()[0]}). "
                         f"Save one with torch.save(model.state_dict(), path).") from None
    if isinstance(state, torch.nn.Module) or not isinstance(state, dict):
        raise ValueError(f"{model_name}: {weights!r} does not hold a state_dict (a dict of tensors); save "
                         f"one with torch.save(model.state_dict(), path).")
    if not include_top:
        state = {k: v for k, v in state.items() if not k.startswith(classifier_prefix)}
        target = {k: v for k, v in tv_model.state_dict().items() if not k.startswith(classifier_prefix)}
    else:
        target = tv_model.state_dict()
    missing = sorted(set(target) - set(state))
    unexpected = sorted(set(state) - set(target))
    wrong = sorted(k for k in set(target) & set(state) if tuple(target[k].shape) != tuple(state[k].shape))
    if missing or unexpected or wrong:
        details = "; ".join(part for part in [
            f"missing keys {missing[:3]}{' ...' if len(missing) > 3 else ''}" if missing else "",
            f"unexpected keys {unexpected[:3]}{' ...' if len(unexpected) > 3 else ''}" if unexpected else "",
            "shape mismatch for " + ", ".join(f"{k} (file {tuple(state[k].shape)}, model {tuple(target[k].shape)})"
                                              for k in wrong[:3]) if wrong else ""] if part)
        hint = (" With include_top=True the classifier must have `classes` outputs; for a file with a "
                "1000-class head, use classes=1000 or include_top=False." if any(k.startswith(classifier_prefix)
                                                                                 for k in wrong) else "")
        raise ValueError(f"{model_name}: the weights in {weights!r} do not fit torchvision's "
                         f"{_TV_NAMES[model_name]}: {details}.{hint}")
    tv_model.load_state_dict(state, strict=False)
