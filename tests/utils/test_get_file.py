"""`get_file` places, checks and unpacks files as real Keras' does (a local `file://` origin stands in for
the network), uses a cached file without the network, and says where to put a file it cannot fetch."""

import hashlib
import io
import os
import tarfile
import urllib.error
import zipfile

import pytest

from kerastorch import utils


@pytest.fixture
def origins(tmp_path):
    """A plain file, a .tar.gz and a .zip, served as file:// URLs."""
    src = tmp_path / "server"
    src.mkdir()
    (src / "notes.txt").write_text("hello")
    with tarfile.open(src / "bundle.tar.gz", "w:gz") as tar:
        data = b"inside the tar"
        info = tarfile.TarInfo("bundle/a.txt")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    with zipfile.ZipFile(src / "pack.zip", "w") as z:
        z.writestr("pack/b.txt", "inside the zip")
    return {name: (src / name).as_uri() for name in ("notes.txt", "bundle.tar.gz", "pack.zip")}, src


CASES = [
    dict(fname="notes.txt", origin="notes.txt"),
    dict(fname=None, origin="notes.txt"),
    dict(fname="renamed.txt", origin="notes.txt", cache_subdir="models"),
    dict(fname="bundle.tar.gz", origin="bundle.tar.gz", extract=True),
    dict(fname="bundle", origin="bundle.tar.gz", extract=True),
    dict(fname=None, origin="bundle.tar.gz", extract=True),
    dict(fname="bundle.tgz", origin="bundle.tar.gz", untar=True),
    dict(fname="pack.zip", origin="pack.zip", extract=True, archive_format="zip"),
    dict(fname="pack", origin="pack.zip", extract=True, archive_format=["tar", "zip"]),
    dict(fname="notes2.txt", origin="notes.txt", extract=True),   # not an archive: a warning, as in Keras
]


def _tree(root):
    out = {}
    for folder, _, files in os.walk(root):
        for f in files:
            path = os.path.join(folder, f)
            out[os.path.relpath(path, root)] = open(path, "rb").read()
    return out


@pytest.mark.parametrize("case", CASES, ids=str)
def test_get_file_places_and_extracts_like_keras(keras, tmp_path, origins, case):
    urls, _ = origins
    kwargs = dict(case, origin=urls[case["origin"]])
    ours_dir, keras_dir = tmp_path / "ours", tmp_path / "keras"
    keras_dir.mkdir()   # Keras falls back to /tmp/.keras for a cache_dir that does not exist yet
    with pytest.warns(UserWarning) if case["fname"] == "notes2.txt" else _nothing():
        ours = utils.get_file(cache_dir=str(ours_dir), **kwargs)
    with pytest.warns(UserWarning) if case["fname"] == "notes2.txt" else _nothing():
        theirs = keras.utils.get_file(cache_dir=str(keras_dir), **kwargs)
    assert os.path.relpath(ours, ours_dir) == os.path.relpath(theirs, keras_dir)
    assert _tree(ours_dir) == _tree(keras_dir)


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def test_cached_file_is_used_without_network_and_hash_checked(tmp_path, monkeypatch, origins):
    urls, src = origins
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "home"))

    def unreachable(*args, **kwargs):
        raise urllib.error.URLError("no network")

    first = utils.get_file("notes.txt", origin=urls["notes.txt"])
    assert first == os.path.join(str(tmp_path / "home"), "datasets", "notes.txt")
    monkeypatch.setattr("urllib.request.urlopen", unreachable)
    sha = hashlib.sha256(b"hello").hexdigest()
    md5 = hashlib.md5(b"hello").hexdigest()
    assert utils.get_file("notes.txt", origin="https://example.invalid/notes.txt", file_hash=sha) == first
    assert utils.get_file("notes.txt", origin="https://example.invalid/notes.txt", md5_hash=md5) == first
    assert utils.get_file("notes.txt", origin="https://example.invalid/notes.txt", file_hash=md5,
                          hash_algorithm="md5") == first
    with pytest.raises(OSError, match="no network"):
        utils.get_file("notes.txt", origin="https://example.invalid/notes.txt", force_download=True)


def test_stale_cached_file_is_downloaded_again(tmp_path, origins):
    urls, _ = origins
    cache = tmp_path / "c"
    (cache / "datasets").mkdir(parents=True)
    (cache / "datasets" / "notes.txt").write_text("old")
    path = utils.get_file("notes.txt", origin=urls["notes.txt"], cache_dir=str(cache),
                          file_hash=hashlib.sha256(b"hello").hexdigest())
    assert open(path).read() == "hello"


def test_a_download_with_the_wrong_hash_raises(tmp_path, origins):
    urls, _ = origins
    with pytest.raises(ValueError, match=r"incomplete or corrupted.*sha256"):
        utils.get_file("notes.txt", origin=urls["notes.txt"], cache_dir=str(tmp_path / "c"),
                       file_hash="1" * 64, hash_algorithm="sha256")


def test_offline_error_names_url_cache_path_and_what_to_do(tmp_path, monkeypatch, origins):
    urls, _ = origins
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("KERASTORCH_OFFLINE", "1")
    url = "https://example.invalid/data/notes.txt"
    with pytest.raises(OSError) as info:
        utils.get_file("notes.txt", origin=url, cache_subdir="mine")
    message = str(info.value)
    assert url in message
    assert os.path.join(str(tmp_path / "home"), "mine", "notes.txt") in message
    assert "KERASTORCH_OFFLINE" in message and "put it at" in message
    # a file:// origin is no network access: it is read even offline
    assert open(utils.get_file("notes.txt", origin=urls["notes.txt"], cache_subdir="mine")).read() == "hello"


def test_archive_members_outside_the_folder_are_skipped(tmp_path):
    archive = tmp_path / "evil.tar"
    with tarfile.open(archive, "w") as tar:
        for name in ("../escape.txt", "ok.txt"):
            info = tarfile.TarInfo(name)
            info.size = 2
            tar.addfile(info, io.BytesIO(b"hi"))
    with pytest.warns(UserWarning, match="escape"):
        assert utils.file_utils.extract_archive(str(archive), str(tmp_path / "out"))
    assert os.listdir(tmp_path / "out") == ["ok.txt"] and not (tmp_path / "escape.txt").exists()


def test_bad_arguments_are_refused(tmp_path):
    with pytest.raises(ValueError, match="pass `origin`"):
        utils.get_file("x.txt")
    with pytest.raises(ValueError, match="not a path.*cache_dir"):
        utils.get_file(os.path.join("a", "b.txt"), origin="https://example.invalid/b.txt", cache_dir=str(tmp_path))
    with pytest.raises(ValueError, match="hash_algorithm.*'sha1'"):
        utils.get_file("b.txt", origin="https://example.invalid/b.txt", hash_algorithm="sha1")
    with pytest.raises(ValueError, match="archive_format.*'rar'"):
        utils.get_file("b.txt", origin="https://example.invalid/b.txt", extract=True, archive_format="rar",
                       cache_dir=str(tmp_path))
