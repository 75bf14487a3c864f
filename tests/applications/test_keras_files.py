"""Weight files written by real Keras for these architectures load here by file, and predict as Keras.

Keras builds each model with `weights=None`, gets deterministic weights (so a swapped gamma/beta
or a transposed kernel shows), and writes the file: `.weights.h5` (Keras 3), `.keras`, and Keras'
legacy `.h5` layout (the layout of its ImageNet files), both by Keras' own writer and by hand
with h5py. The ImageNet path reads Keras' cache folder (`$KERAS_HOME/models`).
"""

import hashlib
import importlib

import h5py
import numpy as np
import pytest
import torch

import kerastorch
from kerastorch import applications, layers

from .helpers import deterministic_weights, prediction_input

LIVE = [
    ("ResNet50", "resnet", {"include_top": True, "input_shape": (32, 32, 3), "classes": 3}),
    ("VGG16", "vgg16", {"include_top": False, "input_shape": (32, 32, 3), "pooling": "avg"}),
    ("Xception", "xception", {"include_top": True, "input_shape": (71, 71, 3), "classes": 4,
                              "classifier_activation": None}),
]


def _ours(fn, module):
    return getattr(importlib.import_module(f"kerastorch.applications.{module}"), fn)


_KERAS_MODELS = {}     # each Keras model is built once per module: building is most of the cost


def _keras_model(keras, fn, kwargs):
    key = (fn, repr(sorted(kwargs.items())))
    if key not in _KERAS_MODELS:
        keras.backend.clear_session(free_memory=False)        # auto-names from 0 in both libraries
        model = getattr(keras.applications, fn)(weights=None, **kwargs)
        model.set_weights(deterministic_weights(model))
        _KERAS_MODELS[key] = model
    return _KERAS_MODELS[key]


@pytest.mark.parametrize("fn,module,kwargs", LIVE, ids=[fn for fn, _, _ in LIVE])
def test_keras_weights_file_loads_by_file_and_predicts_as_keras(keras, tmp_path, fn, module, kwargs):
    kmodel = _keras_model(keras, fn, kwargs)
    path = str(tmp_path / f"{fn}.weights.h5")
    kmodel.save_weights(path)
    x = prediction_input(kwargs["input_shape"])
    want = np.asarray(kmodel.predict(x, verbose=0))
    ours = _ours(fn, module)(weights=path, **kwargs)
    got = ours.predict(x, verbose=0)
    assert want.std() > 1e-3
    np.testing.assert_allclose(got, want, atol=1e-4, rtol=1e-4)
    assert [layer.name for layer in ours.layers] == [layer.name for layer in kmodel.layers]


def test_keras_file_both_ways(keras, tmp_path):
    kwargs = LIVE[0][2]
    kmodel = _keras_model(keras, "ResNet50", kwargs)
    x = prediction_input((32, 32, 3))
    want = np.asarray(kmodel.predict(x, verbose=0))
    kmodel.save(tmp_path / "keras.keras")
    loaded = kerastorch.models.load_model(tmp_path / "keras.keras")
    np.testing.assert_allclose(loaded.predict(x, verbose=0), want, atol=1e-4, rtol=1e-4)
    assert loaded.name == "resnet50" and [layer.name for layer in loaded.layers] == [l.name for l in kmodel.layers]

    ours = applications.ResNet50(weights=None, **kwargs)
    ours.set_weights(deterministic_weights(ours))
    np.testing.assert_allclose(ours.predict(x, verbose=0), want, atol=1e-4, rtol=1e-4)
    ours.save(tmp_path / "ours.keras")
    back = keras.models.load_model(tmp_path / "ours.keras")
    np.testing.assert_allclose(np.asarray(back.predict(x, verbose=0)), want, atol=1e-4, rtol=1e-4)


