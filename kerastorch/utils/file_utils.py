"""`get_file`: download a file once into Keras' cache (`$KERAS_HOME`, default `~/.keras`), check it, unpack it.

The cache is Keras' own: a file that real Keras downloaded (e.g. `~/.keras/datasets/imdb.npz`)
is found here without the network, and the other way round. Set `KERASTORCH_OFFLINE=1` to never
try the network; a missing file then raises an error that says where to put it.
"""

import hashlib
import os
import shutil
import tarfile
import tempfile
import urllib.error
import urllib.parse
import urllib.request
import warnings
import zipfile

_HASH_ALGORITHMS = ("auto", "sha256", "md5")
_ARCHIVE_FORMATS = ("tar", "zip")


def keras_home():
    """Keras' cache root: `$KERAS_HOME` when set, else `~/.keras` (read at every call)."""
    return os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")


def _offline():
    return os.environ.get("KERASTORCH_OFFLINE", "").strip().lower() in ("1", "true", "yes")


def _hasher(algorithm, file_hash=None):
    if algorithm == "sha256" or (algorithm == "auto" and file_hash is not None and len(str(file_hash)) == 64):
        return hashlib.sha256()
    return hashlib.md5()      # Keras' rule: "auto" with any other hash length is md5


def hash_file(fpath, algorithm="sha256", chunk_size=65535):
    """Returns the sha256 (or md5) hex digest of a file.

    Args:
        fpath: Path to the file.
        algorithm: `"sha256"`, `"md5"` or `"auto"` (sha256). Defaults to `"sha256"`.
        chunk_size: Bytes read at a time. Defaults to `65535`.

    Returns:
        The hex digest, a string.

    Example:
    >>> import tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "empty")
    >>> open(path, "wb").close()
    >>> hash_file(path)
    'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'
    """
    hasher = _hasher(algorithm) if isinstance(algorithm, str) else algorithm
    with open(fpath, "rb") as f:
        for chunk in iter(lambda: f.read(chunk_size), b""):
            hasher.update(chunk)
    return hasher.hexdigest()


def validate_file(fpath, file_hash, algorithm="auto", chunk_size=65535):
    """Whether the file's sha256 or md5 digest equals `file_hash`.

    Args:
        fpath: Path to the file.
        file_hash: Expected hex digest (64 characters: sha256; 32: md5).
        algorithm: `"auto"` (from the length of `file_hash`), `"sha256"` or `"md5"`.
            Defaults to `"auto"`.
        chunk_size: Bytes read at a time. Defaults to `65535`.

    Returns:
        `True` or `False`.

    Example:
    >>> import tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "empty")
    >>> open(path, "wb").close()
    >>> validate_file(path, "d41d8cd98f00b204e9800998ecf8427e")
    True
    """
    return str(hash_file(fpath, _hasher(algorithm, file_hash), chunk_size)) == str(file_hash)


def _inside(base, name):
    target = os.path.realpath(os.path.join(base, name))
    try:
        return os.path.commonpath([target, base]) == base
    except ValueError:
        return False


def _safe_members(archive, base):
    """The members that stay inside `base` (links included); the others are skipped with a warning."""
    base = os.path.realpath(base)
    if isinstance(archive, zipfile.ZipFile):
        members = archive.infolist()
        for info in members:
            if _inside(base, info.filename):
                yield info
            else:
                warnings.warn(f"get_file: skipping {info.filename!r}, which would be extracted outside "
                              f"{base!r}.", stacklevel=3)
        return
    for info in archive:
        ok = _inside(base, info.name)
        if ok and info.issym():
            ok = _inside(base, os.path.join(os.path.dirname(info.name), info.linkname))
        elif ok and info.islnk():
            ok = _inside(base, info.linkname)
        if ok:
            yield info
        else:
            warnings.warn(f"get_file: skipping {info.name!r}, which would be extracted (or link) outside "
                          f"{base!r}.", stacklevel=3)


