"""Keras' `keras.ops` math functions on torch tensors: segment reductions, top-k, FFTs, STFT, erf.

The FFT family speaks Keras' convention: a complex signal is a pair `(real, imag)` of float
tensors, taken and returned as such (`fft`, `fft2`, `ifft2`, `irfft`, `istft` take a pair; `rfft`,
`stft` take a real tensor; all but `irfft`/`istft` return a pair).

Example:
>>> import torch
>>> from kerastorch import ops
>>> ops.segment_sum(torch.tensor([1.0, 2.0, 3.0]), torch.tensor([0, 0, 1]))
tensor([3., 3.])
"""

import math as _math

import torch

from kerastorch.backend.dtypes import result_type, standardize_dtype, to_torch_dtype
from kerastorch.ops._utils import keras_op, tensor

__all__ = ["cdist", "erf", "erfc", "erfinv", "extract_sequences", "fft", "fft2", "ifft2", "in_top_k",
           "irfft", "istft", "logdet", "logsumexp", "rfft", "rsqrt", "segment_max", "segment_min",
           "segment_prod", "segment_sum", "stft", "top_k", "view_as_complex", "view_as_real"]


def _shape(x):
    return tuple(int(d) for d in x.shape)


# ------------------------------------------------------------------------- segment reductions
_NATIVE_SEGMENT_DTYPES = (torch.float32, torch.float64, torch.int64, torch.int32, torch.int16,
                          torch.int8, torch.uint8)


def _segment_identity(reduce, dtype):
    if reduce == "sum":
        return 0
    if reduce == "prod":
        return 1
    if dtype.is_floating_point:
        return float("-inf") if reduce == "amax" else float("inf")
    info = torch.iinfo(dtype)
    return info.min if reduce == "amax" else info.max


def _segment(name, reduce, data, segment_ids, num_segments):
    data = tensor(data)
    segment_ids = tensor(segment_ids)
    if segment_ids.ndim != 1:
        raise ValueError(f"ops.{name}: `segment_ids` must be a 1-D vector, got shape "
                         f"{_shape(segment_ids)}. Flatten both first: segment_ids.reshape(-1) and "
                         "data.reshape((-1,) + data.shape[segment_ids.ndim:]).")
    if data.ndim == 0 or data.shape[0] != segment_ids.shape[0]:
        raise ValueError(f"ops.{name}: `segment_ids` and `data` need the same leading size, got "
                         f"segment_ids.shape={_shape(segment_ids)} and data.shape={_shape(data)}.")
    if segment_ids.is_floating_point() or segment_ids.dtype == torch.bool:
        raise TypeError(f"ops.{name}: `segment_ids` must be integers, got dtype "
                        f"{standardize_dtype(segment_ids.dtype)}.")
    ids = segment_ids.to(device=data.device, dtype=torch.int64)
    if num_segments is None:
        # The output size depends on the data: one host read, as in Keras.
        num_segments = int(ids.max()) + 1 if ids.numel() else 0
    num_segments = int(num_segments)
    # Ids outside [0, num_segments) go to an extra row that is dropped at the end.
    ids = torch.where((ids >= 0) & (ids < num_segments), ids, num_segments)
    compute = data if data.dtype in _NATIVE_SEGMENT_DTYPES else data.float()
    rest = tuple(data.shape[1:])
    out = torch.full((num_segments + 1,) + rest, _segment_identity(reduce, compute.dtype),
                     dtype=compute.dtype, device=data.device)
    if reduce == "sum":
        out = out.index_add(0, ids, compute)
    else:
        index = ids.reshape((-1,) + (1,) * len(rest)).expand(compute.shape)
        out = out.scatter_reduce(0, index, compute, reduce, include_self=True)
    out = out[:num_segments]
    return out if out.dtype == data.dtype else out.to(data.dtype)


