"""The rest of Keras' metrics (R2Score, IoU family, correlations, rates at a constraint) against real Keras.

Generated over a table of cases per class: results after several weighted `update_state` calls,
the state variables (names, order, dtypes and values, as Keras keeps them), `reset_state`, configs
equal to Keras' with round trips both ways, `get` by name, no host sync, and the namespace walk
over `dir(keras.metrics)`.
"""

import contextlib
import warnings

import numpy as np
import pytest
import torch

from kerastorch import losses, metrics

N, C = 16, 4
RNG = np.random.default_rng(11)


def _batch(kind):
    if kind == "regression":
        return RNG.normal(size=(N, 3)).astype("float32"), RNG.normal(size=(N, 3)).astype("float32")
    if kind == "regression1":
        y = RNG.normal(size=(N, 1)).astype("float32")
        return y, (y + RNG.normal(size=(N, 1)) * 0.5).astype("float32")
    if kind == "ids":  # class ids, a few out of range in both (left out of the matrix)
        y, p = RNG.integers(0, C, N), RNG.integers(0, C, N)
        y[0], p[1], p[2] = C, -1, C + 2
        return y, p
    if kind == "ids2d":  # (N, 5) maps of class ids, as a segmentation model gives
        return RNG.integers(0, C, (N, 5)), RNG.integers(0, C, (N, 5))
    if kind == "float_ids":  # ids as floats, 2.7 truncates to 2 as in Keras' cast
        y = RNG.integers(0, C, N).astype("float32")
        p = RNG.integers(0, C, N).astype("float32") + 0.7
        return y, p
    if kind == "ids_scores":  # class ids against per-class scores (sparse_y_pred=False)
        return RNG.integers(0, C, N), RNG.random((N, C)).astype("float32")
    if kind == "onehot":
        p = RNG.random((N, C)).astype("float32")
        return np.eye(C, dtype="float32")[RNG.integers(0, C, N)], p / p.sum(-1, keepdims=True)
    if kind == "binary":
        p = RNG.random((N, 1)).astype("float32")
        p[:3, 0] = [0.0, 0.5, 1.0]  # exactly on thresholds
        return RNG.integers(0, 2, (N, 1)).astype("float32"), p
    if kind == "multilabel":
        return RNG.integers(0, 2, (N, 3)).astype("float32"), RNG.random((N, 3)).astype("float32")
    raise AssertionError(kind)


# (class name, constructor kwargs, data kind, weights: "float" | "int" | "element" | "none")
CASES = [
    ("R2Score", {}, "regression", "float"),
    ("R2Score", {"class_aggregation": "variance_weighted_average"}, "regression", "float"),
    ("R2Score", {"class_aggregation": None}, "regression", "element"),
    ("R2Score", {"num_regressors": 2}, "regression1", "float"),
    ("R2Score", {"dtype": "float64"}, "regression1", "float"),
    ("IoU", {"num_classes": C, "target_class_ids": [0, 2]}, "ids", "int"),
    ("IoU", {"num_classes": C, "target_class_ids": [1], "ignore_class": 3}, "ids2d", "element"),
    ("IoU", {"num_classes": C, "target_class_ids": [0, 1, 3], "dtype": "float32"}, "float_ids", "float"),
    ("IoU", {"num_classes": C, "target_class_ids": [1, 2], "sparse_y_true": False, "sparse_y_pred": False},
     "onehot", "int"),
    ("MeanIoU", {"num_classes": C}, "ids", "int"),
    ("MeanIoU", {"num_classes": C, "ignore_class": 0, "dtype": "float32"}, "ids2d", "element"),
    ("MeanIoU", {"num_classes": C, "sparse_y_pred": False}, "ids_scores", "int"),
    ("BinaryIoU", {}, "binary", "int"),
    ("BinaryIoU", {"target_class_ids": [1], "threshold": 0.3}, "binary", "int"),
    ("BinaryIoU", {"target_class_ids": (0,), "threshold": 0.7, "dtype": "float32"}, "multilabel", "element"),
    ("OneHotIoU", {"num_classes": C, "target_class_ids": [0, 3]}, "onehot", "int"),
    ("OneHotIoU", {"num_classes": C, "target_class_ids": [2], "ignore_class": 1, "dtype": "float32"},
     "onehot", "float"),
    ("OneHotMeanIoU", {"num_classes": C}, "onehot", "int"),
    ("PearsonCorrelation", {}, "regression", "float"),
    ("PearsonCorrelation", {"axis": 0, "dtype": "float64"}, "regression", "none"),
    ("ConcordanceCorrelation", {}, "regression", "float"),
    ("ConcordanceCorrelation", {"axis": 0}, "regression", "none"),
    ("SensitivityAtSpecificity", {"specificity": 0.5}, "binary", "float"),
    ("SensitivityAtSpecificity", {"specificity": 0.8, "num_thresholds": 7, "class_id": 1}, "multilabel", "float"),
    ("SpecificityAtSensitivity", {"sensitivity": 0.6}, "binary", "float"),
    ("SpecificityAtSensitivity", {"sensitivity": 0.3, "num_thresholds": 1, "dtype": "float64"}, "binary", "float"),
    ("PrecisionAtRecall", {"recall": 0.7}, "binary", "float"),
    ("PrecisionAtRecall", {"recall": 0.4, "num_thresholds": 13, "class_id": 2}, "multilabel", "float"),
    ("RecallAtPrecision", {"precision": 0.5}, "binary", "float"),
    ("RecallAtPrecision", {"precision": 0.9, "num_thresholds": 3}, "binary", "float"),
]


