"""Embedding and Masking against real Keras 3 and by hand."""

import numpy as np
import pytest
import torch

import kerastorch
from kerastorch import layers


def test_embedding_lookup_matches_keras(keras):
    ids = np.array([[1, 4, 0], [3, 3, 2]])
    ours = layers.Embedding(5, 3)
    ours.build(None)
    table = np.arange(15, dtype="float32").reshape(5, 3)
    ours.set_weights([table])
    theirs = keras.layers.Embedding(5, 3)
    theirs.build((None, 3))
    theirs.set_weights([table])
    got = ours(torch.from_numpy(ids)).detach().numpy()
    np.testing.assert_array_equal(got, keras.ops.convert_to_numpy(theirs(ids)))
    np.testing.assert_array_equal(got[0, 1], [12.0, 13.0, 14.0])     # row 4, by hand
    assert ours.compute_output_shape((None, 3)) == tuple(theirs.compute_output_shape((None, 3)))


def test_embedding_default_initializer_is_keras_uniform():
    layer = layers.Embedding(400, 50)
    layer.build(None)
    (table,) = layer.get_weights()
    assert table.shape == (400, 50)
    assert np.abs(table).max() <= 0.05 and np.abs(table).max() > 0.045   # U(-0.05, 0.05), not N(0, 1)


def test_float_ids_are_cast_to_integers():
    layer = layers.Embedding(4, 2)
    layer.build(None)
    layer.set_weights([np.eye(4, 2, dtype="float32")])
    torch.testing.assert_close(layer(torch.tensor([[1.0, 0.0]])), torch.tensor([[[0.0, 1.0], [1.0, 0.0]]]))


def test_mask_zero_gives_mask_and_flags():
    layer = layers.Embedding(10, 2, mask_zero=True)
    ids = torch.tensor([[3, 0, 5]])
    assert layer.compute_mask(ids).tolist() == [[True, False, True]]
    assert layer.produces_mask and layer.accepts_integer_inputs
    assert layers.Embedding(10, 2).compute_mask(ids) is None
    assert not layers.Embedding(10, 2).produces_mask


def test_out_of_range_id_error_names_layer_and_fix():
    layer = layers.Embedding(5, 2, name="words")
    with pytest.raises(ValueError, match=r"Embedding layer 'words' has input_dim=5.*\[0, 4\].*\[1, 7\]"
                                         r".*Set input_dim"):
        layer(torch.tensor([[1, 7]]))


def test_embedding_config_matches_keras(keras):
    ours = layers.Embedding(10, 3, mask_zero=True).get_config()
    ref = keras.layers.Embedding(10, 3, mask_zero=True).get_config()
    assert set(ours) == set(ref)
    for key in ("input_dim", "output_dim", "embeddings_initializer", "mask_zero"):
        assert ours[key] == ref[key]
    clone = layers.Embedding.from_config(ours)
    assert clone.mask_zero and clone.input_dim == 10


def test_input_length_is_accepted_with_a_warning():
    with pytest.warns(UserWarning, match="input_length"):
        layer = layers.Embedding(10, 3, input_length=5)
    assert layer.compute_output_shape((None, 5)) == (None, 5, 3)


def test_embedding_model_trains_on_integer_data():
    rng = np.random.default_rng(0)
    x = rng.integers(0, 20, size=(64, 1))
    y = (x % 2).astype("float32")
    model = kerastorch.Sequential([layers.Input(shape=(1,), dtype="int32"), layers.Embedding(20, 4),
                                   layers.Flatten(), layers.Dense(1)])
    model.compile(loss="mse", optimizer=kerastorch.optimizers.Adam(0.05))
    history = model.fit(x, y, epochs=20, batch_size=16, verbose=0)
    assert history.history["loss"][-1] < 0.2 * history.history["loss"][0]


def test_masking_matches_keras(keras):
    x = np.array([[[1.0, 2.0], [0.0, 0.0], [0.0, 3.0]], [[0.0, 0.0], [5.0, 5.0], [5.0, 5.0]]], "float32")
    for value in (0.0, 5.0):
        ours, theirs = layers.Masking(value), keras.layers.Masking(value)
        got = ours(torch.from_numpy(x)).numpy()
        np.testing.assert_array_equal(got, keras.ops.convert_to_numpy(theirs(x)))
        np.testing.assert_array_equal(ours.compute_mask(torch.from_numpy(x)).numpy(),
                                      keras.ops.convert_to_numpy(theirs.compute_mask(x)))
    assert layers.Masking(0.0).compute_mask(torch.from_numpy(x)).tolist() == [[True, False, True], [False, True, True]]


def test_masking_then_lstm_in_sequential_matches_keras(keras):
    x = np.random.default_rng(0).normal(size=(3, 4, 2)).astype("float32")
    x[0, 2:] = 0.0      # right padding
    x[1, 1] = 0.0       # a hole
    ours = kerastorch.Sequential([layers.Input(shape=(4, 2)), layers.Masking(), layers.LSTM(3)])
    theirs = keras.Sequential([keras.Input(shape=(4, 2)), keras.layers.Masking(), keras.layers.LSTM(3)])
    theirs.set_weights(ours.get_weights())
    ours.eval()
    np.testing.assert_allclose(ours(torch.from_numpy(x)).detach().numpy(),
                               keras.ops.convert_to_numpy(theirs(x)), atol=1e-5)
