"""The Functional plan runs a plain layer's `call` directly, and falls back to `layer(...)` whenever
something the module call does matters: torch hooks (global or the layer's), a tensor carrying a
Keras mask, an unbuilt or non-plain layer. The oracle for values is the same model called through
the full module machinery (forced by a global forward hook)."""

import numpy as np
import torch

import kerastorch
from kerastorch import layers
from kerastorch.layers import base


def _model():
    a = kerastorch.Input((4,), name="a")
    b = kerastorch.Input((3,), name="b")
    h = layers.concatenate([layers.Dense(5, activation="relu")(a), layers.Dense(2)(b)])
    h = layers.Dropout(0.5)(layers.BatchNormalization()(h))
    return kerastorch.Model([a, b], layers.Dense(3, activation="softmax", name="out")(h))


def _count_forwards(monkeypatch):
    calls = []
    original = base.Layer.forward

    def counting(self, *args, **kwargs):
        calls.append(self.name)
        return original(self, *args, **kwargs)
    monkeypatch.setattr(base.Layer, "forward", counting)
    return calls


def test_plain_layers_are_called_directly_and_give_the_module_calls_values(monkeypatch):
    model = _model()
    x = [torch.randn(6, 4), torch.randn(6, 3)]
    model.eval()
    model(x)                                              # built
    calls = _count_forwards(monkeypatch)
    direct = model(x)
    assert not [n for n in calls if n.startswith("dense") or n == "out"]     # no Layer.forward for Dense
    handle = torch.nn.modules.module.register_module_forward_hook(lambda m, i, o: None)
    try:
        through_modules = model(x)
    finally:
        handle.remove()
    assert "out" in calls                                  # the hook sent every step through layer(...)
    torch.testing.assert_close(direct, through_modules, rtol=0, atol=0)


def test_a_hook_added_after_the_first_run_still_fires():
    model = _model()
    x = [torch.randn(2, 4), torch.randn(2, 3)]
    model(x)
    seen = []
    model.get_layer("out").register_forward_hook(lambda m, i, o: seen.append(tuple(o.shape)))
    model(x)
    assert seen == [(2, 3)]


def test_training_through_the_plan_equals_training_through_module_calls():
    data = np.random.default_rng(0)
    xa, xb = data.normal(size=(32, 4)).astype("float32"), data.normal(size=(32, 3)).astype("float32")
    y = data.integers(0, 3, 32)
    results = []
    for hooked in (False, True):
        kerastorch.utils.set_random_seed(7)
        model = _model()
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
        handle = (torch.nn.modules.module.register_module_forward_hook(lambda m, i, o: None) if hooked else None)
        try:
            kerastorch.utils.set_random_seed(8)
            history = model.fit([xa, xb], y, batch_size=8, epochs=2, shuffle=False, verbose=0).history
        finally:
            if handle is not None:
                handle.remove()
        results.append((history["loss"], [w.copy() for w in model.get_weights()]))
    assert results[0][0] == results[1][0]
    for w0, w1 in zip(results[0][1], results[1][1]):
        np.testing.assert_array_equal(w0, w1)
