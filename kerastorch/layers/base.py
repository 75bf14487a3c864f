"""The `Layer` base class, symbolic `KerasTensor` shapes, and `TorchModuleWrapper`."""

import collections
import difflib
import inspect
import re
import sys

import numpy as np
import torch

from kerastorch import variables as _variables

_NAME_COUNTS = collections.defaultdict(int)


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
# Set once any layer adds a loss: the trainer then adds `model.losses` to every loss.
ADD_LOSS_USED = False


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


def stored_weight(layer, name):
    """The tensor stored for weight `name` of `layer` (its Parameter or buffer), also where the
    attribute of that name shows the weight's Variable (a user's `self.w = self.add_weight(name="w")`)."""
    value = layer._parameters.get(name)
    if value is None:
        value = layer._buffers.get(name)
        if value is None:
            value = getattr(layer, name)
            if value.__class__ is _variables.Variable:
                value = value._stored()
    return value


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


def _to_torch_dtype(dtype):
    from kerastorch.backend import dtypes

    return dtypes.to_torch_dtype(dtype)


def _has_array(x):
    """Whether a nested list/tuple holds a tensor, an array or a Variable (several inputs), not only numbers."""
    if isinstance(x, (list, tuple)):
        return any(_has_array(i) for i in x)
    return isinstance(x, (torch.Tensor, np.ndarray, _variables.Variable))


def convert_inputs(layer, x, keep_integers=None):
    """A layer's or model's non-tensor input as tensors, as Keras converts call arguments.

    numpy arrays and (nested) lists of numbers become one tensor: floating data in the layer's
    compute dtype (numpy float64 into a float32 layer gives float32, as in Keras). Integer and
    boolean data keep their dtype for layers that take integer ids (`accepts_integer_inputs`)
    and for layers without float weights, as Keras keeps them; layers with float weights (and
    models, unless `keep_integers`) get them in their compute dtype, the dtype Keras' promotion
    gives their outputs. It lands on the device of the layer's weights (`config.get_device()`
    before it has any). A list holding tensors or arrays is several inputs, each converted.
    Called only for non-tensor inputs: a tensor costs `forward` one `isinstance` check.
    """
    if x is None or isinstance(x, (torch.Tensor, str)):
        return x
    if isinstance(x, _variables.Variable):
        return x.value
    if isinstance(x, dict):
        return {k: convert_inputs(layer, v, keep_integers) for k, v in x.items()}
    if isinstance(x, (list, tuple)) and _has_array(x):
        return type(x)(convert_inputs(layer, v, keep_integers) for v in x)
    from kerastorch import config
    from kerastorch.backend import convert_to_tensor

    ref = next(layer.parameters(), None)
    if ref is None:
        ref = next(layer.buffers(), None)
    device = ref.device if ref is not None else config.get_device()
    try:
        # A list of Python numbers goes through numpy (float64, int64), so that a float64 layer
        # gets every digit; the cast below gives floats the compute dtype.
        tensor = convert_to_tensor(np.asarray(x) if isinstance(x, (list, tuple)) else x)
    except (TypeError, ValueError) as e:
        raise TypeError(
            f"{type(layer).__name__} '{layer.name}' was called on {type(x).__name__} {x!r:.80}, which "
            f"cannot become a tensor ({e}). Call it on a torch tensor, a numpy array or a nested list "
            "of numbers."
        ) from None
    if keep_integers is None and not (tensor.is_floating_point() or tensor.is_complex()):
        # Integer (or bool) data: layers that take ids keep it; so do layers without float
        # weights (Flatten, Activation), as Keras leaves integer inputs alone; layers with
        # weights compute in their float dtype, which is Keras' promoted result too.
        # A user's own layer keeps them, as Keras autocasts floating inputs only (its call uses
        # kerastorch.ops, which promote as Keras does).
        own = type(layer).__module__.startswith("kerastorch.")
        if own and not getattr(layer, "accepts_integer_inputs", False) and tensor.dim():
            if not layer.built:
                layer._build_wrapper((None, *tensor.shape[1:]))
            weights = [*layer.parameters(), *layer.buffers()]
            keep_integers = not any(w.is_floating_point() for w in weights)
        else:
            keep_integers = True
    if not tensor.is_complex() and (tensor.is_floating_point() or not keep_integers):
        dtype = getattr(layer, "_compute_torch_dtype", None) or getattr(torch, config.floatx())
        tensor = tensor.to(dtype=dtype)
    return tensor if tensor.device == device else tensor.to(device)


