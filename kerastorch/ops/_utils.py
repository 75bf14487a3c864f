"""What every op shares: turning inputs into tensors cheaply, and errors that name the op.

`@keras_op` wraps an op so that a torch error raised inside it (incompatible shapes, a bad axis)
becomes a `ValueError` naming the op, the input shapes and the axis, with torch's own words kept.
It costs one Python call on the happy path: the check runs only when torch has already failed.
Errors an op raises itself (`ValueError`, `TypeError` with a message written here) pass through.

Example:
>>> from kerastorch import ops
>>> ops.add(ops.ones((2, 3)), ops.ones((4,)))
Traceback (most recent call last):
...
ValueError: ops.add: ...
"""

import functools

import torch

from kerastorch.backend.tensors import convert_to_tensor


def tensor(x, dtype=None):
    """`x` as a torch tensor: a plain tensor passes through untouched (the fast path)."""
    if dtype is None and type(x) is torch.Tensor:
        return x
    return convert_to_tensor(x, dtype)


def _describe(value):
    shape = getattr(value, "shape", None)
    if shape is not None:
        return "(" + ", ".join(str(int(d)) if d is not None else "None" for d in shape) + ("," if len(shape) == 1 else "") + ")"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_describe(v) for v in value) + "]"
    return repr(value)


def op_error(name, error, args, kwargs):
    """A `ValueError` for op `name` that failed inside torch with `error`."""
    parts = [_describe(a) for a in args if not callable(a)]
    shapes = f"inputs {', '.join(parts)}" if parts else "no positional inputs"
    axis = next((f"; {k}={kwargs[k]!r}" for k in ("axis", "axes", "axis1", "axis2", "source",
                                                    "destination") if k in kwargs), "")
    reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    return ValueError(
        f"ops.{name}: the inputs do not fit together ({shapes}{axis}): {reason}. "
        "Check the shapes (broadcasting goes from the last axis) and that each axis lies in "
        "[-ndim, ndim)."
    )


def dtype_error(name, error, args):
    """A `TypeError` for op `name`, whose torch kernel does not take its inputs' dtype.

    torch says so with a `NotImplementedError` (`"elu_cpu" not implemented for 'Int'`); the ones
    kerastorch raises itself for what torch cannot do start with `"ops."` and pass through.
    """
    dtypes = ", ".join(str(a.dtype).replace("torch.", "") for a in args if hasattr(a, "dtype"))
    reason = str(error).strip().splitlines()[0]
    return TypeError(
        f"ops.{name}: torch has no kernel for these input dtypes ({dtypes or 'Python values'}): "
        f"{reason}. Cast the inputs first, e.g. ops.cast(x, 'float32')."
    )


def keras_op(fn):
    """Decorates an op so that torch's shape and axis errors name the op, the shapes and the axis."""
    name = fn.__name__

    @functools.wraps(fn)
    def op(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except Exception as e:
            # Only here, once the op has failed, is it asked whether its inputs were symbolic: a
            # KerasTensor makes every op fail (torch refuses it), and is then recorded in the graph.
            result = record_if_symbolic(name, args, kwargs)
            if result is not _NOT_SYMBOLIC:
                return result
            if isinstance(e, NotImplementedError):
                if str(e).startswith("ops."):
                    raise                       # an op's own "torch cannot do this" error passes through
                raise dtype_error(name, e, args) from e
            if isinstance(e, (RuntimeError, IndexError)):
                raise op_error(name, e, args, kwargs) from e
            raise

    return op


_NOT_SYMBOLIC = object()


def record_if_symbolic(name, args, kwargs):
    """Records op `name` in the graph when `args`/`kwargs` hold KerasTensors; else `_NOT_SYMBOLIC`.

    Ops call it only once they have failed (or, for the control-flow ops, which would trace the
    user's functions on KerasTensors, before running), so tensors never pay for it.
    """
    from kerastorch.layers.symbolic import any_symbolic

    if not any_symbolic(args, kwargs):
        return _NOT_SYMBOLIC
    from kerastorch.ops import operation

    return operation.symbolic_op_call(name, args, kwargs)


def symbolic_op(fn):
    """Decorates an op that is not a `keras_op` so that it records itself on KerasTensors (checked on failure)."""
    name = fn.__name__

    @functools.wraps(fn)
    def op(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except Exception:
            result = record_if_symbolic(name, args, kwargs)
            if result is _NOT_SYMBOLIC:
                raise
            return result

    return op


def symbolic_first(fn):
    """Decorates a control-flow op: on KerasTensors it is recorded as one node, not traced through."""
    name = fn.__name__

    @functools.wraps(fn)
    def op(*args, **kwargs):
        result = record_if_symbolic(name, args, kwargs)
        if result is _NOT_SYMBOLIC:
            return fn(*args, **kwargs)
        return result

    return op
