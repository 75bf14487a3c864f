"""`kerastorch.config`, dtype policies and `floatx`, honoured everywhere, against real Keras 3 (torch backend).

Keras' settings are global; every test that changes one restores it in both libraries. For Keras,
`set_floatx` is followed by `clear_session()`: Keras fixes its global dtype policy the first time a
layer asks for it, and only `clear_session()` lets a later `set_floatx` reach new layers.
"""

import inspect
import logging

import numpy as np
import pytest
import torch

import kerastorch
from kerastorch import _config_flags, layers, mixed_precision

keras = pytest.importorskip("keras", reason="real Keras 3 is not installed (pip install -e '.[dev]')")
if keras.backend.backend() != "torch":
    pytest.skip("these tests compare with Keras' torch backend", allow_module_level=True)

CONFIG_NAMES = sorted(n for n in dir(keras.config) if not n.startswith("_"))


def _np(x):
    if isinstance(x, torch.Tensor):
        x = x.detach().cpu()
        return (x.float() if x.dtype in (torch.bfloat16, torch.float16) else x).numpy()
    return np.asarray(x)


def _set_floatx(value):
    kerastorch.config.set_floatx(value)
    keras.config.set_floatx(value)
    keras.backend.clear_session(free_memory=False)


@pytest.fixture(autouse=True)
def _restore_settings(monkeypatch):
    monkeypatch.setattr(mixed_precision, "_GLOBAL", None)
    monkeypatch.setattr(_config_flags, "_SAFE_MODE", None)
    yield
    for lib in (kerastorch, keras):
        lib.config.set_floatx("float32")
        lib.config.set_image_data_format("channels_last")
        lib.config.set_max_epochs(None)
        lib.config.set_max_steps_per_epoch(None)
        lib.config.enable_interactive_logging()
        lib.config.enable_flash_attention()
        lib.config.enable_traceback_filtering()
        lib.config.set_epsilon(1e-7)
    keras.config.set_dtype_policy("float32")
    keras.backend.clear_session(free_memory=False)


# ------------------------------------------------------------------ names, signatures, defaults
@pytest.mark.parametrize("name", CONFIG_NAMES)
def test_every_keras_config_name_exists_with_keras_signature_and_a_docstring(name):
    ours = getattr(kerastorch.config, name, None)
    assert ours is not None, f"kerastorch.config lacks {name}"
    assert inspect.signature(ours) == inspect.signature(getattr(keras.config, name))
    assert (ours.__doc__ or "").strip()


GETTERS = [n for n in CONFIG_NAMES if not inspect.signature(getattr(keras.config, n)).parameters
           and (n.startswith(("is_", "max_")) or n in ("floatx", "epsilon", "image_data_format", "dtype_policy"))]


@pytest.mark.parametrize("name", GETTERS)
def test_defaults_equal_keras(name):
    ours, theirs = getattr(kerastorch.config, name)(), getattr(keras.config, name)()
    assert (repr(ours), type(ours)) == (repr(theirs), type(theirs)) or (name == "dtype_policy" and repr(ours) == repr(theirs))


def test_backend_is_torch_and_other_backends_are_refused():
    assert kerastorch.config.backend() == keras.config.backend() == "torch"
    kerastorch.config.set_backend("torch")
    with pytest.raises(ValueError, match=r"set_backend\('jax'\): kerastorch runs Keras code on PyTorch only"):
        kerastorch.config.set_backend("jax")


# (setter, value(s), getter): set in both libraries, the getters must agree.
SETTINGS = [
    ("set_floatx", ("float64",), "floatx"), ("set_floatx", ("bfloat16",), "floatx"),
    ("set_epsilon", (1e-5,), "epsilon"),
    ("set_image_data_format", ("channels_first",), "image_data_format"),
    ("set_image_data_format", ("Channels_First",), "image_data_format"),
    ("set_max_epochs", (3,), "max_epochs"), ("set_max_steps_per_epoch", (7,), "max_steps_per_epoch"),
    ("disable_interactive_logging", (), "is_interactive_logging_enabled"),
    ("enable_interactive_logging", (), "is_interactive_logging_enabled"),
    ("disable_flash_attention", (), "is_flash_attention_enabled"),
    ("enable_flash_attention", (), "is_flash_attention_enabled"),
    ("disable_traceback_filtering", (), "is_traceback_filtering_enabled"),
    ("set_dtype_policy", ("mixed_bfloat16",), "dtype_policy"), ("set_dtype_policy", ("float64",), "dtype_policy"),
]