def _write_keras2_weights_by_hand(path, kmodel):
    """Keras 2's weights file: `layer_names` on the root, per layer an ordered `weight_names` attribute."""
    with h5py.File(path, "w") as f:
        f.attrs["layer_names"] = [layer.name.encode("utf8") for layer in kmodel.layers]
        f.attrs["backend"] = b"tensorflow"
        f.attrs["keras_version"] = b"2.2.4"
        for layer in kmodel.layers:
            group = f.create_group(layer.name)
            names = [f"{layer.name}/{w.path.split('/')[-1]}:0" for w in layer.weights]
            group.attrs["weight_names"] = [n.encode("utf8") for n in names]
            for name, w in zip(names, layer.weights):
                group.create_dataset(name, data=np.asarray(w.numpy()))


def test_legacy_h5_imagenet_layout_loads_by_path_and_from_the_keras_cache(keras, tmp_path, monkeypatch):
    from keras.src.legacy.saving import legacy_h5_format

    from kerastorch.applications import vgg16

    kwargs = LIVE[1][2]
    kmodel = _keras_model(keras, "VGG16", kwargs)
    x = prediction_input((32, 32, 3))
    want = np.asarray(kmodel.predict(x, verbose=0))
    by_keras = tmp_path / "by_keras.h5"
    with h5py.File(by_keras, "w") as f:
        legacy_h5_format.save_weights_to_hdf5_group(f, kmodel)
    cache = tmp_path / "keras_home" / "models"
    cache.mkdir(parents=True)
    by_hand = cache / "vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5"    # Keras' file name
    _write_keras2_weights_by_hand(by_hand, kmodel)
    check = getattr(keras.applications, "VGG16")(weights=None, **kwargs)
    check.load_weights(str(by_hand))              # real Keras reads the hand-written file too
    np.testing.assert_allclose(np.asarray(check.predict(x, verbose=0)), want, atol=1e-5)

    for path in (by_keras, by_hand):
        np.testing.assert_allclose(vgg16.VGG16(weights=str(path), **kwargs).predict(x, verbose=0), want,
                                   atol=1e-4, rtol=1e-4)

    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras_home"))
    # The cached file is not Keras' real ImageNet file: its md5 differs from Keras' hash.
    with pytest.raises(ValueError, match=r"does not match the md5 hash Keras expects.*6d6bbae143d832006294945121d1f"):
        vgg16.VGG16(weights="imagenet", **kwargs)
    md5 = hashlib.md5(by_hand.read_bytes()).hexdigest()
    monkeypatch.setitem(vgg16.WEIGHTS, "vgg16", (vgg16.WEIGHTS["vgg16"][0], (by_hand.name, md5)))
    model = vgg16.VGG16(weights="imagenet", **kwargs)
    np.testing.assert_allclose(model.predict(x, verbose=0), want, atol=1e-4, rtol=1e-4)


def test_input_tensor_is_used_as_keras_uses_it(keras):
    def build(lib, module):
        image = lib.Input(shape=(32, 32, 3), name="image")
        scaled = lib.layers.Rescaling(1 / 255.0, name="scale")(image)
        model = module.VGG16(weights=None, include_top=False, input_tensor=scaled, pooling="max")
        model.set_weights(deterministic_weights(model))
        return image, model

    keras.backend.clear_session(free_memory=False)
    k_image, kmodel = build(keras, keras.applications)
    image, ours = build(kerastorch, applications)
    assert ours.inputs[0] is image and kmodel.inputs[0] is k_image
    assert [layer.name for layer in ours.layers] == [layer.name for layer in kmodel.layers]
    x = np.random.RandomState(0).uniform(0, 255, (2, 32, 32, 3)).astype("float32")
    np.testing.assert_allclose(ours.predict(x, verbose=0), np.asarray(kmodel.predict(x, verbose=0)),
                               atol=1e-4, rtol=1e-4)
    for lib, module in ((keras, keras.applications), (kerastorch, applications)):
        with pytest.raises(ValueError, match="must be a KerasTensor"):
            module.VGG16(weights=None, include_top=False, input_tensor=torch.zeros(1, 32, 32, 3))


