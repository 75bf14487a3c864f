"""Audio preprocessing layers: `STFTSpectrogram` (a short-time Fourier transform as a convolution)."""

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
