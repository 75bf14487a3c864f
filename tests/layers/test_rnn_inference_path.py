"""The recurrent layers' lean fused call (kerastorch/layers/rnn/fused_plan.py) against real Keras.

The lean call keeps the fused kernel's parameter list and zero initial states between calls. These
tests change the weights every way they can change (set_weights, load_weights, an optimizer step,
in-place writes, `.data` assignment, a replaced Parameter, `load_state_dict(assign=True)`, dtype round
trips, device moves) after the lean call has run, and check predictions against Keras with the same
weights; they check that the lean call gives the general path's outputs and gradients bit for bit,
that it is the path taken, and that it runs no more torch ops than `torch.nn.LSTM`'s forward.
"""

import numpy as np
import pytest
import torch
from torch.utils._python_dispatch import TorchDispatchMode

import kerastorch
from kerastorch import activations, layers
from kerastorch.layers.rnn import base as rnn_base

VOCAB, SEQ, DIM, UNITS, N = 50, 7, 8, 6, 23
CELLS = ["LSTM", "GRU", "SimpleRNN"]


def _rng(seed):
    return np.random.default_rng(seed)


def _ids(seed=0, n=N):
    return _rng(seed).integers(1, VOCAB, size=(n, SEQ)).astype("int64")


def _spec(lib, cls_name, **kwargs):
    return [lib.layers.Input(shape=(SEQ,), dtype="int64"), lib.layers.Embedding(VOCAB, DIM),
            getattr(lib.layers, cls_name)(UNITS, **kwargs), lib.layers.Dense(1, activation="sigmoid")]


def _random_weights(model, seed):
    return [_rng(seed).normal(scale=0.4, size=w.shape).astype("float32") for w in model.get_weights()]


def _pair(keras, cls_name, seed=1, **kwargs):
    ours = kerastorch.Sequential(_spec(kerastorch, cls_name, **kwargs))
    theirs = keras.Sequential(_spec(keras, cls_name, **kwargs))
    weights = _random_weights(ours, seed)
    ours.set_weights(weights)
    theirs.set_weights(weights)
    return ours, theirs


def _check_predict(ours, theirs, x, batch_size=8):
    """Two predicts of ours (the second by trainer's lean path too) equal Keras' within 1e-5."""
    want = np.asarray(theirs.predict(x, batch_size=batch_size, verbose=0))
    for _ in range(2):
        got = ours.predict(x, batch_size=batch_size, verbose=0)
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
    return got


def _rnn(model):
    return model.layers[1]


def _plan(model):
    plan = _rnn(model).cell.__dict__.get("_kt_fused_plan")
    return plan or None


def _cell_params(model):
    cell = _rnn(model).cell
    return [(name, p) for name, p in cell._parameters.items() if p is not None]


# ---------------------------------------------------------------------------- weight changes
def _set_weights(ours, theirs, keras, tmp_path):
    new = _random_weights(ours, 7)
    ours.set_weights(new)
    theirs.set_weights(new)


def _layer_set_weights(ours, theirs, keras, tmp_path):
    new = _random_weights(_rnn(ours), 8)
    _rnn(ours).set_weights(new)
    _rnn(theirs).set_weights(new)


def _load_weights(ours, theirs, keras, tmp_path):
    theirs.set_weights(_random_weights(ours, 9))
    path = tmp_path / "new.weights.h5"
    theirs.save_weights(path)
    ours.load_weights(path)


def _variable_assign(ours, theirs, keras, tmp_path):
    for mine, other, value in zip(_rnn(ours).weights, _rnn(theirs).weights, _random_weights(_rnn(ours), 10)):
        mine.assign(value)
        other.assign(value)


def _in_place(ours, theirs, keras, tmp_path):
    with torch.no_grad():
        for _, p in _cell_params(ours):
            p.mul_(-1.5).add_(0.1)
    theirs.set_weights(ours.get_weights())


def _data_assignment(ours, theirs, keras, tmp_path):
    gen = torch.Generator().manual_seed(11)
    for _, p in _cell_params(ours):
        p.data = torch.randn(p.shape, generator=gen) * 0.4      # new storage, same Parameter
    theirs.set_weights(ours.get_weights())


def _parameter_replaced(ours, theirs, keras, tmp_path):
    cell = _rnn(ours).cell
    gen = torch.Generator().manual_seed(12)
    for name, p in _cell_params(ours):
        setattr(cell, name, torch.nn.Parameter(torch.randn(p.shape, generator=gen) * 0.4))
    theirs.set_weights(ours.get_weights())


