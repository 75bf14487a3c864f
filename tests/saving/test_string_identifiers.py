"""String regularizers and constraints, as Keras resolves them: configs, refusals, checkpoints.

Every case runs the same code under real Keras 3 and kerastorch and compares what comes out.
"""

import numpy as np
import pytest

import kerastorch

# (layer, constructor arguments naming regularizers/constraints by string, input shape)
CASES = [
    ("Dense", dict(units=3, kernel_regularizer="l2", bias_regularizer="l1l2",
                   kernel_constraint="max_norm", bias_constraint="non_neg",
                   activity_regularizer="l1"), (4,)),
    ("Conv1D", dict(filters=2, kernel_size=2, kernel_regularizer="l1", kernel_constraint="unit_norm",
                    bias_constraint="min_max_norm"), (5, 3)),
    ("Conv2D", dict(filters=2, kernel_size=2, kernel_regularizer="L2", bias_regularizer="l1"), (4, 4, 3)),
    ("Conv2DTranspose", dict(filters=2, kernel_size=2, kernel_constraint="MaxNorm"), (3, 3, 2)),
    ("DepthwiseConv2D", dict(kernel_size=2, depthwise_regularizer="l2",
                             depthwise_constraint="non_neg"), (4, 4, 2)),
    ("SeparableConv2D", dict(filters=2, kernel_size=2, depthwise_regularizer="l1",
                             pointwise_regularizer="l2", pointwise_constraint="unit_norm"), (4, 4, 2)),
    ("BatchNormalization", dict(gamma_constraint="non_neg", beta_regularizer="l2",
                                gamma_regularizer="l1", beta_constraint="max_norm"), (4,)),
    ("LayerNormalization", dict(gamma_regularizer="l2", beta_constraint="non_neg"), (4,)),
    ("GroupNormalization", dict(groups=2, gamma_constraint="unit_norm", beta_regularizer="l1"), (4,)),
    ("PReLU", dict(alpha_regularizer="l2", alpha_constraint="non_neg"), (4,)),
    ("Embedding", dict(input_dim=5, output_dim=2, embeddings_regularizer="l2",
                       embeddings_constraint="unit_norm"), (3,)),
    ("LSTM", dict(units=2, kernel_regularizer="l2", recurrent_constraint="max_norm",
                  bias_regularizer="l1l2"), (3, 2)),
]

_KEYS = ("regularizer", "constraint")


def _identifier_entries(config):
    return {k: v for k, v in config.items() if k.endswith(_KEYS)}


@pytest.mark.parametrize("name,kwargs,shape", CASES, ids=[c[0] for c in CASES])
def test_string_identifiers_serialize_as_keras_writes_them(keras, name, kwargs, shape):
    ours = getattr(kerastorch.layers, name)(**kwargs)
    theirs = getattr(keras.layers, name)(**kwargs)
    # Resolved at construction, as Keras does: the attribute is an object, not the string.
    for arg in kwargs:
        if arg.endswith(_KEYS):
            assert type(getattr(ours, arg)).__name__ == type(getattr(theirs, arg)).__name__
    ours.build((None, *shape))
    theirs.build((None, *shape))
    assert _identifier_entries(ours.get_config()) == _identifier_entries(theirs.get_config())


@pytest.mark.parametrize("arg", ["kernel_regularizer", "bias_regularizer", "activity_regularizer"])
def test_l1_l2_string_is_refused_as_keras_refuses_it(keras, arg):
    with pytest.raises(ValueError):
        keras.layers.Dense(2, **{arg: "l1_l2"})
    with pytest.raises(ValueError, match=r"Unknown regularizer 'l1_l2'\. Did you mean 'l1l2'"):
        kerastorch.layers.Dense(2, **{arg: "l1_l2"})
    # The spelling Keras knows works in both.
    assert (type(kerastorch.layers.Dense(2, **{arg: "l1l2"}).get_config()[arg]) is dict
            and keras.layers.Dense(2, **{arg: "l1l2"}).get_config()[arg]["class_name"] == "L1L2")


def test_unknown_constraint_string_is_refused_at_construction(keras):
    with pytest.raises(ValueError):
        keras.layers.BatchNormalization(gamma_constraint="nonneg")
    with pytest.raises(ValueError, match=r"Unknown constraint 'nonneg'.*non_neg"):
        kerastorch.layers.BatchNormalization(gamma_constraint="nonneg")


def _model(lib):
    layers = lib.layers
    return lib.Sequential([
        layers.Input(shape=(4,)),
        layers.Dense(3, kernel_regularizer="l2", kernel_constraint="max_norm"),
        layers.BatchNormalization(gamma_constraint="non_neg", beta_regularizer="l1l2"),
        layers.Dense(1),
    ])


def test_model_checkpoint_with_string_identifiers_saves_a_file_keras_loads(keras, tmp_path):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((16, 4)).astype("float32")
    y = rng.standard_normal((16, 1)).astype("float32")
    model = _model(kerastorch)
    model.compile(optimizer="adam", loss="mse")
    path = tmp_path / "best.keras"
    checkpoint = kerastorch.callbacks.ModelCheckpoint(str(path), monitor="loss", save_best_only=True)
    history = model.fit(x, y, epochs=2, batch_size=8, verbose=0, callbacks=[checkpoint])
    assert path.exists() and len(history.history["loss"]) == 2

    loaded = keras.models.load_model(path)
    # Keras rebuilt the same identifiers from our file ...
    kdense, kbn = loaded.layers[0], loaded.layers[1]
    assert (type(kdense.kernel_regularizer).__name__, type(kdense.kernel_constraint).__name__) == ("L2", "MaxNorm")
    assert (type(kbn.gamma_constraint).__name__, type(kbn.beta_regularizer).__name__) == ("NonNeg", "L1L2")
    # ... and computes what we compute, penalties included.
    reference = kerastorch.models.load_model(path)
    np.testing.assert_allclose(np.asarray(loaded.predict(x, verbose=0)),
                               reference.predict(x, verbose=0), atol=1e-5)
    np.testing.assert_allclose(float(sum(loaded.losses).detach()), float(sum(reference.losses).detach()),
                               rtol=1e-5)

    # And the other way: Keras' model with the same strings saves a file kerastorch loads.
    kmodel = _model(keras)
    kmodel.compile(optimizer="adam", loss="mse")
    kmodel.fit(x, y, epochs=1, batch_size=8, verbose=0)
    kmodel.save(tmp_path / "k.keras")
    ours = kerastorch.models.load_model(tmp_path / "k.keras")
    assert type(ours.layers[1].gamma_constraint).__name__ == "NonNeg"
    np.testing.assert_allclose(ours.predict(x, verbose=0), np.asarray(kmodel.predict(x, verbose=0)),
                               atol=1e-5)
