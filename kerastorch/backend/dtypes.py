"""Dtype names and Keras' type-promotion rules, as Keras' torch backend applies them.

Keras names dtypes by strings (`"float32"`, `"int32"`, `"bool"`); `standardize_dtype` turns any
spelling (a torch or numpy dtype, a Python type) into that string. `result_type` is Keras' own
promotion lattice (adapted by Keras from JAX), which differs from torch's in places: Python scalars
are *weak* (`int32` tensor + `2.5` is `float32`, not `float64`), `uint8` with `int8` gives `int16`,
and on the torch backend a 64-bit result comes out 32-bit (`result_type("int64") == "int32"`).

Example:
>>> from kerastorch import backend
>>> backend.result_type("int32", "float16")
'float16'
>>> backend.result_type("int8", float)
'float32'
"""

import difflib
import functools

import torch

from kerastorch import config

BOOL_TYPES = ("bool",)
INT_TYPES = ("uint8", "uint16", "uint32", "uint64", "int8", "int16", "int32", "int64")
FLOAT_TYPES = ("bfloat16", "float16", "float32", "float64")
WEAK_TYPES = ("int", "float")
COMPLEX_TYPES = ("complex64", "complex128")
FLOAT8_TYPES = ("float8_e4m3fn", "float8_e5m2")
ALLOWED_DTYPES = ("float16", "float32", "float64", "uint8", "uint16", "uint32", "uint64", "int8",
                  "int16", "int32", "int64", "bfloat16", "bool", "string", *FLOAT8_TYPES,
                  *COMPLEX_TYPES)

# Python scalars, as Keras' torch backend reads them (a Python int is int32 there, not int64).
_PYTHON_DTYPES = {bool: "bool", int: "int32", float: "float32", str: "string", "int": "int32",
                  complex: "complex64"}

# Torch has no uint16/uint32/uint64 arithmetic: Keras' torch backend stores them one size up.
_TORCH_DTYPES = {
    "float16": torch.float16, "float32": torch.float32, "float64": torch.float64,
    "bfloat16": torch.bfloat16, "uint8": torch.uint8, "uint16": torch.int32, "uint32": torch.int64,
    "int8": torch.int8, "int16": torch.int16, "int32": torch.int32, "int64": torch.int64,
    "bool": torch.bool, "float8_e4m3fn": torch.float8_e4m3fn, "float8_e5m2": torch.float8_e5m2,
    "complex64": torch.complex64, "complex128": torch.complex128,
}
_TORCH_TO_NAME = {
    torch.float16: "float16", torch.float32: "float32", torch.float64: "float64",
    torch.bfloat16: "bfloat16", torch.uint8: "uint8", torch.int8: "int8", torch.int16: "int16",
    torch.int32: "int32", torch.int64: "int64", torch.bool: "bool",
    torch.float8_e4m3fn: "float8_e4m3fn", torch.float8_e5m2: "float8_e5m2",
    torch.complex64: "complex64", torch.complex128: "complex128",
    torch.uint16: "uint16", torch.uint32: "uint32", torch.uint64: "uint64",
}


def _unknown_dtype(dtype):
    shown = str(dtype)
    close = difflib.get_close_matches(shown, ALLOWED_DTYPES, n=2)
    hint = f" Did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
    return ValueError(f"Invalid dtype: {dtype!r}.{hint} Known dtypes: {', '.join(ALLOWED_DTYPES)}.")


def standardize_dtype(dtype):
    """Returns Keras' name for a dtype: `"float32"`, `"int32"`, `"bool"`, ...

    Args:
        dtype: A dtype name, a `torch.dtype`, a numpy dtype or type, or a Python type (`int` is
            `"int32"` and `float` is `"float32"`, as on Keras' torch backend). `None` gives
            `kerastorch.config.floatx()`.

    Returns:
        The dtype's name, one of Keras' allowed dtypes.

    Raises:
        ValueError: For a name Keras does not know; the message lists close matches.

    Example:
    >>> import torch
    >>> standardize_dtype(torch.float64)
    'float64'
    >>> standardize_dtype(int)
    'int32'
    """
    if dtype is None:
        return config.floatx()
    if isinstance(dtype, str):
        if dtype in ALLOWED_DTYPES:
            return dtype
        if dtype == "int":
            return "int32"
        raise _unknown_dtype(dtype)
    if isinstance(dtype, torch.dtype):
        name = _TORCH_TO_NAME.get(dtype)
        if name is None:
            raise _unknown_dtype(dtype)
        return name
    try:
        name = _PYTHON_DTYPES.get(dtype)
    except TypeError:           # unhashable
        name = None
    if name is not None:
        return name
    if hasattr(dtype, "name"):          # numpy dtypes, ml_dtypes, DTypePolicy-like objects
        name = dtype.name
    elif hasattr(dtype, "__name__"):    # numpy scalar types (np.float32)
        name = dtype.__name__
    else:
        name = str(dtype).split(".")[-1]
    if name not in ALLOWED_DTYPES:
        raise _unknown_dtype(dtype)
    return name


