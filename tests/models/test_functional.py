"""The Functional API against real Keras 3: the same model code, built in both libraries.

For each model of `functional_models.py` (a residual CNN, a siamese Embedding + LSTM with masks,
nested Sequential and Functional models, ops and operators): predictions with the same weights,
`summary()` text, layers and weights, the config (and each library loading the other's), and
`.keras` / `.weights.h5` files both ways.
"""

import json
import re

import numpy as np
import pytest
import torch

import kerastorch

from .functional_models import BUILDERS, random_weights

keras = pytest.importorskip("keras")


def _numpy(out, lib):
    if isinstance(out, dict):
        return {k: _numpy(v, lib) for k, v in out.items()}
    if isinstance(out, (list, tuple)):
        return [_numpy(v, lib) for v in out]
    return lib.ops.convert_to_numpy(out) if lib is keras else out.detach().cpu().numpy()


def _call(model, x, lib):
    if lib is kerastorch:
        x = [torch.as_tensor(v) for v in x] if isinstance(x, list) else torch.as_tensor(x)
        with torch.no_grad():
            return _numpy(model(x, training=False), lib)
    return _numpy(model(x, training=False), lib)


def _assert_close(a, b, atol=1e-5, what=""):
    if isinstance(a, dict):
        assert sorted(a) == sorted(b), what
        for k in a:
            _assert_close(a[k], b[k], atol, f"{what}[{k}]")
    elif isinstance(a, list):
        assert len(a) == len(b), what
        for i, (p, q) in enumerate(zip(a, b)):
            _assert_close(p, q, atol, f"{what}[{i}]")
    else:
        np.testing.assert_allclose(np.asarray(b), np.asarray(a), atol=atol, rtol=1e-5, err_msg=what)


def _build(name, lib):
    lib.backend.clear_session(free_memory=False) if lib is keras else kerastorch.utils.clear_session(False)
    return BUILDERS[name](lib)


@pytest.fixture(scope="module", params=sorted(BUILDERS))
def pair(request):
    """`(name, keras model, kerastorch model, inputs)`, the kerastorch model holding Keras' weights."""
    name = request.param
    kmodel, x = _build(name, keras)
    kmodel.set_weights(random_weights(kmodel, seed=1))
    tmodel, _ = _build(name, kerastorch)
    tmodel.set_weights(kmodel.get_weights())
    return name, kmodel, tmodel, x


def _summary(model):
    lines = []
    model.summary(print_fn=lambda text, **kwargs: lines.append(text))
    return "".join(lines)


# Keys Keras writes that carry no information a kerastorch graph records: a layer's build shape,
# its default quantization config, and node arguments Keras fills with its call defaults.
def _comparable(config):
    config = json.loads(json.dumps(config))
    for layer in config["layers"]:
        layer.pop("build_config", None)
        layer.pop("compile_config", None)
        inner = layer.get("config", {})
        if inner.get("quantization_config", 0) is None:
            inner.pop("quantization_config")
        if "layers" in inner and "input_layers" in inner:
            layer["config"] = _comparable(inner)
        for node in layer["inbound_nodes"]:
            node["kwargs"] = {k: v for k, v in node["kwargs"].items()
                              if not (k == "mask" and v is None) and not (k == "training" and v is False)}
    return config


def test_predictions_equal_keras_with_the_same_weights(pair):
    name, kmodel, tmodel, x = pair
    _assert_close(_call(kmodel, x, keras), _call(tmodel, x, kerastorch), what=name)


def test_summary_text_equals_keras(pair):
    name, kmodel, tmodel, _ = pair
    assert _summary(tmodel) == _summary(kmodel), name


def test_expanded_summary_equals_keras(pair):
    name, kmodel, tmodel, _ = pair
    texts = []
    for model in (kmodel, tmodel):
        lines = []
        model.summary(print_fn=lambda text, **kw: lines.append(text), expand_nested=True, show_trainable=True)
        texts.append("".join(lines))
    assert texts[1] == texts[0], name


