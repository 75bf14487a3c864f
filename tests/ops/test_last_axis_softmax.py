"""log_softmax over the last axis of many rows (ops/nn/_last_axis_softmax.py): the padded CPU kernel for 3 to
15 float32 classes against torch's own kernel (the oracle)."""

import numpy as np
import pytest
import torch

from kerastorch.ops.nn import _last_axis_softmax as las


def _logits(shape, seed):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(*shape, generator=g) * 4


@pytest.mark.parametrize("classes", list(range(1, 19)))
@pytest.mark.parametrize("rows", [1, 5, 511, 512, 3000])
def test_equals_torch_within_float_rounding(rows, classes):
    z = _logits((rows, classes), rows * 100 + classes)
    want = torch.log_softmax(z, -1)
    got = las.log_softmax_last_axis(z)
    assert got.shape == want.shape and got.dtype == want.dtype and got.is_contiguous()
    torch.testing.assert_close(got, want, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("classes", [3, 10, 15])
def test_only_many_rows_of_a_few_float32_classes_are_padded(monkeypatch, classes):
    seen = []
    original = torch.constant_pad_nd
    monkeypatch.setattr(torch, "constant_pad_nd", lambda *a: seen.append(a[1]) or original(*a))
    las.log_softmax_last_axis(_logits((600, classes), 1))
    las.log_softmax_last_axis(_logits((8, classes), 1), min_rows=8)
    las.log_softmax_last_axis(_logits((500, classes), 1))              # fewer rows than min_rows
    las.log_softmax_last_axis(_logits((600, 16), 1))                   # vectorized already
    las.log_softmax_last_axis(_logits((600, classes), 1).double())     # float64: torch's is as fast
    z = _logits((600, classes), 1).requires_grad_()
    las.log_softmax_last_axis(z)                                       # autograd records: torch's node
    with torch.no_grad():
        las.log_softmax_last_axis(z)
    assert seen == [(0, 16 - classes)] * 3


def test_infinities_and_nans_as_torch():
    z = _logits((600, 10), 4)
    z[0, 3] = float("-inf")
    z[1, :] = float("-inf")          # every class -inf: nan, as torch
    z[2, 5] = float("nan")
    z[3, 2] = float("inf")
    want = torch.log_softmax(z, -1)
    got = las.log_softmax_last_axis(z)
    np.testing.assert_array_equal(torch.isnan(got).numpy(), torch.isnan(want).numpy())
    finite = ~torch.isnan(want)
    torch.testing.assert_close(got[finite], want[finite], rtol=1e-6, atol=1e-6)


def test_with_gradients_recorded_the_graph_is_torchs():
    z = _logits((600, 10), 6).requires_grad_()
    w = _logits((600, 10), 7)
    (las.log_softmax_last_axis(z) * w).sum().backward()
    mine = z.grad.clone()
    z.grad = None
    (torch.log_softmax(z, -1) * w).sum().backward()
    assert torch.equal(mine, z.grad)
