"""Keras' `dot_product_attention` on `torch.nn.functional.scaled_dot_product_attention`.

Example:
>>> import torch
>>> from kerastorch import ops
>>> q = torch.ones(2, 3, 4, 8)      # (batch, target length, heads, head size)
>>> tuple(ops.dot_product_attention(q, q, q).shape)
(2, 3, 4, 8)
"""

import torch
import torch.nn.functional as F

from kerastorch import config
from kerastorch.backend.dtypes import result_type, to_torch_dtype
from kerastorch.ops._utils import keras_op, tensor

__all__ = ["dot_product_attention"]

_COMPUTE_DTYPES = (torch.float32, torch.float16, torch.bfloat16)


def _large_negative(dtype):
    # Keras' masked logit: -0.7 * the largest float16 (65500) or float32 (3.38953e38) value.
    return -0.7 * (65500.0 if dtype == torch.float16 else 3.38953e38)


def _flash_choice(flash_attention):
    """`flash_attention`, or, when `None`, `kerastorch.config.is_flash_attention_enabled()`."""
    if flash_attention is None:
        flash_attention = config.is_flash_attention_enabled()     # None (auto) or False
    if flash_attention not in (None, True, False):
        raise ValueError(f"ops.dot_product_attention: `flash_attention` must be None, True or False, "
                         f"got flash_attention={flash_attention!r}.")
    return flash_attention


def _can_use_flash(query, key, value, mask, is_causal):
    try:
        from torch.backends.cuda import SDPAParams, can_use_flash_attention
    except ImportError:         # pragma: no cover - torch builds without the SDPA API
        return False, "this torch build has no flash attention"
    try:
        params = SDPAParams(query, key, value, mask, 0.0, is_causal, False)
    except TypeError:           # older torch: no enable_gqa argument
        params = SDPAParams(query, key, value, mask, 0.0, is_causal)
    if can_use_flash_attention(params, False):
        return True, ""
    return False, (f"torch's flash kernel cannot run on these inputs (device {query.device.type}, "
                   f"dtype {str(query.dtype).replace('torch.', '')}, head size {query.shape[-1]}"
                   f"{', with a mask or bias' if mask is not None else ''}); it needs a CUDA GPU, "
                   "float16 or bfloat16 inputs and no mask")


