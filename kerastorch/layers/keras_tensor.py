"""`KerasTensor`: a symbolic tensor (a shape and a dtype, no values), as `kerastorch.Input` returns.

Its Python operators record Keras' ops (`x + y` is an `Add`, `x[:, 0]` a `GetItem`, and
`array + x` too); torch functions, torch modules, tensor methods and NumPy ufuncs refuse it with
a message that names what to use instead (`kerastorch.ops`, a layer, `TorchModuleWrapper`, or a
`Lambda` layer). The graph its calls record lives in `symbolic.py`.

Example:
>>> import kerastorch
>>> x = kerastorch.Input(shape=(3,), name="x")
>>> (x * 2).shape, type((x * 2)._keras_history.operation).__name__
((None, 3), 'Multiply')
"""

import torch


class KerasTensor:
    """A symbolic tensor: a shape and a dtype, without values, as `kerastorch.Input` returns.

    Layers, `kerastorch.ops` functions and Python operators (`+ - * / // % ** @`, unary `-`,
    `abs`, comparisons, `x[...]`) accept KerasTensors and return new ones, recording the call in
    a graph; `kerastorch.Model(inputs, outputs)` turns that graph into a model.

    Args:
        shape: Tuple of ints or `None`s, batch axis included.
        dtype: Dtype name (or torch dtype). Defaults to `"float32"`.
        sparse: Must be `False`: sparse tensors do not exist on torch here. Defaults to `False`.
        ragged: Must be `False` (ragged tensors need TensorFlow). Defaults to `False`.
        record_history: Whether calls on this tensor are recorded. Defaults to `True`.
        name: Optional name. Defaults to `keras_tensor`, `keras_tensor_1`, ...

    Example:
    >>> import kerastorch
    >>> x = kerastorch.Input(shape=(784,))
    >>> x.shape, x.dtype
    ((None, 784), 'float32')
    >>> (x[:, :10] * 2).shape
    (None, 10)
    """

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        # `array + x` reaches here as np.add(array, x): record the op our reflected operator would;
        # any other ufunc (np.exp(x)) is refused with the kerastorch.ops function to use.
        op = _UFUNC_OPS.get(ufunc.__name__)
        if op is not None and method == "__call__" and not kwargs and len(inputs) == 2:
            return _op(op, *inputs)
        if ufunc.__name__ == "equal" and method == "__call__" and len(inputs) == 2:
            return inputs[0] is inputs[1]    # `array == x` stays identity, as `x == y` (no op recorded)
        from kerastorch import ops

        name = _UFUNC_NAMES.get(ufunc.__name__, ufunc.__name__)
        use = f"kerastorch.ops.{name}" if hasattr(ops, name) else "the matching kerastorch.ops function"
        call = f"np.{ufunc.__name__}" + ("" if method == "__call__" else f".{method}")
        raise TypeError(
            f"{call}() received the KerasTensor {self.name!r} (shape {_shape_text(self._shape)}): a symbolic "
            f"placeholder with no values, used to define a Functional model, which NumPy cannot compute on. "
            f"Use {use}, which accepts KerasTensors and records the call in the model, or put the NumPy code "
            "in a layers.Lambda."
        )

    def __init__(self, shape, dtype="float32", sparse=False, ragged=False, record_history=True, name=None,
                 **kwargs):
        from kerastorch.backend import standardize_dtype
        from kerastorch.layers.base import unique_name

        if kwargs:
            raise TypeError(f"KerasTensor: unexpected keyword arguments {sorted(kwargs)}. Accepted: shape, "
                            "dtype, sparse, ragged, record_history, name.")
        if sparse or ragged:
            what = "sparse" if sparse else "ragged"
            raise ValueError(f"KerasTensor: {what}=True is not supported: kerastorch runs on dense torch "
                             f"tensors (Keras' torch backend has no {what} tensors either). Use a dense "
                             "tensor; for many zeros, keep the data dense or pass indices.")
        try:
            self._shape = tuple(None if d is None else int(d) for d in shape)
        except (TypeError, ValueError):
            raise ValueError(f"KerasTensor: `shape` must be a tuple of ints or None, got {shape!r}.") from None
        if any(d is not None and d < 0 for d in self._shape):
            raise ValueError(f"KerasTensor: `shape` must not hold negative sizes, got {shape!r}.")
        self._dtype = standardize_dtype(dtype)
        self.record_history = bool(record_history)
        self.name = name or unique_name("keras_tensor")

    @property
    def shape(self):
        """The shape, a tuple with `None` for unknown axes (the batch axis usually)."""
        return self._shape

    @shape.setter
    def shape(self, value):
        raise AttributeError("The shape of a KerasTensor cannot change: create a new KerasTensor, or reshape "
                             "it with kerastorch.ops.reshape(x, new_shape).")

    @property
    def dtype(self):
        """The dtype name, e.g. `"float32"`."""
        return self._dtype

    @dtype.setter
    def dtype(self, value):
        raise AttributeError("The dtype of a KerasTensor cannot change: use kerastorch.ops.cast(x, dtype).")

    @property
    def sparse(self):
        """Always `False` (no sparse tensors on torch)."""
        return False

    @property
    def ragged(self):
        """Always `False` (no ragged tensors on torch)."""
        return False

    @property
    def ndim(self):
        """The number of axes, batch axis included."""
        return len(self._shape)

    def reshape(self, newshape):
        """`kerastorch.ops.reshape(self, newshape)`."""
        return _op("reshape", self, newshape)

    def squeeze(self, axis=None):
        """`kerastorch.ops.squeeze(self, axis)`."""
        return _op("squeeze", self, axis)

    # ------------------------------------------------------------------ no values
    def _no_value(self, what):
        return ValueError(
            f"KerasTensor {self.name!r} (shape {_shape_text(self._shape)}) is symbolic: a placeholder for a "
            f"shape and a dtype, with no values, so it cannot be converted to {what}. It stands for the data "
            "a model will receive; compute on it with layers or kerastorch.ops, and read values from "
            "model.predict(...) or model(x) once the model is built."
        )

    def __int__(self):
        raise self._no_value("an int")

    def __float__(self):
        raise self._no_value("a float")

    def __index__(self):
        raise self._no_value("an index")

    def __array__(self, dtype=None, copy=None):
        raise self._no_value("a NumPy array")

    def __bool__(self):
        raise TypeError(
            f"KerasTensor {self.name!r} is symbolic and has no truth value: Python `if`/`while`/`and` cannot "
            "test it while a model is defined. Use kerastorch.ops.where(condition, x, y) or "
            "kerastorch.ops.cond(pred, true_fn, false_fn)."
        )

    def __len__(self):
        raise TypeError(
            f"len() of the symbolic KerasTensor {self.name!r} (shape {_shape_text(self._shape)}) is not known "
            "while the model is defined: its first axis is the batch. Read a fixed size from x.shape[i], or "
            "use kerastorch.ops.shape(x)[0] for the batch size inside the graph."
        )

    def __iter__(self):
        raise NotImplementedError(
            f"Iterating over the symbolic KerasTensor {self.name!r} is not supported: its length is not "
            "known while the model is defined. Use kerastorch.ops.unstack(x, axis=...) or index it (x[:, 0])."
        )

    def __repr__(self):
        return (f"<KerasTensor shape={self._shape}, dtype={self._dtype}, sparse=False, ragged=False, "
                f"name={self.name}>")

    # ------------------------------------------------------------------ torch code
    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        # A torch function (or Tensor method) met a KerasTensor. torch turns this TypeError into
        # NotImplemented for binary operators (`tensor + x`), so our reflected operator then runs.
        raise TypeError(torch_misuse_message(func, args, kwargs))

    def __getattr__(self, name):
        if not name.startswith("_") and hasattr(torch.Tensor, name):
            hint = _OPS_FOR_TORCH.get(name, name)
            from kerastorch import ops

            use = (f"kerastorch.ops.{hint}(x, ...)" if hasattr(ops, hint)
                   else "a kerastorch.ops function or a layers.Lambda")
            raise AttributeError(
                f"KerasTensor has no attribute {name!r}: it is symbolic, not a torch.Tensor, so torch's "
                f"tensor methods do not apply while a model is defined. Use {use}, which records the "
                "call in the model; or put torch code in a layers.Lambda or a Layer subclass."
            )
        raise AttributeError(f"'KerasTensor' object has no attribute {name!r}")

    # ------------------------------------------------------------------ operators, as Keras records them
    def __add__(self, other):
        return _op("add", self, other)

    def __radd__(self, other):
        return _op("add", other, self)

    def __sub__(self, other):
        return _op("subtract", self, other)

    def __rsub__(self, other):
        return _op("subtract", other, self)

    def __mul__(self, other):
        return _op("multiply", self, other)

    def __rmul__(self, other):
        return _op("multiply", other, self)

    def __matmul__(self, other):
        return _op("matmul", self, other)

    def __rmatmul__(self, other):
        return _op("matmul", other, self)

    def __truediv__(self, other):
        return _op("true_divide", self, other)

    def __rtruediv__(self, other):
        return _op("true_divide", other, self)

    def __floordiv__(self, other):
        return _op("floor_divide", self, other)

    def __rfloordiv__(self, other):
        return _op("floor_divide", other, self)

    def __mod__(self, other):
        return _op("mod", self, other)

    def __rmod__(self, other):
        return _op("mod", other, self)

    def __pow__(self, other):
        return _op("power", self, other)

    def __rpow__(self, other):
        return _op("power", other, self)

    def __neg__(self):
        return _op("negative", self)

    def __abs__(self):
        return _op("absolute", self)

    def __round__(self, ndigits=None):
        return _op("round", self, ndigits or 0)

    def __lt__(self, other):
        return _op("less", self, other)

    def __le__(self, other):
        return _op("less_equal", self, other)

    def __gt__(self, other):
        return _op("greater", self, other)

    def __ge__(self, other):
        return _op("greater_equal", self, other)

    def __ne__(self, other):
        # Keras records `!=` (not `==`, which stays identity so KerasTensors work as dict keys).
        return _op("not_equal", self, other)

    __hash__ = object.__hash__

    def __and__(self, other):
        return _op("logical_and", self, other)

    def __rand__(self, other):
        return _op("logical_and", other, self)

    def __or__(self, other):
        return _op("logical_or", self, other)

    def __ror__(self, other):
        return _op("logical_or", other, self)

    def __xor__(self, other):
        return _op("logical_xor", self, other)

    def __rxor__(self, other):
        return _op("logical_xor", other, self)

    def __invert__(self):
        return _op("logical_not", self)

    def __getitem__(self, key):
        return _op("get_item", self, key)


