"""SimpleRNN / LSTM / GRU against real Keras 3 (same weights), both the fused and the loop path."""

import math

import numpy as np
import pytest
import torch

import kerastorch
from kerastorch import layers

B, T, F = 3, 5, 4


def _inputs(seed=1):
    return np.random.default_rng(seed).normal(size=(B, T, F)).astype("float32")


def _randomize(layer, seed=2):
    """Random weights everywhere (biases too, so every bias slot is exercised)."""
    rng = np.random.default_rng(seed)
    layer.set_weights([rng.normal(scale=0.5, size=w.shape).astype("float32") for w in layer.get_weights()])


def _ours_and_keras(keras, cls_name, kwargs, fast=True, build_shape=(None, T, F)):
    ours = getattr(layers, cls_name)(**kwargs)
    ours.build(build_shape)
    ours._fast_path_enabled = fast
    _randomize(ours)
    theirs = getattr(keras.layers, cls_name)(**kwargs)
    theirs.build(build_shape)
    theirs.set_weights(ours.get_weights())
    return ours, theirs


def _np(x):
    if isinstance(x, (list, tuple)):
        return [_np(v) for v in x]
    return x.detach().cpu().numpy() if isinstance(x, torch.Tensor) else np.asarray(x)


CONFIGS = [
    ("LSTM", {"units": 3}),
    ("LSTM", {"units": 3, "return_sequences": True}),
    ("LSTM", {"units": 3, "return_sequences": True, "go_backwards": True}),
    ("LSTM", {"units": 3, "return_state": True}),
    ("LSTM", {"units": 3, "use_bias": False, "return_sequences": True}),
    ("GRU", {"units": 3}),
    ("GRU", {"units": 3, "return_sequences": True, "go_backwards": True}),
    ("GRU", {"units": 3, "return_state": True, "return_sequences": True}),
    ("GRU", {"units": 3, "reset_after": False}),
    ("GRU", {"units": 3, "reset_after": False, "return_sequences": True, "go_backwards": True}),
    ("GRU", {"units": 3, "use_bias": False, "return_sequences": True}),
    ("SimpleRNN", {"units": 3}),
    ("SimpleRNN", {"units": 3, "return_sequences": True}),
    ("SimpleRNN", {"units": 3, "return_sequences": True, "go_backwards": True}),
    ("SimpleRNN", {"units": 3, "return_state": True}),
    ("SimpleRNN", {"units": 3, "activation": "relu", "return_sequences": True}),
]
# Configurations the fused kernels do not cover: always the loop.
LOOP_ONLY = [
    ("LSTM", {"units": 3, "activation": "relu", "recurrent_activation": "hard_sigmoid",
              "return_sequences": True}),
    ("GRU", {"units": 3, "activation": "softsign", "return_sequences": True}),
    ("SimpleRNN", {"units": 3, "activation": "sigmoid", "return_sequences": True}),
    ("LSTM", {"units": 3, "recurrent_dropout": 0.3, "dropout": 0.2}),   # dropout inactive in inference
]


def _check(ours, theirs, x, mask=None):
    kwargs = {} if mask is None else {"mask": mask}
    got = _np(ours(torch.from_numpy(x), **({} if mask is None else {"mask": torch.from_numpy(mask)})))
    want = _np(theirs(x, **kwargs))
    if isinstance(want, list):
        assert isinstance(got, list) and len(got) == len(want)
        for g, w in zip(got, want):
            np.testing.assert_allclose(g, w, atol=1e-5)
    else:
        np.testing.assert_allclose(got, want, atol=1e-5)


@pytest.mark.parametrize("fast", [True, False], ids=["fused", "loop"])
@pytest.mark.parametrize("cls_name,kwargs", CONFIGS, ids=lambda v: v if isinstance(v, str) else None)
def test_matches_keras_both_paths(keras, cls_name, kwargs, fast):
    ours, theirs = _ours_and_keras(keras, cls_name, kwargs, fast=fast)
    ours.eval()
    _check(ours, theirs, _inputs())
    fused_ok = not (cls_name == "GRU" and kwargs.get("reset_after") is False)
    assert ours._last_path == ("fused" if fast and fused_ok else "loop")


