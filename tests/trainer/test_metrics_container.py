"""`model.metrics` as Keras 3 lists it: the loss tracker, one `CompileMetrics` container named
`"compile_metrics"` (when `compile()` got `metrics` or `weighted_metrics`), then each output's loss
tracker, over a table of compiles run in real Keras and in kerastorch from the same weights.

Each case compares, before compile, after compile and after a 2-epoch fit with validation data:
the names of `model.metrics`, of the container's `.metrics`, `metrics_names`, the History (keys
and values within 1e-5), the batch logs callbacks see, `evaluate()` as a dict and as a list, and
the container's own `result()`. Custom `train_step`s/`test_step`s written as keras-io's
`custom_train_step_in_torch` guide writes them (looping over `self.metrics`, returning
`{m.name: m.result() for m in self.metrics}`, whose `"compile_metrics"` value is a dict) must log
what Keras logs.
"""

import numpy as np
import pytest
import torch

import kerastorch
from kerastorch.trainer import compile_utils

pytestmark = pytest.mark.keras

N = 24
_rng = np.random.default_rng(11)
X = _rng.normal(size=(N, 4)).astype("float32")
Y_REG = _rng.normal(size=(N, 1)).astype("float32")
Y_CLS = np.eye(3, dtype="float32")[_rng.integers(0, 3, N)]
SW = np.linspace(0.5, 2.0, N).astype("float32")


# ---------------------------------------------------------------- models
def _regressor(lib, base=None):
    layers = [lib.Input((4,)), lib.layers.Dense(5, activation="tanh"), lib.layers.Dense(1)]
    return (base or lib.Sequential)(layers)


def _classifier(lib):
    return lib.Sequential([lib.Input((4,)), lib.layers.Dense(5, activation="tanh"),
                           lib.layers.Dense(3, activation="softmax")])


def _two_outputs(lib):
    inputs = lib.Input((4,), name="x")
    hidden = lib.layers.Dense(5, activation="tanh")(inputs)
    a = lib.layers.Dense(1, name="a")(hidden)
    b = lib.layers.Dense(3, activation="softmax", name="b")(hidden)
    return lib.Model(inputs, [a, b])


# ---------------------------------------------------------------- custom steps, as the guide writes them
def _guide_train_step(self, data):
    x, y = data[0], data[1]
    self.zero_grad()
    y_pred = self(x, training=True)
    loss = self.compute_loss(y=y, y_pred=y_pred)
    loss.backward()
    trainable_weights = [v for v in self.trainable_weights]
    gradients = [v.value.grad for v in trainable_weights]
    with torch.no_grad():
        self.optimizer.apply(gradients, trainable_weights)
    for metric in self.metrics:
        if metric.name == "loss":
            metric.update_state(loss)
        else:
            metric.update_state(y, y_pred)
    return {m.name: m.result() for m in self.metrics}


def _weighted_train_step(self, data):
    if len(data) == 3:
        x, y, sample_weight = data
    else:
        sample_weight = None
        x, y = data
    self.zero_grad()
    y_pred = self(x, training=True)
    loss = self.compute_loss(y=y, y_pred=y_pred, sample_weight=sample_weight)
    loss.backward()
    trainable_weights = [v for v in self.trainable_weights]
    gradients = [v.value.grad for v in trainable_weights]
    with torch.no_grad():
        self.optimizer.apply(gradients, trainable_weights)
    for metric in self.metrics:
        if metric.name == "loss":
            metric.update_state(loss)
        else:
            metric.update_state(y, y_pred, sample_weight=sample_weight)
    return {m.name: m.result() for m in self.metrics}


def _guide_test_step(self, data):
    x, y = data[0], data[1]
    y_pred = self(x, training=False)
    loss = self.compute_loss(y=y, y_pred=y_pred)
    for metric in self.metrics:
        if metric.name == "loss":
            metric.update_state(loss)
        else:
            metric.update_state(y, y_pred)
    return {m.name: m.result() for m in self.metrics}


