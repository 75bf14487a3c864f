"""fit's arguments, single-batch methods, custom train_step, and any nn.Module trained with fit."""

import numpy as np
import pytest
import torch

import kerastorch
from kerastorch import callbacks, layers, optimizers


def _frozen_model(value=0.0):
    """A 1-feature linear model that does not learn (learning rate 0): its loss is a fixed function of y."""
    model = kerastorch.Sequential([layers.Input(shape=(1,)), layers.Dense(1, use_bias=False)])
    model.set_weights([np.full((1, 1), value, "float32")])
    model.compile(optimizer=optimizers.SGD(learning_rate=0.0), loss="mse")
    return model


def test_sample_weight_scales_each_sample_and_divides_by_the_count():
    x = np.zeros((4, 1), "float32")
    y = np.array([[1.0], [2.0], [3.0], [4.0]], "float32")     # errors 1, 4, 9, 16 (prediction 0)
    weights = np.array([1.0, 0.0, 2.0, 0.5], "float32")
    history = _frozen_model().fit(x, y, sample_weight=weights, batch_size=4, verbose=0)
    # Keras' sum_over_batch_size: sum(w * e) / number of samples, not / sum(w).
    assert history.history["loss"][0] == pytest.approx((1 * 1 + 0 * 4 + 2 * 9 + 0.5 * 16) / 4)


def test_class_weight_scales_the_loss_of_each_class():
    model = kerastorch.Sequential([layers.Input(shape=(1,)), layers.Dense(2, activation="softmax")])
    model.set_weights([np.zeros((1, 2), "float32"), np.zeros(2, "float32")])   # p = [0.5, 0.5]
    model.compile(optimizer=optimizers.SGD(learning_rate=0.0), loss="sparse_categorical_crossentropy")
    y = np.array([0, 0, 1, 1])
    history = model.fit(np.zeros((4, 1)), y, class_weight={0: 1.0, 1: 3.0}, batch_size=4, verbose=0)
    # Each sample's crossentropy is ln 2; weights 1, 1, 3, 3 over 4 samples.
    assert history.history["loss"][0] == pytest.approx(np.log(2) * (1 + 1 + 3 + 3) / 4, rel=1e-6)


def test_initial_epoch_validation_freq_and_steps_per_epoch():
    x, y = np.random.rand(40, 1).astype("float32"), np.random.rand(40, 1).astype("float32")
    model = _frozen_model()
    history = model.fit(x, y, epochs=5, initial_epoch=2, validation_data=(x, y), validation_freq=2,
                        steps_per_epoch=3, batch_size=4, verbose=0)
    assert history.epoch == [2, 3, 4]
    assert len(history.history["loss"]) == 3
    assert len(history.history["val_loss"]) == 1          # only after epoch index 3 ((3 + 1) % 2 == 0)
    assert history.params["steps"] == 3


