"""`kerastorch.ops` math functions against real Keras: segment reductions, top-k, FFTs, STFT, erf.

Cases are generated per op over floats (with gradients where Keras differentiates), float64, ints,
bools, negative and out-of-range segment ids, `num_segments` given or inferred, every window and
centring of `stft`/`istft` (both of Keras' inverse paths), and batched FFT inputs. Empty integer
segments of `segment_min` are the one place kerastorch departs from Keras (the dtype's maximum, as
TF and JAX give, not an overflowed `inf`): a hand-computed test covers it.
"""

import doctest
import re

import numpy as np
import pytest
import torch

from tests.ops.harness import (Case, assert_every_name_has_a_case, bools, check, floats, ints, keras,
                               keras_names, positive)

import kerastorch  # noqa: E402
from kerastorch import ops  # noqa: E402
from kerastorch.ops import _spectral  # noqa: E402
from kerastorch.ops import math as math_ops  # noqa: E402

F63, F6 = floats(6, 3), floats(6)
IDS = np.array([0, 0, 1, 3, 3, 1])
IDS_OUT = np.array([0, -1, 2, 5, 2, 0])            # -1 and 5 are dropped with num_segments=4
IDS_FULL = np.array([0, 0, 1, 2, 2, 1])


def _segment_cases(name, differentiable):
    grad = differentiable
    # Keras' segment_min turns an empty integer segment into int(inf) (overflow): keep every
    # integer segment filled for it; the empty case is tested by hand below.
    int_ids, int_out = (IDS_FULL, IDS_FULL) if name == "segment_min" else (IDS, IDS_OUT)
    return [
        Case(name, (F63, IDS), grad=grad), Case(name, (F6, IDS), {"num_segments": 5}, grad=grad),
        Case(name, (floats(6, 2, 2), IDS), {"num_segments": 4, "sorted": True}, grad=grad),
        Case(name, (F63, IDS_OUT), {"num_segments": 4}, grad=grad),
        Case(name, (floats(6, dtype="float64"), IDS)),
        Case(name, (ints(6, 2), int_ids)),
        Case(name, (ints(6, dtype="int64"), int_out), {"num_segments": 3}),
        Case(name, (floats(6, dtype="float16"), IDS)), Case(name, (F6, IDS.astype("int64"))),
        Case(name, (bools(6), np.array([0, 0, 1, 1, 2, 2]))),
    ]


def _fft_pair(*shape, dtype="float32"):
    return (floats(*shape, dtype=dtype), floats(*shape, dtype=dtype))


SIGNAL, SIGNAL64 = floats(40), floats(2, 3, 40, dtype="float64")
STFT_ARGS = [
    dict(sequence_length=8, sequence_stride=4, fft_length=8),
    dict(sequence_length=8, sequence_stride=2, fft_length=8, window="hamming"),
    dict(sequence_length=6, sequence_stride=2, fft_length=8, center=False),
    dict(sequence_length=8, sequence_stride=3, fft_length=16),
    dict(sequence_length=8, sequence_stride=4, fft_length=8, window=None),
    dict(sequence_length=8, sequence_stride=4, fft_length=8, window=positive(8) + 1.0),
]


def _istft_cases():
    cases = []
    for kwargs in STFT_ARGS:
        frames = keras.ops.stft(torch.tensor(SIGNAL), **kwargs)
        pair = (frames[0].numpy(), frames[1].numpy())
        cases.append(Case("istft", (pair,), kwargs, grad=True, rtol=1e-5, atol=1e-5))
        cases.append(Case("istft", (pair,), {**kwargs, "length": 30}, rtol=1e-5, atol=1e-5))
    frames = keras.ops.stft(torch.tensor(SIGNAL64), **STFT_ARGS[0])
    cases.append(Case("istft", ((frames[0].numpy(), frames[1].numpy()),), STFT_ARGS[0]))
    cases.append(Case("istft", ((frames[0].numpy(), frames[1].numpy()),), STFT_ARGS[2]))
    return cases


