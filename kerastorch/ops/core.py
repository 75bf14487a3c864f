"""Keras' `keras.ops` core functions on torch tensors: conversion, slicing, scatter and control flow.

Control flow runs eagerly, as on Keras' torch backend: `cond` evaluates its predicate, `scan` and
`while_loop` are Python loops that call your functions on tensors, and every function takes and
returns the nested structures (lists, tuples, dicts) Keras' do. The conversion functions are
`kerastorch.backend`'s own (`convert_to_tensor`, `convert_to_numpy`, `cast`, `is_tensor`).

Example:
>>> import torch
>>> from kerastorch import ops
>>> ops.scan(lambda carry, x: (carry + x, carry * x), 0, torch.tensor([1, 2, 3]))
(tensor(6), tensor([0, 2, 9]))
"""

import builtins
import functools

import numpy as np
import torch

from kerastorch.backend.dtypes import standardize_dtype, to_torch_dtype
from kerastorch.backend.tensors import cast, convert_to_numpy, convert_to_tensor, is_tensor
from kerastorch.ops import _tree
from kerastorch.ops._utils import keras_op, tensor

__all__ = ["associative_scan", "cast", "cond", "convert_to_numpy", "convert_to_tensor",
           "custom_gradient", "dtype", "fori_loop", "is_tensor", "map", "saturate_cast", "scan",
           "scatter", "scatter_update", "shape", "slice", "slice_update", "stop_gradient", "switch",
           "unstack", "vectorized_map", "while_loop"]

# The functions that call user code (`cond`, `scan`, `while_loop`, ...) are not wrapped by
# `keras_op`: an error raised inside the user's function must reach the user as it was raised.


def _callable(name, what, fn):
    if not callable(fn):
        raise TypeError(f"ops.{name}: `{what}` must be a callable, got {type(fn).__name__} {fn!r}.")


def _as_index_list(name, what, value):
    """`value` (a list/tuple of ints, an array or a tensor) as a list of Python ints."""
    if isinstance(value, torch.Tensor):
        return [int(v) for v in value.reshape(-1).tolist()]
    if isinstance(value, np.ndarray):
        return [int(v) for v in value.reshape(-1).tolist()]
    if isinstance(value, (list, tuple)):
        return [int(v) for v in value]
    raise TypeError(f"ops.{name}: `{what}` must be a list or tuple of integers or an integer tensor, "
                    f"got {type(value).__name__} {value!r}.")


# ---------------------------------------------------------------------------- tensors and shapes
@keras_op
def shape(x):
    """Returns the shape of a tensor as a tuple of Python ints.

    Args:
        x: A tensor (or a numpy array, a list, a scalar).

    Returns:
        A tuple of ints, one per axis.

    Example:
    >>> import torch
    >>> shape(torch.zeros((8, 12)))
    (8, 12)
    """
    if isinstance(x, torch.Tensor):
        return tuple(x.shape)
    s = getattr(x, "shape", None)
    if s is not None:
        return tuple(int(d) for d in s)
    return tuple(convert_to_tensor(x).shape)


def dtype(x):
    """Returns the dtype of a tensor as Keras' standardized name.

    Args:
        x: A tensor, a `kerastorch.Variable` or a numpy array.

    Returns:
        A string such as `"float32"` or `"int32"`.

    Example:
    >>> import torch
    >>> dtype(torch.zeros(2, dtype=torch.int8))
    'int8'
    """
    d = getattr(x, "dtype", None)
    if d is None:
        raise TypeError(f"ops.dtype: expected a tensor or an array with a `dtype`, got "
                        f"{type(x).__name__} {x!r}. Convert it first with ops.convert_to_tensor(x).")
    return standardize_dtype(d)


def _dtype_range(name):
    if name == "bool":
        return 0, 1
    torch_dtype = to_torch_dtype(name)
    info = torch.finfo(torch_dtype) if torch_dtype.is_floating_point else torch.iinfo(torch_dtype)
    if name == "uint16":
        return 0, 2 ** 16 - 1
    if name == "uint32":
        return 0, 2 ** 32 - 1
    if torch_dtype.is_floating_point:
        return float(info.min), float(info.max)
    return int(info.min), int(info.max)


