"""Keras' recipe for a custom `train_step` on torch (keras-io `custom_train_step_in_torch`), unchanged.

Every recipe below is written once against a library `lib` (real Keras or kerastorch), run by
both from the same initial weights on the same batches (3 steps, no shuffling), and the weights
and the History must agree within 1e-5.
"""

import numpy as np
import pytest
import torch

import kerastorch

pytestmark = pytest.mark.keras


# ---------------------------------------------------------------- train steps, in the guide's words
def _step_guide(self, data):
    """The guide's first example (older `compute_loss(y=..., y_pred=...)`)."""
    x, y = data
    self.zero_grad()
    y_pred = self(x, training=True)
    loss = self.compute_loss(y=y, y_pred=y_pred)
    loss.backward()
    trainable_weights = [v for v in self.trainable_weights]
    gradients = [v.value.grad for v in trainable_weights]
    with torch.no_grad():
        self.optimizer.apply(gradients, trainable_weights)
    for metric in self.metrics:
        if metric.name == "loss":
            metric.update_state(loss)
        else:
            metric.update_state(y, y_pred)
    return {m.name: m.result() for m in self.metrics}


def _step_compute_metrics(self, data):
    """Keras 3's signature `compute_loss(x=, y=, y_pred=, sample_weight=)`, then `compute_metrics`."""
    x, y = data
    self.zero_grad()
    y_pred = self(x, training=True)
    loss = self.compute_loss(x=x, y=y, y_pred=y_pred, sample_weight=None)
    loss.backward()
    gradients = [v.value.grad for v in self.trainable_weights]
    with torch.no_grad():
        self.optimizer.apply(gradients, self.trainable_weights)
    for metric in self.metrics:
        if metric.name == "loss":
            metric.update_state(loss)
    return self.compute_metrics(x, y, y_pred, None)


def _step_sample_weight(self, data):
    """The guide's `sample_weight` example, with `apply_gradients` and `get_metrics_result`."""
    if len(data) == 3:
        x, y, sample_weight = data
    else:
        sample_weight = None
        x, y = data
    self.zero_grad()
    y_pred = self(x, training=True)
    loss = self.compute_loss(y=y, y_pred=y_pred, sample_weight=sample_weight)
    loss.backward()
    grads = [v.value.grad for v in self.trainable_weights]
    with torch.no_grad():
        self.optimizer.apply_gradients(zip(grads, self.trainable_weights))
    for metric in self.metrics:
        if metric.name == "loss":
            metric.update_state(loss)
        else:
            metric.update_state(y, y_pred, sample_weight=sample_weight)
    return self.get_metrics_result()


def _own_metrics_class(lib, base):
    """The guide's second example: own loss tracker and MAE, a `metrics` property, no compiled loss."""

    class CustomModel(base):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.loss_tracker = lib.metrics.Mean(name="loss")
            self.mae_metric = lib.metrics.MeanAbsoluteError(name="mae")
            self.loss_fn = lib.losses.MeanSquaredError()

        def train_step(self, data):
            x, y = data
            self.zero_grad()
            y_pred = self(x, training=True)
            loss = self.loss_fn(y, y_pred)
            loss.backward()
            trainable_weights = [v for v in self.trainable_weights]
            gradients = [v.value.grad for v in trainable_weights]
            with torch.no_grad():
                self.optimizer.apply(gradients, trainable_weights)
            self.loss_tracker.update_state(loss)
            self.mae_metric.update_state(y, y_pred)
            return {"loss": self.loss_tracker.result(), "mae": self.mae_metric.result()}

        @property
        def metrics(self):
            return [self.loss_tracker, self.mae_metric]

    return CustomModel


def _test_step_guide(self, data):
    x, y = data
    y_pred = self(x, training=False)
    loss = self.compute_loss(y=y, y_pred=y_pred)
    for metric in self.metrics:
        if metric.name == "loss":
            metric.update_state(loss)
        else:
            metric.update_state(y, y_pred)
    return {m.name: m.result() for m in self.metrics}


# ---------------------------------------------------------------- models
def _dense(lib):
    return [lib.Input((4,)), lib.layers.Dense(5, activation="relu"), lib.layers.Dense(1)]


def _conv_lstm(lib):
    return [lib.Input((6, 4)), lib.layers.Conv1D(3, 2, activation="tanh"), lib.layers.LSTM(3),
            lib.layers.Dense(1)]


