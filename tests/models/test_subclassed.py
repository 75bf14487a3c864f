"""Subclassed models (`class MyModel(kerastorch.Model)`) against real Keras 3.

The same model code is written once over a library (`kerastorch` or `keras`): layers set in
`__init__` (directly, in lists, dicts, nested lists, private attributes, an alias, the model's
own weight) and computed in `call`. Checked against Keras: building (first call, `build`, `fit`),
weights order and paths, `.weights.h5` groups both ways, `summary()`, configs, `.keras` files
with `register_keras_serializable` both ways, `add_loss`/`losses` and 3 training steps with it.
"""

import os
import warnings

import h5py
import numpy as np
import pytest
import torch

import kerastorch

keras = pytest.importorskip("keras")


def _clear(lib):
    if lib is keras:
        keras.backend.clear_session(free_memory=False)
    else:
        kerastorch.utils.clear_session(False)


def _numpy(x, lib):
    return keras.ops.convert_to_numpy(x) if lib is keras else x.detach().cpu().numpy()


# --------------------------------------------------------------------------- the models, in both libraries
def wide_model(lib):
    """Layers in every place Keras tracks them: attribute, list, dict, nested list, private, alias."""
    layers = lib.layers

    class Wide(lib.Model):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.zeta = layers.Dense(4, activation="relu")
            self.blocks = [layers.Dense(3), layers.Dropout(0.5), layers.Dense(3, activation="tanh")]
            self.heads = {"b": layers.Dense(2), "a": layers.Dense(2)}
            self._private = layers.Dense(3)
            self.alias = self.zeta
            self.nested = [[layers.Dense(3)], layers.LayerNormalization()]
            self.scale = self.add_weight(shape=(2,), initializer="ones", name="scale")

        def call(self, inputs, training=None):
            x = self.zeta(inputs)
            for block in self.blocks:
                x = block(x, training=training)
            x = self.nested[1](self.nested[0][0](self._private(x)))
            return self.heads["a"](x) + self.heads["b"](x) * self.scale

    return Wide(name="wide")


def two_input_model(lib):
    """A call taking a list of two inputs (built from a list of shapes)."""
    layers = lib.layers

    class TwoInputs(lib.Model):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.left = layers.Dense(3)
            self.right = layers.Dense(3)
            self.out = layers.Dense(1)

        def call(self, inputs):
            return self.out(self.left(inputs[0]) * self.right(inputs[1]))

    return TwoInputs(name="two")


def dict_input_model(lib):
    layers = lib.layers

    class DictInputs(lib.Model):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.a = layers.Dense(2)
            self.b = layers.Dense(2)

        def call(self, inputs):
            return self.a(inputs["x"]) + self.b(inputs["y"])

    return DictInputs(name="dicts")


def nested_layers_model(lib):
    """A custom layer holding its sublayers in a list and a dict, used twice inside a model."""
    layers = lib.layers

    class Block(layers.Layer):
        def __init__(self, width, **kwargs):
            super().__init__(**kwargs)
            self.parts = [layers.Dense(width, activation="relu"), layers.Dense(width)]
            self.gates = {"scale": layers.Dense(width, activation="sigmoid")}

        def call(self, inputs):
            x = inputs
            for part in self.parts:
                x = part(x)
            return x * self.gates["scale"](inputs)

    class Blocks(lib.Model):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.first = Block(5)
            self.rest = [Block(5), Block(5)]
            self.head = layers.Dense(2)

        def call(self, inputs):
            x = self.first(inputs)
            for block in self.rest:
                x = block(x)
            return self.head(x)

    return Blocks(name="blocks")


def own_build_model(lib):
    """A subclass with its own build(): a weight of its own and a sublayer built there."""
    layers = lib.layers

    class OwnBuild(lib.Model):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.dense = layers.Dense(3)
            self.head = layers.Dense(2)

        def build(self, input_shape):
            self.gain = self.add_weight(shape=(input_shape[-1],), initializer="ones", name="gain")
            self.dense.build(input_shape)

        def call(self, inputs):
            return self.head(self.dense(inputs * self.gain))

    return OwnBuild(name="own")


