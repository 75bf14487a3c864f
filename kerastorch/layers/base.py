"""The `Layer` base class.

Its parts live in sibling modules, all importable from here as before: the call context and
`training` resolution (`call_context.py`), what a call does around `call` (`calling.py`), the
weights (`layer_weights.py`, mixed into `Layer`), tracked lists and dicts (`tracking.py`),
`KerasTensor` (`symbolic.py`) and `TorchModuleWrapper` (`torch_module_wrapper.py`).
"""

import collections
import contextlib
import difflib
import inspect
import re
import sys

import numpy as np
import torch

from kerastorch import variables as _variables
# The parts split out of this module, importable from here as before.
from kerastorch.layers.call_context import (  # noqa: F401
    _CALL_STATE, _EXPLICIT, _FROM_MODE, _LOSS_HOLDERS, _TRAINING_DEFAULTS, _CallState, _call_training_default,
    _clear_losses_below, no_loss_collection, resolve_training, training_context)
from kerastorch.layers.calling import (  # noqa: F401
    _build_shape, _call_arguments, _has_array, _set_output_masks, _to_torch_dtype, _trace_once, convert_inputs,
    trace_output_shape)
from kerastorch.layers.layer_weights import LayerWeights, stored_weight  # noqa: F401
from kerastorch.layers.tracking import (  # noqa: F401
    _CONTAINER_TYPES, _HOLDER, LOCK_MESSAGE, MetricTracking, TrackedDict, TrackedList, TrackedOrderedDict,
    _flatten_sublayers, _register, _track_container, _track_metric, _Tracked, adds_state, state_unlocked)

_NAME_COUNTS = collections.defaultdict(int)


# Set once any layer adds a loss: the trainer then adds `model.losses` to every loss.
ADD_LOSS_USED = False


def _snake_case(name):
    """`"Conv2DTranspose"` -> `"conv2d_transpose"`, as Keras names its layers."""
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    name = re.sub(r"([a-z])([A-Z])", r"\1_\2", name)
    return name.lower()


def unique_name(prefix):
    """Returns `prefix`, then `prefix_1`, `prefix_2`, ... on later calls (Keras' auto names)."""
    count = _NAME_COUNTS[prefix]
    _NAME_COUNTS[prefix] += 1
    return prefix if count == 0 else f"{prefix}_{count}"


def reset_name_counts():
    """Restarts auto naming, so the next `Dense` is called `dense` again (like `keras.backend.clear_session`)."""
    _NAME_COUNTS.clear()


def get_activation(layer, arg, value):
    """`activations.get(value)`, with an error that names the layer and the argument."""
    from kerastorch import activations

    try:
        return activations.get(value)
    except (ValueError, TypeError) as e:
        raise type(e)(
            f"{type(layer).__name__} layer '{layer.name}': invalid `{arg}`={value!r}. {e} "
            f"Pass a known activation name (e.g. {arg}='relu') or a callable."
        ) from None


def format_shape(shape):
    """Writes a shape as `summary()` prints it: `(None, 28, 28, 3)`."""
    if shape is None:
        return "?"
    if isinstance(shape, list):
        return "[" + ", ".join(format_shape(s) for s in shape) + "]"
    return "(" + ", ".join("None" if d is None else str(int(d)) for d in shape) + ("," if len(shape) == 1 else "") + ")"


# The symbolic tensor and the graph it records live in symbolic.py; importable from here as before.
from kerastorch.layers import symbolic as _symbolic  # noqa: E402
from kerastorch.layers.symbolic import KerasTensor  # noqa: E402


def plain_call(layer):
    """`(call, compute dtype, takes training)` when calling `layer` on one tensor does nothing
    beyond its `call` (a built kerastorch layer: its own `__call__`/`forward`, no input spec,
    activity regularizer, autocast, or masks of its own to set), else `None`.

    The caller still checks what can change after this (torch hooks, a tensor carrying a mask).
    """
    cls = type(layer)
    if not (cls.__call__ is Layer.__call__ and cls.forward is Layer.forward and layer.built
            and layer.input_spec is None and layer.activity_regularizer is None
            and layer._autocast_torch_dtype is None
            and not (layer.supports_masking and cls.compute_mask is not Layer.compute_mask)
            # A user's layer holding sublayers may call them without `training`: they read it
            # from the call context its __call__ sets. (kerastorch's own pass it explicitly.)
            and not (layer._modules and not cls.__module__.startswith("kerastorch."))
            # A sublayer still to build is built in the layer's call, in its name scope (forward).
            and not (layer._kt_call_scope and _unbuilt_sublayers(layer))):
        return None
    return layer.call, layer._compute_torch_dtype, "training" in _call_arguments(cls)


