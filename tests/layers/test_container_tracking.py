"""Variables and layers a layer keeps in lists, tuples and dicts are tracked as Keras' Tracker does.

The same code runs on real Keras (torch backend) and on kerastorch, over a table of cases: a list,
a tuple, a dict, nested containers, containers appended to after they are set (in `__init__` and
in `build`), trainable=False Variables among trainable ones, `add_weight` Variables in a list,
layers in lists and dicts, and a `Model` subclass holding all of them. Compared with Keras:
the weights' names, paths, shapes and order, `get_weights()`, a call's outputs, `summary()`'s
totals, the weights and optimizer state after 3 `fit` steps of SGD, `.weights.h5` and `.keras`
files both ways; then torch's side (parameters, buffers, `state_dict`, `.to`), copies, and the
weights after each of a table of container mutations (append, pop, del, reassignment, ...).
"""

import collections
import copy
import pickle

import h5py
import numpy as np
import pytest
import torch

import kerastorch
from kerastorch.layers.tracking import state_unlocked
from kerastorch.saving.weights_h5 import optimizer_variables

keras = pytest.importorskip("keras", reason="real Keras 3 is not installed (pip install -e '.[dev]')")

PACKAGE = "ContainerTracking"


def _value(seed, shape):
    return np.random.default_rng(seed).uniform(0.5, 1.5, shape).astype("float32")


def _leaves(value):
    """The Variables in nested lists, tuples and dicts, in Python's iteration order."""
    if isinstance(value, dict):
        return [v for item in value.values() for v in _leaves(item)]
    if isinstance(value, (list, tuple)):
        return [v for item in value for v in _leaves(item)]
    return [value]


def _classes(lib):
    """`Holder(kind)`, a layer keeping Variables as `kind` says, and `Net`, a Model subclass; registered."""
    ops, layers = lib.ops, lib.layers
    register = lib.saving.register_keras_serializable(package=PACKAGE)

    def var(seed, shape=(3,), trainable=True, name=None):
        return lib.Variable(_value(seed, shape), trainable=trainable, name=name)

    @register
    class Holder(layers.Layer):
        def __init__(self, kind="list", **kwargs):
            super().__init__(**kwargs)
            self.kind = kind
            if kind == "list":
                self.ws = [var(1, name="w0"), var(2, name="w1"), var(3, (1, 3), name="w2")]
            elif kind == "tuple":
                self.ws = (var(1, name="w0"), var(2, (1, 3), name="w1"))
            elif kind == "dict":
                self.ws = {"b": var(1, name="b"), "a": var(2, name="a"), "c": var(3, (1, 3), name="c")}
            elif kind == "ordered_dict":
                self.ws = collections.OrderedDict([("z", var(1, name="z")), ("a", var(2, (1, 3), name="a"))])
            elif kind == "nested":
                self.ws = {"x": [var(1, name="x0"), (var(2, name="x1"),)], "y": {"z": [var(3, (1, 3), name="z")]}}
            elif kind == "frozen":
                self.ws = [var(1, trainable=False, name="f0"), var(2, name="t0"), var(3, trainable=False, name="f1"),
                           var(4)]        # auto-named
            elif kind == "appended":
                self.ws = []
                self.ws.append(var(1, name="a0"))
                self.d = {}
                self.d["k"] = var(2, trainable=False, name="k0")
            elif kind == "with_attribute":
                self.v = var(1, name="attr")
                self.ws = [var(2, name="in_list"), self.v]      # the same Variable twice: tracked once

        def build(self, input_shape):
            self.kernel = self.add_weight(shape=(input_shape[-1], 3), initializer="glorot_uniform", name="kernel")
            if self.kind == "appended":
                self.ws.append(var(5, name="a1"))
                self.ws.insert(0, var(6, (1, 3), name="a2"))
                self.ws.extend([var(7, name="a3")])
                self.d["late"] = var(8, name="late")
                self.d["nest"] = [var(9, name="n0")]
                self.d["nest"].append(var(10, name="n1"))
            elif self.kind == "with_add_weight":
                self.ws = [self.add_weight(shape=(3,), initializer="ones", name="aw"), var(5, name="free"),
                           self.add_weight(shape=(3,), initializer="ones", trainable=False, name="aw_frozen")]

        def call(self, inputs):
            y = ops.matmul(inputs, self.kernel)
            for v in _leaves([getattr(self, "ws", []), getattr(self, "d", {})]):
                y = y * v + 0.5
            return y

        def get_config(self):
            return {**super().get_config(), "kind": self.kind}

    @register
    class Blocks(layers.Layer):
        """Layers in a list and a dict, next to a Variable in a list."""

        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.blocks = [layers.Dense(4, activation="tanh") for _ in range(3)]
            self.heads = {"p": layers.Dense(3), "q": layers.Dense(3, use_bias=False)}
            self.scales = [var(1, name="s")]

        def build(self, input_shape):
            # Built here, in the layer's name scope (built by the first call instead, Keras' paths
            # would name this layer too, which kerastorch's do not yet: a gap of its own).
            shape = input_shape
            for block in self.blocks:
                block.build(shape)
                shape = (*shape[:-1], 4)
            for head in self.heads.values():
                head.build(shape)

        def call(self, inputs):
            x = inputs
            for block in self.blocks:
                x = block(x)
            return self.heads["p"](x) * self.heads["q"](x) * self.scales[0]

    @register
    class Net(lib.Model):
        """A Model subclass: Variables and layers in lists and dicts, one added after they are set."""

        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.blocks = [layers.Dense(4, activation="tanh"), layers.Dense(4)]
            self.ws = [var(1, name="m0"), var(2, trainable=False, name="m1")]
            self.parts = {"holder": Holder("nested", name="holder")}
            self.blocks.append(layers.Dense(4))
            self.ws.append(var(3, name="m2"))

        def call(self, inputs):
            x = inputs
            for block in self.blocks:
                x = block(x)
            return self.parts["holder"](x) * self.ws[0] + self.ws[1] * self.ws[2]

    return Holder, Blocks, Net


