"""Pipeline against real Keras 3: outputs with the same weights, configs both ways, errors."""

import numpy as np
import pytest
import torch

import kerastorch
from kerastorch import layers

PIPES = [
    lambda lib: [lib.layers.Rescaling(2.0, offset=-1.0), lib.layers.Dense(3)],
    lambda lib: [lib.layers.Dense(4, activation="relu"), lib.layers.Dropout(0.5, seed=1), lib.layers.Dense(2)],
    lambda lib: [lib.layers.Rescaling(0.5), lib.layers.UnitNormalization()],
]


@pytest.mark.parametrize("case", range(len(PIPES)))
def test_pipeline_matches_keras(keras, case):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, 5)).astype("float32")
    ours, theirs = layers.Pipeline(PIPES[case](kerastorch)), keras.layers.Pipeline(PIPES[case](keras))
    theirs(x)
    ours(torch.from_numpy(x))
    weights = [rng.uniform(-1, 1, w.shape).astype("float32") for w in theirs.get_weights()]
    assert [w.shape for w in ours.get_weights()] == [w.shape for w in weights]
    theirs.set_weights(weights)
    ours.set_weights(weights)
    want = keras.ops.convert_to_numpy(theirs(x, training=False))
    np.testing.assert_allclose(ours(torch.from_numpy(x), training=False).detach().numpy(), want, atol=1e-5)
    assert [type(x).__name__ for x in ours.layers] == [type(x).__name__ for x in theirs.layers]
    assert set(ours.get_config()) == set(theirs.get_config()) == {"layers", "name"}
    back = keras.layers.deserialize(layers.serialize(ours))
    assert [type(x).__name__ for x in back.layers] == [type(x).__name__ for x in theirs.layers]
    again = layers.deserialize(keras.layers.serialize(theirs))
    assert isinstance(again, layers.Pipeline)
    assert [x.get_config() for x in again.layers][0]["name"] == theirs.layers[0].name


def test_pipeline_training_flag_reaches_dropout():
    pipe = layers.Pipeline([layers.Dropout(0.5, seed=3)])
    x = torch.ones(2, 50)
    torch.testing.assert_close(pipe(x, training=False), x)
    assert not torch.equal(pipe(x, training=True), x)


def test_pipeline_errors():
    with pytest.raises(ValueError, match="must be a list of layers"):
        layers.Pipeline("rescaling")
    with pytest.raises(ValueError, match="needs a 'layers' list"):
        layers.Pipeline.from_config({"name": "p"})
