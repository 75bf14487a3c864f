"""CategoryEncoding, Discretization, StringLookup, IntegerLookup, Hashing and HashedCrossing.

Oracles: real Keras where its layer runs without TensorFlow (CategoryEncoding; Discretization's
call and its pure-numpy adapt pieces), Keras' own docstring examples (the lookup and hashing
layers need TensorFlow in Keras), the `pyfarmhash` package and published SipHash-2-4 vectors
for the hashes, and counts/sorts written here from Keras' documented rules.
"""

import collections
import math
import zipfile

import numpy as np
import pytest
import torch

import kerastorch
from kerastorch import layers
from kerastorch.layers.lookup import _hashes


# ---------------------------------------------------------------- CategoryEncoding vs Keras
_INT_INPUTS = {
    "scalar": np.array(2),
    "vector": np.array([3, 2, 0, 1]),
    "column": np.array([[3], [2], [0], [1]]),
    "matrix": np.array([[0, 1, 1], [2, 3, 3]]),
}
_CE_CASES = [(mode, inp) for mode in ("one_hot", "multi_hot", "count") for inp in _INT_INPUTS
             if not (mode == "one_hot" and inp == "scalar")]


@pytest.mark.parametrize("mode,inp", _CE_CASES)
def test_category_encoding_matches_keras(keras, mode, inp):
    x = _INT_INPUTS[inp]
    ours, theirs = layers.CategoryEncoding(4, output_mode=mode), keras.layers.CategoryEncoding(4, output_mode=mode)
    want = keras.ops.convert_to_numpy(theirs(x))
    got = ours(x)
    assert got.dtype == torch.float32
    np.testing.assert_array_equal(got.numpy(), want)
    assert ours.compute_output_shape(x.shape) == tuple(theirs.compute_output_shape(x.shape))
    assert {k: v for k, v in ours.get_config().items() if k != "name"} == \
        {k: v for k, v in theirs.get_config().items() if k != "name"}


def test_category_encoding_count_weights_match_keras(keras):
    x, w = np.array([[0, 1, 1], [2, 3, 3]]), np.array([[0.5, 1.0, 2.0], [1.0, 0.25, 0.25]], "float32")
    want = keras.ops.convert_to_numpy(keras.layers.CategoryEncoding(4, "count")(x, count_weights=w))
    np.testing.assert_allclose(layers.CategoryEncoding(4, "count")(x, count_weights=w).numpy(), want)
    with pytest.raises(ValueError, match="count_weights"):
        layers.CategoryEncoding(4, "one_hot")(x, count_weights=w)


@pytest.mark.parametrize("kwargs,match", [(dict(num_tokens=None), "num_tokens"), (dict(num_tokens=0), ">= 1"),
                                          (dict(num_tokens=3, output_mode="hot"), "output_mode"),
                                          (dict(num_tokens=3, sparse=True), "sparse")])
def test_category_encoding_refuses_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        layers.CategoryEncoding(**kwargs)


# ---------------------------------------------------------------- Discretization vs Keras
_RNG = np.random.default_rng(0)
_DATA = {"uniform": _RNG.uniform(-2, 5, (200, 3)).astype("float32"),
         "normal_small": _RNG.standard_normal((37,)).astype("float32"),
         "ties": np.repeat(np.arange(10.0, dtype="float32"), 7).reshape(-1, 1)}


@pytest.mark.parametrize("data", sorted(_DATA))
@pytest.mark.parametrize("num_bins,epsilon,batches", [(4, 0.01, 1), (5, 0.1, 3), (3, 0.05, 2)])
def test_discretization_adapt_equals_keras_quantiles(keras, data, num_bins, epsilon, batches):
    x = _DATA[data]
    chunks = np.array_split(x, batches)
    theirs = keras.layers.Discretization(num_bins=num_bins, epsilon=epsilon)
    # Keras' adapt() checks for tf.data first (needs TF); its update/finalize steps are numpy.
    theirs.reset_state()
    for c in chunks:
        theirs.update_state(c)
    theirs.finalize_state()
    ours = layers.Discretization(num_bins=num_bins, epsilon=epsilon)
    ours.adapt(chunks if batches > 1 else x)
    np.testing.assert_allclose(ours.bin_boundaries, theirs.bin_boundaries, rtol=0, atol=0)
    np.testing.assert_array_equal(ours(x).numpy(), keras.ops.convert_to_numpy(theirs(x)))
    assert ours.get_config() | {"name": None} == theirs.get_config() | {"name": None}