@pytest.mark.parametrize("setter, args, getter", SETTINGS, ids=[f"{s}{a}" for s, a, _ in SETTINGS])
def test_settings_read_back_as_in_keras(setter, args, getter):
    getattr(kerastorch.config, setter)(*args)
    getattr(keras.config, setter)(*args)
    assert repr(getattr(kerastorch.config, getter)()) == repr(getattr(keras.config, getter)())


@pytest.mark.parametrize("setter, args, getter", SETTINGS, ids=[f"{s}{a}" for s, a, _ in SETTINGS])
def test_clear_session_resets_settings_as_keras_does(setter, args, getter):
    # Keras' clear_session() drops its global state: the dtype policy, logging, flash attention,
    # traceback switches (floatx, epsilon, image format and the caps are kept).
    getattr(kerastorch.config, setter)(*args)
    getattr(keras.config, setter)(*args)
    kerastorch.backend.clear_session(free_memory=False)
    keras.backend.clear_session(free_memory=False)
    assert repr(getattr(kerastorch.config, getter)()) == repr(getattr(keras.config, getter)())


@pytest.mark.parametrize("call, error, message", [
    (lambda: kerastorch.config.set_floatx("float8"), ValueError, r"unknown floatx value 'float8'"),
    (lambda: kerastorch.config.set_image_data_format("nchw"), ValueError,
     r"'channels_last' or 'channels_first', got 'nchw'"),
    (lambda: kerastorch.config.set_dtype_policy(3), ValueError, r"expected the name of a policy.*got 3"),
    (lambda: kerastorch.config.set_dtype_policy("mixed_float8"), ValueError,
     r"Unknown dtype policy 'mixed_float8'\. Did you mean 'mixed_float16'"),
    (lambda: mixed_precision.DTypePolicy(3), TypeError, r"`name` must be a string"),
    (lambda: layers.Dense(2, dtype="floot32"), ValueError, r"Unknown dtype policy 'floot32'\. Did you mean 'float32'"),
    (lambda: kerastorch.config.set_max_epochs(0), ValueError, r"positive integer or None, got 0"),
])
def test_bad_settings_say_what_was_expected(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_dtype_policy_has_one_source_of_truth():
    kerastorch.config.set_dtype_policy("mixed_bfloat16")
    assert mixed_precision.global_policy() is kerastorch.config.dtype_policy()
    mixed_precision.set_global_policy("float64")
    assert kerastorch.config.dtype_policy().name == "float64" and layers.Dense(2).dtype == "float64"


def test_global_policy_follows_floatx_until_set():
    kerastorch.config.set_floatx("float64")
    assert kerastorch.config.dtype_policy().name == "float64"
    kerastorch.config.set_dtype_policy("float32")
    kerastorch.config.set_floatx("float16")
    assert kerastorch.config.dtype_policy().name == "float32"


# ------------------------------------------------------------------ interactive logging
def _tiny_model(lib):
    model = lib.Sequential([lib.layers.Input(shape=(3,)), lib.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    return model


def test_disabled_interactive_logging_sends_the_progress_bar_to_logging(capsys, caplog):
    x, y = np.ones((8, 3), "float32"), np.ones((8, 1), "float32")
    kerastorch.config.disable_interactive_logging()
    with caplog.at_level(logging.INFO, logger="kerastorch"):
        _tiny_model(kerastorch).fit(x, y, epochs=2, verbose=1)
        _tiny_model(kerastorch).fit(x, y, epochs=1, verbose=2)
    assert capsys.readouterr().out == ""
    messages = [r.getMessage() for r in caplog.records if r.name == "kerastorch"]
    assert "Epoch 1/2" in messages and "Epoch 2/2" in messages
    assert any(m.startswith("1/1 ") and "loss:" in m and "\x1b" not in m for m in messages)
    kerastorch.config.enable_interactive_logging()
    caplog.clear()
    _tiny_model(kerastorch).fit(x, y, epochs=2, verbose=1)
    out = capsys.readouterr().out
    assert "Epoch 2/2" in out and "loss:" in out and not caplog.records


# ------------------------------------------------------------------ unsafe deserialization
def test_enable_unsafe_deserialization_lets_load_model_read_lambdas(tmp_path):
    model = kerastorch.Sequential([layers.Input(shape=(2,)), layers.Lambda(lambda t: t * 3.0)])
    path = str(tmp_path / "lambda.keras")
    model.save(path)
    with pytest.raises(ValueError, match=r"enable_unsafe_deserialization"):
        kerastorch.saving.load_model(path)
    kerastorch.config.enable_unsafe_deserialization()
    loaded = kerastorch.saving.load_model(path)
    np.testing.assert_allclose(_np(loaded(torch.ones(1, 2))), [[3.0, 3.0]])
    config = layers.Lambda(lambda t: t + 1.0).get_config()
    assert layers.Lambda.from_config(config)(torch.zeros(1)).item() == 1.0     # default follows the switch
    with pytest.raises(ValueError, match="bytecode"):
        layers.Lambda.from_config(config, safe_mode=True)


# ------------------------------------------------------------------ debugging caps
class _Counter:
    def __init__(self, lib):
        class Counter(lib.callbacks.Callback):
            def on_train_begin(self, logs=None):
                self.epochs, self.batches = 0, 0

            def on_epoch_begin(self, epoch, logs=None):
                self.epochs += 1

            def on_train_batch_begin(self, batch, logs=None):
                self.batches += 1
        self.callback = Counter()


@pytest.mark.parametrize("max_epochs, max_steps", [(2, 3), (None, 30), (10, None)])
def test_max_epochs_and_max_steps_cap_fit_evaluate_predict_as_in_keras(max_epochs, max_steps):
    x, y = np.ones((80, 3), "float32"), np.ones((80, 1), "float32")
    seen = []
    for lib in (kerastorch, keras):
        lib.config.set_max_epochs(max_epochs)
        lib.config.set_max_steps_per_epoch(max_steps)
        model, counter = _tiny_model(lib), _Counter(lib).callback
        with pytest.warns(UserWarning, match="Limiting") if max_steps or (max_epochs or 99) < 4 else _no_warning():
            model.fit(x, y, batch_size=8, epochs=4, callbacks=[counter], verbose=0,
                      validation_data=(x, y))
        seen.append((counter.epochs, counter.batches, len(model.predict(x, batch_size=8, verbose=0))))
    assert seen[0] == seen[1]


class _no_warning:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


# ------------------------------------------------------------------ per-layer dtype policies
POLICIES = ["float32", "float64", "mixed_bfloat16", "bfloat16", "mixed_float16", "float16"]
# float64: Keras' torch backend runs the matmul in float32 (see the float64 tests below).
_TOL = {"float32": 1e-6, "float64": 1e-6, "bfloat16": 2e-2, "float16": 2e-3}


@pytest.mark.parametrize("policy", POLICIES)
@pytest.mark.parametrize("as_object", [False, True])
def test_layer_dtype_policy_matches_keras(policy, as_object):
    x = np.random.RandomState(0).rand(2, 3).astype("float32")
    w = [np.random.RandomState(1).rand(3, 4), np.random.RandomState(2).rand(4)]
    seen = []
    for lib, make in ((kerastorch, mixed_precision.DTypePolicy), (keras, keras.DTypePolicy)):
        layer = lib.layers.Dense(4, activation="relu", dtype=make(policy) if as_object else policy)
        layer.build((None, 3))
        layer.set_weights(w)
        out = layer(torch.tensor(x))
        seen.append(dict(policy=repr(layer.dtype_policy), dtype=layer.dtype, compute=layer.compute_dtype,
                         variable=layer.variable_dtype, kernel=str(layer.kernel.dtype).replace("torch.", ""),
                         out_dtype=str(out.dtype), config=layer.get_config()["dtype"], out=_np(out)))
    ours, theirs = seen
    np.testing.assert_allclose(ours.pop("out"), theirs.pop("out"), rtol=_TOL[ours["compute"]], atol=_TOL[ours["compute"]])
    assert ours == theirs


LAYER_FAMILIES = [
    ("Dense", {"units": 3}, (2, 5)), ("Conv1D", {"filters": 2, "kernel_size": 3}, (2, 6, 4)),
    ("Conv2D", {"filters": 2, "kernel_size": 3}, (2, 6, 6, 3)), ("DepthwiseConv2D", {"kernel_size": 3}, (2, 6, 6, 3)),
    ("LSTM", {"units": 3}, (2, 4, 5)), ("GRU", {"units": 3}, (2, 4, 5)), ("SimpleRNN", {"units": 3}, (2, 4, 5)),
    ("BatchNormalization", {}, (4, 5)), ("LayerNormalization", {}, (4, 5)), ("Embedding", {"input_dim": 7, "output_dim": 3}, (2, 4)),
    ("Activation", {"activation": "relu"}, (2, 5)), ("Flatten", {}, (2, 3, 4)),
]


@pytest.mark.parametrize("policy", ["float64", "mixed_bfloat16"])
@pytest.mark.parametrize("name, kwargs, shape", LAYER_FAMILIES, ids=[f[0] for f in LAYER_FAMILIES])
def test_every_layer_family_honours_its_dtype_policy_as_keras(name, kwargs, shape, policy):
    x = np.random.RandomState(0).rand(*shape).astype("float32")
    if name == "Embedding":
        x = np.random.RandomState(0).randint(0, 7, shape)
    seen = []
    for lib in (kerastorch, keras):
        layer = getattr(lib.layers, name)(dtype=policy, **kwargs)
        out = layer(torch.tensor(x) if lib is kerastorch else x)
        seen.append((str(out.dtype), [kerastorch.backend.standardize_dtype(w.dtype) for w in layer.weights]))
    assert seen[0] == seen[1]


def test_layer_dtype_policy_is_settable_as_in_keras():
    ours, theirs = layers.Dense(2), keras.layers.Dense(2)
    ours.dtype_policy = theirs.dtype_policy = "mixed_float16"
    assert (repr(ours.dtype_policy), ours.compute_dtype, ours.dtype) == \
           (repr(theirs.dtype_policy), theirs.compute_dtype, theirs.dtype)


def test_per_layer_policies_survive_from_config_and_keras_files_both_ways(tmp_path):
    def build(lib):
        return lib.Sequential([lib.layers.Input(shape=(3,)), lib.layers.Dense(4, dtype="float64"),
                               lib.layers.Dense(4, dtype="mixed_bfloat16"), lib.layers.Dense(2)])

    def policies(model):
        return [repr(layer.dtype_policy) for layer in model.layers]

    ours, theirs = build(kerastorch), build(keras)
    assert policies(ours) == policies(theirs)
    again = kerastorch.Sequential.from_config(ours.get_config())
    assert policies(again) == policies(ours)
    ours_path, theirs_path = str(tmp_path / "ours.keras"), str(tmp_path / "theirs.keras")
    ours.save(ours_path)
    theirs.save(theirs_path)
    assert policies(keras.saving.load_model(ours_path)) == policies(theirs)
    loaded = kerastorch.saving.load_model(theirs_path)
    assert policies(loaded) == policies(theirs)
    assert [str(w.dtype) for w in loaded.get_weights()] == [str(w.dtype) for w in theirs.get_weights()]


def test_global_mixed_policy_trains_with_float32_weights_and_bfloat16_layers():
    for lib in (kerastorch, keras):
        lib.config.set_dtype_policy("mixed_bfloat16")
    ours, theirs = _tiny_model(kerastorch), _tiny_model(keras)
    assert repr(ours.layers[0].dtype_policy) == repr(theirs.layers[0].dtype_policy)
    ours.fit(np.ones((8, 3), "float32"), np.ones((8, 1), "float32"), epochs=1, verbose=0)
    assert all(w.dtype == np.float32 for w in ours.get_weights())
    assert ours.layers[0](torch.ones(2, 3)).dtype == torch.bfloat16


# ------------------------------------------------------------------ floatx("float64") everywhere
def _mlp(lib):
    return lib.Sequential([lib.layers.Input(shape=(784,)), lib.layers.Dense(128, activation="relu"),
                           lib.layers.Dense(10, activation="softmax")])


def _float64_data(model):
    rng = np.random.RandomState(0)
    weights = [rng.normal(scale=0.1, size=w.shape) for w in model.get_weights()]
    x = rng.normal(size=(48, 784))
    y = np.eye(10)[rng.randint(0, 10, 48)]
    return weights, x, y


def _train_three_steps(model, weights, x, y):
    model.set_weights(weights)
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x, y, batch_size=16, epochs=1, shuffle=False, verbose=0)
    return model.get_weights(), history.history


def test_article_model_in_float64_matches_keras_to_1e_10(monkeypatch):
    # Keras' torch backend demotes 64-bit results to 32-bit in `result_type`, so its matmuls run in
    # float32 even with float64 weights (keras/src/backend/common/dtypes.py, BIT64_TO_BIT32_DTYPE).
    # With that demotion switched off, Keras computes in float64 throughout: the oracle here.
    from keras.src.backend.common import dtypes as keras_dtypes

    monkeypatch.setitem(keras_dtypes.BIT64_TO_BIT32_DTYPE, "float64", "float64")
    _set_floatx("float64")
    ours, theirs = _mlp(kerastorch), _mlp(keras)
    weights, x, y = _float64_data(ours)
    ours_w, ours_h = _train_three_steps(ours, weights, x, y)
    theirs_w, theirs_h = _train_three_steps(theirs, weights, x, y)
    for a, b in zip(ours_w, theirs_w):
        assert a.dtype == b.dtype == np.float64
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-10)
    np.testing.assert_allclose(ours_h["loss"], theirs_h["loss"], rtol=1e-12)
    out, ref = ours.predict(x, verbose=0), keras.ops.convert_to_numpy(theirs.predict(x, verbose=0))
    assert out.dtype == np.float64
    np.testing.assert_allclose(out, ref, rtol=0, atol=1e-12)


def test_float64_training_against_unmodified_keras(tmp_path):
    # Unmodified Keras computes its matmuls in float32 (see above): float64 dtypes everywhere, and
    # values equal to float32 accuracy. The optimizer's variables (iteration, learning rate, slots)
    # are saved with Keras' dtypes: the learning rate follows floatx, as Keras' variable does.
    import h5py

    _set_floatx("float64")
    ours, theirs = _mlp(kerastorch), _mlp(keras)
    weights, x, y = _float64_data(ours)
    for a, b in zip(_train_three_steps(ours, weights, x, y)[0], _train_three_steps(theirs, weights, x, y)[0]):
        assert a.dtype == b.dtype == np.float64
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-5)
    saved = []
    for model, name in ((ours, "ours"), (theirs, "theirs")):
        path = str(tmp_path / f"{name}.weights.h5")
        model.save_weights(path)
        with h5py.File(path) as f:
            group = f["optimizer/vars"]
            saved.append([str(group[k].dtype) for k in sorted(group, key=int)])
    assert saved[0] == saved[1] and saved[0][:2] == ["int32", "float64"]