def _case_id(case):
    name, kwargs, kind, weights = case
    return name + "".join(f"-{k}={v}" for k, v in kwargs.items()) + f"-{kind}-{weights}"


def _np(keras, x):
    return np.asarray(keras.ops.convert_to_numpy(x))


def _weights(i, kind, mode, y):
    """None, then (N,) weights, then (N, 1) weights (element-wise weights for "element")."""
    if i == 0 or mode == "none":
        return None
    if mode == "element":
        as_float = kind.startswith("regression") or kind == "multilabel"
        return RNG.integers(0, 3, np.shape(y)[:2]).astype("float32" if as_float else "int64")
    if mode == "int":
        w = RNG.integers(0, 3, N)
    else:
        w = (RNG.random(N) * 2).astype("float32")
        w[:2] = 0.0
    return w if i == 1 else w[:, None]


def _assert_state_equal(ours, theirs, keras, where):
    names = [v.name for v in theirs.variables]
    assert list(ours._state) == names, where
    for v, (key, mine) in zip(theirs.variables, ours._state.items()):
        assert str(mine.dtype).replace("torch.", "") == str(v.dtype), (where, key, mine.dtype, v.dtype)
        np.testing.assert_allclose(mine.numpy(), _np(keras, v), rtol=1e-5, atol=1e-6, err_msg=f"{where}: {key}")


def _assert_result_equal(ours, theirs, keras, where):
    got, want = ours.result(), theirs.result()
    assert got.dtype == want.dtype, (where, got.dtype, want.dtype)
    np.testing.assert_allclose(got.numpy(), _np(keras, want), rtol=1e-5, atol=1e-6, err_msg=where)


@pytest.mark.keras
@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_metric_matches_keras_over_updates_state_and_reset(keras, case):
    name, kwargs, kind, mode = case
    ours = getattr(metrics, name)(**kwargs)
    theirs = getattr(keras.metrics, name)(**kwargs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Keras' and our float-weight/int-dtype and adjusted-R2 warnings
        for i in range(3):
            y, p = _batch(kind)
            w = _weights(i, kind, mode, y)
            ours.update_state(torch.tensor(y), torch.tensor(p), sample_weight=None if w is None else torch.tensor(w))
            theirs.update_state(y, p, sample_weight=w)
            _assert_result_equal(ours, theirs, keras, f"update {i}")
        _assert_state_equal(ours, theirs, keras, "after 3 updates")
        ours.reset_state()
        theirs.reset_state()
        _assert_state_equal(ours, theirs, keras, "after reset_state")
        _assert_result_equal(ours, theirs, keras, "after reset_state")
        y, p = _batch(kind)
        ours.update_state(torch.tensor(y), torch.tensor(p))
        theirs.update_state(y, p)
        _assert_result_equal(ours, theirs, keras, "update after reset")


@pytest.mark.keras
@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_config_equals_keras_and_round_trips_both_ways(keras, case):
    name, kwargs, _, _ = case
    ours = getattr(metrics, name)(name="m", **kwargs)
    theirs = getattr(keras.metrics, name)(name="m", **kwargs)
    assert ours.get_config() == theirs.get_config()
    assert type(ours).from_config(ours.get_config()).get_config() == ours.get_config()
    again = metrics.deserialize(metrics.serialize(ours))
    assert type(again) is type(ours) and again.get_config() == ours.get_config()
    from_keras = metrics.deserialize(keras.metrics.serialize(theirs))   # a Keras config, loaded here
    assert type(from_keras).__name__ == name and from_keras.get_config() == theirs.get_config()
    assert metrics.serialize(ours) == keras.metrics.serialize(theirs)


@pytest.mark.keras
@pytest.mark.parametrize("name", ["pearson_correlation", "concordance_correlation"])
@pytest.mark.parametrize("axis", [-1, 0])
def test_correlation_functions_return_keras_values(keras, name, axis):
    y, p = _batch("regression")
    got = getattr(metrics, name)(torch.tensor(y), torch.tensor(p), axis=axis)
    T = keras.ops.convert_to_tensor
    want = getattr(keras.metrics, name)(T(y), T(p), axis=axis)
    assert tuple(got.shape) == tuple(want.shape)
    np.testing.assert_allclose(got.numpy(), _np(keras, want), rtol=1e-5, atol=1e-6)


def test_pearson_correlation_equals_numpy_corrcoef():
    y, p = _batch("regression")
    got = metrics.pearson_correlation(torch.tensor(y), torch.tensor(p)).numpy()
    want = [np.corrcoef(a, b)[0, 1] for a, b in zip(y, p)]
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)


