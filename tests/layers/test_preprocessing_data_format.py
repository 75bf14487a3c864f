"""Image preprocessing layers honour data_format="channels_first", as in real Keras."""

import numpy as np
import pytest
import torch

import kerastorch

X_NCHW = np.random.default_rng(0).random((2, 3, 8, 6)).astype("float32")

CASES = {
    "CenterCrop": dict(height=4, width=4),
    "RandomCrop": dict(height=4, width=4, seed=1),
    "RandomFlip": dict(mode="horizontal", seed=1),
    "RandomRotation": dict(factor=0.2, seed=1),
    "RandomZoom": dict(height_factor=0.2, seed=1),
    "RandomTranslation": dict(height_factor=0.2, width_factor=0.2, seed=1),
    "Resizing": dict(height=4, width=5),
}
# Keras 3.15.1's RandomCrop returns its input unchanged outside training (its
# compute_output_shape still says (height, width)); kerastorch returns the central crop.
_INFERENCE_DIFFERS = {"RandomCrop"}


def _pair(keras, name):
    kwargs = dict(CASES[name], data_format="channels_first")
    return getattr(kerastorch.layers, name)(**kwargs), getattr(keras.layers, name)(**kwargs)


@pytest.mark.parametrize("name", sorted(CASES))
def test_channels_first_shapes_configs_and_inference_equal_keras(keras, name):
    ours, theirs = _pair(keras, name)
    assert ours.get_config()["data_format"] == theirs.get_config()["data_format"] == "channels_first"
    assert tuple(ours.compute_output_shape(X_NCHW.shape)) == tuple(theirs.compute_output_shape(X_NCHW.shape))
    trained = ours(torch.from_numpy(X_NCHW), training=True)
    assert tuple(trained.shape) == tuple(keras.ops.convert_to_numpy(theirs(X_NCHW, training=True)).shape)
    if name not in _INFERENCE_DIFFERS:
        np.testing.assert_allclose(ours(torch.from_numpy(X_NCHW), training=False).numpy(),
                                   keras.ops.convert_to_numpy(theirs(X_NCHW, training=False)), atol=1e-5)


@pytest.mark.parametrize("name", sorted(CASES))
def test_channels_first_equals_channels_last_transposed(name):
    # Same seed, same draws: the channels_first output is the channels_last one, transposed.
    first = getattr(kerastorch.layers, name)(**CASES[name], data_format="channels_first")
    last = getattr(kerastorch.layers, name)(**CASES[name], data_format="channels_last")
    nhwc = torch.from_numpy(X_NCHW).permute(0, 2, 3, 1).contiguous()
    for training in (True, False):
        np.testing.assert_allclose(first(torch.from_numpy(X_NCHW), training=training).numpy(),
                                   last(nhwc, training=training).permute(0, 3, 1, 2).numpy(), atol=1e-5)


def test_horizontal_flip_of_channels_first_images_flips_the_width_axis():
    layer = kerastorch.layers.RandomFlip("horizontal", seed=3, data_format="channels_first")
    out = layer(torch.from_numpy(X_NCHW), training=True).numpy()
    flipped = X_NCHW[:, :, :, ::-1]
    for i in range(len(X_NCHW)):
        assert np.array_equal(out[i], X_NCHW[i]) or np.array_equal(out[i], flipped[i])
    # with many images some must flip (a layer flipping the height axis fails both checks)
    many = np.repeat(X_NCHW[:1], 16, axis=0)
    out = layer(torch.from_numpy(many), training=True).numpy()
    assert any(np.array_equal(o, flipped[0]) for o in out)