@pytest.mark.parametrize("cls_name,kwargs", LOOP_ONLY, ids=lambda v: v if isinstance(v, str) else None)
def test_non_default_configs_use_the_loop_and_match_keras(keras, cls_name, kwargs):
    ours, theirs = _ours_and_keras(keras, cls_name, kwargs)
    ours.eval()
    _check(ours, theirs, _inputs())
    if "recurrent_dropout" in kwargs:
        assert ours._last_path == "fused"    # recurrent dropout is off in inference
    else:
        assert ours._last_path == "loop"


MASKS = {
    "right_padded": np.array([[1, 1, 1, 1, 1], [1, 1, 1, 0, 0], [1, 0, 0, 0, 0]], bool),
    "with_empty_row": np.array([[1, 1, 1, 0, 0], [0, 0, 0, 0, 0], [1, 1, 1, 1, 0]], bool),
    "left_padded": np.array([[0, 0, 1, 1, 1], [1, 1, 1, 1, 1], [0, 1, 1, 1, 1]], bool),
    "holes": np.array([[1, 0, 1, 0, 1], [1, 1, 0, 0, 1], [0, 1, 1, 0, 0]], bool),
}


@pytest.mark.parametrize("mask_name", list(MASKS))
@pytest.mark.parametrize("cls_name,kwargs", [
    ("LSTM", {"units": 3, "return_sequences": True}),
    ("LSTM", {"units": 3, "return_state": True}),
    ("LSTM", {"units": 3, "return_sequences": True, "go_backwards": True}),
    ("LSTM", {"units": 3, "return_sequences": True, "zero_output_for_mask": True}),
    ("GRU", {"units": 3, "return_sequences": True, "go_backwards": True, "return_state": True}),
    ("GRU", {"units": 3, "reset_after": False, "return_sequences": True}),
    ("SimpleRNN", {"units": 3, "return_sequences": True}),
    ("SimpleRNN", {"units": 3, "go_backwards": True, "zero_output_for_mask": True, "return_sequences": True}),
], ids=lambda v: v if isinstance(v, str) else None)
def test_masked_steps_match_keras(keras, cls_name, kwargs, mask_name):
    ours, theirs = _ours_and_keras(keras, cls_name, kwargs)
    ours.eval()
    mask = MASKS[mask_name]
    _check(ours, theirs, _inputs(), mask)
    fused_ok = not (cls_name == "GRU" and kwargs.get("reset_after") is False)
    if mask_name in ("right_padded", "with_empty_row") and fused_ok:
        assert ours._last_path == "fused"
    else:
        assert ours._last_path == "loop"


def test_embedding_mask_zero_into_lstm_matches_keras_sequential(keras):
    ids = np.array([[5, 3, 8, 0, 0], [1, 2, 0, 0, 0], [0, 0, 4, 7, 9], [6, 0, 2, 0, 3]], dtype="int64")
    ours = kerastorch.Sequential([layers.Input(shape=(5,), dtype="int32"),
                                  layers.Embedding(10, 4, mask_zero=True),
                                  layers.LSTM(3, return_sequences=True), layers.LSTM(2)])
    theirs = keras.Sequential([keras.Input(shape=(5,), dtype="int32"),
                               keras.layers.Embedding(10, 4, mask_zero=True),
                               keras.layers.LSTM(3, return_sequences=True), keras.layers.LSTM(2)])
    rng = np.random.default_rng(0)
    weights = [rng.normal(scale=0.5, size=w.shape).astype("float32") for w in ours.get_weights()]
    ours.set_weights(weights)
    theirs.set_weights(weights)
    ours.eval()
    got = ours(torch.from_numpy(ids)).detach().numpy()
    want = keras.ops.convert_to_numpy(theirs(ids.astype("int32")))
    np.testing.assert_allclose(got, want, atol=1e-5)


