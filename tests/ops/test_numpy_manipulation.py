"""The shape, layout, padding, diagonal, joining and splitting ops of `kerastorch.ops.numpy`, against
real Keras on torch (and NumPy, where Keras' torch backend departs from NumPy's documented meaning).

Cases are generated over tables: every op over float, int and bool inputs, with its axes (negative
ones included) and other argument specs; gradients are compared for float inputs.
"""

import doctest
import importlib
import itertools

import numpy as np
import pytest
import torch

from tests.ops.harness import (Case, assert_every_name_has_a_case, assert_same, bools, floats, ints, keras,
                               keras_names)
from tests.ops.numpy_part import check_all

from kerastorch import ops  # noqa: E402

NAMES = ["append", "array_split", "broadcast_to", "concatenate", "copy", "diag", "diagflat", "diagonal", "diff",
         "dsplit", "dstack", "expand_dims", "flip", "fliplr", "flipud", "hsplit", "hstack", "moveaxis", "ndim",
         "pad", "ravel", "repeat", "reshape", "roll", "rot90", "size", "split", "squeeze", "stack", "swapaxes",
         "tile", "transpose", "tril", "triu", "view", "vsplit", "vstack"]

X3 = {"f": floats(2, 3, 4), "i": ints(2, 3, 4), "b": bools(2, 3, 4)}
X2 = {"f": floats(3, 4), "i": ints(3, 4), "b": bools(3, 4)}
X1 = {"f": floats(5), "i": ints(5), "b": bools(5)}


def cases(name, inputs, specs, extra=()):
    """One case per input kind per spec: `specs` are `(args_after_x, kwargs)`; floats get gradients."""
    out = []
    for (kind, x), (args, kwargs) in itertools.product(inputs.items(), specs):
        out.append(Case(name, (x, *args), dict(kwargs), grad=kind == "f"))
    return out + [Case(name, *e) for e in extra]


CASES = []
CASES += cases("reshape", X3, [(((6, 4),), {}), (((-1,),), {}), (((4, -1, 2),), {}), ((24,), {}),
                               (([2, 12],), {}), (((3, 2, 4),), {}), (((1, 24, 1),), {})])
CASES += cases("ravel", {**X3, "s": floats()}, [((), {})])
CASES += cases("expand_dims", X3, [((0,), {}), ((-1,), {}), ((1,), {}), ((3,), {}), (((0, 2),), {}),
                                   (((-1, 0),), {}), (((1, 2, 3),), {})])
SQUEEZABLE = {"f": floats(1, 3, 1, 2), "i": ints(1, 3, 1, 2), "b": bools(1, 3, 1, 2)}
CASES += cases("squeeze", SQUEEZABLE, [((), {}), ((0,), {}), ((-2,), {}), (((0, 2),), {}), ((), {"axis": 2})])
for shape, axes in [((2, 3, 4), None), ((2, 3, 4), (2, 0, 1)), ((2, 3, 4), (1, 0, 2)), ((2, 3, 4), (-1, 0, 1)),
                    ((5,), None), ((3, 4), None), ((3, 4), (1, 0)), ((), None), ((1, 2, 3, 4), (3, 1, 0, 2))]:
    CASES += cases("transpose", {"f": floats(*shape), "i": ints(*shape)}, [((), {"axes": axes})])
CASES += cases("swapaxes", X3, [((0, 2), {}), ((-1, 0), {}), ((1, 1), {}), ((-2, -1), {})])
CASES += cases("moveaxis", X3, [((0, -1), {}), (((0, 1), (2, 0)), {}), ((-1, 0), {}), (([0, 2], [1, 0]), {})])
CASES += [Case("broadcast_to", (x, s), grad=x.dtype.kind == "f")
          for x, s in [(floats(3), (2, 3)), (floats(2, 1), (2, 2, 4)), (ints(1), (5,)), (bools(3, 1), (3, 2)),
                       (floats(1, 1), [4, 1, 3]), (floats(), (2,))]]
CASES += cases("flip", X3, [((), {}), ((0,), {}), ((), {"axis": -1}), ((), {"axis": (0, 2)})])
CASES += cases("fliplr", {**X2, **{"f3": floats(2, 3, 2)}}, [((), {})])
CASES += cases("flipud", {**X1, **X2}, [((), {})])
CASES += cases("rot90", X3, [((), {}), ((2,), {}), ((3,), {}), ((-1,), {}), ((5,), {"axes": (1, 2)}),
                             ((1, (-1, 0)), {}), ((), {"k": 0, "axes": (0, 2)})])
