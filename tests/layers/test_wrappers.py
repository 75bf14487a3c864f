"""Bidirectional and TimeDistributed against real Keras 3 with the same weights."""

import numpy as np
import pytest
import torch

import kerastorch
from kerastorch import layers

B, T, F = 3, 5, 4
MASK = np.array([[1, 1, 1, 1, 1], [1, 1, 1, 0, 0], [1, 0, 1, 1, 0]], bool)   # last row has a hole


def _inputs(seed=1):
    return np.random.default_rng(seed).normal(size=(B, T, F)).astype("float32")


def _np(x):
    if isinstance(x, (list, tuple)):
        return [_np(v) for v in x]
    return x.detach().cpu().numpy() if isinstance(x, torch.Tensor) else np.asarray(x)


def _pair(keras, rnn_name, rnn_kwargs, merge_mode, fast=True):
    ours = layers.Bidirectional(getattr(layers, rnn_name)(**rnn_kwargs), merge_mode=merge_mode)
    ours.build((None, T, F))
    for sub in (ours.forward_layer, ours.backward_layer):
        sub._fast_path_enabled = fast
    rng = np.random.default_rng(3)
    weights = [rng.normal(scale=0.5, size=w.shape).astype("float32") for w in ours.get_weights()]
    ours.set_weights(weights)
    theirs = keras.layers.Bidirectional(getattr(keras.layers, rnn_name)(**rnn_kwargs), merge_mode=merge_mode)
    theirs.build((None, T, F))
    theirs.set_weights(weights)
    ours.eval()
    return ours, theirs


def _compare(got, want):
    if isinstance(want, (list, tuple)):
        assert len(got) == len(want)
        for g, w in zip(got, want):
            np.testing.assert_allclose(g, w, atol=1e-5)
    else:
        np.testing.assert_allclose(got, want, atol=1e-5)


@pytest.mark.parametrize("fast", [True, False], ids=["fused", "loop"])
@pytest.mark.parametrize("merge_mode", ["concat", "sum", "mul", "ave", None])
@pytest.mark.parametrize("rnn_name,rnn_kwargs", [
    ("LSTM", {"units": 3}),
    ("GRU", {"units": 3, "return_sequences": True}),
    ("SimpleRNN", {"units": 3, "return_sequences": True}),
], ids=["lstm", "gru_seq", "rnn_seq"])
def test_bidirectional_matches_keras(keras, rnn_name, rnn_kwargs, merge_mode, fast):
    ours, theirs = _pair(keras, rnn_name, rnn_kwargs, merge_mode, fast)
    x = _inputs()
    _compare(_np(ours(torch.from_numpy(x))), _np(theirs(x)))
    assert ours.forward_layer._last_path == ("fused" if fast else "loop")


@pytest.mark.parametrize("merge_mode", ["concat", "ave"])
@pytest.mark.parametrize("return_sequences", [True, False])
def test_bidirectional_with_mask_matches_keras(keras, merge_mode, return_sequences):
    ours, theirs = _pair(keras, "LSTM", {"units": 3, "return_sequences": return_sequences}, merge_mode)
    x = _inputs()
    got = ours(torch.from_numpy(x), mask=torch.from_numpy(MASK))
    _compare(_np(got), _np(theirs(x, mask=MASK)))


def test_bidirectional_return_state_matches_keras(keras):
    ours, theirs = _pair(keras, "LSTM", {"units": 3, "return_state": True}, "concat")
    x = _inputs()
    got, want = _np(ours(torch.from_numpy(x))), _np(theirs(x))
    assert len(got) == 5     # output, forward h and c, backward h and c
    _compare(got, want)
    assert [tuple(s) for s in ours.compute_output_shape((None, T, F))] == \
        [tuple(s) for s in theirs.compute_output_shape((None, T, F))]


def test_bidirectional_weights_order_and_names(keras):
    ours = layers.Bidirectional(layers.GRU(2, name="enc"))
    ours.build((None, T, F))
    theirs = keras.layers.Bidirectional(keras.layers.GRU(2, name="enc"))
    theirs.build((None, T, F))
    assert [w.shape for w in ours.get_weights()] == [tuple(w.shape) for w in theirs.get_weights()]
    assert ours.forward_layer.name == "forward_enc" and ours.backward_layer.name == "backward_enc"
    assert ours.backward_layer.go_backwards and not ours.forward_layer.go_backwards
    # forward_layer's weights come first
    first = ours.get_weights()[0]
    np.testing.assert_array_equal(first, ours.forward_layer.get_weights()[0])


