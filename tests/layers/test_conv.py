"""Convolution layers against real Keras 3 (same weights), shapes, configs and errors."""

import numpy as np
import pytest
import torch

import kerastorch
from kerastorch import layers


def _compare(keras, kt_layer, k_layer, x, atol=1e-5):
    """Builds both layers, gives them the same random weights, and compares outputs and shapes."""
    rng = np.random.default_rng(1)
    k_layer.build(x.shape)
    kt_layer.build((None, *x.shape[1:]))
    weights = [rng.standard_normal(w.shape).astype("float32") for w in k_layer.get_weights()]
    assert [w.shape for w in kt_layer.get_weights()] == [w.shape for w in weights]
    k_layer.set_weights(weights)
    kt_layer.set_weights(weights)
    expected = keras.ops.convert_to_numpy(k_layer(x))
    got = kt_layer(torch.from_numpy(x)).detach().numpy()
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, atol=atol, rtol=1e-5)
    batch_shape = (None, *x.shape[1:])
    assert tuple(kt_layer.compute_output_shape(batch_shape)) == tuple(k_layer.compute_output_shape(batch_shape))
    np.testing.assert_array_equal(kt_layer.get_weights()[0], weights[0])   # Keras layout round trip
    return got


def _x(*shape):
    return np.random.default_rng(0).standard_normal(shape).astype("float32")


@pytest.mark.parametrize("size", [(7, 7), (8, 9), (5, 6)])
@pytest.mark.parametrize("kernel", [3, 2, (4, 1)])
def test_conv2d_stride2_same_odd_sizes_match_keras(keras, size, kernel):
    x = _x(2, *size, 3)
    kw = dict(filters=4, kernel_size=kernel, strides=2, padding="same")
    _compare(keras, layers.Conv2D(**kw), keras.layers.Conv2D(**kw), x)


@pytest.mark.parametrize("kw", [
    dict(filters=4, kernel_size=3, dilation_rate=2, padding="same"),
    dict(filters=4, kernel_size=3, dilation_rate=(2, 1), padding="valid"),
    dict(filters=6, kernel_size=3, groups=3, padding="same", strides=(2, 1)),
    dict(filters=4, kernel_size=3, padding="same", data_format="channels_first"),
    dict(filters=4, kernel_size=2, activation="relu"),
])
def test_conv2d_dilation_groups_and_formats_match_keras(keras, kw):
    x = _x(2, 6, 7, 3)
    _compare(keras, layers.Conv2D(**kw), keras.layers.Conv2D(**kw), x)


@pytest.mark.parametrize("kw", [
    dict(filters=3, kernel_size=3, padding="causal"),
    dict(filters=3, kernel_size=3, padding="causal", dilation_rate=2),
    dict(filters=3, kernel_size=4, padding="same", strides=3),
    dict(filters=3, kernel_size=2, padding="valid", strides=2),
])
def test_conv1d_causal_same_valid_match_keras(keras, kw):
    _compare(keras, layers.Conv1D(**kw), keras.layers.Conv1D(**kw), _x(2, 9, 2))


def test_conv1d_causal_output_depends_only_on_the_past():
    layer = layers.Conv1D(1, 3, padding="causal")
    x = torch.randn(1, 6, 1)
    y = layer(x)
    x2 = x.clone()
    x2[0, 4:] += 10.0                       # change the future only
    np.testing.assert_allclose(layer(x2)[0, :4].detach().numpy(), y[0, :4].detach().numpy())


def test_conv3d_same_stride2_matches_keras(keras):
    kw = dict(filters=2, kernel_size=3, strides=2, padding="same")
    _compare(keras, layers.Conv3D(**kw), keras.layers.Conv3D(**kw), _x(1, 5, 4, 3, 2))