CASES = [
    *_segment_cases("segment_sum", True), *_segment_cases("segment_max", True),
    *_segment_cases("segment_min", False), *_segment_cases("segment_prod", True),
    # top_k / in_top_k
    Case("top_k", (floats(4, 7), 3), grad=True), Case("top_k", (floats(7), 7)),
    Case("top_k", (ints(3, 6), 2)), Case("top_k", (floats(2, 3, 5, dtype="float64"), 1)),
    Case("top_k", (floats(4, 6), 4), {"sorted": True}),
    Case("in_top_k", (np.array([0, 3, 2, 1]), floats(4, 5), 2)),
    Case("in_top_k", (np.array([0, 3, 2, 1]), floats(4, 5), 1)),
    Case("in_top_k", (np.array([1, 0]), np.array([[0.5, 0.5, 0.1], [0.2, 0.2, 0.9]], "float32"), 1)),
    Case("in_top_k", (np.array([4, 0], dtype="int64"), ints(2, 5), 3)),
    # logsumexp
    Case("logsumexp", (F63,), grad=True, rtol=1e-5), Case("logsumexp", (F63,), {"axis": -1}, grad=True),
    Case("logsumexp", (floats(2, 3, 4),), {"axis": (0, 2), "keepdims": True}, grad=True, rtol=1e-5),
    Case("logsumexp", (ints(2, 3),), {"axis": 1}), Case("logsumexp", (floats(3, dtype="float64"),)),
    Case("logsumexp", (floats(2, 3),), {"axis": 0, "keepdims": True}),
    # cdist
    Case("cdist", (floats(3, 4), floats(5, 4)), grad=True),
    Case("cdist", (floats(2, 3, 4), floats(1, 5, 4)), grad=True),
    Case("cdist", (ints(3, 2), ints(4, 2))), Case("cdist", (floats(2, 3, dtype="float64"), floats(2, 3))),
    # extract_sequences
    Case("extract_sequences", (floats(10), 4, 2), grad=True),
    Case("extract_sequences", (floats(2, 3, 9), 3, 3), grad=True),
    Case("extract_sequences", (ints(7), 7, 1)),
    # FFTs (pairs in, pairs out)
    Case("fft", (_fft_pair(8),), grad=True), Case("fft", (_fft_pair(2, 5),), grad=True),
    Case("fft", (_fft_pair(3, dtype="float64"),)),
    Case("fft2", (_fft_pair(4, 6),), grad=True), Case("fft2", (_fft_pair(2, 3, 4),)),
    Case("ifft2", (_fft_pair(4, 6),), grad=True), Case("ifft2", (_fft_pair(2, 3, 4, dtype="float64"),)),
    Case("rfft", (floats(8),), grad=True), Case("rfft", (floats(2, 9),), {"fft_length": 12}, grad=True),
    Case("rfft", (floats(10),), {"fft_length": 6}), Case("rfft", (floats(5, dtype="float64"),)),
    Case("irfft", (_fft_pair(5),), grad=True), Case("irfft", (_fft_pair(2, 5),), {"fft_length": 9}),
    Case("irfft", (_fft_pair(4, dtype="float64"),), {"fft_length": 6}),
    *[Case("stft", (SIGNAL,), kwargs, grad=True, rtol=1e-5, atol=1e-5) for kwargs in STFT_ARGS],
    Case("stft", (SIGNAL64,), STFT_ARGS[0]), Case("stft", (SIGNAL64,), STFT_ARGS[2]),
    *_istft_cases(),
    # elementwise
    Case("rsqrt", (positive(2, 3),), grad=True), Case("rsqrt", (ints(4, low=1, high=9),)),
    Case("rsqrt", (positive(3, dtype="float64"),)),
    Case("erf", (floats(2, 3),), grad=True), Case("erf", (ints(4),)), Case("erf", (floats(3, dtype="float16"),)),
    Case("erfc", (floats(2, 3),), grad=True), Case("erfc", (ints(4),)),
    Case("erfinv", (floats(2, 3, low=-0.9, high=0.9),), grad=True),
    Case("erfinv", (floats(3, low=-0.9, high=0.9, dtype="float64"),)),
    # logdet (positive-definite inputs, so the log is defined)
    Case("logdet", (np.eye(3, dtype="float32") * 2 + 0.1 * floats(3, 3),), grad=True, rtol=1e-5),
    Case("logdet", (np.stack([np.eye(2) * 3, np.eye(2) + 0.5]).astype("float64"),)),
    # complex views
    Case("view_as_complex", (floats(4, 2),)), Case("view_as_complex", (floats(2, 3, 2, dtype="float64"),)),
    Case("view_as_real", (np.array([1 + 2j, -3 - 0.5j], dtype="complex64"),)),
    Case("view_as_real", (np.array([[0.5 - 1j, 2 + 0j]], dtype="complex128"),)),
]

NAMES = keras_names("math")


def case_id(case):
    return re.sub(r" at 0x[0-9a-f]+", "", str(case))


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_matches_keras(case):
    check(case)


def test_every_math_name_has_a_case():
    assert len(NAMES) == 23
    assert_every_name_has_a_case(NAMES, CASES)
    for name in NAMES:
        assert getattr(kerastorch.ops, name) is getattr(math_ops, name)


def test_empty_integer_segments_hold_the_dtype_extremes():
    data = torch.tensor([4, 7], dtype=torch.int32)
    ids = torch.tensor([0, 0])
    assert ops.segment_min(data, ids, num_segments=2).tolist() == [4, 2 ** 31 - 1]
    assert ops.segment_max(data, ids, num_segments=2).tolist() == [7, -(2 ** 31)]
    assert ops.segment_prod(data, ids, num_segments=2).tolist() == [28, 1]
    floats_out = ops.segment_min(torch.tensor([1.0]), torch.tensor([1]))
    assert floats_out.tolist() == [float("inf"), 1.0]


def test_view_as_real_of_a_real_tensor_has_zero_imaginary_part():
    # Keras' torch backend raises torch's "imag is not implemented"; numpy gives zeros.
    out = ops.view_as_real(torch.tensor([1.5, -2.0]))
    np.testing.assert_array_equal(out.numpy(), np.stack([[1.5, -2.0], np.imag([1.5, -2.0])], -1))