@pytest.mark.parametrize("mode", ["int", "one_hot", "multi_hot", "count"])
@pytest.mark.parametrize("shape", [(6,), (6, 1), (3, 2)])
def test_discretization_outputs_match_keras(keras, mode, shape):
    x = np.array([-1.5, 1.0, 3.4, 0.5, 0.0, 2.0], "float32").reshape(shape)
    kw = dict(bin_boundaries=[0.0, 1.0, 2.0], output_mode=mode)
    want = keras.ops.convert_to_numpy(keras.layers.Discretization(**kw)(x))
    got = layers.Discretization(**kw)(x)
    assert str(got.dtype).split(".")[-1] == str(want.dtype)
    np.testing.assert_array_equal(got.numpy(), want)
    assert layers.Discretization(**kw).compute_output_shape((None, *shape[1:])) == \
        tuple(keras.layers.Discretization(**kw).compute_output_shape((None, *shape[1:])))


def test_discretization_docstring_example_and_errors():
    out = layers.Discretization(bin_boundaries=[0.0, 1.0, 2.0])([[-1.5, 1.0, 3.4, 0.5], [0.0, 3.0, 1.3, 0.0]])
    assert out.tolist() == [[0, 2, 3, 1], [1, 3, 2, 1]]
    with pytest.raises(ValueError, match="not both"):
        layers.Discretization(bin_boundaries=[1.0], num_bins=3)
    with pytest.raises(ValueError, match="num_bins"):
        layers.Discretization()
    with pytest.raises(ValueError, match="adapt"):
        layers.Discretization(num_bins=3)(np.zeros(2))
    with pytest.raises(ValueError, match="nothing to adapt"):
        layers.Discretization(bin_boundaries=[1.0]).adapt(np.zeros(3))


@pytest.mark.parametrize("direction", ["keras_to_ours", "ours_to_keras"])
def test_adapted_discretization_keras_file_moves_both_ways(keras, tmp_path, direction):
    x = _DATA["uniform"]
    if direction == "keras_to_ours":
        layer = keras.layers.Discretization(num_bins=4, output_mode="one_hot")
        layer.update_state(x)
        layer.finalize_state()
        model = keras.Sequential([keras.layers.Input(shape=(3,)), layer])
        model.save(tmp_path / "k.keras")
        loaded = kerastorch.models.load_model(tmp_path / "k.keras")
        want = keras.ops.convert_to_numpy(model.predict(x, verbose=0))
        np.testing.assert_array_equal(loaded.predict(x, verbose=0), want)
    else:
        layer = layers.Discretization(num_bins=4, output_mode="one_hot")
        layer.adapt(x)
        model = kerastorch.Sequential([layers.Input(shape=(3,)), layer])
        model.save(tmp_path / "t.keras")
        loaded = keras.models.load_model(tmp_path / "t.keras")
        np.testing.assert_array_equal(keras.ops.convert_to_numpy(loaded.predict(x, verbose=0)),
                                      model.predict(x, verbose=0))
    assert loaded.layers[0].bin_boundaries == layer.bin_boundaries


# ---------------------------------------------------------------- hashes
def test_fingerprint64_matches_pyfarmhash_for_every_length_path():
    farmhash = pytest.importorskip("farmhash", reason="the dev extra installs pyfarmhash, the FarmHash oracle")
    rng = np.random.default_rng(1)
    for n in list(range(0, 140)) + [200, 255, 256, 1000]:   # 0-16, 17-32, 33-64 and >64-byte paths
        data = rng.integers(0, 256, n, dtype=np.uint8).tobytes()
        assert _hashes.fingerprint64(data) == farmhash.fingerprint64(data), n
    for text in ["", "A", "hello world", "héllo wörld ✓", "x" * 70]:
        assert _hashes.fingerprint64(text) == farmhash.fingerprint64(text.encode("utf-8")), text


