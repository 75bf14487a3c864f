"""STFTSpectrogram against real Keras 3: kernels (initializers.STFT), outputs, shapes, configs."""

import warnings

import numpy as np
import pytest
import torch

from kerastorch import layers

MODES = ["log", "magnitude", "psd", "real", "imag", "angle", "stft"]
OPTIONS = [
    dict(frame_length=16, frame_step=8, fft_length=16),
    dict(frame_length=12, window="hamming", periodic=True, scaling="spectrum", padding="same"),
    dict(frame_length=16, frame_step=4, fft_length=32, window=None, scaling=None, expand_dims=True),
    dict(frame_length=16, frame_step=16, data_format="channels_first"),
    dict(frame_length=10, frame_step=5, data_format="channels_first", expand_dims=True, padding="same"),
]
CASES = [(mode, i) for mode in MODES for i in range(len(OPTIONS))]


@pytest.mark.parametrize("mode,case", CASES)
def test_stft_spectrogram_matches_keras(keras, mode, case):
    kwargs = dict(mode=mode, **OPTIONS[case])
    shape = (2, 2, 70) if kwargs.get("data_format") == "channels_first" else (2, 70, 2)
    x = np.random.default_rng(case).standard_normal(shape).astype("float32")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")              # fft_length not a power of two
        ours, theirs = layers.STFTSpectrogram(**kwargs), keras.layers.STFTSpectrogram(**kwargs)
    want = keras.ops.convert_to_numpy(theirs(x))
    got = ours(torch.from_numpy(x))
    for a, b in zip(ours.get_weights(), theirs.get_weights()):      # the initializer's kernels
        np.testing.assert_allclose(a, b, atol=1e-6)
    assert [v.path.split("/")[-1] for v in ours.weights] == [v.path.split("/")[-1] for v in theirs.weights]
    assert tuple(got.shape) == want.shape
    np.testing.assert_allclose(got.detach().numpy(), want, atol=1e-5, rtol=1e-5)
    batch_shape = (None, *shape[1:])
    assert ours.compute_output_shape(batch_shape) == tuple(theirs.compute_output_shape(batch_shape))
    strip = ("name",)
    assert {k: v for k, v in ours.get_config().items() if k not in strip} == \
        {k: v for k, v in theirs.get_config().items() if k not in strip}


def test_stft_magnitude_of_a_pure_tone_peaks_at_its_bin():
    n = 64
    tone = np.cos(2 * np.pi * 8 * np.arange(256) / n).astype("float32")      # bin 8 of a 64-point FFT
    layer = layers.STFTSpectrogram(mode="magnitude", frame_length=n, frame_step=n, fft_length=n, scaling=None)
    out = layer(torch.from_numpy(tone)[None, :, None]).detach().numpy()
    assert (out.argmax(axis=-1) == 8).all()


ERRORS = [
    (dict(frame_length=16, frame_step=20), "`frame_step` must be a positive int"),
    (dict(frame_length=16, fft_length=8), "`fft_length` must be at least"),
    (dict(mode="power"), "invalid mode"),
    (dict(scaling="energy"), "invalid scaling"),
    (dict(padding="causal"), "invalid padding"),
]


@pytest.mark.parametrize("kwargs,match", ERRORS)
def test_stft_argument_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        layers.STFTSpectrogram(**kwargs)


def test_stft_input_errors():
    layer = layers.STFTSpectrogram(frame_length=8)
    with pytest.raises(ValueError, match="expects inputs of rank 3"):
        layer(torch.zeros(2, 32))


MEL_CASES = [
    dict(fft_length=64, sequence_stride=32, num_mel_bins=8),
    dict(fft_length=128, sequence_length=100, sequence_stride=50, window="hamming", num_mel_bins=16,
         power_to_db=False, mag_exp=1.0),
    dict(fft_length=256, sequence_stride=64, sampling_rate=8000, num_mel_bins=20, min_freq=100.0, max_freq=3000.0,
         top_db=40.0, ref_power=2.0, min_power=1e-6),
    dict(fft_length=64, sequence_stride=16, window=None, num_mel_bins=10),
]


@pytest.mark.parametrize("kwargs", MEL_CASES, ids=str)
@pytest.mark.parametrize("batched", [True, False])
def test_mel_spectrogram_matches_keras(keras, kwargs, batched):
    x = np.random.default_rng(0).standard_normal((2, 1000) if batched else (1000,)).astype("float32")
    ours, theirs = layers.MelSpectrogram(**kwargs), keras.layers.MelSpectrogram(**kwargs)
    want = keras.ops.convert_to_numpy(theirs(x))
    got = ours(torch.from_numpy(x)).numpy()
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, atol=1e-5, rtol=1e-5)
    shape = (None, 1000) if batched else (1000,)
    assert ours.compute_output_shape(shape) == tuple(theirs.compute_output_shape(shape))
    n = kwargs["fft_length"] // 2 + 1
    np.testing.assert_allclose(
        ours.linear_to_mel_weight_matrix(8, n, 16000, 20.0, 8000.0).numpy(),
        keras.ops.convert_to_numpy(theirs.linear_to_mel_weight_matrix(8, n, 16000, 20.0, 8000.0)), atol=1e-6)
    strip = ("name",)
    assert {k: v for k, v in ours.get_config().items() if k not in strip} == \
        {k: v for k, v in theirs.get_config().items() if k not in strip}
    assert ours.weights == [] and theirs.weights == []


def test_mel_spectrogram_errors():
    with pytest.raises(ValueError, match="`fft_length` must be at least `sequence_length`"):
        layers.MelSpectrogram(fft_length=64, sequence_length=128)