def test_float64_reaches_inputs_outputs_weights_and_optimizer_state():
    _set_floatx("float64")
    assert layers.Input(shape=(3,)).dtype == keras.layers.Input(shape=(3,)).dtype == "float64"
    seen = []

    class Probe(layers.Layer):
        def call(self, inputs):
            seen.append(inputs.dtype)
            return inputs

    model = kerastorch.Sequential([layers.Input(shape=(3,)), Probe(), layers.Dense(2), layers.BatchNormalization()])
    model.compile(optimizer="adam", loss="mse")
    model.fit(np.ones((8, 3), "float32"), np.ones((8, 2), "float32"), epochs=1, verbose=0)
    assert set(seen) == {torch.float64}
    assert model.predict(np.ones((2, 3), "float32"), verbose=0).dtype == np.float64
    assert all(w.dtype == np.float64 for w in model.get_weights())
    assert model.optimizer._slot_variables and all(s.dtype == torch.float64 for s in model.optimizer._slot_variables)


def test_layer_float64_in_a_float32_model_casts_its_inputs_like_keras():
    x = np.random.RandomState(0).rand(2, 3).astype("float32")
    outs = []
    for lib in (kerastorch, keras):
        model = lib.Sequential([lib.layers.Input(shape=(3,)), lib.layers.Dense(4, dtype="float64"),
                                lib.layers.Dense(2)])
        model.set_weights([np.full(w.shape, 0.5) for w in model.get_weights()])
        outs.append(model.predict(x, verbose=0))
        assert kerastorch.backend.standardize_dtype(model.layers[0].kernel.dtype) == "float64"
    assert outs[0].dtype == np.asarray(keras.ops.convert_to_numpy(outs[1])).dtype
    np.testing.assert_allclose(outs[0], keras.ops.convert_to_numpy(outs[1]), rtol=1e-6)