def test_published_hash_vectors():
    # FarmHash: the empty string hashes to k2 (farmhashna::HashLen0to16). SipHash-2-4: the
    # reference vectors (key 00..0f, message 00..n-1) for n = 0, 1 and 15.
    assert _hashes.fingerprint64(b"") == 0x9AE16A3B2F90404F
    k0, k1 = 0x0706050403020100, 0x0F0E0D0C0B0A0908
    assert _hashes.siphash24(k0, k1, b"") == 0x726FDB47DD0E0E31
    assert _hashes.siphash24(k0, k1, b"\x00") == 0x74F839C593DC67FD
    assert _hashes.siphash24(k0, k1, bytes(range(15))) == 0xA129CA6149BE45E5


_FIVE = [["A"], ["B"], ["C"], ["D"], ["E"]]
# Keras' Hashing docstring examples (ids computed by TensorFlow).
_HASHING_DOC = [(dict(num_bins=3), _FIVE, [[1], [0], [1], [1], [2]]),
                (dict(num_bins=3, mask_value=""), [["A"], ["B"], [""], ["C"], ["D"]], [[1], [1], [0], [2], [2]]),
                (dict(num_bins=3, salt=[133, 137]), _FIVE, [[1], [2], [1], [0], [2]]),
                (dict(num_bins=3, salt=133), _FIVE, [[0], [0], [2], [1], [0]])]


@pytest.mark.parametrize("kwargs,inputs,expected", _HASHING_DOC)
def test_hashing_equals_keras_docstring_ids(kwargs, inputs, expected):
    out = layers.Hashing(**kwargs)(inputs)
    assert out.dtype == torch.int64 and out.tolist() == expected
    assert layers.Hashing(**kwargs)(np.array(inputs)).tolist() == expected


def test_hashing_integers_and_floats_hash_their_decimal_strings():
    farmhash = pytest.importorskip("farmhash", reason="the dev extra installs pyfarmhash, the FarmHash oracle")
    ints = np.array([[12], [-20], [32], [7], [123456789]])
    want = [[farmhash.fingerprint64(str(v[0]).encode()) % 7] for v in ints.tolist()]
    assert layers.Hashing(7)(ints).tolist() == want
    # Floats are cast to integers first (toward zero, as tf.cast): 12.25 -> 12, -20.75 -> -20.
    floats = np.array([[12.25], [-20.75], [32.0], [7.5], [123456789.0]])
    assert layers.Hashing(7)(floats).tolist() == want
    masked = layers.Hashing(7, mask_value=32)(ints).tolist()
    assert masked[2] == [0] and all(m[0] == farmhash.fingerprint64(str(v[0]).encode()) % 6 + 1
                                    for m, v in zip(masked, ints.tolist()) if v[0] != 32)


@pytest.mark.parametrize("mode", ["one_hot", "multi_hot", "count"])
def test_hashing_output_modes_encode_the_ids_as_keras_category_encoding(keras, mode):
    data = [["A", "B"], ["C", "A"]] if mode != "one_hot" else [["A"], ["B"], ["C"]]
    ids = layers.Hashing(5)(data).numpy()
    want = keras.ops.convert_to_numpy(keras.layers.CategoryEncoding(5, output_mode=mode)(ids))
    np.testing.assert_array_equal(layers.Hashing(5, output_mode=mode)(data).numpy(), want)
    assert layers.Hashing(5, output_mode=mode).get_config()["dtype"]["config"]["name"] == "float32"


def test_hashing_config_and_errors():
    cfg = layers.Hashing(3, salt=133, name="h").get_config()
    assert {k: cfg[k] for k in ("num_bins", "salt", "mask_value", "output_mode", "sparse")} == \
        {"num_bins": 3, "salt": [133, 133], "mask_value": None, "output_mode": "int", "sparse": False}
    assert cfg["dtype"]["config"]["name"] == "int64"
    with pytest.raises(ValueError, match="num_bins"):
        layers.Hashing(0)
    with pytest.raises(ValueError, match="salt"):
        layers.Hashing(3, salt="x")
    with pytest.raises(ValueError, match="sparse"):
        layers.Hashing(3, output_mode="count", sparse=True)


