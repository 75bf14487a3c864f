"""LossScaleOptimizer, MultiOptimizer, OptimizerMap and optimizers.legacy against real Keras 3 (torch
backend): dynamic loss scaling step by step, dispatch of variables, variables and configs, the
mixed_float16 wrapping of compile(), and `.keras` files with their optimizer state both ways."""

import inspect
import json
import re
import warnings
import zipfile

import h5py
import numpy as np
import pytest
import torch

import kerastorch
from kerastorch import Variable, mixed_precision, optimizers
from kerastorch.saving import weights_h5

SHAPES = [(2, 3), (3,)]
INF, NAN = float("inf"), float("nan")
# Gradients of a scaled loss: finite steps, an overflow, a NaN, then finite again.
GRAD_STEPS = [
    [np.full((2, 3), 64.0), np.full(3, -32.0)],
    [np.full((2, 3), INF), np.full(3, 1.0)],
    [np.full((2, 3), 16.0), np.full(3, 8.0)],
    [np.full((2, 3), 8.0), np.full(3, NAN)],
    [np.full((2, 3), 4.0), np.full(3, 2.0)],
    [np.full((2, 3), 2.0), np.full(3, 2.0)],
    [np.full((2, 3), 1.0), np.full(3, -1.0)],
]


def _inner(lib, name):
    return {"sgd": lambda: lib.optimizers.SGD(learning_rate=0.1, momentum=0.5),
            "adam": lambda: lib.optimizers.Adam(learning_rate=0.01)}[name]()


def _keras_lso_run(keras, inner, kwargs):
    variables = [keras.Variable(np.ones(s, "float32")) for s in SHAPES]
    opt = keras.optimizers.LossScaleOptimizer(_inner(keras, inner), **kwargs)
    trace = []
    for grads in GRAD_STEPS:
        opt.apply([torch.tensor(g, dtype=torch.float32) for g in grads], variables)
        trace.append([np.asarray(v.numpy()) for v in opt.variables])
    return [v.numpy() for v in variables], trace


@pytest.mark.keras
@pytest.mark.parametrize("inner", ["sgd", "adam"])
@pytest.mark.parametrize("kwargs", [{"initial_scale": 16.0, "dynamic_growth_steps": 2},
                                    {"initial_scale": 12.0, "dynamic_growth_steps": 3}, {}],
                         ids=["pow2", "not-pow2", "defaults"])
@pytest.mark.parametrize("how", ["apply", "step"])
def test_dynamic_loss_scaling_matches_keras_step_by_step(keras, inner, kwargs, how):
    k_weights, k_trace = _keras_lso_run(keras, inner, kwargs)
    opt = optimizers.LossScaleOptimizer(_inner(kerastorch, inner), **kwargs)
    if how == "apply":
        variables = [Variable(np.ones(s, "float32")) for s in SHAPES]
    else:
        variables = [torch.nn.Parameter(torch.ones(s)) for s in SHAPES]
        opt.build(variables)
    for grads, k_vars in zip(GRAD_STEPS, k_trace):
        grads = [torch.tensor(g, dtype=torch.float32) for g in grads]
        if how == "apply":
            kept = [g.clone() for g in grads]
            opt.apply(grads, variables)
            for g, k in zip(grads, kept):   # Keras' apply does not change the caller's gradients
                torch.testing.assert_close(g, k, equal_nan=True)
        else:
            for p, g in zip(variables, grads):
                p.grad = g
            opt.step()
        ours = [v.detach().cpu().numpy() for v in opt.variables]
        assert [(a.shape, a.dtype) for a in ours] == [(a.shape, a.dtype) for a in k_vars]
        for a, b in zip(ours, k_vars):
            np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
    for v, k in zip(variables, k_weights):
        np.testing.assert_allclose(np.asarray(v.detach() if isinstance(v, torch.Tensor) else v.numpy()), k,
                                   rtol=1e-6, atol=1e-7)
    assert opt.iterations == 5   # two skipped steps


