"""The reductions and statistics of `kerastorch.ops.numpy` against real Keras on torch.

Cases are generated over tables: every reduction over axes (None, ints, negative ints, tuples, lists,
the empty tuple) x keepdims on floats (with gradients), ints, bools, small ints, float16, float64,
0-d inputs and lists; quantiles over q (scalars, lists) x methods x axes; the `nan*` ops on inputs with
`nan`s and all-`nan` slices. Where kerastorch follows numpy rather than Keras' torch backend (the
shape of `keepdims=True` with `axis=None`, `count_nonzero` of a 3-D input, weights along an axis
other than the last, `inf` in the `nan*` ops, empty inputs with `initial`), numpy is the oracle.
"""

import doctest
import importlib
import itertools

import numpy as np
import pytest
import torch

from tests.ops.harness import (Case, assert_every_name_has_a_case, bools, check, floats, ints, keras,
                               keras_names, positive)

import kerastorch  # noqa: E402
from kerastorch import ops  # noqa: E402

MODULES = ["reductions", "statistics"]
NAMES = sorted(n for m in MODULES for n in importlib.import_module(f"kerastorch.ops.numpy.{m}").__all__)
RTOL = 1e-5     # float32 reductions

AXES = [None, 0, -1, 1, (0, 2), [1, 2], (-1, 0)]
# Keras' torch backend ignores keepdims for axis=None in these (a 0-d result; numpy keeps (1, 1, 1)).
KEEPDIMS_IGNORED = {"sum", "prod", "max", "min", "amax", "amin", "ptp", "nanprod"}
NAN = floats(3, 4)
NAN[0, 1] = NAN[2, 3] = np.nan
ALL_NAN_ROW = floats(3, 4)
ALL_NAN_ROW[1, :] = np.nan

CASES = []
# ---- reductions over axes and keepdims
MULTI_AXIS = ["sum", "prod", "mean", "max", "min", "amax", "amin", "all", "any", "std", "var", "ptp",
              "nansum", "nanmean", "nanmax", "nanmin", "nanprod", "nanvar", "nanstd", "median", "nanmedian"]
NO_GRAD = {"all", "any", "argmax", "argmin", "nanargmax", "nanargmin", "count_nonzero", "digitize",
           "bincount", "histogram"}
for name in MULTI_AXIS:
    grad = name not in NO_GRAD
    for axis, keepdims in itertools.product(AXES, [False, True]):
        if axis is None and keepdims and name in KEEPDIMS_IGNORED:
            continue    # numpy's shape: test_keepdims_with_axis_none_keeps_every_axis_like_numpy
        kwargs = {"axis": axis, "keepdims": keepdims}
        CASES.append(Case(name, (floats(2, 3, 4),), kwargs, grad=grad, rtol=RTOL, atol=1e-5))
    CASES += [
        Case(name, (ints(2, 3),), {"axis": -1}, rtol=RTOL),
        Case(name, (ints(2, 3),), rtol=RTOL),
        Case(name, (ints(2, 3, dtype="int8"),), {"axis": 0}, rtol=RTOL),
        Case(name, (ints(2, 3, dtype="uint8", low=0, high=9),), {"axis": 1}, rtol=RTOL),
        Case(name, (ints(2, 3, dtype="int16"),), {"axis": 1, "keepdims": True}, rtol=RTOL),
        Case(name, (ints(3, 2, dtype="int64", low=1),), {"axis": 0}, rtol=RTOL),
        Case(name, (floats(3, 4, dtype="float16"),), {"axis": 1}, rtol=1e-3, atol=1e-3),
        Case(name, (floats(3, 4, dtype="float64"),), {"axis": 0}, grad=grad, rtol=RTOL),
        Case(name, (np.asarray(floats(1)[0]),), grad=grad, rtol=RTOL, label="0-d"),
        Case(name, ([[1.5, 2.0], [0.5, -3.0]],), {"axis": 0}, rtol=RTOL, label="list"),
    ]
    if name != "std":   # Keras' torch backend reduces every axis: test_no_axes_reduce_nothing_like_numpy
        CASES.append(Case(name, (floats(2, 3),), {"axis": ()}, rtol=RTOL, label="no axes"))
    if name not in ("ptp", "std", "nanstd", "median", "nanmedian", "var", "nanvar"):
        CASES.append(Case(name, (bools(2, 3),), {"axis": 0}, rtol=RTOL))
