"""The model functions' argument errors against real Keras', generated over every function and a table of
bad arguments; and `weights="imagenet"` offline: Keras' own cached file, or an error naming it.
"""

import importlib
import os

import pytest
import torch

import kerastorch
from kerastorch import applications

from .helpers import PART_A_MODELS

keras = pytest.importorskip("keras")

# Keras' smallest input side per module (its obtain_input_shape min_size).
MIN_SIZE = {"vgg16": 32, "vgg19": 32, "resnet": 32, "resnet_v2": 32, "densenet": 32, "xception": 71,
            "inception_v3": 75, "inception_resnet_v2": 75}


def _cases(module, existing_file):
    small = MIN_SIZE[module] - 1
    ok = MIN_SIZE[module]
    return [
        ({"weights": "/no/such/weights.h5"}, "weights"),
        ({"weights": "imagenet", "classes": 10}, "classes"),
        ({"weights": None, "include_top": False, "input_shape": (small, ok + 8, 3)}, f"at least {ok}x{ok}"),
        ({"weights": None, "include_top": False, "input_shape": (ok, small, 3)}, f"at least {ok}x{ok}"),
        ({"weights": None, "include_top": False, "input_shape": (ok, ok)}, "three integers"),
        ({"weights": None, "include_top": True, "input_shape": (None, None, 3)}, "static `input_shape`"),
        ({"weights": "imagenet", "include_top": True, "input_shape": (ok, ok, 3)}, "`input_shape` should be"),
        ({"weights": "imagenet", "include_top": False, "input_shape": (ok, ok, 1)}, "3 channels"),
        ({"weights": existing_file, "include_top": True, "input_shape": (ok, ok, 3),
          "classifier_activation": "relu"}, "Only `None` and `softmax`"),
    ]


@pytest.mark.parametrize("fn", sorted(PART_A_MODELS))
def test_argument_errors_are_keras(fn, tmp_path):
    module = PART_A_MODELS[fn]
    existing = tmp_path / "any.weights.h5"
    existing.write_bytes(b"")
    for kwargs, phrase in _cases(module, str(existing)):
        if "classifier_activation" in kwargs and fn != "VGG16":
            continue      # raised only once the graph is built: one family (the cheapest) is enough
        keras.backend.clear_session(free_memory=False)
        with pytest.raises(ValueError) as theirs:
            getattr(keras.applications, fn)(**kwargs)
        with torch.device("meta"), pytest.raises(ValueError) as ours:
            getattr(applications, fn)(**kwargs)
        assert phrase in str(theirs.value), (kwargs, str(theirs.value))
        assert phrase in str(ours.value), (kwargs, str(ours.value))


@pytest.mark.parametrize("fn", sorted(PART_A_MODELS))
def test_an_unknown_pooling_is_refused_not_ignored(fn):
    # Keras treats any pooling other than "avg"/"max" as None; kerastorch refuses it (a typo would
    # otherwise return the 4-D feature map silently).
    with pytest.raises(ValueError, match=r"`pooling` must be None.*'avg' or 'max'.*pooling='average'"):
        getattr(applications, fn)(weights=None, include_top=False, pooling="average")


def test_densenet_refuses_channels_first_as_keras():
    from keras.src import backend as keras_backend

    before_k, before_o = keras_backend.image_data_format(), kerastorch.config.image_data_format()
    keras_backend.set_image_data_format("channels_first")
    kerastorch.config.set_image_data_format("channels_first")
    try:
        for fn in ("DenseNet121", "DenseNet169", "DenseNet201"):
            with pytest.raises(ValueError, match="channels_first"):
                getattr(keras.applications, fn)(weights=None)
            with pytest.raises(ValueError, match="does not support the `channels_first`.*channels_last"):
                getattr(applications, fn)(weights=None)
    finally:
        keras_backend.set_image_data_format(before_k)
        kerastorch.config.set_image_data_format(before_o)


def _keras_weights_url(fn, include_top):
    """Keras' download URL of the ImageNet file, from the constants of Keras' own modules."""
    src = importlib.import_module(f"keras.src.applications.{PART_A_MODELS[fn]}")
    suffix = "" if include_top else "_notop"
    if fn.startswith("ResNet"):     # resnet_v2 builds with resnet's ResNet(), which holds the URL
        src = importlib.import_module("keras.src.applications.resnet")
        return f"{src.BASE_WEIGHTS_PATH}{fn.lower()}_weights_tf_dim_ordering_tf_kernels{suffix}.h5"
    if fn.startswith("DenseNet"):
        return getattr(src, f"{fn.upper()}_WEIGHT_PATH{'' if include_top else '_NO_TOP'}")
    if fn == "InceptionResNetV2":
        return f"{src.BASE_WEIGHT_URL}inception_resnet_v2_weights_tf_dim_ordering_tf_kernels{suffix}.h5"
    return src.WEIGHTS_PATH if include_top else src.WEIGHTS_PATH_NO_TOP


_OFFLINE = [(fn, False) for fn in sorted(PART_A_MODELS)] + [("VGG19", True), ("ResNet152V2", True),
                                                             ("InceptionV3", True)]


@pytest.mark.parametrize("fn,include_top", _OFFLINE)
def test_imagenet_weights_absent_from_the_cache_name_the_file_its_url_and_the_folder(fn, include_top, tmp_path,
                                                                                    monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    url = _keras_weights_url(fn, include_top)
    name = os.path.basename(url)
    size = MIN_SIZE[PART_A_MODELS[fn]]
    kwargs = {} if include_top else {"include_top": False, "input_shape": (size, size, 3)}
    with torch.device("meta"), pytest.raises(ValueError) as error:
        getattr(applications, fn)(weights="imagenet", **kwargs)
    message = str(error.value)
    assert f"'{name}'" in message and url in message
    assert os.path.join(str(tmp_path), "models") in message and "does not download" in message