@pytest.mark.keras
def test_loss_scale_optimizer_api_matches_keras(keras):
    k = keras.optimizers.LossScaleOptimizer(keras.optimizers.Adam(learning_rate=0.01, loss_scale_factor=2.0, name="inner"),
                                            initial_scale=8.0, name="lso")
    t = optimizers.LossScaleOptimizer(optimizers.Adam(learning_rate=0.01, loss_scale_factor=2.0, name="inner"),
                                      initial_scale=8.0, name="lso")
    assert t.inner_optimizer.loss_scale_factor is None and k.inner_optimizer.loss_scale_factor is None
    assert optimizers.serialize(t) == keras.optimizers.serialize(k)
    assert float(t.scale_loss(torch.tensor(3.0))) == float(k.scale_loss(torch.tensor(3.0))) == 24.0
    assert float(t.learning_rate) == pytest.approx(float(k.learning_rate))
    t.learning_rate = 0.5
    k.learning_rate = 0.5
    assert float(t.inner_optimizer.learning_rate) == float(k.inner_optimizer.learning_rate) == 0.5
    rebuilt = optimizers.deserialize(keras.optimizers.serialize(k))
    assert isinstance(rebuilt, optimizers.LossScaleOptimizer) and isinstance(rebuilt.inner_optimizer, optimizers.Adam)
    assert rebuilt.get_config() == t.get_config()
    assert keras.optimizers.deserialize(optimizers.serialize(t)).get_config() == k.get_config()
    assert optimizers.LossScaleOptimizer.from_config(t.get_config()).get_config() == t.get_config()
    assert optimizers.get(optimizers.serialize(t)).get_config() == t.get_config()
    assert mixed_precision.LossScaleOptimizer is optimizers.LossScaleOptimizer


@pytest.mark.keras
@pytest.mark.parametrize("kwargs,match", [
    ({"dynamic": False}, "no longer supports `dynamic=False`"),
    ({"weight_decay": 0.1}, "does not support `weight_decay`. Instead, set `weight_decay` on the `inner_optimizer`"),
    ({"use_ema": True}, "does not support `use_ema`"),
    ({"momentum": 0.9}, "does not support arguments: 'momentum'"),
])
def test_loss_scale_optimizer_refuses_what_keras_refuses(keras, kwargs, match):
    with pytest.raises(ValueError, match=match):
        optimizers.LossScaleOptimizer(optimizers.SGD(), **kwargs)
    with pytest.raises(ValueError):
        keras.optimizers.LossScaleOptimizer(keras.optimizers.SGD(), **kwargs)
    # Defaults, as older configs write them, are accepted by both.
    optimizers.LossScaleOptimizer(optimizers.SGD(), weight_decay=None, use_ema=False, ema_momentum=0.99)
    keras.optimizers.LossScaleOptimizer(keras.optimizers.SGD(), weight_decay=None, use_ema=False, ema_momentum=0.99)


def test_loss_scale_optimizer_argument_errors():
    with pytest.raises(TypeError, match="`inner_optimizer` must be a kerastorch optimizer"):
        optimizers.LossScaleOptimizer(torch.optim.SGD([torch.nn.Parameter(torch.ones(1))], lr=0.1))
    with pytest.raises(ValueError, match="`dynamic_growth_steps` must be an integer >= 1"):
        optimizers.LossScaleOptimizer(optimizers.SGD(), dynamic_growth_steps=0)
    with pytest.raises(ValueError, match="`initial_scale` must be a positive number"):
        optimizers.LossScaleOptimizer(optimizers.SGD(), initial_scale=-1.0)
    with pytest.raises(ValueError, match=r"not built: call optimizer.build\(model.trainable_weights\)"):
        optimizers.LossScaleOptimizer(optimizers.SGD()).step()


def test_trainer_float16_loss_scaler_shares_the_rule():
    # The trainer's scaler for torch.optim optimizers runs the same DynamicLossScale.
    from kerastorch.optimizers.loss_scale_optimizer import DynamicLossScale

    scaler = mixed_precision.LossScaler(initial_scale=8.0, growth_interval=2)
    assert isinstance(scaler._dynamic, DynamicLossScale)
    p = torch.nn.Parameter(torch.ones(2))
    p.grad = torch.tensor([8.0, INF])
    assert scaler.unscale_and_check([p]) is False and scaler.scale == 4.0
    for expected_scale in (4.0, 8.0):   # two good steps double it
        p.grad = torch.tensor([4.0, 8.0])
        assert scaler.unscale_and_check([p]) is True and scaler.scale == expected_scale
    torch.testing.assert_close(p.grad, torch.tensor([1.0, 2.0]))