def _set_output_masks(layer, inputs, outputs, previous_mask):
    """Keras' `_set_mask_metadata`: the outputs of an eager call get `compute_mask`'s masks as
    `_keras_mask` (not while torch.compile traces, and never over a mask already set)."""
    if torch.compiler.is_compiling():
        return
    flat = [outputs] if isinstance(outputs, torch.Tensor) else [
        t for t in (outputs if isinstance(outputs, (list, tuple)) else ()) if isinstance(t, torch.Tensor)]
    if not flat or all(getattr(t, "_keras_mask", None) is not None for t in flat):
        return
    masks = layer.compute_mask(inputs, previous_mask)
    if masks is None:
        return
    masks = [masks] if isinstance(masks, torch.Tensor) else list(masks) if isinstance(masks, (list, tuple)) else []
    for tensor, mask in zip(flat, masks):
        if mask is not None and getattr(tensor, "_keras_mask", None) is None:
            tensor._keras_mask = mask


def _build_shape(inputs):
    """The shape a first call builds with (batch axis `None`); a list of them for a list of inputs (merges)."""
    if isinstance(inputs, (list, tuple)):
        return [_build_shape(x) for x in inputs]
    shape = getattr(inputs, "shape", None)
    return inputs if shape is None else (None, *shape[1:])


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
            and not (layer._modules and not cls.__module__.startswith("kerastorch."))):
        return None
    return layer.call, layer._compute_torch_dtype, "training" in _call_arguments(cls)


def _call_arguments(cls):
    """The keyword arguments a layer's `call` accepts (cached per class)."""
    cached = cls.__dict__.get("_kt_call_args")
    if cached is None:
        params = inspect.signature(cls.call).parameters
        varkw = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())
        cached = (set(params) | ({"training", "mask"} if varkw else set()))
        cls._kt_call_args = cached
    return cached


