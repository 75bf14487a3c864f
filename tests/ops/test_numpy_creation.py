"""The creation part of `kerastorch.ops.numpy` (and the window functions) against real Keras on torch.

The cases are generated over tables: shapes x dtypes for the filled tensors, argument specs for the
ranges and matrices. Every creation op's result must sit on the configured device.
"""

import doctest
import itertools

import numpy as np
import pytest
import torch

from tests.ops.harness import Case, assert_every_name_has_a_case, assert_same, bools, floats, ints, keras, keras_names
from tests.ops.numpy_part import check_all

import kerastorch  # noqa: E402
from kerastorch import ops  # noqa: E402

NAMES = ["arange", "array", "empty", "empty_like", "eye", "full", "full_like", "geomspace", "identity",
         "linspace", "logspace", "meshgrid", "ones", "ones_like", "tri", "vander", "zeros", "zeros_like",
         "bartlett", "blackman", "hamming", "hanning", "kaiser"]
UNTESTED = {
    "empty": "values are uninitialized; shape, dtype and device are compared in test_empty_matches_keras_shape_and_dtype",
    "empty_like": "values are uninitialized; compared in test_empty_matches_keras_shape_and_dtype",
}
DTYPES = [None, "float32", "float16", "bfloat16", "float64", "int8", "int32", "int64", "uint8", "bool"]
SHAPES = [3, (2, 3), (), (0, 2), [1, 2, 1]]
INPUTS = [floats(2, 3), ints(4), bools(2, 2), floats(3, dtype="float64"), ints(2, 1, dtype="int64")]

CASES = []
# ---- filled tensors: every shape with every dtype
for name, shape, dtype in itertools.product(["ones", "zeros"], SHAPES, DTYPES):
    CASES.append(Case(name, (shape,), {} if dtype is None else {"dtype": dtype}))
for name, x, dtype in itertools.product(["ones_like", "zeros_like"], INPUTS + [[1, 2], [[1.5], [2.5]]],
                                        [None, "float32", "int32", "bool", "float64"]):
    CASES.append(Case(name, (x,), {"dtype": dtype}))
for shape, fill, dtype in itertools.product([(3,), (2, 3)], [3, 2.5, True, -1], [None, "int32", "float64", "bool"]):
    CASES.append(Case("full", (shape, fill), {"dtype": dtype}))
CASES += [
    Case("full", ((2, 3), floats(3)), grad=True, label="array fill"),
    Case("full", ((4, 2, 3), floats(2, 3)), {"dtype": "float64"}, grad=True, label="array fill"),
    Case("full", ((2, 3), ints(2, 3)), {"dtype": "int32"}, label="array fill"),
]
for x, fill, dtype in itertools.product(INPUTS[:4], [7, 0.5, False], [None, "float32", "int8"]):
    CASES.append(Case("full_like", (x, fill), {"dtype": dtype}))
CASES.append(Case("full_like", (floats(2, 3), floats(3)), grad=True, label="array fill"))

# ---- ranges
ARANGE = [(5,), (0,), (1, 7, 2), (0, 2.5, 0.5), (-3, 3), (2.0,), (10, 0, -2), (0.5, 4), (1, 2, 0.25),
          (np.float64(2.5),), (np.int64(4),), (0, 10, 3)]
for args, dtype in itertools.product(ARANGE, [None, "float32", "int32", "float64", "int64"]):
    CASES.append(Case("arange", args, {"dtype": dtype}))
SPACE_ENDS = [(0.0, 1.0), (0, 10), (-2.5, 3), (1.0, -1.0), (2, 2)]
for (start, stop), num, endpoint, dtype in itertools.product(SPACE_ENDS, [5, 1, 0, 50], [True, False],
                                                             [None, "float64", "int32"]):
    if num == 0 and not endpoint:
        continue    # Keras divides by num=0 before it looks at the count (ZeroDivisionError)
    kwargs = {"num": num, "endpoint": endpoint, "dtype": dtype}
    CASES.append(Case("linspace", (start, stop), kwargs))
    CASES.append(Case("logspace", (start, stop), kwargs, rtol=1e-5))
