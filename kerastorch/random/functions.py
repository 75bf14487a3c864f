"""Keras' random functions (`normal`, `uniform`, `randint`, `truncated_normal`, `categorical`,
`dropout`, `shuffle`, `gamma`, `binomial`, `beta`), drawn as Keras' torch backend draws them.

The private `_normal`, `_uniform` and `_dropout` take a device and checked arguments: the
layers draw on their inputs' device through them.

Example:
>>> from kerastorch.random.functions import normal
>>> tuple(normal((2, 3), seed=1).shape)
(2, 3)
"""

import math

import numpy as np
import torch

from kerastorch import config
from kerastorch.backend import dtypes as _dt
from kerastorch.backend import tensors as _t
from kerastorch.random.seed_generator import SeedGenerator, torch_generator

def _shape(shape, where):
    if isinstance(shape, (int, np.integer)) and not isinstance(shape, bool):
        return (int(shape),)
    try:
        out = tuple(int(d) for d in shape)
    except (TypeError, ValueError):
        raise TypeError(f"{where}: `shape` must be a tuple of integers, got shape={shape!r}.") from None
    if any(d < 0 for d in out):
        raise ValueError(f"{where}: `shape` must hold non-negative sizes, got shape={shape!r}.")
    return out


def _float_dtype(dtype, where):
    name = _dt.standardize_dtype(dtype)
    if not _dt.is_float_dtype(name):
        raise ValueError(f"{where} requires a floating point `dtype`, got dtype={dtype!r}. "
                         "Use e.g. dtype='float32'.")
    return _dt.to_torch_dtype(name)


def _scalar(value, name, where):
    """A Python float for a number or a 0-d tensor/array (a tensor is read once)."""
    if isinstance(value, (int, float, np.number)) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, (torch.Tensor, np.ndarray)) and value.ndim == 0:
        return float(value)
    raise TypeError(f"{where}: `{name}` must be a number (or a 0-d tensor), got {name}={value!r}.")


