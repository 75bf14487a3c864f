"""Adafactor, Ftrl, Lamb, Muon and ScheduleFreeAdamW against real Keras 3 (torch backend): the same
variables and gradients give the same weights and optimizer state after 5 steps; configs,
serialization and `get()` as Keras'; weights stored in a torch layout (Dense, Conv2D) train as
Keras' do, and `.keras` files with their optimizer state move both ways."""

import warnings

import numpy as np
import pytest
import torch

import kerastorch
from kerastorch import Variable, optimizers
from kerastorch.optimizers import schedules

NEW = ["Adafactor", "Ftrl", "Lamb", "Muon", "ScheduleFreeAdamW"]
# Shapes cover 1-D, 2-D (wide and tall, for Muon's transpose), 3-D (Adafactor factors the last
# two axes); the names give Muon paths to match (`exclude_layers`, `exclude_embeddings`).
SHAPES = [(3, 4), (4,), (2, 1, 2), (5, 2), (2, 3, 4)]
NAMES = ["kernel_a", "bias_b", "conv_c", "tall_d", "embedding_e"]


def _problem(num_steps, seed=0, zero_first=False):
    rng = np.random.default_rng(seed)
    init = [rng.normal(size=s).astype("float32") for s in SHAPES]
    if zero_first:
        init[0][:] = 0.0   # Lamb's trust ratio falls back to 1 for a zero weight
    grads = [[(rng.normal(size=s) * (3.0 if i == 0 else 0.3)).astype("float32")
              for i, s in enumerate(SHAPES)] for _ in range(num_steps)]
    return init, grads


def _run_keras(keras, name, kwargs, init, grads_seq):
    variables = [keras.Variable(a.copy(), name=n) for a, n in zip(init, NAMES)]
    opt = getattr(keras.optimizers, name)(**kwargs)
    for grads in grads_seq:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            opt.apply_gradients([(torch.tensor(g), v) for g, v in zip(grads, variables)])
    return [v.numpy() for v in variables], opt


def _run_kerastorch(name, kwargs, init, grads_seq):
    params = [torch.nn.Parameter(torch.tensor(a.copy())) for a in init]
    for p, n in zip(params, NAMES):
        p.path = n   # as a layer's add_weight sets it
    opt = getattr(optimizers, name)(**kwargs)
    opt.build(params)
    for grads in grads_seq:
        for p, g in zip(params, grads):
            p.grad = torch.tensor(g)
        opt.step()
    return [p.detach().numpy() for p in params], opt


