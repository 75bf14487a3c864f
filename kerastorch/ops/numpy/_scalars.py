"""What the elementwise and reduction ops of `kerastorch.ops.numpy` share: turning inputs into tensors
the way Keras' torch backend does, without paying for it where torch would compute the same thing.

Keras' torch backend converts every input with `convert_to_tensor` before calling torch, so a Python
float becomes a 0-d floatx tensor and a Python int a 0-d int32 tensor, and torch's promotion then
decides the result. Converting a scalar costs several microseconds; handing torch the Python scalar
itself gives the same dtype and the same numbers in the cases `raw_scalar_ok` lists, and those are
the common ones (`x * 2.0`, `x + 1` on a float or int tensor of rank >= 1).
"""

import torch

from kerastorch import config
from kerastorch.backend.dtypes import result_type, standardize_dtype, to_torch_dtype
from kerastorch.backend.tensors import convert_to_tensor

Tensor = torch.Tensor
_HALF = frozenset((torch.float16, torch.bfloat16))
# For each floatx: the tensor dtypes a Python float meets unrounded when Keras converts it to floatx.
_FLOAT_RAW = {"float16": _HALF, "bfloat16": _HALF,
              "float32": _HALF | {torch.float32, torch.complex64},
              "float64": _HALF | {torch.float32, torch.float64, torch.complex64, torch.complex128}}


def raw_scalar_ok(t, s):
    """Whether torch gives the same result for tensor `t` with Python scalar `s` as with `s` converted.

    Converted, `s` is a 0-d tensor; torch lets a dimensioned tensor's dtype win over a 0-d tensor of
    the same kind, which is also how it treats a Python scalar. They differ when `t` is 0-d itself,
    when `s` is of a higher kind than `t` (an int with a bool tensor, a float with an int tensor: the
    converted scalar's dtype wins, not torch's default), and when a float converted to floatx would
    be rounded before it meets `t` (a float64 tensor while floatx is float32).
    """
    kind = type(s)
    if kind is float:
        return t.dtype in _FLOAT_RAW[config.floatx()] and t.dim() > 0
    if kind is int:
        return t.dtype is not torch.bool and t.dim() > 0
    if kind is bool:
        return t.dim() > 0
    return False


def pair(x1, x2):
    """`x1`, `x2` ready for a torch binary op, as Keras' torch backend converts them (see module doc)."""
    if type(x1) is not Tensor:
        x1 = convert_to_tensor(x1)
    if type(x2) is Tensor or raw_scalar_ok(x1, x2):
        return x1, x2
    return x1, convert_to_tensor(x2)


def both(x1, x2):
    """`x1` and `x2` as tensors (scalars converted as Keras converts them)."""
    return (x1 if type(x1) is Tensor else convert_to_tensor(x1),
            x2 if type(x2) is Tensor else convert_to_tensor(x2))


def name(x):
    """Keras' dtype name of tensor `x`."""
    return standardize_dtype(x.dtype)


def cast(x, dtype):
    """`x` in `dtype` (a Keras name or a torch dtype); no copy when it already is."""
    dtype = to_torch_dtype(dtype)
    return x if x.dtype is dtype else x.to(dtype)


def promoted(*tensors, extra=()):
    """Keras' `result_type` of the tensors' dtypes and of `extra` (e.g. `float`)."""
    return result_type(*(t.dtype for t in tensors), *extra)


def floatx_torch():
    """The torch dtype of `kerastorch.config.floatx()`."""
    return to_torch_dtype(config.floatx())


def dtype_error(op, expected, *tensors, fix=""):
    """A `TypeError` for op `op` given tensors of dtypes it does not take."""
    got = ", ".join(standardize_dtype(t.dtype) if isinstance(t, Tensor) else type(t).__name__
                    for t in tensors)
    return TypeError(f"ops.{op} takes {expected}, but got inputs of dtype {got}."
                     + (f" {fix}" if fix else ""))


def op_dtype(op, dtype):
    """Keras' name for a `dtype=` argument of op `op`; an unknown name raises an error naming the op."""
    try:
        return standardize_dtype(dtype)
    except ValueError as e:
        raise ValueError(f"ops.{op}: {e}") from None


def axis_tuple(axis):
    """`axis` as torch takes it for several axes: an int, `None`, or a tuple of ints."""
    if isinstance(axis, list):
        return tuple(axis)
    return axis


def canonical_axes(axis, ndim, op):
    """`axis` (an int or a sequence of ints) as a sorted tuple of non-negative axes."""
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    out = []
    for a in axes:
        if not isinstance(a, int) or isinstance(a, bool):
            raise TypeError(f"ops.{op}: `axis` must be an int or a tuple of ints, got axis={axis!r}.")
        if not -ndim <= a < max(ndim, 1):
            raise ValueError(f"ops.{op}: axis {a} is out of bounds for an input of rank {ndim} "
                             f"(axis={axis!r}); use an axis in [{-ndim}, {ndim}).")
        out.append(a % ndim if ndim else 0)
    if len(set(out)) != len(out):
        raise ValueError(f"ops.{op}: `axis` repeats an axis (axis={axis!r}).")
    return tuple(sorted(out))


def keep_all_dims(out, ndim):
    """A full reduction's 0-d result reshaped to `ndim` axes of size 1 (`keepdims=True`)."""
    return out.reshape((1,) * ndim)
