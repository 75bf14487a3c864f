"""Built recurrent layers, and models holding them, survive `pickle` and `copy.deepcopy`.

The cells store their kernels in torch's layout behind `(to_internal, to_keras)` layout functions,
which once were local lambdas that pickle refused ("Can't pickle local object
'_kernel_layout.<locals>.<lambda>'"). The original layer's output is the oracle for its copy.
"""

import copy
import pickle

import numpy as np
import pytest
import torch

import kerastorch
from kerastorch import layers

B, T, F = 3, 5, 4

RECURRENT = {
    "SimpleRNN": lambda: layers.SimpleRNN(3),
    "LSTM": lambda: layers.LSTM(3),
    "GRU": lambda: layers.GRU(3),                         # gate blocks reordered: partial layouts
    "GRU_reset_before": lambda: layers.GRU(3, reset_after=False),
    "RNN_SimpleRNNCell": lambda: layers.RNN(layers.SimpleRNNCell(3)),
    "RNN_LSTMCell": lambda: layers.RNN(layers.LSTMCell(3), return_sequences=True),
    "RNN_GRUCell": lambda: layers.RNN(layers.GRUCell(3), return_state=True),
}


def _inputs(seed=1):
    return torch.from_numpy(np.random.default_rng(seed).normal(size=(B, T, F)).astype("float32"))


def _np(x):
    if isinstance(x, (list, tuple)):
        return [_np(v) for v in x]
    return x.detach().numpy()


def _built(make):
    torch.manual_seed(0)
    layer = make()
    layer.eval()
    layer(_inputs())          # built, and the fused plan (where the cell has one) cached on the cell
    return layer


def _pickled(layer):
    return pickle.loads(pickle.dumps(layer))


def _first(outputs):
    """The layer's output (`return_state` gives `[output, *states]`)."""
    return outputs[0] if isinstance(outputs, list) else outputs


def _assert_trains_on_its_own(twin, original):
    """One SGD step on `twin` moves its weights and outputs, and leaves the original alone."""
    x = _inputs(seed=3)
    before, original_weights = twin.get_weights(), original.get_weights()
    original_output = _np(_first(original(x)))
    twin.train()
    _first(twin(x)).square().mean().backward()
    assert all(p.grad is not None for p in twin.parameters())
    opt = kerastorch.optimizers.SGD(learning_rate=0.1)
    opt.build(list(twin.parameters()))
    opt.step()
    assert any(not np.array_equal(a, b) for a, b in zip(before, twin.get_weights()))
    twin.eval()
    assert not np.allclose(_np(_first(twin(x))), original_output)
    for a, b in zip(original.get_weights(), original_weights):
        np.testing.assert_array_equal(a, b)
    # The original's cached fused plan holds its own weights, not the twin's.
    np.testing.assert_array_equal(_np(_first(original(x))), original_output)


@pytest.mark.parametrize("name", sorted(RECURRENT))
@pytest.mark.parametrize("copier", [_pickled, copy.deepcopy], ids=["pickle", "deepcopy"])
def test_built_recurrent_layer_round_trips_with_the_same_outputs_and_trains(name, copier):
    original = _built(RECURRENT[name])
    x = _inputs(seed=2)
    expected = _np(original(x))
    twin = copier(original)
    assert type(twin) is type(original) and twin.built
    for a, b in zip(twin.get_weights(), original.get_weights()):
        np.testing.assert_array_equal(a, b)
    got = _np(twin(x))
    if isinstance(expected, list):
        assert len(got) == len(expected)
        for g, e in zip(got, expected):
            np.testing.assert_allclose(g, e, rtol=1e-6, atol=1e-7)
    else:
        np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-7)
    _assert_trains_on_its_own(twin, original)


@pytest.mark.parametrize("name", ["LSTM", "GRU"])
def test_get_and_set_weights_still_speak_keras_layout_after_unpickling(name):
    original = _built(RECURRENT[name])
    twin = _pickled(original)
    # Keras' layout: kernel (in, blocks * units), recurrent_kernel (units, blocks * units).
    blocks = {"LSTM": 4, "GRU": 3}[name]
    kernel, recurrent, bias = twin.get_weights()
    assert kernel.shape == (F, blocks * 3) and recurrent.shape == (3, blocks * 3)
    rng = np.random.default_rng(5)
    new = [rng.normal(size=w.shape).astype("float32") for w in original.get_weights()]
    original.set_weights(new)
    twin.set_weights(new)
    x = _inputs(seed=4)
    np.testing.assert_allclose(_np(twin(x)), _np(original(x)), rtol=1e-6, atol=1e-7)
    # The stored (torch) tensors match too: the twin's layout functions map as the original's.
    for p, q in zip(twin.cell.parameters(), original.cell.parameters()):
        np.testing.assert_array_equal(_np(p), _np(q))


def test_model_with_lstm_pickles_after_fit_and_predict():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(16, T, F)).astype("float32")
    y = rng.normal(size=(16, 2)).astype("float32")
    torch.manual_seed(0)
    model = kerastorch.Sequential([layers.Input(shape=(T, F)), layers.LSTM(3), layers.Dense(2)])
    model.compile(optimizer="adam", loss="mse")
    model.fit(x, y, batch_size=4, epochs=1, verbose=0)
    expected = model.predict(x, verbose=0)
    cell = model.layers[0].cell
    assert type(cell.__dict__.get("_kt_fused_plan")).__name__ == "FusedPlan"   # predict cached one

    twin = pickle.loads(pickle.dumps(model))
    # The plan is dropped on pickling (its tensors are the original's), made anew at the first call.
    assert twin.layers[0].cell.__dict__.get("_kt_fused_plan") is None
    np.testing.assert_allclose(twin.predict(x, verbose=0), expected, rtol=1e-6, atol=1e-7)
    plan = twin.layers[0].cell.__dict__.get("_kt_fused_plan")
    twin_kernel = twin.layers[0].cell._parameters["kernel"]
    assert any(t is twin_kernel for _, t, _ in plan.weights)

    loss_before = twin.evaluate(x, y, verbose=0)
    for _ in range(3):
        twin.fit(x, y, batch_size=4, epochs=1, verbose=0)
    assert twin.evaluate(x, y, verbose=0) < loss_before
    np.testing.assert_array_equal(model.predict(x, verbose=0), expected)   # the original is untouched

    deep = copy.deepcopy(model)
    np.testing.assert_allclose(deep.predict(x, verbose=0), expected, rtol=1e-6, atol=1e-7)
