"""The `Layer` base class.

Its parts live in sibling modules, all importable from here as before: the call context and
`training` resolution (`call_context.py`), what a call does around `call` (`calling.py`), the
weights (`layer_weights.py`, mixed into `Layer`), tracked lists and dicts (`tracking.py`),
`KerasTensor` (`symbolic.py`) and `TorchModuleWrapper` (`torch_module_wrapper.py`); and, mixed
into `Layer` too, its call path (`_layer_call_path.py`: `__call__`, `forward`, `train`/`eval`), its
building and state lock (`_layer_building.py`) and its dtype policy (`_layer_dtype.py`).
"""

import collections
import difflib
import inspect
import re
import sys

import torch

from kerastorch import variables as _variables
# The parts split out of this module, importable from here as before.
from kerastorch.layers import _layer_building, _layer_call_path
from kerastorch.layers._layer_building import (  # noqa: F401
    _EAGER_BUILD, LayerBuilding, _build_by_tracing, _stays_open, _traces_to_build, _unbuilt_sublayers, _wrap_build,
    building_call)
from kerastorch.layers._layer_call_path import LayerCallPath
from kerastorch.layers._layer_dtype import LayerDTypePolicy
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


class Layer(LayerCallPath, LayerBuilding, LayerDTypePolicy, LayerWeights, MetricTracking, torch.nn.Module):
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

    def call(self, inputs, training=None):
        """The layer's computation. Override in subclasses."""
        return inputs

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


# The mixins' modules name `Layer` in code moved from here; it exists only now.
_layer_building.Layer = _layer_call_path.Layer = Layer
_LAYER_FORWARD = _layer_call_path._LAYER_FORWARD     # importable from here, as before the split

# TorchModuleWrapper subclasses Layer: imported once Layer exists.
from kerastorch.layers.torch_module_wrapper import TorchModuleWrapper, _SlotProxy  # noqa: E402,F401
