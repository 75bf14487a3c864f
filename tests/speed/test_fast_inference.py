"""predict's lean path (trainer/fast_inference.py): a repeated call of the common kind (one array, no
callbacks, verbose=0) skips the general path's set-up and equals real Keras' predict on the same weights;
each change that the general path would see (hooks, layers, policy, input kind, options) sends the call
back to it. Calls are counted (the general path's `_predict_loop`), not timed."""

import numpy as np
import pytest
import torch

import kerastorch
from kerastorch.trainer import loops

keras = pytest.importorskip("keras")


def _sequential(lib):
    L = lib.layers
    return lib.Sequential([L.Input((6,)), L.Dense(8, activation="relu"), L.Dropout(0.5), L.BatchNormalization(),
                           L.Dense(3, activation="softmax")])


def _tiny(lib):
    L = lib.layers
    return lib.Sequential([L.Input((6,)), L.Dense(4, activation="relu"), L.Dense(1, activation="sigmoid")])


def _functional(lib):
    L = lib.layers
    a = lib.Input((6,))
    h = L.Dense(5, activation="tanh")(a)
    h = L.concatenate([h, L.Dense(2)(a)])
    return lib.Model(a, L.Dense(3, activation="softmax")(L.Dropout(0.3)(h)))


def _plain_functional(lib):
    L = lib.layers
    a = lib.Input((6,))
    return lib.Model(a, L.Dense(2)(L.Dense(5, activation="relu")(a)))


def _text(lib):
    L = lib.layers
    return lib.Sequential([L.Input((5,), dtype="int64"), L.Embedding(20, 4), L.LSTM(3), L.Dense(1, activation="sigmoid")])


BUILDERS = {"sequential": _sequential, "tiny": _tiny, "functional": _functional, "plain_functional": _plain_functional,
            "text": _text}


def _pair(name):
    theirs, ours = BUILDERS[name](keras), BUILDERS[name](kerastorch)
    ours.set_weights(theirs.get_weights())
    return ours, theirs


def _count_calls(monkeypatch, name):
    """A list that grows by one at each call of the general path's loop `LoopsMixin.<name>`."""
    calls = []
    original = getattr(loops.LoopsMixin, name)

    def counting(self, *args, **kwargs):
        calls.append(1)
        return original(self, *args, **kwargs)
    monkeypatch.setattr(loops.LoopsMixin, name, counting)
    return calls


@pytest.fixture
def general_calls(monkeypatch):
    return _count_calls(monkeypatch, "_predict_loop")


@pytest.mark.parametrize("name", sorted(BUILDERS))
@pytest.mark.parametrize("batch_size", [4, 7, 64])
def test_repeated_predict_takes_the_lean_path_and_equals_keras(name, batch_size, general_calls):
    ours, theirs = _pair(name)
    rng = np.random.default_rng(batch_size)
    x = rng.integers(0, 20, (30, 5)) if name == "text" else rng.normal(size=(30, 6)).astype("float32")
    ours.train()                                   # as after fit: the lean path must still infer
    first = ours.predict(x, batch_size=batch_size, verbose=0)
    again = ours.predict(x, batch_size=batch_size, verbose=0)
    on_tensor = ours.predict(torch.from_numpy(x), batch_size=batch_size, verbose=0)
    assert len(general_calls) == 1, "the second and third calls should take the lean path"
    want = theirs.predict(x, batch_size=batch_size, verbose=0)
    for got in (first, again, on_tensor):
        assert got.dtype == want.dtype and got.shape == want.shape
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    assert ours.training                           # the mode the model had is kept


def _hook_on_layer(model):
    model.layers[0].register_forward_hook(lambda m, i, o: None)


def _global_hook(model):
    return torch.nn.modules.module.register_module_forward_hook(lambda m, i, o: None)


def _policy(model):
    kerastorch.mixed_precision.set_global_policy("float64")


def _add_layer(model):
    model.add(kerastorch.layers.Dense(2))


def _instance_step(model):
    model.predict_step = lambda data: model(data, training=False)


CHANGES = {"hook on a layer": _hook_on_layer, "global hook": _global_hook, "dtype policy": _policy,
           "a layer added": _add_layer, "predict_step on the instance": _instance_step}


