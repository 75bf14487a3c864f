"""Metrics set as attributes of layers and models (`self.loss_tracker = keras.metrics.Mean(name="loss")`)
against real Keras 3: tracked as Keras' `Layer._tracker` tracks them.

Each model below is written once over a library (`kerastorch` or `keras`), built on the same batch,
given the same weights, compiled alike and trained 2 epochs on the same data (no shuffling, with
validation). Compared with Keras: `[m.name for m in model.metrics]` before and after compile and
after fit, `metrics_names`, the History (keys and values within 1e-5), every metric's result after
`fit`, `evaluate` (dict and list), `predict` and `reset_metrics()`, `model.weights` paths and the
`.weights.h5` datasets (metric state is in neither), loaded both ways. Also `Layer.metrics` of plain
layers, and the tracking of metrics added to and taken out of lists.
"""

import copy

import h5py
import numpy as np
import pytest
import torch

import kerastorch

pytestmark = pytest.mark.keras


# --------------------------------------------------------------------------- layers, in both libraries
def _probe_class(lib):
    """A Dense layer averaging its outputs into a metric of its own, as the subclassing guide's layers."""

    class Probe(lib.layers.Layer):
        def __init__(self, units, metric_name, **kwargs):
            super().__init__(**kwargs)
            self.dense = lib.layers.Dense(units, activation="tanh")
            self.activity = lib.metrics.Mean(name=metric_name)

        def call(self, x):
            y = self.dense(x)
            self.activity.update_state(y)
            return y

    return Probe


