"""Preprocessing and augmentation layers: effects checked by hand, numpy, torch ops or real Keras."""

import doctest

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import kerastorch
from kerastorch import layers
from kerastorch.layers import preprocessing


def _images(n=4, h=8, w=8, c=3, seed=0):
    return torch.from_numpy(np.random.default_rng(seed).uniform(0, 255, (n, h, w, c)).astype(np.float32))


def test_docstring_examples_run():
    attempted = 0
    for module in [preprocessing, preprocessing.base, preprocessing.image, preprocessing.normalization,
                   preprocessing.random_layers]:
        result = doctest.testmod(module, optionflags=doctest.ELLIPSIS, verbose=False)
        assert result.failed == 0, module.__name__
        attempted += result.attempted
    assert attempted > 10


# ------------------------------------------------------------------ parity with real Keras
@pytest.mark.parametrize("kwargs", [dict(scale=1 / 255), dict(scale=1 / 127.5, offset=-1.0),
                                    dict(scale=[0.5, 1.0, 2.0], offset=[1.0, 0.0, -1.0])])
def test_rescaling_matches_keras(keras, kwargs):
    x = _images()
    expected = keras.ops.convert_to_numpy(keras.layers.Rescaling(**kwargs)(x.numpy()))
    np.testing.assert_allclose(layers.Rescaling(**kwargs)(x).numpy(), expected, rtol=1e-6, atol=1e-5)


@pytest.mark.parametrize("kwargs", [dict(height=4, width=6), dict(height=11, width=5),
                                    dict(height=5, width=5, interpolation="nearest"),
                                    dict(height=6, width=4, interpolation="bicubic"),
                                    dict(height=4, width=8, crop_to_aspect_ratio=True),
                                    dict(height=4, width=8, pad_to_aspect_ratio=True, fill_value=7.0),
                                    dict(height=3, width=3, antialias=True)])
def test_resizing_matches_keras(keras, kwargs):
    x = _images(h=8, w=10)
    expected = keras.ops.convert_to_numpy(keras.layers.Resizing(**kwargs)(x.numpy()))
    out = layers.Resizing(**kwargs)(x)
    assert tuple(out.shape) == expected.shape
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-5, atol=1e-3)


@pytest.mark.parametrize("size", [(4, 6), (3, 3), (8, 12), (12, 5)])   # last two are larger: resize path
def test_center_crop_matches_keras(keras, size):
    x = _images(h=8, w=10)
    expected = keras.ops.convert_to_numpy(keras.layers.CenterCrop(*size)(x.numpy()))
    out = layers.CenterCrop(*size)(x)
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-5, atol=1e-3)


def test_center_crop_slices_the_middle_window_by_hand():
    x = torch.arange(5 * 6, dtype=torch.float32).reshape(1, 5, 6, 1)
    out = layers.CenterCrop(3, 2)(x)[0, :, :, 0]
    # rows start at (5-3)//2 = 1, columns at (6-2)//2 = 2
    np.testing.assert_array_equal(out.numpy(), x[0, 1:4, 2:4, 0].numpy())


# ------------------------------------------------------------------ random layers: effects
def test_random_flip_horizontal_really_flips_some_images_and_leaves_the_others():
    x = _images(n=32)
    out = layers.RandomFlip("horizontal", seed=3)(x, training=True)
    flipped = [torch.equal(out[i], x[i].flip(1)) for i in range(32)]
    same = [torch.equal(out[i], x[i]) for i in range(32)]
    assert all(f or s for f, s in zip(flipped, same))
    assert 4 < sum(flipped) < 28          # about half, for 32 Bernoulli(1/2) draws


def test_random_flip_vertical_flips_rows():
    x = _images(n=32)
    out = layers.RandomFlip("vertical", seed=5)(x, training=True)
    flipped = [torch.equal(out[i], x[i].flip(0)) for i in range(32)]
    assert all(f or torch.equal(out[i], x[i]) for i, f in enumerate(flipped)) and 4 < sum(flipped) < 28


def test_random_rotation_keeps_the_mass_of_a_centred_blob():
    img = torch.zeros(8, 33, 33, 1)
    yy, xx = torch.meshgrid(torch.arange(33.0), torch.arange(33.0), indexing="ij")
    img[..., 0] = torch.exp(-((yy - 16) ** 2 + (xx - 14) ** 2) / 18)     # well inside the frame
    out = layers.RandomRotation(0.5, fill_mode="constant", seed=1)(img, training=True)
    mass_in, mass_out = img.sum(dim=(1, 2, 3)), out.sum(dim=(1, 2, 3))
    np.testing.assert_allclose(mass_out.numpy(), mass_in.numpy(), rtol=0.02)
    assert not torch.allclose(out, img, atol=1e-3)                    # it did rotate


