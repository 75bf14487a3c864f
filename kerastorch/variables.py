"""`kerastorch.Variable`: Keras 3's variable API over a torch tensor, whatever layout it is stored in.

A Variable is a handle on one stored tensor (`getattr(owner, attr)`):

- a Variable the user creates, `kerastorch.Variable(initializer, shape=..., dtype=...)`, owns a
  `torch.nn.Parameter` (trainable) on `kerastorch.config.get_device()`;
- a layer's weight (what `layer.weights` returns) is the layer's own parameter or buffer, which
  may be stored in a faster torch layout (the Dense kernel as torch's `(out, in)`, Conv and RNN
  kernels too) behind the layer's `(to_internal, to_keras)` layout pair;
- `optimizer.learning_rate` is the optimizer's 0-d float32 learning-rate tensor.

`value` is always in Keras' layout and shape. For a weight stored in another layout, `value` is
a view of the parameter (autograd flows through it) of a small tensor subclass whose `grad` is
the parameter's `.grad` mapped to Keras' layout, so Keras' torch recipe `v.value.grad` works;
any op on it gives a plain tensor. `assign` writes through the layout into the stored tensor.
"""

import numpy as np
import torch

from kerastorch import config
from kerastorch.backend.dtypes import standardize_dtype
from kerastorch.backend.tensors import convert_to_numpy, convert_to_tensor


def _auto_name(prefix="variable"):
    # Keras' auto_name: "variable", "variable_1", ... (restarted by clear_session).
    from kerastorch.layers.base import unique_name

    return unique_name(prefix)


class _KerasLayoutView(torch.Tensor):
    """A Keras-layout view of a parameter stored in another layout; `.grad` follows the layout.

    Ops on it return plain tensors (no subclass dispatch), so it costs nothing downstream.
    """

    __torch_function__ = torch._C._disabled_torch_function_impl

    @property
    def grad(self):
        """The stored parameter's gradient, in Keras' layout (`None` before `backward()`)."""
        variable = self._kt_variable
        g = variable._stored().grad
        if g is None:
            return None
        return variable._layout()[1](g)

    @grad.setter
    def grad(self, value):
        variable = self._kt_variable
        stored = variable._stored()
        stored.grad = None if value is None else variable._layout()[0](value)

    def __repr__(self, *args, **kwargs):
        return repr(self.as_subclass(torch.Tensor))


_OPS_CACHE = {}


def _op(name, fallback):
    """`kerastorch.ops.<name>` (Keras' result dtypes) when it exists, else the plain torch function."""
    fn = _OPS_CACHE.get(name)
    if fn is None:
        try:
            from kerastorch import ops

            fn = getattr(ops, name, None) or fallback
        except ImportError:   # ops not importable (yet): torch's own arithmetic
            fn = fallback
        _OPS_CACHE[name] = fn
    return fn


def _operand(x):
    """The other side of an operator: Variables give their value, arrays become tensors."""
    if isinstance(x, Variable):
        return x.value
    if isinstance(x, (torch.Tensor, bool, int, float)):
        return x
    return convert_to_tensor(x)


def _binary(name, fallback):
    def forward(self, other):
        try:
            other = _operand(other)
        except (TypeError, ValueError):
            return NotImplemented
        return _op(name, fallback)(self.value, other)

    def reflected(self, other):
        try:
            other = _operand(other)
        except (TypeError, ValueError):
            return NotImplemented
        return _op(name, fallback)(other, self.value)

    return forward, reflected