def test_initial_weights_follow_keras_initializers():
    layer = layers.LSTM(8)
    layer.build((None, T, 6))
    kernel, recurrent, bias = layer.get_weights()
    assert kernel.shape == (6, 32) and recurrent.shape == (8, 32) and bias.shape == (32,)
    assert np.abs(kernel).max() <= math.sqrt(6 / (6 + 32)) + 1e-6       # glorot_uniform on (in, 4u)
    np.testing.assert_allclose(recurrent @ recurrent.T, np.eye(8), atol=1e-5)  # orthogonal rows
    np.testing.assert_array_equal(bias, np.r_[np.zeros(8), np.ones(8), np.zeros(16)])  # unit_forget_bias
    gru = layers.GRU(4)
    gru.build((None, T, 6))
    assert [w.shape for w in gru.get_weights()] == [(6, 12), (4, 12), (2, 12)]
    gru_before = layers.GRU(4, reset_after=False)
    gru_before.build((None, T, 6))
    assert gru_before.get_weights()[2].shape == (12,)


def test_fused_and_loop_gradients_agree():
    x = torch.randn(B, T, F)
    grads = []
    for fast in (True, False):
        torch.manual_seed(0)
        layer = layers.GRU(3, return_sequences=True)
        layer._fast_path_enabled = fast
        layer(x).square().sum().backward()
        grads.append([p.grad.clone() for p in layer.parameters()])
    for a, b in zip(*grads):
        torch.testing.assert_close(a, b, atol=1e-5, rtol=1e-4)


def test_dropout_only_in_training():
    layer = layers.LSTM(4, dropout=0.5, recurrent_dropout=0.5)
    x = torch.randn(B, T, F)
    assert torch.equal(layer(x, training=False), layer(x, training=False))
    assert not torch.allclose(layer(x, training=True), layer(x, training=False))
    assert layer._last_path == "fused"
    layer(x, training=True)
    assert layer._last_path == "loop"           # recurrent dropout in training needs the loop


def test_input_dropout_mask_is_shared_across_time_steps():
    # With all-equal steps and a linear, bias-free SimpleRNN whose recurrent kernel is 0,
    # every step's output is (x * mask) @ kernel: identical steps iff the mask is shared.
    layer = layers.SimpleRNN(6, activation="linear", use_bias=False, dropout=0.5, return_sequences=True)
    layer.build((None, T, 8))
    layer.set_weights([np.eye(8, 6, dtype="float32"), np.zeros((6, 6), "float32")])
    out = layer(torch.ones(2, T, 8), training=True)
    assert torch.equal(out, out[:, :1].expand_as(out))
    assert set(out.unique().tolist()) <= {0.0, 2.0}


def test_stateful_carries_states_between_calls():
    torch.manual_seed(0)
    full = layers.LSTM(3)
    x = torch.randn(2, 6, F)
    want = full(x)
    split = layers.LSTM(3, stateful=True)
    split.build((None, 3, F))
    split.set_weights(full.get_weights())
    split(x[:, :3])
    torch.testing.assert_close(split(x[:, 3:]), want)
    split.reset_states()
    assert not torch.allclose(split(x[:, 3:]), want)


def test_initial_state_is_used():
    layer = layers.SimpleRNN(2, use_bias=False, activation="linear")
    layer.build((None, 1, 1))
    layer.set_weights([np.array([[1.0, 0.0]], "float32"), np.array([[2.0, 0.0], [0.0, 3.0]], "float32")])
    out = layer(torch.tensor([[[1.0]]]), initial_state=[torch.tensor([[1.0, 1.0]])])
    # [1] @ [[1, 0]] + [1, 1] @ diag(2, 3) = [3, 3]
    np.testing.assert_allclose(out.detach().numpy(), [[3.0, 3.0]])


