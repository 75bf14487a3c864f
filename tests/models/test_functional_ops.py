"""Every `kerastorch.ops` function and Python operator on symbolic tensors, against real Keras 3.

Generated over the op table (`kerastorch/ops/_keras_classes.py`) and the comparison cases of
`tests/ops` (the first case of each op whose inputs include an array): the arrays become
`Input`s in both libraries, the op is called on them, and

- the output shapes and dtypes equal Keras' symbolic ones (or, for the ops listed in
  `KERAS_SYMBOLIC_SHAPE_DIFFERS`, the shapes and dtypes of Keras' own eager result);
- the recorded node equals Keras': class name, module, config and node arguments;
- a Functional model of that one op gives Keras' eager values on the arrays, and so does the
  model rebuilt from Keras' config.
"""

import collections
import importlib
import json

import numpy as np
import pytest
import torch

import kerastorch
from kerastorch.models import functional_config
from kerastorch.ops._keras_classes import OPS

keras = pytest.importorskip("keras")
from tests.ops import harness  # noqa: E402

_MODULES = ["test_core", "test_einops", "test_image", "test_linalg", "test_math", "test_nn", "test_numpy_creation",
            "test_numpy_elementwise", "test_numpy_indexing", "test_numpy_linear", "test_numpy_manipulation",
            "test_numpy_reductions"]


def _first_cases():
    cases = collections.defaultdict(list)
    for module in _MODULES:
        for case in getattr(importlib.import_module(f"tests.ops.{module}"), "CASES", []):
            cases[case.name.split(".")[-1]].append(case)
    out = {}
    for name in sorted(OPS):
        for case in cases.get(name, []):
            if any(isinstance(a, np.ndarray) and a.ndim >= 1 for a in harness._flatten(list(case.args))):
                out[name] = case
                break
    return out


CASES = _first_cases()

# Keras' symbolic call of these raises (so there is nothing to compare a graph with).
KERAS_SYMBOLIC_FAILS = {
    "adaptive_average_pool": "Keras' AdaptiveAveragePool takes len() of an int output_size",
    "adaptive_max_pool": "Keras' AdaptiveMaxPool takes len() of an int output_size",
    "binary_crossentropy": "Keras reads .shape of a target given as a Python list",
    "hstack": "Keras' Hstack indexes axis 1 of 1-D inputs",
    "while_loop": "Keras' WhileLoop traces its body on KerasTensors and fails",
}
# Keras' symbolic shape or dtype differs from what its own eager op returns; ours follows the
# eager result (the values the model computes), checked against Keras' eager call.
KERAS_SYMBOLIC_SHAPE_DIFFERS = {
    "corrcoef": "Keras gives the input's shape, the result is (rows, rows)",
    "dot_product_attention": "Keras gives the query's shape, the result has the value's last axis",
    "eig": "Keras gives float32, the eigen-decomposition is complex",
    "imag": "Keras gives the complex input dtype, the imaginary part is float32",
    "lu_factor": "Keras gives float32 pivots, they are int32",
    "multi_hot": "Keras gives the input's int dtype, the result is float32",
    "ndim": "Keras gives a KerasTensor of shape (rank,), the result is the rank, an int",
    "nonzero": "Keras gives a tuple of (None,) tensors, the result is one (rank, None) tensor",
    "polar": "Keras gives float32, the result is complex",
    "size": "Keras gives a symbolic int32 scalar, the size of a known shape is a constant here",
    "top_k": "Keras gives int32 indices, they are int64",
    "vstack": "Keras concatenates 1-D inputs, numpy stacks them into (n, length)",
}
# Ops whose node holds a Python function: Keras writes its bytecode (`__lambda__`, loaded only
# with safe_mode=False); a kerastorch config refuses to hold code.
HOLDS_FUNCTIONS = {"associative_scan", "fori_loop", "jvp", "map", "scan", "switch", "vectorized_map"}


def _symbolic(lib, value, inputs):
    if isinstance(value, np.ndarray) and value.ndim >= 1 and value.dtype.kind in "biufc":
        tensor = lib.Input(batch_shape=value.shape, dtype=str(value.dtype))
        inputs.append((tensor, value))
        return tensor
    if isinstance(value, list):
        return [_symbolic(lib, v, inputs) for v in value]
    if isinstance(value, tuple):
        return tuple(_symbolic(lib, v, inputs) for v in value)
    return value


def _resolve(module, name):
    for part in name.split("."):
        module = getattr(module, part)
    return module


