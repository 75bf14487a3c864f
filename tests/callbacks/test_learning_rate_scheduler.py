import numpy as np
import pytest
import torch

import kerastorch
from kerastorch import callbacks, layers


def _model(lr=0.1):
    model = kerastorch.Sequential([layers.Input(shape=(1,)), layers.Dense(1)])
    model.compile(optimizer=kerastorch.optimizers.SGD(learning_rate=lr), loss="mse")
    return model


class _RecordLR(kerastorch.callbacks.Callback):
    """Reads the rate the optimizer holds while the epoch's batches run."""

    def __init__(self):
        super().__init__()
        self.rates = []

    def on_train_batch_begin(self, batch, logs=None):
        if batch == 0:
            self.rates.append(float(self.model.optimizer.learning_rate))   # a live Variable: read it now


def test_two_argument_schedule_sets_rate_per_epoch_in_fit():
    model = _model(0.1)
    rec = _RecordLR()
    sched = callbacks.LearningRateScheduler(lambda epoch, lr: lr if epoch < 2 else lr * 0.5)
    history = model.fit(np.ones((4, 1)), np.ones((4, 1)), epochs=4, verbose=0, callbacks=[sched, rec])
    np.testing.assert_allclose(rec.rates, [0.1, 0.1, 0.05, 0.025], rtol=1e-6)
    np.testing.assert_allclose(history.history["learning_rate"], [0.1, 0.1, 0.05, 0.025], rtol=1e-6)


def test_one_argument_schedule():
    model = _model(0.1)
    sched = callbacks.LearningRateScheduler(lambda epoch: 1.0 / (epoch + 1))
    sched.set_model(model)
    for epoch in range(3):
        sched.on_epoch_begin(epoch)
        assert model.optimizer.learning_rate == pytest.approx(1.0 / (epoch + 1))


def test_schedule_that_is_a_callable_object():
    class Halve:
        def __call__(self, epoch, lr):
            return lr / 2

    model = _model(0.8)
    sched = callbacks.LearningRateScheduler(Halve())
    sched.set_model(model)
    sched.on_epoch_begin(0)
    sched.on_epoch_begin(1)
    assert model.optimizer.learning_rate == pytest.approx(0.2)


def test_plain_torch_optimizer():
    model = kerastorch.Sequential([layers.Input(shape=(1,)), layers.Dense(1)])
    model.build((None, 1))
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    model.compile(optimizer=opt, loss="mse")
    sched = callbacks.LearningRateScheduler(lambda epoch, lr: 0.001 * (epoch + 1))
    model.fit(np.ones((4, 1)), np.ones((4, 1)), epochs=3, verbose=0, callbacks=[sched])
    assert opt.param_groups[0]["lr"] == pytest.approx(0.003)


def test_non_float_result_is_an_error():
    model = _model()
    sched = callbacks.LearningRateScheduler(lambda epoch, lr: "0.1")
    sched.set_model(model)
    with pytest.raises(ValueError, match="must return a float.*'0.1'.*epoch 0"):
        sched.on_epoch_begin(0)


def test_type_error_inside_schedule_is_not_swallowed():
    def bad(epoch, lr):
        return lr + None  # a bug in the schedule must surface

    sched = callbacks.LearningRateScheduler(bad)
    sched.set_model(_model())
    with pytest.raises(TypeError, match="NoneType"):
        sched.on_epoch_begin(0)


def test_not_callable():
    with pytest.raises(TypeError, match="callable"):
        callbacks.LearningRateScheduler(0.1)