def _integer(value, name, where):
    """A Python int for an integer or a 0-d integer tensor/array."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return int(value)
    if isinstance(value, (torch.Tensor, np.ndarray)) and value.ndim == 0:
        is_float = value.is_floating_point() if isinstance(value, torch.Tensor) else value.dtype.kind == "f"
        if not is_float:
            return int(value)
    raise TypeError(f"{where}: `{name}` must be an integer, got {name}={value!r}.")


# ------------------------------------------------------------------------------------ functions
def normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    """Draws from a normal distribution `N(mean, stddev**2)`.

    Args:
        shape: Tuple of integers, the output shape.
        mean: Mean of the distribution. Defaults to `0.0`.
        stddev: Standard deviation. Defaults to `1.0`.
        dtype: Float dtype of the result. Defaults to `None` (`kerastorch.config.floatx()`).
        seed: An integer, a `SeedGenerator`, or `None` (the global generator). Defaults to `None`.

    Returns:
        A tensor of `shape` on the configured device.

    Example:
    >>> from kerastorch import random
    >>> x = random.normal((2, 3), seed=1)
    >>> tuple(x.shape), x.dtype
    ((2, 3), torch.float32)
    """
    where = "kerastorch.random.normal"
    shape, dtype = _shape(shape, where), _float_dtype(dtype, where)
    mean, stddev = _scalar(mean, "mean", where), _scalar(stddev, "stddev", where)
    return _normal(shape, mean, stddev, dtype, seed, config.get_device())


def _normal(shape, mean, stddev, dtype, seed, device):
    """`normal` for checked arguments on a given device (layers draw on their inputs' device)."""
    return torch.normal(mean, stddev, size=shape, generator=torch_generator(seed, device), dtype=dtype,
                        device=device)


def uniform(shape, minval=0.0, maxval=1.0, dtype=None, seed=None):
    """Draws from a uniform distribution on `[minval, maxval)`.

    Args:
        shape: Tuple of integers, the output shape.
        minval: Lower bound (included). Defaults to `0.0`.
        maxval: Upper bound (excluded). Defaults to `1.0`.
        dtype: Float dtype of the result. Defaults to `None` (`kerastorch.config.floatx()`).
        seed: An integer, a `SeedGenerator`, or `None` (the global generator). Defaults to `None`.

    Returns:
        A tensor of `shape` on the configured device.

    Raises:
        ValueError: for an integer `dtype` (use `randint`).

    Example:
    >>> from kerastorch import random
    >>> x = random.uniform((1000,), minval=-1.0, maxval=1.0, seed=3)
    >>> bool((x >= -1).all() and (x < 1).all())
    True
    """
    where = "kerastorch.random.uniform"
    if dtype is not None and not _dt.is_float_dtype(dtype):
        raise ValueError(f"{where} requires a floating point `dtype`, got dtype={dtype!r}. "
                         "For integers use kerastorch.random.randint.")
    shape, dtype = _shape(shape, where), _float_dtype(dtype, where)
    minval, maxval = _scalar(minval, "minval", where), _scalar(maxval, "maxval", where)
    return _uniform(shape, minval, maxval, dtype, seed, config.get_device())


def _uniform(shape, minval, maxval, dtype, seed, device):
    """`uniform` for checked arguments on a given device."""
    # Keras draws one value for a scalar shape and takes it out, so the stream is the same.
    draw_shape = shape if shape else (1,)
    values = torch.rand(draw_shape, generator=torch_generator(seed, device), dtype=dtype, device=device)
    out = (maxval - minval) * values + minval
    return out if shape else out[0]


def randint(shape, minval, maxval, dtype="int32", seed=None):
    """Draws integers uniformly from `[minval, maxval)`.

    Args:
        shape: Tuple of integers, the output shape.
        minval: Lowest value (included).
        maxval: One above the highest value (excluded).
        dtype: Integer dtype of the result. Defaults to `"int32"`.
        seed: An integer, a `SeedGenerator`, or `None` (the global generator). Defaults to `None`.

    Returns:
        An integer tensor of `shape` on the configured device.

    Raises:
        ValueError: for a non-integer `dtype`, or `maxval <= minval`.

    Example:
    >>> from kerastorch import random
    >>> x = random.randint((5,), 0, 3, seed=0)
    >>> x.dtype, bool(((x >= 0) & (x < 3)).all())
    (torch.int32, True)
    """
    where = "kerastorch.random.randint"
    if dtype is None or not _dt.is_int_dtype(dtype):
        raise ValueError(f"{where} requires an integer `dtype`, got dtype={dtype!r}. "
                         "For floats use kerastorch.random.uniform.")
    shape = _shape(shape, where)
    low, high = _integer(minval, "minval", where), _integer(maxval, "maxval", where)
    if high <= low:
        raise ValueError(f"{where}: `maxval` must be above `minval` (the range [minval, maxval) is "
                         f"empty), got minval={minval!r}, maxval={maxval!r}.")
    device = config.get_device()
    return torch.randint(low, high, size=shape, generator=torch_generator(seed, device),
                         dtype=_dt.to_torch_dtype(dtype), device=device)


# Bounds of a standard normal truncated at 2 stddev, as probabilities.
_PHI_LOW = 0.5 * math.erfc(2 / math.sqrt(2))
_PHI_SPAN = 1.0 - 2 * _PHI_LOW


def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    """Draws from a normal distribution truncated to `mean ± 2 * stddev`.

    As Keras' torch backend: four normal draws per value, keeping the first inside the
    bounds. Where all four fall outside (probability about 4e-6), Keras keeps an
    out-of-bounds value; here that value is drawn from the truncated distribution by
    inverse-CDF sampling, so every value lies within the bounds.

    Args:
        shape: Tuple of integers, the output shape.
        mean: Mean of the distribution. Defaults to `0.0`.
        stddev: Standard deviation before truncation. Defaults to `1.0`.
        dtype: Float dtype of the result. Defaults to `None` (`kerastorch.config.floatx()`).
        seed: An integer, a `SeedGenerator`, or `None` (the global generator). Defaults to `None`.

    Returns:
        A tensor of `shape` on the configured device.

    Example:
    >>> from kerastorch import random
    >>> x = random.truncated_normal((10000,), stddev=0.5, seed=2)
    >>> bool(x.abs().max() < 1.0)
    True
    """
    where = "kerastorch.random.truncated_normal"
    shape, dtype = _shape(shape, where), _float_dtype(dtype, where)
    mean, stddev = _scalar(mean, "mean", where), _scalar(stddev, "stddev", where)
    device = config.get_device()
    generator = torch_generator(seed, device)
    draws = torch.normal(0.0, 1.0, size=(*shape, 4), generator=generator, dtype=dtype, device=device)
    valid = (draws > -2) & (draws < 2)
    first_valid = valid.max(-1, keepdim=True)[1]
    picked = draws.gather(-1, first_valid).squeeze(-1)
    # The rare all-outside positions: an exact truncated draw (from the same generator, after
    # the normals, so every other value equals Keras').
    u = torch.rand(shape, generator=generator, dtype=torch.float64 if dtype == torch.float64 else torch.float32,
                   device=device)
    inside = 2.0 * (1.0 - torch.finfo(dtype).eps)     # strictly inside, as Keras' test (|x| < 2)
    exact = torch.special.ndtri(_PHI_LOW + u * _PHI_SPAN).clamp(-inside, inside).to(dtype)
    values = torch.where(valid.any(-1), picked, exact)
    return values * stddev + mean


def categorical(logits, num_samples, dtype="int32", seed=None):
    """Draws class ids from the categorical distributions given by `logits`, with replacement.

    Args:
        logits: 2-D tensor `(batch_size, num_classes)` of unnormalized log-probabilities.
        num_samples: Integer, the number of ids to draw per row.
        dtype: Integer dtype of the result. Defaults to `"int32"`.
        seed: An integer, a `SeedGenerator`, or `None` (the global generator). Defaults to `None`.

    Returns:
        A tensor `(batch_size, num_samples)` of ids in `[0, num_classes)`.

    Raises:
        ValueError: when `logits` is not 2-D.

    Example:
    >>> from kerastorch import random
    >>> ids = random.categorical([[0.0, 100.0]], 4, seed=1)    # class 1 is near certain
    >>> ids.tolist()
    [[1, 1, 1, 1]]
    """
    logits = _t.convert_to_tensor(logits)
    if logits.ndim != 2:
        raise ValueError("kerastorch.random.categorical: `logits` must be a 2-D tensor of shape "
                         f"(batch_size, num_classes), got shape {tuple(logits.shape)}.")
    if isinstance(num_samples, bool) or not isinstance(num_samples, (int, np.integer)) or num_samples < 1:
        raise ValueError("kerastorch.random.categorical: `num_samples` must be a positive integer, "
                         f"got num_samples={num_samples!r}.")
    if not logits.is_floating_point():
        logits = logits.to(_dt.to_torch_dtype(config.floatx()))
    probs = torch.softmax(logits, dim=-1)
    ids = torch.multinomial(probs, int(num_samples), replacement=True,
                            generator=torch_generator(seed, logits.device))
    return ids.to(_dt.to_torch_dtype(dtype))


def _noise_shape(inputs, noise_shape, where):
    if noise_shape is None:
        return tuple(inputs.shape)
    noise_shape = tuple(noise_shape)
    if len(noise_shape) != inputs.ndim:
        raise ValueError(f"{where}: `noise_shape` {noise_shape} must have one entry per input axis; the "
                         f"input has shape {tuple(inputs.shape)}. Use None for axes that take the input's size.")
    out = tuple(int(inputs.shape[i]) if d is None else int(d) for i, d in enumerate(noise_shape))
    for i, (d, n) in enumerate(zip(out, inputs.shape)):
        if d != n and d != 1:
            raise ValueError(f"{where}: `noise_shape` {noise_shape} does not broadcast to the input shape "
                             f"{tuple(inputs.shape)} (axis {i}: {d} vs {n}); each entry must be 1, None or "
                             "the input's size.")
    return out


def dropout(inputs, rate, noise_shape=None, seed=None):
    """Sets a fraction `rate` of `inputs` to zero and scales the rest by `1 / (1 - rate)`.

    With `seed=None` (or an unseeded `SeedGenerator`) and no `noise_shape`, this is torch's
    own fused dropout on torch's global generator (`torch.manual_seed`, or
    `kerastorch.utils.set_random_seed`), as Keras' torch backend does for speed. Otherwise the
    mask comes from a generator seeded by `seed`.

    Args:
        inputs: Input tensor.
        rate: Float in [0, 1], the fraction of values to drop.
        noise_shape: Optional shape of the keep/drop mask, broadcast over `inputs`;
            `None` entries take the input's size (e.g. `(None, 1, features)`). Defaults to
            `None` (one draw per value).
        seed: An integer, a `SeedGenerator`, or `None`. Defaults to `None`.

    Returns:
        A tensor shaped like `inputs`.

    Example:
    >>> import torch
    >>> from kerastorch import random
    >>> out = random.dropout(torch.ones(2, 4), 0.5, seed=1)
    >>> sorted(set(out.flatten().tolist())) in ([0.0, 2.0], [2.0], [0.0])
    True
    """
    where = "kerastorch.random.dropout"
    inputs = _t.convert_to_tensor(inputs)
    if isinstance(rate, bool) or not isinstance(rate, (int, float, np.floating)) or not 0 <= rate <= 1:
        raise ValueError(f"{where}: `rate` must be a float in [0, 1], got rate={rate!r}.")
    return _dropout(inputs, float(rate), noise_shape, seed, where)


def _dropout(inputs, rate, noise_shape, seed, where):
    """`dropout` on a tensor, on its own device (the layers' path: no conversion, no checks of `rate`)."""
    if rate == 1.0:
        return torch.zeros_like(inputs)
    if rate == 0.0:
        return inputs
    unseeded = seed is None or (isinstance(seed, SeedGenerator) and seed._initial_seed is None)
    if unseeded and noise_shape is None:
        return torch.nn.functional.dropout(inputs, p=rate, training=True)
    keep_prob = 1.0 - rate
    shape = _noise_shape(inputs, noise_shape, where)
    keep = torch.full(shape, keep_prob, device=inputs.device)
    mask = torch.bernoulli(keep, generator=torch_generator(seed, inputs.device)).bool()
    return torch.where(mask.expand(inputs.shape), inputs / keep_prob, torch.zeros_like(inputs))


def shuffle(x, axis=0, seed=None):
    """Randomly permutes `x` along `axis`.

    For `axis > 0` each slice along the earlier axes gets its own permutation, as in Keras'
    torch backend.

    Args:
        x: Tensor (or array) to shuffle.
        axis: Integer, the axis to permute. Defaults to `0`.
        seed: An integer, a `SeedGenerator`, or `None` (the global generator). Defaults to `None`.

    Returns:
        A tensor holding the values of `x`, permuted along `axis`.

    Example:
    >>> import torch
    >>> from kerastorch import random
    >>> sorted(random.shuffle(torch.arange(5), seed=4).tolist())
    [0, 1, 2, 3, 4]
    """
    x = _t.convert_to_tensor(x)
    if x.ndim == 0:
        raise ValueError("kerastorch.random.shuffle: `x` must have at least one axis, got a scalar.")
    if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)) or not -x.ndim <= axis < x.ndim:
        raise ValueError(f"kerastorch.random.shuffle: `axis` must be an integer in [{-x.ndim}, {x.ndim}) for "
                         f"an input of shape {tuple(x.shape)}, got axis={axis!r}.")
    axis = int(axis) % x.ndim
    keys = torch.rand(x.shape[:axis + 1], generator=torch_generator(seed, x.device), device=x.device)
    order = keys.argsort(axis)
    order = order.reshape(*order.shape, *([1] * (x.ndim - axis - 1))).expand(x.shape)
    return x.gather(axis, order)


