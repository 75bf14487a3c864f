"""Small models shared by the saving tests (built the same way in kerastorch and real Keras)."""

import numpy as np


def mlp(lib):
    """The article's model 1: Input(784) Dense(128 relu) Dense(10 softmax)."""
    layers = lib.layers
    return lib.Sequential([layers.Input(shape=(784,)), layers.Dense(128, activation="relu"),
                           layers.Dense(10, activation="softmax")])


def cnn(lib):
    """The article's model 2: two Conv2D/MaxPooling2D blocks, Flatten, Dropout, two Dense."""
    layers = lib.layers
    return lib.Sequential([
        layers.Input(shape=(28, 28, 3)),
        layers.Conv2D(32, (3, 3), activation="relu", padding="same"), layers.MaxPooling2D(),
        layers.Conv2D(64, (3, 3), activation="relu", padding="same"), layers.MaxPooling2D(),
        layers.Flatten(), layers.Dropout(0.5), layers.Dense(128, activation="relu"),
        layers.Dense(10, activation="softmax"),
    ])


def bn_net(lib):
    """The article's model 3: Dense(256) BN relu Dense(128) BN relu Dense(1 sigmoid)."""
    layers = lib.layers
    return lib.Sequential([
        layers.Input(shape=(100,)),
        layers.Dense(256), layers.BatchNormalization(), layers.Activation("relu"),
        layers.Dense(128), layers.BatchNormalization(), layers.Activation("relu"),
        layers.Dense(1, activation="sigmoid"),
    ])


ARTICLE_MODELS = {
    "mlp": (mlp, (784,), "categorical_crossentropy", 10),
    "cnn": (cnn, (28, 28, 3), "categorical_crossentropy", 10),
    "bn_net": (bn_net, (100,), "binary_crossentropy", 1),
}


def data(sample_shape, classes, n=8, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, *sample_shape)).astype("float32")
    if classes == 1:
        y = rng.integers(0, 2, (n, 1)).astype("float32")
    else:
        y = np.eye(classes, dtype="float32")[rng.integers(0, classes, n)]
    return x, y
