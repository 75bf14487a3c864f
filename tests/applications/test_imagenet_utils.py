"""`applications.imagenet_utils` and every family's `preprocess_input`/`decode_predictions` against real Keras.

Generated over the modes, data formats, ranks and dtypes (numpy and torch), with Keras' quirks
(a float numpy array is written over; integer tensors keep their dtype in "caffe" mode); and
Keras' helpers `obtain_input_shape`, `validate_activation`, `correct_pad` over tables of cases.
"""

import itertools
import json
import warnings

import numpy as np
import pytest
import torch

import kerastorch
from kerastorch import applications
from kerastorch.applications import imagenet_utils

from .helpers import PART_A_MODELS

keras = pytest.importorskip("keras")
from keras.src.applications import imagenet_utils as keras_utils  # noqa: E402

MODES = ("caffe", "tf", "torch")
FORMATS = ("channels_last", "channels_first")


def _images(data_format, ndim, dtype, seed=0):
    shape = {("channels_last", 3): (4, 5, 3), ("channels_last", 4): (2, 4, 5, 3),
             ("channels_first", 3): (3, 4, 5), ("channels_first", 4): (2, 3, 4, 5)}[(data_format, ndim)]
    return np.random.RandomState(seed).uniform(0, 255, shape).astype(dtype)


@pytest.mark.parametrize("mode,data_format,ndim,dtype",
                         list(itertools.product(MODES, FORMATS, (3, 4), ("uint8", "int32", "float32", "float64"))))
def test_numpy_preprocessing_is_keras_quirks_included(mode, data_format, ndim, dtype):
    base = _images(data_format, ndim, dtype)
    theirs_in, ours_in = base.copy(), base.copy()
    theirs = keras_utils.preprocess_input(theirs_in, data_format=data_format, mode=mode)
    ours = imagenet_utils.preprocess_input(ours_in, data_format=data_format, mode=mode)
    assert isinstance(ours, np.ndarray) and ours.dtype == theirs.dtype and ours.shape == theirs.shape
    np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=1e-5)
    np.testing.assert_array_equal(ours_in, theirs_in)           # written over exactly as Keras does
    assert np.shares_memory(ours, ours_in) == np.shares_memory(theirs, theirs_in)


@pytest.mark.parametrize("mode,data_format,ndim,dtype",
                         list(itertools.product(MODES, FORMATS, (3, 4), ("float32", "float64", "int32"))))
def test_tensor_preprocessing_is_keras(mode, data_format, ndim, dtype):
    base = torch.from_numpy(_images(data_format, ndim, "float64")).to(getattr(torch, dtype))
    theirs_in, ours_in = base.clone(), base.clone()
    if dtype == "int32" and mode != "caffe":
        with pytest.raises(RuntimeError):           # Keras: torch's in-place division of an int tensor
            keras_utils.preprocess_input(theirs_in, data_format=data_format, mode=mode)
        with pytest.raises(TypeError, match="float tensor.*ops.cast"):
            imagenet_utils.preprocess_input(ours_in, data_format=data_format, mode=mode)
        return
    theirs = keras_utils.preprocess_input(theirs_in, data_format=data_format, mode=mode)
    ours = imagenet_utils.preprocess_input(ours_in, data_format=data_format, mode=mode)
    assert isinstance(ours, torch.Tensor) and ours.dtype == theirs.dtype and ours.shape == theirs.shape
    torch.testing.assert_close(ours, theirs, rtol=1e-6, atol=1e-5)
    torch.testing.assert_close(ours_in, theirs_in)              # in place where Keras divides in place


@pytest.mark.parametrize("mode,data_format", list(itertools.product(MODES, FORMATS)))
def test_symbolic_preprocessing_builds_the_same_model_as_keras(mode, data_format):
    shape = (4, 5, 3) if data_format == "channels_last" else (3, 4, 5)
    k_in = keras.Input(shape)
    kmodel = keras.Model(k_in, keras_utils.preprocess_input(k_in, data_format=data_format, mode=mode))
    o_in = kerastorch.Input(shape)
    ours = kerastorch.Model(o_in, imagenet_utils.preprocess_input(o_in, data_format=data_format, mode=mode))
    x = _images(data_format, 4, "float32")
    np.testing.assert_allclose(ours.predict(x, verbose=0), np.asarray(kmodel.predict(x, verbose=0)), rtol=1e-6,
                               atol=1e-5)


@pytest.mark.parametrize("module", sorted(set(PART_A_MODELS.values())))
def test_each_family_preprocesses_as_its_keras_module(module):
    for data_format in FORMATS:
        x = _images(data_format, 4, "uint8")
        theirs = getattr(keras.applications, module).preprocess_input(x.copy(), data_format=data_format)
        ours = getattr(applications, module).preprocess_input(x.copy(), data_format=data_format)
        np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=1e-5)


@pytest.mark.parametrize("kwargs,match", [({"mode": "pytorch"}, "mode"), ({"data_format": "NHWC"}, "data_format")])
def test_unknown_mode_or_format_is_refused_as_keras(kwargs, match):
    x = _images("channels_last", 4, "float32")
    with pytest.raises(ValueError, match=match):
        keras_utils.preprocess_input(x.copy(), **kwargs)
    with pytest.raises(ValueError, match=f"{match}.*Received: {match}="):
        imagenet_utils.preprocess_input(x.copy(), **kwargs)


def test_images_without_three_channels_or_of_the_wrong_kind_say_what_to_do():
    with pytest.raises(ValueError, match="3 colour channels.*data_format"):
        imagenet_utils.preprocess_input(np.zeros((2, 4, 4, 1)))
    with pytest.raises(TypeError, match="numpy array or a tensor.*np.asarray"):
        imagenet_utils.preprocess_input([[[1.0, 2.0, 3.0]]])


