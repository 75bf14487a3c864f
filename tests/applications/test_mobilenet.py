"""MobileNet and MobileNetV2 against real Keras: weights files, predictions, structure, arguments, errors."""

import numpy as np
import pytest

import kerastorch
from kerastorch.applications import mobilenet, mobilenet_v2

from ._parity_b import assert_same_structure, cheap_initializers, errors_match, load_parity

pytestmark = pytest.mark.keras

# (module, constructor, kwargs, input shape): loaded from a Keras file, predictions compared.
PARITY = [
    ("mobilenet", "MobileNet", dict(alpha=0.25, classes=5), (32, 32, 3)),
    ("mobilenet", "MobileNet", dict(alpha=0.25, include_top=False, pooling="avg"), (33, 37, 3)),
    ("mobilenet_v2", "MobileNetV2", dict(alpha=0.35, classes=5, classifier_activation=None), (32, 32, 3)),
    ("mobilenet_v2", "MobileNetV2", dict(alpha=0.35, include_top=False, pooling="max"), (35, 32, 3)),
]

# Structure only (names, weight shapes, parameter counts, output shape) for the other widths.
STRUCTURE = [
    ("mobilenet", "MobileNet", dict(alpha=0.75), (64, 64, 3)),
    ("mobilenet", "MobileNet", dict(alpha=1.0, include_top=False), (64, 64, 3)),
    ("mobilenet", "MobileNet", dict(alpha=0.5, depth_multiplier=2, include_top=False, pooling="avg"), (32, 32, 3)),
    ("mobilenet_v2", "MobileNetV2", dict(alpha=0.5), (96, 96, 3)),
    ("mobilenet_v2", "MobileNetV2", dict(alpha=1.0, include_top=False), (64, 64, 3)),
    ("mobilenet_v2", "MobileNetV2", dict(alpha=1.4), (96, 96, 3)),
    ("mobilenet_v2", "MobileNetV2", dict(alpha=1.3, include_top=False, pooling="avg"), (32, 32, 3)),
]


def _fns(keras, module, fn):
    return getattr(getattr(keras.applications, module), fn), getattr({"mobilenet": mobilenet,
                                                                     "mobilenet_v2": mobilenet_v2}[module], fn)


@pytest.mark.parametrize("module,fn,kwargs,shape", PARITY, ids=lambda v: str(v))
def test_keras_weights_file_gives_keras_predictions(keras, monkeypatch, tmp_path, module, fn, kwargs, shape):
    keras_fn, our_fn = _fns(keras, module, fn)
    load_parity(keras, monkeypatch, keras_fn, our_fn, tmp_path, shape=shape, **kwargs)


@pytest.mark.parametrize("module,fn,kwargs,shape", STRUCTURE, ids=lambda v: str(v))
def test_variants_have_keras_layers_weights_and_counts(keras, monkeypatch, module, fn, kwargs, shape):
    cheap_initializers(monkeypatch, keras)
    keras_fn, our_fn = _fns(keras, module, fn)
    assert_same_structure(our_fn(input_shape=shape, weights=None, **kwargs),
                          keras_fn(input_shape=shape, weights=None, **kwargs))


@pytest.mark.parametrize("module,fn", [("mobilenet", "MobileNet"), ("mobilenet_v2", "MobileNetV2")])
def test_default_shape_name_and_input_tensor(keras, monkeypatch, module, fn):
    cheap_initializers(monkeypatch, keras)
    keras_fn, our_fn = _fns(keras, module, fn)
    # no input_shape: 224x224 with the top, (None, None, 3) without; the name carries alpha and rows
    for kwargs in (dict(alpha=0.25 if fn == "MobileNet" else 0.35), dict(alpha=0.5, include_top=False)):
        ours, theirs = our_fn(weights=None, **kwargs), keras_fn(weights=None, **kwargs)
        assert ours.name == theirs.name and tuple(ours.input_shape) == tuple(theirs.input_shape)
    # input_tensor: the model's input is the tensor's source Input; the size comes from it
    ours = our_fn(input_tensor=kerastorch.Input(shape=(128, 128, 3)), weights=None, alpha=0.5)
    theirs = keras_fn(input_tensor=keras.Input(shape=(128, 128, 3)), weights=None, alpha=0.5)
    assert ours.name == theirs.name
    assert tuple(ours.input_shape) == tuple(theirs.input_shape) == (None, 128, 128, 3)
    assert ours.count_params() == theirs.count_params()


def _bad_cases():
    return [
        ("MobileNet", dict(weights="imagenet", alpha=0.3, include_top=False, input_shape=(64, 64, 3)), "alpha can be one of"),
        ("MobileNet", dict(weights="imagenet", depth_multiplier=2, include_top=False), "depth multiplier must be 1"),
        ("MobileNet", dict(weights=None, input_shape=(16, 16, 3), include_top=False), "at least 32x32"),
        ("MobileNet", dict(weights="imagenet", classes=10), "classes"),
        ("MobileNet", dict(weights="no/such/file.h5"), "weights"),
        ("MobileNet", dict(weights=None, input_shape=(None, None, 3)), "static"),
        ("MobileNetV2", dict(weights="imagenet", alpha=0.6, include_top=False, input_shape=(96, 96, 3)), "alpha must be one of"),
        ("MobileNetV2", dict(weights=None, input_shape=(31, 64, 3), include_top=False), "at least 32x32"),
        ("MobileNetV2", dict(weights="imagenet", input_shape=(100, 100, 3)), "should be"),
        ("MobileNetV2", dict(weights=None, input_shape=(64, 64)), "three integers"),
        ("MobileNetV2", dict(weights="imagenet", classifier_activation="relu", include_top=True), "softmax"),
    ]


