"""Fuzzing the file loaders: damaged `.keras` and `.weights.h5` files load, or fail cleanly.

Valid files saved by kerastorch are corrupted a few hundred times (truncated, bytes flipped,
zip members deleted, config.json replaced or mutated, HDF5 datasets reshaped, retyped, swapped,
deleted or added). Every load must either succeed, or raise a ValueError/OSError/KeyError whose
message names the file; a failed `load_weights` leaves the model's weights as they were; and no
code from the file runs. Where the damage cannot go unnoticed (the zip's CRCs, the HDF5 layout),
a load that succeeds must give the original predictions.
"""

import io
import json
import os
import random
import zipfile

import h5py
import numpy as np
import pytest
import torch

import kerastorch
from kerastorch import layers

CLEAN_ERRORS = (ValueError, OSError, KeyError)
X = np.random.default_rng(0).normal(size=(6, 4)).astype("float32")


def _model(seed):
    torch.manual_seed(seed)
    model = kerastorch.Sequential([layers.Input(shape=(4,)), layers.Dense(3, activation="relu"),
                                   layers.BatchNormalization(), layers.Dense(2)])
    model.compile(optimizer="adam", loss="mse")
    return model


@pytest.fixture(scope="module")
def originals(tmp_path_factory):
    folder = tmp_path_factory.mktemp("fuzz")
    model = _model(0)
    y = np.random.default_rng(1).normal(size=(6, 2)).astype("float32")
    model.fit(X, y, epochs=2, batch_size=3, verbose=0)   # moving statistics and optimizer state
    model.save(folder / "good.keras")
    model.save_weights(folder / "good.weights.h5")
    return {"folder": folder, "keras": (folder / "good.keras").read_bytes(),
            "weights": (folder / "good.weights.h5").read_bytes(),
            "predictions": model.predict(X, verbose=0)}


def _predict(model):
    return model.predict(X, verbose=0)


def _check_load_weights(path, originals, must_match):
    """Loads `path` into a fresh model: success (matching, where the damage is detectable) or a clean error."""
    model = _model(1)
    before = model.get_weights()
    try:
        model.load_weights(path)
    except CLEAN_ERRORS as e:
        assert os.path.basename(path) in str(e), f"the error does not name the file: {type(e).__name__}: {e}"
        for w, b in zip(model.get_weights(), before):
            np.testing.assert_array_equal(w, b, err_msg=f"a failed load_weights changed the model ({e})")
        return "refused"
    except Exception as e:  # a crash: anything else is a bug
        raise AssertionError(f"load_weights({os.path.basename(path)}) crashed with {type(e).__name__}: {e}") from e
    if must_match:
        np.testing.assert_allclose(_predict(model), originals["predictions"], rtol=1e-6, atol=1e-6,
                                   err_msg=f"{path}: loaded without an error, but the predictions changed")
    return "loaded"


def _check_load_model(path, originals, must_match):
    try:
        model = kerastorch.models.load_model(path)
    except CLEAN_ERRORS as e:
        assert os.path.basename(path) in str(e), f"the error does not name the file: {type(e).__name__}: {e}"
        return "refused"
    except Exception as e:
        raise AssertionError(f"load_model({os.path.basename(path)}) crashed with {type(e).__name__}: {e}") from e
    if must_match:
        np.testing.assert_allclose(_predict(model), originals["predictions"], rtol=1e-6, atol=1e-6,
                                   err_msg=f"{path}: loaded without an error, but the predictions changed")
    return "loaded"


def _flip(data, rng, count):
    data = bytearray(data)
    for _ in range(count):
        i = rng.randrange(len(data))
        data[i] ^= rng.randrange(1, 256)
    return bytes(data)


def _rebuild_zip(data, members):
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        contents = {n: zf.read(n) for n in zf.namelist()}
    contents = members(contents)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        for name, value in contents.items():
            zf.writestr(name, value)
    return out.getvalue()


def _random_json(rng, depth=0):
    kind = rng.randrange(8 if depth < 3 else 5)
    if kind == 0:
        return None
    if kind == 1:
        return rng.choice([True, False, 0, -1, 3, 2 ** 40, 1e308, -0.5])
    if kind == 2:
        return rng.choice(["", "Dense", "relu", "Sequential", "keras.layers", "../../etc/passwd",
                           "__lambda__", "float64", "x" * 300])
    if kind == 3:
        return rng.random()
    if kind == 4:
        return rng.choice([[], {}, [None], [1, 2], [-1], [0]])
    if kind == 5:
        return [_random_json(rng, depth + 1) for _ in range(rng.randrange(4))]
    keys = ["class_name", "config", "module", "layers", "units", "name", "build_config", "input_shape",
            "batch_shape", "dtype", "registered_name", "compile_config", "optimizer", "loss"]
    return {rng.choice(keys): _random_json(rng, depth + 1) for _ in range(rng.randrange(5))}