@functools.lru_cache(maxsize=256)
def _saturation_limits(in_name, out_name):
    """The clip bounds, exact in the input dtype, that keep values inside the output's range."""
    in_min, in_max = _dtype_range(in_name)
    out_min, out_max = _dtype_range(out_name)
    torch_in = to_torch_dtype(in_name)
    low, high = max(in_min, out_min), min(in_max, out_max)
    if not torch_in.is_floating_point:
        return int(low), int(high)
    low_t = torch.tensor(float(low), dtype=torch.float64).to(torch_in)
    high_t = torch.tensor(float(high), dtype=torch.float64).to(torch_in)
    zero = torch.zeros((), dtype=torch_in)
    # Python compares ints and floats exactly: step towards zero while rounding left the range
    # (float32 cannot hold 2**31 - 1: its nearest value 2**31 would overflow int32).
    while float(low_t) < out_min:
        low_t = torch.nextafter(low_t, zero)
    while float(high_t) > out_max:
        high_t = torch.nextafter(high_t, zero)
    return float(low_t), float(high_t)


@keras_op
def saturate_cast(x, dtype):
    """Casts `x` to `dtype`, first clipping it into the range of `dtype` (no wrap-around).

    `cast([-1.0, 256.0], "uint8")` wraps around to `[255, 0]`; `saturate_cast` gives `[0, 255]`.

    Args:
        x: A tensor.
        dtype: The target dtype.

    Returns:
        A tensor of dtype `dtype`.

    Example:
    >>> saturate_cast([-1.0, 3.5, 256.0], "uint8")
    tensor([  0,   3, 255], dtype=torch.uint8)
    """
    out_name = standardize_dtype(dtype)
    x = tensor(x)
    in_name = standardize_dtype(x.dtype)
    if in_name != "bool" and not x.is_complex():
        low, high = _saturation_limits(in_name, out_name)
        in_min, in_max = _dtype_range(in_name)
        if low > in_min or high < in_max:
            x = torch.clamp(x, low, high)
    return x.to(to_torch_dtype(out_name))


@keras_op
def stop_gradient(variable):
    """Returns `variable` cut off from the autograd graph (its gradient is zero).

    Args:
        variable: A tensor or a `kerastorch.Variable`.

    Returns:
        A tensor with the same values that does not require grad.

    Example:
    >>> import torch
    >>> x = torch.ones(2, requires_grad=True)
    >>> stop_gradient(x * 2).requires_grad
    False
    """
    return tensor(variable).detach()


@keras_op
def unstack(x, num=None, axis=0):
    """Splits a tensor into a tuple of tensors along `axis` (that axis removed).

    Args:
        x: A tensor.
        num: Optional number of pieces; when given it must equal `x.shape[axis]`.
            Defaults to `None`.
        axis: The axis to unstack along. Defaults to `0`.

    Returns:
        A tuple of `x.shape[axis]` tensors.

    Example:
    >>> unstack([[1, 2], [3, 4]])
    (tensor([1, 2], dtype=torch.int32), tensor([3, 4], dtype=torch.int32))
    """
    x = tensor(x)
    if num is not None and x.ndim and -x.ndim <= axis < x.ndim and num != x.shape[axis]:
        raise ValueError(f"ops.unstack: num={num!r} does not match x.shape[{axis}]={x.shape[axis]} "
                         f"(x.shape={tuple(x.shape)}). Leave num=None or pass the axis' size.")
    return x.unbind(axis)


# ------------------------------------------------------------------------------ slicing, scatter
@keras_op
def slice(inputs, start_indices, shape):
    """Returns a slice of `inputs` that starts at `start_indices` and has shape `shape`.

    Args:
        inputs: A tensor.
        start_indices: One start index per axis (a list or an integer tensor).
        shape: The shape of the slice, one size per axis; `-1` takes everything to the end of
            that axis (as in Keras' symbolic shape inference).

    Returns:
        A tensor of shape `shape` (a view of `inputs` where torch can make one).

    Example:
    >>> slice([[1, 2, 3], [4, 5, 6]], [0, 1], [2, 2])
    tensor([[2, 3],
            [5, 6]], dtype=torch.int32)
    """
    inputs = tensor(inputs)
    starts = _as_index_list("slice", "start_indices", start_indices)
    sizes = _as_index_list("slice", "shape", shape)
    if len(starts) != inputs.ndim or len(sizes) != inputs.ndim:
        raise ValueError(f"ops.slice: `start_indices` ({len(starts)} values) and `shape` ({len(sizes)} "
                         f"values) need one entry per axis of inputs (inputs.shape="
                         f"{tuple(inputs.shape)}).")
    index = []
    for axis, (start, size, dim) in enumerate(zip(starts, sizes, inputs.shape)):
        stop = dim if size == -1 else start + size
        if start < 0 or size < -1 or stop > dim:
            raise ValueError(f"ops.slice: the slice [{start}:{stop}] on axis {axis} does not fit in "
                             f"inputs.shape={tuple(inputs.shape)} (start_indices={starts}, "
                             f"shape={sizes}).")
        index.append(builtins.slice(start, stop))
    return inputs[tuple(index)]