def test_layers_weights_and_shapes_equal_keras(pair):
    name, kmodel, tmodel, _ = pair
    assert [(l.name, type(l).__name__) for l in tmodel.layers] == [(l.name, type(l).__name__) for l in kmodel.layers]
    assert [w.path for w in tmodel.weights] == [w.path for w in kmodel.weights]
    assert [w.shape for w in tmodel.get_weights()] == [w.shape for w in kmodel.get_weights()]
    assert tmodel.count_params() == kmodel.count_params()
    assert tmodel.output_names == kmodel.output_names
    assert tmodel.input_shape == kmodel.input_shape and tmodel.output_shape == kmodel.output_shape
    assert [x.shape for x in tmodel.inputs] == [x.shape for x in kmodel.inputs]
    assert [x.dtype for x in tmodel.outputs] == [x.dtype for x in kmodel.outputs]
    for layer in kmodel.layers:
        assert tmodel.get_layer(layer.name).name == layer.name


def test_config_equals_keras_and_each_library_loads_the_other(pair):
    name, kmodel, tmodel, x = pair
    kconfig, tconfig = kmodel.get_config(), tmodel.get_config()
    assert _comparable(tconfig) == _comparable(kconfig), name
    expected = _call(kmodel, x, keras)
    ours = kerastorch.Model.from_config(json.loads(json.dumps(kconfig)))
    ours.set_weights(kmodel.get_weights())
    _assert_close(expected, _call(ours, x, kerastorch), what=f"{name}: Keras config -> kerastorch")
    theirs = keras.Model.from_config(json.loads(json.dumps(tconfig)))
    theirs.set_weights(tmodel.get_weights())
    _assert_close(expected, _call(theirs, x, keras), what=f"{name}: kerastorch config -> Keras")
    # to_json / model_from_json, and get_config again, give the same graph.
    again = kerastorch.models.model_from_json(tmodel.to_json())
    assert _comparable(again.get_config()) == _comparable(tconfig)


def test_keras_files_load_both_ways(pair, tmp_path):
    import h5py

    name, kmodel, tmodel, x = pair
    expected = _call(kmodel, x, keras)
    kmodel.save(tmp_path / "k.keras")
    kmodel.save_weights(tmp_path / "k.weights.h5")
    tmodel.save(tmp_path / "t.keras")
    tmodel.save_weights(tmp_path / "t.weights.h5")
    _assert_close(expected, _call(kerastorch.models.load_model(tmp_path / "k.keras"), x, kerastorch),
                  what=f"{name}: Keras .keras -> kerastorch")
    _assert_close(expected, _call(keras.models.load_model(tmp_path / "t.keras"), x, keras),
                  what=f"{name}: kerastorch .keras -> Keras")
    fresh, _ = _build(name, kerastorch)
    fresh.load_weights(tmp_path / "k.weights.h5")
    _assert_close(expected, _call(fresh, x, kerastorch), what=f"{name}: Keras .weights.h5 -> kerastorch")
    kfresh, _ = _build(name, keras)
    kfresh.load_weights(tmp_path / "t.weights.h5")
    _assert_close(expected, _call(kfresh, x, keras), what=f"{name}: kerastorch .weights.h5 -> Keras")

    def tree(path):
        names = []
        with h5py.File(path) as f:
            f.visititems(lambda key, item: names.append((key, getattr(item, "shape", None))))
        return names

    assert tree(tmp_path / "t.weights.h5") == tree(tmp_path / "k.weights.h5")


# --------------------------------------------------------------------------- training, one input
def test_three_training_steps_match_keras():
    x = np.random.default_rng(3).random((12, 8, 8, 3)).astype("float32")
    y = np.eye(3, dtype="float32")[np.arange(12) % 3]
    kmodel, _ = _build("residual_cnn", keras)
    kmodel.set_weights(random_weights(kmodel, seed=4))
    tmodel, _ = _build("residual_cnn", kerastorch)
    tmodel.set_weights(kmodel.get_weights())
    histories = []
    for model, lib in ((kmodel, keras), (tmodel, kerastorch)):
        model.compile(optimizer=lib.optimizers.SGD(learning_rate=0.1), loss="categorical_crossentropy",
                      metrics=["accuracy"])
        histories.append(model.fit(x, y, batch_size=4, epochs=1, shuffle=False, verbose=0).history)
    assert sorted(histories[1]) == sorted(histories[0])
    for key in histories[0]:
        np.testing.assert_allclose(histories[1][key], histories[0][key], rtol=1e-5, atol=1e-6, err_msg=key)
    for w_ours, w_keras in zip(tmodel.get_weights(), kmodel.get_weights()):
        np.testing.assert_allclose(w_ours, w_keras, atol=1e-4)
    np.testing.assert_allclose(tmodel.evaluate(x, y, verbose=0), kmodel.evaluate(x, y, verbose=0), rtol=1e-5)
    np.testing.assert_allclose(tmodel.predict(x, verbose=0), kmodel.predict(x, verbose=0), atol=1e-5)


