"""`compile(jit_compile=True)`: fit's steps as one graph each (forward, loss, gradients, optimizer
update, loss tracker and metrics), and the test and predict steps as graphs.

Graph breaks are counted with `torch._dynamo.explain` (it traces, it does not run inductor, so
these checks are fast). The arithmetic of the traced training step is checked with dynamo's
"eager" backend (the captured graph, run op by op: what inductor compiles, without its C++
build) against eager kerastorch and against real Keras' own `fit` from the same weights on the
same batches, for every optimizer with an in-graph update; one tiny model is trained with
inductor itself. Whether a second `fit` reuses the compiled steps is counted with dynamo's own
graph counter.
"""

import importlib.util
import math
import os

import numpy as np
import pytest
import torch

import kerastorch
from kerastorch import layers, optimizers
from kerastorch.trainer import compiled_step

_dynamo = pytest.importorskip("torch._dynamo")

_BENCH = os.path.join(os.path.dirname(__file__), "..", "..", "benchmarks", "bench_training.py")


def _bench_specs():
    """The layer lists of the benchmark workloads (benchmarks/bench_training.py)."""
    spec = importlib.util.spec_from_file_location("_kt_bench_training", _BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return {name: module.WORKLOADS[name] for name in ("tiny", "mlp32", "cnn", "bn")}


def _mlp(jit):
    torch.manual_seed(0)
    model = kerastorch.Sequential([layers.Input(shape=(8,)), layers.Dense(16, activation="relu"),
                                   layers.Dense(3, activation="softmax")])
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"], jit_compile=jit)
    return model


def _cnn(jit):
    torch.manual_seed(0)
    model = kerastorch.Sequential([
        layers.Input(shape=(8, 8, 3)), layers.Conv2D(4, (3, 3), activation="relu", padding="same"),
        layers.MaxPooling2D((2, 2)), layers.Flatten(), layers.Dropout(0.5), layers.Dense(8, activation="relu"),
        layers.Dense(3, activation="softmax")])
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"], jit_compile=jit)
    return model


def _data(shape, n=32, seed=0, classes=3):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, *shape)).astype("float32")
    return x, np.eye(classes, dtype="float32")[rng.integers(0, classes, n)]


def _explain_whole_step(model, x, y, steps):
    """`torch._dynamo.explain` of the whole training step over `steps` batches of `x`, `y`."""
    whole = model._step_fns["whole"]
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    if y.shape[-1] == 1 and model.loss == "binary_crossentropy":
        yt = yt.float()
    scalars = compiled_step.step_scalars(model.optimizer, whole._rule, steps)
    model.train()
    before = _dynamo.config.trace_autograd_ops
    _dynamo.config.trace_autograd_ops = True
    try:
        return _dynamo.explain(whole._steps)((xt,) * steps, (yt,) * steps, (None,) * steps, scalars)
    finally:
        _dynamo.config.trace_autograd_ops = before


@pytest.mark.parametrize("workload", ["tiny", "mlp32", "cnn", "bn"])
def test_the_whole_train_step_of_the_benchmark_models_is_one_graph(workload):
    wl = _bench_specs()[workload]
    torch.manual_seed(0)
    model = kerastorch.Sequential(wl.kt(layers))
    binary = wl.task != "categorical"
    model.compile(optimizer="adam", loss="binary_crossentropy" if binary else "categorical_crossentropy",
                  metrics=["accuracy"], jit_compile=True)
    shape = tuple(model.input_shape[1:])
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, *shape)).astype("float32")
    y = (rng.integers(0, 2, (4, 1)).astype("float32") if binary
         else np.eye(10, dtype="float32")[rng.integers(0, 10, 4)])
    model.fit(x, y, batch_size=4, epochs=1, verbose=0)      # the first execution runs eagerly: no compile
    whole = model._step_fns["whole"]
    assert (whole.path, whole.reason, whole.compiled_calls) == (compiled_step.WHOLE_STEP, None, 0)
    # Two steps (steps_per_execution=2): the second step's layer calls follow the first step's
    # updates, so one graph for both covers what one step needs too.
    explained = _explain_whole_step(model, x, y, 2)
    reasons = [str(b.reason) for b in explained.break_reasons]
    assert (explained.graph_count, explained.graph_break_count) == (1, 0), f"{workload}: {reasons}"
    ops = [str(op) for graph_ops in explained.ops_per_graph for op in graph_ops]
    assert explained.op_count > 0 and any("mm" in op or "linear" in op or "conv" in op for op in ops)