class Layer(torch.nn.Module):
    """Base class of all kerastorch layers: a `torch.nn.Module` with Keras' layer API.

    Subclass it as in Keras: record the configuration in `__init__`, create weights in
    `build(input_shape)` with `add_weight`, and compute in `call(inputs, training=None)`.
    The layer builds itself on its first call; `compute_output_shape` lets `Sequential`
    infer shapes without data (by default it traces a small zero batch).

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
    >>> Scale()(torch.ones(2, 3)).shape
    torch.Size([2, 3])
    """

    # Subclasses that take integer ids (Embedding) set this so fit() keeps integer data as is.
    accepts_integer_inputs = False
    # Set (on the instance) once the user switches the module's mode with train()/eval().
    _kt_mode_set = False
    # An `InputSpec` (or a list of them) checked on every call when set, as Keras checks it.
    input_spec = None

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
        self._keras_weights = []          # attribute names, in Keras' creation order
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

    # ------------------------------------------------------------------ weights
    def add_weight(self, shape=None, initializer="glorot_uniform", dtype=None, trainable=True,
                   regularizer=None, constraint=None, name=None, layout=None):
        """Creates a weight of the given Keras-layout shape and registers it on the module.

        Trainable weights become `torch.nn.Parameter`s, others buffers (like BatchNorm's
        moving statistics). `get_weights()` returns weights in the order they were added.

        Args:
            shape: Tuple of ints, in Keras' layout (Dense kernel `(in, out)`).
            initializer: Initializer name, object or callable `(shape, dtype) -> tensor`.
                Defaults to `"glorot_uniform"`.
            dtype: Dtype of the weight. Defaults to the layer's `variable_dtype` (from its
                dtype policy: `floatx()` unless the layer or the global policy says otherwise).
            trainable: Whether the optimizer updates it. Defaults to `True`.
            regularizer: Optional regularizer; its penalty is added to the training loss.
            constraint: Optional constraint, applied after each optimizer step.
            name: Attribute name of the weight (unique within the layer).
            layout: Optional pair `(to_internal, to_keras)` of functions mapping the
                Keras-layout tensor to the stored one and back, for layers that store a
                weight in a faster torch layout.

        Returns:
            The weight's `kerastorch.Variable` (the one `layer.weights` lists), as Keras'
            `add_weight` returns it: `self.w = self.add_weight(...)` then `self.w.assign(...)`,
            `ops.matmul(x, self.w)`. (kerastorch's own layers get the stored tensor.)
        """
        from kerastorch import initializers, regularizers, constraints

        shape = tuple(int(d) for d in (shape or ()))
        if name is None:
            name = f"variable_{len(self._keras_weights)}"
        if name in self._keras_weights:
            raise ValueError(f"Layer '{self.name}': a weight named {name!r} already exists.")
        init = initializers.get(initializer)
        dtype = self._dtype_policy.variable_dtype if dtype is None else dtype
        torch_dtype = _to_torch_dtype(dtype)
        value = torch.as_tensor(init(shape, dtype=dtype))
        if value.dtype != torch_dtype:    # an initializer that ignores `dtype` (a lambda, a tensor)
            value = value.to(torch_dtype)
        if layout is not None:
            value = layout[0](value)
            self._weight_layouts[name] = layout
        value = value.contiguous()
        path = _variables.weight_path(self, name)   # Keras' path: enclosing models' names first
        self.__dict__.setdefault("_kt_weight_paths", {})[name] = path
        if trainable:
            param = torch.nn.Parameter(value, requires_grad=self._trainable)
            param.path = path   # read by exclude_from_weight_decay
            if layout is not None:   # axis-aware optimizers (Adafactor) read the weight in Keras' layout
                from kerastorch.optimizers import _layouts
                _layouts.register(param, self, name)
            self.register_parameter(name, param)
        else:
            self.register_buffer(name, value)
        self._keras_weights.append(name)
        if regularizer is not None:
            self._regularizers[name] = regularizers.get(regularizer)
        if constraint is not None:
            self._constraints[name] = constraints.get(constraint)
        if sys._getframe(1).f_globals.get("__name__", "").startswith("kerastorch."):
            return getattr(self, name)      # kerastorch's own layers: the raw tensor, their fast path
        return _variables.layer_variable(self, name)

    def _keras_value(self, name):
        """The weight `name` as a tensor in Keras' layout (a view where possible)."""
        value = stored_weight(self, name)
        layout = self._weight_layouts.get(name)
        return layout[1](value) if layout else value

    @property
    def weights(self):
        """All weights of the layer (and its sublayers) as `kerastorch.Variable`s, in Keras' order.

        Each Variable's `value` is in Keras' layout, whatever layout the weight is stored in.
        """
        out = [_variables.layer_variable(self, n) for n in self._keras_weights]
        for child in self._sublayers():
            out.extend(child.weights)
        return out

    @property
    def trainable_weights(self):
        """The Variables the optimizer updates, in Keras' order."""
        if not self.trainable:
            return []
        out = []
        for n in self._keras_weights:
            value = stored_weight(self, n)
            if isinstance(value, torch.nn.Parameter) and value.requires_grad:
                out.append(_variables.layer_variable(self, n))
        for child in self._sublayers():
            out.extend(child.trainable_weights)
        return out

    @property
    def non_trainable_weights(self):
        """The Variables the optimizer does not update (frozen ones and moving statistics)."""
        if not self.trainable:
            return self.weights
        out = []
        for n in self._keras_weights:
            value = stored_weight(self, n)
            if not (isinstance(value, torch.nn.Parameter) and value.requires_grad):
                out.append(_variables.layer_variable(self, n))
        for child in self._sublayers():
            out.extend(child.non_trainable_weights)
        return out

    @property
    def variables(self):
        """All the layer's Variables (Keras: weights plus non-weight state; here the weights)."""
        return self.weights

    @property
    def trainable_variables(self):
        """The trainable Variables (`trainable_weights`)."""
        return self.trainable_weights

    @property
    def non_trainable_variables(self):
        """The non-trainable Variables (`non_trainable_weights`)."""
        return self.non_trainable_weights

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
        if cls in _CONTAINER_TYPES and "_modules" in self.__dict__:
            value = _track_container(self, name, value)
        elif cls is _variables.Variable and value._owner is self and value._attr == name:
            # `self.w = self.add_weight(name="w")`: the Parameter (or buffer) stays registered
            # under its name for torch (state_dict, the optimizer); the attribute is the Variable.
            self.__dict__[name] = value
            return
        shown = self.__dict__.get(name)
        if shown is not None and shown.__class__ is _variables.Variable:
            del self.__dict__[name]     # the attribute set to something else: the Variable goes
        torch.nn.Module.__setattr__(self, name, value)

    def _weight_slots(self):
        """(layer, name) pairs for every Keras weight, sublayers included, in Keras' order."""
        slots = [(self, n) for n in self._keras_weights]
        for child in self._sublayers():
            slots.extend(child._weight_slots())
        return slots

    def get_weights(self):
        """Returns the weights as a list of numpy arrays, in Keras' layout and order.

        Example:
        >>> from kerastorch import layers
        >>> layer = layers.Dense(4)
        >>> layer.build((None, 3))
        >>> tuple(w.shape for w in layer.get_weights())
        ((3, 4), (4,))
        """
        return [owner._keras_value(n).detach().cpu().numpy().copy() for owner, n in self._weight_slots()]

    def set_weights(self, weights):
        """Sets the weights from a list of arrays in Keras' layout and order (`get_weights()`'s).

        Args:
            weights: List of numpy arrays (or tensors), one per weight.

        Raises:
            ValueError: if the count or a shape does not match; no weight is changed then.
        """
        slots = self._weight_slots()
        weights = list(weights)
        if len(weights) != len(slots):
            names = [f"{layer.name}/{n}" for layer, n in slots]
            raise ValueError(
                f"Layer '{self.name}' expects {len(slots)} weight arrays ({', '.join(names) or 'none'}), "
                f"got {len(weights)}. Pass the list returned by get_weights() of a layer of the same "
                "configuration." + ("" if self.built else " The layer is not built yet: call "
                                    "layer.build(input_shape) or run it on data first.")
            )
        converted = []
        for (layer, n), value in zip(slots, weights):
            current = layer._keras_value(n)
            arr = torch.as_tensor(np.asarray(value) if not isinstance(value, torch.Tensor) else value)
            if tuple(arr.shape) != tuple(current.shape):
                raise ValueError(
                    f"Layer '{layer.name}', weight '{n}': expected shape {tuple(current.shape)} "
                    f"(Keras layout), got {tuple(arr.shape)}. No weight was changed."
                )
            converted.append((layer, n, arr))
        with torch.no_grad():
            for layer, n, arr in converted:
                stored = stored_weight(layer, n)
                layout = layer._weight_layouts.get(n)
                value = layout[0](arr) if layout else arr
                stored.copy_(value.to(dtype=stored.dtype, device=stored.device))

    def count_params(self):
        """Returns the number of scalars in the layer's weights.

        Raises:
            ValueError: if the layer is not built yet (its weights do not exist).
        """
        if not self.built:
            raise ValueError(
                f"Layer '{self.name}' is not built yet, so its weights do not exist. "
                "Call layer.build(input_shape), or give the model an input shape first."
            )
        return int(sum(int(np.prod(w.shape)) for w in self.weights))

    # ------------------------------------------------------------------ trainable
    @property
    def trainable(self):
        """Whether the optimizer updates this layer's weights. Setting it to `False` freezes them."""
        return self._trainable

    @trainable.setter
    def trainable(self, value):
        self._trainable = bool(value)
        for p in self.parameters():
            p.requires_grad_(self._trainable)
        for child in self._sublayers():
            child.trainable = value

    # ------------------------------------------------------------------ building and calling
    def build(self, input_shape):
        """Creates the layer's weights once the input shape is known. Override in subclasses.

        Args:
            input_shape: Tuple with `None` for the batch axis.
        """
        self.built = True

    def _build_at_init(self):
        """Keras' `_build_at_init`: a layer without state whose `build` is not overridden is built
        at construction (Dropout, poolings, activations), so `summary()` shows it built before a call."""
        if type(self).build is Layer.build:
            self.built = True

    def _build_wrapper(self, input_shape):
        if not self.built:
            with _variables.name_scope_of(self):
                self.build(tuple(input_shape))
            self.built = True
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
        if args or kwargs:      # a call(...) taking more than one tensor or its own arguments
            return self._forward_with_arguments(inputs, args, kwargs, training, mask)
        if not isinstance(inputs, torch.Tensor):
            inputs = convert_inputs(self, inputs)
        if self.input_spec is not None:
            from kerastorch.layers.input_spec import check_input_spec

            check_input_spec(self, inputs)
        if not self.built:
            # Weights created while the layer builds or first runs (sublayers built in `call`)
            # get its name in their path, as Keras' name scopes give them.
            with _variables.name_scope_of(self):
                self._build_wrapper(_build_shape(inputs))
                return Layer.forward(self, inputs, training=training, mask=mask)
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

    def _forward_with_arguments(self, inputs, args, kwargs, training, mask):
        """A call with further positional or keyword arguments, passed on to `call` as Keras does
        (`call(self, targets, logits, sample_weights=None)`); `training` and `mask` are filled
        in where `call` takes them and the caller did not give them."""
        if not isinstance(inputs, torch.Tensor):
            inputs = convert_inputs(self, inputs)
        args = tuple(convert_inputs(self, a) if isinstance(a, np.ndarray) else a for a in args)
        if not self.built:
            with _variables.name_scope_of(self):
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

    def _weight_regularization_losses(self):
        if not self.trainable:
            return []
        out = [reg(self._keras_value(n)) for n, reg in self._regularizers.items()
               if getattr(stored_weight(self, n), "requires_grad", False)]
        for child in self._sublayers():
            out.extend(child._weight_regularization_losses())
        return out

    def _apply_constraints(self):
        with torch.no_grad():
            for n, constraint in self._constraints.items():
                stored = stored_weight(self, n)
                layout = self._weight_layouts.get(n)
                value = constraint(self._keras_value(n))
                stored.copy_(layout[0](value) if layout else value)

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