@pytest.mark.keras
def test_compile_wraps_a_mixed_float16_model_in_a_loss_scale_optimizer_as_keras(keras):
    def build(lib):
        return lib.Sequential([lib.layers.Input(shape=(3,)), lib.layers.Dense(2)])

    try:
        mixed_precision.set_global_policy("mixed_float16")
        keras.mixed_precision.set_global_policy("mixed_float16")
        ours, theirs = build(kerastorch), build(keras)
    finally:
        mixed_precision.set_global_policy("float32")
        keras.mixed_precision.set_global_policy("float32")
    for auto in (True, False):
        ours.compile(optimizer="adam", loss="mse", auto_scale_loss=auto)
        theirs.compile(optimizer="adam", loss="mse", auto_scale_loss=auto)
        assert type(ours.optimizer).__name__ == type(theirs.optimizer).__name__
        assert re.sub(r"_\d+$", "", ours.optimizer.name) == re.sub(r"_\d+$", "", theirs.optimizer.name)
    ours.compile(optimizer="adam", loss="mse")
    assert isinstance(ours.optimizer, optimizers.LossScaleOptimizer)
    assert ours.optimizer.name == "loss_scale_optimizer"
    lso = optimizers.LossScaleOptimizer(optimizers.SGD())
    ours.compile(optimizer=lso, loss="mse")   # never wrapped twice
    assert ours.optimizer is lso
    float32_model = build(kerastorch)
    float32_model.compile(optimizer="adam", loss="mse")
    assert isinstance(float32_model.optimizer, optimizers.Adam)


def test_fit_with_a_loss_scale_optimizer_scales_and_counts_steps():
    x = np.random.default_rng(0).normal(size=(16, 3)).astype("float32")
    y = x @ np.ones((3, 1), "float32")

    def run(optimizer):
        kerastorch.utils.set_random_seed(0)
        model = kerastorch.Sequential([kerastorch.layers.Input(shape=(3,)), kerastorch.layers.Dense(1)])
        model.compile(optimizer=optimizer, loss="mse")
        model.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0)
        return model

    lso = optimizers.LossScaleOptimizer(optimizers.SGD(learning_rate=0.05), initial_scale=2.0 ** 10,
                                        dynamic_growth_steps=3)
    scaled, plain = run(lso), run(optimizers.SGD(learning_rate=0.05))
    # float32 gradients do not overflow: the same updates, and the scale doubled twice in 8 steps.
    for a, b in zip(scaled.get_weights(), plain.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    assert lso.iterations == 8 and float(lso.dynamic_scale) == 2.0 ** 12 and int(lso.step_counter) == 2


# ---------------------------------------------------------------- MultiOptimizer / OptimizerMap


def _net(lib):
    layers = lib.layers
    return lib.Sequential([layers.Input(shape=(5, 5, 2)), layers.Conv2D(3, (3, 3), name="conv"),
                           layers.Flatten(), layers.Dense(4, activation="tanh", name="hidden"),
                           layers.Dense(2, name="head")])


def _data(n=16, seed=1):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, 5, 5, 2)).astype("float32"), rng.normal(size=(n, 2)).astype("float32")


def _multi(lib):
    # Patterns that match with and without the model's name in front: Keras' loaded Sequential
    # names its weights "head/kernel", not "sequential/head/kernel".
    o = lib.optimizers
    return o.MultiOptimizer(o.OptimizerMap(o.SGD(learning_rate=0.05, momentum=0.9),
                                           {"(.*/)?head/.*": o.Adam(learning_rate=0.01, use_ema=True),
                                            "(.*/)?conv/kernel": o.Adafactor(learning_rate=0.05)}))


def _lso(lib):
    return lib.optimizers.LossScaleOptimizer(lib.optimizers.Adam(learning_rate=0.01), initial_scale=2.0 ** 8,
                                             dynamic_growth_steps=3)


def _lso_multi(lib):
    o = lib.optimizers
    return o.LossScaleOptimizer(o.MultiOptimizer(o.OptimizerMap(o.SGD(learning_rate=0.05),
                                                                {"(.*/)?hidden/.*": o.Lamb(learning_rate=0.02)})),
                                initial_scale=64.0, dynamic_growth_steps=2)


def _unnamed(config):
    """The config without the auto-generated optimizer names (their counters differ by session)."""
    if isinstance(config, dict):
        return {k: _unnamed(v) for k, v in config.items() if k != "name"}
    if isinstance(config, list):
        return [_unnamed(v) for v in config]
    return config


def _h5_names(path):
    with zipfile.ZipFile(path) as z, z.open("model.weights.h5") as f, h5py.File(f) as h5:
        names = []
        h5.visititems(lambda n, o: names.append((n, getattr(o, "shape", None), dict(o.attrs).get("name"))))
    return sorted((n, s) for n, s, _ in names if n.startswith("optimizer"))


