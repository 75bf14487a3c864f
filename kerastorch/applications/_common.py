"""Shared helpers with the call signatures part B's modules (mobilenet*.py, ...) use (internal).

Recreated by part A after overwriting part B's first draft of this file by mistake: the
signatures are those their modules call; the work is done by `imagenet_utils` (Keras' helpers
under Keras' names) and `_weights` (the `weights` argument), documented there.
"""

from kerastorch import config
from kerastorch.applications import _weights, imagenet_utils
from kerastorch.applications.imagenet_utils import correct_pad, validate_activation  # noqa: F401
from kerastorch.backend import is_keras_tensor  # noqa: F401


def check_weights(weights, include_top, classes, name=None):
    """Keras' checks of `weights` (see `_weights.check_weights`)."""
    _weights.check_weights(weights, include_top, classes)


def obtain_input_shape(input_shape, default_size, min_size, include_top, weights, name=None):
    """`imagenet_utils.obtain_input_shape` in the global data format, `require_flatten=include_top`."""
    return imagenet_utils.obtain_input_shape(input_shape, default_size, min_size, config.image_data_format(),
                                             require_flatten=include_top, weights=weights)


def image_input(input_shape, input_tensor, name=None):
    """`Input(shape=input_shape)`, or `input_tensor` as Keras takes it (see `_builder.image_input`)."""
    from kerastorch.applications import _builder

    return _builder.image_input(input_tensor, input_shape)


def source_inputs(img_input, input_tensor):
    """The model's inputs: `img_input`, or the source inputs of `input_tensor` when given."""
    from kerastorch.utils import get_source_inputs

    return img_input if input_tensor is None else get_source_inputs(input_tensor)


def load_weights(model, weights, file_name, name=None, origin=None, file_hash=None):
    """`_weights.load_weights(model, weights, file_name, origin, file_hash)`; returns `model`."""
    _weights.load_weights(model, weights, file_name=file_name, origin=origin, file_hash=file_hash)
    return model