@pytest.mark.parametrize("size", [(4, 4), (5, 7)])
@pytest.mark.parametrize("kw", [
    dict(filters=3, kernel_size=3, strides=2, padding="same"),
    dict(filters=3, kernel_size=3, strides=2, padding="valid"),
    dict(filters=3, kernel_size=4, strides=2, padding="same"),
    dict(filters=3, kernel_size=2, strides=3, padding="valid"),
    dict(filters=3, kernel_size=3, strides=2, padding="valid", output_padding=1),
    dict(filters=3, kernel_size=3, strides=2, padding="same", output_padding=0),
    dict(filters=3, kernel_size=3, strides=1, padding="same", dilation_rate=2),
    dict(filters=3, kernel_size=3, strides=2, padding="same", data_format="channels_first"),
])
def test_conv2d_transpose_matches_keras(keras, size, kw):
    x = _x(2, 2, *size) if kw.get("data_format") == "channels_first" else _x(2, *size, 2)
    _compare(keras, layers.Conv2DTranspose(**kw), keras.layers.Conv2DTranspose(**kw), x)


def test_conv2d_transpose_output_padding_changes_size(keras):
    kw = dict(filters=3, kernel_size=3, strides=2, padding="same", output_padding=1)
    got = _compare(keras, layers.Conv2DTranspose(**kw), keras.layers.Conv2DTranspose(**kw), _x(1, 4, 5, 2))
    assert got.shape == (1, 8, 10, 3)       # (n - 1) * 2 + 3 % 2 + 1


@pytest.mark.parametrize("kw", [dict(filters=2, kernel_size=3, strides=2, padding="same"),
                                dict(filters=2, kernel_size=2, strides=1, padding="valid")])
def test_conv1d_and_conv3d_transpose_match_keras(keras, kw):
    _compare(keras, layers.Conv1DTranspose(**kw), keras.layers.Conv1DTranspose(**kw), _x(2, 5, 3))
    _compare(keras, layers.Conv3DTranspose(**kw), keras.layers.Conv3DTranspose(**kw), _x(1, 3, 4, 3, 2))


@pytest.mark.parametrize("kw", [
    dict(kernel_size=3),
    dict(kernel_size=3, depth_multiplier=2, strides=2, padding="same"),
    dict(kernel_size=(2, 3), depth_multiplier=3, dilation_rate=2, padding="same"),
    dict(kernel_size=3, depth_multiplier=2, data_format="channels_first"),
])
def test_depthwise_conv2d_matches_keras(keras, kw):
    x = _x(2, 3, 7, 6) if kw.get("data_format") == "channels_first" else _x(2, 7, 6, 3)
    _compare(keras, layers.DepthwiseConv2D(**kw), keras.layers.DepthwiseConv2D(**kw), x)


def test_depthwise_conv1d_matches_keras(keras):
    kw = dict(kernel_size=3, depth_multiplier=2, strides=2, padding="same")
    _compare(keras, layers.DepthwiseConv1D(**kw), keras.layers.DepthwiseConv1D(**kw), _x(2, 9, 3))


def test_depthwise_kernel_layout_maps_channel_c_mult_m_to_output_c_times_mult_plus_m():
    layer = layers.DepthwiseConv2D(1, depth_multiplier=2, use_bias=False)
    layer.build((None, 1, 1, 2))
    kernel = np.array([1.0, 2.0, 3.0, 4.0], "float32").reshape(1, 1, 2, 2)   # [c][m]
    layer.set_weights([kernel])
    out = layer(torch.tensor([[[[10.0, 100.0]]]]))
    # channel 0 * (1, 2), channel 1 * (3, 4), in order c * mult + m
    np.testing.assert_allclose(out.detach().numpy().ravel(), [10.0, 20.0, 300.0, 400.0])


@pytest.mark.parametrize("kw", [
    dict(filters=4, kernel_size=3),
    dict(filters=5, kernel_size=3, depth_multiplier=2, strides=2, padding="same"),
    dict(filters=2, kernel_size=2, dilation_rate=2, padding="same", activation="relu"),
])
def test_separable_conv2d_matches_keras(keras, kw):
    _compare(keras, layers.SeparableConv2D(**kw), keras.layers.SeparableConv2D(**kw), _x(2, 7, 8, 3))


def test_separable_conv1d_matches_keras(keras):
    kw = dict(filters=4, kernel_size=3, depth_multiplier=2, padding="same")
    _compare(keras, layers.SeparableConv1D(**kw), keras.layers.SeparableConv1D(**kw), _x(2, 9, 3))


