"""The fused logits path: a crossentropy computed from the logits before a final softmax/sigmoid.

Example:
>>> import torch
>>> from kerastorch.losses.probabilistic import CategoricalCrossentropy
>>> fused = fused_from_logits(CategoricalCrossentropy(), "softmax")
>>> type(fused).__name__
'_FusedLogitsLoss'
"""

import numpy as np
import torch
import torch.nn.functional as F

from kerastorch import config
from kerastorch.losses.base import Loss, squeeze_or_expand_to_same_rank
from kerastorch.losses.probabilistic import (
    BinaryCrossentropy,
    CategoricalCrossentropy,
    SparseCategoricalCrossentropy,
)

# Bounds that reproduce, in log space, Keras' float32 clip to [eps, 1 - eps]: log is monotonic,
# so log(clip(p, lo, hi)) == clip(log(p), log(lo), log(hi)) with lo/hi rounded to float32 as
# torch.clip rounds them.
_LOG_BOUNDS = {}


def _log_bounds():
    eps = config.epsilon()
    if eps in _LOG_BOUNDS:
        return _LOG_BOUNDS[eps]
    lo = torch.tensor(eps, dtype=torch.float32)
    hi = torch.tensor(1.0 - eps, dtype=torch.float32)
    one = torch.tensor(1.0, dtype=torch.float32)
    _LOG_BOUNDS[eps] = (
        float(torch.log(lo)),
        float(torch.log(hi)),
        float(torch.log(one - hi)),  # smallest 1 - p after the clip
        float(torch.log(one - lo)),  # largest 1 - p after the clip
    )
    return _LOG_BOUNDS[eps]


_LOGIT_BOUNDS = {}


def _logit_bounds():
    """The logits whose sigmoid is Keras' clip bounds, float32(eps) and float32(1 - eps).

    sigmoid is monotonic, so clipping the probability to [lo, hi] is clamping the logit to
    [logit(lo), logit(hi)]: same values, same zero gradient outside.
    """
    eps = config.epsilon()
    if eps not in _LOGIT_BOUNDS:
        lo = float(torch.tensor(eps, dtype=torch.float32))
        hi = float(torch.tensor(1.0 - eps, dtype=torch.float32))
        _LOGIT_BOUNDS[eps] = (float(np.log(lo / (1.0 - lo))), float(np.log(hi / (1.0 - hi))))
    return _LOGIT_BOUNDS[eps]


# torch's reduction codes, as the loss kernels below take them.
NO_REDUCTION, MEAN = 0, 1


def clipped_sigmoid_bce(logits, y, reduction=MEAN):
    """Keras' binary crossentropy of `sigmoid(logits)` against `y` (same shape, the logits' dtype), its
    clip kept (as a clamp of the logits), averaged over every element (`F.binary_cross_entropy_with_logits`'s
    kernel), or per element with `reduction=NO_REDUCTION`."""
    z_lo, z_hi = _logit_bounds()
    return torch.binary_cross_entropy_with_logits(torch.clamp(logits, z_lo, z_hi), y, None, None, reduction)


def clipped_softmax_nll(log_p, labels, reduction=MEAN):
    """Keras' crossentropy of `softmax` at the int64 class ids `labels`, from the log-probabilities
    `log_p` (`log_softmax` of the logits), its clip kept, averaged over the samples (`F.nll_loss`'s kernel),
    or per sample with `reduction=NO_REDUCTION`."""
    log_lo, log_hi = _log_bounds()[:2]
    return torch._C._nn.nll_loss_nd(torch.clamp(log_p, log_lo, log_hi), labels, None, reduction, -100)