def _register_parameter(ours, theirs, keras, tmp_path):
    cell = _rnn(ours).cell
    gen = torch.Generator().manual_seed(13)
    for name, p in _cell_params(ours):      # straight into _parameters: no __setattr__ on the way
        cell.register_parameter(name, torch.nn.Parameter(torch.randn(p.shape, generator=gen) * 0.4))
    theirs.set_weights(ours.get_weights())


def _state_dict_assign(ours, theirs, keras, tmp_path):
    gen = torch.Generator().manual_seed(14)
    state = {k: torch.randn(v.shape, generator=gen) * 0.4 for k, v in ours.state_dict().items()}
    ours.load_state_dict(state, assign=True)
    theirs.set_weights(ours.get_weights())


def _dtype_round_trip(ours, theirs, keras, tmp_path):
    _rnn(ours).double()        # Module._apply: the weights and the zero b_hh buffer in float64
    x = _ids(5)
    np.testing.assert_allclose(ours.predict(x, verbose=0), theirs.predict(x, verbose=0), rtol=1e-5, atol=1e-5)
    _rnn(ours).float()


def _data_dtype_round_trip(ours, theirs, keras, tmp_path):
    params = _cell_params(ours)
    for _, p in params:     # .data in another dtype: no _apply, the zero b_hh buffer stays float32
        p.data = p.data.double()
    x = _ids(5)
    np.testing.assert_allclose(ours.predict(x, verbose=0), theirs.predict(x, verbose=0), rtol=1e-5, atol=1e-5)
    for _, p in params:
        p.data = p.data.float()


def _optimizer_step(ours, theirs, keras, tmp_path):
    """One SGD step in each: the in-place update reaches the next predict; the gradients are Keras'."""
    x, y = _ids(3, n=16), _rng(3).uniform(size=(16, 1)).round().astype("float32")
    ours.compile(optimizer=kerastorch.optimizers.SGD(learning_rate=0.5), loss="binary_crossentropy")
    theirs.compile(optimizer=keras.optimizers.SGD(learning_rate=0.5), loss="binary_crossentropy")
    ours.fit(x, y, batch_size=16, epochs=1, shuffle=False, verbose=0)
    theirs.fit(x, y, batch_size=16, epochs=1, shuffle=False, verbose=0)
    for mine, other in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(mine, other, rtol=1e-5, atol=1e-5)


CHANGES = {"set_weights": _set_weights, "layer set_weights": _layer_set_weights, "load_weights": _load_weights,
           "Variable.assign": _variable_assign, "in-place": _in_place, ".data assignment": _data_assignment,
           "Parameter replaced": _parameter_replaced, "register_parameter": _register_parameter,
           "load_state_dict(assign=True)": _state_dict_assign, "double() then float()": _dtype_round_trip,
           ".data dtype round trip": _data_dtype_round_trip, "optimizer step": _optimizer_step}


@pytest.mark.parametrize("change", list(CHANGES))
@pytest.mark.parametrize("cls_name", CELLS)
def test_predict_follows_every_weight_change(keras, cls_name, change, tmp_path):
    ours, theirs = _pair(keras, cls_name)
    x = _ids()
    before = _check_predict(ours, theirs, x)
    assert _rnn(ours)._last_path == "fused" and _plan(ours) is not None      # the lean call ran
    CHANGES[change](ours, theirs, keras, tmp_path)
    after = _check_predict(ours, theirs, x)
    if "dtype" not in change and "double" not in change:       # the others set other values
        assert not np.allclose(before, after, atol=1e-4)
    assert _rnn(ours)._last_path == "fused" and _plan(ours) is not None


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
@pytest.mark.parametrize("cls_name", CELLS)
def test_predict_follows_device_moves(keras, cls_name):
    ours, theirs = _pair(keras, cls_name)
    x = _ids()
    _check_predict(ours, theirs, x)
    try:
        kerastorch.config.set_device("cuda")
        ours.to("cuda")
        _check_predict(ours, theirs, x)
        assert _plan(ours).params[0].is_cuda
    finally:
        kerastorch.config.set_device("cpu")
        ours.to("cpu")
    _check_predict(ours, theirs, x)
    assert not _plan(ours).params[0].is_cuda