def _op(name, *args):
    from kerastorch.ops import operation

    return operation.symbolic_op_call(name, args, {})


# NumPy ufuncs that Python operators on an array and a KerasTensor call (`array + x`), and the op
# each records (as the KerasTensor's reflected operator would).
_UFUNC_OPS = {"add": "add", "subtract": "subtract", "multiply": "multiply", "matmul": "matmul",
              "true_divide": "true_divide", "divide": "true_divide", "floor_divide": "floor_divide",
              "remainder": "mod", "power": "power", "less": "less", "less_equal": "less_equal",
              "greater": "greater", "greater_equal": "greater_equal", "not_equal": "not_equal",
              "bitwise_and": "logical_and", "bitwise_or": "logical_or", "bitwise_xor": "logical_xor"}
# NumPy ufuncs whose kerastorch.ops function is named otherwise.
_UFUNC_NAMES = {"remainder": "mod", "fabs": "absolute", "invert": "logical_not", "equal": "equal",
                "arctan2": "arctan2", "rint": "round", "conjugate": "conj"}

# torch names whose kerastorch.ops function is called otherwise.
_OPS_FOR_TORCH = {"cat": "concatenate", "concat": "concatenate", "mm": "matmul", "bmm": "matmul",
                  "neg": "negative", "div": "divide", "mul": "multiply", "sub": "subtract", "pow": "power",
                  "permute": "transpose", "view": "reshape", "unsqueeze": "expand_dims", "t": "transpose",
                  "clamp": "clip", "clip": "clip", "sum": "sum", "mean": "mean", "flatten": "reshape",
                  "float": "cast", "long": "cast", "int": "cast", "to": "cast", "type": "cast",
                  "size": "shape", "numpy": "convert_to_numpy", "detach": "stop_gradient",
                  "conv1d": "conv", "conv2d": "conv", "conv3d": "conv", "conv_transpose1d": "conv_transpose",
                  "conv_transpose2d": "conv_transpose", "conv_transpose3d": "conv_transpose",
                  "max_pool1d": "max_pool", "max_pool2d": "max_pool", "max_pool3d": "max_pool",
                  "avg_pool1d": "average_pool", "avg_pool2d": "average_pool", "avg_pool3d": "average_pool",
                  "layer_norm": "layer_normalization", "batch_norm": "batch_normalization",
                  "rms_norm": "rms_normalization", "embedding": "take", "index_select": "take",
                  "gather": "take_along_axis", "clamp_min": "maximum", "clamp_max": "minimum",
                  "amax": "max", "amin": "min", "chunk": "split", "narrow": "slice", "topk": "top_k",
                  "hardtanh": "hard_tanh", "logsigmoid": "log_sigmoid", "mish": "mish"}

