"""Target checks: the trainer asks a loss, once on the first batch, whether `y` fits it.

Each mixin's `check_targets(y_true, y_pred)` raises a `ValueError` that names the fix
(another loss, a reshape, `to_categorical`) when the targets cannot be meant for the
predictions.

Example:
>>> import torch
>>> from kerastorch import losses
>>> losses.MeanSquaredError().check_targets(torch.zeros(8), torch.zeros(8, 1))
"""

import numpy as np
import torch

from kerastorch.losses.base import _shape_str, squeeze_or_expand_to_same_rank


def _as_tensor_for_check(x):
    return x if isinstance(x, torch.Tensor) else torch.as_tensor(np.asarray(x))


def _is_integral(y):
    if not (y.is_floating_point() or y.is_complex()):
        return True
    return bool(torch.all(y == torch.round(y))) if y.numel() else True


def _check_broadcast(name, y_true, y_pred):
    y_true, y_pred = _as_tensor_for_check(y_true), _as_tensor_for_check(y_pred)
    t, p = squeeze_or_expand_to_same_rank(y_true, y_pred)
    try:
        torch.broadcast_shapes(t.shape, p.shape)
    except RuntimeError:
        raise ValueError(
            f"Loss '{name}' expects targets that broadcast against the predictions, "
            f"{_shape_str(y_pred.shape)}, but y has shape {tuple(y_true.shape)}. Make the model's last "
            f"layer output {y_true.shape[-1] if y_true.dim() > 1 else 1} value(s) per sample, or reshape y "
            f"to {_shape_str(y_pred.shape)}."
        ) from None


def _check_one_hot(name, y_true, y_pred):
    y_true, y_pred = _as_tensor_for_check(y_true), _as_tensor_for_check(y_pred)
    if tuple(y_true.shape[1:]) == tuple(y_pred.shape[1:]):
        return
    n = y_pred.shape[-1]
    pred_shape = _shape_str(y_pred.shape)
    looks_sparse = tuple(y_true.shape[1:]) == tuple(y_pred.shape[1:-1]) or tuple(y_true.shape[1:]) == (
        *y_pred.shape[1:-1],
        1,
    )
    if looks_sparse and n > 1 and _is_integral(y_true):
        raise ValueError(
            f"Loss '{name}' expects one-hot targets shaped like the predictions, {pred_shape}, but y "
            f"has shape {tuple(y_true.shape)} with integer class ids. Use "
            f"loss='sparse_categorical_crossentropy', or one-hot encode y with "
            f"kerastorch.utils.to_categorical(y, num_classes={n})."
        )
    raise ValueError(
        f"Loss '{name}' expects one-hot targets shaped like the predictions, {pred_shape}, but y has "
        f"shape {tuple(y_true.shape)}. Make the last layer output {y_true.shape[-1]} classes "
        f"(e.g. Dense({y_true.shape[-1]}, activation='softmax')), or give y with {n} columns."
    )


class _CategoricalTargets:
    def check_targets(self, y_true, y_pred):
        """Raises `ValueError` unless `y_true` is one-hot, shaped like `y_pred`."""
        _check_one_hot(self.name, y_true, y_pred)


class _RegressionTargets:
    def check_targets(self, y_true, y_pred):
        """Raises `ValueError` unless `y_true` and `y_pred` broadcast."""
        _check_broadcast(self.name, y_true, y_pred)


class _BinaryTargets:
    def check_targets(self, y_true, y_pred):
        """Raises `ValueError` unless `y_true` holds values in [0, 1] shaped like `y_pred`."""
        name = self.name
        y_true, y_pred = _as_tensor_for_check(y_true), _as_tensor_for_check(y_pred)
        t, p = squeeze_or_expand_to_same_rank(y_true, y_pred)
        if tuple(t.shape[1:]) != tuple(p.shape[1:]):
            pred_shape = _shape_str(y_pred.shape)
            if y_pred.shape[-1] == 1 and y_true.dim() >= 2 and y_true.shape[-1] > 1:
                k = y_true.shape[-1]
                raise ValueError(
                    f"Loss '{name}' expects targets shaped like the predictions, {pred_shape}, but y has "
                    f"shape {tuple(y_true.shape)}. If y is one-hot over {k} classes, end the model with "
                    f"Dense({k}, activation='softmax') and use loss='categorical_crossentropy'."
                )
            raise ValueError(
                f"Loss '{name}' expects targets shaped like the predictions, {pred_shape}, but y has "
                f"shape {tuple(y_true.shape)}. Make the last layer output {t.shape[-1] if t.dim() > 1 else 1} "
                f"value(s) per sample, or reshape y to {pred_shape}."
            )
        if y_true.numel():
            # Both bounds in one pass (bool, which aminmax does not take, is within [0, 1]).
            lo, hi = (0, 1) if y_true.dtype == torch.bool else torch.aminmax(y_true)
            lo, hi = float(lo), float(hi)
            if lo < 0 or hi > 1:
                hint = (
                    f" If y holds class ids 0..{int(hi)}, end the model with Dense({int(hi) + 1}, "
                    "activation='softmax') and use loss='sparse_categorical_crossentropy'."
                    if _is_integral(y_true) and lo >= 0
                    else ""
                )
                raise ValueError(
                    f"Loss '{name}' expects targets in [0, 1], but y holds values in "
                    f"[{lo:g}, {hi:g}] (shape {tuple(y_true.shape)}).{hint}"
                )


class _SparseTargets:
    def check_targets(self, y_true, y_pred):
        """Raises `ValueError` unless `y_true` holds integer class ids in [0, num_classes)."""
        name = self.name
        y_true, y_pred = _as_tensor_for_check(y_true), _as_tensor_for_check(y_pred)
        n = y_pred.shape[-1]
        expected = tuple(y_pred.shape[1:-1])
        got = tuple(y_true.shape[1:])
        if got not in (expected, (*expected, 1)):
            pred_shape = _shape_str(y_pred.shape)
            if got == tuple(y_pred.shape[1:]) and n > 1:
                raise ValueError(
                    f"Loss '{name}' expects integer class ids shaped {_shape_str((None, *expected))}, "
                    f"one per sample, but y has shape {tuple(y_true.shape)}, like the predictions "
                    f"{pred_shape}: one-hot targets. Use loss='categorical_crossentropy', or pass the "
                    "class ids, y.argmax(axis=-1)."
                )
            raise ValueError(
                f"Loss '{name}' expects integer class ids shaped {_shape_str((None, *expected))} for "
                f"predictions {pred_shape}, but y has shape {tuple(y_true.shape)}."
            )
        if not _is_integral(y_true):
            raise ValueError(
                f"Loss '{name}' expects integer class ids in [0, {n}), but y holds non-integer values. "
                "For probability targets use loss='categorical_crossentropy'."
            )
        vals = y_true
        ignore = getattr(self, "ignore_class", None)
        if ignore is not None:
            vals = vals[vals != ignore]
        if vals.numel():
            lo, hi = int(vals.min()), int(vals.max())
            if lo < 0 or hi >= n:
                raise ValueError(
                    f"Loss '{name}' expects class ids in [0, {n}) for predictions {_shape_str(y_pred.shape)}, but y "
                    f"holds ids from {lo} to {hi}. Make the last layer output at least {hi + 1} classes "
                    f"(Dense({hi + 1}, activation='softmax')), or relabel y to 0..{n - 1}."
                )