def _flat(out):
    return harness._flatten(out)


def _spec(x):
    if hasattr(x, "shape"):
        return tuple(x.shape), kerastorch.backend.standardize_dtype(x.dtype)
    return repr(x)


@pytest.mark.parametrize("name", sorted(CASES))
def test_op_on_symbolic_tensors_is_recorded_as_keras_records_it(name):
    case = CASES[name]
    kinputs, tinputs = [], []
    kargs = _symbolic(keras, case.args, kinputs)
    targs = _symbolic(kerastorch, case.args, tinputs)
    try:
        kout = _resolve(keras.ops, case.name)(*kargs, **case.kwargs)
    except Exception:  # noqa: BLE001 - listed below with the reason
        assert name in KERAS_SYMBOLIC_FAILS, f"Keras cannot call {case} symbolically; list it with a reason"
        kout = None
    else:
        assert name not in KERAS_SYMBOLIC_FAILS, f"Keras now calls {case} symbolically: drop it from the list"
    tout = _resolve(kerastorch.ops, case.name)(*targs, **case.kwargs)
    arrays = [v for _, v in tinputs]
    eager = _resolve(keras.ops, case.name)(*harness._to_torch(case.args, []), **case.kwargs)
    expected = [_spec(x) for x in _flat(kout)] if kout is not None and name not in KERAS_SYMBOLIC_SHAPE_DIFFERS \
        else [_spec(x) for x in _flat(eager)]
    got = [_spec(x) for x in _flat(tout)]
    assert len(got) == len(expected) and all(_fits(g, e) for g, e in zip(got, expected)), \
        f"{case}: output specs {got}, expected {expected}"

    leaves = [x for x in _flat(tout) if isinstance(x, kerastorch.KerasTensor)]
    if not leaves:                      # a constant (the size of a known shape)
        return
    op = leaves[0]._keras_history.operation
    if kout is not None:
        kop = _flat(kout)[0]._keras_history.operation
        assert type(op).__name__ == type(kop).__name__
        if name in HOLDS_FUNCTIONS:
            with pytest.raises(NotImplementedError, match="a config cannot hold code"):
                kerastorch.Model([t for t, _ in tinputs], tout).get_config()
            return
        ours = json.loads(json.dumps(functional_config.serialize_operation(op)))
        theirs = json.loads(json.dumps(keras.saving.serialize_keras_object(kop)))
        ours["config"].pop("name", None)
        theirs["config"].pop("name", None)
        assert ours == theirs, f"{case}: op config"
        ours_node = functional_config._node_data(op._inbound_nodes[0], None)
        knode = kop._inbound_nodes[0]
        theirs_node = json.loads(json.dumps({"args": keras.saving.serialize_keras_object(list(knode.arguments.args)),
                                             "kwargs": keras.saving.serialize_keras_object(knode.arguments.kwargs)}))
        assert _strip_history(json.loads(json.dumps(ours_node))) == _strip_history(theirs_node), f"{case}: node"

    # As a Functional model (ours, or rebuilt from Keras' config where Keras records the same
    # outputs), the op computes Keras' eager values.
    if kout is not None and name not in HOLDS_FUNCTIONS and name not in KERAS_SYMBOLIC_SHAPE_DIFFERS:
        kmodel = keras.Model([t for t, _ in kinputs], kout)
        model = kerastorch.Model.from_config(json.loads(json.dumps(kmodel.get_config())))
    else:
        model = kerastorch.Model([t for t, _ in tinputs], tout)
    with torch.no_grad():
        _compare_values(eager, model([torch.as_tensor(v) for v in arrays]), case)


def _fits(got, expected):
    """`got` equals `expected`; a `None` axis of ours stands for a size that depends on the values."""
    if isinstance(got, str) or isinstance(expected, str):
        return got == expected
    (shape, dtype), (want_shape, want_dtype) = got, expected
    return dtype == want_dtype and len(shape) == len(want_shape) and \
        all(d == w or (d is None and w is not None) for d, w in zip(shape, want_shape))