@keras_op
def segment_sum(data, segment_ids, num_segments=None, sorted=False):
    """Sums the rows of `data` that share a segment id.

    Args:
        data: A tensor; its leading axis is segmented.
        segment_ids: 1-D integer tensor, `data.shape[0]` ids. Ids outside `[0, num_segments)`
            are dropped.
        num_segments: Number of output rows. Defaults to `None` (`max(segment_ids) + 1`, which
            reads the ids on the host).
        sorted: Whether the ids are sorted: a hint other backends use for speed; the result is
            the same either way. Defaults to `False`.

    Returns:
        A tensor of shape `(num_segments,) + data.shape[1:]` and the dtype of `data`.

    Example:
    >>> segment_sum([1, 2, 3, 4], [0, 0, 2, 2], num_segments=3)
    tensor([3, 0, 7], dtype=torch.int32)
    """
    return _segment("segment_sum", "sum", data, segment_ids, num_segments)


@keras_op
def segment_max(data, segment_ids, num_segments=None, sorted=False):
    """The maximum of the rows of `data` that share a segment id (empty segments: the dtype's lowest).

    Args:
        data: A tensor; its leading axis is segmented.
        segment_ids: 1-D integer tensor, `data.shape[0]` ids. Ids outside `[0, num_segments)`
            are dropped.
        num_segments: Number of output rows. Defaults to `None` (`max(segment_ids) + 1`).
        sorted: Whether the ids are sorted (a speed hint; same result). Defaults to `False`.

    Returns:
        A tensor of shape `(num_segments,) + data.shape[1:]`; empty segments hold `-inf` (floats)
        or the dtype's minimum (integers).

    Example:
    >>> segment_max([1.0, 5.0, 3.0], [0, 0, 1])
    tensor([5., 3.])
    """
    return _segment("segment_max", "amax", data, segment_ids, num_segments)


@keras_op
def segment_min(data, segment_ids, num_segments=None, sorted=False):
    """The minimum of the rows of `data` that share a segment id (empty segments: the dtype's highest).

    Args:
        data: A tensor; its leading axis is segmented.
        segment_ids: 1-D integer tensor, `data.shape[0]` ids. Ids outside `[0, num_segments)`
            are dropped.
        num_segments: Number of output rows. Defaults to `None` (`max(segment_ids) + 1`).
        sorted: Whether the ids are sorted (a speed hint; same result). Defaults to `False`.

    Returns:
        A tensor of shape `(num_segments,) + data.shape[1:]`; empty segments hold `inf` (floats)
        or the dtype's maximum (integers).

    Example:
    >>> segment_min([1.0, 5.0, 3.0], [0, 0, 1])
    tensor([1., 3.])
    """
    return _segment("segment_min", "amin", data, segment_ids, num_segments)


@keras_op
def segment_prod(data, segment_ids, num_segments=None, sorted=False):
    """The product of the rows of `data` that share a segment id (empty segments: 1).

    Args:
        data: A tensor; its leading axis is segmented.
        segment_ids: 1-D integer tensor, `data.shape[0]` ids. Ids outside `[0, num_segments)`
            are dropped.
        num_segments: Number of output rows. Defaults to `None` (`max(segment_ids) + 1`).
        sorted: Whether the ids are sorted (a speed hint; same result). Defaults to `False`.

    Returns:
        A tensor of shape `(num_segments,) + data.shape[1:]` and the dtype of `data`.

    Example:
    >>> segment_prod([2.0, 5.0, 3.0], [0, 0, 1])
    tensor([10.,  3.])
    """
    return _segment("segment_prod", "prod", data, segment_ids, num_segments)


