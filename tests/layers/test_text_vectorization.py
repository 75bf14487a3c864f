"""TextVectorization without TensorFlow: standardize, split, ngrams, output modes, adapt, files.

Keras' TextVectorization needs TensorFlow, so the oracles are Keras' docstring examples and
the expectations of Keras' own text_vectorization_test.py (computed by TensorFlow), and
vocabularies/idf weights counted here with Keras' documented rules.
"""

import collections
import math
import re
import zipfile

import numpy as np
import pytest
import torch

import kerastorch
from kerastorch import layers

_FBB = ["baz", "bar", "foo"]
_SENTENCES = ["Hello, World!. This is just a nice test!"]
# (kwargs, input, expected output): Keras' docstring and its own test expectations.
_KERAS_CASES = {
    "fixed_vocabulary": (dict(max_tokens=5000, output_sequence_length=4, vocabulary=_FBB),
                         [["foo qux bar"], ["qux baz"]], [[4, 1, 3, 0], [1, 2, 0, 0]]),
    "multi_hot": (dict(output_mode="multi_hot", vocabulary=["foo", "bar", "baz"]),
                  [["foo bar"], ["baz foo foo"]], [[0, 1, 1, 0], [0, 1, 0, 1]]),
    "count": (dict(output_mode="count", vocabulary=["foo", "bar", "baz"]),
              ["foo bar", "baz foo foo"], [[0, 1, 1, 0], [0, 2, 0, 1]]),
    "tf_idf": (dict(output_mode="tf_idf", vocabulary=["foo", "bar", "baz"], idf_weights=[0.3, 0.5, 0.2]),
               ["foo bar", "baz foo foo"], [[0.0, 0.3, 0.5, 0.0], [0.0, 0.6, 0.0, 0.2]]),
    "lower_and_strip": (dict(standardize="lower_and_strip_punctuation",
                             vocabulary=["hello", "world", "this", "is", "nice", "test"]),
                        _SENTENCES, [[2, 3, 4, 5, 1, 1, 6, 7]]),
    "lower": (dict(standardize="lower", vocabulary=["hello,", "hello", "world", "this", "is", "nice", "test"]),
              _SENTENCES, [[2, 1, 5, 6, 1, 1, 7, 1]]),
    "character": (dict(split="character", vocabulary=list("abcde")), ["abcf"], [[2, 3, 4, 1]]),
    "custom_split": (dict(split=lambda texts: [t.split("|") for t in texts], vocabulary=["foo", "bar", "foobar"]),
                     ["foo|bar"], [[4]]),     # "|" is punctuation: stripped before the split
    "strip_punctuation": (dict(standardize="strip_punctuation", vocabulary=["Hello", "World", "Test"]),
                          ["Hello, World! Test."], [[2, 3, 4]]),
    "custom_split_unstripped": (dict(standardize=None, split=lambda texts: [t.split("|") for t in texts],
                                     vocabulary=["foo", "bar"]), ["foo|bar|x"], [[2, 3, 1]]),
    "no_standardize": (dict(standardize=None, vocabulary=["Hello", "world"]), ["Hello hello"], [[2, 1]]),
    "custom_standardize": (dict(standardize=lambda t: np.char.replace(t, "-", " "), vocabulary=["foo", "bar"]),
                           ["foo-bar"], [[2, 3]]),
    "sequence_length_cuts": (dict(vocabulary=_FBB, output_sequence_length=2), ["foo qux bar", "qux baz", "foo"],
                             [[4, 1], [1, 2], [4, 0]]),
}


@pytest.mark.parametrize("case", sorted(_KERAS_CASES))
def test_outputs_equal_keras_expectations(case):
    kwargs, inputs, expected = _KERAS_CASES[case]
    out = layers.TextVectorization(**kwargs)(inputs)
    assert isinstance(out, torch.Tensor)
    if kwargs.get("output_mode", "int") == "int":
        assert out.dtype == torch.int64 and out.tolist() == expected
    else:
        assert out.dtype == torch.float32
        np.testing.assert_allclose(out.numpy(), expected, rtol=1e-6)


def test_docstring_examples():
    layer = layers.TextVectorization(max_tokens=5000, output_mode="int", output_sequence_length=4)
    layer.adapt(["foo bar", "bar baz", "baz bada boom"])
    assert layer([["foo qux bar"], ["qux baz"]]).tolist() == [[4, 1, 3, 0], [1, 2, 0, 0]]
    given = layers.TextVectorization(max_tokens=5000, output_sequence_length=4,
                                     vocabulary=["earth", "wind", "and", "fire"])
    assert given.get_vocabulary() == ["", "[UNK]", "earth", "wind", "and", "fire"]