def test_random_rotation_by_a_quarter_turn_equals_rot90_counter_clockwise():
    x = _images(n=2, h=6, w=6)
    out = layers.RandomRotation((0.25, 0.25))(x, training=True)
    expected = np.rot90(x.numpy(), k=1, axes=(1, 2))                  # numpy: counter-clockwise
    np.testing.assert_allclose(out.numpy(), expected, atol=1e-3)


def test_random_translation_by_whole_pixels_shifts_with_constant_fill():
    x = _images(n=2, h=4, w=8)
    out = layers.RandomTranslation((0.25, 0.25), (-0.25, -0.25), fill_mode="constant", fill_value=-1.0)(
        x, training=True)
    # one row down, two columns left; the uncovered row/columns take fill_value
    expected = np.full_like(x.numpy(), -1.0)
    expected[:, 1:, :6] = x.numpy()[:, :3, 2:]
    np.testing.assert_allclose(out.numpy(), expected, atol=1e-4)


def test_random_zoom_out_twice_averages_pixel_pairs():
    x = _images(n=2, h=8, w=8)
    out = layers.RandomZoom((1.0, 1.0), fill_mode="constant")(x, training=True)
    # zoom 2 samples input at 2*(x - 3.5) + 3.5: the central 4x4 holds 2x2 averages of the image
    pooled = F.avg_pool2d(x.permute(0, 3, 1, 2), 2).permute(0, 2, 3, 1)
    np.testing.assert_allclose(out[:, 2:6, 2:6].numpy(), pooled.numpy(), rtol=1e-5, atol=1e-3)


@pytest.mark.parametrize("fill_mode,expected", [
    ("reflect", [1, 0, 0, 1, 2, 3]),      # (d c b a | a b c d)
    ("wrap", [4, 5, 0, 1, 2, 3]),         # (a b c d | a b c d)
    ("nearest", [0, 0, 0, 1, 2, 3]),      # (a a a a | a b c d)
    ("constant", [9, 9, 0, 1, 2, 3])])    # (k k k k | a b c d), fill_value=9
def test_fill_modes_follow_keras_definitions(fill_mode, expected):
    # width 6 holding 0..3 and two extra columns; shift right by 2 pixels
    x = torch.tensor([[0.0, 1.0, 2.0, 3.0, 4.0, 5.0]]).reshape(1, 1, 6, 1)
    out = layers.RandomTranslation(0.0, (2 / 6, 2 / 6), fill_mode=fill_mode, interpolation="nearest",
                                   fill_value=9.0)(x, training=True).flatten()
    np.testing.assert_allclose(out.numpy(), expected, atol=1e-4)


def test_random_contrast_keeps_channel_means_and_scales_deviations_within_range():
    x = _images(n=16) * 0.5 + 64                                      # inside [0, 255] after scaling
    out = layers.RandomContrast(0.3, seed=2)(x, training=True)
    np.testing.assert_allclose(out.mean(dim=(1, 2)).numpy(), x.mean(dim=(1, 2)).numpy(), rtol=1e-4)
    ratio = (out - out.mean(dim=(1, 2), keepdim=True)).std(dim=(1, 2)) / \
        (x - x.mean(dim=(1, 2), keepdim=True)).std(dim=(1, 2))
    assert ratio.min() >= 0.7 - 1e-4 and ratio.max() <= 1.3 + 1e-4
    assert ratio.max() - ratio.min() > 0.05                           # drawn per image


def test_random_brightness_adds_one_offset_per_image_and_clips():
    x = torch.full((64, 2, 2, 3), 100.0)
    out = layers.RandomBrightness(0.2, seed=4)(x, training=True)
    delta = out - x
    assert torch.all(delta.flatten(1).std(dim=1) == 0)                # one offset per image
    assert delta.min() >= -0.2 * 255 - 1e-3 and delta.max() <= 0.2 * 255 + 1e-3
    assert delta.min() < -20 and delta.max() > 20
    clipped = layers.RandomBrightness((1.0, 1.0))(x, training=True)
    assert torch.all(clipped == 255)


def test_random_crop_training_takes_a_window_and_inference_resizes_the_centre():
    x = _images(n=2, h=8, w=8)
    crop = layers.RandomCrop(4, 5, seed=0)
    out = crop(x, training=True)
    windows = [(i, j) for i in range(5) for j in range(4) if torch.equal(out, x[:, i:i + 4, j:j + 5])]
    assert len(windows) == 1
    # inference: largest central 4:5 window (6 rows x 8 columns from row 1), resized to 4x5 bilinear
    expected = F.interpolate(x[:, 1:7].permute(0, 3, 1, 2), size=(4, 5), mode="bilinear",
                             align_corners=False).permute(0, 2, 3, 1)
    np.testing.assert_allclose(crop(x, training=False).numpy(), expected.numpy(), rtol=1e-6, atol=1e-4)


@pytest.mark.parametrize("make", [lambda: layers.RandomFlip(), lambda: layers.RandomRotation(0.2),
                                  lambda: layers.RandomZoom(0.3), lambda: layers.RandomTranslation(0.2, 0.2),
                                  lambda: layers.RandomContrast(0.5), lambda: layers.RandomBrightness(0.5)])