@keras_op
def slice_update(inputs, start_indices, updates):
    """Returns a copy of `inputs` with the block at `start_indices` replaced by `updates`.

    Args:
        inputs: A tensor.
        start_indices: One start index per axis (a list of ints or an integer tensor).
        updates: The values to write, a tensor with as many axes as `inputs`.

    Returns:
        A new tensor shaped like `inputs`.

    Example:
    >>> slice_update([0, 0, 0, 0], [1], [7, 8])
    tensor([0, 7, 8, 0], dtype=torch.int32)
    """
    inputs = tensor(inputs)
    updates = tensor(updates)
    if updates.dtype != inputs.dtype:
        updates = updates.to(inputs.dtype)
    if updates.ndim != inputs.ndim:
        raise ValueError(f"ops.slice_update: updates must have as many axes as inputs, got "
                         f"updates.shape={tuple(updates.shape)} for inputs.shape={tuple(inputs.shape)}.")
    outputs = inputs.clone()
    if isinstance(start_indices, torch.Tensor):
        # Tensor starts stay on the device (no host sync): write through index_put.
        starts = start_indices.to(device=inputs.device, dtype=torch.int64).reshape(-1)
        grids = torch.meshgrid(*[torch.arange(n, device=inputs.device) + starts[d]
                                 for d, n in enumerate(updates.shape)], indexing="ij")
        return outputs.index_put(tuple(g.reshape(-1) for g in grids), updates.reshape(-1))
    starts = _as_index_list("slice_update", "start_indices", start_indices)
    if len(starts) != inputs.ndim:
        raise ValueError(f"ops.slice_update: start_indices={starts} needs one entry per axis of "
                         f"inputs (inputs.shape={tuple(inputs.shape)}).")
    index = tuple(builtins.slice(s, s + n) for s, n in zip(starts, updates.shape))
    outputs[index] = updates
    return outputs


@keras_op
def scatter(indices, values, shape):
    """Returns a zero tensor of shape `shape` with `values` added at `indices`.

    Duplicate indices add up.

    Args:
        indices: Integer tensor of shape `(..., k)`: each row indexes the first `k` axes of the
            output.
        values: Tensor of shape `indices.shape[:-1] + shape[k:]`.
        shape: The shape of the output.

    Returns:
        A tensor of shape `shape` and the dtype of `values`.

    Example:
    >>> scatter([[0], [2], [2]], [1.0, 2.0, 3.0], (4,))
    tensor([1., 0., 5., 0.])
    """
    values = tensor(values)
    indices = tensor(indices)
    shape = tuple(_as_index_list("scatter", "shape", shape))
    if indices.ndim == 0 or indices.shape[-1] > len(shape):
        raise ValueError(f"ops.scatter: indices must have shape (..., k) with k <= len(shape)={len(shape)}, "
                         f"got indices.shape={tuple(indices.shape)}.")
    k = indices.shape[-1]
    rows = indices.reshape(-1, k).to(device=values.device, dtype=torch.int64)
    values = values.reshape((rows.shape[0],) + shape[k:])
    zeros = torch.zeros(shape, dtype=values.dtype, device=values.device)
    return zeros.index_put(tuple(rows.t()), values, accumulate=True)


_REDUCTIONS = {"max": "amax", "min": "amin", "mul": "prod"}


