"""`model.metrics_names` as Keras names it, over a table of compiles, before and after running."""

import numpy as np
import pytest

import kerastorch

keras = pytest.importorskip("keras")

X = np.zeros((8, 4), "float32")


def _sequential(lib):
    return lib.Sequential([lib.layers.Input((4,)), lib.layers.Dense(2)])


def _two_outputs(lib):
    a = lib.Input((4,), name="a")
    return lib.Model(a, [lib.layers.Dense(2, name="o1")(a), lib.layers.Dense(3, name="o2")(a)])


def _tracking(lib):
    class Tracking(lib.Model):       # keras-io's custom train_step guide: metrics listed by the model
        def __init__(self):
            super().__init__()
            self.dense = lib.layers.Dense(2)
            self.loss_tracker = lib.metrics.Mean(name="loss")
            self.mae_metric = lib.metrics.MeanAbsoluteError(name="mae")

        def call(self, x):
            return self.dense(x)

        @property
        def metrics(self):
            return [self.loss_tracker, self.mae_metric]

    return Tracking()


CASES = {   # model, compile kwargs, targets
    "uncompiled": (_sequential, None, None),
    "no metrics": (_sequential, dict(loss="mse"), np.zeros((8, 2), "float32")),
    "metrics": (_sequential, dict(loss="mse", metrics=["mae", "mse"]), np.zeros((8, 2), "float32")),
    "weighted only": (_sequential, dict(loss="mse", weighted_metrics=["mae"]), np.zeros((8, 2), "float32")),
    "two outputs, no metrics": (_two_outputs, dict(loss=["mse", "mse"]), [np.zeros((8, 2)), np.zeros((8, 3))]),
    "two outputs, metrics": (_two_outputs, dict(loss=["mse", "mse"], metrics=[["mae"], []]),
                             [np.zeros((8, 2)), np.zeros((8, 3))]),
    "model listing its metrics": (_tracking, dict(loss="mse"), np.zeros((8, 2), "float32")),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_metrics_names_are_keras(case):
    build, kwargs, y = CASES[case]
    names = []
    for lib in (kerastorch, keras):
        model = build(lib)
        seen = [model.metrics_names]
        if kwargs is not None:
            model.compile(optimizer="sgd", **kwargs)
            seen.append(model.metrics_names)
            model.fit(X, y, batch_size=4, epochs=1, verbose=0)
            seen.append(model.metrics_names)
        names.append(seen)
    assert names[0] == names[1]
