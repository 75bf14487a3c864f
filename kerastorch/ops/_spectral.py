"""Keras' Fourier ops (`fft`, `fft2`, `ifft2`, `rfft`, `irfft`, `stft`, `istft`) on torch tensors.

Public as `kerastorch.ops.X` and `kerastorch.ops.math.X`. A complex signal is a pair
`(real, imag)` of float tensors, taken and returned as such, as in Keras.
"""

import torch

from kerastorch.backend.dtypes import result_type, standardize_dtype, to_torch_dtype
from kerastorch.ops._utils import keras_op, tensor

__all__ = ["fft", "fft2", "ifft2", "irfft", "istft", "rfft", "stft"]


def _shape(x):
    return tuple(int(d) for d in x.shape)


# ------------------------------------------------------------------------------------------ FFT
def _complex_pair(name, x, min_rank=1):
    if not isinstance(x, (tuple, list)) or len(x) != 2:
        raise ValueError(f"ops.{name}: `x` must be a pair (real, imag) of float tensors, got "
                         f"{type(x).__name__}.")
    real, imag = tensor(x[0]), tensor(x[1])
    if real.shape != imag.shape:
        raise ValueError(f"ops.{name}: the real and imaginary parts need the same shape, got "
                         f"x[0].shape={_shape(real)} and x[1].shape={_shape(imag)}.")
    if not (real.is_floating_point() and imag.is_floating_point()):
        raise ValueError(f"ops.{name}: the real and imaginary parts must be float tensors, got "
                         f"{standardize_dtype(real.dtype)} and {standardize_dtype(imag.dtype)}. "
                         "Cast them first, e.g. ops.cast(x, 'float32').")
    if real.ndim < min_rank:
        raise ValueError(f"ops.{name}: the input needs rank >= {min_rank}, got shape {_shape(real)}.")
    if real.dtype != imag.dtype:
        common = to_torch_dtype(result_type(real.dtype, imag.dtype))
        real, imag = real.to(common), imag.to(common)
    return torch.complex(real, imag)


@keras_op
def fft(x):
    """Fast Fourier transform along the last axis.

    Args:
        x: A pair `(real, imag)` of float tensors of one shape.

    Returns:
        A pair `(real, imag)` of the transform.

    Example:
    >>> import torch
    >>> fft((torch.tensor([1.0, 0.0]), torch.tensor([0.0, 0.0])))
    (tensor([1., 1.]), tensor([0., 0.]))
    """
    out = torch.fft.fft(_complex_pair("fft", x))
    return out.real, out.imag


@keras_op
def fft2(x):
    """2-D fast Fourier transform over the last two axes.

    Args:
        x: A pair `(real, imag)` of float tensors of one shape, rank >= 2.

    Returns:
        A pair `(real, imag)` of the transform.

    Example:
    >>> import torch
    >>> fft2((torch.ones(2, 2), torch.zeros(2, 2)))[0]
    tensor([[4., 0.],
            [0., 0.]])
    """
    out = torch.fft.fft2(_complex_pair("fft2", x, 2))
    return out.real, out.imag


@keras_op
def ifft2(x):
    """2-D inverse fast Fourier transform over the last two axes.

    Args:
        x: A pair `(real, imag)` of float tensors of one shape, rank >= 2.

    Returns:
        A pair `(real, imag)` of the inverse transform.

    Example:
    >>> import torch
    >>> ifft2((torch.tensor([[4.0, 0.0], [0.0, 0.0]]), torch.zeros(2, 2)))[0]
    tensor([[1., 1.],
            [1., 1.]])
    """
    out = torch.fft.ifft2(_complex_pair("ifft2", x, 2))
    return out.real, out.imag


