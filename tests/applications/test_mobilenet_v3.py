"""MobileNetV3Small/Large against real Keras: weights files, predictions, structure, arguments, .keras files."""

import numpy as np
import pytest

import kerastorch
from kerastorch.applications import mobilenet_v3

from ._parity_b import (assert_predictions_match, assert_same_structure, cheap_initializers, errors_match,
                        load_parity, randomize)

pytestmark = pytest.mark.keras

PARITY = [
    ("MobileNetV3Small", dict(classes=5, classifier_activation=None), (32, 32, 3)),
    ("MobileNetV3Small", dict(minimalistic=True, alpha=0.75, include_top=False, pooling="avg"), (40, 33, 3)),
    ("MobileNetV3Large", dict(include_preprocessing=False, include_top=False, pooling="max"), (32, 32, 3)),
]

STRUCTURE = [(fn, dict(alpha=a, minimalistic=m, include_top=top, dropout_rate=d), (64, 64, 3))
             for fn, a, m, top, d in [
                 ("MobileNetV3Small", 1.0, False, True, 0.2), ("MobileNetV3Small", 1.25, True, True, 0.0),
                 ("MobileNetV3Large", 0.75, False, True, 0.2), ("MobileNetV3Large", 1.0, True, False, 0.2),
                 ("MobileNetV3Large", 1.5, False, True, 0.2)]]


@pytest.mark.parametrize("fn,kwargs,shape", PARITY, ids=lambda v: str(v))
def test_keras_weights_file_gives_keras_predictions(keras, monkeypatch, tmp_path, fn, kwargs, shape):
    load_parity(keras, monkeypatch, getattr(keras.applications, fn), getattr(mobilenet_v3, fn), tmp_path, shape=shape, **kwargs)


@pytest.mark.parametrize("fn,kwargs,shape", STRUCTURE, ids=lambda v: str(v))
def test_variants_have_keras_layers_weights_and_counts(keras, monkeypatch, fn, kwargs, shape):
    cheap_initializers(monkeypatch, keras)
    assert_same_structure(getattr(mobilenet_v3, fn)(input_shape=shape, weights=None, **kwargs),
                          getattr(keras.applications, fn)(input_shape=shape, weights=None, **kwargs))


def test_input_tensor_and_default_input_shape(keras, monkeypatch):
    cheap_initializers(monkeypatch, keras)
    ours = mobilenet_v3.MobileNetV3Small(input_tensor=kerastorch.Input(shape=(48, 48, 3)), weights=None)
    theirs = keras.applications.MobileNetV3Small(input_tensor=keras.Input(shape=(48, 48, 3)), weights=None)
    assert tuple(ours.input_shape) == tuple(theirs.input_shape) == (None, 48, 48, 3)
    assert ours.count_params() == theirs.count_params()
    ours = mobilenet_v3.MobileNetV3Small(weights=None, minimalistic=True)
    theirs = keras.applications.MobileNetV3Small(weights=None, minimalistic=True)
    assert tuple(ours.input_shape) == tuple(theirs.input_shape) == (None, None, None, 3)


@pytest.mark.parametrize("kwargs,match", [
    (dict(weights=None, input_shape=(31, 64, 3)), "at least 32x32"),
    (dict(weights="imagenet", alpha=0.5), "alpha can be one of"),
    (dict(weights="imagenet", alpha=0.75, minimalistic=True), "alpha can be one of"),
    (dict(weights="imagenet", classes=3), "classes"),
    (dict(weights="missing.weights.h5"), "weights"),
], ids=lambda v: str(v))
def test_bad_arguments_are_refused_as_in_keras(keras, kwargs, match):
    errors_match(lambda: keras.applications.MobileNetV3Large(**kwargs),
                 lambda: mobilenet_v3.MobileNetV3Large(**kwargs), match)


def test_keras_files_both_ways(keras, tmp_path):
    x = np.random.default_rng(3).uniform(0, 255, (2, 32, 32, 3)).astype("float32")
    theirs = keras.applications.MobileNetV3Small(input_shape=(32, 32, 3), weights=None, minimalistic=True,
                                                 alpha=0.75, classes=4)
    randomize(theirs, 3)
    theirs.save(tmp_path / "keras.keras")
    ours = kerastorch.models.load_model(tmp_path / "keras.keras")
    expected = assert_predictions_match(ours, theirs, x)
    ours.save(tmp_path / "ours.keras")
    again = keras.models.load_model(tmp_path / "ours.keras")
    np.testing.assert_allclose(again.predict(x, verbose=0), expected, atol=1e-5)


def test_preprocess_input_is_a_pass_through_as_in_keras(keras):
    x = np.arange(6.0).reshape(1, 1, 2, 3)
    assert mobilenet_v3.preprocess_input(x) is x
    assert keras.applications.mobilenet_v3.preprocess_input(x) is x
