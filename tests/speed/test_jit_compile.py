"""`compile(jit_compile=True)`: the train, test and predict steps are whole graphs for torch.compile.

Graph breaks are counted with `torch._dynamo.explain` (it traces, it does not run inductor, so
these checks are fast). Compiled training is checked against eager training of the same model
with inductor itself (one tiny model: inductor compiles on 2 cores take seconds; its FX graph and
AOT autograd caches make later runs faster). Whether a second `fit` reuses the compiled steps is
counted with dynamo's own graph counter (with the quick "eager" backend).
"""

import numpy as np
import pytest
import torch

import kerastorch
from kerastorch import layers

_dynamo = pytest.importorskip("torch._dynamo")


def _mlp(jit):
    torch.manual_seed(0)
    model = kerastorch.Sequential([layers.Input(shape=(8,)), layers.Dense(16, activation="relu"),
                                   layers.Dense(3, activation="softmax")])
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"], jit_compile=jit)
    return model


def _cnn(jit):
    torch.manual_seed(0)
    model = kerastorch.Sequential([
        layers.Input(shape=(8, 8, 3)), layers.Conv2D(4, (3, 3), activation="relu", padding="same"),
        layers.MaxPooling2D((2, 2)), layers.Flatten(), layers.Dropout(0.5), layers.Dense(8, activation="relu"),
        layers.Dense(3, activation="softmax")])
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"], jit_compile=jit)
    return model


def _data(shape, n=32, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, *shape)).astype("float32")
    return x, np.eye(3, dtype="float32")[rng.integers(0, 3, n)]


@pytest.mark.parametrize("make, shape", [(_mlp, (8,)), (_cnn, (8, 8, 3))], ids=["mlp", "cnn"])
def test_train_test_and_predict_steps_trace_as_one_graph(make, shape):
    model = make(True)
    x, y = _data(shape, n=8)
    model._prepare_for_run(x.shape)               # what fit does first: build, place, choose the steps
    fns = model._step_fns
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    model.train()
    found = {"train": _dynamo.explain(fns["train"].eager)(xt, yt, None)}
    model.eval()
    found["test"] = _dynamo.explain(fns["test"].eager)(xt, yt, None)
    with torch.inference_mode():
        found["predict"] = _dynamo.explain(fns["predict"].eager)(xt)
    for step, explained in found.items():
        reasons = [str(b.reason) for b in explained.break_reasons]
        assert (explained.graph_count, explained.graph_break_count) == (1, 0), f"{step}: {reasons}"
        assert explained.op_count > 0, step         # the forward really was traced


def test_a_second_fit_evaluate_and_predict_reuse_the_compiled_steps():
    model = _mlp("eager")                          # dynamo with the eager backend: no inductor cost
    x, y = _data((8,))
    _dynamo.reset()
    model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    model.evaluate(x, y, batch_size=8, verbose=0)
    model.predict(x, batch_size=8, verbose=0)
    compiled = _dynamo.utils.counters["stats"]["unique_graphs"]
    assert compiled >= 3                           # train, test and predict each compiled once
    fns = model._step_fns
    model.fit(x, y, batch_size=8, epochs=2, verbose=0)
    model.evaluate(x, y, batch_size=8, verbose=0)
    model.predict(x, batch_size=8, verbose=0)
    assert model._step_fns is fns
    assert _dynamo.utils.counters["stats"]["unique_graphs"] == compiled, "a later call compiled again"


def test_compiled_training_with_inductor_equals_eager_training():
    x, y = _data((8,), n=32, seed=1)
    eager, compiled = _mlp(False), _mlp(True)
    compiled.set_weights(eager.get_weights())
    h_eager = eager.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0).history
    h_compiled = compiled.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0).history
    assert not compiled._step_fns["train"].failed, "inductor failed: training fell back to eager"
    for a, b in zip(compiled.get_weights(), eager.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
    for key in ("loss", "accuracy"):
        np.testing.assert_allclose(h_compiled[key], h_eager[key], rtol=1e-4, atol=1e-6)
