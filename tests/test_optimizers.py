"""kerastorch.optimizers against real Keras 3 (torch backend): same variables, same gradients,
same updates; plus configs, state, the learning-rate setter and `get()`."""

import io
import warnings

import numpy as np
import pytest
import torch

from kerastorch import Variable, optimizers
from kerastorch.optimizers import schedules

NAMES = ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta", "Adamax", "Nadam", "Lion"]
SHAPES = [(3, 4), (4,), (2, 1, 2)]


def _problem(num_steps, seed=0):
    """Initial variables and a sequence of gradients; the first variable's are large, so
    clipping by norm or value really clips."""
    rng = np.random.default_rng(seed)
    init = [rng.normal(size=s).astype("float32") for s in SHAPES]
    grads = [
        [(rng.normal(size=s) * (3.0 if i == 0 else 0.3)).astype("float32") for i, s in enumerate(SHAPES)]
        for _ in range(num_steps)
    ]
    return init, grads


def _run_keras(keras, name, kwargs, init, grads_seq):
    variables = [keras.Variable(a.copy()) for a in init]
    opt = getattr(keras.optimizers, name)(**kwargs)
    for grads in grads_seq:
        pairs = [(None if g is None else torch.tensor(g), v) for g, v in zip(grads, variables)]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # Keras warns about the missing gradients
            opt.apply_gradients(pairs)
    return [v.numpy() for v in variables], opt


def _run_kerastorch(name, kwargs, init, grads_seq):
    params = [torch.nn.Parameter(torch.tensor(a.copy())) for a in init]
    opt = getattr(optimizers, name)(**kwargs)
    opt.build(params)
    for grads in grads_seq:
        for p, g in zip(params, grads):
            p.grad = None if g is None else torch.tensor(g)
        opt.step()
    return [p.detach().numpy() for p in params], opt


def _compare(keras, name, kwargs, num_steps=5, keras_kwargs=None, grads_seq=None, init=None):
    default_init, grads = _problem(num_steps)
    init = default_init if init is None else init
    grads = grads_seq or grads
    k_vars, k_opt = _run_keras(keras, name, keras_kwargs or kwargs, init, grads)
    t_vars, t_opt = _run_kerastorch(name, kwargs, init, grads)
    for k, t, w0 in zip(k_vars, t_vars, init):
        np.testing.assert_allclose(t, k, rtol=1e-5, atol=1e-5)
        # The displacement too, so that tiny steps (Adadelta's) are really compared; float32
        # rounding of the variables allows a few ulps of 1.0.
        np.testing.assert_allclose(t - w0, k - w0, rtol=1e-4, atol=5e-7)
    # The optimizer state too: same variables, same order, same values.
    k_state = [np.asarray(v.numpy()) for v in k_opt.variables]
    t_state = [v.detach().cpu().numpy() for v in t_opt.variables]
    assert [s.shape for s in t_state] == [s.shape for s in k_state]
    for k, t in zip(k_state, t_state):
        np.testing.assert_allclose(t, k, rtol=1e-5, atol=1e-6)
    assert t_opt.iterations == int(k_opt.iterations.numpy())
    return t_opt


# ---------------------------------------------------------------- update rules vs Keras


@pytest.mark.keras
@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"learning_rate": 0.05},
        {"learning_rate": 0.05, "weight_decay": 0.1, "clipnorm": 1.0},
        {"learning_rate": 0.05, "clipvalue": 0.2},
        {"learning_rate": 0.05, "global_clipnorm": 1.5, "loss_scale_factor": 8.0},
        {"learning_rate": 0.05, "gradient_accumulation_steps": 2, "use_ema": True},
        {"learning_rate": 0.05, "use_ema": True, "ema_momentum": 0.9, "ema_overwrite_frequency": 2},
    ],
    ids=["defaults", "lr", "wd+clipnorm", "clipvalue", "globalclip+lossscale", "accum+ema", "ema-overwrite"],
)
def test_update_matches_keras(keras, name, kwargs):
    steps = 6 if kwargs.get("gradient_accumulation_steps") else 5
    kwargs = dict(kwargs)
    if name == "Adadelta" and "learning_rate" in kwargs:
        kwargs["learning_rate"] = 1.0  # Adadelta's steps are tiny with a small learning rate
    _compare(keras, name, kwargs, num_steps=steps)