class _ClippedSoftmaxCrossentropy(torch.autograd.Function):
    """`-sum(y * clip(log_softmax(z), log_lo, log_hi)) / batch` and `log_softmax(z)`, one autograd node.

    The same values and gradients as the composition (the clip's gradient is zero outside
    `[log_lo, log_hi]`, as `torch.clamp`'s); one node in place of five saves the training step
    the autograd bookkeeping of the other four. `y` gets no gradient (the caller checks it needs none).
    """

    @staticmethod
    def forward(ctx, logits, y, log_lo, log_hi):
        log_p = torch.log_softmax(logits, dim=-1)
        if y.dtype is not log_p.dtype:
            y = y.to(log_p.dtype)
        clipped = torch.clamp(log_p, log_lo, log_hi)
        loss = torch.dot(clipped.reshape(-1), y.reshape(-1)).div_(-logits.shape[0])
        # d loss / d log_p: -y / batch where the clip let log_p through (clamp's gradient), else 0.
        ctx.save_for_backward(log_p, torch.mul(y, clipped == log_p))
        ctx.mark_non_differentiable(log_p)
        ctx.set_materialize_grads(False)   # log_p gets no gradient: no tensor of zeros made for it
        return loss, log_p

    @staticmethod
    def backward(ctx, grad_loss, grad_log_p):
        log_p, passed = ctx.saved_tensors
        if grad_loss is None:
            return None, None, None, None
        # On the CPU the incoming scalar is read (no device to wait for): one kernel fewer.
        scale = float(grad_loss) / -log_p.shape[0] if grad_loss.device.type == "cpu" \
            else grad_loss / -log_p.shape[0]
        weights = passed * scale
        return torch._log_softmax_backward_data(weights, log_p, -1, log_p.dtype), None, None, None


class _FusedLogitsLoss(Loss):
    """A crossentropy computed from logits that equals the base loss on softmax/sigmoid outputs."""

    def __init__(self, base, activation):
        super().__init__(name=base.name, reduction=base.reduction, dtype=base._dtype)
        self.base, self.activation = base, activation

    def call(self, y_true, logits):
        base = self.base
        log_lo, log_hi, log_1m_lo, log_1m_hi = _log_bounds()
        if isinstance(base, BinaryCrossentropy):
            y_true, logits = squeeze_or_expand_to_same_rank(y_true, logits)
            if base.label_smoothing:
                y_true = y_true * (1.0 - base.label_smoothing) + 0.5 * base.label_smoothing
            z_lo, z_hi = _logit_bounds()
            values = F.binary_cross_entropy_with_logits(torch.clamp(logits, z_lo, z_hi), y_true,
                                                        reduction="none")
            return torch.mean(values, dim=base.axis)
        log_p = torch.clamp(F.log_softmax(logits, dim=-1), log_lo, log_hi)
        if isinstance(base, SparseCategoricalCrossentropy):
            target = y_true
            if target.dim() == log_p.dim() and target.shape[-1] == 1:
                target = target.squeeze(-1)
            valid = None
            if base.ignore_class is not None:
                valid = target != base.ignore_class
                target = torch.where(valid, target, torch.zeros_like(target))
            res = -torch.gather(log_p, -1, target.long().unsqueeze(-1)).squeeze(-1)
            if valid is not None:
                res = torch.where(valid, res, torch.zeros_like(res))
                res._keras_mask = valid
            return res
        y_true, logits = squeeze_or_expand_to_same_rank(y_true, logits)
        if base.label_smoothing:
            y_true = y_true * (1.0 - base.label_smoothing) + base.label_smoothing / y_true.shape[-1]
        return -torch.sum(y_true * log_p, dim=-1)

    def _softmax_hot_path(self, y_true, logits):
        """(loss, log-probabilities) on the training hot path, or None where it does not apply.

        The loss is the sum over samples and classes / samples: the same value as the mean
        of the per-sample sums, with two autograd nodes fewer.
        """
        base = self.base
        if (self.activation != "softmax" or self.reduction != "sum_over_batch_size"
                or type(y_true) is not torch.Tensor or logits.dim() != 2
                or getattr(logits, "_keras_mask", None) is not None):
            return None
        log_lo, log_hi = _log_bounds()[:2]
        if type(base) is CategoricalCrossentropy and not base.label_smoothing and y_true.shape == logits.shape:
            if logits.requires_grad and not y_true.requires_grad and torch.is_grad_enabled():
                return _ClippedSoftmaxCrossentropy.apply(logits, y_true, log_lo, log_hi)
            log_p = F.log_softmax(logits, dim=-1)
            loss = -(y_true.to(log_p.dtype) * torch.clamp(log_p, log_lo, log_hi)).sum() / logits.shape[0]
            return loss, log_p
        if (type(base) is SparseCategoricalCrossentropy and base.ignore_class is None
                and not y_true.is_floating_point() and y_true.numel() == logits.shape[0]):
            log_p = F.log_softmax(logits, dim=-1)
            return clipped_softmax_nll(log_p, y_true.reshape(-1).long()), log_p
        return None

    def loss_and_probabilities(self, y_true, logits, sample_weight=None, need_probabilities=True):
        """The loss and, for the metrics, the activation's output (`softmax`/`sigmoid` of the logits).

        On the hot path the probabilities come from the loss's own `log_softmax` (`exp` of it:
        within one float32 ulp of `softmax`, at a tenth of its cost).
        """
        if sample_weight is None:
            hot = self._softmax_hot_path(y_true, logits)
            if hot is not None:
                loss, log_p = hot
                return loss, (log_p.detach().exp() if need_probabilities else None)
        loss = self(y_true, logits, sample_weight=sample_weight)
        if not need_probabilities:
            return loss, None
        detached = logits.detach()
        return loss, (torch.sigmoid(detached) if self.activation == "sigmoid" else torch.softmax(detached, -1))

    def __call__(self, y_true, y_pred, sample_weight=None):
        base = self.base
        if sample_weight is None:
            hot = self._softmax_hot_path(y_true, y_pred)
            if hot is not None:
                return hot[0]
        plain = (sample_weight is None and self.reduction == "sum_over_batch_size"
                 and type(y_true) is torch.Tensor and getattr(y_pred, "_keras_mask", None) is None
                 and y_pred.dim() == 2)
        if (plain and self.activation == "sigmoid"
                and not base.label_smoothing and y_true.shape == y_pred.shape):
            # The training hot path: the mean over every element is the mean of the per-sample
            # means (all rows have the same length), in one fused kernel.
            return clipped_sigmoid_bce(y_pred, y_true.to(y_pred.dtype))
        return super().__call__(y_true, y_pred, sample_weight=sample_weight)

    def check_targets(self, y_true, y_pred):
        self.base.check_targets(y_true, y_pred)

    def get_config(self):
        return self.base.get_config()


