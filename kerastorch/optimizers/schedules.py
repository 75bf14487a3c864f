"""Learning-rate schedules, as in `keras.optimizers.schedules`.

A schedule maps the optimizer's step count to a learning rate. Values are computed in float32
with Keras' own formulas (`keras/src/optimizers/schedules/learning_rate_schedule.py`), on the
host with numpy scalars: a schedule never touches the accelerator, and returns a Python float.
"""

import difflib
import math

import numpy as np
import torch

_f32 = np.float32


def _step_value(step):
    # A Python int is the normal case (the optimizer passes its host-side counter). A tensor is
    # accepted too; on an accelerator, reading it waits for the device.
    if isinstance(step, torch.Tensor):
        step = step.item()
    elif isinstance(step, np.ndarray):
        step = step.item()
    return step


def _is_integer_step(step):
    return isinstance(step, (int, np.integer)) and not isinstance(step, bool)


class LearningRateSchedule:
    """Base class of learning-rate schedules.

    Subclasses implement `__call__(step)`, returning the learning rate at optimizer step
    `step` (a Python int) as a Python float, and `get_config()`.

    Example:
    >>> class Halving(LearningRateSchedule):
    ...     def __init__(self, initial_learning_rate):
    ...         self.initial_learning_rate = initial_learning_rate
    ...     def __call__(self, step):
    ...         return self.initial_learning_rate / 2 ** step
    ...     def get_config(self):
    ...         return {"initial_learning_rate": self.initial_learning_rate}
    >>> Halving(1.0)(3)
    0.125
    """

    def __call__(self, step):
        raise NotImplementedError(
            f"Learning rate schedule '{type(self).__name__}' must override `__call__(self, step)`."
        )

    def get_config(self):
        raise NotImplementedError(
            f"Learning rate schedule '{type(self).__name__}' must override `get_config()` in "
            "order to be serializable."
        )

    @classmethod
    def from_config(cls, config):
        """Instantiates a schedule from the output of `get_config()`."""
        return cls(**config)


def _check_decay_steps(arg, value, cls_name):
    if value <= 0:
        raise ValueError(f"{cls_name}: argument `{arg}` must be > 0, got {arg}={value!r}.")


class ExponentialDecay(LearningRateSchedule):
    """Exponential decay: `initial_learning_rate * decay_rate ** (step / decay_steps)`.

    Args:
        initial_learning_rate: Float, the learning rate at step 0.
        decay_steps: Positive int, the number of steps per decay period.
        decay_rate: Float, the decay factor per period.
        staircase: Boolean. If `True`, `step / decay_steps` is rounded down, so the rate
            decays at discrete intervals. Defaults to `False`.
        name: String. Defaults to `"ExponentialDecay"`.

    Example:
    >>> schedule = ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5)
    >>> round(schedule(0), 6), round(schedule(10), 6), round(schedule(20), 6)
    (0.1, 0.05, 0.025)
    """

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase=False,
                 name="ExponentialDecay"):
        _check_decay_steps("decay_steps", decay_steps, type(self).__name__)
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.decay_rate = decay_rate
        self.staircase = staircase
        self.name = name

    def __call__(self, step):
        p = _f32(_step_value(step)) / _f32(self.decay_steps)
        if self.staircase:
            p = np.floor(p)
        return float(_f32(self.initial_learning_rate) * _f32(self.decay_rate) ** p)

    def get_config(self):
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "decay_rate": self.decay_rate,
            "staircase": self.staircase,
            "name": self.name,
        }


