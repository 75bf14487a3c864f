"""Sequence losses: CTC (connectionist temporal classification), on `kerastorch.ops.nn.ctc_loss`.

Example:
>>> import torch
>>> logits = torch.zeros(1, 3, 4)
>>> round(float(CTC()(torch.tensor([[1, 2, 0]]), logits)), 4)  # 5 of the 64 paths give [1, 2]
2.5494
"""

import torch

from kerastorch.losses.base import _BuiltinLoss, _to_tensor
from kerastorch.ops.nn import ctc_loss


def ctc(y_true, y_pred):
    """CTC loss of label sequences against per-step logits, one value per sample.

    Class `0` is the blank and also pads `y_true`: each row's label length is its number
    of non-zero entries, and every row uses all `max_length` steps of `y_pred`.

    Args:
        y_true: Integer labels `(batch_size, max_label_length)`, padded with `0`.
        y_pred: Logits `(batch_size, max_length, num_classes)`, not softmax-normalised.

    Returns:
        Per-sample negative log-likelihoods, shape `(batch_size,)`, float32.

    Raises:
        ValueError: if `y_true` is not 2D or `y_pred` not 3D.

    Example:
    >>> ctc(torch.tensor([[1]]), torch.zeros(1, 1, 2))
    tensor([0.6931])
    """
    y_pred = _to_tensor(y_pred)
    y_true = _to_tensor(y_true, like=y_pred)
    if y_true.dim() != 2:
        raise ValueError(
            "ctc: targets `y_true` must be integer labels of shape (batch_size, max_length), padded "
            f"with 0, got y_true.shape={tuple(y_true.shape)}."
        )
    if y_pred.dim() != 3:
        raise ValueError(
            "ctc: `y_pred` must be logits of shape (batch_size, max_length, num_classes), got "
            f"y_pred.shape={tuple(y_pred.shape)}."
        )
    batch, steps = y_pred.shape[0], y_pred.shape[1]
    output_length = torch.full((batch,), steps, dtype=torch.int32, device=y_pred.device)
    label_length = (y_true != 0).sum(dim=-1).to(torch.int32)
    # The Loss class hands y_true over as floats (Keras does too); torch's CTC wants ids.
    labels = y_true if not y_true.is_floating_point() else y_true.to(torch.int64)
    return ctc_loss(labels, y_pred, label_length, output_length, mask_index=0)


class CTC(_BuiltinLoss):
    """CTC (connectionist temporal classification) loss, for unsegmented sequence labelling.

    `y_true` holds integer labels `(batch_size, max_label_length)` padded with `0`, which is
    also the blank class; `y_pred` holds logits `(batch_size, max_length, num_classes)`.

    Args:
        reduction: Defaults to `"sum_over_batch_size"`.
        name: Defaults to `"ctc"`.
        dtype: Defaults to `None`.

    Example:
    >>> round(float(CTC()(torch.tensor([[1]]), torch.zeros(1, 1, 2))), 4)
    0.6931
    """

    def __init__(self, reduction="sum_over_batch_size", name="ctc", dtype=None):
        super().__init__(ctc, name=name, reduction=reduction, dtype=dtype)
