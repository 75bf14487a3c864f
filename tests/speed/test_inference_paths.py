"""`predict` and `evaluate` take the path a hand-written loop takes: no host read-back per batch,
outputs copied into arrays preallocated once (no per-batch list and final concatenation), and
`steps_per_execution=N` running ceil(batches / N) executions with the same results as N = 1.

These tests count calls (host reads of tensors, `torch.cat`, step functions); they do not time.
"""

import math

import numpy as np
import pytest
import torch

import kerastorch
from kerastorch import layers
from kerastorch.trainer.trainer import Trainer
from tests.speed.test_fast_paths import count_host_reads


def _model(n=1, jit=False):
    torch.manual_seed(0)
    model = kerastorch.Sequential([layers.Input(shape=(4,)), layers.Dense(8, activation="relu"),
                                   layers.Dense(3, activation="softmax")])
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"],
                  steps_per_execution=n, jit_compile=jit)
    return model


def _data(n):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((n, 4)).astype("float32")
    return x, np.eye(3, dtype="float32")[rng.integers(0, 3, n)]


def _reads(call, batches, batch_size=2):
    model = _model()
    x, y = _data(batches * batch_size)
    call(model, x[:batch_size], y[:batch_size], batch_size)          # builds, resolves the metrics
    with count_host_reads() as counter:
        call(model, x, y, batch_size)
    return counter["n"]


def _predict(model, x, y, batch_size):
    return model.predict(x, batch_size=batch_size, verbose=0)


def _evaluate(model, x, y, batch_size):
    return model.evaluate(x, y, batch_size=batch_size, verbose=0)


@pytest.mark.parametrize("call", [_predict, _evaluate], ids=["predict", "evaluate"])
def test_no_host_read_per_batch(call):
    # (evaluate checks, once per call of 4 batches or more, that one-hot targets are one-hot)
    few, many = _reads(call, 6), _reads(call, 30)
    assert many == few, f"host reads grew with the batches: {few} for 6 batches, {many} for 30"


def test_the_counter_sees_a_read_in_predict_step(monkeypatch):
    original = Trainer.predict_step

    def predict_step_with_read(self, data):
        out = original(self, data)
        out.sum().item()                 # the per-batch sync these tests are here to catch
        return out

    monkeypatch.setattr(Trainer, "predict_step", predict_step_with_read)
    assert _reads(_predict, 30) - _reads(_predict, 3) == 27


def test_predict_writes_into_preallocated_outputs(monkeypatch):
    """Arrays in: one output array made before the loop, filled by slices (no torch.cat at the end)."""
    counts = {"cat": 0, "empty": 0}
    cat, empty = torch.cat, torch.empty

    def counting(name, fn):
        def wrapped(*args, **kwargs):
            counts[name] += 1
            return fn(*args, **kwargs)
        return wrapped

    model = _model()
    x, _ = _data(40)
    reference = np.concatenate([model.predict(x[i:i + 4], verbose=0) for i in range(0, 40, 4)])
    monkeypatch.setattr(torch, "cat", counting("cat", cat))
    monkeypatch.setattr(torch, "empty", counting("empty", empty))
    out = model.predict(x, batch_size=4, verbose=0)
    assert counts == {"cat": 0, "empty": 1}
    np.testing.assert_array_equal(out, reference)


@pytest.mark.parametrize("n", [3, 4])
def test_steps_per_execution_in_evaluate_and_predict(n, monkeypatch):
    x, y = _data(40)                             # 10 batches of 4
    one = _model(1)
    expected = one.evaluate(x, y, batch_size=4, verbose=0), one.predict(x, batch_size=4, verbose=0)
    calls = []
    original = Trainer._test_function
    monkeypatch.setattr(Trainer, "_test_function", lambda self, group: calls.append(len(group)) or
                        original(self, group))
    model = _model(n)
    model.set_weights(one.get_weights())
    got = model.evaluate(x, y, batch_size=4, verbose=0), model.predict(x, batch_size=4, verbose=0)
    assert calls == [n] * (10 // n) + ([10 % n] if 10 % n else [])
    assert len(calls) == math.ceil(10 / n)
    np.testing.assert_allclose(got[0], expected[0], rtol=1e-6)
    np.testing.assert_array_equal(got[1], expected[1])


def test_steps_per_execution_with_compiled_steps_trains_as_one_step_per_call(monkeypatch):
    """jit_compile with steps_per_execution=4: ceil(10/4) executions per epoch, N = 1's weights."""
    x, y = _data(40)
    reference = _model(1, jit="eager")
    reference.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0)
    calls = []
    original = Trainer._train_function
    monkeypatch.setattr(Trainer, "_train_function", lambda self, group, *a: calls.append(len(group)) or
                        original(self, group, *a))
    model = _model(4, jit="eager")
    model.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0)
    assert calls == [4, 4, 2] * 2
    for a, b in zip(model.get_weights(), reference.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)


def _stacks():
    return {
        "dropout_batchnorm": ([layers.Input(shape=(6,)), layers.Dense(8), layers.BatchNormalization(),
                               layers.Activation("relu"), layers.Dropout(0.5), layers.Dense(2, activation="softmax")],
                              "float32"),
        "nested_sequential": ([layers.Input(shape=(6,)),
                               kerastorch.Sequential([layers.Dense(4, activation="tanh"), layers.Dense(3)]),
                               layers.Dense(1, activation="sigmoid")], "float32"),
        "embedding_int_inputs": ([layers.Input(shape=(5,), dtype="int64"), layers.Embedding(10, 4),
                                  layers.GlobalAveragePooling1D(), layers.Dense(2)], "int64"),
        "float64_inputs": ([layers.Input(shape=(6,)), layers.Dense(3, activation="relu"), layers.Dense(2)], "float64"),
    }


@pytest.mark.parametrize("name", list(_stacks()))
def test_predict_of_a_sequential_model_equals_its_call(name):
    """predict runs a plain Sequential model's layers' `call`s in a row: the same numbers as `model(x)`."""
    stack, dtype = _stacks()[name]
    torch.manual_seed(0)
    model = kerastorch.Sequential(stack)
    model.compile(optimizer="adam", loss="mse")
    rng = np.random.default_rng(0)
    x = rng.integers(0, 10, (20, 5)) if dtype == "int64" else rng.standard_normal((20, 6)).astype(dtype)
    got = model.predict(x, batch_size=8, verbose=0)
    with torch.no_grad():
        expected = model(torch.as_tensor(x), training=False).numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-7)
    assert got.dtype == np.float32


def test_predict_runs_torch_hooks_of_the_layers():
    model = _model()
    x, _ = _data(20)
    seen = []
    handle = model.layers[0].register_forward_hook(lambda module, args, out: seen.append(tuple(out.shape)))
    model.predict(x, batch_size=8, verbose=0)
    assert seen == [(8, 8), (8, 8), (4, 8)]
    handle.remove()
    model.predict(x, batch_size=8, verbose=0)
    assert len(seen) == 3
