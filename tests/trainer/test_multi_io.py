"""Models with several inputs and outputs trained as in real Keras 3.

Each scenario of the table builds the same two-input / two-output Functional model in both
libraries (kerastorch gets Keras' initial weights), compiles it with one of Keras' ways of
giving losses, loss weights and metrics per output, and trains on the same batches in order.
History (keys and values), `evaluate` (list and dict) and `predict` (structure and values)
must equal real Keras'.
"""

import numpy as np
import pytest

import kerastorch

_RNG = np.random.default_rng(3)
N = 24
XA = _RNG.standard_normal((N, 4)).astype("float32")
XB = _RNG.standard_normal((N, 3)).astype("float32")
Y_SCORE = _RNG.standard_normal((N, 1)).astype("float32")
Y_CLS = _RNG.integers(0, 3, N)
SW1 = _RNG.uniform(0.5, 2.0, N).astype("float32")
SW2 = _RNG.uniform(0.5, 2.0, N).astype("float32")


def _model(lib, dict_outputs=False):
    a = lib.Input((4,), name="a")
    b = lib.Input((3,), name="b")
    h = lib.layers.Dense(5, activation="relu", name="hidden")(lib.layers.concatenate([a, b]))
    score = lib.layers.Dense(1, name="score")(h)
    cls = lib.layers.Dense(3, activation="softmax", name="cls")(h)
    outputs = {"s": score, "c": cls} if dict_outputs else [score, cls]
    return lib.Model({"a": a, "b": b}, outputs)


X_DICT = {"a": XA, "b": XB}
X_LIST = [XA, XB]
Y_LIST = [Y_SCORE, Y_CLS]

# name: (dict outputs?, compile kwargs, x, y, fit kwargs)
SCENARIOS = {
    "lists": (False, dict(loss=["mse", "sparse_categorical_crossentropy"], loss_weights=[1.0, 0.5],
                          metrics=[["mae"], ["accuracy"]], weighted_metrics=[["mae"], []]),
              X_LIST, Y_LIST, dict(sample_weight=SW1, validation_data=(X_LIST, Y_LIST))),
    "dicts_by_output_key": (True, dict(loss={"s": "mse", "c": "sparse_categorical_crossentropy"},
                                       loss_weights={"s": 2.0, "c": 0.5},
                                       metrics={"s": ["mae", "mse"], "c": ["accuracy", "accuracy"]}),
                            X_DICT, {"s": Y_SCORE, "c": Y_CLS}, {}),
    "one_loss_for_every_output": (False, dict(loss="mse"), X_LIST,
                                  [Y_SCORE, np.eye(3, dtype="float32")[Y_CLS]], {}),
    "loss_dict_by_layer_name_y_dict": (False, dict(loss={"score": "mae", "cls": "sparse_categorical_crossentropy"},
                                                   metrics={"cls": "accuracy"}),
                                       X_DICT, {"score": Y_SCORE, "cls": Y_CLS}, dict(validation_split=0.25)),
    "one_output_without_loss": (False, dict(loss=[None, "sparse_categorical_crossentropy"],
                                            metrics=[None, ["accuracy"]]), X_LIST, Y_LIST, {}),
    "per_output_sample_weights_list": (False, dict(loss=["mse", "sparse_categorical_crossentropy"],
                                                   weighted_metrics=[["mse"], ["accuracy"]]),
                                       X_LIST, Y_LIST, dict(sample_weight=[SW1, SW2])),
    "per_output_sample_weights_dict": (True, dict(loss={"s": "mse", "c": "sparse_categorical_crossentropy"},
                                                  weighted_metrics={"c": ["accuracy"]}),
                                       X_DICT, {"s": Y_SCORE, "c": Y_CLS}, dict(sample_weight={"s": SW1, "c": SW2})),
    "crossentropy_resolved_per_output": (False, dict(loss=["mse", "crossentropy"], metrics=[[], ["acc"]]),
                                         X_LIST, Y_LIST, {}),
}


def _run(lib, keras_model, scenario):
    dict_outputs, compile_kwargs, x, y, fit_kwargs = scenario
    model = _model(lib, dict_outputs)
    if keras_model is not None:
        model.set_weights(keras_model.get_weights())
    model.compile(optimizer="sgd", **compile_kwargs)
    history = model.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0, **dict(fit_kwargs)).history
    return model, {
        "history": history,
        "evaluate": model.evaluate(x, y, batch_size=8, verbose=0),
        "evaluate_dict": model.evaluate(x, y, batch_size=8, verbose=0, return_dict=True),
        "predict": model.predict(x, batch_size=8, verbose=0),
    }


def _assert_close(ours, theirs, where):
    if isinstance(theirs, dict):
        assert isinstance(ours, dict) and sorted(ours) == sorted(theirs), (where, ours, theirs)
        for k in theirs:
            _assert_close(ours[k], theirs[k], f"{where}[{k!r}]")
    elif isinstance(theirs, (list, tuple)):
        assert isinstance(ours, (list, tuple)) and len(ours) == len(theirs), (where, ours, theirs)
        for i, (o, t) in enumerate(zip(ours, theirs)):
            _assert_close(o, t, f"{where}[{i}]")
    else:
        np.testing.assert_allclose(np.asarray(ours), np.asarray(theirs), rtol=1e-4, atol=1e-5, err_msg=where)


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_training_with_several_inputs_and_outputs_equals_keras(keras, name):
    scenario = SCENARIOS[name]
    keras.utils.set_random_seed(0)
    theirs_model, theirs = _run(keras, None, scenario)
    keras.utils.set_random_seed(0)
    ref = _model(keras, scenario[0])       # the initial weights Keras started from
    _, ours = _run(kerastorch, ref, scenario)
    assert list(ours["history"]) == list(theirs["history"])
    _assert_close(ours, theirs, name)
    assert type(ours["predict"]) is type(theirs["predict"])


