"""Functional models trained, evaluated, saved and cloned as real Keras 3 does it.

Each case of `CASES` is one builder, `build(lib)`, run with `lib = keras` and with
`lib = kerastorch`, so the same code makes both models: a residual CNN (Conv2D +
BatchNormalization + `Add`), a two-input / two-output model (a dict of inputs, a dict of
losses with `loss_weights`, per-output metrics), a siamese model (a shared Embedding + LSTM),
a Functional model holding a `Sequential`, and a `Sequential` holding a Functional model.
The kerastorch model gets Keras' weights (`get_weights`/`set_weights`, Keras' order); then
predictions, three training steps with SGD and with Adam (weights, History keys and values),
`evaluate`, `.keras` and `.weights.h5` files both ways, configs and JSON, and `clone_model`
are compared with Keras'.
"""

import json
import zipfile

import numpy as np
import pytest
import torch

import kerastorch

keras = pytest.importorskip("keras")


# --------------------------------------------------------------------------- the models, written once
def residual_cnn(lib):
    """Conv2D + BatchNormalization twice, with a skip connection joined by `Add`."""
    layers = lib.layers
    image = lib.Input(shape=(8, 8, 3), name="image")
    # No bias before a BatchNormalization: its gradient is zero but for rounding, which Adam would amplify.
    stem = layers.Conv2D(4, 3, padding="same", use_bias=False, name="stem")(image)
    x = layers.BatchNormalization(name="bn_1")(stem)
    x = layers.Activation("relu", name="relu_1")(x)
    x = layers.Conv2D(4, 3, padding="same", use_bias=False, name="conv_2")(x)
    x = layers.BatchNormalization(name="bn_2")(x)
    x = layers.Add(name="residual")([x, stem])
    x = layers.GlobalAveragePooling2D(name="pool")(x)
    return lib.Model(image, layers.Dense(3, activation="softmax", name="classes")(x), name="residual_cnn")


def two_in_two_out(lib):
    """Two named inputs (a dict), two named outputs (a dict): a regression and a classification."""
    layers = lib.layers
    title = lib.Input(shape=(5,), name="title")
    tags = lib.Input(shape=(3,), name="tags")
    hidden = layers.Dense(4, activation="relu", name="title_dense")(title)
    joined = layers.Concatenate(name="join")([hidden, tags])
    priority = layers.Dense(1, name="priority")(joined)
    department = layers.Dense(3, activation="softmax", name="department")(joined)
    return lib.Model({"title": title, "tags": tags}, {"priority": priority, "department": department},
                     name="two_in_two_out")


def siamese(lib):
    """Two token sequences through one shared Embedding + LSTM; a score of their distance."""
    layers = lib.layers
    left = lib.Input(shape=(4,), dtype="int32", name="left")
    right = lib.Input(shape=(4,), dtype="int32", name="right")
    embed = layers.Embedding(20, 4, mask_zero=True, name="embed")
    encode = layers.LSTM(5, name="encode")
    difference = layers.Subtract(name="difference")([encode(embed(left)), encode(embed(right))])
    score = layers.Dense(1, activation="sigmoid", name="same")(lib.ops.abs(difference))
    return lib.Model([left, right], score, name="siamese")


def functional_with_sequential(lib):
    """A Functional model calling a nested `Sequential`, with a skip connection around it."""
    layers = lib.layers
    features = lib.Input(shape=(4,), name="features")
    head = lib.Sequential([layers.Dense(6, activation="tanh", name="head_hidden"),
                           layers.Dense(4, name="head_out")], name="head")
    x = layers.Dense(4, activation="relu", name="encode")(features)
    x = layers.Add(name="skip")([head(x), x])
    return lib.Model(features, layers.Dense(2, name="out")(x), name="functional_with_sequential")


