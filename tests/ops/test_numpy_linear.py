"""The products and linear ops of `kerastorch.ops.numpy` against real Keras on torch (and NumPy where
Keras' torch backend departs from NumPy's documented meaning): result dtypes over a table of dtype
pairs, shapes over a table of ranks, gradients for float inputs.
"""

import doctest
import itertools

import numpy as np
import pytest
import torch

from tests.ops.harness import Case, assert_every_name_has_a_case, bools, floats, ints, keras_names
from tests.ops.numpy_part import check_all

from kerastorch import ops  # noqa: E402
from kerastorch.ops.numpy import linear  # noqa: E402

NAMES = ["correlate", "cross", "dot", "einsum", "inner", "kron", "matmul", "outer", "slogdet", "tensordot",
         "trace", "vdot"]
DTYPE_PAIRS = [("float32", "float32"), ("float64", "float64"), ("int32", "int32"), ("int8", "int8"),
               ("int32", "float32"), ("int8", "int16"), ("uint8", "int8"), ("bool", "bool"), ("bool", "int32"),
               ("float16", "float16"), ("float16", "float32"), ("int64", "int64"),
               ("float32", "float64"), ("uint8", "uint8")]


def arr(dtype, *shape):
    if dtype == "bool":
        return bools(*shape)
    if dtype.startswith(("int", "uint")):
        return ints(*shape, low=0 if dtype.startswith("u") else -5, dtype=dtype)
    return floats(*shape, dtype=dtype)


def tol(d1, d2):
    low = "float16" in (d1, d2)
    return {"rtol": 1e-2, "atol": 1e-2} if low else {"rtol": 1e-5, "atol": 1e-5}


CASES = []
SHAPE_PAIRS = {
    "matmul": [((2, 3), (3, 4)), ((3,), (3, 2)), ((2, 3), (3,)), ((4,), (4,)), ((2, 2, 3), (3, 4)), ((1, 2, 3), (5, 3, 2))],
    "dot": [((2, 3), (3, 4)), ((3,), (3,)), ((2, 3), (3,)), ((), (2, 3)), ((2, 3), ()), ((2, 2, 3), (3,)),
            ((2, 2, 3), (3, 4))],
    "inner": [((3,), (3,)), ((2, 3), (4, 3)), ((2, 2, 3), (3,)), ((), (2,))],
    "vdot": [((3,), (3,)), ((6,), (6,))],
    "outer": [((3,), (2,)), ((2, 2), (3,)), ((), (4,))],
    "kron": [((2,), (3,)), ((2, 2), (2, 3)), ((2, 1, 2), (2, 2))],
}
for name, shapes in SHAPE_PAIRS.items():
    for (s1, s2), (d1, d2) in itertools.product(shapes, DTYPE_PAIRS):
        grad = d1.startswith("float") and d2.startswith("float")
        CASES.append(Case(name, (arr(d1, *s1), arr(d2, *s2)), grad=grad, **tol(d1, d2)))
for (d1, d2), axes in itertools.product(DTYPE_PAIRS, [2, 1, 0, ([1], [0]), ((0, 1), (1, 0)), (2, 1)]):
    a, b = arr(d1, 3, 4), arr(d2, 4, 3)
    if axes == 2:
        b = arr(d2, 3, 4)
    elif axes == (2, 1):
        a, b, axes = arr(d1, 2, 3, 4), arr(d2, 3, 4), ([1, 2], [0, 1])
    CASES.append(Case("tensordot", (a, b), {"axes": axes}, grad=d1.startswith("float") and d2.startswith("float"),
                      **tol(d1, d2)))
CASES += [Case("matmul", ([[1, 2]], [[3], [4]])), Case("dot", ([1.5, 2.0], [2, 3])), Case("dot", (2, 3.5)),
          Case("inner", ([1, 2], [3.5, 4.0])), Case("vdot", ([1, 2], [3, 4]))]

EINSUM = [("ij,jk->ik", [(2, 3), (3, 4)]), ("i,i->", [(3,), (3,)]), ("bij,bjk->bik", [(2, 2, 3), (2, 3, 2)]),
          ("ii->i", [(3, 3)]), ("ij->ji", [(2, 3)]), ("...i,i->...", [(2, 2, 3), (3,)]), ("i,j->ij", [(2,), (3,)]),
          ("ijk->", [(2, 2, 2)]), ("ij,ij,ij->i", [(2, 3), (2, 3), (2, 3)])]
