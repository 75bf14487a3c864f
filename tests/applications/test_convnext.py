"""ConvNeXt against real Keras: weights files (nested Sequential stem/downsampling, LayerScale), predictions,
structure of the variants, StochasticDepth, errors."""

import numpy as np
import pytest
import torch

import kerastorch
from kerastorch.applications import convnext

from ._parity_b import assert_same_structure, cheap_initializers, errors_match, load_parity

pytestmark = pytest.mark.keras

# ConvNeXtLarge/XLarge are too costly to build in Keras within the test budget: Keras 3.15.1's
# counts, measured once with keras.applications.<name>(weights=None, include_top=False,
# input_shape=(32, 32, 3)).count_params() (Keras documents 350.1M with the top).
KERAS_COUNTS_NO_TOP = {"ConvNeXtXLarge": 348147968}
KERAS_LAYERS_NO_TOP = {"ConvNeXtXLarge": 259}


def _small(**kwargs):
    """A ConvNeXt of the generic builder, small enough to compare predictions cheaply."""
    return dict(depths=[1, 2, 1, 1], projection_dims=[8, 16, 24, 32], **kwargs)


def test_tiny_keras_weights_file_gives_keras_predictions(keras, monkeypatch, tmp_path):
    load_parity(keras, monkeypatch, keras.applications.ConvNeXtTiny, convnext.ConvNeXtTiny, tmp_path,
                classes=5, classifier_activation=None)


@pytest.mark.parametrize("kwargs", [
    _small(include_top=False, pooling="max", include_preprocessing=False, name="small_convnext"),
    _small(include_top=False, layer_scale_init_value=None, drop_path_rate=0.3),
    _small(include_top=True, classes=3, name="c3"),
], ids=lambda v: str(v))
def test_generic_convnext_weights_file_gives_keras_predictions(keras, monkeypatch, tmp_path, kwargs):
    keras_convnext = keras.src.applications.convnext.ConvNeXt
    load_parity(keras, monkeypatch, lambda **kw: keras_convnext(**kw), convnext.ConvNeXt, tmp_path,
                shape=(40, 36, 3), **kwargs)


@pytest.mark.parametrize("fn,kwargs", [
    ("ConvNeXtSmall", dict(include_top=True)),    # Base/Large/XLarge: the same graph, wider
], ids=lambda v: str(v))
def test_variants_have_keras_layers_weights_and_counts(keras, monkeypatch, fn, kwargs):
    cheap_initializers(monkeypatch, keras)
    kwargs = dict(dict(input_shape=(32, 32, 3), weights=None, include_top=False), **kwargs)
    assert_same_structure(getattr(convnext, fn)(**kwargs), getattr(keras.applications, fn)(**kwargs))


@pytest.mark.parametrize("fn", sorted(KERAS_COUNTS_NO_TOP))
def test_largest_variants_have_keras_parameter_counts(monkeypatch, fn):
    from kerastorch import initializers

    monkeypatch.setattr(initializers, "get", lambda identifier: lambda shape, dtype=None: torch.empty(tuple(shape)))
    model = getattr(convnext, fn)(input_shape=(32, 32, 3), weights=None, include_top=False)
    assert model.count_params() == KERAS_COUNTS_NO_TOP[fn]
    assert len(model.layers) == KERAS_LAYERS_NO_TOP[fn]


def test_layer_scale_and_stochastic_depth_as_keras(keras):
    x = np.random.default_rng(0).normal(size=(64, 3, 4)).astype("float32")
    ours, theirs = convnext.LayerScale(0.25, 4), keras.src.applications.convnext.LayerScale(0.25, 4)
    np.testing.assert_allclose(ours(torch.as_tensor(x)).detach().numpy(), keras.ops.convert_to_numpy(theirs(x)), rtol=1e-6)
    assert ours.get_config()["init_values"] == theirs.get_config()["init_values"] == 0.25
    assert [tuple(w.shape) for w in ours.weights] == [tuple(w.shape) for w in theirs.weights] == [(4,)]
    drop = convnext.StochasticDepth(0.5)
    np.testing.assert_array_equal(drop(torch.as_tensor(x), training=False).numpy(), x)   # inference: identity
    out = drop(torch.as_tensor(x), training=True).numpy()
    kept = np.all(out == 2 * x, axis=(1, 2))                                        # kept samples are x / 0.5
    assert np.all(kept | np.all(out == 0, axis=(1, 2)))                              # the others are zeros
    assert 10 < kept.sum() < 54                                                       # about half of 64 kept
    assert drop.get_config()["drop_path_rate"] == keras.src.applications.convnext.StochasticDepth(0.5).get_config()[
        "drop_path_rate"]


@pytest.mark.parametrize("kwargs,match", [
    (dict(weights=None, input_shape=(16, 64, 3), include_top=False), "at least 32x32"),
    (dict(weights="imagenet", classes=7), "classes"),
    (dict(weights="imagenet", input_shape=(64, 64, 3)), "should be"),
    (dict(weights="nowhere.h5"), "weights"),
], ids=lambda v: str(v))
def test_bad_arguments_are_refused_as_in_keras(keras, kwargs, match):
    errors_match(lambda: keras.applications.ConvNeXtTiny(**kwargs), lambda: convnext.ConvNeXtTiny(**kwargs), match)


def test_preprocess_input_is_a_pass_through(keras):
    x = np.arange(6.0).reshape(1, 1, 2, 3)
    assert convnext.preprocess_input(x) is x and keras.applications.convnext.preprocess_input(x) is x


def test_keras_file_of_a_convnext_loads_with_its_custom_layers(keras, tmp_path):
    # Keras' file names LayerScale/StochasticDepth by module keras.src.applications.convnext
    # and their bare class names; they load here as this module's layers, with Keras' predictions.
    from ._parity_b import assert_predictions_match, randomize

    theirs = keras.src.applications.convnext.ConvNeXt(**_small(include_top=False, drop_path_rate=0.2),
                                                      input_shape=(32, 32, 3))
    randomize(theirs, 4)
    theirs.save(tmp_path / "convnext.keras")
    ours = kerastorch.models.load_model(tmp_path / "convnext.keras")
    assert {type(layer) for layer in ours.layers} >= {convnext.LayerScale, convnext.StochasticDepth}
    x = np.random.default_rng(4).uniform(0, 255, (2, 32, 32, 3)).astype("float32")
    assert_predictions_match(ours, theirs, x)


def test_a_convnext_file_written_here_loads_in_keras(keras, tmp_path):
    # LayerScale/StochasticDepth are written under Keras' module and bare names, so real Keras
    # rebuilds them from a file written here, with the same predictions.
    from ._parity_b import assert_predictions_match, randomize

    theirs = keras.src.applications.convnext.ConvNeXt(**_small(include_top=False, drop_path_rate=0.2),
                                                      input_shape=(32, 32, 3))
    randomize(theirs, 5)
    theirs.save(tmp_path / "theirs.keras")
    ours = kerastorch.models.load_model(tmp_path / "theirs.keras")
    ours.save(tmp_path / "ours.keras")
    back = keras.models.load_model(tmp_path / "ours.keras")
    x = np.random.default_rng(5).uniform(0, 255, (2, 32, 32, 3)).astype("float32")
    assert_predictions_match(ours, back, x)
