"""Weight initializers with Keras 3's names, arguments, defaults and statistics.

An initializer is called with a shape in **Keras' weight layout** (Dense kernel
`(in, out)`, Conv2D kernel `(kh, kw, in, out)`, LSTM kernel `(in, 4 * units)`) and
returns a new CPU tensor of `kerastorch.config.floatx()` unless a dtype is given.
Fans are computed as Keras' `compute_fans` does, so a layer that stores its weight in
another layout must still ask for Keras' shape and transpose afterwards.

Seeding:
    - `seed=None` draws from torch's global generator, so `torch.manual_seed(...)`
      makes a whole model reproducible and every call gives new values. (Keras instead
      draws a random seed when an unseeded initializer is *constructed*, so one object
      called twice repeats itself there; kerastorch does not copy that.)
    - `seed=<int>` uses a private `torch.Generator` seeded afresh on every call, so the
      same initializer returns the same values each time, as in Keras 3.

Example:
>>> import torch
>>> from kerastorch import initializers
>>> w = initializers.get("glorot_uniform")((300, 200))
>>> w.shape, w.dtype, bool(w.abs().max() <= (6 / 500) ** 0.5)
(torch.Size([300, 200]), torch.float32, True)
"""

import math
import re

import numpy as np
import torch

from kerastorch import config
from kerastorch import _registry

__all__ = [
    "Initializer", "Constant", "Zeros", "Ones", "Identity", "RandomNormal", "RandomUniform",
    "TruncatedNormal", "VarianceScaling", "GlorotUniform", "GlorotNormal", "HeUniform",
    "HeNormal", "LecunUniform", "LecunNormal", "Orthogonal", "compute_fans",
    "get", "serialize", "deserialize",
]

# Standard deviation of a standard normal truncated to [-2, 2]; Keras divides by it so
# that the truncated draws have the intended variance (`random_initializers.py`).
_TRUNCATED_STDDEV = 0.87962566103423978


def _torch_dtype(dtype):
    """The torch dtype for a Keras dtype (a name, torch or numpy dtype); `None` is `floatx()`."""
    if isinstance(dtype, torch.dtype):
        return dtype
    from kerastorch.backend import dtypes

    return dtypes.to_torch_dtype(config.floatx() if dtype is None else dtype)


def _shape(shape):
    if isinstance(shape, int):
        return (shape,)
    return tuple(int(d) for d in shape)


def compute_fans(shape, input_axes=None, output_axes=None):
    """Returns `(fan_in, fan_out)` for a weight shape in Keras' layout, as Keras does.

    Scalars give `(1, 1)`; a 1-D shape `(n,)` gives `(n, n)`; `(in, out)` gives
    `(in, out)`; a convolution kernel `(*spatial, in, out)` gives
    `(in * prod(spatial), out * prod(spatial))`. With both `input_axes` and
    `output_axes`, the fans are the products of those axes' sizes.

    Args:
        shape: Tuple of integers.
        input_axes: Axes whose sizes multiply into `fan_in`. Defaults to `None`.
        output_axes: Axes whose sizes multiply into `fan_out`. Defaults to `None`.

    Example:
    >>> compute_fans((3, 3, 16, 32))
    (144, 288)
    """
    shape = _shape(shape)
    if input_axes is not None and output_axes is not None:
        return (int(math.prod(shape[a] for a in input_axes)),
                int(math.prod(shape[a] for a in output_axes)))
    if len(shape) < 1:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    if len(shape) == 2:
        return shape[0], shape[1]
    receptive_field = math.prod(shape[:-2])
    return shape[-2] * receptive_field, shape[-1] * receptive_field