def test_bidirectional_config_round_trip(keras):
    ours = layers.Bidirectional(layers.LSTM(3, return_sequences=True), merge_mode="sum")
    config = ours.get_config()
    ref = keras.layers.Bidirectional(keras.layers.LSTM(3, return_sequences=True), merge_mode="sum").get_config()
    assert set(config) == set(ref)
    assert config["layer"]["class_name"] == "LSTM" and config["backward_layer"]["config"]["go_backwards"]
    clone = layers.Bidirectional.from_config(config)
    assert clone.merge_mode == "sum" and clone.forward_layer.units == 3
    assert clone.compute_output_shape((None, T, F)) == (None, T, 3)


def test_bidirectional_errors():
    with pytest.raises(ValueError, match=r"merge_mode='max'.*'concat', 'sum', 'mul', 'ave' or None"):
        layers.Bidirectional(layers.LSTM(2), merge_mode="max")
    with pytest.raises(ValueError, match=r"must be a recurrent layer.*Dense"):
        layers.Bidirectional(layers.Dense(2))
    with pytest.raises(ValueError, match=r"opposite go_backwards.*go_backwards=True"):
        layers.Bidirectional(layers.LSTM(2), backward_layer=layers.LSTM(2))


def test_text_model_summary_and_count_match_keras(keras, capsys):
    ours = kerastorch.Sequential([layers.Input(shape=(20,), dtype="int32"), layers.Embedding(1000, 16),
                                  layers.Bidirectional(layers.LSTM(32)), layers.Dense(1, activation="sigmoid")])
    theirs = keras.Sequential([keras.Input(shape=(20,), dtype="int32"), keras.layers.Embedding(1000, 16),
                               keras.layers.Bidirectional(keras.layers.LSTM(32)),
                               keras.layers.Dense(1, activation="sigmoid")])
    assert ours.count_params() == theirs.count_params() == 28609
    assert ours.output_shape == (None, 1)
    assert [l.compute_output_shape(l.input.shape) for l in ours.layers] == [(None, 20, 16), (None, 64), (None, 1)]
    ours.summary()
    printed = capsys.readouterr().out
    assert "28,609" in printed and "(None, 64)" in printed and "12,544" in printed


def test_text_model_trains():
    rng = np.random.default_rng(0)
    x = rng.integers(1, 50, size=(128, 8))
    y = (x[:, 0] > 25).astype("float32")[:, None]
    model = kerastorch.Sequential([layers.Input(shape=(8,), dtype="int32"), layers.Embedding(50, 8),
                                   layers.Bidirectional(layers.GRU(8)), layers.Dense(1, activation="sigmoid")])
    model.compile(loss="binary_crossentropy", optimizer=kerastorch.optimizers.Adam(0.01))
    history = model.fit(x, y, epochs=15, batch_size=32, verbose=0)
    assert history.history["loss"][-1] < 0.5 * history.history["loss"][0]


def test_time_distributed_dense_matches_keras(keras):
    ours = layers.TimeDistributed(layers.Dense(2, activation="relu"))
    ours.build((None, T, F))
    rng = np.random.default_rng(4)
    weights = [rng.normal(size=w.shape).astype("float32") for w in ours.get_weights()]
    ours.set_weights(weights)
    theirs = keras.layers.TimeDistributed(keras.layers.Dense(2, activation="relu"))
    theirs.build((None, T, F))
    theirs.set_weights(weights)
    x = _inputs()
    np.testing.assert_allclose(_np(ours(torch.from_numpy(x))), _np(theirs(x)), atol=1e-5)
    assert ours.compute_output_shape((None, T, F)) == tuple(theirs.compute_output_shape((None, T, F)))
    assert ours.count_params() == theirs.count_params()


def test_time_distributed_in_sequential_after_lstm_and_mask_passes_through():
    model = kerastorch.Sequential([layers.Input(shape=(6,), dtype="int32"), layers.Embedding(10, 4, mask_zero=True),
                                   layers.LSTM(3, return_sequences=True), layers.TimeDistributed(layers.Dense(2))])
    assert model.output_shape == (None, 6, 2)
    ids = torch.tensor([[1, 2, 3, 0, 0, 0]])
    seq = model.layers[1](model.layers[0](ids), mask=ids != 0)
    torch.testing.assert_close(model(ids), model.layers[2](seq))
    assert torch.equal(model.layers[2].compute_mask(seq, ids != 0), ids != 0)


def test_time_distributed_rejects_2d_input():
    with pytest.raises(ValueError, match=r"TimeDistributed .* at least 3 axes .*got shape \(None, 4\)"):
        layers.TimeDistributed(layers.Dense(2))(torch.zeros(2, 4))