# --------------------------------------------------------------------------- structure
def test_a_layer_called_twice_has_two_nodes_and_one_set_of_weights():
    layers = kerastorch.layers
    a, b = kerastorch.Input(shape=(3,), name="a"), kerastorch.Input(shape=(3,), name="b")
    shared = layers.Dense(2, name="shared")
    model = kerastorch.Model([a, b], [shared(a), shared(b)])
    assert len(shared._inbound_nodes) == 2
    assert len(model.weights) == 2 and model.count_params() == 8
    out_a, out_b = model([torch.ones(1, 3), 2 * torch.ones(1, 3)])
    torch.testing.assert_close(out_b - shared.bias, 2 * (out_a - shared.bias))


def test_model_accepts_inputs_and_outputs_as_keywords_lists_and_dicts():
    layers = kerastorch.layers
    a, b = kerastorch.Input(shape=(2,), name="a"), kerastorch.Input(shape=(2,), name="b")
    total = layers.Add()([a, b])
    keyword = kerastorch.Model(inputs=[a, b], outputs=total)
    as_dict = kerastorch.models.Model({"a": a, "b": b}, {"sum": total, "diff": a - b})
    x = {"a": torch.tensor([[1.0, 2.0]]), "b": torch.tensor([[3.0, 5.0]])}
    assert keyword([x["a"], x["b"]]).tolist() == [[4.0, 7.0]]
    assert keyword(x).tolist() == [[4.0, 7.0]]                    # a dict by input name, as Keras
    out = as_dict(x)
    assert sorted(out) == ["diff", "sum"] and out["diff"].tolist() == [[-2.0, -3.0]]
    assert isinstance(as_dict.input, dict) and as_dict.input_names == ["a", "b"]


def test_a_model_from_intermediate_tensors_shares_the_layers():
    layers = kerastorch.layers
    inputs = kerastorch.Input(shape=(4,))
    hidden = layers.Dense(3, name="hidden")(inputs)
    outputs = layers.Dense(1, name="top")(hidden)
    full = kerastorch.Model(inputs, outputs)
    head = kerastorch.Model(hidden, outputs)          # starts at an intermediate tensor
    x = torch.randn(2, 4)
    torch.testing.assert_close(head(full.get_layer("hidden")(x)), full(x))
    assert head.layers[1] is full.layers[2] and head.input_names == [f"{hidden.name}CLONE"]


def test_the_plan_is_made_once_and_calls_do_not_walk_the_graph(monkeypatch):
    from kerastorch.models import functional_graph

    inputs = kerastorch.Input(shape=(3,))
    model = kerastorch.Model(inputs, kerastorch.layers.Dense(2)(inputs) * 2)
    expected = model(torch.ones(1, 3))

    def refuse(*args, **kwargs):
        raise AssertionError("the graph was walked during a call")

    monkeypatch.setattr(functional_graph, "map_graph", refuse)
    monkeypatch.setattr(functional_graph, "_build_map", refuse)
    torch.testing.assert_close(model(torch.ones(1, 3)), expected)
    assert isinstance(model, torch.nn.Module) and len(model._plan.steps) == 2


def test_trainable_false_freezes_every_weight_below_as_in_keras():
    counts = []
    for lib in (keras, kerastorch):
        model, _ = _build("nested", lib)
        model.trainable = False
        counts.append((len(model.trainable_weights), len(model.non_trainable_weights)))
        if lib is kerastorch:
            assert not any(p.requires_grad for p in model.parameters())
            model.trainable = True
            assert all(p.requires_grad for p in model.parameters())
    assert counts[1] == counts[0]