class PiecewiseConstantDecay(LearningRateSchedule):
    """Piecewise constant learning rate: `values[i]` between `boundaries[i-1]` and `boundaries[i]`.

    The rate is `values[0]` while `step <= boundaries[0]`, `values[i]` while
    `boundaries[i-1] < step <= boundaries[i]`, and `values[-1]` after `boundaries[-1]`.
    For an integer step the boundaries are cast to integers, as Keras does.

    Args:
        boundaries: List of increasing step numbers.
        values: List of learning rates, one longer than `boundaries`.
        name: String. Defaults to `"PiecewiseConstant"`.

    Example:
    >>> schedule = PiecewiseConstantDecay(boundaries=[100, 200], values=[1.0, 0.5, 0.1])
    >>> schedule(100), schedule(101), round(schedule(201), 6)
    (1.0, 0.5, 0.1)
    """

    def __init__(self, boundaries, values, name="PiecewiseConstant"):
        if len(boundaries) != len(values) - 1:
            raise ValueError(
                "PiecewiseConstantDecay: the length of boundaries should be 1 less than the length "
                f"of values, got boundaries={boundaries!r} of length {len(boundaries)} and "
                f"values={values!r} of length {len(values)}."
            )
        self.boundaries = boundaries
        self.values = values
        self.name = name

    def __call__(self, step):
        step = _step_value(step)
        if _is_integer_step(step):
            bounds = [int(b) for b in self.boundaries]
        else:
            step = _f32(step)
            bounds = [_f32(b) for b in self.boundaries]
        # Keras sums indicator * value over the ranges (equal to a lookup for sorted boundaries).
        result = _f32(0)
        result += _f32(step <= bounds[0]) * _f32(self.values[0])
        result += _f32(step > bounds[-1]) * _f32(self.values[-1])
        for low, high, value in zip(bounds[:-1], bounds[1:], self.values[1:-1]):
            result += _f32(low < step <= high) * _f32(value)
        return float(result)

    def get_config(self):
        return {"boundaries": self.boundaries, "values": self.values, "name": self.name}


class PolynomialDecay(LearningRateSchedule):
    """Polynomial decay from `initial_learning_rate` to `end_learning_rate` over `decay_steps`.

    `(initial - end) * (1 - min(step, decay_steps) / decay_steps) ** power + end`; with
    `cycle=True`, `decay_steps` is multiplied by `ceil(step / decay_steps)` instead of
    clamping the step.

    Args:
        initial_learning_rate: Float, the learning rate at step 0.
        decay_steps: Positive int, the number of steps to decay over.
        end_learning_rate: Float, the final learning rate. Defaults to `0.0001`.
        power: Float, the polynomial's power. Defaults to `1.0`.
        cycle: Boolean, whether to restart the decay after `decay_steps`. Defaults to `False`.
        name: String. Defaults to `"PolynomialDecay"`.

    Example:
    >>> schedule = PolynomialDecay(1.0, decay_steps=10, end_learning_rate=0.0)
    >>> schedule(0), schedule(5), schedule(20)
    (1.0, 0.5, 0.0)
    """

    def __init__(self, initial_learning_rate, decay_steps, end_learning_rate=0.0001, power=1.0,
                 cycle=False, name="PolynomialDecay"):
        _check_decay_steps("decay_steps", decay_steps, type(self).__name__)
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.end_learning_rate = end_learning_rate
        self.power = power
        self.cycle = cycle
        self.name = name

    def __call__(self, step):
        initial = _f32(self.initial_learning_rate)
        end = _f32(self.end_learning_rate)
        step = _f32(_step_value(step))
        decay_steps = _f32(self.decay_steps)
        if self.cycle:
            multiplier = _f32(1.0) if step == 0 else np.ceil(step / _f32(self.decay_steps))
            decay_steps = decay_steps * multiplier
        else:
            step = min(step, decay_steps)
        p = step / decay_steps
        return float((initial - end) * (_f32(1) - p) ** _f32(self.power) + end)

    def get_config(self):
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "end_learning_rate": self.end_learning_rate,
            "power": self.power,
            "cycle": self.cycle,
            "name": self.name,
        }


class InverseTimeDecay(LearningRateSchedule):
    """Inverse time decay: `initial_learning_rate / (1 + decay_rate * step / decay_steps)`.

    Args:
        initial_learning_rate: Float, the learning rate at step 0.
        decay_steps: Positive int, how often to apply the decay.
        decay_rate: Float, the decay rate.
        staircase: Boolean. If `True`, `step / decay_steps` is rounded down. Defaults to `False`.
        name: String. Defaults to `"InverseTimeDecay"`.

    Example:
    >>> schedule = InverseTimeDecay(1.0, decay_steps=1, decay_rate=0.5)
    >>> schedule(0), schedule(2)
    (1.0, 0.5)
    """

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase=False,
                 name="InverseTimeDecay"):
        _check_decay_steps("decay_steps", decay_steps, type(self).__name__)
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.decay_rate = decay_rate
        self.staircase = staircase
        self.name = name

    def __call__(self, step):
        p = _f32(_step_value(step)) / _f32(self.decay_steps)
        if self.staircase:
            p = np.floor(p)
        return float(_f32(self.initial_learning_rate) / (_f32(1) + _f32(self.decay_rate) * p))

    def get_config(self):
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "decay_rate": self.decay_rate,
            "staircase": self.staircase,
            "name": self.name,
        }


