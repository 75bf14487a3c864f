"""`InputSpec`: the rank, dtype and shape a layer accepts, checked when the layer is called."""

from kerastorch.layers.base import format_shape


def _dtype_name(dtype):
    from kerastorch.backend.dtypes import standardize_dtype

    return standardize_dtype(dtype)


class InputSpec:
    """Specifies the rank, dtype and shape of every input to a layer.

    A layer sets `self.input_spec` to an `InputSpec` (or a list of them, one per input);
    each call then checks its inputs against it and raises a `ValueError` naming the layer,
    the rule and the shape received. A `None` entry of `shape` or `axes` matches any size.

    Args:
        dtype: Expected dtype of the input. Defaults to `None` (any).
        shape: Expected shape, batch axis included (`None` for free axes); sets `ndim`.
            Defaults to `None`.
        ndim: Expected rank. Defaults to `None`.
        max_ndim: Largest rank accepted. Defaults to `None`.
        min_ndim: Smallest rank accepted. Defaults to `None`.
        axes: Dict mapping axes (negative allowed) to their expected size. Defaults to `None`.
        allow_last_axis_squeeze: Whether a rank one more (last axis 1) or one less (the spec's
            last axis 1) than `ndim`/`shape` is accepted. Defaults to `False`.
        name: Key of this input when inputs are passed as a dict. Defaults to `None`.
        optional: Whether the input may be `None`. Defaults to `False`.

    Example:
    >>> from kerastorch import layers
    >>> layers.InputSpec(min_ndim=2, axes={-1: 4})
    InputSpec(min_ndim=2, axes={-1: 4})
    >>> layers.InputSpec(ndim=3).get_config()["ndim"]
    3
    """

    def __init__(self, dtype=None, shape=None, ndim=None, max_ndim=None, min_ndim=None, axes=None,
                 allow_last_axis_squeeze=False, name=None, optional=False):
        self.dtype = _dtype_name(dtype) if dtype is not None else None
        if shape is not None:
            self.shape = tuple(None if d is None else int(d) for d in shape)
            self.ndim = len(self.shape)
        else:
            self.shape = None
            self.ndim = ndim
        self.max_ndim = max_ndim
        self.min_ndim = min_ndim
        self.name = name
        self.optional = optional
        self.allow_last_axis_squeeze = allow_last_axis_squeeze
        try:
            axes = axes or {}
            self.axes = {int(k): axes[k] for k in axes}
        except (ValueError, TypeError):
            raise TypeError(f"InputSpec: `axes` must be a dict with integer keys, got axes={axes!r}.") from None
        if self.axes and (self.ndim is not None or self.max_ndim is not None):
            top = (self.ndim if self.ndim else self.max_ndim) - 1
            if max(self.axes) > top:
                raise ValueError(f"InputSpec: axis {max(self.axes)} of `axes` is greater than the largest "
                                 f"axis {top} an input of this spec has (ndim/max_ndim).")

    def __repr__(self):
        parts = [f"dtype={self.dtype}" if self.dtype else "", f"shape={self.shape}" if self.shape else "",
                 f"ndim={self.ndim}" if self.ndim else "", f"max_ndim={self.max_ndim}" if self.max_ndim else "",
                 f"min_ndim={self.min_ndim}" if self.min_ndim else "", f"axes={self.axes}" if self.axes else ""]
        return f"InputSpec({', '.join(p for p in parts if p)})"

    def get_config(self):
        """Returns the spec as a dict (Keras' keys); `InputSpec.from_config` rebuilds it."""
        return {"dtype": self.dtype, "shape": self.shape, "ndim": self.ndim, "max_ndim": self.max_ndim,
                "min_ndim": self.min_ndim, "axes": self.axes, "optional": self.optional}

    @classmethod
    def from_config(cls, config):
        """Creates an `InputSpec` from `get_config()`'s dict."""
        return cls(**config)


def check_input_spec(layer, inputs):
    """Raises a ValueError when `inputs` do not fit `layer.input_spec` (Keras' rules)."""
    specs = layer.input_spec
    specs = list(specs) if isinstance(specs, (list, tuple)) else [specs]
    if isinstance(inputs, dict):
        names = [s.name for s in specs]
        if all(names):
            inputs = [inputs.get(n) for n in names]
        else:
            inputs = list(inputs.values())
    items = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
    where = f"{type(layer).__name__} layer '{layer.name}'"
    if len(items) != len(specs):
        raise ValueError(f"{where} expects {len(specs)} input(s), got {len(items)}.")
    for i, (x, spec) in enumerate(zip(items, specs)):
        if spec is None:
            continue
        if x is None:
            if spec.optional:
                continue
            raise ValueError(f"{where}: input {i} is None, but its InputSpec is not optional.")
        shape = tuple(getattr(x, "shape", ()))
        rank = len(shape)
        got = f"got an input of shape {format_shape(shape)} (rank {rank})"
        if spec.ndim is not None and not spec.allow_last_axis_squeeze and rank != spec.ndim:
            raise ValueError(f"{where}: input {i} must have rank {spec.ndim} ({spec}), {got}.")
        if spec.max_ndim is not None and rank > spec.max_ndim:
            raise ValueError(f"{where}: input {i} must have rank at most {spec.max_ndim}, {got}.")
        if spec.min_ndim is not None and rank < spec.min_ndim:
            raise ValueError(f"{where}: input {i} must have rank at least {spec.min_ndim}, {got}.")
        if spec.dtype is not None:
            dtype = _dtype_name(x.dtype)
            if dtype != spec.dtype:
                raise ValueError(f"{where}: input {i} must have dtype {spec.dtype}, got {dtype}.")
        for axis, size in spec.axes.items():
            if size is None:
                continue
            if not -rank <= axis < rank or shape[axis] not in (size, None):
                raise ValueError(f"{where}: axis {axis} of input {i} must have size {size} ({spec}), {got}. "
                                 "A layer built for one feature size takes only inputs of that size.")
        if spec.shape is not None:
            have, want = shape, spec.shape
            if spec.allow_last_axis_squeeze:     # a trailing axis of 1 on either side is left out
                have = have[:-1] if have and have[-1] == 1 else have
                want = want[:-1] if want and want[-1] == 1 else want
            for w, h in zip(want, have):
                if w is not None and h is not None and w != h:
                    raise ValueError(f"{where}: input {i} must have shape {format_shape(spec.shape)}, {got}.")
