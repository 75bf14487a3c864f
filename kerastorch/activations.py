"""Activation functions on torch tensors, with Keras 3's names, signatures and numerics.

Each function is a thin call into `torch` / `torch.nn.functional` (no Python work per
element), matching `keras.activations` on its torch backend; those Keras' ops also have
(`relu`, `softmax`, `gelu`, ...) call `kerastorch.ops`, where they are implemented once.
Layers resolve their `activation=` argument with `get()`, and write it to configs with
`serialize()`.

Example:
>>> import torch
>>> from kerastorch import activations
>>> activations.get("relu")(torch.tensor([-1.0, 2.0]))
tensor([0., 2.])
"""

import difflib

import torch
import torch.nn.functional as F

# The activations Keras' ops also have are implemented once, in kerastorch.ops.nn (as Keras'
# activations call its ops); this module adds the activation-only arguments and names.
from kerastorch.ops._utils import tensor as _tensor
from kerastorch.ops.nn import activations as _ops

__all__ = [
    "celu", "elu", "exponential", "gelu", "glu", "hard_shrink", "hard_sigmoid", "hard_silu",
    "hard_swish", "hard_tanh", "leaky_relu", "linear", "log_sigmoid", "log_softmax", "mish",
    "relu", "relu6", "selu", "sigmoid", "silu", "soft_shrink", "softmax", "softplus",
    "softsign", "sparse_plus", "sparse_sigmoid", "sparsemax", "squareplus", "swish", "tanh",
    "tanh_shrink", "threshold", "get", "serialize", "deserialize",
]


def relu(x, negative_slope=0.0, max_value=None, threshold=0.0):
    """Rectified linear unit, with Keras' optional slope, ceiling and threshold.

    With the defaults this is `max(x, 0)`. Otherwise it follows Keras exactly:
    `x` where `threshold < x`, `0` elsewhere, clipped to `max_value`, and then
    `negative_slope * relu(threshold - x)` is subtracted.

    Args:
        x: Input tensor.
        negative_slope: Slope below the threshold. Defaults to `0.0`.
        max_value: Upper bound of the output, or `None` for none. Defaults to `None`.
        threshold: Values at or below it become zero (before the slope term).
            Defaults to `0.0`.

    Example:
    >>> relu(torch.tensor([-10.0, -5.0, 0.0, 5.0, 10.0]), negative_slope=0.5, max_value=5.0)
    tensor([-5.0000, -2.5000,  0.0000,  5.0000,  5.0000])
    """
    if negative_slope == 0.0 and max_value is None and threshold == 0.0:
        if type(x) is torch.Tensor and x.is_floating_point():
            return torch.relu(x)   # the hot path: what ops.relu computes for a float tensor
        return _ops.relu(x)
    x = _tensor(x)
    negative_part = None
    if negative_slope != 0.0:
        if max_value is None and threshold == 0:
            return _ops.leaky_relu(x, negative_slope)
        negative_part = _ops.relu(threshold - x) if threshold != 0 else _ops.relu(-x)
    clip_max = max_value is not None
    if threshold != 0:
        x = torch.where(x > threshold, x, torch.zeros((), dtype=x.dtype, device=x.device))
    elif max_value == 6:
        x = _ops.relu6(x)
        clip_max = False
    else:
        x = _ops.relu(x)
    if clip_max:
        x = torch.clamp(x, 0.0, max_value)
    if negative_part is not None:
        x = x - negative_slope * negative_part
    return x


def leaky_relu(x, negative_slope=0.2):
    """Leaky ReLU: `x` if `x >= 0`, else `negative_slope * x`.

    Note the function's default slope is `0.2` (the `LeakyReLU` layer's is `0.3`).

    Args:
        x: Input tensor.
        negative_slope: Slope for negative inputs. Defaults to `0.2`.

    Example:
    >>> leaky_relu(torch.tensor([-1.0, 2.0]))
    tensor([-0.2000,  2.0000])
    """
    return _ops.leaky_relu(x, negative_slope)


def relu6(x):
    """ReLU capped at 6: `min(max(x, 0), 6)`.

    Args:
        x: Input tensor.

    Example:
    >>> relu6(torch.tensor([-1.0, 3.0, 8.0]))
    tensor([0., 3., 6.])
    """
    return _ops.relu6(x)


def softmax(x, axis=-1):
    """Softmax: `exp(x) / sum(exp(x), axis)`, the probabilities of a categorical distribution.

    Args:
        x: Input tensor.
        axis: Integer, tuple of integers, or `None` (all axes) along which the
            output sums to 1. Defaults to `-1`.

    Example:
    >>> softmax(torch.tensor([[0.0, 0.0, 0.0, 0.0]]))
    tensor([[0.2500, 0.2500, 0.2500, 0.2500]])
    """
    return _ops.softmax(x, axis)


