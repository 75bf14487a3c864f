"""Random numbers as in `keras.random`, drawn from torch generators seeded the way Keras' torch backend seeds them.

Every function takes a `seed`:

- an integer: the same numbers on every call (the function is stateless);
- a `SeedGenerator(seed)`: its state advances on each call, so successive calls differ, and a
  new generator made with the same seed replays the same sequence;
- `None` (the default): a global `SeedGenerator`, created on first use from Python's `random`
  module, so `kerastorch.utils.set_random_seed(s)` makes the draws reproducible.

A seed becomes a `torch.Generator` for the device, seeded with `(seed + counter) mod 2**32`, as
Keras' torch backend does, so on the same device and torch version the numbers equal Keras'
own. A `SeedGenerator` keeps its state on the CPU: drawing never waits for the GPU.

Example:
>>> from kerastorch import random
>>> a = random.normal((2, 3), seed=1)
>>> bool((a == random.normal((2, 3), seed=1)).all())          # an int seed repeats itself
True
>>> gen = random.SeedGenerator(7)
>>> bool((random.uniform((3,), seed=gen) == random.uniform((3,), seed=gen)).all())
False
"""

from kerastorch.random.functions import (_dropout, _float_dtype, _noise_shape, _normal, _uniform,  # noqa: F401
                                         beta, binomial, categorical, dropout, gamma, normal, randint,
                                         shuffle, truncated_normal, uniform)
from kerastorch.random.seed_generator import (SeedGenerator, draw_seed, global_seed_generator,  # noqa: F401
                                              make_default_seed, reset_global_seed_generator,
                                              torch_generator)

__all__ = ["SeedGenerator", "beta", "binomial", "categorical", "dropout", "gamma", "normal", "randint",
           "shuffle", "truncated_normal", "uniform"]
