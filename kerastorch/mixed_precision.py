"""Dtype policies in Keras' way: the dtype a layer computes in and the dtype its weights are stored in.

Every layer has a `DTypePolicy`, from its `dtype=` argument or, by default, the global policy
(`kerastorch.config.dtype_policy()`, which is `DTypePolicy(floatx())` until
`set_dtype_policy` sets one). `"float64"` makes float64 weights and float64 computations;
`"mixed_bfloat16"` computes in bfloat16 while the weights stay float32; `"mixed_float16"` does
the same in float16 and `fit` scales the loss dynamically so small gradients survive (Keras'
`LossScaleOptimizer`). Mixed computation runs under `torch.autocast`.

This module is the one home of the global policy: `kerastorch.config.dtype_policy` /
`set_dtype_policy` and `mixed_precision.global_policy` / `set_global_policy` all read and
write it.

Example:
>>> from kerastorch import mixed_precision
>>> mixed_precision.DTypePolicy("mixed_bfloat16").compute_dtype
'bfloat16'
"""

import difflib

import torch

from kerastorch import config
from kerastorch.backend import dtypes as _dt

_MIXED = {"mixed_float16": ("float16", "float32"), "mixed_bfloat16": ("bfloat16", "float32")}


def _parse_name(name):
    if name in _MIXED:
        return _MIXED[name]
    try:
        dtype = _dt.standardize_dtype(name)
    except ValueError:
        close = difflib.get_close_matches(name, [*_MIXED, *_dt.FLOAT_TYPES], n=2)
        hint = f" Did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
        raise ValueError(
            f"Unknown dtype policy {name!r}.{hint} Valid policies are 'mixed_float16', 'mixed_bfloat16' "
            "and the name of any dtype such as 'float32' or 'float64'."
        ) from None
    return dtype, dtype


class DTypePolicy:
    """A dtype policy: the dtype a layer computes in and the dtype of its weights.

    Args:
        name: A dtype name (`"float32"`, `"float64"`, `"bfloat16"`, ...; compute and weights
            both in it), or `"mixed_float16"` / `"mixed_bfloat16"` (compute in the half type,
            weights in float32). Defaults to `None`: the global policy's name.

    Raises:
        TypeError: if `name` is not a string.
        ValueError: for an unknown name (the message lists close matches).

    Example:
    >>> policy = DTypePolicy("mixed_bfloat16")
    >>> policy.compute_dtype, policy.variable_dtype
    ('bfloat16', 'float32')
    """

    def __init__(self, name=None):
        if name is None:
            name = dtype_policy().name
        if not isinstance(name, str):
            raise TypeError(f"DTypePolicy: `name` must be a string, such as 'mixed_float16', got "
                            f"name={name!r} (of type {type(name).__name__}).")
        self._name = name
        self._compute_dtype, self._variable_dtype = _parse_name(name)
        self._quantization_mode = None

    @property
    def name(self):
        """The policy's name, e.g. `"mixed_bfloat16"`."""
        return self._name

    @property
    def compute_dtype(self):
        """The dtype layers compute in (and cast floating inputs to)."""
        return self._compute_dtype

    @property
    def variable_dtype(self):
        """The dtype of the layers' weights."""
        return self._variable_dtype

    @property
    def quantization_mode(self):
        """`None`: kerastorch has no quantized policies."""
        return self._quantization_mode

    @property
    def autocast_dtype(self):
        """The `torch.dtype` for `torch.autocast` when compute and weights differ (mixed), else `None`."""
        if self._compute_dtype == self._variable_dtype or not _dt.is_float_dtype(self._compute_dtype):
            return None
        return _dt.to_torch_dtype(self._compute_dtype)

    @property
    def needs_loss_scaling(self):
        """Whether training scales the loss dynamically (`"mixed_float16"`, as Keras does)."""
        return self._name == "mixed_float16"

    def convert_input(self, x, autocast, dtype):
        """Casts a floating tensor `x` to `dtype` when `autocast` is true; other inputs pass unchanged.

        Args:
            x: A tensor or array.
            autocast: Whether to cast floating inputs.
            dtype: The target dtype.

        Returns:
            A tensor (arrays are converted).
        """
        from kerastorch.backend import tensors

        dtype = _dt.standardize_dtype(dtype)
        if not isinstance(x, torch.Tensor):
            if not hasattr(x, "__array__") and not hasattr(x, "shape"):
                return x
            x = tensors.convert_to_tensor(x)
        if autocast and x.is_floating_point() and _dt.standardize_dtype(x.dtype) != dtype:
            x = x.to(_dt.to_torch_dtype(dtype))
        return x

    def get_config(self):
        """Returns `{"name": <name>}`."""
        return {"name": self._name}

    @classmethod
    def from_config(cls, config):
        """Creates a policy from `get_config()`'s dict."""
        return cls(**config)

    def __repr__(self):
        return f'<DTypePolicy "{self._name}">'

    def __eq__(self, other):
        return isinstance(other, DTypePolicy) and other._name == self._name

    def __hash__(self):
        return hash(self._name)


Policy = DTypePolicy
FloatDTypePolicy = DTypePolicy
_GLOBAL = None     # None: not set, so the global policy follows floatx()


def set_dtype_policy(policy):
    """Sets the global dtype policy, used by every layer created afterwards without a `dtype=`.

    Args:
        policy: A policy name (`"float32"`, `"float64"`, `"mixed_bfloat16"`, `"mixed_float16"`,
            ...) or a `DTypePolicy`.

    Raises:
        ValueError: for an unknown name or another kind of object.

    Example:
    >>> set_dtype_policy("mixed_bfloat16")
    >>> dtype_policy()
    <DTypePolicy "mixed_bfloat16">
    >>> set_dtype_policy("float32")
    """
    global _GLOBAL
    if isinstance(policy, str):
        policy = DTypePolicy(policy)
    elif not isinstance(policy, DTypePolicy):
        raise ValueError(
            "set_dtype_policy: expected the name of a policy (such as 'mixed_float16') or a DTypePolicy, "
            f"got {policy!r} (of type {type(policy).__name__})."
        )
    _GLOBAL = policy