class Initializer:
    """Base class of initializers: `initializer(shape, dtype=None)` returns a new tensor.

    Subclasses implement `__call__(shape, dtype=None)` and, when they take arguments,
    `get_config()` so that `from_config(get_config())` rebuilds them.

    Example:
    >>> class Twos(Initializer):
    ...     def __call__(self, shape, dtype=None):
    ...         return torch.full(shape, 2.0, dtype=_torch_dtype(dtype))
    >>> Twos()((2,))
    tensor([2., 2.])
    """

    def __call__(self, shape, dtype=None):
        raise NotImplementedError("Initializer subclasses must implement the `__call__()` method.")

    def get_config(self):
        """Returns the constructor arguments as a JSON-friendly dict."""
        return {}

    @classmethod
    def from_config(cls, config):
        """Builds an initializer from the dict `get_config()` returned."""
        return cls(**config)

    def clone(self):
        """Returns a new initializer with the same configuration."""
        return self.__class__.from_config(self.get_config())

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


class Constant(Initializer):
    """Fills with a constant value.

    Args:
        value: A number (or anything broadcastable to the shape). Defaults to `0.0`.

    Example:
    >>> Constant(3.0)((2, 2))
    tensor([[3., 3.],
            [3., 3.]])
    """

    def __init__(self, value=0.0):
        self.value = value

    def __call__(self, shape, dtype=None):
        dtype = _torch_dtype(dtype)
        return torch.as_tensor(self.value, dtype=dtype) * torch.ones(_shape(shape), dtype=dtype)

    def get_config(self):
        value = self.value
        if isinstance(value, (np.ndarray, np.generic, torch.Tensor)):
            value = value.tolist()
        return {"value": value}


class Zeros(Initializer):
    """Fills with zeros. Keras' default for biases.

    Example:
    >>> Zeros()((3,))
    tensor([0., 0., 0.])
    """

    def __call__(self, shape, dtype=None):
        return torch.zeros(_shape(shape), dtype=_torch_dtype(dtype))


class Ones(Initializer):
    """Fills with ones.

    Example:
    >>> Ones()((3,))
    tensor([1., 1., 1.])
    """

    def __call__(self, shape, dtype=None):
        return torch.ones(_shape(shape), dtype=_torch_dtype(dtype))


class Identity(Initializer):
    """`gain` times the identity matrix (2-D shapes only; non-square ones get a
    rectangular identity).

    Args:
        gain: Multiplier of the identity. Defaults to `1.0`.

    Note: Keras 3.15.1's `get_config()` drops `gain` (returns `{}`); here it is written
    only when it is not `1.0`, so default configs equal Keras' and others round-trip.

    Example:
    >>> Identity(gain=2.0)((2, 3))
    tensor([[2., 0., 0.],
            [0., 2., 0.]])
    """

    def __init__(self, gain=1.0):
        self.gain = gain

    def __call__(self, shape, dtype=None):
        shape = _shape(shape)
        if len(shape) != 2:
            raise ValueError(
                "Identity initializer can only be used for 2D matrices. "
                f"Received: shape={shape} of rank {len(shape)}."
            )
        return self.gain * torch.eye(*shape, dtype=_torch_dtype(dtype))

    def get_config(self):
        return {} if self.gain == 1.0 else {"gain": self.gain}


class _RandomInitializer(Initializer):
    """Holds the `seed` of a random initializer; see the module docstring for its meaning."""

    def __init__(self, seed=None):
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer))):
            raise ValueError(
                f"{type(self).__name__}: `seed` must be None or an integer, got seed={seed!r}."
            )
        self.seed = None if seed is None else int(seed)

    def _generator(self):
        # A fresh generator per call: a seeded initializer repeats itself, as in Keras 3.
        if self.seed is None:
            return None
        return torch.Generator().manual_seed(self.seed)

    def get_config(self):
        return {"seed": self.seed}


def _normal(shape, mean, stddev, dtype, generator):
    dtype = _torch_dtype(dtype)
    work = dtype if dtype == torch.float64 else torch.float32  # CPU half lacks some kernels
    out = torch.empty(_shape(shape), dtype=work).normal_(mean, stddev, generator=generator)
    return out.to(dtype)


