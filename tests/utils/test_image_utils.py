"""`load_img`, `img_to_array`, `array_to_img`, `save_img` and `smart_resize` equal real Keras' over tables
of images and arguments (Keras' versions need only Pillow, and its torch backend for `smart_resize`)."""

import io
import itertools

import numpy as np
import pytest
import torch

from kerastorch import preprocessing, utils

RNG = np.random.default_rng(0)
ARRAYS = {"rgb": RNG.uniform(-1, 3, (5, 7, 3)), "rgba": RNG.uniform(0, 1, (6, 4, 4)),
          "gray": RNG.uniform(0, 200, (5, 5, 1)), "gray16": RNG.uniform(0, 4000, (4, 6, 1)),
          "flat": np.full((3, 3, 3), 7.0), "chw": RNG.uniform(0, 1, (3, 5, 6))}


def test_array_to_img_and_back_equal_keras(keras):
    checked = 0
    for (name, x), scale, dtype in itertools.product(ARRAYS.items(), [True, False], [None, "float64"]):
        fmt = "channels_first" if name == "chw" else "channels_last"
        if not scale and name == "gray16":
            continue
        ours = utils.array_to_img(x, data_format=fmt, scale=scale, dtype=dtype)
        theirs = keras.utils.array_to_img(x, data_format=fmt, scale=scale, dtype=dtype)
        assert ours.mode == theirs.mode and ours.size == theirs.size
        np.testing.assert_array_equal(np.asarray(ours), np.asarray(theirs))
        for back_fmt, back_dtype in itertools.product(["channels_last", "channels_first"], [None, "uint8"]):
            a = utils.img_to_array(theirs, data_format=back_fmt, dtype=back_dtype)
            b = keras.utils.img_to_array(theirs, data_format=back_fmt, dtype=back_dtype)
            assert a.dtype == b.dtype
            np.testing.assert_array_equal(a, b)
        checked += 1
    assert checked >= 20


@pytest.fixture
def image_files(tmp_path, keras):
    files = {}
    for name, shape in [("wide.png", (6, 10, 3)), ("tall.png", (11, 5, 3)), ("alpha.png", (7, 7, 4)),
                        ("gray.png", (8, 9, 1)), ("photo.jpg", (9, 12, 3))]:
        keras.utils.save_img(str(tmp_path / name), RNG.uniform(0, 255, shape))
        files[name] = tmp_path / name
    return files


def test_load_img_equals_keras(keras, image_files):
    checked = 0
    options = [dict(), dict(target_size=(4, 4)), dict(target_size=(5, 9), interpolation="bilinear"),
               dict(target_size=(6, 3), interpolation="bicubic", keep_aspect_ratio=True),
               dict(target_size=(4, 8), interpolation="lanczos", keep_aspect_ratio=True),
               dict(target_size=(3, 3), interpolation="box"), dict(target_size=(7, 2), interpolation="hamming")]
    for path, mode, opts in itertools.product(image_files.values(), ["rgb", "rgba", "grayscale"], options):
        for source in (str(path), path, io.BytesIO(path.read_bytes())):
            ours = utils.load_img(source, color_mode=mode, **opts)
            theirs = keras.utils.load_img(io.BytesIO(path.read_bytes()) if isinstance(source, io.BytesIO)
                                          else source, color_mode=mode, **opts)
            assert ours.mode == theirs.mode and ours.size == theirs.size
            np.testing.assert_array_equal(np.asarray(ours), np.asarray(theirs))
            checked += 1
    assert checked == 5 * 3 * len(options) * 3


@pytest.mark.filterwarnings("ignore:.*JPEG:UserWarning")
def test_save_img_writes_what_keras_writes(keras, tmp_path):
    for name, x in ARRAYS.items():
        fmt = "channels_first" if name == "chw" else "channels_last"
        for ext in ("png", "jpg"):
            if name.startswith("gray16") and ext == "jpg":
                continue
            ours, theirs = tmp_path / f"o_{name}.{ext}", tmp_path / f"k_{name}.{ext}"
            utils.save_img(str(ours), x, data_format=fmt)
            keras.utils.save_img(str(theirs), x, data_format=fmt)
            np.testing.assert_array_equal(np.asarray(keras.utils.load_img(str(ours), color_mode="rgba")),
                                          np.asarray(keras.utils.load_img(str(theirs), color_mode="rgba")))
    buffer = io.BytesIO()
    utils.save_img(buffer, ARRAYS["rgb"], file_format="png")
    assert buffer.getvalue()[:4] == b"\x89PNG"


def test_smart_resize_equals_keras(keras):
    from keras.src.utils.image_utils import smart_resize as keras_smart_resize

    checked = 0
    images = {"float32": RNG.uniform(0, 255, (2, 9, 14, 3)).astype("float32"),
              "float64": RNG.uniform(0, 1, (13, 6, 2)),
              "uint8": RNG.integers(0, 256, (2, 10, 7, 1)).astype("uint8")}
    for (name, x), size, interpolation, fmt in itertools.product(
            images.items(), [(5, 5), (8, 3), (12, 20)], ["bilinear", "nearest", "bicubic"],
            ["channels_last", "channels_first"]):
        theirs = keras_smart_resize(x, size, interpolation=interpolation, data_format=fmt)
        ours = preprocessing.image.smart_resize(x, size, interpolation=interpolation, data_format=fmt)
        assert isinstance(ours, np.ndarray) and ours.dtype == theirs.dtype and ours.shape == theirs.shape
        np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=1e-6 if name != "uint8" else 0)
        checked += 1
    assert checked == 54
    as_tensor = preprocessing.image.smart_resize(torch.ones(4, 6, 3), (2, 2))
    assert isinstance(as_tensor, torch.Tensor) and tuple(as_tensor.shape) == (2, 2, 3)


def test_image_errors_say_what_to_do(tmp_path):
    with pytest.raises(ValueError, match=r"rank 3.*\(2, 4, 4, 3\).*array_to_img\(batch\[i\]\)"):
        utils.array_to_img(np.zeros((2, 4, 4, 3)))
    with pytest.raises(ValueError, match="1, 3 or 4 channels, got 2"):
        utils.array_to_img(np.zeros((4, 4, 2)))
    with pytest.raises(TypeError, match="io.BytesIO, got int"):
        utils.load_img(3)
    utils.save_img(str(tmp_path / "a.png"), np.zeros((4, 4, 3)))
    with pytest.raises(ValueError, match="color_mode.*'cmyk'"):
        utils.load_img(str(tmp_path / "a.png"), color_mode="cmyk")
    with pytest.raises(ValueError, match="unknown interpolation='area'"):
        utils.load_img(str(tmp_path / "a.png"), target_size=(2, 2), interpolation="area")
    with pytest.raises(ValueError, match="lanczos3.*not supported on torch.*bicubic"):
        utils.image_utils.smart_resize(np.zeros((4, 4, 3)), (2, 2), interpolation="lanczos3")
    with pytest.warns(UserWarning, match="JPEG has no alpha"):
        utils.save_img(str(tmp_path / "b.jpg"), np.zeros((4, 4, 4)))
