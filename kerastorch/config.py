"""Global settings, as in `keras.config`: float type, epsilon, image layout, dtype policy, logging,
safe loading, debugging caps, flash attention, and the device.

Every name of `keras.config` is here, with Keras' defaults. kerastorch adds the device
(`get_device`/`set_device`), NaN checks (`enable_nan_checks`) and the reuse of freed CPU memory
between steps (`enable_cpu_memory_reuse`, `disable_cpu_memory_reuse`,
`is_cpu_memory_reuse_enabled`, `cpu_memory_reuse_status`).

Example:
>>> import kerastorch
>>> kerastorch.config.image_data_format()
'channels_last'
>>> kerastorch.config.backend()
'torch'
"""

import os

import torch

_FLOATX = "float32"
_EPSILON = 1e-7
_IMAGE_DATA_FORMAT = "channels_last"
_DEVICE = None  # None: chosen on first use (CUDA when available, else CPU).
_NAN_CHECKS = False

_FLOAT_TYPES = ("bfloat16", "float16", "float32", "float64")
_DATA_FORMATS = ("channels_first", "channels_last")

# Logging, safe loading, debugging caps, flash attention, traceback filtering: kerastorch/_config_flags.py.
from kerastorch._config_flags import (disable_flash_attention, disable_interactive_logging,  # noqa: E402
                                      disable_traceback_filtering, enable_flash_attention,
                                      enable_interactive_logging, enable_traceback_filtering,
                                      enable_unsafe_deserialization, is_flash_attention_enabled,
                                      is_interactive_logging_enabled, is_nnx_enabled,
                                      is_traceback_filtering_enabled, max_epochs, max_steps_per_epoch,
                                      set_max_epochs, set_max_steps_per_epoch)
# Freed CPU memory kept for the next step (glibc's malloc thresholds): kerastorch/_cpu_memory.py.
from kerastorch._cpu_memory import (cpu_memory_reuse_status, disable_cpu_memory_reuse,  # noqa: E402
                                    enable_cpu_memory_reuse, is_cpu_memory_reuse_enabled)


# ------------------------------------------------------------------------------ backend
def backend():
    """Returns the name of the backend: always `"torch"`.

    Example:
    >>> backend()
    'torch'
    """
    return "torch"


def set_backend(backend):
    """Keras' backend switch; kerastorch runs on PyTorch only, so only `"torch"` is accepted.

    Args:
        backend: The backend name. `"torch"` is a no-op.

    Raises:
        ValueError: for any other backend.

    Example:
    >>> set_backend("torch")
    """
    if backend != "torch":
        raise ValueError(
            f"set_backend({backend!r}): kerastorch runs Keras code on PyTorch only, so its backend is "
            "always 'torch'. For the JAX or TensorFlow backend, use Keras itself "
            "(import keras, with KERAS_BACKEND set)."
        )


# ------------------------------------------------------------------------------ numbers
def floatx():
    """Returns the default float type as a string (`"float32"` unless changed).

    Example:
    >>> floatx()
    'float32'
    """
    return _FLOATX


def set_floatx(value):
    """Sets the default float type of new weights, converted inputs and random numbers.

    Layers created afterwards without a `dtype=` (and with no global policy set by
    `set_dtype_policy`) store and compute in it; `fit`/`evaluate`/`predict` convert float
    inputs to it.

    Args:
        value: `"bfloat16"`, `"float16"`, `"float32"` or `"float64"`.

    Raises:
        ValueError: for any other value.

    Example:
    >>> set_floatx("float64")
    >>> floatx()
    'float64'
    >>> set_floatx("float32")
    """
    global _FLOATX
    if value not in _FLOAT_TYPES:
        raise ValueError(f"set_floatx: unknown floatx value {value!r}; expected one of "
                         f"{', '.join(map(repr, _FLOAT_TYPES))}.")
    _FLOATX = str(value)


