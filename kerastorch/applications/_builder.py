"""Pieces every architecture module shares (internal): the image input, the top, the model.

    img_input = image_input(input_tensor, input_shape)      # Keras' input_tensor rules
    ...layers on img_input...
    x = top(x, include_top, pooling, classes, classifier_activation, weights)
    model = make_model(input_tensor, img_input, x, name)     # inputs from input_tensor's sources

`top` is the ResNet/DenseNet/Xception/Inception head (`avg_pool` + `predictions`, or the
`avg_pool`/`max_pool` of `pooling`); VGG builds its own.
"""

from kerastorch import config


def bn_axis():
    """The channel axis for BatchNormalization/Concatenate: 3 channels-last, 1 channels-first."""
    return 3 if config.image_data_format() == "channels_last" else 1


def image_input(input_tensor, input_shape):
    """The model's input: `Input(shape=input_shape)`, or `input_tensor` as Keras takes it.

    A symbolic tensor (`kerastorch.Input(...)` or a layer's output) is used as is, and the model's
    inputs are its source inputs; anything else is refused with a ValueError, as Keras' `Input(tensor=...)`
    refuses it.
    """
    from kerastorch import backend, layers

    if input_tensor is None:
        return layers.Input(shape=input_shape)
    if backend.is_keras_tensor(input_tensor):
        return input_tensor
    # Keras passes anything else to Input(tensor=...), which refuses it with a ValueError; say so here.
    raise ValueError(f"Argument `input_tensor` must be a KerasTensor (kerastorch.Input(...) or a layer's output "
                     f"on one). Received invalid type: {type(input_tensor).__name__}. To run the model on a "
                     f"tensor, build it with input_shape=... and call it: model(tensor).")


def top(x, include_top, pooling, classes, classifier_activation, weights):
    """Keras' common head: GlobalAveragePooling2D('avg_pool') + Dense('predictions'), or pooling only."""
    from kerastorch import layers
    from kerastorch.applications import imagenet_utils

    if include_top:
        x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
        imagenet_utils.validate_activation(classifier_activation, weights)
        return layers.Dense(classes, activation=classifier_activation, name="predictions")(x)
    if pooling == "avg":
        return layers.GlobalAveragePooling2D(name="avg_pool")(x)
    if pooling == "max":
        return layers.GlobalMaxPooling2D(name="max_pool")(x)
    return x


def make_model(input_tensor, img_input, outputs, name):
    """`Model(inputs, outputs, name=name)`, its inputs the sources of `input_tensor` when given."""
    from kerastorch.models.model import Model
    from kerastorch.utils import get_source_inputs

    inputs = img_input if input_tensor is None else get_source_inputs(input_tensor)
    return Model(inputs, outputs, name=name)


_MODE_TEXT = {
    "caffe": '"caffe" mode (RGB to BGR, then the ImageNet mean subtracted per channel, no scaling)',
    "tf": '"tf" mode (scaled from 0..255 to -1..1)',
    "torch": '"torch" mode (scaled to 0..1, then normalised with the ImageNet mean and standard deviation)',
}


def make_preprocess_input(mode, module):
    """The `preprocess_input(x, data_format=None)` of an architecture module, in `mode`."""
    from kerastorch.applications import imagenet_utils

    def preprocess_input(x, data_format=None):
        return imagenet_utils.preprocess_input(x, data_format=data_format, mode=mode)

    preprocess_input.__module__ = f"kerastorch.applications.{module}"
    preprocess_input.__qualname__ = "preprocess_input"
    preprocess_input.__doc__ = f"""Preprocesses images for this family: {_MODE_TEXT[mode]}.

    Args:
        x: Numpy array or tensor of images, values 0..255, 3-D or 4-D with 3 channels. A
            float numpy array is written over (pass `np.copy(x)` to keep it), as in Keras.
        data_format: `None` (the global setting), `"channels_last"` or `"channels_first"`.
            Defaults to `None`.

    Returns:
        The preprocessed images (float32 for integer numpy input, else the input's dtype).

    Example:
    >>> import numpy as np
    >>> from kerastorch.applications import imagenet_utils
    >>> x = np.array([[[10, 128, 250]]], dtype="uint8")
    >>> bool((preprocess_input(x) == imagenet_utils.preprocess_input(x, mode={mode!r})).all())
    True
    """
    return preprocess_input


def make_decode_predictions(module):
    """The `decode_predictions(preds, top=5)` of an architecture module."""
    from kerastorch.applications import imagenet_utils

    def decode_predictions(preds, top=5):
        return imagenet_utils.decode_predictions(preds, top=top)

    decode_predictions.__module__ = f"kerastorch.applications.{module}"
    decode_predictions.__qualname__ = "decode_predictions"
    decode_predictions.__doc__ = """Decodes ImageNet predictions into `(class_name, description, score)` tuples.

    Reads Keras' `imagenet_class_index.json` from `$KERAS_HOME/models/` (never downloaded);
    see `kerastorch.applications.imagenet_utils.decode_predictions`.

    Args:
        preds: Array or tensor of shape `(samples, 1000)`.
        top: How many top guesses per sample. Defaults to `5`.

    Returns:
        A list (one per sample) of lists of `(class_name, class_description, score)` tuples.

    Example:
    >>> import numpy as np
    >>> decode_predictions(np.zeros((1, 3)))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: `decode_predictions` expects a batch of predictions ...
    """
    return decode_predictions


ARGS_DOC = """
    Args:
        include_top: Whether to include the classifier at the top of the network.
            Defaults to `True`.
        weights: `None` (random initialisation), `"imagenet"` (Keras' ImageNet weights file,
            read from Keras' cache `$KERAS_HOME/models/`; never downloaded: when absent the
            error names the file, its URL and the folder), or the path of a weights file
            written by Keras or kerastorch. Defaults to `"imagenet"`.
        input_tensor: Optional symbolic tensor (`kerastorch.Input(...)` or a layer output) to
            use as the image input. Defaults to `None`.
        input_shape: Optional shape tuple; {default}x{default} with `include_top=True`; without
            the top, any size at least {minimum}x{minimum}. Defaults to `None`.
        pooling: With `include_top=False`: `None` (the 4-D output of the last block), `"avg"`
            or `"max"` (global pooling to 2-D). Defaults to `None`.
        classes: Number of classes, with `include_top=True` and no `"imagenet"` weights.
            Defaults to `1000`.
        classifier_activation: Activation of the `predictions` layer (`None` for logits);
            with pretrained weights only `None` or `"softmax"`. Defaults to `"softmax"`.
        name: The model's name. Defaults to `{name!r}`.

    Returns:
        A Functional `kerastorch.Model`.
"""


def document(fn, summary, name, default, minimum, example, note=""):
    """Sets a model function's Keras-style docstring from the shared argument text."""
    fn.__doc__ = (f"{summary}\n\n{note}" + ARGS_DOC.format(name=name, default=default, minimum=minimum)
                  + f"\n    Example:\n{example}")
    return fn


def check_pooling(pooling):
    """Refuses a `pooling` other than None, "avg" or "max" (Keras treats any other value as None)."""
    if pooling not in (None, "avg", "max"):
        raise ValueError(f"`pooling` must be None (the 4-D output of the last block), 'avg' or 'max' (global "
                         f"average or max pooling). Received: pooling={pooling!r}")