def _outer_class(lib):
    """A layer holding a Probe and a metric of its own: the Probe's metric is two levels down."""
    Probe = _probe_class(lib)

    class Outer(lib.layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.probe = Probe(4, "inner_activity")
            self.absolute = lib.metrics.Mean(name="outer_abs")

        def call(self, x):
            y = self.probe(x)
            self.absolute.update_state(lib.ops.abs(y))
            return y

    return Outer


def _total_class(lib):
    """A custom metric with its own `add_variable` state (state that must stay out of the weights)."""

    class Total(lib.metrics.Metric):
        def __init__(self, name="total", **kwargs):
            super().__init__(name=name, **kwargs)
            self.total = self.add_variable(shape=(), initializer="zeros", name="total")

        def update_state(self, values, sample_weight=None):
            self.total.assign_add(lib.ops.sum(lib.ops.stop_gradient(values)))

        def result(self):
            # A new tensor: Keras' History would otherwise show the state after validation for the
            # training value (its epoch logs hold the variable's own tensor until validation ends).
            return lib.ops.multiply(self.total, 1.0)

    return Total


# --------------------------------------------------------------------------- models, in both libraries
def _on_model(lib):
    """Metrics on the model itself: a Mean of the outputs and a custom metric with a variable."""
    Total = _total_class(lib)

    class Net(lib.Model):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.hidden = lib.layers.Dense(5, activation="relu")
            self.out_mean = lib.metrics.Mean(name="out_mean")
            self.out_total = Total(name="out_total")
            self.head = lib.layers.Dense(1)

        def call(self, x):
            y = self.head(self.hidden(x))
            self.out_mean.update_state(y)
            self.out_total.update_state(y)
            return y

    return Net(name="net")


def _on_sublayer(lib):
    """A metric on a sublayer, and one two levels down (listed once per level, as Keras lists it)."""
    Probe, Outer = _probe_class(lib), _outer_class(lib)

    class Net(lib.Model):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.first = Probe(5, "first_activity")
            self.outer = Outer()
            self.head = lib.layers.Dense(1)

        def call(self, x):
            return self.head(self.outer(self.first(x)))

    return Net(name="net")


def _in_containers(lib):
    """Metrics in a list, a tuple and a dict on the model (Keras tracks all three, in that order)."""

    class Net(lib.Model):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.hidden = lib.layers.Dense(4, activation="tanh")
            self.by_unit = [lib.metrics.Mean(name="unit0"), lib.metrics.Mean(name="unit1")]
            self.pair = (lib.metrics.Mean(name="pair_mean"),)
            self.named = {"b": lib.metrics.Mean(name="named_b"), "a": lib.metrics.Mean(name="named_a")}
            self.head = lib.layers.Dense(1)

        def call(self, x):
            h = self.hidden(x)
            self.by_unit[0].update_state(h[:, 0])
            self.by_unit[1].update_state(h[:, 1])
            self.pair[0].update_state(h[:, 2])
            y = self.head(h)
            self.named["b"].update_state(y)
            self.named["a"].update_state(lib.ops.abs(y))
            return y

    return Net(name="net")


def _nested_model(lib):
    """A nested model holding a metric (left out of the outer `metrics`) and a Probe (kept)."""
    Probe = _probe_class(lib)

    class Inner(lib.Model):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.probe = Probe(4, "inner_probe")
            self.inner_mean = lib.metrics.Mean(name="inner_mean")

        def call(self, x):
            y = self.probe(x)
            self.inner_mean.update_state(y)
            return y

    class Net(lib.Model):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.inner = Inner(name="inner")
            self.head = lib.layers.Dense(1)
            self.head_mean = lib.metrics.Mean(name="head_mean")

        def call(self, x):
            y = self.head(self.inner(x))
            self.head_mean.update_state(y)
            return y

    return Net(name="net")


def _overridden(lib):
    """`metrics` overridden to list only the model's own metric (the compiled ones then go unlisted)."""
    Probe = _probe_class(lib)

    class Net(lib.Model):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.probe = Probe(4, "probe_activity")
            self.out_mean = lib.metrics.Mean(name="out_mean")
            self.head = lib.layers.Dense(1)

        def call(self, x):
            y = self.head(self.probe(x))
            self.out_mean.update_state(y)
            return y

        @property
        def metrics(self):
            return [self.out_mean]

    return Net(name="net")


def _guide(override):
    """keras-io `custom_train_step_in_torch`, "going lower-level": a loss tracker and an MAE metric on
    the model, its own train and test steps; `metrics` overridden as in the guide, or not (then the
    compiled loss tracker comes first, and the step's `{m.name: m.result()}` keeps the model's)."""

    def build(lib):
        class CustomModel(lib.Model):
            def __init__(self, **kwargs):
                super().__init__(**kwargs)
                self.hidden = lib.layers.Dense(5, activation="relu")
                self.head = lib.layers.Dense(1)
                self.loss_tracker = lib.metrics.Mean(name="loss")
                self.mae_metric = lib.metrics.MeanAbsoluteError(name="mae")
                self.loss_fn = lib.losses.MeanSquaredError()

            def call(self, x):
                return self.head(self.hidden(x))

            def train_step(self, data):
                x, y = data
                self.zero_grad()
                y_pred = self(x, training=True)
                loss = self.loss_fn(y, y_pred)
                loss.backward()
                trainable_weights = [v for v in self.trainable_weights]
                gradients = [v.value.grad for v in trainable_weights]
                with torch.no_grad():
                    self.optimizer.apply(gradients, trainable_weights)
                self.loss_tracker.update_state(loss)
                self.mae_metric.update_state(y, y_pred)
                return {m.name: m.result() for m in self.metrics}

            def test_step(self, data):
                x, y = data
                y_pred = self(x, training=False)
                self.loss_tracker.update_state(self.loss_fn(y, y_pred))
                self.mae_metric.update_state(y, y_pred)
                return {m.name: m.result() for m in self.metrics}

        if override:
            CustomModel.metrics = property(lambda self: [self.loss_tracker, self.mae_metric])
        return CustomModel(name="custom")

    return build


def _guide_functional(lib):
    """The guide's model exactly as written: a `Model` subclass built from inputs and outputs, its loss
    tracker and MAE set after `super().__init__`, no `metrics` override."""

    class CustomModel(lib.Model):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.loss_tracker = lib.metrics.Mean(name="loss")
            self.mae_metric = lib.metrics.MeanAbsoluteError(name="mae")
            self.loss_fn = lib.losses.MeanSquaredError()

        def train_step(self, data):
            x, y = data
            self.zero_grad()
            y_pred = self(x, training=True)
            loss = self.loss_fn(y, y_pred)
            loss.backward()
            trainable_weights = [v for v in self.trainable_weights]
            gradients = [v.value.grad for v in trainable_weights]
            with torch.no_grad():
                self.optimizer.apply(gradients, trainable_weights)
            self.loss_tracker.update_state(loss)
            self.mae_metric.update_state(y, y_pred)
            return {"loss": self.loss_tracker.result(), "mae": self.mae_metric.result()}

    inputs = lib.Input(shape=(3,))
    outputs = lib.layers.Dense(1)(lib.layers.Dense(4, activation="relu")(inputs))
    return CustomModel(inputs, outputs)


MODELS = {
    "guide_functional": _guide_functional,
    "on_model": _on_model,
    "on_sublayer": _on_sublayer,
    "in_containers": _in_containers,
    "nested_model": _nested_model,
    "overridden": _overridden,
    "guide": _guide(override=False),
    "guide_overridden": _guide(override=True),
}


def _compile_args(kind):
    def args(lib):
        sgd = lib.optimizers.SGD(learning_rate=0.05)
        return {
            "loss": {"optimizer": sgd, "loss": "mse"},
            "metrics": {"optimizer": sgd, "loss": "mse", "metrics": ["mae"]},
            "weighted": {"optimizer": sgd, "loss": "mse", "metrics": ["mae"], "weighted_metrics": ["mse"]},
            "optimizer_only": {"optimizer": sgd},
        }[kind]
    return args


CASES = [(model, compile_kind) for model in ("on_model", "on_sublayer", "in_containers", "nested_model", "overridden")
         for compile_kind in ("loss", "metrics", "weighted")]
CASES += [(model, compile_kind) for model in ("guide", "guide_overridden")
          for compile_kind in ("optimizer_only", "loss", "metrics")]
CASES += [("guide_functional", "loss"), ("guide_functional", "metrics")]   # its evaluate needs a loss


# --------------------------------------------------------------------------- running both
def _data():
    rng = np.random.default_rng(3)
    return rng.normal(size=(16, 3)).astype("float32"), rng.normal(size=(16, 1)).astype("float32")


def _value(x):
    if isinstance(x, dict):
        return {k: _value(v) for k, v in x.items()}
    if isinstance(x, torch.Tensor):
        return x.detach().cpu().numpy().astype("float64")
    return np.asarray(x, dtype="float64")


def _results(model):
    """`(name, result)` of each of `model.metrics`; a container's result is its dict."""
    return [(m.name, _value(m.result())) for m in model.metrics]


def _h5_datasets(path):
    out = {}
    with h5py.File(path, "r") as f:
        f.visititems(lambda key, item: out.__setitem__(key, np.asarray(item)) if isinstance(item, h5py.Dataset)
                     else None)
    return out


def _run(lib, model_kind, compile_kind, initial, tmp_path):
    """Everything the test compares, for one library."""
    if lib is kerastorch:
        kerastorch.utils.clear_session(False)
    else:
        lib.backend.clear_session(free_memory=False)      # the same automatic names in both
    x, y = _data()
    model = MODELS[model_kind](lib)
    model(x[:2])                                   # builds the layers (the metrics see this batch too)
    if initial is not None:
        model.set_weights(initial)
    model.reset_metrics()                          # uncompiled: the attribute metrics, as in Keras
    model(x[2:6])                                  # now with the same weights in both
    seen = {"weights0": [np.asarray(w) for w in model.get_weights()],
            "uncompiled": [m.name for m in model.metrics], "first_call": _results(model)}
    model.compile(**_compile_args(compile_kind)(lib))
    seen["compiled"] = [m.name for m in model.metrics]
    seen["metrics_names"] = list(model.metrics_names)
    history = model.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0, validation_data=(x[:8], y[:8]))
    seen["history"] = history.history
    seen["after_fit"] = _results(model)
    seen["evaluate_dict"] = model.evaluate(x, y, batch_size=8, verbose=0, return_dict=True)
    seen["after_evaluate"] = _results(model)
    seen["evaluate_list"] = model.evaluate(x[:12], y[:12], batch_size=4, verbose=0)
    model.predict(x[:6], batch_size=3, verbose=0)
    seen["after_predict"] = _results(model)
    seen["weight_paths"] = [w.path for w in model.weights]
    seen["n_variables"] = (len(model.trainable_weights), len(model.non_trainable_weights),
                           len(model.trainable_variables), len(model.non_trainable_variables))
    seen["weights"] = [np.asarray(w) for w in model.get_weights()]
    path = str(tmp_path / f"{'keras' if lib is not kerastorch else 'ours'}.weights.h5")
    model.save_weights(path)
    seen["h5"] = _h5_datasets(path)
    seen["h5_path"] = path
    model.reset_metrics()
    seen["after_reset"] = [(name, r) for name, r in _results(model) if not isinstance(r, dict)]
    return model, seen