@pytest.mark.parametrize("fn,kwargs,match", _bad_cases(), ids=lambda v: str(v))
def test_bad_arguments_are_refused_as_in_keras(keras, fn, kwargs, match):
    module = "mobilenet" if fn == "MobileNet" else "mobilenet_v2"
    keras_fn, our_fn = _fns(keras, module, fn)
    if kwargs.get("weights") == "imagenet" and "classifier_activation" in kwargs:
        # Keras checks the activation only after building; both refuse it before any file is read
        kwargs = dict(kwargs, input_shape=(224, 224, 3))
    errors_match(lambda: keras_fn(**kwargs), lambda: our_fn(**kwargs), match)


def test_preprocess_input_scales_to_minus_one_one_as_keras(keras):
    x = np.random.default_rng(1).uniform(0, 255, (2, 4, 4, 3)).astype("float32")
    for module in (mobilenet, mobilenet_v2):
        keras_module = getattr(keras.applications, module.__name__.rsplit(".", 1)[-1])
        np.testing.assert_allclose(np.asarray(module.preprocess_input(x.copy())),
                                   np.asarray(keras_module.preprocess_input(x.copy())), rtol=1e-6)
        np.testing.assert_allclose(np.asarray(module.preprocess_input(x.copy())), x / 127.5 - 1, rtol=1e-5, atol=1e-6)


def test_transfer_learning_freezes_the_base_then_fine_tunes_it():
    # Keras' recipe: a frozen base keeps its weights AND its BatchNormalization statistics
    # (a non-trainable BatchNormalization runs in inference mode) while the new head trains.
    kerastorch.utils.set_random_seed(0)
    x = np.random.default_rng(0).uniform(0, 255, (4, 32, 32, 3)).astype("float32")
    y = (x[..., 0].mean(axis=(1, 2)) > x[..., 2].mean(axis=(1, 2))).astype("int64")
    base = mobilenet_v2.MobileNetV2(include_top=False, input_shape=(32, 32, 3), pooling="avg", alpha=0.35,
                                    weights=None)
    base.trainable = False
    model = kerastorch.Sequential([kerastorch.Input(shape=(32, 32, 3)), base,
                                   kerastorch.layers.Dense(2, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    before = [w.copy() for w in base.get_weights()]
    head_before = model.layers[-1].get_weights()[0].copy()
    model.fit(mobilenet_v2.preprocess_input(x), y, epochs=1, batch_size=4, verbose=0)
    assert all(np.array_equal(a, b) for a, b in zip(base.get_weights(), before))
    assert not np.array_equal(model.layers[-1].get_weights()[0], head_before)   # (random-init features are tiny)

    base.trainable = True
    model.compile(optimizer=kerastorch.optimizers.Adam(1e-5), loss="sparse_categorical_crossentropy")
    model.fit(mobilenet_v2.preprocess_input(x), y, epochs=1, batch_size=4, verbose=0)
    changed = [w.path for w, b in zip(base.weights, before) if not np.array_equal(w.numpy(), b)]
    assert any(p.endswith("kernel") for p in changed) and any(p.endswith("moving_mean") for p in changed)


def test_imagenet_weights_come_from_keras_cache_in_keras_legacy_format(keras, monkeypatch, tmp_path):
    # weights="imagenet" reads Keras' own cache file (Keras' file name, legacy .h5 layout) and
    # never downloads: absent, the error names the file and the URL Keras fetches it from.
    import h5py
    from keras.src.legacy.saving import legacy_h5_format

    from ._parity_b import assert_predictions_match, randomize

    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    name = "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_0.35_96_no_top.h5"
    kwargs = dict(alpha=0.35, include_top=False, input_shape=(96, 96, 3), pooling="avg")
    with pytest.raises(ValueError, match=name + ".*keras-applications/mobilenet_v2/" + name):
        mobilenet_v2.MobileNetV2(weights="imagenet", **kwargs)
    theirs = keras.applications.MobileNetV2(weights=None, **kwargs)
    randomize(theirs, 5)
    (tmp_path / "models").mkdir()
    with h5py.File(tmp_path / "models" / name, "w") as f:       # the layout of Keras' ImageNet files
        legacy_h5_format.save_weights_to_hdf5_group(f, theirs)
    ours = mobilenet_v2.MobileNetV2(weights="imagenet", **kwargs)
    x = np.random.default_rng(5).uniform(-1, 1, (1, 96, 96, 3)).astype("float32")
    assert_predictions_match(ours, theirs, x)
