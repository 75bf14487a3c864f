import doctest
import importlib
import inspect

import numpy as np
import pytest
import torch

from kerastorch import activations

# One input per test: ordinary values, values near the kinks (0, ±0.5, ±1, ±3, ±6) and
# large magnitudes, where naive formulas overflow.
_X = np.concatenate([
    np.random.default_rng(1).normal(0, 3, size=65),
    [0.0, 0.5, -0.5, 1.0, -1.0, 3.0, -3.0, 6.0, -6.0, 30.0, -30.0, 100.0, -100.0, 1e4, -1e4],
]).astype("float32").reshape(-1, 8)

# (name, kwargs) pairs: every Keras activation, with its non-default arguments too.
_CASES = [
    ("relu", {}), ("relu", {"negative_slope": 0.1}), ("relu", {"max_value": 6.0}),
    ("relu", {"max_value": 2.5}), ("relu", {"threshold": 1.0}),
    ("relu", {"negative_slope": 0.5, "max_value": 5.0}),
    ("relu", {"negative_slope": 0.3, "max_value": 4.0, "threshold": 0.5}),
    ("relu", {"negative_slope": 0.3, "threshold": -1.0}),
    ("leaky_relu", {}), ("leaky_relu", {"negative_slope": 0.01}), ("relu6", {}),
    ("softmax", {}), ("softmax", {"axis": 0}), ("softmax", {"axis": (0, 1)}),
    ("log_softmax", {}), ("log_softmax", {"axis": 0}),
    ("elu", {}), ("elu", {"alpha": 0.5}), ("selu", {}), ("softplus", {}), ("softsign", {}),
    ("soft_shrink", {}), ("soft_shrink", {"threshold": 1.0}), ("sparse_plus", {}),
    ("silu", {}), ("swish", {}), ("squareplus", {}), ("squareplus", {"b": 1}),
    ("gelu", {}), ("gelu", {"approximate": True}), ("celu", {}), ("celu", {"alpha": 2.0}),
    ("glu", {}), ("glu", {"axis": 0}), ("tanh", {}), ("tanh_shrink", {}), ("hard_tanh", {}),
    ("hard_shrink", {}), ("hard_shrink", {"threshold": 1.0}),
    ("threshold", {"threshold": 0.5, "default_value": -2.0}), ("sigmoid", {}),
    ("exponential", {}), ("hard_sigmoid", {}), ("log_sigmoid", {}), ("sparse_sigmoid", {}),
    ("hard_silu", {}), ("hard_swish", {}), ("linear", {}), ("mish", {}),
]


def _keras_names(keras):
    return set(importlib.import_module("keras.src.activations").ALL_OBJECTS_DICT)


@pytest.mark.parametrize("name,kwargs", _CASES, ids=[f"{n}{k or ''}" for n, k in _CASES])
def test_activation_matches_keras(keras, name, kwargs):
    x = _X if name != "exponential" else np.clip(_X, -80, 80)  # exp(1e4) is inf in both
    expected = keras.ops.convert_to_numpy(keras.activations.get(name)(x.copy(), **kwargs))
    got = activations.get(name)(torch.from_numpy(x.copy()), **kwargs).numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-6)


def test_sparsemax_matches_keras_when_the_support_is_one_element(keras):
    x = np.array([[3.0, 0.5, -1.0], [-2.0, 5.0, 1.0], [1e4, 0.0, -1e4]], dtype="float32")
    expected = keras.ops.convert_to_numpy(keras.activations.sparsemax(x))
    np.testing.assert_allclose(activations.sparsemax(torch.from_numpy(x)).numpy(), expected)


def test_sparsemax_is_the_simplex_projection():
    # Hand computation: z = [0.5, 0.45, 0.4, -1]; support k = 3 since
    # 1 + 3 * 0.4 = 2.2 > 1.35 and 1 + 4 * -1 < 0.35; tau = (1.35 - 1) / 3.
    x = torch.tensor([[0.5, 0.4, -1.0, 0.45]])
    tau = 0.35 / 3
    np.testing.assert_allclose(
        activations.sparsemax(x).numpy(), [[0.5 - tau, 0.4 - tau, 0.0, 0.45 - tau]], atol=1e-7
    )
    y = activations.sparsemax(torch.randn(5, 7) * 3, axis=0)
    np.testing.assert_allclose(y.sum(0).numpy(), np.ones(7), atol=1e-6)
    assert (y >= 0).all()


def test_get_resolves_every_keras_name(keras):
    keras_names = _keras_names(keras)
    ours = set(activations._BY_NAME)
    assert ours == keras_names
    for name in keras_names:
        fn = activations.get(name)
        assert callable(fn) and fn.__name__ == keras.activations.get(name).__name__


def test_every_activation_has_keras_signature(keras):
    for name in _keras_names(keras):
        ours = inspect.signature(activations.get(name))
        theirs = inspect.signature(keras.activations.get(name))
        assert list(ours.parameters) == list(theirs.parameters), name
        for p in theirs.parameters.values():
            assert ours.parameters[p.name].default == p.default, (name, p.name)


def test_get_none_is_identity_and_callables_pass_through():
    assert activations.get(None) is activations.linear
    module = torch.nn.ReLU()
    assert activations.get(module) is module
    assert activations.get(torch.tanh) is torch.tanh
    fn = lambda x: x * 2  # noqa: E731
    assert activations.get(fn) is fn


def test_get_unknown_name_suggests_the_closest():
    with pytest.raises(ValueError, match=r"Unknown activation 'rleu'\. Did you mean 'relu'.*Known: celu, elu, exponential"):
        activations.get("rleu")
    with pytest.raises(ValueError, match=r"Unknown activation 'ReLU'\. Did you mean 'relu'"):
        activations.get("ReLU")  # Keras' names are case-sensitive too


def test_get_wrong_type_says_what_is_accepted():
    with pytest.raises(TypeError, match="expected None, an activation name.*got 3 of type int"):
        activations.get(3)


def test_serialize_gives_keras_names(keras):
    assert activations.serialize(None) == "linear"
    for name in _keras_names(keras):
        fn = activations.get(name)
        assert activations.serialize(fn) == keras.activations.serialize(keras.activations.get(name))
        assert activations.deserialize(activations.serialize(fn)) is fn


def test_serialize_custom_callable_like_keras_and_back(keras):
    def myact(x):
        return x * 3

    assert activations.serialize(myact) == keras.activations.serialize(myact)
    assert activations.deserialize(activations.serialize(myact), custom_objects={"myact": myact}) is myact
    with pytest.raises(ValueError, match="Unknown activation 'myact'"):
        activations.deserialize(activations.serialize(myact))
    assert activations.serialize(torch.nn.ReLU())["config"] == "ReLU"  # Keras raises here


def test_deserialize_reads_keras_function_config(keras):
    config = keras.saving.serialize_keras_object(keras.activations.relu)
    assert activations.deserialize(config) is activations.relu
    assert activations.get(config) is activations.relu


def test_default_relu_and_softmax_keep_gradients():
    x = torch.randn(4, 3, requires_grad=True)
    (activations.relu(x).sum() + activations.softmax(x)[:, 0].sum()).backward()
    assert x.grad is not None and x.grad.shape == (4, 3)


def test_softmax_over_size_one_axis_warns():
    with pytest.warns(UserWarning, match="Did you mean to use a sigmoid"):
        activations.softmax(torch.zeros(4, 1))


def test_docstring_examples_run():
    result = doctest.testmod(activations, extraglobs={"torch": torch}, verbose=False)
    assert result.attempted > 30 and result.failed == 0
