"""fit calls a Sequential/Functional model's forward directly (runtime.DirectCall) unless hooks or layer losses
need the module call; the oracle is the same training through `model(...)` (forced by a global hook)."""

import copy
import io
import pickle

import numpy as np
import torch

import kerastorch
from kerastorch import layers
from kerastorch.trainer.runtime import DirectCall


def _data():
    rng = np.random.default_rng(0)
    return [rng.normal(size=(32, 4)).astype("float32"), rng.normal(size=(32, 3)).astype("float32")], \
        np.eye(3, dtype="float32")[rng.integers(0, 3, 32)]


def _functional():
    kerastorch.utils.set_random_seed(1)
    a, b = kerastorch.Input((4,)), kerastorch.Input((3,))
    h = layers.concatenate([layers.Dense(5, activation="relu")(a), layers.Dense(2)(b)])
    model = kerastorch.Model([a, b], layers.Dense(3, activation="softmax")(h))
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    return model


def _sequential():
    kerastorch.utils.set_random_seed(1)
    model = kerastorch.Sequential([layers.Input((4,)), layers.Dense(5, activation="relu"), layers.Dropout(0.3),
                                   layers.BatchNormalization(), layers.Dense(3, "softmax")])
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    return model


def _fit(make, hooked):
    x, y = _data()
    model = make()
    if make is _sequential:
        x = x[0]
    handle = torch.nn.modules.module.register_module_forward_hook(lambda m, i, o: None) if hooked else None
    try:
        history = model.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0).history
    finally:
        if handle is not None:
            handle.remove()
    return model, history


def test_direct_calls_train_as_the_module_calls_do():
    for make in (_functional, _sequential):
        direct, h_direct = _fit(make, hooked=False)
        assert isinstance(direct._train_forward, DirectCall)
        through, h_through = _fit(make, hooked=True)
        assert h_direct == h_through
        for a, b in zip(direct.get_weights(), through.get_weights()):
            np.testing.assert_array_equal(a, b)
        x = _data()[0] if make is _functional else _data()[0][0]
        np.testing.assert_array_equal(direct.predict(x, verbose=0), through.predict(x, verbose=0))
        np.testing.assert_array_equal(direct.evaluate(x, _data()[1], verbose=0),
                                      through.evaluate(x, _data()[1], verbose=0))


def test_a_hook_on_the_model_fires_at_every_step():
    x, y = _data()
    model = _functional()
    model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    calls = []
    model.register_forward_hook(lambda m, i, o: calls.append(o.shape[0]))
    model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    assert calls == [8, 8, 8, 8]


def test_a_trained_model_pickles_and_its_deep_copy_trains_itself():
    x, y = _data()
    model = _functional()
    model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    buffer = io.BytesIO()
    torch.save(model, buffer)
    assert pickle.loads(pickle.dumps(model)).count_params() == model.count_params()
    twin = copy.deepcopy(model)
    assert twin._train_forward.model is twin
    before = [w.copy() for w in model.get_weights()]
    twin.train_step((([torch.tensor(x[0][:8]), torch.tensor(x[1][:8])]), torch.tensor(y[:8])))
    for a, b in zip(before, model.get_weights()):
        np.testing.assert_array_equal(a, b)              # the original did not move
    assert any(not np.array_equal(a, b) for a, b in zip(before, twin.get_weights()))


def _probe_model(lib, seen):
    class Probe(lib.layers.Layer):
        def call(self, x, training=None):
            seen.append(training)
            return x

    class Block(lib.layers.Layer):           # calls its sublayer without passing `training`
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.dense, self.probe = lib.layers.Dense(3), Probe()

        def call(self, x):
            return self.probe(self.dense(x))

    a = lib.Input((4,))
    model = lib.Model(a, lib.layers.Dense(2)(Block()(a)))
    model.compile(optimizer="sgd", loss="mse")
    return model


