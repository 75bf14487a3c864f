"""`keras.applications.imagenet_utils`: ImageNet input preprocessing, prediction decoding, and the
argument helpers every application shares.

Public: `preprocess_input(x, data_format=None, mode="caffe")` and `decode_predictions(preds, top=5)`.
Internal (used by every architecture module, ours and part B's, under Keras' own names):
`obtain_input_shape(input_shape, default_size, min_size, data_format, require_flatten, weights)`,
`validate_activation(classifier_activation, weights)` and `correct_pad(inputs, kernel_size)`.

`preprocess_input` behaves as Keras' does, quirks included (they are part of the spec):

- numpy in, numpy out. An integer array is converted to `floatx()` (a copy); a float array keeps
  its dtype (float64 stays float64) and is **written over** (Keras' documented behaviour: pass
  `np.copy(x)` to keep the original).
- A torch tensor (or a symbolic `KerasTensor`) is processed with tensor ops: in modes "tf" and
  "torch" a float tensor is divided in place, as in Keras; "caffe" builds a new tensor.
"""

import json
import os
import warnings

import numpy as np
import torch

from kerastorch import config

CLASS_INDEX_FILE = "imagenet_class_index.json"
CLASS_INDEX_PATH = "https://storage.googleapis.com/download.tensorflow.org/data/imagenet_class_index.json"

_CAFFE_MEAN = (103.939, 116.779, 123.68)      # BGR order, 0..255 scale
_TORCH_MEAN = (0.485, 0.456, 0.406)           # RGB order, 0..1 scale
_TORCH_STD = (0.229, 0.224, 0.225)
_MODES = ("caffe", "tf", "torch")

_CLASS_INDEX = None          # loaded once per process, as Keras caches it


def preprocess_input(x, data_format=None, mode="caffe"):
    """Preprocesses a tensor or numpy array encoding a batch of images.

    Args:
        x: A numpy array or a tensor (torch tensor or symbolic `KerasTensor`), 3-D or 4-D with
            3 colour channels, values in 0..255. A float numpy array is written over (pass
            `np.copy(x)` to keep it), as in Keras.
        data_format: `"channels_last"`, `"channels_first"`, or `None` for
            `kerastorch.config.image_data_format()`. Defaults to `None`.
        mode: One of `"caffe"` (RGB to BGR, then subtract the ImageNet mean per channel, no
            scaling), `"tf"` (scale to -1..1) or `"torch"` (scale to 0..1, then normalise each
            channel with the ImageNet mean and standard deviation). Defaults to `"caffe"`.

    Returns:
        The preprocessed array or tensor: float32 for integer numpy input, else the input's dtype.

    Raises:
        ValueError: for an unknown `mode` or `data_format`.

    Example:
    >>> import numpy as np
    >>> preprocess_input(np.array([[[255, 0, 0]]], dtype="uint8"), mode="tf").tolist()
    [[[1.0, -1.0, -1.0]]]
    """
    if mode not in _MODES:
        raise ValueError(f"preprocess_input: expected `mode` to be one of 'caffe', 'tf' or 'torch'. "
                         f"Received: mode={mode!r}")
    if data_format is None:
        data_format = config.image_data_format()
    elif data_format not in ("channels_first", "channels_last"):
        raise ValueError(f"preprocess_input: expected `data_format` to be one of 'channels_first' or "
                         f"'channels_last'. Received: data_format={data_format!r}")
    if isinstance(x, np.ndarray):
        return _preprocess_numpy(x, data_format, mode)
    from kerastorch.layers.base import KerasTensor

    if isinstance(x, (torch.Tensor, KerasTensor)):
        return _preprocess_tensor(x, data_format, mode)
    raise TypeError(f"preprocess_input expects a numpy array or a tensor of images, got "
                    f"{type(x).__name__}. Convert it first, e.g. np.asarray(x, dtype='float32').")


def _check_channels(shape, data_format):
    ndim = len(shape)
    axis = (0 if ndim == 3 else 1) if data_format == "channels_first" else ndim - 1
    if ndim < 2 or (shape[axis] is not None and shape[axis] < 3):
        raise ValueError(f"preprocess_input expects images with 3 colour channels ({data_format}: "
                         f"axis {axis}), got shape {tuple(shape)}. Pass data_format='channels_first' "
                         f"or 'channels_last' to match your images.")