def _standardize(text, mode):
    # Keras' documented rules, written out: ASCII lowercase; its punctuation set removed.
    if mode in ("lower", "lower_and_strip_punctuation"):
        text = "".join(chr(ord(c) + 32) if "A" <= c <= "Z" else c for c in text)
    if mode in ("strip_punctuation", "lower_and_strip_punctuation"):
        text = "".join(c for c in text if c not in set('!"#$%&()*+,-./:;<=>?@[\\]^_`{|}~\''))
    return text


_TEXTS = ["The cat's hat -- ON the mat!", "ÉCOLE école (café)", "a\tb\nc  d", "C++ & C# ~ 3.14", "ÄÖÜ ß x"]


@pytest.mark.parametrize("mode", ["lower_and_strip_punctuation", "lower", "strip_punctuation", None])
@pytest.mark.parametrize("split", ["whitespace", "character"])
def test_adapt_vocabulary_equals_keras_rules(mode, split):
    layer = layers.TextVectorization(standardize=mode, split=split)
    layer.adapt(np.array(_TEXTS))
    texts = [_standardize(t, mode) for t in _TEXTS]
    # tf.strings.split splits on ASCII whitespace; unicode_split gives code points.
    rows = [t.split() if split == "whitespace" else list(t) for t in texts]
    counts = collections.Counter(tok for r in rows for tok in r)
    counts.pop("", None)
    order = [t for c, t in sorted(((c, t) for t, c in counts.items()), reverse=True)]
    assert layer.get_vocabulary() == ["", "[UNK]"] + order
    ids = layer(_TEXTS)
    vocab = layer.get_vocabulary()
    for row, r in zip(ids.tolist(), rows):
        assert [vocab[i] for i in row[:len(r)]] == r and all(i == 0 for i in row[len(r):])


@pytest.mark.parametrize("ngrams,expected", [
    (2, ["a", "b", "c", "a b", "b c"]),
    ((2,), ["a b", "b c"]),
    ((1, 3), ["a", "b", "c", "a b c"]),
    (3, ["a", "b", "c", "a b", "b c", "a b c"]),
])
def test_ngrams_are_tf_strings_ngrams(ngrams, expected):
    layer = layers.TextVectorization(ngrams=ngrams, vocabulary=["a b", "b c", "a b c", "a", "b", "c"])
    vocab = layer.get_vocabulary()
    assert [vocab[i] for i in layer(["a b c"])[0].tolist()] == expected
    short = layers.TextVectorization(ngrams=(3,), vocabulary=["x"])(["a b", "a b c d"])
    assert short.tolist() == [[0, 0], [1, 1]]     # too short: no 3-gram; then 2 OOV 3-grams


@pytest.mark.parametrize("source", ["list", "array", "column", "generator", "dataloader"])
def test_adapt_sources_give_the_same_vocabulary(source):
    rng = np.random.default_rng(0)
    words = np.array(["alpha", "beta", "gamma", "delta", "eps", "zeta"])
    texts = [" ".join(words[rng.integers(0, 6, rng.integers(1, 8))]) for _ in range(60)]
    feed = {"list": texts, "array": np.array(texts), "column": np.array(texts)[:, None],
            "generator": (np.array(texts[i:i + 16]) for i in range(0, 60, 16)),
            "dataloader": torch.utils.data.DataLoader(texts, batch_size=9)}[source]
    layer = layers.TextVectorization(max_tokens=6)
    layer.adapt(feed)
    counts = collections.Counter(w for t in texts for w in t.split())
    order = [t for c, t in sorted(((c, t) for t, c in counts.items()), reverse=True)]
    assert layer.get_vocabulary() == ["", "[UNK]"] + order[:4]


def test_tf_idf_adapt_and_pad_to_max_tokens():
    docs = ["the cat sat", "the dog", "a cat a cat"]
    layer = layers.TextVectorization(output_mode="tf_idf")
    layer.adapt(docs)
    vocab = layer.get_vocabulary()
    assert vocab[0] == "[UNK]"            # no padding token outside "int"
    df = {t: sum(t in d.split() for d in docs) for t in vocab[1:]}
    idf = [math.log(1 + 3 / (1 + df[t])) for t in vocab[1:]]
    out = layer(["a cat a cat zebra"]).numpy()[0]
    tf = collections.Counter("a cat a cat".split())
    np.testing.assert_allclose(out, [np.mean(idf)] + [tf[t] * w for t, w in zip(vocab[1:], idf)], rtol=1e-6)
    padded = layers.TextVectorization(max_tokens=10, output_mode="multi_hot", pad_to_max_tokens=True)
    padded.adapt(docs)
    assert padded(["the cat"]).shape == (1, 10)
    assert padded.compute_output_shape((None,)) == (None, 10)