HOLDER_KINDS = ("list", "tuple", "dict", "ordered_dict", "nested", "frozen", "appended", "with_attribute",
                "with_add_weight")
CASES = HOLDER_KINDS + ("layers", "model")


def _model(lib, case):
    holder, blocks, net = _classes(lib)
    if case == "model":
        model = net(name="net")
        model(np.ones((2, 4), "float32") if lib is keras else torch.ones(2, 4))
        return model
    layer = blocks(name="blocks") if case == "layers" else holder(case, name="holder")
    return lib.Sequential([lib.layers.Input((4,)), layer], name="model")


def _clear(lib):
    if lib is keras:
        keras.backend.clear_session(free_memory=False)
    else:
        kerastorch.utils.clear_session(free_memory=False)


def _pair(case):
    """The case in Keras and in kerastorch, with Keras' weights (its random kernels) copied over."""
    _clear(keras)
    k = _model(keras, case)
    _clear(kerastorch)
    m = _model(kerastorch, case)
    m.set_weights([np.asarray(w) for w in k.get_weights()])
    return k, m


def _described(variables, names=True):
    return [(v.name, v.path, tuple(v.shape), bool(v.trainable)) if names else (tuple(v.shape), bool(v.trainable))
            for v in variables]


def _numpy(x):
    return x.detach().cpu().numpy() if isinstance(x, torch.Tensor) else keras.ops.convert_to_numpy(x)


X = np.random.default_rng(7).standard_normal((12, 4)).astype("float32")
Y = np.random.default_rng(8).standard_normal((12, 3)).astype("float32")


def _outputs(model):
    return _numpy(model(X if isinstance(model, keras.Model) else torch.as_tensor(X)))


