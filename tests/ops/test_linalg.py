"""`kerastorch.ops` linear algebra against real Keras, reached as `ops.X` and `ops.linalg.X`.

Inputs are chosen so results are unique and well conditioned: symmetric positive-definite matrices
for Cholesky, symmetric matrices with distinct eigenvalues for `eigh`/`eig`, full-rank matrices for
solves and inverses. Both libraries call the same torch kernels, so even sign-ambiguous outputs
(eigenvectors, singular vectors, Q) are compared with Keras directly; reconstruction tests check
the decompositions against the input besides. Gradients are compared wherever Keras differentiates.
"""

import doctest
import re

import numpy as np
import pytest
import torch

from tests.ops.harness import (Case, assert_every_name_has_a_case, check, floats, ints, keras,
                               keras_names)

import kerastorch  # noqa: E402
from kerastorch import ops  # noqa: E402
from kerastorch.ops import linalg  # noqa: E402

_RNG = np.random.default_rng(12)


def spd(n, batch=(), dtype="float32"):
    """Symmetric positive-definite matrices."""
    a = _RNG.uniform(-1, 1, size=batch + (n, n))
    return (a @ np.swapaxes(a, -1, -2) + n * np.eye(n)).astype(dtype)


def symmetric_distinct(n, batch=(), dtype="float32"):
    """Symmetric matrices with well separated eigenvalues 1, 3, 5, ..."""
    q, _ = np.linalg.qr(_RNG.uniform(-1, 1, size=batch + (n, n)))
    eigenvalues = np.arange(1, 2 * n, 2, dtype="float64")
    return (q * eigenvalues[..., None, :]) @ np.swapaxes(q, -1, -2)


def well_conditioned(*shape, dtype="float32"):
    n = shape[-1]
    return (_RNG.uniform(-1, 1, size=shape) + 3 * np.eye(n)).astype(dtype)


def lower(n, dtype="float32"):
    return np.tril(well_conditioned(n, n, dtype=dtype))


def upper(n, dtype="float32"):
    return np.triu(well_conditioned(n, n, dtype=dtype))


SYM = symmetric_distinct(3).astype("float32")
RANK2 = np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [1.0, 0.0, 1.0]], dtype="float32")