@pytest.fixture
def class_index(tmp_path, monkeypatch):
    """A class index file in Keras' format in a fresh KERAS_HOME; Keras' own decoder gets the same table."""
    index = {str(i): [f"n{i:08d}", f"class_{i}"] for i in range(1000)}
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "imagenet_class_index.json").write_text(json.dumps(index))
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    monkeypatch.setattr(imagenet_utils, "_CLASS_INDEX", None)
    monkeypatch.setattr(keras_utils, "CLASS_INDEX", index)     # Keras would download and hash-check its file
    return index


@pytest.mark.parametrize("top", [1, 3, 5])
def test_decode_predictions_is_keras(class_index, top):
    preds = np.random.RandomState(top).dirichlet(np.ones(1000), size=3).astype("float32")
    preds[1, [10, 20]] = preds[1].max() + 0.5             # a tie at the top
    theirs = keras_utils.decode_predictions(preds, top=top)
    for given in (preds, torch.from_numpy(preds)):
        ours = imagenet_utils.decode_predictions(given, top=top)
        assert ours == theirs
        assert all(type(score) is type(want[2]) for row, wrow in zip(ours, theirs) for (*_, score), want in
                   zip(row, wrow))
    for module in sorted(set(PART_A_MODELS.values())):
        assert getattr(applications, module).decode_predictions(preds, top=top) == theirs


@pytest.mark.parametrize("shape", [(2, 10), (1000,), (2, 1000, 1)])
def test_decode_predictions_refuses_other_shapes_as_keras(shape):
    preds = np.zeros(shape, dtype="float32")
    with pytest.raises(ValueError) as theirs:
        keras_utils.decode_predictions(preds)
    with pytest.raises(ValueError) as ours:
        imagenet_utils.decode_predictions(preds)
    assert str(ours.value) == str(theirs.value)


def test_decode_predictions_without_the_class_index_file_says_where_to_put_it(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "home"))
    monkeypatch.setattr(imagenet_utils, "_CLASS_INDEX", None)
    expected = (r"'imagenet_class_index\.json'.*" + str(tmp_path / "home" / "models").replace("/", r"\/")
                + r".*https://storage\.googleapis\.com/download\.tensorflow\.org/data/imagenet_class_index\.json")
    with pytest.raises(ValueError, match=expected):
        imagenet_utils.decode_predictions(np.zeros((1, 1000), dtype="float32"))


_SHAPE_CASES = [
    # input_shape, default_size, min_size, data_format, require_flatten, weights
    (None, 224, 32, "channels_last", False, None), (None, 224, 32, "channels_last", True, None),
    (None, 224, 32, "channels_first", False, None), (None, 299, 75, "channels_first", True, "imagenet"),
    ((64, 64, 3), 224, 32, "channels_last", True, None), ((64, 64, 3), 224, 32, "channels_last", True, "imagenet"),
    ((224, 224, 3), 224, 32, "channels_last", True, "imagenet"), ((64, 64, 3), 224, 32, "channels_last", False,
                                                                  "imagenet"),
    ((31, 64, 3), 224, 32, "channels_last", False, None), ((64, 20, 3), 224, 32, "channels_last", False, None),
    ((3, 74, 80), 299, 75, "channels_first", False, None), ((3, 75, 75), 299, 75, "channels_first", False, None),
    ((64, 64, 1), 224, 32, "channels_last", False, "imagenet"), ((64, 64, 1), 224, 32, "channels_last", False, None),
    ((64, 64, 5), 224, 32, "channels_last", False, None), ((5, 64, 64), 224, 32, "channels_first", False, None),
    ((None, None, 3), 224, 32, "channels_last", True, None), ((None, None, 3), 224, 32, "channels_last", False,
                                                              None),
    ((64, 64), 224, 32, "channels_last", False, None), ((1, 64, 64, 3), 224, 32, "channels_last", False, None),
    ([64, 64, 3], 224, 32, "channels_last", False, None),
]


@pytest.mark.parametrize("case", _SHAPE_CASES, ids=[str(c) for c in _SHAPE_CASES])
def test_obtain_input_shape_is_keras(case):
    def run(fn):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                result = fn(*case[:5], weights=case[5])
            except ValueError as e:
                result = ("ValueError", str(e).split(";")[0].split(".")[0])
        return result, [str(w.message) for w in caught]

    theirs, their_warnings = run(keras_utils.obtain_input_shape)
    ours, our_warnings = run(imagenet_utils.obtain_input_shape)
    if isinstance(theirs, list):        # Keras returns a list input_shape unchanged
        theirs = tuple(theirs)
    assert ours == theirs
    assert our_warnings == their_warnings


@pytest.mark.parametrize("activation,weights", list(itertools.product(
    ["softmax", None, "linear", "relu", "sigmoid"], [None, "imagenet", "/some/file.h5"])))
def test_validate_activation_is_keras(activation, weights):
    try:
        keras_utils.validate_activation(activation, weights)
        raised = False
    except ValueError:
        raised = True
    if raised:
        with pytest.raises(ValueError, match="Only `None` and `softmax` activations are allowed"):
            imagenet_utils.validate_activation(activation, weights)
    else:
        imagenet_utils.validate_activation(activation, weights)


@pytest.mark.parametrize("size,kernel", list(itertools.product([(32, 32), (33, 33), (32, 33), (None, None)],
                                                               [3, 5, (3, 5)])))
def test_correct_pad_is_keras(size, kernel):
    assert imagenet_utils.correct_pad(kerastorch.Input((*size, 3)), kernel) == \
        keras_utils.correct_pad(keras.Input((*size, 3)), kernel)
