"""Compares a `kerastorch.ops` function with real Keras' `keras.ops` (torch backend) on the same inputs.

A test module lists `Case`s in a table, one or more per op name; `check(case)` runs the op in both
libraries on copies of the same inputs and compares the results' structure, shapes, dtypes and values,
and, for cases marked `grad=True`, the gradients of `sum(output)` with respect to every float input.

    CASES = [
        Case("add", (F32_2x3, F32_3)),                      # broadcasting
        Case("sum", (F32_2x3,), {"axis": -1, "keepdims": True}, grad=True),
    ]

    @pytest.mark.parametrize("case", CASES, ids=str)
    def test_matches_keras(case):
        check(case)

Inputs are numpy arrays or Python values; each library receives its own torch copy of each array,
so gradients never mix.
"""

import dataclasses

import numpy as np
import pytest
import torch

keras = pytest.importorskip("keras")
import kerastorch  # noqa: E402
from kerastorch.backend import standardize_dtype  # noqa: E402

_RNG = np.random.default_rng(0)


def floats(*shape, low=-2.0, high=2.0, dtype="float32"):
    """A random float array: the same values on every run of the same test (the suite's conftest
    reseeds this module's generator per test)."""
    return _RNG.uniform(low, high, size=shape).astype(dtype)


def positive(*shape, dtype="float32"):
    """A fixed random array in (0.1, 3)."""
    return _RNG.uniform(0.1, 3.0, size=shape).astype(dtype)


def ints(*shape, low=-5, high=6, dtype="int32"):
    """A fixed random integer array in [low, high)."""
    return _RNG.integers(low, high, size=shape).astype(dtype)


def bools(*shape):
    """A fixed random boolean array."""
    return _RNG.random(size=shape) < 0.5


@dataclasses.dataclass
class Case:
    """One call of op `name` with positional `args` and keyword `kwargs`.

    Args:
        name: The op's name in `keras.ops` (or `module.name`, e.g. `"image.resize"`).
        args: Positional arguments: numpy arrays, Python values, or nested lists/tuples of them.
        kwargs: Keyword arguments (passed as they are to both libraries).
        grad: Whether to compare the gradients of `sum(outputs)` for every float array argument.
        rtol: Relative tolerance for values. Float32 reductions use 1e-5, the rest 1e-6.
        atol: Absolute tolerance for values.
        label: Optional text that tells the case apart in test ids.
    """

    name: str
    args: tuple = ()
    kwargs: dict = dataclasses.field(default_factory=dict)
    grad: bool = False
    rtol: float = 1e-6
    atol: float = 1e-6
    label: str = ""

    def __str__(self):
        def describe(a):
            if isinstance(a, np.ndarray):
                return f"{a.dtype}{list(a.shape)}"
            if isinstance(a, (list, tuple)):
                return "[" + ",".join(describe(x) for x in a) + "]"
            if callable(a):                 # no memory addresses in test ids
                return getattr(a, "__name__", type(a).__name__)
            return repr(a)
        text = f"{self.name}({','.join(describe(a) for a in self.args)}"
        if self.kwargs:
            text += "," + ",".join(f"{k}={describe(v)}" for k, v in self.kwargs.items())
        return text + ")" + (f"[{self.label}]" if self.label else "")


def _resolve(module, name):
    obj = module
    for part in name.split("."):
        obj = getattr(obj, part)
    return obj


def _to_torch(value, leaves):
    """Copies numpy arrays to fresh torch tensors (float ones require grad when asked)."""
    if isinstance(value, np.ndarray):
        tensor = torch.tensor(value)
        leaves.append(tensor)
        return tensor
    if isinstance(value, list):
        return [_to_torch(v, leaves) for v in value]
    if isinstance(value, tuple):
        return tuple(_to_torch(v, leaves) for v in value)
    return value


def _flatten(out):
    if isinstance(out, (list, tuple)):
        return [leaf for item in out for leaf in _flatten(item)]
    if isinstance(out, dict):
        return [leaf for key in sorted(out) for leaf in _flatten(out[key])]
    return [out]