def _close(ours, theirs, where):
    if isinstance(theirs, dict):
        assert isinstance(ours, dict) and sorted(ours) == sorted(theirs), where
        for key in theirs:
            _close(ours[key], theirs[key], f"{where}[{key}]")
        return
    if isinstance(theirs, (list, tuple)):
        assert isinstance(ours, (list, tuple)) and len(ours) == len(theirs), (where, ours, theirs)
        for i, (a, b) in enumerate(zip(ours, theirs)):
            _close(a, b, f"{where}[{i}]")
        return
    if isinstance(theirs, str):
        assert ours == theirs, where
        return
    np.testing.assert_allclose(_value(ours), _value(theirs), rtol=1e-5, atol=1e-6, err_msg=where)


@pytest.mark.parametrize("model_kind,compile_kind", CASES)
def test_metric_attributes_against_keras(keras, tmp_path, model_kind, compile_kind):
    theirs_model, theirs = _run(keras, model_kind, compile_kind, None, tmp_path)
    ours_model, ours = _run(kerastorch, model_kind, compile_kind, theirs["weights0"], tmp_path)
    for key in ("uncompiled", "compiled", "metrics_names", "weight_paths", "n_variables"):
        assert ours[key] == theirs[key], key
    assert sorted(ours["history"]) == sorted(theirs["history"])
    for key in ("first_call", "history", "after_fit", "evaluate_dict", "after_evaluate", "evaluate_list",
                "after_predict", "after_reset", "weights"):
        _close(ours[key], theirs[key], key)
    assert not np.allclose(ours["weights"][0], ours["weights0"][0]), "training did not move the weights"
    # The weights files: the same datasets (no metric state in either), loaded both ways.
    assert sorted(ours["h5"]) == sorted(theirs["h5"])
    _close(ours["h5"], theirs["h5"], "h5")
    x, _ = _data()
    fresh_keras = MODELS[model_kind](keras)
    fresh_keras(x[:2])
    fresh_keras.load_weights(ours["h5_path"])
    _close([np.asarray(w) for w in fresh_keras.get_weights()], theirs["weights"], "our file in Keras")
    fresh_ours = MODELS[model_kind](kerastorch)
    fresh_ours(x[:2])
    fresh_ours.load_weights(theirs["h5_path"])
    _close([np.asarray(w) for w in fresh_ours.get_weights()], theirs["weights"], "Keras' file in ours")


