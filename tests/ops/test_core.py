"""`kerastorch.ops` core functions (conversion, slicing, scatter, control flow) against real Keras.

The table below calls every core op on floats, ints and bools, nested structures, negative axes and
Python scalars; control-flow ops get small functions written in plain torch so both libraries run
the same user code. `dtype` (a string) and `custom_gradient` (a decorator) have their own Keras
comparisons. Where kerastorch departs from Keras' torch backend on purpose (a saturating cast that
really saturates, associative_scan keeping integer dtypes), numpy is the oracle.
"""

import doctest
import re

import numpy as np
import pytest
import torch

from tests.ops.harness import (Case, assert_every_name_has_a_case, bools, check, floats, ints, keras,
                               keras_names)

import kerastorch  # noqa: E402
from kerastorch import ops  # noqa: E402
from kerastorch.ops import _control_flow, _tree, core  # noqa: E402

F23, F5, F54 = floats(2, 3), floats(5), floats(5, 4)
F64 = floats(2, 3, dtype="float64")
I23, I5 = ints(2, 3), ints(5)


def add(a, b):
    return a + b


def pair_op(a, b):            # associative on (sum, product) pairs
    return (a[0] + b[0], a[1] * b[1])


CASES = [
    # associative_scan: even and odd lengths, axes, reverse, nested elems
    *[Case("associative_scan", (add, floats(n, 3)), {"axis": 0}, grad=True) for n in (1, 2, 5, 8)],
    Case("associative_scan", (add, F54), {"axis": -1, "reverse": True}, grad=True),
    Case("associative_scan", (torch.maximum, floats(7)), {"reverse": False}, grad=True),
    Case("associative_scan", (pair_op, (floats(6), floats(6, low=0.5, high=1.5)))),
    # cast
    Case("cast", (F23, "int32")), Case("cast", (F23, "float64"), grad=True),
    Case("cast", (I23, "float16")), Case("cast", (bools(4), "float32")),
    Case("cast", ([1, 2, 3], "bool")), Case("cast", (2.5, "int8")),
    Case("cast", (ints(3, dtype="int64"), "uint8")),
    # cond
    Case("cond", (True, lambda: torch.ones(2), lambda: torch.zeros(2))),
    Case("cond", (False, lambda: torch.ones(2), lambda: torch.zeros(2))),
    Case("cond", (np.array(False), lambda: (torch.ones(1), 2), lambda: (torch.zeros(1), 3))),
    # conversions
    Case("convert_to_numpy", (F23,)), Case("convert_to_numpy", (I23,)),
    Case("convert_to_tensor", (F64,)), Case("convert_to_tensor", (3.5,)),
    Case("convert_to_tensor", ([1, 2, 3],)), Case("convert_to_tensor", ([1, 2.5],)),
    Case("convert_to_tensor", (F23,), {"dtype": "float16"}), Case("convert_to_tensor", (True,)),
    # fori_loop
    Case("fori_loop", (0, 4, lambda i, v: v * 2.0 + i, F23), grad=True),
    Case("fori_loop", (2, 2, lambda i, v: v + 1, I5)),
    Case("fori_loop", (1, 4, lambda i, v: (v[0] + i, v[1] * 2), (I5, F5))),
    # is_tensor
    Case("is_tensor", (F23,)), Case("is_tensor", ([1.0],)), Case("is_tensor", (3,)),
    # map
    Case("map", (lambda x: x * x, F54), grad=True),
    Case("map", (lambda x: {"s": x.sum(), "m": x.max()}, F54)),
    Case("map", (lambda x: x[0] + x[1], (F54, F54)), grad=True),
    Case("map", (lambda x: x * 2, I5)),
    # saturate_cast (the cases where Keras' torch backend really saturates)
    Case("saturate_cast", (floats(10, low=-400, high=400), "uint8")),
    Case("saturate_cast", (ints(10, low=-300, high=300), "int8")),
    Case("saturate_cast", (floats(10, low=-1e5, high=1e5), "int16")),
    Case("saturate_cast", (floats(10, low=-1e5, high=1e5), "float16")),
    Case("saturate_cast", (ints(6, low=-3, high=300, dtype="int16"), "uint8")),
    Case("saturate_cast", (F23, "float64")),
    # scan
    Case("scan", (lambda c, x: (c + x, c * x), F5[0], F5), grad=True),
    Case("scan", (lambda c, x: (c + x, c * x), F5[0], F5), {"reverse": True}, grad=True),
    Case("scan", (lambda c, x: (c * 2.0, c), F23), {"length": 3}, grad=True),
    Case("scan", (lambda c, x: ((c[0] + x["a"], c[1] * x["b"]), c[0]), (F5[0], F5[1]),
                  {"a": F54[:, 0], "b": F54[:, 1]})),
    Case("scan", (lambda c, x: (c + x, None), F23[0], F23)),
    Case("scan", (lambda c, x: (c + x, c), 0, I5)),
    # scatter / scatter_update
    Case("scatter", (np.array([[0], [2], [2]]), floats(3), (4,))),
    Case("scatter", (np.array([[1, 0], [2, 3], [1, 0]]), floats(3), (3, 4)), grad=True),
    Case("scatter", (np.array([[1], [0]]), floats(2, 4), (3, 4)), grad=True),
    Case("scatter", (np.array([[[0], [1]], [[1], [2]]]), ints(2, 2), (3,))),
    Case("scatter_update", (F54, np.array([[0], [3]]), floats(2, 4)), grad=True),
    Case("scatter_update", (F54, np.array([[0, 1], [4, 3]]), floats(2))),
    Case("scatter_update", (F54, np.array([[0, 1], [0, 1], [2, 2]]), floats(3)), {"reduction": "add"},
         grad=True),
    *[Case("scatter_update", (F54, np.array([[0, 1], [0, 1], [2, 2], [-1, 0]]), floats(4)),
           {"reduction": r}) for r in ("max", "min", "mul", "ADD")],
    Case("scatter_update", (F54, np.array([[1], [1]]), floats(2, 4)), {"reduction": "max"}),
    Case("scatter_update", (I5, np.array([[1], [3]]), np.array([7, 8])), {"reduction": "mul"}),
    # shape
    Case("shape", (F23,)), Case("shape", (floats(0, 4),)), Case("shape", (np.float32(2.0),)),
    # slice / slice_update
    Case("slice", (F54, [1, 0], [3, 2]), grad=True), Case("slice", (F54, (0, 1), (5, 3))),
    Case("slice", (F54, np.array([2, 1]), np.array([2, 3])), grad=True),
    Case("slice", (I5, [4], [1])),
    Case("slice_update", (F54, [1, 1], floats(2, 2)), grad=True),
    Case("slice_update", (F54, np.array([3, 0]), floats(2, 4)), grad=True),
    Case("slice_update", (I23, [0, 2], ints(2, 1))),
    # stop_gradient
    Case("stop_gradient", (F23,)), Case("stop_gradient", (I23,)),
    # switch
    *[Case("switch", (i, [lambda x: x + 1.0, lambda x: x * 3.0], F23), grad=True) for i in (0, 1, 5, -2)],
    Case("switch", (np.array(1), [lambda x, y: x + y, lambda x, y: x - y], F23, F23), grad=True),
    # unstack
    Case("unstack", (F54,), grad=True), Case("unstack", (F54,), {"axis": -1}, grad=True),
    Case("unstack", (floats(2, 3, 4),), {"axis": 1, "num": 3}), Case("unstack", (I23,)),
    # vectorized_map
    Case("vectorized_map", (lambda x: x * x + 1.0, F54), grad=True),
    Case("vectorized_map", (lambda x: torch.sum(x, dim=-1), floats(3, 2, 4)), grad=True),
    Case("vectorized_map", (lambda xs: xs[0] * xs[1], (F54, F54)), grad=True),
    # while_loop
    Case("while_loop", (lambda i, x: i < 3, lambda i, x: (i + 1, x * 2.0), (0, F23)), grad=True),
    Case("while_loop", (lambda i: i < 10, lambda i: i + 4, 0)),
    Case("while_loop", (lambda x: x.sum() < 100.0, lambda x: x * 2.0, np.ones(3, "float32"))),
    Case("while_loop", (lambda i, x: i < 10, lambda i, x: [i + 1, x + 1.0], [0, F5]),
         {"maximum_iterations": 4}, grad=True),
]