def test_hashed_crossing_equals_keras_docstring_ids():
    feat1, feat2 = np.array(["A", "B", "A", "B", "A"]), np.array([101, 101, 101, 102, 102])
    assert layers.HashedCrossing(num_bins=5)((feat1, feat2)).tolist() == [1, 4, 1, 1, 3]
    one_hot = layers.HashedCrossing(num_bins=5, output_mode="one_hot")((feat1, feat2))
    np.testing.assert_array_equal(one_hot.numpy(), np.eye(5, dtype="float32")[[1, 4, 1, 1, 3]])
    assert layers.HashedCrossing(5)((feat1[:, None], feat2[:, None])).tolist() == [[1], [4], [1], [1], [3]]
    assert layers.HashedCrossing(5).get_config() == {"num_bins": 5, "output_mode": "int", "sparse": False,
                                                     "name": "hashed_crossing_3", "dtype": "int64"}
    with pytest.raises(ValueError, match="at least two"):
        layers.HashedCrossing(5)(feat1)
    with pytest.raises(ValueError, match="same shape"):
        layers.HashedCrossing(5)((feat1, feat2[:3]))


# ---------------------------------------------------------------- StringLookup / IntegerLookup
_ABCD = ["a", "b", "c", "d"]
_DOC3 = [["a", "c", "d"], ["d", "z", "b"]]
_DOC4 = [["a", "c", "d", "d"], ["d", "z", "b", "z"]]
_INTS = [12, 36, 1138, 42]
_IDOC4 = np.array([[12, 1138, 42, 42], [42, 7, 36, 7]])
# Keras' StringLookup / IntegerLookup docstring examples: (layer class, kwargs, input, output).
_LOOKUP_DOC = [
    ("StringLookup", dict(vocabulary=_ABCD), _DOC3, [[1, 3, 4], [4, 0, 2]]),
    ("StringLookup", dict(vocabulary=_ABCD, num_oov_indices=2), [["a", "c", "d"], ["m", "z", "b"]],
     [[2, 4, 5], [0, 1, 3]]),
    ("StringLookup", dict(vocabulary=_ABCD, output_mode="one_hot"), ["a", "b", "c", "d", "z"],
     np.eye(5)[[1, 2, 3, 4, 0]].tolist()),
    ("StringLookup", dict(vocabulary=_ABCD, output_mode="multi_hot"), _DOC4,
     [[0, 1, 0, 1, 1], [1, 0, 1, 0, 1]]),
    ("StringLookup", dict(vocabulary=_ABCD, output_mode="count"), _DOC4, [[0, 1, 0, 1, 2], [2, 0, 1, 0, 1]]),
    ("StringLookup", dict(vocabulary=_ABCD, output_mode="tf_idf", idf_weights=[0.25, 0.75, 0.6, 0.4]), _DOC4,
     [[0, 0.25, 0, 0.6, 0.8], [1.0, 0, 0.75, 0, 0.4]]),
    ("StringLookup", dict(vocabulary=["[UNK]"] + _ABCD, output_mode="tf_idf",
                          idf_weights=[0.9, 0.25, 0.75, 0.6, 0.4]), _DOC4,
     [[0, 0.25, 0, 0.6, 0.8], [1.8, 0, 0.75, 0, 0.4]]),
    ("StringLookup", dict(vocabulary=_ABCD, invert=True), [[1, 3, 4], [4, 0, 2]],
     [["a", "c", "d"], ["d", "[UNK]", "b"]]),
    ("IntegerLookup", dict(vocabulary=_INTS), np.array([[12, 1138, 42], [42, 1000, 36]]), [[1, 3, 4], [4, 0, 2]]),
    ("IntegerLookup", dict(vocabulary=_INTS, num_oov_indices=2), np.array([[12, 1138, 42], [37, 1000, 36]]),
     [[2, 4, 5], [1, 0, 3]]),
    ("IntegerLookup", dict(vocabulary=[10, 20, 30], num_oov_indices=4, oov_method="floormod"),
     np.array([100, 300, 700, 1100, 1700, 2000]), [0, 0, 0, 0, 0, 0]),
    ("IntegerLookup", dict(vocabulary=[10, 20, 30], num_oov_indices=4, oov_method="farmhash"),
     np.array([100, 300, 700, 1100, 1700, 2000]), [3, 3, 2, 2, 0, 1]),
    ("IntegerLookup", dict(vocabulary=_INTS, output_mode="one_hot"), np.array([12, 36, 1138, 42, 7]),
     np.eye(5)[[1, 2, 3, 4, 0]].tolist()),
    ("IntegerLookup", dict(vocabulary=_INTS, output_mode="multi_hot"), _IDOC4, [[0, 1, 0, 1, 1], [1, 0, 1, 0, 1]]),
    ("IntegerLookup", dict(vocabulary=_INTS, output_mode="count"), _IDOC4, [[0, 1, 0, 1, 2], [2, 0, 1, 0, 1]]),
    ("IntegerLookup", dict(vocabulary=_INTS, output_mode="tf_idf", idf_weights=[0.25, 0.75, 0.6, 0.4]), _IDOC4,
     [[0, 0.25, 0, 0.6, 0.8], [1.0, 0, 0.75, 0, 0.4]]),
    ("IntegerLookup", dict(vocabulary=[-1] + _INTS, output_mode="tf_idf", idf_weights=[0.9, 0.25, 0.75, 0.6, 0.4]),
     _IDOC4, [[0, 0.25, 0, 0.6, 0.8], [1.8, 0, 0.75, 0, 0.4]]),
    ("IntegerLookup", dict(vocabulary=_INTS, invert=True), np.array([[1, 3, 4], [4, 0, 2]]),
     [[12, 1138, 42], [42, -1, 36]]),
]


