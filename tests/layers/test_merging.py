"""Merge layers, their function forms and `Identity` against real Keras 3 (torch backend).

Generated over tables: output values and dtypes, `compute_output_shape`, masks (attached as
`_keras_mask`, Keras' way, and passed as `mask=`), configs both ways, and the error conditions
(Keras raises -> we raise, with our message).
"""

import doctest
import re

import numpy as np
import pytest
import torch

from kerastorch import layers
from kerastorch.layers import merging

ELEMENTWISE = ["Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum"]
FUNCTIONS = {"Add": "add", "Subtract": "subtract", "Multiply": "multiply", "Average": "average",
             "Maximum": "maximum", "Minimum": "minimum", "Concatenate": "concatenate", "Dot": "dot"}

# Lists of input shapes Keras accepts: equal shapes, broadcasting ones, and different ranks.
SHAPES = [
    [(2, 3), (2, 3)],
    [(2, 3, 4), (2, 3, 4), (2, 3, 4)],
    [(2, 5)],
    [(2, 1, 3), (2, 4, 1)],
    [(2, 4, 3), (2, 1, 3)],
    [(2, 3), (2, 1)],
    [(2, 3), (2, 4, 3)],
    [(2,), (2, 4, 3)],
    [(2, 3), (2, 3, 1)],
    [(2, 2, 3), (2, 3), (2, 1, 1)],
    [(3, 2, 2, 2), (3, 2, 2, 2)],
]


def _arrays(shapes, seed=0, dtype="float32"):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(s).astype(dtype) for s in shapes]


def _np(keras, x):
    return keras.ops.convert_to_numpy(x)


def _elementwise_cases():
    for cls in ELEMENTWISE:
        for shapes in SHAPES:
            if cls == "Subtract" and len(shapes) != 2:
                continue
            yield pytest.param(cls, shapes, id=f"{cls}-{shapes}")


def _symbolic(shapes):
    """The shapes as Keras' symbolic path sees them: batch `None`, and with a batch size."""
    return [[(None, *s[1:]) for s in shapes], [tuple(s) for s in shapes]]


@pytest.mark.parametrize("cls,shapes", list(_elementwise_cases()))
def test_elementwise_merge_equals_keras(keras, cls, shapes):
    xs = _arrays(shapes)
    theirs = getattr(keras.layers, cls)()
    expected = _np(keras, theirs(xs))
    ours = getattr(layers, cls)()
    got = ours([torch.from_numpy(x) for x in xs])
    assert tuple(got.shape) == expected.shape
    np.testing.assert_allclose(got.numpy(), expected, rtol=1e-6, atol=1e-6)
    assert str(got.dtype).replace("torch.", "") == str(expected.dtype)
    for input_shape in _symbolic(shapes):
        assert ours.compute_output_shape(input_shape) == tuple(theirs.compute_output_shape(input_shape))


@pytest.mark.parametrize("cls", ELEMENTWISE)
@pytest.mark.parametrize("dtypes", [("int64", "int64"), ("int32", "float32"), ("float64", "float64"),
                                    ("int64", "float64")])
def test_elementwise_result_dtype_equals_keras(keras, cls, dtypes):
    xs = [np.arange(6).reshape(2, 3).astype(dtypes[0]) + 1, (np.arange(6).reshape(2, 3) % 4).astype(dtypes[1])]
    expected = _np(keras, getattr(keras.layers, cls)()(xs))
    got = getattr(layers, cls)()([torch.from_numpy(x) for x in xs])
    assert str(got.dtype).replace("torch.", "") == str(expected.dtype)
    np.testing.assert_allclose(got.numpy(), expected, rtol=1e-6)


@pytest.mark.parametrize("cls,fn", list(FUNCTIONS.items()))
def test_function_form_equals_the_layer_and_keras(keras, cls, fn):
    xs = _arrays([(2, 3), (2, 3)], seed=1)
    kwargs = {"axes": 1} if cls == "Dot" else {}
    expected = _np(keras, getattr(keras.layers, fn)(xs, **kwargs))
    got = getattr(layers, fn)([torch.from_numpy(x) for x in xs], **kwargs)
    np.testing.assert_allclose(got.numpy(), expected, rtol=1e-6, atol=1e-6)
    layer_out = getattr(layers, cls)(**kwargs)([torch.from_numpy(x) for x in xs])
    assert torch.equal(got, layer_out)


