"""Converting what users pass to `fit`/`evaluate`/`predict` into tensors, with Keras' checks.

Inputs, targets and sample weights may each be one array or a structure of arrays (a list,
tuple or dict, as a model with several inputs or outputs takes them). Conversion never copies
data whose dtype already fits.
"""

import collections.abc
import types

import numpy as np
import torch

from kerastorch import config
from kerastorch.ops import _tree as tree


def describe(value):
    """A short description of an input for error messages: `ndarray of shape (60000, 784)`."""
    shape = getattr(value, "shape", None)
    if shape is not None:
        return f"{type(value).__name__} of shape {tuple(shape)}"
    if isinstance(value, dict):
        return f"dict with keys {sorted(value)}"
    if isinstance(value, (list, tuple)) and value and all(hasattr(v, "shape") for v in value):
        return f"{type(value).__name__} of {len(value)} arrays"
    return type(value).__name__


def is_structure(value):
    """Whether `value` is a structure of arrays (several inputs/outputs), not one array-like.

    A dict is always a structure. A list or tuple is one when its items are arrays or tensors
    (or structures of them); a list of numbers is data, as `np.asarray` reads it.
    """
    if isinstance(value, dict):
        return True
    if isinstance(value, (list, tuple)) and value:
        return all(hasattr(v, "shape") or isinstance(v, dict) or v is None
                   or (isinstance(v, (list, tuple)) and is_structure(v)) for v in value)
    return False


def to_tensor(value, arg, keep_integers=True):
    """Converts an array-like to a tensor without copying where the dtype already fits.

    Floating data becomes float32 (Keras' floatx); booleans become float32; integers stay
    int64 when `keep_integers` (labels, token ids), else become float32.

    Args:
        value: numpy array, torch tensor, list or scalar.
        arg: The argument name for error messages (`"x"`, `"y"`, ...).
        keep_integers: Whether integer data keeps an integer dtype.
    """
    if value is None:
        return None
    if isinstance(value, torch.Tensor):
        tensor = value.detach()
    else:
        try:
            array = np.asarray(value)
        except (ValueError, TypeError) as e:
            raise TypeError(
                f"`{arg}` must be a numpy array, a torch tensor or a list of numbers, got "
                f"{describe(value)} that cannot be converted: {e}"
            ) from None
        if array.dtype == object or array.dtype.kind in "USV":
            raise TypeError(
                f"`{arg}` must hold numbers, got an array of dtype {array.dtype} "
                f"(shape {array.shape}). Convert strings or ragged lists to a numeric array first."
            )
        if not array.flags.writeable or not array.flags.c_contiguous:
            array = np.ascontiguousarray(array).copy() if not array.flags.writeable else np.ascontiguousarray(array)
        tensor = torch.from_numpy(array)
    floatx = getattr(torch, config.floatx())
    if tensor.dtype == torch.bool:
        return tensor.to(floatx)
    if tensor.is_floating_point():
        return tensor if tensor.dtype == floatx else tensor.to(floatx)
    if tensor.is_complex():
        raise TypeError(f"`{arg}` holds complex numbers ({tensor.dtype}); kerastorch models take real data.")
    if keep_integers:
        return tensor if tensor.dtype == torch.int64 else tensor.to(torch.int64)
    return tensor.to(floatx)


def _leaf_name(arg, path):
    return arg + "".join(f"[{p!r}]" for p in path)


def _paths(value, path=()):
    """(path, leaf) pairs of a structure, in `tree.flatten` order."""
    if isinstance(value, dict):
        for k in sorted(value):
            yield from _paths(value[k], path + (k,))
    elif isinstance(value, (list, tuple)) and is_structure(value):
        for i, v in enumerate(value):
            yield from _paths(v, path + (i,))
    else:
        yield path, value


def structure_to_tensors(value, arg, keep_integers=True):
    """`value` (one array-like, or a structure of them) with every leaf converted by `to_tensor`."""
    if value is None:
        return None
    if not is_structure(value):
        return to_tensor(value, arg, keep_integers)
    leaves = [to_tensor(leaf, _leaf_name(arg, path), keep_integers) for path, leaf in _paths(value)]
    return tree.pack_sequence_as(_as_tree(value), leaves)


def _as_tree(value):
    """The structure with lists of numbers (data) turned into leaves, for `tree.pack_sequence_as`."""
    if isinstance(value, dict):
        return {k: _as_tree(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)) and is_structure(value):
        return type(value)(_as_tree(v) for v in value)
    return 0


def leaves(value):
    """The tensors of a converted structure (a single tensor is its own leaf)."""
    if isinstance(value, torch.Tensor) or value is None:
        return [value]
    return tree.flatten(value)


