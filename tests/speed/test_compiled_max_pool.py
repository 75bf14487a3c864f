"""Max pooling under torch.compile on the CPU runs aten's kernels as one op (`kerastorch::max_pool`,
`ops/nn/_max_pool_kernel.py`): taken only while compiling, equal to eager pooling bit for bit
(values, gradients, gradients of gradients), with inductor itself for the values."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import kerastorch
from kerastorch import layers, ops
from kerastorch.ops.nn import _max_pool_kernel

_dynamo = pytest.importorskip("torch._dynamo")


def _ties(shape, seed=0):
    """ReLU'd, rounded values: many windows hold equal maxima, where a pooling's choice shows."""
    g = torch.Generator().manual_seed(seed)
    return torch.relu(torch.randn(shape, generator=g)).round()


def _graph_targets(fn, *args):
    """The call targets of the graph dynamo captures for `fn(*args)` (run with the captured graph)."""
    seen = []

    def backend(gm, example_inputs):
        seen.extend(str(node.target) for node in gm.graph.nodes if node.op == "call_function")
        return gm.forward
    _dynamo.reset()
    torch.compile(fn, backend=backend)(*args)
    return seen


POOLS = {
    "2d": (lambda: layers.MaxPooling2D((2, 2)), (4, 8, 8, 3)),
    "2d_same_3x3_stride2": (lambda: layers.MaxPooling2D((3, 3), strides=2, padding="same"), (4, 9, 9, 3)),
    "2d_channels_first": (lambda: layers.MaxPooling2D((2, 2), data_format="channels_first"), (4, 3, 8, 8)),
    "3d": (lambda: layers.MaxPooling3D((2, 2, 2)), (2, 4, 6, 6, 3)),
}


@pytest.mark.parametrize("name", sorted(POOLS))
def test_compiling_for_the_cpu_takes_the_aten_op_and_eager_does_not(name, monkeypatch):
    make, shape = POOLS[name]
    layer, x = make(), _ties(shape)
    assert "kerastorch.max_pool.default" in _graph_targets(layer, x)
    calls = []

    def recording(*args):
        calls.append(args)
        raise AssertionError("the aten op was called eagerly")
    monkeypatch.setattr(_max_pool_kernel, "_pool", recording)
    out = layer(x)                                # eager: torch's own pooling function
    assert calls == [] and out.shape[0] == shape[0]


def test_pooling_1d_and_ops_max_pool_under_compile():
    x = _ties((4, 10, 3))
    assert "kerastorch.max_pool.default" not in _graph_targets(layers.MaxPooling1D(2), x)   # no 1D op in aten
    assert "kerastorch.max_pool.default" in _graph_targets(lambda t: ops.max_pool(t, 2), _ties((2, 6, 6, 3)))


@pytest.mark.parametrize("name", sorted(POOLS))
def test_values_and_gradients_under_the_captured_graph_equal_eager(name):
    make, shape = POOLS[name]
    layer = make()
    x = _ties(shape).requires_grad_()

    def weighted(t):
        y = layer(t)
        return (y * torch.arange(y.numel(), dtype=y.dtype).view(y.shape)).sum()
    eager_grad, = torch.autograd.grad(weighted(x), x)
    _dynamo.reset()
    compiled = torch.compile(weighted, backend="aot_eager", fullgraph=True)   # the forward and backward graphs
    compiled_grad, = torch.autograd.grad(compiled(x), x)
    assert torch.equal(compiled_grad, eager_grad)


def test_inductor_compiled_pooling_equals_eager():
    layer2, layer3 = layers.MaxPooling2D((2, 2)), layers.MaxPooling3D((2, 2, 2), padding="same")
    x2, x3 = _ties((4, 8, 8, 16)).requires_grad_(), _ties((2, 5, 6, 6, 4), seed=1).requires_grad_()

    def both(a, b):
        return (layer2(a) ** 2).sum() + (layer3(b) * 3).sum(), layer2(a), layer3(b)
    loss, y2, y3 = both(x2, x3)
    g_eager = torch.autograd.grad(loss, (x2, x3))
    _dynamo.reset()
    c_loss, c_y2, c_y3 = torch.compile(both, fullgraph=True)(x2, x3)       # inductor
    g_compiled = torch.autograd.grad(c_loss, (x2, x3))
    assert torch.equal(c_y2, y2) and torch.equal(c_y3, y3)
    for a, b in zip(g_compiled, g_eager):
        assert torch.equal(a, b)
    assert c_y2.is_contiguous() and c_y2.shape == (4, 4, 4, 16)


@pytest.mark.parametrize("shape", [(2, 3, 6, 6), (2, 3, 4, 4, 4)], ids=["2d", "3d"])
def test_the_op_is_twice_differentiable_like_torch_pooling(shape):
    rank = len(shape) - 2
    eager = {2: F.max_pool2d, 3: F.max_pool3d}[rank]
    x = _ties(shape).requires_grad_()
    got = []
    for pool in (lambda t: eager(t, 2, 2), lambda t: _max_pool_kernel._pool(t, [2] * rank, [2] * rank, [0] * rank)[0]):
        y = pool(x)
        w = torch.randn(y.shape, generator=torch.Generator().manual_seed(1)).requires_grad_()
        g, = torch.autograd.grad((y * w).sum(), x, create_graph=True)
        gw, = torch.autograd.grad((g * torch.arange(g.numel(), dtype=g.dtype).view(g.shape)).sum(), w)
        got.append((y, g, gw))
    for a, b in zip(*got):
        assert torch.equal(a, b)


def test_a_compiled_cnn_fit_trains_as_eager():
    rng = np.random.default_rng(0)
    x = rng.random((32, 8, 8, 3), dtype=np.float32)
    y = np.eye(3, dtype=np.float32)[rng.integers(0, 3, 32)]

    def model(jit):
        torch.manual_seed(0)
        m = kerastorch.Sequential([layers.Input(shape=(8, 8, 3)), layers.Conv2D(4, 3, activation="relu"),
                                   layers.MaxPooling2D(), layers.Flatten(), layers.Dense(3, activation="softmax")])
        m.compile(optimizer="adam", loss="categorical_crossentropy", jit_compile=jit)
        return m
    eager, compiled = model(False), model("aot_eager")
    compiled.set_weights(eager.get_weights())
    _dynamo.reset()
    h_eager = eager.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0).history["loss"]
    h_compiled = compiled.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0).history["loss"]
    assert compiled._step_fns["whole"].compiled_calls == 7
    np.testing.assert_allclose(h_compiled, h_eager, rtol=1e-5)
    for a, b in zip(compiled.get_weights(), eager.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_torch_export_keeps_atens_pooling_so_programs_load_without_kerastorch(tmp_path):
    model = kerastorch.Sequential([layers.Input(shape=(8, 8, 3)), layers.MaxPooling2D(),
                                   layers.MaxPooling2D(padding="same")])
    x = _ties((2, 8, 8, 3))
    expected = model.predict(x.numpy(), verbose=0)
    program = torch.export.export(model, (x,))
    targets = [str(n.target) for n in program.graph.nodes if n.op == "call_function"]
    assert not any("kerastorch" in t for t in targets), targets
    assert any("max_pool" in t for t in targets), targets
    path = tmp_path / "pool.pt2"
    model.export(str(path), verbose=False)
    loaded = torch.export.load(str(path))
    assert not any("kerastorch" in str(n.target) for n in loaded.graph.nodes if n.op == "call_function")
    np.testing.assert_array_equal(loaded.module()(x).numpy(), expected)