@keras_op
def scatter_update(inputs, indices, updates, reduction=None):
    """Returns a copy of `inputs` with `updates` written (or combined) at `indices`.

    Args:
        inputs: A tensor.
        indices: Integer tensor of shape `(N, k)`: each row indexes the first `k` axes of `inputs`.
        updates: Tensor of shape `(N,) + inputs.shape[k:]`.
        reduction: How to combine an update with the value in place: `None` (replace; with
            duplicate indices one of the updates wins), `"add"`, `"max"`, `"min"` or `"mul"`.
            Defaults to `None`.

    Returns:
        A new tensor shaped like `inputs`.

    Example:
    >>> scatter_update([1.0, 1.0, 1.0], [[0], [2], [2]], [5.0, 2.0, 3.0], reduction="add")
    tensor([6., 1., 6.])
    """
    if reduction is not None:
        reduction = str(reduction).lower()
        if reduction not in ("add", "max", "min", "mul"):
            raise ValueError(f"ops.scatter_update: invalid reduction={reduction!r}. Expected None, "
                             "'add', 'max', 'min' or 'mul'.")
    inputs = tensor(inputs)
    indices = tensor(indices)
    updates = tensor(updates)
    if updates.dtype != inputs.dtype:
        updates = updates.to(inputs.dtype)
    if indices.ndim != 2 or indices.shape[1] > inputs.ndim:
        raise ValueError(f"ops.scatter_update: indices must have shape (N, k) with k <= inputs.ndim="
                         f"{inputs.ndim}, got indices.shape={tuple(indices.shape)}.")
    indices = indices.to(device=inputs.device, dtype=torch.int64)
    if reduction is None or reduction == "add":
        return inputs.index_put(tuple(indices.t()), updates, accumulate=reduction == "add")
    k = indices.shape[1]
    lead = torch.tensor(inputs.shape[:k], device=inputs.device, dtype=torch.int64)
    indices = torch.where(indices < 0, indices + lead, indices)
    strides = torch.ones(k, dtype=torch.int64, device=inputs.device)
    if k > 1:
        strides[:-1] = torch.flip(torch.cumprod(torch.flip(lead[1:], (0,)), 0), (0,))
    rows = (indices * strides).sum(-1)
    rest = tuple(inputs.shape[k:])
    flat = inputs.reshape((-1,) + rest)
    source = updates.reshape((-1,) + rest)
    rows = rows.reshape((-1,) + (1,) * len(rest)).expand(source.shape)
    out = flat.scatter_reduce(0, rows, source, _REDUCTIONS[reduction], include_self=True)
    return out.reshape(inputs.shape)


# --------------------------------------------------------------------------------- control flow
def cond(pred, true_fn, false_fn):
    """Calls `true_fn()` when `pred` is true, else `false_fn()`.

    Runs eagerly, as on Keras' torch backend: a tensor `pred` is read on the host.

    Args:
        pred: A Python bool or a tensor holding one boolean.
        true_fn: Callable taking no arguments, called when `pred` is true.
        false_fn: Callable taking no arguments, called otherwise.

    Returns:
        What the chosen function returns.

    Example:
    >>> cond(3 > 2, lambda: "yes", lambda: "no")
    'yes'
    """
    _callable("cond", "true_fn", true_fn)
    _callable("cond", "false_fn", false_fn)
    if isinstance(pred, (torch.Tensor, np.ndarray)) and np.prod(pred.shape, dtype=np.int64) != 1:
        raise ValueError(f"ops.cond: `pred` must hold a single boolean, got a tensor of shape "
                         f"{tuple(pred.shape)}. Reduce it first, e.g. ops.all(pred) or ops.any(pred).")
    return true_fn() if pred else false_fn()


def switch(index, branches, *operands):
    """Calls `branches[index](*operands)`; `index` is clamped into `[0, len(branches) - 1]`.

    Args:
        index: An integer scalar (Python int or tensor).
        branches: A list of callables taking `*operands`.
        *operands: Arguments passed to the chosen branch.

    Returns:
        What the chosen branch returns.

    Example:
    >>> switch(1, [lambda x: x + 1, lambda x: x - 1], 10)
    9
    """
    if not isinstance(branches, (list, tuple)) or not branches:
        raise TypeError(f"ops.switch: `branches` must be a non-empty list of callables, got {branches!r}.")
    for i, b in enumerate(branches):
        _callable("switch", f"branches[{i}]", b)
    position = int(index)
    return branches[min(max(position, 0), len(branches) - 1)](*operands)