_CONTAINER_TYPES = (list, tuple, dict)
_HOLDER = "_kt_tracked_"     # prefix of the module holding the layers of a tracked attribute


class _Tracked:
    """Shared by TrackedList and TrackedDict: after each change, the owner's holder module of the
    container's layers (nested lists and dicts too) is made again, so torch sees them."""

    def _kt_bind(self, owner, name):
        self._kt_owner, self._kt_name = owner, name
        self._kt_sync()

    def _kt_sync(self):
        owner = getattr(self, "_kt_owner", None)
        if owner is not None and owner.__dict__.get(self._kt_name) is self:
            _register(owner, self._kt_name, self)


def _register(owner, name, container):
    """Registers the layers of `container` not yet held for attribute `name`, in a new holder at the end
    of the owner's modules: layers are listed in the order they were tracked, as Keras lists them, and
    stay tracked when the attribute is set to something else, as in Keras."""
    base = _HOLDER + name
    held = {id(m) for key, holder in owner._modules.items() if key == base or key.startswith(base + "~")
            for m in holder._modules.values()}
    new = [m for m in _contents(container) if id(m) not in held]
    if base not in owner._modules:
        owner._modules[base] = torch.nn.ModuleList(new)
    elif new:
        count = sum(1 for key in owner._modules if key.startswith(base + "~"))
        owner._modules[f"{base}~{count + 1}"] = torch.nn.ModuleList(new)