CASES = [
    Case("cholesky", (spd(3),), grad=True), Case("cholesky", (spd(3, (2,)),), {"upper": True}, grad=True),
    Case("cholesky", (spd(4, dtype="float64"),)),
    Case("cholesky_inverse", (np.linalg.cholesky(spd(3)).astype("float32"),), grad=True, rtol=1e-5),
    Case("cholesky_inverse", (np.linalg.cholesky(spd(3)).T.astype("float32"),), {"upper": True}, rtol=1e-5),
    Case("cholesky_inverse", (np.linalg.cholesky(spd(3, (2,))),)),
    Case("det", (well_conditioned(3, 3),), grad=True, rtol=1e-5),
    Case("det", (well_conditioned(2, 4, 4),), grad=True, rtol=1e-5),
    Case("det", (well_conditioned(3, 3, dtype="float64"),)),
    Case("eig", (SYM,), rtol=1e-5, atol=1e-5), Case("eig", (symmetric_distinct(4, (2,)),)),
    Case("eig", (upper(3) + np.diag([0.0, 1.0, 2.0]).astype("float32"),), rtol=1e-5, atol=1e-5),
    Case("eigh", (SYM,), grad=True, rtol=1e-5, atol=1e-5),
    Case("eigh", (symmetric_distinct(3, (2,)).astype("float32"),), rtol=1e-5, atol=1e-5),
    Case("eigh", (symmetric_distinct(4),)),
    Case("inv", (well_conditioned(3, 3),), grad=True, rtol=1e-5, atol=1e-5),
    Case("inv", (well_conditioned(2, 3, 3, dtype="float64"),)),
    Case("jvp", (lambda x: x * x, (floats(3),), (floats(3),))),
    Case("jvp", (lambda x, y: torch.sin(x) * y, (floats(2, 2), floats(2, 2)), (floats(2, 2), floats(2, 2)))),
    Case("jvp", (lambda x: (x ** 3, x + 1.0), (floats(3),), (np.ones(3, "float32"),)), {"has_aux": True}),
    Case("jvp", (lambda x: {"a": x.sum(), "b": x * 2.0}, (floats(4),), (floats(4),))),
    Case("lstsq", (floats(5, 3), floats(5)), rtol=1e-5, atol=1e-5),
    Case("lstsq", (floats(5, 3), floats(5, 2)), rtol=1e-5, atol=1e-5),
    Case("lstsq", (floats(5, 3, dtype="float64"), floats(5, 2, dtype="float64")), {"rcond": 1e-3}),
    Case("lstsq", (RANK2, floats(3)), {"rcond": 1e-3}, rtol=1e-5, atol=1e-5),
    Case("lu_factor", (well_conditioned(3, 3),)), Case("lu_factor", (well_conditioned(2, 4, 4),)),
    Case("lu_factor", (floats(3, 5),)), Case("lu_factor", (floats(5, 3, dtype="float64"),)),
    Case("matrix_rank", (RANK2,)), Case("matrix_rank", (np.stack([RANK2, np.eye(3, dtype="float32")]),)),
    Case("matrix_rank", (RANK2,), {"tol": 10.0}), Case("matrix_rank", (floats(4, 2, dtype="float64"),)),
    Case("pinv", (floats(4, 3),), grad=True, rtol=1e-5, atol=1e-5),
    Case("pinv", (RANK2,), {"rcond": 1e-3}, rtol=1e-5, atol=1e-5),
    Case("pinv", (floats(2, 3, 5, dtype="float64"),)),
    Case("qr", (floats(4, 3),), grad=True, rtol=1e-5, atol=1e-5),
    Case("qr", (floats(4, 3),), {"mode": "complete"}, rtol=1e-5, atol=1e-5),
    Case("qr", (floats(2, 3, 5, dtype="float64"),)),
    Case("solve", (well_conditioned(3, 3), floats(3)), grad=True, rtol=1e-5, atol=1e-5),
    Case("solve", (well_conditioned(3, 3), floats(3, 2)), grad=True, rtol=1e-5, atol=1e-5),
    Case("solve", (well_conditioned(2, 3, 3), floats(2, 3)), rtol=1e-5, atol=1e-5),
    Case("solve", (well_conditioned(3, 3, dtype="float64"), floats(3, 4, dtype="float64"))),
    Case("solve_triangular", (lower(3), floats(3)), {"lower": True}, grad=True, rtol=1e-5, atol=1e-5),
    Case("solve_triangular", (upper(3), floats(3, 2)), grad=True, rtol=1e-5, atol=1e-5),
    Case("solve_triangular", (floats(3, 3), floats(3, 2)), {"lower": True}, rtol=1e-4, atol=1e-4,
         label="reads only the lower triangle"),
    Case("solve_triangular", (upper(4, dtype="float64"), floats(4, dtype="float64"))),
    Case("svd", (floats(4, 3),), rtol=1e-5, atol=1e-5),
    Case("svd", (floats(4, 3),), {"full_matrices": False}, grad=True, rtol=1e-5, atol=1e-5),
    Case("svd", (floats(3, 5),), {"compute_uv": False}, grad=True, rtol=1e-5, atol=1e-5),
    Case("svd", (floats(2, 3, 3, dtype="float64"),)),
]
# norm: every vector and matrix order, axes, keepdims, ints
for order in (None, 1, 2, 3.5, 0, float("inf"), float("-inf"), -1):
    CASES.append(Case("norm", (floats(2, 5),), {"ord": order, "axis": -1}, grad=order != 0, rtol=1e-5))