def test_a_frozen_base_keeps_its_weights_and_statistics_while_a_new_head_trains():
    kerastorch.utils.set_random_seed(0)
    x = np.random.default_rng(0).uniform(0, 255, (8, 32, 32, 3)).astype("float32")
    y = (x[..., 0].mean(axis=(1, 2)) > x[..., 2].mean(axis=(1, 2))).astype("int64")
    base = applications.ResNet50(weights=None, include_top=False, input_shape=(32, 32, 3), pooling="avg")
    base.trainable = False
    model = kerastorch.Sequential([layers.Input(shape=(32, 32, 3)), layers.Lambda(applications.resnet.preprocess_input),
                                   base, layers.Dense(2, activation="softmax")])
    before = [w.numpy().copy() for w in base.weights]       # kernels and BatchNorm moving statistics
    head = model.layers[-1].get_weights()[0].copy()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    model.fit(x, y, epochs=1, batch_size=4, verbose=0)
    for old, new in zip(before, base.weights):
        np.testing.assert_array_equal(new.numpy(), old)
    assert not np.allclose(model.layers[-1].get_weights()[0], head)


def test_inception_resnet_v2s_own_layer_moves_in_keras_files_both_ways(keras, tmp_path):
    # InceptionResNetV2's CustomScaleLayer is Keras' own class outside keras.layers; a small graph
    # around it stands in for the whole model (whose .keras files use the same config).
    from keras.src.applications.inception_resnet_v2 import CustomScaleLayer as KerasScale

    from kerastorch.applications.inception_resnet_v2 import CustomScaleLayer

    def build(lib, scale_cls):
        x = lib.Input(shape=(6, 6, 3))
        up = lib.layers.Conv2D(3, 1, name="up")(x)
        return lib.Model(x, scale_cls(0.17, name="block35_1_scale")([x, up]))

    keras.backend.clear_session(free_memory=False)
    kmodel = build(keras, KerasScale)
    kmodel.set_weights(deterministic_weights(kmodel))
    x = prediction_input((6, 6, 3))
    want = np.asarray(kmodel.predict(x, verbose=0))
    kmodel.save(tmp_path / "keras.keras")
    loaded = kerastorch.models.load_model(tmp_path / "keras.keras")
    assert isinstance(loaded.layers[-1], CustomScaleLayer) and loaded.layers[-1].scale == 0.17
    np.testing.assert_allclose(loaded.predict(x, verbose=0), want, atol=1e-5)
    loaded.save(tmp_path / "ours.keras")
    back = keras.models.load_model(tmp_path / "ours.keras")
    assert isinstance(back.layers[-1], KerasScale)
    np.testing.assert_allclose(np.asarray(back.predict(x, verbose=0)), want, atol=1e-5)


@pytest.fixture
def channels_first(keras):
    before_k, before_o = keras.config.image_data_format(), kerastorch.config.image_data_format()
    keras.config.set_image_data_format("channels_first")
    kerastorch.config.set_image_data_format("channels_first")
    yield
    keras.config.set_image_data_format(before_k)
    kerastorch.config.set_image_data_format(before_o)


@pytest.mark.parametrize("fn,kwargs", [("VGG16", {"include_top": False, "input_shape": (3, 32, 32), "pooling": "avg"}),
                                       ("ResNet50", {"include_top": True, "input_shape": (3, 32, 32), "classes": 3})])
def test_channels_first_models_load_keras_files_and_predict_as_keras(keras, channels_first, tmp_path, fn, kwargs):
    keras.backend.clear_session(free_memory=False)
    kmodel = getattr(keras.applications, fn)(weights=None, **kwargs)
    kmodel.set_weights(deterministic_weights(kmodel))
    kmodel.save_weights(tmp_path / "cf.weights.h5")
    ours = getattr(applications, fn)(weights=str(tmp_path / "cf.weights.h5"), **kwargs)
    x = np.random.RandomState(0).uniform(-1, 1, (2, *kwargs["input_shape"])).astype("float32")
    want = np.asarray(kmodel.predict(x, verbose=0))
    assert want.std() > 1e-3
    np.testing.assert_allclose(ours.predict(x, verbose=0), want, atol=1e-4, rtol=1e-4)