NAMES = keras_names("core")
UNTESTED = {
    "custom_gradient": "returns a decorator; compared with Keras' in test_custom_gradient_matches_keras",
    "dtype": "returns a string; compared with Keras' in test_dtype_matches_keras",
}


def case_id(case):
    return re.sub(r" at 0x[0-9a-f]+", "", str(case))     # ids stable from run to run


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_matches_keras(case):
    check(case)


def test_every_core_name_has_a_case():
    assert len(NAMES) == 22
    assert_every_name_has_a_case(NAMES, CASES, UNTESTED)
    for name in NAMES:
        assert getattr(kerastorch.ops, name) is getattr(core, name)


def test_dtype_matches_keras():
    for value in [F23, F64, I23, bools(2), ints(2, dtype="uint8"), floats(2, dtype="float16")]:
        assert ops.dtype(torch.tensor(value)) == keras.ops.dtype(torch.tensor(value))
        assert ops.dtype(value) == keras.ops.dtype(value)
    assert ops.dtype(torch.zeros(1, dtype=torch.bfloat16)) == "bfloat16"
    with pytest.raises(TypeError, match="ops.dtype: expected a tensor"):
        ops.dtype([1, 2])


def _log1pexp(module):
    @module.ops.custom_gradient
    def log1pexp(x):
        e = torch.exp(x)

        def grad(*args, upstream=None):
            return upstream * (1.0 - 1.0 / (1.0 + e))

        return torch.log(1 + e), grad
    return log1pexp


