"""Keras' `vectorize`: a function of single elements (or core arrays) applied over whole tensors.

The returned function broadcasts its tensor arguments' leading (non-core) axes, flattens them into
one batch axis and runs `pyfunc` once under `torch.vmap`; arguments whose leading axes are all of
size 1 are passed to every call as they are (no copies).

Beyond Keras (whose `vectorize` drops `excluded` and keyword arguments): positions and names in
`excluded` are passed to `pyfunc` unchanged, and keyword arguments are passed unchanged too (never
vectorized), as in `jax.numpy.vectorize`.

Example:
>>> import torch
>>> from kerastorch import ops
>>> ops.vectorize(lambda a, b: a * b + 1)(torch.tensor([1, 2]), torch.tensor([[10], [20]]))
tensor([[11, 21],
        [21, 41]])
"""

import functools
import math
import re

import torch

from kerastorch.ops._utils import keras_op, tensor

__all__ = ["vectorize"]

_DIM = r"\w+"
_CORE = rf"\((?:{_DIM}(?:,{_DIM})*)?\)"
_SIGNATURE = re.compile(rf"^{_CORE}(?:,{_CORE})*->{_CORE}(?:,{_CORE})*$")


def _parse_signature(signature):
    """`"(m,n),(n)->(m)"` as `([("m", "n"), ("n",)], [("m",)])`."""
    if not isinstance(signature, str) or not _SIGNATURE.match(signature.replace(" ", "")):
        raise ValueError(f"ops.vectorize: not a valid generalized-ufunc signature: {signature!r}; expected "
                         "something like '(m,n),(n)->(m)'.")
    inputs, outputs = signature.replace(" ", "").split("->")
    parse = lambda part: [tuple(re.findall(_DIM, arg)) for arg in re.findall(_CORE, part)]  # noqa: E731
    return parse(inputs), parse(outputs)


def _record_sizes(sizes, shape, core, what):
    for name, size in zip(core, shape[len(shape) - len(core):]):
        if sizes.setdefault(name, size) != size:
            raise ValueError(f"ops.vectorize: inconsistent size for core dimension {name!r}: {size} in {what} "
                             f"vs {sizes[name]} elsewhere.")


@keras_op
def vectorize(pyfunc, *, excluded=None, signature=None):
    """Turns a function of single elements (or of core arrays, with `signature`) into one over tensors.

    Args:
        pyfunc: The function to vectorize; it must compute with torch (or `kerastorch.ops`) on its
            tensor arguments.
        excluded: Optional set of positions (ints) and keyword names (strs) of arguments passed
            to `pyfunc` unchanged. Defaults to `None`.
        signature: Optional generalized-ufunc signature such as `"(m,n),(n)->(m)"`, naming the
            core axes of each input and output; without it, `pyfunc` sees scalars.
            Defaults to `None`.

    Returns:
        The vectorized function: it broadcasts the leading axes of its tensor arguments and
        returns `pyfunc`'s result(s) with those axes in front.

    Example:
    >>> import torch
    >>> matvec = vectorize(torch.matmul, signature="(m,n),(n)->(m)")
    >>> matvec(torch.ones(4, 2, 3), torch.ones(3)).shape
    torch.Size([4, 2])
    """
    if not callable(pyfunc):
        raise ValueError(f"ops.vectorize: `pyfunc` must be callable, got {pyfunc!r}.")
    excluded = frozenset(excluded or ())
    bad = [e for e in excluded if isinstance(e, bool) or not isinstance(e, (int, str))]
    if bad:
        raise TypeError(f"ops.vectorize: `excluded` holds positions (ints) and keyword names (strs), got {bad!r}.")
    in_core, out_core = _parse_signature(signature) if signature is not None else (None, None)

    @functools.wraps(pyfunc)
    def wrapped(*args, **kwargs):
        dynamic = [i for i in range(len(args)) if i not in excluded]
        tensors = [tensor(args[i]) for i in dynamic]
        cores = in_core if in_core is not None else [()] * len(tensors)
        if len(cores) != len(tensors):
            raise TypeError(f"ops.vectorize: the signature {signature!r} names {len(cores)} inputs, but "
                            f"{len(tensors)} vectorized positional arguments were given.")
        sizes, batch_shapes = {}, []
        for i, (t, core) in zip(dynamic, zip(tensors, cores)):
            if t.ndim < len(core):
                raise ValueError(f"ops.vectorize: argument {i} of shape {tuple(t.shape)} has fewer axes than "
                                 f"its core dimensions {core}.")
            _record_sizes(sizes, t.shape, core, f"argument {i}")
            batch_shapes.append(tuple(t.shape[:t.ndim - len(core)]))
        try:
            batch = tuple(torch.broadcast_shapes(*batch_shapes)) if batch_shapes else ()
        except RuntimeError:
            raise ValueError(f"ops.vectorize: the arguments' leading shapes {batch_shapes} do not broadcast "
                             "together.") from None

        def call(*values):
            full = list(args)
            for i, v in zip(dynamic, values):
                full[i] = v
            return pyfunc(*full, **kwargs)

        count = math.prod(batch)
        inputs, in_dims = [], []
        for t, shape in zip(tensors, batch_shapes):
            core_shape = tuple(t.shape[len(shape):])
            if math.prod(shape) == 1 or count == 1:
                inputs.append(t.reshape(core_shape))
                in_dims.append(None)
            else:
                inputs.append(t.expand(batch + core_shape).reshape((count,) + core_shape))
                in_dims.append(0)
        if all(d is None for d in in_dims):
            result, lead = call(*inputs), 0
        else:
            result, lead = torch.vmap(call, in_dims=tuple(in_dims))(*inputs), 1
        outputs = result if isinstance(result, tuple) else (result,)
        if out_core is not None:
            if len(out_core) != len(outputs):
                raise TypeError(f"ops.vectorize: the signature {signature!r} names {len(out_core)} outputs, "
                                f"but pyfunc returned {len(outputs)}.")
            for j, (o, core) in enumerate(zip(outputs, out_core)):
                if o.ndim - lead != len(core):
                    raise ValueError(f"ops.vectorize: output {j} has core shape {tuple(o.shape[lead:])}, "
                                     f"which does not match its core dimensions {core}.")
                _record_sizes(sizes, o.shape, core, f"output {j}")
        shaped = tuple(o.reshape(batch + tuple(o.shape[lead:])) for o in outputs)
        return shaped if isinstance(result, tuple) else shaped[0]

    return wrapped