def is_float_dtype(dtype):
    """Whether `dtype` is a floating type (`float16/32/64`, `bfloat16`, `float8_*`).

    Example:
    >>> is_float_dtype("bfloat16")
    True
    """
    name = standardize_dtype(dtype)
    return name.startswith("float") or name.startswith("bfloat")


def is_int_dtype(dtype):
    """Whether `dtype` is a signed or unsigned integer type (`bool` is not).

    Example:
    >>> is_int_dtype("uint8"), is_int_dtype("bool")
    (True, False)
    """
    name = standardize_dtype(dtype)
    return name.startswith("int") or name.startswith("uint")


def to_torch_dtype(dtype):
    """The `torch.dtype` that stores Keras dtype `dtype` (`None` gives floatx).

    Example:
    >>> to_torch_dtype("float64")
    torch.float64
    """
    if isinstance(dtype, torch.dtype):
        return dtype
    name = standardize_dtype(dtype)
    try:
        return _TORCH_DTYPES[name]
    except KeyError:
        raise ValueError(f"dtype {name!r} has no torch counterpart (torch has no string tensors).") from None


# ---------------------------------------------------------------- the promotion lattice
def _lattice():
    """Each type mapped to the types immediately above it (Keras' lattice, after JAX's)."""
    i_, f_ = WEAK_TYPES
    return {
        "bool": [i_],
        "uint8": ["int16", "uint16"], "uint16": ["int32", "uint32"], "uint32": ["int64", "uint64"],
        "uint64": [f_],
        i_: ["uint8", "int8", "complex64"],
        "int8": ["int16"], "int16": ["int32"], "int32": ["int64"], "int64": [f_],
        f_: ["bfloat16", "float16"],
        "bfloat16": ["float32"], "float16": ["float32"], "float32": ["float64", "complex64"],
        "float64": ["complex128"], "complex64": ["complex128"], "complex128": [],
    }


def _upper_bounds():
    lattice = _lattice()
    bounds = {node: {node} for node in lattice}
    for node in lattice:
        while True:
            grown = bounds[node].union(*(lattice[b] for b in bounds[node]))
            if grown == bounds[node]:
                break
            bounds[node] = grown
    return bounds


_UPPER_BOUNDS = _upper_bounds()
# On the torch backend Keras keeps results 32-bit, as JAX does by default.
_TO_32_BIT = {"int64": "int32", "uint64": "uint32", "float64": "float32", "complex128": "complex64"}


@functools.lru_cache(maxsize=512)
def _least_upper_bound(*nodes):
    common = set.intersection(*(_UPPER_BOUNDS[n] for n in nodes))
    least = (common & set(nodes)) or {c for c in common if common <= _UPPER_BOUNDS[c]}
    if len(least) != 1:
        raise ValueError(
            f"Input dtypes {tuple(nodes)} have no implicit promotion path. Cast the inputs to the "
            "dtype you want first, e.g. with kerastorch.ops.cast(x, 'float32')."
        )
    return least.pop()


def _weak_name(dtype):
    if dtype == "bool":
        return dtype
    for kind in ("float", "int", "complex"):
        if kind in dtype:
            return kind
    raise _unknown_dtype(dtype)


@functools.lru_cache(maxsize=1024)
def _result_type(floatx, *args):
    names, weak = [], []
    for arg in args:
        weak.append(arg is int or arg is float)
        names.append(standardize_dtype(arg))
    if len(names) == 1:
        out, out_weak = names[0], weak[0]
    elif len(set(names)) == 1 and not all(weak):
        out, out_weak = names[0], False
    elif all(weak):
        out, out_weak = _least_upper_bound(*set(names)), True
    else:
        out = _least_upper_bound(*{_weak_name(n) if w else n for n, w in zip(names, weak)})
        out_weak = out in WEAK_TYPES
    if out_weak and out != "bool":
        precision = floatx[-2:]
        kind = "f" if out == "bfloat16" else out[:1]
        out = {"b": "bool", "i": f"int{precision}", "u": f"uint{precision}"}.get(kind, f"float{precision}")
    return _TO_32_BIT.get(out, out)


def result_type(*dtypes):
    """The dtype Keras' type promotion gives for an operation on inputs of these dtypes.

    Python `int` and `float` (the types, or values' types) are weak: they take the other
    operand's kind and size where they can. With no arguments, the result is floatx.

    Args:
        *dtypes: Dtype names, `torch.dtype`s, numpy dtypes or the Python types `int`/`float`/`bool`.
            `None` stands for floatx.

    Returns:
        The promoted dtype's name.

    Raises:
        ValueError: For float8 inputs (Keras allows no implicit float8 promotion) or unknown dtypes.

    Example:
    >>> result_type("uint8", "int8")
    'int16'
    >>> result_type("int32", float)
    'float32'
    """
    floatx = config.floatx()
    if not dtypes:
        return floatx
    keyed = []
    for d in dtypes:
        if d is None:
            d = floatx
        elif not (d is int or d is float or d is bool or d is complex or isinstance(d, str)):
            d = standardize_dtype(d)
        if d in FLOAT8_TYPES:
            raise ValueError(
                f"result_type: there is no implicit promotion from float8 dtypes, got {dtypes}. "
                "Cast the float8 input explicitly first."
            )
        keyed.append(d)
    return _result_type(floatx, *keyed)