def test_sum_attribute_history_without_validation(keras):
    """A `Sum` on a sublayer: the History of `fit` without validation (with validation, Keras' History
    shows the validation sum for the training one: its epoch logs hold the metric's own state tensor)."""
    x, y = _data()
    histories, initial = [], None
    for lib in (keras, kerastorch):
        class Summed(lib.layers.Layer):
            def __init__(self, **kwargs):
                super().__init__(**kwargs)
                self.dense = lib.layers.Dense(3)
                self.total = lib.metrics.Sum(name="total")

            def call(self, x):
                y = self.dense(x)
                self.total.update_state(lib.ops.stop_gradient(y))
                return y

        model = lib.Sequential([lib.Input((3,)), Summed(), lib.layers.Dense(1)])
        if initial is None:
            initial = model.get_weights()
        else:
            model.set_weights(initial)
        model.compile(optimizer=lib.optimizers.SGD(learning_rate=0.05), loss="mse")
        assert [m.name for m in model.metrics] == ["loss", "total"]
        histories.append(model.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0).history)
    assert sorted(histories[1]) == sorted(histories[0]) == ["loss", "total"]
    _close(histories[1], histories[0], "history")


# --------------------------------------------------------------------------- Layer.metrics, tracking
def _plain_layers(lib):
    """`name: layer` of plain layers holding metrics in each place Keras tracks them."""
    Probe, Outer = _probe_class(lib), _outer_class(lib)
    Total = _total_class(lib)

    class Listed(lib.layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.first = lib.metrics.Mean(name="first")
            self.stats = [lib.metrics.Mean(name="s0"), [lib.metrics.Sum(name="s1")]]
            self.by_key = {"z": lib.metrics.Mean(name="z"), "y": Total(name="y_total")}
            self.probe = Probe(2, "listed_probe")
            self.last = lib.metrics.MeanSquaredError(name="last")

        def call(self, x):
            return self.probe(x)

    class HoldsModel(lib.layers.Layer):
        """A plain layer holding a model: the model's `metrics` (its Trainer view) come in full."""

        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.model = lib.Sequential([lib.Input((3,)), Probe(2, "in_model")])
            self.model.compile(optimizer="sgd", loss="mse", metrics=["mae"])
            self.own = lib.metrics.Mean(name="own")

        def call(self, x):
            return self.model(x)

    return {"dense": lib.layers.Dense(2), "probe": Probe(3, "probe_activity"), "outer": Outer(),
            "listed": Listed(), "holds_model": HoldsModel()}


def _tracking_steps(lib):
    """Metrics added to and taken out of a model's containers (before it is built, as Keras allows)."""
    M = lib.metrics

    class Net(lib.Model):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.group = [M.Mean(name="g0"), M.Mean(name="g1")]
            self.table = {"a": M.Mean(name="ta")}
            self.head = lib.layers.Dense(1)

        def call(self, x):
            return self.head(x)

    net = Net()
    steps = [("init", [m.name for m in net.metrics])]

    def step(what, fn):
        fn()
        steps.append((what, [m.name for m in net.metrics]))

    step("append", lambda: net.group.append(M.Mean(name="g2")))
    step("insert", lambda: net.group.insert(0, M.Mean(name="g_first")))
    step("extend", lambda: net.group.extend([M.Mean(name="g3"), M.Mean(name="g4")]))
    step("pop", lambda: net.group.pop(1))
    step("remove", lambda: net.group.remove(net.group[-1]))
    step("del item", lambda: net.group.__delitem__(0))
    step("dict set", lambda: net.table.__setitem__("b", M.Mean(name="tb")))
    step("dict update", lambda: net.table.update({"c": M.Mean(name="tc")}))
    step("dict pop", lambda: net.table.pop("a"))
    step("attribute", lambda: setattr(net, "extra", M.Mean(name="extra")))
    step("reassigned", lambda: setattr(net, "extra", M.Mean(name="extra_new")))
    step("same again", lambda: setattr(net, "alias", net.group[0]))
    step("deleted", lambda: delattr(net, "alias"))
    step("list replaced", lambda: setattr(net, "group", [M.Mean(name="fresh")]))
    step("clear", lambda: net.group.clear())
    step("tuple", lambda: setattr(net, "pair", (M.Mean(name="p0"), M.Mean(name="p1"))))
    step("compiled", lambda: net.compile(optimizer="sgd", loss="mse", metrics=["mae"]))
    return steps


def test_layer_metrics_of_plain_layers(keras):
    for lib in (keras, kerastorch):
        lib.backend.clear_session() if lib is keras else kerastorch.utils.clear_session(False)
    theirs, ours = _plain_layers(keras), _plain_layers(kerastorch)
    x = np.random.default_rng(0).normal(size=(4, 3)).astype("float32")
    for name in theirs:
        assert [m.name for m in ours[name].metrics] == [m.name for m in theirs[name].metrics], name
        theirs[name](x)
        ours[name](x)
        assert [m.name for m in ours[name].metrics] == [m.name for m in theirs[name].metrics], name
        # Metric state is no weight of the layer.
        assert len(ours[name].weights) == len(theirs[name].weights), name
        assert len(ours[name].non_trainable_variables) == len(theirs[name].non_trainable_variables), name
    assert [m.name for m in ours["listed"].metrics] == ["first", "s0", "s1", "z", "y_total", "last",
                                                         "listed_probe"]


def test_metrics_added_to_and_taken_from_containers(keras):
    theirs, ours = _tracking_steps(keras), _tracking_steps(kerastorch)
    assert [what for what, _ in ours] == [what for what, _ in theirs]
    for (what, names), (_, expected) in zip(ours, theirs):
        assert names == expected, what


def test_metric_attributes_are_not_torch_state():
    """Metric state stays out of torch's view too: no parameters, buffers or state_dict entries."""
    model = _on_sublayer(kerastorch)
    model(np.zeros((2, 3), "float32"))
    keys = list(model.state_dict())
    assert keys == [name for name, _ in model.named_parameters()] + [name for name, _ in model.named_buffers()]
    assert not any("activity" in key or "abs" in key for key in keys)
    assert [m.name for m in model.metrics] == ["first_activity", "outer_abs", "inner_activity", "inner_activity"]


def test_deep_copies_track_their_own_metrics():
    """A deep-copied model lists its own copies of the metrics, and tracks what is added to it alone."""
    model = _in_containers(kerastorch)
    model(np.zeros((2, 3), "float32"))
    copied = copy.deepcopy(model)
    assert [m.name for m in copied.metrics] == [m.name for m in model.metrics]
    assert not any(a is b for a, b in zip(copied.metrics, model.metrics))
    assert copied.metrics[0] is copied.by_unit[0] and copied.metrics[3] is copied.named["b"]
    # (The model is built, so its state is locked as in Keras: opened for this check only.)
    from kerastorch.layers.tracking import state_unlocked

    with state_unlocked(copied):
        copied.by_unit.append(kerastorch.metrics.Mean(name="added"))
    assert [m.name for m in copied.metrics][-1] == "added"
    assert "added" not in [m.name for m in model.metrics]


def test_metric_states_kept_undoes_stand_in_runs(keras):
    """Keras traces in a stateless scope: building a Sequential or Functional model on a layer whose
    call updates its metric leaves the metric as it was. kerastorch's stand-in runs (`symbolic.trace`)
    run in `tracking.metric_states_kept()`, which puts back the state tensors, in place, and the
    `add_variable` Variables."""
    from kerastorch.layers import tracking

    x = np.random.default_rng(1).normal(size=(4, 3)).astype("float32")
    results = {}
    for lib in (keras, kerastorch):
        Probe, Total = _probe_class(lib), _total_class(lib)

        class Watched(Probe):
            def __init__(self, *args, **kwargs):
                super().__init__(*args, **kwargs)
                self.total = Total(name="watched_total")

            def call(self, x):
                y = super().call(x)
                self.total.update_state(y)
                return y

        probes = [Watched(3, "seq_probe"), Watched(3, "fn_probe")]
        for i, probe in enumerate(probes):
            probe(x)                                  # builds it
            if lib is kerastorch:
                probe.set_weights(weights[i])
            for metric in probe.metrics:
                metric.reset_state()
            probe(x)                                  # real state, on the real device, the same in both
        weights = [probe.get_weights() for probe in probes]
        state = probes[0].activity.variables[0] if lib is kerastorch else None
        fresh = Watched(3, "fresh_probe")                           # its state made while tracing
        lib.Sequential([lib.Input((3,)), probes[0]])
        inputs = lib.Input((3,))
        lib.Model(inputs, probes[1](inputs))
        lib.Sequential([lib.Input((None, 3)), fresh])
        results[lib] = [(m.name, _value(m.result())) for p in probes + [fresh] for m in p.metrics]
        if lib is kerastorch:
            assert probes[0].activity.variables[0] is state      # put back in place
            with tracking.metric_states_kept():                 # the hook itself, on a real call
                probes[0](x * 3.0)
            _close([(m.name, _value(m.result())) for m in probes[0].metrics], results[lib][:2], "kept")
    _close(results[kerastorch], results[keras], "after building models")