# ---------------------------------------------------------------------------------------- top-k
@keras_op
def top_k(x, k, sorted=True):
    """The `k` largest entries along the last axis and their indices.

    Args:
        x: A tensor.
        k: How many entries to keep (at most `x.shape[-1]`).
        sorted: Whether the results are in descending order. Defaults to `True`.

    Returns:
        A named pair `(values, indices)`; `indices` are int64, as on Keras' torch backend.

    Example:
    >>> top_k([1.0, 4.0, 2.0, 3.0], 2)
    torch.return_types.topk(
    values=tensor([4., 3.]),
    indices=tensor([1, 3]))
    """
    x = tensor(x)
    if x.ndim and not 0 <= k <= x.shape[-1]:
        raise ValueError(f"ops.top_k: k={k!r} must lie in [0, x.shape[-1]={x.shape[-1]}] "
                         f"(x.shape={_shape(x)}).")
    return torch.topk(x, k, sorted=sorted)


@keras_op
def in_top_k(targets, predictions, k):
    """Whether each target class is among the `k` highest predictions of its row.

    A target whose prediction ties with the `k`-th largest counts as in the top `k`.

    Args:
        targets: 1-D integer tensor of class ids, one per row of `predictions`.
        predictions: 2-D tensor `(batch, num_classes)` of scores.
        k: Number of top predictions to consider.

    Returns:
        A boolean tensor of shape `(batch,)`.

    Example:
    >>> in_top_k([2, 0], [[0.1, 0.3, 0.6], [0.5, 0.4, 0.1]], 1)
    tensor([True, True])
    """
    predictions = tensor(predictions)
    targets = tensor(targets)
    if predictions.ndim != 2 or targets.ndim != 1 or targets.shape[0] != predictions.shape[0]:
        raise ValueError(f"ops.in_top_k: expected targets of shape (batch,) and predictions of shape "
                         f"(batch, num_classes), got targets.shape={_shape(targets)} and "
                         f"predictions.shape={_shape(predictions)}.")
    if not 0 < k <= predictions.shape[-1]:
        raise ValueError(f"ops.in_top_k: k={k!r} must lie in [1, num_classes={predictions.shape[-1]}].")
    top = torch.topk(predictions, k).values
    target_scores = torch.take_along_dim(predictions, targets.to(predictions.device, torch.int64)[:, None],
                                         dim=-1)
    return (target_scores >= top).any(dim=-1)


@keras_op
def logsumexp(x, axis=None, keepdims=False):
    """`log(sum(exp(x)))` over `axis`, computed stably.

    Args:
        x: A tensor.
        axis: An int or a tuple of ints. Defaults to `None` (all axes).
        keepdims: Whether to keep the reduced axes with size 1. Defaults to `False`.

    Returns:
        A float tensor (integer inputs give float32).

    Example:
    >>> logsumexp([0.0, 0.0])
    tensor(0.6931)
    """
    x = tensor(x)
    dims = tuple(range(x.ndim)) if axis is None else axis
    return torch.logsumexp(x, dim=dims, keepdim=keepdims)


@keras_op
def cdist(x, y):
    """Euclidean distances between the rows of `x` and `y`: `out[..., i, j] = |x[..., i, :] - y[..., j, :]|`.

    Args:
        x: Tensor `(..., P, M)`.
        y: Tensor `(..., R, M)`; leading axes broadcast with `x`'s.

    Returns:
        Tensor `(..., P, R)`.

    Example:
    >>> cdist([[0.0, 0.0]], [[3.0, 4.0], [0.0, 1.0]])
    tensor([[5., 1.]])
    """
    x, y = tensor(x), tensor(y)
    if x.ndim < 2 or y.ndim < 2 or x.shape[-1] != y.shape[-1]:
        raise ValueError(f"ops.cdist: inputs need rank >= 2 and the same last axis, got "
                         f"x.shape={_shape(x)} and y.shape={_shape(y)}.")
    # The difference form (not torch.cdist's matmul trick) keeps small distances exact.
    diff = x.unsqueeze(-2) - y.unsqueeze(-3)
    return torch.sqrt(torch.sum(diff * diff, dim=-1))


