"""Keras' auto names: an object made without `name` is named after its class, then `_1`, `_2`, ... for
later ones, with one count shared by every kind of object and restarted by `clear_session`. Walked over
every public class of `keras.losses`, `keras.metrics` and `keras.optimizers` (those that need arguments
get them from a table), plus user subclasses, against real Keras."""

import pytest

import kerastorch

keras = pytest.importorskip("keras")

NAMESPACES = ("losses", "metrics", "optimizers")


def _classes(lib, namespace):
    ns = getattr(lib, namespace)
    return {n: getattr(ns, n) for n in dir(ns) if not n.startswith("_") and isinstance(getattr(ns, n), type)}


# The arguments of the classes that need some (the rest build with none).
ARGUMENTS = {
    "IoU": lambda lib: dict(num_classes=3, target_class_ids=[0]),
    "OneHotIoU": lambda lib: dict(num_classes=3, target_class_ids=[0]),
    "MeanIoU": lambda lib: dict(num_classes=3),
    "OneHotMeanIoU": lambda lib: dict(num_classes=3),
    "MeanMetricWrapper": lambda lib: dict(fn=lib.metrics.mean_absolute_error),
    "PrecisionAtRecall": lambda lib: dict(recall=0.5),
    "RecallAtPrecision": lambda lib: dict(precision=0.5),
    "SensitivityAtSpecificity": lambda lib: dict(specificity=0.5),
    "SpecificityAtSensitivity": lambda lib: dict(sensitivity=0.5),
    "Optimizer": lambda lib: dict(learning_rate=0.1),
    "LossScaleOptimizer": lambda lib: dict(inner_optimizer=lib.optimizers.SGD()),
    "MultiOptimizer": lambda lib: dict(optimizer_map=lib.optimizers.OptimizerMap(lib.optimizers.SGD())),
}


def _names(lib, namespace, name, count=3):
    """The names of `count` objects of `namespace.name` made in a row in a fresh session."""
    lib.backend.clear_session()
    cls = getattr(getattr(lib, namespace), name)
    if name == "OptimizerMap":      # not named: what it holds is
        return [cls(lib.optimizers.SGD()).default_optimizer.name for _ in range(count)]
    kwargs = ARGUMENTS[name](lib) if name in ARGUMENTS else {}
    return [cls(**kwargs).name for _ in range(count)]


CASES = [(ns, n) for ns in NAMESPACES for n in sorted(_classes(keras, ns))]


@pytest.mark.parametrize("namespace, name", CASES, ids=[f"{ns}.{n}" for ns, n in CASES])
def test_objects_made_without_a_name_are_named_as_keras_names_them(namespace, name):
    assert _names(kerastorch, namespace, name) == _names(keras, namespace, name)


def _user_classes(lib):
    class MyLoss(lib.losses.Loss):
        def call(self, y_true, y_pred):
            return y_pred

    class MyMetric(lib.metrics.Metric):
        def update_state(self, *args, **kwargs):
            pass

        def result(self):
            return 0.0

    class Dense(lib.layers.Layer):     # a layer named like a built-in one: the count is shared
        pass
    return MyLoss, MyMetric, Dense


def test_user_classes_share_one_count_restarted_by_clear_session():
    got = {}
    for lib in (keras, kerastorch):
        lib.backend.clear_session()
        loss, metric, layer = _user_classes(lib)
        names = [loss().name, loss().name, metric().name, metric().name, layer().name,
                 lib.layers.Dense(2).name, lib.metrics.Mean().name, lib.metrics.Mean().name]
        lib.backend.clear_session()
        names += [loss().name, metric().name, lib.layers.Dense(2).name]
        got[lib.__name__] = names
    assert got["kerastorch"] == got["keras"]