def test_sublayers_called_without_training_inherit_it_in_fit_evaluate_predict_as_in_keras():
    import keras

    x, y = np.zeros((8, 4), "float32"), np.zeros((8, 2), "float32")
    seen = {}
    for name, lib in (("ours", kerastorch), ("keras", keras)):
        calls = []
        model = _probe_model(lib, calls)
        model(x[:1])                          # built eagerly first
        phases = {}
        for phase, run in (("fit", lambda: model.fit(x, y, batch_size=4, epochs=1, verbose=0)),
                           ("evaluate", lambda: model.evaluate(x, y, batch_size=4, verbose=0)),
                           ("predict", lambda: model.predict(x, batch_size=4, verbose=0)),
                           ("predict again", lambda: model.predict(x, batch_size=4, verbose=0))):
            calls.clear()
            run()
            phases[phase] = list(calls)
        seen[name] = phases
    # Keras' fit also runs the model once symbolically first (one more call): its two steps are the last two.
    assert seen["ours"]["fit"] == seen["keras"]["fit"][-2:] == [True, True]
    for phase in ("evaluate", "predict", "predict again"):
        assert seen["ours"][phase] == seen["keras"][phase] == [False, False]


def test_fit_calls_a_sequential_models_plain_layers_directly(monkeypatch):
    from kerastorch.layers import base

    x, y = _data()
    model = _sequential()
    model.fit(x[0], y, batch_size=8, epochs=1, verbose=0)
    calls = []
    original = base.Layer.forward

    def counting(self, *args, **kwargs):
        calls.append(type(self).__name__)
        return original(self, *args, **kwargs)
    monkeypatch.setattr(base.Layer, "forward", counting)
    model.fit(x[0], y, batch_size=8, epochs=1, verbose=0)
    model.evaluate(x[0], y, batch_size=8, verbose=0)
    assert calls == [], f"layers called through Layer.forward: {calls}"
    handle = model.layers[0].register_forward_hook(lambda m, i, o: None)
    try:
        model.fit(x[0], y, batch_size=8, epochs=1, verbose=0)
    finally:
        handle.remove()
    assert calls == ["Dense"] * 4          # a hooked layer goes through its module call


def _add_loss_model(lib):
    class Penalty(lib.layers.Layer):
        def call(self, x):
            self.add_loss(0.1 * lib.ops.sum(lib.ops.square(x)))
            return x

    a = lib.Input((4,))
    h = Penalty()(lib.layers.Dense(3, name="first")(a))
    return lib.Model(a, lib.layers.Dense(2, name="out")(h))


def test_a_functional_model_with_add_loss_trains_as_keras_through_the_direct_call():
    import keras

    ours, theirs = _add_loss_model(kerastorch), _add_loss_model(keras)
    ours.set_weights(theirs.get_weights())
    rng = np.random.default_rng(3)
    x, y = rng.normal(size=(16, 4)).astype("float32"), rng.normal(size=(16, 2)).astype("float32")
    histories = []
    for model, lib in ((ours, kerastorch), (theirs, keras)):
        model.compile(optimizer=lib.optimizers.SGD(0.05), loss="mse")
        histories.append(model.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0).history["loss"])
        histories.append(model.evaluate(x, y, batch_size=4, verbose=0))
    assert isinstance(ours._train_forward, DirectCall)
    np.testing.assert_allclose(histories[0], histories[2], rtol=1e-5)
    np.testing.assert_allclose(histories[1], histories[3], rtol=1e-5)
    for a, b in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    assert len(ours.losses) == 1                  # the last call's loss only, as Keras keeps it


def test_another_models_layer_losses_do_not_turn_the_direct_paths_off(monkeypatch):
    from kerastorch.layers import base
    from kerastorch.trainer import loops

    holder = _add_loss_model(kerastorch)
    holder(np.zeros((2, 4), "float32"))           # its layer now holds a loss
    assert base._LOSS_HOLDERS
    model = _sequential()
    x, y = _data()
    x = x[0]
    model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    calls = []
    monkeypatch.setattr(base.Layer, "__call__", lambda self, *a, **k: calls.append(self.name) or
                        torch.nn.Module.__call__(self, *a, **k))
    model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    assert model.name not in calls                # the model itself was not called through __call__
    general = []
    original = loops.LoopsMixin._predict_loop
    monkeypatch.setattr(loops.LoopsMixin, "_predict_loop", lambda self, *a: general.append(1) or original(self, *a))
    model.predict(x, verbose=0)
    model.predict(x, verbose=0)
    assert general == [1]                         # the repeat took the lean path
    assert len(holder.losses) == 1                # the other model's loss is left as it was
