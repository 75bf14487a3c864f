import doctest
import importlib

import numpy as np
import pytest
import torch

from kerastorch import constraints

# A Dense kernel (in=6, out=4) in Keras' layout, with columns of very different norms,
# and a Conv2D kernel (kh, kw, in, out).
_DENSE = (np.random.default_rng(5).normal(0, 1, size=(6, 4)) * [0.1, 0.5, 1.0, 3.0]).astype("float32")
_CONV = np.random.default_rng(6).normal(0, 1, size=(3, 3, 2, 4)).astype("float32")


def _cases(keras):
    k, o = keras.constraints, constraints
    return [
        (k.MaxNorm(), o.MaxNorm()), (k.MaxNorm(1.0, axis=1), o.MaxNorm(1.0, axis=1)),
        (k.NonNeg(), o.NonNeg()), (k.UnitNorm(), o.UnitNorm()), (k.UnitNorm(axis=1), o.UnitNorm(axis=1)),
        (k.MinMaxNorm(), o.MinMaxNorm()), (k.MinMaxNorm(0.5, 2.0, 0.3, 1), o.MinMaxNorm(0.5, 2.0, 0.3, 1)),
        (k.max_norm(3), o.max_norm(3)), (k.Constraint(), o.Constraint()),
    ]


def test_outputs_equal_keras_on_dense_kernel(keras):
    for theirs, ours in _cases(keras):
        expected = keras.ops.convert_to_numpy(theirs(keras.ops.convert_to_tensor(_DENSE)))
        got = ours(torch.from_numpy(_DENSE.copy())).numpy()
        np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-7, err_msg=repr(ours))


def test_outputs_equal_keras_on_conv_kernel_with_axis_list(keras):
    for axis in ([0, 1, 2], 3, [0, 1]):
        for theirs, ours in [(keras.constraints.MaxNorm(1.5, axis=axis), constraints.MaxNorm(1.5, axis=axis)),
                             (keras.constraints.UnitNorm(axis=axis), constraints.UnitNorm(axis=axis)),
                             (keras.constraints.MinMaxNorm(1.0, 2.0, axis=axis), constraints.MinMaxNorm(1.0, 2.0, axis=axis))]:
            expected = keras.ops.convert_to_numpy(theirs(keras.ops.convert_to_tensor(_CONV)))
            got = ours(torch.from_numpy(_CONV.copy())).numpy()
            np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-7)


def test_max_norm_limits_each_output_unit_of_a_dense_kernel():
    out = constraints.MaxNorm(max_value=1.0)(torch.from_numpy(_DENSE.copy()))
    norms = out.norm(dim=0)  # axis 0 of (in, out): one norm per output unit
    assert (norms <= 1.0 + 1e-6).all()
    # Columns already inside the ball are unchanged (up to epsilon).
    np.testing.assert_allclose(out[:, 0].numpy(), _DENSE[:, 0], rtol=1e-5)


def test_constraint_applies_in_place_under_no_grad():
    p = torch.nn.Parameter(torch.tensor([[-1.0, 2.0], [3.0, -4.0]]))
    with torch.no_grad():
        p.copy_(constraints.NonNeg()(p))
    assert torch.equal(p.data, torch.tensor([[0.0, 2.0], [3.0, 0.0]]))


def test_get_resolves_keras_names(keras):
    keras_dict = importlib.import_module("keras.src.constraints").ALL_OBJECTS_DICT
    assert set(keras_dict) == set(constraints._BY_NAME)
    for name in keras_dict:
        ours, theirs = constraints.get(name), keras.constraints.get(name)
        assert type(ours).__name__ == type(theirs).__name__
        assert constraints.serialize(ours) == keras.constraints.serialize(theirs)


def test_get_passes_through_and_reports_unknown_names():
    c = constraints.UnitNorm(axis=1)
    assert constraints.get(c) is c and constraints.get(None) is None
    assert isinstance(constraints.get(constraints.NonNeg), constraints.NonNeg)
    built = constraints.get({"class_name": "MaxNorm", "config": {"max_value": 3, "axis": 0}})
    assert (built.max_value, built.axis) == (3, 0)
    with pytest.raises(ValueError, match=r"Unknown constraint 'maxnorm'\. Did you mean 'max_norm'.*Known: constraint, max_norm"):
        constraints.get("maxnorm")
    with pytest.raises(TypeError, match="expected None, a constraint name.*got 2 of type int"):
        constraints.get(2)


def test_serialize_equals_keras_and_round_trips(keras):
    for theirs, ours in _cases(keras):
        assert constraints.serialize(ours) == keras.constraints.serialize(theirs)
        rebuilt = constraints.deserialize(keras.constraints.serialize(theirs))
        assert type(rebuilt) is type(ours) and rebuilt.get_config() == ours.get_config()
        assert keras.constraints.deserialize(constraints.serialize(ours)).get_config() == theirs.get_config()


def test_docstring_examples_run():
    result = doctest.testmod(constraints, extraglobs={"torch": torch}, verbose=False)
    assert result.attempted > 10 and result.failed == 0


def test_custom_function_round_trips_with_custom_objects():
    def clip(w):
        return w.clamp(-1, 1)

    config = constraints.serialize(clip)
    assert config["class_name"] == "function" and config["config"] == "clip"
    assert constraints.deserialize(config, custom_objects={"clip": clip}) is clip
    with pytest.raises(ValueError, match="pass it in custom_objects"):
        constraints.deserialize(config)