def _scaled(module):
    @module.ops.custom_gradient
    def scaled(x, y):
        def grad(*args, upstream=None):
            a, b = args
            return upstream * 10.0, upstream * a        # not the true gradient, on purpose
        return x * y, grad
    return scaled


CUSTOM = {"log1pexp": (_log1pexp, 1), "wrong_on_purpose": (_scaled, 2)}


@pytest.mark.parametrize("name", CUSTOM)
def test_custom_gradient_matches_keras(name):
    make, n_inputs = CUSTOM[name]
    results = []
    for module in (keras, kerastorch):
        fn = make(module)
        inputs = [torch.tensor(v, requires_grad=True) for v in (F5, F5 * 2.0)[:n_inputs]]
        out = fn(*inputs)
        (out * torch.arange(5.0)).sum().backward()
        results.append((out.detach(), [i.grad for i in inputs]))
    (k_out, k_grads), (t_out, t_grads) = results
    torch.testing.assert_close(t_out, k_out)
    for k, t in zip(k_grads, t_grads):
        torch.testing.assert_close(t, k)


def test_custom_gradient_hand_values_and_errors():
    @ops.custom_gradient
    def clip_grad(x):
        return x * 1.0, lambda *args, upstream=None: torch.clamp(upstream, -0.5, 0.5)

    x = torch.tensor([1.0, 2.0], requires_grad=True)
    (clip_grad(x) * torch.tensor([3.0, 0.25])).sum().backward()
    assert x.grad.tolist() == [0.5, 0.25]          # 3 clipped to 0.5; 0.25 passes

    @ops.custom_gradient
    def no_grad_fn(x):
        return x * 2.0
    with pytest.raises(TypeError, match=r"custom_gradient.*must return a pair \(output, grad_fn\)"):
        no_grad_fn(torch.ones(2, requires_grad=True))

    @ops.custom_gradient
    def too_few(x, y):
        return x * y, lambda *args, upstream=None: upstream
    a = torch.ones(2, requires_grad=True)
    with pytest.raises(ValueError, match=r"returned 1 gradient\(s\) for 2 positional argument"):
        too_few(a, torch.ones(2, requires_grad=True)).sum().backward()

    @ops.custom_gradient
    def with_scale(x, scale):                       # a non-tensor argument gets no gradient
        return x * scale, lambda *args, upstream=None: (upstream * args[1], None)
    x = torch.ones(3, requires_grad=True)
    with_scale(x, 4.0).sum().backward()
    assert x.grad.tolist() == [4.0, 4.0, 4.0]