class CosineDecay(LearningRateSchedule):
    """Cosine decay, with an optional linear warmup.

    Without warmup: `lr = initial * ((1 - alpha) * 0.5 * (1 + cos(pi * s / decay_steps)) + alpha)`
    with `s = min(step, decay_steps)`. With `warmup_target`, the rate first rises linearly from
    `initial_learning_rate` to `warmup_target` over `warmup_steps`, then decays from
    `warmup_target` as above.

    Args:
        initial_learning_rate: Float, the learning rate at step 0.
        decay_steps: Positive int, the number of steps to decay over.
        alpha: Float, the minimum learning rate as a fraction of the decayed-from rate.
            Defaults to `0.0`.
        name: String. Defaults to `"CosineDecay"`.
        warmup_target: Float or `None`, the learning rate reached after warmup; `None` means
            no warmup. Defaults to `None`.
        warmup_steps: Int, the number of warmup steps. Defaults to `0`.

    Example:
    >>> schedule = CosineDecay(0.0, decay_steps=10, warmup_target=1.0, warmup_steps=10)
    >>> schedule(5), schedule(10), round(schedule(15), 6), schedule(20)
    (0.5, 1.0, 0.5, 0.0)
    """

    def __init__(self, initial_learning_rate, decay_steps, alpha=0.0, name="CosineDecay",
                 warmup_target=None, warmup_steps=0):
        _check_decay_steps("decay_steps", decay_steps, type(self).__name__)
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.alpha = alpha
        self.name = name
        self.warmup_steps = warmup_steps
        self.warmup_target = warmup_target

    def _decay(self, step, decay_steps, decay_from_lr):
        completed_fraction = step / decay_steps
        cosine_decayed = _f32(0.5) * (_f32(1) + np.cos(_f32(math.pi) * completed_fraction))
        decayed = _f32(1 - self.alpha) * cosine_decayed + _f32(self.alpha)
        return decay_from_lr * decayed

    def __call__(self, step):
        initial = _f32(self.initial_learning_rate)
        decay_steps = _f32(self.decay_steps)
        step = _f32(_step_value(step))
        if self.warmup_target is None:
            return float(self._decay(min(step, decay_steps), decay_steps, initial))
        warmup_target = _f32(self.warmup_target)
        warmup_steps = _f32(self.warmup_steps)
        step = min(step, decay_steps + warmup_steps)
        if step < warmup_steps:
            return float((warmup_target - initial) * (step / warmup_steps) + initial)
        return float(self._decay(step - warmup_steps, decay_steps, warmup_target))

    def get_config(self):
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "alpha": self.alpha,
            "name": self.name,
            "warmup_target": self.warmup_target,
            "warmup_steps": self.warmup_steps,
        }