def while_loop(cond, body, loop_vars, maximum_iterations=None):
    """Runs `loop_vars = body(*loop_vars)` while `cond(*loop_vars)` is true.

    Args:
        cond: Callable taking the loop variables, returning a boolean (scalar tensor or bool).
        body: Callable taking the loop variables, returning new ones of the same structure.
        loop_vars: A tensor or a tuple/list of tensors (converted to tensors first).
        maximum_iterations: Optional bound on the number of iterations. Defaults to `None`.

    Returns:
        The final loop variables: a tuple when `loop_vars` was a tuple or list, else one value.

    Example:
    >>> while_loop(lambda i: i < 10, lambda i: i + 3, 0)
    tensor(12, dtype=torch.int32)
    """
    _callable("while_loop", "cond", cond)
    _callable("while_loop", "body", body)
    is_tuple = isinstance(loop_vars, (list, tuple))
    values = tuple(loop_vars) if is_tuple else (loop_vars,)
    values = tuple(_tree.map_structure(convert_to_tensor, v) for v in values)
    iteration = 0
    while (maximum_iterations is None or iteration < maximum_iterations) and cond(*values):
        values = body(*values)
        values = tuple(values) if isinstance(values, (list, tuple)) else (values,)
        iteration += 1
    return values if is_tuple else values[0]


def fori_loop(lower, upper, body_fun, init_val):
    """Runs `val = body_fun(i, val)` for `i` in `range(lower, upper)`, starting from `init_val`.

    Args:
        lower: The first index (int or integer scalar tensor).
        upper: One past the last index.
        body_fun: Callable `(i, val) -> new val`.
        init_val: The initial value (any structure).

    Returns:
        The final value.

    Example:
    >>> fori_loop(0, 4, lambda i, total: total + i, 0)
    6
    """
    _callable("fori_loop", "body_fun", body_fun)
    val = init_val
    for i in range(int(lower), int(upper)):
        val = body_fun(i, val)
    return val


def _stack_leaves(ys, name):
    def stack(*leaves):
        return torch.stack([tensor(leaf) for leaf in leaves])
    first = ys[0]
    for y in ys[1:]:
        _tree.assert_same_structure(first, y, f"outputs of `f` in ops.{name} at different steps")
    return _tree.map_structure(stack, *ys)


def scan(f, init, xs=None, length=None, reverse=False, unroll=1):
    """Loops `f` over the leading axis of `xs`, carrying state: as `jax.lax.scan`.

    For each step `i`, `carry, y = f(carry, xs[i])`; the `y`s are stacked along a new leading axis.

    Args:
        f: Callable `(carry, x) -> (new_carry, y)`; `new_carry` has the structure of `init`.
        init: The initial carry (a tensor or a nested structure of them).
        xs: Optional values to scan over (a tensor or a nested structure of tensors with equal
            leading sizes). With `xs=None`, `f` receives `None` and `length` steps are run.
        length: Optional number of steps; required when `xs` is `None`. Defaults to `None`.
        reverse: Whether to scan from the end. The stacked `y` keeps `xs`' order. Defaults to `False`.
        unroll: Positive int or bool, how many steps to unroll in a compiled loop. Eager torch runs
            a Python loop, so it does not change the result (it is validated as in Keras).
            Defaults to `1`.

    Returns:
        A pair `(final_carry, stacked_ys)`.

    Example:
    >>> import torch
    >>> scan(lambda c, x: (c + x, c), 0, torch.tensor([1, 2, 3]))
    (tensor(6), tensor([0, 1, 3]))
    """
    _callable("scan", "f", f)
    if not isinstance(unroll, bool) and (not isinstance(unroll, int) or unroll < 1):
        raise ValueError(f"ops.scan: `unroll` must be a positive integer or a bool, got unroll={unroll!r}.")
    if xs is None and length is None:
        raise ValueError("ops.scan: got no `xs` to scan over and no `length`. Pass xs=..., or "
                         "length=number_of_steps for a loop without inputs.")
    if xs is None:
        xs_flat, n = [], int(length)
    else:
        xs_flat = [tensor(x) for x in _tree.flatten(xs)]
        sizes = {int(x.shape[0]) if x.ndim else None for x in xs_flat}
        if len(sizes) != 1 or None in sizes:
            raise ValueError(f"ops.scan: every array in `xs` needs the same leading size, got shapes "
                             f"{[tuple(x.shape) for x in xs_flat]}.")
        n = sizes.pop()
        if length is not None and int(length) != n:
            raise ValueError(f"ops.scan: length={length!r} does not match the leading size {n} of `xs`.")
    init_flat = [convert_to_tensor(v) for v in _tree.flatten(init)]
    carry = _tree.pack_sequence_as(init, init_flat) if _tree.is_nested(init) else init_flat[0]
    if n == 0:
        raise ValueError("ops.scan: there are zero steps to run (length 0), so the structure of the "
                         "stacked outputs is unknown. Scan over at least one step.")
    ys = []
    steps = range(n - 1, -1, -1) if reverse else range(n)
    for i in steps:
        x = None
        if xs_flat:
            x_slice = [v[i] for v in xs_flat]
            x = _tree.pack_sequence_as(xs, x_slice) if _tree.is_nested(xs) else x_slice[0]
        out = f(carry, x)
        if not isinstance(out, (list, tuple)) or len(out) != 2:
            raise ValueError(f"ops.scan: `f` must return a pair (new_carry, y), got {type(out).__name__}.")
        carry, y = out
        ys.append([torch.zeros_like(v) for v in init_flat] if y is None else y)
    if reverse:
        ys.reverse()
    return carry, _stack_leaves(ys, "scan")