def sequential_with_functional(lib):
    """A `Sequential` whose middle layer is a Functional model (a residual block)."""
    layers = lib.layers
    block_in = lib.Input(shape=(4,), name="block_in")
    block_out = layers.Add(name="block_add")([layers.Dense(4, activation="relu", name="block_dense")(block_in),
                                              block_in])
    block = lib.Model(block_in, block_out, name="block")
    return lib.Sequential([lib.Input(shape=(4,), name="seq_in"), layers.Dense(4, name="pre"), block,
                           layers.Dense(2, name="post")], name="sequential_with_functional")


def _data(case, seed=0):
    rng = np.random.default_rng(seed)
    if case == "residual_cnn":
        return rng.random((12, 8, 8, 3)).astype("float32"), np.eye(3, dtype="float32")[np.arange(12) % 3]
    if case == "two_in_two_out":
        x = {"title": rng.normal(size=(12, 5)).astype("float32"), "tags": rng.random((12, 3)).astype("float32")}
        y = {"priority": rng.normal(size=(12, 1)).astype("float32"),
             "department": np.eye(3, dtype="float32")[rng.integers(0, 3, 12)]}
        return x, y
    if case == "siamese":
        ids = rng.integers(1, 20, (2, 12, 4)).astype("int32")
        ids[0, ::2, 3:] = 0                  # right padding, masked by the Embedding
        ids[1, 1::3, 2:] = 0
        return [ids[0], ids[1]], (np.arange(12) % 2).astype("float32").reshape(12, 1)
    return rng.normal(size=(12, 4)).astype("float32"), rng.normal(size=(12, 2)).astype("float32")


# What each case is compiled with: Keras' names, the same for both libraries.
CASES = {
    "residual_cnn": dict(build=residual_cnn, loss="categorical_crossentropy", metrics=["accuracy"]),
    "two_in_two_out": dict(build=two_in_two_out,
                           loss={"priority": "mse", "department": "categorical_crossentropy"},
                           loss_weights={"priority": 1.0, "department": 0.5},
                           metrics={"priority": ["mae"], "department": ["accuracy"]}),
    "siamese": dict(build=siamese, loss="binary_crossentropy", metrics=["accuracy"]),
    "functional_with_sequential": dict(build=functional_with_sequential, loss="mse", metrics=["mae"]),
    "sequential_with_functional": dict(build=sequential_with_functional, loss="mse", metrics=["mae"]),
}
# Sequential.get_config (kerastorch/models/sequential.py) writes every layer as
# {"module": "keras.layers", "registered_name": None}; Keras writes a nested Functional model as
# {"module": "keras.src.models.functional", "registered_name": "Functional"}, and cannot load
# ours ("Could not deserialize 'keras.layers.Functional'"). Its .keras file is written right.
def _config_cases():
    return sorted(CASES)
OPTIMIZERS = {"sgd": lambda lib: lib.optimizers.SGD(learning_rate=0.1),
              "adam": lambda lib: lib.optimizers.Adam(learning_rate=0.01)}


def _fresh(lib):
    if lib is keras:
        keras.backend.clear_session(free_memory=False)
    else:
        kerastorch.utils.clear_session(free_memory=False)


def _random_weights(model, seed):
    """Random weights for `model`, positive where they are variances (BatchNormalization)."""
    rng = np.random.default_rng(seed)
    out = []
    for w in model.weights:
        value = rng.normal(scale=0.5, size=tuple(w.shape)).astype("float32")
        out.append(np.abs(value) + 0.5 if "variance" in w.path else value)
    return out


def _pair(case, seed=1):
    """The Keras model (random weights) and the kerastorch model holding the same weights."""
    _fresh(keras)
    kmodel = CASES[case]["build"](keras)
    kmodel.set_weights(_random_weights(kmodel, seed))
    _fresh(kerastorch)
    tmodel = CASES[case]["build"](kerastorch)
    tmodel.set_weights(kmodel.get_weights())
    return kmodel, tmodel


