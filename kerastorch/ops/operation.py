"""`kerastorch.ops` functions as graph nodes: Keras' `Operation` classes, one per op.

When an op meets a `KerasTensor`, it is recorded the way Keras records it: as an instance of the
op's Keras class (`ops.sum(x, axis=1)` is a `Sum` with config `{"name": "sum", "axis": 1,
"keepdims": False}`, called on `x`; `x + 1` is an `Add` called on `(x, 1)`), so a Functional
config written here names the same classes, configs and node arguments as one written by Keras,
and each library loads the other's. Which arguments of the function go to the class's config and
which to its call comes from the table in `_keras_classes.py` (generated from Keras' source).
An op Keras does not record symbolically gets a class named after it, in module
`kerastorch.ops` (kerastorch reads it back; Keras cannot).

Classes are made on first use and live in this module (`operation.Sum`), so models holding them
pickle. The eager op function runs when the graph runs: `Sum(axis=1)(tensor)` is
`ops.sum(tensor, axis=1)`.

Example:
>>> import kerastorch
>>> from kerastorch import ops
>>> x = kerastorch.Input(shape=(4, 3))
>>> y = ops.sum(x, axis=1)
>>> op = y._keras_history.operation
>>> type(op).__name__, op.get_config()
('Sum', {'name': 'sum', 'axis': 1, 'keepdims': False})
"""

import inspect

from kerastorch.layers.symbolic import KerasTensor, Node, any_symbolic, inbound_nodes, trace

_CLASSES = {}          # class name -> Operation subclass
_BY_FUNCTION = {}      # op function name -> Operation subclass
_SIGNATURES = {}
_KERAS_INDEX = None    # Keras class name -> op function name


def _get_item(x, key):
    """`ops.get_item(x, key)` as Keras' `GetItem` runs it: a list key is a tuple (`[a, b]` is `x[a, b]`)."""
    from kerastorch import ops

    if isinstance(key, list):
        key = tuple(key)
    return ops.get_item(x, key)


def _table():
    from kerastorch.ops._keras_classes import OPS

    return OPS


def _function(name):
    if name == "get_item":
        return _get_item
    from kerastorch import ops

    fn = getattr(ops, name, None)
    if fn is None:
        from kerastorch.ops import image

        fn = getattr(image, name, None)
    if fn is None:
        raise ValueError(f"kerastorch.ops has no function {name!r}.")
    return fn


def _signature(fn):
    sig = _SIGNATURES.get(fn)
    if sig is None:
        sig = _SIGNATURES[fn] = inspect.signature(fn)
    return sig


def _camel(name):
    return "".join(part[:1].upper() + part[1:] for part in name.split("_"))


def _snake(name):
    from kerastorch.layers.base import _snake_case

    return _snake_case(name)