for name in ["mean", "std", "var", "prod", "median"]:
    CASES.append(Case(name, (ints(2, 3),), {"axis": (0, 1)}, rtol=RTOL))
CASES += [
    Case("max", (floats(2, 3),), {"axis": 0, "initial": 0.5}, grad=True),
    Case("min", (floats(2, 3),), {"axis": 1, "initial": -0.5}, grad=True),
    Case("max", (ints(2, 3),), {"initial": 3}),
    Case("min", (ints(2, 3),), {"axis": -1, "keepdims": True, "initial": 0}),
    Case("prod", (floats(2, 3),), {"axis": 1, "dtype": "float64"}),
    Case("prod", (ints(2, 3),), {"dtype": "float32"}),
    Case("prod", (ints(2, 3, dtype="int8"),), {"axis": (0, 1), "dtype": "int8"}),
    Case("sum", ([floats(3), floats(3)],), {"axis": 0}, label="list of arrays"),
    Case("mean", ([floats(3), floats(3)],), {"axis": 1}, label="list of arrays"),
    Case("nanmax", (ALL_NAN_ROW,), {"axis": 1}, grad=True),
    Case("nanmin", (ALL_NAN_ROW,), {"axis": 1, "keepdims": True}),
    Case("nanmean", (ALL_NAN_ROW,), {"axis": 1}),
    Case("nanvar", (ALL_NAN_ROW,), {"axis": -1}),
]
for name in ["nansum", "nanmean", "nanmax", "nanmin", "nanprod", "nanvar", "nanstd", "nanmedian"]:
    for axis, keepdims in itertools.product([None, 0, 1, (0, 1)], [False, True]):
        if axis is None and keepdims and name in KEEPDIMS_IGNORED:
            continue
        CASES.append(Case(name, (NAN,), {"axis": axis, "keepdims": keepdims}, grad=True, rtol=RTOL,
                          atol=1e-5, label="with nan"))
    CASES.append(Case(name, (NAN,), {"axis": ()}, rtol=RTOL, label="no axes, with nan"))

# ---- single-axis reductions and index reductions
for name in ["argmax", "argmin", "nanargmax", "nanargmin"]:
    for axis, keepdims in itertools.product([None, 0, 1, -1], [False, True]):
        CASES.append(Case(name, (floats(3, 4),), {"axis": axis, "keepdims": keepdims}))
    CASES += [Case(name, (ints(3, 4),), {"axis": 0}), Case(name, (bools(3, 4),), {"axis": 1}),
              Case(name, (ints(5, dtype="uint8", low=0),)), Case(name, (floats(4, dtype="float16"),)),
              Case(name, (NAN,), {"axis": 1}, label="with nan"),
              Case(name, (ALL_NAN_ROW,), {"axis": 1}, label="all-nan row"),
              Case(name, ([3.0, 1.0, 2.0],), label="list")]
for name in ["count_nonzero"]:
    for x, axis in itertools.product([ints(3, 4), floats(3, 4), bools(3, 4), ints(2, 3, 4)],
                                     [None, 0, 1, -1, (0, 1), ()]):
        if x.ndim == 3 and axis not in (None, (0, 1)):
            continue    # Keras transposes a 2-D result: test_count_nonzero_keeps_numpy_axis_order
        CASES.append(Case(name, (x,), {"axis": axis}))