def test_mean_iou_by_hand():
    m = metrics.MeanIoU(num_classes=3)
    m.update_state(torch.tensor([0, 0, 1, 2, 2]), torch.tensor([0, 1, 1, 2, 0]))
    # class 0: tp 1, fp 1, fn 1 -> 1/3; class 1: tp 1, fp 1 -> 1/2; class 2: tp 1, fn 1 -> 1/2
    np.testing.assert_allclose(float(m.result()), (1 / 3 + 1 / 2 + 1 / 2) / 3, rtol=1e-6)
    cm = m.variables[0]
    assert cm.dtype == torch.int32 and cm.tolist() == [[1, 1, 0], [0, 1, 0], [1, 0, 1]]


def test_r2_score_by_hand():
    y = np.array([[1.0], [4.0], [3.0], [8.0]], "float32")
    p = np.array([[2.0], [4.0], [4.0], [6.0]], "float32")
    m = metrics.R2Score()
    m.update_state(torch.tensor(y), torch.tensor(p))
    ss_res, ss_tot = float(((y - p) ** 2).sum()), float(((y - y.mean()) ** 2).sum())
    np.testing.assert_allclose(float(m.result()), 1 - ss_res / ss_tot, rtol=1e-6)


@pytest.mark.keras
def test_every_public_name_of_keras_metrics_exists(keras):
    theirs = {n for n in dir(keras.metrics) if not n.startswith("_")}
    missing = sorted(n for n in theirs if not hasattr(metrics, n))
    assert not missing, f"kerastorch.metrics lacks {missing}"
    for n in theirs:
        obj = getattr(keras.metrics, n)
        if isinstance(obj, type):
            assert isinstance(getattr(metrics, n), type), n
        elif callable(obj):
            assert callable(getattr(metrics, n)) and not isinstance(getattr(metrics, n), type), n
            if obj is getattr(keras.losses, n, None):  # Keras re-exports the loss function itself
                assert getattr(metrics, n) is getattr(losses, n), n


_NEW = ["R2Score", "IoU", "MeanIoU", "BinaryIoU", "OneHotIoU", "OneHotMeanIoU", "PearsonCorrelation",
        "ConcordanceCorrelation", "PrecisionAtRecall", "RecallAtPrecision", "SensitivityAtSpecificity",
        "SpecificityAtSensitivity"]


@pytest.mark.keras
@pytest.mark.parametrize("name", _NEW + ["r2_score", "io_u", "mean_io_u", "binary_io_u", "one_hot_io_u",
                                         "one_hot_mean_io_u", "pearson_correlation", "concordance_correlation",
                                         "precision_at_recall", "sensitivity_at_specificity"])
def test_get_by_name_follows_keras(keras, name):
    try:
        theirs = keras.metrics.get(name)
    except TypeError:  # Keras: the class needs constructor arguments
        with pytest.raises(ValueError, match=r"needs .*pass the object instead"):
            metrics.get(name)
        return
    ours = metrics.get(name)
    assert type(ours).__name__ == type(theirs).__name__
    assert ours.name == name  # named as compile(metrics=[name]) logs it


@contextlib.contextmanager
def _no_host_sync():
    def refuse(self, *args, **kwargs):
        raise AssertionError("host sync in a metric hot path")

    saved = {k: getattr(torch.Tensor, k) for k in ("item", "cpu", "tolist", "numpy", "__bool__", "__float__", "__int__")}
    try:
        for k in saved:
            setattr(torch.Tensor, k, refuse)
        yield
    finally:
        for k, v in saved.items():
            setattr(torch.Tensor, k, v)


