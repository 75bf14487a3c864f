"""Normalization layers against real Keras 3 with the same weights: outputs, moving statistics, configs."""

import warnings

import numpy as np
import pytest
import torch

import kerastorch
from kerastorch import layers


def _x(*shape, scale=1.0, shift=0.0):
    return (np.random.default_rng(0).standard_normal(shape) * scale + shift).astype("float32")


def _pair(keras, cls, kwargs, x):
    ours, theirs = getattr(layers, cls)(**kwargs), getattr(keras.layers, cls)(**kwargs)
    theirs.build(x.shape)
    ours.build((None, *x.shape[1:]))
    rng = np.random.default_rng(3)
    weights = [rng.uniform(0.5, 1.5, w.shape).astype("float32") for w in theirs.get_weights()]
    assert [w.shape for w in ours.get_weights()] == [w.shape for w in weights]
    theirs.set_weights(weights)
    ours.set_weights(weights)
    return ours, theirs


def _run(keras, ours, theirs, x, training):
    expected = keras.ops.convert_to_numpy(theirs(x, training=training))
    got = ours(torch.from_numpy(x), training=training).detach().numpy()
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, atol=1e-5, rtol=1e-5)


BN_CASES = [
    (dict(), (6, 4)),
    (dict(), (3, 5, 6, 4)),
    (dict(axis=1), (3, 4, 5, 6)),                     # channels-first images
    (dict(axis=2, momentum=0.9, epsilon=1e-5), (3, 5, 4)),
    (dict(center=False), (6, 3)),
    (dict(scale=False), (6, 3)),
]


@pytest.mark.parametrize("kwargs,shape", BN_CASES)
def test_batch_norm_training_and_inference_match_keras(keras, kwargs, shape):
    x = _x(*shape, scale=2.0, shift=1.5)
    ours, theirs = _pair(keras, "BatchNormalization", kwargs, x)
    _run(keras, ours, theirs, x, training=True)
    # Moving statistics after one training call (momentum 0.99, biased variance).
    for a, b in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(a, b, atol=1e-6, rtol=1e-6)
    x2 = _x(*shape, scale=0.5)
    _run(keras, ours, theirs, x2, training=True)
    for a, b in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(a, b, atol=1e-6, rtol=1e-6)
    _run(keras, ours, theirs, x, training=False)


def test_batch_norm_moving_variance_is_biased_by_hand():
    bn = layers.BatchNormalization(momentum=0.0)
    bn(torch.tensor([[0.0], [2.0]]), training=True)
    _, _, mean, var = bn.get_weights()
    np.testing.assert_allclose([mean[0], var[0]], [1.0, 1.0])   # unbiased would be 2.0


def test_frozen_batch_norm_keeps_moving_stats_and_runs_in_inference_mode():
    bn = layers.BatchNormalization()
    bn.build((None, 2))
    bn.trainable = False
    before = bn.get_weights()
    out = bn(torch.tensor([[10.0, 20.0], [30.0, 40.0]]), training=True)
    for a, b in zip(before, bn.get_weights()):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_allclose(out.numpy(), np.array([[10, 20], [30, 40]]) / np.sqrt(1 + 1e-3), rtol=1e-6)


LN_CASES = [
    (dict(), (3, 6)),
    (dict(), (2, 3, 5)),
    (dict(axis=[1, 2]), (2, 3, 4)),
    (dict(axis=[-3, -1]), (2, 3, 2, 4)),               # non-contiguous axes
    (dict(center=False, epsilon=1e-5), (3, 6)),
    (dict(scale=False), (3, 6)),
    (dict(rms_scaling=True), (3, 6)),
]