def log_softmax(x, axis=-1):
    """Logarithm of the softmax, computed stably: `x - logsumexp(x, axis)`.

    Args:
        x: Input tensor.
        axis: Integer, tuple of integers, or `None` (all axes). Defaults to `-1`.

    Example:
    >>> log_softmax(torch.tensor([0.0, 0.0])).exp()
    tensor([0.5000, 0.5000])
    """
    return _ops.log_softmax(x, axis)


def elu(x, alpha=1.0):
    """Exponential linear unit: `x` if `x > 0`, else `alpha * (exp(x) - 1)`.

    Args:
        x: Input tensor.
        alpha: Scale of the negative part. Defaults to `1.0`.

    Example:
    >>> elu(torch.tensor([0.0, 1.0]))
    tensor([0., 1.])
    """
    return _ops.elu(x, alpha)


def selu(x):
    """Scaled exponential linear unit: `scale * elu(x, alpha)` with the fixed
    constants `alpha=1.67326324` and `scale=1.05070098`.

    Args:
        x: Input tensor.

    Example:
    >>> selu(torch.tensor([0.0, 1.0]))
    tensor([0.0000, 1.0507])
    """
    return _ops.selu(x)


def softplus(x):
    """Softplus: `log(exp(x) + 1)`.

    Args:
        x: Input tensor.

    Example:
    >>> softplus(torch.tensor([0.0]))
    tensor([0.6931])
    """
    return _ops.softplus(x)


def softsign(x):
    """Softsign: `x / (abs(x) + 1)`.

    Args:
        x: Input tensor.

    Example:
    >>> softsign(torch.tensor([-1.0, 3.0]))
    tensor([-0.5000,  0.7500])
    """
    return _ops.softsign(x)


def soft_shrink(x, threshold=0.5):
    """Soft shrinkage: `x - threshold` above it, `x + threshold` below `-threshold`, else 0.

    Args:
        x: Input tensor.
        threshold: Half-width of the zero band. Defaults to `0.5`.

    Example:
    >>> soft_shrink(torch.tensor([-1.0, 0.2, 1.0]))
    tensor([-0.5000,  0.0000,  0.5000])
    """
    return _ops.soft_shrink(x, threshold)


def sparse_plus(x):
    """SparsePlus: `0` for `x <= -1`, `(x + 1)**2 / 4` for `-1 < x < 1`, `x` for `x >= 1`.

    Args:
        x: Input tensor.

    Example:
    >>> sparse_plus(torch.tensor([-2.0, 0.0, 2.0]))
    tensor([0.0000, 0.2500, 2.0000])
    """
    return _ops.sparse_plus(x)


def silu(x):
    """Swish / SiLU: `x * sigmoid(x)`.

    Args:
        x: Input tensor.

    Example:
    >>> silu(torch.tensor([0.0, 1.0]))
    tensor([0.0000, 0.7311])
    """
    return _ops.silu(x)


swish = silu


def squareplus(x, b=4):
    """Squareplus: `(x + sqrt(x**2 + b)) / 2`, a smooth ReLU.

    Args:
        x: Input tensor.
        b: Smoothness, a non-negative number. Defaults to `4`.

    Example:
    >>> squareplus(torch.tensor([0.0]))
    tensor([1.])
    """
    return _ops.squareplus(x, b)


def gelu(x, approximate=False):
    """Gaussian error linear unit: `x * P(X <= x)` for `X ~ N(0, 1)`.

    Args:
        x: Input tensor.
        approximate: Use the tanh approximation
            `0.5 * x * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 * x**3)))`.
            Defaults to `False` (the exact erf form).

    Example:
    >>> gelu(torch.tensor([0.0, 1.0]))
    tensor([0.0000, 0.8413])
    """
    return _ops.gelu(x, approximate)


def celu(x, alpha=1.0):
    """Continuously differentiable ELU: `max(x, 0) + min(alpha * (exp(x / alpha) - 1), 0)`.

    Args:
        x: Input tensor.
        alpha: Scale of the negative part. Defaults to `1.0`.

    Example:
    >>> celu(torch.tensor([0.0, 1.0]))
    tensor([0., 1.])
    """
    return _ops.celu(x, alpha)


def glu(x, axis=-1):
    """Gated linear unit: splits `x` in two halves `a, b` along `axis`, returns `a * sigmoid(b)`.

    Args:
        x: Input tensor; its size along `axis` must be even.
        axis: Axis to split. Defaults to `-1`.

    Example:
    >>> glu(torch.tensor([[2.0, 0.0]]))
    tensor([[1.]])
    """
    return _ops.glu(x, axis)


def tanh(x):
    """Hyperbolic tangent: `(exp(x) - exp(-x)) / (exp(x) + exp(-x))`.

    Args:
        x: Input tensor.

    Example:
    >>> tanh(torch.tensor([0.0]))
    tensor([0.])
    """
    return torch.tanh(x)