class Operation:
    """A call of a `kerastorch.ops` function recorded in a graph (Keras' `keras.Operation`).

    Subclasses stand for one op each (`Sum`, `Add`, `Relu`, ...). An instance holds the op's
    config (the arguments Keras passes to the class's constructor, by Keras' names); calling it
    runs the op on tensors, or records a new node on KerasTensors.

    Args:
        name: Optional name. Defaults to the snake-case class name with a counter (`sum`, `sum_1`).
        **config: The op's constructor arguments (e.g. `axis=1, keepdims=False` for `Sum`).

    Example:
    >>> import torch
    >>> from kerastorch.ops import operation
    >>> operation.operation_class("sum")(axis=0)(torch.ones(2, 3)).tolist()
    [2.0, 2.0, 2.0]
    """

    _fn_name = None          # the kerastorch.ops function
    _keras_module = None     # "numpy", "nn", ... (keras.src.ops.<module>); None: kerastorch only
    _init = ()               # ((config name, function argument or None, default), ...)
    _args = None             # function arguments the call takes positionally; None: as called
    _kwargs = ()             # ((call keyword, function argument), ...)

    def __init__(self, name=None, **config):
        from kerastorch.layers.base import unique_name

        if name is not None and (not isinstance(name, str) or "/" in name):
            raise ValueError(f"{type(self).__name__}: `name` must be a string without '/', got {name!r}.")
        known = {c for c, _, _ in self._init if c != "**"}
        if self._args is not None and "**" not in {c for c, _, _ in self._init}:
            unknown = sorted(set(config) - known)
            if unknown:
                raise TypeError(f"Operation {type(self).__name__}: unexpected config keys {unknown}; it takes "
                                f"{sorted(known) or 'none'}.")
        self.name = name or unique_name(_snake(type(self).__name__))
        self._config = config
        self.__dict__["_inbound_nodes"] = []
        if type(self).__name__ == "ExtractPatches":
            _specialize_extract_patches(self)

    # ------------------------------------------------------------------ config
    def get_config(self):
        """`{"name": ..., **constructor arguments}`, as Keras' `Operation.get_config`."""
        if type(self).__name__ == "ExtractPatches":      # Keras' own get_config: no name
            return dict(self._config)
        return {"name": self.name, **self._config}

    @classmethod
    def from_config(cls, config):
        """Creates the op from `get_config()` output."""
        return cls(**config)

    # ------------------------------------------------------------------ calling
    def _fn(self):
        return _function(self._fn_name)

    def _arguments(self, args, kwargs):
        """The op function's arguments, by name, for a call of this op on `args`, `kwargs`."""
        values = {}
        for config_name, arg, _ in self._init:
            if config_name == "**":
                values[arg] = {k: v for k, v in self._config.items()
                               if k not in {c for c, _, _ in self._init}}
            elif arg is not None and config_name in self._config:
                values[arg] = self._config[config_name]
        for i, arg in enumerate(self._args):
            if arg.startswith("*"):
                values[arg[1:]] = tuple(args[i:])
                break
            if i < len(args):
                values[arg] = args[i]
        mapped = dict(self._kwargs)
        for key, value in kwargs.items():
            if key in mapped:
                values[mapped[key]] = value
            elif "**" in mapped:
                values.setdefault(mapped["**"], {})[key] = value
            else:
                values[key] = value
        return values

    def _invoke(self, args, kwargs):
        fn = self._fn()
        if self._args is None:
            return fn(*args, **kwargs)
        values = self._arguments(args, kwargs)
        params = _signature(fn).parameters.values()
        if not any(p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD) for p in params):
            return fn(**values)
        positional, keywords = [], {}
        for p in params:
            if p.kind is p.VAR_POSITIONAL:
                positional.extend(values.get(p.name, ()))
            elif p.kind is p.VAR_KEYWORD:
                keywords.update(values.get(p.name, {}))
            elif p.kind is p.KEYWORD_ONLY:
                if p.name in values:
                    keywords[p.name] = values[p.name]
            else:
                positional.append(values.get(p.name, p.default))
        return fn(*positional, **keywords)

    def _invoke_fn(self):
        """The callable that runs the op on tensors in a Functional model's plan (set up once).

        A bound method (so models pickle): positional node arguments go straight to their
        parameters, the config's values are prepared here, once.
        """
        fn = self._fn()
        if self._args is not None and not any(n.startswith("*") for n in self._args) and not self._kwargs \
                and not any(p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD) for p in _signature(fn).parameters.values()):
            self._fast_static = self._arguments((), {})
            self._fast_fn = fn
            return self._call_fast
        return self._call_tensors

    def _call_fast(self, *args, **kwargs):
        if kwargs or len(args) > len(self._args):
            return self._invoke(args, kwargs)
        values = dict(self._fast_static)
        values.update(zip(self._args, args))
        return self._fast_fn(**values)

    def _call_tensors(self, *args, **kwargs):
        return self._invoke(args, kwargs)

    def __call__(self, *args, **kwargs):
        if any_symbolic(args, kwargs):
            return self.symbolic_call(*args, **kwargs)
        return self._invoke(args, kwargs)

    def symbolic_call(self, *args, **kwargs):
        """Infers the outputs of a call on KerasTensors and records it as a node; returns them."""
        try:
            outputs = trace(lambda *a, **k: self._invoke(a, k), args, kwargs)
        except Exception as e:  # noqa: BLE001 - name the op and the inputs
            from kerastorch.layers.base import format_shape

            shapes = [format_shape(a.shape) if isinstance(a, KerasTensor) else repr(a)[:40]
                      for a in args if not callable(a)]
            kind = TypeError if isinstance(e, TypeError) else ValueError
            raise kind(f"ops.{self._fn_name or _snake(type(self).__name__)} cannot be computed on symbolic "
                       f"inputs {', '.join(shapes)}: {e}") from e
        Node(self, args, kwargs, outputs)
        return outputs

    @property
    def input(self):
        """The input(s) of the op's first call."""
        nodes = inbound_nodes(self)
        if not nodes:
            raise AttributeError(f"Operation '{self.name}' has never been called and has no input.")
        tensors = nodes[0].input_tensors
        return tensors[0] if len(tensors) == 1 else tensors

    @property
    def output(self):
        """The output(s) of the op's first call."""
        nodes = inbound_nodes(self)
        if not nodes:
            raise AttributeError(f"Operation '{self.name}' has never been called and has no output.")
        tensors = nodes[0].outputs
        return tensors[0] if len(tensors) == 1 else tensors

    def count_params(self):
        """0: ops have no weights."""
        return 0

    built = True
    weights = trainable_weights = non_trainable_weights = ()

    def __repr__(self):
        return f"<Operation name={self.name}>"