@pytest.mark.keras
@pytest.mark.parametrize(
    "name, kwargs",
    [
        ("SGD", {"momentum": 0.9}),
        ("SGD", {"momentum": 0.9, "nesterov": True}),
        ("SGD", {"momentum": 0.5, "nesterov": True, "weight_decay": 0.2, "gradient_accumulation_steps": 3}),
        ("Adam", {"amsgrad": True}),
        ("Adam", {"amsgrad": True, "learning_rate": 0.05, "weight_decay": 0.01}),
        ("AdamW", {"amsgrad": True, "weight_decay": 0.5, "learning_rate": 0.05}),
        ("RMSprop", {"centered": True}),
        ("RMSprop", {"momentum": 0.5}),
        ("RMSprop", {"centered": True, "momentum": 0.5, "learning_rate": 0.01, "rho": 0.8}),
        ("Adagrad", {"initial_accumulator_value": 0.5, "epsilon": 1e-3}),
        ("Adadelta", {"rho": 0.5, "learning_rate": 1.0}),
        ("Adamax", {"beta_1": 0.5, "beta_2": 0.9}),
        ("Nadam", {"beta_1": 0.8, "gradient_accumulation_steps": 2, "learning_rate": 0.01}),
        ("Lion", {"beta_1": 0.5, "beta_2": 0.9, "weight_decay": 0.1}),
    ],
)
def test_optimizer_options_match_keras(keras, name, kwargs):
    steps = 6 if kwargs.get("gradient_accumulation_steps") else 5
    _compare(keras, name, kwargs, num_steps=steps)


@pytest.mark.keras
@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize(
    "schedule",
    [
        ("ExponentialDecay", {"initial_learning_rate": 0.1, "decay_steps": 2, "decay_rate": 0.5}),
        ("CosineDecay", {"initial_learning_rate": 0.0, "decay_steps": 4, "warmup_target": 0.1,
                         "warmup_steps": 2}),
        ("PiecewiseConstantDecay", {"boundaries": [1, 3], "values": [0.1, 0.05, 0.01]}),
    ],
    ids=lambda s: s[0],
)
def test_schedule_as_learning_rate_matches_keras(keras, name, schedule):
    cls_name, cfg = schedule
    ours = {"learning_rate": getattr(schedules, cls_name)(**cfg)}
    theirs = {"learning_rate": getattr(keras.optimizers.schedules, cls_name)(**cfg)}
    if name == "SGD":
        ours["momentum"] = theirs["momentum"] = 0.9
    opt = _compare(keras, name, ours, num_steps=6, keras_kwargs=theirs)
    assert opt.learning_rate == pytest.approx(float(theirs["learning_rate"](6)), rel=1e-6)


@pytest.mark.keras
def test_schedule_with_gradient_accumulation_sees_raw_step_count(keras):
    # Keras evaluates schedules at the call count, while Adam's bias correction uses updates.
    cfg = {"initial_learning_rate": 0.1, "decay_steps": 1, "decay_rate": 0.5}
    _compare(
        keras, "Adam",
        {"learning_rate": schedules.ExponentialDecay(**cfg), "gradient_accumulation_steps": 2, "use_ema": True},
        keras_kwargs={"learning_rate": keras.optimizers.schedules.ExponentialDecay(**cfg),
                      "gradient_accumulation_steps": 2, "use_ema": True},
        num_steps=6,
    )


@pytest.mark.keras
@pytest.mark.parametrize("name", ["SGD", "Adam", "RMSprop", "Nadam"])
def test_missing_gradients_are_skipped_like_keras(keras, name):
    init, grads = _problem(5)
    grads[1][2] = None  # the last variable gets no gradient at steps 1 and 3
    grads[3][2] = None
    _compare(keras, name, {"learning_rate": 0.05, "momentum": 0.9} if name == "SGD" else {"learning_rate": 0.05},
             grads_seq=grads)


