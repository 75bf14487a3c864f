"""ReversibleEmbedding against real Keras 3 with the same weights: lookups, reverse logits, configs."""

import numpy as np
import pytest
import torch

from kerastorch import layers

CASES = [
    dict(input_dim=11, output_dim=4),
    dict(input_dim=11, output_dim=4, tie_weights=False),
    dict(input_dim=11, output_dim=4, logit_soft_cap=0.5),
    dict(input_dim=11, output_dim=4, tie_weights=False, reverse_dtype="float32", mask_zero=True),
]


@pytest.mark.parametrize("kwargs", CASES, ids=str)
def test_reversible_embedding_matches_keras(keras, kwargs):
    rng = np.random.default_rng(0)
    ids = rng.integers(0, 11, (3, 5)).astype("int32")
    ours, theirs = layers.ReversibleEmbedding(**kwargs), keras.layers.ReversibleEmbedding(**kwargs)
    theirs.build((None, 5))
    ours.build((None, 5))
    weights = [rng.uniform(-1, 1, w.shape).astype("float32") for w in theirs.get_weights()]
    assert [w.shape for w in ours.get_weights()] == [w.shape for w in weights]
    theirs.set_weights(weights)
    ours.set_weights(weights)
    looked_up = ours(torch.from_numpy(ids))
    np.testing.assert_allclose(looked_up.detach().numpy(), keras.ops.convert_to_numpy(theirs(ids)), atol=1e-6)
    hidden = rng.standard_normal((3, 5, 4)).astype("float32")
    want = keras.ops.convert_to_numpy(theirs(hidden, reverse=True))
    got = ours(torch.from_numpy(hidden), reverse=True).detach().numpy()
    np.testing.assert_allclose(got, want, atol=1e-5, rtol=1e-5)
    assert ours.compute_output_shape((None, 5, 4), reverse=True) == tuple(
        theirs.compute_output_shape((None, 5, 4), reverse=True))
    assert ours.compute_output_shape((None, 5)) == tuple(theirs.compute_output_shape((None, 5)))
    strip = ("name",)
    assert {k: v for k, v in ours.get_config().items() if k not in strip} == \
        {k: v for k, v in theirs.get_config().items() if k not in strip}


def test_reverse_by_hand_and_errors():
    layer = layers.ReversibleEmbedding(3, 2, logit_soft_cap=1.0)
    layer.build((None, 1))
    layer.set_weights([np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]], "float32")])
    out = layer(torch.tensor([[2.0, 3.0]]), reverse=True).detach().numpy()
    np.testing.assert_allclose(out, np.tanh([[2.0, 3.0, 5.0]]), rtol=1e-6)
    with pytest.raises(ValueError, match="vectors of size output_dim=2"):
        layer(torch.ones(1, 3), reverse=True)
    with pytest.raises((ValueError, TypeError)):
        layers.ReversibleEmbedding(3, 2, reverse_dtype="float77")