def _internal_caller(frame):
    """Whether `frame` runs kerastorch's own code."""
    return frame.f_globals.get("__name__", "").startswith("kerastorch.")


@contextlib.contextmanager
def building_call(layer):
    """The bookkeeping around a call of `layer` that may build its sublayers (its scoped call, or a
    wrapper running it in the wrapper's scope): during the call its forward takes the usual path
    (`_kt_call_scope` off); after it, the state lock `_build_wrapper` left pending comes, and
    `_kt_call_scope` holds the sublayers still unbuilt (False when none). A failed call restores it."""
    d = layer.__dict__
    before = d.get("_kt_call_scope", True)
    d["_kt_call_scope"] = False
    try:
        yield
    except BaseException:
        d["_kt_call_scope"] = before
        raise
    if d.pop("_kt_lock_pending", False):     # the call that built the sublayers is done
        layer._lock_state()
    d["_kt_call_scope"] = _unbuilt_sublayers(layer, before if type(before) is list else None) or False


def _unbuilt_sublayers(layer, among=None):
    """The layers below `layer` (at any depth; only those of `among` when given) not built yet."""
    if among is None:
        among = [m for m in layer.modules() if m is not layer and isinstance(m, Layer)]
    return [m for m in among if not m.built]


# True while an eager first call builds its layer (see `_scoped_forward`).
_EAGER_BUILD = [False]


def _traces_to_build(layer):
    """Keras' `_maybe_build` rule: a layer without its own `build` whose sublayers are unbuilt is
    built by tracing its `call` (in its name scope). Needed here only where no trace of the call
    follows the build: a layer giving its own `compute_output_shape` or `compute_output_spec`."""
    cls = type(layer)
    return (cls.build is Layer.build and layer._modules
            and (cls.compute_output_shape is not Layer.compute_output_shape
                 or callable(getattr(layer, "compute_output_spec", None)))
            and any(not sub.built for sub in layer._sublayers()))


def _build_by_tracing(layer, input_shape):
    """Runs `layer` on stand-in tensors of `input_shape` (a shape, or a list of shapes), building
    the sublayers its call uses; as in Keras, a call that cannot be traced is left to the first
    real call to build them."""
    def is_shape(s):
        return isinstance(s, (tuple, list)) and all(d is None or isinstance(d, int) for d in s)

    if is_shape(input_shape):
        args = (KerasTensor(tuple(input_shape)),)
    elif isinstance(input_shape, (tuple, list)) and input_shape and all(is_shape(s) for s in input_shape):
        args = ([KerasTensor(tuple(s)) for s in input_shape],)
    else:
        return
    try:
        with no_loss_collection():
            _symbolic.trace(lambda *a: layer(*a), args, {}, device=_symbolic._layer_device(layer))
    except Exception:  # noqa: BLE001 - Keras' rule: the eager call builds what the trace could not
        pass


def _wrap_build(build, own=False):
    """A layer's (or model's) `build` as Keras wraps it: a user's runs in the layer's name scope, then
    `_after_build` (built; a model also keeps the shape); kerastorch's own (`own`) marks itself built.
    Then, once the outermost build of the instance returns (not a `super().build()` inside it),
    the layer's state is locked (`_lock_state`), as Keras' build wrapper locks it."""
    import functools

    if getattr(build, "_kt_build_wrapper", False):
        return build

    @functools.wraps(build)
    def wrapper(self, *args, **kwargs):
        d = self.__dict__
        depth = d.get("_kt_build_depth", 0)
        d["_kt_build_depth"] = depth + 1
        try:
            if own:
                result = build(self, *args, **kwargs)
            else:
                with _variables.name_scope_of(self):
                    result = build(self, *args, **kwargs)
                self._after_build(args, kwargs)
        finally:
            d["_kt_build_depth"] = depth
        if not depth and self.built:
            self._lock_state()
        return result

    wrapper._kt_build_wrapper = True
    return wrapper


def _stays_open(layer):
    """Keras' Sequential and Functional models keep their state open after build (their `_lock_state`
    does nothing), to attach layers to a built model."""
    for module, name in (("kerastorch.models.sequential", "Sequential"),
                         ("kerastorch.models.functional", "Functional")):
        loaded = sys.modules.get(module)
        if loaded is not None and isinstance(layer, getattr(loaded, name)):
            return True
    return False


