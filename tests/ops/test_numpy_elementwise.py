"""The elementwise, comparison, logical and bitwise part of `kerastorch.ops.numpy` against real Keras.

Cases are generated over tables: every unary op on floats (with gradients), 0-d inputs, float64, ints,
bools, Python scalars and lists; every binary op on broadcast shapes, mixed dtypes and Python scalars
on either side. A dtype sweep then runs each op over every dtype (and pairs of dtypes) and compares
values and result dtypes with Keras; where Keras refuses an input, kerastorch must refuse it too, with
an error naming the op. The few places where kerastorch follows numpy instead of Keras' torch backend
have their own tests with numpy as the oracle.
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

MODULES = ["elementwise", "trigonometric", "arithmetic", "comparison", "bitwise"]
NAMES = sorted(n for m in MODULES for n in importlib.import_module(f"kerastorch.ops.numpy.{m}").__all__)

# ------------------------------------------------------------------------------ unary ops
# name -> (input maker for float cases, differentiable)
UNARY = {
    "abs": (floats, True), "absolute": (floats, True), "fabs": (floats, True), "sign": (floats, True),
    "negative": (floats, True), "reciprocal": (positive, True), "square": (floats, True),
    "sqrt": (positive, True), "cbrt": (floats, True), "exp": (floats, True), "exp2": (floats, True),
    "expm1": (floats, True), "log": (positive, True), "log10": (positive, True),
    "log1p": (positive, True), "log2": (positive, True), "ceil": (floats, True),
    "floor": (floats, True), "round": (floats, True), "trunc": (floats, True),
    "nan_to_num": (floats, True), "signbit": (floats, False), "angle": (floats, True),
    "real": (floats, True), "conj": (floats, True), "conjugate": (floats, True),
    "sin": (floats, True), "cos": (floats, True), "tan": (floats, True),
    "arcsin": (lambda *s, **k: floats(*s, low=-0.9, high=0.9, **k), True),
    "arccos": (lambda *s, **k: floats(*s, low=-0.9, high=0.9, **k), True),
    "arctan": (floats, True), "sinh": (floats, True), "cosh": (floats, True), "tanh": (floats, True),
    "arcsinh": (floats, True), "arccosh": (lambda *s, **k: floats(*s, low=1.1, high=4.0, **k), True),
    "arctanh": (lambda *s, **k: floats(*s, low=-0.9, high=0.9, **k), True), "sinc": (floats, True),
    "i0": (floats, True), "deg2rad": (floats, True), "rad2deg": (floats, True),
    "isfinite": (floats, False), "isinf": (floats, False), "isnan": (floats, False),
    "isneginf": (floats, False), "isposinf": (floats, False), "isreal": (floats, False),
    "logical_not": (floats, False), "bitwise_invert": (ints, False), "bitwise_not": (ints, False),
}
# Keras' torch backend reads these inputs with torch.from_numpy, so it refuses Python numbers and lists
# (kerastorch takes them: test_python_numbers_and_lists_where_keras_takes_arrays_only).
FROM_NUMPY_ONLY = ("real", "conj", "conjugate", "imag")
SPECIALS = np.array([[np.nan, np.inf, -np.inf], [0.0, -0.0, 1.5]], dtype="float32")
COMPLEX = (np.array([1 + 2j, -3 - 0.5j, 0.0 + 0j, -1 + 0j], dtype="complex64"),
           np.array([[0.5 - 1j, 2 + 0j]], dtype="complex128"))

CASES = []
for name, (make, differentiable) in UNARY.items():
    if make is ints:
        CASES += [Case(name, (ints(2, 3),)), Case(name, (bools(3),)), Case(name, (ints(4, dtype="int64"),)),
                  Case(name, (ints(2, 2, dtype="uint8", low=0, high=200),)), Case(name, (7,)),
                  Case(name, ([1, -2, 3],))]
        continue
    CASES += [
        Case(name, (make(2, 3),), grad=differentiable),
        Case(name, (make(4, 1, 2),), grad=differentiable),
        Case(name, (np.asarray(make(1)[0]),), grad=differentiable, label="0-d"),
        Case(name, (make(3, dtype="float64"),), grad=differentiable),
        Case(name, (make(2, 2, dtype="float16"),), rtol=1e-3, atol=1e-3),
        Case(name, (ints(2, 3),)),
        Case(name, (ints(3, dtype="int64", low=1),)),
        Case(name, (bools(2, 2),)),
    ]
    if name not in FROM_NUMPY_ONLY:
        CASES += [Case(name, (float(make(1)[0]),), label="python float"),
                  Case(name, ([float(v) for v in make(3)],), label="list")]
    if name not in ("fabs", "round", "negative"):
        CASES.append(Case(name, (SPECIALS,)))
for name in ("angle", "real", "conj", "conjugate", "isreal", "absolute", "abs", "exp", "negative",
             "square", "sqrt", "sin", "isfinite", "isnan"):
    CASES += [Case(name, (c,), label="complex") for c in COMPLEX]
CASES += [Case("imag", (c,), label="complex") for c in COMPLEX]
CASES += [
    Case("round", (floats(2, 3) * 10,), {"decimals": 1}, grad=True),
    Case("round", (floats(2, 3) * 100,), {"decimals": -1}, grad=True),
    Case("round", (ints(2, 3, low=-500, high=500),), {"decimals": -1}),
    Case("round", (np.array([0.5, 1.5, 2.5, -0.5], "float32"),), label="halves to even"),
    Case("nan_to_num", (SPECIALS,), {"nan": 1.0, "posinf": 5.0, "neginf": -5.0}),
    Case("nan_to_num", (SPECIALS,), {"nan": -2.0}),
    Case("nan_to_num", (SPECIALS * floats(2, 3),), {"posinf": 1e3}, grad=True),
    Case("sqrt", (ints(3, dtype="int64", low=0),), label="int64 to floatx"),
]

# ------------------------------------------------------------------------------ binary ops
ARITHMETIC = ["add", "subtract", "multiply", "divide", "true_divide", "divide_no_nan", "maximum",
              "minimum", "fmax", "fmin", "arctan2", "hypot", "logaddexp", "logaddexp2", "heaviside"]
DIVISIONS = ["floor_divide", "mod", "fmod", "power"]    # x2 kept positive (no int division by zero)
COMPARISONS = ["equal", "not_equal", "greater", "greater_equal", "less", "less_equal", "logical_and",
               "logical_or", "logical_xor", "isclose", "allclose"]
INTEGER = ["gcd", "lcm", "bitwise_and", "bitwise_or", "bitwise_xor"]
SHIFTS = ["bitwise_left_shift", "bitwise_right_shift", "left_shift", "right_shift"]
# Where torch (and so Keras) has no derivative, or the output is not a float.
NO_GRAD = {"heaviside", "floor_divide"} | set(COMPARISONS)
UNTESTED = {
    "nextafter": "Keras' torch backend steps in float64 and rounds back (a no-op for float32); kerastorch "
                 "steps in the result dtype as numpy does: test_nextafter_steps_one_ulp_like_numpy",
}

for name in ARITHMETIC + DIVISIONS + COMPARISONS:
    second = positive if name in DIVISIONS else floats
    grad = name not in NO_GRAD
    CASES += [
        Case(name, (floats(2, 3), second(2, 3)), grad=grad),
        Case(name, (floats(2, 3), second(3)), grad=grad, label="broadcast"),
        Case(name, (floats(2, 1), second(1, 3)), grad=grad, label="broadcast"),
        Case(name, (floats(3, dtype="float64"), second(3)), grad=grad, label="float64 with float32"),
        Case(name, (floats(2, 3), 1.5), grad=grad, label="python float"),
        Case(name, (floats(2, 3), 2), grad=grad, label="python int"),
        Case(name, (1.5, second(3)), grad=grad, label="python float first"),
        Case(name, (floats(2, 2, dtype="float16"), second(2, 2)), rtol=1e-3, atol=1e-3),
        Case(name, (floats(2, 2, dtype="float16"), 2.5), rtol=1e-3, atol=1e-3),
        Case(name, (np.asarray(floats(1)[0]), 2), label="0-d with python int"),
        Case(name, (np.asarray(ints(1)[0]).astype("int8"), 3), label="0-d int8 with python int"),
        Case(name, (ints(2, 3), ints(2, 3, low=1))),
        Case(name, (ints(2, 3), 2.5), label="int tensor, python float"),
        Case(name, (ints(2, 3, dtype="int8"), ints(3, dtype="uint8", low=1))),
        Case(name, (ints(3, dtype="int64"), ints(3, low=1))),
        Case(name, (ints(2, 3), second(3, dtype="float16")), rtol=1e-3, atol=1e-3),
        Case(name, (bools(2, 3), ints(3, low=1))),
        Case(name, (bools(2, 3), 3), label="bool tensor, python int"),
        Case(name, (2, 3.5), label="two python numbers"),
    ]
    if name != "divide_no_nan":     # Keras asks lists for a .dtype there; see the numpy test below
        CASES.append(Case(name, ([1.5, -2.0], [3.0, 0.5]), label="lists"))
    if name not in ("subtract", "power", "hypot", "floor_divide"):
        CASES.append(Case(name, (bools(2, 3), bools(2, 3))))
CASES += [
    Case("isclose", (floats(2, 3), floats(2, 3) + 1e-4), {"rtol": 1e-3}),
    Case("isclose", (floats(2, 3), floats(2, 3) + 1e-4), {"atol": 1e-3, "rtol": 0.0}),
    Case("isclose", (SPECIALS, SPECIALS), {"equal_nan": True}),
    Case("isclose", (ints(2, 3), ints(2, 3)), {"atol": 100}, label="ints compare exactly"),
    Case("allclose", (floats(3), floats(3) * (1 + 1e-7))),
    Case("allclose", (SPECIALS, SPECIALS), {"equal_nan": True}),
    Case("equal", (SPECIALS, SPECIALS)),
    Case("maximum", (SPECIALS, floats(2, 3)), label="nan wins"),
    Case("fmax", (SPECIALS, floats(2, 3)), label="nan loses"),
    Case("fmin", (SPECIALS, floats(3)), label="nan loses"),
    Case("divide_no_nan", (floats(2, 3), np.array([0.0, 2.0, 0.0], "float32")), grad=True),
    Case("divide_no_nan", (ints(2, 3), np.array([0, 2, 3], "int32"))),
    Case("divide", (ints(2, 3), np.array([0.0, 2.0, -1.0], "float32")), label="by zero"),
    Case("heaviside", (np.array([-1.0, 0.0, 2.0], "float32"), 0.5)),
    Case("power", (floats(2, 3), -2), grad=True, label="negative exponent"),
    Case("power", (positive(2, 3), floats(2, 3)), grad=True),
    Case("power", (2.0, floats(3)), grad=True),
    Case("mod", (floats(2, 3) * 5, -1.5), grad=True, label="negative divisor"),
    Case("fmod", (floats(2, 3) * 5, -1.5), grad=True, label="negative divisor"),
    Case("floor_divide", (ints(2, 3) * 3, -2)),
    Case("floor_divide", (floats(2, 3) * 5, -1.5)),
    Case("ldexp", (floats(2, 3), ints(2, 3)), grad=True),
    Case("ldexp", (floats(2, 3), ints(3, dtype="int8"))),
    Case("ldexp", (ints(2, 3), ints(3))),
    Case("ldexp", (floats(3, dtype="float64"), 2)),
    Case("ldexp", (floats(2, 2, dtype="float16"), ints(2, 2)), rtol=1e-3),
    Case("ldexp", (1.5, ints(3))),
    Case("clip", (floats(2, 3), -0.5, 0.5), grad=True),
    Case("clip", (floats(2, 3), floats(3), floats(3) + 2.0), grad=True, label="tensor bounds"),
    Case("clip", (floats(2, 3), -1, 1), grad=True, label="python int bounds"),
    Case("clip", (floats(2, 3), np.float32(-1.0), 1.0), label="numpy scalar bound"),
    Case("clip", (floats(3, dtype="float64"), -0.5, 0.5), grad=True),
    Case("clip", (floats(2, 2, dtype="float16"), -0.5, 0.5)),
    Case("clip", (ints(2, 3), -2, 2)),
    Case("clip", (ints(2, 3), -2.5, 2.5), label="int tensor, float bounds"),
    Case("clip", (ints(2, 3, dtype="uint8", low=0, high=9), 2, 5)),
    Case("clip", (bools(2, 3), 0, 1)),
    Case("clip", (np.asarray(floats(1)[0]), -0.5, 0.5), label="0-d"),
    Case("clip", ([1.5, -3.0, 0.2], 0.0, 1.0), label="list"),
]
for name in INTEGER + SHIFTS:
    low = 0 if name in SHIFTS else 1
    CASES += [
        Case(name, (ints(2, 3, low=0, high=64), ints(2, 3, low=low, high=5))),
        Case(name, (ints(2, 3, low=0, high=64), ints(3, low=low, high=5)), label="broadcast"),
        Case(name, (ints(2, 3, low=0, high=64), 2), label="python int"),
        Case(name, (ints(3, dtype="int64", low=0, high=64), ints(3, dtype="int8", low=low, high=5))),
        Case(name, (ints(3, dtype="uint8", low=0, high=64), ints(3, dtype="uint8", low=low, high=5))),
        Case(name, (ints(2, 2, dtype="int16", low=-64, high=64), ints(2, 2, dtype="int16", low=low, high=5))),
        Case(name, (np.asarray(ints(1, low=0)[0]), 3), label="0-d"),
        Case(name, ([12, 7], [2, 3]), label="lists"),
    ]
    if name not in SHIFTS and name not in ("gcd", "lcm"):
        CASES += [Case(name, (bools(2, 3), bools(2, 3))), Case(name, (bools(2, 3), True))]
CASES += [Case(name, (bools(2, 3),)) for name in ("bitwise_invert", "bitwise_not")]


def _run_all(cases):
    """Runs every case and reports all failures at once (one test per op keeps the suite fast)."""
    failures = []
    for case in cases:
        try:
            _expect_same(case)
        except AssertionError as e:
            failures.append(f"{case}: {str(e).splitlines()[0]}")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("name", sorted({c.name for c in CASES}))
def test_matches_keras(name):
    _run_all([c for c in CASES if c.name == name])


def test_every_name_has_a_case():
    names = set(keras_names("numpy")) & set(NAMES)
    assert names == set(NAMES), f"not Keras numpy names: {sorted(set(NAMES) - names)}"
    assert_every_name_has_a_case(NAMES, CASES, untested=UNTESTED)


# ------------------------------------------------------------------------------ dtype sweeps
DTYPES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "bfloat16", "float32", "float64"]
_BASE = np.array([[0.5, 1.5, -2.0], [3.0, 0.0, 2.0]])
_POSITIVE = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 1.0]])


def _make(dtype, values=_BASE):
    """`values` as a tensor of `dtype` (non-negative for unsigned, a mask for bool)."""
    if dtype == "bool":
        return torch.tensor(values > 0.7)
    if dtype.startswith("u"):
        values = np.abs(values)
    return torch.tensor(values).to(getattr(torch, dtype))


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


def _tolerance(*dtypes):
    return 1e-2 if {"float16", "bfloat16"} & set(dtypes) else 1e-6


UNARY_SWEEP = sorted(set(UNARY) | {"nan_to_num"})


@pytest.mark.parametrize("name", UNARY_SWEEP)
def test_unary_dtype_sweep_matches_keras(name):
    _run_all([Case(name, (_make(dtype),), rtol=_tolerance(dtype), atol=_tolerance(dtype), label=dtype)
              for dtype in DTYPES])


PAIRS = [(d, d) for d in DTYPES] + [
    ("uint8", "int8"), ("int8", "int16"), ("int16", "int32"), ("int32", "int64"), ("uint8", "int32"),
    ("bool", "int32"), ("bool", "float32"), ("int32", "float16"), ("int32", "bfloat16"),
    ("int64", "float32"), ("float16", "bfloat16"), ("float16", "float32"), ("bfloat16", "float32"),
    ("float32", "float64"), ("int8", "float64"), ("float64", "int32"),
]
SCALARS = [2, 2.5, True]
# nextafter is left out: kerastorch steps in the result dtype as numpy does (see its own tests below).
BINARY_SWEEP = ARITHMETIC + DIVISIONS + COMPARISONS + INTEGER + SHIFTS + ["ldexp"]


@pytest.mark.parametrize("name", BINARY_SWEEP)
def test_binary_dtype_sweep_matches_keras(name):
    second = _POSITIVE if name in DIVISIONS + SHIFTS + ["gcd", "lcm"] else _BASE
    combos = [((_make(a), _make(b, second)), f"{a},{b}", (a, b)) for a, b in PAIRS]
    combos += [((_make(a), s), f"{a},{s!r}", (a,)) for a in DTYPES for s in SCALARS]
    combos += [((s, _make(a, second)), f"{s!r},{a}", (a,)) for a in DTYPES for s in SCALARS[:2]]
    combos += [((_make(a)[0, 0], s), f"0-d {a},{s!r}", (a,)) for a in DTYPES for s in SCALARS[:2]]
    _run_all([Case(name, args, rtol=_tolerance(*dtypes), atol=_tolerance(*dtypes), label=label)
              for args, label, dtypes in combos])


def test_clip_dtype_sweep_matches_keras():
    _run_all([Case("clip", (_make(dtype), *bounds), rtol=_tolerance(dtype), atol=_tolerance(dtype),
                   label=f"{dtype},{bounds}")
              for dtype, bounds in itertools.product(DTYPES, [(0, 2), (0.5, 2.5), (True, True)])])


def test_float64_floatx_keeps_python_floats_exact_as_keras_does():
    """Under floatx float64 Keras converts Python floats to float64, so nothing is rounded."""
    kerastorch.config.set_floatx("float64")
    keras.config.set_floatx("float64")
    try:
        for name in ("add", "multiply", "subtract", "maximum", "arctan2", "exp", "floor"):
            args = (floats(3, dtype="float64"), 0.1) if name not in ("exp", "floor") else (ints(3),)
            check(Case(name, args, rtol=1e-12, atol=1e-12))
        check(Case("add", (ints(3), 0.1), rtol=1e-12, atol=1e-12))
    finally:
        kerastorch.config.set_floatx("float32")
        keras.config.set_floatx("float32")


# ------------------------------------------------------------------------------ where kerastorch follows numpy
# Keras' torch backend raises for `imag` of a real input; numpy gives zeros, and so does kerastorch.


@pytest.mark.parametrize("x", [floats(2, 3), ints(3), floats(2, dtype="float64")],
                         ids=["float32", "int32", "float64"])
def test_imag_of_real_input_is_zeros_like_numpy(x):
    out = ops.imag(x)
    expected = np.imag(x)
    assert kerastorch.backend.standardize_dtype(out.dtype) == expected.dtype.name
    np.testing.assert_array_equal(out.numpy(), expected)


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_nextafter_steps_one_ulp_like_numpy(dtype):
    x1 = np.array([1.0, -2.5, 0.0, 3.0, 1e-3], dtype=dtype)
    x2 = np.array([2.0, -3.0, -1.0, 3.0, 0.0], dtype=dtype)
    out = ops.nextafter(x1, x2)
    expected = np.nextafter(x1, x2)
    if dtype == "float64":      # Keras' 32-bit result dtype for float64 inputs
        expected = np.nextafter(x1.astype("float32"), x2.astype("float32"))
    assert kerastorch.backend.standardize_dtype(out.dtype) == expected.dtype.name
    np.testing.assert_array_equal(out.numpy(), expected)


def test_nextafter_of_ints_is_float32_like_keras():
    out = ops.nextafter(np.array([1, 2], "int32"), np.array([2, 0], "int32"))
    np.testing.assert_array_equal(out.numpy(), np.nextafter(np.float32([1, 2]), np.float32([2, 0])))


def test_sign_of_complex_is_unit_phase_like_numpy():
    x = COMPLEX[0]
    np.testing.assert_allclose(ops.sign(x).numpy(), np.sign(x), rtol=1e-6)


def test_python_numbers_and_lists_where_keras_takes_arrays_only():
    for name in FROM_NUMPY_ONLY:
        for x in (1.5, [1.5, -2.0]):
            expected = getattr(np, name)(np.asarray(x, dtype="float32"))
            np.testing.assert_array_equal(getattr(ops, name)(x).numpy(), expected)
    np.testing.assert_allclose(ops.divide_no_nan([1.5, -2.0], [3.0, 0.0]).numpy(), [0.5, 0.0])


def test_clip_with_one_bound_none_like_numpy():
    x = floats(2, 3)
    np.testing.assert_array_equal(ops.clip(x, None, 0.5).numpy(), np.clip(x, None, 0.5))
    np.testing.assert_array_equal(ops.clip(x, -0.5, None).numpy(), np.clip(x, -0.5, None))


# ------------------------------------------------------------------------------ errors
@pytest.mark.parametrize("name", ["add", "subtract", "multiply", "divide", "maximum", "power", "equal",
                                  "logical_and", "arctan2", "hypot", "mod", "bitwise_and", "clip"])
def test_incompatible_shapes_name_the_op_and_shapes(name):
    args = (ints(2, 3), ints(4), ints(4)) if name == "clip" else (floats(2, 3), floats(4))
    if name == "bitwise_and":
        args = (ints(2, 3), ints(4))
    with pytest.raises(ValueError) as info:
        getattr(ops, name)(*args)
    message = str(info.value)
    assert f"ops.{name}" in message and "(2, 3)" in message and "(4,)" in message, message


@pytest.mark.parametrize("name, args, expected", [
    ("bitwise_and", (floats(3), floats(3)), "integer or bool"),
    ("left_shift", (floats(3), 1), "integer"),
    ("gcd", (floats(3), floats(3)), "integer"),
    ("bitwise_invert", (floats(3),), "integer or bool"),
    ("negative", (bools(3),), "logical_not"),
    ("subtract", (bools(3), bools(3)), "logical_xor"),
    ("power", (bools(3), bools(3)), "cast"),
    ("round", (bools(3),), "cast"),
    ("fabs", (COMPLEX[0],), "ops.absolute"),
    ("ldexp", (floats(3), floats(3)), "integer exponent"),
    ("hypot", (bools(3), bools(3)), "numbers"),
])
def test_wrong_dtypes_raise_type_errors_that_say_what_to_do(name, args, expected):
    with pytest.raises(TypeError) as info:
        getattr(ops, name)(*args)
    assert f"ops.{name}" in str(info.value) and expected in str(info.value), str(info.value)


@pytest.mark.parametrize("name", ["floor_divide", "mod", "fmod"])
def test_integer_division_by_zero_says_so(name):
    with pytest.raises(ValueError, match=rf"ops\.{name}: integer division by zero"):
        getattr(ops, name)(np.array([1, 2], "int32"), np.array([0, 1], "int32"))


def test_negative_integer_power_says_to_cast():
    with pytest.raises(ValueError, match=r"ops\.power: integers to negative integer powers.*cast"):
        ops.power(np.array([2, 3], "int32"), -1)


# ------------------------------------------------------------------------------ docs
@pytest.mark.parametrize("module", MODULES + ["_scalars"])
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
