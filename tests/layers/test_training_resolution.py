"""The `training` value of an eager call with `training=None`: Keras' rule (explicit argument, the
enclosing call's, the default in `call`'s signature) unless the user set a torch mode with
`train()`/`eval()`, which then decides. Generated over every public layer class, against real Keras."""

import inspect
import warnings

import numpy as np
import pytest
import torch

import kerastorch
from tests.layers.test_built_at_init import _make, _public_layer_names
from tests.saving.test_layer_round_trip import CASES


def _training_default(cls):
    p = inspect.signature(cls.call).parameters.get("training")
    return "absent" if p is None else p.default


def _augments_by_default(cls):
    return _training_default(cls) is True


def test_call_defaults_of_training_are_keras(keras):
    # What decides an eager call without `training`: whether `call` defaults it to True (augment)
    # or to None/False (inference). CenterCrop, Resizing, MaxNumBoundingBoxes take no `training`
    # here and are deterministic in both.
    deterministic = {"CenterCrop", "Resizing", "MaxNumBoundingBoxes"}
    differ = {n: (_training_default(getattr(kerastorch.layers, n)), _training_default(getattr(keras.layers, n)))
              for n in _public_layer_names() if n not in deterministic
              and _augments_by_default(getattr(kerastorch.layers, n)) != _augments_by_default(getattr(keras.layers, n))}
    assert differ == {}


def _trainable_cases():
    names = []
    for name in sorted(CASES):
        if name in ("AugMix", "RandAugment", "CutMix", "MixUp", "Pipeline"):
            continue            # layers that mix samples or hold other layers: covered by tests/layers/test_augmentation.py
        ours = getattr(kerastorch.layers, name, None)
        if ours is not None and "training" in inspect.signature(ours.call).parameters:
            names.append(name)
    return names


def _inputs(name):
    shape, _, integer = CASES[name]
    rng = np.random.default_rng(0)
    if integer:
        return rng.integers(1, 5, size=(4, *shape)).astype("int32")
    return rng.uniform(0.0, 1.0, size=(4, *shape)).astype("float32")


def _np(x):
    return np.asarray(x.detach().cpu().numpy() if isinstance(x, torch.Tensor) else kerastorch.ops.convert_to_numpy(x))


