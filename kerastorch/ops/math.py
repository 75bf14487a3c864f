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

import torch

from kerastorch.backend.dtypes import result_type, standardize_dtype, to_torch_dtype
from kerastorch.ops._spectral import fft, fft2, ifft2, irfft, istft, rfft, stft
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
    # Ids outside [0, num_segments) go to an extra row, dropped at the end: clamping to
    # [-1, n] and taking the remainder modulo n + 1 sends -1 and n there (two kernels, no sync).
    ids = torch.remainder(torch.clamp(ids, -1, num_segments), num_segments + 1)
    compute = data if data.dtype in _NATIVE_SEGMENT_DTYPES else data.float()
    rest = tuple(data.shape[1:])
    out = torch.full((num_segments + 1,) + rest, _segment_identity(reduce, compute.dtype),
                     dtype=compute.dtype, device=data.device)
    if reduce == "sum":
        out.index_add_(0, ids, compute)
    else:
        index = ids.reshape((-1,) + (1,) * len(rest)).expand(compute.shape)
        out.scatter_reduce_(0, index, compute, reduce, include_self=True)
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