def _synced(method):
    def wrapper(self, *args, **kwargs):
        result = method(self, *args, **kwargs)
        self._kt_sync()
        return self if method.__name__.startswith("__i") else result
    wrapper.__name__ = method.__name__
    return wrapper


class TrackedList(_Tracked, list):
    """A list set as a layer's attribute (`self.blocks = []`, then `append`): a list, whose layers
    are tracked as Keras tracks them (in `layer.weights`, the optimizer, the weights file as
    `<attribute>/<snake_class>[_n]`). It may hold other values too."""

    for _name in ("append", "extend", "insert", "remove", "pop", "clear", "sort", "reverse",
                  "__setitem__", "__delitem__", "__iadd__", "__imul__"):
        locals()[_name] = _synced(getattr(list, _name))
    del _name


class TrackedDict(_Tracked, dict):
    """A dict set as a layer's attribute (`self.heads = {"a": ...}`), its layers tracked as Keras does."""

    for _name in ("__setitem__", "__delitem__", "update", "setdefault", "pop", "popitem", "clear"):
        locals()[_name] = _synced(getattr(dict, _name))
    del _name


def _contents(value):
    if isinstance(value, torch.nn.Module):
        return [value]
    items = value.values() if isinstance(value, dict) else value if isinstance(value, (list, tuple)) else ()
    return [m for item in items for m in _contents(item)]


def _track_container(owner, name, value):
    """A list, dict or tuple set on a layer by user code, its layers made visible to torch.

    A list becomes a `TrackedList`, a dict a `TrackedDict` (still a list and a dict: later
    `append`s are tracked too); a tuple stays a tuple. Containers kerastorch sets itself
    (a model's stack, the trainer's lists) are left alone.
    """
    import sys

    if sys._getframe(2).f_globals.get("__name__", "").startswith("kerastorch."):
        return value
    if isinstance(value, list):
        tracked = TrackedList(value)
    elif isinstance(value, dict):
        tracked = TrackedDict(value)
    else:
        if _contents(value):
            _register(owner, name, value)
        return value
    owner.__dict__[name] = tracked         # so that the binding sees it as the attribute
    tracked._kt_bind(owner, name)
    return tracked