def test_random_layers_leave_inputs_untouched_in_inference(make):
    x = _images(n=4)
    layer = make()
    assert torch.equal(layer(x, training=False), x)
    layer.eval()
    assert torch.equal(layer(x), x)
    layer.train()
    assert not torch.allclose(layer(x), x)


def test_augmentation_in_a_sequential_is_identity_in_predict_and_active_in_fit():
    model = kerastorch.Sequential([layers.Input(shape=(8, 8, 3)), layers.RandomFlip(seed=1),
                                   layers.RandomRotation(0.1, seed=1), layers.Rescaling(1 / 255)])
    x = _images(n=5)
    np.testing.assert_allclose(np.asarray(model.predict(x, verbose=0)), x.numpy() / 255, rtol=1e-6)
    assert model.output_shape == (None, 8, 8, 3)
    model.train()
    assert not torch.allclose(model(x), x / 255)


def test_seeded_layers_repeat_their_draws():
    x = _images(n=8)
    a = layers.RandomRotation(0.3, seed=7)(x, training=True)
    b = layers.RandomRotation(0.3, seed=7)(x, training=True)
    torch.testing.assert_close(a, b)


def test_unbatched_and_integer_images():
    img = torch.randint(0, 255, (8, 8, 3), dtype=torch.uint8)
    out = layers.Resizing(4, 4)(img)
    assert out.shape == (4, 4, 3) and out.dtype == torch.float32
    assert layers.RandomFlip()(img, training=True).shape == (8, 8, 3)


# ------------------------------------------------------------------ Normalization
def test_normalization_adapt_gives_numpy_mean_and_variance_per_channel():
    data = np.random.default_rng(0).normal(3.0, 2.0, (50, 4, 4, 3)).astype(np.float32)
    layer = layers.Normalization()
    layer.adapt(data, batch_size=7)                                   # uneven batches: still exact
    np.testing.assert_allclose(layer.mean.numpy(), data.mean(axis=(0, 1, 2)), rtol=1e-5)
    np.testing.assert_allclose(layer.variance.numpy(), data.var(axis=(0, 1, 2)), rtol=1e-5)
    assert int(layer.count) == 0 and layer.count.dtype == torch.int32   # as Keras: kept for old files, never set
    out = layer(torch.from_numpy(data)).numpy()
    np.testing.assert_allclose(out, (data - data.mean(axis=(0, 1, 2))) / data.std(axis=(0, 1, 2)),
                               rtol=1e-4, atol=1e-4)
    # non-trainable weights: buffers, not parameters, listed as Keras lists them
    assert list(layer.parameters()) == [] and len(layer.non_trainable_weights) == 3


def test_normalization_adapt_from_a_dataloader_and_over_several_axes():
    data = torch.randn(40, 5, 3) * 4 + 1
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(data, torch.zeros(40)), batch_size=16)
    layer = layers.Normalization(axis=(1, 2))
    layer.adapt(loader)
    np.testing.assert_allclose(layer.mean.numpy(), data.numpy().mean(axis=0), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(layer.variance.numpy(), data.numpy().var(axis=0), rtol=1e-5)


def test_normalization_with_given_statistics_and_invert():
    layer = layers.Normalization(mean=[1.0, 2.0], variance=[4.0, 9.0])
    out = layer(torch.tensor([[3.0, 8.0]]))
    np.testing.assert_allclose(out.numpy(), [[1.0, 2.0]])
    back = layers.Normalization(mean=[1.0, 2.0], variance=[4.0, 9.0], invert=True)(out)
    np.testing.assert_allclose(back.numpy(), [[3.0, 8.0]])


def test_normalization_matches_keras_after_adapt(keras):
    data = np.random.default_rng(1).uniform(0, 10, (30, 6)).astype(np.float32)
    theirs = keras.layers.Normalization()
    theirs.adapt(data)
    ours = layers.Normalization()
    ours.adapt(data)
    np.testing.assert_allclose(ours(torch.from_numpy(data)).numpy(),
                               keras.ops.convert_to_numpy(theirs(data)), rtol=1e-4, atol=1e-5)


# ------------------------------------------------------------------ errors
def test_errors_name_the_argument_and_the_choices():
    with pytest.raises(ValueError, match="mode.*horizontal, vertical, horizontal_and_vertical.*'diagonal'"):
        layers.RandomFlip("diagonal")
    with pytest.raises(ValueError, match="fill_mode.*reflect, wrap, constant, nearest.*'mirror'"):
        layers.RandomRotation(0.1, fill_mode="mirror")
    with pytest.raises(ValueError, match="give both `mean` and `variance`"):
        layers.Normalization(mean=[0.0])
    with pytest.raises(ValueError, match=r"expects images of shape .*got a tensor of shape \(4, 8\).*x\[\.\.\., None\]"):
        layers.RandomFlip()(torch.zeros(4, 8), training=True)