@pytest.mark.keras
def test_clipnorm_is_per_variable(keras):
    # One variable with a huge gradient, one with a small one: per-variable clipping leaves
    # the small one untouched (global clipping would shrink it).
    init = [np.zeros(2, "float32"), np.zeros(2, "float32")]
    grads = [[np.array([30.0, 40.0], "float32"), np.array([0.3, 0.4], "float32")]]
    _, opt = _run_kerastorch("SGD", {"learning_rate": 1.0, "clipnorm": 1.0}, init, grads)
    np.testing.assert_allclose(opt._params[0].detach().numpy(), [-0.6, -0.8], rtol=1e-6)
    np.testing.assert_allclose(opt._params[1].detach().numpy(), [-0.3, -0.4], rtol=1e-6)
    _compare(keras, "SGD", {"learning_rate": 1.0, "clipnorm": 1.0}, grads_seq=grads, init=init)


@pytest.mark.keras
def test_finalize_variable_values_copies_the_moving_average(keras):
    init, grads = _problem(4)
    k_vars = [keras.Variable(a.copy()) for a in init]
    k_opt = keras.optimizers.Adam(learning_rate=0.05, use_ema=True, ema_momentum=0.5)
    for g in grads:
        k_opt.apply_gradients(zip([torch.tensor(x) for x in g], k_vars))
    k_opt.finalize_variable_values(k_vars)
    _, opt = _run_kerastorch("Adam", {"learning_rate": 0.05, "use_ema": True, "ema_momentum": 0.5}, init, grads)
    opt.finalize_variable_values()
    for k, p in zip(k_vars, opt._params):
        np.testing.assert_allclose(p.detach().numpy(), k.numpy(), rtol=1e-5, atol=1e-6)


# ---------------------------------------------------------------- configs and defaults


@pytest.mark.keras
@pytest.mark.parametrize("name", NAMES)
def test_default_config_matches_keras(keras, name):
    theirs = getattr(keras.optimizers, name)().get_config()
    ours = getattr(optimizers, name)().get_config()
    theirs.pop("name"), ours.pop("name")
    assert ours == theirs


@pytest.mark.keras
def test_auto_names_follow_keras_snake_case(keras):
    for name, expected in [("RMSprop", "rm_sprop"), ("AdamW", "adam_w"), ("SGD", "sgd")]:
        assert getattr(optimizers, name)().name.startswith(expected)
        assert getattr(keras.optimizers, name)().name.startswith(expected)


@pytest.mark.keras
def test_config_with_schedule_and_options_matches_keras(keras):
    cfg = {"initial_learning_rate": 0.1, "decay_steps": 10, "alpha": 0.1, "warmup_target": 0.2, "warmup_steps": 3}
    common = {"weight_decay": 0.01, "clipnorm": 2.0, "use_ema": True, "ema_overwrite_frequency": 5,
              "gradient_accumulation_steps": 4, "loss_scale_factor": 128.0, "name": "opt"}
    ours = optimizers.Nadam(learning_rate=schedules.CosineDecay(**cfg), beta_1=0.8, **common).get_config()
    theirs = keras.optimizers.Nadam(
        learning_rate=keras.optimizers.schedules.CosineDecay(**cfg), beta_1=0.8, **common
    ).get_config()
    assert ours == theirs


@pytest.mark.keras
def test_serialize_matches_keras(keras):
    ours = optimizers.serialize(optimizers.Adam(learning_rate=0.01, amsgrad=True, name="a"))
    theirs = keras.optimizers.serialize(keras.optimizers.Adam(learning_rate=0.01, amsgrad=True, name="a"))
    assert ours == theirs


@pytest.mark.keras
def test_deserialize_reads_keras_serialized_optimizer(keras):
    sched = keras.optimizers.schedules.PolynomialDecay(0.1, 10)
    config = keras.optimizers.serialize(keras.optimizers.RMSprop(learning_rate=sched, centered=True))
    opt = optimizers.deserialize(config)
    assert isinstance(opt, optimizers.RMSprop) and opt.centered
    assert isinstance(opt._learning_rate, schedules.PolynomialDecay)
    assert opt.learning_rate == pytest.approx(0.1)


def test_from_config_round_trip():
    opt = optimizers.SGD(learning_rate=schedules.ExponentialDecay(0.1, 5, 0.9), momentum=0.5, nesterov=True,
                         clipvalue=1.0)
    clone = optimizers.SGD.from_config(opt.get_config())
    assert clone.get_config() == opt.get_config()
    assert optimizers.deserialize(optimizers.serialize(opt)).get_config() == opt.get_config()