def _channel(x, data_format, c):
    """The index selecting colour channel `c` (the channel axis is 0 for 3-D channels-first)."""
    if data_format == "channels_first":
        return (c,) if x.ndim == 3 else (slice(None), c)
    return (Ellipsis, c)


def _preprocess_numpy(x, data_format, mode):
    _check_channels(x.shape, data_format)
    if not np.issubdtype(x.dtype, np.floating):
        x = x.astype(config.floatx(), copy=False)
    if mode == "tf":
        x /= 127.5
        x -= 1.0
        return x
    if mode == "torch":
        x /= 255.0
        mean, std = _TORCH_MEAN, _TORCH_STD
    else:
        # RGB -> BGR as a reversed view: the subtraction below writes through it into x, as in Keras.
        if data_format == "channels_first":
            x = x[::-1] if x.ndim == 3 else x[:, ::-1]
        else:
            x = x[..., ::-1]
        mean, std = _CAFFE_MEAN, None
    for c in range(3):
        index = _channel(x, data_format, c)
        x[index] -= mean[c]
        if std is not None:
            x[index] /= std[c]
    return x


def _preprocess_tensor(x, data_format, mode):
    from kerastorch import ops

    _check_channels(tuple(x.shape), data_format)
    dtype = x.dtype if isinstance(x, torch.Tensor) else getattr(torch, str(x.dtype), None)
    if mode != "caffe" and dtype is not None and not dtype.is_floating_point:
        raise TypeError(f"preprocess_input(mode={mode!r}) divides the tensor in place, which needs a float "
                        f"tensor; got dtype {x.dtype}. Cast it first, e.g. "
                        f"kerastorch.ops.cast(x, 'float32').")
    ndim = len(x.shape)
    if mode == "tf":
        x /= 127.5          # in place on a torch tensor, as in Keras
        x -= 1.0
        return x
    if mode == "torch":
        x /= 255.0
        mean, std = _TORCH_MEAN, _TORCH_STD
    else:
        axis = (0 if ndim == 3 else 1) if data_format == "channels_first" else -1
        x = ops.stack([x[_channel(x, data_format, c)] for c in (2, 1, 0)], axis=axis)
        mean, std = _CAFFE_MEAN, None
    if data_format == "channels_first":
        shape = (3, 1, 1) if ndim == 3 else (1, 3) + (1,) * (ndim - 2)
    else:
        shape = (1,) * (ndim - 1) + (3,)
    # Keras casts the (negated) mean to the input's dtype: an integer tensor gets a truncated mean.
    x += ops.reshape(ops.convert_to_tensor(-np.array(mean), dtype=x.dtype), shape)
    if std is not None:
        x /= ops.reshape(ops.convert_to_tensor(np.array(std), dtype=x.dtype), (-1, 1, 1) if
                         data_format == "channels_first" else (3,))
    return x


def _class_index_path():
    from kerastorch.utils.file_utils import keras_home

    return os.path.join(keras_home(), "models", CLASS_INDEX_FILE)