for (start, stop), endpoint in itertools.product(SPACE_ENDS, [True, False]):
    CASES.append(Case("linspace", (start, stop), {"num": 4, "endpoint": endpoint, "retstep": True}))
    CASES.append(Case("logspace", (start, stop), {"num": 4, "endpoint": endpoint, "base": 2}, rtol=1e-5))
for endpoint, num in itertools.product([True, False], [2, 5]):
    CASES.append(Case("linspace", (floats(3), floats(3)), {"num": num, "endpoint": endpoint}, grad=True))
    CASES.append(Case("linspace", (floats(2, 1), floats(2, 1, dtype="float64")), {"num": num, "endpoint": endpoint}))
    CASES.append(Case("logspace", (floats(3), floats(3)), {"num": num, "endpoint": endpoint}, grad=True, rtol=1e-5))
for (start, stop), num, endpoint in itertools.product([(1.0, 1000.0), (-1.0, -100.0), (2, 64), (0.5, 8.0)],
                                                      [4, 2, 7], [True, False]):
    CASES.append(Case("geomspace", (start, stop), {"num": num, "endpoint": endpoint}, rtol=1e-5))
CASES += [
    Case("geomspace", (1, 256), {"num": 9, "dtype": "float64"}, rtol=1e-5),
    Case("geomspace", (np.array([1.0, -2.0], "float32"), np.array([100.0, -32.0], "float32")), {"num": 5},
         grad=True, rtol=1e-5),
]

# ---- matrices
for args, dtype in itertools.product([(3,), (2, 3), (3, 2), (3, None, 1), (3, 4, -1), (4, 3, 2), (2, 2, 5),
                                      (0,)],
                                     [None, "int32", "bfloat16", "bool", "float64"]):
    CASES.append(Case("eye", args, {"dtype": dtype}))
    CASES.append(Case("tri", args, {"dtype": dtype}))
for n, dtype in itertools.product([0, 1, 4], [None, "int32", "float16", "bfloat16"]):
    CASES.append(Case("identity", (n,), {"dtype": dtype}))
for x, n, increasing in itertools.product([floats(4), ints(3), floats(3, dtype="float64"), ints(3, dtype="int64")],
                                          [None, 2, 5], [False, True]):
    CASES.append(Case("vander", (x,), {"N": n, "increasing": increasing}))
for vecs, indexing in itertools.product([(floats(3), floats(2)), (ints(2), ints(4), ints(3)), (floats(5),),
                                         ([1.5, 2], [3.5, 4.5, 5.5]), (floats(2), floats(3), floats(4), floats(1))],
                                        ["xy", "ij"]):
    grad = all(isinstance(v, np.ndarray) and v.dtype.kind == "f" for v in vecs)
    CASES.append(Case("meshgrid", vecs, {"indexing": indexing}, grad=grad))

# ---- array()
for x, dtype in itertools.product([[1, 2, 3], [[1.5, 2.0]], [True, False], 3, 2.5, [1, 2.5], floats(2, 2),
                                   ints(3, dtype="int8"), bools(2)], [None, "float32", "int32", "float64"]):
    CASES.append(Case("array", (x,), {"dtype": dtype}))

# ---- windows
for name, m in itertools.product(["bartlett", "blackman", "hamming", "hanning"], [0, 1, 2, 5, 8, 33]):
    CASES.append(Case(name, (m,)))
for m, beta in itertools.product([0, 1, 4, 9], [0.0, 2.5, 8.6, 14]):
    CASES.append(Case("kaiser", (m, beta)))


@pytest.mark.parametrize("name", sorted({c.name for c in CASES}))
def test_matches_keras(name):
    check_all([c for c in CASES if c.name == name])


def test_every_creation_name_has_a_case():
    assert set(NAMES) <= set(keras_names("numpy"))
    assert_every_name_has_a_case(NAMES, CASES, UNTESTED)


@pytest.mark.parametrize("name, args", [("empty", ((2, 3),)), ("empty", ([4],)), ("empty", ((0, 2),)),
                                        ("empty_like", (floats(2, 3),)), ("empty_like", (ints(4),)),
                                        ("empty_like", (bools(1, 2),))])
