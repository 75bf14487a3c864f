"""softmax/log_softmax over the last axis (ops/nn/_last_axis_softmax.py): the padded CPU kernel for 3 to 15
float32 classes against torch's own kernels (the oracle), which Keras' torch backend calls."""

import numpy as np
import pytest
import torch

from kerastorch import ops
from kerastorch.ops.nn import _last_axis_softmax as las


def _logits(shape, seed):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(*shape, generator=g) * 4


@pytest.mark.parametrize("log", [False, True])
@pytest.mark.parametrize("classes", list(range(1, 19)))
@pytest.mark.parametrize("rows", [1, 5, 64, 300])
def test_equals_torch_within_float_rounding(rows, classes, log):
    z = _logits((rows, classes), rows * 100 + classes)
    want = (torch.log_softmax if log else torch.softmax)(z, -1)
    got = las.softmax_last_axis(z, log=log)
    assert got.shape == want.shape and got.dtype == want.dtype and got.is_contiguous()
    torch.testing.assert_close(got, want, rtol=1e-6, atol=1e-6 if log else 1e-7)
    # The keras op is this function.
    op = ops.log_softmax if log else ops.softmax
    if classes > 1 or log:
        torch.testing.assert_close(op(z), got, rtol=0, atol=0)


@pytest.mark.parametrize("classes", [3, 10, 15])
def test_the_narrow_classes_take_the_padded_kernel(monkeypatch, classes):
    seen = []
    original = torch.constant_pad_nd
    monkeypatch.setattr(torch, "constant_pad_nd", lambda *a: seen.append(a[1]) or original(*a))
    las.softmax_last_axis(_logits((8, classes), 1))
    las.softmax_last_axis(_logits((8, 16), 1))                         # vectorized already
    las.softmax_last_axis(_logits((8, classes), 1).double())           # float64: torch's is as fast
    z = _logits((8, classes), 1).requires_grad_()
    las.softmax_last_axis(z)                                           # autograd: torch's one node
    with torch.no_grad():
        las.softmax_last_axis(z)
    assert seen == [(0, 16 - classes)] * 2


def test_a_rows_values_do_not_depend_on_its_batch():
    z = _logits((300, 10), 3)
    whole = las.softmax_last_axis(z)
    for start, stop in ((0, 1), (7, 39), (100, 300)):
        assert torch.equal(las.softmax_last_axis(z[start:stop]), whole[start:stop])


def test_any_rank_infinities_and_nans_as_torch():
    z = _logits((2, 3, 4, 10), 4)
    z[0, 0, 0, 3] = float("-inf")
    z[0, 1, 0, :] = float("-inf")          # every class -inf: nan, as torch
    z[1, 2, 3, 5] = float("nan")
    z[1, 0, 1, 2] = float("inf")
    for log in (False, True):
        want = (torch.log_softmax if log else torch.softmax)(z, -1)
        got = las.softmax_last_axis(z, log=log)
        np.testing.assert_array_equal(torch.isnan(got).numpy(), torch.isnan(want).numpy())
        finite = ~torch.isnan(want)
        torch.testing.assert_close(got[finite], want[finite], rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("log", [False, True])
def test_written_into_out(log):
    z = _logits((70, 10), 5)
    out = torch.empty(70, 10)
    got = las.softmax_last_axis(z, log=log, out=out)
    assert got is out
    torch.testing.assert_close(out, (torch.log_softmax if log else torch.softmax)(z, -1), rtol=1e-6, atol=1e-6)


def test_gradients_are_torchs():
    z = _logits((6, 10), 6).requires_grad_()
    w = _logits((6, 10), 7)
    (las.softmax_last_axis(z) * w).sum().backward()
    mine = z.grad.clone()
    z.grad = None
    (torch.softmax(z, -1) * w).sum().backward()
    assert torch.equal(mine, z.grad)


@pytest.mark.parametrize("classes", [2, 3, 10, 15, 16, 40])
@pytest.mark.parametrize("rows", [8, 64, 300])
def test_padded_log_softmax_and_its_gradient_equal_torchs(rows, classes):
    z = _logits((rows, classes), rows + classes)
    grad = _logits((rows, classes), rows * classes)
    result, padded = las.padded_log_softmax(z)
    assert (padded is not None) == (rows >= 64 and 2 < classes < 16)
    assert result.is_contiguous()
    leaf = z.clone().requires_grad_()
    want = torch.log_softmax(leaf, -1)
    want.backward(grad)
    torch.testing.assert_close(result, want.detach(), rtol=1e-6, atol=1e-6)
    got = las.log_softmax_backward(grad, result, padded)
    assert got.shape == z.shape and got.is_contiguous()
    torch.testing.assert_close(got, leaf.grad, rtol=1e-5, atol=1e-5)      # grad ~ 4: a few ulps of it