@pytest.mark.parametrize("change", sorted(CHANGES))
def test_a_change_sends_predict_back_to_the_general_path(change, general_calls):
    ours = _tiny(kerastorch)
    x = np.random.default_rng(0).normal(size=(10, 6)).astype("float32")
    ours.predict(x, verbose=0)
    handle = CHANGES[change](ours)
    try:
        got = ours.predict(x, verbose=0)
        assert len(general_calls) == 2, f"after '{change}' the general path should run"
        assert got.shape[0] == 10
    finally:
        if handle is not None:
            handle.remove()
        kerastorch.mixed_precision.set_global_policy("float32")


OTHER_CALLS = {
    "verbose=1": (lambda x: x, {"verbose": 1}),
    "callbacks": (lambda x: x, {"verbose": 0, "callbacks": [kerastorch.callbacks.Callback()]}),
    "steps": (lambda x: x, {"verbose": 0, "steps": 2}),
    "float64 input": (lambda x: x.astype("float64"), {"verbose": 0}),
    "a list of inputs": (lambda x: [x], {"verbose": 0}),
}


@pytest.mark.parametrize("other", sorted(OTHER_CALLS))
def test_other_kinds_of_call_take_the_general_path(other, general_calls):
    ours, theirs = _pair("tiny")
    x = np.random.default_rng(1).normal(size=(12, 6)).astype("float32")
    ours.predict(x, batch_size=4, verbose=0)
    convert, kwargs = OTHER_CALLS[other]
    got = ours.predict(convert(x), batch_size=4, **kwargs)
    assert len(general_calls) == 2
    n = 8 if other == "steps" else 12
    np.testing.assert_allclose(got, theirs.predict(x[:n], batch_size=4, verbose=0), rtol=1e-5, atol=1e-6)


def test_a_wrong_sample_shape_still_gets_the_models_error():
    ours = _tiny(kerastorch)
    ours.predict(np.zeros((4, 6), "float32"), verbose=0)
    with pytest.raises(ValueError, match=r"expects samples of shape \(6,\)"):
        ours.predict(np.zeros((4, 5), "float32"), verbose=0)


