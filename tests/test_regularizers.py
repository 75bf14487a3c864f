import doctest
import importlib

import numpy as np
import pytest
import torch

from kerastorch import regularizers

_W = np.random.default_rng(3).normal(0, 2, size=(6, 4)).astype("float32")


def _cases(keras):
    k, o = keras.regularizers, regularizers
    return [
        (k.L1(), o.L1()), (k.L1(0.3), o.L1(0.3)), (k.L2(), o.L2()), (k.L2(0.25), o.L2(0.25)),
        (k.L1L2(), o.L1L2()), (k.L1L2(l1=0.1), o.L1L2(l1=0.1)), (k.L1L2(0.1, 0.2), o.L1L2(0.1, 0.2)),
        (k.l2(0.05), o.l2(0.05)), (k.l1_l2(l1=0.01, l2=0.02), o.l1_l2(l1=0.01, l2=0.02)),
        (k.OrthogonalRegularizer(), o.OrthogonalRegularizer()),
        (k.OrthogonalRegularizer(0.5, "columns"), o.OrthogonalRegularizer(0.5, "columns")),
    ]


def test_penalties_equal_keras(keras):
    for theirs, ours in _cases(keras):
        expected = keras.ops.convert_to_numpy(theirs(keras.ops.convert_to_tensor(_W)))
        got = ours(torch.from_numpy(_W.copy()))
        assert got.shape == () and got.dtype == torch.float32
        np.testing.assert_allclose(got.numpy(), expected, rtol=1e-6, err_msg=repr(ours))


def test_l2_has_no_half_factor():
    # KERAS-FACTS: "l2" = 0.01 * sum(w**2), measured 0.02 on ones(2).
    assert regularizers.get("l2")(torch.ones(2)).item() == pytest.approx(0.02)
    assert regularizers.L1(0.5)(torch.tensor([1.0, -3.0])).item() == pytest.approx(2.0)


def test_orthogonal_regularizer_by_hand_and_zero_rows():
    # Rows [1, 0] and [1, 1]/sqrt(2): Gram off-diagonal 1/sqrt(2) twice; one pair.
    w = torch.tensor([[2.0, 0.0], [3.0, 3.0]])
    expected = 1.0 * 0.5 * (2 / np.sqrt(2)) / 1
    assert regularizers.OrthogonalRegularizer(1.0)(w).item() == pytest.approx(expected, rel=1e-6)
    zero_row = regularizers.OrthogonalRegularizer(1.0)(torch.tensor([[0.0, 0.0], [1.0, 0.0]]))
    assert torch.isfinite(zero_row) and zero_row.item() == 0.0
    with pytest.raises(ValueError, match="must have rank 2"):
        regularizers.OrthogonalRegularizer()(torch.ones(3))
    with pytest.raises(ValueError, match="Expected one of"):
        regularizers.OrthogonalRegularizer(mode="diagonal")


def test_penalties_are_differentiable():
    w = torch.tensor([1.0, -2.0], requires_grad=True)
    regularizers.L1L2(l1=0.1, l2=0.01)(w).backward()
    np.testing.assert_allclose(w.grad.numpy(), [0.1 + 0.02, -0.1 - 0.04], rtol=1e-6)
    m = torch.randn(4, 3, requires_grad=True)
    regularizers.OrthogonalRegularizer()(m).backward()
    assert torch.isfinite(m.grad).all()


def test_invalid_factors_are_rejected():
    with pytest.raises(ValueError, match="expected a non-negative float.*l2=-1"):
        regularizers.L2(-1)
    with pytest.raises(ValueError, match="l1='x'"):
        regularizers.L1("x")


def test_get_resolves_keras_names(keras):
    keras_dict = importlib.import_module("keras.src.regularizers").ALL_OBJECTS_DICT
    assert set(keras_dict) == set(regularizers._BY_NAME)
    for name in keras_dict:
        ours, theirs = regularizers.get(name), keras.regularizers.get(name)
        assert type(ours).__name__ == type(theirs).__name__
        if name not in ("Regularizer", "regularizer"):
            assert regularizers.serialize(ours) == keras.regularizers.serialize(theirs)


def test_get_passes_through_and_builds():
    reg = regularizers.L2(0.1)
    assert regularizers.get(reg) is reg
    assert regularizers.get(None) is None
    fn = lambda w: w.sum()  # noqa: E731
    assert regularizers.get(fn) is fn
    assert isinstance(regularizers.get(regularizers.L1), regularizers.L1)
    built = regularizers.get({"class_name": "L1L2", "config": {"l1": 0.1, "l2": 0.2}})
    assert (built.l1, built.l2) == (0.1, 0.2)
    with pytest.raises(ValueError, match=r"Unknown regularizer 'l3'\. Did you mean 'l[12]' or 'l[12]'.*Known: l1, l1l2, l2"):
        regularizers.get("l3")
    with pytest.raises(TypeError, match="expected None, a regularizer name.*got 0.1 of type float"):
        regularizers.get(0.1)


def test_serialize_equals_keras_and_round_trips(keras):
    for theirs, ours in _cases(keras):
        assert regularizers.serialize(ours) == keras.regularizers.serialize(theirs)
        rebuilt = regularizers.deserialize(keras.regularizers.serialize(theirs))
        assert type(rebuilt) is type(ours) and rebuilt.get_config() == ours.get_config()
        assert keras.regularizers.deserialize(regularizers.serialize(ours)).get_config() == theirs.get_config()


def test_docstring_examples_run():
    result = doctest.testmod(regularizers, extraglobs={"torch": torch}, verbose=False)
    assert result.attempted > 10 and result.failed == 0


def test_custom_function_round_trips_with_custom_objects():
    def my_penalty(w):
        return w.abs().max()

    config = regularizers.serialize(my_penalty)
    assert config["class_name"] == "function" and config["config"] == "my_penalty"
    assert regularizers.deserialize(config, custom_objects={"my_penalty": my_penalty}) is my_penalty
