"""compile/fit arguments against real Keras 3: loss_weights, History keys of metrics and weighted
metrics, class_weight with validation_split and with sample_weight, validation_freq.

Each scenario is one function run under both libraries; the results (History, evaluate values)
or the kind of refusal must be equal.
"""

import numpy as np
import pytest

import kerastorch

_RNG = np.random.default_rng(0)
X = _RNG.standard_normal((20, 3)).astype("float32")
Y = _RNG.standard_normal((20, 1)).astype("float32")
Y_BIN = _RNG.integers(0, 2, (20, 1)).astype("float32")
Y_CAT = np.eye(3, dtype="float32")[_RNG.integers(0, 3, 20)]
SW = _RNG.uniform(0.5, 2.0, 20).astype("float32")


def _dense(lib, units=1, activation=None, **kwargs):
    return lib.Sequential([lib.layers.Input((3,)),
                           lib.layers.Dense(units, activation=activation, kernel_initializer="ones",
                                            bias_initializer="zeros", **kwargs)])


def _history(lib, compile_kwargs, fit_kwargs, y=Y, units=1, activation=None, **layer_kwargs):
    model = _dense(lib, units, activation, **layer_kwargs)
    model.compile(optimizer="sgd", **compile_kwargs)
    history = model.fit(X, y, epochs=fit_kwargs.pop("epochs", 2), batch_size=5, shuffle=False, verbose=0,
                        **fit_kwargs).history
    return {"history": history, "evaluate": model.evaluate(X, y, verbose=0, return_dict=True)}


SCENARIOS = {
    # loss_weights on a single output: the loss (not the penalty) is scaled.
    "loss_weights_float": lambda lib: _history(lib, dict(loss="mse", loss_weights=2.0), {},
                                               kernel_regularizer="l2"),
    "loss_weights_list": lambda lib: _history(lib, dict(loss="mse", loss_weights=[2.0], metrics=["mse"]), {}),
    "loss_weights_dict": lambda lib: _history(lib, dict(loss="mse", loss_weights={"dense": 0.5}), {}),
    "loss_weights_zero": lambda lib: _history(lib, dict(loss="mse", loss_weights=0), {},
                                              kernel_regularizer="l2"),
    # the fused softmax-crossentropy path scales too
    "loss_weights_fused_softmax": lambda lib: _history(
        lib, dict(loss="categorical_crossentropy", loss_weights=3.0, metrics=["accuracy"]), {},
        y=Y_CAT, units=3, activation="softmax"),
    "loss_weights_two_for_one_output": lambda lib: _history(lib, dict(loss="mse", loss_weights=[2.0, 1.0]), {}),
    "loss_weights_string": lambda lib: _history(lib, dict(loss="mse", loss_weights="2"), {}),
    # History keys
    "metric_and_weighted_twin": lambda lib: _history(
        lib, dict(loss="mse", metrics=["mae"], weighted_metrics=["mae"]), dict(sample_weight=SW)),
    "repeated_metric": lambda lib: _history(lib, dict(loss="mse", metrics=["mse", "mse"]), {}),
    "repeated_and_weighted": lambda lib: _history(
        lib, dict(loss="mse", metrics=["mse", "mse", "mae"], weighted_metrics=["mse", "mse"]),
        dict(sample_weight=SW, validation_data=(X, Y, SW))),
    # class_weight
    "class_weight_validation_split": lambda lib: _history(
        lib, dict(loss="binary_crossentropy", metrics=["accuracy"]),
        dict(validation_split=0.25, class_weight={0: 1.0, 1: 3.0}), y=Y_BIN, activation="sigmoid"),
    "class_weight_with_sample_weight": lambda lib: _history(
        lib, dict(loss="binary_crossentropy"), dict(class_weight={0: 1.0, 1: 2.0}, sample_weight=SW),
        y=Y_BIN, activation="sigmoid"),
    # validation_freq
    "validation_freq_list": lambda lib: _history(
        lib, dict(loss="mse"), dict(epochs=4, validation_data=(X, Y), validation_freq=[1, 3])),
    "validation_freq_int": lambda lib: _history(
        lib, dict(loss="mse"), dict(epochs=4, validation_data=(X, Y), validation_freq=2)),
    "validation_freq_tuple": lambda lib: _history(
        lib, dict(loss="mse"), dict(epochs=2, validation_data=(X, Y), validation_freq=(1,))),
}


def _outcome(fn, lib):
    try:
        return fn(lib)
    except (ValueError, TypeError) as error:
        return type(error)


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_same_history_and_values_as_keras(keras, name):
    want = _outcome(SCENARIOS[name], keras)
    got = _outcome(SCENARIOS[name], kerastorch)
    if isinstance(want, type):
        assert got is want, f"Keras raises {want.__name__}; kerastorch gave {got!r}"
        return
    assert not isinstance(got, type), f"kerastorch raised {got.__name__}; Keras ran: {want}"
    assert got["history"].keys() == want["history"].keys()
    assert got["evaluate"].keys() == want["evaluate"].keys()
    for key, values in want["history"].items():
        np.testing.assert_allclose(got["history"][key], values, rtol=1e-4, atol=1e-5, err_msg=key)
    for key, value in want["evaluate"].items():
        np.testing.assert_allclose(got["evaluate"][key], value, rtol=1e-4, atol=1e-5, err_msg=key)


def test_validation_split_with_class_weight_reports_an_unweighted_val_loss():
    # By hand: val_loss equals an unweighted evaluate() of the held-out tail (the last 5 samples).
    model = _dense(kerastorch, activation="sigmoid")
    model.compile(optimizer="sgd", loss="binary_crossentropy")
    history = model.fit(X, Y_BIN, epochs=1, batch_size=5, shuffle=False, verbose=0, validation_split=0.25,
                        class_weight={0: 1.0, 1: 5.0})
    np.testing.assert_allclose(history.history["val_loss"][0], model.evaluate(X[15:], Y_BIN[15:], verbose=0),
                               rtol=1e-6)


def test_refusals_say_what_to_do():
    model = _dense(kerastorch)
    with pytest.raises(ValueError, match=r"got 1 losses and 2 weights.*loss_weights=2\.0"):
        model.compile(loss="mse", loss_weights=[1.0, 2.0])
    model.compile(loss="mse")
    with pytest.raises(ValueError, match="cannot `class_weight` and `sample_weight`.*multiply them"):
        model.fit(X, Y_BIN, class_weight={0: 1.0, 1: 2.0}, sample_weight=SW, verbose=0)
    with pytest.raises(ValueError, match=r"list of 1-based epoch numbers, e\.g\. \[1, 3\]"):
        model.fit(X, Y, validation_data=(X, Y), validation_freq=(1, 2), verbose=0)
    with pytest.raises(ValueError, match="at least 1"):
        model.fit(X, Y, validation_data=(X, Y), validation_freq=0, verbose=0)