def test_a_pickled_or_copied_model_predicts_through_the_general_path_first(general_calls):
    import copy
    import pickle

    ours, theirs = _pair("functional")
    x = np.random.default_rng(2).normal(size=(9, 6)).astype("float32")
    ours.predict(x, verbose=0)
    for twin in (pickle.loads(pickle.dumps(ours)), copy.deepcopy(ours)):
        np.testing.assert_allclose(twin.predict(x, verbose=0), theirs.predict(x, verbose=0), rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(twin.predict(x, verbose=0), theirs.predict(x, verbose=0), rtol=1e-5, atol=1e-6)
    assert len(general_calls) == 3          # the first call and each twin's first call


# --------------------------------------------------------------------------- evaluate
@pytest.fixture
def general_evaluations(monkeypatch):
    return _count_calls(monkeypatch, "_evaluate_loop")


COMPILES = {   # builder, loss, metrics, targets
    "tiny binary": ("tiny", "binary_crossentropy", ["accuracy", "mse"], lambda rng, n: rng.integers(0, 2, (n, 1))),
    "sequential categorical": ("sequential", "categorical_crossentropy", ["accuracy"],
                               lambda rng, n: np.eye(3)[rng.integers(0, 3, n)]),
    "functional mse": ("functional", "mse", ["mae"], lambda rng, n: rng.normal(size=(n, 3))),
    "text binary": ("text", "binary_crossentropy", ["accuracy"], lambda rng, n: rng.integers(0, 2, (n, 1))),
}


def _compiled_pair(case):
    name, loss, metrics, targets = COMPILES[case]
    ours, theirs = _pair(name)
    ours.compile(optimizer="sgd", loss=loss, metrics=list(metrics))
    theirs.compile(optimizer="sgd", loss=loss, metrics=list(metrics))
    rng = np.random.default_rng(len(case))
    x = rng.integers(0, 20, (30, 5)) if name == "text" else rng.normal(size=(30, 6)).astype("float32")
    return ours, theirs, x, targets(rng, 30).astype("float32")


@pytest.mark.parametrize("case", sorted(COMPILES))
@pytest.mark.parametrize("batch_size", [4, 64])
def test_repeated_evaluate_takes_the_lean_path_and_equals_keras(case, batch_size, general_evaluations,
                                                               general_calls):
    ours, theirs, x, y = _compiled_pair(case)
    ours.train()
    results = [ours.evaluate(x, y, batch_size=batch_size, verbose=0)]
    ours.predict(x, batch_size=batch_size, verbose=0)
    results += [ours.evaluate(x, y, batch_size=batch_size, verbose=0),
                ours.evaluate(x, y, batch_size=batch_size, verbose=0, return_dict=True)]
    ours.predict(x, batch_size=batch_size, verbose=0)
    assert len(general_evaluations) == 1 and len(general_calls) == 1, "repeats (interleaved) should be lean"
    want = theirs.evaluate(x, y, batch_size=batch_size, verbose=0)
    np.testing.assert_allclose(results[0], want, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(results[1], want, rtol=1e-5, atol=1e-6)
    assert results[2] == pytest.approx(theirs.evaluate(x, y, batch_size=batch_size, verbose=0, return_dict=True),
                                       rel=1e-5, abs=1e-6)
    assert ours.training


def _recompile(model):
    model.compile(optimizer="sgd", loss="binary_crossentropy", metrics=["mse"])


EVALUATE_CHANGES = {"hook on a layer": _hook_on_layer, "global hook": _global_hook, "recompiled": _recompile,
                    "dtype policy": _policy}


@pytest.mark.parametrize("change", sorted(EVALUATE_CHANGES))
def test_a_change_sends_evaluate_back_to_the_general_path(change, general_evaluations):
    ours, _, x, y = _compiled_pair("tiny binary")
    ours.evaluate(x, y, verbose=0)
    handle = EVALUATE_CHANGES[change](ours)
    try:
        ours.evaluate(x, y, verbose=0)
        assert len(general_evaluations) == 2, f"after '{change}' the general path should run"
    finally:
        if handle is not None:
            handle.remove()
        kerastorch.mixed_precision.set_global_policy("float32")


def test_other_kinds_of_evaluate_take_the_general_path_with_keras_results(general_evaluations):
    ours, theirs, x, y = _compiled_pair("tiny binary")
    ours.evaluate(x, y, verbose=0)
    w = np.linspace(0.1, 1.0, 30).astype("float32")
    for kwargs in ({"sample_weight": w}, {"steps": 2, "batch_size": 8}, {"verbose": 1}):
        got = ours.evaluate(x, y, **kwargs)
        want = theirs.evaluate(x, y, **kwargs)
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    assert len(general_evaluations) == 4
    with pytest.raises(ValueError):          # the targets are still checked on the lean path
        ours.evaluate(x, y, verbose=0)
        ours.evaluate(x, y * 3.0, verbose=0)


def test_lean_evaluate_calls_the_model_directly(monkeypatch, general_evaluations):
    from kerastorch.layers import base

    ours, _, x, y = _compiled_pair("sequential categorical")
    ours.evaluate(x, y, batch_size=8, verbose=0)
    called = []
    original = base.Layer.__call__
    monkeypatch.setattr(base.Layer, "__call__", lambda self, *a, **k: called.append(self.name) or original(self, *a, **k))
    ours.evaluate(x, y, batch_size=8, verbose=0)
    assert len(general_evaluations) == 1 and called == []


# --------------------------------------------------------------------------- evaluate's counted accuracies
def _binary_at(threshold):
    return lambda lib: lib.metrics.BinaryAccuracy(threshold=threshold)


def _two_hot_and_empty(rng, n):
    """One-hot rows but one with two ones and one of zeros: as many nonzeros as rows, not one-hot."""
    y = np.eye(3)[rng.integers(0, 3, n)]
    y[n // 2] = [1, 1, 0]
    y[n // 3] = 0
    return y


COUNTED = {   # builder, loss, metrics, targets, accuracies counted per call (the others updated per batch;
              # None: the loss is not fused, the call runs test_step)
    "binary 0/1": ("tiny", "binary_crossentropy", ["accuracy", "mae"], lambda rng, n: rng.integers(0, 2, (n, 1)), 1),
    "binary threshold": ("tiny", "binary_crossentropy", [_binary_at(0.3), _binary_at(0.7)],
                         lambda rng, n: rng.integers(0, 2, (n, 1)), 2),
    "binary soft targets": ("tiny", "binary_crossentropy", ["accuracy"],
                            lambda rng, n: rng.uniform(size=(n, 1)).round(1), 1),
    "softmax with binary crossentropy (not fused: test_step)": (
        "sequential", "binary_crossentropy", ["accuracy"], lambda rng, n: rng.integers(0, 2, (n, 3)), None),
    "categorical": ("sequential", "categorical_crossentropy",
                    ["accuracy", "categorical_accuracy", lambda lib: lib.metrics.TopKCategoricalAccuracy(k=2)],
                    lambda rng, n: np.eye(3)[rng.integers(0, 3, n)], 2),
    "categorical soft targets": ("sequential", "categorical_crossentropy", ["accuracy"],
                                 lambda rng, n: rng.dirichlet(np.ones(3), n), 1),
    "categorical two-hot and empty rows": ("sequential", "categorical_crossentropy", ["accuracy"],
                                           lambda rng, n: _two_hot_and_empty(rng, n), 1),
    "functional categorical": ("functional", "categorical_crossentropy", ["categorical_accuracy"],
                               lambda rng, n: np.eye(3)[rng.integers(0, 3, n)], 1),
    "sparse ids column": ("sequential", "sparse_categorical_crossentropy", ["accuracy"],
                          lambda rng, n: rng.integers(0, 3, (n, 1)), 1),
    "sparse ids flat": ("functional", "sparse_categorical_crossentropy", ["sparse_categorical_accuracy"],
                        lambda rng, n: rng.integers(0, 3, n), 1),
    "sparse float ids": ("sequential", "sparse_categorical_crossentropy", ["sparse_categorical_accuracy"],
                         lambda rng, n: rng.integers(0, 3, n).astype("float32"), 1),
}


@pytest.fixture
def counted(monkeypatch):
    """The number of accuracies each lean evaluate call counted (None: the call ran test_step)."""
    from kerastorch.trainer import lean_evaluate

    made, calls = [], []
    original_counter, original_loop = lean_evaluate._counter, lean_evaluate.fused_loop

    def counter(*args):
        c = original_counter(*args)
        made.append(c is not None)
        return c

    def loop(*args):
        made.clear()
        served = original_loop(*args)
        calls.append(sum(made) if served else None)
        return served
    monkeypatch.setattr(lean_evaluate, "_counter", counter)
    monkeypatch.setattr(lean_evaluate, "fused_loop", loop)
    return calls


@pytest.mark.parametrize("case", sorted(COUNTED))
@pytest.mark.parametrize("batch_size", [5, 13, 64])
def test_counted_accuracies_equal_keras(case, batch_size, counted, general_evaluations):
    name, loss, metrics, targets, n_counted = COUNTED[case]
    ours, theirs = _pair(name)
    ours.compile(optimizer="sgd", loss=loss, metrics=[m(kerastorch) if callable(m) else m for m in metrics])
    theirs.compile(optimizer="sgd", loss=loss, metrics=[m(keras) if callable(m) else m for m in metrics])
    rng = np.random.default_rng(batch_size)
    x = rng.normal(size=(41, 6)).astype("float32")
    y = targets(rng, 41)
    y = y.astype("float32") if y.dtype.kind == "f" else y
    want = theirs.evaluate(x, y, batch_size=batch_size, verbose=0, return_dict=True)
    got = [ours.evaluate(x, y, batch_size=batch_size, verbose=0, return_dict=True) for _ in range(3)]
    assert len(general_evaluations) == 1 and counted == [n_counted, n_counted], counted
    for logs in got:
        assert logs == pytest.approx(want, rel=1e-5, abs=1e-6)
    # The metrics' states hold the counted matches after the call, as after Keras' evaluate.
    as_floats = lambda results: {k: float(v) for k, v in results.items()}    # noqa: E731
    assert as_floats(ours.get_metrics_result()) == pytest.approx(as_floats(theirs.get_metrics_result()),
                                                                 rel=1e-5, abs=1e-6)


def _tiny_binary(metrics, n, seed):
    """The tiny model in both libraries (the same weights) compiled with binary crossentropy and
    `metrics`, and `n` samples of inputs and 0/1 targets."""
    ours, theirs = _pair("tiny")
    for model in (ours, theirs):
        model.compile(optimizer="sgd", loss="binary_crossentropy", metrics=metrics)
    rng = np.random.default_rng(seed)
    return (ours, theirs, rng.normal(size=(n, 6)).astype("float32"),
            rng.integers(0, 2, (n, 1)).astype("float32"))


@pytest.mark.parametrize("metrics, per_call", [(["accuracy"], True), (["accuracy", "mae"], False)])
def test_accuracies_alone_are_compared_once_per_call(monkeypatch, metrics, per_call, general_evaluations):
    """With only counted accuracies compiled, the call's predictions are compared once at its end;
    with another metric (updated per batch) each batch is compared as it comes. Keras' values either way."""
    from kerastorch.trainer import lean_evaluate

    ours, theirs, x, y = _tiny_binary(metrics, 53, seed=7)
    ours.evaluate(x, y, batch_size=8, verbose=0)
    compared = []
    original = lean_evaluate._MatchCounter.batch
    monkeypatch.setattr(lean_evaluate._MatchCounter, "batch",
                        lambda self, p, start, stop: compared.append((start, stop)) or original(self, p, start, stop))
    got = ours.evaluate(x, y, batch_size=8, verbose=0, return_dict=True)
    assert len(general_evaluations) == 1
    assert compared == ([(0, 53)] if per_call else [(s, min(s + 8, 53)) for s in range(0, 53, 8)])
    assert got == pytest.approx(theirs.evaluate(x, y, batch_size=8, verbose=0, return_dict=True), rel=1e-5, abs=1e-6)


@pytest.mark.parametrize("n", [40, 43])
@pytest.mark.parametrize("metrics, whole", [(["accuracy"], True), ([], True), (["accuracy", "mae"], False)])
def test_lean_evaluate_batches_run_in_inference_mode_and_training_goes_on(monkeypatch, metrics, whole, n,
                                                                          general_evaluations):
    """Past the first batch, a lean evaluate with no metric but the loss and counted accuracies runs its
    batches in inference mode (as a hand loop), the forward alone: the loss of all of them, the first
    batch's too, is computed once, per sample, at the end. With another metric (whose update could make state) every batch runs
    its loss, in no_grad. Either way no state is left an inference tensor: fit and evaluate go on, with
    Keras' values after it."""
    ours, theirs, x, y = _tiny_binary(metrics, n, seed=11)
    ours.evaluate(x, y, batch_size=8, verbose=0)          # the general path: the lean one serves the next
    calls = []
    from kerastorch.losses import fused as fused_lib

    original = fused_lib.clipped_sigmoid_bce

    def loss(z, yb, reduction=fused_lib.MEAN):
        calls.append((torch.is_inference_mode_enabled(), z.shape[0], reduction))
        return original(z, yb, reduction)
    monkeypatch.setattr(fused_lib, "clipped_sigmoid_bce", loss)
    got = ours.evaluate(x, y, batch_size=8, verbose=0)
    assert len(general_evaluations) == 1
    if whole:
        assert calls == [(True, n, fused_lib.NO_REDUCTION)]     # the first batch's loss with the others
    else:
        assert calls == [(False, 8, fused_lib.MEAN)] + [(False, min(8, n - s), fused_lib.MEAN)
                                                        for s in range(8, n, 8)]
    np.testing.assert_allclose(got, theirs.evaluate(x, y, batch_size=8, verbose=0), rtol=1e-5, atol=1e-6)
    monkeypatch.setattr(fused_lib, "clipped_sigmoid_bce", original)
    states = [t for m in ours.metrics for t in getattr(m, "variables", [])] + [ours._loss_tracker.total]
    assert states and not any(t.is_inference() or t.requires_grad for t in states)
    for model in (ours, theirs):
        model.fit(x, y, batch_size=8, epochs=1, verbose=0, shuffle=False)
    np.testing.assert_allclose(ours.evaluate(x, y, batch_size=8, verbose=0),
                               theirs.evaluate(x, y, batch_size=8, verbose=0), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name, writes_into", [("tiny", True), ("sequential", True), ("text", False),
                                               ("functional", False)])
def test_a_final_softmax_or_sigmoid_writes_into_the_output(name, writes_into, general_calls):
    """A Sequential of plain layers ending in Dense(softmax/sigmoid): the activation of each batch is
    written into predict's output (no copy), and the result is Keras' predict."""
    ours, theirs = _pair(name)
    rng = np.random.default_rng(3)
    x = rng.integers(0, 20, (23, 5)) if name == "text" else rng.normal(size=(23, 6)).astype("float32")
    ours.predict(x, batch_size=5, verbose=0)
    got = ours.predict(x, batch_size=5, verbose=0)
    assert len(general_calls) == 1
    assert (ours.__dict__["_kt_fast_predict"].into is not None) == writes_into
    np.testing.assert_allclose(got, theirs.predict(x, batch_size=5, verbose=0), rtol=1e-5, atol=1e-6)


def _adds_loss(lib):
    class AddsLoss(lib.layers.Layer):
        def call(self, x):
            self.add_loss(0.5 * lib.ops.mean(lib.ops.abs(x)))
            return x
    return AddsLoss()


def test_lean_evaluate_after_a_layer_added_losses_elsewhere(counted, general_evaluations):
    """A layer of another model using add_loss (once in the process) does not stop the lean path;
    a model whose own layer adds losses gets them in its loss, as Keras' evaluate."""
    other = kerastorch.Sequential([kerastorch.layers.Input((6,)), _adds_loss(kerastorch), kerastorch.layers.Dense(1)])
    other(np.zeros((2, 6), "float32"))
    ours, theirs, x, y = _compiled_pair("tiny binary")
    want = theirs.evaluate(x, y, batch_size=7, verbose=0)
    got = [ours.evaluate(x, y, batch_size=7, verbose=0) for _ in range(2)]
    assert counted == [1] and len(general_evaluations) == 1
    np.testing.assert_allclose(got, [want, want], rtol=1e-5, atol=1e-6)
    models = []
    for lib in (kerastorch, keras):
        L = lib.layers
        models.append(lib.Sequential([L.Input((6,)), L.Dense(4, activation="relu"), _adds_loss(lib),
                                      L.Dense(1, activation="sigmoid")]))
        models[-1].compile(optimizer="sgd", loss="binary_crossentropy", metrics=["accuracy"])
    models[0].set_weights(models[1].get_weights())
    want = models[1].evaluate(x, y, batch_size=7, verbose=0)
    for _ in range(3):
        np.testing.assert_allclose(models[0].evaluate(x, y, batch_size=7, verbose=0), want, rtol=1e-5, atol=1e-6)


def test_a_wrapped_torch_module_predicts_in_eval_mode_on_the_lean_path(general_calls):
    """torch modules read their train/eval mode: the lean path switches it (oracle: plain torch in eval)."""
    torch.manual_seed(0)
    dense = torch.nn.Linear(6, 3)
    model = kerastorch.Sequential([kerastorch.layers.Input((6,)), kerastorch.layers.TorchModuleWrapper(dense),
                                   kerastorch.layers.TorchModuleWrapper(torch.nn.Dropout(0.9))])
    x = np.random.default_rng(0).normal(size=(20, 6)).astype("float32")
    model.train()
    with torch.no_grad():
        want = dense(torch.from_numpy(x)).numpy()
    for _ in range(3):
        np.testing.assert_allclose(model.predict(x, batch_size=4, verbose=0), want, rtol=1e-6, atol=1e-6)
    assert len(general_calls) == 1 and model.__dict__["_kt_fast_predict"].switch_mode
    assert model.training and all(m.training for m in model.modules())


def test_a_changed_final_activation_is_seen_by_the_next_predict():
    ours, theirs = _pair("tiny")
    x = np.random.default_rng(5).normal(size=(9, 6)).astype("float32")
    ours.predict(x, verbose=0)
    ours.predict(x, verbose=0)
    ours.layers[-1].activation = kerastorch.activations.tanh
    theirs.layers[-1].activation = keras.activations.tanh
    np.testing.assert_allclose(ours.predict(x, verbose=0), theirs.predict(x, verbose=0), rtol=1e-5, atol=1e-6)


# --------------------------------------------------------------------------- one-hot targets
def _one_hot_oracle(y):
    """numpy: the class ids when every row holds a single 1 and zeros elsewhere, else None."""
    ones, zeros = y == 1, y == 0
    if not ((ones | zeros).all() and (ones.sum(axis=1) == 1).all()):
        return None
    return y.argmax(axis=1)


def _target_cases():
    rng = np.random.default_rng(7)
    hot = np.eye(5)[rng.integers(0, 5, 40)]
    cases = {"one-hot": hot, "one-hot, one class": np.ones((6, 1)), "soft": rng.dirichlet(np.ones(5), 40)}
    bad = hot.copy()
    bad[3], bad[9] = [1, 1, 0, 0, 0], 0                 # as many nonzeros as rows, not one-hot
    cases["two-hot and empty"] = bad
    bad = hot.copy()
    bad[0] = [2, -1, 0, 0, 0]                           # sums to 1, two nonzeros
    bad[1] = 0
    cases["sums to one, two nonzeros"] = bad
    for name, value in (("nan", np.nan), ("inf", np.inf), ("-0.0", -0.0), ("0.5", 0.5)):
        odd = hot.copy()
        odd[5, hot[5].argmax()] = value
        cases[f"a {name} in place of a 1"] = odd
    odd = hot.copy()
    odd[7, (hot[7].argmax() + 1) % 5] = -0.0             # -0.0 is a zero: still one-hot
    cases["a -0.0 zero"] = odd
    return cases


@pytest.mark.parametrize("case, dtype", [(case, dtype) for case, y in sorted(_target_cases().items())
                                         for dtype in ("float32", "float64", "float16", "int64")
                                         if dtype != "int64" or np.isfinite(y).all()])
def test_one_hot_ids_match_a_numpy_oracle(case, dtype):
    from kerastorch.trainer.lean_evaluate import one_hot_ids

    y = _target_cases()[case].astype(dtype)
    want = _one_hot_oracle(y)
    got = one_hot_ids(torch.from_numpy(y))
    if want is None:
        assert got is None
    else:
        assert got is not None and got.dtype == torch.int64
        np.testing.assert_array_equal(got.numpy(), want)


@pytest.mark.parametrize("batch_size", [32, 128])      # 4 batches or more: the specialized loss
def test_a_large_call_pads_its_log_softmax_and_equals_keras(monkeypatch, batch_size, general_evaluations):
    """600 samples of 3 classes: the whole call's log-softmax takes the padded kernel
    (ops/nn/_last_axis_softmax.py); the loss and accuracy equal Keras'."""
    ours, theirs = _pair("sequential")
    for model in (ours, theirs):
        model.compile(optimizer="sgd", loss="categorical_crossentropy", metrics=["accuracy"])
    rng = np.random.default_rng(batch_size)
    x = rng.normal(size=(600, 6)).astype("float32")
    y = np.eye(3)[rng.integers(0, 3, 600)].astype("float32")
    want = theirs.evaluate(x, y, batch_size=batch_size, verbose=0, return_dict=True)
    ours.evaluate(x, y, batch_size=batch_size, verbose=0)
    padded = []
    original = torch.constant_pad_nd
    monkeypatch.setattr(torch, "constant_pad_nd", lambda *a: padded.append(tuple(a[0].shape)) or original(*a))
    got = ours.evaluate(x, y, batch_size=batch_size, verbose=0, return_dict=True)
    assert len(general_evaluations) == 1 and padded == [(600, 3)]
    assert got == pytest.approx(want, rel=1e-5, abs=1e-6)
