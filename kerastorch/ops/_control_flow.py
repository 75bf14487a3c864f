"""Keras' control-flow core ops (`cond`, `switch`, `while_loop`, `fori_loop`, `scan`, `map`,
`vectorized_map`, `associative_scan`) and `custom_gradient`, run eagerly as on Keras' torch backend.

They are public as `kerastorch.ops.X` and `kerastorch.ops.core.X`. None is wrapped by `keras_op`:
an error raised inside the user's function reaches the user as it was raised. On KerasTensors
(`symbolic_first`) each is recorded as one node of the graph, as Keras records `Cond`, `Scan`, ...
"""

import builtins
import functools

import numpy as np
import torch

from kerastorch.backend.tensors import convert_to_tensor
from kerastorch.ops import _tree
from kerastorch.ops._utils import symbolic_first, tensor

__all__ = ["associative_scan", "cond", "custom_gradient", "fori_loop", "map", "scan", "switch",
           "vectorized_map", "while_loop"]


def _callable(name, what, fn):
    if not callable(fn):
        raise TypeError(f"ops.{name}: `{what}` must be a callable, got {type(fn).__name__} {fn!r}.")


# --------------------------------------------------------------------------------- control flow
@symbolic_first
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


@symbolic_first
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


@symbolic_first
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


@symbolic_first
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


@symbolic_first
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


@symbolic_first
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


@symbolic_first
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


@symbolic_first
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