@pytest.mark.parametrize("case", range(len(_LOOKUP_DOC)))
def test_lookup_equals_keras_docstring_examples(case):
    cls, kwargs, inputs, expected = _LOOKUP_DOC[case]
    out = getattr(layers, cls)(**kwargs)(inputs)
    if isinstance(out, np.ndarray):        # StringLookup(invert=True): an array of str
        assert out.tolist() == expected
    elif kwargs.get("output_mode", "int") == "int":
        assert out.dtype == torch.int64 and out.tolist() == expected
    else:
        assert out.dtype == torch.float32
        np.testing.assert_allclose(out.numpy(), expected, rtol=1e-6)


def _keras_order(rows, skip=()):
    """Keras' documented order: count high to low, ties by the token high to low."""
    counts = collections.Counter(t for r in rows for t in r if t not in skip)
    return [t for c, t in sorted(((c, t) for t, c in counts.items()), reverse=True)]


_ADAPT = [("StringLookup", dict(), _DOC3, ["[UNK]", "d", "z", "c", "b", "a"]),
          ("IntegerLookup", dict(), np.array([[12, 1138, 42], [42, 1000, 36]]), [-1, 42, 1138, 1000, 36, 12])]


@pytest.mark.parametrize("cls,kwargs,data,vocab", _ADAPT)
def test_adapted_vocabulary_equals_keras_docstring(cls, kwargs, data, vocab):
    layer = getattr(layers, cls)(**kwargs)
    layer.adapt(data)
    assert layer.get_vocabulary() == vocab
    assert layer.vocabulary_size() == len(vocab)
    assert layer(data).tolist() == ([[5, 3, 1], [1, 2, 4]] if cls == "StringLookup" else [[5, 2, 1], [1, 3, 4]])


_WORDS = np.array(list("abcdefghij"))


@pytest.mark.parametrize("kwargs", [dict(), dict(max_tokens=5), dict(num_oov_indices=3), dict(mask_token="a"),
                                    dict(mask_token="[PAD]", max_tokens=6, num_oov_indices=2),
                                    dict(num_oov_indices=0), dict(oov_token="OOV")])
@pytest.mark.parametrize("source", ["array", "batches", "dataloader"])
def test_string_lookup_adapt_orders_and_truncates_as_keras(kwargs, source):
    rng = np.random.default_rng(3)
    data = _WORDS[np.minimum(rng.geometric(0.3, (40, 6)) - 1, 9)]
    # As Keras: a list or array is one batch; any other iterable yields batches.
    feed = {"array": data, "batches": iter([data[:13], data[13:]]),
            "dataloader": torch.utils.data.DataLoader(data.tolist(), batch_size=7)}[source]
    if source == "dataloader":     # the default collate turns rows of str into columns: rebuild rows
        feed = (np.array(b).T for b in feed)
    layer = layers.StringLookup(**kwargs)
    layer.adapt(feed)
    special = ([kwargs["mask_token"]] if kwargs.get("mask_token") else []) + \
        [kwargs.get("oov_token", "[UNK]")] * kwargs.get("num_oov_indices", 1)
    learned = _keras_order(data.tolist(), skip={kwargs.get("mask_token")})
    if "max_tokens" in kwargs:
        learned = learned[:kwargs["max_tokens"] - len(special)]
    assert layer.get_vocabulary() == special + learned
    assert layer.get_vocabulary(include_special_tokens=False) == learned
    if kwargs.get("num_oov_indices", 1) > 0:
        ids = layer(data).numpy()
        vocab = layer.get_vocabulary()
        for token, i in zip(data.reshape(-1), ids.reshape(-1)):
            if token in learned:
                assert vocab[i] == token
            elif token == kwargs.get("mask_token"):
                assert i == 0
            else:
                assert len(special) - kwargs.get("num_oov_indices", 1) <= i < len(special)


