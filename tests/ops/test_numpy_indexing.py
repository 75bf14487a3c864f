"""The indexing, selection, sorting and searching ops of `kerastorch.ops.numpy` (and `vectorize`) against
real Keras on torch, and NumPy where Keras' torch backend departs from NumPy's documented meaning.
"""

import doctest
import importlib
import itertools

import numpy as np
import pytest
import torch

from tests.ops.harness import Case, assert_every_name_has_a_case, assert_same, bools, floats, ints, keras, keras_names
from tests.ops.numpy_part import check_all

from kerastorch import ops  # noqa: E402

NAMES = ["argpartition", "argsort", "get_item", "isin", "nonzero", "searchsorted", "select", "sort", "take",
         "take_along_axis", "unique", "unravel_index", "vectorize", "where"]
UNTESTED = {
    "argpartition": "the order inside each partition is unspecified; compared with Keras by partition in "
                    "test_argpartition_partitions_as_keras_does",
    "vectorize": "returns a function; compared with Keras' in test_vectorize_matches_keras",
}
X3 = {"f": floats(2, 3, 4), "i": ints(2, 3, 4), "b": bools(2, 3, 4)}

CASES = []
# get_item: keys of every kind
for (kind, x), key in itertools.product(X3.items(), [0, -1, (1, 2), (slice(None), 1), (slice(0, 2), None, -1),
                                                     (Ellipsis, 1), (1, slice(None, None, 2)), ()]):
    CASES.append(Case("get_item", (x, key), grad=kind == "f"))
CASES += [Case("get_item", (floats(4, 3), (ints(2, low=0, high=4),)), grad=True, label="index array"),
          Case("get_item", (floats(4, 3), (bools(4),)), grad=True, label="mask"),
          Case("get_item", (floats(4, 3), (slice(None), ints(2, 2, low=-3, high=3))), grad=True, label="index array")]

# take / take_along_axis: negative indices, every axis, index arrays of several ranks
for (kind, x), (indices, axis) in itertools.product(X3.items(), [
        (ints(3, low=0, high=2), 0), (ints(2, 2, low=-3, high=3), 1), (ints(4, low=-4, high=4), -1),
        (ints(5, low=0, high=24), None), (2, 1), (ints(1, 3, low=-2, high=2), -3),
        (np.array([[0, 1], [1, 0]], "int64"), 0)]):
    CASES.append(Case("take", (x, indices), {"axis": axis}, grad=kind == "f"))
CASES += [Case("take", (floats(5, 3), ints(4, low=-5, high=5)), {"axis": 0}, grad=True, label="embedding"),
          Case("take", ([1.5, 2.5, 3.5], [2, 0])), Case("take", (floats(3), ints(2, low=0, high=3, dtype="uint8")))]
for (kind, x), (indices, axis) in itertools.product(X3.items(), [
        (ints(2, 3, 2, low=0, high=4), 2), (ints(1, 3, 4, low=-2, high=2), 0), (ints(2, 1, 4, low=-3, high=3), 1),
        (ints(7, low=0, high=24), None), (ints(2, 3, 1, low=-4, high=4), -1)]):
    CASES.append(Case("take_along_axis", (x, indices), {"axis": axis}, grad=kind == "f"))

# where / select: broadcasting, Python scalars, mixed dtypes
WHERE_BRANCHES = [(floats(2, 3), floats(2, 3)), (floats(2, 3), floats(3)), (ints(2, 3), 1.5), (ints(2, 3), 2),
                  (bools(2, 3), 1), (2.5, floats(1, 3)), (1, 2), (True, False), (ints(3, dtype="int8"), 300),
                  (floats(3, dtype="float64"), floats(3)), (ints(2, 3), floats(2, 3)), (floats(3, dtype="float16"), 1.0)]
