"""A stateful recurrent layer carries its final states from batch to batch and from call to call, as
Keras' (where they are variables): through `predict` and `evaluate` (which run in inference mode) into
`fit`, with Keras' predictions, losses and weights, for every recurrent layer class.

Keras 3.15.1 on torch cannot fit a stateful LSTM or GRU (its in-place assignment of the states breaks
autograd's saved tensors: "modified by an inplace operation"); for those two the trained weights are
checked by Keras' predictions with them, from reset states."""

import numpy as np
import pytest

import kerastorch

keras = pytest.importorskip("keras")

BATCH = 4
CASES = {   # layer, one sample's shape
    "SimpleRNN": (lambda L: L.SimpleRNN(3, stateful=True), (5, 2)),
    "LSTM": (lambda L: L.LSTM(3, stateful=True), (5, 2)),
    "GRU": (lambda L: L.GRU(3, stateful=True), (5, 2)),
    "ConvLSTM1D": (lambda L: L.ConvLSTM1D(2, 3, stateful=True), (3, 6, 2)),
}

KERAS_CANNOT_FIT = {"LSTM", "GRU"}


def _model(lib, name):
    layer, shape = CASES[name]
    L = lib.layers
    model = lib.Sequential([L.Input(batch_shape=(BATCH, *shape)), layer(L), L.Flatten(),
                            L.Dense(1, activation="sigmoid")])
    model.compile(optimizer=lib.optimizers.SGD(0.1), loss="binary_crossentropy", metrics=["accuracy"])
    return model


@pytest.mark.parametrize("name", sorted(CASES))
def test_states_carried_through_predict_and_evaluate_into_fit_as_keras(name):
    theirs, ours = _model(keras, name), _model(kerastorch, name)
    ours.set_weights(theirs.get_weights())
    rng = np.random.default_rng(5)
    x = rng.normal(size=(4 * BATCH, *CASES[name][1])).astype("float32")
    y = rng.integers(0, 2, (4 * BATCH, 1)).astype("float32")
    for _ in range(2):     # twice: the second calls take the lean paths
        np.testing.assert_allclose(ours.predict(x, batch_size=BATCH, verbose=0),
                                   theirs.predict(x, batch_size=BATCH, verbose=0), rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(ours.evaluate(x, y, batch_size=BATCH, verbose=0),
                                   theirs.evaluate(x, y, batch_size=BATCH, verbose=0), rtol=1e-5, atol=1e-6)
    history = ours.fit(x, y, batch_size=BATCH, epochs=2, shuffle=False, verbose=0).history
    if name in KERAS_CANNOT_FIT:
        theirs.set_weights(ours.get_weights())
    else:
        want = theirs.fit(x, y, batch_size=BATCH, epochs=2, shuffle=False, verbose=0).history
        np.testing.assert_allclose(history["loss"], want["loss"], rtol=1e-4, atol=1e-5)
        for got, expected in zip(ours.get_weights(), theirs.get_weights()):
            np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-5)
    for model in (ours, theirs):
        model.layers[0].reset_states()
    np.testing.assert_allclose(ours.predict(x, batch_size=BATCH, verbose=0),
                               theirs.predict(x, batch_size=BATCH, verbose=0), rtol=1e-4, atol=1e-5)
