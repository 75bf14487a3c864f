"""`split_dataset`, `timeseries_dataset_from_array` and `text_dataset_from_directory` against real Keras.

Keras builds the last two with tf.data or Grain, neither of which is installed with Keras on torch,
so their batches are compared with windows computed by hand in numpy (timeseries) and with Keras'
own file indexing and shuffle, `keras.src.utils.dataset_utils.index_directory`, which runs without
TensorFlow (text). `split_dataset` runs in Keras on torch and is compared directly.
"""

import itertools
import os

import numpy as np
import pytest
import torch

import kerastorch
from kerastorch import layers, preprocessing, utils


# --------------------------------------------------------------------------- split_dataset
def _rows(subset):
    return [tuple(t.tolist() for t in subset[i]) for i in range(len(subset))]


SPLITS = [dict(left_size=0.8), dict(right_size=0.3), dict(left_size=7), dict(right_size=4),
          dict(left_size=0.25, right_size=0.75), dict(left_size=3, right_size=9)]


def test_split_dataset_shuffled_equals_keras(keras):
    x = np.arange(24).reshape(12, 2).astype("float32")
    y = np.arange(12)
    checked = 0
    for sizes, seed, data in itertools.product(SPLITS, [0, 1, 42], ["array", "tuple", "torch"]):
        source = {"array": x, "tuple": (x, y),
                  "torch": torch.utils.data.TensorDataset(torch.from_numpy(x), torch.from_numpy(y))}[data]
        ours = utils.split_dataset(source, shuffle=True, seed=seed, **sizes)
        theirs = keras.utils.split_dataset(source, shuffle=True, seed=seed, **sizes)
        for a, b in zip(ours, theirs):
            assert _rows(a) == _rows(b), (sizes, seed, data)
        checked += 1
    assert checked == len(SPLITS) * 9


def test_split_dataset_unshuffled_keeps_the_order():
    # Keras documents shuffle=False as "no shuffle" (its tf path: head and tail); expected by hand.
    left, right = utils.split_dataset(np.arange(10), left_size=3, right_size=4)
    assert [int(s[0]) for s in (left[i] for i in range(len(left)))] == [0, 1, 2]
    assert [int(s[0]) for s in (right[i] for i in range(len(right)))] == [6, 7, 8, 9]


def test_split_dataset_errors_match_keras_conditions(keras):
    for kwargs in [dict(), dict(left_size=0), dict(left_size=12), dict(left_size=1.0), dict(left_size=0.6, right_size=0.6),
                   dict(left_size=8, right_size=8)]:
        with pytest.raises(ValueError):
            keras.utils.split_dataset(np.arange(12), **kwargs)
        with pytest.raises(ValueError, match="split_dataset"):
            utils.split_dataset(np.arange(12), **kwargs)
    with pytest.raises(TypeError, match="left_size.*str"):
        utils.split_dataset(np.arange(12), left_size="half")
    with pytest.raises(TypeError, match="DataLoader: split its `.dataset`"):
        utils.split_dataset(torch.utils.data.DataLoader(np.arange(3)), left_size=1)
    with pytest.raises(NotImplementedError, match="tf.data.*leave it None"):
        utils.split_dataset(np.arange(12), left_size=3, preferred_backend="tensorflow")


# --------------------------------------------------------------------------- timeseries
def _windows_by_hand(data, targets, length, stride, rate, start, end):
    start = start or 0
    end = len(data) if end is None else end
    out_x, out_y = [], []
    s = 0
    while start + s + (length - 1) * rate < end and (targets is None or s < len(targets)):
        out_x.append([data[start + s + j * rate] for j in range(length)])
        if targets is not None:
            out_y.append(targets[start + s])
        s += stride
    return np.array(out_x), (np.array(out_y) if targets is not None else None)


TIMESERIES = [dict(sequence_length=5), dict(sequence_length=3, sequence_stride=2),
              dict(sequence_length=4, sampling_rate=3), dict(sequence_length=2, start_index=7),
              dict(sequence_length=3, end_index=20, sequence_stride=3, sampling_rate=2),
              dict(sequence_length=6, start_index=2, end_index=30, batch_size=4)]