for name, axis, dtype in itertools.product(["cumsum", "cumprod", "nancumsum", "nancumprod"],
                                           [None, 0, -1], [None, "float32", "int32", "float64"]):
    kwargs = {"axis": axis, "dtype": dtype}
    float_out = dtype in (None, "float32", "float64")
    CASES += [Case(name, (floats(3, 4) / 2,), kwargs, grad=float_out, rtol=RTOL),
              Case(name, (ints(3, 4, low=-3, high=4),), kwargs, rtol=RTOL),
              Case(name, (bools(3, 4),), kwargs)]
for name in ["cumsum", "cumprod", "nancumsum", "nancumprod"]:
    CASES += [Case(name, (ints(6, dtype="int8", low=-3, high=4),)),
              Case(name, (ints(2, 3, dtype="int64", low=-3, high=4),), {"axis": 1}),
              Case(name, (floats(2, 3, dtype="float16"),), {"axis": 1}, rtol=1e-3, atol=1e-3),
              Case(name, (floats(2, 3, dtype="float64"),), {"axis": 0}, grad=True),
              Case(name, (NAN,), {"axis": 1}, grad=True, rtol=RTOL, label="with nan"),
              Case(name, ([1.5, 2.0, -1.0],), label="list")]

# ---- average
CASES += [
    Case("average", (floats(2, 3),), grad=True, rtol=RTOL),
    Case("average", (floats(2, 3),), {"axis": 0}, grad=True, rtol=RTOL),
    Case("average", (floats(2, 3),), {"axis": (0, 1)}, rtol=RTOL),
    Case("average", (floats(4),), {"weights": positive(4)}, grad=True, rtol=RTOL),
    Case("average", (floats(2, 3),), {"axis": -1, "weights": positive(3)}, grad=True, rtol=RTOL),
    Case("average", (floats(2, 3),), {"axis": 1, "weights": positive(2, 3)}, grad=True, rtol=RTOL),
    Case("average", (ints(2, 3),), {"axis": 1}, rtol=RTOL),
    Case("average", (ints(4),), {"weights": ints(4, low=1)}, rtol=RTOL),
    Case("average", (floats(4, dtype="float64"),), {"weights": positive(4)}, rtol=RTOL),
    Case("average", (bools(2, 3),), {"axis": 0}, rtol=RTOL),
    Case("average", (floats(2, 2, dtype="float16"),), {"axis": 0}, rtol=1e-3, atol=1e-3),
    Case("average", (floats(2, 3),), {"axis": ()}, label="no axes"),
]

# ---- quantiles
QS = [0.5, 0.0, 1.0, [0.1, 0.5, 0.9], np.array([0.25, 0.75], "float32")]
for name in ["quantile", "nanquantile", "percentile", "nanpercentile"]:
    scale = 100 if "percentile" in name else 1
    for q, axis, keepdims in itertools.product(QS, [None, 0, -1, (0, 2)], [False, True]):
        q = [v * scale for v in q] if isinstance(q, list) else q * scale
        CASES.append(Case(name, (floats(2, 3, 4), q), {"axis": axis, "keepdims": keepdims}, grad=True,
                          rtol=RTOL, atol=1e-5))
    for method in ["linear", "lower", "higher", "midpoint", "nearest"]:
        CASES.append(Case(name, (floats(3, 4), 0.3 * scale), {"axis": 1, "method": method}, rtol=RTOL))
    CASES += [Case(name, (ints(3, 4), 0.5 * scale), {"axis": 0}, rtol=RTOL),
              Case(name, (bools(3, 4), 0.5 * scale), rtol=RTOL),
              Case(name, (floats(3, 4, dtype="float64"), 0.5 * scale), {"axis": 1}, rtol=RTOL),
              Case(name, (floats(3, 4, dtype="float16"), 0.5 * scale), {"axis": 1}, rtol=1e-3, atol=1e-3),
              Case(name, (NAN, [0.2 * scale, 0.7 * scale]), {"axis": 1}, rtol=RTOL, label="with nan"),
              Case(name, ([1.0, 5.0, 2.0], 0.5 * scale), rtol=RTOL, label="list")]