def test_invalid_arguments_raise():
    with pytest.raises(ValueError, match="only one of `clipnorm`, `clipvalue` and `global_clipnorm`"):
        optimizers.Adam(clipnorm=1.0, clipvalue=1.0)
    with pytest.raises(ValueError, match="gradient_accumulation_steps"):
        optimizers.Adam(gradient_accumulation_steps=1)
    with pytest.raises(ValueError, match="not recognized"):
        optimizers.Adam(lr=0.1)
    with pytest.raises(ValueError, match="weight_decay"):
        optimizers.AdamW(weight_decay=None)
    with pytest.raises(ValueError, match="momentum"):
        optimizers.SGD(momentum=1.5)
    with pytest.raises(TypeError, match="learning_rate"):
        optimizers.Adam(learning_rate="fast")


# ---------------------------------------------------------------- learning rate, iterations, state


def _sgd_on(values, **kwargs):
    w = torch.nn.Parameter(torch.tensor(values))
    opt = optimizers.SGD(**kwargs)
    opt.build([w])
    return w, opt


def test_learning_rate_setter_takes_effect_on_next_step():
    w, opt = _sgd_on([1.0], learning_rate=0.1)
    assert isinstance(opt.learning_rate, Variable) and float(opt.learning_rate) == pytest.approx(0.1)
    opt.learning_rate = 0.5
    assert opt.learning_rate == 0.5
    w.grad = torch.tensor([1.0])
    opt.step()
    assert w.item() == pytest.approx(0.5)
    assert isinstance(opt.iterations, int) and opt.iterations == 1
    assert float(opt.variables[1]) == 0.5  # the saved learning_rate variable follows


def test_learning_rate_setter_accepts_a_schedule():
    w, opt = _sgd_on([1.0], learning_rate=0.1)
    opt.learning_rate = schedules.PiecewiseConstantDecay([0], [1.0, 0.25])
    assert opt.learning_rate == 1.0
    assert len(opt.variables) == 1  # like Keras, a schedule has no learning_rate variable
    w.grad = torch.tensor([1.0])
    opt.step()
    assert opt.learning_rate == 0.25
    with pytest.raises(TypeError, match="LearningRateSchedule"):
        opt.learning_rate = 0.1


@pytest.mark.keras
def test_variables_layout_matches_keras_after_setting_a_schedule(keras):
    k_opt = keras.optimizers.Adam(0.01)
    k_opt.build([keras.Variable(np.ones(2, "float32"))])
    k_opt.learning_rate = keras.optimizers.schedules.ExponentialDecay(0.1, 1, 0.5)
    opt = optimizers.Adam(0.01)
    opt.build([torch.nn.Parameter(torch.ones(2))])
    opt.learning_rate = schedules.ExponentialDecay(0.1, 1, 0.5)
    assert len(opt.variables) == len(k_opt.variables) == 3


def test_callable_learning_rate():
    w, opt = _sgd_on([1.0], learning_rate=lambda: 0.25)
    w.grad = torch.tensor([1.0])
    opt.step()
    assert w.item() == pytest.approx(0.75)


@pytest.mark.parametrize(
    "name, kwargs",
    [
        ("Adam", {"amsgrad": True, "use_ema": True, "gradient_accumulation_steps": 2}),
        ("Nadam", {}),
        ("SGD", {"momentum": 0.9, "learning_rate": schedules.ExponentialDecay(0.1, 1, 0.7)}),
        ("RMSprop", {"centered": True, "momentum": 0.3}),
    ],
)
def test_state_dict_round_trip_resumes_exactly(name, kwargs):
    init, grads = _problem(7)
    params_a = [torch.nn.Parameter(torch.tensor(a)) for a in init]
    opt_a = getattr(optimizers, name)(**kwargs)
    opt_a.build(params_a)

    def step(opt, params, g):
        for p, x in zip(params, g):
            p.grad = torch.tensor(x)
        opt.step()

    for g in grads[:3]:
        step(opt_a, params_a, g)
    buffer = io.BytesIO()
    torch.save(opt_a.state_dict(), buffer)
    params_b = [torch.nn.Parameter(p.detach().clone()) for p in params_a]
    buffer.seek(0)
    state = torch.load(buffer, weights_only=True)

    opt_b = getattr(optimizers, name).from_config(opt_a.get_config())
    opt_b.load_state_dict(state)  # before build: applied when built
    opt_b.build(params_b)
    assert opt_b.iterations == opt_a.iterations
    for g in grads[3:]:
        step(opt_a, params_a, g)
        step(opt_b, params_b, g)
    for a, b in zip(params_a, params_b):
        assert torch.equal(a, b)
    for a, b in zip(opt_a.variables, opt_b.variables):
        assert torch.equal(a, b)