def _float_tensor(value, name, where):
    value = _t.convert_to_tensor(value)
    if not value.is_floating_point():
        value = value.to(_dt.to_torch_dtype(config.floatx()))
    return value


def _broadcast(value, shape, name, where):
    try:
        return torch.broadcast_to(value, shape)
    except RuntimeError:
        raise ValueError(f"{where}: `{name}` of shape {tuple(value.shape)} does not broadcast to the output "
                         f"shape {shape}.") from None


def gamma(shape, alpha, dtype=None, seed=None):
    """Draws from a gamma distribution of concentration `alpha` (and rate 1).

    Args:
        shape: Tuple of integers, the output shape.
        alpha: Float (or a tensor broadcastable to `shape`), the concentration.
        dtype: Float dtype of the result. Defaults to `None` (`kerastorch.config.floatx()`).
        seed: An integer, a `SeedGenerator`, or `None` (the global generator). Defaults to `None`.

    Returns:
        A tensor of `shape`.

    Example:
    >>> from kerastorch import random
    >>> x = random.gamma((20000,), alpha=3.0, seed=1)
    >>> round(float(x.mean()), 1)                 # the mean of Gamma(3, 1) is 3
    3.0
    """
    where = "kerastorch.random.gamma"
    shape, dtype = _shape(shape, where), _float_dtype(dtype, where)
    alpha = _broadcast(_float_tensor(alpha, "alpha", where), shape, "alpha", where)
    sample = torch._standard_gamma(alpha.contiguous(), generator=torch_generator(seed, alpha.device))
    sample = sample.clamp(min=torch.finfo(sample.dtype).tiny)
    return sample.to(dtype)