def _truncated_normal(shape, mean, stddev, dtype, generator):
    # Exact truncation at mean ± 2 stddev (inverse-CDF sampling). Keras' torch backend
    # keeps the first of 4 draws inside the bounds, which is the same distribution
    # except with probability 0.0455**4 ≈ 4e-6 per element.
    dtype = _torch_dtype(dtype)
    work = dtype if dtype == torch.float64 else torch.float32
    out = torch.empty(_shape(shape), dtype=work)
    torch.nn.init.trunc_normal_(out, mean, stddev, mean - 2 * stddev, mean + 2 * stddev,
                                generator=generator)
    return out.to(dtype)


def _uniform(shape, minval, maxval, dtype, generator):
    dtype = _torch_dtype(dtype)
    work = dtype if dtype == torch.float64 else torch.float32
    out = torch.empty(_shape(shape), dtype=work).uniform_(minval, maxval, generator=generator)
    return out.to(dtype)


class RandomNormal(_RandomInitializer):
    """Draws from a normal distribution `N(mean, stddev**2)` (not truncated).

    Args:
        mean: Mean of the distribution. Defaults to `0.0`.
        stddev: Standard deviation. Defaults to `0.05`.
        seed: `None` (torch's global generator) or an integer (same values on every
            call). Defaults to `None`.

    Example:
    >>> bool((RandomNormal(seed=1)((4,)) == RandomNormal(seed=1)((4,))).all())
    True
    """

    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        self.mean, self.stddev = mean, stddev
        super().__init__(seed=seed)

    def __call__(self, shape, dtype=None):
        return _normal(shape, self.mean, self.stddev, dtype, self._generator())

    def get_config(self):
        return {**super().get_config(), "mean": self.mean, "stddev": self.stddev}


class TruncatedNormal(_RandomInitializer):
    """Draws from a normal distribution truncated to `mean ± 2 * stddev`.

    `stddev` is that of the normal before truncation; the values' own standard
    deviation is `0.8796 * stddev`.

    Args:
        mean: Mean of the distribution. Defaults to `0.0`.
        stddev: Standard deviation before truncation. Defaults to `0.05`.
        seed: `None` or an integer. Defaults to `None`.

    Example:
    >>> bool(TruncatedNormal(stddev=1.0)((1000,)).abs().max() <= 2.0)
    True
    """

    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        self.mean, self.stddev = mean, stddev
        super().__init__(seed=seed)

    def __call__(self, shape, dtype=None):
        return _truncated_normal(shape, self.mean, self.stddev, dtype, self._generator())

    def get_config(self):
        return {**super().get_config(), "mean": self.mean, "stddev": self.stddev}


class RandomUniform(_RandomInitializer):
    """Draws from a uniform distribution on `[minval, maxval)`. The string `"uniform"`
    (Keras' `Embedding` default) is `RandomUniform(-0.05, 0.05)`.

    Args:
        minval: Lower bound. Defaults to `-0.05`.
        maxval: Upper bound. Defaults to `0.05`.
        seed: `None` or an integer. Defaults to `None`.

    Example:
    >>> bool(RandomUniform()((1000,)).abs().max() <= 0.05)
    True
    """

    def __init__(self, minval=-0.05, maxval=0.05, seed=None):
        self.minval, self.maxval = minval, maxval
        super().__init__(seed=seed)

    def __call__(self, shape, dtype=None):
        return _uniform(shape, self.minval, self.maxval, dtype, self._generator())

    def get_config(self):
        return {**super().get_config(), "minval": self.minval, "maxval": self.maxval}


