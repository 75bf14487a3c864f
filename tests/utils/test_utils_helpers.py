"""The rest of `kerastorch.utils`: Config, pack/unpack, the custom-object registry, legacy serialization,
get_source_inputs, the re-exports, model_to_dot, FeatureSpace and audio_dataset_from_directory."""

import importlib.util
import wave

import numpy as np
import pytest
import torch

import kerastorch
from kerastorch import layers, utils


def _script(config_cls):
    """The same operations on a Keras or kerastorch Config; returns what each step observed."""
    seen = []
    c = config_cls(learning_rate=0.1, momentum=0.9)
    c.use_ema = True
    c["seed"] = 123
    seen += [c.learning_rate, c["use_ema"], c.get("missing", 5), sorted(c), len(c), "seed" in c, c.as_dict(),
             c.to_json(), list(c.keys()), list(c.values()), list(c.items())]
    seen.append(c.pop("seed"))
    c.update(extra=1)
    del c["extra"]
    try:
        c.lerning_rate
    except AttributeError as e:
        seen.append(str(e))
    c.freeze()
    seen.append(c.frozen)
    for change in (lambda: setattr(c, "x", 1), lambda: c.__setitem__("x", 1), lambda: c.pop("momentum"),
                   lambda: c.update(a=1), lambda: c.__delitem__("momentum")):
        try:
            change()
            seen.append("changed")
        except ValueError as e:
            seen.append(str(e))
    c.unfreeze()
    c.z = 3
    seen.append(c.as_dict())
    return seen


def test_config_behaves_as_keras(keras):
    assert _script(utils.Config) == _script(keras.utils.Config)


PACK_CASES = [("x",), ("x", "y"), ("x", "y", "w"), ([1, 2],), ((1, 2),), ((1, 2), "y"), ("x", None, "w")]
UNPACK_CASES = ["x", ("x",), ("x", "y"), ["x", "y", "w"], (("a", "b"), "y"), {"a": 1}]


def test_pack_and_unpack_equal_keras(keras):
    for args in PACK_CASES:
        assert utils.pack_x_y_sample_weight(*args) == keras.utils.pack_x_y_sample_weight(*args)
    for data in UNPACK_CASES:
        assert utils.unpack_x_y_sample_weight(data) == keras.utils.unpack_x_y_sample_weight(data)
    for bad in [(), (1, 2, 3, 4)]:
        with pytest.raises(ValueError):
            keras.utils.unpack_x_y_sample_weight(bad)
        with pytest.raises(ValueError, match=r"\(x, y, sample_weight\)"):
            utils.unpack_x_y_sample_weight(bad)


def test_custom_object_registry_and_scopes():
    def scaled(x):
        return 3 * x

    registry = utils.get_custom_objects()
    assert registry is kerastorch.saving.serialization._GLOBAL_CUSTOM_OBJECTS
    registry["scaled_fn"] = scaled
    try:
        assert utils.get_registered_object("scaled_fn") is scaled
    finally:
        del registry["scaled_fn"]
    assert utils.get_registered_object("scaled_fn") is None

    @utils.register_keras_serializable(package="UtilsTest")
    def shifted(x):
        return x + 1

    assert utils.get_registered_name(shifted) == "UtilsTest>shifted"
    assert utils.get_custom_objects()["UtilsTest>shifted"] is shifted
    with utils.custom_object_scope({"alias": scaled}):
        assert utils.get_registered_object("alias") is scaled
    assert utils.CustomObjectScope is utils.custom_object_scope
    dense = utils.deserialize_keras_object(utils.serialize_keras_object(layers.Dense(3, activation="relu")))
    assert isinstance(dense, layers.Dense) and dense.units == 3


def test_legacy_serialization_matches_keras_form(keras):
    ours = utils.legacy.serialize_keras_object(layers.Dense(4, name="d"))
    theirs = keras.utils.legacy.serialize_keras_object(keras.layers.Dense(4, name="d"))
    assert set(ours) == set(theirs) == {"class_name", "config"}
    assert ours["class_name"] == theirs["class_name"] == "Dense"
    assert ours["config"]["units"] == theirs["config"]["units"] == 4
    restored = utils.legacy.deserialize_keras_object(theirs, module_objects={"Dense": layers.Dense})
    assert isinstance(restored, layers.Dense) and restored.units == 4 and restored.name == "d"
    assert utils.legacy.serialize_keras_object(None) is None
    assert isinstance(utils.legacy.deserialize_keras_object("Flatten", module_objects={"Flatten": layers.Flatten}),
                      layers.Flatten)
    with pytest.raises(ValueError, match="Unknown layer: 'Conv9D'.*custom_objects"):
        utils.legacy.deserialize_keras_object({"class_name": "Conv9D", "config": {}}, module_objects={},
                                              printable_module_name="layer")
    with pytest.raises(ValueError, match="'class_name' and 'config'"):
        utils.legacy.deserialize_keras_object({"config": {}})
    with pytest.raises(ValueError, match="get_config"):
        utils.legacy.serialize_keras_object(object())