class CosineDecayRestarts(LearningRateSchedule):
    """Cosine decay with warm restarts (SGDR, Loshchilov & Hutter 2016).

    The first period lasts `first_decay_steps`; each following one is `t_mul` times longer
    and starts from a rate `m_mul` times lower.

    Args:
        initial_learning_rate: Float, the learning rate at step 0.
        first_decay_steps: Positive int, the length of the first period.
        t_mul: Float, the factor by which each period is longer. Defaults to `2.0`.
        m_mul: Float, the factor by which each restart's rate is lower. Defaults to `1.0`.
        alpha: Float, the minimum learning rate as a fraction of `initial_learning_rate`.
            Defaults to `0.0`.
        name: String. Defaults to `"SGDRDecay"`.

    Example:
    >>> schedule = CosineDecayRestarts(1.0, first_decay_steps=10, t_mul=1.0, m_mul=0.5)
    >>> schedule(0), round(schedule(5), 6), schedule(10)
    (1.0, 0.5, 0.5)
    """

    def __init__(self, initial_learning_rate, first_decay_steps, t_mul=2.0, m_mul=1.0, alpha=0.0,
                 name="SGDRDecay"):
        _check_decay_steps("first_decay_steps", first_decay_steps, type(self).__name__)
        self.initial_learning_rate = initial_learning_rate
        self.first_decay_steps = first_decay_steps
        self.t_mul = t_mul
        self.m_mul = m_mul
        self.alpha = alpha
        self.name = name

    def __call__(self, step):
        initial = _f32(self.initial_learning_rate)
        alpha = _f32(self.alpha)
        t_mul = _f32(self.t_mul)
        m_mul = _f32(self.m_mul)
        completed_fraction = _f32(_step_value(step)) / _f32(self.first_decay_steps)
        if t_mul == 1:
            i_restart = np.floor(completed_fraction)
            completed_fraction = completed_fraction - i_restart
        else:
            i_restart = np.floor(
                np.log(_f32(1) - completed_fraction * (_f32(1) - t_mul)) / np.log(t_mul)
            )
            sum_r = (_f32(1) - t_mul**i_restart) / (_f32(1) - t_mul)
            completed_fraction = (completed_fraction - sum_r) / t_mul**i_restart
        m_fac = m_mul**i_restart
        cosine_decayed = _f32(0.5) * m_fac * (_f32(1) + np.cos(_f32(math.pi) * completed_fraction))
        decayed = (_f32(1) - alpha) * cosine_decayed + alpha
        return float(initial * decayed)

    def get_config(self):
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "first_decay_steps": self.first_decay_steps,
            "t_mul": self.t_mul,
            "m_mul": self.m_mul,
            "alpha": self.alpha,
            "name": self.name,
        }


_BUILTINS = {
    cls.__name__: cls
    for cls in (ExponentialDecay, PiecewiseConstantDecay, PolynomialDecay, InverseTimeDecay,
                CosineDecay, CosineDecayRestarts)
}


def serialize(learning_rate_schedule):
    """Serializes a schedule as Keras does: `{"module", "class_name", "config", "registered_name"}`.

    Example:
    >>> serialize(ExponentialDecay(0.1, 10, 0.5))["class_name"]
    'ExponentialDecay'
    """
    if not isinstance(learning_rate_schedule, LearningRateSchedule):
        raise TypeError(
            "schedules.serialize() expects a LearningRateSchedule, got "
            f"{type(learning_rate_schedule).__name__}: {learning_rate_schedule!r}."
        )
    cls = type(learning_rate_schedule)
    builtin = _BUILTINS.get(cls.__name__) is cls
    return {
        "module": "keras.optimizers.schedules" if builtin else cls.__module__,
        "class_name": cls.__name__,
        "config": learning_rate_schedule.get_config(),
        "registered_name": None if builtin else cls.__name__,
    }


def deserialize(config, custom_objects=None):
    """Rebuilds a schedule from `serialize()` output (also Keras' own serialized schedules).

    Args:
        config: Dict with `"class_name"` and `"config"`.
        custom_objects: Optional dict mapping class names to user-defined schedule classes.

    Example:
    >>> deserialize(serialize(PolynomialDecay(1.0, 10)))(5)
    0.5000500082969666
    """
    if not isinstance(config, dict) or "class_name" not in config:
        raise TypeError(
            "schedules.deserialize() expects a dict with 'class_name' and 'config' keys, as "
            f"returned by schedules.serialize(), got {config!r}."
        )
    known = {**_BUILTINS, **(custom_objects or {})}
    name = config["class_name"]
    registered = config.get("registered_name")
    cls = known.get(name) or (known.get(registered) if registered else None)
    if cls is None:
        close = difflib.get_close_matches(name, list(known), n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise ValueError(
            f"Unknown learning rate schedule {name!r}.{hint} Known: {', '.join(sorted(known))}. "
            "Pass custom schedule classes with custom_objects={'Name': Class}."
        )
    return cls.from_config(dict(config.get("config", {})))