CASES += cases("roll", X3, [((1,), {}), ((-2,), {}), ((5,), {"axis": 0}), ((1,), {"axis": -1}),
                            (((1, -1),), {"axis": (0, 1)}), ((30,), {"axis": 2})])
CASES += cases("tile", {**X2, "s": floats()}, [((2,), {}), (((2, 1),), {}), (((1, 2, 3),), {}), (((2, 1, 1, 1),), {}),
                                              (([1, 1],), {})])
CASES += cases("repeat", X2, [((2,), {}), ((3,), {"axis": 0}), ((1,), {"axis": -1}), ((2,), {"axis": 1}),
                              ((0,), {"axis": 0})])

# pad: the modes Keras' torch backend computes as NumPy does, on the ranks it accepts them for.
# (One pair for every axis of a 2-D input is NumPy's meaning, which Keras documents; Keras' torch backend
# pads only the last axis then, so those widths are compared with NumPy in test_pad_matches_numpy_in_every_mode.)
PAD_WIDTHS_2D = [((0, 1), (2, 0)), ((2, 1), (0, 0)), [[1], [2]], ((1, 1), (1, 1)), ((0, 0), (3, 1))]
for (kind, x), width, mode in itertools.product(X2.items(), PAD_WIDTHS_2D, ["constant", "reflect", "circular"]):
    if kind == "b" and mode != "constant":
        continue     # Keras' torch backend casts to float32 for these, and has no bool cast back
    CASES.append(Case("pad", (x, width), {"mode": mode}, grad=kind == "f"))
for kind, x in X1.items():
    for width, mode in itertools.product([2, (0, 3), ((1, 4),)], ["constant", "reflect", "circular"]):
        if kind == "b" and mode != "constant":
            continue
        CASES.append(Case("pad", (x, width), {"mode": mode}, grad=kind == "f"))
CASES += [
    Case("pad", (floats(2, 3), ((1, 1), (2, 0))), {"constant_values": 2.5}, grad=True),
    Case("pad", (ints(2, 3), ((1, 1), (0, 2))), {"constant_values": -7}),
    Case("pad", (floats(2, 3, 4), ((0, 0), (1, 2), (2, 1))), {"mode": "reflect"}, grad=True),
    Case("pad", (floats(2, 3, 4), ((1, 0), (1, 2), (2, 1))), {"mode": "constant"}, grad=True),
    Case("pad", (floats(2, 3, 4, 5), ((0, 0), (0, 0), (1, 1), (2, 2))), {"mode": "circular"}, grad=True),
    Case("pad", (floats(2, 3), ((0, 0), (0, 0)))),
]

CASES += [Case("diag", (x,), {"k": k}, grad=x.dtype.kind == "f")
          for x, k in itertools.product([floats(4), ints(3), floats(3, 4), ints(4, 3), bools(3, 3)], [0, 1, -2, 5])]
CASES += [Case("diagflat", (x,), {"k": k}, grad=x.dtype.kind == "f")
          for x, k in itertools.product([floats(3), ints(2, 2), bools(3)], [0, 2, -1])]
CASES += cases("diagonal", X3, [((), {}), ((1,), {}), ((-1, 1, 2), {}), ((0,), {"axis1": -1, "axis2": 0}),
                                ((), {"offset": 2, "axis1": 2, "axis2": 1})])
for name in ("tril", "triu"):
    CASES += cases(name, {**X2, "f3": floats(2, 4, 3)}, [((), {}), ((1,), {}), ((-1,), {}), ((), {"k": 7})])
CASES += cases("diff", X3, [((), {}), ((2,), {}), ((1, 0), {}), ((), {"n": 3, "axis": 1}), ((0,), {}),
                            ((), {"axis": -2})])