class Variable:
    """A Keras variable: a named, assignable tensor that layers and optimizers track.

    Create one from a value (numpy array, list, tensor, scalar) or from an initializer and a
    shape; it owns a `torch.nn.Parameter` on `kerastorch.config.get_device()`. `layer.weights`,
    `model.trainable_weights` and `optimizer.learning_rate` return Variables too, with the same
    API; `value` is always in Keras' layout (a Dense kernel is `(input_dim, units)`), `assign`
    writes through to the stored tensor, and after `loss.backward()` `v.value.grad` is the
    gradient in Keras' layout (Keras' torch `train_step` recipe).

    Args:
        initializer: Initial value (array, list, tensor or scalar), or an initializer (name,
            object, or callable taking `shape` and `dtype`).
        shape: Tuple of ints. Required with an initializer; defaults to the value's shape.
        dtype: Dtype name or object. Defaults to the value's dtype, or `floatx()` for an
            initializer.
        trainable: Whether optimizers train it (the parameter requires grad). Defaults to `True`.
        autocast: Whether mixed precision computes with it in the compute dtype (torch's
            autocast does the casting in kerastorch). Defaults to `True`.
        aggregation: One of `"none"`, `"mean"`, `"sum"`, `"only_first_replica"` (or `None`),
            an annotation for distributed training. Defaults to `"none"`.
        synchronization: One of `"auto"`, `"none"`, `"on_read"`, `"on_write"` (or `None`), an
            annotation for distributed training. Defaults to `"auto"`.
        name: String without `/`. Defaults to `"variable"`, `"variable_1"`, ...
        layout: Only `None`: a sharding layout is a JAX-distribution feature; kerastorch shards
            with `kerastorch.distribution`.

    Example:
    >>> import numpy as np
    >>> import kerastorch
    >>> v = kerastorch.Variable(np.ones((2, 2), "float32"), name="w")
    >>> _ = v.assign_add(np.ones((2, 2), "float32"))
    >>> v.numpy()
    array([[2., 2.],
           [2., 2.]], dtype=float32)
    >>> v.path, v.dtype, v.shape
    ('w', 'float32', (2, 2))
    """

    def __init__(self, initializer, shape=None, dtype=None, trainable=True, autocast=True,
                 aggregation="none", synchronization="auto", name=None, layout=None, **kwargs):
        if kwargs:
            raise TypeError(
                f"Variable: unexpected keyword argument(s) {sorted(kwargs)}. Accepted: initializer, "
                "shape, dtype, trainable, autocast, aggregation, synchronization, name."
            )
        if layout is not None:
            raise ValueError(
                f"Variable: `layout`={layout!r} is not supported: sharding layouts belong to Keras' JAX "
                "distribution. On torch, shard a model with kerastorch.distribution.DataParallel("
                "shard_parameters=True)."
            )
        name = _auto_name() if name is None else name
        if not isinstance(name, str) or "/" in name:
            raise ValueError(
                f"Variable: `name` must be a string without '/', got name={name!r}. The path "
                "(layer_name/weight_name) is made by the layer that owns the variable."
            )
        self._init_common(name, _scoped_path(name), _check_choice("aggregation", aggregation,
                                                    ("none", "mean", "sum", "only_first_replica")),
                          _check_choice("synchronization", synchronization,
                                        ("none", "on_read", "on_write", "auto")))
        self._autocast = bool(autocast)
        if isinstance(initializer, str):
            from kerastorch import initializers

            initializer = initializers.get(initializer)
        if callable(initializer) and not isinstance(initializer, (torch.Tensor, np.ndarray)):
            if shape is None:
                raise ValueError(
                    f"Variable '{name}': with an initializer ({initializer!r}), `shape` is required, "
                    "e.g. kerastorch.Variable('ones', shape=(3,))."
                )
            shape = _check_shape(name, shape)
            dtype = standardize_dtype(dtype)
            value = convert_to_tensor(initializer(shape, dtype=dtype), dtype=dtype)
        else:
            if isinstance(initializer, Variable):
                initializer = initializer.value.detach()
            value = convert_to_tensor(initializer, dtype=None if dtype is None else standardize_dtype(dtype))
            if isinstance(initializer, torch.Tensor) and value is initializer:
                value = value.detach().clone()
            if shape is not None and tuple(value.shape) != _check_shape(name, shape):
                raise ValueError(
                    f"Variable '{name}': the initial value has shape {tuple(value.shape)} but "
                    f"shape={tuple(shape)} was given. Pass a value of that shape, or leave shape=None."
                )
        if trainable and not (value.is_floating_point() or value.is_complex()):
            raise ValueError(
                f"Variable '{name}': a {standardize_dtype(value.dtype)} variable cannot be trainable "
                "(gradients need floating point). Pass trainable=False, or a float dtype."
            )
        value = value.to(config.get_device())
        self._param = torch.nn.Parameter(value.detach().contiguous(), requires_grad=bool(trainable))
        self._owner, self._attr = self, "_param"

    def _init_common(self, name, path, aggregation="none", synchronization="auto"):
        self._name = name
        self._path = path
        self._aggregation = aggregation
        self._synchronization = synchronization
        self._autocast = True
        self._overwrite_with_gradient = False
        self._regularizer = None
        self._constraint = None

    @classmethod
    def _wrap(cls, owner, attr, name, path):
        """A Variable over `getattr(owner, attr)` (a layer's weight, an optimizer's scalar)."""
        v = cls.__new__(cls)
        v._init_common(name, path)
        v._owner, v._attr = owner, attr
        return v

    # ------------------------------------------------------------------ storage
    def _stored(self):
        """The tensor as stored (a Parameter or buffer, maybe in a torch layout)."""
        owner = self._owner
        params = owner.__dict__.get("_parameters")
        if params is not None:      # a module: read its registries (the attribute may show this Variable)
            stored = params.get(self._attr)
            if stored is None:
                stored = owner.__dict__["_buffers"].get(self._attr)
            if stored is not None:
                return stored
        return getattr(owner, self._attr)

    def _layout(self):
        """The owner's `(to_internal, to_keras)` pair for this weight, or `None`."""
        layouts = getattr(self._owner, "_weight_layouts", None)
        return layouts.get(self._attr) if layouts else None

    def _keras_tensor(self):
        """The value in Keras' layout, as a plain tensor (a view where the layout allows)."""
        owner = self._owner
        read = getattr(owner, "_keras_value", None)
        if read is not None and owner is not self:
            return read(self._attr)
        return self._stored()

    @property
    def value(self):
        """The current value, a torch tensor in Keras' layout (autograd flows through it)."""
        if self._layout() is None:
            return self._keras_tensor()
        view = self._keras_tensor().as_subclass(_KerasLayoutView)
        view._kt_variable = self
        return view

    def numpy(self):
        """A numpy copy of the value."""
        return np.array(self.__array__())

    def __array__(self, dtype=None, copy=None):
        array = convert_to_numpy(self._keras_tensor())
        if dtype is not None:
            array = array.astype(dtype)
        return array.copy() if copy else array

    def assign(self, value):
        """Sets the value (Keras' layout and shape; cast to the variable's dtype).

        Args:
            value: A tensor, array, list, scalar or Variable of the variable's shape.

        Returns:
            The assigned value, as a tensor.
        """
        stored = self._stored()
        value = _operand(value) if isinstance(value, Variable) else value
        value = convert_to_tensor(value, dtype=standardize_dtype(stored.dtype))
        shape = self.shape
        if tuple(value.shape) != shape:
            raise ValueError(
                f"Variable.assign: variable '{self.path}' has shape {shape}, got a value of shape "
                f"{tuple(value.shape)}. Pass a value of the variable's shape (Keras' layout)."
            )
        layout = self._layout()
        with torch.no_grad():
            stored.copy_((layout[0](value) if layout else value).to(stored.device))
        return value

    def assign_add(self, value):
        """Adds `value` to the variable in place; returns the new value."""
        with torch.no_grad():
            return self.assign(self.value + _operand(value))

    def assign_sub(self, value):
        """Subtracts `value` from the variable in place; returns the new value."""
        with torch.no_grad():
            return self.assign(self.value - _operand(value))

    # ------------------------------------------------------------------ attributes
    @property
    def shape(self):
        """The shape, a tuple of ints in Keras' layout."""
        stored = self._stored()
        if self._layout() is None:
            return tuple(stored.shape)
        return tuple(self._keras_tensor().shape)

    @property
    def ndim(self):
        """The number of axes."""
        return len(self.shape)

    @property
    def dtype(self):
        """The dtype name (`"float32"`)."""
        return standardize_dtype(self._stored().dtype)

    @property
    def trainable(self):
        """Whether optimizers update it (its parameter requires grad); settable."""
        stored = self._stored()
        return isinstance(stored, torch.nn.Parameter) and stored.requires_grad

    @trainable.setter
    def trainable(self, value):
        stored = self._stored()
        if not isinstance(stored, torch.nn.Parameter):
            if value:
                raise ValueError(
                    f"Variable '{self.path}' is stored as a buffer (a non-trainable weight, such as "
                    "a moving statistic) and cannot be made trainable. Create it with "
                    "add_weight(trainable=True)."
                )
            return
        if value and not (stored.is_floating_point() or stored.is_complex()):
            raise ValueError(f"Variable '{self.path}' has dtype {self.dtype} and cannot be trainable.")
        stored.requires_grad_(bool(value))

    @property
    def name(self):
        """The variable's name (a layer weight: its attribute name, e.g. `"kernel"`)."""
        return self._name

    @property
    def path(self):
        """Keras' path: `"layer_name/weight_name"`, with the enclosing models' names first."""
        return self._path

    @property
    def aggregation(self):
        """How a distributed variable is aggregated (an annotation)."""
        return self._aggregation

    @property
    def synchronization(self):
        """How a distributed variable is synchronized (an annotation)."""
        return self._synchronization

    @property
    def overwrite_with_gradient(self):
        """Whether `optimizer.apply` sets the variable to its gradient instead of updating it."""
        return self._overwrite_with_gradient

    @overwrite_with_gradient.setter
    def overwrite_with_gradient(self, value):
        if not isinstance(value, bool):
            raise TypeError(f"`overwrite_with_gradient` must be a boolean, got {value!r}.")
        self._overwrite_with_gradient = value

    @property
    def regularizer(self):
        """The regularizer whose penalty joins the training loss, or `None`."""
        regs = getattr(self._owner, "_regularizers", None)
        if self._owner is not self and regs is not None:
            return regs.get(self._attr)
        return self._regularizer

    @regularizer.setter
    def regularizer(self, value):
        if value is not None and not callable(value):
            raise ValueError(f"Variable '{self.path}': `regularizer` must be a callable (a "
                             f"kerastorch.regularizers.Regularizer) or None, got {value!r}.")
        regs = getattr(self._owner, "_regularizers", None)
        if self._owner is not self and regs is not None:
            if value is None:
                regs.pop(self._attr, None)
            else:
                regs[self._attr] = value
            return
        self._regularizer = value

    @property
    def constraint(self):
        """The constraint applied after each optimizer update, or `None`."""
        cons = getattr(self._owner, "_constraints", None)
        if self._owner is not self and cons is not None:
            return cons.get(self._attr)
        return self._constraint

    @constraint.setter
    def constraint(self, value):
        if value is not None and not callable(value):
            raise ValueError(f"Variable '{self.path}': `constraint` must be a callable (a "
                             f"kerastorch.constraints.Constraint) or None, got {value!r}.")
        cons = getattr(self._owner, "_constraints", None)
        if self._owner is not self and cons is not None:
            if value is None:
                cons.pop(self._attr, None)
            else:
                cons[self._attr] = value
            return
        self._constraint = value

    def __repr__(self):
        try:
            shown = f", value={self.numpy()}"
        except Exception:   # a meta or sharded tensor has no value to show
            shown = ""
        return f"<Variable path={self.path}, shape={self.shape}, dtype={self.dtype}{shown}>"

    # ------------------------------------------------------------------ Python protocol
    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        # torch functions take Variables as their values (torch.matmul(x, v), F.linear(x, v)).
        args = [_unwrap(a) for a in args]
        kwargs = {k: _unwrap(v) for k, v in (kwargs or {}).items()}
        return func(*args, **kwargs)

    def __getitem__(self, idx):
        return self.value[idx]

    def __int__(self):
        if self.ndim:
            raise TypeError(f"Only scalar variables can be converted to Python scalars; "
                            f"variable '{self.path}' has shape {self.shape}.")
        return int(self._keras_tensor().detach())

    def __float__(self):
        if self.ndim:
            raise TypeError(f"Only scalar variables can be converted to Python scalars; "
                            f"variable '{self.path}' has shape {self.shape}.")
        return float(self._keras_tensor().detach())

    def __bool__(self):
        raise TypeError("A Keras Variable cannot be used as a boolean: compare its value, e.g. "
                        "bool(v.numpy() > 0), or use `v is not None`.")

    __hash__ = None   # as Keras: `==` is elementwise, so Variables are not hashable

    def __neg__(self):
        return -self.value

    def __pos__(self):
        return self.value

    def __abs__(self):
        return _op("absolute", torch.abs)(self.value)

    def __invert__(self):
        return ~self.value

    def __round__(self, ndigits=None):
        return _op("round", _torch_round)(self.value, ndigits or 0)

    __eq__, _ = _binary("equal", torch.eq)
    __ne__, _ = _binary("not_equal", torch.ne)
    __lt__, _ = _binary("less", torch.lt)
    __le__, _ = _binary("less_equal", torch.le)
    __gt__, _ = _binary("greater", torch.gt)
    __ge__, _ = _binary("greater_equal", torch.ge)
    __add__, __radd__ = _binary("add", torch.add)
    __sub__, __rsub__ = _binary("subtract", torch.sub)
    __mul__, __rmul__ = _binary("multiply", torch.mul)
    __truediv__, __rtruediv__ = _binary("true_divide", torch.true_divide)
    __floordiv__, __rfloordiv__ = _binary("floor_divide", torch.floor_divide)
    __mod__, __rmod__ = _binary("mod", torch.remainder)
    __pow__, __rpow__ = _binary("power", torch.pow)
    __matmul__, __rmatmul__ = _binary("matmul", torch.matmul)
    # Keras maps &, |, ^ to the logical (boolean) operations.
    __and__, __rand__ = _binary("logical_and", torch.logical_and)
    __or__, __ror__ = _binary("logical_or", torch.logical_or)
    __xor__, __rxor__ = _binary("logical_xor", torch.logical_xor)