def test_reexports_are_the_same_objects():
    assert utils.Sequence is utils.PyDataset
    assert utils.standardize_dtype is kerastorch.backend.standardize_dtype
    assert utils.standardize_dtype("int") == "int32"   # Keras maps "int" to int32
    assert utils.is_keras_tensor is kerastorch.backend.is_keras_tensor
    assert utils.is_keras_tensor(kerastorch.Input(shape=(2,))) and not utils.is_keras_tensor(torch.ones(2))
    for name in ("disable_interactive_logging", "enable_interactive_logging", "is_interactive_logging_enabled"):
        assert getattr(utils, name) is getattr(kerastorch.config, name)
    assert kerastorch.preprocessing.image_dataset_from_directory is utils.image_dataset_from_directory
    assert kerastorch.preprocessing.timeseries_dataset_from_array is utils.timeseries_dataset_from_array


def test_get_source_inputs():
    x = kerastorch.Input(shape=(3,))
    assert utils.get_source_inputs(x) == [x]
    plain = torch.ones(2)
    assert utils.get_source_inputs(plain) is plain      # Keras returns a non-symbolic object as it is

    class Node:                                          # Keras' graph protocol, as a Functional model keeps it
        def __init__(self, inputs, outputs, is_input):
            self.input_tensors, self.output_tensors, self.is_input = inputs, outputs, is_input

    class Op:
        def __init__(self, node):
            self._inbound_nodes = [node]

    a, b = kerastorch.Input(shape=(1,)), kerastorch.Input(shape=(1,))
    a._keras_history = (Op(Node([], [a], True)), 0, 0)
    b._keras_history = (Op(Node([], [b], True)), 0, 0)
    mid, out = kerastorch.KerasTensor((None, 1)), kerastorch.KerasTensor((None, 1))
    mid._keras_history = (Op(Node([a, b], [mid], False)), 0, 0)
    out._keras_history = (Op(Node([mid, a], [out], False)), 0, 0)
    assert utils.get_source_inputs(out) == [a, b]


def test_model_to_dot():
    model = kerastorch.Sequential([layers.Input(shape=(4,)), layers.Dense(2, activation="relu", name="head")])
    if importlib.util.find_spec("pydot") is None:
        with pytest.raises(ImportError, match=r"pip install pydot.*plot_model\(model, 'model.dot'\)"):
            utils.model_to_dot(model)
    else:
        dot = utils.model_to_dot(model, show_shapes=True, show_layer_activations=True)
        text = dot.to_string()
        assert "head" in text and "(None, 2)" in text and "relu" in text
    with pytest.raises(NotImplementedError, match="expand_nested"):
        utils.model_to_dot(model, expand_nested=True)


def test_feature_space_is_refused_with_alternatives():
    for make in (lambda: utils.FeatureSpace(features={"a": "float"}), lambda: utils.FeatureSpace.float()):
        with pytest.raises(NotImplementedError, match="needs TensorFlow.*scikit-learn"):
            make()


def _write_wav(path, samples, rate=8000, channels=1):
    with wave.open(str(path), "wb") as f:
        f.setnchannels(channels)
        f.setsampwidth(2)
        f.setframerate(rate)
        f.writeframes(np.asarray(samples, dtype="<i2").tobytes())


@pytest.fixture
def wav_tree(tmp_path):
    root = tmp_path / "audio"
    clips = {"dog/a.wav": [0, 16384, -32768], "dog/b.wav": [100, -100], "cat/c.wav": [1, 2, 3, 4, 5],
             "cat/d.wav": [-16384]}
    for rel, samples in clips.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        _write_wav(root / rel, samples)
    (root / "cat" / "notes.txt").write_text("not audio")
    return root, clips


def test_audio_dataset_reads_wav_as_keras_does(keras, wav_tree):
    from keras.src.utils.dataset_utils import index_directory

    root, clips = wav_tree
    paths, labels, names = index_directory(str(root), "inferred", formats=(".wav",), shuffle=False, verbose=False)
    loader = utils.audio_dataset_from_directory(str(root), batch_size=3, shuffle=False, verbose=False)
    assert loader.class_names == names == ["cat", "dog"] and loader.file_paths == list(paths)
    audio, ids = next(iter(loader))
    # tf.audio.decode_wav: int16 / 32768 as float32, (samples, channels); padded_batch pads with zeros
    expected = np.zeros((3, 5, 1), "float32")
    for i, p in enumerate(paths[:3]):
        values = clips[p[len(str(root)) + 1:]]
        expected[i, :len(values), 0] = np.asarray(values, "float32") / 32768
    np.testing.assert_array_equal(audio.numpy(), expected)
    assert ids.dtype == torch.int32 and ids.tolist() == list(labels[:3])
    fixed = utils.audio_dataset_from_directory(str(root), batch_size=None, shuffle=False, output_sequence_length=2,
                                               label_mode="categorical", verbose=False)
    clip, onehot = next(iter(fixed))
    assert clip.shape == (2, 1) and onehot.tolist() == [1.0, 0.0]


def test_audio_dataset_refuses_what_needs_tensorflow(wav_tree):
    root, _ = wav_tree
    with pytest.raises(NotImplementedError, match="ragged.*output_sequence_length"):
        utils.audio_dataset_from_directory(str(root), ragged=True)
    with pytest.raises(NotImplementedError, match="tensorflow_io.*Resample"):
        utils.audio_dataset_from_directory(str(root), sampling_rate=16000)
    with pytest.raises(ValueError, match="not both"):
        utils.audio_dataset_from_directory(str(root), ragged=True, output_sequence_length=4)