CASES += [Case("median", (NAN,), {"axis": 1}, label="with nan"),
          Case("nanmedian", (ALL_NAN_ROW,), {"axis": 1}, label="all-nan row")]

# ---- counting, binning, correlation, integration
CASES += [
    Case("histogram", (floats(20),)),
    Case("histogram", (floats(20),), {"bins": 4}),
    Case("histogram", (floats(20),), {"bins": 5, "range": (-1.0, 1.0)}),
    Case("histogram", (floats(20, dtype="float64"),), {"bins": 3}),
    Case("histogram", (np.array([2.0, 2.0, 2.0], "float32"),), {"bins": 2}, label="one value"),
    Case("bincount", (ints(10, low=0, high=5),)),
    Case("bincount", (ints(10, low=0, high=5),), {"minlength": 8}),
    Case("bincount", (ints(10, low=0, high=5),), {"weights": floats(10)}),
    Case("bincount", (ints(10, low=0, high=5),), {"weights": ints(10), "minlength": 6}),
    Case("bincount", (ints(10, low=0, high=5, dtype="int64"),), {"weights": floats(10, dtype="float64")}),
    Case("bincount", (ints(3, 4, low=0, high=5),), {"minlength": 5}, label="2-D"),
    Case("bincount", (ints(3, 4, low=0, high=5),), {"minlength": 6, "weights": floats(3, 4)}, label="2-D"),
    Case("bincount", (ints(6, dtype="uint8", low=0, high=4),)),
    Case("digitize", (floats(2, 5), np.array([-1.0, 0.0, 0.5, 1.0], "float32"))),
    Case("digitize", (ints(6), np.array([-2, 0, 3], "int32"))),
    Case("digitize", (ints(6), np.array([-2.5, 0.5, 3.5], "float32"))),
    Case("digitize", (bools(5), np.array([0.5], "float32"))),
    Case("digitize", (floats(4, dtype="float64"), [0.0, 1.0])),
    Case("digitize", ([1.0, 2.0, 3.0], [1.0, 2.0]), label="lists, values on edges"),
    Case("corrcoef", (floats(3, 5),), grad=True, rtol=RTOL, atol=1e-5),
    Case("corrcoef", (floats(6),), rtol=RTOL),
    Case("corrcoef", (ints(3, 5),), rtol=RTOL),
    Case("corrcoef", (ints(2, 5, dtype="int64"),), rtol=RTOL),
    Case("corrcoef", (np.array([[True, False, True, True], [False, False, True, True]]),), rtol=RTOL),
    Case("corrcoef", (floats(2, 4, dtype="float64"),), rtol=RTOL),
    Case("trapezoid", (floats(2, 5),), grad=True, rtol=RTOL),
    Case("trapezoid", (floats(2, 5),), {"dx": 0.5, "axis": 0}, grad=True, rtol=RTOL),
    Case("trapezoid", (floats(2, 5), np.cumsum(positive(5))), grad=True, rtol=RTOL),
    Case("trapezoid", (floats(3, 2), np.cumsum(positive(3))), {"axis": 0}, rtol=RTOL),
    Case("trapezoid", (ints(2, 5),), rtol=RTOL),
    Case("trapezoid", (ints(2, 5),), {"dx": 2}, rtol=RTOL),
    Case("trapezoid", (bools(2, 5),), rtol=RTOL),
    Case("trapezoid", (floats(5, dtype="float64"),), {"dx": 0.1}, rtol=RTOL),
    Case("trapezoid", ([1.0, 2.0, 4.0],), label="list"),
]