class VarianceScaling(_RandomInitializer):
    """Draws with a variance scaled to the weight's fans, as Keras does.

    With `n` = `fan_in`, `fan_out` or `(fan_in + fan_out) / 2` (by `mode`, at least 1):
    `"truncated_normal"` draws a normal truncated at 2 stddev with stddev
    `sqrt(scale / n) / 0.8796` (so the values' variance is `scale / n`);
    `"untruncated_normal"` a normal with stddev `sqrt(scale / n)`; `"uniform"`
    `U(-limit, limit)` with `limit = sqrt(3 * scale / n)`.

    Args:
        scale: Positive scaling factor. Defaults to `1.0`.
        mode: `"fan_in"`, `"fan_out"` or `"fan_avg"`. Defaults to `"fan_in"`.
        distribution: `"truncated_normal"` (`"normal"` is an alias),
            `"untruncated_normal"` or `"uniform"`. Defaults to `"truncated_normal"`.
        seed: `None` or an integer. Defaults to `None`.
        input_axes: Axes that make up `fan_in` (with `output_axes`); defaults to `None`,
            Keras' `compute_fans` rule.
        output_axes: Axes that make up `fan_out`. Defaults to `None`.

    Example:
    >>> w = VarianceScaling(scale=2.0, mode="fan_in", distribution="uniform")((50, 10))
    >>> bool(w.abs().max() <= (3 * 2.0 / 50) ** 0.5)
    True
    """

    def __init__(self, scale=1.0, mode="fan_in", distribution="truncated_normal", seed=None,
                 input_axes=None, output_axes=None):
        if scale <= 0.0:
            raise ValueError(f"Argument `scale` must be positive float. Received: scale={scale!r}")
        modes = ("fan_in", "fan_out", "fan_avg")
        if mode not in modes:
            raise ValueError(f"Invalid `mode` argument: {mode!r}. Please use one of {modes}.")
        distribution = str(distribution).lower()
        if distribution == "normal":
            distribution = "truncated_normal"
        distributions = ("uniform", "truncated_normal", "untruncated_normal")
        if distribution not in distributions:
            raise ValueError(
                f"Invalid `distribution` argument: {distribution!r}. Please use one of "
                f"{distributions} ('normal' means 'truncated_normal')."
            )
        self.scale, self.mode, self.distribution = scale, mode, distribution
        self.input_axes, self.output_axes = input_axes, output_axes
        super().__init__(seed=seed)

    def __call__(self, shape, dtype=None):
        fan_in, fan_out = compute_fans(shape, self.input_axes, self.output_axes)
        n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2.0}[self.mode]
        scale = self.scale / max(1.0, n)
        generator = self._generator()
        if self.distribution == "truncated_normal":
            return _truncated_normal(shape, 0.0, math.sqrt(scale) / _TRUNCATED_STDDEV, dtype,
                                     generator)
        if self.distribution == "untruncated_normal":
            return _normal(shape, 0.0, math.sqrt(scale), dtype, generator)
        limit = math.sqrt(3.0 * scale)
        return _uniform(shape, -limit, limit, dtype, generator)

    def get_config(self):
        return {**super().get_config(), "scale": self.scale, "mode": self.mode,
                "distribution": self.distribution, "input_axes": self.input_axes,
                "output_axes": self.output_axes}


class _FixedVarianceScaling(VarianceScaling):
    _scale, _mode, _distribution = 1.0, "fan_in", "truncated_normal"

    def __init__(self, seed=None, input_axes=None, output_axes=None):
        super().__init__(scale=self._scale, mode=self._mode, distribution=self._distribution,
                         seed=seed, input_axes=input_axes, output_axes=output_axes)

    def get_config(self):
        return {"seed": self.seed, "input_axes": self.input_axes, "output_axes": self.output_axes}


class GlorotUniform(_FixedVarianceScaling):
    """Glorot (Xavier) uniform: `U(-limit, limit)`, `limit = sqrt(6 / (fan_in + fan_out))`.

    Keras' default kernel initializer (Dense, Conv, RNN input kernels).

    Args:
        seed: `None` or an integer. Defaults to `None`.
        input_axes: See `VarianceScaling`. Defaults to `None`.
        output_axes: See `VarianceScaling`. Defaults to `None`.

    Example:
    >>> bool(GlorotUniform()((300, 200)).abs().max() <= (6 / 500) ** 0.5)
    True
    """

    _scale, _mode, _distribution = 1.0, "fan_avg", "uniform"


class GlorotNormal(_FixedVarianceScaling):
    """Glorot (Xavier) normal: truncated normal, stddev `sqrt(2 / (fan_in + fan_out)) / 0.8796`.

    Args:
        seed: `None` or an integer. Defaults to `None`.
        input_axes: See `VarianceScaling`. Defaults to `None`.
        output_axes: See `VarianceScaling`. Defaults to `None`.

    Example:
    >>> GlorotNormal(seed=0)((3, 4)).shape
    torch.Size([3, 4])
    """

    _scale, _mode, _distribution = 1.0, "fan_avg", "truncated_normal"