@pytest.mark.parametrize("cls,kw", [
    ("Conv2D", dict(filters=4, kernel_size=3, strides=2, padding="same", dilation_rate=1, groups=1)),
    ("Conv2DTranspose", dict(filters=4, kernel_size=3, strides=2, padding="same", output_padding=1)),
    ("DepthwiseConv2D", dict(kernel_size=3, depth_multiplier=2)),
    ("SeparableConv2D", dict(filters=4, kernel_size=3, depth_multiplier=2)),
])
def test_config_keys_and_values_match_keras(keras, cls, kw):
    ours = getattr(layers, cls)(**kw).get_config()
    theirs = getattr(keras.layers, cls)(**kw).get_config()
    missing = set(theirs) - set(ours) - {"dtype"}
    assert not missing
    for key in ("kernel_size", "strides", "padding", "dilation_rate", "output_padding",
                "depth_multiplier", "filters", "use_bias", "data_format"):
        if key in theirs:
            value = theirs[key]
            assert ours[key] == (list(value) if isinstance(value, tuple) else value), key
    rebuilt = getattr(layers, cls).from_config(ours)
    assert rebuilt.get_config() == ours


def test_keras_default_initializers_are_glorot_uniform_and_zeros():
    layer = layers.Conv2DTranspose(8, 3)
    layer.build((None, 4, 4, 16))
    kernel, bias = layer.get_weights()
    limit = np.sqrt(6.0 / (9 * 16 + 9 * 8))     # Keras' fans for a (3, 3, 8, 16) kernel
    assert np.abs(kernel).max() <= limit and np.abs(kernel).max() > 0.8 * limit
    assert not bias.any()


def test_conv2d_on_flat_input_names_layer_shape_and_fix():
    with pytest.raises(ValueError) as info:
        kerastorch.Sequential([layers.Input(shape=(784,)), layers.Conv2D(8, 3, name="c1")])
    message = str(info.value)
    for part in ("'c1'", "4-D input (batch, height, width, channels)", "(None, 784)",
                 "layers.Reshape((28, 28, 1))"):
        assert part in message


def test_conv_transpose_rejects_output_padding_not_below_stride():
    with pytest.raises(ValueError, match=r"output_padding.*smaller than the matching stride"):
        layers.Conv2DTranspose(2, 3, strides=2, output_padding=2)


def test_autoencoder_param_count_matches_keras(keras):
    def stack(L, Input, Sequential):
        return Sequential([Input(shape=(8, 8, 1)),
                           L.Conv2D(16, 3, padding="same", activation="relu"),
                           L.MaxPooling2D(2),
                           L.Conv2DTranspose(8, 3, strides=2, padding="same", activation="relu"),
                           L.UpSampling2D(2),
                           L.Conv2D(1, 3, padding="same")])

    ours = stack(layers, layers.Input, kerastorch.Sequential)
    theirs = stack(keras.layers, keras.Input, keras.Sequential)
    assert ours.count_params() == theirs.count_params()
    assert ours.output_shape == tuple(theirs.output_shape)
    text = []
    ours.summary(print_fn=text.append)
    assert f"{theirs.count_params():,}" in "\n".join(text)


def test_frozen_conv_weights_do_not_train_and_summary_counts_them_non_trainable():
    model = kerastorch.Sequential([layers.Input(shape=(5, 5, 2)), layers.Conv2D(3, 3, name="frozen"),
                                   layers.Flatten(), layers.Dense(1)])
    model.layers[0].trainable = False
    before = model.layers[0].get_weights()
    model.compile(optimizer="sgd", loss="mse")
    model.fit(np.random.rand(8, 5, 5, 2).astype("float32"), np.random.rand(8, 1).astype("float32"),
              epochs=1, verbose=0)
    for a, b in zip(before, model.layers[0].get_weights()):
        np.testing.assert_array_equal(a, b)
    text = []
    model.summary(print_fn=text.append)
    text = "\n".join(text)
    conv_params = 3 * 3 * 2 * 3 + 3
    assert f"Non-trainable params: {conv_params}" in text


