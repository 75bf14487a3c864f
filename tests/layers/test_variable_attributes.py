"""A `Variable` set as a layer's attribute is a weight of the layer, as Keras tracks it.

The same layer code runs on real Keras and on kerastorch, generated over a table of where the
Variables are made (`__init__` or `build`, before or after `add_weight`), trainable or not, named
or auto-named, in a nested layer too; the checks compare `weights` (names, paths, shapes, order),
`trainable_weights`, two SGD steps of `fit` from the same values, and `.weights.h5` both ways.
"""

import numpy as np
import pytest
import torch

import kerastorch

keras = pytest.importorskip("keras", reason="real Keras 3 is not installed (pip install -e '.[dev]')")

# Each case: the Variables a layer makes, as (where, trainable, name); where is "init", "build"
# (after its add_weight kernel) or "build_first" (before it); "add_first" is an add_weight weight
# made before the kernel. A name None: Keras' auto name.
CASES = {
    "init_trainable": [("init", True, "bias")],
    "build_trainable": [("build", True, "bias")],
    "init_frozen": [("init", False, "offset")],
    "build_first_frozen": [("build_first", False, "offset")],
    "build_first_trainable": [("build_first", True, "shift")],
    "auto_named": [("init", True, None), ("build", False, None)],
    # add_weight's own order: Keras lists a layer's trainable weights before its frozen ones.
    "add_weight_frozen_first": [("add_first", False, "count"), ("init", True, "bias")],
    "mixed": [("init", False, "a"), ("init", True, "b"), ("build_first", True, "c"), ("build", False, "d"),
              ("build", True, "e")],
}
NESTED = ("nested",)          # an outer layer with its own Variable around an inner one ("mixed")


