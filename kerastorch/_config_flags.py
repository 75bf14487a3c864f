"""Runtime flags of `keras.config`: interactive logging, safe loading, debugging caps, flash
attention and traceback filtering. `kerastorch.config` re-exports them; read them from there.

Example:
>>> from kerastorch import config
>>> config.max_epochs() is None
True
"""

import os

_INTERACTIVE_LOGGING = True
_SAFE_MODE = None           # None: each loader's `safe_mode` argument decides; False after enable_unsafe_...
_FLASH_ATTENTION = None     # Keras' default: None ("use it where it applies"); False once disabled
_TRACEBACK_FILTERING = True
# Debugging caps, also read from the environment as Keras does.
_MAX_EPOCHS = int(os.environ["KERAS_MAX_EPOCHS"]) if os.environ.get("KERAS_MAX_EPOCHS") else None
_MAX_STEPS_PER_EPOCH = (int(os.environ["KERAS_MAX_STEPS_PER_EPOCH"])
                        if os.environ.get("KERAS_MAX_STEPS_PER_EPOCH") else None)


# ------------------------------------------------------------------------------ logging
def enable_interactive_logging():
    """Sends progress bars and messages to stdout (the default), as Keras.

    Example:
    >>> enable_interactive_logging()
    >>> is_interactive_logging_enabled()
    True
    """
    global _INTERACTIVE_LOGGING
    _INTERACTIVE_LOGGING = True


def disable_interactive_logging():
    """Sends progress and messages to Python's `logging` (logger `"kerastorch"`, level INFO) instead
    of stdout, for jobs that run without a terminal; progress bars become plain log lines.

    Example:
    >>> disable_interactive_logging()
    >>> is_interactive_logging_enabled()
    False
    >>> enable_interactive_logging()
    """
    global _INTERACTIVE_LOGGING
    _INTERACTIVE_LOGGING = False


def is_interactive_logging_enabled():
    """Whether progress and messages go to stdout (`True`, the default) or to `logging` (`False`)."""
    return _INTERACTIVE_LOGGING


# ------------------------------------------------------------------------------ safe loading
def enable_unsafe_deserialization():
    """Lets `load_model` and friends load Lambda layers and serialized Python code.

    After it, loading behaves as with `safe_mode=False` everywhere, as in Keras, until
    `kerastorch.backend.clear_session()`. Only do this for files you trust: their code runs
    when they are loaded.

    Example:
    >>> enable_unsafe_deserialization()
    >>> from kerastorch import backend
    >>> backend.clear_session(free_memory=False)     # safe loading again
    """
    global _SAFE_MODE
    _SAFE_MODE = False


def _effective_safe_mode(safe_mode):
    """The safe mode a loader applies: `False` after `enable_unsafe_deserialization()`, else `safe_mode`."""
    return bool(safe_mode) if _SAFE_MODE is None else _SAFE_MODE


# ------------------------------------------------------------------------------ debugging caps
def max_epochs():
    """The cap on epochs of every `fit` (`None`: no cap), set by `set_max_epochs` or `KERAS_MAX_EPOCHS`."""
    return _MAX_EPOCHS


def set_max_epochs(max_epochs):
    """Caps the number of epochs of every `fit` call, for quick debugging runs.

    Args:
        max_epochs: Integer cap, or `None` to remove it.

    Example:
    >>> set_max_epochs(1)
    >>> max_epochs()
    1
    >>> set_max_epochs(None)
    """
    global _MAX_EPOCHS
    _MAX_EPOCHS = _cap(max_epochs, "set_max_epochs")


def max_steps_per_epoch():
    """The cap on steps per epoch (`None`: no cap), set by `set_max_steps_per_epoch` or
    `KERAS_MAX_STEPS_PER_EPOCH`."""
    return _MAX_STEPS_PER_EPOCH


def set_max_steps_per_epoch(max_steps_per_epoch):
    """Caps the batches of every epoch of `fit`, `evaluate` and `predict`, for quick debugging runs.

    Args:
        max_steps_per_epoch: Integer cap, or `None` to remove it.

    Example:
    >>> set_max_steps_per_epoch(2)
    >>> max_steps_per_epoch()
    2
    >>> set_max_steps_per_epoch(None)
    """
    global _MAX_STEPS_PER_EPOCH
    _MAX_STEPS_PER_EPOCH = _cap(max_steps_per_epoch, "set_max_steps_per_epoch")


def _cap(value, where):
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{where}: expected a positive integer or None, got {value!r}.")
    return value


# ------------------------------------------------------------------------------ attention, tracebacks
def enable_flash_attention():
    """Lets attention ops use flash attention where the inputs allow it (Keras' default state).

    Example:
    >>> enable_flash_attention()
    >>> is_flash_attention_enabled() is None      # Keras: None means "where it applies"
    True
    """
    global _FLASH_ATTENTION
    _FLASH_ATTENTION = None


def disable_flash_attention():
    """Stops attention ops from using flash attention.

    Example:
    >>> disable_flash_attention()
    >>> is_flash_attention_enabled()
    False
    >>> enable_flash_attention()
    """
    global _FLASH_ATTENTION
    _FLASH_ATTENTION = False


def is_flash_attention_enabled():
    """`False` after `disable_flash_attention()`; otherwise `None`, Keras' "enabled where it applies"."""
    return _FLASH_ATTENTION


def enable_traceback_filtering():
    """Turns Keras' traceback filtering flag on (the default).

    kerastorch keeps the flag for code that reads it; its errors are raised where the
    mistake is found, with messages naming the layer and the argument, so there are no
    internal frames to filter.
    """
    global _TRACEBACK_FILTERING
    _TRACEBACK_FILTERING = True


def disable_traceback_filtering():
    """Turns Keras' traceback filtering flag off (see `enable_traceback_filtering`)."""
    global _TRACEBACK_FILTERING
    _TRACEBACK_FILTERING = False


def is_traceback_filtering_enabled():
    """Whether the traceback filtering flag is on (`True` by default)."""
    return _TRACEBACK_FILTERING


def is_nnx_enabled():
    """`False`: Flax NNX integration exists only on Keras' JAX backend."""
    return False


def _reset_session_state():
    """What Keras' `clear_session()` resets besides names: the global dtype policy (it follows
    `floatx()` again), the global random generator, interactive logging, flash attention,
    traceback filtering and unsafe deserialization. The debugging caps stay (Keras keeps them)."""
    global _INTERACTIVE_LOGGING, _SAFE_MODE, _FLASH_ATTENTION, _TRACEBACK_FILTERING
    from kerastorch import mixed_precision, random

    mixed_precision._GLOBAL = None
    random.reset_global_seed_generator()
    _INTERACTIVE_LOGGING, _SAFE_MODE, _FLASH_ATTENTION, _TRACEBACK_FILTERING = True, None, None, True