for cond, (a, b) in itertools.product([bools(2, 3), bools(3), ints(2, 3)], WHERE_BRANCHES):
    CASES.append(Case("where", (cond, a, b),
                      grad=any(isinstance(v, np.ndarray) and v.dtype.kind == "f" for v in (a, b))))
CASES += [Case("where", (c,)) for c in [bools(2, 3), bools(5), ints(2, 2, 2), floats(3), bools()]]
for conds, choices, default in [
        ([bools(3)], [floats(3)], 0), ([bools(2, 3), bools(2, 3)], [floats(2, 3), floats(2, 3)], -1.5),
        ([bools(3), bools(3)], [ints(3), ints(3)], 7), ([bools(2, 3)], [floats(3)], floats(2, 3)),
        ([bools(4)], [ints(4, dtype="int8")], 0), ([bools(3), bools(3), bools(3)], [1, 2.5, floats(3)], 0)]:
    CASES.append(Case("select", (conds, choices, default),
                      grad=all(isinstance(v, np.ndarray) and v.dtype.kind == "f" for v in choices)))
CASES += [Case("nonzero", (x,)) for x in [ints(3, 4), floats(5), bools(2, 2, 3), np.zeros((2, 2)), ints(6, low=0, high=2)]]

# sort / argsort over axes and kinds
for (kind, x), axis in itertools.product({**X3, "d": ints(3, 4, low=0, high=3)}.items(), [-1, 0, 1, None]):
    CASES.append(Case("sort", (x,), {"axis": axis}, grad=kind == "f"))
    CASES.append(Case("argsort", (x,), {"axis": axis}))
CASES += [Case("sort", ([3, 1, 2],)), Case("argsort", ([2.5, -1.0, 2.5, 0.0],))]

for seq, values, side in itertools.product([np.sort(floats(6)), np.arange(5, dtype="int32"), np.array([1, 1, 2, 2, 3], "int32")],
                                           [floats(4), ints(2, 3), np.array([1, 2], "int32")], ["left", "right"]):
    CASES.append(Case("searchsorted", (seq, values), {"side": side}))
CASES.append(Case("searchsorted", ([1.0, 2.0, 3.0], [2.5, 0.0])))

UNIQUE_X = [ints(12, low=0, high=5), np.array([3, 1, 1, 2, 3, 3], "int32"), floats(4), bools(6),
            np.array([[1, 2], [1, 2], [0, 5]], "int32"), np.array([[2, 2], [1, 1]], "int32")]
for x, flags in itertools.product(UNIQUE_X, [(False, False, False), (True, False, False), (False, True, False),
                                             (False, False, True), (True, True, True)]):
    kw = dict(zip(("return_index", "return_inverse", "return_counts"), flags))
    if x.ndim == 2 and flags[0]:
        continue        # Keras' torch backend scatters a 2-D inverse with 1-D positions (fails); see below
    CASES.append(Case("unique", (x,), kw))
CASES += [Case("unique", (np.array([[1, 2], [1, 2], [0, 5]], "int32"),), {"axis": 0, "return_counts": True}),
          Case("unique", (np.array([[1, 2, 1], [3, 4, 3]], "int32"),), {"axis": 1, "return_inverse": True}),
          Case("unique", (np.array([3, 1, 1, 2], "int32"),), {"size": 5, "fill_value": -1, "return_counts": True,
                                                               "return_index": True}),
          Case("unique", (np.array([3, 1, 1, 2], "int32"),), {"size": 2, "return_counts": True}),
          Case("unique", (np.array([3, 1, 1, 2], "int32"),), {"size": 4}),
          Case("unique", (np.array([[1, 2], [1, 2], [0, 5]], "int32"),), {"axis": 0, "size": 3})]
for indices, shape in [(ints(5, low=0, high=6), (2, 3)), (np.array([0, 23, 7], "int64"), (2, 3, 4)),
                       (ints(2, 2, low=0, high=10), (10,)), (3, (2, 2))]:
    CASES.append(Case("unravel_index", (indices, shape)))