@pytest.mark.parametrize("cls_name", ["SimpleRNN", "LSTM", "GRU"])
def test_config_matches_keras_and_round_trips(keras, cls_name):
    ours = getattr(layers, cls_name)(5, return_sequences=True, dropout=0.1)
    theirs = getattr(keras.layers, cls_name)(5, return_sequences=True, dropout=0.1)
    mine, ref = ours.get_config(), theirs.get_config()
    assert set(mine) == set(ref)
    for key in ref:
        if key not in ("name", "dtype"):
            assert mine[key] == ref[key], key
    clone = type(ours).from_config(mine)
    assert {k: v for k, v in clone.get_config().items() if k != "name"} == \
        {k: v for k, v in mine.items() if k != "name"}


@pytest.mark.parametrize("cls_name,kwargs", [("LSTM", {}), ("GRU", {}), ("GRU", {"reset_after": False}),
                                             ("SimpleRNN", {"return_state": True})])
def test_output_shape_and_params_match_keras(keras, cls_name, kwargs):
    ours = getattr(layers, cls_name)(7, **kwargs)
    theirs = getattr(keras.layers, cls_name)(7, **kwargs)
    ours.build((None, None, 3))
    theirs.build((None, None, 3))
    assert ours.count_params() == theirs.count_params()
    want = theirs.compute_output_shape((None, None, 3))
    got = ours.compute_output_shape((None, None, 3))
    if isinstance(want, (list, tuple)) and want and isinstance(want[0], tuple):
        assert [tuple(s) for s in got] == [tuple(s) for s in want]
    else:
        assert tuple(got) == tuple(want)


def test_2d_input_error_names_layer_shape_and_fix():
    layer = layers.LSTM(4, name="encoder")
    with pytest.raises(ValueError, match=r"LSTM layer 'encoder' expects 3D input \(batch, timesteps, features\), "
                                         r"got shape \(None, 8\).*layers\.Reshape\(\(8, 1\)\)"):
        layer(torch.zeros(2, 8))
    with pytest.raises(ValueError, match=r"layer 'gru'.*\(batch, timesteps, features\).*Reshape"):
        kerastorch.Sequential([layers.Input(shape=(8,)), layers.GRU(2, name="gru")])


def test_unknown_activation_error_names_layer_and_argument():
    with pytest.raises(ValueError, match=r"LSTM layer 'lstm_x'.*`recurrent_activation`='sigmoidd'.*"
                                         r"Did you mean 'sigmoid'"):
        layers.LSTM(2, recurrent_activation="sigmoidd", name="lstm_x")
    with pytest.raises(ValueError, match=r"SimpleRNN layer .*`activation`='tanhh'.*Did you mean 'tanh'"):
        layers.SimpleRNN(2, activation="tanhh")


def test_sequential_lstm_trains():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 6, 2)).astype("float32")
    y = x.sum(axis=(1, 2))[:, None].astype("float32") / 4
    model = kerastorch.Sequential([layers.Input(shape=(6, 2)), layers.LSTM(8), layers.Dense(1)])
    model.compile(loss="mse", optimizer="adam")
    history = model.fit(x, y, epochs=25, batch_size=16, verbose=0)
    losses = history.history["loss"]
    assert losses[-1] < 0.5 * losses[0]


def test_regularizer_penalty_and_float64_inputs():
    layer = layers.GRU(3, kernel_regularizer="l2", recurrent_regularizer=kerastorch.regularizers.L1(0.1))
    out = layer(torch.randn(2, 4, F, dtype=torch.float64))
    assert out.dtype == torch.float32
    kernel, recurrent, _ = layer.get_weights()
    penalties = [float(p.detach()) for p in layer.losses]
    np.testing.assert_allclose(penalties, [0.01 * np.square(kernel).sum(), 0.1 * np.abs(recurrent).sum()],
                               rtol=1e-5)