def extract_archive(file_path, path=".", archive_format="auto"):
    """Extracts a tar (`.tar`, `.tar.gz`, `.tar.bz2`) or zip archive into `path`.

    Members that would land outside `path` are skipped, with a warning.

    Args:
        file_path: The archive.
        path: Destination folder. Defaults to `"."`.
        archive_format: `"auto"` (tar, then zip), `"tar"`, `"zip"`, a list of these, or
            `None` (extract nothing). Defaults to `"auto"`.

    Returns:
        `True` if the file was an archive of an accepted format and was extracted,
        `False` otherwise.

    Example:
    >>> import tempfile, os, zipfile
    >>> folder = tempfile.mkdtemp()
    >>> with zipfile.ZipFile(os.path.join(folder, "a.zip"), "w") as z:
    ...     z.writestr("hello.txt", "hi")
    >>> extract_archive(os.path.join(folder, "a.zip"), os.path.join(folder, "out"))
    True
    >>> open(os.path.join(folder, "out", "hello.txt")).read()
    'hi'
    """
    formats = _archive_formats(archive_format)
    file_path, path = os.fspath(file_path), os.fspath(path)
    for kind in formats:
        is_match, opener = ((tarfile.is_tarfile, tarfile.open) if kind == "tar"
                            else (zipfile.is_zipfile, zipfile.ZipFile))
        if not is_match(file_path):
            continue
        with opener(file_path) as archive:
            try:
                if kind == "tar":
                    archive.extractall(path, members=list(_safe_members(archive, path)), filter="data")
                else:
                    archive.extractall(path, members=list(_safe_members(archive, path)))
            except (tarfile.TarError, RuntimeError, KeyboardInterrupt):
                if os.path.isfile(path):
                    os.remove(path)
                elif os.path.isdir(path):
                    shutil.rmtree(path)
                raise
        return True
    return False


def _archive_formats(archive_format):
    if archive_format is None:
        return []
    if archive_format == "auto":
        return list(_ARCHIVE_FORMATS)
    formats = [archive_format] if isinstance(archive_format, str) else list(archive_format)
    unknown = [f for f in formats if f not in _ARCHIVE_FORMATS]
    if unknown:
        raise ValueError(f"get_file: `archive_format` must be 'auto', 'tar', 'zip', a list of these, or None, "
                         f"got archive_format={archive_format!r}.")
    return formats


def _cache_root(cache_dir):
    root = os.path.expanduser(os.fspath(cache_dir) if cache_dir is not None else keras_home())
    # Keras checks os.access before creating the folder, so a cache_dir that does not exist yet
    # silently becomes /tmp/.keras there; here it is created first and used.
    try:
        os.makedirs(root, exist_ok=True)
    except OSError:
        pass
    if not os.access(root, os.W_OK):   # Keras' fallback for a read-only home
        root = os.path.join("/tmp" if os.path.isdir("/tmp") else tempfile.gettempdir(), ".keras")
    return root


def _download(origin, target):
    """Streams `origin` into `target` (through a temporary file, so no half file is left behind)."""
    from kerastorch.utils.progbar import Progbar

    print(f"Downloading data from {origin}")
    partial = target + ".part"
    try:
        with urllib.request.urlopen(origin, timeout=60) as response, open(partial, "wb") as out:
            total = response.headers.get("Content-Length")
            bar = Progbar(int(total) if total and total.isdigit() else None, unit_name="B")
            done = 0
            for chunk in iter(lambda: response.read(1 << 16), b""):
                out.write(chunk)
                done += len(chunk)
                bar.update(done)
        os.replace(partial, target)
    finally:
        if os.path.exists(partial):
            os.remove(partial)


def _unavailable(origin, target, cause, stale_hash=None):
    why = ("downloads are disabled (KERASTORCH_OFFLINE is set)" if cause is None
           else f"the download failed ({type(cause).__name__}: {cause})")
    found = (f"A file is there, but its hash is not {stale_hash!r} (incomplete, or another version); "
             f"replace it.\n" if stale_hash else "")
    return OSError(
        f"get_file: {os.path.basename(target)!r} is not in the cache and {why}.\n"
        f"Download {origin}\nand put it at {target}\n{found}"
        f"then call again: a file already in the cache is used without the network. The cache is "
        f"cache_dir/cache_subdir, cache_dir defaulting to $KERAS_HOME (or ~/.keras), as in Keras."
    )


