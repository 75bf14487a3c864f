"""`Layer.metrics_variables` and `Model.metrics_variables`, against Keras' over a table of structures:
the variables of each metric in `metrics`, in Keras' order, compared by shape and value."""

import numpy as np
import pytest

import kerastorch

X = np.arange(6, dtype="float32").reshape(2, 3)
Y = np.ones((2, 2), "float32")


def _classes(lib):
    class Probe(lib.layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.seen = lib.metrics.Mean(name="seen")
            self.sq = lib.metrics.MeanSquaredError(name="sq")

        def call(self, x):
            self.seen.update_state(x)
            self.sq.update_state(x, x * 2)
            return x

    class Outer(lib.layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.inner = Probe()
            self.total = lib.metrics.Sum(name="total")

        def call(self, x):
            self.total.update_state(x)
            return self.inner(x)

    class Net(lib.Model):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.outer = Outer()
            self.dense = lib.layers.Dense(2, kernel_initializer="ones")
            self.mae_metric = lib.metrics.MeanAbsoluteError(name="mae_metric")

        def call(self, x):
            y = self.dense(self.outer(x))
            self.mae_metric.update_state(y, y * 0.5)
            return y

    return Probe, Outer, Net


def _functional(lib, Outer):
    inputs = lib.layers.Input((3,))
    return lib.Model(inputs, lib.layers.Dense(2, kernel_initializer="ones")(Outer()(inputs)))


def _fit(model, lib, **compile_kwargs):
    model.compile(optimizer="sgd", loss="mse", **compile_kwargs)
    model.fit(X, Y, epochs=2, batch_size=2, shuffle=False, verbose=0)
    return model


def _called(layer, times=1):
    for _ in range(times):
        layer(X)
    return layer


STRUCTURES = {
    "layer with metric attributes": lambda lib, P, O, N: _called(P()),
    "layer called twice": lambda lib, P, O, N: _called(P(), 2),
    "nested layers": lambda lib, P, O, N: _called(O()),
    "layer without metrics": lambda lib, P, O, N: _called(lib.layers.Dense(2)),
    "functional, fitted with metrics": lambda lib, P, O, N: _fit(
        _functional(lib, O), lib, metrics=["mae", lib.metrics.RootMeanSquaredError()], weighted_metrics=["mse"]),
    "functional, fitted without metrics": lambda lib, P, O, N: _fit(_functional(lib, O), lib),
    "subclassed model, fitted": lambda lib, P, O, N: _fit(N(), lib, metrics=["mae"]),
    "sequential, fitted": lambda lib, P, O, N: _fit(
        lib.Sequential([lib.layers.Input((3,)), O(), lib.layers.Dense(2, kernel_initializer="ones")]), lib,
        metrics=["mse"]),
}


def _described(lib, name):
    variables = STRUCTURES[name](lib, *_classes(lib)).metrics_variables
    return [(tuple(np.shape(np.asarray(v))), np.round(np.asarray(v, dtype="float64"), 4).tolist()) for v in variables]


@pytest.mark.parametrize("name", sorted(STRUCTURES))
def test_metrics_variables_as_keras(keras, name):
    expected = _described(keras, name)
    assert _described(kerastorch, name) == expected


def test_metrics_variables_are_the_metrics_own():
    probe = _called(_classes(kerastorch)[0]())
    held = [v for m in probe.metrics for v in m.variables]
    assert len(probe.metrics_variables) == 4
    assert all(a is b for a, b in zip(probe.metrics_variables, held))