CASES += [Case("ndim", (x,)) for x in [floats(2, 3), ints(5), floats(), [1, 2], [[1.0], [2.0]], 3.0]]
CASES += [Case("size", (x,)) for x in [floats(2, 3), ints(5), bools(2, 0), floats(4, 1, 2)]]
CASES += [Case("view", (x,), {"dtype": d})
          for x, d in [(floats(2, 4), "int32"), (floats(2, 4), "uint8"), (ints(3, 2), "float32"),
                       (floats(2, 4), "float16"), (ints(2, 2, dtype="int8"), "uint8"), (floats(2), None),
                       (floats(4, dtype="float16"), "bfloat16"), (ints(2, 4, dtype="int16"), "int32")]]
CASES += cases("copy", {**X3, "s": floats()}, [((), {})], extra=[(([1, 2.5],),)])

# joining and splitting
CASES += [Case("append", (a, b), kw, grad=True) for a, b, kw in [
    (floats(2, 3), floats(1, 3), {"axis": 0}), (floats(2, 3), floats(2, 2), {"axis": -1}),
    (floats(2, 2), floats(3), {}), (floats(2), floats(2, 2, dtype="float64"), {}),
]] + [Case("append", (ints(2), floats(2)), {}), Case("append", (ints(2, 2), bools(1, 2)), {"axis": 0}),
      Case("append", ([1, 2], 3.5), {})]
JOIN = [[floats(2, 3), floats(2, 3)], [floats(2, 3), floats(2, 3), floats(2, 3)], [ints(2, 3), ints(2, 3)],
        [ints(2, 3), floats(2, 3)], [bools(2, 3), ints(2, 3, dtype="int8")], [floats(2, 3), floats(2, 3, dtype="float64")]]
for xs, axis in itertools.product(JOIN, [0, 1, -1]):
    grad = all(x.dtype.kind == "f" for x in xs)
    CASES.append(Case("concatenate", (xs,), {"axis": axis}, grad=grad))
    CASES.append(Case("stack", (xs,), {"axis": axis}, grad=grad))
CASES += [Case("concatenate", ([floats(2, 1), floats(2, 4)],), {"axis": 1}, grad=True),
          Case("concatenate", ([floats(3), floats(1)],), grad=True),
          Case("stack", ([floats(3), floats(3)],), {"axis": -2}, grad=True)]
for name, xs in itertools.product(["hstack", "vstack", "dstack"],
                                  [[floats(3), floats(3)], [floats(2, 3), floats(2, 3)], [ints(2, 2, 2), ints(2, 2, 2)],
                                   [floats(2, 1), floats(2, 1), floats(2, 1)], [ints(3), floats(3)]]):
    CASES.append(Case(name, (xs,), grad=all(x.dtype.kind == "f" for x in xs)))
CASES += [Case("hstack", ([floats(2), floats(3)],), grad=True), Case("vstack", ([floats(1, 3), floats(2, 3)],), grad=True)]
SPLITTABLE = {"f": floats(6, 4, 2), "i": ints(6, 4, 2), "b": bools(6, 4, 2)}
CASES += cases("split", SPLITTABLE, [((2,), {}), ((3,), {}), (([1, 3],), {}), ((2,), {"axis": 1}),
                                     (([1],), {"axis": -1}), (([2, 3, 5],), {}), ((1,), {})])
CASES += cases("array_split", SPLITTABLE, [((4,), {}), ((3,), {"axis": 1}), ((1,), {}), ((7,), {}),
                                           ((5,), {"axis": -2})])
CASES += cases("hsplit", SPLITTABLE, [((2,), {}), (([1, 3],), {}), ((4,), {})])
CASES += cases("hsplit", X1, [((5,), {}), (([2],), {})])
CASES += cases("vsplit", SPLITTABLE, [((3,), {}), (([1, 4],), {})])
CASES += cases("dsplit", SPLITTABLE, [((2,), {}), (([1],), {})])


@pytest.mark.parametrize("name", sorted({c.name for c in CASES}))
def test_matches_keras(name):
    check_all([c for c in CASES if c.name == name])


def test_every_manipulation_name_has_a_case():
    assert set(NAMES) <= set(keras_names("numpy"))
    assert_every_name_has_a_case(NAMES, CASES)