def test_state_dict_from_other_options_is_rejected():
    _, opt = _sgd_on([1.0], momentum=0.9)
    _, other = _sgd_on([1.0])
    with pytest.raises(ValueError, match="slot variable"):
        other.load_state_dict(opt.state_dict())


def test_set_weights_and_own_variables_round_trip():
    init, grads = _problem(2)
    _, opt = _run_kerastorch("Adam", {"learning_rate": 0.05}, init, grads)
    store = {}
    opt.save_own_variables(store)
    fresh = optimizers.Adam(learning_rate=0.05)
    fresh.build([torch.nn.Parameter(torch.tensor(a)) for a in init])
    fresh.load_own_variables(store)
    assert fresh.iterations == 2
    for a, b in zip(opt.variables, fresh.variables):
        assert torch.equal(a, b)


def test_step_requires_build_and_some_gradient():
    opt = optimizers.Adam()
    with pytest.raises(ValueError, match="build"):
        opt.step()
    w = torch.nn.Parameter(torch.ones(2))
    opt.build([w])
    with pytest.raises(ValueError, match="backward"):
        opt.step()


def test_rebuilding_for_other_parameters_is_rejected():
    w = torch.nn.Parameter(torch.ones(2))
    opt = optimizers.Adam()
    opt.build([w])
    opt.build([w])  # same parameters: no-op
    with pytest.raises(ValueError, match="new optimizer"):
        opt.build([torch.nn.Parameter(torch.ones(2))])


def test_zero_grad_and_gradients_untouched_by_clipping():
    w, opt = _sgd_on([1.0, 1.0], learning_rate=0.1)
    opt = optimizers.SGD(clipvalue=0.5)
    opt.build([w])
    w.grad = torch.tensor([3.0, -3.0])
    opt.step()
    assert w.grad.tolist() == [3.0, -3.0]
    opt.zero_grad()
    assert w.grad is None


def test_exclude_from_weight_decay():
    w = torch.nn.Parameter(torch.ones(1))
    b = torch.nn.Parameter(torch.ones(1))
    b.path = "dense/bias"
    opt = optimizers.SGD(learning_rate=0.1, weight_decay=0.5)
    opt.exclude_from_weight_decay(var_names=["bias"])
    opt.build([w, b])
    w.grad, b.grad = torch.zeros(1), torch.zeros(1)
    opt.step()
    assert w.item() == pytest.approx(0.95) and b.item() == 1.0


# ---------------------------------------------------------------- get()


@pytest.mark.parametrize("name", NAMES)
def test_get_by_name_any_case(name):
    cls = getattr(optimizers, name)
    for identifier in (name, name.lower(), name.upper()):
        assert type(optimizers.get(identifier)) is cls


def test_get_returns_instances_unchanged():
    opt = optimizers.Adam()
    assert optimizers.get(opt) is opt
    torch_opt = torch.optim.SGD([torch.nn.Parameter(torch.ones(1))], lr=0.1)
    assert optimizers.get(torch_opt) is torch_opt
    assert optimizers.get(None) is None


def test_get_from_config_dict():
    opt = optimizers.get({"class_name": "RMSprop", "config": {"learning_rate": 0.01, "rho": 0.8}})
    assert isinstance(opt, optimizers.RMSprop) and opt.rho == 0.8


def test_get_unknown_name_suggests_closest():
    with pytest.raises(ValueError) as info:
        optimizers.get("adamm")
    assert str(info.value) == (
        "Unknown optimizer 'adamm'. Did you mean 'adam'? "
        "Known: adadelta, adafactor, adagrad, adam, adamax, adamw, ftrl, lamb, lion, muon, nadam, rmsprop, "
        "schedulefreeadamw, sgd."
    )


def test_get_wrong_type_says_what_is_accepted():
    with pytest.raises(TypeError, match=r"optimizer name .* config dict.* torch.optim.Optimizer"):
        optimizers.get(42)