@pytest.mark.parametrize("make, shape", [(_mlp, (8,)), (_cnn, (8, 8, 3))], ids=["mlp", "cnn"])
def test_test_and_predict_steps_trace_as_one_graph(make, shape):
    model = make(True)
    x, y = _data(shape, n=8)
    model._prepare_for_run(x.shape)               # what fit does first: build, place, choose the steps
    fns = model._step_fns
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    model.train()
    found = {"train (per-step fall-back)": _dynamo.explain(fns["train"].eager)(xt, yt, None)}
    model.eval()
    found["test"] = _dynamo.explain(fns["test"].eager)(xt, yt, None)
    with torch.inference_mode():
        found["predict"] = _dynamo.explain(fns["predict"].eager)(xt)
    for step, explained in found.items():
        reasons = [str(b.reason) for b in explained.break_reasons]
        assert (explained.graph_count, explained.graph_break_count) == (1, 0), f"{step}: {reasons}"
        assert explained.op_count > 0, step         # the forward really was traced


def test_a_second_fit_evaluate_and_predict_reuse_the_compiled_steps():
    model = _mlp("eager")                          # dynamo with the eager backend: no inductor cost
    x, y = _data((8,))
    _dynamo.reset()
    model.fit(x, y, batch_size=8, epochs=2, verbose=0)
    model.evaluate(x, y, batch_size=8, verbose=0)
    model.predict(x, batch_size=8, verbose=0)
    compiled = _dynamo.utils.counters["stats"]["unique_graphs"]
    assert compiled >= 3                           # train, test and predict each compiled once
    fns = model._step_fns
    model.fit(x, y, batch_size=8, epochs=2, verbose=0)
    model.evaluate(x, y, batch_size=8, verbose=0)
    model.predict(x, batch_size=8, verbose=0)
    assert model._step_fns is fns
    assert _dynamo.utils.counters["stats"]["unique_graphs"] == compiled, "a later call compiled again"
    # 4 steps an epoch, 2 epochs, 2 fits: the first step of all eagerly, then one compiled call a step.
    assert (fns["whole"].compiled_calls, fns["whole"].eager_calls) == (4 * 2 * 2 - 1, 1)