class HeUniform(_FixedVarianceScaling):
    """He uniform: `U(-limit, limit)`, `limit = sqrt(6 / fan_in)`.

    Args:
        seed: `None` or an integer. Defaults to `None`.
        input_axes: See `VarianceScaling`. Defaults to `None`.
        output_axes: See `VarianceScaling`. Defaults to `None`.

    Example:
    >>> bool(HeUniform()((24, 8)).abs().max() <= 0.5)
    True
    """

    _scale, _mode, _distribution = 2.0, "fan_in", "uniform"


class HeNormal(_FixedVarianceScaling):
    """He normal: truncated normal, stddev `sqrt(2 / fan_in) / 0.8796`.

    Args:
        seed: `None` or an integer. Defaults to `None`.
        input_axes: See `VarianceScaling`. Defaults to `None`.
        output_axes: See `VarianceScaling`. Defaults to `None`.

    Example:
    >>> HeNormal(seed=0)((3, 3, 16, 32)).shape
    torch.Size([3, 3, 16, 32])
    """

    _scale, _mode, _distribution = 2.0, "fan_in", "truncated_normal"


class LecunUniform(_FixedVarianceScaling):
    """LeCun uniform: `U(-limit, limit)`, `limit = sqrt(3 / fan_in)`.

    Args:
        seed: `None` or an integer. Defaults to `None`.
        input_axes: See `VarianceScaling`. Defaults to `None`.
        output_axes: See `VarianceScaling`. Defaults to `None`.

    Example:
    >>> bool(LecunUniform()((12, 8)).abs().max() <= 0.5)
    True
    """

    _scale, _mode, _distribution = 1.0, "fan_in", "uniform"


class LecunNormal(_FixedVarianceScaling):
    """LeCun normal: truncated normal, stddev `sqrt(1 / fan_in) / 0.8796`.

    Args:
        seed: `None` or an integer. Defaults to `None`.
        input_axes: See `VarianceScaling`. Defaults to `None`.
        output_axes: See `VarianceScaling`. Defaults to `None`.

    Example:
    >>> LecunNormal(seed=0)((5,)).shape
    torch.Size([5])
    """

    _scale, _mode, _distribution = 1.0, "fan_in", "truncated_normal"


class Orthogonal(_RandomInitializer):
    """Orthogonal matrix (times `gain`), from the QR decomposition of a normal draw.

    For a shape `(*rest, cols)` the weight is viewed as a `(prod(rest), cols)` matrix
    whose rows (if fewer) or columns (otherwise) are orthonormal. Keras' default
    `recurrent_initializer`.

    Args:
        gain: Multiplier of the orthogonal matrix. Defaults to `1.0`.
        seed: `None` or an integer. Defaults to `None`.

    Example:
    >>> w = Orthogonal()((6, 4))
    >>> torch.allclose(w.T @ w, torch.eye(4), atol=1e-5)
    True
    """

    def __init__(self, gain=1.0, seed=None):
        self.gain = gain
        super().__init__(seed=seed)

    def __call__(self, shape, dtype=None):
        shape = _shape(shape)
        if len(shape) < 2:
            raise ValueError(
                "The tensor to initialize must be at least two-dimensional. "
                f"Received: shape={shape} of rank {len(shape)}."
            )
        dtype = _torch_dtype(dtype)
        rows, cols = math.prod(shape[:-1]), shape[-1]
        work = torch.float64 if dtype == torch.float64 else torch.float32
        a = torch.empty(max(rows, cols), min(rows, cols), dtype=work).normal_(
            generator=self._generator())
        q, r = torch.linalg.qr(a)
        q = q * torch.sign(torch.diagonal(r))  # makes the decomposition unique, as Keras
        if rows < cols:
            q = q.T
        return (self.gain * q).reshape(shape).to(dtype)

    def get_config(self):
        return {**super().get_config(), "gain": self.gain}