def _compare(keras, name, kwargs, num_steps=5, keras_kwargs=None, zero_first=False):
    init, grads = _problem(num_steps, zero_first=zero_first)
    k_vars, k_opt = _run_keras(keras, name, keras_kwargs or kwargs, init, grads)
    t_vars, t_opt = _run_kerastorch(name, kwargs, init, grads)
    for k, t, w0 in zip(k_vars, t_vars, init):
        np.testing.assert_allclose(t, k, rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(t - w0, k - w0, rtol=1e-4, atol=5e-7)   # the displacement too
    k_state = [np.asarray(v.numpy()) for v in k_opt.variables]
    t_state = [v.detach().cpu().numpy() for v in t_opt.variables]
    assert [(s.shape, s.dtype) for s in t_state] == [(s.shape, s.dtype) for s in k_state]
    for k, t in zip(k_state, t_state):
        np.testing.assert_allclose(t, k, rtol=2e-5, atol=1e-6)
    assert t_opt.iterations == int(k_opt.iterations.numpy())
    return t_opt


COMMON = [
    {},
    {"learning_rate": 0.05},
    {"learning_rate": 0.05, "weight_decay": 0.1, "clipnorm": 1.0},
    {"learning_rate": 0.05, "clipvalue": 0.2},
    {"learning_rate": 0.05, "global_clipnorm": 1.5, "loss_scale_factor": 8.0},
    {"learning_rate": 0.05, "gradient_accumulation_steps": 2, "use_ema": True},
    {"learning_rate": 0.05, "use_ema": True, "ema_momentum": 0.9, "ema_overwrite_frequency": 2},
]
COMMON_IDS = ["defaults", "lr", "wd+clipnorm", "clipvalue", "globalclip+lossscale", "accum+ema", "ema-overwrite"]


@pytest.mark.keras
@pytest.mark.parametrize("name", NEW)
@pytest.mark.parametrize("kwargs", COMMON, ids=COMMON_IDS)
def test_update_matches_keras(keras, name, kwargs):
    _compare(keras, name, kwargs, num_steps=6 if kwargs.get("gradient_accumulation_steps") else 5)


OPTIONS = [
    ("Adafactor", {"beta_2_decay": -0.5, "epsilon_2": 1e-2, "clip_threshold": 0.1}),
    ("Adafactor", {"relative_step": False, "learning_rate": 0.3, "epsilon_1": 1e-3}),
    ("Ftrl", {"learning_rate": 0.05, "l1_regularization_strength": 0.01, "l2_regularization_strength": 0.1,
              "l2_shrinkage_regularization_strength": 0.05, "beta": 0.5, "learning_rate_power": -0.3}),
    ("Ftrl", {"learning_rate": 0.1, "learning_rate_power": 0.0, "initial_accumulator_value": 0.0,
              "l1_regularization_strength": 0.2}),
    ("Lamb", {"beta_1": 0.5, "beta_2": 0.9, "epsilon": 1e-3, "learning_rate": 0.02}),
    ("Muon", {"learning_rate": 0.05, "nesterov": False, "exclude_layers": ["tall"], "rms_rate": None}),
    ("Muon", {"learning_rate": 0.05, "exclude_embeddings": False, "weight_decay": None, "adam_lr_ratio": 0.5}),
    ("Muon", {"learning_rate": 0.02, "momentum": 0.5, "ns_steps": 2, "adam_weight_decay": None,
              "weight_decay": 0.1, "adam_beta_1": 0.8, "adam_beta_2": 0.9, "epsilon": 1e-3}),
    ("Muon", {"muon_a": 2.0, "muon_b": -1.5, "muon_c": 0.5, "exclude_layers": ["kernel", "^conv"]}),
    ("ScheduleFreeAdamW", {"learning_rate": 0.05, "warmup_steps": 3}),
    ("ScheduleFreeAdamW", {"beta_1": 0.5, "beta_2": 0.9, "epsilon": 1e-4, "weight_decay": 0.1}),
]


@pytest.mark.keras
@pytest.mark.parametrize("name,kwargs", OPTIONS, ids=[f"{n}-{i}" for i, (n, _) in enumerate(OPTIONS)])
def test_optimizer_options_match_keras(keras, name, kwargs):
    _compare(keras, name, kwargs)


@pytest.mark.keras
def test_lamb_trust_ratio_of_a_zero_weight_is_one_as_keras(keras):
    _compare(keras, "Lamb", {"learning_rate": 0.05}, zero_first=True)


@pytest.mark.keras
@pytest.mark.parametrize("name", NEW)
def test_schedule_as_learning_rate_matches_keras(keras, name):
    cfg = {"initial_learning_rate": 0.1, "decay_steps": 2, "decay_rate": 0.5}
    _compare(keras, name, {"learning_rate": schedules.ExponentialDecay(**cfg)},
             keras_kwargs={"learning_rate": keras.optimizers.schedules.ExponentialDecay(**cfg)})


# ---------------------------------------------------------------- configs, serialization, get()


@pytest.mark.keras
@pytest.mark.parametrize("name", NEW)
def test_default_config_and_serialization_match_keras(keras, name):
    theirs = getattr(keras.optimizers, name)(name="opt")
    ours = getattr(optimizers, name)(name="opt")
    assert ours.get_config() == theirs.get_config()
    assert optimizers.serialize(ours) == keras.optimizers.serialize(theirs)
    assert getattr(optimizers, name)().name.split("_")[0] == getattr(keras.optimizers, name)().name.split("_")[0]


CONFIGS = [
    ("Adafactor", {"learning_rate": 0.1, "beta_2_decay": -0.5, "clip_threshold": 2.0, "relative_step": False,
                   "use_ema": True, "clipnorm": 1.0}),
    ("Ftrl", {"learning_rate_power": -0.2, "l1_regularization_strength": 0.1, "beta": 0.3,
              "gradient_accumulation_steps": 3}),
    ("Lamb", {"beta_1": 0.8, "epsilon": 1e-5, "weight_decay": 0.01, "loss_scale_factor": 4.0}),
    ("Muon", {"exclude_layers": ["head", "out.*"], "exclude_embeddings": False, "ns_steps": 3,
              "rms_rate": None, "adam_lr_ratio": 0.1}),
    ("ScheduleFreeAdamW", {"warmup_steps": 10, "beta_1": 0.95, "global_clipnorm": 2.0}),
]


@pytest.mark.keras
@pytest.mark.parametrize("name,kwargs", CONFIGS, ids=[n for n, _ in CONFIGS])
def test_config_round_trips_both_ways(keras, name, kwargs):
    ours = getattr(optimizers, name)(name="opt", **kwargs)
    theirs = getattr(keras.optimizers, name)(name="opt", **kwargs)
    assert ours.get_config() == theirs.get_config()
    assert type(ours).from_config(ours.get_config()).get_config() == ours.get_config()
    assert optimizers.deserialize(optimizers.serialize(ours)).get_config() == ours.get_config()
    assert optimizers.deserialize(keras.optimizers.serialize(theirs)).get_config() == ours.get_config()
    # As Keras reads a .keras file (its optimizers.deserialize() returns the string 'Lamb' for
    # Lamb, missing from its lookup table).
    assert keras.saving.deserialize_keras_object(optimizers.serialize(ours)).get_config() == theirs.get_config()
    # A schedule travels inside the config.
    sched = schedules.CosineDecay(0.1, 10)
    with_schedule = getattr(optimizers, name)(name="opt", **{**kwargs, "learning_rate": sched})
    rebuilt = optimizers.deserialize(optimizers.serialize(with_schedule))
    assert isinstance(rebuilt._learning_rate, schedules.CosineDecay)


@pytest.mark.keras
def test_get_resolves_every_keras_optimizer_name(keras):
    import importlib

    keras_names = importlib.import_module("keras.src.optimizers").ALL_OBJECTS_DICT
    wrappers = {"lossscaleoptimizer", "multioptimizer", "optimizermap", "optimizer"}
    for name in sorted(set(keras_names) - wrappers):
        for spelling in (name, name.upper(), keras_names[name].__name__):
            ours = optimizers.get(spelling)
            assert type(ours).__name__ == keras_names[name].__name__
            assert ours.get_config() | {"name": None} == keras.optimizers.get(spelling).get_config() | {"name": None}
    # Keras 3.15.1 leaves Lamb out of its lookup table (get("lamb") fails there); here it works.
    assert isinstance(optimizers.get("lamb"), optimizers.Lamb)
    with pytest.raises(ValueError, match=r"Could not interpret optimizer identifier: lamb"):
        keras.optimizers.get("lamb")


@pytest.mark.parametrize("name,match", [
    ("LossScaleOptimizer", r"create it with its `inner_optimizer`, e\.g\. LossScaleOptimizer\(optimizers\.Adam\(\)\)"),
    ("multioptimizer", r"create it with its `optimizer_map`"),
    ("OptimizerMap", r"create it with its `default_optimizer`"),
    ("adafactr", r"Unknown optimizer 'adafactr'\. Did you mean 'adafactor'\?"),
])
def test_get_explains_names_it_cannot_build(name, match):
    with pytest.raises(ValueError, match=match):
        optimizers.get(name)


@pytest.mark.parametrize("cls,kwargs,error,match", [
    ("Ftrl", {"initial_accumulator_value": -1.0}, ValueError, "`initial_accumulator_value` needs to be positive or zero"),
    ("Ftrl", {"learning_rate_power": 0.5}, ValueError, "`learning_rate_power` needs to be negative or zero"),
    ("Ftrl", {"l1_regularization_strength": -0.1}, ValueError, "`l1_regularization_strength` needs to be positive"),
    ("Ftrl", {"l2_regularization_strength": -0.1}, ValueError, "`l2_regularization_strength` needs to be positive"),
    ("Ftrl", {"l2_shrinkage_regularization_strength": -1}, ValueError, "`l2_shrinkage_regularization_strength`"),
    ("Ftrl", {"beta": "0.1"}, TypeError, "`beta` must be a float"),
    ("Muon", {"ns_steps": 2.5}, ValueError, "`ns_steps` must be an integer >= 0"),
    ("Muon", {"exclude_layers": "dense"}, TypeError, "`exclude_layers` must be a list of strings"),
    ("ScheduleFreeAdamW", {"warmup_steps": -1}, ValueError, "`warmup_steps` must be an integer >= 0"),
    ("Adafactor", {"momentum": 0.9}, ValueError, r"argument\(s\) not recognized: \['momentum'\]"),
])
def test_bad_arguments_are_refused(cls, kwargs, error, match):
    with pytest.raises(error, match=match):
        getattr(optimizers, cls)(**kwargs)


@pytest.mark.keras
def test_keras_refuses_the_same_ftrl_values(keras):
    for kwargs in [{"initial_accumulator_value": -1.0}, {"learning_rate_power": 0.5},
                   {"l1_regularization_strength": -0.1}]:
        with pytest.raises(ValueError):
            keras.optimizers.Ftrl(**kwargs)


def test_apply_with_variables_and_state_dict_round_trip():
    # Keras' apply(grads, variables) API and torch's state_dict protocol, for every new optimizer.
    for name in NEW:
        v = [Variable(np.ones((3, 2), "float32"), name="w"), Variable(np.ones(2, "float32"), name="b")]
        opt = getattr(optimizers, name)(learning_rate=0.1)
        for _ in range(2):
            opt.apply([torch.full((3, 2), 0.5), torch.full((2,), -0.5)], v)
        state = opt.state_dict()
        clone = getattr(optimizers, name)(learning_rate=0.1)
        clone.load_state_dict(state)
        clone.build([Variable(np.ones((3, 2), "float32")), Variable(np.ones(2, "float32"))])
        for a, b in zip(opt.variables, clone.variables):
            torch.testing.assert_close(a, b)
        assert opt.iterations == 2 and clone.iterations == 2


def test_docstring_examples_run():
    import doctest
    import importlib

    attempted = 0
    for module in ["adafactor", "ftrl", "lamb", "muon", "schedule_free_adamw", "loss_scale_optimizer",
                   "multi_optimizer", "legacy"]:
        result = doctest.testmod(importlib.import_module(f"kerastorch.optimizers.{module}"),
                                 optionflags=doctest.ELLIPSIS)
        assert result.failed == 0, module
        attempted += result.attempted
    assert attempted > 50


# ---------------------------------------------------------------- models: layouts, fit, .keras files


def _model(lib):
    # Conv2D and Dense keep their kernels in a torch layout here: Adafactor must factor Keras'
    # axes, and every slot must be saved in Keras' layout.
    layers = lib.layers
    return lib.Sequential([layers.Input(shape=(5, 5, 2)), layers.Conv2D(3, (3, 3), name="conv"),
                           layers.Flatten(), layers.Dense(4, activation="tanh", name="hidden"),
                           layers.Dense(2, name="head")])


def _data(n=16, seed=1):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, 5, 5, 2)).astype("float32"), rng.normal(size=(n, 2)).astype("float32")