def appended_model(lib):
    """Layers appended to lists made empty, a list mixing layers and values, a tuple, a replaced list."""
    layers = lib.layers

    class Appended(lib.Model):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.stages = []
            for width in (4, 3):
                self.stages.append(layers.Dense(width, activation="relu"))
            self.recipe = [("scale", 0.5), layers.Dense(3), None]
            self.pair = (layers.Dense(3), layers.Dense(3))
            self.dropped = [layers.Dense(7)]
            self.dropped = None          # its layer is no longer the model's
            self.seen = []               # plain values appended by call

        def build(self, input_shape):
            self.stages += [layers.Dense(2)]

        def call(self, inputs):
            x = inputs
            for stage in self.stages[:2]:
                x = stage(x)
            x = self.recipe[1](x) * self.recipe[0][1]
            x = self.pair[0](x) + self.pair[1](x)
            self.seen.append(len(self.seen))
            return self.stages[2](x)

    return Appended(name="appended")


def _inputs(name, n=4, seed=0):
    rng = np.random.RandomState(seed)
    if name in ("wide", "blocks", "own", "appended"):
        return rng.rand(n, 5).astype("float32")
    if name == "two":
        return [rng.rand(n, 5).astype("float32"), rng.rand(n, 4).astype("float32")]
    return {"x": rng.rand(n, 3).astype("float32"), "y": rng.rand(n, 6).astype("float32")}


def _shapes(name):
    return {"wide": (None, 5), "blocks": (None, 5), "own": (None, 5), "appended": (None, 5),
            "two": [(None, 5), (None, 4)],
            "dicts": {"x": (None, 3), "y": (None, 6)}}[name]


MODELS = {"wide": wide_model, "two": two_input_model, "dicts": dict_input_model, "blocks": nested_layers_model,
          "own": own_build_model, "appended": appended_model}


def _to_torch(x):
    if isinstance(x, dict):
        return {k: torch.as_tensor(v) for k, v in x.items()}
    if isinstance(x, list):
        return [torch.as_tensor(v) for v in x]
    return torch.as_tensor(x)


def _pair(name):
    """(Keras model, kerastorch model) built by a call, the kerastorch one holding Keras' weights."""
    _clear(keras)
    k = MODELS[name](keras)
    k(_inputs(name))
    _clear(kerastorch)
    m = MODELS[name](kerastorch)
    m(_to_torch(_inputs(name)))
    m.set_weights(k.get_weights())
    return k, m


# --------------------------------------------------------------------------- building
BUILD_WAYS = ["first call", "build(shapes)", "fit from the first batch"]


def _built(name, way):
    m = MODELS[name](kerastorch)
    assert not m.built and [w.path for w in m.weights] == (["wide/scale"] if name == "wide" else [])
    if way == "first call":
        m(_to_torch(_inputs(name)))
    elif way == "build(shapes)":
        m.build(_shapes(name))
    else:
        m.compile(optimizer="sgd", loss="mse")
        m.fit(_inputs(name, 8), np.zeros((8, 2 if name != "two" else 1), "float32"), batch_size=4,
              epochs=1, verbose=0)
    return m


@pytest.mark.parametrize("way", BUILD_WAYS)
@pytest.mark.parametrize("name", sorted(MODELS))
def test_every_way_of_building_creates_keras_weights(name, way):
    _clear(keras)
    k = MODELS[name](keras)
    if name in ("own", "appended") and way == "build(shapes)":
        k.build(_shapes(name))        # a build() of one's own is what build(shape) runs, in both
    else:
        k(_inputs(name))
    _clear(kerastorch)
    m = _built(name, way)
    assert m.built
    assert [w.path for w in m.weights] == [w.path for w in k.weights]
    assert [tuple(w.shape) for w in m.weights] == [tuple(w.shape) for w in k.weights]
    assert [w.path for w in m.trainable_weights] == [w.path for w in k.trainable_weights]
    assert [layer.name for layer in m.layers] == [layer.name for layer in k.layers]
    assert m.count_params() == k.count_params()
    # The optimizer fit made holds every trainable weight: nothing is left untrained.
    if way == "fit from the first batch":
        params = {id(p) for group in m.optimizer.param_groups for p in group["params"]} \
            if hasattr(m.optimizer, "param_groups") else {id(p) for p in m.optimizer._params}
        assert {id(p) for p in m.parameters() if p.requires_grad} <= params
        assert len(params) == len(k.trainable_weights)