def tanh_shrink(x):
    """Tanh shrink: `x - tanh(x)`.

    Args:
        x: Input tensor.

    Example:
    >>> tanh_shrink(torch.tensor([0.0]))
    tensor([0.])
    """
    return _ops.tanh_shrink(x)


def hard_tanh(x):
    """Hard tanh: `x` clipped to `[-1, 1]`.

    Args:
        x: Input tensor.

    Example:
    >>> hard_tanh(torch.tensor([-2.0, 0.5, 2.0]))
    tensor([-1.0000,  0.5000,  1.0000])
    """
    return _ops.hard_tanh(x)


def hard_shrink(x, threshold=0.5):
    """Hard shrinkage: `x` where `abs(x) > threshold`, else 0.

    Args:
        x: Input tensor.
        threshold: Half-width of the zero band. Defaults to `0.5`.

    Example:
    >>> hard_shrink(torch.tensor([-1.0, 0.2, 1.0]))
    tensor([-1.,  0.,  1.])
    """
    return _ops.hard_shrink(x, threshold)


def threshold(x, threshold, default_value):
    """Threshold: `x` where `x > threshold`, else `default_value`.

    Keras gives this function no defaults, so `get("threshold")` returns a
    function that needs both extra arguments.

    Args:
        x: Input tensor.
        threshold: Values at or below it are replaced.
        default_value: The replacement value.

    Example:
    >>> threshold(torch.tensor([-1.0, 2.0]), 0.0, -5.0)
    tensor([-5.,  2.])
    """
    return _ops.threshold(x, threshold, default_value)


def sigmoid(x):
    """Sigmoid: `1 / (1 + exp(-x))`.

    Args:
        x: Input tensor.

    Example:
    >>> sigmoid(torch.tensor([0.0]))
    tensor([0.5000])
    """
    return _ops.sigmoid(x)


def exponential(x):
    """Exponential: `exp(x)`.

    Args:
        x: Input tensor.

    Example:
    >>> exponential(torch.tensor([0.0]))
    tensor([1.])
    """
    return torch.exp(x)


def hard_sigmoid(x):
    """Hard sigmoid, Keras 3's definition: `relu6(x + 3) / 6`.

    (Keras 2 used `0.2 * x + 0.5`; Keras 3 does not.)

    Args:
        x: Input tensor.

    Example:
    >>> hard_sigmoid(torch.tensor([-4.0, 0.0, 1.5, 4.0]))
    tensor([0.0000, 0.5000, 0.7500, 1.0000])
    """
    return _ops.hard_sigmoid(x)


def log_sigmoid(x):
    """Logarithm of the sigmoid, computed stably: `-softplus(-x)`.

    Args:
        x: Input tensor.

    Example:
    >>> log_sigmoid(torch.tensor([0.0])).exp()
    tensor([0.5000])
    """
    return _ops.log_sigmoid(x)


def sparse_sigmoid(x):
    """Sparse sigmoid: `0` for `x <= -1`, `(x + 1) / 2` for `-1 < x < 1`, `1` for `x >= 1`.

    Args:
        x: Input tensor.

    Example:
    >>> sparse_sigmoid(torch.tensor([-2.0, 0.0, 2.0]))
    tensor([0.0000, 0.5000, 1.0000])
    """
    return _ops.sparse_sigmoid(x)


def hard_silu(x):
    """Hard SiLU / hard swish: `x * relu6(x + 3) / 6`.

    Args:
        x: Input tensor.

    Example:
    >>> hard_silu(torch.tensor([-4.0, 0.0, 4.0]))
    tensor([-0., 0., 4.])
    """
    return _ops.hard_silu(x)


hard_swish = hard_silu


def linear(x):
    """Linear (identity) activation: returns `x` unchanged. `get(None)` gives this.

    Args:
        x: Input tensor.

    Example:
    >>> linear(torch.tensor([-1.0, 2.0]))
    tensor([-1.,  2.])
    """
    return x


def mish(x):
    """Mish: `x * tanh(softplus(x))`.

    Args:
        x: Input tensor.

    Example:
    >>> mish(torch.tensor([0.0]))
    tensor([0.])
    """
    return F.mish(x)


