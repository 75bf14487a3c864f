"""Metric.add_variable / add_weight: custom metrics written as in Keras 3.

Checked against real Keras over a table of argument sets: the Variable's shape, dtype,
value, trainable flag, aggregation and path, `metric.variables`, and the default
`reset_state()` zeroing them.
"""

import numpy as np
import pytest

import kerastorch

# (args, kwargs) for add_variable, then for add_weight
ADD_VARIABLE_CASES = [
    ((), {"shape": (), "initializer": "zeros", "name": "ctp"}),
    ((), {"shape": (3,), "initializer": "ones"}),
    (((2, 2), "ones"), {"dtype": "float64", "aggregation": "mean", "name": "m"}),
    ((), {"shape": (4,), "initializer": "zeros", "dtype": "int32", "aggregation": "none"}),
    ((), {"shape": (2,), "initializer": kerastorch.initializers.Constant(3.0)}),
]
ADD_WEIGHT_CASES = [
    {"initializer": "zeros"},
    {"shape": (2,), "initializer": "ones", "name": "w"},
    {"initializer": "ones", "dtype": "float16"},
]


def make_metric(lib, add):
    class Custom(lib.metrics.Metric):
        def __init__(self, name="custom", **kwargs):
            super().__init__(name=name, **kwargs)
            self.v = add(self)

        def update_state(self, values):
            self.v.assign_add(values)

        def result(self):
            return self.v.value

    return Custom()


def describe(metric):
    out = []
    for v in metric.variables:
        out.append((tuple(v.shape), str(v.dtype).replace("torch.", ""), bool(v.trainable),
                    v.aggregation, v.path.split("/")[0], np.asarray(v.numpy()).tolist()))
    return out


def keras_initializer(keras, init):
    if isinstance(init, kerastorch.initializers.Constant):
        return keras.initializers.Constant(3.0)
    return init


@pytest.mark.parametrize("case", range(len(ADD_VARIABLE_CASES) + len(ADD_WEIGHT_CASES)))
def test_metric_variables_as_keras(keras, case):
    def adder(lib):
        if case < len(ADD_VARIABLE_CASES):
            args, kwargs = ADD_VARIABLE_CASES[case]
            kwargs = dict(kwargs)
            if "initializer" in kwargs and lib is keras:
                kwargs["initializer"] = keras_initializer(keras, kwargs["initializer"])
            return lambda m: m.add_variable(*args, **kwargs)
        kwargs = ADD_WEIGHT_CASES[case - len(ADD_VARIABLE_CASES)]
        return lambda m: m.add_weight(**kwargs)

    ours, theirs = make_metric(kerastorch, adder(kerastorch)), make_metric(keras, adder(keras))
    assert describe(ours) == describe(theirs)
    if case < len(ADD_VARIABLE_CASES) and ADD_VARIABLE_CASES[case][1].get("name"):
        assert ours.variables[0].path == theirs.variables[0].path
    ours.update_state(np.ones(ours.v.shape, dtype=ours.v.numpy().dtype))
    theirs.update_state(np.ones(theirs.v.shape, dtype=theirs.v.numpy().dtype))
    np.testing.assert_array_equal(np.asarray(ours.result().detach()), np.asarray(theirs.result().detach()))
    ours.reset_state()
    theirs.reset_state()
    assert describe(ours) == describe(theirs)
    assert not np.asarray(ours.v.numpy()).any()


def test_add_variable_before_metric_init_is_refused(keras):
    for lib in (kerastorch, keras):
        class Early(lib.metrics.Metric):
            def __init__(self):
                self.v = self.add_variable(shape=(), initializer="zeros")
                super().__init__(name="early")

        with pytest.raises(RuntimeError, match="super"):
            Early()


def test_custom_metric_with_variables_in_fit():
    class Count(kerastorch.metrics.Metric):
        def __init__(self, name="count", **kwargs):
            super().__init__(name=name, **kwargs)
            self.n = self.add_variable(shape=(), initializer="zeros", name="n")

        def update_state(self, y_true, y_pred, sample_weight=None):
            self.n.assign_add(float(y_true.shape[0]))

        def result(self):
            return self.n.value

    inputs = kerastorch.Input(shape=(2,))
    model = kerastorch.Model(inputs, kerastorch.layers.Dense(1)(inputs))
    model.compile(optimizer="sgd", loss="mse", metrics=[Count()])
    history = model.fit(np.ones((10, 2)), np.ones((10, 1)), batch_size=4, epochs=2, verbose=0)
    # reset at each epoch: 10 samples counted per epoch (4 + 4 + 2)
    assert history.history["count"] == [10.0, 10.0]