for order in (None, "fro", "nuc", 1, -1, 2, -2, float("inf"), float("-inf")):
    CASES.append(Case("norm", (floats(4, 3),), {"ord": order}, grad=True, rtol=1e-5, atol=1e-5))
CASES += [
    Case("norm", (floats(2, 3, 4),), grad=True, rtol=1e-5),
    Case("norm", (floats(2, 3, 4),), {"axis": (0, 2), "keepdims": True}, grad=True, rtol=1e-5),
    Case("norm", (floats(2, 3, 4),), {"ord": "fro", "axis": (-2, -1)}, rtol=1e-5),
    Case("norm", (floats(3, 4),), {"axis": 0, "keepdims": True}, grad=True, rtol=1e-5),
    Case("norm", (ints(3, 4),), {"axis": 1}), Case("norm", (ints(5, dtype="int64"),)),
    Case("norm", (floats(3, dtype="float64"),), {"ord": 1}),
    Case("norm", (floats(6, dtype="float16"),)),
]

NAMES = keras_names("linalg")


def case_id(case):
    return re.sub(r" at 0x[0-9a-f]+", "", str(case))


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_matches_keras(case):
    check(case)


def test_every_linalg_name_has_a_case_and_both_spellings():
    assert len(NAMES) == 16
    assert_every_name_has_a_case(NAMES, CASES)
    public = sorted(n for n in dir(keras.ops.linalg) if not n.startswith("_"))
    assert public == NAMES
    for name in public:
        assert getattr(kerastorch.ops.linalg, name) is getattr(kerastorch.ops, name)


def test_decompositions_reconstruct_their_input():
    x = torch.tensor(floats(5, 3, dtype="float64"))
    u, s, vh = ops.svd(x, full_matrices=False)
    torch.testing.assert_close(u @ torch.diag(s) @ vh, x)
    q, r = ops.qr(x)
    torch.testing.assert_close(q @ r, x)
    assert torch.allclose(torch.triu(r), r)
    sym = torch.tensor(symmetric_distinct(4))
    w, v = ops.eigh(sym)
    torch.testing.assert_close(w, torch.tensor([1.0, 3.0, 5.0, 7.0], dtype=torch.float64))
    torch.testing.assert_close(v @ torch.diag(w) @ v.T, sym)
    w, v = ops.eig(sym)
    torch.testing.assert_close(v @ torch.diag(w) @ torch.linalg.inv(v), sym.to(torch.complex128))
    a = torch.tensor(spd(3, dtype="float64"))
    torch.testing.assert_close(ops.cholesky(a) @ ops.cholesky(a).T, a)
    torch.testing.assert_close(ops.cholesky_inverse(ops.cholesky(a)) @ a, torch.eye(3, dtype=torch.float64))
    lu, pivots = ops.lu_factor(a)
    p, low, up = torch.lu_unpack(lu, pivots.to(torch.int32) + 1)
    torch.testing.assert_close(p @ low @ up, a)


def test_jvp_takes_lists_as_keras_documents():
    # Keras' docstring allows lists; its torch backend passes them to torch.func.jvp, which refuses.
    x, t = torch.tensor(floats(3)), torch.tensor(floats(3))
    expected = keras.ops.jvp(lambda v: v * v, (x,), (t,))
    got = ops.jvp(lambda v: v * v, [x], [t])
    for e, g in zip(expected, got):
        torch.testing.assert_close(g, e)


def test_hand_computed_values():
    assert ops.det([[1.0, 2.0], [3.0, 4.0]]).item() == pytest.approx(-2.0)
    assert ops.norm([[1.0, -2.0], [3.0, 4.0]], ord=1).item() == pytest.approx(6.0)   # max column sum
    assert ops.norm([[1.0, -2.0], [3.0, 4.0]], ord=float("inf")).item() == pytest.approx(7.0)
    assert ops.matrix_rank(torch.tensor(RANK2)).item() == 2
    np.testing.assert_allclose(ops.solve([[2.0, 0.0], [0.0, 4.0]], [2.0, 2.0]).numpy(), [1.0, 0.5])
    np.testing.assert_allclose(ops.lstsq([[1.0, 0.0], [0.0, 1.0], [0.0, 0.0]], [1.0, 2.0, 3.0]).numpy(),
                               [1.0, 2.0], atol=1e-6)