@pytest.mark.parametrize("dtype", [None, "int32", "float64", "bool"])
def test_empty_matches_keras_shape_and_dtype(name, args, dtype):
    args = tuple(torch.tensor(a) if isinstance(a, np.ndarray) else a for a in args)
    expected = getattr(keras.ops, name)(*args, dtype=dtype)
    got = getattr(ops, name)(*args, dtype=dtype)
    assert tuple(got.shape) == tuple(expected.shape)
    assert got.dtype == expected.dtype
    assert got.device == kerastorch.config.get_device()


def test_empty_takes_an_int_shape():
    # Keras' torch backend raises a TypeError for an int shape; NumPy (and Keras' docs) take it.
    assert tuple(ops.empty(3).shape) == (3,)


@pytest.mark.parametrize("name, args", [("ones", ((2,),)), ("zeros", (3,)), ("full", ((2,), 1.0)),
                                        ("full", ((2,), np.ones(2))), ("eye", (2,)), ("identity", (2,)),
                                        ("tri", (2,)), ("arange", (3,)), ("linspace", (0.0, 1.0, 3)),
                                        ("logspace", (0.0, 1.0, 3)), ("geomspace", (1.0, 4.0, 3)),
                                        ("hamming", (4,)), ("kaiser", (4, 1.0)), ("array", ([1, 2],)),
                                        ("empty", ((2,),)), ("empty_like", (np.ones(2),)),
                                        ("full_like", (np.ones(2), 3))])
def test_creation_ops_place_results_on_the_configured_device(name, args):
    kerastorch.config.set_device("meta")    # a device other than the CPU that every torch build has
    try:
        out = getattr(ops, name)(*args)
    finally:
        kerastorch.config.set_device("cpu")
    assert out.device == torch.device("meta"), f"{name} put its result on {out.device}"


def test_floatx_sets_the_default_float_of_creation_ops():
    kerastorch.config.set_floatx("float64")
    keras.config.set_floatx("float64")
    try:
        for name, args in [("ones", ((2,),)), ("zeros", ((2,),)), ("full", ((2,), 1)), ("eye", (2,)),
                           ("tri", (2,)), ("identity", (2,)), ("linspace", (0, 1, 3)), ("arange", (0.0, 1.0, 0.5)),
                           ("arange", (3,)), ("logspace", (0, 1, 3)), ("geomspace", (1, 4, 3))]:
            expected = getattr(keras.ops, name)(*args)
            got = getattr(ops, name)(*args)
            assert_same(expected, got, 1e-6, 1e-6, f"{name}{args} with floatx float64")
    finally:
        kerastorch.config.set_floatx("float32")
        keras.config.set_floatx("float32")


@pytest.mark.parametrize("name, args, expected", [
    # NumPy's `axis` for array endpoints (Keras' torch backend refuses axis != 0).
    ("linspace", (np.array([0.0, 10.0]), np.array([1.0, 20.0]), 3), lambda a, b, n: np.linspace(a, b, n, axis=1)),
    ("logspace", (np.array([0.0, 1.0]), np.array([1.0, 2.0]), 3), lambda a, b, n: np.logspace(a, b, n, axis=-1)),
    ("geomspace", (np.array([1.0, 2.0]), np.array([8.0, 32.0]), 4), lambda a, b, n: np.geomspace(a, b, n, axis=1)),
    # A scalar start with an array stop.
    ("linspace", (0.0, np.array([1.0, 2.0]), 3), lambda a, b, n: np.linspace(a, b, n, axis=1)),
])
def test_space_ops_take_numpys_axis(name, args, expected):
    got = getattr(ops, name)(*args, axis=1 if name != "logspace" else -1)
    np.testing.assert_allclose(got.numpy(), expected(*args).astype("float32"), rtol=1e-5)