def test_function_forms_take_layer_keyword_arguments():
    out = layers.concatenate([torch.ones(1, 2, 3), torch.ones(1, 1, 3)], axis=1, name="joined")
    assert out.shape == (1, 3, 3)
    out = layers.dot([torch.ones(2, 3), 2 * torch.ones(2, 3)], axes=1, normalize=True)
    np.testing.assert_allclose(out.numpy(), [[1.0], [1.0]], rtol=1e-6)     # cosine of parallel vectors
    with pytest.raises(TypeError, match="unexpected keyword argument"):
        layers.add([torch.ones(1, 2)], axis=1)


CONCAT = [
    (-1, [(2, 3), (2, 4)]),
    (-1, [(2, 3, 4), (2, 3, 1), (2, 3, 2)]),
    (1, [(2, 2, 5), (2, 1, 5)]),
    (1, [(2, 1, 4), (2, 2, 4)]),
    (-2, [(2, 2, 5), (2, 3, 5)]),
    (0, [(2, 3), (1, 3)]),
    (2, [(2, 3, 1, 2), (2, 3, 4, 2)]),
    (-1, [(2, 5)]),
]


@pytest.mark.parametrize("axis,shapes", CONCAT)
def test_concatenate_equals_keras(keras, axis, shapes):
    xs = _arrays(shapes, seed=2)
    theirs = keras.layers.Concatenate(axis=axis)
    expected = _np(keras, theirs(xs))
    ours = layers.Concatenate(axis=axis)
    got = ours([torch.from_numpy(x) for x in xs])
    np.testing.assert_array_equal(got.numpy(), expected)
    symbolic = _symbolic(shapes) if axis != 0 else [[tuple(s) for s in shapes]]
    unknown = [[(None,) + tuple(None if i == 1 else d for i, d in enumerate(s) if i) for s in shapes]]
    for input_shape in symbolic + unknown:
        assert ours.compute_output_shape(input_shape) == tuple(theirs.compute_output_shape(input_shape))


DOT = [
    ((2, 3), (2, 3), 1),
    ((2, 3), (2, 3), -1),
    ((2, 3, 5), (2, 10, 3), (1, 2)),
    ((2, 3, 5), (2, 10, 3), (-2, -1)),
    ((2, 3, 4), (2, 4), (-1, 1)),
    ((2, 4), (2, 4, 3), (1, 1)),
    ((2, 4), (2, 3, 4), -1),
    ((2, 5, 4), (2, 6, 4), 2),
    ((2, 4, 3, 5), (2, 5, 6), (3, 1)),
    ((2, 4, 3, 5), (2, 7, 3, 2), (2, 2)),
    ((2, 4, 3), (2, 4, 3), [1, 1]),
]


@pytest.mark.parametrize("normalize", [False, True])
@pytest.mark.parametrize("shape1,shape2,axes", DOT)
def test_dot_equals_keras(keras, shape1, shape2, axes, normalize):
    xs = _arrays([shape1, shape2], seed=3)
    theirs = keras.layers.Dot(axes=axes, normalize=normalize)
    expected = _np(keras, theirs(xs))
    ours = layers.Dot(axes=axes, normalize=normalize)
    got = ours([torch.from_numpy(x) for x in xs])
    assert tuple(got.shape) == expected.shape
    np.testing.assert_allclose(got.numpy(), expected, rtol=1e-6, atol=1e-6)
    for input_shape in _symbolic([shape1, shape2]):
        assert ours.compute_output_shape(input_shape) == tuple(theirs.compute_output_shape(input_shape))


# ---------------------------------------------------------------------------- masks
MASK_LAYERS = [(cls, {}) for cls in ELEMENTWISE] + [("Concatenate", {"axis": -1}),
                                                   ("Concatenate", {"axis": 1}), ("Dot", {"axes": -1})]
MASKS = {
    "both": ([[True, False, True], [False, False, True]], [[False, False, True], [True, False, False]]),
    "first": ([[True, False, True], [False, False, True]], None),
    "second": (None, [[False, True, True], [True, True, False]]),
    "none": (None, None),
}


def _masked_inputs(masks, shapes=((2, 3, 2), (2, 3, 2))):
    xs = [torch.from_numpy(x) for x in _arrays(shapes, seed=4)]
    ms = [None if m is None else torch.tensor(m) for m in masks]
    for x, m in zip(xs, ms):
        if m is not None:
            x._keras_mask = m
    return xs, ms