def _paths(obj, prefix=()):
    """Every (path, value) of a nested JSON value."""
    yield prefix, obj
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from _paths(v, prefix + (k,))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from _paths(v, prefix + (i,))


def _mutate_config(config, rng):
    config = json.loads(json.dumps(config))
    path, _ = rng.choice([p for p in _paths(config) if p[0]])
    parent = config
    for key in path[:-1]:
        parent = parent[key]
    if rng.random() < 0.25 and isinstance(parent, dict):
        del parent[path[-1]]
    else:
        parent[path[-1]] = _random_json(rng)
    return config


# --------------------------------------------------------------------------- .weights.h5
def test_truncated_weights_files_are_refused_cleanly(originals, tmp_path):
    rng = random.Random(0)
    data = originals["weights"]
    outcomes = []
    for i in range(50):
        path = tmp_path / f"t{i}.weights.h5"
        path.write_bytes(data[: rng.randrange(len(data))])
        outcomes.append(_check_load_weights(path, originals, must_match=True))
    assert outcomes.count("refused") >= 45, outcomes


def test_weights_files_with_flipped_bytes_load_or_fail_cleanly(originals, tmp_path):
    # HDF5 keeps no checksums of the data: a flipped byte inside a weight goes unnoticed, so
    # loading may succeed with other values; what must never happen is a crash.
    rng = random.Random(1)
    for i in range(60):
        path = tmp_path / f"f{i}.weights.h5"
        path.write_bytes(_flip(originals["weights"], rng, rng.choice([1, 3, 20])))
        _check_load_weights(path, originals, must_match=False)


def _reshape(arr, rng):
    choices = [arr.reshape(-1)[:-1] if arr.size > 1 else np.zeros((2,), arr.dtype),
               np.concatenate([arr, arr[:1]]) if arr.ndim else np.zeros((1,), arr.dtype),
               arr.T.copy() if arr.ndim == 2 and arr.shape[0] != arr.shape[1] else arr[None],
               np.float32(1.0) if arr.ndim else np.zeros((3, 3), arr.dtype),
               np.zeros((0,) + arr.shape[1:], arr.dtype)]
    return rng.choice(choices)


def _structural_damage(h5, rng):
    """One random change to the HDF5 layout; returns a description."""
    datasets, groups = [], []
    h5.visititems(lambda name, obj: (datasets if isinstance(obj, h5py.Dataset) else groups).append(name))
    action = rng.randrange(8)
    name = rng.choice(datasets)
    if action == 0:
        arr = h5[name][()]
        del h5[name]
        h5.create_dataset(name, data=_reshape(arr, rng))
        return f"reshaped {name}"
    if action == 1:
        # Datasets of the same shape (BatchNormalization's four) cannot be told apart: swap others.
        others = [d for d in datasets if h5[d].shape != h5[name].shape]
        if not others:
            return "nothing to swap"
        other = rng.choice(others)
        a, b = h5[name][()], h5[other][()]
        del h5[name], h5[other]
        h5.create_dataset(name, data=b)
        h5.create_dataset(other, data=a)
        return f"swapped {name} and {other}"
    if action == 2:
        del h5[name]
        return f"deleted {name}"
    if action == 3:
        shape = h5[name].shape
        del h5[name]
        h5.create_dataset(name, data=np.full(shape, b"abc", dtype="S3"))
        return f"{name} holds strings"
    if action == 4:
        group = rng.choice(groups)
        del h5[group]
        return f"deleted group {group}"
    if action == 5:
        group = h5[name].parent.name
        h5[group].create_dataset(str(len(h5[group])), data=np.zeros(3, "float32"))
        return f"extra dataset in {group}"
    if action == 6:
        h5.create_group(rng.choice(["layers/dense_7/vars", "layers/conv2d/vars", "elsewhere"]))
        h5["layers"].create_dataset("not_a_group", data=np.zeros(1)) if rng.random() < 0.3 else None
        return "extra group"
    parent, _, leaf = name.rpartition("/")
    h5.move(name, f"{parent}/{rng.choice(['x', '-1', '1.5', 'kernel'])}")
    return f"renamed {name}"


def test_weights_files_with_damaged_layout_are_refused_and_leave_the_model_unchanged(originals, tmp_path):
    rng = random.Random(2)
    outcomes = []
    for i in range(70):
        path = tmp_path / f"s{i}.weights.h5"
        path.write_bytes(originals["weights"])
        with h5py.File(path, "r+") as h5:
            what = _structural_damage(h5, rng)
        try:
            outcomes.append(_check_load_weights(path, originals, must_match=True))
        except AssertionError as e:
            raise AssertionError(f"{what}: {e}") from e
    assert outcomes.count("refused") >= 40, outcomes