for a, b, kw in [(ints(3, 4), ints(5), {}), (ints(6), ints(3), {"invert": True}), (floats(4), floats(2), {}),
                 (bools(4), bools(2), {}), (ints(4), bools(2), {}), (bools(3), ints(2, low=0, high=2), {}),
                 (ints(5), np.array([0, 1, 2], "int32"), {"assume_unique": True}), ([1, 2, 3], [2, 5], {})]:
    CASES.append(Case("isin", (a, b), kw))


@pytest.mark.parametrize("name", sorted({c.name for c in CASES}))
def test_matches_keras(name):
    check_all([c for c in CASES if c.name == name])


def test_every_indexing_name_has_a_case():
    assert set(NAMES) <= set(keras_names("numpy"))
    assert_every_name_has_a_case(NAMES, CASES, UNTESTED)


# -------------------------------------------------------------------------------------- argpartition
@pytest.mark.parametrize("x, kth, axis", [
    (ints(10, low=0, high=20), 3, -1), (ints(4, 6, low=-9, high=9), 2, -1), (ints(4, 6), 0, 0),
    (ints(3, 5, low=0, high=4), 4, 1), (ints(2, 3, 4), 1, None), (bools(7), 2, -1),
])
def test_argpartition_partitions_as_keras_does(x, kth, axis):
    """Keras and kerastorch pick the same kth value and the same sets of values on either side."""
    expected = keras.ops.argpartition(torch.tensor(x), kth, axis=axis).numpy()
    got = ops.argpartition(torch.tensor(x), kth, axis=axis)
    assert got.dtype == torch.int32 and tuple(got.shape) == expected.shape
    got = got.numpy()
    data = x.reshape(-1) if axis is None else x
    ax = 0 if axis is None else axis
    for indices in (expected, got):
        part = np.take_along_axis(data, indices.astype("int64"), axis=ax)
        reference = np.sort(data, axis=ax)
        np.testing.assert_array_equal(np.take(part, kth, axis=ax), np.take(reference, kth, axis=ax))
        before = np.sort(np.take(part, range(kth), axis=ax), axis=ax)
        np.testing.assert_array_equal(before, np.take(reference, range(kth), axis=ax))
    # both are permutations of the indices along the axis
    np.testing.assert_array_equal(np.sort(got, axis=ax), np.sort(expected, axis=ax))


@pytest.mark.parametrize("kth", [1, -1, [0, 3], (2, 4)])
def test_argpartition_of_floats_partitions_by_value(kth):
    # Keras' torch backend casts floats to int32 first, so 0.2 and 0.7 tie; NumPy's meaning is kept here.
    x = np.array([0.7, 0.2, 3.5, -1.25, 0.3, 2.0], "float32")
    got = ops.argpartition(x, kth).numpy()
    for k in np.atleast_1d(kth) % len(x):
        assert x[got[k]] == np.sort(x)[k]
        assert np.all(x[got[:k]] <= x[got[k]]) and np.all(x[got[k + 1:]] >= x[got[k]])


# -------------------------------------------------------------------------------------- vectorize
VECTORIZE = [
    (lambda a, b: a * b + 1, None, (floats(3), floats(2, 1))),
    (lambda a: torch.sin(a) ** 2, None, (floats(2, 3),)),
    (lambda a, b: torch.where(a > b, a, b), None, (floats(4), floats(4))),
    (lambda m, v: m @ v, "(m,n),(n)->(m)", (floats(5, 2, 3), floats(3))),
    (lambda m, v: m @ v, "(m,n),(n)->(m)", (floats(2, 3), floats(4, 3))),
    (lambda a: (a.sum(), a.max()), "(n)->(),()", (floats(3, 4),)),
    (lambda a, b: torch.outer(a, b), "(n),(m)->(n,m)", (floats(2, 1, 3), floats(4, 2))),
]