def sparsemax(x, axis=-1):
    """Sparsemax: the Euclidean projection of `x` onto the probability simplex
    (Martins & Astudillo, 2016). Like softmax the output sums to 1 along `axis`,
    but small entries are exactly zero.

    Computes `max(x - tau, 0)` with `tau = (sum(z[:k]) - 1) / k`, where `z` is `x`
    sorted in decreasing order and `k` the size of the support.

    Note: Keras 3.15.1 computes `tau` from the sum of the first `k` *cumulative*
    sums, which agrees with this only when the support has one element; otherwise
    its output does not sum to 1 (e.g. `[0.5, 0.4]` gives `[0.3, 0.2]` there,
    `[0.55, 0.45]` here): keras-team/keras#23425, fixed upstream by keras PR #23469
    (after 3.15.1). This module implements the published definition, as fixed Keras.

    Args:
        x: Input tensor.
        axis: Axis along which the output sums to 1. Defaults to `-1`.

    Example:
    >>> sparsemax(torch.tensor([0.5, 0.4, -1.0]))
    tensor([0.5500, 0.4500, 0.0000])
    """
    return _ops.sparsemax(x, axis)


_ACTIVATIONS = {
    fn.__name__: fn
    for fn in (
        celu, elu, exponential, gelu, glu, hard_shrink, hard_sigmoid, hard_silu, hard_tanh,
        leaky_relu, linear, log_sigmoid, log_softmax, mish, relu, relu6, selu, sigmoid, silu,
        soft_shrink, softmax, softplus, softsign, sparse_plus, sparse_sigmoid, sparsemax,
        squareplus, tanh, tanh_shrink, threshold,
    )
}
# Keras' aliases (`keras/src/activations/__init__.py`); serialize() writes the canonical name.
_ALIASES = {"swish": silu, "hard_swish": hard_silu}
_BY_NAME = {**_ACTIVATIONS, **_ALIASES}


def get(identifier):
    """Returns the activation function for `identifier`.

    Args:
        identifier: `None` (the identity, `linear`), a Keras activation name
            such as `"relu"` (case-sensitive, as in Keras), a Keras config dict
            (`{"class_name": "function", "config": "relu", ...}`), or any callable
            (a function, a `torch.nn.Module`, a torch function), returned as is.

    Returns:
        A callable taking and returning a tensor.

    Raises:
        ValueError: for an unknown name, listing the close and the known ones.
        TypeError: for anything else.

    Example:
    >>> get("relu") is relu, get(None) is linear, get(torch.nn.ReLU()).__class__.__name__
    (True, True, 'ReLU')
    """
    if identifier is None:
        return linear
    if isinstance(identifier, str):
        fn = _BY_NAME.get(identifier)
        if fn is None:
            raise ValueError(_unknown_message(identifier))
        return fn
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if callable(identifier):
        return identifier
    raise TypeError(
        "Could not interpret activation identifier: expected None, an activation name "
        f"(e.g. 'relu'), a Keras config dict or a callable, got {identifier!r} "
        f"of type {type(identifier).__name__}."
    )


def _unknown_message(name):
    known = sorted(_BY_NAME)
    close = difflib.get_close_matches(name, known, n=3)
    if not close and name.lower() in _BY_NAME:
        close = [name.lower()]
    hint = f" Did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
    return f"Unknown activation {name!r}.{hint} Known: {', '.join(known)}."


def serialize(activation):
    """Returns what Keras writes for an activation in a layer config.

    Args:
        activation: A function of this module, `None` (written as `"linear"`), or any
            other callable.

    Returns:
        The Keras name of a built-in, e.g. `"relu"` (the aliases `swish`/`hard_swish`
        give `"silu"`/`"hard_silu"` as in Keras). Any other callable gives Keras' form
        for a custom function, `{"module": "builtins", "class_name": "function",
        "config": <its name>, "registered_name": "function"}`, so layers holding a
        custom activation can still write their config (loading it back needs
        `deserialize(..., custom_objects={name: fn})`). Never raises for a callable.

    Example:
    >>> serialize(get("swish")), serialize(None)
    ('silu', 'linear')
    """
    if activation is None:
        return "linear"
    for name, fn in _ACTIVATIONS.items():
        if activation is fn:
            return name
    name = getattr(activation, "__name__", type(activation).__name__)
    return {"module": "builtins", "class_name": "function", "config": name,
            "registered_name": "function"}


def deserialize(config, custom_objects=None):
    """Returns the activation function for a name or a Keras config dict.

    Args:
        config: A name such as `"relu"`, or a Keras serialized-function dict such as
            `{"module": "builtins", "class_name": "function", "config": "relu",
            "registered_name": "function"}`.
        custom_objects: Optional dict mapping names to your own activation functions,
            looked up before the built-ins. Defaults to `None`.

    Example:
    >>> deserialize("tanh") is tanh
    True
    """
    if isinstance(config, dict):
        name = config.get("config")
        if not isinstance(name, str):
            raise ValueError(
                f"Could not deserialize activation from {config!r}: expected a dict whose "
                "'config' is an activation name."
            )
        config = name
    if isinstance(config, str):
        if custom_objects and config in custom_objects:
            return custom_objects[config]
        return get(config)
    raise TypeError(
        f"deserialize expects an activation name or a Keras config dict, got {config!r}."
    )