@pytest.mark.parametrize("case", [c for c in CASES if c[1].get("num_regressors") is None], ids=_case_id)
def test_update_state_and_result_do_not_sync(case):
    name, kwargs, kind, mode = case
    m = getattr(metrics, name)(**kwargs)
    batches = [tuple(torch.tensor(a) for a in _batch(kind)) for _ in range(2)]
    w = _weights(1, kind, mode, batches[0][0].numpy())
    w = None if w is None else torch.tensor(w)
    with _no_host_sync(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for y, p in batches:
            m.update_state(y, p, sample_weight=w)
        m.result()
        m.reset_state()
        m.update_state(*batches[0])
        out = m.result()
    assert isinstance(out, torch.Tensor)


@pytest.mark.keras
@pytest.mark.parametrize("name", ["Mean", "MeanSquaredError", "AUC", "Precision", "TruePositives", "F1Score",
                                  "PearsonCorrelation", "R2Score", "SensitivityAtSpecificity"])
def test_float64_metrics_keep_keras_state_and_result_dtypes(keras, name):
    args = {"SensitivityAtSpecificity": {"specificity": 0.5}}.get(name, {})
    ours, theirs = getattr(metrics, name)(dtype="float64", **args), getattr(keras.metrics, name)(dtype="float64", **args)
    y, p = _batch("multilabel")
    if name == "Mean":
        ours.update_state(torch.tensor(p)), theirs.update_state(p)
    else:
        ours.update_state(torch.tensor(y), torch.tensor(p)), theirs.update_state(y, p)
    assert [str(v.dtype).replace("torch.", "") for v in ours.variables] == [str(v.dtype) for v in theirs.variables]
    _assert_result_equal(ours, theirs, keras, name)


@pytest.mark.keras
@pytest.mark.parametrize("name, kwargs", [("AUC", {}), ("TrueNegatives", {"thresholds": [0.0, 0.5, 1.0]}),
                                          ("FalseNegatives", {"thresholds": [0.0, 0.5, 1.0]})])
def test_predictions_of_exactly_zero_count_as_negatives_at_every_threshold(keras, name, kwargs):
    # With thresholds starting at 0 a prediction of 0 lands in no bucket; it is still a
    # true/false negative (Keras counts it in the totals the negatives are taken from).
    y = np.array([0.0, 1.0, 0.0, 1.0, 1.0], "float32")
    p = np.array([0.0, 0.0, 0.3, 0.8, 0.6], "float32")
    ours, theirs = getattr(metrics, name)(**kwargs), getattr(keras.metrics, name)(**kwargs)
    ours.update_state(torch.tensor(y), torch.tensor(p))
    theirs.update_state(y, p)
    _assert_result_equal(ours, theirs, keras, name)


# --------------------------------------------------------------------------- errors


@pytest.mark.keras
@pytest.mark.parametrize(
    "name, kwargs, match",
    [
        ("IoU", {"num_classes": 3, "target_class_ids": [0, 3]}, r"target class ids must be in \[0, 3\)"),
        ("R2Score", {"class_aggregation": "median"}, "invalid class_aggregation='median'"),
        ("R2Score", {"num_regressors": -1}, "num_regressors"),
        ("SensitivityAtSpecificity", {"specificity": 1.5}, r"`specificity` must be in the range \[0, 1\]"),
        ("SpecificityAtSensitivity", {"sensitivity": -0.1}, r"`sensitivity` must be in the range \[0, 1\]"),
        ("PrecisionAtRecall", {"recall": 0.5, "num_thresholds": 0}, "`num_thresholds` must be an integer > 0"),
        ("RecallAtPrecision", {"precision": 2}, r"`precision` must be in the range \[0, 1\]"),
    ],
)
def test_bad_arguments_are_refused_as_keras_refuses_them(keras, name, kwargs, match):
    with pytest.raises(ValueError):
        getattr(keras.metrics, name)(**kwargs)
    with pytest.raises(ValueError, match=match):
        getattr(metrics, name)(**kwargs)


def test_r2_score_refuses_inputs_that_are_not_2d_or_change_width():
    with pytest.raises(ValueError, match=r"expects 2D inputs shaped \(batch_size, output_dim\)"):
        metrics.R2Score().update_state(torch.zeros(2, 3, 1), torch.zeros(2, 3, 1))
    m = metrics.R2Score()
    m.update_state(torch.zeros(4, 2), torch.zeros(4, 2))
    with pytest.raises(ValueError, match=r"built for inputs shaped \(batch_size, 2\)"):
        m.update_state(torch.zeros(4, 3), torch.zeros(4, 3))


def test_iou_warns_that_float_weights_truncate_with_the_int_dtype():
    m = metrics.MeanIoU(num_classes=2)
    with pytest.warns(UserWarning, match="truncated to integers"):
        m.update_state(torch.tensor([0, 1]), torch.tensor([0, 1]), sample_weight=torch.tensor([0.5, 1.5]))
    assert m.variables[0].tolist() == [[0, 0], [0, 1]]