def test_batches_from_a_generator_and_a_dataloader_carry_structures(keras):
    """A generator of ((xa, xb), (y1, y2)) and a DataLoader of ({"a", "b"}, [y1, y2]) train as arrays do."""
    import torch

    def batches(lib):
        for i in range(0, N, 8):
            yield (XA[i:i + 8], XB[i:i + 8]), (Y_SCORE[i:i + 8], Y_CLS[i:i + 8])

    results = {}
    keras.utils.set_random_seed(0)
    ref = _model(keras)
    for lib in (keras, kerastorch):
        model = _model(lib)
        model.set_weights(ref.get_weights())
        model.compile(optimizer="sgd", loss=["mse", "sparse_categorical_crossentropy"], metrics=[[], ["accuracy"]])
        history = model.fit(batches(lib), epochs=1, verbose=0).history
        results[lib.__name__] = history
    _assert_close(results["kerastorch"], results["keras"], "generator")

    dataset = torch.utils.data.TensorDataset(torch.from_numpy(XA), torch.from_numpy(XB),
                                             torch.from_numpy(Y_SCORE), torch.from_numpy(Y_CLS))
    loader = torch.utils.data.DataLoader(dataset, batch_size=8,
                                         collate_fn=lambda rows: ({"a": torch.stack([r[0] for r in rows]),
                                                                   "b": torch.stack([r[1] for r in rows])},
                                                                  [torch.stack([r[2] for r in rows]),
                                                                   torch.stack([r[3] for r in rows])]))
    model = _model(kerastorch)
    model.set_weights(ref.get_weights())
    model.compile(optimizer="sgd", loss=["mse", "sparse_categorical_crossentropy"], metrics=[[], ["accuracy"]])
    history = model.fit(loader, epochs=1, verbose=0).history
    _assert_close(history, results["keras"], "dataloader")
    predictions = model.predict(loader, verbose=0)
    assert [p.shape for p in predictions] == [(N, 1), (N, 3)]


def test_single_batch_methods_take_lists_and_dicts(keras):
    keras.utils.set_random_seed(0)
    ref = _model(keras)
    out = {}
    for lib in (keras, kerastorch):
        model = _model(lib)
        model.set_weights(ref.get_weights())
        model.compile(optimizer="sgd", loss=["mse", "sparse_categorical_crossentropy"], metrics=[["mae"], []])
        out[lib.__name__] = {
            "train": model.train_on_batch(X_DICT, Y_LIST, return_dict=True),
            "test": model.test_on_batch(X_LIST, Y_LIST),
            "predict": model.predict_on_batch(X_DICT),
        }
    _assert_close(out["kerastorch"], out["keras"], "on_batch")


def _compiled(**kwargs):
    model = _model(kerastorch)
    model.compile(optimizer="sgd", **kwargs)
    return model


@pytest.mark.parametrize("kwargs, y, pattern", [
    (dict(loss={"score": "mse", "clss": "mse"}), Y_LIST, r"'clss' \(did you mean 'cls'\?\).*outputs are \['score', 'cls'\]"),
    (dict(loss=["mse", "mse", "mse"]), Y_LIST, r"`loss` is a list of 3 entries, but the model has 2 outputs"),
    (dict(loss=["mse", "mse"], metrics=["mae"]), Y_LIST, r"`metrics` is a list of 1 entries.*one entry per output"),
    (dict(loss=["mse", "mse"], metrics={"scor": ["mae"]}), Y_LIST, r"'scor' \(did you mean 'score'\?\)"),
    (dict(loss=["mse", "mse"]), [Y_SCORE], r"2 outputs \['score', 'cls'\] but `y` holds 1 array"),
    (dict(loss=["mse", "mse"]), {"score": Y_SCORE}, r"`y` lacks the output\(s\) \['cls'\]"),
    (dict(loss=["mse", "mse"]), {"score": Y_SCORE, "clss": Y_CLS}, r"'clss' \(did you mean 'cls'\?\)"),
])
def test_per_output_arguments_that_name_no_output_are_refused_with_the_output_names(kwargs, y, pattern):
    model = _compiled(**kwargs)
    before = [w.copy() for w in model.get_weights()]
    with pytest.raises(ValueError, match=pattern):
        model.fit(X_LIST, y, epochs=1, verbose=0)
    for w, b in zip(model.get_weights(), before):   # nothing trained before the refusal
        np.testing.assert_array_equal(w, b)


def test_class_weight_is_refused_for_several_outputs_as_keras():
    model = _compiled(loss=["mse", "sparse_categorical_crossentropy"])
    with pytest.raises(ValueError, match="only supported for Models with a single output"):
        model.fit(X_LIST, Y_LIST, class_weight={0: 1.0, 1: 2.0}, verbose=0)


def test_an_input_dict_with_a_missing_or_unknown_key_names_the_inputs():
    model = _compiled(loss=["mse", "sparse_categorical_crossentropy"])
    with pytest.raises(ValueError, match=r"takes the inputs \['a', 'b'\].*lacks \['b'\]"):
        model.fit({"a": XA}, Y_LIST, verbose=0)
    with pytest.raises(ValueError, match=r"unknown key\(s\) 'bb' \(did you mean 'b'\?\)"):
        model.predict({"a": XA, "bb": XB}, verbose=0)
