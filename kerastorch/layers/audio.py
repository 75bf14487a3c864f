"""Audio preprocessing layers: `STFTSpectrogram` (a short-time Fourier transform as a convolution) and
`MelSpectrogram` (mel bands of the STFT power, in decibels)."""

import math
import warnings

import torch

from kerastorch import config, initializers
from kerastorch.layers.base import Layer, format_shape

_MODES = ("log", "magnitude", "psd", "real", "imag", "angle", "stft")


class STFTSpectrogram(Layer):
    """Spectrogram of a signal by the short-time Fourier transform, computed as a strided convolution.

    As in Keras, the transform is two 1D convolutions whose kernels (`real_kernel`, `imag_kernel`, of
    shape `(frame_length, 1, fft_length // 2 + 1)`, initialized by `initializers.STFT` with the
    window and scaling) are weights, so they can be trained. Each channel is transformed on its own.

    Args:
        mode: `"log"` (log magnitude), `"magnitude"`, `"psd"` (power spectral density), `"real"`,
            `"imag"`, `"angle"` or `"stft"` (real and imaginary parts concatenated on the frequency
            axis). Defaults to `"log"`.
        frame_length: Int, the window length in samples. Defaults to `256`.
        frame_step: Int, the hop between windows. Defaults to `None` (`frame_length // 2`).
        fft_length: Int, the FFT size (at least `frame_length`). Defaults to `None` (the next power of 2).
        window: Window name (e.g. `"hann"`, `"hamming"`) or `None` (rectangular). Defaults to `"hann"`.
        periodic: Whether the window is periodic rather than symmetric. Defaults to `False`.
        scaling: `"density"`, `"spectrum"` or `None`, as `scipy.signal.stft`. Defaults to `"density"`.
        padding: `"valid"` or `"same"`. Defaults to `"valid"`.
        expand_dims: Whether to keep the frequency and channel axes apart (`(batch, time, freq,
            channels)`) instead of merging them. Defaults to `False`.
        data_format: `"channels_last"` (`(batch, samples, channels)`) or `"channels_first"`.
            Defaults to `None`, which means `kerastorch.config.image_data_format()`.

    Input shape: `(batch, samples, channels)` (channels_last). Output shape: `(batch, frames,
    freq * channels)`, or `(batch, frames, freq, channels)` with `expand_dims`.

    Example:
    >>> import torch
    >>> from kerastorch import layers
    >>> layer = layers.STFTSpectrogram(frame_length=16, frame_step=8, fft_length=16)
    >>> tuple(layer(torch.randn(2, 64, 1)).shape)
    (2, 7, 9)
    """

    def __init__(self, mode="log", frame_length=256, frame_step=None, fft_length=None, window="hann",
                 periodic=False, scaling="density", padding="valid", expand_dims=False, data_format=None, **kwargs):
        super().__init__(**kwargs)
        where = f"STFTSpectrogram layer '{self.name}'"
        if frame_step is not None and (frame_step > frame_length or frame_step < 1):
            raise ValueError(f"{where}: `frame_step` must be a positive int not greater than `frame_length`, got "
                             f"frame_step={frame_step!r}, frame_length={frame_length!r}.")
        if fft_length is not None and fft_length < frame_length:
            raise ValueError(f"{where}: `fft_length` must be at least `frame_length`, got fft_length={fft_length!r}, "
                             f"frame_length={frame_length!r}.")
        if fft_length is not None and (fft_length & -fft_length) != fft_length:
            warnings.warn(f"`fft_length` is recommended to be a power of two. Received fft_length={fft_length}",
                          stacklevel=2)
        if mode not in _MODES:
            raise ValueError(f"{where}: invalid mode={mode!r}; use one of {', '.join(_MODES)}.")
        if scaling is not None and scaling not in ("density", "spectrum"):
            raise ValueError(f"{where}: invalid scaling={scaling!r}; use None, 'density' or 'spectrum'.")
        if padding not in ("valid", "same"):
            raise ValueError(f"{where}: invalid padding={padding!r}; use 'valid' or 'same'.")
        self.mode, self.frame_length, self.frame_step, self.fft_length = mode, frame_length, frame_step, fft_length
        self._frame_step = frame_step or frame_length // 2
        self._fft_length = fft_length or 2 ** int(math.ceil(math.log2(frame_length)))
        self.window, self.periodic, self.scaling, self.padding = window, periodic, scaling, padding
        initializers.STFT("real", window, scaling, periodic)((1, 1, 1))    # an unknown window fails now
        self.expand_dims = expand_dims
        self.data_format = config.standardize_data_format(data_format)

    def _check(self, shape):
        if len(shape) != 3:
            raise ValueError(f"STFTSpectrogram layer '{self.name}' expects inputs of rank 3 (batch, samples, "
                             f"channels), got shape {format_shape(tuple(shape))}.")

    def build(self, input_shape):
        self._check(input_shape)
        shape = (self.frame_length, 1, self._fft_length // 2 + 1)
        if self.mode != "imag":
            self.real_kernel = self.add_weight(
                shape=shape, name="real_kernel",
                initializer=initializers.STFT("real", self.window, self.scaling, self.periodic))
        if self.mode != "real":
            self.imag_kernel = self.add_weight(
                shape=shape, name="imag_kernel",
                initializer=initializers.STFT("imag", self.window, self.scaling, self.periodic))
        self.built = True

    def _conv(self, inputs, kernel):
        from kerastorch.ops import conv

        cl = self.data_format == "channels_last"
        x = inputs.transpose(1, 2) if cl else inputs               # (batch, channels, samples)
        batch, channels, steps = x.shape
        x = x.reshape(-1, steps, 1) if cl else x.reshape(-1, 1, steps)
        out = conv(x, kernel.to(inputs.dtype), padding=self.padding, strides=self._frame_step,
                   data_format=self.data_format)
        out = out.transpose(1, 2) if cl else out                   # (batch * channels, freq, frames)
        return out.reshape(batch, channels, out.shape[1], out.shape[2])

    def _shape(self, out):
        batch, channels, freq, frames = out.shape
        if self.data_format == "channels_last":
            if self.expand_dims:
                return out.permute(0, 3, 2, 1)
            return out.reshape(batch, channels * freq, frames).transpose(1, 2)
        if self.expand_dims:
            return out.permute(0, 1, 3, 2)
        return out.reshape(batch, channels * freq, frames)

    def call(self, inputs):
        self._check(tuple(inputs.shape))
        if inputs.dtype not in (torch.float16, torch.float32, torch.float64):
            raise TypeError(f"STFTSpectrogram layer '{self.name}': expected float16, float32 or float64 inputs, "
                            f"got {inputs.dtype}.")
        real = self._conv(inputs, self.real_kernel) if self.mode != "imag" else None
        imag = self._conv(inputs, self.imag_kernel) if self.mode != "real" else None
        if self.mode == "real":
            return self._shape(real)
        if self.mode == "imag":
            return self._shape(imag)
        if self.mode == "angle":
            return self._shape(torch.atan2(imag, real))
        if self.mode == "stft":
            return self._shape(torch.cat([real, imag], dim=2))
        power = real.square() + imag.square()
        if self.mode == "psd":   # the one-sided density: inner frequencies counted twice
            return self._shape(power + torch.nn.functional.pad(power[:, :, 1:-1, :], (0, 0, 1, 1)))
        eps = config.epsilon()
        linear = self._shape(torch.sqrt(torch.clamp(power, min=eps)))
        return linear if self.mode == "magnitude" else torch.log(torch.clamp(linear, min=eps))

    def compute_output_shape(self, input_shape):
        cl = self.data_format == "channels_last"
        channels = input_shape[-1] if cl else input_shape[1]
        steps = input_shape[1] if cl else input_shape[-1]
        freq = (self._fft_length // 2 + 1) * (2 if self.mode == "stft" else 1)
        if steps is None:
            frames = None
        elif self.padding == "valid":
            frames = (steps - self.frame_length) // self._frame_step + 1
        else:
            frames = -(-steps // self._frame_step)
        if self.expand_dims:
            return (input_shape[0], frames, freq, channels) if cl else (input_shape[0], channels, frames, freq)
        merged = None if channels is None else freq * channels
        return (input_shape[0], frames, merged) if cl else (input_shape[0], merged, frames)

    def get_config(self):
        return {**super().get_config(), "mode": self.mode, "frame_length": self.frame_length,
                "frame_step": self.frame_step, "fft_length": self.fft_length, "window": self.window,
                "periodic": self.periodic, "scaling": self.scaling, "padding": self.padding,
                "data_format": self.data_format, "expand_dims": self.expand_dims}


_MEL_BREAK_HZ = 700.0
_MEL_HIGH_Q = 1127.0


def _hertz_to_mel(hz):
    return _MEL_HIGH_Q * torch.log(1.0 + hz / _MEL_BREAK_HZ)


class MelSpectrogram(Layer):
    """Mel spectrogram of raw audio: |STFT| ** mag_exp, mapped onto mel bands, optionally in decibels.

    The STFT is `kerastorch.ops.stft` with `center=True`; the mel filterbank is the HTK one
    (`mel(f) = 1127 * ln(1 + f / 700)`, triangles peaking at 1, the DC bin left out), as Keras
    builds it. With `power_to_db`, `10 * log10(max(S, min_power) / max(|ref_power|, min_power))`
    clipped at `top_db` below the largest value of the batch. No weights.

    Args:
        fft_length: Int, the FFT size. Defaults to `2048`.
        sequence_stride: Int, the hop between frames. Defaults to `512`.
        sequence_length: Int, the window length (at most `fft_length`). Defaults to `None` (`fft_length`).
        window: `"hann"`, `"hamming"` or `None`. Defaults to `"hann"`.
        sampling_rate: The audio's sample rate in Hz. Defaults to `16000`.
        num_mel_bins: Int, the number of mel bands. Defaults to `128`.
        min_freq: Lowest frequency of the bands, in Hz. Defaults to `20.0`.
        max_freq: Highest frequency, in Hz. Defaults to `None` (`sampling_rate / 2`).
        power_to_db: Whether to return decibels. Defaults to `True`.
        top_db: Dynamic range kept in decibels. Defaults to `80.0`.
        mag_exp: Exponent of the magnitude (2 gives power). Defaults to `2.0`.
        min_power: Floor of the power before the log. Defaults to `1e-10`.
        ref_power: Reference power of 0 dB. Defaults to `1.0`.

    Input shape: `(batch, samples)` or `(samples,)`. Output shape: `(batch, num_mel_bins, frames)`.
    (`compute_output_shape` gives Keras' frame count, `(samples + sequence_stride + 1) //
    sequence_stride`, as Keras does.)

    Example:
    >>> import torch
    >>> from kerastorch import layers
    >>> layer = layers.MelSpectrogram(fft_length=64, sequence_stride=32, num_mel_bins=8)
    >>> tuple(layer(torch.randn(2, 256)).shape)
    (2, 8, 9)
    """

    def __init__(self, fft_length=2048, sequence_stride=512, sequence_length=None, window="hann",
                 sampling_rate=16000, num_mel_bins=128, min_freq=20.0, max_freq=None, power_to_db=True,
                 top_db=80.0, mag_exp=2.0, min_power=1e-10, ref_power=1.0, **kwargs):
        super().__init__(**kwargs)
        self.fft_length = fft_length
        self.sequence_stride = sequence_stride
        self.sequence_length = sequence_length or fft_length
        if self.fft_length < self.sequence_length:
            raise ValueError(f"MelSpectrogram layer '{self.name}': `fft_length` must be at least `sequence_length`, "
                             f"got sequence_length={self.sequence_length}, fft_length={self.fft_length}.")
        self.window = window
        self.sampling_rate = sampling_rate
        self.num_mel_bins = num_mel_bins
        self.min_freq = min_freq
        self.max_freq = max_freq or int(sampling_rate / 2)
        self.power_to_db = power_to_db
        self.top_db = top_db
        self.mag_exp = mag_exp
        self.min_power = min_power
        self.ref_power = ref_power

    def linear_to_mel_weight_matrix(self, num_mel_bins=20, num_spectrogram_bins=129, sampling_rate=8000,
                                    lower_edge_hertz=125.0, upper_edge_hertz=3800.0, dtype="float32"):
        """The `(num_spectrogram_bins, num_mel_bins)` HTK mel filterbank matrix (Keras' method).

        Args:
            num_mel_bins: Int, the number of mel bands. Defaults to `20`.
            num_spectrogram_bins: Int, `fft_length // 2 + 1`. Defaults to `129`.
            sampling_rate: Sample rate in Hz. Defaults to `8000`.
            lower_edge_hertz: Lowest band edge in Hz. Defaults to `125.0`.
            upper_edge_hertz: Highest band edge in Hz. Defaults to `3800.0`.
            dtype: The matrix's dtype. Defaults to `"float32"`.

        Returns:
            A tensor; row 0 (the DC bin) is zeros.
        """
        from kerastorch.backend.dtypes import to_torch_dtype

        dt = to_torch_dtype(dtype)
        nyquist = torch.tensor(float(sampling_rate), dtype=dt) / 2.0
        freqs = torch.linspace(0.0, float(nyquist), int(num_spectrogram_bins), dtype=dt)[1:]
        bins_mel = _hertz_to_mel(freqs)[:, None]
        edges = torch.linspace(float(_hertz_to_mel(torch.tensor(float(lower_edge_hertz), dtype=dt))),
                               float(_hertz_to_mel(torch.tensor(float(upper_edge_hertz), dtype=dt))),
                               num_mel_bins + 2, dtype=dt)
        lower, center, upper = edges[:-2][None], edges[1:-1][None], edges[2:][None]
        weights = torch.clamp(torch.minimum((bins_mel - lower) / (center - lower),
                                            (upper - bins_mel) / (upper - center)), min=0.0)
        return torch.nn.functional.pad(weights, (0, 0, 1, 0))

    def call(self, inputs):
        from kerastorch.ops import stft

        dtype = self._compute_torch_dtype
        work = dtype if dtype in (torch.float32, torch.float64) else torch.float32
        x = torch.as_tensor(inputs).to(work)
        real, imag = stft(x, sequence_length=self.sequence_length, sequence_stride=self.sequence_stride,
                          fft_length=self.fft_length, window=self.window, center=True)
        spec = torch.sqrt(real.square() + imag.square()) ** self.mag_exp
        matrix = self.linear_to_mel_weight_matrix(self.num_mel_bins, spec.shape[-1], self.sampling_rate,
                                                  self.min_freq, self.max_freq, dtype=str(work).split(".")[-1])
        out = torch.tensordot(spec, matrix.to(spec.device), dims=1)
        if self.power_to_db:
            out = 10.0 * torch.log10(torch.clamp(out, min=self.min_power))
            ref = abs(float(self.ref_power))
            out = out - 10.0 * torch.log10(torch.tensor(max(ref, self.min_power), dtype=out.dtype))
            out = torch.maximum(out, out.max() - self.top_db)
        return out.transpose(-1, -2).to(dtype)

    def compute_output_shape(self, input_shape):
        n = input_shape[0] if len(input_shape) == 1 else input_shape[1]
        frames = None if n is None else (n + self.sequence_stride + 1) // self.sequence_stride
        if len(input_shape) == 1:
            return (self.num_mel_bins, frames)
        return (input_shape[0], self.num_mel_bins, frames)

    def get_config(self):
        return {**super().get_config(), "fft_length": self.fft_length, "sequence_stride": self.sequence_stride,
                "sequence_length": self.sequence_length, "window": self.window,
                "sampling_rate": self.sampling_rate, "num_mel_bins": self.num_mel_bins,
                "min_freq": self.min_freq, "max_freq": self.max_freq, "power_to_db": self.power_to_db,
                "top_db": self.top_db, "mag_exp": self.mag_exp, "min_power": self.min_power,
                "ref_power": self.ref_power}
