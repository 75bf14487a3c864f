"""Overridden `call`, `compute_loss`, `train_step`, `test_step`, `predict_step`, against real Keras 3.

Each override is written once over a library, on a `Model` subclass and on a `Sequential`
subclass, and run with the same weights and batches in both: `model(x)`, `predict`,
`evaluate` and 3 SGD steps of `fit` (History and weights) must agree. The Sequential stacks end
in softmax, sigmoid or no activation, the cases where the trainer could fuse the activation
into the loss: an override must switch that off.
"""

import numpy as np
import pytest
import torch

import kerastorch

keras = pytest.importorskip("keras")

HEADS = {   # final activation -> (loss, targets)
    "softmax": "categorical_crossentropy",
    "sigmoid": "binary_crossentropy",
    "linear": "mse",
}


def _clear(lib):
    if lib is keras:
        keras.backend.clear_session(free_memory=False)
    else:
        kerastorch.utils.clear_session(False)


def _data(head, n=8):
    rng = np.random.RandomState(0)
    x = rng.rand(n, 4).astype("float32")
    if head == "softmax":
        y = np.eye(3, dtype="float32")[rng.randint(0, 3, n)]
    elif head == "sigmoid":
        y = rng.randint(0, 2, (n, 3)).astype("float32")
    else:
        y = rng.rand(n, 3).astype("float32")
    return x, y


def _stack(lib, head):
    layers = lib.layers
    return [layers.Input(shape=(4,)), layers.Dense(5, activation="relu"), layers.Dense(3, activation=head)]


# --------------------------------------------------------------------------- the overrides
def sequential_overrides(lib, override):
    ops = lib.ops

    class Seq(lib.Sequential):
        if override == "call":
            def call(self, inputs, training=None, mask=None):
                # Squashed into (0.1, 0.5): another prediction, and another loss, than the stack's.
                return 0.1 + 0.4 * super().call(inputs, training=training)

        if override == "compute_loss":
            def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
                return ops.mean(ops.square(y - y_pred)) + 0.5 * ops.mean(y_pred)

    return Seq


def model_overrides(lib, override):
    layers, ops = lib.layers, lib.ops

    class Sub(lib.Model):
        def __init__(self, head, **kwargs):
            super().__init__(**kwargs)
            self.hidden = layers.Dense(5, activation="relu")
            self.out = layers.Dense(3, activation=head)

        def call(self, inputs, training=None):
            return self.out(self.hidden(inputs))

        if override == "compute_loss":
            def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
                return ops.mean(ops.square(y - y_pred)) + 0.5 * ops.mean(y_pred)

    return Sub


def _make(lib, kind, override, head):
    _clear(lib)
    if kind == "Sequential":
        return sequential_overrides(lib, override)(_stack(lib, head))
    model = model_overrides(lib, override)(head)
    model.build((None, 4)) if lib is kerastorch else model(np.zeros((1, 4), "float32"))
    return model


def _numpy(x, lib):
    return keras.ops.convert_to_numpy(x) if lib is keras else x.detach().cpu().numpy()


def _pair(kind, override, head):
    k = _make(keras, kind, override, head)
    m = _make(kerastorch, kind, override, head)
    m.set_weights(k.get_weights())
    return k, m


def _train(lib, model, head, x, y):
    model.compile(optimizer=lib.optimizers.SGD(learning_rate=0.5), loss=HEADS[head], metrics=["mae"])
    history = model.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0)   # 4 steps
    return history.history, model.get_weights()


CASES = [pytest.param(kind, override, head)
         for kind in ("Sequential", "Model") for override in ("call", "compute_loss")
         for head in HEADS if not (kind == "Model" and override == "call")]