@pytest.mark.parametrize("cls_name", CELLS)
def test_deep_copied_model_makes_its_own_plan(keras, cls_name):
    import copy

    ours, theirs = _pair(keras, cls_name)
    x = _ids()
    _check_predict(ours, theirs, x)
    twin = copy.deepcopy(ours)
    assert _plan(twin) is None          # not the original's plan (which holds the original's weights)
    new = _random_weights(ours, 15)
    twin.set_weights(new)
    other = keras.Sequential(_spec(keras, cls_name))
    other.set_weights(new)
    _check_predict(twin, other, x)
    _check_predict(ours, theirs, x)     # the original is unchanged


# ---------------------------------------------------------------------------- configuration changes
CONFIG_CHANGES = [   # (layer, attribute set on the cell after the lean call ran, Keras' layer argument)
    ("SimpleRNN", "activation", "relu"),           # another fused kernel: rnn_relu for rnn_tanh
    ("LSTM", "activation", "relu"),                # no fused kernel: the step loop
    ("LSTM", "recurrent_activation", "hard_sigmoid"),
    ("GRU", "activation", "relu"),
    ("GRU", "recurrent_activation", "hard_sigmoid"),
]


@pytest.mark.parametrize("cls_name,attr,value", CONFIG_CHANGES)
def test_predict_follows_cell_configuration_changes(keras, cls_name, attr, value):
    ours, theirs = _pair(keras, cls_name)
    x = _ids()
    _check_predict(ours, theirs, x)
    setattr(_rnn(ours).cell, attr, activations.get(value))
    changed = keras.Sequential(_spec(keras, cls_name, **{attr: value}))
    changed.set_weights(ours.get_weights())
    _check_predict(ours, changed, x)


# ---------------------------------------------------------------------------- lean == general, bit for bit
LAYER_CONFIGS = [
    ("LSTM", {}), ("LSTM", {"return_sequences": True, "go_backwards": True}), ("LSTM", {"return_state": True}),
    ("LSTM", {"use_bias": False, "return_sequences": True}), ("LSTM", {"dropout": 0.3}),
    ("GRU", {}), ("GRU", {"return_state": True, "return_sequences": True}), ("GRU", {"go_backwards": True}),
    ("GRU", {"use_bias": False}), ("SimpleRNN", {}), ("SimpleRNN", {"activation": "relu", "return_state": True}),
    ("SimpleRNN", {"return_sequences": True, "go_backwards": True}),
]


def _layer(cls_name, kwargs, seed=4):
    layer = getattr(layers, cls_name)(UNITS, **kwargs)
    layer.build((None, SEQ, DIM))
    layer.set_weights([_rng(seed).normal(scale=0.4, size=w.shape).astype("float32") for w in layer.get_weights()])
    return layer


def _flat(out):
    return list(out) if isinstance(out, (list, tuple)) else [out]


@pytest.fixture
def general_calls(monkeypatch):
    """A list that grows by one at each run of the general `RNN.call`."""
    calls = []
    original = rnn_base.RNN.call

    def counting(self, *args, **kwargs):
        calls.append(1)
        return original(self, *args, **kwargs)
    monkeypatch.setattr(rnn_base.RNN, "call", counting)
    return calls


@pytest.mark.parametrize("cls_name,kwargs", LAYER_CONFIGS)
def test_lean_call_equals_general_path_outputs_and_gradients(cls_name, kwargs, general_calls):
    """Under autograd, no_grad and inference_mode: the lean call's outputs (and gradients) are the
    general path's fused run's (a mask of ones takes that path, then drops the mask) bit for bit."""
    layer = _layer(cls_name, kwargs)
    x = torch.from_numpy(_rng(5).normal(size=(4, SEQ, DIM)).astype("float32"))
    ones = torch.ones(4, SEQ, dtype=torch.bool)

    def with_grads(**call_kwargs):
        xg = x.clone().requires_grad_(True)
        outs = _flat(layer(xg, training=False, **call_kwargs))
        grads = torch.autograd.grad(sum((o * (i + 1)).sum() for i, o in enumerate(outs)), [xg, *layer.parameters()])
        return outs + list(grads)

    def without_grads(mode, **call_kwargs):
        with mode():
            return _flat(layer(x, training=False, **call_kwargs))

    runs = [(with_grads, ()), (without_grads, (torch.no_grad,)), (without_grads, (torch.inference_mode,))]
    for n, (run, args) in enumerate(runs):
        lean = run(*args)
        assert len(general_calls) == n and layer._last_path == "fused"
        general = run(*args, mask=ones)
        assert len(general_calls) == n + 1 and layer._last_path == "fused"
        assert len(lean) == len(general)
        for a, b in zip(lean, general):
            assert torch.equal(a, b)