# --------------------------------------------------------------------------- .keras
def test_truncated_keras_archives_are_refused_cleanly(originals, tmp_path):
    rng = random.Random(3)
    data = originals["keras"]
    for i in range(40):
        path = tmp_path / f"t{i}.keras"
        path.write_bytes(data[: rng.randrange(len(data))])
        assert _check_load_model(path, originals, must_match=True) == "refused"
        _check_load_weights(path, originals, must_match=True)


def test_keras_archives_with_flipped_bytes_load_identically_or_fail_cleanly(originals, tmp_path):
    # The zip's CRC covers every member: a load that succeeds must give the same predictions.
    rng = random.Random(4)
    for i in range(60):
        path = tmp_path / f"f{i}.keras"
        path.write_bytes(_flip(originals["keras"], rng, rng.choice([1, 2, 10])))
        _check_load_model(path, originals, must_match=True)
        if i % 3 == 0:
            _check_load_weights(path, originals, must_match=True)


@pytest.mark.parametrize("member", ["config.json", "metadata.json", "model.weights.h5"])
def test_keras_archive_without_a_member(originals, tmp_path, member):
    path = tmp_path / "m.keras"
    path.write_bytes(_rebuild_zip(originals["keras"], lambda c: {k: v for k, v in c.items() if k != member}))
    outcome = _check_load_model(path, originals, must_match=True)
    # metadata.json is informative only; without config or weights there is no model to load.
    assert outcome == ("loaded" if member == "metadata.json" else "refused")


def test_keras_archives_with_random_or_mutated_config_load_or_fail_cleanly(originals, tmp_path):
    # A changed config may describe another valid model (other epsilon, other names), so a
    # successful load is allowed to predict differently; a crash is not.
    rng = random.Random(5)
    with zipfile.ZipFile(io.BytesIO(originals["keras"])) as zf:
        config = json.loads(zf.read("config.json"))
    outcomes = []
    for i in range(80):
        new = _random_json(rng) if i % 4 == 0 else _mutate_config(config, rng)
        text = json.dumps(new) if i % 10 else json.dumps(new)[: rng.randrange(1, 40)]   # some not even JSON
        path = tmp_path / f"c{i}.keras"
        path.write_bytes(_rebuild_zip(originals["keras"], lambda c: {**c, "config.json": text.encode()}))
        try:
            outcomes.append(_check_load_model(path, originals, must_match=False))
        except AssertionError as e:
            raise AssertionError(f"config.json = {text[:300]}: {e}") from e
    assert outcomes.count("refused") >= 20 and outcomes.count("loaded") >= 5, outcomes


def test_keras_archives_with_damaged_weights_inside_are_refused(originals, tmp_path):
    rng = random.Random(6)
    for i in range(30):
        weights = io.BytesIO(originals["weights"])
        with h5py.File(weights, "r+") as h5:
            what = _structural_damage(h5, rng)
        path = tmp_path / f"w{i}.keras"
        path.write_bytes(_rebuild_zip(originals["keras"], lambda c: {**c, "model.weights.h5": weights.getvalue()}))
        try:
            _check_load_model(path, originals, must_match=True)
            _check_load_weights(path, originals, must_match=True)
        except AssertionError as e:
            raise AssertionError(f"{what}: {e}") from e


def test_code_in_a_config_never_runs(originals, tmp_path):
    sentinel = tmp_path / "ran"
    code = f"lambda x: (open({str(sentinel)!r}, 'w').close(), x)[1]"
    with zipfile.ZipFile(io.BytesIO(originals["keras"])) as zf:
        config = json.loads(zf.read("config.json"))
    layer_list = config["config"]["layers"]
    # A Lambda layer (its source as Keras 2 wrote it), an activation that is a serialized lambda,
    # and a class looked up in a module outside Keras.
    attempts = [
        {"module": "keras.layers", "class_name": "Lambda", "registered_name": None,
         "config": {"name": "evil", "function": {"class_name": "__lambda__",
                                                 "config": {"code": code, "defaults": None, "closure": None}}}},
        {"module": "keras.layers", "class_name": "Activation", "registered_name": None,
         "config": {"name": "evil", "activation": {"class_name": "__lambda__", "config": {"code": code}}}},
        {"module": "os", "class_name": "system", "registered_name": "system",
         "config": {"command": f"touch {sentinel}"}},
        {"module": "builtins", "class_name": "eval", "registered_name": "eval",
         "config": {"source": f"open({str(sentinel)!r}, 'w')"}},
    ]
    for i, evil in enumerate(attempts):
        new = json.loads(json.dumps(config))
        new["config"]["layers"] = layer_list[:2] + [evil] + layer_list[2:]
        path = tmp_path / f"evil{i}.keras"
        path.write_bytes(_rebuild_zip(originals["keras"], lambda c: {**c, "config.json": json.dumps(new).encode()}))
        with pytest.raises(CLEAN_ERRORS) as info:
            kerastorch.models.load_model(path)
        assert path.name in str(info.value)
        assert not sentinel.exists(), f"loading {evil['class_name']} ran code from the file"
