"""Global settings, as in `keras.config`: float type, epsilon, image layout and the device.

Example:
>>> import kerastorch
>>> kerastorch.config.image_data_format()
'channels_last'
"""

import os

import torch

_FLOATX = "float32"
_EPSILON = 1e-7
_IMAGE_DATA_FORMAT = "channels_last"
_DEVICE = None  # None: chosen on first use (CUDA when available, else CPU).
_NAN_CHECKS = False


def floatx():
    """Returns the default float type as a string (`"float32"`)."""
    return _FLOATX


def set_floatx(value):
    """Sets the default float type: one of `"float16"`, `"bfloat16"`, `"float32"`, `"float64"`."""
    global _FLOATX
    if value not in ("float16", "bfloat16", "float32", "float64"):
        raise ValueError(
            f"set_floatx: expected one of 'float16', 'bfloat16', 'float32', 'float64', got {value!r}."
        )
    _FLOATX = value


def epsilon():
    """Returns the fuzz factor used in numeric expressions (Keras' default `1e-7`)."""
    return _EPSILON


def set_epsilon(value):
    """Sets the fuzz factor used in numeric expressions."""
    global _EPSILON
    _EPSILON = float(value)


def image_data_format():
    """Returns the default image layout, `"channels_last"` unless changed."""
    return _IMAGE_DATA_FORMAT


def set_image_data_format(data_format):
    """Sets the default image layout: `"channels_last"` or `"channels_first"`."""
    global _IMAGE_DATA_FORMAT
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError(
            "set_image_data_format: expected 'channels_last' or 'channels_first', "
            f"got {data_format!r}."
        )
    _IMAGE_DATA_FORMAT = data_format


def standardize_data_format(data_format):
    """Returns `data_format`, or the global default when it is `None`; validates the value."""
    if data_format is None:
        return image_data_format()
    value = str(data_format).lower()
    if value not in ("channels_last", "channels_first"):
        raise ValueError(
            f"data_format must be 'channels_last' or 'channels_first', got {data_format!r}."
        )
    return value


def get_device():
    """Returns the `torch.device` that models train on.

    The device is, in order of precedence: the one given to `set_device()`, the
    `KERASTORCH_DEVICE` environment variable, CUDA when available, else the CPU.

    Example:
    >>> import kerastorch
    >>> kerastorch.config.set_device("cpu")
    >>> kerastorch.config.get_device()
    device(type='cpu')
    """
    global _DEVICE
    if _DEVICE is None:
        name = os.environ.get("KERASTORCH_DEVICE")
        if name:
            _DEVICE = torch.device(name)
        else:
            _DEVICE = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return _DEVICE


def set_device(device):
    """Chooses the device that `fit`, `evaluate` and `predict` run on.

    Args:
        device: A `torch.device` or a string such as `"cpu"`, `"cuda"`, `"cuda:1"`.
            `None` restores the automatic choice (CUDA when available, else CPU).

    Example:
    >>> import kerastorch
    >>> kerastorch.config.set_device("cpu")
    """
    global _DEVICE
    if device is None:
        _DEVICE = None
        return
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError) as e:
        raise ValueError(
            f"set_device: expected a torch.device or a string like 'cpu' or 'cuda:0', got {device!r}."
        ) from e
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(
            f"set_device({device!r}): CUDA is not available on this machine. "
            "Use set_device('cpu'), or install a CUDA build of torch."
        )
    _DEVICE = dev


def enable_nan_checks(enabled=True):
    """Turns on checks for NaN/infinite values in every batch and every loss (off by default).

    With the checks on, `fit` stops at the first batch whose inputs or targets hold NaN or
    infinity, and at the first step whose loss is not finite, with an error naming the
    epoch, the step and the batch. Each check reads a value back from the device, so it
    costs speed; leave it off for production runs.

    Args:
        enabled: Whether the checks run. Defaults to `True`.

    Example:
    >>> import kerastorch
    >>> kerastorch.config.enable_nan_checks()
    >>> kerastorch.config.nan_checks_enabled()
    True
    >>> kerastorch.config.enable_nan_checks(False)
    """
    global _NAN_CHECKS
    _NAN_CHECKS = bool(enabled)


def nan_checks_enabled():
    """Whether `enable_nan_checks()` is on."""
    return _NAN_CHECKS