def _custom(lib, layers_fn, train_step, test_step=None):
    attrs = {"train_step": train_step}
    if test_step is not None:
        attrs["test_step"] = test_step
    return type("CustomModel", (lib.Sequential,), attrs)(layers_fn(lib))


def _regression_layers(lib):
    return [lib.Input((4,)), lib.layers.Dense(5, activation="tanh"), lib.layers.Dense(1)]


def _classifier_layers(lib):
    return [lib.Input((4,)), lib.layers.Dense(5, activation="tanh"), lib.layers.Dense(3, activation="softmax")]


# ---------------------------------------------------------------- the table
def _sgd(lib):
    return lib.optimizers.SGD(learning_rate=0.05)


CASES = {
    # label: (build(lib), compile kwargs(lib), y, fit kwargs)
    "no metrics": (_regressor, lambda lib: dict(loss="mse"), Y_REG, {}),
    "empty metrics list": (_regressor, lambda lib: dict(loss="mse", metrics=[]), Y_REG, {}),
    "accuracy": (_classifier, lambda lib: dict(loss="categorical_crossentropy", metrics=["accuracy"]), Y_CLS, {}),
    "mae and mse": (_regressor, lambda lib: dict(loss="mse", metrics=["mae", "mse"]), Y_REG, {}),
    "a repeated metric": (_regressor, lambda lib: dict(loss="mse", metrics=["mae", "mse", "mae"]), Y_REG, {}),
    "weighted_metrics only": (_regressor, lambda lib: dict(loss="mse", weighted_metrics=["mae"]), Y_REG,
                              {"sample_weight": SW}),
    "metrics and weighted twins": (_regressor, lambda lib: dict(loss="mse", metrics=["mae"],
                                                                weighted_metrics=["mae", "mse"]),
                                   Y_REG, {"sample_weight": SW}),
    "metric objects": (_regressor, lambda lib: dict(loss="mse", metrics=[
        lib.metrics.MeanSquaredError(name="m2"), lib.metrics.MeanAbsoluteError(name="abs_err")]), Y_REG, {}),
    "two outputs, no metrics": (_two_outputs, lambda lib: dict(loss=["mse", "categorical_crossentropy"]),
                                [Y_REG, Y_CLS], {}),
    "two outputs, list metrics, loss_weights": (
        _two_outputs, lambda lib: dict(loss=["mse", "categorical_crossentropy"], loss_weights=[0.5, 2.0],
                                       metrics=[["mae"], ["accuracy", "mse"]]), [Y_REG, Y_CLS], {}),
    "two outputs, dict metrics and weighted_metrics": (
        _two_outputs, lambda lib: dict(loss={"a": "mse", "b": "categorical_crossentropy"},
                                       loss_weights={"a": 1.5, "b": 0.5}, metrics={"b": ["accuracy"]},
                                       weighted_metrics={"a": ["mae"], "b": "mse"}),
        [Y_REG, Y_CLS], {"sample_weight": SW}),
    "custom train_step (guide)": (lambda lib: _custom(lib, _regression_layers, _guide_train_step),
                                  lambda lib: dict(loss="mse", metrics=["mae"]), Y_REG, {}),
    "custom train_step, accuracy": (lambda lib: _custom(lib, _classifier_layers, _guide_train_step),
                                    lambda lib: dict(loss="categorical_crossentropy", metrics=["accuracy", "mse"]),
                                    Y_CLS, {}),
    "custom train_step, sample weights": (lambda lib: _custom(lib, _regression_layers, _weighted_train_step),
                                          lambda lib: dict(loss="mse", metrics=["mae"], weighted_metrics=["mse"]),
                                          Y_REG, {"sample_weight": SW}),
    "custom train_step and test_step": (
        lambda lib: _custom(lib, _regression_layers, _guide_train_step, _guide_test_step),
        lambda lib: dict(loss="mse", metrics=["mae", "mse"]), Y_REG, {}),
    "custom train_step, no metrics": (lambda lib: _custom(lib, _regression_layers, _guide_train_step),
                                      lambda lib: dict(loss="mse"), Y_REG, {}),
}