def get_file(fname=None, origin=None, untar=False, md5_hash=None, file_hash=None, cache_subdir="datasets",
             hash_algorithm="auto", extract=False, archive_format="auto", cache_dir=None,
             force_download=False):
    """Downloads a file from a URL unless it is already in the cache, as `keras.utils.get_file` does.

    The file lands at `cache_dir/cache_subdir/fname`, by default `~/.keras/datasets/fname`
    (`$KERAS_HOME/datasets/fname` when `KERAS_HOME` is set): the same place real Keras uses,
    so files either one downloaded are shared. A file already there is used with no network
    access (after a hash check when `file_hash` is given).

    Args:
        fname: File name in the cache. Defaults to `None`: the last part of `origin`'s path.
            With `extract=True`, a name without an extension is the extraction folder.
        origin: URL of the file.
        untar: Deprecated: `extract=True` with `archive_format="tar"`. Defaults to `False`.
        md5_hash: Deprecated: `file_hash` with `hash_algorithm="md5"`. Defaults to `None`.
        file_hash: Optional expected sha256 or md5 hex digest. A cached file that does not
            match is downloaded again; a downloaded one that does not match raises.
        cache_subdir: Folder under `cache_dir` (or an absolute path). Defaults to `"datasets"`.
        hash_algorithm: `"auto"` (sha256 for a 64-character hash, else md5), `"sha256"` or
            `"md5"`. Defaults to `"auto"`.
        extract: Whether to extract the archive (tar or zip). Defaults to `False`.
        archive_format: `"auto"` (tar, then zip), `"tar"`, `"zip"`, a list, or `None`.
            Defaults to `"auto"`.
        cache_dir: Cache root. Defaults to `None`: `$KERAS_HOME`, else `~/.keras` (a
            read-only root falls back to `/tmp/.keras`, as in Keras).
        force_download: Whether to download even if the file is cached. Defaults to `False`.

    Returns:
        The path of the file, or of the extraction folder with `extract=True`.

    Raises:
        OSError: the file is not cached and cannot be downloaded (no network, or
            `KERASTORCH_OFFLINE=1`); the message names the URL and the path to put it at.
        ValueError: a downloaded file fails the hash check, or the arguments are invalid.

    Example:
    >>> import os, tempfile
    >>> cache = tempfile.mkdtemp()
    >>> os.makedirs(os.path.join(cache, "datasets"))
    >>> with open(os.path.join(cache, "datasets", "notes.txt"), "w") as f:
    ...     _ = f.write("cached")
    >>> path = get_file("notes.txt", origin="https://example.com/notes.txt", cache_dir=cache)
    >>> open(path).read()
    'cached'
    """
    if origin is None:
        raise ValueError("get_file: pass `origin`, the URL of the file to download.")
    if hash_algorithm not in _HASH_ALGORITHMS:
        raise ValueError(f"get_file: `hash_algorithm` must be one of {', '.join(map(repr, _HASH_ALGORITHMS))}, "
                         f"got hash_algorithm={hash_algorithm!r}.")
    if md5_hash is not None and file_hash is None:
        file_hash, hash_algorithm = md5_hash, "md5"
    if extract or untar:
        _archive_formats("tar" if untar else archive_format)   # validate before downloading
    datadir = os.path.join(_cache_root(cache_dir), cache_subdir)
    os.makedirs(datadir, exist_ok=True)

    given = fname is not None and os.fspath(fname) != ""
    fname = os.fspath(fname) if given else os.path.basename(urllib.parse.urlsplit(origin).path)
    if not fname:
        raise ValueError(f"get_file: cannot take a file name from origin={origin!r}; pass `fname`.")
    if os.sep in fname or (os.altsep and os.altsep in fname):
        raise ValueError(f"get_file: `fname` must be a file name, not a path, got fname={fname!r}. Choose the "
                         f"folder with cache_dir= (and cache_subdir=).")

    if extract or untar:
        if given and "." in fname:
            target = os.path.join(datadir, fname)
            extraction_dir = os.path.join(datadir, fname[:fname.find(".")] + "_extracted")
        else:
            target = os.path.join(datadir, fname + "_archive")
            extraction_dir = os.path.join(datadir, fname)
    else:
        target = os.path.join(datadir, fname)

    stale = False
    if force_download or not os.path.exists(target):
        download = True
    elif file_hash is not None and not validate_file(target, file_hash, algorithm=hash_algorithm):
        print(f"A local file was found, but it seems to be incomplete or outdated because the {hash_algorithm} "
              f"file hash does not match the original value of {file_hash} so we will re-download the data.")
        download = stale = True
    else:
        download = False

    if download:
        if _offline() and urllib.parse.urlsplit(origin).scheme != "file":   # a file:// URL is not the network
            raise _unavailable(origin, target, None, file_hash if stale else None)
        try:
            _download(origin, target)
        except (urllib.error.URLError, OSError, ValueError) as e:
            raise _unavailable(origin, target, e, file_hash if stale else None) from e
        if file_hash is not None and not validate_file(target, file_hash, algorithm=hash_algorithm):
            raise ValueError(f"get_file: the file downloaded from {origin} to {target} is incomplete or "
                             f"corrupted: its {hash_algorithm} hash does not match {file_hash!r}.")

    if extract or untar:
        if not extract_archive(target, extraction_dir, "tar" if untar else archive_format):
            warnings.warn(f"get_file: could not extract {target!r}: it is not a "
                          f"{'tar' if untar else archive_format!r} archive.", stacklevel=2)
        return extraction_dir
    return target
