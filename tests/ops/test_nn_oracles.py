"""`kerastorch.ops.nn` against oracles outside Keras: brute force, hand computation, numpy, torch.

These cover what the Keras comparison (test_nn.py) cannot: where kerastorch follows fixed Keras or
TensorFlow/JAX instead of Keras 3.15.1's torch backend (asymmetric "same" average pooling, sparsemax,
one_hot's negative axes, normalization over non-trailing axes), CTC decoding and loss against an
enumeration of every alignment, the settings the ops read (image data format, flash attention),
and that activations, losses and layers share the ops' implementations.
"""

import itertools
import math

import numpy as np
import pytest
import torch

import kerastorch
from kerastorch import activations, config, layers, losses, ops


def _np(x):
    return x.detach().cpu().numpy()


# ------------------------------------------------------------------------------ pooling
def test_average_pool_same_averages_the_real_pixels_only():
    # TensorFlow/JAX (and Keras after PR #23233): window means over the unpadded pixels.
    x = torch.tensor([0.0, 1.0, 2.0, 3.0]).reshape(1, 4, 1)
    out = ops.average_pool(x, 4, strides=1, padding="same")
    np.testing.assert_allclose(_np(out).ravel(), [1.0, 1.5, 2.0, 2.5])


def test_average_pool_same_2d_matches_a_numpy_window_mean():
    x = np.random.default_rng(3).normal(size=(1, 5, 6, 2)).astype("float32")
    out = _np(ops.average_pool(x, (2, 3), strides=2, padding="same"))
    # "same": output ceil(n / s); padding (0, 1) rows, (0, 1) columns, the odd pixel at the end.
    expected = np.zeros((1, 3, 3, 2), "float32")
    for i, j in itertools.product(range(3), range(3)):
        rows, cols = slice(2 * i, min(2 * i + 2, 5)), slice(2 * j, min(2 * j + 3, 6))
        expected[0, i, j] = x[0, rows, cols].reshape(-1, 2).mean(0)
    np.testing.assert_allclose(out, expected, rtol=1e-6, atol=1e-6)


def test_pooling_layers_and_ops_agree():
    x = torch.randn(2, 7, 6, 3)
    for layer, op in ((layers.AveragePooling2D(3, strides=2, padding="same"), ops.average_pool),
                      (layers.MaxPooling2D(2, padding="same"), ops.max_pool)):
        expected = _np(layer(x))
        got = _np(op(x, layer.pool_size, strides=layer.strides, padding="same"))
        np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-6)


def test_conv_layers_and_ops_agree():
    x = torch.randn(2, 7, 6, 3)
    conv = layers.Conv2D(4, 3, strides=2, padding="same", use_bias=False)
    np.testing.assert_allclose(_np(ops.conv(x, _kernel(conv, x), strides=2, padding="same")),
                               _np(conv(x)), rtol=1e-5, atol=1e-5)
    convt = layers.Conv2DTranspose(4, 3, strides=2, padding="same", use_bias=False)
    np.testing.assert_allclose(_np(ops.conv_transpose(x, _kernel(convt, x), strides=2, padding="same")),
                               _np(convt(x)), rtol=1e-5, atol=1e-5)


def _kernel(layer, x):
    layer(x)                              # builds it
    return torch.as_tensor(layer.get_weights()[0])     # Keras' layout


# ------------------------------------------------------------------------------ activations
def test_sparsemax_is_the_simplex_projection():
    # z = [0.5, 0.45, 0.4, -1]: support k = 3 since 1 + 3 * 0.4 = 2.2 > 1.35 and 1 + 4 * -1 < 0.35;
    # tau = (1.35 - 1) / 3.
    tau = 0.35 / 3
    np.testing.assert_allclose(_np(ops.sparsemax([[0.5, 0.4, -1.0, 0.45]])),
                               [[0.5 - tau, 0.4 - tau, 0.0, 0.45 - tau]], atol=1e-7)
    y = ops.sparsemax(torch.randn(5, 7) * 3, axis=0)
    np.testing.assert_allclose(_np(y.sum(0)), np.ones(7), atol=1e-6)
    assert (y >= 0).all()