BAD_INPUTS = [
    (lambda: ops.inv(torch.zeros(2, 2)), ValueError, r"ops.inv failed on inputs of shape \(2, 2\): the matrix "
                                                      r"is singular; use ops.pinv"),
    (lambda: ops.cholesky(torch.tensor([[1.0, 2.0], [2.0, 1.0]])),
     ValueError, r"ops.cholesky failed on inputs of shape \(2, 2\): the matrix must be symmetric positive-definite"),
    (lambda: ops.solve(torch.zeros(2, 2), torch.ones(2)), ValueError, r"ops.solve failed.*singular"),
    (lambda: ops.det(torch.ones(2, 3)), ValueError, r"ops.det: `x` must hold square matrices.*\(2, 3\)"),
    (lambda: ops.eigh(torch.ones(3)), ValueError, r"ops.eigh: `x` must have rank >= 2.*got shape \(3,\)"),
    (lambda: ops.inv(torch.eye(2, dtype=torch.int32)),
     TypeError, r"ops.inv: `x` must be a float or complex tensor, got int32"),
    (lambda: ops.solve(torch.eye(3), torch.ones(2)),
     ValueError, r"ops.solve: expected a.shape\[-1\] == b.shape\[-1\], got a.shape=\(3, 3\) and b.shape=\(2,\)"),
    (lambda: ops.solve(torch.eye(3), torch.ones(2, 1)),
     ValueError, r"ops.solve: expected a.shape\[-2\] == b.shape\[-2\], got a.shape=\(3, 3\) and b.shape=\(2, 1\)"),
    (lambda: ops.solve_triangular(torch.eye(3), 1.0), ValueError, r"ops.solve_triangular: `b` must have rank >= 1"),
    (lambda: ops.lstsq(torch.ones(4, 2), torch.ones(3)),
     ValueError, r"ops.lstsq: expected b of shape \(M,\) or \(M, K\).*a.shape=\(4, 2\) and b.shape=\(3,\)"),
    (lambda: ops.qr(torch.ones(3, 3), mode="full"), ValueError, r"ops.qr: mode must be 'reduced' or 'complete'"),
    (lambda: ops.norm(torch.ones(3), ord="fro"), ValueError, r"ops.norm: ord='fro' is a matrix norm"),
    (lambda: ops.norm(torch.ones(3, 3), ord="max"), ValueError, r"ops.norm: a string `ord` must be 'fro' or 'nuc'"),
    (lambda: ops.norm(torch.ones(3, 3), ord=3), ValueError, r"ops.norm: ord=3 is not a matrix norm"),
    (lambda: ops.norm(torch.ones(2, 3, 4), ord=2), ValueError, r"ops.norm: with ord=2, x must be 1-D or 2-D"),
    (lambda: ops.norm(torch.ones(2, 3), axis=2),
     ValueError, r"ops.norm: the inputs do not fit together \(inputs \(2, 3\); axis=2\)"),
    (lambda: ops.jvp(lambda x: x, (torch.ones(2),), ()), ValueError, r"ops.jvp: got 1 primals but 0 tangents"),
    (lambda: ops.jvp(lambda x: x, torch.ones(2), torch.ones(2)), TypeError, r"ops.jvp: `primals` and `tangents`"),
]


@pytest.mark.parametrize("fn,error,message", BAD_INPUTS, ids=[m[:60] for _, _, m in BAD_INPUTS])
def test_bad_input_names_the_op_and_the_shapes(fn, error, message):
    with pytest.raises(error, match=message):
        fn()


def test_docstring_examples_run():
    assert doctest.testmod(linalg, optionflags=doctest.ELLIPSIS).failed == 0