def test_stop_training_from_a_callback():
    class StopAfterTwo(callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 1:
                self.model.stop_training = True

    history = _frozen_model().fit(np.zeros((8, 1)), np.zeros((8, 1)), epochs=10, callbacks=[StopAfterTwo()],
                                  verbose=0)
    assert history.epoch == [0, 1]


def test_batch_hooks_receive_running_logs():
    seen = []

    class Recorder(callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            seen.append((batch, dict(logs)))

    y = np.array([[1.0], [1.0], [3.0], [3.0]], "float32")
    _frozen_model().fit(np.zeros((4, 1)), y, batch_size=2, shuffle=False, callbacks=[Recorder()], verbose=0)
    # Running means: after batch 0 the loss is 1, after batch 1 it is (2 * 1 + 2 * 9) / 4 = 5.
    assert [b for b, _ in seen] == [0, 1]
    assert seen[0][1]["loss"] == pytest.approx(1.0) and seen[1][1]["loss"] == pytest.approx(5.0)


def test_single_batch_methods():
    model = _frozen_model(value=2.0)
    x, y = np.array([[1.0], [2.0]], "float32"), np.array([[1.0], [1.0]], "float32")
    # predictions 2 and 4: squared errors 1 and 9.
    assert model.test_on_batch(x, y) == pytest.approx(5.0)
    assert model.train_on_batch(x, y) == pytest.approx(5.0)
    assert model.train_on_batch(x, y, return_dict=True) == {"loss": pytest.approx(5.0)}
    np.testing.assert_allclose(model.predict_on_batch(x), [[2.0], [4.0]])


def test_plain_torch_optimizer_in_compile():
    kerastorch.utils.set_random_seed(0)
    model = kerastorch.Sequential([layers.Input(shape=(3,)), layers.Dense(1)])
    before = model.get_weights()[0].copy()
    model.compile(optimizer=torch.optim.SGD(model.parameters(), lr=0.1), loss="mse")
    model.fit(np.ones((8, 3), "float32"), np.zeros((8, 1), "float32"), verbose=0)
    assert not np.allclose(model.get_weights()[0], before)


def test_custom_train_step_in_keras_style():
    class CustomModel(kerastorch.Sequential):
        def train_step(self, data):
            x, y = data
            self.zero_grad()
            y_pred = self(x, training=True)
            loss = self.compute_loss(y=y, y_pred=y_pred)
            loss.backward()
            self.optimizer.apply([p.grad for p in self.parameters()], list(self.parameters()))
            for metric in self.metrics:
                if metric.name == "loss":
                    metric.update_state(loss)
                else:
                    metric.update_state(y, y_pred)
            return {m.name: m.result() for m in self.metrics}

    kerastorch.utils.set_random_seed(0)
    model = CustomModel([layers.Input(shape=(2,)), layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse", metrics=["mae"])
    x = np.random.rand(64, 2).astype("float32")
    history = model.fit(x, x.sum(1, keepdims=True), epochs=5, verbose=0)
    assert set(history.history) == {"loss", "mae"}
    assert history.history["loss"][-1] < history.history["loss"][0]


class _ResidualNet(torch.nn.Module):
    """A small ResNet-style block: not expressible as a Sequential (skip connection)."""

    def __init__(self):
        super().__init__()
        self.conv1 = torch.nn.Conv2d(3, 3, 3, padding=1)
        self.conv2 = torch.nn.Conv2d(3, 3, 3, padding=1)
        self.head = torch.nn.Linear(3 * 6 * 6, 2)

    def forward(self, x):
        h = torch.relu(self.conv1(x))
        h = torch.relu(x + self.conv2(h))
        return self.head(h.flatten(1))


def test_plain_module_trains_with_fit_exactly_like_a_hand_written_loop():
    rng = np.random.RandomState(0)
    x = rng.normal(size=(48, 3, 6, 6)).astype("float32")
    y = rng.normal(size=(48, 2)).astype("float32")

    torch.manual_seed(0)
    net = _ResidualNet()
    model = kerastorch.Model(net)
    model.compile(optimizer=optimizers.SGD(learning_rate=0.05), loss="mse")
    history = model.fit(x, y, batch_size=16, epochs=3, shuffle=False, validation_data=(x[:8], y[:8]), verbose=0)

    torch.manual_seed(0)
    reference = _ResidualNet()
    opt = torch.optim.SGD(reference.parameters(), lr=0.05)
    for _ in range(3):
        for i in range(0, 48, 16):
            opt.zero_grad()
            loss = torch.nn.functional.mse_loss(reference(torch.from_numpy(x[i:i + 16])),
                                                torch.from_numpy(y[i:i + 16]))
            loss.backward()
            opt.step()
    for (name, p), (_, q) in zip(net.named_parameters(), reference.named_parameters()):
        torch.testing.assert_close(p, q, rtol=1e-6, atol=1e-6, msg=name)
    assert "val_loss" in history.history
    # The module keeps its own layout and initialisation: it is the same object, untouched in form.
    assert model.module is net and net.conv1.weight.shape == (3, 3, 3, 3)
    assert len(model.get_weights()) == 6


def test_batch_hook_set_on_the_instance_is_called():
    calls = []
    cb = callbacks.Callback()
    cb.on_train_batch_end = lambda batch, logs=None: calls.append((batch, logs["loss"]))
    _frozen_model().fit(np.zeros((4, 1)), np.ones((4, 1)), batch_size=2, callbacks=[cb], verbose=0)
    assert [b for b, _ in calls] == [0, 1] and calls[-1][1] == pytest.approx(1.0)