# torch functions (and the torch.nn modules calling them) best replaced by a kerastorch layer.
_LAYERS_FOR_TORCH = {"linear": "Dense", "bilinear": "Dense", "conv1d": "Conv1D", "conv2d": "Conv2D",
                     "conv3d": "Conv3D", "conv_transpose1d": "Conv1DTranspose",
                     "conv_transpose2d": "Conv2DTranspose", "conv_transpose3d": "Conv3DTranspose",
                     "max_pool1d": "MaxPooling1D", "max_pool2d": "MaxPooling2D", "max_pool3d": "MaxPooling3D",
                     "avg_pool1d": "AveragePooling1D", "avg_pool2d": "AveragePooling2D",
                     "avg_pool3d": "AveragePooling3D", "dropout": "Dropout", "dropout1d": "SpatialDropout1D",
                     "dropout2d": "SpatialDropout2D", "dropout3d": "SpatialDropout3D",
                     "layer_norm": "LayerNormalization", "batch_norm": "BatchNormalization",
                     "group_norm": "GroupNormalization", "rms_norm": "RMSNormalization",
                     "embedding": "Embedding", "lstm": "LSTM", "gru": "GRU", "rnn_tanh": "SimpleRNN",
                     "multi_head_attention_forward": "MultiHeadAttention", "flatten": "Flatten"}


