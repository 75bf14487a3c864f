"""The Functional plan computes kerastorch's merge layers directly with torch (no module call) when their
inputs are plain tensors of the recorded shapes and dtype; tested against real Keras over every merge layer,
and its fallbacks (masks, other batch sizes, hooks) against the layer's own call."""

import numpy as np
import pytest
import torch

import kerastorch

keras = pytest.importorskip("keras")

MERGES = ["Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum", "Concatenate"]


def _build(lib, merge, three=False):
    layers = lib.layers
    inputs = [lib.Input((4,), name=f"in_{i}") for i in range(3 if three else 2)]
    towers = [layers.Dense(3, activation="tanh", name=f"tower_{i}")(x) for i, x in enumerate(inputs)]
    joined = getattr(layers, merge)(name="merge")(towers)
    return lib.Model(inputs, layers.Dense(2, name="head")(joined))


def _pair(merge, three=False):
    theirs = _build(keras, merge, three)
    ours = _build(kerastorch, merge, three)
    ours.set_weights(theirs.get_weights())
    return ours, theirs


def _merge_step(model):
    plan = model._plan
    direct = plan._direct if plan._direct is not None else plan._make_direct()
    (index,) = [i for i, step in enumerate(plan.steps) if step[0] is model.get_layer("merge")]
    return direct[index]


# Subtract takes exactly two inputs (Keras refuses three).
@pytest.mark.parametrize("merge, three", [(m, n) for m in MERGES for n in (False, True) if not (m == "Subtract" and n)])
def test_direct_merge_predicts_and_trains_as_keras(merge, three):
    ours, theirs = _pair(merge, three)
    assert _merge_step(ours) is not None, "the plan should compute this merge directly"
    rng = np.random.default_rng(MERGES.index(merge))
    xs = [rng.normal(size=(16, 4)).astype("float32") for _ in ours.inputs]
    y = rng.normal(size=(16, 2)).astype("float32")
    np.testing.assert_allclose(ours.predict(xs, verbose=0), theirs.predict(xs, verbose=0), rtol=1e-6, atol=1e-6)
    for model, lib in ((ours, kerastorch), (theirs, keras)):
        model.compile(optimizer=lib.optimizers.SGD(0.1), loss="mse")
    h_ours = ours.fit(xs, y, batch_size=8, epochs=2, shuffle=False, verbose=0).history
    h_theirs = theirs.fit(xs, y, batch_size=8, epochs=2, shuffle=False, verbose=0).history
    np.testing.assert_allclose(h_ours["loss"], h_theirs["loss"], rtol=1e-5)
    for a, b in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_merge_of_other_batch_sizes_raises_the_layers_error_not_torchs():
    ours, _ = _pair("Concatenate")
    with pytest.raises(ValueError, match="batch|shape"):
        ours([torch.zeros(4, 4), torch.zeros(5, 4)])


@pytest.mark.parametrize("merge", ["Add", "Concatenate"])
def test_masked_inputs_and_hooks_go_through_the_layer_call(merge):
    ours, _ = _pair(merge)
    xs = [torch.randn(3, 4), torch.randn(3, 4)]
    plain = ours(xs)
    seen = []
    handle = ours.get_layer("merge").register_forward_hook(lambda m, i, o: seen.append(o.shape))
    try:
        hooked = ours(xs)
    finally:
        handle.remove()
    assert seen == [torch.Size([3, 3 if merge == "Add" else 6])]
    torch.testing.assert_close(plain, hooked, rtol=0, atol=0)
    calls = []
    layer = ours.get_layer("merge")
    original = type(layer).call
    try:
        type(layer).call = lambda self, inputs, mask=None: calls.append(mask) or original(self, inputs, mask=mask)
        masked = ours._plan.run([xs[0], xs[1]], None)     # no mask: the direct path, layer.call not reached
        assert calls == []
        tower = ours.get_layer("tower_0")
        hook = tower.register_forward_hook(lambda m, i, o: setattr(o, "_keras_mask", torch.ones(3, dtype=torch.bool)))
        try:
            ours(xs)
        finally:
            hook.remove()
        assert len(calls) == 1       # an input carrying a mask: the layer's own call (which reads the masks)
    finally:
        type(layer).call = original
    torch.testing.assert_close(masked[0], plain, rtol=0, atol=0)