def test_compiled_training_with_inductor_equals_eager_training():
    x, y = _data((8,), n=32, seed=1)
    eager, compiled = _mlp(False), _mlp(True)
    compiled.set_weights(eager.get_weights())
    params = [id(p) for p in compiled.parameters()]
    h_eager = eager.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0).history
    h_compiled = compiled.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0).history
    whole = compiled._step_fns["whole"]
    assert (whole.path, whole.reason, whole.backend) == (compiled_step.WHOLE_STEP, None, "inductor")
    assert whole.compiled_calls == 7                # 8 steps: the first eagerly, 7 compiled calls
    assert [id(p) for p in compiled.parameters()] == params
    for a, b in zip(compiled.get_weights(), eager.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
    for key in ("loss", "accuracy"):
        np.testing.assert_allclose(h_compiled[key], h_eager[key], rtol=1e-4, atol=1e-6)


# ---------------------------------------------------------------------- the in-graph optimizers

def _schedule(lib):
    return lib.optimizers.schedules.ExponentialDecay(0.05, decay_steps=2, decay_rate=0.5)


# name -> (optimizer class name, arguments (a callable of the library for schedules))
OPTIMIZERS = {
    "sgd_nesterov_clipnorm_ema_overwrite": ("SGD", dict(learning_rate=0.1, momentum=0.9, nesterov=True, clipnorm=0.5,
                                                        use_ema=True, ema_momentum=0.9, ema_overwrite_frequency=3)),
    "adam_amsgrad_global_clipnorm": ("Adam", dict(learning_rate=0.01, amsgrad=True, global_clipnorm=0.3)),
    "adamw_schedule": ("AdamW", lambda lib: dict(learning_rate=_schedule(lib), weight_decay=0.1)),
    "rmsprop_centered_momentum_clipvalue": ("RMSprop", dict(learning_rate=0.01, centered=True, momentum=0.5,
                                                            clipvalue=0.05)),
    "adagrad": ("Adagrad", dict(learning_rate=0.1)),
    "adamax": ("Adamax", dict(learning_rate=0.02)),
    "lion": ("Lion", dict(learning_rate=0.003)),
}

_X, _Y = _data((5,), n=24, seed=3)


def _optimizer(lib, name):
    cls, kwargs = OPTIMIZERS[name]
    return getattr(lib.optimizers, cls)(**(kwargs(lib) if callable(kwargs) else kwargs))


def _small(lib, name, jit=None, start=None):
    model = lib.Sequential([lib.layers.Input(shape=(5,)),
                            lib.layers.Dense(6, activation="relu", kernel_regularizer="l2"),
                            lib.layers.Dense(3, activation="softmax")])
    if start is not None:
        model.set_weights(start)
    kwargs = {} if jit is None else {"jit_compile": jit}
    model.compile(optimizer=_optimizer(lib, name), loss="categorical_crossentropy", loss_weights=1.5,
                  metrics=["accuracy"], **kwargs)
    return model


def _fit(model):
    # 24 samples, batches of 8, 2 epochs: 6 updates (the first execution eagerly, 5 compiled calls).
    return model.fit(_X, _Y, batch_size=8, epochs=2, shuffle=False, verbose=0).history


def test_every_optimizer_with_an_in_graph_update_is_covered():
    covered = {OPTIMIZERS[name][0] for name in OPTIMIZERS}
    assert covered == {cls.__name__ for cls in compiled_step._rules()}


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_compiled_fit_equals_eager_fit_and_keras_fit(keras, name):
    torch.manual_seed(0)
    eager = _small(kerastorch, name, jit=False)
    start = eager.get_weights()
    compiled = _small(kerastorch, name, jit="eager", start=start)
    compiled.build((None, 5))
    compiled.optimizer.build([p for p in compiled.parameters() if p.requires_grad])
    slots = [id(t) for t in compiled.optimizer.variables]
    h_eager, h_compiled = _fit(eager), _fit(compiled)
    whole = compiled._step_fns["whole"]
    assert (whole.path, whole.reason, whole.compiled_calls, whole.eager_calls) == (
        compiled_step.WHOLE_STEP, None, 5, 1)
    assert [id(t) for t in compiled.optimizer.variables] == slots      # updated in place
    assert compiled.optimizer.iterations == eager.optimizer.iterations == 6
    theirs = _small(keras, name, start=start)
    h_keras = _fit(theirs)
    want = [keras.ops.convert_to_numpy(w) for w in theirs.get_weights()]
    for got, eager_w, keras_w in zip(compiled.get_weights(), eager.get_weights(), want):
        np.testing.assert_allclose(got, eager_w, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(got, keras_w, rtol=1e-4, atol=1e-5)
    assert h_compiled.keys() == h_keras.keys()
    for key in h_keras:
        np.testing.assert_allclose(h_compiled[key], h_eager[key], rtol=1e-5, atol=1e-6, err_msg=key)
        np.testing.assert_allclose(h_compiled[key], h_keras[key], rtol=1e-4, atol=1e-5, err_msg=key)


def test_batchnorm_moving_statistics_and_a_smaller_last_batch_equal_eager():
    x, y = _data((6,), n=20, seed=4)                 # batches of 8, 8 and 4: the last one runs eagerly

    def model(jit):
        torch.manual_seed(0)
        m = kerastorch.Sequential([layers.Input(shape=(6,)), layers.Dense(8), layers.BatchNormalization(),
                                   layers.Activation("relu"), layers.Dense(3, activation="softmax")])
        m.compile(optimizer="rmsprop", loss="categorical_crossentropy", metrics=["accuracy"], jit_compile=jit)
        return m

    eager, compiled = model(False), model("eager")
    compiled.set_weights(eager.get_weights())
    h_eager = eager.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0).history
    h_compiled = compiled.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0).history
    whole = compiled._step_fns["whole"]
    assert (whole.path, whole.compiled_calls, whole.eager_calls) == (compiled_step.WHOLE_STEP, 3, 3)
    names = [w.path for w in compiled.weights]
    assert any("moving_mean" in n for n in names) and any("moving_variance" in n for n in names)
    for name, a, b in zip(names, compiled.get_weights(), eager.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6, err_msg=name)
    for key in h_eager:
        np.testing.assert_allclose(h_compiled[key], h_eager[key], rtol=1e-5, atol=1e-6, err_msg=key)