def _snake(name):
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


_CLASSES = (Initializer, Constant, Identity, Ones, Zeros, GlorotNormal, GlorotUniform, HeNormal,
            HeUniform, LecunNormal, LecunUniform, Orthogonal, RandomNormal, RandomUniform,
            TruncatedNormal, VarianceScaling)
# The names Keras' `get()` accepts (`keras/src/initializers/__init__.py`): class names,
# their snake_case, and a few aliases. Case-sensitive, as in Keras.
_BY_NAME = {cls.__name__: cls for cls in _CLASSES}
_BY_NAME.update({_snake(cls.__name__): cls for cls in _CLASSES})
_BY_NAME.update({"IdentityInitializer": Identity, "OrthogonalInitializer": Orthogonal,
                 "normal": RandomNormal, "uniform": RandomUniform, "one": Ones, "zero": Zeros})


def _lookup(name):
    return _registry.lookup("initializer", _BY_NAME, name, "GlorotUniform")


def get(identifier):
    """Returns an initializer for `identifier`.

    Args:
        identifier: A name (`"glorot_uniform"`, `"GlorotUniform"`, `"he_normal"`,
            `"zeros"`, `"uniform"`, ...; case-sensitive as in Keras), a Keras config dict
            (`{"class_name": "GlorotUniform", "config": {...}}`), an `Initializer`
            instance or any callable `(shape, dtype=None)` (returned as is), an
            `Initializer` class (instantiated), a tensor or numpy array (returned as an
            initializer that copies it), or `None` (returns `None`, as Keras).

    Returns:
        A callable `(shape, dtype=None) -> tensor`.

    Raises:
        ValueError: for an unknown name, listing the close and the known ones.
        TypeError: for anything else.

    Example:
    >>> get("uniform")
    RandomUniform(seed=None, minval=-0.05, maxval=0.05)
    """
    return _registry.get(identifier, "initializer", Initializer, _lookup, deserialize,
                         "an initializer name (e.g. 'glorot_uniform'), a Keras config dict, an Initializer, a callable (shape, dtype=None), a tensor or None", convert=_tensor_or_none)


def _tensor_or_none(identifier):
    """A tensor or array given as initializer: an initializer returning a copy of it."""
    if isinstance(identifier, (torch.Tensor, np.ndarray, np.generic)):
        return _tensor_initializer(identifier)
    return None


def _tensor_initializer(value):
    value = torch.as_tensor(value)

    def initialize_fn(shape, dtype=None):
        if _shape(shape) != tuple(value.shape):
            raise ValueError(
                f"Expected `shape` to be {tuple(value.shape)} for a tensor used as "
                f"initializer. Received shape={_shape(shape)}."
            )
        return value.detach().to("cpu", _torch_dtype(dtype), copy=True)

    return initialize_fn


def serialize(initializer):
    """Returns Keras' config dict for an initializer, as written in `.keras` files.

    Args:
        initializer: An `Initializer`, a plain callable (written in Keras' custom-function
            form, `{"class_name": "function", "config": <its name>, ...}`), or
            `None` (returns `None`).

    Example:
    >>> serialize(GlorotUniform())
    {'module': 'keras.initializers', 'class_name': 'GlorotUniform', 'config': {'seed': None, 'input_axes': None, 'output_axes': None}, 'registered_name': None}
    """
    return _registry.serialize(initializer, "initializer", Initializer, _BY_NAME, "keras.initializers")


def deserialize(config, custom_objects=None):
    """Builds an initializer from a Keras config dict (or a name).

    Args:
        config: `{"class_name": ..., "config": {...}}` as `serialize()` or Keras write it,
            or a name.
        custom_objects: Optional dict mapping class names to your own `Initializer`
            subclasses. Defaults to `None`.

    Example:
    >>> deserialize({"class_name": "RandomNormal", "config": {"stddev": 1.0}}).stddev
    1.0
    """
    return _registry.deserialize(config, "initializer", get, _lookup, custom_objects)