def test_saturate_cast_saturates_where_keras_torch_wraps():
    # float32 cannot hold 2**31 - 1; its largest value below 2**31 is 2**31 - 128. Keras' torch
    # backend clips at 2**31 itself (numpy 2 compares it equal to 2**31 - 1) and wraps around.
    out = ops.saturate_cast(torch.tensor([3e9, -3e9, 1.5, 2.0 ** 31]), "int32")
    assert out.dtype == torch.int32
    assert out.tolist() == [2 ** 31 - 128, -(2 ** 31), 1, 2 ** 31 - 128]
    out = ops.saturate_cast(torch.tensor([1e20, -1e20]), "int64")
    assert out.tolist() == [int(np.nextafter(np.float32(2 ** 63), np.float32(0))), -(2 ** 63)]
    assert ops.saturate_cast(torch.tensor([1e6, -1e6]), "float16").tolist() == [65504.0, -65504.0]
    assert ops.saturate_cast(torch.tensor([True, False]), "uint8").tolist() == [1, 0]


def test_associative_scan_keeps_integer_dtypes():
    # Keras' torch backend computes the interleave in float32 (an artifact); the sum of int32 is int32.
    values = ints(9)
    out = ops.associative_scan(add, torch.tensor(values))
    assert out.dtype == torch.int32
    np.testing.assert_array_equal(out.numpy(), np.cumsum(values))
    flags = np.array([False, True, False, False, True])
    out = ops.associative_scan(torch.logical_or, torch.tensor(flags), reverse=True)
    np.testing.assert_array_equal(out.numpy(), np.logical_or.accumulate(flags[::-1])[::-1])


def test_slice_minus_one_takes_the_rest_of_the_axis():
    x = torch.arange(12).reshape(3, 4)
    np.testing.assert_array_equal(ops.slice(x, [1, 1], [-1, 2]).numpy(), x.numpy()[1:, 1:3])


def test_stop_gradient_blocks_the_gradient():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    y = (x * ops.stop_gradient(x)).sum()
    y.backward()
    assert x.grad.tolist() == [1.0, 2.0]             # d/dx x * c = c, the stopped value


def test_tree_helpers_round_trip():
    structure = {"b": [1, (2, 3)], "a": None}
    flat = _tree.flatten(structure)
    assert flat == [None, 1, 2, 3]
    assert _tree.pack_sequence_as(structure, flat) == structure
    assert _tree.map_structure(lambda v: v * 10, [1, (2,)]) == [10, (20,)]
    with pytest.raises(ValueError, match="structures differ"):
        _tree.map_structure(lambda a, b: a, [1, 2], [1, (2, 3)])