def map(f, xs):
    """Applies `f` to each slice of `xs` along its leading axis and stacks the results.

    Args:
        f: Callable applied to one element (a slice of each array of `xs`).
        xs: A tensor or a nested structure of tensors with equal leading sizes.

    Returns:
        The stacked outputs of `f`, with the structure `f` returns.

    Example:
    >>> import torch
    >>> map(lambda x: x * x, torch.tensor([1, 2, 3]))
    tensor([1, 4, 9])
    """
    _callable("map", "f", f)
    _, ys = scan(lambda carry, x: ((), f(x)), (), xs)
    return ys


def vectorized_map(function, elements):
    """Maps `function` over the leading axis of `elements` with `torch.vmap` (one batched call).

    Args:
        function: Callable applied to one element; it must be vmappable (no data-dependent Python
            control flow or `.item()` calls).
        elements: A tensor or a nested structure of tensors with equal leading sizes.

    Returns:
        The stacked outputs of `function`.

    Example:
    >>> import torch
    >>> vectorized_map(lambda x: x.sum(), torch.ones(3, 2))
    tensor([2., 2., 2.])
    """
    _callable("vectorized_map", "function", function)
    if not isinstance(elements, (torch.Tensor, list, tuple, dict)):
        elements = tensor(elements)
    elif isinstance(elements, (list, tuple, dict)):
        elements = _tree.map_structure(tensor, elements)
    return torch.vmap(function)(elements)


def _leading_slices(x, start, stop, step, axis):
    index = [builtins.slice(None)] * x.ndim
    index[axis] = builtins.slice(start, stop, step)
    return x[tuple(index)]


def _interleave(a, b, axis):
    """`[a0, b0, a1, b1, ...]` along `axis`; `a` has as many entries as `b`, or one more."""
    m = b.shape[axis]
    head = torch.stack([a.narrow(axis, 0, m), b], dim=axis + 1).flatten(axis, axis + 1)
    if a.shape[axis] > m:
        head = torch.cat([head, a.narrow(axis, m, 1)], dim=axis)
    return head


def associative_scan(f, elems, reverse=False, axis=0):
    """Inclusive scan of `elems` along `axis` with an associative binary function `f`.

    Calls `f` O(log n) times on whole slices (the parallel prefix algorithm of
    `jax.lax.associative_scan`), so `f` must be associative and work elementwise on batches.

    Args:
        f: Associative callable `(a, b) -> c`, each a structure like `elems`.
        elems: A tensor or a nested structure of tensors, all of one size along `axis`.
        reverse: Whether to scan from the end. Defaults to `False`.
        axis: The axis to scan along. Defaults to `0`.

    Returns:
        A structure like `elems`: the running combinations.

    Example:
    >>> import torch
    >>> associative_scan(lambda a, b: a + b, torch.tensor([1.0, 2.0, 3.0, 4.0]))
    tensor([ 1.,  3.,  6., 10.])
    """
    _callable("associative_scan", "f", f)
    flat = [tensor(e) for e in _tree.flatten(elems)]
    if not flat or any(e.ndim == 0 for e in flat):
        raise ValueError("ops.associative_scan: `elems` must hold tensors of rank >= 1, got shapes "
                         f"{[tuple(e.shape) for e in flat]}.")
    ax = axis + flat[0].ndim if axis < 0 else axis
    if not 0 <= ax < flat[0].ndim:
        raise ValueError(f"ops.associative_scan: axis={axis} is out of range for shape {tuple(flat[0].shape)}.")
    sizes = {int(e.shape[ax]) for e in flat}
    if len(sizes) != 1:
        raise ValueError("ops.associative_scan: every array in `elems` needs the same size along axis "
                         f"{axis}, got shapes {[tuple(e.shape) for e in flat]}.")
    if reverse:
        flat = [torch.flip(e, (ax,)) for e in flat]

    def combine(a, b):
        out = f(_tree.pack_sequence_as(elems, a), _tree.pack_sequence_as(elems, b))
        return [tensor(o) for o in _tree.flatten(out)]

    def run(parts):
        n = parts[0].shape[ax]
        if n < 2:
            return parts
        pairs = combine([_leading_slices(p, 0, -1, 2, ax) for p in parts],
                        [_leading_slices(p, 1, None, 2, ax) for p in parts])
        odd = run(pairs)
        if n % 2 == 0:
            even = combine([o.narrow(ax, 0, o.shape[ax] - 1) for o in odd],
                           [_leading_slices(p, 2, None, 2, ax) for p in parts])
        else:
            even = combine(odd, [_leading_slices(p, 2, None, 2, ax) for p in parts])
        even = [torch.cat([p.narrow(ax, 0, 1), e], dim=ax) for p, e in zip(parts, even)]
        return [_interleave(e, o, ax) for e, o in zip(even, odd)]

    out = run(flat)
    if reverse:
        out = [torch.flip(o, (ax,)) for o in out]
    return _tree.pack_sequence_as(elems, out)