def _torch_round(x, decimals=0):
    return torch.round(x, decimals=decimals)


def _unwrap(x):
    if isinstance(x, Variable):
        return x.value
    if isinstance(x, (list, tuple)) and any(isinstance(i, Variable) for i in x):
        return type(x)(i.value if isinstance(i, Variable) else i for i in x)
    return x


def _check_choice(arg, value, allowed):
    if value is None:
        return "none"
    if value not in allowed:
        raise ValueError(f"Variable: `{arg}` must be one of {', '.join(map(repr, allowed))} or None, "
                         f"got {arg}={value!r}.")
    return value


def _check_shape(name, shape):
    try:
        shape = tuple(shape)
    except TypeError:
        shape = None
    if shape is None or any(isinstance(d, (bool, float, str)) or d is None or int(d) < 0 for d in shape):
        raise ValueError(f"Variable '{name}': `shape` must be a tuple of non-negative ints, got "
                         f"{shape!r}.")
    return tuple(int(d) for d in shape)


# ---------------------------------------------------------------------- layers' weights
def layer_variable(layer, attr):
    """The (cached) Variable of weight `attr` of `layer`."""
    cache = layer.__dict__.get("_kt_variables")
    if cache is None:
        cache = layer.__dict__["_kt_variables"] = {}
    variable = cache.get(attr)
    if variable is None:
        paths = layer.__dict__.get("_kt_weight_paths") or {}
        name = (layer.__dict__.get("_kt_weight_names") or {}).get(attr, attr)   # an unnamed weight's Keras name
        path = paths.get(attr) or f"{layer.name}/{name}"
        variable = cache[attr] = Variable._wrap(layer, attr, name, path)
    return variable