def operation_class(fn_name):
    """The `Operation` subclass recording `kerastorch.ops.<fn_name>` (made on first use).

    Args:
        fn_name: The op function's name, e.g. `"sum"` (or `"get_item"` for indexing).

    Returns:
        The class, named as Keras names it (`Sum`), or after the function for ops Keras does not
        record symbolically.
    """
    cls = _BY_FUNCTION.get(fn_name)
    if cls is not None:
        return cls
    entry = _table().get(fn_name)
    if entry is None:
        attrs = {"_fn_name": fn_name}
        class_name = _camel(fn_name)
    else:
        module, class_name, init, args, kwargs = entry
        attrs = {"_fn_name": fn_name, "_keras_module": module, "_init": init, "_args": args, "_kwargs": kwargs}
    if class_name in _CLASSES:          # an alias (swish is silu): one class
        cls = _CLASSES[class_name]
    else:
        attrs.update(__module__=__name__, __qualname__=class_name,
                     __doc__=f"The graph node of `kerastorch.ops.{fn_name}` (Keras' `{class_name}`).")
        cls = type(class_name, (Operation,), attrs)
        _CLASSES[class_name] = cls
    _BY_FUNCTION[fn_name] = cls
    return cls


def _by_keras_class():
    global _KERAS_INDEX
    if _KERAS_INDEX is None:
        _KERAS_INDEX = {}
        for fn_name, entry in sorted(_table().items()):
            _KERAS_INDEX.setdefault(entry[1], fn_name)
    return _KERAS_INDEX


def keras_class(module, class_name):
    """The `Operation` subclass for Keras' `keras.src.ops.<module>.<class_name>`, or `None`.

    Args:
        module: The config's `module`, e.g. `"keras.src.ops.numpy"` (or `"kerastorch.ops"`).
        class_name: E.g. `"Sum"`.
    """
    if class_name in _CLASSES:
        return _CLASSES[class_name]
    fn_name = _by_keras_class().get(class_name)
    if fn_name is not None and (module is None or module.endswith(_table()[fn_name][0])):
        return operation_class(fn_name)
    if module == "kerastorch.ops":
        fn_name = _snake(class_name)
        try:
            _function(fn_name)
        except ValueError:
            return None
        return operation_class(fn_name)
    return None