def _classifier(lib):
    return [lib.Input((4,)), lib.layers.Dense(6, activation="tanh"), lib.layers.Dense(3, activation="softmax")]


def _subclassed(lib, step):
    class Net(lib.Model):
        def __init__(self):
            super().__init__()
            self.hidden = lib.layers.Dense(5, activation="tanh")
            self.gru = lib.layers.GRU(2)
            self.out = lib.layers.Dense(1)

        def call(self, x):
            return self.out(self.gru(self.hidden(x)))

    Net.train_step = step
    return Net()


def _sequential(lib, step, layers_fn, test_step=None):
    attrs = {"train_step": step}
    if test_step is not None:
        attrs["test_step"] = test_step
    cls = type("CustomModel", (lib.Sequential,), attrs)
    return cls(layers_fn(lib))


def _data(kind):
    rng = np.random.default_rng(7)
    shape = {"dense": (12, 4), "conv_lstm": (12, 6, 4), "subclassed": (12, 3, 4), "classifier": (12, 4)}[kind]
    x = rng.normal(size=shape).astype("float32")
    if kind == "classifier":
        return x, rng.integers(0, 3, 12)
    return x, rng.normal(size=(12, 1)).astype("float32")


def _run(keras, build, compile_kwargs, kind, fit_kwargs=None, evaluate=False):
    """Trains the same model 3 steps in Keras and in kerastorch; returns (keras, ours) weights and logs."""
    x, y = _data(kind)
    out = {}
    initial = None
    for name, lib in (("keras", keras), ("ours", kerastorch)):
        torch.manual_seed(0)
        model = build(lib)
        model(x[:2])                            # builds a subclassed model's layers
        if initial is None:
            initial = model.get_weights()
        else:
            model.set_weights(initial)
        model.compile(**compile_kwargs(lib))
        history = model.fit(x, y, batch_size=4, epochs=1, shuffle=False, verbose=0, **(fit_kwargs or {}))
        result = model.evaluate(x, y, batch_size=4, verbose=0, return_dict=True) if evaluate else None
        out[name] = (model.get_weights(), history.history, result, initial)
    return out["keras"], out["ours"]


def _check(theirs, ours):
    assert len(ours[0]) == len(theirs[0])
    for a, b in zip(ours[0], theirs[0]):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)
    assert sorted(ours[1]) == sorted(theirs[1])
    for key in theirs[1]:
        np.testing.assert_allclose(ours[1][key], theirs[1][key], rtol=1e-5, atol=1e-6, err_msg=key)
    assert not np.allclose(ours[0][0], ours[3][0]), "training did not move the weights"
    if theirs[2] is not None:
        assert sorted(ours[2]) == sorted(theirs[2])
        for key in theirs[2]:
            assert ours[2][key] == pytest.approx(theirs[2][key], rel=1e-5, abs=1e-6), key


def _adam(lib):
    return {"optimizer": lib.optimizers.Adam(learning_rate=0.05), "loss": "mse", "metrics": ["mae"]}


RECIPES = [
    # (label, build(lib), compile kwargs(lib), data kind, fit kwargs)
    ("guide, Sequential subclass", lambda lib: _sequential(lib, _step_guide, _dense), _adam, "dense", None),
    ("compute_metrics, Conv1D + LSTM", lambda lib: _sequential(lib, _step_compute_metrics, _conv_lstm),
     _adam, "conv_lstm", None),
    ("guide, Model subclass with GRU", lambda lib: _subclassed(lib, _step_guide),
     lambda lib: {"optimizer": lib.optimizers.SGD(learning_rate=0.1, momentum=0.9), "loss": "mse",
                  "metrics": ["mae"]}, "subclassed", None),
    ("sample_weight, apply_gradients", lambda lib: _sequential(lib, _step_sample_weight, _dense),
     lambda lib: {"optimizer": lib.optimizers.RMSprop(learning_rate=0.01), "loss": "mse",
                  "metrics": ["mae"], "weighted_metrics": ["mse"]}, "dense",
     {"sample_weight": np.linspace(0.5, 2.0, 12).astype("float32")}),
    ("classifier with accuracy", lambda lib: _sequential(lib, _step_guide, _classifier),
     lambda lib: {"optimizer": lib.optimizers.Adam(learning_rate=0.05), "loss": "sparse_categorical_crossentropy",
                  "metrics": ["accuracy"]}, "classifier", None),
]