def test_dropout_in_training_takes_the_general_path(general_calls):
    layer = _layer("LSTM", {"dropout": 0.5})
    x = torch.ones(2, SEQ, DIM)
    layer(x, training=True)
    assert general_calls == [1]
    layer(x, training=False)
    assert general_calls == [1]


@pytest.mark.parametrize("call_kwargs", [{"initial_state": "zeros"}, {"mask": "holes"}])
def test_initial_state_and_masks_take_the_general_path(call_kwargs, general_calls):
    layer = _layer("LSTM", {})
    x = torch.ones(2, SEQ, DIM)
    if "initial_state" in call_kwargs:
        call_kwargs = {"initial_state": [torch.zeros(2, UNITS), torch.zeros(2, UNITS)]}
    else:
        mask = torch.ones(2, SEQ, dtype=torch.bool)
        mask[0, 2] = False
        call_kwargs = {"mask": mask}
    layer(x, **call_kwargs)
    assert general_calls == [1]


def test_returned_states_are_not_the_kept_zero_state():
    """Writing into what a call returned changes nothing in the next calls (kernels never return hx)."""
    layer = _layer("LSTM", {"return_state": True, "return_sequences": True})
    x = torch.from_numpy(_rng(6).normal(size=(3, SEQ, DIM)).astype("float32"))
    with torch.inference_mode():
        first = [t.clone() for t in layer(x)]
        for t in layer(x):
            t.fill_(7.0)
        again = layer(x)
    for a, b in zip(first, again):
        assert torch.equal(a, b)
    for zero in layer.cell._kt_fused_plan.zeros.values():
        assert not zero.any() and not zero.is_inference()


def test_predict_then_training_uses_normal_zero_states(keras):
    """A zero state first made under inference_mode is a normal tensor: training through it works."""
    ours, theirs = _pair(keras, "LSTM")
    _check_predict(ours, theirs, _ids(), batch_size=16)
    _optimizer_step(ours, theirs, keras, None)
    _check_predict(ours, theirs, _ids(), batch_size=16)


def test_stateful_layer_carries_states_with_the_plan_in_place():
    layer = _layer("LSTM", {"stateful": True})
    x = torch.ones(2, SEQ, DIM)
    with torch.no_grad():
        first, second = layer(x), layer(x)
        layer.reset_states()
        third = layer(x)
    assert not torch.equal(first, second) and torch.equal(first, third)


# ---------------------------------------------------------------------------- op counts
class _CountOps(TorchDispatchMode):
    def __init__(self):
        super().__init__()
        self.ops = []

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        self.ops.append(func.__name__)
        return func(*args, **(kwargs or {}))


def _ops(fn):
    with _CountOps() as counter:
        fn()
    return counter.ops


def test_lstm_inference_call_runs_no_more_ops_than_torch_lstm():
    layer = _layer("LSTM", {})
    hand = torch.nn.LSTM(DIM, UNITS, batch_first=True).eval()
    x = torch.ones(32, SEQ, DIM)
    with torch.inference_mode():
        layer(x, training=False)          # makes the plan and the batch's zero state
        ours = _ops(lambda: layer(x, training=False))
        theirs = _ops(lambda: hand(x)[1][0][-1])
    assert len(ours) <= len(theirs), (ours, theirs)
    assert sum("lstm" in op for op in ours) == 1


def test_embedding_call_is_one_lookup_for_int64_ids(keras):
    ours, theirs = layers.Embedding(VOCAB, DIM), keras.layers.Embedding(VOCAB, DIM)
    ours.build(None)
    theirs.build(None)
    theirs.set_weights(ours.get_weights())
    for dtype in ("int64", "int32", "float32", "bool"):
        ids = _ids(7).astype(dtype) if dtype != "bool" else _ids(7) % 2 == 0
        got = ours(torch.from_numpy(ids))
        np.testing.assert_allclose(got.detach().numpy(), keras.ops.convert_to_numpy(theirs(ids)), rtol=0, atol=0)
    ids = torch.from_numpy(_ids(7))
    with torch.inference_mode():
        ops = _ops(lambda: ours.call(ids))
    assert ops == ["embedding.default"], ops