def _numpy(value):
    if isinstance(value, dict):
        return {k: _numpy(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_numpy(v) for v in value]
    if isinstance(value, torch.Tensor):
        return value.detach().cpu().numpy()
    return np.asarray(value)


def _call(model, x):
    """`model(x, training=False)` as numpy (no trainer involved), for either library."""
    if isinstance(model, torch.nn.Module) and not isinstance(model, keras.Model):
        x = {k: torch.as_tensor(v) for k, v in x.items()} if isinstance(x, dict) else \
            [torch.as_tensor(v) for v in x] if isinstance(x, list) else torch.as_tensor(x)
        with torch.no_grad():
            return _numpy(model(x, training=False))
    return _numpy(model(x, training=False))


def _assert_close(expected, got, atol, what):
    if isinstance(expected, dict):
        assert isinstance(got, dict) and sorted(got) == sorted(expected), f"{what}: {got!r:.200}"
        for key in expected:
            _assert_close(expected[key], got[key], atol, f"{what}[{key!r}]")
    elif isinstance(expected, list):
        assert isinstance(got, list) and len(got) == len(expected), f"{what}: {got!r:.200}"
        for i, (e, g) in enumerate(zip(expected, got)):
            _assert_close(e, g, atol, f"{what}[{i}]")
    else:
        np.testing.assert_allclose(np.asarray(got), np.asarray(expected), rtol=1e-5, atol=atol, err_msg=what)


# --------------------------------------------------------------------------- predict
@pytest.mark.parametrize("case", sorted(CASES))
def test_predict_with_keras_weights_equals_keras(case):
    kmodel, tmodel = _pair(case)
    x, _ = _data(case)
    expected = _numpy(kmodel.predict(x, batch_size=5, verbose=0))
    _assert_close(expected, _numpy(tmodel.predict(x, batch_size=5, verbose=0)), 1e-5, f"{case}: predict")
    _assert_close(expected, _call(tmodel, x), 1e-5, f"{case}: model(x)")


# --------------------------------------------------------------------------- three training steps
def _compile(model, lib, case, optimizer):
    spec = CASES[case]
    model.compile(optimizer=OPTIMIZERS[optimizer](lib), loss=spec["loss"], metrics=spec["metrics"],
                  loss_weights=spec.get("loss_weights"))


@pytest.mark.parametrize("optimizer", sorted(OPTIMIZERS))
@pytest.mark.parametrize("case", sorted(CASES))
def test_three_training_steps_evaluate_and_predict_equal_keras(case, optimizer):
    kmodel, tmodel = _pair(case, seed=4)
    x, y = _data(case, seed=2)
    results = {}
    for lib, model in ((keras, kmodel), (kerastorch, tmodel)):
        _compile(model, lib, case, optimizer)
        history = model.fit(x, y, batch_size=4, epochs=1, shuffle=False, verbose=0).history
        results[lib] = dict(history=history, weights=model.get_weights(),
                            evaluate=model.evaluate(x, y, batch_size=5, verbose=0),
                            evaluate_dict=model.evaluate(x, y, batch_size=5, verbose=0, return_dict=True),
                            predict=_numpy(model.predict(x, batch_size=5, verbose=0)))
    ours, theirs = results[kerastorch], results[keras]
    assert sorted(ours["history"]) == sorted(theirs["history"]), case
    for key, values in theirs["history"].items():
        np.testing.assert_allclose(ours["history"][key], values, rtol=1e-5, atol=1e-6, err_msg=f"{case}: {key}")
    assert len(ours["weights"]) == len(theirs["weights"])
    for i, (w_ours, w_keras) in enumerate(zip(ours["weights"], theirs["weights"])):
        np.testing.assert_allclose(w_ours, w_keras, atol=1e-4, err_msg=f"{case}: weight {i}")
    assert list(ours["evaluate_dict"]) == list(theirs["evaluate_dict"]), case
    _assert_close(theirs["evaluate_dict"], ours["evaluate_dict"], 1e-5, f"{case}: evaluate(return_dict=True)")
    assert isinstance(ours["evaluate"], list) == isinstance(theirs["evaluate"], list), case
    np.testing.assert_allclose(ours["evaluate"], theirs["evaluate"], rtol=1e-5, atol=1e-5,
                               err_msg=f"{case}: evaluate()")
    _assert_close(theirs["predict"], ours["predict"], 1e-5, f"{case}: predict after training")


def test_a_final_softmax_or_sigmoid_gives_the_trainer_its_logits_and_only_then():
    for case, activation in (("residual_cnn", torch.softmax), ("siamese", torch.sigmoid)):
        kmodel, tmodel = _pair(case)
        x, _ = _data(case)
        tx = [torch.as_tensor(v) for v in x] if isinstance(x, list) else torch.as_tensor(x)
        with torch.no_grad():
            logits = tmodel(tx, training=False, return_logits=True)
        probabilities = activation(logits, -1) if activation is torch.softmax else activation(logits)
        np.testing.assert_allclose(probabilities.numpy(), _call(kmodel, x), atol=1e-5, err_msg=case)
    # The softmax layer's output also feeds another layer, or the model has several outputs: no logits.
    layers = kerastorch.layers
    x = kerastorch.Input(shape=(3,))
    probs = layers.Dense(2, activation="softmax")(x)
    for outputs in (layers.Dense(1)(probs) + probs[:, :1], [probs, layers.Dense(1)(x)]):
        model = kerastorch.Model(x, outputs)
        assert model._final_activation() is None
        with pytest.raises(ValueError, match="does not end in a softmax or sigmoid layer"):
            model(torch.ones(1, 3), return_logits=True)


# --------------------------------------------------------------------------- files both ways
@pytest.mark.parametrize("case", sorted(CASES))
def test_keras_and_weights_files_load_both_ways_before_and_after_training(case, tmp_path):
    """`.keras` and `.weights.h5` files in the other library; then a trained model's `.keras` file
    (compile config, optimizer state) in the other library trains on as the original does."""
    kmodel, tmodel = _pair(case, seed=4)
    x, y = _data(case, seed=2)
    expected = _call(kmodel, x)
    kmodel.save(tmp_path / "keras_0.keras")
    kmodel.save_weights(tmp_path / "keras.weights.h5")
    tmodel.save(tmp_path / "ours_0.keras")
    tmodel.save_weights(tmp_path / "ours.weights.h5")
    loaded = kerastorch.models.load_model(tmp_path / "keras_0.keras")
    assert type(loaded).__name__ == type(kmodel).__name__
    _assert_close(expected, _call(loaded, x), 1e-5, f"{case}: Keras .keras -> kerastorch")
    _assert_close(expected, _call(keras.models.load_model(tmp_path / "ours_0.keras"), x), 1e-5,
                  f"{case}: kerastorch .keras -> Keras")
    _fresh(kerastorch)
    fresh = CASES[case]["build"](kerastorch)
    fresh.load_weights(tmp_path / "keras.weights.h5")
    _assert_close(expected, _call(fresh, x), 1e-5, f"{case}: Keras .weights.h5 -> kerastorch")
    _fresh(keras)
    kfresh = CASES[case]["build"](keras)
    kfresh.load_weights(tmp_path / "ours.weights.h5")
    _assert_close(expected, _call(kfresh, x), 1e-5, f"{case}: kerastorch .weights.h5 -> Keras")

    for lib, model in ((keras, kmodel), (kerastorch, tmodel)):
        _compile(model, lib, case, "adam")
        model.fit(x, y, batch_size=4, shuffle=False, verbose=0)
    kmodel.save(tmp_path / "keras.keras")
    tmodel.save(tmp_path / "ours.keras")
    ours = kerastorch.models.load_model(tmp_path / "keras.keras")
    theirs = keras.models.load_model(tmp_path / "ours.keras")
    def compile_config(path):
        with zipfile.ZipFile(path) as archive:
            return json.loads(archive.read("config.json"))["compile_config"]
    assert compile_config(tmp_path / "ours.keras") == compile_config(tmp_path / "keras.keras"), case
    ours.save(tmp_path / "again.keras")                 # what was read is written back the same
    assert compile_config(tmp_path / "again.keras") == compile_config(tmp_path / "keras.keras"), case
    expected = kmodel.evaluate(x, y, batch_size=6, verbose=0, return_dict=True)
    for what, model in (("Keras file -> kerastorch", ours), ("our file -> Keras", theirs)):
        _assert_close(expected, model.evaluate(x, y, batch_size=6, verbose=0, return_dict=True), 1e-5,
                      f"{case}: {what}: evaluate")
    # The optimizer state came along: one more epoch gives Keras' losses and weights.
    histories = [m.fit(x, y, batch_size=4, shuffle=False, verbose=0).history for m in (kmodel, ours, theirs)]
    for what, history in zip(("Keras file -> kerastorch", "our file -> Keras"), histories[1:]):
        _assert_close({k: np.asarray(v) for k, v in histories[0].items()},
                      {k: np.asarray(v) for k, v in history.items()}, 1e-5, f"{case}: {what}: fit")
    for w_ours, w_keras in zip(ours.get_weights(), kmodel.get_weights()):
        np.testing.assert_allclose(w_ours, w_keras, atol=1e-4, err_msg=case)


# --------------------------------------------------------------------------- configs, JSON, clone_model
def _comparable(config):
    """A model config without what Keras adds that carries no graph information.

    Dropped: each layer's `build_config` and `compile_config`, a `quantization_config` of `None`,
    and node kwargs that are Keras' call defaults (`mask=None`, `training=False`).
    """
    config = json.loads(json.dumps(config))
    inner = config.get("config", config)
    for layer in inner.get("layers", []):
        layer.pop("build_config", None)
        layer.pop("compile_config", None)
        layer_config = layer.get("config", {})
        if "quantization_config" in layer_config and layer_config["quantization_config"] is None:
            layer_config.pop("quantization_config")
        if "layers" in layer_config:
            layer["config"] = _comparable(layer_config)
        for node in layer.get("inbound_nodes", []):
            node["kwargs"] = {k: v for k, v in node["kwargs"].items()
                              if not (k == "mask" and v is None) and not (k == "training" and v is False)}
    inner.pop("build_input_shape", None)
    return config


def _assert_same_graph(theirs, ours, what):
    """Configs equal, with the graph keys compared first for a readable failure."""
    theirs, ours = _comparable(theirs), _comparable(ours)
    for key in ("input_layers", "output_layers"):
        assert ours.get(key) == theirs.get(key), f"{what}: {key}"
    def name(layer):                        # Sequential configs name a layer inside its config only
        return layer.get("name", layer["config"].get("name"))
    their_layers = {name(layer): layer for layer in theirs["layers"]}
    assert [name(layer) for layer in ours["layers"]] == list(their_layers), f"{what}: layer order"
    for layer in ours["layers"]:
        assert layer.get("inbound_nodes") == their_layers[name(layer)].get("inbound_nodes"), \
            f"{what}: inbound_nodes of {name(layer)!r}"
        assert layer == their_layers[name(layer)], f"{what}: layer {name(layer)!r}"
    assert ours == theirs, what


@pytest.mark.parametrize("case", _config_cases())
def test_configs_and_json_equal_keras(case):
    kmodel, tmodel = _pair(case, seed=5)
    _assert_same_graph(kmodel.get_config(), tmodel.get_config(), f"{case}: get_config")
    kjson, tjson = json.loads(kmodel.to_json()), json.loads(tmodel.to_json())
    assert tjson["class_name"] == kjson["class_name"], case
    _assert_same_graph(kjson["config"], tjson["config"], f"{case}: to_json")


@pytest.mark.parametrize("case", sorted(CASES))
def test_keras_configs_and_json_load_here(case):
    kmodel, _ = _pair(case, seed=5)
    x, _ = _data(case)
    expected = _call(kmodel, x)
    cls = kerastorch.Sequential if isinstance(kmodel, keras.Sequential) else kerastorch.Model
    ours = cls.from_config(json.loads(json.dumps(kmodel.get_config())))
    ours.set_weights(kmodel.get_weights())
    _assert_close(expected, _call(ours, x), 1e-5, f"{case}: Keras config -> from_config")
    from_json = kerastorch.models.model_from_json(kmodel.to_json())
    assert type(from_json).__name__ == type(kmodel).__name__
    from_json.set_weights(kmodel.get_weights())
    _assert_close(expected, _call(from_json, x), 1e-5, f"{case}: Keras JSON -> kerastorch")


@pytest.mark.parametrize("case", _config_cases())
def test_our_configs_and_json_load_in_keras(case):
    kmodel, tmodel = _pair(case, seed=5)
    x, _ = _data(case)
    expected = _call(kmodel, x)
    theirs = type(kmodel).from_config(json.loads(json.dumps(tmodel.get_config())))
    theirs.set_weights(tmodel.get_weights())
    _assert_close(expected, _call(theirs, x), 1e-5, f"{case}: our config -> Keras")
    kfrom_json = keras.models.model_from_json(tmodel.to_json())
    kfrom_json.set_weights(tmodel.get_weights())
    _assert_close(expected, _call(kfrom_json, x), 1e-5, f"{case}: our JSON -> Keras")


def _renaming(lib):
    """A clone_function: each Dense is rebuilt from its config under a new name; others are copied."""
    def clone(layer):
        config = layer.get_config()
        if isinstance(layer, lib.layers.Dense):
            config["name"] = "cloned_" + config["name"]
        return type(layer).from_config(config)
    return clone


def _new_inputs(lib, model):
    """New Input tensors for `model` (its Inputs' shapes and dtypes, new names), in its input structure."""
    def new(x):
        return lib.Input(batch_shape=x.shape, dtype=x.dtype, name=f"new_{x.name}")
    if isinstance(model, lib.Sequential):            # Keras' Sequential has no `input` before a call
        return new(model.inputs[0])
    if isinstance(model.input, dict):
        return {key: new(x) for key, x in model.input.items()}
    return [new(x) for x in model.input] if isinstance(model.input, list) else new(model.input)


def _clones(case):
    """`(how, Keras clone, kerastorch clone)` for clone_model plain, with clone_function, with input_tensors."""
    kmodel, tmodel = _pair(case, seed=6)
    out = []
    for how in ("plain", "clone_function", "input_tensors"):
        clones = []
        for lib, model in ((keras, kmodel), (kerastorch, tmodel)):
            kwargs = {}
            if how == "clone_function":
                kwargs["clone_function"] = _renaming(lib)
            elif how == "input_tensors":
                kwargs["input_tensors"] = _new_inputs(lib, model)
            clones.append(lib.models.clone_model(model, **kwargs))
        out.append((how, *clones))
    return kmodel, tmodel, out


@pytest.mark.parametrize("case", _config_cases())
def test_clone_model_with_clone_function_and_input_tensors_configs_equal_keras(case):
    _, _, clones = _clones(case)
    for how, kclone, tclone in clones:
        _assert_same_graph(kclone.get_config(), tclone.get_config(), f"{case}: clone_model ({how})")


@pytest.mark.parametrize("case", sorted(CASES))
def test_clone_model_makes_new_layers_that_compute_the_same(case):
    kmodel, tmodel, clones = _clones(case)
    x, _ = _data(case)
    expected = _call(kmodel, x)
    for how, kclone, tclone in clones:
        assert [layer.name for layer in tclone.layers] == [layer.name for layer in kclone.layers], how
        assert {id(layer) for layer in tclone.layers}.isdisjoint({id(layer) for layer in tmodel.layers}), how
        tclone.set_weights(kmodel.get_weights())
        _assert_close(expected, _call(tclone, x), 1e-5, f"{case}: clone ({how}) predicts")
