"""Normalization (given or adapted) and SpatialDropout*: `.keras` files move both ways with real Keras."""

import re

import numpy as np
import pytest

import kerastorch

_RNG = np.random.default_rng(0)
X2 = (_RNG.standard_normal((8, 4)) * 3 + 1).astype("float32")
X3 = _RNG.standard_normal((6, 5, 4)).astype("float32")
X4 = _RNG.standard_normal((2, 3, 4, 4)).astype("float32")
X5 = _RNG.standard_normal((2, 3, 2, 2, 4)).astype("float32")


def _norm(lib, **kwargs):
    return lib.layers.Normalization(**kwargs)


def _adapted(data, **kwargs):
    def make(lib):
        layer = lib.layers.Normalization(**kwargs)
        layer.adapt(data)
        return layer
    return make


# name -> (layer factory taking the library, input)
CASES = {
    "given_vector": (lambda lib: _norm(lib, mean=[1.0, 2, 3, 4], variance=[1.0, 4, 9, 16]), X2),
    "given_scalar": (lambda lib: _norm(lib, mean=2.0, variance=9.0), X2),
    "given_invert": (lambda lib: _norm(lib, mean=[1.0, 2, 3, 4], variance=[1.0, 4, 9, 16], invert=True), X2),
    "adapted": (_adapted(X2), X2),
    "adapted_axis_none": (_adapted(X2, axis=None), X2),
    "adapted_seq_axis": (_adapted(X3, axis=(1, 2)), X3),
    "spatial_dropout1d": (lambda lib: lib.layers.SpatialDropout1D(0.3, seed=1), X3),
    "spatial_dropout2d": (lambda lib: lib.layers.SpatialDropout2D(0.3, data_format="channels_first"), X4),
    "spatial_dropout3d": (lambda lib: lib.layers.SpatialDropout3D(0.5, seed=2), X5),
}


def _model(lib, case):
    make, x = CASES[case]
    return lib.Sequential([lib.layers.Input(shape=x.shape[1:]), make(lib), lib.layers.Dense(2)]), x


def _predict(model, x, keras):
    return np.asarray(keras.ops.convert_to_numpy(model.predict(x, verbose=0)))


@pytest.mark.parametrize("case", sorted(CASES))
def test_file_written_by_keras_loads_in_kerastorch(keras, tmp_path, case):
    model, x = _model(keras, case)
    model.save(tmp_path / "k.keras")
    loaded = kerastorch.models.load_model(tmp_path / "k.keras")
    np.testing.assert_allclose(loaded.predict(x, verbose=0), _predict(model, x, keras), atol=1e-5)
    assert loaded.layers[0].get_config() == model.layers[0].get_config()
    assert [w.shape for w in loaded.get_weights()] == [tuple(w.shape) for w in model.get_weights()]
    assert [np.asarray(w).dtype for w in loaded.get_weights()] == [np.asarray(w).dtype
                                                                 for w in model.get_weights()]


@pytest.mark.parametrize("case", sorted(CASES))
def test_file_written_by_kerastorch_loads_in_keras(keras, tmp_path, case):
    model, x = _model(kerastorch, case)
    model.save(tmp_path / "t.keras")
    loaded = keras.models.load_model(tmp_path / "t.keras")
    np.testing.assert_allclose(_predict(loaded, x, keras), model.predict(x, verbose=0), atol=1e-5)
    assert model.layers[0].get_config() == loaded.layers[0].get_config()


def _totals(text):
    return [line.strip() for line in text.splitlines() if re.search(r"params: ", line)]


@pytest.mark.parametrize("case", ["given_vector", "adapted", "adapted_seq_axis", "spatial_dropout2d"])
def test_summary_counts_params_and_bytes_as_keras(keras, case):
    lines = {}
    for lib in (keras, kerastorch):
        model, _ = _model(lib, case)
        out = []
        model.summary(print_fn=lambda line, *args, **kwargs: out.append(line))
        lines[lib.__name__] = _totals("\n".join(out))
    assert lines["kerastorch"] == lines["keras"] and len(lines["keras"]) == 3


def test_adapted_statistics_equal_keras(keras):
    for data, kwargs in ((X2, {}), (X3, {"axis": (1, 2)}), (X3, {"axis": None})):
        ours, theirs = kerastorch.layers.Normalization(**kwargs), keras.layers.Normalization(**kwargs)
        ours.adapt(data)
        theirs.adapt(data)
        for got, want in zip(ours.get_weights(), theirs.get_weights()):
            np.testing.assert_allclose(got, np.asarray(want), rtol=1e-5, atol=1e-6)


def test_given_statistics_are_no_weights_and_adapt_is_refused(keras):
    theirs = keras.layers.Normalization(mean=[1.0, 2.0], variance=[1.0, 4.0])
    ours = kerastorch.layers.Normalization(mean=[1.0, 2.0], variance=[1.0, 4.0])
    theirs.build((None, 2))
    ours.build((None, 2))
    assert ours.weights == [] and theirs.weights == []
    with pytest.raises(ValueError, match="nothing to adapt"):
        ours.adapt(X2[:, :2])
    for bad in (dict(mean=[1.0, 2.0], variance=[1.0]), dict(mean=[[1.0]], variance=[[1.0]])):
        with pytest.raises(ValueError):
            keras.layers.Normalization(**bad)
        with pytest.raises(ValueError, match="Normalization"):
            kerastorch.layers.Normalization(**bad)
