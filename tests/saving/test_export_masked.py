"""model.export() of masked models: the exported program is right for every padding, not only the
example's (a trace must not freeze the example's mask)."""

import numpy as np
import pytest
import torch

import kerastorch
from kerastorch import layers

# Paddings the exported program is checked on: right-padded, none, left-padded, holes, all
# padded, and another batch size than the example's.
PADDINGS = [
    np.array([[1, 2, 3, 0, 0], [4, 5, 0, 0, 0]]),
    np.array([[1, 2, 3, 4, 5], [6, 7, 8, 9, 1]]),
    np.array([[0, 0, 3, 4, 5], [0, 6, 7, 8, 9]]),
    np.array([[1, 0, 3, 0, 5], [0, 6, 0, 8, 0]]),
    np.array([[0, 0, 0, 0, 0], [1, 2, 0, 0, 0]]),
    np.array([[1, 2, 0, 0, 0], [3, 0, 0, 0, 0], [4, 5, 6, 7, 0]]),
]

MODELS = {
    "gru": lambda: [layers.Embedding(10, 4, mask_zero=True), layers.GRU(3)],
    "lstm_sequences": lambda: [layers.Embedding(10, 4, mask_zero=True), layers.LSTM(3, return_sequences=True)],
    "simple_rnn_backwards": lambda: [layers.Embedding(10, 4, mask_zero=True), layers.SimpleRNN(3, go_backwards=True)],
    "bidirectional_gru": lambda: [layers.Embedding(10, 4, mask_zero=True), layers.Bidirectional(layers.GRU(2))],
}


def _reference(model, x):
    # The eager model on this padding (which its fused, packed-sequence path computes).
    return model.predict(x, verbose=0)


@pytest.mark.parametrize("name", sorted(MODELS))
def test_exported_masked_model_is_right_for_every_padding(tmp_path, name):
    model = kerastorch.Sequential([layers.Input((5,), dtype="int32"), *MODELS[name]()])
    path = tmp_path / "m.pt2"
    fmt = model.export(path, verbose=False)
    program = torch.export.load(str(path)).module() if fmt == "torch.export" else torch.jit.load(str(path))
    for x in PADDINGS:
        got = program(torch.as_tensor(x, dtype=torch.long)).detach().numpy()
        np.testing.assert_allclose(got, _reference(model, x), atol=1e-5, err_msg=str(x.tolist()))


def test_exported_gru_equals_keras_on_other_paddings(keras, tmp_path):
    # Oracle from outside: real Keras on the same weights.
    model = kerastorch.Sequential([layers.Input((5,), dtype="int32"), *MODELS["gru"]()])
    kmodel = keras.Sequential([keras.layers.Input((5,), dtype="int32"),
                               keras.layers.Embedding(10, 4, mask_zero=True), keras.layers.GRU(3)])
    kmodel.set_weights(model.get_weights())
    model.export(tmp_path / "m.pt2", verbose=False)
    program = torch.export.load(str(tmp_path / "m.pt2")).module()
    for x in PADDINGS:
        want = keras.ops.convert_to_numpy(kmodel(x))
        np.testing.assert_allclose(program(torch.as_tensor(x)).detach().numpy(), want, atol=1e-5)
