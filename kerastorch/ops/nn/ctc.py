"""Keras' CTC ops: `ctc_loss` and `ctc_decode` (greedy and beam search), in Keras' formats.

Example:
>>> import torch
>>> from kerastorch import ops
>>> logits = torch.tensor([[[0.0, 5.0, 0.0], [5.0, 0.0, 0.0], [0.0, 0.0, 5.0]]])
>>> paths, scores = ops.ctc_decode(logits, [3])
>>> paths
tensor([[[ 1,  2, -1]]], dtype=torch.int32)
"""

import torch
import torch.nn.functional as F

from kerastorch.backend.dtypes import result_type, to_torch_dtype
from kerastorch.ops._utils import keras_op, tensor

__all__ = ["ctc_decode", "ctc_loss"]

# Multipliers of the two rolling hashes that identify a decoded path (with its batch row).
_P1, _P2 = 1_000_003, 2_654_435_761


def _keras_float(x):
    """`x` in `result_type(x.dtype, "float32")`, as Keras casts CTC inputs (float64 too gives float32)."""
    dtype = to_torch_dtype(result_type(x.dtype, "float32"))
    return x if x.dtype == dtype else x.to(dtype)


def _lengths(name, value, batch, what):
    lengths = tensor(value)
    if lengths.shape != (batch,):
        raise ValueError(f"ops.{name}: `{what}` must have shape ({batch},), one length per batch "
                         f"row, got shape {tuple(lengths.shape)}.")
    return lengths


@keras_op
def ctc_loss(target, output, target_length, output_length, mask_index=0):
    """Connectionist temporal classification loss, per batch row.

    Args:
        target: Integer tensor `(batch, max_label_length)` of label ids, padded past each row's
            `target_length`.
        output: Logits `(batch, max_time, num_classes)` (a log-softmax is applied here).
        target_length: Integer tensor `(batch,)`, the label lengths.
        output_length: Integer tensor `(batch,)`, the number of valid time steps per row.
        mask_index: The id of the blank class. Defaults to `0`.

    Returns:
        A tensor `(batch,)` of negative log-likelihoods, float32 (Keras' promotion of the logits' dtype
        with float32).

    Example:
    >>> import torch
    >>> ctc_loss([[1]], torch.zeros(1, 1, 2), [1], [1])
    tensor([0.6931])
    """
    target, output = tensor(target), _keras_float(tensor(output))
    if output.ndim != 3 or target.ndim != 2 or target.shape[0] != output.shape[0]:
        raise ValueError(
            "ops.ctc_loss: expected `target` of shape (batch, max_label_length) and `output` of shape "
            f"(batch, max_time, num_classes), got target.shape={tuple(target.shape)} and "
            f"output.shape={tuple(output.shape)}."
        )
    batch = output.shape[0]
    target_length = _lengths("ctc_loss", target_length, batch, "target_length")
    output_length = _lengths("ctc_loss", output_length, batch, "output_length")
    log_probs = F.log_softmax(output.transpose(0, 1), dim=-1)     # torch wants (time, batch, classes)
    return F.ctc_loss(log_probs, target, output_length, target_length, blank=mask_index,
                      reduction="none")