def module_variables(holder, module, trainable_only=False):
    """Variables over a plain torch module's parameters (and float buffers), cached on `holder`."""
    cache = holder.__dict__.get("_kt_module_variables")
    if cache is None:
        cache = holder.__dict__["_kt_module_variables"] = {}
    out = []
    entries = [(n, p) for n, p in module.named_parameters()]
    if not trainable_only:
        entries += [(n, b) for n, b in module.named_buffers() if b.is_floating_point()]
    for qualname, tensor in entries:
        if trainable_only and not tensor.requires_grad:
            continue
        variable = cache.get(qualname)
        if variable is None:
            prefix, _, leaf = qualname.rpartition(".")
            owner = module.get_submodule(prefix) if prefix else module
            variable = cache[qualname] = Variable._wrap(owner, leaf, qualname, f"{holder.name}/{qualname}")
        out.append(variable)
    return out


# ---------------------------------------------------------------------- name scopes (paths)
# Keras' name-scope stack: one `(layer, path)` entry per open scope, `path` being the scope's full
# path ("sequential/blocks"). A Variable made now gets the top path, then its name.
_SCOPE = []


class name_scope_of:
    """The name scope of `layer`, as Keras' `Layer._open_name_scope`: weights made inside get its path.

    Keras opens a layer's scope around its build and its calls. The scope's path is the layer's
    parent path, then its name; the parent path is the path open when the layer's scope first
    opened (kept as `_kt_parent_path`), so a layer keeps the path it was first built or called
    with, also when a second parent calls it later. A scope of the layer already on top is not
    opened again (Keras' deduplication: a first call, then the build inside it).

    Args:
        layer: The layer (or model) whose scope to open.

    Example:
    >>> from kerastorch import layers, variables
    >>> outer, inner = layers.Layer(name="outer"), layers.Dense(2, name="inner")
    >>> with variables.name_scope_of(outer):
    ...     inner.build((None, 3))
    >>> [w.path for w in inner.weights]
    ['outer/inner/kernel', 'outer/inner/bias']
    """

    __slots__ = ("layer", "pushed")

    def __init__(self, layer):
        self.layer = layer
        self.pushed = False

    def __enter__(self):
        layer, stack = self.layer, _SCOPE
        if stack and stack[-1][0] is layer:
            return self
        stack.append((layer, scope_path(layer)))
        self.pushed = True
        return self

    def __exit__(self, *exc):
        if self.pushed:
            self.pushed = False
            _SCOPE.pop()
        return False


