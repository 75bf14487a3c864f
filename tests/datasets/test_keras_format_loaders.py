"""imdb, reuters, boston_housing and california_housing read Keras' cached files as real Keras does.

Small files in Keras' formats (npz with object arrays, json) are written into a temporary
KERAS_HOME; every loader argument in the tables below must give exactly what real Keras 3
returns from the same files. Keras' `get_file` re-downloads a cached file whose hash is not the
published one, so for Keras the hash check is patched out (its download is patched to fail, so a
test can never reach the network); kerastorch is given the test files' real hashes instead.
"""

import hashlib
import json
import os
import urllib.error

import numpy as np
import pytest

from kerastorch.datasets import boston_housing, california_housing, imdb, reuters


def _sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def _md5(path):
    with open(path, "rb") as f:
        return hashlib.md5(f.read()).hexdigest()


def _ragged(rng, n, vocab=60, longest=14):
    out = np.empty(n, dtype=object)
    for i in range(n):
        out[i] = [int(w) for w in rng.integers(1, vocab, size=rng.integers(1, longest))]
    return out


@pytest.fixture
def home(tmp_path, monkeypatch):
    """A fresh KERAS_HOME holding small Keras-format files, seen by kerastorch and by real Keras."""
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    monkeypatch.setenv("KERASTORCH_OFFLINE", "1")
    data = tmp_path / "datasets"
    data.mkdir()
    rng = np.random.default_rng(5)
    np.savez(data / "imdb.npz", x_train=_ragged(rng, 30), y_train=rng.integers(0, 2, 30),
             x_test=_ragged(rng, 25), y_test=rng.integers(0, 2, 25))
    np.savez(data / "reuters.npz", x=_ragged(rng, 41), y=rng.integers(0, 46, 41))
    np.savez(data / "boston_housing.npz", x=rng.normal(size=(37, 13)), y=rng.uniform(5, 50, 37))
    np.savez(data / "california_housing.npz", x=rng.normal(size=(650, 8)).astype("float32"),
             y=rng.uniform(1e4, 5e5, 650).astype("float32"))
    for name in ("imdb_word_index.json", "reuters_word_index.json"):
        (data / name).write_text(json.dumps({"the": 1, "and": 2, f"only_{name[:4]}": 3}))
    for module, attr, name, digest in [(imdb, "_DATA_SHA256", "imdb.npz", _sha256),
                                       (reuters, "_DATA_SHA256", "reuters.npz", _sha256),
                                       (boston_housing, "_SHA256", "boston_housing.npz", _sha256),
                                       (california_housing, "_SHA256", "california_housing.npz", _sha256),
                                       (imdb, "_INDEX_MD5", "imdb_word_index.json", _md5),
                                       (reuters, "_INDEX_MD5", "reuters_word_index.json", _md5)]:
        monkeypatch.setattr(module, attr, digest(data / name))
    return tmp_path


@pytest.fixture
def keras_reads_home(keras, home, monkeypatch):
    from keras.src.backend import config as keras_config
    from keras.src.utils import file_utils as keras_files

    def no_network(*args, **kwargs):
        raise AssertionError("real Keras tried to download during a test")

    monkeypatch.setattr(keras_config, "_KERAS_DIR", str(home))
    monkeypatch.setattr(keras_files, "validate_file", lambda *a, **k: True)
    monkeypatch.setattr(keras_files, "urlretrieve", no_network)
    return keras


def _same(ours, theirs):
    """Equal nested results: tuples of arrays, object arrays of lists compared element by element."""
    assert type(ours) is type(theirs) or isinstance(ours, np.ndarray) and isinstance(theirs, np.ndarray)
    if isinstance(theirs, (tuple, list)) and not isinstance(theirs, np.ndarray):
        assert len(ours) == len(theirs)
        for a, b in zip(ours, theirs):
            _same(a, b)
        return
    assert ours.dtype == theirs.dtype and ours.shape == theirs.shape
    if theirs.dtype == object:
        assert [list(map(int, np.ravel(s) if isinstance(s, np.ndarray) else s)) for s in ours.ravel()] == \
               [list(map(int, np.ravel(s) if isinstance(s, np.ndarray) else s)) for s in theirs.ravel()]
    else:
        np.testing.assert_array_equal(ours, theirs)