def test_softmax_over_axes_with_negative_entries_is_over_their_union():
    x = torch.randn(3, 4, 2)
    expected = torch.softmax(x.permute(2, 0, 1).reshape(2, -1), -1).reshape(2, 3, 4).permute(1, 2, 0)
    np.testing.assert_allclose(_np(ops.softmax(x, axis=(-3, 1))), _np(expected), rtol=1e-6, atol=1e-7)


def test_softmax_over_a_size_one_axis_warns_like_keras():
    with pytest.warns(UserWarning, match="Did you mean to use a sigmoid"):
        ops.softmax(torch.zeros(4, 1))


def test_activations_call_the_ops():
    x = torch.randn(3, 4)
    for name in ("elu", "gelu", "softmax", "sparsemax", "sparse_sigmoid", "squareplus", "silu"):
        np.testing.assert_array_equal(_np(activations.get(name)(x)), _np(
            getattr(ops, name)(x, approximate=False) if name == "gelu" else getattr(ops, name)(x)))
    # as in Keras, activations take what ops take (numpy arrays too)
    np.testing.assert_allclose(_np(activations.elu(np.array([-1.0, 2.0], "float32"))),
                               [math.exp(-1) - 1, 2.0], rtol=1e-6)


def test_sparse_sigmoid_gradient_is_zero_at_the_kinks_like_keras():
    x = torch.tensor([-1.0, 1.0, 0.0], requires_grad=True)
    ops.sparse_sigmoid(x).sum().backward()
    np.testing.assert_array_equal(_np(x.grad), [0.0, 0.0, 0.5])


# ------------------------------------------------------------------------------ encodings
@pytest.mark.parametrize("axis", [-3, -2, -1, 0, 1, 2])
def test_one_hot_puts_the_class_axis_at_axis_of_the_result(axis):
    ids = np.array([[0, 2, 1], [3, 1, 0]])
    expected = np.moveaxis(np.eye(4, dtype="float32")[ids], -1, axis)
    np.testing.assert_array_equal(_np(ops.one_hot(ids, 4, axis=axis)), expected)


def test_one_hot_of_out_of_range_ids_is_zeros_like_jax():
    np.testing.assert_array_equal(_np(ops.one_hot([-1, 5, 1], 3)), [[0, 0, 0], [0, 0, 0], [0, 1, 0]])


# ------------------------------------------------------------------------------ normalization
def _np_layer_norm(x, axes, eps):
    mean = x.mean(axis=axes, keepdims=True)
    var = x.var(axis=axes, keepdims=True)
    return (x - mean) / np.sqrt(var + eps)