def _layer_class(lib, specs):
    ops = lib.ops

    def variable(i, trainable, name):
        if i % 2:       # from a value, and from an initializer name and a shape
            return lib.Variable(np.full((3,), 0.1 * (i + 1), "float32"), trainable=trainable, name=name)
        return lib.Variable("ones", shape=(3,), trainable=trainable, name=name)

    class WithVariables(lib.layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            for i, (where, trainable, name) in enumerate(specs):
                if where == "init":
                    setattr(self, f"v{i}", variable(i, trainable, name))

        def build(self, input_shape):
            for i, (where, trainable, name) in enumerate(specs):
                if where == "build_first":
                    setattr(self, f"v{i}", variable(i, trainable, name))
                elif where == "add_first":
                    setattr(self, f"v{i}", self.add_weight(shape=(3,), initializer="ones", trainable=trainable,
                                                           name=name))
            self.kernel = self.add_weight(shape=(input_shape[-1], 3), initializer="glorot_uniform", name="kernel")
            for i, (where, trainable, name) in enumerate(specs):
                if where == "build":
                    setattr(self, f"v{i}", variable(i, trainable, name))

        def call(self, inputs):
            out = ops.matmul(inputs, self.kernel)
            for i in range(len(specs)):
                out = out * getattr(self, f"v{i}") + 0.5
            return out

    return WithVariables


def _model(lib, case):
    if case == "nested":
        inner_cls = _layer_class(lib, CASES["mixed"])

        class Outer(lib.layers.Layer):
            def __init__(self, **kwargs):
                super().__init__(**kwargs)
                self.inner = inner_cls(name="inner")
                self.scale = lib.Variable(np.full((3,), 2.0, "float32"), name="scale")

            def build(self, input_shape):
                self.inner.build(input_shape)
                self.inner.built = True       # Keras' build wrapper sets it; kerastorch's plain build does not
                self.frozen = lib.Variable("zeros", shape=(3,), trainable=False, name="frozen")

            def call(self, inputs):
                return self.inner(inputs) * self.scale + self.frozen

        layer = Outer(name="outer")
    else:
        layer = _layer_class(lib, CASES[case])(name="with_variables")
    return lib.Sequential([lib.layers.Input((4,)), layer], name="model")


ALL = sorted(CASES) + list(NESTED)


def _pair(case):
    keras.utils.clear_session()
    k = _model(keras, case)
    kerastorch.utils.clear_session(free_memory=False)
    return k, _model(kerastorch, case)


def _described(variables):
    return [(v.name, v.path, tuple(v.shape), bool(v.trainable)) for v in variables]


@pytest.mark.parametrize("case", ALL)
def test_weights_and_trainable_weights_as_keras(case):
    k, m = _pair(case)
    assert _described(m.weights) == _described(k.weights)
    assert [v.path for v in m.trainable_weights] == [v.path for v in k.trainable_weights]
    assert [v.path for v in m.non_trainable_weights] == [v.path for v in k.non_trainable_weights]
    # The Variables' initial values come from the same code (the kernels are random in both).
    for v_ours, v_theirs in zip(m.weights, k.weights):
        if v_ours.name != "kernel":
            np.testing.assert_array_equal(v_ours.numpy(), np.asarray(v_theirs.numpy()))


@pytest.mark.parametrize("case", ALL)
def test_two_sgd_steps_as_keras(case):
    rng = np.random.default_rng(2)
    x = rng.standard_normal((8, 4)).astype("float32")
    y = rng.standard_normal((8, 3)).astype("float32")
    k, m = _pair(case)
    m.set_weights(k.get_weights())
    before = [np.asarray(w).copy() for w in k.get_weights()]
    for model, lib in ((k, keras), (m, kerastorch)):
        model.compile(optimizer=lib.optimizers.SGD(learning_rate=0.1), loss="mse")
        model.fit(x, y, batch_size=4, epochs=1, shuffle=False, verbose=0)
    after = k.get_weights()
    for ours, theirs in zip(m.get_weights(), after):
        np.testing.assert_allclose(ours, np.asarray(theirs), atol=1e-5)
    # The oracle moved the trainable ones only; so did kerastorch (checked above), and it did move them.
    moved = [not np.allclose(b, np.asarray(a)) for b, a in zip(before, after)]
    assert moved == [bool(v.trainable) for v in k.weights]


@pytest.mark.parametrize("case", ALL)
def test_weights_h5_both_ways(case, tmp_path):
    k, m = _pair(case)
    m.set_weights([np.asarray(w) * 0.5 + 0.25 for w in k.get_weights()])   # two different models
    k.save_weights(tmp_path / "k.weights.h5")
    m.save_weights(tmp_path / "t.weights.h5")
    keras.utils.clear_session()
    k_fresh = _model(keras, case)
    k_fresh.load_weights(tmp_path / "t.weights.h5")
    for theirs, ours in zip(k_fresh.get_weights(), m.get_weights()):
        np.testing.assert_array_equal(np.asarray(theirs), ours)
    m.load_weights(tmp_path / "k.weights.h5")
    for ours, theirs in zip(m.get_weights(), k.get_weights()):
        np.testing.assert_array_equal(ours, np.asarray(theirs))


@pytest.mark.parametrize("case", sorted(CASES))
def test_torch_sees_the_variables(case):
    # torch's side: trainable Variables are Parameters (parameters(), state_dict), the frozen ones
    # buffers; the attribute is the very Variable `weights` lists, and reads the registered tensor.
    kerastorch.utils.clear_session(free_memory=False)
    layer = _model(kerastorch, case).layers[0]
    params, buffers = dict(layer.named_parameters()), dict(layer.named_buffers())
    keys = []
    for i, (where, trainable, name) in enumerate(CASES[case]):
        v = getattr(layer, f"v{i}")
        attr = name if where == "add_first" else f"v{i}"     # add_weight stores under the weight's name
        keys.append(attr)
        assert isinstance(v, kerastorch.Variable)
        assert any(w is v for w in layer.weights)
        assert (attr in params) == trainable and (attr in buffers) == (not trainable)
        stored = (params if trainable else buffers)[attr]
        with torch.no_grad():
            stored.fill_(7.0)
        np.testing.assert_array_equal(v.numpy(), np.full((3,), 7.0, "float32"))
        v.assign(np.arange(3, dtype="float32"))
        np.testing.assert_array_equal(layer.state_dict()[attr].numpy(), np.arange(3, dtype="float32"))
    assert sorted(params) == sorted(["kernel"] + [k for k, s in zip(keys, CASES[case]) if s[1]])
