"""EfficientNetB0..B7 against real Keras: weights files, predictions, structure, arguments, errors."""

import numpy as np
import pytest

import kerastorch
from kerastorch.applications import efficientnet

from ._parity_b import assert_same_structure, cheap_initializers, errors_match, load_parity

pytestmark = pytest.mark.keras

PARITY = [
    ("EfficientNetB0", dict(classes=5, classifier_activation=None)),
    ("EfficientNetB0", dict(include_top=False, pooling="avg")),
]

# Keras 3.15.1's parameter counts of the variants too costly to build in Keras within the test
# budget, measured once with keras.applications.<name>(weights=None, include_top=False,
# input_shape=(32, 32, 3)).count_params(); with the top they match the counts Keras documents
# (keras.io/api/applications: B7 66.7M).
KERAS_COUNTS_NO_TOP = {"EfficientNetB7": 64097687}
KERAS_LAYERS_NO_TOP = {"EfficientNetB7": 813}


@pytest.mark.parametrize("fn,kwargs", PARITY, ids=lambda v: str(v))
def test_keras_weights_file_gives_keras_predictions(keras, monkeypatch, tmp_path, fn, kwargs):
    # The Normalization layer's mean and variance come from the file too (randomized there).
    load_parity(keras, monkeypatch, getattr(keras.applications, fn), getattr(efficientnet, fn), tmp_path, **kwargs)


@pytest.mark.parametrize("fn", ["EfficientNetB1", "EfficientNetB2"])   # B3..B6 differ only in coefficients
def test_variants_have_keras_layers_weights_and_counts(keras, monkeypatch, fn):
    cheap_initializers(monkeypatch, keras)
    kwargs = dict(input_shape=(32, 32, 3), weights=None, include_top=fn == "EfficientNetB1")
    assert_same_structure(getattr(efficientnet, fn)(**kwargs), getattr(keras.applications, fn)(**kwargs))


@pytest.mark.parametrize("fn", sorted(KERAS_COUNTS_NO_TOP))
def test_largest_variants_have_keras_parameter_counts(monkeypatch, fn):
    from kerastorch import initializers
    import torch

    monkeypatch.setattr(initializers, "get", lambda identifier: lambda shape, dtype=None: torch.zeros(tuple(shape)))
    model = getattr(efficientnet, fn)(input_shape=(32, 32, 3), weights=None, include_top=False)
    assert model.count_params() == KERAS_COUNTS_NO_TOP[fn]
    assert len(model.layers) == KERAS_LAYERS_NO_TOP[fn]


def test_input_tensor_is_the_image_input(keras, monkeypatch):
    cheap_initializers(monkeypatch, keras)
    image = kerastorch.Input(shape=(48, 40, 3))
    ours = efficientnet.EfficientNetB0(input_tensor=image, weights=None, include_top=False)
    theirs = keras.applications.EfficientNetB0(input_tensor=keras.Input(shape=(48, 40, 3)), weights=None,
                                              include_top=False)
    assert ours.inputs[0] is image
    assert tuple(ours.output_shape) == tuple(theirs.output_shape) == (None, 2, 2, 1280)


@pytest.mark.parametrize("kwargs,match", [
    (dict(weights=None, input_shape=(16, 64, 3), include_top=False), "at least 32x32"),
    (dict(weights=None, input_shape=(None, None, 3)), "static"),
    (dict(weights="imagenet", input_shape=(64, 64, 3)), "should be"),
    (dict(weights="imagenet", classes=10), "classes"),
    (dict(weights="not/a/file"), "weights"),
], ids=lambda v: str(v))
def test_bad_arguments_are_refused_as_in_keras(keras, kwargs, match):
    errors_match(lambda: keras.applications.EfficientNetB0(**kwargs),
                 lambda: efficientnet.EfficientNetB0(**kwargs), match)


def test_repeats_must_be_positive_as_in_keras(keras):
    args = [dict(row, repeats=0) if i == 2 else row for i, row in enumerate(efficientnet.DEFAULT_BLOCKS_ARGS)]
    errors_match(lambda: keras.src.applications.efficientnet.EfficientNet(1.0, 1.0, 224, blocks_args=args,
                                                                          weights=None),
                 lambda: efficientnet.EfficientNet(1.0, 1.0, 224, blocks_args=args, weights=None), "must be > 0")


def test_preprocess_input_is_a_pass_through_and_the_model_rescales(keras, monkeypatch):
    cheap_initializers(monkeypatch, keras)
    x = np.arange(6.0).reshape(1, 1, 2, 3)
    assert efficientnet.preprocess_input(x) is x and keras.applications.efficientnet.preprocess_input(x) is x
    model = efficientnet.EfficientNetB0(weights=None, include_top=False, input_shape=(32, 32, 3))
    assert [type(layer).__name__ for layer in model.layers[1:3]] == ["Rescaling", "Normalization"]