def test_istft_inverts_stft():
    signal = torch.tensor(floats(64))
    for kwargs in STFT_ARGS[:4]:
        restored = ops.istft(ops.stft(signal, **kwargs), length=64, **kwargs)
        keep = slice(8, 56)        # the edges lose energy when center=False
        np.testing.assert_allclose(restored[keep].numpy(), signal[keep].numpy(), rtol=1e-4, atol=1e-4)


BAD_INPUTS = [
    (lambda: ops.segment_sum(torch.ones(4), torch.zeros(3, dtype=torch.int64)),
     ValueError, r"ops.segment_sum: `segment_ids` and `data` need the same leading size, got "
                 r"segment_ids.shape=\(3,\) and data.shape=\(4,\)"),
    (lambda: ops.segment_max(torch.ones(4), torch.zeros(2, 2, dtype=torch.int64)),
     ValueError, r"ops.segment_max: `segment_ids` must be a 1-D vector, got shape \(2, 2\)"),
    (lambda: ops.segment_min(torch.ones(2), torch.tensor([0.0, 1.0])),
     TypeError, r"ops.segment_min: `segment_ids` must be integers, got dtype float32"),
    (lambda: ops.top_k(torch.ones(2, 3), 4),
     ValueError, r"ops.top_k: k=4 must lie in \[0, x.shape\[-1\]=3\] \(x.shape=\(2, 3\)\)"),
    (lambda: ops.in_top_k(torch.tensor([0, 1, 2]), torch.ones(2, 3), 1),
     ValueError, r"ops.in_top_k: expected targets of shape \(batch,\).*targets.shape=\(3,\).*\(2, 3\)"),
    (lambda: ops.logsumexp(torch.ones(2, 3), axis=2),
     ValueError, r"ops.logsumexp: the inputs do not fit together \(inputs \(2, 3\); axis=2\)"),
    (lambda: ops.cdist(torch.ones(2, 3), torch.ones(2, 4)),
     ValueError, r"ops.cdist: .*same last axis, got x.shape=\(2, 3\) and y.shape=\(2, 4\)"),
    (lambda: ops.cdist(torch.ones(2, 2, 3), torch.ones(3, 2, 3)),
     ValueError, r"ops.cdist: the inputs do not fit together \(inputs \(2, 2, 3\), \(3, 2, 3\)\)"),
    (lambda: ops.fft((torch.ones(3), torch.ones(4))),
     ValueError, r"ops.fft: the real and imaginary parts need the same shape, got x\[0\].shape=\(3,\)"),
    (lambda: ops.fft(torch.ones(3)), ValueError, r"ops.fft: `x` must be a pair \(real, imag\)"),
    (lambda: ops.fft2((torch.ones(3), torch.ones(3))), ValueError, r"ops.fft2: the input needs rank >= 2"),
    (lambda: ops.irfft((torch.ones(3, dtype=torch.int32), torch.ones(3, dtype=torch.int32))),
     ValueError, r"ops.irfft: the real and imaginary parts must be float tensors, got int32"),
    (lambda: ops.stft(torch.ones(16, dtype=torch.int32), 4, 2, 4),
     TypeError, r"ops.stft: expected a float32 or float64 input, got int32"),
    (lambda: ops.stft(torch.ones(16), 8, 2, 4),
     ValueError, r"ops.stft: `fft_length` must be >= `sequence_length`"),
    (lambda: ops.stft(torch.ones(16), 4, 0, 4), ValueError, r"ops.stft: `sequence_stride` must be a positive"),
    (lambda: ops.stft(torch.ones(16), 4, 2, 4, window="hannn"),
     ValueError, r"ops.stft: a string `window` must be 'hann' or 'hamming', got 'hannn'"),
    (lambda: ops.stft(torch.ones(16), 4, 2, 4, window=torch.ones(3)),
     ValueError, r"ops.stft: `window` must have shape \(sequence_length,\)=\(4,\), got \(3,\)"),
    (lambda: ops.extract_sequences(torch.ones(3), 5, 1),
     ValueError, r"ops.extract_sequences: need 0 < sequence_length <= x.shape\[-1\].*x.shape=\(3,\)"),
    (lambda: ops.logdet(torch.ones(2, 3)), ValueError, r"ops.logdet: expected square matrices.*\(2, 3\)"),
    (lambda: ops.view_as_complex(torch.ones(2, 3)),
     ValueError, r"ops.view_as_complex: the last axis must have size 2.*\(2, 3\)"),
]


@pytest.mark.parametrize("fn,error,message", BAD_INPUTS, ids=[m[:60] for _, _, m in BAD_INPUTS])
def test_bad_input_names_the_op_and_the_shapes(fn, error, message):
    with pytest.raises(error, match=message):
        fn()


def test_docstring_examples_run():
    for module in (math_ops, _spectral):
        result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
        assert result.failed == 0 and result.attempted > 0
