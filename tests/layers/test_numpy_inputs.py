"""Layers and models called on numpy arrays and Python lists, and 1-D `x`, against real Keras 3.

Each layer of the table is built by Keras, its weights copied into kerastorch's, and both are
called on the same numpy inputs (float32, float64, integers): the outputs' values and dtypes must
agree. Python lists (which Keras itself refuses as positional layer inputs) must give what the
same data as a numpy array gives.
"""

import numpy as np
import pytest
import torch

import kerastorch
from kerastorch.layers import _layer_call_path as layer_call_path
from kerastorch.layers import base as layers_base
from kerastorch.models import model as model_module
from kerastorch.models import sequential as sequential_module

RNG = np.random.default_rng(5)
# (label, make(lib), sample shape, kind): kind "float" gets float32/float64/int64 data, "ids" ids.
LAYERS = [
    ("dense", lambda L: L.Dense(3, activation="relu"), (4,), "float"),
    ("dense float64", lambda L: L.Dense(2, dtype="float64"), (3,), "float"),
    ("conv1d", lambda L: L.Conv1D(2, 3), (5, 2), "float"),
    ("conv2d", lambda L: L.Conv2D(2, 2, padding="same"), (4, 4, 3), "float"),
    ("simple_rnn", lambda L: L.SimpleRNN(2), (3, 2), "float"),
    ("lstm", lambda L: L.LSTM(3, return_sequences=True), (3, 2), "float"),
    ("gru", lambda L: L.GRU(2), (3, 2), "float"),
    ("layer_normalization", lambda L: L.LayerNormalization(), (4,), "float"),
    ("flatten", lambda L: L.Flatten(), (2, 3), "float"),
    ("activation", lambda L: L.Activation("relu"), (3,), "float"),
    ("embedding", lambda L: L.Embedding(6, 2), (4,), "ids"),
]


def _inputs(shape, kind):
    if kind == "ids":
        ids = RNG.integers(0, 6, (2, *shape))
        return {"int64": ids, "int32": ids.astype("int32")}
    x = RNG.normal(size=(2, *shape))
    return {"float32": x.astype("float32"), "float64": x, "int64": np.round(x * 3).astype("int64")}


def _dtype(t):
    return str(t.dtype).replace("torch.", "")


@pytest.mark.keras
def test_layers_called_on_numpy_match_keras(keras):
    for label, make, shape, kind in LAYERS:
        theirs, ours = make(keras.layers), make(kerastorch.layers)
        for name, x in _inputs(shape, kind).items():
            # Values: for integer data into float layers, Keras' own result on the same data as
            # float32 (Keras' torch kernels refuse integer convolutions, and its LayerNormalization
            # truncates integer statistics). Dtypes: Keras' result on the integer data itself.
            want = theirs(x if kind == "ids" or x.dtype.kind == "f" else x.astype("float32"))
            try:
                want_dtype = _dtype(theirs(x))
            except RuntimeError:
                want_dtype = _dtype(want)
            got = ours(x)                     # builds from the numpy array on the first call
            if name == next(iter(_inputs(shape, kind))):
                ours.set_weights(theirs.get_weights())
                got = ours(x)
            case = f"{label} on {name}"
            assert type(got) is torch.Tensor, case
            assert _dtype(got) == want_dtype, case
            np.testing.assert_allclose(got.detach().numpy(), want.detach().numpy(), rtol=1e-5, atol=1e-6,
                                       err_msg=case)
            # The same data as a (nested) Python list gives the same result.
            listed = ours(x.tolist())
            assert _dtype(listed) == _dtype(got), case
            np.testing.assert_allclose(listed.detach().numpy(), got.detach().numpy(), rtol=1e-6,
                                       err_msg=case)
            assert listed.device == next(ours.parameters(), torch.zeros(0)).device


