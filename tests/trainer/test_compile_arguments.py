"""compile/evaluate arguments that used to be accepted and ignored: each does what Keras does, or is
refused with a clear error."""

import warnings

import numpy as np
import pytest
import torch

import kerastorch


def _model(lib):
    return lib.Sequential([lib.layers.Input((3,)), lib.layers.Dense(1)])


@pytest.mark.parametrize("kwargs", [{}, dict(run_eagerly=True), dict(jit_compile=True), dict(jit_compile=False),
                                    dict(run_eagerly=True, jit_compile=True), dict(jit_compile="auto")])
def test_run_eagerly_and_jit_compile_attributes_equal_keras(keras, kwargs):
    results = []
    for lib in (keras, kerastorch):
        model = _model(lib)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            model.compile(optimizer="sgd", loss="mse", **kwargs)
        warned = any("jit_compile" in str(w.message) and "run_eagerly" in str(w.message) for w in caught)
        results.append((model.run_eagerly, model.jit_compile, warned))
    assert results[1] == results[0]


def test_run_eagerly_turns_torch_compile_off():
    model = _model(kerastorch)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.compile(optimizer="sgd", loss="mse", run_eagerly=True, jit_compile=True)
    model.fit(np.ones((4, 3), "float32"), np.ones((4, 1), "float32"), verbose=0)
    assert model._step_fns is None          # the eager step, no torch.compile wrapper
    model.run_eagerly = False
    model.jit_compile = "aot_eager"
    assert model.jit_compile and not model.run_eagerly


def test_auto_scale_loss_false_trains_mixed_float16_without_loss_scaling():
    x, y = np.ones((4, 3), "float32"), np.ones((4, 1), "float32")
    kerastorch.mixed_precision.set_global_policy("mixed_float16")
    try:
        scaled, unscaled = _model(kerastorch), _model(kerastorch)
        scaled.compile(optimizer="sgd", loss="mse")
        unscaled.compile(optimizer="sgd", loss="mse", auto_scale_loss=False)
        scaled.fit(x, y, verbose=0)
        unscaled.fit(x, y, verbose=0)
    finally:
        kerastorch.mixed_precision.set_global_policy("float32")

    def scales(model):   # the trainer's loss scaler, or Keras' LossScaleOptimizer wrapping
        return model._loss_scaler is not None or type(model.optimizer).__name__ == "LossScaleOptimizer"

    assert scales(scaled) and not scales(unscaled)
    assert type(unscaled.optimizer).__name__ == "SGD"


def test_evaluate_refuses_unknown_arguments_as_keras(keras):
    x, y = np.ones((2, 3), "float32"), np.ones((2, 1), "float32")
    for lib in (keras, kerastorch):
        model = _model(lib)
        model.compile(optimizer="sgd", loss="mse")
        with pytest.raises(ValueError, match="Arguments not recognized"):
            model.evaluate(x, y, verbose=0, foo=1)


def test_lora_is_refused_with_what_to_do_instead():
    with pytest.raises(NotImplementedError, match="LoRA.*trainable = False"):
        kerastorch.layers.Dense(2, lora_rank=4)
    layer = kerastorch.layers.Dense(2)
    layer.build((None, 3))
    with pytest.raises(NotImplementedError, match="enable_lora.*not implemented"):
        layer.enable_lora(4)
    # quantization_config=None, as Keras writes it in every Dense config, is accepted
    assert kerastorch.layers.Dense(2, quantization_config=None).units == 2


def test_synchronized_batch_norm_in_one_process_is_the_plain_batch_norm():
    # One process: the local batch is the whole batch (the multi-process case is in
    # tests/distributed/test_sync_batchnorm.py).
    x = torch.randn(8, 3)
    plain, synced = (kerastorch.layers.BatchNormalization(synchronized=s) for s in (False, True))
    np.testing.assert_allclose(synced(x, training=True).detach().numpy(),
                               plain(x, training=True).detach().numpy(), atol=1e-6)
    np.testing.assert_allclose(synced.moving_variance.numpy(), plain.moving_variance.numpy(), atol=1e-7)