def binomial(shape, counts, probabilities, dtype=None, seed=None):
    """Draws from binomial distributions: successes in `counts` trials of probability `probabilities`.

    Args:
        shape: Tuple of integers, the output shape.
        counts: Number (or tensor broadcastable to `shape`) of trials.
        probabilities: Number (or tensor broadcastable to `shape`) in [0, 1], the success probability.
        dtype: Float dtype of the result. Defaults to `None` (`kerastorch.config.floatx()`).
        seed: An integer, a `SeedGenerator`, or `None` (the global generator). Defaults to `None`.

    Returns:
        A tensor of `shape` holding whole numbers.

    Example:
    >>> from kerastorch import random
    >>> x = random.binomial((3,), counts=10, probabilities=1.0, seed=0)
    >>> x.tolist()
    [10.0, 10.0, 10.0]
    """
    where = "kerastorch.random.binomial"
    shape, dtype = _shape(shape, where), _float_dtype(dtype, where)
    probs = _broadcast(_float_tensor(probabilities, "probabilities", where), shape, "probabilities", where)
    counts = _broadcast(_t.convert_to_tensor(counts), shape, "counts", where).to(probs.dtype)
    sample = torch.binomial(counts.contiguous(), probs.contiguous(), generator=torch_generator(seed, probs.device))
    return sample.to(dtype)