@pytest.mark.keras
def test_models_called_on_numpy_match_keras(keras):
    x = RNG.normal(size=(3, 4))          # float64, as numpy makes it
    outputs = {}
    for name, lib in (("keras", keras), ("ours", kerastorch)):
        seq = lib.Sequential([lib.Input((4,)), lib.layers.Dense(3, activation="tanh"), lib.layers.Dense(2)])

        class Net(lib.Model):
            def __init__(self):
                super().__init__()
                self.dense = lib.layers.Dense(2)

            def call(self, inputs):
                return self.dense(inputs)

        net = Net()
        net(x)
        if name == "keras":
            weights = (seq.get_weights(), net.get_weights())
        else:
            seq.set_weights(weights[0])
            net.set_weights(weights[1])
        outputs[name] = [seq(x), net(x), seq(x.astype("float32")), net(x[:1])]
    for got, want in zip(outputs["ours"], outputs["keras"]):
        assert _dtype(got) == _dtype(want) == "float32"
        np.testing.assert_allclose(got.detach().numpy(), want.detach().numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(outputs["ours"][0].detach().numpy(),
                               seq(x.tolist()).detach().numpy(), rtol=1e-6)


@pytest.mark.keras
def test_input_rank_rule_matches_keras_when_calling(keras):
    # Keras' Functional rule: one axis short and the Input ends in 1 -> added; one extra axis of 1 -> dropped.
    cases = [((1,), (5,)), ((3,), (5, 3, 1)), ((4, 1), (5, 4)), ((2, 3), (5, 2, 3))]
    for input_shape, data_shape in cases:
        x = RNG.normal(size=data_shape).astype("float32")
        theirs = keras.Sequential([keras.Input(input_shape), keras.layers.Dense(2)])
        ours = kerastorch.Sequential([kerastorch.Input(input_shape), kerastorch.layers.Dense(2)])
        ours.set_weights(theirs.get_weights())
        want = theirs(x)
        for given in (x, torch.from_numpy(x)):
            got = ours(given)
            assert tuple(got.shape) == tuple(want.shape), (input_shape, data_shape)
            np.testing.assert_allclose(got.detach().numpy(), want.detach().numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.keras
def test_fit_evaluate_predict_on_1d_x_match_keras(keras):
    x = np.linspace(-1.0, 1.0, 10).astype("float32")            # (10,) for Input(shape=(1,))
    y = 3.0 * x - 0.5
    out = {}
    for name, lib in (("keras", keras), ("ours", kerastorch)):
        model = lib.Sequential([lib.Input((1,)), lib.layers.Dense(1)])
        if name == "keras":
            initial = model.get_weights()
        else:
            model.set_weights(initial)
        model.compile(optimizer=lib.optimizers.SGD(learning_rate=0.1), loss="mse", metrics=["mae"])
        history = model.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0,
                            validation_data=(x[:4], y[:4]))
        out[name] = (model.get_weights(), history.history,
                     model.evaluate(x, y, batch_size=4, verbose=0, return_dict=True),
                     model.predict(x, batch_size=4, verbose=0),
                     model.train_on_batch(x[:4], y[:4], return_dict=True))
    ours, theirs = out["ours"], out["keras"]
    for a, b in zip(ours[0], theirs[0]):
        np.testing.assert_allclose(a, b, rtol=1e-5)
    assert not np.allclose(ours[0][0], initial[0])
    for key in theirs[1]:
        np.testing.assert_allclose(ours[1][key], theirs[1][key], rtol=1e-5, err_msg=key)
    for key in theirs[2]:
        assert ours[2][key] == pytest.approx(theirs[2][key], rel=1e-5)
    assert ours[3].shape == theirs[3].shape == (10, 1)
    np.testing.assert_allclose(ours[3], theirs[3], rtol=1e-5)
    for key in theirs[4]:
        assert ours[4][key] == pytest.approx(theirs[4][key], rel=1e-5)


def test_1d_x_for_a_model_taking_several_features_is_still_refused():
    model = kerastorch.Sequential([kerastorch.Input((2,)), kerastorch.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    with pytest.raises(ValueError, match=r"expects samples of shape \(2,\).*x.shape=\(6,\)"):
        model.fit(np.zeros(6), np.zeros(6), verbose=0)


def test_1d_batches_from_a_dataloader_are_expanded_too():
    ds = torch.utils.data.TensorDataset(torch.linspace(0, 1, 8), torch.linspace(0, 1, 8)[:, None])
    model = kerastorch.Sequential([kerastorch.Input((1,)), kerastorch.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    history = model.fit(torch.utils.data.DataLoader(ds, batch_size=4), epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])


def test_tensor_inputs_skip_the_conversion(monkeypatch):
    calls = []

    def spy(layer, x, keep_integers=None):
        calls.append(type(x).__name__)
        return torch.as_tensor(np.asarray(x, "float32"))

    # Patched where it is looked up: Layer.forward's module (layers/_layer_call_path.py).
    for module in (layer_call_path, sequential_module, model_module):
        monkeypatch.setattr(module, "convert_inputs", spy)
    layer = kerastorch.layers.Dense(2)
    model = kerastorch.Sequential([kerastorch.Input((3,)), kerastorch.layers.Dense(2)])
    layer(torch.ones(1, 3))
    model(torch.ones(1, 3))
    assert calls == []
    layer(np.ones((1, 3)))
    model([[1.0, 2.0, 3.0]])
    assert calls == ["ndarray", "list"]


@pytest.mark.keras
def test_merge_layers_take_lists_of_numpy_arrays_like_keras(keras):
    a, b = RNG.normal(size=(2, 3)), RNG.normal(size=(2, 3)).astype("float32")
    for name in ("Add", "Multiply", "Concatenate", "Maximum"):
        want = getattr(keras.layers, name)()([a, b])
        got = getattr(kerastorch.layers, name)()([a, b])
        assert _dtype(got) == _dtype(want), name
        np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-6, err_msg=name)


def test_several_inputs_are_converted_one_by_one():
    layer = kerastorch.layers.Dense(2)
    first, second, third = layers_base.convert_inputs(layer, [np.ones((2, 2)), [[1.0, 2.0]], torch.ones(1)])
    assert first.dtype == second.dtype == torch.float32 and third.dtype == torch.float32
    assert tuple(first.shape) == (2, 2) and second.tolist() == [[1.0, 2.0]]
    named = layers_base.convert_inputs(layer, {"a": np.zeros(3, "float64")})
    assert named["a"].dtype == torch.float32


def test_unconvertible_input_names_the_layer():
    layer = kerastorch.layers.Dense(2, name="head")
    with pytest.raises(TypeError, match=r"Dense 'head' was called on list .*numpy array"):
        layer([["a", "b"]])