for (subs, shapes), dtype in itertools.product(EINSUM, ["float32", "float64", "int32", "int8", "float16"]):
    if dtype == "float16" and len(shapes) > 2:
        continue
    CASES.append(Case("einsum", (subs, *[arr(dtype, *s) for s in shapes]), grad=dtype.startswith("float"),
                      **tol(dtype, dtype)))

for (d1, d2), (s1, s2) in itertools.product(DTYPE_PAIRS, [((3,), (3,)), ((4, 3), (4, 3)), ((2, 1, 3), (2, 4, 3))]):
    if "bool" in (d1, d2) or "uint8" in (d1, d2):
        continue
    CASES.append(Case("cross", (arr(d1, *s1), arr(d2, *s2)), grad=d1.startswith("float") and d2.startswith("float"),
                      **tol(d1, d2)))
CASES.append(Case("cross", (floats(3, 2), floats(3, 2)), {"axis": 0}, grad=True))
CASES.append(Case("cross", (floats(2, 3, 2), floats(2, 3, 2)), {"axis": -2}, grad=True))

for dtype, (shape, kwargs) in itertools.product(
        ["float32", "float64", "int32", "int8", "int16", "uint8", "bool", "int64", "float16"],
        [((3, 3), {}), ((3, 4), {"offset": 1}), ((4, 3), {"offset": -1}), ((2, 3, 3), {"axis1": 1, "axis2": 2}),
         ((3, 2, 3), {"axis1": -1, "axis2": 0, "offset": 1}), ((2, 2), {"offset": 5})]):
    CASES.append(Case("trace", (arr(dtype, *shape),), kwargs, grad=dtype.startswith("float")))

for x in [floats(3, 3), floats(2, 4, 4), floats(2, 2, dtype="float64"), np.eye(3, dtype="float32"),
          np.array([[1.0, 2.0], [2.0, 4.0]], "float32")]:
    CASES.append(Case("slogdet", (x,), grad=bool(np.all(np.abs(np.linalg.det(x)) > 1e-3)), rtol=1e-5, atol=1e-5))

for (n, m), mode, (d1, d2) in itertools.product([(5, 3), (6, 2), (4, 4), (7, 1), (8, 5)], ["valid", "same", "full"],
                                                [("float32", "float32"), ("int32", "int32"), ("float64", "float64"),
                                                 ("int8", "float32"), ("float16", "float16")]):
    if (n == m or m == 1) and mode == "valid":
        continue    # Keras squeezes the one-element result to a scalar; NumPy keeps shape (1,) (tested below)
    CASES.append(Case("correlate", (arr(d1, n), arr(d2, m)), {"mode": mode}, grad=d1 == d2 == "float32",
                      **tol(d1, d2)))


@pytest.mark.parametrize("name", sorted({c.name for c in CASES}))
def test_matches_keras(name):
    check_all([c for c in CASES if c.name == name])


def test_every_linear_name_has_a_case():
    assert set(NAMES) <= set(keras_names("numpy"))
    assert_every_name_has_a_case(NAMES, CASES)