class _Recorder:
    """A callback (made for either library) keeping each batch's and epoch's logs."""

    @staticmethod
    def make(lib):
        class Recorder(lib.callbacks.Callback):
            def __init__(self):
                super().__init__()
                self.batches, self.epochs = [], []

            def on_train_batch_end(self, batch, logs=None):
                self.batches.append(dict(logs or {}))

            def on_epoch_end(self, epoch, logs=None):
                self.epochs.append(dict(logs or {}))

        return Recorder()


def _names(model):
    names = [m.name for m in model.metrics]
    container = [m for m in model.metrics if m.name == "compile_metrics"]
    inner = [m.name for m in container[0].metrics] if container else None
    return names, inner


def _floats(logs):
    return {k: float(v) for k, v in logs.items()}


def _run(lib, case, initial):
    build, compile_kwargs, y, fit_kwargs = CASES[case]
    torch.manual_seed(0)
    model = build(lib)
    if initial is not None:
        model.set_weights(initial)
    seen = {"weights": model.get_weights(), "before compile": _names(model)}
    model.compile(optimizer=_sgd(lib), **compile_kwargs(lib))
    seen["after compile"] = (_names(model), model.metrics_names)
    recorder = _Recorder.make(lib)
    history = model.fit(X, y, batch_size=5, epochs=2, shuffle=False, verbose=0, validation_data=(X, y),
                        callbacks=[recorder], **fit_kwargs)
    seen["after fit"] = (_names(model), model.metrics_names)
    seen["history"] = history.history
    seen["batch logs"] = recorder.batches
    seen["epoch logs"] = recorder.epochs
    seen["evaluate dict"] = model.evaluate(X, y, batch_size=5, verbose=0, return_dict=True)
    seen["evaluate list"] = model.evaluate(X, y, batch_size=5, verbose=0)
    container = [m for m in model.metrics if m.name == "compile_metrics"]
    seen["container result"] = _floats(container[0].result()) if container else None
    seen["metrics result"] = _floats(model.get_metrics_result())
    seen["trained"] = model.get_weights()
    return seen


def _close(ours, theirs, what):
    assert sorted(ours) == sorted(theirs), what
    for key in theirs:
        np.testing.assert_allclose(ours[key], theirs[key], rtol=1e-5, atol=1e-5, err_msg=f"{what}: {key}")


@pytest.mark.parametrize("case", list(CASES))
def test_metrics_and_logs_are_keras(keras, case):
    theirs = _run(keras, case, None)
    ours = _run(kerastorch, case, theirs["weights"])
    for stage in ("before compile", "after compile", "after fit"):
        assert ours[stage] == theirs[stage], stage
    for a, b in zip(ours["trained"], theirs["trained"]):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)
    _close(ours["history"], theirs["history"], "History")
    assert len(ours["batch logs"]) == len(theirs["batch logs"]) == 10
    for i, (a, b) in enumerate(zip(ours["batch logs"], theirs["batch logs"])):
        _close(a, b, f"batch logs {i}")
    for i, (a, b) in enumerate(zip(ours["epoch logs"], theirs["epoch logs"])):
        _close(a, b, f"epoch logs {i}")
    _close(ours["evaluate dict"], theirs["evaluate dict"], "evaluate(return_dict=True)")
    np.testing.assert_allclose(ours["evaluate list"], theirs["evaluate list"], rtol=1e-5, atol=1e-5)
    if theirs["container result"] is None:
        assert ours["container result"] is None
    else:
        _close(ours["container result"], theirs["container result"], "compile_metrics.result()")
    _close(ours["metrics result"], theirs["metrics result"], "get_metrics_result()")


def test_a_model_not_compiled_lists_no_metrics(keras):
    for lib in (keras, kerastorch):
        model = _regressor(lib)
        assert model.metrics == [] and model.metrics_names == []