def test_tf_idf_adapt_computes_keras_idf_weights():
    docs = [["a", "b", "a"], ["b", "c", "c"], ["a", "d", "d"]]
    layer = layers.StringLookup(output_mode="tf_idf")
    layer.adapt(docs)
    vocab = layer.get_vocabulary()
    ndocs = {t: sum(t in d for d in docs) for t in "abcd"}
    idf = [math.log(1 + 3 / (1 + ndocs[t])) for t in vocab[1:]]
    np.testing.assert_allclose(layer.idf_weights, [np.mean(idf)] + idf, rtol=1e-6)
    counts = collections.Counter(docs[0])
    np.testing.assert_allclose(layer([docs[0]]).numpy()[0],
                               [0.0] + [counts[t] * w for t, w in zip(vocab[1:], idf)], rtol=1e-6)
    padded = layers.StringLookup(output_mode="tf_idf", max_tokens=8, pad_to_max_tokens=True)
    padded.adapt(docs)
    assert padded.idf_weights.shape == (8,) and padded(docs).shape == (3, 8)


def test_set_vocabulary_rules_and_errors():
    layer = layers.StringLookup(mask_token="", num_oov_indices=2)
    layer.set_vocabulary(["", "[UNK]", "[UNK]", "x", "y"])       # special tokens given first
    assert layer.get_vocabulary() == ["", "[UNK]", "[UNK]", "x", "y"]
    layer.set_vocabulary(["x", "y"])
    assert layer.get_vocabulary() == ["", "[UNK]", "[UNK]", "x", "y"] and layer.vocabulary_size() == 5
    with pytest.raises(ValueError, match="repeats"):
        layer.set_vocabulary(["x", "x"])
    with pytest.raises(ValueError, match="mask token"):
        layer.set_vocabulary(["x", ""])
    with pytest.raises(ValueError, match="max_tokens"):
        layers.StringLookup(max_tokens=3, vocabulary=["a", "b", "c"])
    with pytest.raises(ValueError, match="cannot adapt"):
        layers.StringLookup(vocabulary=["a"]).adapt([["a"]])
    with pytest.raises(ValueError, match="num_oov_indices=0"):
        layers.StringLookup(vocabulary=["a"], num_oov_indices=0)([["b"]])
    with pytest.raises(ValueError, match="idf_weights"):
        layers.StringLookup(vocabulary=["a"], output_mode="tf_idf")
    with pytest.raises(ValueError, match="invert"):
        layers.StringLookup(invert=True, output_mode="count")
    with pytest.raises(ValueError, match="sparse"):
        layers.StringLookup(output_mode="count", sparse=True)
    with pytest.raises(TypeError, match="IntegerLookup"):
        layers.StringLookup(vocabulary=["a"])(np.array([1, 2]))
    with pytest.raises(TypeError, match="StringLookup"):
        layers.IntegerLookup(vocabulary=[1])([["a"]])
    with pytest.raises(RuntimeError, match="adapt"):
        layers.StringLookup(output_mode="count")([["a"]])


def test_vocabulary_file_and_mask_in_encodings(tmp_path):
    path = tmp_path / "vocab.txt"
    path.write_text("a\nb\nc\n")
    layer = layers.StringLookup(vocabulary=str(path), mask_token="[M]", output_mode="multi_hot")
    assert layer.get_vocabulary() == ["[UNK]", "a", "b", "c"]      # no mask index outside "int"
    # The mask token encodes to nothing, an OOV token to index 0.
    np.testing.assert_array_equal(layer([["[M]", "b", "q"]]).numpy(), [[1, 0, 1, 0]])
    assert layer.get_config()["vocabulary"] is None


