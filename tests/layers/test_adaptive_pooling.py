"""Adaptive pooling layers against real Keras 3: outputs, output shapes, configs, errors."""

import numpy as np
import pytest
import torch

from kerastorch import layers

# rank -> [(output_size, channels_last input shape)]
SIZES = {
    1: [(3, (2, 10, 4)), ((4,), (2, 7, 3)), (7, (1, 7, 2))],
    2: [((2, 3), (2, 7, 9, 3)), (4, (1, 5, 6, 2)), ([1, 5], (1, 4, 5, 2))],
    3: [(2, (1, 5, 5, 5, 2)), ((3, 2, 1), (1, 7, 4, 3, 2))],
}
CASES = [(f"Adaptive{kind}Pooling{rank}D", size, shape, fmt)
         for kind in ("Average", "Max") for rank, entries in SIZES.items() for size, shape in entries
         for fmt in ("channels_last", "channels_first")]


@pytest.mark.parametrize("name,size,shape,fmt", CASES)
def test_adaptive_pooling_matches_keras(keras, name, size, shape, fmt):
    x = np.random.default_rng(0).standard_normal(shape).astype("float32")
    if fmt == "channels_first":
        x = np.ascontiguousarray(np.moveaxis(x, -1, 1))
    ours = getattr(layers, name)(size, data_format=fmt)
    theirs = getattr(keras.layers, name)(size, data_format=fmt)
    want = keras.ops.convert_to_numpy(theirs(x))
    got = ours(torch.from_numpy(x)).numpy()
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, atol=1e-6)
    batch_shape = (None, *x.shape[1:])
    assert ours.compute_output_shape(batch_shape) == tuple(theirs.compute_output_shape(batch_shape))
    strip = ("name",)
    assert {k: v for k, v in ours.get_config().items() if k not in strip} == \
        {k: v for k, v in theirs.get_config().items() if k not in strip}


def test_adaptive_average_by_hand():
    # length 5 into 2 windows: [0, 3) and [2, 5)
    x = torch.tensor([[[1.0], [2.0], [3.0], [4.0], [5.0]]])
    np.testing.assert_allclose(layers.AdaptiveAveragePooling1D(2)(x).numpy(), [[[2.0], [4.0]]])
    np.testing.assert_allclose(layers.AdaptiveMaxPooling1D(2)(x).numpy(), [[[3.0], [5.0]]])


ERRORS = [
    ("AdaptiveAveragePooling1D", dict(output_size=(2, 3)), ValueError, "tuple of 1 int"),
    ("AdaptiveMaxPooling1D", dict(output_size="3"), TypeError, "must be an int"),
    ("AdaptiveAveragePooling2D", dict(output_size=(2,)), TypeError, r"\(height, width\) tuple of 2 ints"),
    ("AdaptiveMaxPooling3D", dict(output_size=(2, 2)), TypeError, "tuple of 3 ints"),
    ("AdaptiveMaxPooling2D", dict(output_size=(0, 2)), ValueError, "positive int"),
    ("AdaptiveAveragePooling2D", dict(output_size=2, data_format="nhwc"), ValueError, "invalid data_format"),
]


@pytest.mark.parametrize("name,kwargs,error,match", ERRORS)
def test_adaptive_pooling_argument_errors_match_keras_kinds(keras, name, kwargs, error, match):
    with pytest.raises(error, match=match):
        getattr(layers, name)(**kwargs)
    if kwargs.get("output_size") != (0, 2):           # Keras accepts a zero size and fails later
        with pytest.raises(error):
            getattr(keras.layers, name)(**kwargs)


def test_adaptive_pooling_rank_error():
    with pytest.raises(ValueError, match=r"expects inputs of rank 4.*\(None, 5, 3\)"):
        layers.AdaptiveMaxPooling2D(2)(torch.zeros(2, 5, 3))
