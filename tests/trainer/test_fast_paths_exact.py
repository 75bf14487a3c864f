"""Compiled, mixed-precision and fused paths give the eager float32 results."""

import numpy as np
import pytest
import torch

import kerastorch
from kerastorch import layers, losses, mixed_precision


def _run(jit_compile="auto", policy="float32", loss="categorical_crossentropy"):
    kerastorch.utils.set_random_seed(0)
    mixed_precision.set_global_policy(policy)
    try:
        model = kerastorch.Sequential([layers.Input(shape=(6,)), layers.Dense(16, activation="relu"),
                                       layers.Dense(3, activation="softmax")])
        model.compile(optimizer="adam", loss=loss, metrics=["accuracy"], jit_compile=jit_compile)
        rng = np.random.RandomState(0)
        x = rng.normal(size=(64, 6)).astype("float32")
        y = np.eye(3, dtype="float32")[rng.randint(0, 3, 64)]
        history = model.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0)
        return model.get_weights(), history.history, model.predict(x, verbose=0)
    finally:
        mixed_precision.set_global_policy("float32")


def test_compiled_training_equals_eager():
    eager_w, eager_h, eager_p = _run()
    # aot_eager runs the full torch.compile path (Dynamo capture + AOTAutograd) without C++ codegen.
    jit_w, jit_h, jit_p = _run(jit_compile="aot_eager")
    for a, b in zip(eager_w, jit_w):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(eager_h["loss"], jit_h["loss"], rtol=1e-5)
    np.testing.assert_allclose(eager_p, jit_p, rtol=1e-5, atol=1e-6)


def test_failed_compilation_falls_back_to_eager_with_a_warning():
    eager_w, _, _ = _run()
    with pytest.warns(UserWarning, match="torch.compile .*failed.*continues eagerly"):
        fallback_w, _, _ = _run(jit_compile="no_such_backend_xyz")
    for a, b in zip(eager_w, fallback_w):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)


def test_bfloat16_policy_trains_close_to_float32_and_keeps_float32_weights():
    f32_w, f32_h, _ = _run()
    bf_w, bf_h, bf_p = _run(policy="mixed_bfloat16")
    assert all(w.dtype == np.float32 for w in bf_w)
    assert bf_p.dtype == np.float32
    # bfloat16 has 8 bits of mantissa: losses agree to about 1e-2 relative.
    np.testing.assert_allclose(bf_h["loss"], f32_h["loss"], rtol=3e-2)


def test_unknown_policy_is_refused():
    with pytest.raises(ValueError, match="Unknown dtype policy 'mixed_float8'"):
        mixed_precision.set_global_policy("mixed_float8")


def test_loss_scaler_skips_steps_with_infinite_gradients_and_halves_the_scale():
    scaler = mixed_precision.LossScaler(initial_scale=8.0, growth_interval=2)
    p = torch.nn.Parameter(torch.ones(2))
    p.grad = torch.tensor([8.0, float("inf")])
    assert scaler.unscale_and_check([p]) is False and scaler.scale == 4.0
    p.grad = torch.tensor([4.0, 8.0])
    assert scaler.unscale_and_check([p]) is True
    torch.testing.assert_close(p.grad, torch.tensor([1.0, 2.0]))    # divided by the scale, 4
    p.grad = torch.tensor([4.0, 4.0])
    assert scaler.unscale_and_check([p]) is True and scaler.scale == 8.0   # 2 good steps: doubled


def test_fused_softmax_crossentropy_equals_the_unfused_loss():
    logits = torch.randn(32, 10, dtype=torch.float32) * 3
    y = torch.nn.functional.one_hot(torch.randint(0, 10, (32,)), 10).float()
    plain = losses.CategoricalCrossentropy()
    fused = losses.fused_from_logits(plain, "softmax")
    torch.testing.assert_close(fused(y, logits), plain(y, logits.softmax(-1)), rtol=1e-6, atol=1e-6)


def test_softmax_crossentropy_trains_through_the_fused_logits_path_with_the_same_result(monkeypatch):
    from kerastorch.layers import core

    calls = []
    original = core.Dense._call_without_activation
    monkeypatch.setattr(core.Dense, "_call_without_activation",
                        lambda self, x: calls.append(1) or original(self, x))

    def train(final_activation):
        kerastorch.utils.set_random_seed(0)
        model = kerastorch.Sequential([layers.Input(shape=(6,)), layers.Dense(16, activation="relu"),
                                       layers.Dense(3, activation=final_activation)])
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        rng = np.random.RandomState(0)
        x, y = rng.normal(size=(64, 6)).astype("float32"), rng.randint(0, 3, 64)
        history = model.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0)
        return model.get_weights(), history.history

    fused_w, fused_h = train("softmax")
    assert len(calls) == 8                       # every training step (4 batches x 2 epochs) fused
    # A callable softmax is not recognised as fusable: the plain probability path.
    plain_w, plain_h = train(lambda t: torch.softmax(t, dim=-1))
    assert len(calls) == 8
    for a, b in zip(fused_w, plain_w):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(fused_h["loss"], plain_h["loss"], rtol=1e-6)
    np.testing.assert_allclose(fused_h["accuracy"], plain_h["accuracy"])


