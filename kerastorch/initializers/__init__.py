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

One module per family: `base` (`Initializer`), `constants`, `random`, `variance_scaling`,
`orthogonal_identity` and `stft_initializer`. As in Keras, the snake-case names
(`glorot_uniform`, `zeros`, ...) and `IdentityInitializer`, `OrthogonalInitializer`,
`STFTInitializer` are the same classes under other names.

Example:
>>> import torch
>>> from kerastorch import initializers
>>> w = initializers.get("glorot_uniform")((300, 200))
>>> w.shape, w.dtype, bool(w.abs().max() <= (6 / 500) ** 0.5)
(torch.Size([300, 200]), torch.float32, True)
"""

import re

import numpy as np
import torch

from kerastorch import _registry
from kerastorch.initializers.base import Initializer, _shape, _torch_dtype
from kerastorch.initializers.constants import Constant, Ones, Zeros
from kerastorch.initializers.orthogonal_identity import Identity, Orthogonal
from kerastorch.initializers.random import RandomNormal, RandomUniform, TruncatedNormal
from kerastorch.initializers.stft_initializer import STFT
from kerastorch.initializers.variance_scaling import (
    GlorotNormal, GlorotUniform, HeNormal, HeUniform, LecunNormal, LecunUniform, VarianceScaling,
    compute_fans,
)

# Keras' public aliases: the same classes under other names (`keras/initializers/__init__.py`).
IdentityInitializer = Identity
OrthogonalInitializer = Orthogonal
STFTInitializer = STFT
constant = Constant
zeros = Zeros
ones = Ones
identity = Identity
orthogonal = Orthogonal
stft = STFT
random_normal = RandomNormal
random_uniform = RandomUniform
truncated_normal = TruncatedNormal
variance_scaling = VarianceScaling
glorot_normal = GlorotNormal
glorot_uniform = GlorotUniform
he_normal = HeNormal
he_uniform = HeUniform
lecun_normal = LecunNormal
lecun_uniform = LecunUniform

__all__ = [
    "Initializer", "Constant", "Zeros", "Ones", "Identity", "RandomNormal", "RandomUniform",
    "TruncatedNormal", "VarianceScaling", "GlorotUniform", "GlorotNormal", "HeUniform",
    "HeNormal", "LecunUniform", "LecunNormal", "Orthogonal", "STFT", "IdentityInitializer",
    "OrthogonalInitializer", "STFTInitializer", "constant", "zeros", "ones", "identity",
    "orthogonal", "stft", "random_normal", "random_uniform", "truncated_normal",
    "variance_scaling", "glorot_normal", "glorot_uniform", "he_normal", "he_uniform",
    "lecun_normal", "lecun_uniform", "compute_fans", "get", "serialize", "deserialize",
]


def _snake(name):
    # Keras' `to_snake_case`: "GlorotUniform" -> "glorot_uniform", "STFT" -> "stft".
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


_CLASSES = (Initializer, Constant, Identity, Ones, STFT, Zeros, GlorotNormal, GlorotUniform,
            HeNormal, HeUniform, LecunNormal, LecunUniform, Orthogonal, RandomNormal,
            RandomUniform, TruncatedNormal, VarianceScaling)
# The names Keras' `get()` accepts (`keras/src/initializers/__init__.py`): class names,
# their snake_case, and a few aliases. Case-sensitive, as in Keras.
_BY_NAME = {cls.__name__: cls for cls in _CLASSES}
_BY_NAME.update({_snake(cls.__name__): cls for cls in _CLASSES})
_BY_NAME.update({"IdentityInitializer": Identity, "OrthogonalInitializer": Orthogonal,
                 "STFTInitializer": STFT, "normal": RandomNormal, "uniform": RandomUniform,
                 "one": Ones, "zero": Zeros})


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