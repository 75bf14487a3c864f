"""A convolution with a ReLU, called without autograd on CPU (predict, evaluate, inference), runs
oneDNN's convolution with the ReLU fused into it (`layers/conv/_fused.py`): the same values as real
Keras (same weights) and, bit for bit, as the layer's own call under autograd; the fused kernel is
counted, not timed, and every case it does not cover takes the plain call."""

import numpy as np
import pytest
import torch

import kerastorch
from kerastorch import layers
from kerastorch.layers.conv import _fused

pytestmark = pytest.mark.skipif(not _fused.AVAILABLE, reason="this torch build has no oneDNN convolution")

CASES = [
    ("Conv2D", (28, 28, 3), dict(filters=8, kernel_size=3, padding="same")),
    ("Conv2D", (9, 11, 4), dict(filters=5, kernel_size=(3, 2), strides=2, padding="valid")),
    ("Conv2D", (12, 12, 4), dict(filters=6, kernel_size=3, dilation_rate=2, padding="same")),
    ("Conv2D", (10, 10, 6), dict(filters=6, kernel_size=1, groups=3)),
    ("Conv2D", (10, 10, 3), dict(filters=4, kernel_size=3, use_bias=False)),
    ("Conv2D", (8, 9, 3), dict(filters=4, kernel_size=3, padding="same", data_format="channels_first")),
    ("Conv1D", (20, 5), dict(filters=7, kernel_size=3, padding="same")),
    ("Conv2D", (8, 8, 3), dict(filters=4, kernel_size=3, strides=2, padding="same")),    # pads (0, 1)
    ("Conv1D", (20, 5), dict(filters=7, kernel_size=4, strides=3)),
    ("Conv1D", (20, 5), dict(filters=3, kernel_size=3, padding="causal", dilation_rate=2)),
    ("Conv3D", (6, 7, 5, 2), dict(filters=3, kernel_size=3, padding="same")),
]


@pytest.fixture
def fused_calls(monkeypatch):
    """A list that grows by one at each call of the fused kernel."""
    calls = []
    kernel = _fused._KERNEL

    def counting(*args):
        calls.append(1)
        return kernel(*args)
    monkeypatch.setattr(_fused, "_KERNEL", counting)
    return calls


def _pair(keras, name, sample, kw, batch):
    ours = getattr(layers, name)(activation="relu", **kw)
    theirs = getattr(keras.layers, name)(activation="relu", **kw)
    x = np.random.default_rng(3).standard_normal((batch, *sample)).astype("float32")
    theirs.build(x.shape)
    ours.build((None, *sample))
    rng = np.random.default_rng(4)
    weights = [rng.standard_normal(w.shape).astype("float32") for w in theirs.get_weights()]
    theirs.set_weights(weights)
    ours.set_weights(weights)
    return ours, theirs, x


@pytest.mark.parametrize("batch", [16, 33])
@pytest.mark.parametrize("name,sample,kw", CASES)
def test_inference_call_is_fused_equals_keras_and_the_autograd_call(keras, fused_calls, name, sample, kw, batch):
    ours, theirs, x = _pair(keras, name, sample, kw, batch)
    xt = torch.from_numpy(x)
    with torch.inference_mode():
        fused = ours(xt)
    assert len(fused_calls) == 1
    with torch.no_grad():
        assert torch.equal(ours(xt), fused)
    assert len(fused_calls) == 2
    plain = ours(xt)                      # autograd on: the plain convolution and its ReLU
    assert len(fused_calls) == 2 and plain.requires_grad
    assert torch.equal(fused, plain.detach())
    np.testing.assert_allclose(fused.numpy(), keras.ops.convert_to_numpy(theirs(x)), rtol=1e-5, atol=1e-5)


@pytest.mark.filterwarnings("ignore:TF32 acceleration")   # torch's note on entering mkldnn.flags
@pytest.mark.parametrize("change", ["small batch", "other activation", "float64", "mkldnn off", "depthwise",
                                    "transpose"])
def test_other_cases_take_the_plain_call(keras, fused_calls, change):
    kw = dict(filters=4, kernel_size=3, padding="same")
    if change == "depthwise":
        layer, x = layers.DepthwiseConv2D(3, activation="relu"), torch.randn(16, 8, 8, 3)
    elif change == "transpose":
        layer, x = layers.Conv2DTranspose(4, 3, activation="relu"), torch.randn(16, 8, 8, 3)
    else:
        activation = "gelu" if change == "other activation" else "relu"
        layer, x = layers.Conv2D(activation=activation, **kw), torch.randn(5 if change == "small batch" else 16, 8, 8, 3)
        if change == "float64":
            layer, x = layers.Conv2D(activation="relu", dtype="float64", **kw), x.double()
    with torch.backends.mkldnn.flags(enabled=change != "mkldnn off"):
        expected = layer(x).detach()      # autograd on: the plain call
        with torch.inference_mode():
            got = layer(x)
    assert fused_calls == []
    assert torch.equal(got, expected)


def test_cnn_predict_and_evaluate_fuse_and_equal_keras(keras, fused_calls):
    def build(lib):
        L = lib.layers
        return lib.Sequential([L.Input((14, 14, 3)), L.Conv2D(8, 3, activation="relu", padding="same"),
                               L.MaxPooling2D(), L.Conv2D(16, 3, activation="relu"), L.Flatten(),
                               L.Dense(10, activation="softmax")])
    ours, theirs = build(kerastorch), build(keras)
    ours.set_weights(theirs.get_weights())
    for model in (ours, theirs):
        model.compile(loss="categorical_crossentropy", metrics=["accuracy"])
    rng = np.random.default_rng(5)
    x = rng.standard_normal((70, 14, 14, 3)).astype("float32")
    y = np.eye(10, dtype="float32")[rng.integers(0, 10, 70)]
    expected = theirs.predict(x, batch_size=32, verbose=0)
    for _ in range(2):                    # the general path, then the lean one
        fused_calls.clear()
        np.testing.assert_allclose(ours.predict(x, batch_size=32, verbose=0), expected, rtol=1e-5, atol=1e-6)
        assert len(fused_calls) == 2 * 2  # two convolutions, on the two batches of 32 (not the last 6)
    np.testing.assert_allclose(ours.evaluate(x, y, batch_size=32, verbose=0),
                               theirs.evaluate(x, y, batch_size=32, verbose=0), rtol=1e-5)
    assert fused_calls


@pytest.mark.filterwarnings("ignore::FutureWarning")   # torch.jit.trace is deprecated; export.py still falls back on it
def test_traced_and_exported_programs_keep_the_plain_convolution(fused_calls):
    layer = layers.Conv2D(4, 3, activation="relu")
    x = torch.randn(16, 8, 8, 3)
    expected = layer(x).detach()
    with torch.no_grad():
        traced = torch.jit.trace(layer, (x,), check_trace=False)
        program = torch.export.export(layer, (x,))
    assert fused_calls == []
    assert "mkldnn" not in str(traced.graph) and "mkldnn" not in str(program.graph)
    with torch.no_grad():
        assert torch.equal(traced(x), expected) and torch.equal(program.module()(x), expected)