def test_sigmoid_binary_crossentropy_trains_through_logits_with_keras_values():
    def train(final_activation):
        kerastorch.utils.set_random_seed(0)
        model = kerastorch.Sequential([layers.Input(shape=(6,)), layers.Dense(16, activation="relu"),
                                       layers.Dense(1, activation=final_activation)])
        model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
        rng = np.random.RandomState(0)
        x = rng.normal(size=(64, 6)).astype("float32")
        y = (x[:, :1] > 0).astype("float32")
        history = model.fit(x, y, batch_size=16, epochs=3, shuffle=False, verbose=0)
        return model.get_weights(), history.history

    fused_w, fused_h = train("sigmoid")
    plain_w, plain_h = train(lambda t: torch.sigmoid(t))   # not recognised: the probability path
    for a, b in zip(fused_w, plain_w):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(fused_h["loss"], plain_h["loss"], rtol=1e-5)
    np.testing.assert_allclose(fused_h["accuracy"], plain_h["accuracy"])


def test_fused_sigmoid_crossentropy_keeps_keras_clip_plateau():
    plain = losses.BinaryCrossentropy()
    fused = losses.fused_from_logits(plain, "sigmoid")
    # Saturated logits: Keras clips p to [1e-7, 1 - 1e-7]; so does the logit clamp.
    z = torch.tensor([[40.0], [-40.0], [40.0], [-40.0]], requires_grad=True)
    y = torch.tensor([[0.0], [1.0], [1.0], [0.0]])
    torch.testing.assert_close(fused(y, z), plain(y, torch.sigmoid(z)))
    (grad,) = torch.autograd.grad(fused(y, z), z)
    assert torch.count_nonzero(grad) == 0      # Keras' clip stops the gradient there too
    z = torch.randn(128, 1) * 3
    y = torch.randint(0, 2, (128, 1)).float()
    torch.testing.assert_close(fused(y, z), plain(y, torch.sigmoid(z)), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("sparse", [False, True])
def test_fused_softmax_fast_path_equals_the_per_sample_path(sparse):
    base = losses.SparseCategoricalCrossentropy() if sparse else losses.CategoricalCrossentropy()
    fused = losses.fused_from_logits(base, "softmax")
    z = (torch.randn(64, 5) * 8).requires_grad_()     # some probabilities hit Keras' clip bounds
    ids = torch.randint(0, 5, (64,))
    y = ids if sparse else torch.nn.functional.one_hot(ids, 5).float()
    fast = fused(y, z)                                   # the hot path
    reference = fused(y, z, sample_weight=torch.ones(64))   # the general path, per-sample values
    torch.testing.assert_close(fast, reference, rtol=1e-6, atol=1e-6)
    torch.testing.assert_close(torch.autograd.grad(fast, z)[0], torch.autograd.grad(reference, z)[0],
                               rtol=1e-5, atol=1e-7)
    torch.testing.assert_close(fast, base(y, torch.softmax(z, -1)), rtol=1e-5, atol=1e-6)


def test_probabilities_for_the_metrics_come_from_the_loss_log_softmax():
    fused = losses.fused_from_logits(losses.CategoricalCrossentropy(), "softmax")
    z = torch.randn(64, 7) * 4
    y = torch.nn.functional.one_hot(torch.randint(0, 7, (64,)), 7).float()
    loss, probs = fused.loss_and_probabilities(y, z)
    torch.testing.assert_close(loss, fused(y, z))
    torch.testing.assert_close(probs, torch.softmax(z, -1), rtol=0, atol=2e-7)   # within an ulp or so
    assert torch.equal(probs.argmax(-1), torch.softmax(z, -1).argmax(-1))
    assert fused.loss_and_probabilities(y, z, need_probabilities=False)[1] is None


# ---------------------------------------------------------------- oracles from real Keras
_X = np.random.RandomState(1).normal(size=(32, 6)).astype("float32")
_LABELS = np.random.RandomState(2).randint(0, 3, 32)
_TARGETS = {
    "categorical_crossentropy": (np.eye(3, dtype="float32")[_LABELS], "softmax", 3),    # fused softmax path
    "sparse_categorical_crossentropy": (_LABELS.astype("int64"), "softmax", 3),
    "binary_crossentropy": ((_X[:, :1] > 0).astype("float32"), "sigmoid", 1),            # fused sigmoid path
    "mse": (_X[:, :2].copy(), None, 2),                                                  # plain path
}


def _train_both(keras, loss, jit_compile="auto", optimizer="adam", epochs=2):
    y, activation, units = _TARGETS[loss]
    out = {}
    for lib in (kerastorch, keras):
        model = lib.Sequential([lib.layers.Input(shape=(6,)), lib.layers.Dense(8, activation="relu"),
                                lib.layers.Dense(units, activation=activation)])
        if lib is kerastorch:
            start = model.get_weights()
            model.compile(optimizer=optimizer, loss=loss, metrics=["accuracy"] if activation else ["mae"],
                          jit_compile=jit_compile)
        else:
            model.set_weights(start)
            model.compile(optimizer=optimizer, loss=loss, metrics=["accuracy"] if activation else ["mae"])
        history = model.fit(_X, y, batch_size=8, epochs=epochs, shuffle=False, verbose=0).history
        out[lib.__name__] = (model, [np.asarray(w) for w in model.get_weights()], history)
    return out


@pytest.mark.parametrize("loss", sorted(_TARGETS))
def test_eager_and_fused_training_equals_keras(keras, loss):
    out = _train_both(keras, loss)
    (ours, ours_w, ours_h), (theirs, keras_w, keras_h) = out["kerastorch"], out["keras"]
    for got, want in zip(ours_w, keras_w):
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)
    assert ours_h.keys() == keras_h.keys()
    for key in keras_h:
        np.testing.assert_allclose(ours_h[key], keras_h[key], rtol=1e-4, atol=1e-5, err_msg=key)
    np.testing.assert_allclose(ours.predict(_X, verbose=0),
                               keras.ops.convert_to_numpy(theirs.predict(_X, verbose=0)), rtol=1e-4, atol=1e-5)


