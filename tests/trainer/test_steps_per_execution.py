"""compile(steps_per_execution=N): N batches per call of the step function, hooks once per call.

Keras 3.15.1's torch backend refuses N > 1, so the oracle here is N = 1 (the same arithmetic in the
same order must give the same weights, History and outputs) and Keras' documented hook indices
(`on_*_batch_begin(first step)`, `on_*_batch_end(last step)` of each execution).
"""

import math

import numpy as np
import pytest
import torch

import kerastorch
from kerastorch import callbacks, layers
from kerastorch.trainer import trainer as trainer_lib


class _Hooks(callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.calls = []

    def on_train_batch_begin(self, batch, logs=None):
        self.calls.append(("train_begin", batch))

    def on_train_batch_end(self, batch, logs=None):
        self.calls.append(("train_end", batch, sorted(logs)))

    def on_test_batch_begin(self, batch, logs=None):
        self.calls.append(("test_begin", batch))

    def on_test_batch_end(self, batch, logs=None):
        self.calls.append(("test_end", batch))

    def on_predict_batch_begin(self, batch, logs=None):
        self.calls.append(("predict_begin", batch))

    def on_predict_batch_end(self, batch, logs=None):
        self.calls.append(("predict_end", batch, tuple(logs["outputs"].shape)))


def _model(n):
    torch.manual_seed(0)
    model = kerastorch.Sequential([layers.Input(shape=(4,)), layers.Dense(8, activation="relu"), layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse", metrics=["mae"], steps_per_execution=n)
    return model


def _data():
    rng = np.random.default_rng(0)
    return rng.normal(size=(40, 4)).astype("float32"), rng.normal(size=(40, 1)).astype("float32")


@pytest.mark.parametrize("n", [2, 3, 8])
def test_each_execution_runs_n_steps_and_training_equals_one_step_per_call(n, monkeypatch):
    x, y = _data()
    reference = _model(1)
    ref_history = reference.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0).history

    calls = []
    original = trainer_lib.Trainer._train_function

    def counting(self, batches, *args):
        calls.append(len(batches))
        return original(self, batches, *args)

    monkeypatch.setattr(trainer_lib.Trainer, "_train_function", counting)
    model = _model(n)
    history = model.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0).history
    steps = 10                                   # 40 samples / batch 4
    assert len(calls) == 2 * math.ceil(steps / n)
    assert sum(calls) == 2 * steps and max(calls) == n
    for a, b in zip(model.get_weights(), reference.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
    assert history.keys() == ref_history.keys()
    for key in history:
        np.testing.assert_allclose(history[key], ref_history[key], rtol=1e-6)


def test_batch_hooks_run_once_per_execution_with_keras_indices():
    x, y = _data()
    model = _model(4)
    hooks = _Hooks()
    model.fit(x, y, batch_size=4, epochs=1, shuffle=False, verbose=0, callbacks=[hooks])
    assert hooks.calls == [("train_begin", 0), ("train_end", 3, ["loss", "mae"]),
                           ("train_begin", 4), ("train_end", 7, ["loss", "mae"]),
                           ("train_begin", 8), ("train_end", 9, ["loss", "mae"])]
    hooks.calls.clear()
    one = _model(1)
    one.set_weights(model.get_weights())
    assert model.evaluate(x, y, batch_size=4, verbose=0, callbacks=[hooks]) == pytest.approx(
        one.evaluate(x, y, batch_size=4, verbose=0), rel=1e-6)
    assert hooks.calls == [("test_begin", 0), ("test_end", 3), ("test_begin", 4), ("test_end", 7),
                           ("test_begin", 8), ("test_end", 9)]
    hooks.calls.clear()
    np.testing.assert_allclose(model.predict(x, batch_size=16, verbose=0, callbacks=[hooks]),
                               one.predict(x, batch_size=16, verbose=0), rtol=1e-6)
    # Batches of 16, 16 and 8 samples; executions of four batches: one execution of all 40 outputs.
    assert hooks.calls == [("predict_begin", 0), ("predict_end", 2, (40, 1))]


@pytest.mark.parametrize("bad", [0, -1, 1.5, True, "2"])
def test_steps_per_execution_must_be_a_positive_integer(bad):
    model = kerastorch.Sequential([layers.Input(shape=(4,)), layers.Dense(1)])
    with pytest.raises(ValueError, match=r"`steps_per_execution` must be a positive integer, got"):
        model.compile(optimizer="sgd", loss="mse", steps_per_execution=bad)