@pytest.mark.parametrize("label, build, compile_kwargs, kind, fit_kwargs", RECIPES, ids=[r[0] for r in RECIPES])
def test_recipe_trains_like_keras(keras, label, build, compile_kwargs, kind, fit_kwargs):
    theirs, ours = _run(keras, build, compile_kwargs, kind, fit_kwargs)
    _check(theirs, ours)


def test_own_metrics_and_compile_without_loss_train_like_keras(keras):
    theirs, ours = _run(keras, lambda lib: _own_metrics_class(lib, lib.Sequential)(_dense(lib)),
                        lambda lib: {"optimizer": lib.optimizers.Adam(learning_rate=0.05)}, "dense")
    _check(theirs, ours)
    assert sorted(ours[1]) == ["loss", "mae"]


def test_custom_test_step_evaluates_like_keras(keras):
    theirs, ours = _run(keras, lambda lib: _sequential(lib, _step_guide, _dense, _test_step_guide), _adam,
                        "dense", evaluate=True)
    _check(theirs, ours)


def test_metrics_are_reset_each_epoch_through_the_metrics_property(keras):
    # Two epochs: the second epoch's logs are that epoch's means only, as Keras resets self.metrics.
    x, y = _data("dense")
    logs = {}
    for name, lib in (("keras", keras), ("ours", kerastorch)):
        model = _own_metrics_class(lib, lib.Sequential)(_dense(lib))
        model(x[:2])
        if name == "keras":
            initial = model.get_weights()
        else:
            model.set_weights(initial)
        model.compile(optimizer=lib.optimizers.SGD(learning_rate=0.05))
        logs[name] = model.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0).history
    for key in ("loss", "mae"):
        np.testing.assert_allclose(logs["ours"][key], logs["keras"][key], rtol=1e-5)


def test_two_optimizers_on_sub_models_like_the_gan_example(keras):
    """The GAN example's pattern: each optimizer, built by its first `apply`, updates one sub-model."""
    rng = np.random.default_rng(3)
    x = rng.normal(size=(12, 4)).astype("float32")
    results = {}
    initial = None
    for name, lib in (("keras", keras), ("ours", kerastorch)):
        first = lib.Sequential([lib.Input((4,)), lib.layers.Dense(3, activation="tanh")], name="first")
        second = lib.Sequential([lib.Input((3,)), lib.layers.Dense(1)], name="second")

        class Pair(lib.Model):
            def __init__(self):
                super().__init__()
                self.first, self.second = first, second
                self.tracker = lib.metrics.Mean(name="g_loss")
                self.built = True

            @property
            def metrics(self):
                return [self.tracker]

            def compile(self, first_optimizer, second_optimizer):
                super().compile()
                self.first_optimizer, self.second_optimizer = first_optimizer, second_optimizer

            def train_step(self, data):
                x = data[0] if isinstance(data, tuple) else data
                self.zero_grad()
                loss = (self.second(self.first(x)) ** 2).mean()
                loss.backward()
                grads = [v.value.grad for v in self.second.trainable_weights]
                with torch.no_grad():
                    self.second_optimizer.apply(grads, self.second.trainable_weights)
                self.zero_grad()
                loss = ((self.second(self.first(x)) - 1.0) ** 2).mean()
                loss.backward()
                grads = [v.value.grad for v in self.first.trainable_weights]
                with torch.no_grad():
                    self.first_optimizer.apply(grads, self.first.trainable_weights)
                self.tracker.update_state(loss)
                return {"g_loss": self.tracker.result()}

        model = Pair()
        if initial is None:
            initial = [first.get_weights(), second.get_weights()]
        else:
            first.set_weights(initial[0])
            second.set_weights(initial[1])
        model.compile(lib.optimizers.Adam(learning_rate=0.05), lib.optimizers.SGD(learning_rate=0.1))
        history = model.fit(x, batch_size=4, epochs=1, shuffle=False, verbose=0)
        results[name] = (first.get_weights() + second.get_weights(), history.history)
    for a, b in zip(results["ours"][0], results["keras"][0]):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(results["ours"][1]["g_loss"], results["keras"][1]["g_loss"], rtol=1e-5)
    assert not np.allclose(results["ours"][0][0], initial[0][0])