_KERAS_LOOKUP_KEYS = ["name", "trainable", "dtype", "invert", "max_tokens", "num_oov_indices", "oov_token",
                      "mask_token", "output_mode", "sparse", "pad_to_max_tokens", "idf_weights", "vocabulary",
                      "vocabulary_size", "oov_method", "salt"]


def test_lookup_configs_have_keras_keys_and_round_trip():
    s = layers.StringLookup(vocabulary=_ABCD, mask_token="", salt=3, name="s").get_config()
    assert list(s) == _KERAS_LOOKUP_KEYS + ["encoding"]
    assert s["vocabulary"] == _ABCD and s["vocabulary_size"] == 6 and s["salt"] == [3, 3]
    i = layers.IntegerLookup(vocabulary=np.array(_INTS), mask_token=0, name="i").get_config()
    assert list(i) == _KERAS_LOOKUP_KEYS[:11] + ["vocabulary_dtype"] + _KERAS_LOOKUP_KEYS[11:]
    assert i["vocabulary"] == _INTS and i["mask_token"] == 0 and i["vocabulary_dtype"] == "int64"
    for cls, cfg in ((layers.StringLookup, s), (layers.IntegerLookup, i)):
        again = cls.from_config(cfg)
        assert again.get_config() == cfg


def test_integer_lookup_adapted_vocabulary_moves_through_keras_files(tmp_path):
    rng = np.random.default_rng(5)
    data = rng.integers(0, 30, (50, 4))
    lookup = layers.IntegerLookup(max_tokens=12, mask_token=0)
    lookup.adapt(data)
    model = kerastorch.Sequential([layers.Input(shape=(4,), dtype="int64"), lookup,
                                   layers.Embedding(12, 3)])
    expected = model.predict(data, verbose=0)
    model.save(tmp_path / "m.keras")
    with zipfile.ZipFile(tmp_path / "m.keras") as zf:
        # Where Keras' IndexLookup.save_assets puts it: assets/<the layer's path>/vocabulary.txt
        text = zf.read("assets/layers/integer_lookup/vocabulary.txt").decode()
    assert text.split("\n") == [str(v) for v in lookup.get_vocabulary()]
    loaded = kerastorch.models.load_model(tmp_path / "m.keras")
    assert loaded.layers[0].get_vocabulary() == lookup.get_vocabulary()
    np.testing.assert_allclose(loaded.predict(data, verbose=0), expected, atol=1e-6)


def test_tf_idf_weights_saved_where_keras_saves_them(tmp_path):
    import h5py

    lookup = layers.StringLookup(output_mode="tf_idf")
    lookup.adapt(_DOC4)
    model = kerastorch.Sequential([layers.Input(shape=(4,), dtype="string"), lookup])
    model.save(tmp_path / "s.keras")
    with zipfile.ZipFile(tmp_path / "s.keras") as zf:
        import io
        with h5py.File(io.BytesIO(zf.read("model.weights.h5"))) as h5:
            np.testing.assert_allclose(h5["layers/string_lookup/vars/idf_weights"][()], lookup.idf_weights)
        assert zf.read("assets/layers/string_lookup/vocabulary.txt").decode().split("\n") == lookup.get_vocabulary()
    loaded = kerastorch.models.load_model(tmp_path / "s.keras").layers[0]
    np.testing.assert_allclose(loaded(_DOC4).numpy(), lookup(_DOC4).numpy())


def test_weights_file_holds_the_idf_weights_as_keras(tmp_path):
    import h5py

    lookup = layers.StringLookup(output_mode="tf_idf")
    lookup.adapt(_DOC4)
    model = kerastorch.Sequential([layers.Input(shape=(4,), dtype="string"), lookup])
    model.save_weights(tmp_path / "w.weights.h5")
    with h5py.File(tmp_path / "w.weights.h5") as h5:
        np.testing.assert_allclose(h5["layers/string_lookup/vars/idf_weights"][()], lookup.idf_weights)
    other = layers.StringLookup(output_mode="tf_idf", vocabulary=lookup.get_vocabulary(),
                                idf_weights=np.ones(lookup.vocabulary_size()))
    kerastorch.Sequential([layers.Input(shape=(4,), dtype="string"), other]).load_weights(tmp_path / "w.weights.h5")
    np.testing.assert_allclose(other.idf_weights, lookup.idf_weights)