def test_config_has_keras_keys_and_round_trips():
    layer = layers.TextVectorization(max_tokens=10, ngrams=(1, 2), output_sequence_length=5,
                                     vocabulary=["one", "two"], name="tv")
    cfg = layer.get_config()
    assert list(cfg)[:3] == ["name", "trainable", "dtype"]
    assert {k: v for k, v in cfg.items() if k not in ("name", "trainable", "dtype")} == {
        "max_tokens": 10, "standardize": "lower_and_strip_punctuation", "split": "whitespace", "ngrams": (1, 2),
        "output_mode": "int", "output_sequence_length": 5, "pad_to_max_tokens": False, "sparse": False,
        "ragged": False, "vocabulary": ["one", "two"], "idf_weights": None, "encoding": "utf-8",
        "vocabulary_size": 4}
    again = layers.TextVectorization.from_config({**cfg, "ngrams": [1, 2]})
    assert again.get_config() == cfg
    assert again(["one two three"]).tolist() == layer(["one two three"]).tolist()


@pytest.mark.parametrize("kwargs,error,match", [
    (dict(sparse=True), ValueError, "sparse"), (dict(ragged=True), ValueError, "ragged"),
    (dict(standardize="upper"), ValueError, "standardize"), (dict(split="comma"), ValueError, "split"),
    (dict(ngrams="2"), ValueError, "ngrams"), (dict(output_mode="multi_hot", output_sequence_length=3),
                                               ValueError, "output_sequence_length"),
    (dict(pad_to_max_tokens=True), ValueError, "max_tokens"), (dict(output_mode="bag"), ValueError, "output_mode"),
])
def test_bad_arguments_are_refused(kwargs, error, match):
    with pytest.raises(error, match=match):
        layers.TextVectorization(**kwargs)


def test_bad_inputs_are_refused():
    layer = layers.TextVectorization(vocabulary=["a"])
    with pytest.raises(TypeError, match="strings"):
        layer(np.array([1, 2]))
    with pytest.raises(ValueError, match=re.escape("(batch,) or (batch, 1)")):
        layer(np.array([["a", "b"]]))
    with pytest.raises(ValueError, match="cannot adapt"):
        layer.adapt(["a b"])


@pytest.mark.parametrize("mode", ["int", "tf_idf"])
@pytest.mark.parametrize("zipped", [True, False])
def test_adapted_state_saved_where_keras_saves_it(tmp_path, mode, zipped):
    import io

    import h5py

    layer = layers.TextVectorization(output_mode=mode, ngrams=(1, 2))
    layer.adapt(["foo bar", "bar baz", "baz bada boom"])
    model = kerastorch.Sequential([layers.Input(shape=(1,), dtype="string"), layer])
    path = tmp_path / ("m.keras" if zipped else "folder")
    model.save(path, zipped=zipped)
    if zipped:
        with zipfile.ZipFile(path) as zf:
            files = {n: zf.read(n) for n in zf.namelist()}
    else:
        files = {str(p.relative_to(path)).replace("\\", "/"): p.read_bytes() for p in path.rglob("*") if p.is_file()}
    # Keras' layout: TextVectorization and its `_lookup_layer` each write vocabulary.txt.
    vocab_text = "\n".join(layer.get_vocabulary())
    for where in ("layers/text_vectorization", "layers/text_vectorization/_lookup_layer"):
        assert files[f"assets/{where}/vocabulary.txt"].decode() == vocab_text
        if mode == "tf_idf":
            with h5py.File(io.BytesIO(files["model.weights.h5"])) as h5:
                np.testing.assert_allclose(h5[f"{where}/vars/idf_weights"][()], layer._lookup_layer.idf_weights)
    loaded = kerastorch.models.load_model(path).layers[0]
    assert loaded.get_vocabulary() == layer.get_vocabulary()
    x = ["foo bar baz", "boom zap"]
    np.testing.assert_allclose(loaded(x).numpy(), layer(x).numpy())