# --------------------------------------------------------------------------------- gradients
class _CustomGradientFunction(torch.autograd.Function):
    """Runs the forward function once and calls its gradient function on the way back."""

    @staticmethod
    def forward(ctx, forward_fn, kwargs, *args):
        result = forward_fn(*args, **kwargs)
        if not (isinstance(result, (tuple, list)) and len(result) == 2 and callable(result[1])):
            raise TypeError(
                f"ops.custom_gradient: the decorated function {getattr(forward_fn, '__name__', '')!r} "
                f"must return a pair (output, grad_fn), got {type(result).__name__}. "
                "Return `output, grad` where `grad(*args, upstream)` computes the input gradients.")
        output, ctx.grad_fn = result
        ctx.is_tensor = [isinstance(a, torch.Tensor) for a in args]
        ctx.others = [None if t else a for a, t in zip(args, ctx.is_tensor)]
        ctx.save_for_backward(*[a for a, t in zip(args, ctx.is_tensor) if t])
        return output

    @staticmethod
    def backward(ctx, *grad_outputs):
        saved = iter(ctx.saved_tensors)
        args = [next(saved) if t else o for t, o in zip(ctx.is_tensor, ctx.others)]
        upstream = grad_outputs[0] if len(grad_outputs) == 1 else grad_outputs
        grads = ctx.grad_fn(*args, upstream=upstream)
        if not isinstance(grads, (tuple, list)):
            grads = (grads,)
        if len(grads) != len(args):
            raise ValueError(f"ops.custom_gradient: grad_fn returned {len(grads)} gradient(s) for "
                             f"{len(args)} positional argument(s); return one per argument (None for "
                             "arguments without a gradient).")
        grads = [g if t else None for g, t in zip(grads, ctx.is_tensor)]
        return (None, None, *grads)


def custom_gradient(f):
    """Decorates `f` so that its gradient is the one `f` defines (a `torch.autograd.Function`).

    `f(*args)` must return `(output, grad_fn)`. On the backward pass, as on Keras' torch backend,
    `grad_fn(*args, upstream=upstream)` is called with `f`'s positional arguments and the gradient
    of the loss with respect to `output`, and returns one gradient per positional argument.
    `f` runs without recording its own graph.

    Args:
        f: The function to decorate.

    Returns:
        A function with `f`'s signature.

    Example:
    >>> import torch
    >>> @custom_gradient
    ... def clip_gradient(x):
    ...     def grad(*args, upstream=None):
    ...         return torch.clamp(upstream, -0.5, 0.5)
    ...     return x * 1.0, grad
    >>> x = torch.tensor([1.0, 2.0], requires_grad=True)
    >>> (clip_gradient(x) * 3.0).sum().backward()
    >>> x.grad
    tensor([0.5000, 0.5000])
    """
    _callable("custom_gradient", "f", f)

    @functools.wraps(f)
    def wrapped(*args, **kwargs):
        return _CustomGradientFunction.apply(f, kwargs, *args)

    return wrapped