# ------------------------------------------------------------------ image data format
_REQUIRED = {"filters": 2, "kernel_size": 3, "height": 2, "width": 2, "factor": 0.1, "height_factor": 0.1,
             "width_factor": 0.1, "rate": 0.1, "pool_size": 2, "output_size": 2}


def _data_format_layers():
    names = []
    for name in sorted(dir(keras.layers)):
        cls = getattr(keras.layers, name)
        if inspect.isclass(cls) and "data_format" in inspect.signature(cls.__init__).parameters \
                and hasattr(kerastorch.layers, name):
            names.append(name)
    return names


_REQUIRED_BY_NAME = {"RandomPosterization": {"factor": 4}}   # bits kept, in [1, 8]


def _make(lib, name):
    cls = getattr(lib.layers, name)
    params = inspect.signature(cls.__init__).parameters
    required = {**_REQUIRED, **_REQUIRED_BY_NAME.get(name, {})}
    return cls(**{k: v for k, v in required.items() if k in params and params[k].default is inspect.Parameter.empty})


def test_set_image_data_format_reaches_every_image_layer_made_afterwards():
    names = _data_format_layers()
    assert len(names) > 50
    before = {name: _make(kerastorch, name) for name in names}
    for lib in (kerastorch, keras):
        lib.config.set_image_data_format("channels_first")
    mismatches = []
    for name in names:
        ours, theirs = _make(kerastorch, name), _make(keras, name)
        if "data_format" not in inspect.signature(type(ours).__init__).parameters:
            mismatches.append(f"{name}: no data_format argument")
        elif (ours.data_format, before[name].data_format) != (theirs.data_format, "channels_last"):
            mismatches.append(f"{name}: {ours.data_format} (made before: {before[name].data_format}), "
                              f"Keras {theirs.data_format}")
    for name in ("RandomContrast", "RandomBrightness"):   # their data_format travels in Keras' **kwargs
        assert _make(kerastorch, name).data_format == _make(keras, name).data_format == "channels_first"
    assert not mismatches, mismatches