def test_dropout_in_the_graph_draws_the_eager_masks():
    # Dynamo's graph run by the "eager" backend calls torch's generator in eager's order, so the
    # masks (and weights) equal eager's; inductor draws its own random numbers (same distribution).
    x, y = _data((8,), n=32, seed=6)

    def run(jit, rate):
        torch.manual_seed(0)
        model = kerastorch.Sequential([layers.Input(shape=(8,)), layers.Dense(16, activation="relu"),
                                       layers.Dropout(rate), layers.Dense(3, activation="softmax")])
        model.compile(optimizer="adam", loss="categorical_crossentropy", jit_compile=jit)
        torch.manual_seed(5)
        history = model.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0).history
        return model, history["loss"]

    (eager, eager_loss), (compiled, compiled_loss) = run(False, 0.5), run("eager", 0.5)
    _, undropped_loss = run("eager", 0.0)
    assert compiled._step_fns["whole"].path == compiled_step.WHOLE_STEP
    assert compiled._step_fns["whole"].compiled_calls == 7
    for a, b in zip(compiled.get_weights(), eager.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(compiled_loss, eager_loss, rtol=1e-5)
    assert abs(compiled_loss[0] - undropped_loss[0]) > 1e-3      # the masks were applied


# ---------------------------------------------------------------------- the fall-back


class _OwnTrainStep(kerastorch.Sequential):
    def train_step(self, data):
        return super().train_step(data)


class _OwnComputeLoss(kerastorch.Sequential):
    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        return super().compute_loss(x, y, y_pred, sample_weight, training=training)


class _OwnRule(optimizers.SGD):
    def _update(self, grads, params, indices, learning_rate, step):
        super()._update(grads, params, indices, learning_rate * 0.5, step)


# name -> (model class, optimizer factory, the reason's text)
FALLBACKS = {
    "nadam": (kerastorch.Sequential, lambda: optimizers.Nadam(0.01), "Nadam has no in-graph update"),
    "own_update_rule": (kerastorch.Sequential, lambda: _OwnRule(0.1), "_OwnRule has no in-graph update"),
    "gradient_accumulation": (kerastorch.Sequential, lambda: optimizers.Adam(0.01, gradient_accumulation_steps=2),
                              "gradient_accumulation_steps"),
    "loss_scale_factor": (kerastorch.Sequential, lambda: optimizers.SGD(0.1, loss_scale_factor=8.0),
                          "scales the loss"),
    "loss_scale_optimizer": (kerastorch.Sequential, lambda: optimizers.LossScaleOptimizer(optimizers.SGD(0.1)),
                             "scales the loss"),
    "own_train_step": (_OwnTrainStep, lambda: optimizers.SGD(0.1), "`train_step` is overridden"),
    "own_compute_loss": (_OwnComputeLoss, lambda: optimizers.SGD(0.1), "`compute_loss` is overridden"),
}


@pytest.mark.parametrize("name", sorted(FALLBACKS))
def test_unsupported_configurations_take_the_per_step_path_with_the_reason(name):
    cls, make_optimizer, reason = FALLBACKS[name]
    x, y = _data((4,), n=16, seed=5)
    results = []
    for jit in (False, "eager"):
        torch.manual_seed(0)
        model = cls([layers.Input(shape=(4,)), layers.Dense(3, activation="softmax")])
        model.compile(optimizer=make_optimizer(), loss="categorical_crossentropy", jit_compile=jit)
        history = model.fit(x, y, batch_size=4, epochs=1, shuffle=False, verbose=0).history
        results.append((model.get_weights(), history["loss"]))
    whole = model._step_fns["whole"]
    assert whole.path == compiled_step.PER_STEP and reason in whole.reason
    assert whole.compiled_calls == whole.eager_calls == 0
    for a, b in zip(results[0][0], results[1][0]):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(results[0][1], results[1][1], rtol=1e-5)


def test_mixed_precision_and_nan_checks_take_the_per_step_path():
    x, y = _data((8,), n=16)
    kerastorch.mixed_precision.set_global_policy("mixed_bfloat16")
    try:
        model = _mlp("eager")
        model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    finally:
        kerastorch.mixed_precision.set_global_policy("float32")
    whole = model._step_fns["whole"]
    assert whole.path == compiled_step.PER_STEP and "mixed_bfloat16" in whole.reason
    model = _mlp("eager")
    kerastorch.config.enable_nan_checks()
    try:
        model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    finally:
        kerastorch.config.enable_nan_checks(False)
    whole = model._step_fns["whole"]
    assert whole.path is None and whole.compiled_calls == whole.eager_calls == 0   # never asked


def test_an_unknown_backend_records_why_the_whole_step_is_not_used():
    model = _mlp("no_such_backend_xyz")
    x, y = _data((8,), n=16)
    with pytest.warns(UserWarning, match="torch.compile .*failed.*continues eagerly"):
        model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    whole = model._step_fns["whole"]
    assert whole.path == compiled_step.PER_STEP and whole.reason.startswith("torch.compile failed")


def test_steps_per_execution_calls_the_compiled_step_once_per_execution():
    x, y = _data((8,), n=40, seed=2)
    reference = _mlp(False)
    start = reference.get_weights()
    ref_history = reference.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0).history
    steps = 10
    for n in (1, 3, 8):
        torch.manual_seed(0)
        model = kerastorch.Sequential([layers.Input(shape=(8,)), layers.Dense(16, activation="relu"),
                                       layers.Dense(3, activation="softmax")])
        model.set_weights(start)
        model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"],
                      jit_compile="eager", steps_per_execution=n)
        history = model.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0).history
        whole = model._step_fns["whole"]
        # ceil(steps / n) executions an epoch; the first of the first epoch runs eagerly.
        assert (whole.compiled_calls, whole.eager_calls) == (2 * math.ceil(steps / n) - 1, 1), n
        for a, b in zip(model.get_weights(), reference.get_weights()):
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6, err_msg=str(n))
        for key in ref_history:
            np.testing.assert_allclose(history[key], ref_history[key], rtol=1e-5, atol=1e-6, err_msg=key)