def beta(shape, alpha, beta, dtype=None, seed=None):
    """Draws from beta distributions of concentrations `alpha` and `beta`.

    Args:
        shape: Tuple of integers, the output shape.
        alpha: Float (or tensor broadcastable to `shape`), the first concentration.
        beta: Float (or tensor broadcastable to `shape`), the second concentration.
        dtype: Float dtype of the result. Defaults to `None` (`kerastorch.config.floatx()`).
        seed: An integer, a `SeedGenerator`, or `None` (the global generator). Defaults to `None`.

    Returns:
        A tensor of `shape` with values in [0, 1].

    Example:
    >>> from kerastorch import random
    >>> x = random.beta((20000,), alpha=2.0, beta=2.0, seed=5)
    >>> round(float(x.mean()), 1)                 # alpha / (alpha + beta)
    0.5
    """
    where = "kerastorch.random.beta"
    shape, dtype = _shape(shape, where), _float_dtype(dtype, where)
    a = _broadcast(_float_tensor(alpha, "alpha", where), shape, "alpha", where)
    b = _broadcast(_float_tensor(beta, "beta", where), shape, "beta", where)
    a, b = torch.broadcast_tensors(a, b.to(a.dtype))
    # A beta draw is the first half of a two-class Dirichlet draw (what torch.distributions.Beta does).
    pair = torch.stack([a, b], -1)
    sample = torch._sample_dirichlet(pair, generator=torch_generator(seed, pair.device)).select(-1, 0)
    return sample.to(dtype)
