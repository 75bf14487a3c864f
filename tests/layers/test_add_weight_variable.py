"""`Layer.add_weight` returns the weight's Variable (the one `layer.weights` lists), as in Keras.

Each check runs the same user layer on real Keras and on kerastorch (factories taking the library),
or checks torch's side (Parameters, state_dict, autograd, devices, copies) against plain torch.
"""

import copy

import numpy as np
import pytest
import torch

import kerastorch

# (add_weight keyword arguments, where the weight is made): a table the checks are generated over.
WEIGHT_SPECS = {
    "named_trainable": dict(shape=(3, 2), initializer="ones", name="w"),
    "named_frozen": dict(shape=(2,), initializer="zeros", trainable=False, name="total"),
    "unnamed": dict(shape=(2, 2), initializer="ones"),
    "unnamed_frozen": dict(shape=(4,), initializer="zeros", trainable=False),
    "float64": dict(shape=(2,), initializer="ones", dtype="float64", name="d"),
    "int_counter": dict(shape=(), initializer="zeros", dtype="int32", trainable=False, name="count"),
    "scalar": dict(shape=(), initializer="ones", name="s"),
}


def _one_weight_layer(lib, spec, in_init):
    class OneWeight(lib.layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            if in_init:
                self.v = self.add_weight(**spec)

        def build(self, input_shape):
            if not in_init:
                self.v = self.add_weight(**spec)

        def call(self, inputs):
            return inputs

    return OneWeight(name="one")


@pytest.mark.parametrize("in_init", [True, False], ids=["in_init", "in_build"])
@pytest.mark.parametrize("spec", sorted(WEIGHT_SPECS))
def test_add_weight_returns_the_listed_variable(keras, spec, in_init):
    results = []
    for lib in (keras, kerastorch):
        lib.utils.clear_session(free_memory=False)    # auto names ("variable", "variable_1") counted afresh
        layer = _one_weight_layer(lib, WEIGHT_SPECS[spec], in_init)
        layer(np.ones((1, 2), "float32"))
        v = layer.v
        assert isinstance(v, lib.Variable)
        assert layer.weights[0] is v
        assert (layer.trainable_weights if v.trainable else layer.non_trainable_weights)[0] is v
        results.append((v.trainable, tuple(v.shape), str(v.dtype), v.numpy().tolist(),
                        len(layer.trainable_weights), len(layer.non_trainable_weights), v.name, v.path))
    assert results[1] == results[0]


def _linear(lib, named):
    ops = lib.ops

    class Linear(lib.layers.Layer):
        def __init__(self, units=3, **kwargs):
            super().__init__(**kwargs)
            self.units = units

        def build(self, input_shape):
            extra = {"name": "w"} if named else {}
            self.w = self.add_weight(shape=(input_shape[-1], self.units), initializer="random_normal", **extra)
            extra = {"name": "b"} if named else {}
            self.b = self.add_weight(shape=(self.units,), initializer="random_normal", **extra)

        def call(self, inputs):
            return ops.matmul(inputs, self.w) + self.b

        def get_config(self):
            return {**super().get_config(), "units": self.units}

    return Linear


def _counter(lib):
    ops = lib.ops

    class Counter(lib.layers.Layer):
        """Counts the samples it saw in training (a frozen weight assigned in call)."""

        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.seen = self.add_weight(shape=(), initializer="zeros", trainable=False, name="seen")
            self.total = self.add_weight(shape=(2,), initializer="zeros", trainable=False)

        def call(self, inputs, training=False):
            if training:
                self.seen.assign_add(ops.cast(ops.shape(inputs)[0], "float32"))
                self.total.assign_add(ops.sum(inputs, axis=0))
            else:
                self.total.assign_sub(ops.zeros((2,)))
            return inputs

    return Counter


@pytest.mark.parametrize("named", [True, False], ids=["named", "unnamed"])
def test_variables_train_and_update_in_fit_as_keras(keras, named):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(20, 2)).astype("float32")
    y = rng.normal(size=(20, 3)).astype("float32")
    out = []
    for lib in (keras, kerastorch):
        inputs = lib.Input((2,))
        counter = _counter(lib)(name="counter")
        model = lib.Model(inputs, _linear(lib, named)(name="linear")(counter(inputs)))
        if lib is kerastorch:
            model.set_weights(keras_weights)
        else:
            keras_weights = model.get_weights()
        model.compile(optimizer="sgd", loss="mse")
        model.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
        model.predict(x, verbose=0)
        model.evaluate(x, y, verbose=0)
        out.append([np.asarray(w) for w in model.get_weights()])
    assert len(out[0]) == len(out[1])
    for a, b in zip(*out):
        np.testing.assert_allclose(b, a, rtol=1e-5, atol=1e-6)
    assert out[1][0] == 40.0       # 2 epochs of 20 samples


