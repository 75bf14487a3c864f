"""Reshaping layers against real Keras 3: output values, exact output shapes, configs and errors."""

import numpy as np
import pytest
import torch

import kerastorch
from kerastorch import layers


def _x(*shape):
    return np.random.default_rng(0).standard_normal(shape).astype("float32")


def _compare(keras, cls, kwargs, x):
    ours, theirs = getattr(layers, cls)(**kwargs), getattr(keras.layers, cls)(**kwargs)
    expected = keras.ops.convert_to_numpy(theirs(x))
    got = ours(torch.from_numpy(x)).detach().numpy()
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, atol=1e-5, rtol=1e-5)
    for batch_shape in [(None, *x.shape[1:]), (None, *(None,) * (x.ndim - 2), x.shape[-1])]:
        try:
            want = tuple(theirs.compute_output_shape(batch_shape))
        except Exception:          # Keras cannot always say with unknown axes; skip that case
            continue
        assert tuple(ours.compute_output_shape(batch_shape)) == want, batch_shape
    return ours, theirs


CASES = [
    ("Reshape", dict(target_shape=(4, 6)), (2, 24)),
    ("Reshape", dict(target_shape=(-1, 3)), (2, 4, 6)),
    ("Reshape", dict(target_shape=(2, -1, 2)), (2, 3, 8)),
    ("Permute", dict(dims=(2, 1)), (2, 3, 5)),
    ("Permute", dict(dims=(3, 1, 2)), (2, 3, 4, 5)),
    ("RepeatVector", dict(n=3), (2, 5)),
    ("ZeroPadding1D", dict(padding=2), (2, 4, 3)),
    ("ZeroPadding1D", dict(padding=(1, 3)), (2, 4, 3)),
    ("ZeroPadding2D", dict(padding=((1, 0), (2, 3))), (2, 3, 4, 2)),
    ("ZeroPadding2D", dict(padding=(1, 2), data_format="channels_first"), (2, 2, 3, 4)),
    ("ZeroPadding3D", dict(padding=((1, 0), (0, 2), (1, 1))), (1, 2, 3, 2, 2)),
    ("Cropping1D", dict(cropping=(1, 2)), (2, 6, 3)),
    ("Cropping2D", dict(cropping=((1, 0), (2, 1))), (2, 5, 6, 2)),
    ("Cropping2D", dict(cropping=1, data_format="channels_first"), (2, 2, 5, 6)),
    ("Cropping3D", dict(cropping=((1, 1), (0, 1), (2, 0))), (1, 4, 4, 4, 2)),
    ("UpSampling1D", dict(size=3), (2, 4, 3)),
    ("UpSampling2D", dict(size=(2, 3)), (2, 3, 4, 2)),
    ("UpSampling2D", dict(size=2, data_format="channels_first"), (2, 2, 3, 4)),
    ("UpSampling2D", dict(size=(2, 3), interpolation="bilinear"), (2, 3, 4, 2)),
    ("UpSampling2D", dict(size=2, interpolation="bilinear", data_format="channels_first"), (2, 2, 3, 3)),
    ("UpSampling3D", dict(size=(2, 1, 3)), (1, 2, 3, 2, 2)),
]


@pytest.mark.parametrize("cls,kwargs,shape", CASES, ids=[f"{c}-{i}" for i, (c, _, _) in enumerate(CASES)])
def test_matches_keras(keras, cls, kwargs, shape):
    _compare(keras, cls, kwargs, _x(*shape))


@pytest.mark.parametrize("cls,kwargs,shape", CASES, ids=[f"{c}-{i}" for i, (c, _, _) in enumerate(CASES)])
def test_config_matches_keras(keras, cls, kwargs, shape):
    ours = getattr(layers, cls)(**kwargs).get_config()
    theirs = getattr(keras.layers, cls)(**kwargs).get_config()

    def plain(v):
        return [plain(i) for i in v] if isinstance(v, (list, tuple)) else v

    for key, value in theirs.items():
        if key in ("name", "dtype", "trainable"):
            continue
        assert key in ours, key
        assert plain(ours[key]) == plain(value), key
    assert getattr(layers, cls).from_config(ours).get_config() == ours


def test_reshape_size_mismatch_names_layer_input_and_target():
    model = kerastorch.Sequential([layers.Input(shape=(10,)), layers.Dense(12)])
    with pytest.raises(ValueError) as info:
        model.add(layers.Reshape((5, 5), name="to_grid"))
    message = str(info.value)
    for part in ("'to_grid'", "(None, 12)", "target_shape=(5, 5)", "12 != 25", "-1"):
        assert part in message, part
    assert [l.name for l in model.layers] == ["dense"]       # nothing half-added


def test_reshape_size_mismatch_at_call_time_is_a_clear_error():
    layer = layers.Reshape((-1, 5), name="r")
    with pytest.raises(ValueError, match=r"Reshape layer 'r' cannot reshape samples of shape \(12,\)"):
        layer(torch.zeros(2, 12))


def test_reshape_rejects_two_inferred_axes():
    with pytest.raises(ValueError, match="at most one -1"):
        layers.Reshape((-1, -1))


def test_reshape_unknown_axis_gives_none_for_inferred_size():
    assert layers.Reshape((-1, 4)).compute_output_shape((None, None, 8)) == (None, None, 4)


def test_permute_rejects_non_permutation():
    with pytest.raises(ValueError, match=r"permutation of 1..2"):
        layers.Permute((0, 1))


def test_cropping_everything_is_a_clear_error():
    with pytest.raises(ValueError, match="leaving nothing"):
        layers.Cropping2D(((2, 2), (0, 0))).compute_output_shape((None, 4, 4, 1))


def test_upsampling2d_bilinear_by_hand():
    # Half-pixel centres: output x=0.25 and 0.75 of [0, 4] clamp / interpolate to 0, 1, 3, 4.
    out = layers.UpSampling2D((1, 2), interpolation="bilinear")(torch.tensor([[[[0.0], [4.0]]]]))
    np.testing.assert_allclose(out[0, 0, :, 0].numpy(), [0.0, 1.0, 3.0, 4.0])


def test_zero_padding2d_by_hand():
    out = layers.ZeroPadding2D(((1, 0), (0, 1)))(torch.ones(1, 1, 1, 1))
    np.testing.assert_array_equal(out[0, :, :, 0].numpy(), [[0.0, 0.0], [1.0, 0.0]])