def fused_from_logits(loss_obj, activation_name):
    """Returns a loss that takes the logits *before* `activation_name` and gives `loss_obj`'s value.

    The trainer may drop a final `softmax`/`sigmoid` from the forward pass and call the
    returned loss on the logits: faster, and stable. It covers
    `CategoricalCrossentropy`/`SparseCategoricalCrossentropy` after `"softmax"` and
    `BinaryCrossentropy` after `"sigmoid"`, all with `from_logits=False`, on the last axis;
    for anything else it returns `None` (keep the activation and the loss as they are).

    Keras' clip of probabilities to `[1e-7, 1 - 1e-7]` is reproduced exactly: in log space
    for softmax (`log(clip(p)) == clip(log(p))`), and as a clamp of the logits for sigmoid
    (`clip(sigmoid(z)) == sigmoid(clamp(z, logit(lo), logit(hi)))`), bounds rounded to
    float32 as `torch.clip` does, so saturated logits give Keras' plateau values (and zero
    gradients) too. The values agree
    with Keras to 1e-6 for softmax everywhere and for sigmoid while `|logit| <~ 5`; beyond
    that Keras computes `1 - sigmoid(z)` in float32 and loses digits to cancellation (about
    1e-3 relative at `|z| = 10`), whereas the logits path stays exact. The metrics must then
    be fed `activation(logits)`, not the logits.

    Args:
        loss_obj: A `Loss` (as returned by `get`).
        activation_name: Name of the model's final activation, e.g. `"softmax"`.

    Returns:
        A `Loss` taking logits, or `None` when no fused path applies.

    Example:
    >>> fused = fused_from_logits(CategoricalCrossentropy(), "softmax")
    >>> logits = torch.tensor([[1.0, 2.0, 0.5]])
    >>> y = torch.tensor([[0.0, 1.0, 0.0]])
    >>> bool(torch.isclose(fused(y, logits), CategoricalCrossentropy()(y, logits.softmax(-1))))
    True
    """
    if not isinstance(loss_obj, Loss) or getattr(loss_obj, "from_logits", True):
        return None
    if getattr(loss_obj, "axis", -1) != -1:
        return None
    kind = type(loss_obj)
    if activation_name == "softmax" and kind in (CategoricalCrossentropy, SparseCategoricalCrossentropy):
        return _FusedLogitsLoss(loss_obj, "softmax")
    if activation_name == "sigmoid" and kind is BinaryCrossentropy:
        return _FusedLogitsLoss(loss_obj, "sigmoid")
    return None
