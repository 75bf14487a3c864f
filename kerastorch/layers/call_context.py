"""Keras' call context: whether a layer call runs, the `training` value it carries to the
sublayers, and whether `add_loss` collects. Importable from `kerastorch.layers.base` as before."""

import inspect


class _CallState:
    """Whether a layer call is running (Keras' call context) and whether `add_loss` collects.

    A call made while no other runs is a top-level call: as in Keras, it first clears the
    losses its layers added during the previous call. `collect` is off while shapes are
    traced, so a traced penalty is never a real one.
    """

    depth = 0
    collect = True
    # The `training` value of the enclosing call, as `(value, explicit)`: Keras' call context.
    # `explicit` when it comes from a `training=` argument (it then reaches every sublayer).
    training = (None, False)
    # The layer whose caller passed `training=None` itself: as in Keras, its call gets None.
    none_for = None
    # Above 0 while kerastorch itself switches modules' modes (fit, evaluate, shape traces).
    internal_mode_change = 0


_CALL_STATE = _CallState()
_EXPLICIT = {True: (True, True), False: (False, True)}
_FROM_MODE = {True: (True, False), False: (False, False)}


def resolve_training(layer, training=None):
    """The `training` value a call of `layer` runs with, Keras' rule with torch's modes.

    An explicit `training` argument wins; then an explicit one of an enclosing call (Keras' call
    context); then the module mode the user set with `train()`/`eval()` on the layer or a
    parent (torch's rule); then the enclosing call's value; else the default of `training` in
    the layer's `call` signature (`None`, which layers treat as inference, for most; `True` for
    the random augmentation layers). fit/evaluate/predict pass it explicitly.
    """
    if training is not None:
        return training
    state = _CALL_STATE
    value, explicit = state.training
    if state.none_for is layer:
        return None
    if explicit:
        return value
    if layer._kt_mode_set:
        return layer.training
    if value is not None:
        return value
    return _call_training_default(type(layer))


class training_context:
    """Makes an explicit `training` (not None) the call context of what runs inside, as
    `Layer.__call__` does: for a model's forward run without `__call__` (the trainer's direct paths)."""

    __slots__ = ("value", "outer")

    def __init__(self, training):
        self.value = training

    def __enter__(self):
        state = _CALL_STATE
        self.outer = state.training
        if self.value is not None:
            state.training = _EXPLICIT.get(self.value) or (self.value, True)
        return self

    def __exit__(self, *exc):
        _CALL_STATE.training = self.outer
        return False


_TRAINING_DEFAULTS = {}     # layer class -> default of `training` in its call


def _call_training_default(cls):
    """The default of `training` in `cls.call` (None when it has none), cached per class."""
    try:
        return _TRAINING_DEFAULTS[cls]
    except KeyError:
        pass
    param = inspect.signature(cls.call).parameters.get("training")
    default = None if param is None or param.default is inspect.Parameter.empty else param.default
    _TRAINING_DEFAULTS[cls] = default
    return default


# Layers holding `add_loss` values (usually none: then a top-level call costs nothing more).
_LOSS_HOLDERS = {}


def _clear_losses_below(layer):
    """Keras' `_clear_losses` at the start of a top-level call: this layer's and its sublayers'."""
    below = {id(m) for m in layer.modules()}
    for key in [k for k in _LOSS_HOLDERS if k in below]:
        holder = _LOSS_HOLDERS.pop(key)
        holder.__dict__["_losses"] = []


class no_loss_collection:
    """Context in which `add_loss` drops its values and no call clears losses (shape tracing)."""

    def __enter__(self):
        self._previous = _CALL_STATE.collect
        _CALL_STATE.collect = False

    def __exit__(self, *exc):
        _CALL_STATE.collect = self._previous
