"""Helpers for the part-B application tests (MobileNet*, EfficientNet*, ConvNeXt*, NASNet*).

The oracle is real Keras 3 on its torch backend: a model built there with `weights=None`,
given random (but moderate) weights, written with `save_weights`; the same architecture built
here loads the file and must predict the same. Other variants are compared by structure: the
layer list (class, name, weight shapes in Keras' order) and the parameter count.
"""

import re

import numpy as np
import torch

import kerastorch


def randomize(keras_model, seed=0):
    """Gives every weight of a Keras model a random value that keeps activations moderate.

    Kernels are drawn with He's scale over their fan-in (per channel for depthwise kernels),
    BatchNormalization statistics and scales near 1, offsets and biases near 0, so that deep
    networks neither vanish nor blow up and the comparison of predictions means something.
    """
    rng = np.random.default_rng(seed)
    leaves = [layer for layer in keras_model._flatten_layers(include_self=False, recursive=True)
              if not layer._layers]
    for layer in leaves:
        for w in layer.weights:
            path, shape = w.path, tuple(w.shape)
            if path.endswith("moving_variance"):
                value = rng.uniform(1.0, 2.0, shape)
            elif path.endswith("gamma"):
                value = rng.uniform(0.5, 1.0, shape)
            elif path.endswith(("beta", "moving_mean", "bias")):
                value = rng.normal(0.0, 0.1, shape)
            elif path.endswith("/mean"):              # Normalization layers
                value = rng.uniform(0.3, 0.6, shape)
            elif path.endswith("/variance"):
                value = rng.uniform(0.04, 0.09, shape)
            elif len(shape) >= 2:                     # kernels
                if type(layer).__name__ == "DepthwiseConv2D" or path.endswith("depthwise_kernel"):
                    fan_in = int(np.prod(shape[:-2]))   # (kh, kw, in, multiplier): per channel
                else:
                    fan_in = int(np.prod(shape[:-1]))   # also grouped convs: (kh, kw, in/groups, out)
                value = rng.normal(0.0, np.sqrt(2.0 / fan_in), shape)
            else:                                     # other scales (ConvNeXt's LayerScale)
                value = rng.uniform(0.5, 1.0, shape)
            w.assign(value.astype(w.dtype))


def _snake(name):
    from keras.src.utils.naming import to_snake_case   # Keras' auto-naming rule, from the oracle

    return to_snake_case(name)


def structure(model):
    """`[(class, name, weight shapes)]` per layer; auto-names (`re_lu_7`) compared without their counter."""
    rows = []
    for layer in model.layers:
        cls = type(layer).__name__
        name = layer.name
        auto = _snake(cls)
        if re.fullmatch(re.escape(auto) + r"(_\d+)?", name):
            name = auto
        rows.append((cls, name, [tuple(int(d) for d in w.shape) for w in layer.weights]))
    return rows


def assert_same_structure(ours, theirs):
    a, b = structure(ours), structure(theirs)
    assert len(a) == len(b), f"{len(a)} layers here, {len(b)} in Keras"
    for mine, keras_row in zip(a, b):
        assert mine == keras_row
    assert [tuple(w.shape) for w in ours.weights] == [tuple(w.shape) for w in theirs.weights]
    assert ours.count_params() == theirs.count_params()
    assert ours.name == theirs.name
    assert tuple(ours.output_shape) == tuple(theirs.output_shape)
    for mine, keras_layer in zip(ours.layers, theirs.layers):      # the preprocessing constants
        if type(keras_layer).__name__ in ("Rescaling", "Normalization"):
            for key in ("scale", "offset", "mean", "variance", "axis"):
                a, b = mine.get_config().get(key), keras_layer.get_config().get(key)
                assert np.allclose(np.asarray(a, dtype=float), np.asarray(b, dtype=float)) if b is not None \
                    else a is None, (keras_layer.name, key, a, b)


def assert_predictions_match(ours, theirs, x, tol=1e-4):
    """Predictions within `tol`, relative to the output's magnitude where it exceeds 1."""
    expected = theirs.predict(x, verbose=0)
    got = ours.predict(x, verbose=0)
    assert got.shape == expected.shape
    assert np.abs(expected).max() > 1e-3, "the reference outputs vanish: the comparison would say nothing"
    scale = max(1.0, float(np.abs(expected).max()))
    np.testing.assert_allclose(got, expected, rtol=0, atol=tol * scale)
    return expected


def load_parity(keras, monkeypatch, keras_fn, our_fn, tmp_path, shape=(32, 32, 3), seed=0, **kwargs):
    """Builds `keras_fn(**kwargs)` in Keras, randomizes and saves it, loads it into `our_fn` by file.

    Both are built with zero initializers (every weight is set afterwards: by `randomize` in
    Keras, by the file here), which saves most of the build time.
    """
    cheap_initializers(monkeypatch, keras)
    theirs = keras_fn(input_shape=shape, weights=None, **kwargs)
    randomize(theirs, seed)
    path = str(tmp_path / f"{theirs.name}_{seed}.weights.h5")
    theirs.save_weights(path)
    ours = our_fn(input_shape=shape, weights=path, **kwargs)
    assert_same_structure(ours, theirs)
    x = np.random.default_rng(seed).uniform(0, 255, (2, *shape)).astype("float32")
    assert_predictions_match(ours, theirs, x)
    return ours, theirs


def cheap_initializers(monkeypatch, keras):
    """Zeros instead of random draws on both sides, for structure-only comparisons.

    Names, shapes and parameter counts do not depend on initial values, and the random draws
    (truncated normals above all) are most of the time it takes to build the big variants.
    """
    import keras.src.initializers as keras_initializers

    from kerastorch import initializers as our_initializers

    def keras_zeros(identifier):
        return lambda shape, dtype=None: keras.ops.zeros(shape, dtype=dtype)

    def our_zeros(identifier):
        return lambda shape, dtype=None: torch.zeros(tuple(shape))

    monkeypatch.setattr(keras_initializers, "get", keras_zeros)
    monkeypatch.setattr(our_initializers, "get", our_zeros)


def errors_match(keras_call, our_call, match):
    """Both raise ValueError, and ours says `match` (a regex of Keras' message)."""
    import pytest

    with pytest.raises(ValueError, match=match):
        keras_call()
    with pytest.raises(ValueError, match=match):
        our_call()


__all__ = ["assert_predictions_match", "assert_same_structure", "cheap_initializers", "errors_match",
           "kerastorch", "load_parity", "randomize", "structure"]