def epsilon():
    """Returns the fuzz factor used in numeric expressions (Keras' default `1e-7`).

    Example:
    >>> epsilon()
    1e-07
    """
    return _EPSILON


def set_epsilon(value):
    """Sets the fuzz factor used in numeric expressions.

    Args:
        value: A float.

    Example:
    >>> set_epsilon(1e-5)
    >>> epsilon()
    1e-05
    >>> set_epsilon(1e-7)
    """
    global _EPSILON
    _EPSILON = float(value)


def dtype_policy():
    """Returns the global `DTypePolicy` (`DTypePolicy(floatx())` until `set_dtype_policy` is called).

    Example:
    >>> dtype_policy()
    <DTypePolicy "float32">
    """
    from kerastorch import mixed_precision

    return mixed_precision.dtype_policy()


def set_dtype_policy(policy):
    """Sets the global dtype policy of new layers (same as `mixed_precision.set_global_policy`).

    Args:
        policy: A policy name (`"float32"`, `"float64"`, `"mixed_bfloat16"`, `"mixed_float16"`)
            or a `DTypePolicy`.

    Example:
    >>> set_dtype_policy("mixed_bfloat16")
    >>> dtype_policy().compute_dtype
    'bfloat16'
    >>> set_dtype_policy("float32")
    """
    from kerastorch import mixed_precision

    mixed_precision.set_dtype_policy(policy)


# ------------------------------------------------------------------------------ images
def image_data_format():
    """Returns the default image layout, `"channels_last"` unless changed.

    Example:
    >>> image_data_format()
    'channels_last'
    """
    return _IMAGE_DATA_FORMAT


def set_image_data_format(data_format):
    """Sets the default image layout of layers created afterwards.

    Args:
        data_format: `"channels_last"` or `"channels_first"` (any case).

    Raises:
        ValueError: for any other value.

    Example:
    >>> set_image_data_format("channels_first")
    >>> image_data_format()
    'channels_first'
    >>> set_image_data_format("channels_last")
    """
    global _IMAGE_DATA_FORMAT
    _IMAGE_DATA_FORMAT = _check_data_format(data_format, "set_image_data_format")


def _check_data_format(data_format, where):
    value = str(data_format).lower()
    if value not in _DATA_FORMATS:
        raise ValueError(f"{where}: `data_format` must be 'channels_last' or 'channels_first', "
                         f"got {data_format!r}.")
    return value


def standardize_data_format(data_format):
    """Returns `data_format` (lower-cased), or the global default when it is `None`; validates it.

    Example:
    >>> standardize_data_format(None)
    'channels_last'
    """
    if data_format is None:
        return image_data_format()
    return _check_data_format(data_format, "data_format")


# ------------------------------------------------------------------------------ device, checks
def get_device():
    """Returns the `torch.device` that models train on.

    The device is, in order of precedence: the one given to `set_device()`, the
    `KERASTORCH_DEVICE` environment variable, CUDA when available, else the CPU.

    Example:
    >>> set_device("cpu")
    >>> get_device()
    device(type='cpu')
    """
    global _DEVICE
    if _DEVICE is None:
        name = os.environ.get("KERASTORCH_DEVICE")
        _DEVICE = torch.device(name) if name else torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return _DEVICE


def set_device(device):
    """Chooses the device that `fit`, `evaluate`, `predict` and new tensors use.

    Args:
        device: A `torch.device` or a string such as `"cpu"`, `"cuda"`, `"cuda:1"`.
            `None` restores the automatic choice (CUDA when available, else CPU).

    Example:
    >>> set_device("cpu")
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
    >>> enable_nan_checks()
    >>> nan_checks_enabled()
    True
    >>> enable_nan_checks(False)
    """
    global _NAN_CHECKS
    _NAN_CHECKS = bool(enabled)


def nan_checks_enabled():
    """Whether `enable_nan_checks()` is on."""
    return _NAN_CHECKS