# ------------------------------------------------------------ NumPy's meaning where Keras' torch differs
@pytest.mark.parametrize("s1, s2", [((2, 3, 4), (5, 4, 2)), ((3, 4), (2, 4, 3)), ((2, 1, 3), (2, 4, 3, 1))])
def test_dot_of_nd_tensors_sums_over_last_and_second_to_last_axes(s1, s2):
    a, b = floats(*s1, dtype="float64"), floats(*s2, dtype="float64")
    np.testing.assert_allclose(ops.dot(a, b).double().numpy(), np.dot(a, b), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("shapes, kwargs", [
    (((3, 3), (3, 3)), {}),                                 # Keras' torch backend takes axis 0 here
    (((3, 2), (2, 3)), {"axisa": 0}), (((2, 3), (3, 2)), {"axisb": 0, "axisc": 0}),
    (((3, 4), (4, 3)), {"axisa": 0, "axisb": -1, "axisc": 0}), (((4, 3), (3,)), {"axisc": 0}),
    (((2, 3), (3,)), {}), (((2, 1, 3), (4, 3)), {}),        # ranks that differ (Keras' torch backend raises)
])
def test_cross_takes_numpys_axes(shapes, kwargs):
    a, b = floats(*shapes[0], dtype="float64"), floats(*shapes[1], dtype="float64")
    np.testing.assert_allclose(ops.cross(a, b, **kwargs).double().numpy(), np.cross(a, b, **kwargs),
                               rtol=1e-5, atol=1e-7)     # float32 results: a component can cancel to ~0


@pytest.mark.parametrize("n, m", [(5, 3), (3, 5), (4, 4), (1, 3), (2, 6), (7, 1), (6, 3), (3, 6)])
@pytest.mark.parametrize("mode", ["valid", "same", "full"])
def test_correlate_matches_numpy(n, m, mode):
    a, b = floats(n, dtype="float64"), floats(m, dtype="float64")
    got = ops.correlate(a, b, mode=mode)
    assert got.dtype == torch.float32       # Keras' promotion on torch: float64 with float64 is float32
    np.testing.assert_allclose(got.numpy(), np.correlate(a, b, mode=mode), rtol=1e-5, atol=1e-6)


def test_vdot_flattens_and_einsum_promotes_mixed_dtypes():
    a, b = floats(2, 3), floats(3, 2)
    np.testing.assert_allclose(ops.vdot(a, b).numpy(), np.vdot(a, b), rtol=1e-5)
    i, f = ints(2, 3), floats(3, 2)
    got = ops.einsum("ij,jk->ik", i, f)
    assert got.dtype == torch.float32
    np.testing.assert_allclose(got.numpy(), np.einsum("ij,jk->ik", i.astype("float32"), f), rtol=1e-5)


# ------------------------------------------------------------------------------------------ bad input
@pytest.mark.parametrize("call, error, match", [
    (lambda: ops.matmul(np.ones((2, 3)), np.ones((4, 2))), ValueError, r"ops.matmul: .*\(2, 3\), \(4, 2\)"),
    (lambda: ops.dot(np.ones(3), np.ones(4)), ValueError, r"ops.dot: .*\(3,\), \(4,\)"),
    (lambda: ops.tensordot(np.ones((2, 3)), np.ones((2, 3)), axes=1), ValueError, r"ops.tensordot: .*\(2, 3\), \(2, 3\)"),
    (lambda: ops.einsum("ij,jk->ik", np.ones((2, 3)), np.ones((2, 3))), ValueError, r"ops.einsum: .*\(2, 3\), \(2, 3\)"),
    (lambda: ops.einsum("ij->ji", np.ones((2, 3)), optimize=True), TypeError, r"ops.einsum: keyword arguments \['optimize'\]"),
    (lambda: ops.cross(np.ones(2), np.ones(3)), ValueError, r"ops.cross: the vectors must have 3 components, got x1.shape=\(2,\)"),
    (lambda: ops.cross(np.ones((3, 3)), np.ones((3, 3)), axisa=2), ValueError, r"ops.cross: axisa=2 is out of range .*\(3, 3\)"),
    (lambda: ops.trace(np.ones((3, 3)), axis1=0, axis2=-2), ValueError, "ops.trace: `axis1` and `axis2` must differ"),
    (lambda: ops.trace(np.ones(3)), ValueError, r"ops.trace: axis2=1 is out of range .*\(3,\)"),
    (lambda: ops.slogdet(np.ones((2, 3))), ValueError, r"ops.slogdet: `x` must be a stack of square matrices .*\(2, 3\)"),
    (lambda: ops.slogdet(np.ones((2, 2), "int32")), TypeError, "ops.slogdet: `x` must be a float tensor, got dtype int32"),
    (lambda: ops.correlate(np.ones(3), np.ones(2), mode="middle"), ValueError, "ops.correlate: `mode` must be"),
    (lambda: ops.correlate(np.ones((2, 3)), np.ones(2)), ValueError, r"ops.correlate: `x1` and `x2` must be 1-D, got shapes \(2, 3\)"),
    (lambda: ops.kron(np.ones(2), "a"), TypeError, "convert_to_tensor: cannot convert"),
])
def test_bad_input_raises_errors_naming_the_op_and_shapes(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_docstring_examples_run():
    result = doctest.testmod(linear, extraglobs={"torch": torch}, verbose=False)
    assert result.attempted > 0 and result.failed == 0