def _shape_text(shape):
    from kerastorch.layers.base import format_shape

    return format_shape(shape)


def torch_misuse_message(func, args=(), kwargs=None):
    """The message for a KerasTensor that reached plain torch code (`torch.relu(x)`)."""
    from kerastorch import ops

    name = getattr(func, "__name__", None) or repr(func)
    if getattr(func, "__qualname__", "").startswith(("Tensor.", "TensorBase.")):
        owner = "Tensor."
    elif getattr(func, "__module__", None) in ("torch.nn.functional", "torch._C._nn"):
        owner = "torch.nn.functional."
    else:
        owner = "torch."
    leaves = [x for x in _flatten((args, kwargs or {})) if isinstance(x, KerasTensor)]
    what = (f"the KerasTensor {leaves[0].name!r} (shape {_shape_text(leaves[0].shape)}, dtype "
            f"{leaves[0].dtype})" if leaves else "a KerasTensor")
    bare = name.strip("_")
    hint = _OPS_FOR_TORCH.get(bare, bare)
    layer = _LAYERS_FOR_TORCH.get(bare)
    uses = ([f"kerastorch.ops.{hint}"] if hasattr(ops, hint) else []) + ([f"layers.{layer}"] if layer else [])
    use = " or ".join(uses) if uses else "the matching kerastorch.ops function"
    module = _calling_torch_module()
    if module is not None:
        kind = f"{type(module).__module__}.{type(module).__qualname__}".replace("torch.nn.modules.", "torch.nn.")
        kind = ".".join(part for part in kind.split(".") if not (part.islower() and part not in ("torch", "nn"))
                        ) if kind.startswith("torch.nn.") else kind
        return (
            f"The torch module {kind} was called on {what}, and its {owner}{name}() cannot compute on it: a "
            "KerasTensor is a symbolic placeholder with no values, used to define a Functional model. "
            f"Wrap the module in a layer, layers.TorchModuleWrapper(module), whose call runs it on real "
            f"tensors; or use {use}, which accepts KerasTensors and records the call in the model."
        )
    return (
        f"{owner}{name}() received {what}: a symbolic placeholder with no values, used to define a "
        f"Functional model, which torch functions cannot compute on. Use {use} (kerastorch.ops "
        "functions and layers accept KerasTensors and record the call in the model), or put the torch "
        f"code in a layer: layers.Lambda(lambda x: {owner}{name}(x)) or a Layer subclass whose call() "
        "runs it."
    )


def _calling_torch_module():
    """The outermost plain `torch.nn.Module` (not a kerastorch layer) whose call is on the stack, or None."""
    import sys

    from kerastorch.layers.base import Layer

    found, frame = None, sys._getframe(2)
    while frame is not None:
        if frame.f_code.co_name in ("_call_impl", "_wrapped_call_impl", "forward"):
            module = frame.f_locals.get("self")
            if isinstance(module, Layer):
                break
            if isinstance(module, torch.nn.Module):
                found = module
        frame = frame.f_back
    return found


def _flatten(x):
    from kerastorch.ops._tree import flatten

    return flatten(x)