def test_assign_inside_call_under_no_grad_and_inference_mode(keras):
    layer = _counter(kerastorch)()
    x = torch.ones(3, 2)
    with torch.no_grad():
        layer(x, training=True)
    with torch.inference_mode():
        layer(x, training=True)
    layer(x, training=True)
    np.testing.assert_array_equal(layer.seen.numpy(), 9.0)
    np.testing.assert_array_equal(layer.total.numpy(), [9.0, 9.0])
    assert layer.seen.value is layer._buffers["seen"]


@pytest.mark.parametrize("named", [True, False], ids=["named", "unnamed"])
def test_autograd_reaches_the_parameter(named):
    layer = _linear(kerastorch, named)()
    x = torch.arange(6.0).reshape(2, 3)
    layer(x)
    w, b = layer.w, layer.b
    params = dict(layer.named_parameters())
    assert len(params) == 2 and all(isinstance(p, torch.nn.Parameter) for p in params.values())
    assert {id(p) for p in params.values()} == {id(w.value), id(b.value)}
    (torch.tanh(layer(x)) * 2).sum().backward()
    # Plain torch on the same numbers.
    w_ref = w.value.detach().clone().requires_grad_()
    b_ref = b.value.detach().clone().requires_grad_()
    (torch.tanh(x @ w_ref + b_ref) * 2).sum().backward()
    torch.testing.assert_close(w.value.grad, w_ref.grad)
    torch.testing.assert_close(b.value.grad, b_ref.grad)
    # torch functions and kerastorch ops take the Variable.
    torch.testing.assert_close(torch.matmul(x, w), x @ w_ref.detach())
    torch.testing.assert_close(kerastorch.ops.add(b, 1.0), b_ref.detach() + 1.0)


@pytest.mark.parametrize("named", [True, False], ids=["named", "unnamed"])
def test_state_dict_devices_copies_keep_the_variable_on_its_tensor(named):
    layer = _linear(kerastorch, named)()
    layer(torch.ones(1, 2))
    names = ["w", "b"] if named else ["variable_0", "variable_1"]   # the same in every instance
    state = layer.state_dict()
    assert list(state) == names
    other = _linear(kerastorch, named)()
    other(torch.ones(1, 2))
    other.load_state_dict(state)
    np.testing.assert_array_equal(other.w.numpy(), layer.w.numpy())
    # A dtype/device move replaces the tensors: the Variables follow.
    layer.to(torch.float64)
    assert layer.w.dtype == "float64" and layer.w.value is dict(layer.named_parameters())[names[0]]
    clone = copy.deepcopy(layer)
    assert clone.w is clone.weights[0] and clone.w._owner is clone
    clone.w.assign(np.zeros((2, 3)))
    assert layer.w.numpy().any() and not clone.w.numpy().any()
    # Setting the attribute to something else drops the Variable, as any attribute.
    layer.w = torch.nn.Parameter(torch.zeros(2, 3, dtype=torch.float64))
    assert isinstance(layer.w, torch.nn.Parameter) and "w" not in layer.__dict__


@pytest.mark.parametrize("fmt", ["weights.h5", "keras"])
@pytest.mark.parametrize("named", [True, False], ids=["named", "unnamed"])
def test_saved_files_load_both_ways_with_keras(keras, tmp_path, fmt, named):
    x = np.random.default_rng(1).normal(size=(4, 2)).astype("float32")
    models, preds = {}, {}     # library name -> (model, custom objects), its predictions
    for lib in (keras, kerastorch):
        register = lib.saving.register_keras_serializable(package="kt_add_weight")
        Linear, Counter = register(_linear(lib, named)), register(_counter(lib))
        inputs = lib.Input((2,))
        model = lib.Model(inputs, Linear(name="linear")(Counter(name="counter")(inputs)))
        model.layers[1].seen.assign(7.0)
        models[lib.__name__] = (model, {"Linear": Linear, "Counter": Counter})
        preds[lib.__name__] = np.asarray(model.predict(x, verbose=0))
    paths = {}
    for src, (model, _) in models.items():      # both files first: loading changes the models
        paths[src] = str(tmp_path / f"{src}.{fmt}")
        model.save_weights(paths[src]) if fmt == "weights.h5" else model.save(paths[src])
    for src, dst in (("keras", "kerastorch"), ("kerastorch", "keras")):
        path = paths[src]
        target_lib = keras if dst == "keras" else kerastorch
        if fmt == "weights.h5":
            target = models[dst][0]
            target.load_weights(path)
        else:
            target = target_lib.saving.load_model(path, custom_objects=models[dst][1])
        np.testing.assert_allclose(np.asarray(target.predict(x, verbose=0)), preds[src], rtol=1e-6)
        assert float(np.asarray(target.layers[1].seen.numpy())) == 7.0
        assert target.layers[2].w is target.layers[2].weights[0]