def decode_predictions(preds, top=5):
    """Decodes the predictions of an ImageNet model into `(class_name, description, score)` tuples.

    Reads Keras' class index file `imagenet_class_index.json` from Keras' cache,
    `$KERAS_HOME/models/` (default `~/.keras/models/`), where real Keras keeps it; nothing is
    downloaded: when the file is absent, the error says where to get it and where to put it.

    Args:
        preds: A numpy array or tensor of shape `(samples, 1000)`.
        top: Integer, how many top guesses to return per sample. Defaults to `5`.

    Returns:
        A list (one per sample) of lists of `(class_name, class_description, score)` tuples,
        highest score first.

    Raises:
        ValueError: when `preds` is not of shape `(samples, 1000)`, or the class index file is
            absent.

    Example:
    >>> import numpy as np
    >>> decode_predictions(np.zeros((1, 10)))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: `decode_predictions` expects a batch of predictions ... Received array with shape: (1, 10)
    """
    global _CLASS_INDEX

    shape = tuple(preds.shape) if hasattr(preds, "shape") else np.shape(preds)
    if len(shape) != 2 or shape[1] != 1000:
        raise ValueError("`decode_predictions` expects a batch of predictions (i.e. a 2D array of shape "
                         f"(samples, 1000)). Received array with shape: {shape}")
    if _CLASS_INDEX is None:
        path = _class_index_path()
        if not os.path.isfile(path):
            raise ValueError(
                f"decode_predictions needs Keras' ImageNet class index file {CLASS_INDEX_FILE!r}, which is "
                f"not in Keras' cache (looked for {path}). kerastorch does not download it: fetch it once "
                f"from {CLASS_INDEX_PATH} and put it in {os.path.dirname(path)}/ (the folder real Keras uses; "
                f"set KERAS_HOME to use another cache root).")
        with open(path) as f:
            _CLASS_INDEX = json.load(f)
    if isinstance(preds, torch.Tensor):
        preds = preds.detach().cpu().numpy()
    preds = np.asarray(preds)
    results = []
    for pred in preds:
        best = pred.argsort()[-top:][::-1]
        result = [tuple(_CLASS_INDEX[str(i)]) + (pred[i],) for i in best]
        result.sort(key=lambda item: item[2], reverse=True)
        results.append(result)
    return results


def obtain_input_shape(input_shape, default_size, min_size, data_format, require_flatten, weights=None):
    """Checks a model's `input_shape` and fills in the default (internal; Keras' helper of this name).

    Args:
        input_shape: `None` (use the default) or the user's `(rows, cols, channels)`
            (`(channels, rows, cols)` channels-first).
        default_size: The model's default image side (e.g. 224).
        min_size: The smallest image side the model accepts (e.g. 32).
        data_format: `"channels_last"` or `"channels_first"`.
        require_flatten: Whether the model ends in a classifier needing a fixed size
            (`include_top=True`).
        weights: `None`, `"imagenet"` or a file path. Defaults to `None`.

    Returns:
        The input shape, a tuple of 3 entries (spatial entries may be `None`).

    Raises:
        ValueError: with Keras' messages, for a shape of the wrong length, channels other than
            3 with ImageNet weights, sides under `min_size`, a non-default shape with ImageNet
            weights and a top, or an unknown size with a top.

    Example:
    >>> obtain_input_shape(None, 224, 32, "channels_last", require_flatten=False)
    (None, None, 3)
    """
    if input_shape is not None and not isinstance(input_shape, tuple):
        input_shape = tuple(input_shape)
    channels_first = data_format == "channels_first"
    if weights != "imagenet" and input_shape and len(input_shape) == 3:
        channels = input_shape[0] if channels_first else input_shape[-1]
        if channels not in (1, 3):
            warnings.warn(f"This model usually expects 1 or 3 input channels. However, it was passed an "
                          f"input_shape with {channels} input channels.", stacklevel=3)
        default_shape = ((channels, default_size, default_size) if channels_first
                         else (default_size, default_size, channels))
    else:
        default_shape = (3, default_size, default_size) if channels_first else (default_size, default_size, 3)
    if weights == "imagenet" and require_flatten:
        if input_shape is not None and input_shape != default_shape:
            raise ValueError(f"When setting `include_top=True` and loading `imagenet` weights, `input_shape` "
                             f"should be {default_shape}.  Received: input_shape={input_shape}")
        return default_shape
    if input_shape:
        if len(input_shape) != 3:
            raise ValueError(f"`input_shape` must be a tuple of three integers. Received: input_shape={input_shape}")
        channels = input_shape[0] if channels_first else input_shape[-1]
        sides = input_shape[1:] if channels_first else input_shape[:2]
        if channels != 3 and weights == "imagenet":
            raise ValueError(f"The input must have 3 channels; Received `input_shape={input_shape}`")
        if any(side is not None and side < min_size for side in sides):
            raise ValueError(f"Input size must be at least {min_size}x{min_size}; Received: "
                             f"input_shape={input_shape}")
    elif require_flatten:
        input_shape = default_shape
    else:
        input_shape = (3, None, None) if channels_first else (None, None, 3)
    if require_flatten and None in input_shape:
        raise ValueError(f"If `include_top` is True, you should specify a static `input_shape`. "
                         f"Received: input_shape={input_shape}")
    return input_shape