@pytest.mark.parametrize("case", CASES)
def test_weights_are_keras_weights_in_keras_order(case):
    _clear(keras)
    k = _model(keras, case)
    _clear(kerastorch)
    m = _model(kerastorch, case)
    assert _described(m.weights) == _described(k.weights)
    assert _described(m.trainable_weights) == _described(k.trainable_weights)
    assert _described(m.non_trainable_weights) == _described(k.non_trainable_weights)
    assert m.count_params() == k.count_params()
    # Same initial values wherever they are not random (the Variables, the ones/zeros weights).
    for ours, theirs, v in zip(m.get_weights(), k.get_weights(), k.weights):
        if v.name not in ("kernel", "bias"):
            np.testing.assert_array_equal(ours, np.asarray(theirs))


@pytest.mark.parametrize("case", CASES)
def test_get_weights_and_outputs_as_keras(case):
    k, m = _pair(case)
    for ours, theirs in zip(m.get_weights(), k.get_weights()):
        np.testing.assert_array_equal(ours, np.asarray(theirs))
    np.testing.assert_allclose(_outputs(m), _outputs(k), rtol=1e-5, atol=1e-5)


def _summary_totals(model):
    lines = []
    model.summary(print_fn=lambda text, line_break=None: lines.append(text))
    return [line.strip() for line in "\n".join(lines).splitlines() if "params:" in line]


@pytest.mark.parametrize("case", CASES)
def test_summary_totals_as_keras(case):
    k, m = _pair(case)
    assert _summary_totals(m) == _summary_totals(k)


def _fit(model, lib):
    model.compile(optimizer=lib.optimizers.SGD(learning_rate=0.05, momentum=0.5), loss="mse")
    model.fit(X, Y, batch_size=4, epochs=1, shuffle=False, verbose=0)     # 3 steps on the same batches


@pytest.mark.parametrize("case", CASES)
def test_three_sgd_steps_of_fit_as_keras(case):
    k, m = _pair(case)
    before = [np.asarray(w).copy() for w in k.get_weights()]
    _fit(k, keras)
    _fit(m, kerastorch)
    after = [np.asarray(w) for w in k.get_weights()]
    for ours, theirs in zip(m.get_weights(), after):
        np.testing.assert_allclose(ours, theirs, atol=1e-5)
    # Keras moved the trainable weights only; kerastorch agrees with it (above), so it moved them too.
    assert [not np.allclose(b, a) for b, a in zip(before, after)] == [bool(v.trainable) for v in k.weights]
    # The optimizer saw them in Keras' order: its state (momentums per trainable weight) is Keras'.
    _assert_same_optimizer_state(m, k)


def _assert_same_optimizer_state(ours, theirs):
    """kerastorch's optimizer variables (in Keras' layout, as saved) equal Keras' ones."""
    def state(model):
        if isinstance(model, kerastorch.Model):
            return optimizer_variables(model)
        return [_numpy(v) for v in model.optimizer.variables]

    ours, theirs = state(ours), state(theirs)
    assert [a.shape for a in ours] == [b.shape for b in theirs]
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, atol=1e-5)


def _h5_layout(path):
    out = {}

    def visit(name, obj):
        out[name] = tuple(obj.shape) if isinstance(obj, h5py.Dataset) else "group"

    with h5py.File(path, "r") as f:
        f.visititems(visit)
    return out


