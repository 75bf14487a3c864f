"""`registered_name` of user-defined classes in `.keras` files, against real Keras 3.

Keras writes a class registered with `register_keras_serializable` as `"package>Name"` and any
other user class as its `__name__` (the key `custom_objects` finds it by). The table below builds
the same code in both libraries; each file must load in the other library and predict the same,
and every `registered_name` of the two configs must agree.
"""

import json
import zipfile

import numpy as np
import pytest

import kerastorch

keras = pytest.importorskip("keras", reason="real Keras 3 is not installed (pip install -e '.[dev]')")


def _custom_classes(lib, register):
    """The user classes of the table, defined on `lib`; `register` decorates the registered one."""
    layers = lib.layers

    class RnScale(layers.Layer):                   # never registered
        def __init__(self, factor=2.0, **kwargs):
            super().__init__(**kwargs)
            self.factor = factor

        def call(self, inputs):
            return inputs * self.factor

        def get_config(self):
            return {**super().get_config(), "factor": self.factor}

    @register
    class RnShift(layers.Layer):                   # registered as "KtRegName>RnShift"
        def __init__(self, offset=1.0, **kwargs):
            super().__init__(**kwargs)
            self.offset = offset

        def call(self, inputs):
            return inputs + self.offset

        def get_config(self):
            return {**super().get_config(), "offset": self.offset}

    class RnNet(lib.Model):                        # a custom Model subclass with get_config, unregistered
        def __init__(self, units=3, **kwargs):
            super().__init__(**kwargs)
            self.units = units
            self.dense = layers.Dense(units)
            self.scale = RnScale(0.5)

        def call(self, inputs):
            return self.scale(self.dense(inputs))

        def get_config(self):
            return {**super().get_config(), "units": self.units}

    return {"RnScale": RnScale, "RnShift": RnShift, "RnNet": RnNet}


def _sequential(lib, c):
    return lib.Sequential([lib.layers.Input((4,)), lib.layers.Dense(3), c["RnScale"](3.0)])


def _functional(lib, c):
    inputs = lib.layers.Input((4,))
    hidden = c["RnScale"](0.5)(lib.layers.Dense(3)(inputs))
    return lib.Model(inputs, lib.layers.Dense(2)(hidden))


def _registered(lib, c):
    return lib.Sequential([lib.layers.Input((4,)), lib.layers.Dense(3), c["RnShift"](2.0), c["RnScale"](1.5)])


def _subclass(lib, c):
    return c["RnNet"](units=3)


CASES = {"sequential_unregistered": _sequential, "functional_unregistered": _functional,
         "sequential_registered": _registered, "model_subclass": _subclass}

# What `custom_objects` passes: the unregistered classes (the registered one is found by its name).
UNREGISTERED = ("RnScale", "RnNet")


@pytest.fixture(scope="module")
def classes():
    return {lib: _custom_classes(lib, lib.saving.register_keras_serializable(package="KtRegName"))
            for lib in (keras, kerastorch)}


def _registered_names(config):
    """Every `(class_name, registered_name)` of a config, outermost first (layers, models, ops)."""
    out, stack = [], [config]
    while stack:
        item = stack.pop(0)
        if isinstance(item, dict):
            if "class_name" in item and "registered_name" in item:
                out.append((item["class_name"], item["registered_name"]))
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return out


def _config_of(path):
    with zipfile.ZipFile(path) as zf:
        return json.loads(zf.read("config.json"))


def _numpy(value):
    return value.detach().cpu().numpy() if hasattr(value, "detach") else np.asarray(value)


def test_register_name_rule_is_keras_rule(classes):
    # The rule itself, read off Keras' serialize_keras_object for single layers.
    for name in ("RnScale", "RnShift"):
        want = keras.saving.serialize_keras_object(classes[keras][name]())["registered_name"]
        got = kerastorch.saving.serialize_keras_object(classes[kerastorch][name]())["registered_name"]
        assert got == want, name
    assert kerastorch.saving.serialize_keras_object(kerastorch.layers.Dense(2))["registered_name"] is None


@pytest.mark.parametrize("case", sorted(CASES))
def test_custom_classes_in_keras_files_both_ways(classes, case, tmp_path):
    x = np.random.default_rng(1).standard_normal((5, 4)).astype("float32")
    kt_classes, k_classes = classes[kerastorch], classes[keras]
    keras.utils.clear_session()
    k = CASES[case](keras, k_classes)
    k(x)
    kerastorch.utils.clear_session(free_memory=False)
    m = CASES[case](kerastorch, kt_classes)
    m(x)
    m.set_weights([np.asarray(w) * 0.5 + 0.1 for w in k.get_weights()])      # two different models
    k.save(tmp_path / "k.keras")
    m.save(tmp_path / "t.keras")

    # The registered names kerastorch writes are Keras' (for the same model code).
    assert _registered_names(_config_of(tmp_path / "t.keras")) == _registered_names(_config_of(tmp_path / "k.keras"))

    # kerastorch's file loads in Keras with Keras' own classes, and predicts as kerastorch did.
    from_ours = keras.saving.load_model(tmp_path / "t.keras",
                                        custom_objects={n: k_classes[n] for n in UNREGISTERED})
    np.testing.assert_allclose(_numpy(from_ours(x)), m.predict(x, verbose=0), atol=1e-5)
    # Keras' file loads here with kerastorch's classes.
    from_keras = kerastorch.saving.load_model(tmp_path / "k.keras",
                                              custom_objects={n: kt_classes[n] for n in UNREGISTERED})
    np.testing.assert_allclose(from_keras.predict(x, verbose=0), _numpy(k(x)), atol=1e-5)


def test_files_without_registered_name_still_load(classes, tmp_path):
    # Files written before the fix name an unregistered class by class_name only
    # ("registered_name": None): loading finds it in custom_objects by that name.
    scale = classes[kerastorch]["RnScale"]
    model = _sequential(kerastorch, classes[kerastorch])
    config = kerastorch.saving.serialize_keras_object(model)
    entry = next(c for c in config["config"]["layers"] if c["class_name"] == "RnScale")
    assert entry["registered_name"] == "RnScale"
    entry["registered_name"] = None
    clone = kerastorch.saving.deserialize_keras_object(config, custom_objects={"RnScale": scale})
    assert type(clone.layers[-1]) is scale and clone.layers[-1].factor == 3.0
    with pytest.raises(ValueError, match="RnScale"):
        kerastorch.saving.deserialize_keras_object(config)