def test_a_functional_model_inside_a_sequential_matches_keras():
    outs = []
    for lib in (keras, kerastorch):
        _build("nested", lib)
        inner_in = lib.Input(shape=(3,), name="inner_in")
        inner = lib.Model(inner_in, lib.layers.Dense(4, activation="relu", name="inner_dense")(inner_in),
                          name="inner")
        model = lib.Sequential([lib.Input(shape=(3,)), inner, lib.layers.Dense(2, name="out")], name="outer")
        if lib is keras:
            model.set_weights(random_weights(model, seed=5))
            weights = model.get_weights()
        else:
            model.set_weights(weights)
        x = np.linspace(-1, 1, 6, dtype="float32").reshape(2, 3)
        outs.append(np.asarray(model.predict(x, verbose=0)))
        assert model.output_shape == (None, 2) and model.count_params() == 26
    np.testing.assert_allclose(outs[1], outs[0], atol=1e-6)


def test_clone_model_makes_new_layers_and_honours_clone_function_and_input_tensors():
    kmodel, _ = _build("siamese", keras)
    kclone = keras.models.clone_model(kmodel)
    model, x = _build("siamese", kerastorch)
    clone = kerastorch.models.clone_model(model)
    # Keras re-records the nodes deepest first, so the clone's shared layers list them in that order.
    assert _comparable(clone.get_config()) == _comparable(kclone.get_config())
    assert all(a is not b for a, b in zip(clone.layers, model.layers))
    clone.set_weights(model.get_weights())
    np.testing.assert_allclose(_call(clone, x, kerastorch), _call(model, x, kerastorch), atol=1e-6)
    seen = []

    def keep(layer):
        seen.append(layer.name)
        return layer
    shared = kerastorch.models.clone_model(model, clone_function=keep)
    assert shared.get_layer("embed") is model.get_layer("embed")
    assert sorted(seen) == sorted({op.name for op in model.operations} - {"left", "right"})
    new_inputs = [kerastorch.Input(shape=(6,), dtype="int32", name="l2"),
                  kerastorch.Input(shape=(6,), dtype="int32", name="r2")]
    renamed = kerastorch.models.clone_model(model, input_tensors=new_inputs)
    assert renamed.input_names == ["l2", "r2"]


# --------------------------------------------------------------------------- errors
def test_a_keras_tensor_in_torch_code_names_kerastorch_ops_and_lambda():
    x = kerastorch.Input(shape=(3,), name="features")
    with pytest.raises(TypeError, match=r"torch\.relu\(\) received the KerasTensor 'features'.*"
                                        r"kerastorch\.ops\.relu.*layers\.Lambda"):
        torch.relu(x)
    with pytest.raises(TypeError, match=r"torch\.cat\(\).*kerastorch\.ops\.concatenate"):
        torch.cat([x, x], dim=1)
    with pytest.raises(AttributeError, match=r"no attribute 'view'.*kerastorch\.ops\.reshape"):
        x.view(-1)
    with pytest.raises(TypeError, match=r"no truth value.*ops\.where"):
        bool(x > 0)
    with pytest.raises(ValueError, match=r"symbolic.*NumPy array"):
        np.asarray(x)


def test_an_output_that_needs_another_input_names_it():
    a, b = kerastorch.Input(shape=(2,), name="a"), kerastorch.Input(shape=(2,), name="b")
    out = kerastorch.layers.Dense(1, name="score")(a + b)
    with pytest.raises(ValueError, match=r"the output\(s\) of \['score'\] depend on Input 'b', which is not "
                                         r"among the model's inputs \('a'\)\. Add it to inputs"):
        kerastorch.Model(a, out)


def test_an_input_that_reaches_no_output_is_named():
    a, b = kerastorch.Input(shape=(2,), name="a"), kerastorch.Input(shape=(2,), name="unused")
    with pytest.warns(UserWarning, match=r"the input\(s\) \['unused'\] reach no output"):
        model = kerastorch.Model([a, b], kerastorch.layers.Dense(1)(a))
    assert [l.name for l in model.layers][:2] == ["a", "unused"] or "unused" in [l.name for l in model.layers]


def test_inputs_and_outputs_must_be_keras_tensors():
    a = kerastorch.Input(shape=(2,))
    with pytest.raises(TypeError, match=r"every value of `outputs` must be a KerasTensor.*got Tensor"):
        kerastorch.Model(a, torch.ones(2))