CONTAINER_CASES = {
    # label: (compile kwargs, sample weights)
    "unweighted": (dict(metrics=["mae", "mse"]), SW),
    "weighted twins": (dict(metrics=["mae"], weighted_metrics=["mae", "mse"]), SW),
    "weighted, no weights given": (dict(weighted_metrics=["mae"]), None),
    "repeated": (dict(metrics=["mse", "mse"], weighted_metrics=["mse"]), SW),
}


@pytest.mark.parametrize("case", list(CONTAINER_CASES))
def test_the_container_updates_resets_and_reads_like_keras_compile_metrics(keras, case):
    """The container on its own: update_state weights only the weighted metrics, result() names them
    as Keras, reset_state() zeroes them, variables hold their state; unbuilt, it lists nothing."""
    kwargs, sw = CONTAINER_CASES[case]
    y_pred = (Y_REG * 0.5 + 0.1).astype("float32")
    seen = []
    for lib in (keras, kerastorch):
        model = _regressor(lib)
        model.compile(optimizer="sgd", loss="mse", **kwargs)
        container = model.metrics[1]
        unbuilt = (container.name, container.metrics, container.variables)
        with pytest.raises(ValueError, match="not yet been built"):
            container.result()
        args = (torch.as_tensor(Y_REG), torch.as_tensor(y_pred)) + (() if sw is None else (torch.as_tensor(sw),))
        container.update_state(*args)
        container.update_state(*args)
        first = _floats(container.result())
        inner = [m.name for m in container.metrics]
        n_variables = len(container.variables)
        container.reset_state()
        after_reset = _floats(container.result())
        seen.append((unbuilt, inner, n_variables, first, after_reset))
    (k_unbuilt, k_inner, k_vars, k_first, k_reset), (o_unbuilt, o_inner, o_vars, o_first, o_reset) = seen
    assert o_unbuilt == k_unbuilt == ("compile_metrics", [], [])
    assert o_inner == k_inner and o_vars == k_vars
    _close(o_first, k_first, "result()")
    _close(o_reset, k_reset, "result() after reset_state()")
    assert any(v != 0 for v in o_first.values())


LOGS = [
    {"loss": torch.tensor(0.5), "compile_metrics": {"mae": torch.tensor(0.25), "mse": torch.tensor(0.125)}},
    {"b": 1, "a": np.float32(2.0), "compile_metrics": {"z": torch.tensor([3.0])}},
    {"loss": torch.tensor(1.0), "outer": {"inner": {"deep": torch.tensor(2.0)}, "x": 3}},
    {"loss": torch.tensor(1.0), "note": "text", "vector": torch.tensor([1.0, 2.0])},
    {},
]


@pytest.mark.parametrize("logs", LOGS, ids=range(len(LOGS)))
def test_logs_are_flattened_as_keras_pythonify_logs(keras, logs):
    from keras.src.utils.python_utils import pythonify_logs

    ours, theirs = compile_utils.pythonify_logs(logs), pythonify_logs(logs)
    assert list(ours) == list(theirs)
    for key, value in theirs.items():
        if isinstance(value, float):
            assert type(ours[key]) is float and ours[key] == pytest.approx(value)
        elif isinstance(value, np.ndarray):
            np.testing.assert_array_equal(ours[key], value)
        else:
            assert ours[key] == value


def test_monitor_finds_a_compiled_metric_inside_the_container():
    """EarlyStopping(mode="auto") tells the direction of a named compiled metric from its class."""
    model = _classifier(kerastorch)
    model.compile(optimizer="sgd", loss="categorical_crossentropy", metrics=[kerastorch.metrics.AUC(name="score")])
    stop = kerastorch.callbacks.EarlyStopping(monitor="val_score", patience=5)
    model.fit(X, Y_CLS, epochs=2, verbose=0, validation_data=(X, Y_CLS), callbacks=[stop])
    assert stop.monitor_op(2.0, 1.0)          # higher is better for an AUC
