"""kerastorch.optimizers.schedules against real Keras 3 (values, configs, serialization)."""

import math

import numpy as np
import pytest
import torch

from kerastorch.optimizers import schedules

STEPS = [0, 1, 2, 3, 5, 7, 10, 11, 15, 20, 31, 64, 100, 1000]

CASES = [
    ("ExponentialDecay", {"initial_learning_rate": 0.1, "decay_steps": 10, "decay_rate": 0.9}),
    ("ExponentialDecay", {"initial_learning_rate": 0.1, "decay_steps": 3, "decay_rate": 0.5, "staircase": True}),
    ("PiecewiseConstantDecay", {"boundaries": [5, 10, 20], "values": [1.0, 0.5, 0.1, 0.01]}),
    ("PiecewiseConstantDecay", {"boundaries": [2.7], "values": [0.3, 0.2]}),  # float boundary, int step
    ("PolynomialDecay", {"initial_learning_rate": 0.1, "decay_steps": 20}),
    ("PolynomialDecay", {"initial_learning_rate": 0.1, "decay_steps": 7, "end_learning_rate": 0.01,
                         "power": 2.0, "cycle": True}),
    ("InverseTimeDecay", {"initial_learning_rate": 0.1, "decay_steps": 5, "decay_rate": 0.5}),
    ("InverseTimeDecay", {"initial_learning_rate": 0.1, "decay_steps": 5, "decay_rate": 0.5, "staircase": True}),
    ("CosineDecay", {"initial_learning_rate": 0.1, "decay_steps": 20}),
    ("CosineDecay", {"initial_learning_rate": 0.1, "decay_steps": 20, "alpha": 0.1}),
    ("CosineDecay", {"initial_learning_rate": 0.0, "decay_steps": 20, "warmup_target": 0.1, "warmup_steps": 10}),
    ("CosineDecay", {"initial_learning_rate": 0.01, "decay_steps": 15, "alpha": 0.2, "warmup_target": 0.1,
                     "warmup_steps": 4}),
    ("CosineDecayRestarts", {"initial_learning_rate": 0.1, "first_decay_steps": 5}),
    ("CosineDecayRestarts", {"initial_learning_rate": 0.1, "first_decay_steps": 4, "t_mul": 1.0, "m_mul": 0.5,
                             "alpha": 0.1}),
    ("CosineDecayRestarts", {"initial_learning_rate": 0.1, "first_decay_steps": 3, "t_mul": 3.0, "m_mul": 0.8}),
]
IDS = [f"{name}-{i}" for i, (name, _) in enumerate(CASES)]


@pytest.mark.keras
@pytest.mark.parametrize("name, config", CASES, ids=IDS)
def test_values_match_keras(keras, name, config):
    ours = getattr(schedules, name)(**config)
    theirs = getattr(keras.optimizers.schedules, name)(**config)
    for step in STEPS:
        value = ours(step)
        assert isinstance(value, float)
        expected = float(theirs(step))
        assert value == pytest.approx(expected, rel=1e-6, abs=1e-9), f"step {step}"


@pytest.mark.keras
@pytest.mark.parametrize("name, config", CASES, ids=IDS)
def test_serialization_matches_keras(keras, name, config):
    ours = getattr(schedules, name)(**config)
    theirs = getattr(keras.optimizers.schedules, name)(**config)
    serialized = schedules.serialize(ours)
    assert serialized == keras.optimizers.schedules.serialize(theirs)
    rebuilt = schedules.deserialize(serialized)
    assert type(rebuilt) is type(ours) and rebuilt.get_config() == ours.get_config()


@pytest.mark.keras
def test_default_arguments_match_keras(keras):
    pairs = [
        ("PolynomialDecay", (0.1, 10)),
        ("CosineDecay", (0.1, 10)),
        ("CosineDecayRestarts", (0.1, 10)),
        ("ExponentialDecay", (0.1, 10, 0.9)),
        ("InverseTimeDecay", (0.1, 10, 0.9)),
        ("PiecewiseConstantDecay", ([1], [0.1, 0.01])),
    ]
    for name, args in pairs:
        assert getattr(schedules, name)(*args).get_config() == \
            getattr(keras.optimizers.schedules, name)(*args).get_config()


def test_values_by_hand():
    assert schedules.ExponentialDecay(1.0, 2, 0.5)(4) == 0.25
    assert schedules.ExponentialDecay(1.0, 2, 0.5, staircase=True)(3) == 0.5
    piecewise = schedules.PiecewiseConstantDecay([10], [1.0, 0.5])
    assert (piecewise(10), piecewise(11)) == (1.0, 0.5)  # the boundary belongs to the earlier piece
    assert schedules.PolynomialDecay(1.0, 4, end_learning_rate=0.0, power=2.0)(2) == 0.25
    assert schedules.InverseTimeDecay(1.0, 1, 1.0)(3) == 0.25
    cosine = schedules.CosineDecay(1.0, 10, alpha=0.5)
    assert cosine(10) == 0.5 and cosine(50) == 0.5
    assert cosine(5) == pytest.approx(0.5 * (1 + math.cos(math.pi / 2)) * 0.5 + 0.5)
    # Restarts with t_mul=2: periods of 4, 8, 16 steps; each restart starts from the top.
    restarts = schedules.CosineDecayRestarts(1.0, 4)
    assert restarts(4) == pytest.approx(1.0) and restarts(12) == pytest.approx(1.0)
    assert restarts(8) == pytest.approx(0.5, abs=1e-6)


def test_tensor_steps_are_accepted():
    schedule = schedules.ExponentialDecay(1.0, 1, 0.5)
    assert schedule(torch.tensor(2)) == schedule(np.int64(2)) == 0.25


def test_invalid_arguments_raise():
    with pytest.raises(ValueError, match="decay_steps"):
        schedules.ExponentialDecay(0.1, 0, 0.5)
    with pytest.raises(ValueError, match="first_decay_steps"):
        schedules.CosineDecayRestarts(0.1, -1)
    with pytest.raises(ValueError, match="1 less than the length of values"):
        schedules.PiecewiseConstantDecay([1, 2], [0.1, 0.2])


def test_custom_schedule_round_trip_and_unknown_name():
    class Halving(schedules.LearningRateSchedule):
        def __init__(self, initial_learning_rate):
            self.initial_learning_rate = initial_learning_rate

        def __call__(self, step):
            return self.initial_learning_rate / 2**step

        def get_config(self):
            return {"initial_learning_rate": self.initial_learning_rate}

    config = schedules.serialize(Halving(1.0))
    assert schedules.deserialize(config, custom_objects={"Halving": Halving})(1) == 0.5
    with pytest.raises(ValueError, match="Unknown learning rate schedule 'Halving'"):
        schedules.deserialize(config)
    with pytest.raises(ValueError, match="Did you mean 'CosineDecay'"):
        schedules.deserialize({"class_name": "CosineDecy", "config": {}})


def test_base_class_requires_overrides():
    with pytest.raises(NotImplementedError, match="__call__"):
        schedules.LearningRateSchedule()(0)
    with pytest.raises(NotImplementedError, match="get_config"):
        schedules.LearningRateSchedule().get_config()