_PICKLE_CASES = [(layers.Conv1D, dict(filters=3, kernel_size=2), (2, 6, 4)),
                 (layers.Conv2D, dict(filters=3, kernel_size=2, padding="same"), (2, 5, 5, 4)),
                 (layers.Conv3D, dict(filters=2, kernel_size=2), (1, 4, 4, 4, 3)),
                 (layers.Conv1DTranspose, dict(filters=3, kernel_size=2, strides=2), (2, 5, 4)),
                 (layers.Conv2DTranspose, dict(filters=3, kernel_size=3, strides=2, padding="same"), (2, 4, 4, 4)),
                 (layers.Conv3DTranspose, dict(filters=2, kernel_size=2), (1, 3, 3, 3, 3)),
                 (layers.DepthwiseConv1D, dict(kernel_size=2, depth_multiplier=2), (2, 6, 4)),
                 (layers.DepthwiseConv2D, dict(kernel_size=2, depth_multiplier=2), (2, 5, 5, 4)),
                 (layers.SeparableConv1D, dict(filters=3, kernel_size=2, depth_multiplier=2), (2, 6, 4)),
                 (layers.SeparableConv2D, dict(filters=3, kernel_size=2, depth_multiplier=2), (2, 5, 5, 4))]


def _sgd_step(layer, x):
    """One plain-torch SGD step on `sum(layer(x) ** 2)`; returns the weights after it, in Keras' layout."""
    layer.zero_grad()
    (layer(x) ** 2).sum().backward()
    torch.optim.SGD(layer.parameters(), lr=0.01).step()
    return layer.get_weights()


@pytest.mark.parametrize("cls, kw, shape", _PICKLE_CASES, ids=[c[0].__name__ for c in _PICKLE_CASES])
def test_built_conv_layer_pickles_and_deep_copies_with_the_same_outputs_and_training(cls, kw, shape):
    import copy
    import pickle

    rng = np.random.default_rng(0)
    x = torch.from_numpy(rng.standard_normal(shape).astype("float32"))
    original = cls(**kw)
    original.build((None, *shape[1:]))
    original.set_weights([rng.standard_normal(w.shape).astype("float32") for w in original.get_weights()])
    expected = original(x).detach().numpy()
    expected_weights = original.get_weights()
    clones = [pickle.loads(pickle.dumps(original)), copy.deepcopy(original)]
    for clone in clones:
        assert clone is not original and clone.built
        np.testing.assert_array_equal(clone(x).detach().numpy(), expected)
        for got, want in zip(clone.get_weights(), expected_weights):      # read back in Keras' layout
            np.testing.assert_array_equal(got, want)
        clone.set_weights(expected_weights)                                # written through the layout
        np.testing.assert_array_equal(clone(x).detach().numpy(), expected)
    # The original's step is the oracle: each clone takes the same step, on weights of its own.
    after_step = _sgd_step(original, x)
    for clone in clones:
        for got, want, before in zip(_sgd_step(clone, x), after_step, expected_weights):
            assert not np.array_equal(want, before)
            np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6)


def test_model_of_conv_layers_pickles_predicts_and_trains_as_the_original():
    import pickle

    kerastorch.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, 6, 6, 3)).astype("float32")
    y = rng.standard_normal((4, 1)).astype("float32")
    original = kerastorch.Sequential([
        layers.Input(shape=(6, 6, 3)), layers.Conv2D(4, 3, padding="same", activation="relu"),
        layers.DepthwiseConv2D(3, depth_multiplier=2), layers.SeparableConv2D(3, 2),
        layers.Conv2DTranspose(2, 2, strides=2), layers.Flatten(), layers.Dense(1)])
    clone = pickle.loads(pickle.dumps(original))
    np.testing.assert_array_equal(clone.predict(x, verbose=0), original.predict(x, verbose=0))
    losses = []
    for model in (original, clone):
        model.compile(optimizer="sgd", loss="mse")
        losses.append(model.train_on_batch(x, y))
    assert losses[1] == pytest.approx(losses[0], rel=1e-6)
    for got, want in zip(clone.get_weights(), original.get_weights()):
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(clone.predict(x, verbose=0), original.predict(x, verbose=0), rtol=1e-5, atol=1e-6)
