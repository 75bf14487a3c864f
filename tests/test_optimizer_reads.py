"""The optimizer reads its step count and learning rate from their tensors only after they change
(trainer/optimizer hot path): every kind of write is seen by the next update. Oracle: plain SGD and
Keras' InverseTimeDecay formula computed here."""

import numpy as np
import pytest
import torch

import kerastorch


def _sgd_step(opt, w, g):
    w.grad = torch.full_like(w, g)
    opt.step()
    return float(w.detach()[0])


WRITES = {
    "assign": lambda opt, lr: opt.learning_rate.assign(lr),
    "attribute": lambda opt, lr: setattr(opt, "learning_rate", lr),
    "state dict": lambda opt, lr: opt.load_state_dict({**opt.state_dict(), "learning_rate": lr}),
}


@pytest.mark.parametrize("write", sorted(WRITES))
def test_a_new_learning_rate_is_used_by_the_next_update(write):
    w = torch.nn.Parameter(torch.zeros(1))
    opt = kerastorch.optimizers.SGD(learning_rate=0.5)
    opt.build([w])
    assert _sgd_step(opt, w, 1.0) == pytest.approx(-0.5)
    assert _sgd_step(opt, w, 1.0) == pytest.approx(-1.0)          # the kept read
    WRITES[write](opt, 0.25)
    assert _sgd_step(opt, w, 1.0) == pytest.approx(-1.25)
    assert float(opt.learning_rate) == pytest.approx(0.25)


ITERATION_WRITES = {
    "fill_ (as a file load writes it)": lambda opt, n: opt._iterations.fill_(n),
    "state dict": lambda opt, n: opt.load_state_dict({**opt.state_dict(), "iterations": n}),
    "variables[0].assign": lambda opt, n: opt.variables[0].assign(n) if hasattr(opt.variables[0], "assign")
    else opt.variables[0].fill_(n),
}


@pytest.mark.parametrize("write", sorted(ITERATION_WRITES))
def test_a_written_step_count_is_seen_by_iterations_and_schedules(write):
    schedule = kerastorch.optimizers.schedules.InverseTimeDecay(1.0, decay_steps=1, decay_rate=1.0)
    w = torch.nn.Parameter(torch.zeros(1))
    opt = kerastorch.optimizers.SGD(learning_rate=schedule)
    opt.build([w])
    moved = [_sgd_step(opt, w, 1.0) for _ in range(3)]
    # lr(step) = 1 / (1 + step): steps 0, 1, 2.
    np.testing.assert_allclose(np.diff([0.0] + moved), [-1.0, -1 / 2, -1 / 3], rtol=1e-6)
    assert opt.iterations == 3
    ITERATION_WRITES[write](opt, 9)
    assert opt.iterations == 9
    before = float(w.detach()[0])
    assert _sgd_step(opt, w, 1.0) - before == pytest.approx(-1 / 10)
    assert opt.iterations == 10


def test_gradient_accumulation_counts_updates_from_the_kept_read():
    w = torch.nn.Parameter(torch.zeros(1))
    opt = kerastorch.optimizers.SGD(learning_rate=1.0, gradient_accumulation_steps=2)
    opt.build([w])
    for calls in range(1, 6):
        _sgd_step(opt, w, 1.0)
        assert opt.iterations == calls // 2