def test_a_dict_with_a_missing_or_unknown_key_names_the_inputs():
    a, b = kerastorch.Input(shape=(2,), name="a"), kerastorch.Input(shape=(2,), name="b")
    model = kerastorch.Model({"a": a, "b": b}, a + b)
    with pytest.raises(ValueError, match=r"takes the inputs \['a', 'b'\]; the dict given lacks \['b'\]"):
        model({"a": torch.ones(1, 2)})
    with pytest.raises(ValueError, match=r"has unknown key\(s\) 'bb' \(did you mean 'b'\?\)"):
        model({"a": torch.ones(1, 2), "b": torch.ones(1, 2), "bb": torch.ones(1, 2)})
    listed = kerastorch.Model([a, b], a - b)
    with pytest.raises(ValueError, match=r"takes 2 input\(s\) \['a', 'b'\], got a list of 1"):
        listed([torch.ones(1, 2)])


def test_a_wrongly_shaped_input_names_the_input_and_the_expected_shape():
    x = kerastorch.Input(shape=(4,), name="features")
    model = kerastorch.Model(x, kerastorch.layers.Dense(2)(x))
    with pytest.raises(ValueError, match=r"input 'features' expects shape \(None, 4\), got a tensor of shape "
                                         r"\(3, 5\)"):
        model(torch.ones(3, 5))
    model.compile(optimizer="sgd", loss="mse")
    with pytest.raises(ValueError, match=r"expects samples of shape \(4,\), from its Input 'features'"):
        model.fit(np.ones((3, 5)), np.ones((3, 2)), verbose=0)


def test_two_layers_of_one_name_are_refused():
    x = kerastorch.Input(shape=(2,))
    y = kerastorch.layers.Dense(2, name="twin")(x)
    with pytest.raises(ValueError, match=r"the name 'twin' is used by 2 different layers"):
        kerastorch.Model(x, kerastorch.layers.Dense(2, name="twin")(y))


def test_model_wrapping_a_module_and_subclassing_still_work():
    wrapped = kerastorch.Model(torch.nn.Linear(3, 2))
    assert type(wrapped) is kerastorch.Model and wrapped(torch.ones(1, 3)).shape == (1, 2)

    class Functionalish(kerastorch.Model):
        def __init__(self):
            inputs = kerastorch.Input(shape=(3,))
            super().__init__(inputs=inputs, outputs=kerastorch.layers.Dense(1)(inputs), name="sub")

    model = Functionalish()
    assert isinstance(model, Functionalish) and model.name == "sub" and model.output_shape == (None, 1)


@pytest.mark.parametrize("module", ["kerastorch.layers.symbolic", "kerastorch.layers.keras_tensor", "kerastorch.ops.operation",
                                    "kerastorch.models.functional", "kerastorch.models.functional_graph",
                                    "kerastorch.models.functional_config", "kerastorch.models.functional_summary"])
