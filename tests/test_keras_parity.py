"""Parity with real Keras 3 (torch backend) on the article's three models.

With the same weights (moved over with `set_weights`), `predict()` must agree within
1e-5; after the same few Adam steps on the same batches, the weights within 1e-4
(variants without Dropout, whose random masks cannot match across libraries).
"""

import numpy as np
import pytest

import kerastorch


def mlp(k):
    return k.Sequential([k.layers.Input(shape=(784,)), k.layers.Dense(128, activation="relu"),
                         k.layers.Dense(10, activation="softmax")])


def cnn(k, dropout=True):
    stack = [k.layers.Input(shape=(28, 28, 3)),
             k.layers.Conv2D(32, (3, 3), activation="relu", padding="same"),
             k.layers.MaxPooling2D((2, 2)),
             k.layers.Conv2D(64, (3, 3), activation="relu", padding="same"),
             k.layers.MaxPooling2D((2, 2)),
             k.layers.Flatten()]
    if dropout:
        stack.append(k.layers.Dropout(0.5))
    stack += [k.layers.Dense(128, activation="relu"), k.layers.Dense(10, activation="softmax")]
    return k.Sequential(stack)


def bn_mlp(k):
    return k.Sequential([k.layers.Input(shape=(100,)), k.layers.Dense(256), k.layers.BatchNormalization(),
                         k.layers.Activation("relu"), k.layers.Dense(128), k.layers.BatchNormalization(),
                         k.layers.Activation("relu"), k.layers.Dense(1, activation="sigmoid")])


CASES = {
    "mlp": (mlp, (784,), "categorical_crossentropy", 10),
    "cnn": (cnn, (28, 28, 3), "categorical_crossentropy", 10),
    "bn_mlp": (bn_mlp, (100,), "binary_crossentropy", 1),
}


def _data(sample_shape, classes, n, seed=0):
    rng = np.random.RandomState(seed)
    x = rng.normal(size=(n, *sample_shape)).astype("float32")
    if classes == 1:
        y = rng.randint(0, 2, size=(n, 1)).astype("float32")
    else:
        y = np.eye(classes, dtype="float32")[rng.randint(0, classes, size=n)]
    return x, y


def _randomized_weights(model, seed=1):
    """Random weights everywhere (positive moving variances), so no layer passes through trivially."""
    rng = np.random.RandomState(seed)
    out = []
    for w in model.get_weights():
        value = rng.normal(scale=0.1, size=w.shape).astype("float32")
        out.append(value)
    # BatchNormalization weights come as [gamma, beta, moving_mean, moving_variance].
    index = 0
    for layer in model.layers:
        n = len(layer.get_weights())
        if type(layer).__name__ == "BatchNormalization":
            out[index] = 1 + out[index]
            out[index + 3] = np.abs(out[index + 3]) + 0.5
        index += n
    return out


@pytest.mark.parametrize("case", sorted(CASES))
def test_predict_matches_keras_with_the_same_weights(keras, case):
    build, shape, _, classes = CASES[case]
    ours, theirs = build(kerastorch), build(keras)
    weights = _randomized_weights(ours)
    ours.set_weights(weights)
    theirs.set_weights(weights)
    x, _ = _data(shape, classes, 20)
    np.testing.assert_allclose(ours.predict(x, verbose=0), theirs.predict(x, verbose=0), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("case", sorted(CASES))
def test_training_steps_match_keras(keras, case):
    build, shape, loss, classes = CASES[case]
    ours = build(kerastorch) if case != "cnn" else cnn(kerastorch, dropout=False)
    theirs = build(keras) if case != "cnn" else cnn(keras, dropout=False)
    theirs.set_weights(ours.get_weights())
    for model in (ours, theirs):
        model.compile(optimizer="adam", loss=loss, metrics=["accuracy"])
    x, y = _data(shape, classes, 48)
    h_ours = ours.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0)
    h_theirs = theirs.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0)
    for ours_w, theirs_w in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(ours_w, theirs_w, rtol=1e-4, atol=1e-4)
    assert sorted(h_ours.history) == sorted(h_theirs.history)
    for key in h_theirs.history:
        np.testing.assert_allclose(h_ours.history[key], h_theirs.history[key], rtol=1e-4, atol=1e-5)