def _structure(out):
    if isinstance(out, (list, tuple)):
        return (type(out).__name__ if not hasattr(out, "_fields") else "tuple", [_structure(o) for o in out])
    return "leaf"


def _numpy(x):
    if isinstance(x, torch.Tensor):
        x = x.detach()
        if x.dtype == torch.bfloat16:
            x = x.float()
        return x.cpu().numpy()
    return np.asarray(x)


def _dtype(x):
    if isinstance(x, torch.Tensor):
        return standardize_dtype(x.dtype)
    return type(x).__name__ if isinstance(x, (bool, int, float)) else standardize_dtype(np.asarray(x).dtype)


def _run(module, case, with_grad):
    leaves = []
    args = _to_torch(case.args, leaves)
    if with_grad:
        for leaf in leaves:
            if leaf.is_floating_point():
                leaf.requires_grad_(True)
    out = _resolve(module, case.name)(*args, **case.kwargs)
    grads = None
    if with_grad:
        total = sum(o.float().sum() for o in _flatten(out) if isinstance(o, torch.Tensor) and o.is_floating_point())
        total.backward()
        grads = [leaf.grad for leaf in leaves if leaf.is_floating_point()]
    return out, grads


def assert_same(expected, got, rtol, atol, what):
    """Asserts kerastorch's result `got` equals Keras' `expected`: structure, shapes, dtypes, values."""
    assert _structure(got) == _structure(expected), f"{what}: structure {_structure(got)} != Keras' {_structure(expected)}"
    for i, (e, g) in enumerate(zip(_flatten(expected), _flatten(got))):
        where = f"{what} output {i}"
        if isinstance(e, torch.Tensor):
            assert isinstance(g, torch.Tensor), f"{where}: got {type(g).__name__}, Keras gives a tensor"
        assert _dtype(g) == _dtype(e), f"{where}: dtype {_dtype(g)} != Keras' {_dtype(e)}"
        e_np, g_np = _numpy(e), _numpy(g)
        assert g_np.shape == e_np.shape, f"{where}: shape {g_np.shape} != Keras' {e_np.shape}"
        if e_np.dtype.kind in "fc":
            np.testing.assert_allclose(g_np, e_np, rtol=rtol, atol=atol, equal_nan=True, err_msg=where)
        else:
            np.testing.assert_array_equal(g_np, e_np, err_msg=where)


def check(case):
    """Runs `case` in Keras and in kerastorch and asserts the results (and gradients) are the same."""
    expected, expected_grads = _run(keras.ops, case, case.grad)
    got, got_grads = _run(kerastorch.ops, case, case.grad)
    assert_same(expected, got, case.rtol, case.atol, str(case))
    if case.grad:
        assert len(got_grads) == len(expected_grads)
        for i, (e, g) in enumerate(zip(expected_grads, got_grads)):
            assert (e is None) == (g is None), f"{case} gradient {i}: Keras {'has none' if e is None else 'has one'}"
            if e is not None:
                np.testing.assert_allclose(_numpy(g), _numpy(e), rtol=1e-5, atol=1e-5,
                                           err_msg=f"{case} gradient {i}")


def keras_names(family):
    """The public names of `keras.ops` defined in family `family` (`"numpy"`, `"nn"`, `"math"`, ...)."""
    module = f"keras.src.ops.{family}"
    return sorted(n for n in dir(keras.ops) if not n.startswith("_")
                  and getattr(getattr(keras.ops, n), "__module__", None) == module)


def assert_every_name_has_a_case(names, cases, untested=()):
    """Fails for each name in `names` with no case in `cases` and no entry in `untested` (name -> reason)."""
    covered = {c.name.split(".")[-1] for c in cases}
    missing = sorted(set(names) - covered - set(dict(untested)))
    assert not missing, f"ops with no comparison case against Keras: {missing}"
