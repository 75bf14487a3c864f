"""EfficientNetV2B0..B3/S/M/L against real Keras: weights files, predictions, structure, preprocessing, errors."""

import numpy as np
import pytest

import kerastorch
from kerastorch.applications import efficientnet_v2

from ._parity_b import assert_same_structure, cheap_initializers, errors_match, load_parity

pytestmark = pytest.mark.keras

PARITY = [
    ("EfficientNetV2B0", dict(classes=5, classifier_activation=None)),
    ("EfficientNetV2B0", dict(include_top=False, pooling="max", include_preprocessing=False)),
]

# EfficientNetV2L is too costly to build in Keras within the test budget: Keras 3.15.1's count,
# measured once with keras.applications.EfficientNetV2L(weights=None, include_top=False,
# input_shape=(32, 32, 3)).count_params() (Keras documents 119.0M with the top).
KERAS_COUNTS_NO_TOP = {"EfficientNetV2L": 117746848}
KERAS_LAYERS_NO_TOP = {"EfficientNetV2L": 1028}


@pytest.mark.parametrize("fn,kwargs", PARITY, ids=lambda v: str(v))
def test_keras_weights_file_gives_keras_predictions(keras, monkeypatch, tmp_path, fn, kwargs):
    load_parity(keras, monkeypatch, getattr(keras.applications, fn), getattr(efficientnet_v2, fn), tmp_path, **kwargs)


@pytest.mark.parametrize("fn,kwargs", [
    # B1, B2 and M differ from these only in coefficients and stage tables
    ("EfficientNetV2B3", dict(include_top=True)), ("EfficientNetV2S", dict(include_top=True)),
], ids=lambda v: str(v))
def test_variants_have_keras_layers_weights_and_counts(keras, monkeypatch, fn, kwargs):
    cheap_initializers(monkeypatch, keras)
    kwargs = dict(dict(input_shape=(32, 32, 3), weights=None, include_top=False), **kwargs)
    assert_same_structure(getattr(efficientnet_v2, fn)(**kwargs), getattr(keras.applications, fn)(**kwargs))


def test_largest_variant_has_keras_parameter_count(monkeypatch):
    from kerastorch import initializers
    import torch

    monkeypatch.setattr(initializers, "get", lambda identifier: lambda shape, dtype=None: torch.zeros(tuple(shape)))
    model = efficientnet_v2.EfficientNetV2L(input_shape=(32, 32, 3), weights=None, include_top=False)
    assert model.count_params() == KERAS_COUNTS_NO_TOP["EfficientNetV2L"]
    assert len(model.layers) == KERAS_LAYERS_NO_TOP["EfficientNetV2L"]


def test_input_tensor_is_the_image_input(monkeypatch, keras):
    cheap_initializers(monkeypatch, keras)
    image = kerastorch.Input(shape=(64, 64, 3))
    model = efficientnet_v2.EfficientNetV2B0(input_tensor=image, weights=None, include_top=False)
    assert model.inputs[0] is image and tuple(model.output_shape) == (None, 2, 2, 1280)


@pytest.mark.parametrize("kwargs,match", [
    (dict(weights=None, input_shape=(64, 20, 3), include_top=False), "at least 32x32"),
    (dict(weights="imagenet", input_shape=(64, 64, 3)), "should be"),
    (dict(weights="imagenet", classes=2), "classes"),
    (dict(weights=None, input_shape=(64, 64)), "three integers"),
], ids=lambda v: str(v))
def test_bad_arguments_are_refused_as_in_keras(keras, kwargs, match):
    errors_match(lambda: keras.applications.EfficientNetV2B0(**kwargs),
                 lambda: efficientnet_v2.EfficientNetV2B0(**kwargs), match)


def test_preprocess_input_is_a_pass_through(keras):
    x = np.arange(6.0).reshape(1, 1, 2, 3)
    assert efficientnet_v2.preprocess_input(x) is x and keras.applications.efficientnet_v2.preprocess_input(x) is x