@pytest.mark.parametrize("name", _trainable_cases())
def test_eager_call_without_training_is_keras(keras, name):
    x = _inputs(name)
    ours, theirs = _make(kerastorch, name), _make(keras, name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        inference_ours = _np(ours(x, training=False))
        inference_theirs = _np(theirs(x, training=False))
        if ours.get_weights():
            theirs.set_weights(ours.get_weights())
            inference_theirs = _np(theirs(x, training=False))
        weights_before = [w.copy() for w in ours.get_weights()]
        default_ours, default_theirs = _np(ours(x)), _np(theirs(x))
    same_ours = default_ours.shape == inference_ours.shape and np.allclose(default_ours, inference_ours, atol=1e-4)
    same_theirs = (default_theirs.shape == inference_theirs.shape
                   and np.allclose(default_theirs, inference_theirs, atol=1e-4))
    assert same_ours == same_theirs            # inference (True) or a training-mode result (False), as Keras
    if same_theirs:
        np.testing.assert_allclose(default_ours, default_theirs, rtol=1e-5, atol=1e-5)
    # Keras' inference call changes no state (BatchNormalization's moving statistics).
    if same_theirs:
        for before, after in zip(weights_before, ours.get_weights()):
            np.testing.assert_array_equal(after, before)


def _model(lib, kind, stack):
    make = (lambda: [lib.layers.Dense(32), lib.layers.Dropout(0.5)]) if stack == "dropout" else (
        lambda: [lib.layers.RandomFlip("horizontal", seed=1)])
    if kind == "sequential":
        return lib.Sequential(make())
    if kind == "functional":
        inputs = x = lib.Input((32,) if stack == "dropout" else (4, 4, 3))
        for block in make():
            x = block(x)
        return lib.Model(inputs, x)

    class Net(lib.Model):
        def __init__(self, passes):
            super().__init__()
            self.passes = passes
            self.blocks = make()

        def call(self, inputs, training=None):
            for block in self.blocks:     # sublayers called without `training`: the call context
                inputs = block(inputs, training=training) if self.passes else block(inputs)
            return inputs

    return Net(kind == "subclassed_passing")


@pytest.mark.parametrize("stack", ["dropout", "random_flip"])
@pytest.mark.parametrize("kind", ["sequential", "functional", "subclassed", "subclassed_passing"])
def test_models_called_eagerly_resolve_training_as_keras(keras, kind, stack):
    rng = np.random.default_rng(0)
    x = rng.uniform(0.5, 1.0, size=(8, 32) if stack == "dropout" else (8, 4, 4, 3)).astype("float32")
    results = []
    for lib in (keras, kerastorch):
        model = _model(lib, kind, stack)
        inference = _np(model(x, training=False))
        results.append([np.allclose(_np(model(x, **kw)), inference) for kw in ({}, dict(training=True))])
    assert results[1] == results[0]


def test_torch_modes_decide_once_set():
    x = torch.ones(64, 64)
    drop = kerastorch.layers.Dropout(0.5)
    assert torch.equal(drop(x), x)                       # Keras: an eager call is inference
    drop.train()
    assert (drop(x) == 0).any()                          # torch: train() mode drops
    drop.eval()
    assert torch.equal(drop(x), x)
    assert (drop(x, training=True) == 0).any()           # an explicit argument still wins
    # A parent's train()/eval() sets its sublayers' modes, also inside a plain torch container.
    inner = kerastorch.layers.Dropout(0.5)
    torch.nn.Sequential(torch.nn.Identity(), inner).train()
    assert (inner(x) == 0).any()
    bn = kerastorch.layers.BatchNormalization()
    bn(x * 3)
    np.testing.assert_array_equal(bn.moving_mean.detach().numpy(), 0.0)     # inference: no update
    bn.train()
    bn(x * 3)
    assert (bn.moving_mean.detach().numpy() > 0).all()


def test_fit_and_evaluate_leave_keras_resolution_in_place():
    # fit/evaluate switch modes themselves; that is not the user's choice: afterwards an eager call
    # is inference again, as in Keras.
    model = kerastorch.Sequential([kerastorch.Input((8,)), kerastorch.layers.Dense(8), kerastorch.layers.Dropout(0.9)])
    model.compile(optimizer="sgd", loss="mse")
    x = np.random.default_rng(0).uniform(0.5, 1.0, size=(16, 8)).astype("float32")
    model.fit(x, x, epochs=1, verbose=0)
    model.evaluate(x, x, verbose=0)
    out = model(torch.as_tensor(x))
    np.testing.assert_allclose(out.detach().numpy(), model.predict(x, verbose=0), rtol=1e-6)
    model.train()                       # the user's own choice from here on
    assert (model(torch.as_tensor(x)) == 0).any()


def _probe_model(lib, kind):
    """A model whose innermost layer records the `training` its call gets; the layers between
    call it without `training` (Keras' call context must carry it)."""
    seen = []

    class Probe(lib.layers.Layer):
        def call(self, inputs, training=None):
            if getattr(inputs, "device", None) is None or inputs.device.type != "meta":   # not a shape trace
                seen.append(training)
            return inputs

    class Block(lib.layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.dense = lib.layers.Dense(2)
            self.probe = Probe()

        def call(self, inputs):
            return self.probe(self.dense(inputs))

    if kind == "sequential":
        model = lib.Sequential([lib.Input((3,)), Block()])
    elif kind == "functional":
        inputs = lib.Input((3,))
        model = lib.Model(inputs, Block()(inputs))
    else:
        class Net(lib.Model):
            def __init__(self):
                super().__init__()
                self.block = Block()

            def call(self, inputs):
                return self.block(inputs)

        model = Net()
        model(np.zeros((1, 3), "float32"))
    return model, seen


@pytest.mark.parametrize("kind", ["sequential", "functional", "subclassed"])
def test_sublayers_called_without_training_see_keras_value(keras, kind):
    x = np.random.default_rng(0).normal(size=(8, 3)).astype("float32")
    y = np.zeros((8, 2), "float32")
    results = []
    for lib in (keras, kerastorch):
        model, seen = _probe_model(lib, kind)
        model.compile(optimizer="sgd", loss="mse")
        phases = {}
        for phase, run in (("fit", lambda: model.fit(x, y, batch_size=4, epochs=1, verbose=0)),
                           ("evaluate", lambda: model.evaluate(x, y, batch_size=4, verbose=0)),
                           ("predict", lambda: model.predict(x, batch_size=4, verbose=0)),
                           ("eager", lambda: model(x)),
                           ("eager_training", lambda: model(x, training=True))):
            seen.clear()
            run()
            phases[phase] = sorted({bool(v) for v in seen})
        results.append(phases)
    assert results[1] == results[0]


def test_layers_inside_a_wrapped_torch_module_see_fits_training():
    drop = kerastorch.layers.Dropout(0.999)
    model = kerastorch.Model(torch.nn.Sequential(torch.nn.Linear(4, 4), drop))
    model.compile(optimizer="sgd", loss="mse")
    seen = []
    drop.register_forward_hook(lambda m, i, o: seen.append(bool((o == 0).all())))
    x = np.ones((8, 4), "float32")
    model.fit(x, x, batch_size=8, epochs=1, verbose=0)
    assert seen == [True]                     # fit's training=True reached the Dropout: all dropped
    seen.clear()
    model.predict(x, verbose=0)
    assert seen == [False]