def correct_pad(inputs, kernel_size):
    """The `ZeroPadding2D` padding that makes a stride-2 convolution keep Keras' output size (internal).

    Args:
        inputs: A 4-D (symbolic) tensor, in `config.image_data_format()`.
        kernel_size: An integer or a tuple of 2 integers.

    Returns:
        `((top, bottom), (left, right))`.

    Example:
    >>> import kerastorch
    >>> correct_pad(kerastorch.Input(shape=(32, 32, 3)), 3)
    ((0, 1), (0, 1))
    """
    axis = 2 if config.image_data_format() == "channels_first" else 1
    rows, cols = tuple(inputs.shape)[axis:axis + 2]
    if isinstance(kernel_size, int):
        kernel_size = (kernel_size, kernel_size)
    adjust = (1, 1) if rows is None else (1 - rows % 2, 1 - cols % 2)
    half = (kernel_size[0] // 2, kernel_size[1] // 2)
    return ((half[0] - adjust[0], half[0]), (half[1] - adjust[1], half[1]))


def validate_activation(classifier_activation, weights):
    """Refuses a classifier activation other than softmax or None with pretrained weights (internal).

    Args:
        classifier_activation: A name or callable.
        weights: The `weights` argument; with `None` anything goes.

    Raises:
        ValueError: with pretrained weights and another activation, as in Keras.

    Example:
    >>> validate_activation("relu", None)   # no pretrained weights: any activation
    """
    if weights is None:
        return
    from kerastorch import activations

    fn = activations.get(classifier_activation)
    if fn not in (activations.get("softmax"), activations.get(None)):
        raise ValueError("Only `None` and `softmax` activations are allowed for the `classifier_activation` "
                         "argument when using pretrained weights, with `include_top=True`; Received: "
                         f"classifier_activation={classifier_activation!r}")


# --------------------------------------------------------------------------- the model modules' preprocess_input
_MODE_TEXT = {
    "caffe": ("RGB to BGR, then the ImageNet mean subtracted per channel", "vgg16"),
    "tf": ("scaled from 0..255 to [-1, 1]", "xception"),
    "torch": ("scaled to 0..1, then normalised by ImageNet's mean and std", "densenet"),
}


def _module_preprocess_input(mode):
    """A model module's `preprocess_input`, as Keras defines one per module: `preprocess_input(x,
    data_format, mode=mode)`, or for `mode=None` a pass-through (the model preprocesses its input)."""
    if mode is None:
        def preprocess_input(x, data_format=None):
            return x

        preprocess_input.__doc__ = """A pass-through, as Keras' `efficientnet`, `efficientnet_v2`, `convnext` and
    `mobilenet_v3` modules define it: those models preprocess their input themselves.

    Args:
        x: Images, a numpy array or tensor, values in 0..255.
        data_format: Unused, kept for the common signature. Defaults to `None`.

    Returns:
        `x`, unchanged.

    Example:
    >>> from kerastorch.applications import efficientnet
    >>> efficientnet.preprocess_input([0.0, 255.0])
    [0.0, 255.0]
    """
        return preprocess_input
    text, module = _MODE_TEXT[mode]

    def preprocess_input(x, data_format=None):
        return _preprocess(x, data_format=data_format, mode=mode)

    preprocess_input.__doc__ = f"""Preprocesses images in "{mode}" mode: {text}.

    Args:
        x: Numpy array or tensor of images, values 0..255, 3-D or 4-D with 3 channels. A
            float numpy array is written over (pass `np.copy(x)` to keep it), as in Keras.
        data_format: `None` (the global setting), `"channels_last"` or `"channels_first"`.
            Defaults to `None`.

    Returns:
        The preprocessed images (float32 for integer numpy input, else the input's dtype).

    Example:
    >>> import numpy as np
    >>> from kerastorch.applications import imagenet_utils, {module}
    >>> x = np.array([[[10, 128, 250]]], dtype="uint8")
    >>> bool(({module}.preprocess_input(x) == imagenet_utils.preprocess_input(x, mode="{mode}")).all())
    True
    """
    return preprocess_input


_preprocess = preprocess_input


__all__ = ["decode_predictions", "preprocess_input"]