def _expect_same(case):
    """Runs `case`: where Keras raises, kerastorch must raise a clear error naming the op."""
    try:
        getattr(keras.ops, case.name)(*case.args, **case.kwargs)
    except Exception as keras_error:           # noqa: BLE001 - any refusal by Keras
        with pytest.raises((TypeError, ValueError)) as info:
            getattr(ops, case.name)(*case.args, **case.kwargs)
        assert f"ops.{case.name}" in str(info.value), (
            f"{case}: Keras raises {type(keras_error).__name__}({keras_error}); ours raises without naming "
            f"the op: {info.value}")
        return
    check(case)


@pytest.mark.parametrize("name", sorted({c.name for c in CASES}))
def test_matches_keras(name):
    failures = []
    for case in (c for c in CASES if c.name == name):
        try:
            _expect_same(case)
        except AssertionError as e:
            failures.append(f"{case}: {str(e).splitlines()[0]}")
    assert not failures, "\n".join(failures)


def test_every_name_has_a_case():
    assert set(keras_names("numpy")) >= set(NAMES)
    assert_every_name_has_a_case(NAMES, CASES)


DTYPES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "bfloat16", "float32", "float64"]
SWEEP = ["sum", "prod", "mean", "max", "min", "amax", "amin", "argmax", "argmin", "all", "any", "std",
         "var", "ptp", "count_nonzero", "cumsum", "cumprod", "average", "median", "nanmax", "nanmin",
         "nanmean", "nansum", "nanprod", "nanvar", "nanstd", "nanargmax", "nanargmin", "nancumsum",
         "nancumprod", "nanmedian", "corrcoef", "trapezoid"]


@pytest.mark.parametrize("name", SWEEP)
def test_dtype_sweep_matches_keras(name):
    """Every dtype through every reduction: Keras' result dtype and values, or Keras' refusal."""
    values = np.array([[0.5, 1.5, -2.0, 1.0], [3.0, 0.0, 2.0, -1.0], [1.0, 2.5, 0.5, 4.0]])
    failures = []
    for dtype, axis in itertools.product(DTYPES, [None, 1]):
        if dtype == "bool":
            x = torch.tensor(values > 0.7)
        else:
            x = torch.tensor(np.abs(values) if dtype.startswith("u") else values).to(getattr(torch, dtype))
        kwargs = {} if name in ("corrcoef",) else {"axis": axis}
        tol = 1e-2 if dtype in ("float16", "bfloat16") else RTOL
        case = Case(name, (x,), kwargs, rtol=tol, atol=tol, label=dtype)
        try:
            _expect_same(case)
        except AssertionError as e:
            failures.append(f"{dtype}, axis={axis}: {str(e).splitlines()[0]}")
    assert not failures, "\n".join(failures)


# ------------------------------------------------------------------------------ where kerastorch follows numpy
@pytest.mark.parametrize("name", sorted(KEEPDIMS_IGNORED))
def test_keepdims_with_axis_none_keeps_every_axis_like_numpy(name):
    x = floats(2, 3, 4)
    out = getattr(ops, name)(x, keepdims=True)
    expected = getattr(np, name)(x, keepdims=True)
    assert tuple(out.shape) == expected.shape == (1, 1, 1)
    np.testing.assert_allclose(out.numpy(), expected, rtol=RTOL)
    # Keras computes the same value; it only drops the kept axes.
    np.testing.assert_allclose(keras.ops.convert_to_numpy(getattr(keras.ops, name)(torch.tensor(x), keepdims=True)),
                               expected.reshape(()), rtol=RTOL)


@pytest.mark.parametrize("name", ["std", "var", "sum", "mean", "max", "ptp", "count_nonzero", "all",
                                  "nanstd", "median"])
def test_no_axes_reduce_nothing_like_numpy(name):
    x = floats(2, 3)
    expected = getattr(np, name)(x, axis=())
    out = getattr(ops, name)(x, axis=())
    assert tuple(out.shape) == expected.shape == (2, 3)
    np.testing.assert_allclose(out.numpy(), expected, rtol=RTOL)