SEQUENCE_CASES = [
    {}, {"num_words": 20}, {"skip_top": 5, "num_words": 30}, {"maxlen": 9}, {"seed": 1},
    {"start_char": None}, {"oov_char": None, "num_words": 25}, {"index_from": 0},
    {"start_char": None, "index_from": 0}, {"start_char": 7, "oov_char": 4, "index_from": 10, "num_words": 40},
    {"maxlen": 6, "num_words": 15, "skip_top": 2, "oov_char": None},
]


@pytest.mark.parametrize("kwargs", SEQUENCE_CASES, ids=str)
def test_imdb_load_data_equals_keras(keras_reads_home, kwargs):
    _same(imdb.load_data(**kwargs), keras_reads_home.datasets.imdb.load_data(**kwargs))


@pytest.mark.parametrize("kwargs", SEQUENCE_CASES + [{"test_split": 0.5}, {"test_split": 0.0, "seed": 3}],
                         ids=str)
def test_reuters_load_data_equals_keras(keras_reads_home, kwargs):
    _same(reuters.load_data(**kwargs), keras_reads_home.datasets.reuters.load_data(**kwargs))


@pytest.mark.parametrize("kwargs", [{}, {"test_split": 0.0}, {"test_split": 0.33, "seed": 4}], ids=str)
def test_boston_housing_equals_keras(keras_reads_home, kwargs):
    _same(boston_housing.load_data(**kwargs), keras_reads_home.datasets.boston_housing.load_data(**kwargs))


@pytest.mark.parametrize("kwargs", [{}, {"version": "small"}, {"version": "small", "test_split": 0.1, "seed": 0},
                                    {"test_split": 0.5}], ids=str)
def test_california_housing_equals_keras(keras_reads_home, kwargs):
    _same(california_housing.load_data(**kwargs), keras_reads_home.datasets.california_housing.load_data(**kwargs))


def test_word_indexes_and_label_names_equal_keras(keras_reads_home):
    assert imdb.get_word_index() == keras_reads_home.datasets.imdb.get_word_index()
    assert reuters.get_word_index() == keras_reads_home.datasets.reuters.get_word_index()
    assert reuters.get_label_names() == keras_reads_home.datasets.reuters.get_label_names()
    assert len(reuters.get_label_names()) == 46


def test_bad_arguments_are_refused_with_the_fix(home):
    with pytest.raises(ValueError, match=r"test_split.*\[0, 1\).*1\.5"):
        boston_housing.load_data(test_split=1.5)
    with pytest.raises(ValueError, match=r"'small'.*'large'.*'medium'"):
        california_housing.load_data(version="medium")
    with pytest.raises(ValueError, match="maxlen=1.*Increase maxlen"):
        imdb.load_data(maxlen=1)
    with pytest.raises(TypeError, match=r"\['nb_words'\].*num_words"):
        imdb.load_data(nb_words=10)


@pytest.mark.parametrize("loader, fname", [(imdb.load_data, "imdb.npz"), (reuters.load_data, "reuters.npz"),
                                           (boston_housing.load_data, "boston_housing.npz"),
                                           (california_housing.load_data, "california_housing.npz"),
                                           (imdb.get_word_index, "imdb_word_index.json"),
                                           (reuters.get_word_index, "reuters_word_index.json")])
def test_missing_file_error_names_the_url_and_the_place(tmp_path, monkeypatch, loader, fname):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    monkeypatch.delenv("KERASTORCH_OFFLINE", raising=False)

    def unreachable(*args, **kwargs):
        raise urllib.error.URLError("Name or service not known")

    monkeypatch.setattr("urllib.request.urlopen", unreachable)
    with pytest.raises(OSError) as info:
        loader()
    message = str(info.value)
    assert f"https://storage.googleapis.com/tensorflow/tf-keras-datasets/{fname}" in message
    assert os.path.join(str(tmp_path), "datasets", fname) in message
    assert "download failed" in message and "Name or service not known" in message


def test_a_cached_file_with_another_hash_is_reported_offline(home, monkeypatch):
    monkeypatch.setattr(imdb, "_DATA_SHA256", "0" * 64)
    with pytest.raises(OSError, match=r"KERASTORCH_OFFLINE[\s\S]*its hash is not '0{64}'"):
        imdb.load_data()