@pytest.mark.parametrize("kwargs,shape", LN_CASES)
def test_layer_norm_matches_keras(keras, kwargs, shape):
    x = _x(*shape, scale=3.0, shift=2.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")              # Keras warns that rms_scaling is deprecated
        ours, theirs = _pair(keras, "LayerNormalization", kwargs, x)
        _run(keras, ours, theirs, x, training=False)


def test_layer_norm_on_a_middle_axis_by_hand():
    # Keras 3.15.1 on torch raises here (it sends any contiguous axis set to F.layer_norm, which
    # only normalizes trailing axes), so the expected values come from numpy.
    x = _x(2, 3, 4, scale=2.0)
    layer = layers.LayerNormalization(axis=1)
    layer.build((None, 3, 4))
    gamma, beta = np.array([1.0, 2.0, 3.0], "float32"), np.array([0.0, 0.5, -1.0], "float32")
    layer.set_weights([gamma, beta])
    mean, var = x.mean(axis=1, keepdims=True), x.var(axis=1, keepdims=True)
    expected = (x - mean) / np.sqrt(var + 1e-3) * gamma[:, None] + beta[:, None]
    np.testing.assert_allclose(layer(torch.from_numpy(x)).detach().numpy(), expected, atol=1e-5)


def test_layer_norm_default_epsilon_is_keras_1e_3():
    out = layers.LayerNormalization()(torch.tensor([[0.0, 0.02]]))
    # mean 0.01, var 1e-4: (x - mean) / sqrt(1e-4 + 1e-3) = -/+ 0.01 / 0.0331662
    np.testing.assert_allclose(out.detach().numpy(), [[-0.301511, 0.301511]], rtol=1e-4)


GN_CASES = [
    (dict(groups=2), (2, 5, 4)),
    (dict(groups=3), (2, 3, 4, 6)),
    (dict(groups=-1), (2, 3, 4, 6)),
    (dict(groups=1, epsilon=1e-5), (2, 7, 4)),
    (dict(groups=2, axis=1), (2, 4, 3, 3)),            # channels-first
    (dict(groups=4, center=False), (2, 5, 8)),
]


@pytest.mark.parametrize("kwargs,shape", GN_CASES)
def test_group_norm_matches_keras(keras, kwargs, shape):
    x = _x(*shape, scale=2.0, shift=1.0)
    ours, theirs = _pair(keras, "GroupNormalization", kwargs, x)
    _run(keras, ours, theirs, x, training=False)
    assert ours.get_config()["groups"] == theirs.get_config()["groups"]


def test_group_norm_groups_must_divide_channels():
    with pytest.raises(ValueError, match=r"groups=32 must divide the 6 channels.*e\.g\. 6"):
        layers.GroupNormalization()(torch.zeros(2, 6))


@pytest.mark.parametrize("kwargs,shape", [(dict(), (3, 4)), (dict(axis=[1, 2]), (2, 3, 4)), (dict(axis=1), (2, 3, 4))])
def test_unit_norm_matches_keras(keras, kwargs, shape):
    x = _x(*shape)
    ours, theirs = _pair(keras, "UnitNormalization", kwargs, x)
    _run(keras, ours, theirs, x, training=False)


def test_unit_norm_of_zeros_stays_zero():
    assert not layers.UnitNormalization()(torch.zeros(1, 3)).any()


@pytest.mark.parametrize("cls,kwargs", [
    ("BatchNormalization", dict(axis=1, momentum=0.9)),
    ("LayerNormalization", dict(axis=[1, 2], epsilon=1e-4)),
    ("GroupNormalization", dict(groups=4)),
    ("UnitNormalization", dict(axis=[1, 2])),
])
def test_configs_match_keras(keras, cls, kwargs):
    ours, theirs = getattr(layers, cls)(**kwargs).get_config(), getattr(keras.layers, cls)(**kwargs).get_config()
    for key, value in theirs.items():
        if key in ("name", "dtype", "trainable"):
            continue
        assert key in ours, key
        if not isinstance(value, dict):
            assert ours[key] == (list(value) if isinstance(value, tuple) else value), key
    assert getattr(layers, cls).from_config(ours).get_config() == ours


def test_frozen_layer_norm_counts_as_non_trainable_in_summary():
    model = kerastorch.Sequential([layers.Input(shape=(4,)), layers.Dense(3), layers.LayerNormalization()])
    model.layers[1].trainable = False
    text = []
    model.summary(print_fn=text.append)
    text = "\n".join(text)
    assert "Trainable params: 15" in text and "Non-trainable params: 6" in text
    assert model.layers[1].trainable_weights == [] and len(model.layers[1].non_trainable_weights) == 2