@keras_op
def ctc_decode(inputs, sequence_lengths, strategy="greedy", beam_width=100, top_paths=1,
               merge_repeated=True, mask_index=0):
    """Decodes the output of a CTC model, greedily or by beam search.

    Greedy: the best class of each valid step, with repeats merged (when `merge_repeated`) and
    blanks dropped; the score is minus the sum of the chosen values of `inputs`. Beam search keeps
    the `beam_width` most probable label prefixes (summing the probabilities of the alignments
    of each, on `log_softmax(inputs)`), and returns the `top_paths` best with their
    log-probabilities.

    Args:
        inputs: Tensor `(batch, max_length, num_classes)` of logits or probabilities.
        sequence_lengths: Integer tensor `(batch,)`, the valid length of each row.
        strategy: `"greedy"` or `"beam_search"`. Defaults to `"greedy"`.
        beam_width: Beam size, for `"beam_search"`. Defaults to `100`.
        top_paths: How many paths to return, for `"beam_search"`. Defaults to `1`.
        merge_repeated: Whether the greedy decoder merges repeated classes. Defaults to `True`.
        mask_index: The id of the blank class; `None` means the last class. Defaults to `0`.

    Returns:
        A pair `(paths, scores)`. `paths` is an int32 tensor `(top_paths, batch, max_length)`
        (`top_paths` is 1 for greedy) of label ids, each row padded with `-1`; `scores` is
        `(batch, top_paths)`: minus the sum of the chosen values for greedy, the path
        log-probabilities for beam search.

    Example:
    >>> import torch
    >>> x = torch.tensor([[[0.0, 5.0, 0.0], [0.0, 5.0, 0.0], [0.0, 0.0, 5.0]]])
    >>> ctc_decode(x, [3])[0]
    tensor([[[ 1,  2, -1]]], dtype=torch.int32)
    >>> ctc_decode(x, [3], strategy="beam_search")[0]
    tensor([[[ 1,  2, -1]]], dtype=torch.int32)
    """
    x = _keras_float(tensor(inputs))
    if x.ndim != 3:
        raise ValueError(f"ops.ctc_decode: `inputs` must have shape (batch, max_length, num_classes), "
                         f"got shape {tuple(x.shape)}.")
    batch, _, num_classes = x.shape
    lengths = _lengths("ctc_decode", sequence_lengths, batch, "sequence_lengths").to(torch.int64)
    if mask_index is None:
        mask_index = num_classes - 1
    if isinstance(mask_index, bool) or not isinstance(mask_index, int) or not 0 <= mask_index < num_classes:
        raise ValueError(f"ops.ctc_decode: `mask_index` must be None or an int in [0, {num_classes}) "
                         f"(the blank class id), got mask_index={mask_index!r}.")
    if strategy == "greedy":
        return _greedy(x, lengths, bool(merge_repeated), mask_index)
    if strategy == "beam_search":
        for arg, value in (("beam_width", beam_width), ("top_paths", top_paths)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"ops.ctc_decode: `{arg}` must be a positive int, got "
                                 f"{arg}={value!r}.")
        return _beam_search(x, lengths, beam_width, top_paths, mask_index)
    raise ValueError(f"ops.ctc_decode: `strategy` must be 'greedy' or 'beam_search', got "
                     f"strategy={strategy!r}.")


def _greedy(x, lengths, merge_repeated, blank):
    batch, steps, _ = x.shape
    best, ids = torch.max(x, dim=-1)
    ids = ids.to(torch.int32)
    valid = torch.arange(steps, device=x.device) < lengths[:, None]
    ids = torch.where(valid, ids, blank)
    best = torch.where(valid, best, 0.0)
    if merge_repeated:
        repeat = torch.zeros_like(valid)
        repeat[:, 1:] = ids[:, 1:] == ids[:, :-1]
        ids = torch.where(repeat, blank, ids)
    dropped = ids == blank
    ids = torch.where(dropped, -1, ids)
    # Kept labels first, in their order; the dropped ones (-1) after them.
    key = torch.where(dropped, steps, torch.arange(steps, device=x.device))
    order = torch.argsort(key, dim=-1, stable=True)
    return torch.take_along_dim(ids, order, dim=-1)[None], -best.sum(dim=1, keepdim=True)


def _segment_logsumexp(values, segments, size):
    """Per row, `log(sum(exp(values)))` over the entries of each segment id in `[0, size)`."""
    top = torch.full((values.shape[0], size), float("-inf"), dtype=values.dtype, device=values.device)
    top = top.scatter_reduce(1, segments, values, reduce="amax")
    shift = torch.where(torch.isfinite(top), top, 0.0)
    summed = torch.zeros_like(top).scatter_add(1, segments, torch.exp(values - shift.gather(1, segments)))
    return torch.log(summed) + shift


def _group(h1, h2):
    """Per row, a group id for each entry such that equal (h1, h2) pairs share it; ids count from 0
    in sorted order. Also the smallest entry index of each group (`size` where no group)."""
    size = h1.shape[1]
    order = torch.argsort(h2, dim=1, stable=True)
    order = order.gather(1, torch.argsort(h1.gather(1, order), dim=1, stable=True))
    s1, s2 = h1.gather(1, order), h2.gather(1, order)
    new = torch.ones_like(s1, dtype=torch.bool)
    new[:, 1:] = (s1[:, 1:] != s1[:, :-1]) | (s2[:, 1:] != s2[:, :-1])
    gid_sorted = torch.cumsum(new, dim=1) - 1
    gid = torch.empty_like(gid_sorted).scatter_(1, order, gid_sorted)
    first = torch.full_like(gid, size).scatter_reduce(1, gid_sorted, order, reduce="amin")
    return gid, first


