"""predict's and evaluate's lean path for models whose batches run through step functions:
`jit_compile` (the `torch.compile`d predict and test steps) and a mixed precision policy (the steps
under autocast). A repeated call runs the very function the general path ran per batch, in eval mode
as it does, without the general path's set-up; values equal the general path's and real Keras'
(same weights), the compiled graphs are reused (dynamo's graph counter does not move), and a change
the general path would see sends the call back to it. Calls are counted, not timed."""

import numpy as np
import pytest
import torch

import kerastorch

from .test_fast_inference import _count_calls

keras = pytest.importorskip("keras")
pytest.importorskip("torch._dynamo")


def _pair(jit="eager", loss="categorical_crossentropy"):
    def build(lib):
        L = lib.layers
        return lib.Sequential([L.Input((6,)), L.Dense(8, activation="relu"), L.Dropout(0.5),
                               L.Dense(3, activation="softmax")])
    theirs, ours = build(keras), build(kerastorch)
    ours.set_weights(theirs.get_weights())
    ours.compile(optimizer="sgd", loss=loss, metrics=["accuracy"], jit_compile=jit)
    theirs.compile(optimizer="sgd", loss=loss, metrics=["accuracy"])
    rng = np.random.default_rng(3)
    x = rng.normal(size=(30, 6)).astype("float32")
    y = np.eye(3, dtype="float32")[rng.integers(0, 3, 30)]
    return ours, theirs, x, y


def _graphs():
    return torch._dynamo.utils.counters["stats"]["unique_graphs"]


@pytest.mark.parametrize("jit", ["eager", True])      # dynamo's graph run op by op; inductor
def test_repeated_jit_predict_is_lean_reuses_its_graphs_and_equals_keras(monkeypatch, jit):
    general = _count_calls(monkeypatch, "_predict_loop")
    ours, theirs, x, _ = _pair(jit)
    ours.train()
    first = ours.predict(x, batch_size=8, verbose=0)            # general: compiles (30 = 3 x 8 + 6)
    ours.predict(x, batch_size=8, verbose=0)                    # lean: may compile the mode it now runs in
    graphs = _graphs()
    again = [ours.predict(x, batch_size=8, verbose=0), ours.predict(torch.from_numpy(x), batch_size=8, verbose=0)]
    assert len(general) == 1, "the repeated calls should take the lean path"
    assert _graphs() == graphs, "the lean calls should run the graphs already compiled"
    assert ours._step_fns["predict"].failed is False
    want = theirs.predict(x, batch_size=8, verbose=0)
    for got in [first] + again:
        assert got.dtype == want.dtype and got.shape == want.shape
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    assert ours.training                                        # the mode the model had is kept


def test_lean_jit_predict_runs_the_compiled_step_in_eval_mode(monkeypatch):
    ours, _, x, _ = _pair()
    ours.predict(x, verbose=0)
    seen = []
    fn = ours._step_fns["predict"]
    original = fn.compiled

    def spying(*args):
        seen.append((ours.training, [m.training for m in ours.modules()]))
        return original(*args)
    monkeypatch.setattr(fn, "compiled", spying)
    ours.train()
    ours.predict(x, batch_size=16, verbose=0)
    assert len(seen) == 2 and all(not top and not any(modes) for top, modes in seen)
    assert ours.training


def test_repeated_jit_evaluate_is_lean_and_equals_keras(monkeypatch):
    general = _count_calls(monkeypatch, "_evaluate_loop")
    ours, theirs, x, y = _pair()
    ours.train()
    results = [ours.evaluate(x, y, batch_size=8, verbose=0) for _ in range(3)]
    assert len(general) == 1
    want = theirs.evaluate(x, y, batch_size=8, verbose=0)
    for got in results:
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    assert ours.training


def test_repeated_mixed_precision_predict_and_evaluate_are_lean(monkeypatch):
    predicts, evaluates = _count_calls(monkeypatch, "_predict_loop"), _count_calls(monkeypatch, "_evaluate_loop")
    kerastorch.mixed_precision.set_global_policy("mixed_bfloat16")
    keras.mixed_precision.set_global_policy("mixed_bfloat16")
    try:
        ours, theirs, x, y = _pair(jit=False)
        p = [ours.predict(x, batch_size=8, verbose=0) for _ in range(3)]
        e = [ours.evaluate(x, y, batch_size=8, verbose=0) for _ in range(3)]
        assert ours._step_fns is not None, "a mixed precision policy runs the steps under autocast"
        assert len(predicts) == 1 and len(evaluates) == 1
        for got in p[1:]:
            np.testing.assert_array_equal(got, p[0])               # the general path's very values
        for got in e[1:]:
            assert got == e[0]
        np.testing.assert_allclose(p[0], theirs.predict(x, batch_size=8, verbose=0), rtol=2e-2, atol=2e-2)
        np.testing.assert_allclose(e[0], theirs.evaluate(x, y, batch_size=8, verbose=0), rtol=2e-2, atol=2e-2)
    finally:
        kerastorch.mixed_precision.set_global_policy("float32")
        keras.mixed_precision.set_global_policy("float32")


def _recompile_eager(model):
    model.compile(optimizer="sgd", loss="categorical_crossentropy", metrics=["accuracy"], jit_compile=False)


def _policy(model):
    kerastorch.mixed_precision.set_global_policy("float64")


def _hook(model):
    return model.layers[0].register_forward_hook(lambda m, i, o: None)


CHANGES = {"recompiled without jit": _recompile_eager, "dtype policy": _policy, "hook on a layer": _hook}


@pytest.mark.parametrize("change", sorted(CHANGES))
def test_a_change_sends_jit_predict_back_to_the_general_path(monkeypatch, change):
    general = _count_calls(monkeypatch, "_predict_loop")
    ours, theirs, x, _ = _pair()
    ours.predict(x, verbose=0)
    ours.predict(x, verbose=0)
    handle = CHANGES[change](ours)
    try:
        got = ours.predict(x, verbose=0)
        assert len(general) == 2, f"after '{change}' the general path should run"
        np.testing.assert_allclose(got, theirs.predict(x, verbose=0), rtol=1e-5, atol=1e-6)
    finally:
        if handle is not None:
            handle.remove()
        kerastorch.mixed_precision.set_global_policy("float32")