@pytest.mark.parametrize("which", list(MASKS))
@pytest.mark.parametrize("cls,kwargs", MASK_LAYERS, ids=[f"{c}{k}" for c, k in MASK_LAYERS])
def test_masked_merge_equals_keras(keras, cls, kwargs, which):
    xs, ms = _masked_inputs(MASKS[which])
    out = getattr(keras.layers, cls)(**kwargs)(xs)
    expected, expected_mask = _np(keras, out), getattr(out, "_keras_mask", None)
    ours = getattr(layers, cls)(**kwargs)
    attached = ours(xs)                                       # masks read from `_keras_mask`
    np.testing.assert_allclose(attached.detach().numpy(), expected, rtol=1e-6, atol=1e-6)
    got_mask = ours.compute_mask(xs, ms)
    if expected_mask is None:
        assert got_mask is None and getattr(attached, "_keras_mask", None) is None
    else:
        np.testing.assert_array_equal(got_mask.numpy(), _np(keras, expected_mask))
        assert torch.equal(attached._keras_mask, got_mask)
    if cls != "Dot":                                          # Dot's call takes no mask (it drops them)
        plain = [x.detach().clone() for x in xs]               # the same masks passed as mask=
        passed = ours(plain, mask=ms)
        np.testing.assert_allclose(passed.detach().numpy(), expected, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("cls", ["Maximum", "Multiply", "Add"])
def test_masks_of_inputs_of_different_ranks_equal_keras(keras, cls):
    # Keras expands the lower-rank input, which drops the masks from the values (not the output mask).
    xs = [torch.from_numpy(x) for x in _arrays([(2, 3, 2), (2, 2)], seed=5)]
    xs[0]._keras_mask = torch.tensor([[True, False, True], [False, True, True]])
    out = getattr(keras.layers, cls)()(xs)
    got = getattr(layers, cls)()(xs)
    np.testing.assert_allclose(got.numpy(), _np(keras, out), rtol=1e-6, atol=1e-6)
    assert getattr(out, "_keras_mask", None) is None and getattr(got, "_keras_mask", None) is None


def test_compute_mask_when_no_masks():
    x = [torch.ones(2, 3, 2)] * 2
    for layer in [layers.Add(), layers.Concatenate(), layers.Dot(axes=1)]:
        assert layer.compute_mask(x, None) is None
        assert layer.compute_mask(x, [None, None]) is None


# ---------------------------------------------------------------------------- configs
CONFIGS = [
    ("Add", {}), ("Subtract", {}), ("Multiply", {}), ("Average", {}), ("Maximum", {}), ("Minimum", {}),
    ("Add", {"trainable": False, "dtype": "float64"}),
    ("Concatenate", {}), ("Concatenate", {"axis": 1}),
    ("Dot", {"axes": 1}), ("Dot", {"axes": (1, -1), "normalize": True}), ("Dot", {"axes": [2, 1]}),
    ("Identity", {}), ("Identity", {"dtype": "bfloat16"}),
]


@pytest.mark.parametrize("cls,kwargs", CONFIGS, ids=[f"{c}{k}" for c, k in CONFIGS])
def test_config_equals_keras_both_ways(keras, cls, kwargs):
    theirs = getattr(keras.layers, cls)(name="merge_me", **kwargs).get_config()
    ours = getattr(layers, cls)(name="merge_me", **kwargs)
    assert ours.get_config() == theirs
    assert type(ours).from_config(ours.get_config()).get_config() == theirs
    assert type(ours).from_config(dict(theirs)).get_config() == theirs          # a config Keras wrote
    assert getattr(keras.layers, cls).from_config(ours.get_config()).get_config() == theirs


# ---------------------------------------------------------------------------- errors
def _a(*shape):
    return torch.ones(shape)


# (case id, make the layer, its input, Keras' exception, ours, our message)
ERRORS = [
    ("not-a-list", lambda L: L.Add(), _a(2, 3), ValueError, ValueError,
     r"Add layer 'add' should be called on a list of inputs, got a single tensor of shape \((2|None), 3\)"),
    ("batch-sizes", lambda L: L.Add(), [_a(1, 3), _a(2, 3)], ValueError, ValueError,
     r"cannot merge tensors with different batch sizes, got shapes \[\(1, 3\), \(2, 3\)\]"),
    ("incompatible", lambda L: L.Multiply(), [_a(2, 3), _a(2, 4)], ValueError, ValueError,
     r"Multiply layer 'multiply': inputs have incompatible shapes .*\(3,\) and \(4,\) differ"),
    ("incompatible-ranks", lambda L: L.Maximum(), [_a(2, 4), _a(2, 4, 3)], ValueError, ValueError,
     r"incompatible shapes \[\((2|None), 4\), \((2|None), 4, 3\)\].*\(4,\) and \(4, 3\) differ .*\(4 vs 3\)"),
    ("subtract-3", lambda L: L.Subtract(), [_a(2, 3)] * 3, ValueError, ValueError,
     r"Subtract layer 'subtract' should be called on exactly 2 inputs, got 3"),
    ("subtract-1", lambda L: L.Subtract(), [_a(2, 3)], ValueError, ValueError, r"exactly 2 inputs, got 1"),
    ("dot-3", lambda L: L.Dot(1), [_a(2, 3)] * 3, ValueError, ValueError, r"Dot layer 'dot'.*exactly 2 inputs"),
    ("dot-rank-1", lambda L: L.Dot(0), [_a(2), _a(2)], ValueError, ValueError, r"rank >= 2"),
    ("dot-batch-axis", lambda L: L.Dot(0), [_a(2, 3), _a(2, 3)], ValueError, ValueError,
     r"cannot take the dot product over the batch axis"),
    ("dot-batch-axis-tuple", lambda L: L.Dot((1, 0)), [_a(2, 3), _a(2, 3)], ValueError, ValueError,
     r"over the batch axis"),
    ("dot-sizes", lambda L: L.Dot(1), [_a(2, 3), _a(2, 4)], ValueError, ValueError,
     r"axis 1 of the first has size 3 but axis 1 of the second has size 4"),
    ("dot-sizes-negative", lambda L: L.Dot(-1), [_a(2, 5, 3), _a(2, 4)], ValueError, ValueError,
     r"axis 2 of the first has size 3 but axis 1 of the second has size 4"),
    ("concat-mismatch", lambda L: L.Concatenate(), [_a(2, 3, 4), _a(2, 2, 4)], ValueError, ValueError,
     r"Concatenate layer 'concatenate' requires inputs with matching shapes except for the "
     r"concatenation axis \(axis=-1\).*differ at axis 1 \(2 vs 3\)"),
    ("concat-ranks", lambda L: L.Concatenate(), [_a(2, 3, 4), _a(2, 4)], ValueError, ValueError,
     r"of different ranks"),
    ("concat-batch", lambda L: L.Concatenate(), [_a(1, 3), _a(2, 3)], ValueError, ValueError,
     r"differ at axis 0 \(1 vs 2\)"),
    ("concat-not-a-list", lambda L: L.Concatenate(), _a(2, 3), ValueError, ValueError,
     r"should be called on a list of inputs, got a single tensor of shape"),
    # Keras fails inside torch here (IndexError, TypeError); we say what is wrong.
    ("concat-axis-range", lambda L: L.Concatenate(axis=5), [_a(2, 3), _a(2, 3)], IndexError, ValueError,
     r"axis=5 is out of range for inputs of rank 2 .*\[-2, 1\]"),
    ("empty", lambda L: L.Add(), [], TypeError, ValueError, r"at least 1 input, got an empty list"),
]


@pytest.mark.parametrize("make,inputs,keras_error,our_error,message",
                         [e[1:] for e in ERRORS], ids=[e[0] for e in ERRORS])
def test_call_errors_where_keras_raises(keras, make, inputs, keras_error, our_error, message):
    with pytest.raises(keras_error):
        make(keras.layers)(inputs)
    ours = make(layers)
    with pytest.raises(our_error, match=message):
        ours(inputs)
    if isinstance(inputs, list) and inputs:            # the symbolic path refuses the same shapes
        with pytest.raises(our_error, match=message):
            ours.compute_output_shape([x.shape for x in inputs])


INIT_ERRORS = [
    (lambda L: L.Dot("a"), TypeError, TypeError, r"`axes` should be an int or a list/tuple of two ints, got axes='a'"),
    (lambda L: L.Dot((1, 2, 3)), ValueError, ValueError, r"should contain two elements .* got axes=\(1, 2, 3\)"),
    (lambda L: L.Dot((1.0, 2)), ValueError, ValueError, r"elements of `axes` should be integers"),
    (lambda L: L.Dot(None), TypeError, TypeError, r"got axes=None"),
]


@pytest.mark.parametrize("make,keras_error,our_error,message", INIT_ERRORS)
def test_argument_errors_where_keras_raises(keras, make, keras_error, our_error, message):
    with pytest.raises(keras_error):
        make(keras.layers)
    with pytest.raises(our_error, match=message):
        make(layers)


SHAPE_ERRORS = [
    (lambda L: L.Concatenate(), (None, 3), ValueError, r"should be called on a list of inputs"),
    (lambda L: L.Dot(1), [(None, 3)], ValueError, r"exactly 2 inputs, got 1"),
    (lambda L: L.Dot(1), [(None, 3)] * 3, ValueError, r"exactly 2 inputs, got 3"),
    (lambda L: L.Add(), [(None, 3), (None, 4)], ValueError, r"incompatible shapes"),
    (lambda L: L.Subtract(), [(None, 3)] * 3, ValueError, r"exactly 2 inputs"),
]


@pytest.mark.parametrize("make,shapes,error,message", SHAPE_ERRORS)
def test_compute_output_shape_errors_where_keras_raises(keras, make, shapes, error, message):
    theirs = make(keras.layers)
    with pytest.raises(error):
        theirs.compute_output_shape(shapes) if type(theirs).__name__ != "Subtract" else theirs.build(shapes)
    with pytest.raises(error, match=message):
        make(layers).compute_output_shape(shapes)
    with pytest.raises(error, match=message):
        make(layers).build(shapes)


MASK_ERRORS = [
    ("not-a-list", lambda x, m: (x, m[0]), r"`mask` should be a list with one mask \(or None\) per input"),
    ("inputs-not-a-list", lambda x, m: (x[0], m), r"`inputs` should be a list of tensors"),
    ("lengths", lambda x, m: (x, m[:1]), r"`inputs` and `mask` should have the same length, got 2 inputs and 1 masks"),
]


@pytest.mark.parametrize("cls", ["Add", "Maximum", "Concatenate"])
@pytest.mark.parametrize("case,args,message", MASK_ERRORS, ids=[e[0] for e in MASK_ERRORS])
def test_compute_mask_errors_where_keras_raises(keras, cls, case, args, message):
    xs, ms = _masked_inputs(MASKS["both"])
    with pytest.raises(ValueError):
        getattr(keras.layers, cls)().compute_mask(*args(xs, ms))
    with pytest.raises(ValueError, match=message):
        getattr(layers, cls)().compute_mask(*args(xs, ms))


def test_mask_argument_is_checked_against_the_inputs():
    xs, ms = _masked_inputs(MASKS["both"])
    with pytest.raises(ValueError, match="got 2 inputs and 1 masks"):
        layers.Add()(xs, mask=ms[:1])
    with pytest.raises(ValueError, match=r"Pass mask=\[mask_1, mask_2, ...\]"):
        layers.Add()(xs, mask=ms[0])
    with pytest.raises(ValueError, match=r"mask of shape \(2, 2\) does not fit its input of shape \(2, 3, 2\)"):
        layers.Maximum()(xs, mask=[torch.ones(2, 2, dtype=torch.bool)] * 2)


def test_a_built_layer_checks_every_call():
    # The first call builds; later calls with shapes that do not fit still get our error, not torch's.
    for layer, good, bad, message in [
        (layers.Add(), [torch.ones(2, 3)] * 2, [torch.ones(2, 3), torch.ones(3, 3)], "different batch sizes"),
        (layers.Add(), [torch.ones(2, 3)] * 2, [torch.ones(2, 3), torch.ones(2, 4)], "incompatible shapes"),
        (layers.Concatenate(), [torch.ones(2, 3)] * 2, [torch.ones(2, 3), torch.ones(2, 4, 1)], "different ranks"),
        (layers.Concatenate(axis=1), [torch.ones(2, 3, 1)] * 2, [torch.ones(2, 3, 1), torch.ones(2, 3, 2)],
         r"differ at axis 2 \(1 vs 2\)"),
        (layers.Dot(axes=1), [torch.ones(2, 3)] * 2, [torch.ones(2, 3), torch.ones(2, 4)], "has size 4"),
    ]:
        layer(good)
        assert layer.built
        with pytest.raises(ValueError, match=message):
            layer(bad)


def test_gradients_reach_every_input():
    # d/dx sum(x * y) = y, d/dy = x; d/dx sum(concat(x, y)) = 1; d/dx sum(dot(x, y)) = y.
    x = torch.randn(2, 3, requires_grad=True)
    y = torch.randn(2, 3, requires_grad=True)
    layers.multiply([x, y]).sum().backward()
    assert torch.allclose(x.grad, y.detach()) and torch.allclose(y.grad, x.detach())
    x.grad = y.grad = None
    layers.concatenate([x, y]).sum().backward()
    assert torch.equal(x.grad, torch.ones(2, 3)) and torch.equal(y.grad, torch.ones(2, 3))
    x.grad = None
    layers.dot([x, y], axes=1).sum().backward()
    assert torch.allclose(x.grad, y.detach())


def test_inputs_are_cast_as_keras_casts_them(keras):
    cases = [[torch.ones(2, 3, dtype=torch.float64)] * 2,                      # float64 -> float32
             [torch.ones(2, 3, dtype=torch.int32)] * 2,                        # integers stay integers
             [torch.ones(2, 3, dtype=torch.float64), torch.ones(2, 3, dtype=torch.int64)]]
    for xs in cases:
        for cls in ["Add", "Concatenate", "Maximum"]:
            expected = _np(keras, getattr(keras.layers, cls)()(xs))
            got = getattr(layers, cls)()(xs)
            assert str(got.dtype).replace("torch.", "") == str(expected.dtype), (cls, xs[0].dtype)
            np.testing.assert_array_equal(got.numpy(), expected)


def test_the_layer_base_builds_from_a_list_of_shapes():
    seen = []

    class Pair(layers.Layer):
        def build(self, input_shape):
            seen.append(input_shape)

        def call(self, inputs):
            return inputs[0] + inputs[1]

    out = Pair()([torch.ones(2, 3), torch.ones(2, 3)])
    assert out.shape == (2, 3) and [list(s) for s in seen] == [[(None, 3), (None, 3)]]


# ---------------------------------------------------------------------------- Identity
def test_identity_equals_keras(keras):
    x = _arrays([(2, 3)], seed=6)[0]
    theirs, ours = keras.layers.Identity(), layers.Identity()
    assert ours.built and theirs.built
    np.testing.assert_array_equal(ours(torch.from_numpy(x)).numpy(), _np(keras, theirs(x)))
    ints = torch.arange(6).reshape(2, 3)
    assert str(ours(ints).dtype).replace("torch.", "") == str(_np(keras, theirs(ints)).dtype)
    t = torch.from_numpy(x)
    assert ours(t) is t
    pair = ours([t, 2 * t])
    assert isinstance(pair, list) and pair[0] is t and torch.equal(pair[1], 2 * t)
    assert ours({"a": t})["a"] is t
    for shape in [(None, 3), [(None, 3), (None, 4, 5)]]:
        assert ours.compute_output_shape(shape) == theirs.compute_output_shape(shape)
    mask = torch.tensor([[True, False, True], [False, True, True]])
    assert torch.equal(ours.compute_mask(t, mask), theirs.compute_mask(t, mask))
    assert ours.supports_masking and ours.count_params() == 0 and ours.weights == []


def test_docstring_examples_run():
    attempted = 0
    for module in [merging, merging.base, merging.elementwise, merging.concatenation, merging.dot_product]:
        result = doctest.testmod(module, extraglobs={"torch": torch}, verbose=False)
        assert result.failed == 0, module.__name__
        attempted += result.attempted
    assert attempted >= 16 * 3          # every class and function form has an example
    runner = doctest.DocTestRunner(verbose=False)
    for test in doctest.DocTestFinder().find(layers.Identity, globs={"torch": torch}):
        runner.run(test)
    assert runner.failures == 0 and runner.tries > 0
    assert all(re.search(r"Example", getattr(layers, n).__doc__) for n in merging.__all__ + ["Identity"])


@pytest.mark.parametrize("cls,kwargs", [("Add", {}), ("Subtract", {}), ("Concatenate", {"axis": 1}),
                                        ("Dot", {"axes": 1})])
def test_a_tuple_of_inputs_works_as_a_list(keras, cls, kwargs):
    xs = tuple(torch.from_numpy(x) for x in _arrays([(2, 3), (2, 3)], seed=7))
    expected = _np(keras, getattr(keras.layers, cls)(**kwargs)(xs))
    np.testing.assert_allclose(getattr(layers, cls)(**kwargs)(xs).numpy(), expected, rtol=1e-6, atol=1e-6)


def test_an_input_that_is_not_a_tensor_is_named():
    with pytest.raises(TypeError, match=r"Add layer 'add': input 1 has no shape \(got None"):
        layers.Add()([torch.ones(2, 3), None])