class Layer(LayerWeights, MetricTracking, torch.nn.Module):
    """Base class of all kerastorch layers: a `torch.nn.Module` with Keras' layer API.

    Subclass it as in Keras: record the configuration in `__init__`, create weights in
    `build(input_shape)` with `add_weight`, and compute in `call(inputs, training=None)`.
    The layer builds itself on its first call; `compute_output_shape` lets `Sequential`
    infer shapes without data (by default it traces a small zero batch).

    Once built, the layer's state is locked, as Keras' `_lock_state` locks it: `add_weight`, or a
    new Variable, sublayer, metric or `SeedGenerator` set as an attribute (or put in a tracked list
    or dict), raises `ValueError` ("You cannot add new elements of state ..."). The lock comes when
    the outermost `build` returns (also one you call, `layer.build(shape)`); a layer without its own
    `build` whose sublayers are unbuilt is locked after the call that builds them; a layer built at
    construction (Dropout) then. Sublayers built later keep their own state; Sequential and
    Functional models stay open. `metrics_variables` lists the variables of `metrics`.

    Args:
        name: String name, unique within a model. Defaults to the snake-case class
            name with a counter (`dense`, `dense_1`, ...).
        trainable: Whether the layer's weights are updated in training. Defaults to `True`.
        dtype: The layer's float type. Defaults to `kerastorch.config.floatx()`.
        input_shape: Optional per-sample input shape (without the batch axis), Keras'
            way of giving the first layer of a `Sequential` its input shape.
        input_dim: Optional int, shorthand for `input_shape=(input_dim,)`.

    Example:
    >>> import torch
    >>> from kerastorch import layers
    >>> class Scale(layers.Layer):
    ...     def build(self, input_shape):
    ...         self.w = self.add_weight(shape=(input_shape[-1],), initializer="ones", name="w")
    ...     def call(self, inputs):
    ...         return inputs * self.w
    >>> layer = Scale()
    >>> layer(torch.ones(2, 3)).shape
    torch.Size([2, 3])
    >>> layer.add_weight(shape=(1,), name="late")    # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: You cannot add new elements of state (variables or sub-layers) to a layer that is already built...
    """

    # Subclasses that take integer ids (Embedding) set this so fit() keeps integer data as is.
    accepts_integer_inputs = False
    # Set (on the instance) once the user switches the module's mode with train()/eval().
    _kt_mode_set = False
    # An `InputSpec` (or a list of them) checked on every call when set, as Keras checks it.
    input_spec = None
    # True while calls run in the layer's name scope (unbuilt), then the list of unbuilt sublayers
    # (at any depth) while there are some, then False: see `_scoped_forward`.
    _kt_call_scope = True

    def __init__(self, name=None, trainable=True, dtype=None, input_shape=None, input_dim=None,
                 batch_input_shape=None, batch_size=None, **kwargs):
        super().__init__()
        if kwargs:
            key = next(iter(kwargs))
            known = sorted(set(inspect.signature(type(self).__init__).parameters) - {"self", "kwargs"}
                           | {"name", "trainable", "dtype", "input_shape"})
            close = difflib.get_close_matches(key, known, n=1)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            raise TypeError(
                f"{type(self).__name__}: unexpected keyword argument {key}={kwargs[key]!r}.{hint} "
                f"Accepted arguments: {', '.join(known)}."
            )
        if name is not None and not isinstance(name, str):
            raise TypeError(f"{type(self).__name__}: `name` must be a string, got {name!r}.")
        self.name = name or unique_name(_snake_case(type(self).__name__))
        self._trainable = bool(trainable)
        self.built = False
        self._keras_weights = []          # stored names, in Keras' order (trainable first, each as made)
        self._weight_layouts = {}         # name -> (to_keras, to_internal) for non-Keras storage
        self._regularizers = {}           # name -> regularizer
        self._constraints = {}            # name -> constraint
        self.activity_regularizer = None
        self._losses = []                 # add_loss() values of the last call
        self._set_dtype_policy(dtype)
        self._input_tensor = None
        self._output_tensor = None
        self._inbound_nodes = []          # one Node per call on KerasTensors (symbolic.py)
        # As Keras: a user's layer that defines its own compute_mask supports masking (kerastorch's
        # own layers set supports_masking as their Keras twins have it).
        self.supports_masking = (type(self).compute_mask is not Layer.compute_mask
                                 and not type(self).__module__.startswith("kerastorch."))
        if input_dim is not None and input_shape is None:
            input_shape = (input_dim,)
        if batch_input_shape is not None:
            self._batch_input_shape = tuple(batch_input_shape)
        elif input_shape is not None:
            if isinstance(input_shape, int):
                input_shape = (input_shape,)
            self._batch_input_shape = (batch_size, *tuple(input_shape))
        else:
            self._batch_input_shape = None

    def _sublayers(self):
        """Direct child Layers in tracking order (those in tracked lists and dicts too), each once."""
        out, seen = [], set()
        for key, module in self._modules.items():
            for layer in (module._modules.values() if key.startswith(_HOLDER) else (module,)):
                if isinstance(layer, Layer) and id(layer) not in seen:
                    seen.add(id(layer))
                    out.append(layer)
        return out

    def __setattr__(self, name, value):
        # Keras tracks layers held in lists and dicts set on a layer; torch registers only
        # direct modules. One type check for any other value.
        cls = value.__class__
        d = self.__dict__
        if d.get("_kt_locked") and adds_state(self, value, sys._getframe(1)):
            raise ValueError(LOCK_MESSAGE)   # built: Keras' `_lock_state` (see the class docstring)
        if cls in _CONTAINER_TYPES and "_modules" in d:
            value = _track_container(self, name, value)
        elif cls is _variables.Variable and value._owner is self and value._attr == name:
            # `self.w = self.add_weight(name="w")`: the Parameter (or buffer) stays registered
            # under its name for torch (state_dict, the optimizer); the attribute is the Variable.
            self.__dict__[name] = value
            return
        elif cls is _variables.Variable and value._owner is value and "_modules" in self.__dict__:
            # A user's Variable set as an attribute (`self.v = keras.Variable(...)`): a weight, as in Keras.
            self._track_variable_attribute(name, value)
            return
        else:
            _track_metric(self, value)   # a Metric attribute is one of the layer's `metrics` (tracking.py)
            if name == "built" and value is True and not d.get("_kt_build_depth") \
                    and _internal_caller(sys._getframe(1)):
                # kerastorch marking the layer built outside a build (a subclassed model after its
                # first call, a layer built at init): Keras' build wrapper would lock it now.
                torch.nn.Module.__setattr__(self, name, value)
                self._lock_state()
                return
        shown = d.get(name)
        if shown is not None and shown.__class__ is _variables.Variable:
            # The attribute set to something else: the Variable stays a weight (as in Keras), its
            # tensor under another key when it was stored under this name.
            if shown._owner is self and shown._attr == name:
                self._rename_weight(name)
            del self.__dict__[name]
        torch.nn.Module.__setattr__(self, name, value)

    def __delattr__(self, name):
        shown = self.__dict__.get(name)
        if shown is not None and shown.__class__ is _variables.Variable:
            # `del self.v`: as Keras' __delattr__, the Variable is no longer the layer's weight.
            if shown._owner is self:
                self._untrack_variable(shown)
            del self.__dict__[name]
            return
        torch.nn.Module.__delattr__(self, name)

    # ------------------------------------------------------------------ building and calling
    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        # A user's own build(), also when called directly (`self.inner.build(shape)` in an outer
        # layer's build, `model.build(shape)`), runs in the layer's name scope and marks it built,
        # as Keras' build wrapper does.
        # kerastorch's own builds are wrapped too, to lock the layer's state once built.
        if "build" in cls.__dict__:
            cls.build = _wrap_build(cls.__dict__["build"], own=cls.__module__.startswith("kerastorch."))

    def _after_build(self, args, kwargs):
        """What follows a user's `build(*args, **kwargs)` (see `_wrap_build`): the layer is built."""
        self.built = True
        if not self._trainable:
            for p in self.parameters():
                p.requires_grad_(False)

    def build(self, input_shape):
        """Creates the layer's weights once the input shape is known. Override in subclasses.

        Args:
            input_shape: Tuple with `None` for the batch axis.
        """
        # As Keras' build wrapper: the layer's scope opens, fixing its path (sublayers its first
        # call builds get `<that path>/<layer name>/...`, also when a parent calls it later).
        _variables.scope_path(self)
        torch.nn.Module.__setattr__(self, "built", True)
        if not self.__dict__.get("_kt_build_depth"):
            self._lock_state()     # called directly (`layer.build(shape)`), not by a build: locked

    def _build_at_init(self):
        """Keras' `_build_at_init`: a layer without state whose `build` is not overridden is built
        at construction (Dropout, poolings, activations), so `summary()` shows it built before a call;
        its state is locked then, as in Keras."""
        if type(self).build is Layer.build:
            torch.nn.Module.__setattr__(self, "built", True)
            self._lock_state()

    def _lock_state(self):
        """Keras' `_lock_state`: no new Variable, sublayer, metric or seed generator may be added from
        now on (see the class docstring). Called once the layer is built. Sequential and Functional
        models stay open, as in Keras; a subclass may override this to keep its state open."""
        if not _stays_open(self):
            self.__dict__["_kt_locked"] = True

    def _unlock_state(self):
        """Opens the layer's state again (Keras' `_tracker.unlock()`); `tracking.state_unlocked` is the
        context manager that opens it for a block only."""
        self.__dict__["_kt_locked"] = False

    def _build_wrapper(self, input_shape):
        if not self.built:
            d = self.__dict__
            # Keras' `_maybe_build`: a layer without its own build whose sublayers are unbuilt runs its
            # call to build them before locking; kerastorch's first call (or trace) does that: the lock
            # waits for its end (`_scoped_forward`). Otherwise the layer is locked once built.
            pending = type(self).build is Layer.build and any(not sub.built for sub in self._sublayers())
            d["_kt_build_depth"] = d.get("_kt_build_depth", 0) + 1
            try:
                with _variables.name_scope_of(self):
                    self.build(tuple(input_shape))
                    torch.nn.Module.__setattr__(self, "built", True)
                    if not _EAGER_BUILD[0] and _traces_to_build(self):
                        _build_by_tracing(self, input_shape)
                        pending = False
            finally:
                d["_kt_build_depth"] -= 1
            if pending:
                d["_kt_lock_pending"] = True
            elif not d["_kt_build_depth"]:
                self._lock_state()
            if not self._trainable:
                for p in self.parameters():
                    p.requires_grad_(False)

    def call(self, inputs, training=None):
        """The layer's computation. Override in subclasses."""
        return inputs

    def __call__(self, *args, **kwargs):
        # KerasTensors (a Functional model being defined) record a node instead of computing;
        # a tensor as first argument costs one type check.
        if (not args or type(args[0]) is not torch.Tensor) and _symbolic.any_symbolic(args, kwargs):
            return _symbolic.layer_call(self, args, kwargs)
        state = _CALL_STATE
        outer = state.training
        # Keras' call context: this call's `training` reaches the sublayers its call runs.
        training = kwargs.get("training")
        outer_none = False
        if training is not None:
            state.training = _EXPLICIT.get(training) or (training, True)
        elif ("training" in kwargs and not self._kt_mode_set
              and not sys._getframe(1).f_globals.get("__name__", "").startswith("kerastorch.")):
            # The user's `layer(x, training=None)` (a model's call passing its own on): Keras gives
            # the call None, and its sublayers their defaults. (kerastorch passing None means "unset".)
            outer_none, state.none_for = state.none_for, self
            state.training = (None, False)
        elif not outer[1]:
            if self._kt_mode_set:
                state.training = _FROM_MODE[self.training]
            elif outer[0] is None:
                state.training = (_call_training_default(type(self)), False)
        try:
            if state.depth:
                return torch.nn.Module.__call__(self, *args, **kwargs)
            # A top-level call: the losses of the previous call go first.
            if _LOSS_HOLDERS and state.collect:
                _clear_losses_below(self)
            state.depth = 1
            try:
                return torch.nn.Module.__call__(self, *args, **kwargs)
            finally:
                state.depth = 0
        finally:
            state.training = outer
            if outer_none is not False:
                state.none_for = outer_none

    def train(self, mode=True):
        """Sets the module's training mode, as torch's `train()`; from then on it decides `training`.

        A layer whose mode the user never set follows Keras' rule instead (explicit argument,
        enclosing call, `call`'s default: inference for Dropout or BatchNormalization called
        eagerly). fit/evaluate/predict switch modes themselves without changing that.

        Args:
            mode: Whether to set training mode (`True`) or evaluation mode (`False`).
                Defaults to `True`.

        Returns:
            The layer itself.

        Example:
        >>> import torch
        >>> from kerastorch import layers
        >>> drop, x = layers.Dropout(0.5), torch.ones(2, 4)
        >>> torch.equal(drop(x), x)             # Keras' rule: an eager call infers
        True
        >>> drop.train().training               # from here on, this mode decides (it drops)
        True
        """
        return self._set_mode(mode, sys._getframe(1))

    def eval(self):
        """Sets evaluation mode (`train(False)`), as torch's `eval()`; see `train`."""
        return self._set_mode(False, sys._getframe(1))

    def _set_mode(self, mode, caller):
        state = _CALL_STATE
        if state.internal_mode_change or caller.f_globals.get("__name__", "").startswith("kerastorch."):
            # kerastorch switching modes (fit, evaluate, a shape trace) is not the user's choice.
            state.internal_mode_change += 1
            try:
                return torch.nn.Module.train(self, mode)
            finally:
                state.internal_mode_change -= 1
        torch.nn.Module.train(self, mode)
        for module in self.modules():
            if isinstance(module, Layer):
                module.__dict__["_kt_mode_set"] = True
        return self

    def forward(self, inputs, *args, training=None, mask=None, **kwargs):
        if self._kt_call_scope:
            # Unbuilt, or holding unbuilt sublayers: the call runs in the layer's name scope.
            return self._scoped_forward(inputs, args, kwargs, training, mask)
        if args or kwargs:      # a call(...) taking more than one tensor or its own arguments
            return self._forward_with_arguments(inputs, args, kwargs, training, mask)
        if not isinstance(inputs, torch.Tensor):
            inputs = convert_inputs(self, inputs)
        if self.input_spec is not None:
            from kerastorch.layers.input_spec import check_input_spec

            check_input_spec(self, inputs)
        if training is None:
            training = resolve_training(self)
        accepted = _call_arguments(type(self))
        kwargs = {}
        if "training" in accepted:
            kwargs["training"] = training
        # Keras' eager masks: a tensor carrying `_keras_mask` (set by the layer before it) passes
        # it to a call that takes `mask`, and a layer that supports masking sets its output's.
        first = inputs
        if mask is None and type(inputs) is torch.Tensor:
            mask = getattr(inputs, "_keras_mask", None)
        if mask is not None and "mask" in accepted:
            kwargs["mask"] = mask
        # Keras casts floating inputs to the layer's compute dtype (a float32 batch into a float64
        # layer); in the common case the dtypes already agree and this is one identity check.
        if isinstance(inputs, torch.Tensor):
            if inputs.dtype is not self._compute_torch_dtype and inputs.is_floating_point():
                inputs = inputs.to(self._compute_torch_dtype)
        elif isinstance(inputs, (list, tuple)):
            inputs = type(inputs)(self._cast_input(x) for x in inputs)
        if self._autocast_torch_dtype is None:
            outputs = self.call(inputs, **kwargs)
        else:
            outputs = self._call_with_autocast(inputs, kwargs)
        if self.activity_regularizer is not None:
            self._add_activity_loss(outputs)
        if self.supports_masking and (mask is not None or type(self).compute_mask is not Layer.compute_mask):
            _set_output_masks(self, first, outputs, mask)
        return outputs

    def _scoped_forward(self, inputs, args, kwargs, training, mask):
        """`forward` while the layer or one of its sublayers is unbuilt, in the layer's name scope.

        Keras opens a layer's name scope around every call, so sublayers built during the call
        get paths under the layer (`blocks/dense/kernel`). Weights can only be made while
        something is unbuilt, so kerastorch opens it only then: once the layer and all its
        sublayers are built (`_kt_call_scope` false), a call costs nothing more.
        """
        with _variables.name_scope_of(self):
            if not self.built:
                if not isinstance(inputs, torch.Tensor):
                    inputs = convert_inputs(self, inputs)
                if self.input_spec is not None and not (args or kwargs):
                    from kerastorch.layers.input_spec import check_input_spec

                    check_input_spec(self, inputs)
                _EAGER_BUILD[0] = True       # the call below builds the sublayers: no trace to do that
                try:
                    self._build_wrapper(_build_shape(inputs))
                finally:
                    _EAGER_BUILD[0] = False
            with building_call(self):
                return _LAYER_FORWARD(self, inputs, *args, training=training, mask=mask, **kwargs)

    def _forward_with_arguments(self, inputs, args, kwargs, training, mask):
        """A call with further positional or keyword arguments, passed on to `call` as Keras does
        (`call(self, targets, logits, sample_weights=None)`); `training` and `mask` are filled
        in where `call` takes them and the caller did not give them."""
        if not isinstance(inputs, torch.Tensor):
            inputs = convert_inputs(self, inputs)
        args = tuple(convert_inputs(self, a) if isinstance(a, np.ndarray) else a for a in args)
        if not self.built:
            self._build_wrapper(_build_shape(inputs))     # from the first argument, as Keras' build(input_shape)
        signature = inspect.signature(self.call)
        try:
            bound = signature.bind_partial(inputs, *args, **kwargs)
        except TypeError as e:
            raise TypeError(f"{type(self).__name__} '{self.name}': the arguments do not fit its "
                            f"call{signature}: {e}.") from None
        params = signature.parameters
        call_kwargs = dict(bound.kwargs)
        if "training" in params and "training" not in bound.arguments:
            call_kwargs["training"] = resolve_training(self, training)
        if mask is not None and "mask" in params and "mask" not in bound.arguments:
            call_kwargs["mask"] = mask
        if inputs.is_floating_point() and inputs.dtype is not self._compute_torch_dtype:
            inputs = inputs.to(self._compute_torch_dtype)
        outputs = self.call(inputs, *bound.args[1:], **call_kwargs)
        if self.activity_regularizer is not None:
            self._add_activity_loss(outputs)
        return outputs

    def _add_activity_loss(self, outputs):
        """Keras' activity penalty: one `add_loss` per output tensor, divided by its batch size."""
        from kerastorch.ops._tree import flatten

        for output in (flatten(outputs) if isinstance(outputs, (list, tuple, dict)) else [outputs]):
            if isinstance(output, torch.Tensor):
                loss = self.activity_regularizer(output)
                if output.dim() > 0 and output.shape[0]:
                    loss = loss / output.shape[0]
                self.add_loss(loss)

    def add_loss(self, loss):
        """Adds a scalar loss (or a list of them) while the layer runs, as Keras' `add_loss`.

        Call it inside `call()`. The values are listed in `layer.losses` (and the losses of
        every model holding the layer) until the next top-level call clears them; the
        trainer adds them to the training loss.

        Args:
            loss: A tensor (usually a scalar), or a list/tuple/dict of tensors.

        Raises:
            ValueError: if a value is not a tensor (a number, or a symbolic `KerasTensor`).

        Example:
        >>> import torch
        >>> from kerastorch import layers
        >>> class Penalized(layers.Layer):
        ...     def call(self, inputs):
        ...         self.add_loss(0.5 * torch.sum(inputs))
        ...         return inputs
        >>> layer = Penalized()
        >>> _ = layer(torch.ones(2, 2))
        >>> [float(v) for v in layer.losses]
        [2.0]
        """
        from kerastorch.ops._tree import flatten

        values = flatten(loss) if isinstance(loss, (list, tuple, dict)) else [loss]
        for value in values:
            if not isinstance(value, torch.Tensor):
                raise ValueError(
                    f"{type(self).__name__} '{self.name}': add_loss() takes tensors computed inside "
                    f"build() or call(), got {type(value).__name__} {value!r:.80}. Call add_loss from "
                    "call() on a tensor (e.g. self.add_loss(ops.sum(x))); for a loss over a model's "
                    "outputs, pass loss=... to compile() or override compute_loss()."
                )
        if not _CALL_STATE.collect:
            return
        values = [v for v in values if v.device.type != "meta"]   # a shape trace's stand-in
        if values:
            global ADD_LOSS_USED
            ADD_LOSS_USED = True
            self.__dict__.setdefault("_losses", []).extend(values)
            _LOSS_HOLDERS[id(self)] = self

    def compute_mask(self, inputs, previous_mask=None):
        """The mask to pass on to the next layer: `previous_mask` if masking is supported, else None."""
        return previous_mask if self.supports_masking else None

    def compute_output_shape(self, input_shape):
        """Returns the output shape for `input_shape` (batch axis `None`).

        The default traces the layer on a small zero batch; layers override it with the
        exact rule so that no computation is needed.
        """
        return trace_output_shape(self, input_shape)

    @property
    def losses(self):
        """The losses of the last call, then the weight regularization penalties, as Keras lists them.

        First this layer's `add_loss` values (activity penalties included), then each
        sublayer's in Keras' `_flatten_layers` order, then one penalty per regularized
        trainable weight in `trainable_weights` order. A frozen weight adds no penalty, as in
        Keras (it regularizes `trainable_weights` only).
        """
        out = list(self.__dict__.get("_losses", ()))
        for layer in _flatten_sublayers(self):
            out.extend(layer.__dict__.get("_losses", ()))
        out.extend(self._weight_regularization_losses())
        return out

    # ------------------------------------------------------------------ symbolic shapes
    @property
    def input(self):
        """The symbolic input (a `KerasTensor`) once the layer is part of a built model."""
        if self._input_tensor is None:
            raise AttributeError(
                f"Layer '{self.name}' has no defined input yet: build the model (give it an "
                "input shape, or call it on data) before reading layer.input."
            )
        return self._input_tensor

    @property
    def output(self):
        """The symbolic output (a `KerasTensor`) once the layer is part of a built model."""
        if self._output_tensor is None:
            raise AttributeError(
                f"Layer '{self.name}' has no defined output yet: build the model (give it an "
                "input shape, or call it on data) before reading layer.output."
            )
        return self._output_tensor

    # ------------------------------------------------------------------ dtype policy
    def _set_dtype_policy(self, dtype):
        from kerastorch import mixed_precision

        policy = mixed_precision.get(dtype)
        self._dtype_policy = policy
        self._dtype_name = policy.name
        # What forward() needs per call, resolved once: the compute dtype floating inputs are
        # cast to, and the torch.autocast dtype of a mixed policy (None when not mixed).
        self._compute_torch_dtype = _to_torch_dtype(policy.compute_dtype)
        self._autocast_torch_dtype = policy.autocast_dtype

    @property
    def dtype_policy(self):
        """The layer's `DTypePolicy` (from `dtype=`, else the global policy). Settable, as in Keras."""
        return self._dtype_policy

    @dtype_policy.setter
    def dtype_policy(self, value):
        self._set_dtype_policy(value)

    @property
    def dtype(self):
        """The dtype of the layer's weights (its `variable_dtype`), e.g. `"float32"`."""
        return self._dtype_policy.variable_dtype

    @property
    def variable_dtype(self):
        """The dtype of the layer's weights, from its dtype policy."""
        return self._dtype_policy.variable_dtype

    @property
    def compute_dtype(self):
        """The dtype the layer computes in (floating inputs are cast to it), from its dtype policy."""
        return self._dtype_policy.compute_dtype

    def _cast_input(self, x):
        """`x` in the compute dtype when it is a floating tensor of another dtype, else `x`."""
        if isinstance(x, torch.Tensor) and x.dtype is not self._compute_torch_dtype and x.is_floating_point():
            return x.to(self._compute_torch_dtype)
        return x

    def _call_with_autocast(self, inputs, kwargs):
        """Runs `call` under `torch.autocast` in the compute dtype of a mixed policy.

        Weights stay in `variable_dtype`; autocast runs matmuls and convolutions in the
        compute dtype. Inside an autocast of the same dtype (the trainer's, for a global
        mixed policy) no second context is entered.
        """
        device_type = inputs.device.type if isinstance(inputs, torch.Tensor) else "cpu"
        dtype = self._autocast_torch_dtype
        if torch.is_autocast_enabled(device_type) and torch.get_autocast_dtype(device_type) == dtype:
            outputs = self.call(inputs, **kwargs)
        else:
            with torch.autocast(device_type=device_type, dtype=dtype):
                outputs = self.call(inputs, **kwargs)
        # An op autocast leaves in float32 (torch's GRU kernel): outputs in the compute dtype, as Keras'.
        if isinstance(outputs, torch.Tensor) and outputs.dtype is not dtype and outputs.is_floating_point():
            outputs = outputs.to(dtype)
        return outputs

    # ------------------------------------------------------------------ config
    def get_config(self):
        """Returns the layer's configuration as a JSON-able dict; `from_config` rebuilds the layer."""
        from kerastorch import mixed_precision

        config = {"name": self.name, "trainable": self.trainable,
                  "dtype": mixed_precision.serialize(self._dtype_policy)}
        if self._batch_input_shape is not None:
            config["batch_input_shape"] = list(self._batch_input_shape)
        if self.activity_regularizer is not None:     # as Keras' Layer.get_config writes it
            from kerastorch import regularizers

            config["activity_regularizer"] = regularizers.serialize(self.activity_regularizer)
        return config

    @classmethod
    def from_config(cls, config):
        """Creates a layer from a `get_config()` dict."""
        return cls(**config)

    def extra_repr(self):
        return f"name={self.name!r}"


# Layer's own forward, which `_scoped_forward` runs inside the scope (one call of `forward` per call).
_LAYER_FORWARD = Layer.forward

# TorchModuleWrapper subclasses Layer: imported once Layer exists.
from kerastorch.layers.torch_module_wrapper import TorchModuleWrapper, _SlotProxy  # noqa: E402,F401