def num_samples(value):
    for leaf in leaves(value):
        if leaf is not None:
            return leaf.shape[0]
    return None


def check_lengths(x, y, sample_weight):
    """Every array of x, y and sample_weight must hold the same number of samples."""
    lengths = {}
    for arg, value in (("x", x), ("y", y), ("sample_weight", sample_weight)):
        if value is None:
            continue
        for path, leaf in _paths(value) if not isinstance(value, torch.Tensor) else [((), value)]:
            if leaf is None:
                continue
            if leaf.dim() == 0:
                raise ValueError(f"`{_leaf_name(arg, path)}` must have a sample axis, got a scalar.")
            lengths[_leaf_name(arg, path)] = leaf.shape[0]
    if len(set(lengths.values())) > 1:
        listed = ", ".join(f"{k} has {v}" for k, v in lengths.items())
        raise ValueError(
            f"Data cardinality is ambiguous: {listed} samples. Make sure all arrays contain the "
            "same number of samples (the first axis is the sample axis)."
        )
    if lengths and next(iter(lengths.values())) == 0:
        raise ValueError("The data is empty: x holds 0 samples. Pass at least one sample.")


def check_class_weight(class_weight, sample_weight, y=None):
    """Refuses what Keras refuses: a `class_weight` that is not a dict, with `sample_weight`,
    or for several outputs."""
    if not isinstance(class_weight, dict):
        raise TypeError(f"`class_weight` must be a dict mapping class ids to weights, got {class_weight!r}.")
    if sample_weight is not None:
        raise ValueError(
            "You cannot `class_weight` and `sample_weight` at the same time (as in Keras): give one of "
            "them. To combine both, multiply them yourself: sample_weight * class_weight[class of y]."
        )
    if y is not None and not isinstance(y, torch.Tensor) and len(leaves(y)) > 1:
        raise ValueError(
            "`class_weight` is only supported for Models with a single output (as in Keras); y holds "
            f"{len(leaves(y))} targets. Pass per-output sample weights instead: sample_weight=[w1, w2] "
            "or {output name: weights}."
        )


def class_weight_to_sample_weight(y, class_weight, sample_weight):
    """Per-sample weights from `class_weight` ({class id: weight}); refused together with `sample_weight`."""
    check_class_weight(class_weight, sample_weight, y)
    if y is None:
        raise ValueError("`class_weight` needs targets `y` to look the classes up in.")
    if not isinstance(y, torch.Tensor):
        y = leaves(y)[0]
    if y.dim() > 1 and y.shape[-1] > 1:
        ids = y.argmax(dim=-1)
    else:
        # As Keras: class ids are the targets rounded (half to even, as np.round) to integers.
        ids = y.reshape(y.shape[0])
        ids = torch.round(ids).long() if ids.is_floating_point() else ids
    size = int(max(max(class_weight) + 1, int(ids.max()) + 1))
    table = torch.ones(size, dtype=torch.float32)
    for k, v in class_weight.items():
        table[int(k)] = float(v)
    return table[ids.long().cpu()].to(ids.device)


def inspect_generator(value):
    """Whether `value` is a Python generator or iterator (not an array or a string)."""
    return isinstance(value, (types.GeneratorType, collections.abc.Iterator)) and not isinstance(
        value, (np.ndarray, torch.Tensor, str, bytes))


def unpack_batch(batch, where):
    """Splits a batch from a loader or generator into (x, y, sample_weight).

    As Keras: a tuple (or the list torch's collate makes of one) of 1, 2 or 3 items is `(x,)`,
    `(x, y)` or `(x, y, sample_weight)`; a dict or a single array is `x` (a dict feeds the
    model's inputs by name).
    """
    if isinstance(batch, (list, tuple)):
        if len(batch) == 1:
            return batch[0], None, None
        if len(batch) == 2:
            return batch[0], batch[1], None
        if len(batch) == 3:
            return batch[0], batch[1], batch[2]
        raise ValueError(
            f"{where}: batches must be x, (x, y) or (x, y, sample_weight), got a "
            f"{type(batch).__name__} of {len(batch)} elements. For several inputs, make x a tuple or "
            "a dict by input name: ((x1, x2), y)."
        )
    return batch, None, None


def move(value, device, non_blocking=False):
    """A converted structure moved to `device` (a tensor, or each leaf of a structure)."""
    if value is None:
        return None
    if isinstance(value, torch.Tensor):
        return value.to(device, non_blocking=non_blocking)
    return tree.map_structure(lambda t: None if t is None else t.to(device, non_blocking=non_blocking), value)