@pytest.mark.parametrize("case", TIMESERIES, ids=str)
@pytest.mark.parametrize("kind", ["vector", "features", "no_targets", "short_targets"])
def test_timeseries_batches_equal_hand_computed_windows(case, kind):
    data = np.arange(40, dtype="float64") if kind != "features" else np.arange(80, dtype="int32").reshape(40, 2)
    targets = {"no_targets": None, "short_targets": np.arange(9) * 10}.get(kind, np.arange(40) * 10)
    kwargs = dict(dict(batch_size=5), **case)
    if kind == "short_targets" and case.get("start_index", 0) + 9 > 9:
        with pytest.raises(ValueError, match="targets` has 9 entries.*one target per step"):
            utils.timeseries_dataset_from_array(data, targets, **kwargs)
        return
    loader = utils.timeseries_dataset_from_array(data, targets, **kwargs)
    want_x, want_y = _windows_by_hand(data, targets, case["sequence_length"], case.get("sequence_stride", 1),
                                      case.get("sampling_rate", 1), case.get("start_index"), case.get("end_index"))
    batches = list(loader)
    xs = [b if targets is None else b[0] for b in batches]
    assert all(len(b) == kwargs["batch_size"] for b in xs[:-1])
    got_x = torch.cat(xs).numpy()
    assert got_x.dtype == data.dtype
    np.testing.assert_array_equal(got_x, want_x)
    if targets is not None:
        got_y = torch.cat([b[1] for b in batches]).numpy()
        assert got_y.dtype == targets.dtype
        np.testing.assert_array_equal(got_y, want_y)


def test_timeseries_shuffle_permutes_keras_windows_and_reshuffles_each_epoch():
    data, targets = np.arange(100), np.arange(100)
    loader = utils.timeseries_dataset_from_array(data, targets, sequence_length=3, batch_size=4, shuffle=True,
                                                 seed=7)
    first = torch.cat([y for _, y in loader]).tolist()
    second = torch.cat([y for _, y in loader]).tolist()
    assert sorted(first) == sorted(second) == list(range(98))   # every window once per epoch
    assert first != second and first != list(range(98))
    again = utils.timeseries_dataset_from_array(data, targets, sequence_length=3, batch_size=4, shuffle=True,
                                                seed=7)
    assert torch.cat([y for _, y in again]).tolist() == first
    for x, y in loader:                                          # windows still match their targets
        np.testing.assert_array_equal(x[:, 0].numpy(), y.numpy())
    unbatched = utils.timeseries_dataset_from_array(data, None, sequence_length=3, batch_size=None)
    assert next(iter(unbatched)).tolist() == [0, 1, 2]