def test_this_part_covers_its_share_of_keras_numpy():
    """Every name of the brief's part exists in kerastorch.ops and in one of this part's test tables."""
    part = {"append", "arange", "argpartition", "argsort", "array", "array_split", "bartlett", "blackman",
            "broadcast_to", "concatenate", "copy", "correlate", "cross", "diag", "diagflat", "diagonal", "diff",
            "dot", "dsplit", "dstack", "einsum", "empty", "empty_like", "expand_dims", "eye", "flip", "fliplr",
            "flipud", "full", "full_like", "geomspace", "get_item", "hamming", "hanning", "hsplit", "hstack",
            "identity", "inner", "isin", "kaiser", "kron", "linspace", "logspace", "matmul", "meshgrid", "moveaxis",
            "ndim", "nonzero", "ones", "ones_like", "outer", "pad", "ravel", "repeat", "reshape", "roll", "rot90",
            "searchsorted", "select", "size", "slogdet", "sort", "split", "squeeze", "stack", "swapaxes", "take",
            "take_along_axis", "tensordot", "tile", "trace", "transpose", "tri", "tril", "triu", "unique",
            "unravel_index", "vander", "vdot", "vectorize", "view", "vsplit", "vstack", "where", "zeros",
            "zeros_like"}
    assert part <= set(keras_names("numpy"))
    missing = sorted(n for n in part if not callable(getattr(ops, n, None)))
    assert not missing, f"kerastorch.ops lacks {missing}"
    tables = set(NAMES)
    for module in ("test_numpy_creation", "test_numpy_linear", "test_numpy_indexing"):
        tables |= set(importlib.import_module(f"tests.ops.{module}").NAMES)
    assert tables == part


# ---------------------------------------------------------------- NumPy's meaning where Keras' torch differs
PAD_MODES = ["constant", "edge", "linear_ramp", "maximum", "mean", "median", "minimum", "reflect", "symmetric",
             "wrap"]


@pytest.mark.parametrize("mode", PAD_MODES)
@pytest.mark.parametrize("x", [np.arange(5.0), floats(3, 4), ints(2, 3, 4), np.arange(12, dtype="int32").reshape(3, 4)],
                         ids=lambda x: f"{x.dtype}{list(x.shape)}")
@pytest.mark.parametrize("width", [1, (2, 1), ((1, 3),), 7], ids=str)
def test_pad_matches_numpy_in_every_mode(mode, x, width):
    # Keras' torch backend pads "symmetric" as "edge" and refuses the other NumPy modes; these follow NumPy.
    expected = np.pad(x, width, mode=mode)
    got = ops.pad(x, width, mode=mode)
    assert got.dtype == torch.from_numpy(expected).dtype
    np.testing.assert_allclose(got.numpy(), expected, rtol=1e-6, atol=1e-6)


def test_pad_circular_is_wrap_and_gradients_flow_through_mirrored_modes():
    x = torch.tensor(floats(3, 4, dtype="float64"), requires_grad=True)
    np.testing.assert_array_equal(ops.pad(x, 2, mode="circular").detach().numpy(),
                                  np.pad(x.detach().numpy(), 2, mode="wrap"))
    ops.pad(x, ((1, 2), (3, 1)), mode="symmetric").sum().backward()
    # d(sum)/dx counts how often each input value appears in the padded result.
    index = np.pad(np.arange(12).reshape(3, 4), ((1, 2), (3, 1)), mode="symmetric")
    np.testing.assert_array_equal(x.grad.numpy(), np.bincount(index.ravel(), minlength=12).reshape(3, 4))


def test_repeat_takes_one_count_per_element():
    x = floats(3, 2)
    for repeats, axis in [([1, 0, 2], 0), ((2, 3), 1), ([1, 2, 0, 1, 1, 3], None), ([2], 0)]:
        np.testing.assert_array_equal(ops.repeat(x, repeats, axis=axis).numpy(), np.repeat(x, repeats, axis=axis))
    np.testing.assert_array_equal(ops.repeat(x, torch.tensor([1, 0, 2]), axis=0).numpy(), np.repeat(x, [1, 0, 2], 0))


def test_concatenate_with_axis_none_flattens_the_inputs():
    xs = [floats(2, 2), floats(3)]
    np.testing.assert_array_equal(ops.concatenate(xs, axis=None).numpy(), np.concatenate(xs, axis=None))