def __getattr__(name):
    # Unpickling finds `operation.Sum` here before any `Sum` was made in this process.
    if name[:1].isupper():
        cls = keras_class(None, name)
        if cls is None:
            cls = keras_class("kerastorch.ops", name)
        if cls is not None:
            return cls
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def symbolic_op_call(fn_name, args, kwargs):
    """Records `kerastorch.ops.<fn_name>(*args, **kwargs)` on KerasTensors as Keras does; returns the outputs.

    Called by `keras_op` when an op meets a KerasTensor, and by KerasTensor's operators.
    """
    cls = operation_class(fn_name)
    entry = _table().get(fn_name)
    if entry is None:
        return cls()(*args, **kwargs) if any_symbolic(args, kwargs) else cls()._invoke(args, kwargs)
    _, _, init, call_args, call_kwargs = entry       # this function's own names (aliases share classes)
    fn = _function(fn_name)
    try:
        bound = _signature(fn).bind(*args, **kwargs)
    except TypeError as e:
        raise TypeError(f"ops.{fn_name}: {e}") from None
    bound.apply_defaults()
    values = bound.arguments
    config = {}
    for config_name, arg, default in init:
        if config_name == "**":
            config.update(values.get(arg) or {})
        else:
            config[config_name] = default if arg is None else values.get(arg, default)
    node_args = []
    for arg in call_args:
        if arg.startswith("*"):
            node_args.extend(values.get(arg[1:], ()))
        else:
            node_args.append(values.get(arg))
    node_kwargs = {}
    for key, arg in call_kwargs:
        if key == "**":
            node_kwargs.update(values.get(arg) or {})
        else:
            node_kwargs[key] = values.get(arg)
    _normalize(fn_name, config)
    return cls(**config).symbolic_call(*node_args, **node_kwargs)


# Arguments Keras' op functions standardize before making the op, so its config holds them so.
_DTYPE_OR_NONE = {"arange", "array", "view", "cumprod", "cumsum", "empty_like", "full", "full_like", "geomspace",
                  "logspace", "ones_like", "zeros_like", "prod", "convert_to_tensor"}
_DTYPE = {"one_hot", "multi_hot", "cast", "saturate_cast"}
_DATA_FORMAT = {"max_pool", "average_pool", "conv", "depthwise_conv", "separable_conv", "conv_transpose",
                "depth_to_space", "space_to_depth", "adaptive_max_pool", "adaptive_average_pool"}
_PADDING = {"max_pool", "average_pool", "conv", "depthwise_conv", "separable_conv", "conv_transpose"}


def _normalize(fn_name, config):
    from kerastorch import config as settings
    from kerastorch.backend import standardize_dtype

    if fn_name in _DTYPE_OR_NONE and config.get("dtype") is not None:
        config["dtype"] = standardize_dtype(config["dtype"])
    if fn_name in _DTYPE:
        config["dtype"] = standardize_dtype(config.get("dtype"))
    if fn_name in _DATA_FORMAT and config.get("data_format") is None:
        config["data_format"] = settings.image_data_format()
    if fn_name in _PADDING and isinstance(config.get("padding"), str):
        config["padding"] = config["padding"].lower()
    if fn_name == "scatter_update" and isinstance(config.get("reduction"), str):
        config["reduction"] = config["reduction"].lower()
    if fn_name == "reshape" and "newshape" in config:
        shape = config["newshape"]
        config["newshape"] = (shape,) if isinstance(shape, int) else tuple(shape)
    if fn_name in ("extract_patches", "extract_patches_3d"):
        rank = 3 if fn_name == "extract_patches_3d" else 2
        size = config.get("size")
        if isinstance(size, int):
            config["size"] = (size,) * rank


def _specialize_extract_patches(op):
    """Keras' `ExtractPatches` serves both patch ops (3-D when `size` has 3 entries) and writes its
    config with `strides` defaulting to `size` and the data format resolved."""
    from kerastorch import config as settings

    size = op._config.get("size")
    if isinstance(size, int):
        size = (size, size)
        op._config["size"] = size
    if op._config.get("strides") is None:
        op._config["strides"] = size
    if op._config.get("data_format") is None:
        op._config["data_format"] = settings.image_data_format()
    if isinstance(size, (list, tuple)) and len(size) == 3:
        op._fn_name = "extract_patches_3d"
        op._args = ("volumes",)


class ComputeMask(Operation):
    """The mask a layer passes on, recorded as an op where its `compute_mask` is written for tensors only.

    Args:
        layer: The layer whose `compute_mask(inputs, mask)` runs.
        name: Optional name.
    """

    _keras_module = None

    def __init__(self, layer, name=None):
        super().__init__(name=name or f"{layer.name}_mask")
        self.layer = layer

    def get_config(self):
        return {"name": self.name, "layer": self.layer.name}

    def _invoke(self, args, kwargs):
        return self.layer.compute_mask(*args, **kwargs)

    def _invoke_fn(self):
        return self._call_tensors