@keras_op
def rfft(x, fft_length=None):
    """Real-input fast Fourier transform along the last axis (the non-negative frequencies).

    Args:
        x: A real tensor.
        fft_length: Transform length; the input is cropped or zero-padded to it. Defaults to
            `None` (`x.shape[-1]`).

    Returns:
        A pair `(real, imag)` with last axis `fft_length // 2 + 1`.

    Example:
    >>> rfft([1.0, 1.0, 1.0, 1.0])
    (tensor([4., 0., 0.]), tensor([0., 0., 0.]))
    """
    out = torch.fft.rfft(tensor(x), n=fft_length, dim=-1, norm="backward")
    return out.real, out.imag


@keras_op
def irfft(x, fft_length=None):
    """Inverse of `rfft`: a real signal from its non-negative frequencies.

    Args:
        x: A pair `(real, imag)` of float tensors.
        fft_length: Length of the output signal. Defaults to `None` (`2 * (x[0].shape[-1] - 1)`).

    Returns:
        A real tensor with last axis `fft_length`.

    Example:
    >>> import torch
    >>> irfft((torch.tensor([4.0, 0.0, 0.0]), torch.zeros(3)))
    tensor([1., 1., 1., 1.])
    """
    return torch.fft.irfft(_complex_pair("irfft", x), n=fft_length, dim=-1, norm="backward")


def _window(name, window, sequence_length, dtype, device):
    if window is None:
        return None
    if isinstance(window, str):
        if window == "hann":
            return torch.hann_window(sequence_length, periodic=True, dtype=dtype, device=device)
        if window == "hamming":
            return torch.hamming_window(sequence_length, periodic=True, dtype=dtype, device=device)
        raise ValueError(f"ops.{name}: a string `window` must be 'hann' or 'hamming', got {window!r}.")
    win = tensor(window).to(device=device, dtype=dtype)
    if win.ndim != 1 or win.shape[0] != sequence_length:
        raise ValueError(f"ops.{name}: `window` must have shape (sequence_length,)=({sequence_length},), "
                         f"got {_shape(win)}.")
    return win


def _check_stride(name, sequence_stride):
    if isinstance(sequence_stride, bool) or not isinstance(sequence_stride, int) or sequence_stride <= 0:
        raise ValueError(f"ops.{name}: `sequence_stride` must be a positive integer, got "
                         f"sequence_stride={sequence_stride!r}.")


@keras_op
def stft(x, sequence_length, sequence_stride, fft_length, window="hann", center=True):
    """Short-time Fourier transform along the last axis.

    Args:
        x: Float32 or float64 tensor `(..., samples)`.
        sequence_length: Length of each frame (the window length).
        sequence_stride: Step between frames.
        fft_length: FFT size per frame, at least `sequence_length` (the window is centred in it).
        window: `"hann"`, `"hamming"`, a 1-D tensor of length `sequence_length`, or `None` (no
            window). Defaults to `"hann"`.
        center: Whether to reflect-pad `x` by `fft_length // 2` on both sides so frames are
            centred on their times. Defaults to `True`.

    Returns:
        A pair `(real, imag)` of shape `(..., num_sequences, fft_length // 2 + 1)`.

    Example:
    >>> import torch
    >>> real, imag = stft(torch.ones(8), 4, 2, 4, window=None, center=False)
    >>> real
    tensor([[4., 0., 0.],
            [4., 0., 0.],
            [4., 0., 0.]])
    """
    _check_stride("stft", sequence_stride)
    x = tensor(x)
    if x.dtype not in (torch.float32, torch.float64):
        raise TypeError(f"ops.stft: expected a float32 or float64 input, got {standardize_dtype(x.dtype)}. "
                        "Cast it first, e.g. ops.cast(x, 'float32').")
    if fft_length < sequence_length:
        raise ValueError(f"ops.stft: `fft_length` must be >= `sequence_length`, got "
                         f"sequence_length={sequence_length}, fft_length={fft_length}.")
    win = _window("stft", window, sequence_length, x.dtype, x.device)
    if win is None:
        win = torch.ones(sequence_length, dtype=x.dtype, device=x.device)
    batch_shape, samples = tuple(x.shape[:-1]), x.shape[-1]
    flat = x.reshape(-1, samples) if x.ndim != 1 else x
    out = torch.stft(flat, n_fft=fft_length, hop_length=sequence_stride, win_length=sequence_length,
                     window=win, center=center, return_complex=True)
    out = out.reshape(batch_shape + tuple(out.shape[-2:])).transpose(-2, -1)
    return out.real, out.imag