# ---------------------------------------------------------------- device (GPU only)


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
@pytest.mark.parametrize("name", NAMES)
def test_step_on_cuda_never_syncs_with_the_host(name):
    init, grads = _problem(4)
    params = [torch.nn.Parameter(torch.tensor(a)) for a in init]
    opt = getattr(optimizers, name)(learning_rate=schedules.ExponentialDecay(0.05, 1000, 0.999999),
                                    global_clipnorm=1.0, use_ema=True, gradient_accumulation_steps=2)
    opt.build(params)  # built on the CPU; the parameters move afterwards, like model.to("cuda")
    for p in params:
        p.data = p.data.cuda()
    cuda_grads = [[torch.tensor(x).cuda() for x in g] for g in grads]
    torch.cuda.synchronize()
    torch.cuda.set_sync_debug_mode("error")
    try:
        for g in cuda_grads:
            for p, x in zip(params, g):
                p.grad = x
            opt.step()
    finally:
        torch.cuda.set_sync_debug_mode("default")
    assert all(p.is_cuda for p in params) and opt.iterations == 2
    # Same arithmetic on both devices (plain lr vs. a schedule ~= lr: loose tolerance).
    ref = optimizers.get({"class_name": name, "config": {"learning_rate": 0.05, "global_clipnorm": 1.0,
                                                           "use_ema": True, "gradient_accumulation_steps": 2}})
    ref_params = [torch.nn.Parameter(torch.tensor(a)) for a in init]
    ref.build(ref_params)
    for g in grads:
        for p, x in zip(ref_params, g):
            p.grad = torch.tensor(x)
        ref.step()
    for a, b in zip(params, ref_params):
        np.testing.assert_allclose(a.detach().cpu().numpy(), b.detach().numpy(), rtol=1e-4, atol=1e-5)


# ---------------------------------------------------------------- Adam on torch's fused kernel

FUSED_OPTIONS = [
    ("Adam", {}),
    ("Adam", {"learning_rate": 0.05, "amsgrad": True}),
    ("Adam", {"learning_rate": 0.1, "beta_1": 0.5, "beta_2": 0.9, "epsilon": 1e-3}),
    ("Adam", {"learning_rate": 0.05, "weight_decay": 0.1, "clipnorm": 1.0}),
    ("Adam", {"learning_rate": 0.05, "global_clipnorm": 1.5, "loss_scale_factor": 8.0}),
    ("Adam", {"learning_rate": 0.05, "clipvalue": 0.2, "use_ema": True, "ema_overwrite_frequency": 3}),
    ("Adam", {"learning_rate": 0.05, "gradient_accumulation_steps": 3, "use_ema": True}),
    ("Adam", {"learning_rate": schedules.ExponentialDecay(0.05, 5, 0.5)}),
    ("AdamW", {}),
    ("AdamW", {"learning_rate": 0.05, "weight_decay": 0.3, "amsgrad": True, "clipnorm": 1.0}),
]


def _fused_run(name, kwargs, fused, num_steps=20, missing=False):
    init, grads = _problem(num_steps, seed=3)
    if missing:  # the second variable gets no gradient every other step
        for i, g in enumerate(grads):
            if i % 2:
                g[1] = None
    params = [torch.nn.Parameter(torch.tensor(a)) for a in init]
    opt = getattr(optimizers, name)(**kwargs)
    opt._use_fused = fused
    opt.build(params)
    slots = list(opt.variables)
    for g in grads:
        for p, x in zip(params, g):
            p.grad = None if x is None else torch.tensor(x)
        opt.step()
    assert all(a is b for a, b in zip(opt.variables, slots))  # the same state tensors, updated in place
    return params, opt


@pytest.fixture
def fused_calls(monkeypatch):
    calls = []
    real = torch._fused_adam_

    def counting(*args, **kwargs):
        calls.append(kwargs)
        return real(*args, **kwargs)

    monkeypatch.setattr(torch, "_fused_adam_", counting)
    return calls


