"""`SeedGenerator` and how a seed becomes a torch generator, as in Keras' torch backend.

An int seed `s` seeds a fresh `torch.Generator` with `s mod 2**32`; a `SeedGenerator` with state
`[seed, counter]` seeds one with `(seed + counter) mod 2**32` and then advances the counter;
`seed=None` draws from a global `SeedGenerator` (scrambled as Keras' global one is).

Example:
>>> from kerastorch.random.seed_generator import SeedGenerator, draw_seed
>>> draw_seed(SeedGenerator(5)), draw_seed(7)
(5, 7)
"""

import random as _python_random
import sys

import numpy as np
import torch

from kerastorch import config

_MASK32 = 0xFFFFFFFF


def _wrap_int32(value):
    """`value` as an int32 holds it (two's complement wrap-around), as Keras' int32 seed state does."""
    value &= _MASK32
    return value - (1 << 32) if value >= (1 << 31) else value


def make_default_seed():
    """A fresh seed from Python's `random` module, as Keras draws one (`randint(1, 1e9)`)."""
    return _python_random.randint(1, int(1e9))


class SeedGenerator:
    """A random seed that advances on every draw, for random functions and layers.

    An integer `seed=` gives a random function the same numbers on every call; a
    `SeedGenerator` passed as `seed=` gives new numbers on each call while staying
    reproducible: two generators made with the same seed produce the same sequence. Keep
    one as a layer attribute to make a layer's randomness repeatable.

    Its `state` is Keras' `seed_generator_state` variable (a `kerastorch.Variable`, not
    trainable): int32 `[seed, counter]`, kept on the CPU so a draw never waits for the GPU;
    each `next()` returns the state and advances the counter. `state.assign([s, c])` restores
    a saved state.

    Args:
        seed: Integer initial seed. Defaults to `None`: one is drawn from Python's `random`
            module (seeded by `kerastorch.utils.set_random_seed`).
        name: Optional name. Defaults to `seed_generator`, `seed_generator_1`, ...

    Example:
    >>> from kerastorch import random
    >>> first = random.normal((2,), seed=random.SeedGenerator(42))
    >>> again = random.normal((2,), seed=random.SeedGenerator(42))
    >>> bool((first == again).all())
    True
    """

    def __init__(self, seed=None, name=None, **kwargs):
        if kwargs:
            raise ValueError(f"SeedGenerator: unrecognized keyword arguments {sorted(kwargs)}; "
                             "it takes `seed` and `name`.")
        if name is None:
            from kerastorch.layers.base import unique_name

            name = unique_name("seed_generator")
        if not isinstance(name, str):
            raise TypeError(f"SeedGenerator: `name` must be a string, got {name!r}.")
        self.name = name
        self._initial_seed = seed
        if seed is None:
            seed = make_default_seed()
        if isinstance(seed, np.integer):
            seed = int(seed)
        if not isinstance(seed, int):
            raise ValueError(f"SeedGenerator: `seed` must be an integer or None, got seed={seed!r} "
                             f"(of type {type(seed).__name__}).")
        # Keras stores [seed, 0] in an int32 variable; the seed's bits are kept (mod 2**32).
        self._state = torch.tensor([_wrap_int32(seed), 0], dtype=torch.int32)
        # A numpy view of the same memory: each draw reads and bumps it in place (no tensor ops),
        # and `state.assign(...)`, which writes into the tensor, is seen at once.
        self._view = self._state.numpy()
        self._state_variable = None

    @property
    def state(self):
        """Keras' `seed_generator_state`: a non-trainable int32 `kerastorch.Variable`, `[seed, counter]`."""
        if self._state_variable is None:
            from kerastorch.variables import Variable

            self._state_variable = Variable._wrap(self, "_state", "seed_generator_state",
                                                  f"{self.name}/seed_generator_state")
        return self._state_variable

    def next(self, ordered=True):
        """Returns the current state `[seed, counter]` (a copy) and advances it.

        Args:
            ordered: `True` (default) advances the counter by one; `False` scrambles both
                entries as `(state + 1) * 5387 % 933199`, as Keras' global generator does.

        Returns:
            An int32 tensor of shape `(2,)`.
        """
        current = self._state.clone()
        self._advance(ordered)
        return current

    def _advance(self, ordered):
        view = self._view
        first, second = int(view[0]), int(view[1])
        if ordered:
            view[1] = _wrap_int32(second + 1)
        else:
            # Keras computes this in int32, wrapping on overflow, then takes a floored modulo.
            view[0] = _wrap_int32(_wrap_int32(first + 1) * 5387) % 933199
            view[1] = _wrap_int32(_wrap_int32(second + 1) * 5387) % 933199
        return first, second

    def __getstate__(self):
        # The numpy view is rebuilt on the copy's own tensor (deepcopy, pickle).
        state = dict(self.__dict__)
        state.pop("_view")
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        self._view = self._state.numpy()

    def _next_torch_seed(self, ordered=True):
        first, second = self._advance(ordered)
        return (first + second) & _MASK32

    def get_config(self):
        """Returns `{"seed": <the seed given>, "name": <name>}`."""
        return {"seed": self._initial_seed, "name": self.name}

    @classmethod
    def from_config(cls, config):
        """Creates a generator from `get_config()`'s dict."""
        return cls(**config)

    def __repr__(self):
        return f"<SeedGenerator name={self.name!r} state={self._state.tolist()}>"


_GLOBAL_SEED_GENERATOR = None


def global_seed_generator():
    """The generator behind `seed=None`, created on first use (again after `set_random_seed`)."""
    global _GLOBAL_SEED_GENERATOR
    if _GLOBAL_SEED_GENERATOR is None:
        _GLOBAL_SEED_GENERATOR = SeedGenerator()
    return _GLOBAL_SEED_GENERATOR


def reset_global_seed_generator():
    """Forgets the global generator, so the next unseeded draw makes a new one from Python's `random`."""
    global _GLOBAL_SEED_GENERATOR
    _GLOBAL_SEED_GENERATOR = None


def draw_seed(seed):
    """The 32-bit torch seed for `seed` (an int, a `SeedGenerator` or `None`), advancing generators.

    Raises:
        ValueError: for anything else.
    """
    if isinstance(seed, SeedGenerator):
        return seed._next_torch_seed()
    if isinstance(seed, (int, np.integer)):
        return int(seed) & _MASK32
    if seed is None:
        return global_seed_generator()._next_torch_seed(ordered=False)
    raise ValueError("Argument `seed` must be an integer, a kerastorch.random.SeedGenerator or None, "
                     f"got seed={seed!r} (of type {type(seed).__name__}).")


def _new_generator(seed, device):
    generator = torch.Generator(device=device)
    generator.manual_seed(draw_seed(seed))
    return generator


_UNTRACED_NEW_GENERATOR = None


def torch_generator(seed, device=None):
    """A `torch.Generator` on `device` (default: the configured device) seeded for `seed`.

    Under `torch.compile` the seed is drawn outside the compiled graph (a graph would
    otherwise bake one seed in); torch._dynamo is consulted only once something imported it.
    Returns `None` on the meta device, which has no generators.
    """
    device = torch.device(device) if device is not None else config.get_device()
    if device.type == "meta":
        return None
    if "torch._dynamo" in sys.modules:
        global _UNTRACED_NEW_GENERATOR
        if _UNTRACED_NEW_GENERATOR is None:
            _UNTRACED_NEW_GENERATOR = torch._dynamo.disable(_new_generator)
        return _UNTRACED_NEW_GENERATOR(seed, device)
    return _new_generator(seed, device)