def test_inductor_compiled_training_equals_keras(keras):
    # jit_compile=True is torch.compile with inductor (C++ code generated and built): the slow
    # compile is why this is one small model, one epoch of equal-sized batches (no recompile).
    import warnings

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = _train_both(keras, "categorical_crossentropy", jit_compile=True, optimizer="sgd", epochs=1)
    ours = out["kerastorch"][0]
    assert ours._step_fns["train"].backend == "inductor" and not ours._step_fns["train"].failed
    assert not [w for w in caught if "torch.compile" in str(w.message)]
    for got, want in zip(out["kerastorch"][1], out["keras"][1]):
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(out["kerastorch"][2]["loss"], out["keras"][2]["loss"], rtol=1e-4)


def _loss_scale(model):
    # Keras' LossScaleOptimizer.dynamic_scale, or the trainer's own loss scaler.
    scale = getattr(model.optimizer, "dynamic_scale", None)
    return float(np.asarray(scale)) if scale is not None else float(model._loss_scaler.scale)


def test_mixed_float16_skips_the_overflowing_step_then_trains_as_keras(keras):
    # The first batch's scaled gradients overflow float16: the step is skipped (weights and
    # iterations unchanged) and the scale halves; then training proceeds. Keras is the oracle.
    x = np.full((8, 4), 0.01, "float32")
    x[:4] = 300.0
    y = np.ones((8, 1), "float32")
    results = {}
    for lib, set_policy in ((keras, keras.mixed_precision.set_global_policy),
                            (kerastorch, mixed_precision.set_global_policy)):
        set_policy("mixed_float16")
        try:
            model = lib.Sequential([lib.layers.Input((4,)), lib.layers.Dense(3, kernel_initializer="ones"),
                                    lib.layers.Dense(1, kernel_initializer="ones")])
            model.compile(optimizer=lib.optimizers.SGD(0.05), loss="mse")
            start = [np.array(w) for w in model.get_weights()]
            model.fit(x[:4], y[:4], batch_size=4, epochs=1, shuffle=False, verbose=0)
            skipped = (_loss_scale(model), int(np.asarray(model.optimizer.iterations)),
                       all(np.array_equal(a, np.asarray(b)) for a, b in zip(start, model.get_weights())))
            history = model.fit(x[4:], y[4:], batch_size=2, epochs=3, shuffle=False, verbose=0).history
            results[lib.__name__] = (skipped, _loss_scale(model), int(np.asarray(model.optimizer.iterations)),
                                     history["loss"], [np.asarray(w, dtype="float32") for w in model.get_weights()])
        finally:
            set_policy("float32")
    ours, theirs = results["kerastorch"], results["keras"]
    assert ours[0] == theirs[0] == (2.0 ** 14, 0, True)      # skipped, scale 2**15 halved
    assert ours[1:3] == theirs[1:3]                          # then 6 steps, no more overflow
    assert ours[3][-1] < ours[3][0]                          # it trains
    np.testing.assert_allclose(ours[3], theirs[3], rtol=5e-3)   # float16 arithmetic on both sides
    for got, want in zip(ours[4], theirs[4]):
        np.testing.assert_allclose(got, want, rtol=5e-3, atol=1e-3)
