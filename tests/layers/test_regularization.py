"""Regularization layers: identity outside training, Keras' statistics in training, Keras' penalty."""

import numpy as np
import pytest
import torch

import kerastorch
from kerastorch import layers


NOISE = [
    ("SpatialDropout1D", dict(rate=0.5), (4, 6, 8)),
    ("SpatialDropout2D", dict(rate=0.5), (4, 3, 3, 8)),
    ("SpatialDropout3D", dict(rate=0.5), (4, 2, 2, 2, 8)),
    ("GaussianNoise", dict(stddev=0.5), (4, 8)),
    ("GaussianDropout", dict(rate=0.5), (4, 8)),
    ("AlphaDropout", dict(rate=0.5), (4, 8)),
]


@pytest.mark.parametrize("cls,kwargs,shape", NOISE)
def test_identity_outside_training_and_noisy_in_training(cls, kwargs, shape):
    layer = getattr(layers, cls)(**kwargs)
    x = torch.rand(shape) + 1.0
    torch.testing.assert_close(layer(x, training=False), x)
    torch.testing.assert_close(layer.eval()(x), x)               # eval() -> inference default
    assert not torch.equal(layer(x, training=True), x)
    assert layer.compute_output_shape((None, *shape[1:])) == (None, *shape[1:])


@pytest.mark.parametrize("cls,kwargs,shape", NOISE)
def test_configs_match_keras(keras, cls, kwargs, shape):
    ours, theirs = getattr(layers, cls)(**kwargs).get_config(), getattr(keras.layers, cls)(**kwargs).get_config()
    for key, value in theirs.items():
        if key not in ("name", "dtype", "trainable"):
            assert ours[key] == value, key
    assert getattr(layers, cls).from_config(ours).get_config() == ours


@pytest.mark.parametrize("cls,fmt,shape,kept_axes", [
    ("SpatialDropout1D", None, (8, 5, 16), (1,)),
    ("SpatialDropout2D", "channels_last", (8, 3, 4, 16), (1, 2)),
    ("SpatialDropout2D", "channels_first", (8, 16, 3, 4), (2, 3)),
    ("SpatialDropout3D", "channels_first", (8, 16, 2, 3, 2), (2, 3, 4)),
])
def test_spatial_dropout_drops_whole_feature_maps(cls, fmt, shape, kept_axes):
    kwargs = {} if fmt is None else {"data_format": fmt}
    out = getattr(layers, cls)(0.5, **kwargs)(torch.ones(shape), training=True)
    values = set(out.unique().tolist())
    assert values <= {0.0, 2.0} and values == {0.0, 2.0}           # inverted scaling 1 / (1 - 0.5)
    reduced = out.amax(dim=kept_axes) - out.amin(dim=kept_axes)
    assert not reduced.any()                                      # constant over each feature map


def test_gaussian_dropout_and_noise_statistics():
    torch.manual_seed(0)
    x = torch.ones(200, 500)
    gd = layers.GaussianDropout(0.2)(x, training=True)
    assert abs(gd.mean().item() - 1.0) < 0.01 and abs(gd.std().item() - 0.5) < 0.01   # sqrt(.2/.8)
    gn = layers.GaussianNoise(0.3)(x, training=True) - x
    assert abs(gn.mean().item()) < 0.01 and abs(gn.std().item() - 0.3) < 0.01


def test_alpha_dropout_keeps_zero_mean_unit_variance_and_uses_keras_affine_map():
    torch.manual_seed(0)
    x = torch.randn(400, 500)
    out = layers.AlphaDropout(0.3)(x, training=True)
    assert abs(out.mean().item()) < 0.02 and abs(out.std().item() - 1.0) < 0.02
    alpha_p = -1.6732632423543772 * 1.0507009873554805
    a = ((1 - 0.3) * (1 + 0.3 * alpha_p ** 2)) ** -0.5
    b = -a * alpha_p * 0.3
    dropped = torch.isclose(out, torch.tensor(a * alpha_p + b))
    assert abs(dropped.float().mean().item() - 0.3) < 0.01
    kept = ~dropped
    torch.testing.assert_close(out[kept], a * x[kept] + b)


def test_activity_regularization_penalty_matches_keras(keras):
    x = np.array([[1.0, -2.0, 0.5], [3.0, 0.0, -1.0]], "float32")
    theirs = keras.layers.ActivityRegularization(l1=0.1, l2=0.01)
    theirs(x)
    ours = layers.ActivityRegularization(l1=0.1, l2=0.01)
    torch.testing.assert_close(ours(torch.from_numpy(x)), torch.from_numpy(x))
    assert len(ours.losses) == 1
    np.testing.assert_allclose(float(ours.losses[0]), float(keras.ops.convert_to_numpy(theirs.losses[0])), rtol=1e-6)
    # by hand: (0.1 * 7.5 + 0.01 * 15.25) / batch 2
    np.testing.assert_allclose(float(ours.losses[0]), (0.75 + 0.1525) / 2, rtol=1e-6)
    assert ours.get_config()["l1"] == 0.1 and ours.get_config()["l2"] == 0.01


def test_activity_regularization_reaches_the_model_losses():
    model = kerastorch.Sequential([layers.Input(shape=(2,)), layers.ActivityRegularization(l2=1.0)])
    model(torch.tensor([[1.0, 2.0], [0.0, 1.0]]))
    np.testing.assert_allclose(float(sum(model.losses)), 6.0 / 2)


@pytest.mark.parametrize("cls,kwargs,match", [
    ("SpatialDropout2D", dict(rate=1.5), "rate"),
    ("GaussianDropout", dict(rate=-0.1), "rate"),
    ("GaussianNoise", dict(stddev=2.0), "stddev"),
    ("AlphaDropout", dict(rate="x"), "rate"),
])
def test_bad_rates_raise_naming_the_argument(cls, kwargs, match):
    with pytest.raises(ValueError, match=match):
        getattr(layers, cls)(**kwargs)


def test_spatial_dropout_wrong_rank_is_a_clear_error():
    with pytest.raises(ValueError, match=r"SpatialDropout2D layer 'sd' expects 4-D input"):
        layers.SpatialDropout2D(0.5, name="sd")(torch.ones(2, 3), training=True)