@pytest.mark.parametrize("index", range(len(VECTORIZE)))
def test_vectorize_matches_keras(index):
    fn, signature, args = VECTORIZE[index]
    kwargs = {} if signature is None else {"signature": signature}
    expected = keras.ops.vectorize(fn, **kwargs)(*[torch.tensor(a) for a in args])
    got = ops.vectorize(fn, **kwargs)(*[torch.tensor(a) for a in args])
    assert_same(expected, got, 1e-6, 1e-6, f"vectorize case {index}")


def test_vectorize_passes_excluded_and_keyword_arguments_unchanged():
    # Keras drops both (its `excluded` is always empty, its keyword arguments never reach pyfunc).
    def scale(x, factor, *, offset):
        assert isinstance(factor, list) and offset.shape == (2,)
        return x * factor[0] + offset.sum()

    x, offset = floats(3, 2), torch.tensor([1.0, 2.0])
    got = ops.vectorize(scale, excluded={1})(x, [2.0], offset=offset)
    np.testing.assert_allclose(got.numpy(), x * 2.0 + 3.0, rtol=1e-6)
    got = ops.vectorize(lambda x, power: x ** power, excluded={"power"})(x, power=2)
    np.testing.assert_allclose(got.numpy(), x ** 2, rtol=1e-6)


def test_vectorize_is_differentiable():
    x = torch.tensor(floats(4, 3), requires_grad=True)
    ops.vectorize(lambda row: (row ** 2).sum(), signature="(n)->()")(x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * x.detach().numpy(), rtol=1e-6)


@pytest.mark.parametrize("call, error, match", [
    (lambda: ops.vectorize(3), ValueError, "ops.vectorize: `pyfunc` must be callable"),
    (lambda: ops.vectorize(torch.add, signature="(n)->"), ValueError, "not a valid generalized-ufunc signature"),
    (lambda: ops.vectorize(torch.add, signature="(n),(n)->(n)")(np.ones(2), np.ones(3)), ValueError,
     "inconsistent size for core dimension 'n'"),
    (lambda: ops.vectorize(torch.add, signature="(n),(n)->(n)")(np.ones(2)), TypeError, "names 2 inputs"),
    (lambda: ops.vectorize(torch.sum, signature="(n)->(n)")(np.ones((2, 3))), ValueError,
     r"output 0 has core shape \(\)"),
    (lambda: ops.vectorize(torch.add)(np.ones(2), np.ones(3)), ValueError, "do not broadcast together"),
])
def test_vectorize_bad_input(call, error, match):
    with pytest.raises(error, match=match):
        call()


# ----------------------------------------------------------------- NumPy's meaning where Keras' torch differs
def test_take_with_axis_none_counts_negative_indices_from_the_end_of_the_flat_input():
    # Keras' torch backend adds x.shape[0] (2) instead of x.size (6): take(x, -1) gives x.flat[1] there.
    x = np.arange(6, dtype="float32").reshape(2, 3)
    for indices in ([-1, 0], [[-6, 5], [-2, 2]]):
        np.testing.assert_array_equal(ops.take(x, indices).numpy(), np.take(x, indices))
        flat = np.array(indices).reshape(-1)
        np.testing.assert_array_equal(ops.take_along_axis(x, flat, axis=None).numpy(),
                                      np.take_along_axis(x.reshape(-1), flat, axis=0))


def test_unique_return_index_of_nd_input_indexes_the_flat_input():
    x = np.array([[3, 1], [1, 2]], "int32")
    values, index, inverse, counts = ops.unique(x, return_index=True, return_inverse=True, return_counts=True)
    e_values, e_index, e_inverse, e_counts = np.unique(x, return_index=True, return_inverse=True, return_counts=True)
    for got, expected in [(values, e_values), (index, e_index), (inverse.reshape(-1), e_inverse.reshape(-1)),
                          (counts, e_counts)]:
        np.testing.assert_array_equal(got.numpy(), expected)