@keras_op
def dot_product_attention(query, key, value, bias=None, mask=None, scale=None, is_causal=False,
                          flash_attention=None, attn_logits_soft_cap=None):
    """Scaled dot-product attention: `softmax(query @ key^T * scale + bias) @ value`, per head.

    Grouped-query attention works: `key`/`value` may have fewer heads than `query`, a divisor
    of its number of heads.

    Args:
        query: Tensor `(batch, target_length, num_heads, head_size)`.
        key: Tensor `(batch, source_length, num_kv_heads, head_size)`.
        value: Tensor `(batch, source_length, num_kv_heads, value_size)`.
        bias: Optional tensor added to the attention logits, broadcastable to
            `(batch, num_heads, target_length, source_length)`. Defaults to `None`.
        mask: Optional boolean tensor of that shape: `True` where a query may attend; masked
            logits get a large negative value (`-0.7 * max float`), as in Keras. Only one of `bias`
            and `mask` may be given. Defaults to `None`.
        scale: Scale of the logits. Defaults to `None`, which means `1 / sqrt(head_size)`.
        is_causal: Whether each target position attends only to source positions up to its own
            (top-left aligned); combined with `mask` when both are given. Defaults to `False`.
        flash_attention: `True` to require torch's flash kernel (a `ValueError` says why when it
            cannot run), `False` to keep it out, `None` to follow `kerastorch.config`: kept out
            after `config.disable_flash_attention()`, else torch picks its fastest kernel (flash
            where the inputs allow it, as Keras does). Defaults to `None`.
        attn_logits_soft_cap: Only `None`: Keras supports a logits soft cap on JAX/TPU only.
            Defaults to `None`.

    Returns:
        A tensor `(batch, target_length, num_heads, value_size)`, of Keras' promoted dtype of
        `query`, `key` and `value` (float32 for float64 inputs, as on Keras' torch backend).

    Example:
    >>> import torch
    >>> q = torch.zeros(1, 2, 1, 4)
    >>> v = torch.tensor([[[[1.0]], [[3.0]]]])
    >>> dot_product_attention(q, q, v)[0, :, 0, 0]
    tensor([2., 2.])
    """
    if attn_logits_soft_cap is not None:
        raise ValueError(
            "ops.dot_product_attention: `attn_logits_soft_cap` is only supported by Keras' JAX "
            f"backend on TPU, got attn_logits_soft_cap={attn_logits_soft_cap!r}. Pass None; to cap "
            "the logits, compute them yourself: cap * ops.tanh(logits / cap)."
        )
    q, k, v = tensor(query), tensor(key), tensor(value)
    if q.ndim != 4 or k.ndim != 4 or v.ndim != 4:
        raise ValueError(
            "ops.dot_product_attention: `query`, `key` and `value` must be 4D, (batch, length, heads, "
            f"head size), got query.shape={tuple(q.shape)}, key.shape={tuple(k.shape)}, "
            f"value.shape={tuple(v.shape)}."
        )
    if bias is not None and mask is not None:
        raise ValueError("ops.dot_product_attention: give only one of `bias` and `mask`, got both. "
                         "Fold the mask into the bias (a large negative value where masked).")
    heads, kv_heads = q.shape[2], k.shape[2]
    if k.shape[:3] != v.shape[:3] or q.shape[-1] != k.shape[-1] or heads % kv_heads:
        raise ValueError(
            "ops.dot_product_attention: `key` and `value` must share (batch, source length, heads), "
            "`key` must have `query`'s head size, and `query`'s heads must be a multiple of the "
            f"key's; got query.shape={tuple(q.shape)}, key.shape={tuple(k.shape)}, "
            f"value.shape={tuple(v.shape)}."
        )
    if not (q.dtype == k.dtype == v.dtype and q.dtype in _COMPUTE_DTYPES):
        # Keras' promotion (on its torch backend float64 gives float32, as JAX's default does).
        dtype = to_torch_dtype(result_type(q.dtype, k.dtype, v.dtype))
        q, k, v = q.to(dtype), k.to(dtype), v.to(dtype)
    attn_mask = None
    if mask is not None:
        mask = tensor(mask, "bool")
        if is_causal:       # torch takes a mask or is_causal, not both: fold the causal part in
            causal = torch.ones((q.shape[1], k.shape[1]), dtype=torch.bool, device=mask.device).tril()
            mask = mask & causal
            is_causal = False
        attn_mask = torch.where(mask, 0.0, _large_negative(q.dtype)).to(q.dtype)
    elif bias is not None:
        attn_mask = tensor(bias, q.dtype)
    q, k, v = q.transpose(1, 2), k.transpose(1, 2), v.transpose(1, 2)
    if heads > kv_heads > 1:
        k = k.repeat_interleave(heads // kv_heads, dim=1)
        v = v.repeat_interleave(heads // kv_heads, dim=1)
    flash = _flash_choice(flash_attention)
    if flash is None:
        out = F.scaled_dot_product_attention(q, k, v, attn_mask=attn_mask, is_causal=is_causal,
                                             scale=scale)
    else:
        from torch.nn.attention import SDPBackend, sdpa_kernel

        if flash:
            ok, why = _can_use_flash(q, k, v, attn_mask, is_causal)
            if not ok:
                raise ValueError(f"ops.dot_product_attention: flash_attention=True, but {why}. Use "
                                 "flash_attention=None to let torch choose a kernel.")
            backends = [SDPBackend.FLASH_ATTENTION]
        else:
            backends = [SDPBackend.EFFICIENT_ATTENTION, SDPBackend.CUDNN_ATTENTION, SDPBackend.MATH]
        with sdpa_kernel(backends):
            out = F.scaled_dot_product_attention(q, k, v, attn_mask=attn_mask, is_causal=is_causal,
                                                 scale=scale)
    return out.transpose(1, 2)
