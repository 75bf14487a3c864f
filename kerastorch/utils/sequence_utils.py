"""`pad_sequences`: a list of variable-length sequences to one padded numpy array, as in Keras."""

import numpy as np


def _is_string_dtype(dtype):
    try:
        return np.issubdtype(dtype, np.str_) or np.issubdtype(dtype, np.bytes_)
    except TypeError:
        return False


def pad_sequences(sequences, maxlen=None, dtype="int32", padding="pre", truncating="pre", value=0.0):
    """Pads (and truncates) sequences to one length, giving a 2D (or more) numpy array.

    Each sequence shorter than `maxlen` is filled with `value`, before it (`padding="pre"`)
    or after it (`"post"`); each longer one loses its first (`truncating="pre"`) or last
    (`"post"`) steps. The steps may themselves be arrays: the output is then
    `(num_samples, maxlen, *step_shape)`.

    Args:
        sequences: List (or array) of sequences; each is a list or array of steps.
        maxlen: Optional int, the output length. Defaults to `None`: the longest sequence.
        dtype: Output dtype. Defaults to `"int32"`; use `object` (or a numpy string dtype)
            for strings.
        padding: `"pre"` or `"post"`: where to pad. Defaults to `"pre"`.
        truncating: `"pre"` or `"post"`: where to cut sequences longer than `maxlen`.
            Defaults to `"pre"`.
        value: Padding value (a number, or a string with a string/object `dtype`).
            Defaults to `0.0`.

    Returns:
        A numpy array of shape `(len(sequences), maxlen, *step_shape)` and dtype `dtype`.

    Raises:
        ValueError: for a non-iterable sequence, steps of different shapes, a string `value`
            with a numeric `dtype`, or an unknown `padding`/`truncating`.

    Example:
    >>> pad_sequences([[1], [2, 3], [4, 5, 6]])
    array([[0, 0, 1],
           [0, 2, 3],
           [4, 5, 6]], dtype=int32)
    >>> pad_sequences([[1], [2, 3], [4, 5, 6]], maxlen=2, padding="post", truncating="post")
    array([[1, 0],
           [2, 3],
           [4, 5]], dtype=int32)
    """
    if not hasattr(sequences, "__len__"):
        raise ValueError(f"pad_sequences: `sequences` must be a list of sequences, got "
                         f"{type(sequences).__name__} {sequences!r}.")
    for name, option in (("padding", padding), ("truncating", truncating)):
        if option not in ("pre", "post"):
            raise ValueError(f"pad_sequences: `{name}` must be 'pre' or 'post', got {name}={option!r}.")
    lengths, step_shape = [], None
    for i, seq in enumerate(sequences):
        try:
            n = len(seq)
        except TypeError:
            raise ValueError(f"pad_sequences: `sequences` must be a list of sequences, but item {i} is "
                             f"{type(seq).__name__} {seq!r}, which has no length. Wrap single values "
                             f"in a list: [[1], [2, 3]].") from None
        lengths.append(n)
        if step_shape is None and n:
            step_shape = np.asarray(seq).shape[1:]   # the first non-empty sequence sets the step shape
    step_shape = step_shape or ()
    if maxlen is None:
        if not lengths:
            raise ValueError("pad_sequences: `sequences` is empty and no `maxlen` is given, so the output "
                             "length is unknown. Pass maxlen=.")
        maxlen = int(max(lengths))
    elif isinstance(maxlen, bool) or not isinstance(maxlen, (int, np.integer)) or maxlen < 0:
        raise ValueError(f"pad_sequences: `maxlen` must be a non-negative integer or None, got {maxlen!r}.")
    maxlen = int(maxlen)
    if isinstance(value, str) and dtype is not object and not _is_string_dtype(dtype):
        raise ValueError(f"pad_sequences: value={value!r} is a string but dtype={dtype!r} is not; pass "
                         f"dtype=object for variable-length strings.")

    out = np.full((len(lengths), maxlen) + tuple(step_shape), value, dtype=dtype)
    if maxlen == 0:
        return out
    for i, seq in enumerate(sequences):
        if not lengths[i]:
            continue
        kept = seq[-maxlen:] if truncating == "pre" else seq[:maxlen]
        kept = np.asarray(kept, dtype=dtype)
        if kept.shape[1:] != tuple(step_shape):
            raise ValueError(f"pad_sequences: the steps of sequence {i} have shape {kept.shape[1:]}, but the "
                             f"first non-empty sequence's steps have shape {tuple(step_shape)}; every step "
                             f"must have the same shape.")
        if padding == "post":
            out[i, :len(kept)] = kept
        else:
            out[i, maxlen - len(kept):] = kept
    return out