def test_timeseries_loader_trains_with_fit():
    rng = np.random.default_rng(0)
    series = rng.normal(size=(60, 2)).astype("float32")
    loader = utils.timeseries_dataset_from_array(series[:-3], series[3:, 0], sequence_length=3, batch_size=8)
    model = kerastorch.Sequential([layers.Input(shape=(3, 2)), layers.Flatten(), layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    history = model.fit(loader, epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2 and np.isfinite(history.history["loss"]).all()


def test_timeseries_errors_name_the_argument():
    data = np.arange(10)
    with pytest.raises(ValueError, match=r"start_index.*\[0, 10\).*start_index=12"):
        utils.timeseries_dataset_from_array(data, None, 3, start_index=12)
    with pytest.raises(ValueError, match="end_index.*higher than `start_index`"):
        utils.timeseries_dataset_from_array(data, None, 3, start_index=5, end_index=4)
    with pytest.raises(ValueError, match="sampling_rate"):
        utils.timeseries_dataset_from_array(data, None, 3, sampling_rate=0)
    with pytest.raises(ValueError, match="sequence_stride"):
        utils.timeseries_dataset_from_array(data, None, 3, sequence_stride=10)
    with pytest.raises(ValueError, match="format.*'tf' or 'grain'.*'torch'"):
        utils.timeseries_dataset_from_array(data, None, 3, format="torch")
    with pytest.raises(ValueError, match="batch_size"):
        utils.timeseries_dataset_from_array(data, None, 3, batch_size=0)


# --------------------------------------------------------------------------- text
@pytest.fixture
def text_tree(tmp_path):
    root = tmp_path / "texts"
    files = {"neg/b.txt": "awful", "neg/a.txt": "bad movie", "neg/sub/c.txt": "nested, dull",
             "pos/z.txt": "great", "pos/y.txt": "fine film", "pos/x.txt": "ünïcode ok", "pos/skip.md": "not text",
             "pos/d.TXT": "upper case", ".hidden/h.txt": "hidden"}
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")
    return root


def _read(path, max_length=None):
    text = open(path, encoding="utf-8").read()
    return text if max_length is None else text[:max_length]


@pytest.mark.parametrize("kwargs", [dict(shuffle=False), dict(shuffle=True, seed=3), dict(shuffle=True, seed=11),
                                    dict(labels=None, shuffle=False), dict(class_names=["pos", "neg"], shuffle=False),
                                    dict(labels=[1, 0, 1, 1, 0, 0, 1, 0], shuffle=True, seed=2)], ids=str)
def test_text_files_labels_and_order_equal_keras_indexing(keras, text_tree, kwargs):
    from keras.src.utils.dataset_utils import index_directory

    paths, labels, names = index_directory(str(text_tree), kwargs.get("labels", "inferred"), formats=(".txt",),
                                           class_names=kwargs.get("class_names"), shuffle=kwargs["shuffle"],
                                           seed=kwargs.get("seed"), verbose=False)
    loader = utils.text_dataset_from_directory(str(text_tree), batch_size=100, verbose=False, **kwargs)
    assert loader.file_paths == list(paths) and loader.class_names == names
    # With one batch larger than the buffer's reach the whole set is still there; without shuffling
    # the batch is Keras' exact order.
    batch = next(iter(loader))
    texts = batch if kwargs.get("labels", "inferred") is None else batch[0]
    expected = [_read(p) for p in paths]
    if kwargs["shuffle"]:
        assert sorted(texts) == sorted(expected)
    else:
        assert list(texts) == expected
        if labels is not None:
            assert batch[1].dtype == torch.int32 and batch[1].tolist() == list(np.asarray(labels))


def test_text_label_modes_max_length_and_splits(keras, text_tree):
    from keras.src.utils.dataset_utils import index_directory

    paths, labels, _ = index_directory(str(text_tree), "inferred", formats=(".txt",), shuffle=True, seed=5,
                                       verbose=False)
    n_val = int(0.3 * len(paths))
    train, val = utils.text_dataset_from_directory(str(text_tree), batch_size=2, validation_split=0.3,
                                                   subset="both", seed=5, label_mode="categorical",
                                                   max_length=4, verbose=False)
    assert train.file_paths == paths[:-n_val] and val.file_paths == paths[-n_val:]
    val_texts, val_labels = zip(*[(t, y) for texts, ys in val for t, y in zip(texts, ys)])
    assert list(val_texts) == [_read(p, 4) for p in paths[-n_val:]]
    np.testing.assert_array_equal(torch.stack(val_labels).numpy(), np.eye(2, dtype="float32")[labels[-n_val:]])
    binary = utils.text_dataset_from_directory(str(text_tree), label_mode="binary", shuffle=False,
                                               batch_size=None, verbose=False)
    text, label = next(iter(binary))
    assert isinstance(text, str) and label.dtype == torch.float32 and label.shape == (1,)
    assert preprocessing.text_dataset_from_directory is utils.text_dataset_from_directory


def test_text_errors_say_what_to_do(text_tree, tmp_path):
    with pytest.raises(ValueError, match="validation_split.*pass a `seed`"):
        utils.text_dataset_from_directory(str(text_tree), validation_split=0.2, subset="training")
    with pytest.raises(ValueError, match="label_mode.*'sparse'"):
        utils.text_dataset_from_directory(str(text_tree), label_mode="sparse")
    with pytest.raises(ValueError, match="binary.*exactly 2"):
        utils.text_dataset_from_directory(str(text_tree), class_names=["neg"], label_mode="binary", verbose=False)
    with pytest.raises(ValueError, match="got 2 labels but found 8 files"):
        utils.text_dataset_from_directory(str(text_tree), labels=[0, 1], verbose=False)
    with pytest.raises(ValueError, match="not a folder"):
        utils.text_dataset_from_directory(str(tmp_path / "missing"))
    (tmp_path / "empty" / "a").mkdir(parents=True)
    with pytest.raises(ValueError, match=r"no text files \(.txt\)"):
        utils.text_dataset_from_directory(str(tmp_path / "empty"), verbose=False)