def dtype_policy():
    """Returns the global `DTypePolicy`: the one set by `set_dtype_policy`, else `DTypePolicy(floatx())`.

    Example:
    >>> dtype_policy().name
    'float32'
    """
    if _GLOBAL is not None:
        return _GLOBAL
    return DTypePolicy(config.floatx())


set_global_policy = set_dtype_policy
global_policy = dtype_policy


def get(identifier):
    """Returns the `DTypePolicy` for a layer's `dtype=` argument, as Keras' `dtype_policies.get`.

    Args:
        identifier: `None` (the global policy), a policy name or dtype name, a `DTypePolicy`,
            a Keras policy config (`{"class_name": "DTypePolicy", "config": {"name": ...}}`),
            or a torch/numpy dtype.

    Returns:
        A `DTypePolicy`.

    Raises:
        ValueError: for anything that names no policy.

    Example:
    >>> get("float64")
    <DTypePolicy "float64">
    """
    if identifier is None:
        return dtype_policy()
    if isinstance(identifier, DTypePolicy):
        return identifier
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, str):
        return DTypePolicy(identifier)
    try:
        return DTypePolicy(_dt.standardize_dtype(identifier))
    except (ValueError, TypeError):
        raise ValueError("Cannot interpret `dtype` argument: expected a dtype or policy name (e.g. 'float32', "
                         f"'mixed_bfloat16') or a DTypePolicy, got dtype={identifier!r}.") from None


def serialize(policy):
    """Keras' config dict for a policy, as `.keras` files hold it.

    Example:
    >>> serialize(DTypePolicy("float32"))
    {'module': 'keras', 'class_name': 'DTypePolicy', 'config': {'name': 'float32'}, 'registered_name': None}
    """
    return {"module": "keras", "class_name": "DTypePolicy", "config": policy.get_config(),
            "registered_name": None}


def deserialize(config, custom_objects=None):
    """Builds a `DTypePolicy` from `serialize()`'s dict (Keras' `DTypePolicy`/`FloatDTypePolicy` configs).

    Raises:
        ValueError: for quantized or unknown policy classes.
    """
    name = config.get("class_name")
    if name not in ("DTypePolicy", "FloatDTypePolicy", "Policy"):
        raise ValueError(f"Cannot load dtype policy of class {name!r}: kerastorch has DTypePolicy only "
                         "(quantized policies need Keras' quantization, which kerastorch does not have).")
    return DTypePolicy.from_config(config.get("config") or {})


def autocast(device):
    """The `torch.autocast` context for the global policy on `device` (a no-op unless mixed)."""
    dtype = dtype_policy().autocast_dtype
    device_type = torch.device(device).type
    if dtype is None:
        return torch.autocast(device_type=device_type, enabled=False)
    return torch.autocast(device_type=device_type, dtype=dtype)


class LossScaler:
    """Dynamic loss scaling for float16 training with an optimizer that does not scale itself.

    Keras' `LossScaleOptimizer` rule, from the same code
    (`kerastorch.optimizers.loss_scale_optimizer.DynamicLossScale`): the loss is multiplied by
    `scale` before `backward()`; the gradients are divided back and checked: a step with an
    infinite or NaN gradient is skipped and the scale halved; after `growth_interval` good
    steps the scale doubles. Each check reads one flag back from the device (as torch's
    GradScaler does). `fit` uses it under a `"mixed_float16"` policy when the optimizer is a
    `torch.optim` one, or the model was built before the policy was set; `compile()` wraps a
    kerastorch optimizer of a `"mixed_float16"` model in a `LossScaleOptimizer`, as Keras.

    Args:
        initial_scale: Starting scale. Defaults to `2 ** 15`, as Keras.
        growth_interval: Good steps before the scale doubles. Defaults to `2000`, as Keras.

    Example:
    >>> import torch
    >>> scaler = LossScaler(initial_scale=4.0)
    >>> p = torch.nn.Parameter(torch.ones(1))
    >>> scaler.backward(3.0 * p.sum())
    >>> scaler.unscale_and_check([p]), p.grad.item()
    (True, 3.0)
    """

    def __init__(self, initial_scale=2.0 ** 15, growth_interval=2000):
        from kerastorch.optimizers.loss_scale_optimizer import DynamicLossScale

        self._dynamic = DynamicLossScale(initial_scale, growth_interval)
        self.growth_interval = int(growth_interval)

    @property
    def scale(self):
        """The current loss scale, a Python float."""
        return self._dynamic.scale

    def backward(self, loss):
        """Runs `backward()` on the scaled loss."""
        (loss * self.scale).backward()

    def unscale_and_check(self, params):
        """Divides the gradients by the scale; returns `True` when they are all finite."""
        return self._dynamic.unscale_([p.grad for p in params if p.grad is not None])


def __getattr__(name):
    # `keras.mixed_precision.LossScaleOptimizer` is `keras.optimizers.LossScaleOptimizer`;
    # imported on first use, as the optimizers import this module's config.
    if name == "LossScaleOptimizer":
        from kerastorch.optimizers.loss_scale_optimizer import LossScaleOptimizer

        return LossScaleOptimizer
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted([*globals(), "LossScaleOptimizer"])


__all__ = ["DTypePolicy", "LossScaleOptimizer", "LossScaler", "Policy", "dtype_policy", "global_policy", "set_dtype_policy",
           "set_global_policy"]
