"""Weights stored in a torch layout (conv, Dense and recurrent kernels) keep telling the optimizers
their Keras layout, and their Keras path, on every copy of their model: `copy.deepcopy`, pickle,
`clone_model`, `_apply` in torch's overwrite and swap modes, `load_state_dict(assign=True)`.
Adafactor factors Keras' last two axes, so a copy that lost its layouts takes another step.
Oracles: the original model's step from the same weights, and real Keras 3 (torch backend)."""

import copy
import pickle

import numpy as np
import pytest
import torch

import kerastorch
from kerastorch import optimizers
from kerastorch.optimizers import _layouts


def _model(lib):
    # Every layer here stores a weight in another layout than Keras'.
    layers = lib.layers
    return lib.Sequential([
        layers.Input(shape=(8, 8, 2)),
        layers.Conv2D(3, 3, name="conv"),                                  # 6x6x3
        layers.DepthwiseConv2D(3, depth_multiplier=2, name="depthwise"),   # 4x4x6
        layers.SeparableConv2D(4, 2, name="separable"),                    # 3x3x4
        layers.Conv2DTranspose(2, 2, name="transpose"),                    # 4x4x2
        layers.Reshape((16, 2)),
        layers.LSTM(3, return_sequences=True, name="lstm"),
        layers.GRU(4, name="gru"),
        layers.Dense(3, name="head"),
    ])


def _data():
    rng = np.random.default_rng(0)
    return rng.normal(size=(4, 8, 8, 2)).astype("float32"), rng.normal(size=(4, 3)).astype("float32")


def _original():
    torch.manual_seed(0)
    return _model(kerastorch)


def _converted_by_to(set_conversion_mode):
    """A deep copy converted by `to()` under one of torch's conversion modes: overwrite (`_apply` swaps
    in new Parameter objects) or swap (it keeps the objects but swaps their contents and attributes away)."""
    def convert(model):
        set_conversion_mode(True)
        try:
            return copy.deepcopy(model).to(torch.float32)
        finally:
            set_conversion_mode(False)
    return convert


_overwritten_by_to = _converted_by_to(torch.__future__.set_overwrite_module_params_on_conversion)
_swapped_by_to = _converted_by_to(torch.__future__.set_swap_module_params_on_conversion)


def _assigned_state(model):
    other = _model(kerastorch)
    # New Parameters (cloned: state_dict() shares the original's storage).
    other.load_state_dict({k: v.clone() for k, v in model.state_dict().items()}, assign=True)
    return other


def _cloned(model):
    clone = kerastorch.models.clone_model(model)
    clone.set_weights(model.get_weights())
    return clone


COPIES = {
    "deepcopy": copy.deepcopy,
    "pickle": lambda m: pickle.loads(pickle.dumps(m)),
    "clone_model": _cloned,
    "to, overwriting parameters": _overwritten_by_to,
    "to, swapping parameters": _swapped_by_to,
    "load_state_dict(assign=True)": _assigned_state,
}

OPTIMIZERS = {
    "adafactor": lambda: optimizers.Adafactor(learning_rate=0.05),
    # The path picks the AdamW step for `head` (a 2-D kernel Muon would otherwise orthogonalize).
    "muon": lambda: optimizers.Muon(learning_rate=0.02, exclude_layers=["head"]),
}


def _one_step(model, make_optimizer):
    model.compile(optimizer=make_optimizer(), loss="mse")
    model.train_on_batch(*_data())
    return model.get_weights()


@pytest.mark.parametrize("optimizer", sorted(OPTIMIZERS))
@pytest.mark.parametrize("how", list(COPIES))
def test_a_copy_trains_one_step_to_the_originals_weights(how, optimizer):
    original = _original()
    twin = COPIES[how](original)
    for p, q in zip(original.parameters(), twin.parameters()):
        assert (_layouts.keras_layout(q) is None) == (_layouts.keras_layout(p) is None)
        # The layer's path (the model of clone_model or load_state_dict has another name or none).
        assert q.path.split("/")[-2:] == p.path.split("/")[-2:]
    want = _one_step(original, OPTIMIZERS[optimizer])
    got = _one_step(twin, OPTIMIZERS[optimizer])
    assert len(got) == len(want)
    for g, w in zip(got, want):
        np.testing.assert_array_equal(g, w)


@pytest.mark.parametrize("how", ["deepcopy", "pickle"])
def test_a_copy_of_a_trained_model_continues_as_the_original(how):
    original = _original()
    _one_step(original, OPTIMIZERS["adafactor"])
    twin = COPIES[how](original)          # its built Adafactor and slots come along
    for model in (original, twin):
        model.train_on_batch(*_data())
    for g, w in zip(twin.get_weights(), original.get_weights()):
        np.testing.assert_array_equal(g, w)


def test_a_model_converts_in_place_in_torchs_swap_mode():
    # swap_tensors refuses a tensor that a weak reference points to: the layouts must not be one.
    model, untouched = _original(), _original()
    torch.__future__.set_swap_module_params_on_conversion(True)
    try:
        model.to(torch.float32)
    finally:
        torch.__future__.set_swap_module_params_on_conversion(False)
    for g, w in zip(_one_step(model, OPTIMIZERS["adafactor"]), _one_step(untouched, OPTIMIZERS["adafactor"])):
        np.testing.assert_array_equal(g, w)


def _slot_shapes(model):
    model.compile(optimizer=OPTIMIZERS["adafactor"](), loss="mse")
    model._build_optimizer()
    return [tuple(v.shape) for v in model.optimizer.variables]


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_a_model_moved_to_the_gpu_keeps_its_layouts():
    original = _original()
    moved = copy.deepcopy(original).cuda()
    for p, q in zip(original.parameters(), moved.parameters()):
        assert q.is_cuda and (_layouts.keras_layout(q) is None) == (_layouts.keras_layout(p) is None)
    # Adafactor's factored slots are made in Keras' shapes, the original's.
    assert _slot_shapes(moved) == _slot_shapes(original)


def test_the_layouts_are_those_of_the_layers():
    model = _original()
    layer = model.get_layer("conv")
    pair = _layouts.keras_layout(layer.kernel)
    assert pair is layer._weight_layouts["kernel"]
    assert tuple(pair[1](layer.kernel).shape) == (3, 3, 2, 3)     # Keras' (kh, kw, in, out)
    assert _layouts.keras_layout(layer.bias) is None               # stored as Keras stores it
    assert _layouts.keras_layout(torch.nn.Parameter(torch.zeros(2, 3))) is None


@pytest.mark.keras
def test_the_originals_adafactor_step_is_keras(keras):
    kmodel = _model(keras)
    kmodel.compile(optimizer=keras.optimizers.Adafactor(learning_rate=0.05), loss="mse")
    model = _original()
    model.set_weights([np.asarray(w) for w in kmodel.get_weights()])
    kmodel.train_on_batch(*_data())
    got = _one_step(model, OPTIMIZERS["adafactor"])
    want = [np.asarray(w) for w in kmodel.get_weights()]
    assert len(got) == len(want)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-5)