@pytest.mark.keras
@pytest.mark.parametrize("factory", [_multi, _lso, _lso_multi], ids=["multi", "lso", "lso(multi)"])
def test_wrapped_optimizers_train_and_keras_files_move_both_ways(keras, tmp_path, factory):
    x, y = _data()
    kmodel, model = _net(keras), _net(kerastorch)
    model.set_weights([np.asarray(w) for w in kmodel.get_weights()])
    kmodel.compile(optimizer=factory(keras), loss="mse")
    model.compile(optimizer=factory(kerastorch), loss="mse")
    fit = {"batch_size": 4, "epochs": 1, "shuffle": False, "verbose": 0}
    kmodel.fit(x, y, **fit)
    model.fit(x, y, **fit)
    for got, want in zip(model.get_weights(), kmodel.get_weights()):
        np.testing.assert_allclose(got, np.asarray(want), rtol=1e-5, atol=1e-5)
    ours = weights_h5.optimizer_variables(model)   # in Keras' layout, as saved
    theirs = [np.asarray(v.numpy()) for v in kmodel.optimizer.variables]
    assert [(a.shape, a.dtype) for a in ours] == [(a.shape, a.dtype) for a in theirs]
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)

    model.save(tmp_path / "t.keras")
    kmodel.save(tmp_path / "k.keras")
    assert _h5_names(tmp_path / "t.keras") == _h5_names(tmp_path / "k.keras")   # nested groups too
    ours_config = json.loads(zipfile.ZipFile(tmp_path / "t.keras").read("config.json"))["compile_config"]
    theirs_config = json.loads(zipfile.ZipFile(tmp_path / "k.keras").read("config.json"))["compile_config"]
    assert _unnamed(ours_config["optimizer"]) == _unnamed(theirs_config["optimizer"])

    kloaded = keras.models.load_model(tmp_path / "t.keras")
    loaded = kerastorch.models.load_model(tmp_path / "k.keras")
    assert type(kloaded.optimizer).__name__ == type(loaded.optimizer).__name__ == type(model.optimizer).__name__
    for m in (model, kmodel, kloaded, loaded):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            m.fit(x, y, **fit)
    for a, b in [(model, kloaded), (loaded, kmodel), (model, kmodel)]:
        for got, want in zip(a.get_weights(), b.get_weights()):
            np.testing.assert_allclose(np.asarray(got), np.asarray(want), rtol=1e-5, atol=1e-5)


@pytest.mark.keras
def test_multi_optimizer_api_matches_keras(keras):
    k, t = _multi(keras), _multi(kerastorch)
    assert [type(o).__name__ for o in t.optimizers] == [type(o).__name__ for o in k.optimizers]
    assert _unnamed(optimizers.serialize(t)) == _unnamed(keras.optimizers.serialize(k))
    rebuilt = optimizers.deserialize(keras.optimizers.serialize(k))
    assert isinstance(rebuilt, optimizers.MultiOptimizer)
    assert [type(o).__name__ for o in rebuilt.optimizers] == ["Adam", "Adafactor", "SGD"]
    assert keras.optimizers.deserialize(optimizers.serialize(t)).get_config()["name"] == t.name
    for lib, opt in [(keras, k), (kerastorch, t)]:
        with pytest.raises(AttributeError, match="Learning rate cannot be accessed on a MultiOptimizer"):
            opt.learning_rate
        with pytest.raises(AttributeError, match="Learning rate cannot be set on a MultiOptimizer"):
            opt.learning_rate = 0.1
    t.loss_scale_factor = 4.0
    assert all(o.loss_scale_factor == 4.0 for o in t.optimizers)


@pytest.mark.keras
def test_multi_optimizer_with_a_function_dispatches_and_serializes_as_keras(keras):
    adam = optimizers.Adam(learning_rate=0.1)
    sgd = optimizers.SGD(learning_rate=0.1)

    def choose(variable):
        return adam if variable.path.endswith("bias") else sgd

    opt = optimizers.MultiOptimizer(choose)
    w = [Variable(np.ones((2, 2), "float32"), name="kernel"), Variable(np.ones(2, "float32"), name="bias")]
    opt.apply([torch.ones(2, 2), torch.ones(2)], w)
    np.testing.assert_allclose(w[0].numpy(), np.full((2, 2), 0.9), rtol=1e-6)   # SGD
    np.testing.assert_allclose(w[1].numpy(), np.full(2, 0.9), rtol=1e-5)       # Adam's first step ~ lr
    assert opt.optimizers == [sgd, adam] or opt.optimizers == [adam, sgd]
    assert opt.iterations == 1 and adam.iterations == 1 and sgd.iterations == 1
    config = optimizers.serialize(opt)
    assert config["config"]["optimizer_map"] == keras.optimizers.serialize(
        keras.optimizers.MultiOptimizer(choose))["config"]["optimizer_map"]
    with pytest.raises(ValueError, match=r"pass it in custom_objects=\{name: fn\}"):
        optimizers.deserialize(config)
    assert optimizers.deserialize(config, custom_objects={"choose": choose})._optimizer_map is choose


