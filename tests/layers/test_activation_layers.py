"""Activation layers against real Keras 3 (same weights), Keras defaults, configs and errors."""

import numpy as np
import pytest
import torch

from kerastorch import layers


def _x(*shape):
    return (np.random.default_rng(0).standard_normal(shape) * 3).astype("float32")


CASES = [
    ("ReLU", dict()),
    ("ReLU", dict(max_value=2.0)),
    ("ReLU", dict(negative_slope=0.1)),
    ("ReLU", dict(threshold=0.5, negative_slope=0.2, max_value=3.0)),
    ("ReLU", dict(max_value=6.0)),
    ("LeakyReLU", dict()),
    ("LeakyReLU", dict(negative_slope=0.05)),
    ("ELU", dict()),
    ("ELU", dict(alpha=0.5)),
    ("Softmax", dict()),
    ("Softmax", dict(axis=1)),
    ("Softmax", dict(axis=[1, 2])),
    ("PReLU", dict()),
    ("PReLU", dict(shared_axes=[1])),
    ("PReLU", dict(shared_axes=2)),
]


@pytest.mark.parametrize("cls,kwargs", CASES, ids=[f"{c}-{i}" for i, (c, _) in enumerate(CASES)])
def test_matches_keras(keras, cls, kwargs):
    x = _x(2, 3, 4)
    ours, theirs = getattr(layers, cls)(**kwargs), getattr(keras.layers, cls)(**kwargs)
    theirs.build(x.shape)
    ours.build((None, *x.shape[1:]))
    weights = [np.random.default_rng(1).uniform(0.1, 0.9, w.shape).astype("float32") for w in theirs.get_weights()]
    assert [w.shape for w in ours.get_weights()] == [w.shape for w in weights]
    theirs.set_weights(weights)
    ours.set_weights(weights)
    expected = keras.ops.convert_to_numpy(theirs(x))
    got = ours(torch.from_numpy(x)).detach().numpy()
    np.testing.assert_allclose(got, expected, atol=1e-5, rtol=1e-5)
    assert tuple(ours.compute_output_shape((None, 3, 4))) == tuple(theirs.compute_output_shape((None, 3, 4)))
    ours_cfg, theirs_cfg = ours.get_config(), theirs.get_config()
    for key, value in theirs_cfg.items():
        if key not in ("name", "dtype", "trainable"):
            assert ours_cfg[key] == value, key
    assert type(ours).from_config(ours_cfg).get_config() == ours_cfg


def test_softmax_mask_matches_keras(keras):
    x = _x(2, 3, 4)
    mask = np.array([[True, False, True, True], [False, False, True, False]])[:, None, :]
    expected = keras.ops.convert_to_numpy(keras.layers.Softmax()(x, mask=keras.ops.convert_to_tensor(mask)))
    got = layers.Softmax()(torch.from_numpy(x), mask=torch.from_numpy(mask)).numpy()
    np.testing.assert_allclose(got, expected, atol=1e-6)
    assert (got[0, :, 1] == 0).all()


def test_keras_defaults_leaky_slope_and_prelu_alpha():
    assert layers.LeakyReLU().negative_slope == 0.3
    prelu = layers.PReLU()
    prelu.build((None, 3))
    assert not prelu.get_weights()[0].any()                       # zeros, not torch's 0.25
    np.testing.assert_allclose(layers.LeakyReLU()(torch.tensor([-1.0])).numpy(), [-0.3])


def test_prelu_shared_axes_weight_shape_and_values_by_hand():
    layer = layers.PReLU(shared_axes=[1, 2])
    layer.build((None, 2, 2, 2))
    layer.set_weights([np.array([[[0.1, 0.5]]], "float32")])
    out = layer(torch.full((1, 2, 2, 2), -2.0))
    np.testing.assert_allclose(out[0, 1, 1].detach().numpy(), [-0.2, -1.0])


def test_prelu_trains_alpha():
    layer = layers.PReLU()
    out = layer(torch.tensor([[-1.0, 2.0]]))
    out.sum().backward()
    np.testing.assert_allclose(layer.alpha.grad.numpy(), [-1.0, 0.0])


@pytest.mark.parametrize("cls,kwargs,match", [
    ("ReLU", dict(max_value=-1.0), "max_value"),
    ("ReLU", dict(negative_slope=-0.1), "negative_slope"),
    ("LeakyReLU", dict(negative_slope=-1), "negative_slope"),
    ("PReLU", dict(shared_axes=[0]), "shared_axes"),
])
def test_bad_arguments_raise_naming_the_argument(cls, kwargs, match):
    with pytest.raises(ValueError, match=match):
        getattr(layers, cls)(**kwargs)