def test_docstring_examples_run(module):
    import doctest
    import importlib

    result = doctest.testmod(importlib.import_module(module),
                             optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0 and result.attempted > 0


def test_plot_model_draws_the_graph_connections(tmp_path):
    layers = kerastorch.layers
    x = kerastorch.Input(shape=(4,), name="x")
    h = layers.Dense(4, name="h")(x)
    y = layers.Add(name="add")([h, x])
    model = kerastorch.Model(x, layers.Dense(1, name="out")(y) * 2.0)
    path = kerastorch.utils.plot_model(model, tmp_path / "m.dot", show_layer_names=True)
    text = open(path).read()
    names = dict(re.findall(r'(n\d+) \[label="\{(\w+) \(', text))
    edges = {(names[a], names[b]) for a, b in re.findall(r"(n\d+) -> (n\d+);", text)}
    # x feeds h and the Add (the skip); the op after `out` is drawn too, as Keras draws ops.
    assert edges == {("x", "h"), ("h", "add"), ("x", "add"), ("add", "out"), ("out", "multiply")}
    kerastorch.utils.plot_model(model, tmp_path / "m.svg")
    assert open(tmp_path / "m.svg").read().count('fill="none"') == 1     # the one skip, as a curve


def test_a_layer_with_several_tensor_arguments_is_built_from_each_shape():
    # MultiHeadAttention(query, value): Keras builds it from query_shape and value_shape.
    outs, weights = [], None
    x = [np.random.default_rng(2).random((2, 5, 8)).astype("float32"),
         np.random.default_rng(3).random((2, 7, 6)).astype("float32")]
    for lib in (keras, kerastorch):
        lib.backend.clear_session(False) if lib is keras else kerastorch.utils.clear_session(False)
        query, value = lib.Input(shape=(5, 8), name="query"), lib.Input(shape=(7, 6), name="value")
        model = lib.Model([query, value], lib.layers.MultiHeadAttention(2, 4, name="mha")(query, value))
        if weights is None:
            weights = random_weights(model, seed=6)
        model.set_weights(weights)
        outs.append(_call(model, x, lib))
    np.testing.assert_allclose(outs[1], outs[0], atol=1e-5)


@pytest.mark.filterwarnings("ignore:Layer 'encoder' .of type Functional. was passed an input with a mask")
def test_a_mask_reaches_the_layers_of_a_nested_functional_model_as_in_keras():
    # Embedding(mask_zero) outside, the LSTM inside a nested model (after a layer that carries masks).
    x = np.array([[1, 2, 3, 0, 0, 0], [4, 5, 6, 7, 8, 9]], dtype="int32")
    outs, weights = [], None
    for lib in (keras, kerastorch):
        lib.backend.clear_session(False) if lib is keras else kerastorch.utils.clear_session(False)
        layers = lib.layers
        steps = lib.Input(shape=(6, 4), name="steps")
        encoder = lib.Model(steps, layers.LSTM(3, name="enc")(layers.Activation("tanh", name="squash")(steps)),
                            name="encoder")
        ids = lib.Input(shape=(6,), dtype="int32", name="ids")
        model = lib.Model(ids, encoder(layers.Embedding(10, 4, mask_zero=True, name="emb")(ids)))
        if weights is None:
            weights = random_weights(model, seed=8)
        model.set_weights(weights)
        outs.append(_call(model, x, lib))
        if lib is kerastorch:      # the padded steps are skipped: the first row is its 3 steps alone
            emb, enc = model.get_layer("emb"), model.get_layer("encoder")
            short = enc.get_layer("enc")(torch.tanh(emb(torch.as_tensor(x[:1, :3]))))
            np.testing.assert_allclose(outs[-1][:1], short.detach().numpy(), atol=1e-6)
    np.testing.assert_allclose(outs[1], outs[0], atol=1e-5)


def test_a_keras_2_functional_config_with_list_inbound_nodes_loads():
    # Keras 2's form (tf.keras): no "module", nodes as [[layer, node, tensor, kwargs], ...].
    config = {
        "name": "legacy", "trainable": True,
        "layers": [
            {"class_name": "InputLayer", "name": "input_1",
             "config": {"batch_input_shape": [None, 2], "dtype": "float32", "name": "input_1"}, "inbound_nodes": []},
            {"class_name": "Dense", "name": "dense",
             "config": {"name": "dense", "units": 2, "activation": "relu"},
             "inbound_nodes": [[["input_1", 0, 0, {}]]]},
            {"class_name": "Add", "name": "add", "config": {"name": "add"},
             "inbound_nodes": [[["dense", 0, 0, {}], ["input_1", 0, 0, {}]]]},
        ],
        "input_layers": [["input_1", 0, 0]],
        "output_layers": [["add", 0, 0]],
    }
    model = kerastorch.Model.from_config(config)
    model.set_weights([np.array([[1.0, -1.0], [2.0, 1.0]]), np.array([0.5, -3.0])])
    out = model(torch.tensor([[1.0, 1.0]]))
    # dense: [1, 1] @ kernel = [3, 0]; + bias = [3.5, -3]; relu -> [3.5, 0]; + input -> [4.5, 1]
    np.testing.assert_allclose(out.detach().numpy(), [[4.5, 1.0]])
    assert [l.name for l in model.layers] == ["input_1", "dense", "add"]


def test_a_lambda_layer_in_a_functional_file_loads_only_outside_safe_mode(tmp_path):
    x = kerastorch.Input(shape=(3,), name="x")
    model = kerastorch.Model(x, kerastorch.layers.Lambda(lambda t: t * 3.0, name="triple")(x))
    model.save(tmp_path / "lambda.keras")
    with pytest.raises(ValueError, match=r"Lambda layer \('triple'\).*safe_mode=True refuses it"):
        kerastorch.models.load_model(tmp_path / "lambda.keras")
    loaded = kerastorch.models.load_model(tmp_path / "lambda.keras", safe_mode=False)
    assert loaded(torch.ones(1, 3)).tolist() == [[3.0, 3.0, 3.0]]