@pytest.mark.parametrize("name, kwargs", [("Resizing", {"height": 3, "width": 5}), ("CenterCrop", {"height": 3, "width": 2}),
                                          ("Resizing", {"height": 3, "width": 5, "crop_to_aspect_ratio": True})])
def test_channels_first_preprocessing_equals_keras(name, kwargs):
    x = np.random.RandomState(0).rand(2, 3, 6, 4).astype("float32")    # (batch, channels, h, w)
    ours = getattr(layers, name)(data_format="channels_first", **kwargs)
    theirs = getattr(keras.layers, name)(data_format="channels_first", **kwargs)
    out = _np(ours(torch.tensor(x)))
    np.testing.assert_allclose(out, keras.ops.convert_to_numpy(theirs(x)), rtol=1e-5, atol=1e-6)
    assert tuple(ours.compute_output_shape((None, 3, 6, 4))) == tuple(theirs.compute_output_shape((None, 3, 6, 4)))


def test_channels_first_random_flip_flips_the_width_axis():
    x = torch.arange(2 * 3 * 4 * 5, dtype=torch.float32).reshape(2, 3, 4, 5)     # (batch, c, h, w)
    flip = layers.RandomFlip("horizontal", seed=1, data_format="channels_first")
    out = flip(x, training=True)
    for b in range(2):
        assert torch.equal(out[b], x[b]) or torch.equal(out[b], x[b].flip(-1))
