"""Weight paths as Keras' name scopes give them, and files of these models moving both ways.

Keras opens a layer's name scope around its build and every call, so a sublayer built during
its parent's build or first call gets a path under the parent (`sequential/blocks/dense/kernel`);
a layer keeps the path it was first built or called with (a shared layer: its first parent's;
one built standalone: its own). Each structure below is built the same way with real Keras and
with kerastorch: the `Variable.path` lists must be equal (before and after a first call), and
`.weights.h5` and `.keras` files written by either must load into the other with equal outputs.
"""

import functools

import numpy as np
import pytest
import torch

import kerastorch
from kerastorch import variables

# ---------------------------------------------------------------------- the same classes in both


@functools.lru_cache(maxsize=None)
def _classes(lib):
    """The custom layers and models of the table, written against `lib` (Keras or kerastorch)."""
    layers = lib.layers
    register = lib.saving.register_keras_serializable(package="KtWeightPaths")

    @register
    class Blocks(layers.Layer):      # no build: the sublayers are built by its first call
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.blocks = [layers.Dense(4), layers.Dense(2)]

        def call(self, x):
            for block in self.blocks:
                x = block(x)
            return x

    @register
    class BlocksBuild(layers.Layer):     # builds its sublayers in its build
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.a, self.b = layers.Dense(4), layers.Dense(2)

        def build(self, input_shape):
            self.a.build(input_shape)
            self.b.build((None, 4))

        def call(self, x):
            return self.b(self.a(x))

    @register
    class OwnWeightFirst(layers.Layer):     # a build making its own weight; the sublayer waits for the call
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.d = layers.Dense(2)

        def build(self, input_shape):
            self.w = self.add_weight(shape=(input_shape[-1],), name="w")

        def call(self, x):
            return self.d(x * self.w)

    @register
    class Outer(layers.Layer):      # two levels of unbuilt sublayers
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.mid = Blocks(name="mid")
            self.d = layers.Dense(3)

        def call(self, x):
            return self.d(self.mid(x))

    @register
    class InitWeight(layers.Layer):      # a weight made in __init__ (no scope open): its own path
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.w = self.add_weight(shape=(3,), name="w", initializer="ones")
            self.d = layers.Dense(2)

        def call(self, x):
            return self.d(x * self.w)

    @register
    class BlocksShape(Blocks):      # no build, its own output shape: Keras traces call to build
        def compute_output_shape(self, input_shape):
            return (input_shape[0], 2)

    @register
    class OwnWeightShape(OwnWeightFirst):
        def compute_output_shape(self, input_shape):
            return (input_shape[0], 2)

    @register
    class WithFunctional(layers.Layer):      # a Functional model made in build
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.d0 = layers.Dense(3)

        def build(self, input_shape):
            x = layers.Input(input_shape[1:])
            self.inner = lib.Model(x, layers.Dense(2)(x), name="inner_fn")

        def call(self, x):
            return self.inner(self.d0(x))

    @register
    class WithMHA(layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.mha = layers.MultiHeadAttention(num_heads=2, key_dim=2)
            self.norm = layers.LayerNormalization()

        def call(self, x):
            return self.norm(x + self.mha(x, x))

    @register
    class Branchy(layers.Layer):      # a sublayer only a training call builds
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.a, self.extra = layers.Dense(3), layers.Dense(3)

        def call(self, x, training=None):
            x = self.a(x)
            return self.extra(x) if training else x

    class Holder(layers.Layer):      # holds the layer it is given (no .keras config)
        def __init__(self, inner, **kwargs):
            super().__init__(**kwargs)
            self.inner = inner

        def call(self, x):
            return self.inner(x)

    @register
    class SubModel(lib.Model):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.d1 = layers.Dense(4)
            self.blocks = Blocks(name="blk")

        def call(self, x):
            return self.blocks(self.d1(x))

    @register
    class SubModelSeq(lib.Model):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.seq = lib.Sequential([layers.Dense(4), layers.Dense(2)], name="seq")

        def call(self, x):
            return self.seq(x)

    return {c.__name__: c for c in (Blocks, BlocksBuild, OwnWeightFirst, Outer, InitWeight, BlocksShape,
                                    OwnWeightShape, WithFunctional, WithMHA, Branchy, Holder, SubModel,
                                    SubModelSeq)}


def _called(model, shape):
    model(np.zeros((2, *shape), "float32"))
    return model


# name -> (builder(lib, classes, layers) -> model, sample shape, .keras files compared: True, False,
# "kerastorch" where Keras cannot load even its own file: a layer with no build and its own output
# shape leaves the sublayers its call builds unbuilt when Keras loads it ("Layer 'dense' was never
# built"; kerastorch builds them by tracing the call), or "neither" where both refuse the file: a
# layer's own build leaves a sublayer its call builds unbuilt, whose weights the file holds.
def _seq(*stack, shape=(3,), name="s"):
    return lambda lib, C, L: lib.Sequential([L.Input(shape), *stack_of(stack, lib, C, L)], name=name)


def stack_of(stack, lib, C, L):
    return [make(lib, C, L) for make in stack]


def _blocks(name="blocks"):
    return lambda lib, C, L: C["Blocks"](name=name)


def _functional_of(*makers, name="fn"):
    def build(lib, C, L):
        x = y = L.Input((3,))
        for make in makers:
            y = make(lib, C, L)(y)
        return lib.Model(x, y, name=name)
    return build


def _shared(lib, C, L, functional):
    dense = L.Dense(3, name="shared_dense")
    first, second = C["Holder"](dense, name="pa"), C["Holder"](dense, name="pb")
    if not functional:
        return lib.Sequential([L.Input((3,)), first, second], name="s")
    x = L.Input((3,))
    return lib.Model(x, L.Add()([first(x), second(x)]), name="fn")


def _prebuilt(lib, C, L):
    dense = L.Dense(3, name="pre")
    dense.build((None, 3))      # built alone: keeps its own path inside the model
    blocks = C["Blocks"](name="blocks")
    blocks.build((None, 3))     # Keras' default build: the scope (path) is fixed now, sublayers unbuilt
    return lib.Sequential([L.Input((3,)), C["Holder"](dense, name="holder"), blocks], name="s")


def _precalled(lib, C, L):
    dense, blocks = L.Dense(3, name="pre"), C["Blocks"](name="blocks")
    dense(np.zeros((1, 3), "float32"))
    blocks(np.zeros((1, 3), "float32"))
    return lib.Sequential([L.Input((3,)), C["Holder"](dense, name="holder"), blocks], name="s")


def _inner_seq(with_input):
    def build(lib, C, L):
        head = [L.Input((3,))] if with_input else []
        inner = lib.Sequential([*head, L.Dense(4), C["Blocks"](name="blocks")], name="inner_seq")
        x = L.Input((3,))
        return lib.Model(x, L.Dense(1)(inner(x)), name="outer_fn")
    return build


def _seq_in_seq(lib, C, L):
    inner = lib.Sequential([L.Dense(4), C["Outer"](name="outer")], name="inner_seq")
    return lib.Sequential([L.Input((3,)), inner, L.Dense(1)], name="outer_seq")


def _functional_in(outer):
    def build(lib, C, L):
        x = L.Input((3,))
        inner = lib.Model(x, C["Blocks"](name="blocks")(x), name="inner")
        if outer == "seq":
            return lib.Sequential([L.Input((3,)), inner, L.Dense(2)], name="outer_seq")
        if outer == "holder":
            return lib.Sequential([L.Input((3,)), C["Holder"](inner, name="holder")], name="s")
        y = L.Input((3,))
        return lib.Model(y, L.Dense(1)(inner(y)), name="outer")
    return build


def _seq_built_later(how):
    def build(lib, C, L):
        model = lib.Sequential([L.Dense(4), C["Outer"](name="outer")], name="s")
        return model.build((None, 3)) or model if how == "build" else _called(model, (3,))
    return build


def _in_holder(make, shape, dtype="float32"):
    return lambda lib, C, L: lib.Sequential([L.Input(shape, dtype=dtype), C["Holder"](make(L), name="holder")],
                                            name="s")


def _subclassed(which, in_seq=False):
    def build(lib, C, L):
        if in_seq:
            return lib.Sequential([L.Input((3,)), C[which](name="sub")], name="s")
        return _called(C[which](name="sub"), (3,))
    return build


def _two_sequentials(lib, C, L):
    dense = L.Dense(3, name="sd")
    lib.Sequential([L.Input((3,)), dense], name="first")
    return lib.Sequential([L.Input((3,)), dense, L.Dense(1)], name="second")


def _named(cls, name, **kwargs):
    return lambda lib, C, L: C[cls](name=name, **kwargs)


CASES = {
    "blocks_in_sequential": (_seq(_blocks()), (3,), True),
    "build_builds_sublayers": (_seq(_named("BlocksBuild", "bb")), (3,), True),
    "own_weight_then_sublayer": (_seq(_named("OwnWeightFirst", "ow")), (3,), True),
    "two_levels": (_seq(_named("Outer", "outer")), (3,), True),
    "weight_made_in_init": (_seq(_named("InitWeight", "iw")), (3,), True),
    "blocks_in_functional": (_functional_of(_blocks(), lambda lib, C, L: L.Dense(1)), (3,), True),
    "sequential_built_by_call": (_seq_built_later("call"), (3,), True),
    "sequential_build_method": (_seq_built_later("build"), (3,), True),
    "sequential_in_functional": (_inner_seq(True), (3,), True),
    "unbuilt_sequential_in_functional": (_inner_seq(False), (3,), True),
    "unbuilt_sequential_in_sequential": (_seq_in_seq, (3,), True),
    "functional_in_sequential": (_functional_in("seq"), (3,), True),
    "functional_in_functional": (_functional_in("functional"), (3,), True),
    "functional_in_custom_layer": (_functional_in("holder"), (3,), False),
    "functional_made_in_build": (_seq(_named("WithFunctional", "wf")), (3,), True),
    "shared_by_two_parents": (functools.partial(_shared, functional=False), (3,), False),
    "shared_by_two_parents_functional": (functools.partial(_shared, functional=True), (3,), False),
    "built_alone_first": (_prebuilt, (3,), False),
    "called_alone_first": (_precalled, (3,), False),
    "layer_in_two_sequentials": (_two_sequentials, (3,), True),
    "no_build_own_output_shape": (_seq(_named("BlocksShape", "b")), (3,), "kerastorch"),
    "no_build_own_output_shape_functional": (_functional_of(_named("BlocksShape", "b")), (3,), "kerastorch"),
    "own_build_own_output_shape": (_seq(_named("OwnWeightShape", "b")), (3,), "neither"),
    "attention_in_custom_layer": (_seq(_named("WithMHA", "wm"), shape=(4, 4)), (4, 4), True),
    "unbuilt_sequential_in_custom_layer": (
        _in_holder(lambda L: kerastorch_or_keras_seq(L), (3,)), (3,), False),
    "bidirectional_in_custom_layer": (_in_holder(lambda L: L.Bidirectional(L.GRU(2)), (5, 3)), (5, 3), False),
    "batch_norm_in_custom_layer": (_in_holder(lambda L: L.BatchNormalization(), (3,)), (3,), False),
    "conv_in_custom_layer": (_in_holder(lambda L: L.Conv2D(3, 3), (6, 6, 2)), (6, 6, 2), False),
    "wrappers": (lambda lib, C, L: lib.Sequential([
        L.Input((5, 3)), L.Bidirectional(L.LSTM(2, return_sequences=True)),
        L.TimeDistributed(L.Dense(2)), L.RNN([L.GRUCell(2), L.GRUCell(3)])], name="s"), (5, 3), True),
    "time_distributed_of_custom_layer": (
        _seq(lambda lib, C, L: L.TimeDistributed(C["BlocksBuild"](name="bb")), shape=(5, 3)), (5, 3), True),
    "subclassed_model": (_subclassed("SubModel"), (3,), True),
    "subclassed_model_with_sequential": (_subclassed("SubModelSeq"), (3,), True),
    "subclassed_model_in_sequential": (_subclassed("SubModel", in_seq=True), (3,), True),
}


def kerastorch_or_keras_seq(L):
    """An unbuilt Sequential of the library `L` (its `layers` module) belongs to."""
    lib = kerastorch if L is kerastorch.layers else __import__("keras")
    return lib.Sequential([L.Dense(4), L.Dense(2)], name="inner_seq")


def _build(lib, name):
    lib.utils.clear_session()
    make, shape, _ = CASES[name]
    return make(lib, _classes(lib), lib.layers), shape


def _paths(model):
    return [w.path for w in model.weights]


def _layer_paths(model):
    return {layer.name: [w.path for w in layer.weights] for layer in model.layers}


def _outputs(model, x):
    out = model(x)
    return out.detach().cpu().numpy() if isinstance(out, torch.Tensor) else np.asarray(out)


def _data(shape, seed=0):
    return np.random.default_rng(seed).standard_normal((4, *shape)).astype("float32")


# ---------------------------------------------------------------------- paths


@pytest.mark.parametrize("name", sorted(CASES))
def test_weight_paths_match_keras(keras, name):
    kmodel, shape = _build(keras, name)
    tmodel, _ = _build(kerastorch, name)
    assert _paths(tmodel) == _paths(kmodel)
    assert _layer_paths(tmodel) == _layer_paths(kmodel)
    x = _data(shape)
    _outputs(kmodel, x)
    _outputs(tmodel, x)
    assert _paths(tmodel) == _paths(kmodel)      # weights a first call makes too
    assert len(_paths(tmodel)) > 0


@pytest.mark.parametrize("lib_name", ["sequential", "functional"])
def test_sublayer_built_by_a_later_training_call(keras, lib_name):
    """A sublayer the first calls skip (only a training call uses it) still gets its parent's path."""
    found = {}
    for lib in (keras, kerastorch):
        lib.utils.clear_session()
        L, branchy = lib.layers, _classes(lib)["Branchy"](name="br")
        if lib_name == "sequential":
            model = lib.Sequential([L.Input((3,)), branchy], name="s")
        else:
            x = L.Input((3,))
            model = lib.Model(x, branchy(x), name="fn")
        before = _paths(model)
        _outputs(model, np.zeros((2, 3), "float32"))
        model(np.zeros((2, 3), "float32"), training=True)
        found[lib.__name__] = (before, _paths(model))
    assert found["kerastorch"] == found["keras"]
    assert len(found["kerastorch"][1]) == 4


def test_subclassed_build_method_paths(keras):
    """`model.build(shape)` of a subclass: kerastorch builds it there (Keras at the first call); the paths agree."""
    found = {}
    for lib in (keras, kerastorch):
        lib.utils.clear_session()
        model = _classes(lib)["SubModel"](name="m")
        model.build((None, 3))
        _outputs(model, np.zeros((2, 3), "float32"))
        found[lib.__name__] = _paths(model)
    assert found["kerastorch"] == found["keras"]
    assert found["keras"][0] == "m/dense/kernel" and found["keras"][2] == "m/blk/dense_1/kernel"


# ---------------------------------------------------------------------- files both ways


@pytest.mark.parametrize("name", sorted(CASES))
def test_weights_file_both_ways(keras, tmp_path, name):
    x = _data(CASES[name][1])
    kmodel, _ = _build(keras, name)
    tmodel, _ = _build(kerastorch, name)
    _outputs(kmodel, x), _outputs(tmodel, x)         # weights a first call makes
    kmodel.save_weights(tmp_path / "k.weights.h5")
    tmodel.load_weights(tmp_path / "k.weights.h5")
    np.testing.assert_allclose(_outputs(tmodel, x), _outputs(kmodel, x), atol=1e-5)

    kfresh, _ = _build(keras, name)
    _outputs(kfresh, x)
    tmodel.save_weights(tmp_path / "t.weights.h5")
    kfresh.load_weights(tmp_path / "t.weights.h5")
    np.testing.assert_allclose(_outputs(kfresh, x), _outputs(tmodel, x), atol=1e-5)


def _datasets(path):
    """Each dataset of an HDF5 file: its path -> its shape."""
    import h5py

    found = {}

    def note(name, obj):        # returns None: visititems goes on
        if isinstance(obj, h5py.Dataset):
            found[name] = obj.shape

    with h5py.File(path, "r") as h5:
        h5.visititems(note)
    return found


@pytest.mark.parametrize("name", sorted(CASES))
def test_weights_file_layout_is_keras(keras, tmp_path, name):
    """kerastorch's `.weights.h5` holds the datasets Keras' holds, at the same paths (a shared layer once)."""
    x = _data(CASES[name][1])
    for lib in (keras, kerastorch):
        model, _ = _build(lib, name)
        _outputs(model, x)
        model.save_weights(tmp_path / f"{lib.__name__}.weights.h5")
    found = _datasets(tmp_path / "kerastorch.weights.h5")
    assert found == _datasets(tmp_path / "keras.weights.h5")
    assert len(found) == len(model.weights)


def _load(lib, path):
    lib.utils.clear_session()       # the loaded layers' auto names count from the start in both
    return lib.models.load_model(path, custom_objects=_classes(lib))


@pytest.mark.parametrize("name", sorted(n for n, (_, _, archive) in CASES.items() if archive and archive != "neither"))
def test_keras_file_both_ways(keras, tmp_path, name):
    """Each library's `.keras` file loads into both with the saved outputs."""
    x = _data(CASES[name][1])
    kmodel, _ = _build(keras, name)
    tmodel, _ = _build(kerastorch, name)
    for lib, model, file in ((keras, kmodel, "k.keras"), (kerastorch, tmodel, "t.keras")):
        expected = _outputs(model, x)
        model.save(tmp_path / file)
        np.testing.assert_allclose(_outputs(_load(kerastorch, tmp_path / file), x), expected, atol=1e-5)
        if CASES[name][2] is True:
            np.testing.assert_allclose(_outputs(_load(keras, tmp_path / file), x), expected, atol=1e-5)


@pytest.mark.parametrize("name", sorted(n for n, (_, _, archive) in CASES.items() if archive == "neither"))
def test_keras_file_of_unbuilt_sublayer_refused_as_keras(keras, tmp_path, name):
    """A sublayer the loaded model leaves unbuilt, with weights in the file: both libraries refuse
    each file ("Layer 'dense' was never built"), none loads it without those weights."""
    x = _data(CASES[name][1])
    for lib in (keras, kerastorch):
        model, _ = _build(lib, name)
        _outputs(model, x)
        model.save(tmp_path / f"{lib.__name__}.keras")
    for file in ("keras.keras", "kerastorch.keras"):
        for lib in (keras, kerastorch):
            with pytest.raises(ValueError, match="Layer 'dense'.* was never built"):
                _load(lib, tmp_path / file)


def test_weights_file_of_unbuilt_sublayer_refused_as_keras(keras, tmp_path):
    """`load_weights` into a model whose sublayer is unbuilt, from a file holding its weights: Keras
    and kerastorch raise (kerastorch changes no weight)."""
    name = "own_build_own_output_shape"
    for lib in (keras, kerastorch):
        model, _ = _build(lib, name)
        _outputs(model, _data((3,)))
        model.save_weights(tmp_path / f"{lib.__name__}.weights.h5")
    for file in ("keras.weights.h5", "kerastorch.weights.h5"):
        for lib in (keras, kerastorch):
            fresh, _ = _build(lib, name)       # its own build made `w`; its Dense is not built yet
            before = [np.array(w.numpy()) for w in fresh.weights]
            with pytest.raises(ValueError, match="Layer 'dense'.* was never built"):
                fresh.load_weights(tmp_path / file)
            if lib is kerastorch:
                assert all(np.array_equal(a, w.numpy()) for a, w in zip(before, fresh.weights))


# ---------------------------------------------------------------------- the scope's cost


class _CountScopes:
    def __init__(self, monkeypatch):
        self.count = 0
        enter = variables.name_scope_of.__enter__

        def counting(scope):
            self.count += 1
            return enter(scope)

        monkeypatch.setattr(variables.name_scope_of, "__enter__", counting)


@pytest.mark.parametrize("name", ["blocks_in_sequential", "two_levels", "blocks_in_functional",
                                  "attention_in_custom_layer", "wrappers", "conv_in_custom_layer"])
def test_built_layers_call_without_opening_scopes(monkeypatch, name):
    """Once a layer and its sublayers are built, its calls open no name scope (no per-call cost)."""
    model, shape = _build(kerastorch, name)
    x = _data(shape)
    _outputs(model, x)
    model.predict(x, verbose=0)
    counter = _CountScopes(monkeypatch)
    _outputs(model, x)
    model.predict(x, verbose=0)
    assert counter.count == 0
    assert all(not m._kt_call_scope for m in model.modules()
               if isinstance(m, kerastorch.layers.Layer) and "_kt_call_scope" in m.__dict__)


def test_unbuilt_layer_opens_its_scope_until_built(monkeypatch):
    """A layer with an unbuilt sublayer keeps calling in its scope, and stops once that is built."""
    kerastorch.utils.clear_session()
    branchy = _classes(kerastorch)["Branchy"](name="br")
    x = torch.zeros(2, 3)
    branchy(x)
    assert branchy._kt_call_scope == [branchy.extra]      # the one still to build
    counter = _CountScopes(monkeypatch)
    branchy(x, training=True)
    assert counter.count >= 1 and branchy._kt_call_scope is False
    assert [w.path for w in branchy.weights][2:] == ["br/dense_1/kernel", "br/dense_1/bias"]
    counter.count = 0
    branchy(x, training=True)
    assert counter.count == 0


# ---------------------------------------------------------------------- name_scope_of itself


def test_name_scope_keeps_the_first_parent_path():
    kerastorch.utils.clear_session()
    L = kerastorch.layers
    outer, other, inner = L.Layer(name="outer"), L.Layer(name="other"), L.Dense(2, name="inner")
    with variables.name_scope_of(outer):
        with variables.name_scope_of(inner):
            assert variables.current_path() == "outer/inner"
            with variables.name_scope_of(inner):        # the same layer on top: not opened again
                assert variables.current_path() == "outer/inner"
        assert variables.current_path() == "outer"
    with variables.name_scope_of(other):
        with variables.name_scope_of(inner):             # its parent path was fixed by the first scope
            assert variables.current_path() == "outer/inner"
            inner.build((None, 3))
    assert variables.current_path() == ""
    assert [w.path for w in inner.weights] == ["outer/inner/kernel", "outer/inner/bias"]
    assert kerastorch.Variable(np.zeros(2), name="v").path == "v"


# ---------------------------------------------------------------------- known differences (other modules)


@pytest.mark.parametrize("name", sorted(n for n, (_, _, archive) in CASES.items() if archive is True))
def test_loaded_model_paths_match_keras(keras, tmp_path, name):
    """Keras builds each loaded layer from its `build_config` as it is deserialized, outside the
    model's scope (`blocks/dense/kernel`), the layers inside a wrapper too (`forward_lstm/...`); a
    subclassed model's `build_from_config` runs its call outside its own scope. The paths of each
    library's file loaded in each library agree."""
    x = _data(CASES[name][1])
    for lib in (keras, kerastorch):
        model, _ = _build(lib, name)
        _outputs(model, x)
        model.save(tmp_path / f"{lib.__name__}.keras")
    for file in ("kerastorch.keras", "keras.keras"):
        assert _paths(_load(kerastorch, tmp_path / file)) == _paths(_load(keras, tmp_path / file))



@pytest.mark.parametrize("inner", ["Blocks", "BlocksShape", "OwnWeightFirst", "OwnWeightShape", "Outer",
                                   "BlocksBuild", "Branchy"])
@pytest.mark.parametrize("in_sequential", [True, False])
def test_time_distributed_of_unbuilt_blocks_paths_match_keras(keras, inner, in_sequential):
    """Keras' TimeDistributed runs its layer's `call` itself: that layer's scope never opens, and
    what its call builds gets the wrapper's path (`s/time_distributed/dense/kernel`)."""
    found = {}
    for lib in (keras, kerastorch):
        lib.utils.clear_session()
        L = lib.layers
        td = L.TimeDistributed(_classes(lib)[inner](name="blocks"))
        model = lib.Sequential([L.Input((5, 3)), td], name="s") if in_sequential else td
        found[lib.__name__] = [_outputs(model, _data((5, 3))), _paths(model)]
    assert found["kerastorch"][1] == found["keras"][1]
    assert found["kerastorch"][0].shape == found["keras"][0].shape
