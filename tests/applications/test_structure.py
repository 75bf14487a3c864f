"""Every model of VGG, ResNet(V2), DenseNet, Xception and Inception(ResNet) against what real Keras builds.

The facts (tests/applications/keras_facts.json) come from real Keras, written by
tools/gen_applications_facts.py: per configuration, each layer's class, name and weight shapes in
Keras' order, the weight paths, the parameter count and the output shape, and for three of them
Keras' outputs with deterministic weights. Here the same configurations are built on torch's meta
device (shapes only, fast); the prediction checks fill in real weights.
"""

import importlib

import numpy as np
import pytest
import torch

import kerastorch

from .helpers import (PART_A_MODELS, PREDICTION_SPECS, SPECS, deterministic_weights, load_facts, prediction_input,
                      spec_id)

FACTS = load_facts()["models"]


def _build_on_meta(fn, module, kwargs):
    kerastorch.utils.clear_session(free_memory=False)     # auto-names from 0, as the facts were made
    builder = getattr(importlib.import_module(f"kerastorch.applications.{module}"), fn)
    with torch.device("meta"):
        return builder(weights=None, **kwargs)


@pytest.mark.parametrize("fn,module,kwargs", SPECS, ids=[spec_id(fn, kw) for fn, _, kw in SPECS])
def test_layers_weights_and_shapes_are_keras(fn, module, kwargs):
    want = FACTS[spec_id(fn, kwargs)]
    model = _build_on_meta(fn, module, kwargs)
    got = [[type(layer).__name__, layer.name, [list(w.shape) for w in layer.weights]] for layer in model.layers]
    assert len(got) == len(want["layers"])
    for ours, theirs in zip(got, want["layers"]):
        assert ours == theirs
    assert [w.path for w in model.weights] == want["weight_paths"]
    assert model.count_params() == want["count_params"]
    assert list(model.output_shape) == want["output_shape"]


@pytest.mark.parametrize("fn,module,kwargs", PREDICTION_SPECS, ids=[spec_id(fn, kw) for fn, _, kw in PREDICTION_SPECS])
def test_predictions_are_keras_with_the_same_weights(fn, module, kwargs):
    model = _build_on_meta(fn, module, kwargs)
    model.to_empty(device="cpu")
    model.set_weights(deterministic_weights(model))
    x = prediction_input(kwargs["input_shape"])
    with torch.no_grad():
        got = model(torch.from_numpy(x), training=False).numpy()
    want = np.asarray(FACTS[spec_id(fn, kwargs)]["prediction"], dtype="float32")
    assert want.std() > 1e-3          # the facts are not a constant output
    np.testing.assert_allclose(got, want, atol=1e-4, rtol=1e-4)


def test_the_facts_cover_every_model_function_of_these_families():
    assert {fn for fn, _, _ in SPECS} == set(PART_A_MODELS)