def test_split_and_array_split_take_numpys_split_points():
    x = floats(5, 2)
    for points in ([1, 7], [0, 2, 2, 4], [3]):
        for got, expected in zip(ops.split(x, points), np.split(x, points)):
            np.testing.assert_array_equal(got.numpy(), expected)
        for got, expected in zip(ops.array_split(x, points), np.array_split(x, points)):
            np.testing.assert_array_equal(got.numpy(), expected)


@pytest.mark.parametrize("name, args", [
    ("reshape", (floats(2, 3), (3, 2))), ("transpose", (ints(2, 3),)), ("expand_dims", (floats(3), 0)),
    ("concatenate", ([floats(2), ints(3)],)), ("stack", ([ints(2, dtype="int64"), ints(2, dtype="int64")],)),
    ("pad", (floats(2, 2, dtype="float64"), ((1, 1), (0, 2)))), ("flip", (bools(3),)), ("tile", (ints(2, dtype="uint8"), 2)),
    ("diff", (floats(4, dtype="float64"),)), ("split", (floats(4), 2)), ("size", (floats(3, 2),)),
    ("diagonal", (ints(3, 3, dtype="int64"),)), ("append", (floats(2), floats(2, dtype="float64"))),
])
def test_numpy_inputs_match_keras(name, args):
    # The table above hands both libraries torch tensors; these hand them the numpy arrays themselves.
    assert_same(getattr(keras.ops, name)(*args), getattr(ops, name)(*args), 1e-6, 1e-6, f"{name} on numpy input")