def _flatten_sublayers(layer):
    """The sublayers in Keras' `_flatten_layers` order (each once; a layer's children go first
    in the queue, in reverse, as Keras' `deque.extendleft` puts them)."""
    out, seen = [], {id(layer)}
    queue = collections.deque(layer._sublayers())
    while queue:
        sub = queue.popleft()
        if id(sub) in seen:
            continue
        seen.add(id(sub))
        out.append(sub)
        queue.extendleft(sub._sublayers())
    return out


def _trace_once(layer, input_shape, fill):
    shape = [2] + [fill if d is None else int(d) for d in input_shape[1:]]
    params = list(layer.parameters()) + list(layer.buffers())
    device = params[0].device if params else torch.device("cpu")
    dtype = torch.long if getattr(layer, "accepts_integer_inputs", False) else torch.float32
    was_training = layer.training
    layer.eval()
    try:
        with torch.no_grad(), no_loss_collection():
            out = layer(torch.zeros(shape, dtype=dtype, device=device))
    finally:
        layer.train(was_training)
    if isinstance(out, (tuple, list)):
        return [tuple(o.shape) for o in out]
    return tuple(out.shape)


def trace_output_shape(layer, input_shape):
    """Finds a layer's output shape by running it on zeros; axes that vary with a `None` input axis become `None`."""
    first = _trace_once(layer, input_shape, 3)
    if any(d is None for d in input_shape[1:]):
        second = _trace_once(layer, input_shape, 5)
    else:
        second = first

    def merge(a, b):
        return (None,) + tuple(x if x == y else None for x, y in zip(a[1:], b[1:]))

    if isinstance(first, list):
        return [merge(a, b) for a, b in zip(first, second)]
    return merge(first, second)


class TorchModuleWrapper(Layer):
    """Wraps any `torch.nn.Module` as a layer, so it can sit inside a `Sequential`.

    The module is used as is (its own layout, initialisation and parameters); its
    output shape is found by tracing a small batch. `Sequential` wraps plain modules
    automatically.

    Args:
        module: The `torch.nn.Module` to wrap.
        name: Optional layer name. Defaults to `torch_module_wrapper`, `..._1`, ...

    Example:
    >>> import torch
    >>> from kerastorch import layers
    >>> layer = layers.TorchModuleWrapper(torch.nn.Linear(3, 2))
    >>> layer.compute_output_shape((None, 3))
    (None, 2)
    """

    def __init__(self, module, name=None, **kwargs):
        super().__init__(name=name, **kwargs)
        if not isinstance(module, torch.nn.Module):
            raise TypeError(f"TorchModuleWrapper expects a torch.nn.Module, got {type(module).__name__}.")
        self.module = module
        # As Keras: built at construction (the module holds its weights), unless a lazy module
        # still waits for its first input.
        lazy = isinstance(module, torch.nn.modules.lazy.LazyModuleMixin) and module.has_uninitialized_params()
        self.built = not lazy

    def build(self, input_shape):
        self.built = True

    def call(self, inputs, training=None):
        return self.module(inputs)

    def _module_tensors(self):
        return list(self.module.parameters()) + [b for b in self.module.buffers() if b.is_floating_point()]

    @property
    def weights(self):
        return _variables.module_variables(self, self.module)

    @property
    def trainable_weights(self):
        return _variables.module_variables(self, self.module, trainable_only=True) if self.trainable else []

    @property
    def non_trainable_weights(self):
        return [v for v in self.weights if not (self.trainable and v.trainable)]

    def _weight_slots(self):
        return [(_SlotProxy(self, w), "value") for w in self._module_tensors()]

    def count_params(self):
        return int(sum(int(np.prod(w.shape)) for w in self._module_tensors()))

    def get_config(self):
        return {**super().get_config(), "module": repr(self.module)}


class _SlotProxy:
    """Lets set_weights() address a wrapped module's tensors like Layer attributes."""

    def __init__(self, owner, tensor):
        self.name = owner.name
        self.value = tensor
        self._weight_layouts = {}

    def _keras_value(self, name):
        return self.value