def test_one_point_of_array_endpoints_is_start():
    # NumPy gives [start]; Keras' torch backend divides by num - 1 = 0 (NaN).
    np.testing.assert_allclose(ops.linspace(np.array([1.0, 2.0]), np.array([3.0, 4.0]), 1).numpy(), [[1.0, 2.0]])
    for endpoint in (True, False):
        np.testing.assert_allclose(ops.geomspace(2.0, 64.0, 1, endpoint=endpoint).numpy(), [2.0])


@pytest.mark.parametrize("indexing", ["xy", "ij"])
def test_meshgrid_keeps_each_inputs_dtype(indexing):
    # As NumPy does; torch's meshgrid (and so Keras' torch backend) refuses mixed dtypes.
    vectors = [np.arange(2, dtype="int32"), np.linspace(0, 1, 4).astype("float32"), np.array([True, False, True])]
    got = ops.meshgrid(*vectors, indexing=indexing)
    for g, e in zip(got, np.meshgrid(*vectors, indexing=indexing)):
        assert g.dtype == torch.from_numpy(e).dtype
        np.testing.assert_array_equal(g.numpy(), e)


@pytest.mark.parametrize("call, error, match", [
    (lambda: ops.eye(2.0), TypeError, "ops.eye: `N` must be an integer"),
    (lambda: ops.eye(2, 3.0), TypeError, "ops.eye: `M` must be an integer"),
    (lambda: ops.eye(-1), ValueError, "ops.eye: `N` must be non-negative"),
    (lambda: ops.tri(2, 1.5), TypeError, "ops.tri: `M`"),
    (lambda: ops.ones((2, "a")), TypeError, r"ops.ones: `shape` must be an int or a sequence of ints, got shape=\(2, 'a'\)"),
    (lambda: ops.zeros(2, dtype="flaot32"), ValueError, "Did you mean 'float32'"),
    (lambda: ops.arange(0, 3, 0), ValueError, "ops.arange: `step` must not be zero"),
    (lambda: ops.linspace(0, 1, -1), ValueError, "ops.linspace: `num` must be a non-negative integer"),
    (lambda: ops.linspace(0.0, 1.0, 3, axis=1), ValueError, "ops.linspace: axis=1 is out of range"),
    (lambda: ops.linspace(np.zeros(2), np.zeros(3), 3), ValueError,
     r"ops.linspace: `start` of shape \(2,\) and `stop` of shape \(3,\) do not broadcast"),
    (lambda: ops.full((2, 3), np.ones(2)), ValueError,
     r"ops.full: `fill_value` of shape \(2,\) does not broadcast to shape=\(2, 3\)"),
    (lambda: ops.meshgrid([1], [2], indexing="yx"), ValueError, "ops.meshgrid: `indexing` must be 'xy' or 'ij'"),
    (lambda: ops.vander(np.ones((2, 2))), ValueError, r"ops.vander: `x` must be 1-D, got x.shape=\(2, 2\)"),
    (lambda: ops.vander(np.ones(2), N=2.0), TypeError, "ops.vander: `N` must be an int"),
    (lambda: ops.vander(np.ones(2), N=-1), ValueError, "ops.vander: `N` must be non-negative"),
    (lambda: ops.vander(np.ones(2), increasing=1), TypeError, "ops.vander: `increasing` must be a bool"),
    (lambda: ops.hamming(-1), ValueError, "ops.hamming: the window length must be non-negative"),
    (lambda: ops.kaiser(4.5, 1.0), TypeError, r"ops.kaiser: `x` must be an integer \(the window length\)"),
    (lambda: ops.bartlett(torch.ones(2, dtype=torch.int32)), TypeError, r"ops.bartlett: `x` must be an integer"),
])
def test_bad_arguments_raise_errors_naming_the_op(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_windows_take_an_integer_tensor_length():
    np.testing.assert_allclose(ops.hanning(torch.tensor(5)).numpy(), np.hanning(5), atol=1e-7)


@pytest.mark.parametrize("module", ["creation", "windows"])
def test_docstring_examples_run(module):
    import importlib
    mod = importlib.import_module(f"kerastorch.ops.numpy.{module}")
    result = doctest.testmod(mod, extraglobs={"torch": torch}, verbose=False)
    assert result.attempted > 0 and result.failed == 0