@pytest.mark.keras
def test_optimizer_map_lookup_matches_keras(keras):
    def build(lib):
        o = lib.optimizers
        m = o.OptimizerMap(default_optimizer=o.RMSprop(name="rmsprop"))
        m["encoder/layer_0/dense"] = o.Adam(name="adam")
        m["encoder/.*"] = o.SGD(name="sgd")
        m["decoder"] = o.Adam(name="adam2")
        m["dec.*/x"] = o.Lion(name="lion")
        m["decoder/.*"] = o.Nadam(name="nadam")
        return m

    ours, theirs = build(kerastorch), build(keras)
    for key in ["decoder", "encoder/layer_0/dense", "encoder/layer_0/attention/query", "decoder/layer_0/dense",
                "encoderx", "other/kernel", ""]:
        assert ours[key].name == theirs[key].name, key
    assert len(ours) == len(theirs) == 5 and list(ours) == list(theirs)
    with pytest.raises(ValueError, match="Multiple optimizers assigned"):   # two patterns match
        theirs["decoder/x"]
    with pytest.raises(ValueError, match=r"'decoder/x' matches several patterns \(\['dec.\*/x', 'decoder/.\*'\]\)"):
        ours["decoder/x"]
    with pytest.raises(ValueError, match="already exists in the OptimizerMap"):
        ours["decoder"] = kerastorch.optimizers.SGD()
    with pytest.raises(ValueError, match="cannot be a LossScaleOptimizer"):
        ours["a"] = optimizers.LossScaleOptimizer(optimizers.SGD())
    with pytest.raises(TypeError, match="`default_optimizer` must be a kerastorch Optimizer"):
        optimizers.OptimizerMap("adam")
    del ours["decoder"]
    assert ours["decoder"].name == "rmsprop"
    assert optimizers.serialize(build(kerastorch)) == json.loads(json.dumps(keras.optimizers.serialize(build(keras))))


def test_multi_optimizer_build_errors():
    p = torch.nn.Parameter(torch.ones(2))   # no `path`
    opt = optimizers.MultiOptimizer(optimizers.OptimizerMap(optimizers.SGD()))
    with pytest.raises(ValueError, match="looks optimizers up by the variable's `path`"):
        opt.build([p])
    bad = optimizers.MultiOptimizer(lambda v: optimizers.LossScaleOptimizer(optimizers.SGD()))
    with pytest.raises(ValueError, match="LossScaleOptimizer cannot be used inside a MultiOptimizer"):
        bad.build([p])
    with pytest.raises(TypeError, match="`optimizer_map` must be an OptimizerMap or a callable"):
        optimizers.MultiOptimizer("adam")


# ---------------------------------------------------------------- the namespace and legacy


@pytest.mark.keras
def test_every_keras_optimizers_name_exists(keras):
    theirs = {n for n in dir(keras.optimizers) if not n.startswith("_")}
    assert len(theirs) == 23
    for name in sorted(theirs):
        ours, keras_obj = getattr(optimizers, name), getattr(keras.optimizers, name)
        if isinstance(keras_obj, type):
            assert isinstance(ours, type) and ours.__name__ == keras_obj.__name__, name
            assert issubclass(ours, optimizers.Optimizer) == issubclass(keras_obj, keras.optimizers.Optimizer), name
        elif inspect.ismodule(keras_obj):
            assert inspect.ismodule(ours), name
        else:
            assert inspect.isfunction(ours) and list(inspect.signature(ours).parameters) == \
                list(inspect.signature(keras_obj).parameters), name
    legacy = {n for n in dir(keras.optimizers.legacy) if not n.startswith("_")}
    assert legacy == {n for n in dir(optimizers.legacy) if not n.startswith("_") and n != "LegacyOptimizerWarning"}
    for a in legacy:
        for b in legacy:
            assert (getattr(optimizers.legacy, a) is getattr(optimizers.legacy, b)) == \
                (getattr(keras.optimizers.legacy, a) is getattr(keras.optimizers.legacy, b))
        with pytest.raises(ImportError, match="`keras.optimizers.legacy` is not supported in Keras 3"):
            getattr(keras.optimizers.legacy, a)(learning_rate=0.1)
        with pytest.raises(ImportError, match="`keras.optimizers.legacy` is not supported in Keras 3, nor in "
                                              "kerastorch. Use the Keras 3 optimizer of the same name"):
            getattr(optimizers.legacy, a)(learning_rate=0.1)
