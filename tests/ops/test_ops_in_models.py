"""Custom pieces written only with `ops` train with `fit` exactly as in Keras.

The same source code (a custom layer, a custom loss function and a `Loss` subclass, written against
`lib.ops`) is instantiated once with real Keras and once with kerastorch; from the same initial weights
and on the same batches, three training steps must leave the weights within 1e-5 of Keras' and give
the same History.
"""

import numpy as np
import pytest

keras = pytest.importorskip("keras")
import kerastorch  # noqa: E402


def custom_pieces(lib):
    """The user's code, for either library (`lib` is `keras` or `kerastorch`)."""
    ops = lib.ops

    class ScaledTanhDense(lib.layers.Layer):
        def __init__(self, units, **kwargs):
            super().__init__(**kwargs)
            self.units = units

        def build(self, input_shape):
            self.w = self.add_weight(shape=(input_shape[-1], self.units), initializer="glorot_uniform", name="w")
            self.b = self.add_weight(shape=(self.units,), initializer="zeros", name="b")
            self.scale = self.add_weight(shape=(), initializer="ones", name="scale")

        def call(self, inputs):
            z = ops.add(ops.matmul(inputs, self.w), self.b)
            return self.scale * ops.tanh(z) + 0.1 * ops.square(ops.relu(z))

    def log_cosh_plus_abs(y_true, y_pred):
        diff = y_pred - y_true
        return ops.mean(ops.log(ops.cosh(diff)) + 0.5 * ops.abs(diff), axis=-1)

    class ClippedHuber(lib.losses.Loss):
        def __init__(self, delta=0.5, **kwargs):
            super().__init__(**kwargs)
            self.delta = delta

        def call(self, y_true, y_pred):
            err = ops.abs(y_true - y_pred)
            quadratic = ops.minimum(err, self.delta)
            linear = err - quadratic
            return ops.mean(0.5 * ops.square(quadratic) + self.delta * linear, axis=-1)

    return ScaledTanhDense, log_cosh_plus_abs, ClippedHuber


def _model(lib, layer_cls):
    return lib.Sequential([lib.layers.Input(shape=(5,)), layer_cls(4), lib.layers.Dense(2)])


@pytest.mark.parametrize("loss_kind", ["function", "loss_subclass"])
@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_ops_written_layer_and_losses_train_as_in_keras(loss_kind, optimizer):
    rng = np.random.default_rng(3)
    x = rng.normal(size=(24, 5)).astype("float32")
    y = rng.normal(size=(24, 2)).astype("float32")
    runs = {}
    for lib in (keras, kerastorch):
        layer_cls, loss_fn, loss_cls = custom_pieces(lib)
        model = _model(lib, layer_cls)
        if lib is keras:
            start = [rng.normal(scale=0.5, size=w.shape).astype("float32") for w in model.get_weights()]
        model.set_weights(start)
        opt = lib.optimizers.SGD(0.1) if optimizer == "sgd" else lib.optimizers.Adam(0.01)
        model.compile(optimizer=opt, loss=loss_fn if loss_kind == "function" else loss_cls(0.5), metrics=["mae"])
        history = model.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)   # 3 steps
        runs[lib.__name__] = (model.get_weights(), history.history, model.predict(x, verbose=0))
    (k_w, k_h, k_pred), (t_w, t_h, t_pred) = runs["keras"], runs["kerastorch"]
    assert len(t_w) == len(k_w) == 5
    for i, (a, b) in enumerate(zip(t_w, k_w)):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5, err_msg=f"weight {i}")
    assert sorted(t_h) == sorted(k_h) == ["loss", "mae"]
    for key in k_h:
        np.testing.assert_allclose(t_h[key], k_h[key], rtol=1e-5, atol=1e-6, err_msg=key)
    np.testing.assert_allclose(t_pred, k_pred, rtol=1e-5, atol=1e-5)
    assert not np.allclose(t_w[0], start[0])         # training moved the custom layer's weights