@pytest.mark.parametrize("axis", [0, 1, -1, (1, 2)])
def test_count_nonzero_keeps_numpy_axis_order(axis):
    x = ints(2, 3, 4)
    out = ops.count_nonzero(x, axis=axis)
    expected = np.count_nonzero(x, axis=axis)
    assert out.dtype == torch.int32
    np.testing.assert_array_equal(out.numpy(), expected)


@pytest.mark.parametrize("x, axis, weights", [
    (floats(2, 3), 0, positive(2)),
    (floats(2, 3), 0, positive(2, 3)),
    (floats(2, 3, 4), 1, positive(3)),
    (floats(2, 3), None, positive(2, 3)),
])
def test_average_weights_along_any_axis_like_numpy(x, axis, weights):
    np.testing.assert_allclose(ops.average(x, axis=axis, weights=weights).numpy(),
                               np.average(x, axis=axis, weights=weights), rtol=RTOL)


@pytest.mark.parametrize("name, fill", [("nancumsum", 0.0), ("nancumprod", 1.0), ("nansum", 0.0),
                                        ("nanprod", 1.0)])
def test_nan_ops_keep_infinities_like_numpy(name, fill):
    x = np.array([1.0, np.nan, np.inf, 2.0, -np.inf], "float32")
    with np.errstate(invalid="ignore"):
        expected = getattr(np, name)(x)
    np.testing.assert_array_equal(getattr(ops, name)(x).numpy(), expected)


@pytest.mark.parametrize("name", ["max", "min"])
@pytest.mark.parametrize("axis, keepdims", [(None, False), (None, True), (0, False), (1, True)])
def test_empty_input_with_initial_like_numpy(name, axis, keepdims):
    x = np.zeros((0, 3), "int32")
    out = getattr(ops, name)(x, axis=axis, keepdims=keepdims, initial=5)
    expected = getattr(np, name)(x, axis=axis, keepdims=keepdims, initial=5)
    assert out.dtype == torch.int32 and tuple(out.shape) == expected.shape
    np.testing.assert_array_equal(out.numpy(), expected)


def test_bincount_rows_of_different_lengths_like_numpy():
    x = np.array([[0, 1, 1], [4, 4, 0]], "int32")
    out = ops.bincount(x)
    expected = np.stack([np.bincount(row, minlength=5) for row in x])
    assert out.dtype == torch.int32
    np.testing.assert_array_equal(out.numpy(), expected)


def test_histogram_of_ints_counts_them_as_floats_like_numpy():
    x = np.array([1, 2, 2, 5], "int32")
    counts, edges = ops.histogram(x, bins=4)
    expected_counts, expected_edges = np.histogram(x, bins=4)
    np.testing.assert_array_equal(counts.numpy(), expected_counts)
    np.testing.assert_allclose(edges.numpy(), expected_edges, rtol=1e-6)


# ------------------------------------------------------------------------------ hand-computed values
def test_values_by_hand():
    x = np.array([[1.0, 2.0], [3.0, 6.0]], "float32")
    assert float(ops.mean(x)) == 3.0
    assert float(ops.var(x)) == 3.5                     # ((2)^2 + 1 + 0 + 9) / 4
    np.testing.assert_array_equal(ops.prod(x, axis=0).numpy(), [3.0, 12.0])
    np.testing.assert_array_equal(ops.cumsum(x, axis=1).numpy(), [[1.0, 3.0], [3.0, 9.0]])
    assert float(ops.median(x)) == 2.5
    assert float(ops.quantile(x, 0.25)) == 1.75         # 1 + 0.75 * (2 - 1)
    assert float(ops.trapezoid([1.0, 3.0, 5.0])) == 6.0  # (1+3)/2 + (3+5)/2
    np.testing.assert_array_equal(ops.nanargmax([[np.nan, np.nan], [1.0, np.nan]], axis=1).numpy(), [-1, 0])


