"""A frozen model (or frozen layers) trains as in real Keras: nothing changes, the loss is reported."""

import warnings

import numpy as np
import pytest

import kerastorch

X = np.random.default_rng(0).random((8, 3)).astype("float32")
Y = np.ones((8, 1), "float32")


def _model(lib, batch_norm):
    # BatchNormalization only in the whole-model case: with trainable layers around it, the
    # bias before it gets a float-noise gradient (zero in exact arithmetic) that Adam amplifies
    # differently in each library.
    layers = lib.layers
    middle = [layers.BatchNormalization()] if batch_norm else []
    return lib.Sequential([layers.Input((3,)), layers.Dense(2, kernel_initializer="ones"), *middle,
                           layers.Dense(1, kernel_initializer="ones", kernel_regularizer="l2")])


def _run(lib, optimizer, freeze):
    model = _model(lib, batch_norm=freeze is _freeze_model)
    freeze(model)
    model.compile(optimizer=optimizer, loss="mse", metrics=["mae"])
    before = [np.array(w) for w in model.get_weights()]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        history = model.fit(X, Y, epochs=2, batch_size=4, shuffle=False, verbose=0)
    after = [np.array(w) for w in model.get_weights()]
    return {"history": history.history, "iterations": int(np.asarray(model.optimizer.iterations)),
            "changed": [not np.allclose(a, b) for a, b in zip(before, after)],
            "counts": (len(model.trainable_weights), len(model.non_trainable_weights)),
            "warned": any("does not have any trainable weights" in str(w.message) for w in caught),
            "evaluate": model.evaluate(X, Y, verbose=0)}


def _freeze_model(model):
    model.trainable = False


def _freeze_last(model):
    model.layers[-1].trainable = False


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
@pytest.mark.parametrize("freeze", [_freeze_model, _freeze_last], ids=["whole_model", "last_layer"])
def test_frozen_training_equals_keras(keras, optimizer, freeze):
    want, got = _run(keras, optimizer, freeze), _run(kerastorch, optimizer, freeze)
    assert got["history"].keys() == want["history"].keys()
    for key in want["history"]:
        np.testing.assert_allclose(got["history"][key], want["history"][key], rtol=1e-5, err_msg=key)
    np.testing.assert_allclose(got["evaluate"], want["evaluate"], rtol=1e-5)
    for key in ("iterations", "changed", "counts", "warned"):
        assert got[key] == want[key], key
    if freeze is _freeze_model:
        assert got["iterations"] == 0 and not any(got["changed"]) and got["warned"]
