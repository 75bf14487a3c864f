"""Pooling layers against real Keras 3 (values and exact shapes), TF "same" semantics by hand."""

import numpy as np
import pytest
import torch

from kerastorch import layers


def _x(*shape):
    return np.random.default_rng(0).standard_normal(shape).astype("float32")


def _compare(keras, cls, kwargs, x):
    ours, theirs = getattr(layers, cls)(**kwargs), getattr(keras.layers, cls)(**kwargs)
    expected = keras.ops.convert_to_numpy(theirs(x))
    got = ours(torch.from_numpy(x)).detach().numpy()
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, atol=1e-5, rtol=1e-5)
    batch_shape = (None, *x.shape[1:])
    assert tuple(ours.compute_output_shape(batch_shape)) == tuple(theirs.compute_output_shape(batch_shape))
    ours_cfg, theirs_cfg = ours.get_config(), theirs.get_config()
    for key in theirs_cfg:
        if key not in ("name", "dtype", "trainable"):
            value = theirs_cfg[key]
            assert ours_cfg[key] == (list(value) if isinstance(value, tuple) else value), key


MAX_CASES = [
    ("MaxPooling1D", dict(pool_size=2), (2, 7, 3)),
    ("MaxPooling1D", dict(pool_size=3, strides=2, padding="same"), (2, 8, 3)),
    ("MaxPooling2D", dict(pool_size=2), (2, 7, 7, 3)),
    ("MaxPooling2D", dict(pool_size=3, strides=2, padding="same"), (2, 7, 8, 3)),
    ("MaxPooling2D", dict(pool_size=2, padding="same"), (2, 5, 7, 3)),
    ("MaxPooling2D", dict(pool_size=(2, 3), strides=(1, 2), data_format="channels_first"), (2, 3, 6, 7)),
    ("MaxPooling3D", dict(pool_size=2, padding="same"), (1, 3, 5, 4, 2)),
]

# Average pooling: only cases where Keras 3.15.1's torch backend and TF semantics agree
# (no padding, or symmetric "same" padding); see the pooling module docstring.
AVG_CASES = [
    ("AveragePooling1D", dict(pool_size=2), (2, 7, 3)),
    ("AveragePooling1D", dict(pool_size=3, strides=1, padding="same"), (2, 6, 3)),
    ("AveragePooling2D", dict(pool_size=2), (2, 6, 7, 3)),
    ("AveragePooling2D", dict(pool_size=3, strides=1, padding="same"), (2, 5, 6, 3)),
    ("AveragePooling2D", dict(pool_size=3, strides=2, padding="same"), (2, 7, 7, 3)),
    ("AveragePooling2D", dict(pool_size=2, strides=2, padding="same"), (2, 6, 4, 3)),
    ("AveragePooling2D", dict(pool_size=2, data_format="channels_first"), (2, 3, 6, 6)),
    ("AveragePooling3D", dict(pool_size=2), (1, 4, 4, 5, 2)),
    ("AveragePooling3D", dict(pool_size=3, strides=1, padding="same"), (1, 3, 4, 3, 2)),
]

GLOBAL_CASES = [
    (cls, dict(keepdims=keep, data_format=fmt), shape)
    for cls, shape in [("GlobalAveragePooling1D", (2, 5, 3)), ("GlobalMaxPooling1D", (2, 5, 3)),
                       ("GlobalAveragePooling2D", (2, 4, 5, 3)), ("GlobalMaxPooling2D", (2, 4, 5, 3)),
                       ("GlobalAveragePooling3D", (2, 3, 4, 2, 3)), ("GlobalMaxPooling3D", (2, 3, 4, 2, 3))]
    for keep in (False, True) for fmt in ("channels_last", "channels_first")
]

ALL = MAX_CASES + AVG_CASES + GLOBAL_CASES


@pytest.mark.parametrize("cls,kwargs,shape", ALL, ids=[f"{c}-{i}" for i, (c, _, _) in enumerate(ALL)])
def test_matches_keras(keras, cls, kwargs, shape):
    _compare(keras, cls, kwargs, _x(*shape))


def test_average_pooling_same_excludes_padding_tf_semantics():
    # Padding total 3 for pool 4 / stride 1: 1 before, 2 after. Windows [pad,0,1,2], [0,1,2,3],
    # [1,2,3,pad], [2,3,pad,pad]; TF averages the real values only. (Keras 3.15.1 on torch
    # replicate-pads and gives [0.75, 1.5, 2.25, 2.75]; fixed upstream in keras PR #23233.)
    out = layers.AveragePooling1D(4, strides=1, padding="same")(torch.tensor([[[0.0], [1.0], [2.0], [3.0]]]))
    np.testing.assert_allclose(out[0, :, 0].numpy(), [1.0, 1.5, 2.0, 2.5])


def test_max_pooling_same_pads_with_minus_infinity():
    out = layers.MaxPooling1D(2, padding="same")(torch.tensor([[[-5.0], [-3.0], [-4.0]]]))
    np.testing.assert_allclose(out[0, :, 0].numpy(), [-3.0, -4.0])   # not max(-4, 0)


def test_global_average_pooling1d_averages_unmasked_steps_only():
    x = torch.tensor([[[1.0], [3.0], [100.0]]])
    mask = torch.tensor([[True, True, False]])
    out = layers.GlobalAveragePooling1D()(x, mask=mask)
    np.testing.assert_allclose(out.numpy(), [[2.0]])


def test_global_average_pooling1d_mask_matches_keras(keras):
    x = _x(2, 4, 3)
    mask = np.array([[1, 1, 0, 0], [1, 1, 1, 0]], bool)
    expected = keras.ops.convert_to_numpy(keras.layers.GlobalAveragePooling1D()(x, mask=keras.ops.convert_to_tensor(mask)))
    got = layers.GlobalAveragePooling1D()(torch.from_numpy(x), mask=torch.from_numpy(mask)).numpy()
    np.testing.assert_allclose(got, expected, atol=1e-6)


def test_global_pooling_on_wrong_rank_is_a_clear_error():
    with pytest.raises(ValueError, match=r"GlobalMaxPooling2D layer 'g' expects 4-D input .*\(None, 10\)"):
        layers.GlobalMaxPooling2D(name="g").compute_output_shape((None, 10))
