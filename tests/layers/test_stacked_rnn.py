"""StackedRNNCells and RNN over a list of cells against real Keras 3 with the same weights."""

import numpy as np
import pytest
import torch

import kerastorch
from kerastorch import layers

STACKS = {
    "lstm_gru": lambda lib: [lib.layers.LSTMCell(4), lib.layers.GRUCell(2)],
    "simple_lstm_simple": lambda lib: [lib.layers.SimpleRNNCell(3), lib.layers.LSTMCell(2),
                                       lib.layers.SimpleRNNCell(2, activation="relu")],
    "gru_gru": lambda lib: [lib.layers.GRUCell(3, reset_after=False), lib.layers.GRUCell(3)],
}
OPTIONS = [dict(), dict(return_sequences=True), dict(return_state=True), dict(go_backwards=True, return_sequences=True),
           dict(return_sequences=True, return_state=True)]


def _flat(out):
    if isinstance(out, (list, tuple)):
        return [t for o in out for t in _flat(o)]
    return [out]


def _np(t, keras):
    return t.detach().numpy() if isinstance(t, torch.Tensor) else keras.ops.convert_to_numpy(t)


@pytest.mark.parametrize("stack", sorted(STACKS))
@pytest.mark.parametrize("options", OPTIONS, ids=str)
@pytest.mark.parametrize("masked", [False, True])
def test_rnn_over_a_list_of_cells_matches_keras(keras, stack, options, masked):
    keras.utils.clear_session(free_memory=False)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3, 5, 3)).astype("float32")
    mask = np.array([[1, 1, 1, 1, 1], [1, 1, 1, 0, 0], [1, 0, 0, 0, 0]], bool) if masked else None
    ours = layers.RNN(STACKS[stack](kerastorch), **options)
    theirs = keras.layers.RNN(STACKS[stack](keras), **options)
    want = theirs(x, mask=mask)
    ours(torch.from_numpy(x))
    weights = [rng.uniform(-0.5, 0.5, w.shape).astype("float32") for w in theirs.get_weights()]
    assert [w.shape for w in ours.get_weights()] == [w.shape for w in weights]
    theirs.set_weights(weights)
    ours.set_weights(weights)
    want = theirs(x, mask=mask)
    got = ours(torch.from_numpy(x), mask=None if mask is None else torch.from_numpy(mask))
    assert type(got) is type(want) or isinstance(got, list) == isinstance(want, (list, tuple))
    if options.get("return_state"):                      # [output, [states of cell 1], ...] as Keras
        assert [isinstance(s, list) for s in got[1:]] == [isinstance(s, (list, tuple)) for s in want[1:]]
    g, w = _flat(got), _flat(want)
    assert len(g) == len(w)
    for a, b in zip(g, w):
        np.testing.assert_allclose(_np(a, keras), _np(b, keras), atol=1e-5, rtol=1e-5)
    assert [v.path for v in ours.weights] == [v.path for v in theirs.weights]
    assert ours.cell.state_size == theirs.cell.state_size
    assert ours.cell.output_size == theirs.cell.output_size
    shape = ours.compute_output_shape((None, 5, 3))
    assert str(shape).replace("[", "(").replace("]", ")") == \
        str(theirs.compute_output_shape((None, 5, 3))).replace("[", "(").replace("]", ")")


def test_stacked_cells_called_directly_match_keras(keras):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 3)).astype("float32")
    ours = layers.StackedRNNCells(STACKS["lstm_gru"](kerastorch))
    theirs = keras.layers.StackedRNNCells(STACKS["lstm_gru"](keras))
    theirs.build((None, 3))
    ours.build((None, 3))
    weights = [rng.uniform(-0.5, 0.5, w.shape).astype("float32") for w in theirs.get_weights()]
    theirs.set_weights(weights)
    ours.set_weights(weights)
    states = [[rng.standard_normal((2, 4)).astype("float32")] * 2, [rng.standard_normal((2, 2)).astype("float32")]]
    out_k, st_k = theirs(x, states)
    out_o, st_o = ours(torch.from_numpy(x), [[torch.from_numpy(s) for s in c] for c in states])
    np.testing.assert_allclose(out_o.detach().numpy(), keras.ops.convert_to_numpy(out_k), atol=1e-5)
    for a, b in zip(_flat(st_o), _flat(st_k)):
        np.testing.assert_allclose(a.detach().numpy(), keras.ops.convert_to_numpy(b), atol=1e-5)
    init_o, init_k = ours.get_initial_state(2), theirs.get_initial_state(2)
    assert [np.shape(t) for t in _flat(init_o)] == [tuple(t.shape) for t in _flat(init_k)]


def test_stacked_config_both_ways(keras):
    ours = layers.RNN([layers.LSTMCell(3, dropout=0.1), layers.GRUCell(2)], return_sequences=True)
    theirs = keras.layers.deserialize(layers.serialize(ours))
    assert type(theirs.cell).__name__ == "StackedRNNCells"
    assert [type(c).__name__ for c in theirs.cell.cells] == ["LSTMCell", "GRUCell"]
    assert theirs.cell.cells[0].dropout == 0.1 and theirs.return_sequences
    back = layers.deserialize(keras.layers.serialize(theirs))
    assert isinstance(back.cell, layers.StackedRNNCells)
    assert [c.get_config() for c in back.cell.cells] == [c.get_config() for c in ours.cell.cells]


def test_stacked_cells_errors():
    with pytest.raises(ValueError, match="non-empty list of RNN cells"):
        layers.StackedRNNCells([])
    with pytest.raises(ValueError, match="`state_size` attribute"):
        layers.StackedRNNCells([layers.Dense(2)])
    cells = layers.StackedRNNCells([layers.LSTMCell(2), layers.GRUCell(2)])
    with pytest.raises(ValueError, match=r"expected 3 state tensors"):
        cells(torch.zeros(1, 3), [torch.zeros(1, 2)])