@pytest.mark.parametrize("name,kwargs", FUSED_OPTIONS, ids=lambda x: x if isinstance(x, str) else "-".join(x) or "defaults")
@pytest.mark.parametrize("missing", [False, True], ids=["all-grads", "missing-grads"])
def test_fused_adam_is_used_and_equals_the_foreach_path(fused_calls, name, kwargs, missing):
    fused_params, fused_opt = _fused_run(name, kwargs, True, missing=missing)
    updates = 20 // (kwargs.get("gradient_accumulation_steps") or 1)
    assert len(fused_calls) == updates
    assert all(c["weight_decay"] == 0.0 and c["amsgrad"] == kwargs.get("amsgrad", False) for c in fused_calls)
    del fused_calls[:]
    ref_params, ref_opt = _fused_run(name, kwargs, False, missing=missing)
    assert not fused_calls
    for a, b in zip(fused_params, ref_params):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=0, atol=1e-6)
    assert fused_opt.iterations == ref_opt.iterations
    for a, b in zip(fused_opt.variables, ref_opt.variables):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-6, atol=1e-6)


def test_fused_adam_leaves_gradients_untouched_and_resumes_from_state(fused_calls):
    init, grads = _problem(6)
    params = [torch.nn.Parameter(torch.tensor(a)) for a in init]
    opt = optimizers.Adam(learning_rate=0.05, amsgrad=True)
    opt.build(params)
    for g in grads[:3]:
        for p, x in zip(params, g):
            p.grad = torch.tensor(x)
        opt.step()
        for p, x in zip(params, g):
            np.testing.assert_array_equal(p.grad.numpy(), x)
    state = opt.state_dict()
    weights = [p.detach().clone() for p in params]
    twin_params = [torch.nn.Parameter(w.clone()) for w in weights]
    twin = optimizers.Adam(learning_rate=0.05, amsgrad=True)
    twin.build(twin_params)
    twin.load_state_dict(state)  # the step count (t = 4 next) comes from `iterations`
    for g in grads[3:]:
        for ps, o in ((params, opt), (twin_params, twin)):
            for p, x in zip(ps, g):
                p.grad = torch.tensor(x)
            o.step()
    for a, b in zip(params, twin_params):
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())
    assert len(fused_calls) == 9


@pytest.mark.parametrize("case", ["float64", "non-contiguous-grad", "numpy-beta"])
def test_fused_adam_falls_back_where_the_kernel_would_not_be_keras(fused_calls, case):
    init, grads = _problem(3)
    dtype = torch.float64 if case == "float64" else torch.float32
    params = [torch.nn.Parameter(torch.tensor(a, dtype=dtype)) for a in init]
    opt = optimizers.Adam(learning_rate=0.05, beta_1=np.float32(0.9) if case == "numpy-beta" else 0.9)
    ref = optimizers.Adam(learning_rate=0.05, beta_1=np.float32(0.9) if case == "numpy-beta" else 0.9)
    ref._use_fused = False
    ref_params = [torch.nn.Parameter(p.detach().clone()) for p in params]
    opt.build(params)
    ref.build(ref_params)
    for g in grads:
        for ps in (params, ref_params):
            for p, x in zip(ps, g):
                x = torch.tensor(x, dtype=dtype)
                if case == "non-contiguous-grad" and x.dim() == 2:
                    x = x.t().contiguous().t()
                p.grad = x
        opt.step()
        ref.step()
    if case == "numpy-beta":
        assert len(fused_calls) == 3  # numpy scalars are plain numbers too
    else:
        assert not fused_calls
    for a, b in zip(params, ref_params):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=0, atol=1e-6)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("fused", [True, False], ids=["fused", "foreach"])
def test_step_updates_leaf_parameters_outside_no_grad(name, fused):
    # Regression: `step()` must disable autograd itself (a misplaced decorator once made the
    # in-place updates of leaf parameters raise outside `torch.no_grad()`).
    init, grads = _problem(2)
    params = [torch.nn.Parameter(torch.tensor(a)) for a in init]
    opt = getattr(optimizers, name)(learning_rate=0.05, weight_decay=0.1, use_ema=True)
    opt._use_fused = fused
    opt.build(params)
    assert torch.is_grad_enabled()
    for g in grads:
        for p, x in zip(params, g):
            p.grad = torch.tensor(x)
        opt.step()
    assert torch.is_grad_enabled()
    assert all(p.requires_grad and p.is_leaf and p.grad_fn is None for p in params)
    assert not any(np.array_equal(p.detach().numpy(), a) for p, a in zip(params, init))
    # ... and through `apply`, with gradients that require grad themselves.
    opt.apply([torch.tensor(x, requires_grad=True) * 1.0 for x in grads[0]], params)
    assert all(p.grad_fn is None for p in params)