def _beam_search(x, lengths, beam_width, top_paths, blank):
    """CTC prefix beam search over all rows at once.

    The beam holds `2 * beam_width` slots: for each kept prefix, one track whose last step
    emitted a label and one whose last step was blank (the prefix's two probabilities). A step
    extends every slot by every class (a blank or a repeat of the last label after an emitting
    step keeps the prefix), merges equal prefixes, and keeps the `beam_width` best by total
    probability. Prefixes are identified by two 64-bit rolling hashes, so no paths are compared
    element by element; rows whose sequence has ended keep their beam.
    """
    logp = F.log_softmax(x, dim=-1)
    batch, steps, classes = x.shape
    width, slots = beam_width, 2 * beam_width
    device = x.device
    long = dict(dtype=torch.int64, device=device)
    paths = torch.full((batch, slots, steps), -1, **long)
    length = torch.zeros((batch, slots), **long)
    last = torch.full((batch, slots), -1, **long)
    h1 = torch.zeros((batch, slots), **long)
    h2 = torch.zeros((batch, slots), **long)
    masked = torch.ones((batch, slots), dtype=torch.bool, device=device)
    scores = torch.full((batch, slots), float("-inf"), dtype=logp.dtype, device=device)

    n0 = min(classes, width)
    first_scores, first = torch.topk(logp[:, 0], n0, dim=-1)
    is_blank = first == blank
    label = torch.where(is_blank, -1, first)
    paths[:, :n0, 0] = label
    length[:, :n0] = (~is_blank).long()
    last[:, :n0] = label
    h1[:, :n0] = label + 1
    h2[:, :n0] = label + 1
    masked[:, :n0] = is_blank
    scores[:, :n0] = first_scores

    cls = torch.arange(classes, **long)
    blank_class = (cls == blank)[None, None, :]
    for t in range(1, steps):
        cand = (scores[:, :, None] + logp[:, t, None, :]).reshape(batch, -1)
        repeat = (~masked)[:, :, None] & (last[:, :, None] == cls)
        append = (~blank_class & ~repeat).reshape(batch, -1)
        cand_masked = blank_class.expand(batch, slots, classes).reshape(batch, -1)
        c1 = torch.where(append, (h1[:, :, None] * _P1 + cls + 1).reshape(batch, -1),
                         h1.repeat_interleave(classes, dim=1))
        c2 = torch.where(append, (h2[:, :, None] * _P2 + cls + 1).reshape(batch, -1),
                         h2.repeat_interleave(classes, dim=1))
        gid, rep = _group(c1, c2)
        size = gid.shape[1]
        emit = _segment_logsumexp(torch.where(cand_masked, float("-inf"), cand), gid, size)
        blank_end = _segment_logsumexp(torch.where(cand_masked, cand, float("-inf")), gid, size)
        _, best = torch.topk(torch.logaddexp(emit, blank_end), width, dim=1)
        chosen = rep.gather(1, best)
        missing = chosen >= size                       # fewer groups than beam_width
        chosen = chosen.clamp(max=size - 1)
        parent, label = chosen // classes, chosen % classes
        grows = append.gather(1, chosen) & ~missing
        new_paths = paths.gather(1, parent[:, :, None].expand(batch, width, steps)).clone()
        new_length = length.gather(1, parent)
        at = new_length.clamp(max=steps - 1)[:, :, None]
        new_paths.scatter_(2, at, torch.where(grows[:, :, None], label[:, :, None],
                                              new_paths.gather(2, at)))
        new_paths = torch.where(missing[:, :, None], -1, new_paths)
        new_length = torch.where(missing, 0, new_length + grows.long())
        new_last = torch.where(missing, -1, torch.where(grows, label, last.gather(1, parent)))
        new_h1 = torch.where(missing, 0, c1.gather(1, chosen))
        new_h2 = torch.where(missing, 0, c2.gather(1, chosen))
        new_scores = torch.cat([emit.gather(1, best), blank_end.gather(1, best)], dim=1)
        new_masked = torch.zeros((batch, slots), dtype=torch.bool, device=device)
        new_masked[:, width:] = True

        running = (t < lengths)[:, None]
        paths = torch.where(running[:, :, None], new_paths.repeat(1, 2, 1), paths)
        length = torch.where(running, new_length.repeat(1, 2), length)
        last = torch.where(running, new_last.repeat(1, 2), last)
        h1 = torch.where(running, new_h1.repeat(1, 2), h1)
        h2 = torch.where(running, new_h2.repeat(1, 2), h2)
        masked = torch.where(running, new_masked, masked)
        scores = torch.where(running, new_scores, scores)

    gid, rep = _group(h1, h2)
    totals = _segment_logsumexp(scores, gid, slots)
    if top_paths > slots:                              # more paths asked than the beam holds
        totals = torch.cat([totals, totals.new_full((batch, top_paths - slots), float("-inf"))], 1)
        rep = torch.cat([rep, torch.full((batch, top_paths - slots), slots, **long)], dim=1)
    top_scores, best = torch.topk(totals, top_paths, dim=1)
    chosen = rep.gather(1, best)
    missing = chosen >= slots
    out = paths.gather(1, chosen.clamp(max=slots - 1)[:, :, None].expand(batch, top_paths, steps))
    out = torch.where(missing[:, :, None], -1, out)
    return out.permute(1, 0, 2).to(torch.int32), top_scores