# ------------------------------------------------------------------------------ errors
def test_bad_axis_names_the_op_the_shape_and_the_axis():
    for name in ["sum", "mean", "max", "argmax", "std", "cumsum", "any"]:
        with pytest.raises(ValueError) as info:
            getattr(ops, name)(floats(2, 3), axis=5)
        message = str(info.value)
        assert f"ops.{name}" in message and "(2, 3)" in message and "axis=5" in message, message
    for name in ["prod", "quantile", "median"]:
        args = (floats(2, 3), 0.5) if name == "quantile" else (floats(2, 3),)
        with pytest.raises(ValueError, match=rf"ops\.{name}: axis 5 is out of bounds .* rank 2"):
            getattr(ops, name)(*args, axis=5)


def test_unknown_dtype_names_the_op_and_lists_close_matches():
    for name in ["cumsum", "cumprod", "prod", "nancumsum"]:
        with pytest.raises(ValueError, match=rf"ops\.{name}: Invalid dtype: 'flaot32'. Did you mean 'float32'"):
            getattr(ops, name)(floats(3), dtype="flaot32")


@pytest.mark.parametrize("call, error, match", [
    (lambda: ops.quantile(floats(3), 0.5, method="linar"), ValueError, "unknown method='linar'; expected one of linear"),
    (lambda: ops.quantile(floats(3), 1.5), ValueError, r"ops\.quantile: q must lie in \[0, 1\]"),
    (lambda: ops.percentile(floats(3), 150), ValueError, r"ops\.percentile: q must lie in .*\[0, 100\]"),
    (lambda: ops.max(np.zeros((0, 2), "float32")), ValueError, r"ops\.max: cannot compute the max of an empty tensor .*initial="),
    (lambda: ops.average(floats(2, 3), axis=0, weights=positive(3)), ValueError, r"ops\.average: `weights` must have the shape"),
    (lambda: ops.histogram(floats(2, 3)), ValueError, r"ops\.histogram: `x` must be 1-D, got shape \(2, 3\)"),
    (lambda: ops.histogram(floats(3), bins=-1), ValueError, "non-negative"),
    (lambda: ops.histogram(floats(3), bins=2.5), TypeError, "must be an int"),
    (lambda: ops.histogram(floats(3), range=(1.0, 0.0)), ValueError, "upper end"),
    (lambda: ops.histogram(floats(3), range=[0.0, 1.0]), ValueError, "must be a tuple"),
    (lambda: ops.bincount(np.array([1, -1])), ValueError, r"ops\.bincount: `x` holds negative values"),
    (lambda: ops.bincount(np.array([1, 2]), sparse=True), ValueError, "sparse=True is not supported on torch"),
    (lambda: ops.bincount(floats(3)), TypeError, r"ops\.bincount takes a tensor of non-negative ints"),
    (lambda: ops.bincount(np.array([1, 2]), weights=floats(3)), ValueError, "must have the shape of `x`"),
    (lambda: ops.ptp(bools(3)), TypeError, r"ops\.ptp takes numbers"),
])
def test_bad_arguments_say_what_was_expected(call, error, match):
    with pytest.raises(error, match=match):
        call()


# ------------------------------------------------------------------------------ docs
@pytest.mark.parametrize("module", MODULES)
def test_docstring_examples_run(module):
    mod = importlib.import_module(f"kerastorch.ops.numpy.{module}")
    result = doctest.testmod(mod, extraglobs={"torch": torch, "ops": ops}, verbose=False,
                             optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0


def test_every_public_op_has_a_keras_style_docstring():
    for name in NAMES:
        doc = getattr(ops, name).__doc__ or ""
        for part in ("Args:", "Returns:", "Example:", ">>>"):
            assert part in doc, f"ops.{name} docstring lacks {part!r}"