@pytest.mark.parametrize("case", CASES)
def test_weights_h5_layout_and_values_both_ways(case, tmp_path):
    k, m = _pair(case)
    m.set_weights([w * 0.5 + 0.25 for w in m.get_weights()])       # two different models
    ours, theirs = tmp_path / "ours.weights.h5", tmp_path / "keras.weights.h5"
    m.save_weights(ours)
    k.save_weights(theirs)
    assert _h5_layout(ours) == _h5_layout(theirs)
    _clear(keras)
    k_fresh = _model(keras, case)
    k_fresh.load_weights(ours)
    for theirs_w, ours_w in zip(k_fresh.get_weights(), m.get_weights()):
        np.testing.assert_array_equal(np.asarray(theirs_w), ours_w)
    np.testing.assert_allclose(_outputs(k_fresh), _outputs(m), rtol=1e-5, atol=1e-5)
    m.load_weights(theirs)
    for ours_w, theirs_w in zip(m.get_weights(), k.get_weights()):
        np.testing.assert_array_equal(ours_w, np.asarray(theirs_w))
    np.testing.assert_allclose(_outputs(m), _outputs(k), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("case", CASES)
def test_keras_files_load_both_ways(case, tmp_path):
    k, m = _pair(case)
    m.set_weights([w * 0.5 + 0.25 for w in m.get_weights()])
    _fit(k, keras)          # with optimizer state, saved in the archive
    _fit(m, kerastorch)
    k.save(tmp_path / "keras.keras")
    m.save(tmp_path / "ours.keras")
    from_keras = kerastorch.saving.load_model(tmp_path / "keras.keras")
    # (Names aside: the auto-named ones count on from the models made before.)
    assert _described(from_keras.weights, names=False) == _described(k.weights, names=False)
    for ours_w, theirs_w in zip(from_keras.get_weights(), k.get_weights()):
        np.testing.assert_array_equal(ours_w, np.asarray(theirs_w))
    np.testing.assert_allclose(_outputs(from_keras), _outputs(k), rtol=1e-5, atol=1e-5)
    from_ours = keras.saving.load_model(tmp_path / "ours.keras")
    for theirs_w, ours_w in zip(from_ours.get_weights(), m.get_weights()):
        np.testing.assert_array_equal(np.asarray(theirs_w), ours_w)
    np.testing.assert_allclose(_outputs(from_ours), _outputs(m), rtol=1e-5, atol=1e-5)
    assert _described(from_ours.weights, names=False) == _described(m.weights, names=False)
    _assert_same_optimizer_state(from_keras, k)
    _assert_same_optimizer_state(m, from_ours)


# --------------------------------------------------------------------------- torch's side
@pytest.mark.parametrize("case", CASES)
def test_torch_registers_every_weight(case):
    m = _model(kerastorch, case)
    params = {id(p) for p in m.parameters()}
    buffers = {id(b) for b in m.buffers()}
    state = {id(t): k for k, t in m.state_dict(keep_vars=True).items()}
    for v in m.weights:
        stored = v._stored()
        assert (id(stored) in params) == v.trainable and (id(stored) in buffers) == (not v.trainable), v.path
        assert id(stored) in state, v.path
    assert len(params) == len(m.trainable_weights)
    # The Variables the user holds read what torch holds: `.to(dtype)` reaches them.
    held = _leaves([getattr(layer, name, []) for layer in [m] + list(m.layers) for name in ("ws", "d", "scales")])
    assert held and all(isinstance(v, kerastorch.Variable) for v in held)
    # (As in Keras, a list set by `d[key] = [...]` is stored as given: what is appended to it later
    # is not tracked.)
    held = [v for v in held if any(v is w for w in m.weights)]
    m.to(torch.float64)
    assert {v.dtype for v in held} == {"float64"}
    with torch.no_grad():
        for p in m.parameters():
            p.fill_(0.25)
    assert all(np.all(v.numpy() == 0.25) for v in held if v.trainable)


class Picklable(kerastorch.layers.Layer):
    """Module-level, so that pickle finds it: nested containers, one appended to later."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.ws = [kerastorch.Variable(np.ones((2,), "float32"), name="w")]
        self.d = {"a": [kerastorch.Variable(np.full((2,), 3.0, "float32"), name="a", trainable=False)]}
        self.blocks = [kerastorch.layers.Dense(2)]
        self.od = collections.OrderedDict(o=kerastorch.Variable(np.full((2,), 0.5, "float32"), name="o"))

    def build(self, input_shape):
        self.ws.append(kerastorch.Variable(np.full((2,), 2.0, "float32"), name="late"))

    def call(self, inputs):
        return self.blocks[0](inputs) * self.ws[0] * self.ws[1] + self.d["a"][0] * self.od["o"]


@pytest.mark.parametrize("case", ["list", "nested", "appended", "model", "picklable"])
def test_copies_keep_their_own_tracked_variables(case):
    if case == "picklable":
        m = kerastorch.Sequential([kerastorch.layers.Input((4,)), Picklable(name="picklable")])
        copies = (copy.deepcopy(m), pickle.loads(pickle.dumps(m)))
    else:
        m = _model(kerastorch, case)
        copies = (copy.deepcopy(m),)
    for clone in copies:
        assert _described(clone.weights) == _described(m.weights)
        for ours, theirs in zip(clone.get_weights(), m.get_weights()):
            np.testing.assert_array_equal(ours, theirs)
        ids = {id(t) for t in m.state_dict(keep_vars=True).values()}
        assert not ids & {id(v._stored()) for v in clone.weights}      # the clone's own tensors
        np.testing.assert_allclose(_outputs(clone), _outputs(m), rtol=1e-6)
        if case == "picklable":       # the copy's containers are tracked by the copy
            layer = clone.layers[0]
            # (The layer is built, so its state is locked as in Keras: opened for this check only.)
            with state_unlocked(layer):
                layer.ws.append(kerastorch.Variable(np.ones((2,), "float32"), name="after_copy"))
            assert [w.name for w in layer.weights][:5] == ["w", "o", "late", "after_copy", "a"]
            assert type(layer.od).__name__ == "TrackedOrderedDict" and layer.od["o"]._owner is layer
            assert len(m.weights) + 1 == len(clone.weights)
            layer.d["a"].pop()
            assert len(m.weights) == len(clone.weights) and m.layers[0].d["a"][0]._owner is m.layers[0]


# --------------------------------------------------------------------------- changes after the attribute is set
def _mutations(lib):
    """(label, change) pairs run in order on one layer; each change takes the layer and a Variable maker."""
    def var(name, trainable=True):
        return lib.Variable(np.ones(1, "float32"), name=name, trainable=trainable)

    def reassign_keep_old(layer):
        layer.old = layer.ws
        layer.ws = [var("re")]

    return [
        ("list setitem (not tracked)", lambda l: l.ws.__setitem__(0, var("set"))),
        ("list del item", lambda l: l.ws.__delitem__(1)),
        ("list remove an untracked value", lambda l: l.ws.remove(l.ws[0])),
        ("dict del item (stays tracked)", lambda l: l.d.__delitem__("x")),
        ("dict pop", lambda l: l.d.pop("z")),
        ("dict pop absent, default", lambda l: l.d.pop("nope", None)),
        ("reassign the list", reassign_keep_old),
        ("append to the replaced list", lambda l: l.old.append(var("old_append"))),
        ("del the list attribute", lambda l: delattr(l, "ws")),
        ("reassign a Variable attribute", lambda l: setattr(l, "v", 5)),
        ("append to a nested list", lambda l: l.d["y"].append(var("nested_append"))),
        ("list +=", lambda l: (setattr(l, "ws2", []), setattr(l, "ws2", l.ws2 + [var("iadd")]))),
        ("list extend", lambda l: l.ws2.extend([var("ext"), var("ext_frozen", False)])),
        ("list insert", lambda l: l.ws2.insert(0, var("ins"))),
        ("list pop", lambda l: l.ws2.pop(1)),
        ("dict update", lambda l: l.d.update({"u": var("upd")})),
        ("dict setdefault (not tracked)", lambda l: l.d.setdefault("s", var("sd"))),
        ("dict setitem", lambda l: l.d.__setitem__("n", var("set_frozen", False))),
        ("dict popitem", lambda l: l.d.popitem()),
        ("list clear", lambda l: l.ws2.clear()),
        ("del a Variable attribute", lambda l: (setattr(l, "v2", var("v2")), delattr(l, "v2"))),
        ("reassign a Variable attribute to a Variable", lambda l: (setattr(l, "v3", var("v3")),
                                                                   setattr(l, "v3", var("v3b")))),
        ("tuple with a list", lambda l: setattr(l, "t", ([var("in_tuple")],))),
        ("append to that list", lambda l: l.t[0].append(var("tuple_append"))),
        ("list of a list set later", lambda l: setattr(l, "ws3", [[var("deep")]])),
        ("append to the inner list", lambda l: l.ws3[0].append(var("deep_append"))),
    ]


def _mutated_layer(lib):
    def var(name, trainable=True):
        return lib.Variable(np.full((1,), 2.0, "float32"), name=name, trainable=trainable)

    class Mutated(lib.layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.ws = [var("a"), var("b", False), var("c")]
            self.d = {"x": var("x"), "y": [var("y")], "z": var("z")}
            self.v = var("v")

    return Mutated(name="mutated")


def test_container_changes_track_and_untrack_as_keras():
    _clear(keras)
    k = _mutated_layer(keras)
    _clear(kerastorch)
    m = _mutated_layer(kerastorch)
    assert _described(m.weights) == _described(k.weights)
    for (label, k_change), (_, m_change) in zip(_mutations(keras), _mutations(kerastorch)):
        k_change(k)
        m_change(m)
        assert _described(m.weights) == _described(k.weights), label
        # torch holds exactly the tracked tensors, and untracked Variables still hold their values.
        held = sorted(id(t) for t in m.state_dict(keep_vars=True).values())
        assert held == sorted(id(v._stored()) for v in m.weights), label
    assert m.ws3[0][0].numpy().tolist() == [1.0]


def test_an_untracked_variable_is_standalone_again():
    layer = _mutated_layer(kerastorch)
    frozen, kept = layer.ws[1], layer.ws[0]
    frozen.assign(np.array([5.0], "float32"))
    layer.ws.pop(1)
    assert [w.name for w in layer.weights] == ["a", "c", "x", "y", "z", "v"]
    assert frozen.numpy().tolist() == [5.0] and not frozen.trainable and frozen.path == "b"
    layer.ws.append(frozen)                               # tracked again, by the layer
    assert layer.weights[-1] is frozen and layer.non_trainable_weights == [frozen]
    assert kept._owner is layer and frozen._owner is layer


def test_layers_in_containers_track_and_untrack_as_keras():
    def changes(lib):
        dense = lib.layers.Dense
        return [("setitem (not tracked)", lambda l: l.bs.__setitem__(0, dense(1, name="new"))),
                ("pop", lambda l: l.bs.pop()),
                ("dict del item (stays)", lambda l: l.d.__delitem__("x")),
                ("dict pop of a list (its layers stay)", lambda l: l.d.pop("y")),
                ("reassign", lambda l: setattr(l, "bs", [dense(1, name="re")])),
                ("append", lambda l: l.bs.append(dense(1, name="app"))),
                ("del the attribute", lambda l: delattr(l, "bs"))]

    def layer(lib):
        dense = lib.layers.Dense

        class Stack(lib.layers.Layer):
            def __init__(self, **kwargs):
                super().__init__(**kwargs)
                self.bs = [dense(1, name="a"), dense(1, name="b"), dense(1, name="c")]
                self.d = {"x": dense(1, name="x"), "y": [dense(1, name="y")]}

        return Stack(name="stack")

    _clear(keras)
    k = layer(keras)
    _clear(kerastorch)
    m = layer(kerastorch)
    for (label, k_change), (_, m_change) in zip(changes(keras), changes(kerastorch)):
        k_change(k)
        m_change(m)
        assert [s.name for s in m._sublayers()] == [s.name for s in k._layers], label
        assert {id(s) for s in m.children() for s in s.modules()} >= {id(s) for s in m._sublayers()}