@keras_op
def extract_sequences(x, sequence_length, sequence_stride):
    """Frames the last axis of `x` into overlapping windows.

    Args:
        x: Tensor `(..., samples)`.
        sequence_length: Length of each window.
        sequence_stride: Step between the starts of consecutive windows.

    Returns:
        Tensor `(..., num_sequences, sequence_length)` with
        `num_sequences = 1 + (samples - sequence_length) // sequence_stride`.

    Example:
    >>> extract_sequences([1, 2, 3, 4, 5], 3, 2)
    tensor([[1, 2, 3],
            [3, 4, 5]], dtype=torch.int32)
    """
    x = tensor(x)
    if x.ndim < 1 or not 0 < sequence_length <= x.shape[-1] or sequence_stride < 1:
        raise ValueError(f"ops.extract_sequences: need 0 < sequence_length <= x.shape[-1] and "
                         f"sequence_stride >= 1, got sequence_length={sequence_length!r}, "
                         f"sequence_stride={sequence_stride!r}, x.shape={_shape(x)}.")
    return torch.unfold_copy(x, -1, sequence_length, sequence_stride)


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


# ---------------------------------------------------------------------------------- elementwise
@keras_op
def rsqrt(x):
    """`1 / sqrt(x)` elementwise (integer inputs give float32).

    Example:
    >>> rsqrt([1.0, 4.0])
    tensor([1.0000, 0.5000])
    """
    return torch.rsqrt(tensor(x))


@keras_op
def erf(x):
    """The Gauss error function, elementwise (integer inputs give float32).

    Example:
    >>> erf([0.0])
    tensor([0.])
    """
    return torch.erf(tensor(x))


@keras_op
def erfc(x):
    """The complementary error function `1 - erf(x)`, elementwise (integer inputs give float32).

    Example:
    >>> erfc([0.0])
    tensor([1.])
    """
    return torch.erfc(tensor(x))


@keras_op
def erfinv(x):
    """The inverse error function, elementwise, on `(-1, 1)` (integer inputs give float32).

    Example:
    >>> erfinv([0.0])
    tensor([0.])
    """
    return torch.erfinv(tensor(x))


@keras_op
def logdet(x):
    """The log-determinant of square matrices (`nan` where the determinant is negative).

    Args:
        x: Tensor `(..., M, M)`.

    Returns:
        Tensor `(...)`.

    Example:
    >>> logdet([[2.0, 0.0], [0.0, 3.0]])
    tensor(1.7918)
    """
    x = tensor(x)
    if x.ndim < 2 or x.shape[-1] != x.shape[-2]:
        raise ValueError(f"ops.logdet: expected square matrices (..., M, M), got shape {_shape(x)}.")
    return torch.logdet(x)


@keras_op
def view_as_complex(x):
    """A complex64 tensor from a float tensor whose last axis holds `(real, imag)`.

    Args:
        x: Tensor `(..., 2)`.

    Returns:
        Complex64 tensor `(...)` (Keras casts to complex64 whatever the input precision).

    Example:
    >>> view_as_complex([[1.0, 2.0]])
    tensor([1.+2.j])
    """
    x = tensor(x)
    if x.ndim < 1 or x.shape[-1] != 2:
        raise ValueError(f"ops.view_as_complex: the last axis must have size 2 (real, imag), got "
                         f"shape {_shape(x)}.")
    if x.dtype != torch.float32:
        x = x.to(torch.float32)
    return torch.complex(x[..., 0], x[..., 1])


@keras_op
def view_as_real(x):
    """A float tensor whose last axis holds `(real, imag)` of the complex tensor `x`.

    Args:
        x: A complex tensor (a real tensor gives an imaginary part of zeros).

    Returns:
        Tensor `x.shape + (2,)`: float32 for complex64, float64 for complex128.

    Example:
    >>> import torch
    >>> view_as_real(torch.tensor([1 + 2j]))
    tensor([[1., 2.]])
    """
    x = tensor(x)
    if not x.is_complex():
        if not x.is_floating_point():
            x = x.to(to_torch_dtype(result_type(x.dtype, float)))
        return torch.stack((x, torch.zeros_like(x)), dim=-1)
    return torch.stack((x.real, x.imag), dim=-1)