@pytest.mark.parametrize("kind,override,head", CASES)
def test_override_is_honoured_by_call_predict_evaluate_and_fit(kind, override, head):
    k, m = _pair(kind, override, head)
    x, y = _data(head)
    expected = _numpy(k(x), keras)
    with torch.no_grad():
        np.testing.assert_allclose(_numpy(m(torch.as_tensor(x)), kerastorch), expected, atol=1e-6)
    np.testing.assert_allclose(m.predict(x, verbose=0), expected, atol=1e-6)
    for lib, model in ((keras, k), (kerastorch, m)):
        model.compile(optimizer="sgd", loss=HEADS[head], metrics=["mae"])
    np.testing.assert_allclose(m.evaluate(x, y, verbose=0), k.evaluate(x, y, verbose=0), rtol=1e-5, atol=1e-6)
    k_hist, k_weights = _train(keras, k, head, x, y)
    m_hist, m_weights = _train(kerastorch, m, head, x, y)
    assert sorted(m_hist) == sorted(k_hist)
    for key in k_hist:
        np.testing.assert_allclose(m_hist[key], k_hist[key], rtol=1e-5, atol=1e-6, err_msg=key)
    for a, b in zip(m_weights, k_weights):
        np.testing.assert_allclose(a, b, atol=1e-4)


# --------------------------------------------------------------------------- steps
def step_overrides(lib, base):
    """A class over `base` (Model subclass or Sequential) whose three steps return their own values."""
    ops = lib.ops

    class Steps(base):
        def train_step(self, data):
            x, y = data
            y_pred = self(x, training=True)      # no update: the logs are the step's own
            return {"pred_mean": ops.mean(y_pred), "target_sum": ops.sum(y)}

        def test_step(self, data):
            x, y = data
            return {"gap": ops.mean(ops.abs(self(x, training=False) - y))}

        def predict_step(self, data):
            x = data[0] if isinstance(data, (list, tuple)) else data
            return {"doubled": 2.0 * self(x, training=False), "first": x[:, :1]}

    return Steps


def _steps_model(lib, kind):
    _clear(lib)
    if kind == "Sequential":
        return step_overrides(lib, lib.Sequential)(_stack(lib, "linear"))
    base = model_overrides(lib, None)
    model = step_overrides(lib, base)("linear")
    model.build((None, 4)) if lib is kerastorch else model(np.zeros((1, 4), "float32"))
    return model


@pytest.mark.parametrize("kind", ["Sequential", "Model"])
def test_overridden_steps_are_what_fit_evaluate_and_predict_run(kind):
    x, y = _data("linear", n=10)
    k = _steps_model(keras, kind)
    m = _steps_model(kerastorch, kind)
    m.set_weights(k.get_weights())
    for model in (k, m):
        model.compile(optimizer="sgd", loss="mse")
    k_hist = k.fit(x, y, batch_size=4, epochs=2, verbose=0, shuffle=False).history
    m_hist = m.fit(x, y, batch_size=4, epochs=2, verbose=0, shuffle=False).history
    assert sorted(m_hist) == sorted(k_hist) == ["pred_mean", "target_sum"]
    for key in k_hist:
        np.testing.assert_allclose(m_hist[key], k_hist[key], rtol=1e-5, err_msg=key)
    k_eval = k.evaluate(x, y, batch_size=4, verbose=0, return_dict=True)
    m_eval = m.evaluate(x, y, batch_size=4, verbose=0, return_dict=True)
    assert sorted(m_eval) == sorted(k_eval)
    np.testing.assert_allclose(m_eval["gap"], k_eval["gap"], rtol=1e-5)
    k_pred = k.predict(x, batch_size=4, verbose=0)
    m_pred = m.predict(x, batch_size=4, verbose=0)
    assert sorted(m_pred) == sorted(k_pred) == ["doubled", "first"]
    for key in k_pred:
        np.testing.assert_allclose(m_pred[key], k_pred[key], atol=1e-6, err_msg=key)
    for a, b in zip(m.get_weights(), k.get_weights()):   # train_step updated nothing, in both
        np.testing.assert_array_equal(a, b)


def test_sequential_call_override_refuses_the_fused_logits_path():
    model = sequential_overrides(kerastorch, "call")(_stack(kerastorch, "softmax"))
    with pytest.raises(ValueError, match="overrides call\\(\\), so its logits before the final activation"):
        model(torch.ones(2, 4), return_logits=True)
    assert model._final_activation() is None


def test_sequential_refuses_extra_call_arguments_it_cannot_use():
    model = kerastorch.Sequential(_stack(kerastorch, "linear"))
    with pytest.raises(TypeError, match="takes one input .*subclass Sequential and define call\\(\\)"):
        model(torch.ones(2, 4), torch.ones(2, 4))