BAD_INPUTS = [
    (lambda: ops.scatter_update(torch.zeros(3), [[0]], [1.0], reduction="sum"),
     ValueError, r"ops.scatter_update: invalid reduction='sum'"),
    (lambda: ops.scatter_update(torch.zeros(3, 2), [[5]], torch.ones(1, 2), reduction="max"),
     ValueError, r"ops.scatter_update: the inputs do not fit together \(inputs \(3, 2\), \[\[5\]\], "
                 r"\(1, 2\)\): index 5 is out of bounds"),
    (lambda: ops.scatter_update(torch.zeros(3), [0, 1], [1.0, 2.0]),
     ValueError, r"indices must have shape \(N, k\).*got indices.shape=\(2,\)"),
    (lambda: ops.slice(torch.zeros(3, 4), [0], [1, 1]),
     ValueError, r"ops.slice: .*one entry per axis.*inputs.shape=\(3, 4\)"),
    (lambda: ops.slice(torch.zeros(3, 4), [2, 0], [2, 1]),
     ValueError, r"ops.slice: the slice \[2:4\] on axis 0 does not fit in inputs.shape=\(3, 4\)"),
    (lambda: ops.slice_update(torch.zeros(3, 4), [0, 0], torch.ones(4)),
     ValueError, r"ops.slice_update: updates must have as many axes.*\(4,\).*\(3, 4\)"),
    (lambda: ops.slice_update(torch.zeros(3, 4), [2, 0], torch.ones(2, 2)),
     ValueError, r"ops.slice_update: the inputs do not fit together \(inputs \(3, 4\)"),
    (lambda: ops.scatter([[0, 1, 2]], [1.0], (3, 3)),
     ValueError, r"ops.scatter: indices must have shape \(..., k\) with k <= len\(shape\)=2"),
    (lambda: ops.unstack(torch.zeros(2, 3), num=3),
     ValueError, r"ops.unstack: num=3 does not match x.shape\[0\]=2"),
    (lambda: ops.unstack(torch.zeros(2, 3), axis=2),
     ValueError, r"ops.unstack: the inputs do not fit together \(inputs \(2, 3\); axis=2\)"),
    (lambda: ops.scan(lambda c, x: (c, x), 0.0),
     ValueError, r"ops.scan: got no `xs` to scan over and no `length`"),
    (lambda: ops.scan(lambda c, x: (c, x), 0.0, torch.zeros(3), unroll=0),
     ValueError, r"ops.scan: `unroll` must be a positive integer"),
    (lambda: ops.scan(lambda c, x: (c, x), 0.0, (torch.zeros(3), torch.zeros(4))),
     ValueError, r"ops.scan: every array in `xs` needs the same leading size.*\(3,\), \(4,\)"),
    (lambda: ops.scan(lambda c, x: c, 0.0, torch.zeros(3)),
     ValueError, r"ops.scan: `f` must return a pair"),
    (lambda: ops.scan("f", 0.0, torch.zeros(3)), TypeError, r"ops.scan: `f` must be a callable"),
    (lambda: ops.cond(torch.tensor([True, False]), lambda: 1, lambda: 2),
     ValueError, r"ops.cond: `pred` must hold a single boolean, got a tensor of shape \(2,\)"),
    (lambda: ops.switch(0, []), TypeError, r"ops.switch: `branches` must be a non-empty list"),
    (lambda: ops.associative_scan(add, (torch.zeros(3), torch.zeros(4))),
     ValueError, r"ops.associative_scan: every array in `elems` needs the same size along axis 0"),
    (lambda: ops.cast(torch.zeros(2), "flaot32"), ValueError, r"Invalid dtype: 'flaot32'. Did you mean 'float32'"),
    (lambda: ops.saturate_cast(torch.zeros(2), "unit8"), ValueError, r"Did you mean 'uint8'"),
]


@pytest.mark.parametrize("fn,error,message", BAD_INPUTS, ids=[m for _, _, m in BAD_INPUTS])
def test_bad_input_names_the_op_and_the_shapes(fn, error, message):
    with pytest.raises(error, match=message):
        fn()


def test_docstring_examples_run():
    for module in (core, _control_flow, _tree):
        result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
        assert result.failed == 0 and result.attempted > 0