# ------------------------------------------------------------------------------------------ bad input
@pytest.mark.parametrize("call, error, match", [
    (lambda: ops.take(np.ones((2, 3)), [5], axis=1), ValueError, r"ops.take: .*\(2, 3\).*axis=1"),
    (lambda: ops.take(np.ones((2, 3)), [0], axis=2), ValueError, r"ops.take: axis=2 is out of range .*\(2, 3\)"),
    (lambda: ops.take(np.ones(3), [0.5]), TypeError, "ops.take: `indices` must be integers"),
    (lambda: ops.take_along_axis(np.ones((2, 3)), np.zeros(3, "int32"), axis=1), ValueError,
     r"ops.take_along_axis: `indices` must have the rank of `x`, got x.shape=\(2, 3\) and indices.shape=\(3,\)"),
    (lambda: ops.take_along_axis(np.ones((2, 3)), np.full((2, 1), 4), axis=1), ValueError, r"ops.take_along_axis: .*\(2, 3\)"),
    (lambda: ops.where(np.ones((2, 3), bool), np.ones((4,)), 0), ValueError, r"ops.where: .*\(2, 3\), \(4,\)"),
    (lambda: ops.where(np.ones(2, bool), np.ones(2)), ValueError, "ops.where: give both `x1` and `x2`, or neither"),
    (lambda: ops.select([np.ones(2, bool)], [np.ones(2), np.ones(2)]), ValueError,
     "ops.select: `condlist` has 1 conditions but `choicelist` has 2"),
    (lambda: ops.select(np.ones(2, bool), [np.ones(2)]), ValueError, "ops.select: `condlist` and `choicelist` must be lists"),
    (lambda: ops.select([], []), ValueError, "must not be empty"),
    (lambda: ops.select([np.ones(2, bool)], [np.ones(3)]), ValueError, r"ops.select: .*\[\(2,\)\], \[\(3,\)\]"),
    (lambda: ops.sort(np.ones((2, 3)), axis=2), ValueError, r"ops.sort: .*\(2, 3\).*axis=2"),
    (lambda: ops.argsort(np.ones((2, 3)), axis=-3), ValueError, r"ops.argsort: .*\(2, 3\).*axis=-3"),
    (lambda: ops.argpartition(np.ones(4), 4), ValueError, r"ops.argpartition: kth=4 is out of range .*\(4,\)"),
    (lambda: ops.searchsorted(np.ones((2, 2)), np.ones(2)), ValueError, r"ops.searchsorted: `sorted_sequence` must be 1-D, got shape \(2, 2\)"),
    (lambda: ops.searchsorted(np.ones(2), np.ones(2), side="middle"), ValueError, "ops.searchsorted: `side` must be"),
    (lambda: ops.unique(np.ones(3), size=-1), ValueError, "ops.unique: `size` must be a non-negative int"),
    (lambda: ops.unique(np.ones((2, 3)), axis=2), ValueError, r"ops.unique: axis=2 is out of range .*\(2, 3\)"),
    (lambda: ops.unravel_index([1.5], (2, 3)), TypeError, "ops.unravel_index: `indices` must be integers"),
    (lambda: ops.get_item(np.ones((2, 3)), (0, 5)), ValueError, r"ops.get_item: .*\(2, 3\)"),
    (lambda: ops.isin(np.ones((2, 3)), "a"), TypeError, "convert_to_tensor: cannot convert"),
])
def test_bad_input_raises_errors_naming_the_op_and_shapes(call, error, match):
    with pytest.raises(error, match=match):
        call()


@pytest.mark.parametrize("module", ["indexing", "sorting", "functional"])
def test_docstring_examples_run(module):
    mod = importlib.import_module(f"kerastorch.ops.numpy.{module}")
    result = doctest.testmod(mod, extraglobs={"torch": torch}, verbose=False)
    assert result.attempted > 0 and result.failed == 0
