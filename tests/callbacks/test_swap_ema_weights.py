"""SwapEMAWeights against real Keras 3 (torch backend): the same weights, EMA and data give the same
validation losses during fit, the same evaluate() results with and without the callback, and the
same weights afterwards (including Keras' prediction quirk); OrbaxCheckpoint's refusal."""

import pathlib

import numpy as np
import pytest

import kerastorch
from kerastorch import callbacks, optimizers


def _pair(keras, make_optimizer):
    def build(lib):
        layers = lib.layers
        return lib.Sequential([layers.Input(shape=(3,)), layers.Dense(4, activation="relu"), layers.Dense(1)])

    kmodel, model = build(keras), build(kerastorch)
    model.set_weights([np.asarray(w) for w in kmodel.get_weights()])
    kmodel.compile(optimizer=make_optimizer(keras), loss="mse")
    model.compile(optimizer=make_optimizer(kerastorch), loss="mse")
    return kmodel, model


def _data():
    rng = np.random.default_rng(0)
    return rng.normal(size=(16, 3)).astype("float32"), rng.normal(size=(16, 1)).astype("float32")


OPTIMIZERS = {
    "sgd": lambda lib: lib.optimizers.SGD(learning_rate=0.1, use_ema=True, ema_momentum=0.5),
    "lso(adam)": lambda lib: lib.optimizers.LossScaleOptimizer(
        lib.optimizers.Adam(learning_rate=0.05, use_ema=True, ema_momentum=0.6), initial_scale=32.0),
    "multi": lambda lib: lib.optimizers.MultiOptimizer(lib.optimizers.OptimizerMap(
        lib.optimizers.SGD(learning_rate=0.1, use_ema=True, ema_momentum=0.5),
        {".*bias": lib.optimizers.Adam(learning_rate=0.05)})),
}


def _close(a, b):
    np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-5, atol=1e-6)


@pytest.mark.keras
@pytest.mark.parametrize("which", sorted(OPTIMIZERS))
@pytest.mark.parametrize("swap_on_epoch", [False, True])
def test_swap_ema_weights_effect_on_fit_evaluate_and_predict_matches_keras(keras, which, swap_on_epoch):
    x, y = _data()
    kmodel, model = _pair(keras, OPTIMIZERS[which])
    fit = {"batch_size": 4, "epochs": 3, "shuffle": False, "verbose": 0, "validation_data": (x, y)}
    kh = kmodel.fit(x, y, callbacks=[keras.callbacks.SwapEMAWeights(swap_on_epoch=swap_on_epoch)], **fit)
    th = model.fit(x, y, callbacks=[callbacks.SwapEMAWeights(swap_on_epoch=swap_on_epoch)], **fit)
    for key in ("loss", "val_loss"):   # val_loss is computed with the EMA weights
        _close(th.history[key], kh.history[key])
    for a, b in zip(model.get_weights(), kmodel.get_weights()):
        _close(a, b)

    # One more step moves the weights away from their averages; evaluate with and without.
    kmodel.train_on_batch(x[:4], y[:4])
    model.train_on_batch(x[:4], y[:4])
    kcb, tcb = keras.callbacks.SwapEMAWeights(), callbacks.SwapEMAWeights()
    plain = model.evaluate(x, y, verbose=0)
    _close(plain, kmodel.evaluate(x, y, verbose=0))
    swapped = model.evaluate(x, y, verbose=0, callbacks=[tcb])
    _close(swapped, kmodel.evaluate(x, y, verbose=0, callbacks=[kcb]))
    assert swapped != pytest.approx(plain)
    _close(model.evaluate(x, y, verbose=0), plain)   # swapped back after evaluation
    # Keras' predict swaps the EMA weights in and leaves them there until an evaluation ends.
    _close(model.predict(x, verbose=0, callbacks=[tcb]), kmodel.predict(x, verbose=0, callbacks=[kcb]))
    _close(model.evaluate(x, y, verbose=0), kmodel.evaluate(x, y, verbose=0))
    _close(model.evaluate(x, y, verbose=0), swapped)
    model.evaluate(x, y, verbose=0, callbacks=[tcb])
    kmodel.evaluate(x, y, verbose=0, callbacks=[kcb])
    _close(model.evaluate(x, y, verbose=0), plain)
    for a, b in zip(model.get_weights(), kmodel.get_weights()):
        _close(a, b)


@pytest.mark.keras
def test_swap_ema_weights_without_ema_raises_as_keras(keras):
    x, y = _data()
    kmodel, model = _pair(keras, lambda lib: lib.optimizers.SGD())
    kmodel.fit(x, y, verbose=0)
    model.fit(x, y, verbose=0)
    with pytest.raises(ValueError, match="must be used when `use_ema=True` is set on the optimizer"):
        kmodel.evaluate(x, y, verbose=0, callbacks=[keras.callbacks.SwapEMAWeights()])
    with pytest.raises(ValueError, match=r"must be used when `use_ema=True` is set on the optimizer\. "
                                         r"Received: use_ema=False"):
        model.evaluate(x, y, verbose=0, callbacks=[callbacks.SwapEMAWeights()])
    multi = lambda lib: lib.optimizers.MultiOptimizer(lib.optimizers.OptimizerMap(lib.optimizers.SGD()))  # noqa: E731
    kmodel, model = _pair(keras, multi)
    kmodel.fit(x, y, verbose=0)
    model.fit(x, y, verbose=0)
    for m, cb in [(kmodel, keras.callbacks.SwapEMAWeights()), (model, callbacks.SwapEMAWeights())]:
        with pytest.raises(ValueError, match="at least one inner optimizer has `use_ema=True`"):
            m.evaluate(x, y, verbose=0, callbacks=[cb])


def test_swap_ema_weights_before_training_says_the_optimizer_is_not_built():
    x, y = _data()
    model = kerastorch.Sequential([kerastorch.layers.Input(shape=(3,)), kerastorch.layers.Dense(1)])
    model.compile(optimizer=optimizers.SGD(use_ema=True), loss="mse")
    with pytest.raises(ValueError, match="is not built yet, so it has no moving averages"):
        model.evaluate(x, y, verbose=0, callbacks=[callbacks.SwapEMAWeights()])


@pytest.mark.keras
def test_every_keras_callback_name_exists_and_orbax_points_to_the_alternatives(keras):
    theirs = {n for n in dir(keras.callbacks) if not n.startswith("_")}
    for name in sorted(theirs):
        assert getattr(callbacks, name).__name__ == getattr(keras.callbacks, name).__name__
    for args in [("/tmp/ckpt",), (), ("/tmp/ckpt", "val_loss")]:
        with pytest.raises(NotImplementedError, match=r"OrbaxCheckpoint is not available in kerastorch.*"
                                                      r"callbacks\.ModelCheckpoint.*callbacks\.BackupAndRestore"):
            callbacks.OrbaxCheckpoint(*args, save_freq="epoch")
    assert issubclass(callbacks.OrbaxCheckpoint, callbacks.MonitorCallback)
    coverage = pathlib.Path(__file__).resolve().parents[2] / "docs" / "keras-coverage.md"
    assert "| callbacks | OrbaxCheckpoint |" in coverage.read_text()