@pytest.mark.parametrize("name", sorted(MODELS))
def test_predictions_with_keras_weights_match_keras(name):
    k, m = _pair(name)
    x = _inputs(name, n=6, seed=1)
    expected = _numpy(k(x, training=False), keras)
    with torch.no_grad():
        got = _numpy(m(_to_torch(x), training=False), kerastorch)
    np.testing.assert_allclose(got, expected, atol=1e-5)
    np.testing.assert_allclose(m.predict(x, verbose=0), expected, atol=1e-5)


class PicklableStack(kerastorch.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.stages = []
        self.stages.append(kerastorch.layers.Dense(3))

    def call(self, inputs):
        for stage in self.stages:
            inputs = stage(inputs)
        return inputs


def test_tracked_containers_stay_lists_and_survive_copies():
    import copy
    import pickle

    from kerastorch.layers.tracking import state_unlocked

    model = appended_model(kerastorch)
    model(torch.ones(2, 5))
    assert isinstance(model.stages, list) and isinstance(model.seen, list) and model.seen == [0]
    assert isinstance(model.pair, tuple) and model.dropped is None
    stack = PicklableStack()
    stack(torch.ones(2, 5))
    for original, clone in ((model, copy.deepcopy(model)), (stack, pickle.loads(pickle.dumps(stack)))):
        model = original
        assert [w.path for w in clone.weights] == [w.path for w in model.weights]
        # (Built, so locked as in Keras: opened for this check only.)
        with state_unlocked(clone):
            clone.stages.append(kerastorch.layers.Dense(1))      # still tracked after the copy
        clone.stages[-1].build((None, 2))
        assert len(clone.weights) == len(model.weights) + 2 and clone.stages[:-1] != model.stages
        clone.stages.pop()
        np.testing.assert_allclose(clone(torch.ones(2, 5)).detach().numpy(), model(torch.ones(2, 5)).detach().numpy())


def test_call_takes_extra_arguments_as_its_signature_says():
    class Shifted(kerastorch.Model):
        def __init__(self):
            super().__init__()
            self.dense = kerastorch.layers.Dense(2, kernel_initializer="ones")

        def call(self, inputs, shift, scale=1.0):
            return self.dense(inputs) * scale + shift

    model = Shifted()
    out = model(torch.ones(1, 3), torch.tensor([[1.0, 2.0]]), scale=2.0)
    np.testing.assert_allclose(out.detach().numpy(), [[7.0, 8.0]])   # 3 * 2 + shift


def test_explicit_training_reaches_sublayers_called_without_it():
    # Keras passes model(x, training=True) on to layers the call runs without `training`.
    class WithDropout(kerastorch.Model):
        def __init__(self):
            super().__init__()
            self.drop = kerastorch.layers.Dropout(0.5)

        def call(self, inputs, training=None):
            return self.drop(inputs)

    m = WithDropout()
    m.eval()
    x = torch.ones(64, 64)
    assert (m(x, training=True) == 0).any()      # dropout ran although the module is in eval mode
    assert torch.equal(m(x), x) and not m.training and not m.drop.training


def test_build_errors_name_the_shape_and_what_to_do():
    m = wide_model(kerastorch)
    with pytest.raises(ValueError, match=r"build\(\) needs the input shape, e.g. model.build\(\(None, 784\)\)"):
        m.build()
    with pytest.raises(ValueError, match=r"runs call\(\) on inputs of shape \(None, 5\).*call\(\) failed"):
        two_input_model(kerastorch).build((None, 5))     # call indexes inputs[1]: a list is needed
    with pytest.raises(ValueError, match=r"expects a shape such as \(None, 784\).*got 'five'"):
        m.build(["five"])


def _nested(lib, where):
    if where == "in a Functional model":
        inputs = lib.Input(shape=(5,))
        return lib.Model(inputs, lib.layers.Dense(3)(nested_layers_model(lib)(inputs)), name="outer")
    return lib.Sequential([lib.layers.Input(shape=(5,)), wide_model(lib), lib.layers.Dense(1)], name="outer")


@pytest.mark.parametrize("where", ["in a Functional model", "in a Sequential"])
def test_subclassed_model_nested_in_other_models_is_keras(where, tmp_path):
    x = _inputs("wide", n=3, seed=7)
    _clear(keras)
    k = _nested(keras, where)
    _clear(kerastorch)
    m = _nested(kerastorch, where)
    assert [w.path for w in m.weights] == [w.path for w in k.weights]
    m.set_weights(k.get_weights())
    expected = _numpy(k(x, training=False), keras)
    np.testing.assert_allclose(_numpy(m(torch.as_tensor(x), training=False), kerastorch), expected, atol=1e-5)
    m.save_weights(str(tmp_path / "ours.weights.h5"))
    k.save_weights(str(tmp_path / "keras.weights.h5"))
    assert _h5_layout(str(tmp_path / "ours.weights.h5")) == _h5_layout(str(tmp_path / "keras.weights.h5"))


# --------------------------------------------------------------------------- summary
def _summary(model):
    lines = []
    model.summary(print_fn=lambda text, line_break=None: lines.append(text), line_length=88)
    return "\n".join(lines)


@pytest.mark.parametrize("name", ["wide", "two", "dicts", "blocks", "own", "appended"])
def test_summary_before_building_is_keras(name):
    _clear(keras)
    k = MODELS[name](keras)
    _clear(kerastorch)
    m = MODELS[name](kerastorch)
    assert _summary(m) == _summary(k)


@pytest.mark.parametrize("name", sorted(MODELS))
def test_summary_once_built_has_keras_rows_and_totals(name):
    k, m = _pair(name)
    ours, theirs = _summary(m).splitlines(), _summary(k).splitlines()
    assert len(ours) == len(theirs)

    def without_shapes(lines):   # row text minus the output-shape column (Keras: the call's batch)
        return [line[:34] + line[59:] if line.startswith("│") else line for line in lines]

    assert without_shapes(ours) == without_shapes(theirs)


# --------------------------------------------------------------------------- weights files
def _h5_layout(path):
    out = {}

    def visit(name, obj):
        if name.startswith("optimizer"):
            return
        out[name] = tuple(obj.shape) if isinstance(obj, h5py.Dataset) else "group"

    with h5py.File(path, "r") as f:
        f.visititems(visit)
    return out


@pytest.mark.parametrize("name", sorted(MODELS))
def test_weights_h5_groups_are_keras_and_load_both_ways(name, tmp_path):
    k, m = _pair(name)
    ours, theirs = str(tmp_path / "ours.weights.h5"), str(tmp_path / "keras.weights.h5")
    m.save_weights(ours)
    k.save_weights(theirs)
    assert _h5_layout(ours) == _h5_layout(theirs)
    x = _inputs(name, n=3, seed=2)
    # Keras' file into a fresh kerastorch model of other weights, and ours into a fresh Keras one.
    _clear(kerastorch)
    m2 = MODELS[name](kerastorch)
    m2(_to_torch(x))
    m2.load_weights(theirs)
    _clear(keras)
    k2 = MODELS[name](keras)
    k2(x)
    k2.load_weights(ours)
    expected = _numpy(k(x, training=False), keras)
    np.testing.assert_allclose(m2.predict(x, verbose=0), expected, atol=1e-5)
    np.testing.assert_allclose(_numpy(k2(x, training=False), keras), expected, atol=1e-5)


# --------------------------------------------------------------------------- configs
def config_classes(lib):
    """One subclass per Keras config rule."""
    layers = lib.layers

    class Defaults(lib.Model):              # plain values, **kwargs: automatic config with the name
        def __init__(self, units=3, activation="relu", sizes=(2, 3), **kwargs):
            super().__init__(**kwargs)
            self.dense = layers.Dense(units, activation=activation)

        def call(self, x):
            return self.dense(x)

    class NoKwargs(lib.Model):              # automatic config without the name (it cannot go back)
        def __init__(self, units=2, flag=None, **options):
            super().__init__(**options)
            self.dense = layers.Dense(units)

        def call(self, x):
            return self.dense(x)

    class Explicit(lib.Model):              # its own get_config, the usual Keras recipe
        def __init__(self, units, **kwargs):
            super().__init__(**kwargs)
            self.units = units
            self.dense = layers.Dense(units)

        def call(self, x):
            return self.dense(x)

        def get_config(self):
            return {**super().get_config(), "units": self.units}

    class TakesLayer(lib.Model):            # a layer argument: not serializable
        def __init__(self, layer=None, **kwargs):
            super().__init__(**kwargs)
            self.inner = layer

        def call(self, x):
            return self.inner(x)

    class Variadic(lib.Model):              # *args: Keras' other message
        def __init__(self, *args, **kwargs):
            super().__init__(**kwargs)
            self.dense = layers.Dense(2)

        def call(self, x):
            return self.dense(x)

    return {"Defaults": (Defaults, {}), "NoKwargs": (NoKwargs, {}), "Explicit": (Explicit, {"units": 4}),
            "TakesLayer": (TakesLayer, {"layer": layers.Dense(2)}), "Variadic": (Variadic, None)}


def _make(classes, name):
    cls, kwargs = classes[name]
    return cls(1, 2) if kwargs is None else cls(**kwargs)


def _outcome(call):
    try:
        return "ok", call()
    except (NotImplementedError, TypeError) as e:
        return type(e).__name__, str(e)


@pytest.mark.parametrize("name", ["Defaults", "NoKwargs", "Explicit"])
def test_get_config_follows_keras_rules(name):
    _clear(keras)
    theirs = _outcome(lambda: _make(config_classes(keras), name).get_config())
    _clear(kerastorch)
    ours = _outcome(lambda: _make(config_classes(kerastorch), name).get_config())
    assert ours == theirs


@pytest.mark.parametrize("name", ["TakesLayer", "Variadic"])
def test_unserializable_arguments_raise_keras_message(name):
    # Keras' rule read from the arguments given, as Keras applies it to Layer subclasses (its
    # Model subclasses see only the defaults, so Keras 3.15.1 writes TakesLayer(layer=None)).
    class TakesLayer(keras.layers.Layer):
        def __init__(self, layer=None, **kwargs):
            super().__init__(**kwargs)

    class Variadic(keras.layers.Layer):
        def __init__(self, *args, **kwargs):
            super().__init__(**kwargs)

    _clear(keras)
    twins = {"TakesLayer": (TakesLayer, {"layer": keras.layers.Dense(2)}), "Variadic": (Variadic, None)}
    kind, message = _outcome(lambda: _make(twins, name).get_config())
    assert kind == "NotImplementedError"
    _clear(kerastorch)
    ours = _outcome(lambda: _make(config_classes(kerastorch), name).get_config())
    assert ours == (kind, message)


@pytest.mark.parametrize("name", ["Defaults", "Explicit"])
def test_from_config_rebuilds_the_model(name):
    classes = config_classes(kerastorch)
    model = _make(classes, name)
    clone = classes[name][0].from_config(model.get_config())
    assert type(clone) is classes[name][0] and clone.get_config() == model.get_config()
    x = torch.ones(2, 3)
    assert clone(x).shape == model(x).shape


def test_automatic_config_holds_the_arguments_given():
    # Deliberately not Keras 3.15.1, whose Model subclasses record the __init__ defaults
    # (Model.__new__ drops the arguments), so a Keras file of Defaults(units=7) rebuilds units=3.
    cls = config_classes(kerastorch)["Defaults"][0]
    model = cls(units=7, activation="tanh", name="seven")
    config = model.get_config()
    assert (config["units"], config["activation"], config["sizes"], config["name"]) == (7, "tanh", (2, 3), "seven")
    clone = cls.from_config(config)
    assert clone.dense.units == 7 and clone.name == "seven"


def test_from_config_that_does_not_fit_init_says_what_to_do():
    cls = config_classes(kerastorch)["NoKwargs"][0]
    with pytest.raises(TypeError, match=r"Unable to revive model from config.*from_config\(cls, config\)"):
        cls.from_config({"units": 2, "flag": None, "bogus": 1})


# --------------------------------------------------------------------------- .keras files
def registered_classes(lib):
    register = lib.saving.register_keras_serializable(package="SubclassTest")
    layers = lib.layers

    @register
    class Encoder(lib.Model):
        def __init__(self, units=4, depth=2, **kwargs):
            super().__init__(**kwargs)
            self.units, self.depth = units, depth
            self.stack = [layers.Dense(units, activation="relu") for _ in range(depth)]
            self.head = layers.Dense(1)

        def call(self, inputs):
            x = inputs
            for layer in self.stack:
                x = layer(x)
            return self.head(x)

        def get_config(self):
            return {**super().get_config(), "units": self.units, "depth": self.depth}

    return Encoder


def test_keras_files_load_both_ways(tmp_path):
    x = np.random.RandomState(3).rand(5, 6).astype("float32")
    _clear(keras)
    k = registered_classes(keras)(units=5, depth=3)
    k(x)
    _clear(kerastorch)
    m = registered_classes(kerastorch)(units=5, depth=3)
    m(torch.as_tensor(x))
    m.set_weights([w + 0.1 for w in k.get_weights()])     # two different models
    k_path, m_path = str(tmp_path / "keras.keras"), str(tmp_path / "ours.keras")
    k.save(k_path)
    m.save(m_path)
    from_keras = kerastorch.saving.load_model(k_path)
    from_ours = keras.saving.load_model(m_path)
    assert type(from_keras).__name__ == "Encoder" and from_keras.units == 5 and len(from_keras.stack) == 3
    np.testing.assert_allclose(from_keras.predict(x, verbose=0), _numpy(k(x), keras), atol=1e-5)
    np.testing.assert_allclose(_numpy(from_ours(x), keras), m.predict(x, verbose=0), atol=1e-5)


def _registered(lib, name):
    _clear(lib)
    model = MODELS[name](lib)
    lib.saving.register_keras_serializable(package="SubclassFiles")(type(model))
    return model


@pytest.mark.parametrize("name", sorted(MODELS))
def test_keras_files_of_every_model_load_both_ways(name, tmp_path):
    x = _inputs(name, n=3, seed=6)
    k = _registered(keras, name)
    k(x)
    m = _registered(kerastorch, name)
    m(_to_torch(x))
    m.set_weights([w * 0.5 for w in k.get_weights()])
    k.save(str(tmp_path / "keras.keras"))
    m.save(str(tmp_path / "ours.keras"))
    from_keras = kerastorch.saving.load_model(str(tmp_path / "keras.keras"))   # built from Keras' build_config
    np.testing.assert_allclose(from_keras.predict(x, verbose=0), _numpy(k(x, training=False), keras), atol=1e-5)
    if name in ("own", "appended"):
        # Keras 3.15.1 rebuilds a subclass with its own build() by that build only, so the layer its
        # call builds ('head') loads nothing, from its own files too; kerastorch runs call after build.
        return
    from_ours = keras.saving.load_model(str(tmp_path / "ours.keras"))
    np.testing.assert_allclose(_numpy(from_ours(x, training=False), keras), m.predict(x, verbose=0), atol=1e-5)


# --------------------------------------------------------------------------- add_loss and losses
def loss_classes(lib):
    layers, ops = lib.layers, lib.ops

    class Penalty(layers.Layer):
        def __init__(self, rate, **kwargs):
            super().__init__(**kwargs)
            self.rate = rate

        def call(self, inputs):
            self.add_loss(self.rate * ops.mean(ops.square(inputs)))
            return inputs

    class Block(layers.Layer):               # add_loss two levels down, and a regularized kernel
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.first = Penalty(0.1)
            self.dense = layers.Dense(3, kernel_regularizer=lib.regularizers.L2(0.01))
            self.second = Penalty(0.2)

        def call(self, inputs):
            return self.second(self.dense(self.first(inputs)))

    class WithLosses(lib.Model):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.block = Block()
            self.act = layers.Dense(3, activity_regularizer=lib.regularizers.L1(0.05))
            self.out = layers.Dense(1, kernel_regularizer="l1", bias_regularizer=lib.regularizers.L2(0.1))

        def call(self, inputs):
            x = self.act(self.block(inputs))
            self.add_loss(0.01 * ops.sum(ops.abs(x)))
            return self.out(x)

    return WithLosses


def _losses(model, lib):
    return [float(_numpy(v, lib)) for v in model.losses]


def _loss_pair():
    x = np.random.RandomState(4).rand(6, 4).astype("float32")
    _clear(keras)
    k = loss_classes(keras)()
    k(x)
    _clear(kerastorch)
    m = loss_classes(kerastorch)()
    m(torch.as_tensor(x))
    m.set_weights(k.get_weights())
    return k, m, x


def test_losses_after_a_call_are_keras_values_in_keras_order():
    k, m, x = _loss_pair()
    for batch in (x, x[:3] * 2.0):
        k(batch)
        m(torch.as_tensor(batch))
        np.testing.assert_allclose(_losses(m, kerastorch), _losses(k, keras), rtol=1e-5, atol=1e-7)
        np.testing.assert_allclose(_losses(m.block, kerastorch), _losses(k.block, keras), rtol=1e-5, atol=1e-7)
    # A sublayer called on its own clears only its own losses, as Keras' call context does.
    k.block.first(x[:2])
    m.block.first(torch.as_tensor(x[:2]))
    np.testing.assert_allclose(_losses(m, kerastorch), _losses(k, keras), rtol=1e-5, atol=1e-7)


def test_add_loss_refuses_what_is_not_a_tensor():
    class Bad(kerastorch.layers.Layer):
        def call(self, inputs):
            self.add_loss(0.5)
            return inputs

    with pytest.raises(ValueError, match=r"add_loss\(\) takes tensors computed inside build\(\) or call\(\), got float"):
        Bad()(torch.ones(1, 2))


def test_shape_tracing_adds_no_losses():
    model = loss_classes(kerastorch)()
    model.build((None, 4))                    # runs call on stand-in inputs
    assert len(model.losses) == 3             # the weight penalties only (block kernel, out kernel and bias)
    inputs = kerastorch.Input(shape=(4,))
    kerastorch.Model(inputs, model(inputs))   # a symbolic call
    assert len(model.losses) == 3


def _fit(lib, model, x, y):
    model.compile(optimizer=lib.optimizers.SGD(learning_rate=0.1), loss="mse", metrics=["mae"])
    # validation_data: evaluate's loss counts the losses added in call too, as Keras' does
    history = model.fit(x, y, batch_size=4, epochs=3, shuffle=False, verbose=0, validation_data=(x, y))
    return history.history, [np.asarray(w) for w in model.get_weights()]


def test_three_sgd_steps_with_add_loss_match_keras():
    k, m, x = _loss_pair()
    y = np.random.RandomState(5).rand(6, 1).astype("float32")
    x, y = x[:4], y[:4]                       # one batch per epoch: 3 steps
    k_hist, k_weights = _fit(keras, k, x, y)
    m_hist, m_weights = _fit(kerastorch, m, x, y)
    for a, b in zip(m_weights, k_weights):
        np.testing.assert_allclose(a, b, atol=1e-4)
    assert sorted(m_hist) == sorted(k_hist)
    for key in k_hist:
        np.testing.assert_allclose(m_hist[key], k_hist[key], rtol=1e-5, atol=1e-6)


def _only_added_loss(lib):
    class Unsupervised(lib.Model):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.dense = lib.layers.Dense(2)

        def call(self, inputs):
            outputs = self.dense(inputs)
            self.add_loss(lib.ops.mean(lib.ops.square(outputs - 1.0)))
            return outputs

    return Unsupervised()


def test_fit_without_a_compiled_loss_minimizes_the_added_losses():
    x = np.random.RandomState(8).rand(8, 3).astype("float32")
    _clear(keras)
    k = _only_added_loss(keras)
    k(x[:1])
    _clear(kerastorch)
    m = _only_added_loss(kerastorch)
    m(torch.as_tensor(x[:1]))
    m.set_weights(k.get_weights())
    histories = []
    for lib, model in ((keras, k), (kerastorch, m)):
        model.compile(optimizer=lib.optimizers.SGD(learning_rate=0.1))    # no loss: add_loss only
        histories.append(model.fit(x, batch_size=4, epochs=2, shuffle=False, verbose=0).history)
    assert sorted(histories[1]) == sorted(histories[0]) == ["loss"]
    np.testing.assert_allclose(histories[1]["loss"], histories[0]["loss"], rtol=1e-5)
    for a, b in zip(m.get_weights(), k.get_weights()):
        np.testing.assert_allclose(a, b, atol=1e-5)


# --------------------------------------------------------------------------- no trainable weights
def _one_dense(lib, freeze):
    layers = lib.layers

    class OneDense(lib.Model):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.dense = layers.Dense(1)

        def call(self, x):
            return self.dense(x)

    model = OneDense()
    model.trainable = not freeze
    model.compile(optimizer="sgd", loss="mse")
    return model


def _fit_warnings(model):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.fit(np.ones((4, 3), "float32"), np.ones((4, 1), "float32"), batch_size=2, epochs=1, verbose=0)
    return [str(w.message) for w in caught if "trainable weights" in str(w.message)]


def test_model_without_trainable_weights_warns_with_keras_text():
    keras_messages = _fit_warnings(_one_dense(keras, freeze=True))
    ours = _fit_warnings(_one_dense(kerastorch, freeze=True))
    assert keras_messages and set(keras_messages) == {"The model does not have any trainable weights."}
    assert ours and all(message.startswith(keras_messages[0]) for message in ours)


def test_subclass_built_by_fit_does_not_warn_of_missing_weights():
    model = _one_dense(kerastorch, freeze=False)
    assert not model.built
    assert _fit_warnings(model) == []
    assert model.built and len(model.trainable_weights) == 2
