import types
import warnings

import numpy as np
import pytest
import torch

import kerastorch
from kerastorch import callbacks, layers


def _model(lr=1.0, torch_optim=False):
    model = kerastorch.Sequential([layers.Input(shape=(1,)), layers.Dense(1)])
    if torch_optim:
        model.build((None, 1))
        model.compile(optimizer=torch.optim.SGD(model.parameters(), lr=lr), loss="mse")
    else:
        model.compile(optimizer=kerastorch.optimizers.SGD(learning_rate=lr), loss="mse")
    return model


def _lr(model):
    opt = model.optimizer
    if isinstance(opt, torch.optim.Optimizer):
        return opt.param_groups[0]["lr"]
    return float(opt.learning_rate)   # a live Variable, as in Keras: read its value now


def _drive(cb, model, values, monitor="val_loss"):
    """Returns the learning rate after each epoch end."""
    cb.set_model(model)
    cb.on_train_begin()
    rates = []
    for epoch, value in enumerate(values):
        cb.on_epoch_end(epoch, {monitor: value})
        rates.append(_lr(model))
    return rates


def test_reduces_after_patience():
    model = _model(1.0)
    cb = callbacks.ReduceLROnPlateau(factor=0.5, patience=2)
    rates = _drive(cb, model, [1.0, 0.9, 0.9, 0.95, 0.9, 0.9])
    # best 0.9 at epoch 1; misses at 2, 3 -> reduce at epoch 3; misses at 4, 5 -> reduce at 5
    np.testing.assert_allclose(rates, [1, 1, 1, 0.5, 0.5, 0.25], rtol=1e-6)


def test_cooldown_delays_the_next_count():
    model = _model(1.0)
    cb = callbacks.ReduceLROnPlateau(factor=0.5, patience=1, cooldown=2)
    rates = _drive(cb, model, [1.0] * 7)
    # reduce at 1 (cooldown counter 2); epoch 2: counter -> 1, still cooling, no count; epoch 3:
    # counter -> 0, cooldown over, the miss counts -> reduce; likewise 4 cools, 5 reduces (Keras' order)
    np.testing.assert_allclose(rates, [1, 0.5, 0.5, 0.25, 0.25, 0.125, 0.125], rtol=1e-6)
    cb = callbacks.ReduceLROnPlateau(factor=0.5, patience=1, cooldown=0)
    np.testing.assert_allclose(_drive(cb, _model(1.0), [1.0] * 4), [1, 0.5, 0.25, 0.125], rtol=1e-6)


def test_min_delta_is_absolute():
    model = _model(1.0)
    cb = callbacks.ReduceLROnPlateau(factor=0.1, patience=1, min_delta=0.01)
    # 100.0 -> 99.995 gains 0.005 < 0.01: a miss, reduce at epoch 1
    rates = _drive(cb, model, [100.0, 99.995, 99.98])
    np.testing.assert_allclose(rates, [1, 0.1, 0.1], rtol=1e-6)
    model = _model(1.0)
    cb = callbacks.ReduceLROnPlateau(factor=0.1, patience=1)  # min_delta 1e-4 absolute
    # 1000 -> 999.99 gains 0.01 > 1e-4: an improvement (relative 1e-5 would not be)
    assert _drive(cb, model, [1000.0, 999.99]) == pytest.approx([1, 1])


def test_respects_min_lr():
    model = _model(1.0)
    cb = callbacks.ReduceLROnPlateau(factor=0.1, patience=1, min_lr=0.05)
    rates = _drive(cb, model, [1.0] * 5)
    np.testing.assert_allclose(rates, [1, 0.1, 0.05, 0.05, 0.05], rtol=1e-6)


def test_mode_max_and_logs_learning_rate():
    model = _model(0.2)
    cb = callbacks.ReduceLROnPlateau(monitor="val_accuracy", factor=0.5, patience=1, mode="max")
    cb.set_model(model)
    cb.on_train_begin()
    logs = {"val_accuracy": 0.5}
    cb.on_epoch_end(0, logs)
    assert logs["learning_rate"] == pytest.approx(0.2)  # Keras adds the current rate to the logs
    cb.on_epoch_end(1, {"val_accuracy": 0.6})
    cb.on_epoch_end(2, {"val_accuracy": 0.55})
    assert _lr(model) == pytest.approx(0.1)


def test_plain_torch_optimizer_param_groups():
    model = kerastorch.Sequential([layers.Input(shape=(1,)), layers.Dense(2), layers.Dense(1)])
    model.build((None, 1))
    params = list(model.parameters())
    opt = torch.optim.SGD([{"params": params[:2], "lr": 1.0}, {"params": params[2:], "lr": 1.0}])
    model.compile(optimizer=opt, loss="mse")
    cb = callbacks.ReduceLROnPlateau(factor=0.5, patience=1)
    _drive(cb, model, [1.0, 1.0])
    assert [g["lr"] for g in opt.param_groups] == [0.5, 0.5]


def test_factor_must_be_below_one():
    with pytest.raises(ValueError, match="factor=1.0"):
        callbacks.ReduceLROnPlateau(factor=1.0)


def test_missing_monitor_warns():
    model = _model()
    cb = callbacks.ReduceLROnPlateau()
    cb.set_model(model)
    with pytest.warns(UserWarning, match=r"`val_loss`.*Available keys: loss, learning_rate"):
        cb.on_epoch_end(0, {"loss": 1.0})


def test_in_fit_reduces_the_rate_used_by_the_optimizer():
    model = _model(0.1)
    cb = callbacks.ReduceLROnPlateau(monitor="loss", factor=0.5, patience=1, mode="max")
    # loss falls every epoch, and mode="max" calls that a miss: the rate halves each epoch after the first
    history = model.fit(np.ones((4, 1)), np.full((4, 1), 2.0), epochs=3, verbose=0, callbacks=[cb])
    np.testing.assert_allclose(history.history["learning_rate"], [0.1, 0.1, 0.05], rtol=1e-6)
    assert model.optimizer.learning_rate == pytest.approx(0.025)


SCENARIOS = [
    (dict(factor=0.5, patience=2), [1.0, 0.9, 0.9, 0.95, 0.9, 0.9, 0.8, 0.85]),
    (dict(factor=0.5, patience=1, cooldown=2), [1.0] * 8),
    (dict(factor=0.1, patience=1, min_lr=0.05), [1.0] * 5),
    (dict(factor=0.2, patience=0, min_delta=0.05), [1.0, 0.97, 0.9, 0.88, 0.8]),
    (dict(factor=0.5, patience=1, cooldown=1, min_delta=0.0), [3.0, 2.0, 2.0, 2.5, 1.0, 1.0, 1.0]),
]


@pytest.mark.keras
@pytest.mark.parametrize("kwargs,values", SCENARIOS)
def test_matches_real_keras(keras, kwargs, values):
    opt = keras.optimizers.SGD(learning_rate=1.0)
    fake = types.SimpleNamespace(optimizer=opt, stop_training=False)
    theirs = keras.callbacks.ReduceLROnPlateau(**kwargs)
    theirs.set_model(fake)
    theirs.on_train_begin()
    expected = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for epoch, value in enumerate(values):
            theirs.on_epoch_end(epoch, {"val_loss": value})
            expected.append(float(np.asarray(opt.learning_rate)))
    ours = _drive(callbacks.ReduceLROnPlateau(**kwargs), _model(1.0), values)
    np.testing.assert_allclose(ours, expected, rtol=1e-6)
