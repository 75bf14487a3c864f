"""ConvLSTM1D/2D/3D against real Keras 3 with the same weights: outputs, states, shapes, configs."""

import numpy as np
import pytest
import torch

from kerastorch import layers

# rank -> channels_last sample shape (time, *spatial, channels)
SAMPLES = {1: (4, 7, 2), 2: (3, 6, 5, 2), 3: (2, 4, 5, 4, 1)}
OPTIONS = [
    dict(filters=2, kernel_size=3),
    dict(filters=3, kernel_size=2, padding="same", return_sequences=True),
    dict(filters=2, kernel_size=3, strides=2, return_state=True),
    dict(filters=2, kernel_size=2, dilation_rate=2, go_backwards=True, return_sequences=True),
    dict(filters=2, kernel_size=3, padding="same", data_format="channels_first", return_state=True,
         return_sequences=True),
    dict(filters=2, kernel_size=1, use_bias=False, activation="relu", recurrent_activation="hard_sigmoid"),
]
# Every option runs masked for some ranks and unmasked for others.
CASES = [(rank, i, (rank + i) % 2 == 0) for rank in SAMPLES for i in range(len(OPTIONS))]


def _pair(keras, rank, options, sample):
    name = f"ConvLSTM{rank}D"
    ours, theirs = getattr(layers, name)(**options), getattr(keras.layers, name)(**options)
    theirs.build((None, *sample))
    ours.build((None, *sample))
    rng = np.random.default_rng(3)
    weights = [rng.uniform(-0.5, 0.5, w.shape).astype("float32") for w in theirs.get_weights()]
    assert [w.shape for w in ours.get_weights()] == [w.shape for w in weights]
    theirs.set_weights(weights)
    ours.set_weights(weights)
    return ours, theirs


def _outputs(out):
    return list(out) if isinstance(out, (list, tuple)) else [out]


@pytest.mark.parametrize("rank,case,masked", CASES)
def test_conv_lstm_matches_keras(keras, rank, case, masked):
    options = OPTIONS[case]
    sample = SAMPLES[rank]
    if options.get("data_format") == "channels_first":
        sample = (sample[0], sample[-1], *sample[1:-1])
    x = np.random.default_rng(0).standard_normal((3, *sample)).astype("float32")
    mask = np.array([[1] * sample[0], [1] * (sample[0] - 1) + [0], [1] + [0] * (sample[0] - 1)], bool)
    ours, theirs = _pair(keras, rank, options, sample)
    want = _outputs(theirs(x, mask=mask if masked else None))
    got = _outputs(ours(torch.from_numpy(x), mask=torch.from_numpy(mask) if masked else None))
    assert len(got) == len(want)
    for a, b in zip(got, want):
        np.testing.assert_allclose(a.detach().numpy(), keras.ops.convert_to_numpy(b), atol=1e-5, rtol=1e-5)
    shape = ours.compute_output_shape((None, *sample))
    expected = theirs.compute_output_shape((None, *sample))
    assert (list(shape) if options.get("return_state") else shape) == \
        ([tuple(s) for s in expected] if options.get("return_state") else tuple(expected))
    strip = ("name",)
    assert {k: v for k, v in ours.get_config().items() if k not in strip} == \
        {k: v for k, v in theirs.get_config().items() if k not in strip}


def test_conv_lstm_weight_paths_and_forget_bias(keras):
    keras.utils.clear_session(free_memory=False)
    x = np.zeros((1, 2, 5, 5, 2), "float32")
    ours, theirs = layers.ConvLSTM2D(3, 3), keras.layers.ConvLSTM2D(3, 3)
    ours(torch.from_numpy(x))
    theirs(x)
    assert [v.path for v in ours.weights] == [v.path for v in theirs.weights]
    np.testing.assert_array_equal(ours.get_weights()[2], [0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0])
    np.testing.assert_array_equal(ours.get_weights()[2], theirs.get_weights()[2])
    assert ours.filters == 3 and ours.kernel_size == (3, 3)


def test_conv_lstm_initial_state_and_stateful(keras):
    x = np.random.default_rng(1).standard_normal((2, 3, 6, 2)).astype("float32")
    ours, theirs = _pair(keras, 1, dict(filters=2, kernel_size=3, padding="same"), (3, 6, 2))
    h0 = np.random.default_rng(2).standard_normal((2, 6, 2)).astype("float32")
    c0 = np.random.default_rng(3).standard_normal((2, 6, 2)).astype("float32")
    want = keras.ops.convert_to_numpy(theirs(x, initial_state=[h0, c0]))
    got = ours(torch.from_numpy(x), initial_state=[torch.from_numpy(h0), torch.from_numpy(c0)])
    np.testing.assert_allclose(got.detach().numpy(), want, atol=1e-5)
    stateful = layers.ConvLSTM1D(2, 3, padding="same", stateful=True)
    first = stateful(torch.from_numpy(x))
    again = stateful(torch.from_numpy(x))
    assert not torch.allclose(first, again)
    stateful.reset_states()
    torch.testing.assert_close(stateful(torch.from_numpy(x)), first)


def test_conv_lstm_dropout_only_in_training():
    layer = layers.ConvLSTM1D(2, 3, dropout=0.5, recurrent_dropout=0.5, seed=1)
    x = torch.randn(2, 3, 6, 2)
    plain = layer(x, training=False)
    torch.testing.assert_close(layer(x, training=False), plain)
    assert not torch.allclose(layer(x, training=True), plain)


ERRORS = [
    (dict(filters=0, kernel_size=3), "`filters` must be a positive int"),
    (dict(filters=2, kernel_size=(3, 3)), r"`kernel_size` must be an int or a tuple of 1"),
    (dict(filters=2, kernel_size=3, padding="full"), "'valid' or 'same'"),
    (dict(filters=2, kernel_size=3, strides=2, dilation_rate=2), "not compatible with `dilation_rate > 1`"),
    (dict(filters=2, kernel_size=3, dropout=1.5), r"`dropout` must be a float in \[0, 1\]"),
]


@pytest.mark.parametrize("kwargs,match", ERRORS)
def test_conv_lstm_argument_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        layers.ConvLSTM1D(**kwargs)


def test_conv_lstm_rank_error():
    with pytest.raises(ValueError, match=r"expects inputs of rank 5.*\(None, 3, 4\)"):
        layers.ConvLSTM2D(2, 3)(torch.zeros(2, 3, 4))
