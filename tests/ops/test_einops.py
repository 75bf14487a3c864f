"""`kerastorch.ops.rearrange` against real Keras over a table of patterns: transposes, splits with
one size given or inferred, merges, splits and merges together, identity, floats (with gradients),
ints and bools. Malformed patterns and impossible sizes raise errors that name the pattern."""

import doctest

import numpy as np
import pytest
import torch

from tests.ops.harness import Case, assert_every_name_has_a_case, bools, check, floats, ints, keras_names

from kerastorch import ops  # noqa: E402
from kerastorch.ops import einops  # noqa: E402

X = floats(2, 6, 4)
PATTERNS = [
    ("b h w -> b h w", {}), ("b h w -> w b h", {}), ("b h w -> b (h w)", {}), ("b h w -> (b h w)", {}),
    ("b h w -> (w b) h", {}), ("b (h1 h2) w -> b h1 h2 w", {"h1": 2}), ("b (h1 h2) w -> b h1 h2 w", {"h2": 2}),
    ("b (h1 h2) w -> (b h2) w h1", {"h1": 3}), ("b (h1 h2) w -> b h1 (h2 w)", {"h1": 3, "h2": 2}),
    ("b h (w1 w2) -> (w2 b) (h w1)", {"w1": 2}), ("batch height width->width batch height", {}),
]

CASES = [Case("rearrange", (X, pattern), kwargs, grad=True) for pattern, kwargs in PATTERNS]
CASES += [
    Case("rearrange", (ints(3, 4), "a b -> b a")), Case("rearrange", (bools(2, 3, 2), "a b c -> c (a b)")),
    Case("rearrange", (floats(12, dtype="float64"), "(a b c) -> c b a"), {"a": 2, "b": 3}),
    Case("rearrange", (floats(4, 1, 3), "a b c -> c a b")),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_matches_keras(case):
    check(case)


def test_every_einops_name_has_a_case():
    names = keras_names("einops")
    assert names == ["rearrange"]
    assert_every_name_has_a_case(names, CASES)


def test_rearrange_hand_values():
    x = torch.arange(6).reshape(2, 3)
    assert ops.rearrange(x, "a b -> b a").tolist() == [[0, 3], [1, 4], [2, 5]]
    assert ops.rearrange(torch.arange(6), "(a b) -> b a", a=2).tolist() == [[0, 3], [1, 4], [2, 5]]
    assert ops.rearrange(tensor=x, pattern="a b -> (b a)").tolist() == [0, 3, 1, 4, 2, 5]


BAD = [
    (lambda: ops.rearrange(torch.zeros(2, 3), "a b"), r"invalid pattern 'a b': expected exactly one '->'"),
    (lambda: ops.rearrange(torch.zeros(2, 3), "a b -> a"),
     r"invalid pattern 'a b -> a': input axes \['b'\] do not appear in the output"),
    (lambda: ops.rearrange(torch.zeros(2, 3), "a b -> a b c"), r"output axes \['c'\] do not appear in the input"),
    (lambda: ops.rearrange(torch.zeros(2, 3), "a a -> a a"), r"an axis name repeats on one side"),
    (lambda: ops.rearrange(torch.zeros(2, 3), "a b c -> a b c"),
     r"the pattern 'a b c -> a b c' names 3 input axes but the tensor has 2 \(shape \(2, 3\)\)"),
    (lambda: ops.rearrange(torch.zeros(2, 6), "a (b c) -> a b c"), r"cannot infer the sizes of \['b', 'c'\]"),
    (lambda: ops.rearrange(torch.zeros(2, 6), "a (b c) -> a b c", b=4),
     r"the axis of size 6 cannot be split into \(b c\)"),
    (lambda: ops.rearrange(torch.zeros(2, 6), "a (b c) -> a b c", b=2, c=2),
     r"the group \(b c\) has size 4 from axes_lengths but the axis has size 6"),
    (lambda: ops.rearrange(torch.zeros(2, 6), "a ((b c)) -> a b c", b=2), r"parentheses cannot nest"),
    (lambda: ops.rearrange(torch.zeros(2, 6), "a (b c -> a b c", b=2), r"'\(' without a matching '\)'"),
    (lambda: ops.rearrange(torch.zeros(2, 6), "a ... -> a ..."), r"Keras' rearrange has no ellipsis"),
    (lambda: ops.rearrange(torch.zeros(2, 3), "a b -> b a", c=3),
     r"axes_lengths \['c'\] are not axes of the input side"),
]


@pytest.mark.parametrize("fn,message", BAD, ids=[m[:50] for _, m in BAD])
def test_bad_patterns_raise_errors_naming_the_pattern(fn, message):
    with pytest.raises(ValueError, match=r"ops.rearrange: " + ".*" + message):
        fn()


def test_docstring_examples_run():
    assert doctest.testmod(einops).failed == 0
    np.testing.assert_array_equal(ops.rearrange(np.zeros((2, 3)), "a b -> b a").shape, (3, 2))