def _strip_history(node):
    # Input layers are auto-named differently in the two processes' counters; the structure,
    # shapes, dtypes and node/tensor indices must agree.
    if isinstance(node, dict):
        if node.get("class_name") == "__keras_tensor__":
            history = node["config"]["keras_history"]
            return {"shape": node["config"]["shape"], "dtype": node["config"]["dtype"], "index": history[1:]}
        return {k: _strip_history(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_strip_history(v) for v in node]
    return node


def _compare_values(expected, got, case):
    expected, got = _flat(expected), _flat(got)
    assert len(expected) == len(got), str(case)
    for e, g in zip(expected, got):
        e = keras.ops.convert_to_numpy(e) if not isinstance(e, (int, float)) else np.asarray(e)
        g = g.detach().cpu().numpy() if isinstance(g, torch.Tensor) else np.asarray(g)
        assert e.shape == g.shape, f"{case}: {e.shape} vs {g.shape}"
        if e.dtype.kind in "fc":
            np.testing.assert_allclose(g, e, rtol=max(case.rtol, 1e-5), atol=max(case.atol, 1e-5), err_msg=str(case))
        else:
            np.testing.assert_array_equal(g, e, err_msg=str(case))


# Ops of the table that no case above covers, and why.
NOT_COMPARED = {
    "arange": "its cases take numbers, not arrays (no tensor to make symbolic)",
    "cond": "its cases take a Python bool predicate and closures",
    "argpartition": "no comparison case in tests/ops (its values are not unique across libraries)",
    "empty_like": "no comparison case in tests/ops (its values are undefined)",
    "nextafter": "no comparison case in tests/ops",
}


def test_every_op_of_the_table_is_compared_or_listed_with_a_reason():
    assert sorted(set(OPS) - set(CASES)) == sorted(NOT_COMPARED)


# --------------------------------------------------------------------------- operators
OPERATORS = {
    "+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b, "/": lambda a, b: a / b,
    "//": lambda a, b: a // b, "%": lambda a, b: a % b, "**": lambda a, b: a ** b, "@": lambda a, b: a @ b,
    "<": lambda a, b: a < b, "<=": lambda a, b: a <= b, ">": lambda a, b: a > b, ">=": lambda a, b: a >= b,
    "!=": lambda a, b: a != b, "&": lambda a, b: a & b, "|": lambda a, b: a | b, "^": lambda a, b: a ^ b,
}
UNARY = {"neg": lambda a: -a, "abs": lambda a: abs(a), "invert": lambda a: ~a, "round": lambda a: round(a),
         "getitem": lambda a: a[:, 1:, None], "getitem_ellipsis": lambda a: a[..., 0],
         "reshape": lambda a: a.reshape((-1, 9)), "squeeze": lambda a: a[:, :1].squeeze(1)}


def _operand(lib, dtype, symbolic):
    return lib.Input(batch_shape=(3, 3), dtype=dtype) if symbolic else 2.0 if dtype == "float32" else True


# `@` takes two matrices (a number is not one, in Keras either).
_OPERATOR_CASES = [(s, o) for s in sorted(OPERATORS) for o in ("tensor_first", "number_first", "both_tensors")
                   if s != "@" or o == "both_tensors"]


@pytest.mark.parametrize("symbol,order", _OPERATOR_CASES)
def test_python_operators_record_keras_ops(symbol, order):
    dtype = "bool" if symbol in ("&", "|", "^") else "float32"
    recorded = []
    for lib in (keras, kerastorch):
        a = _operand(lib, dtype, order != "number_first")
        b = _operand(lib, dtype, order != "tensor_first")
        out = OPERATORS[symbol](a, b)
        op = out._keras_history[0]
        recorded.append((type(op).__name__, tuple(out.shape), str(out.dtype)))
    assert recorded[1] == recorded[0]


@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_operators_and_methods_record_keras_ops(name):
    recorded = []
    x = np.arange(9, dtype="float32").reshape(1, 9)[:, :9].reshape(1, 3, 3)[0] - 4.0
    for lib in (keras, kerastorch):
        dtype = "bool" if name == "invert" else "float32"
        a = lib.Input(batch_shape=(3, 3), dtype=dtype)
        out = UNARY[name](a)
        op = out._keras_history[0]
        config = (keras.saving.serialize_keras_object(op) if lib is keras
                  else functional_config.serialize_operation(op))["config"]
        config.pop("name", None)
        recorded.append((type(op).__name__, tuple(out.shape), str(out.dtype), json.loads(json.dumps(config))))
        if dtype == "float32":
            model = lib.Model(a, out)
            values = model(torch.as_tensor(x))
            recorded[-1] += (np.asarray(keras.ops.convert_to_numpy(values) if lib is keras
                                        else values.detach().numpy()).tolist(),)
    assert recorded[1] == recorded[0]