def _overlap_add(frames, stride):
    """Sums frames `(..., N, L)` placed `stride` apart: a signal `(..., stride * (N - 1) + L)`."""
    *batch, n, length = frames.shape
    flat = frames.reshape(-1, n, length).transpose(1, 2)                 # (B, L, N)
    total = stride * (n - 1) + length
    out = torch.nn.functional.fold(flat, output_size=(1, total), kernel_size=(1, length),
                                   stride=(1, stride))
    return out.reshape(*batch, total)


@keras_op
def istft(x, sequence_length, sequence_stride, fft_length, length=None, window="hann", center=True):
    """Inverse short-time Fourier transform: a signal from `stft`'s frames.

    Args:
        x: A pair `(real, imag)` of shape `(..., num_sequences, fft_length // 2 + 1)`.
        sequence_length: Length of each frame (the window length).
        sequence_stride: Step between frames.
        fft_length: FFT size per frame.
        length: Optional output length (the signal is trimmed or padded to it). Defaults to `None`.
        window: `"hann"`, `"hamming"`, a 1-D tensor of length `sequence_length`, or `None`.
            Defaults to `"hann"`.
        center: Whether `x` came from a centred `stft` (the padding is removed). Defaults to `True`.

    Returns:
        A real tensor `(..., samples)`.

    Example:
    >>> import torch
    >>> signal = torch.arange(16.0)
    >>> frames = stft(signal, 8, 2, 8)
    >>> torch.allclose(istft(frames, 8, 2, 8, length=16), signal, atol=1e-4)
    True
    """
    _check_stride("istft", sequence_stride)
    spectrum = _complex_pair("istft", x, 2)
    dtype = spectrum.real.dtype
    win = _window("istft", window, sequence_length, dtype, spectrum.device)
    if sequence_length == fft_length and center and win is not None:
        batch_shape = tuple(spectrum.shape[:-2])
        flat = spectrum.reshape((-1,) + tuple(spectrum.shape[-2:])) if spectrum.ndim > 3 else spectrum
        out = torch.istft(flat.transpose(-2, -1), n_fft=fft_length, hop_length=sequence_stride,
                          win_length=sequence_length, window=win, center=center, length=length,
                          return_complex=False)
        return out.reshape(batch_shape + (out.shape[-1],))
    # Keras' own inverse (TF's inverse_stft_window_fn): irfft each frame, window it by the
    # window divided by the sum of squared windows that overlap at its phase, then overlap-add.
    frames = torch.fft.irfft(spectrum, n=fft_length, dim=-1)
    num_frames = frames.shape[-2]
    if win is not None:
        left = (fft_length - sequence_length) // 2
        win = torch.nn.functional.pad(win, (left, fft_length - sequence_length - left))
        overlaps = -(-fft_length // sequence_stride)
        squares = torch.nn.functional.pad(win * win, (0, overlaps * sequence_stride - fft_length))
        denom = squares.reshape(overlaps, sequence_stride).sum(0, keepdim=True)
        denom = denom.expand(overlaps, sequence_stride).reshape(-1)[:fft_length]
        frames = frames * (win / denom)
    signal = _overlap_add(frames, sequence_stride)
    start = fft_length // 2 if center else 0
    if length is not None:
        end = start + length
    elif center:
        end = -(fft_length // 2)
    else:
        end = fft_length + sequence_stride * (num_frames - 1)
    return signal[..., start:end]