@pytest.mark.parametrize("axis", [0, (0,), (0, 1), 1])
def test_layer_normalization_over_any_axes_matches_numpy(axis):
    x = np.random.default_rng(1).normal(size=(4, 3, 5)).astype("float64")
    axes = axis if isinstance(axis, tuple) else (axis,)
    gamma = np.random.default_rng(2).normal(size=[x.shape[a] for a in axes])
    shape = [x.shape[d] if d in axes else 1 for d in range(3)]
    expected = _np_layer_norm(x, axes, 1e-3) * gamma.reshape(shape)
    got = ops.layer_normalization(x.astype("float32"), gamma.astype("float32"), axis=axis, epsilon=1e-3)
    np.testing.assert_allclose(_np(got), expected, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("axis", [0, (0, 1), (0, 2)])
def test_rms_normalization_over_any_axes_matches_numpy(axis):
    x = np.random.default_rng(1).normal(size=(4, 3, 5))
    axes = axis if isinstance(axis, tuple) else (axis,)
    expected = x / np.sqrt(np.mean(x ** 2, axis=axes, keepdims=True) + 1e-7)
    np.testing.assert_allclose(_np(ops.rms_normalization(x.astype("float32"), axis=axis)), expected,
                               rtol=1e-5, atol=1e-6)


def test_moments_of_float16_do_not_overflow():
    x = np.full((4, 3), 300.0, "float16")
    x[0] = 200.0
    mean, var = ops.moments(x, axes=0)
    assert mean.dtype == torch.float16 and var.dtype == torch.float16
    np.testing.assert_allclose(_np(mean).astype("float64"), x.astype("float64").mean(0), rtol=1e-3)
    np.testing.assert_allclose(_np(var).astype("float64"), x.astype("float64").var(0), rtol=1e-2)


def test_batch_normalization_by_hand():
    out = ops.batch_normalization([[1.0, 4.0], [3.0, 0.0]], [2.0, 2.0], [1.0, 4.0], axis=-1,
                                  offset=[0.5, 0.0], scale=[2.0, 1.0], epsilon=0.0)
    # column 0: (x - 2) / 1 * 2 + 0.5; column 1: (x - 2) / 2
    np.testing.assert_allclose(_np(out), [[-1.5, 1.0], [2.5, -1.0]])


def test_psnr_by_hand():
    # mse = (0.1 ** 2) / 2 = 0.005; 20 log10(1) - 10 log10(0.005) = 23.0103
    np.testing.assert_allclose(float(ops.psnr([0.0, 1.0], [0.0, 0.9], 1.0)), -10 * math.log10(0.005),
                               rtol=1e-5)


# ------------------------------------------------------------------------------ CTC
def _collapse(alignment, blank):
    labels, previous = [], None
    for a in alignment:
        if a != previous and a != blank:
            labels.append(a)
        previous = a
    return tuple(labels)


def _label_log_probs(logits, length, blank):
    """Every label sequence's exact log-probability, by enumerating all alignments."""
    x = logits[:length].astype("float64")
    logp = x - np.log(np.exp(x).sum(-1, keepdims=True))
    probs = {}
    for alignment in itertools.product(range(x.shape[1]), repeat=length):
        p = math.exp(sum(logp[t, a] for t, a in enumerate(alignment)))
        key = _collapse(alignment, blank)
        probs[key] = probs.get(key, 0.0) + p
    return {k: math.log(v) for k, v in probs.items()}


@pytest.mark.parametrize("blank", [0, 2])
def test_beam_search_with_a_wide_beam_finds_the_most_probable_labelings(blank):
    logits = np.random.default_rng(5).normal(size=(2, 5, 3)).astype("float32") * 2
    lengths = np.array([5, 3])
    paths, scores = ops.ctc_decode(logits, lengths, strategy="beam_search", beam_width=100,
                                   top_paths=3, mask_index=blank)
    assert paths.shape == (3, 2, 5) and paths.dtype == torch.int32 and scores.shape == (2, 3)
    for b in range(2):
        exact = sorted(_label_log_probs(logits[b], lengths[b], blank).items(), key=lambda kv: -kv[1])[:3]
        for k, (labels, log_prob) in enumerate(exact):
            row = _np(paths[k, b]).tolist()
            assert row == list(labels) + [-1] * (5 - len(labels)), (b, k, row, labels)
            np.testing.assert_allclose(float(scores[b, k]), log_prob, rtol=1e-5)


def test_ctc_loss_is_minus_the_log_probability_of_the_labels():
    logits = np.random.default_rng(6).normal(size=(2, 4, 3)).astype("float32")
    target = np.array([[1, 2], [2, 0]])
    loss = ops.ctc_loss(target, logits, target_length=np.array([2, 1]), output_length=np.array([4, 3]))
    for b, (labels, length) in enumerate((((1, 2), 4), ((2,), 3))):
        expected = -_label_log_probs(logits[b], length, blank=0)[labels]
        np.testing.assert_allclose(float(loss[b]), expected, rtol=1e-5)


def test_greedy_decode_merges_repeats_drops_blanks_and_pads_with_minus_one():
    classes = [1, 1, 0, 1, 2, 2, 0, 0]          # blank 0; the last two steps are past the length
    x = np.full((1, 8, 3), -1.0, "float32")
    x[0, np.arange(8), classes] = np.arange(8, dtype="float32")   # the chosen value of step t is t
    paths, scores = ops.ctc_decode(x, [6])
    assert _np(paths).tolist() == [[[1, 1, 2, -1, -1, -1, -1, -1]]]
    np.testing.assert_allclose(_np(scores), [[-sum(range(6))]])
    paths, _ = ops.ctc_decode(x, [6], merge_repeated=False)
    assert _np(paths).tolist() == [[[1, 1, 1, 2, 2, -1, -1, -1]]]


# ------------------------------------------------------------------------------ attention
def test_attention_matches_a_numpy_softmax_attention_and_masks_like_keras():
    rng = np.random.default_rng(7)
    q, k, v = (rng.normal(size=s).astype("float32") for s in ((1, 3, 2, 4), (1, 5, 2, 4), (1, 5, 2, 3)))
    mask = np.ones((1, 2, 3, 5), bool)
    mask[0, 0, 1, 2:] = False
    mask[0, 1, 2] = False                       # a fully masked row: Keras' -0.7 * max, so uniform
    logits = np.einsum("bthd,bshd->bhts", q, k) / 2.0
    logits = np.where(mask, logits, -1e30)
    weights = np.exp(logits - logits.max(-1, keepdims=True))
    weights[0, 1, 2] = 1.0
    weights /= weights.sum(-1, keepdims=True)
    expected = np.einsum("bhts,bshd->bthd", weights, v)
    got = ops.dot_product_attention(q, k, v, mask=mask)
    np.testing.assert_allclose(_np(got), expected, rtol=1e-5, atol=1e-6)


def test_attention_follows_the_flash_attention_setting(monkeypatch):
    import torch.nn.attention as attention

    used = []
    real = attention.sdpa_kernel

    def recording(backends, *args, **kwargs):
        used.append(list(backends))
        return real(backends, *args, **kwargs)

    monkeypatch.setattr(attention, "sdpa_kernel", recording)
    q = torch.randn(1, 3, 2, 4)
    try:
        config.disable_flash_attention()
        ops.dot_product_attention(q, q, q)
        assert used and attention.SDPBackend.FLASH_ATTENTION not in used[-1]
    finally:
        config.enable_flash_attention()
    used.clear()
    ops.dot_product_attention(q, q, q)          # the default: torch chooses, no kernel restriction
    assert not used


# ------------------------------------------------------------------------------ settings
def test_image_ops_follow_the_configured_data_format():
    x_first = torch.randn(2, 3, 6, 5)
    kernel = torch.randn(3, 3, 3, 4)
    expected = {
        "conv": ops.conv(x_first, kernel, padding="same", data_format="channels_first"),
        "max_pool": ops.max_pool(x_first, 2, data_format="channels_first"),
        "adaptive_average_pool": ops.adaptive_average_pool(x_first, 2, data_format="channels_first"),
        "depth_to_space": ops.depth_to_space(torch.randn(1, 8, 2, 2), 2, data_format="channels_first"),
    }
    config.set_image_data_format("channels_first")
    try:
        got = {
            "conv": ops.conv(x_first, kernel, padding="same"),
            "max_pool": ops.max_pool(x_first, 2),
            "adaptive_average_pool": ops.adaptive_average_pool(x_first, 2),
        }
    finally:
        config.set_image_data_format("channels_last")
    for name, value in got.items():
        np.testing.assert_allclose(_np(value), _np(expected[name]), rtol=1e-6, err_msg=name)
    assert tuple(expected["depth_to_space"].shape) == (1, 2, 4, 4)


def test_losses_and_ops_share_the_crossentropies():
    y = torch.tensor([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]])
    p = torch.tensor([[0.2, 0.7, 0.1], [0.5, 0.3, 0.2]])
    np.testing.assert_array_equal(_np(losses.categorical_crossentropy(y, p)),
                                  _np(ops.categorical_crossentropy(y, p)))
    np.testing.assert_array_equal(_np(losses.sparse_categorical_crossentropy(torch.tensor([1, 0]), p)),
                                  _np(ops.sparse_categorical_crossentropy([1, 0], p)))
    np.testing.assert_array_equal(_np(losses.binary_crossentropy(y, p)),
                                  _np(ops.binary_crossentropy(y, p).mean(-1)))
    # hand: -log(0.7), -log(0.5)
    np.testing.assert_allclose(_np(ops.categorical_crossentropy(y, p)), [-math.log(0.7), -math.log(0.5)],
                               rtol=1e-6)


def test_results_are_torch_tensors_on_the_configured_device():
    out = ops.relu(np.array([-1.0, 1.0], "float32"))
    assert isinstance(out, torch.Tensor) and out.device == kerastorch.config.get_device()