MODEL_OPTIMIZERS = [
    ("Adafactor", {"learning_rate": 0.05}),
    ("Ftrl", {"learning_rate": 0.1, "l1_regularization_strength": 0.001}),
    ("Lamb", {"learning_rate": 0.02}),
    ("Muon", {"learning_rate": 0.02, "exclude_layers": ["head"]}),
    ("ScheduleFreeAdamW", {"learning_rate": 0.01, "warmup_steps": 2}),
]


def _fit_pair(keras, name, kwargs):
    x, y = _data()
    kmodel = _model(keras)
    kmodel.compile(optimizer=getattr(keras.optimizers, name)(**kwargs), loss="mse")
    model = _model(kerastorch)
    model.set_weights([np.asarray(w) for w in kmodel.get_weights()])
    model.compile(optimizer=getattr(optimizers, name)(**kwargs), loss="mse")
    return kmodel, model, x, y


def _assert_same_weights(model, kmodel):
    for got, want in zip(model.get_weights(), kmodel.get_weights()):
        np.testing.assert_allclose(got, np.asarray(want), rtol=1e-5, atol=1e-5)


@pytest.mark.keras
@pytest.mark.parametrize("name,kwargs", MODEL_OPTIMIZERS, ids=[n for n, _ in MODEL_OPTIMIZERS])
def test_training_a_model_and_keras_files_both_ways(keras, tmp_path, name, kwargs):
    kmodel, model, x, y = _fit_pair(keras, name, kwargs)
    fit = {"batch_size": 4, "epochs": 1, "shuffle": False, "verbose": 0}
    kmodel.fit(x, y, **fit)
    model.fit(x, y, **fit)
    _assert_same_weights(model, kmodel)   # 4 steps through the torch layouts

    # kerastorch -> Keras: the loaded optimizer state continues training where ours does.
    model.save(tmp_path / "t.keras")
    kloaded = keras.models.load_model(tmp_path / "t.keras")
    assert type(kloaded.optimizer).__name__ == name and int(kloaded.optimizer.iterations) == 4
    ours = [v.detach().cpu().numpy() for v in model.optimizer.variables]
    assert len(kloaded.optimizer.variables) == len(ours)
    # Keras -> kerastorch: the same.
    kmodel.save(tmp_path / "k.keras")
    loaded = kerastorch.models.load_model(tmp_path / "k.keras")
    assert type(loaded.optimizer).__name__ == name and loaded.optimizer.iterations == 4

    for m in (model, kloaded, kmodel, loaded):
        m.fit(x, y, **fit)
    _assert_same_weights(model, kloaded)
    _assert_same_weights(loaded, kmodel)
    _assert_same_weights(model, kmodel)