def scope_path(layer):
    """The path of `layer`'s name scope: its parent path (fixed when its scope first opens), then its name."""
    d = layer.__dict__
    parent = d.get("_kt_parent_path")
    if parent is None:
        parent = d["_kt_parent_path"] = _SCOPE[-1][1] if _SCOPE else ""
    return f"{parent}/{layer.name}" if parent else layer.name


def current_path():
    """The path of the innermost open name scope (`""` when none is open), as Keras' `current_path()`."""
    return _SCOPE[-1][1] if _SCOPE else ""


def _scoped_path(name):
    """Keras' path of a Variable made now: the open scope's path, then `name`."""
    return f"{_SCOPE[-1][1]}/{name}" if _SCOPE else name


def weight_path(layer, name):
    """Keras' path of weight `name` made now by `layer` (`add_weight` opens the layer's scope)."""
    if _SCOPE and _SCOPE[-1][0] is layer:
        return f"{_SCOPE[-1][1]}/{name}"
    d = layer.__dict__
    parent = d.get("_kt_parent_path")       # add_weight's scope does not fix the parent path
    if parent is None:
        parent = _SCOPE[-1][1] if _SCOPE else ""
    return f"{parent}/{layer.name}/{name}" if parent else f"{layer.name}/{name}"


def parameter_and_gradient(variable, grad):
    """`(stored parameter, gradient in its stored layout)` for `optimizer.apply`."""
    if isinstance(variable, Variable):
        stored = variable._stored()
        layout = variable._layout()
    else:
        stored, layout = variable, None
    if grad is None:
        return stored, None
    if not isinstance(grad, torch.Tensor):
        grad = convert_to_tensor(grad)
    if layout is not None:
        grad = layout[0](grad)
    if grad.dtype != stored.dtype or grad.device != stored.device:
        grad = grad.to(dtype=stored.dtype, device=stored.device)
    return stored, grad



def stored_tensor(x):
    """The tensor a Variable stores (a Parameter), or `x` itself when it is not a Variable."""
    return x._stored() if isinstance(x, Variable) else x


__all__ = ["Variable"]
