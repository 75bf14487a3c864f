"""Functional models written once, built in real Keras and in kerastorch (`lib` is either module).

Each builder returns `(model, inputs)`: the model and a batch of inputs in the structure the
model takes. The same code runs in both libraries, so their graphs, names and weights line up.
"""

import numpy as np

RNG = np.random.default_rng(7)


def residual_cnn(lib):
    """A residual block: Conv2D + BatchNormalization twice, a skip connection through `Add`."""
    layers = lib.layers
    inputs = lib.Input(shape=(8, 8, 3), name="image")
    x = layers.Conv2D(4, 3, padding="same", name="stem")(inputs)
    shortcut = x
    x = layers.BatchNormalization(name="bn_1")(x)
    x = layers.Activation("relu", name="relu_1")(x)
    x = layers.Conv2D(4, 3, padding="same", name="conv_2")(x)
    x = layers.BatchNormalization(name="bn_2")(x)
    x = layers.Add(name="residual")([x, shortcut])
    x = layers.GlobalAveragePooling2D(name="pool")(x)
    outputs = layers.Dense(3, activation="softmax", name="classes")(x)
    model = lib.Model(inputs, outputs, name="residual_cnn")
    return model, RNG.random((5, 8, 8, 3)).astype("float32")


def siamese(lib):
    """Two token sequences through one shared Embedding (mask_zero) + LSTM; their distance."""
    layers = lib.layers
    left = lib.Input(shape=(6,), dtype="int32", name="left")
    right = lib.Input(shape=(6,), dtype="int32", name="right")
    embed = layers.Embedding(20, 4, mask_zero=True, name="embed")
    encode = layers.LSTM(5, name="encode")
    difference = layers.Subtract(name="difference")([encode(embed(left)), encode(embed(right))])
    outputs = layers.Dense(1, activation="sigmoid", name="same")(lib.ops.abs(difference))
    model = lib.Model([left, right], outputs, name="siamese")
    ids = RNG.integers(1, 20, (2, 4, 6)).astype("int32")
    ids[0, :, 4:] = 0           # right padding, masked
    ids[1, :, 3:] = 0
    return model, [ids[0], ids[1]]


def nested(lib):
    """A Functional model holding a Sequential and another Functional model, one called twice."""
    layers = lib.layers
    block_in = lib.Input(shape=(4,), name="block_in")
    block = lib.Model(block_in, layers.Dense(4, activation="tanh", name="block_dense")(block_in) * 2.0,
                      name="block")
    head = lib.Sequential([layers.Dense(6, activation="relu", name="head_hidden"),
                           layers.Dense(2, name="head_out")], name="head")
    inputs = lib.Input(shape=(4,), name="features")
    x = block(inputs)
    x = block(x + inputs)                    # the same inner model twice: one set of weights
    outputs = head(layers.Concatenate(name="join")([x, inputs]))
    model = lib.Model(inputs, [outputs, x], name="nested")
    return model, RNG.normal(size=(3, 4)).astype("float32")


def ops_and_operators(lib):
    """Python operators and kerastorch/keras ops on symbolic tensors, several outputs in a dict."""
    ops, layers = lib.ops, lib.layers
    x = lib.Input(shape=(6,), name="x")
    h = layers.Dense(6, name="proj")(x)
    a = (h * 2.0 - 1.0) / 3.0 + x
    b = -abs(h) ** 2 + h // 1.0 + h % 2.0
    c = ops.where(h > 0, h, 0.1 * h) @ ops.ones((6, 2))
    d = ops.concatenate([ops.softmax(a, axis=-1), x[:, 1:3], ops.mean(b, axis=-1, keepdims=True)], axis=-1)
    e = ops.reshape(ops.expand_dims(d, 1), (-1, 9)) + ops.cast(x[:, :1] >= 0.0, "float32")
    model = lib.Model(x, {"mixed": e, "gated": c}, name="ops_model")
    return model, RNG.normal(size=(4, 6)).astype("float32")


BUILDERS = {"residual_cnn": residual_cnn, "siamese": siamese, "nested": nested,
            "ops_and_operators": ops_and_operators}


def random_weights(model, seed=0):
    """New random weights for `model`, positive where they are variances (BatchNormalization)."""
    rng = np.random.default_rng(seed)
    out = []
    for w in model.weights:
        value = rng.normal(scale=0.5, size=tuple(w.shape)).astype("float32")
        if "variance" in w.path:
            value = np.abs(value) + 0.5
        out.append(value)
    return out