# ------------------------------------------------------------------------------------------ bad input
@pytest.mark.parametrize("call, error, match", [
    (lambda: ops.concatenate([np.ones((2, 3)), np.ones((2, 4))]), ValueError,
     r"ops.concatenate: .*\[\(2, 3\), \(2, 4\)\].*axis"),
    (lambda: ops.concatenate([np.ones((2, 3)), np.ones((2, 4))], axis=0), ValueError,
     r"ops.concatenate: .*\(2, 3\), \(2, 4\).*axis=0"),
    (lambda: ops.stack([np.ones(2), np.ones(3)], axis=0), ValueError, r"ops.stack: .*\(2,\), \(3,\).*axis=0"),
    (lambda: ops.expand_dims(np.ones((2, 3)), axis=5), ValueError, r"ops.expand_dims: .*\(2, 3\).*axis=5"),
    (lambda: ops.expand_dims(np.ones((2, 3)), axis=(0, 7)), ValueError, r"ops.expand_dims: axis=7 is out of range"),
    (lambda: ops.squeeze(np.ones((2, 3)), axis=0), ValueError,
     r"ops.squeeze: cannot squeeze axis 0 of an input of shape \(2, 3\): its size is 2"),
    (lambda: ops.squeeze(np.ones((1, 3)), axis=2), ValueError, r"ops.squeeze: axis=2 is out of range .*\(1, 3\)"),
    (lambda: ops.swapaxes(np.ones((2, 3)), 0, 4), ValueError, r"ops.swapaxes: .*\(2, 3\)"),
    (lambda: ops.moveaxis(np.ones((2, 3)), 0, 3), ValueError, r"ops.moveaxis: .*\(2, 3\).*destination=3|ops.moveaxis: .*\(2, 3\)"),
    (lambda: ops.reshape(np.ones((2, 3)), (4, 2)), ValueError,
     r"ops.reshape: cannot reshape an input of shape \(2, 3\) \(6 values\) to newshape=\(4, 2\)"),
    (lambda: ops.reshape(np.ones((2, 3)), (-1, -1)), ValueError, "at most one -1"),
    (lambda: ops.reshape(np.ones((2, 3)), (-2, 3)), ValueError, "non-negative integer or -1"),
    (lambda: ops.broadcast_to(np.ones((2, 3)), (3, 3)), ValueError,
     r"ops.broadcast_to: an input of shape \(2, 3\) does not broadcast to shape=\(3, 3\)"),
    (lambda: ops.transpose(np.ones((2, 3)), (0,)), ValueError, r"ops.transpose: `axes` must list each of the 2 axes"),
    (lambda: ops.flip(np.ones((2, 3)), axis=2), ValueError, r"ops.flip: .*\(2, 3\).*axis=2"),
    (lambda: ops.rot90(np.ones(3)), ValueError, r"ops.rot90: `array` must have rank 2 or more, got shape \(3,\)"),
    (lambda: ops.rot90(np.ones((2, 2)), axes=(0, 0)), ValueError, "ops.rot90: `axes` must be two different axes"),
    (lambda: ops.rot90(np.ones((2, 2)), axes=(0, 2)), ValueError, r"ops.rot90: axes=2 is out of range .*\(2, 2\)"),
    (lambda: ops.repeat(np.ones((2, 3)), [1, 2], axis=1), ValueError,
     r"ops.repeat: `repeats` holds 2 counts but the input of shape \(2, 3\) has 3 elements along axis=1"),
    (lambda: ops.pad(np.ones((2, 3)), ((1, 1), (1, 1), (1, 1))), ValueError,
     r"ops.pad: `pad_width` must have one \(before, after\) pair per axis of the input \(rank 2\)"),
    (lambda: ops.pad(np.ones(3), -1), ValueError, "ops.pad: pad widths must be non-negative"),
    (lambda: ops.pad(np.ones(3), 1, mode="reflekt"), ValueError, "ops.pad: unknown mode='reflekt'"),
    (lambda: ops.pad(np.ones(3), 1, mode="reflect", constant_values=0), ValueError,
     "ops.pad: `constant_values` can only be given with mode='constant'"),
    (lambda: ops.pad(np.ones((0, 2)), 1, mode="edge"), ValueError, r"ops.pad: cannot pad axis 0 .*\(0, 2\)"),
    (lambda: ops.diag(np.ones((2, 2, 2))), ValueError, r"ops.diag: `x` must be 1-D or 2-D, got shape \(2, 2, 2\)"),
    (lambda: ops.diagonal(np.ones((2, 2)), axis1=1, axis2=-1), ValueError, "ops.diagonal: `axis1` and `axis2` must differ"),
    (lambda: ops.diagonal(np.ones((2, 2)), axis1=3), ValueError, r"ops.diagonal: axis1=3 is out of range .*\(2, 2\)"),
    (lambda: ops.tril(np.ones(3)), ValueError, r"ops.tril: .*\(3,\)"),
    (lambda: ops.diff(np.ones(3), n=-1), ValueError, "ops.diff: `n` must be a non-negative int"),
    (lambda: ops.diff(np.ones(3), axis=1), ValueError, r"ops.diff: .*\(3,\).*axis=1"),
    (lambda: ops.split(np.ones((5, 2)), 2), ValueError,
     r"ops.split: an input of shape \(5, 2\) cannot be split into 2 equal sections along axis 0"),
    (lambda: ops.split(np.ones((4, 2)), 2, axis=2), ValueError, r"ops.split: axis=2 is out of range .*\(4, 2\)"),
    (lambda: ops.split(np.ones(4), 0), ValueError, "ops.split: the number of sections must be positive"),
    (lambda: ops.array_split(np.ones(4), 2, axis=1.0), TypeError, "ops.array_split: `axis` must be an int"),
    (lambda: ops.vsplit(np.ones(4), 2), ValueError, r"ops.vsplit: `x` must have rank 2 or more, got shape \(4,\)"),
    (lambda: ops.dsplit(np.ones((2, 2, 3)), 2), ValueError, r"ops.dsplit: an input of shape \(2, 2, 3\) cannot be split"),
    (lambda: ops.hstack([]), ValueError, "ops.hstack: expected at least one tensor"),
    (lambda: ops.view(np.ones(3, "float32"), "float64"), ValueError, r"ops.view: .*\(3,\)"),
    (lambda: ops.tile(np.ones(3), "a"), TypeError, "ops.tile: `repeats` must be an int or a sequence of ints"),
    (lambda: ops.roll(np.ones(3), 1.5), TypeError, "ops.roll: `shift` must be an int or a sequence of ints"),
])
def test_bad_input_raises_errors_naming_the_op_shapes_and_axis(call, error, match):
    with pytest.raises(error, match=match):
        call()


@pytest.mark.parametrize("module", ["manipulation", "padding", "diagonals", "joining"])
def test_docstring_examples_run(module):
    mod = importlib.import_module(f"kerastorch.ops.numpy.{module}")
    result = doctest.testmod(mod, extraglobs={"torch": torch}, verbose=False)
    assert result.attempted > 0 and result.failed == 0
