"""kerastorch.metrics against real Keras 3 (torch backend): values, names, no host sync."""

import contextlib

import numpy as np
import pytest
import torch

from kerastorch import losses, metrics

N, C = 16, 4
RNG = np.random.default_rng(1)


def _batch(kind):
    ids = RNG.integers(0, C, N)
    if kind == "binary":
        p = RNG.random((N, 1)).astype("float32")
        p[0, 0] = 0.5  # exactly at the threshold
        p[1, 0] = 0.0
        p[2, 0] = 1.0
        return RNG.integers(0, 2, (N, 1)).astype("float32"), p
    if kind == "multilabel":
        return RNG.integers(0, 2, (N, 3)).astype("float32"), RNG.random((N, 3)).astype("float32")
    if kind == "categorical":
        p = RNG.random((N, C)).astype("float32")
        return np.eye(C, dtype="float32")[ids], p / p.sum(-1, keepdims=True)
    if kind == "sparse":
        p = RNG.random((N, C)).astype("float32")
        return ids.astype("int64"), p / p.sum(-1, keepdims=True)
    if kind == "sparse_n1":
        p = RNG.random((N, C)).astype("float32")
        return ids[:, None].astype("int64"), p / p.sum(-1, keepdims=True)
    if kind == "logits":
        return RNG.integers(0, 2, (N, 1)).astype("float32"), RNG.normal(size=(N, 1)).astype("float32") * 2
    if kind == "regression":
        return RNG.normal(size=(N, 3)).astype("float32"), RNG.normal(size=(N, 3)).astype("float32")
    if kind == "positive":
        return RNG.random((N, 3)).astype("float32") * 3, RNG.random((N, 3)).astype("float32") * 3 + 0.01
    raise AssertionError(kind)


# (class name, kwargs, data kind)
CASES = [
    ("Accuracy", {}, "sparse_n1"),
    ("BinaryAccuracy", {}, "binary"),
    ("BinaryAccuracy", {"threshold": 0.3}, "binary"),
    ("CategoricalAccuracy", {}, "categorical"),
    ("SparseCategoricalAccuracy", {}, "sparse"),
    ("SparseCategoricalAccuracy", {}, "sparse_n1"),
    ("TopKCategoricalAccuracy", {"k": 2}, "categorical"),
    ("SparseTopKCategoricalAccuracy", {"k": 2}, "sparse"),
    ("SparseTopKCategoricalAccuracy", {"k": 3}, "sparse_n1"),
    ("AUC", {}, "binary"),
    ("AUC", {"curve": "PR"}, "binary"),
    ("AUC", {"curve": "PR", "summation_method": "majoring"}, "binary"),
    ("AUC", {"summation_method": "minoring", "num_thresholds": 7}, "binary"),
    ("AUC", {"thresholds": [0.1, 0.4, 0.45, 0.8]}, "binary"),
    ("AUC", {"from_logits": True}, "logits"),
    ("AUC", {"multi_label": True}, "multilabel"),
    ("AUC", {"multi_label": True, "num_labels": 3, "curve": "PR", "label_weights": [1.0, 2.0, 0.5]}, "multilabel"),
    ("AUC", {"label_weights": [1.0, 0.0, 2.0]}, "multilabel"),
    ("Precision", {}, "binary"),
    ("Precision", {"thresholds": [0.2, 0.5, 0.9]}, "binary"),
    ("Precision", {"top_k": 2}, "multilabel"),
    ("Precision", {"class_id": 1}, "multilabel"),
    ("Precision", {"thresholds": [0.0, 0.5, 1.0]}, "binary"),
    ("Recall", {}, "binary"),
    ("Recall", {"thresholds": [0.3, 0.7]}, "multilabel"),
    ("Recall", {"top_k": 1, "class_id": 2}, "multilabel"),
    ("TruePositives", {}, "binary"),
    ("FalsePositives", {"thresholds": [0.2, 0.6]}, "binary"),
    ("TrueNegatives", {}, "multilabel"),
    ("FalseNegatives", {}, "binary"),
    ("MeanSquaredError", {}, "regression"),
    ("RootMeanSquaredError", {}, "regression"),
    ("MeanAbsoluteError", {}, "regression"),
    ("MeanAbsolutePercentageError", {}, "regression"),
    ("MeanSquaredLogarithmicError", {}, "positive"),
    ("CosineSimilarity", {}, "regression"),
    ("LogCoshError", {}, "regression"),
    ("KLDivergence", {}, "categorical"),
    ("Poisson", {}, "positive"),
    ("Hinge", {}, "binary"),
    ("SquaredHinge", {}, "binary"),
    ("CategoricalHinge", {}, "categorical"),
    ("BinaryCrossentropy", {}, "binary"),
    ("BinaryCrossentropy", {"from_logits": True, "label_smoothing": 0.1}, "logits"),
    ("CategoricalCrossentropy", {"label_smoothing": 0.1}, "categorical"),
    ("SparseCategoricalCrossentropy", {}, "sparse"),
    ("SparseCategoricalCrossentropy", {"ignore_class": 1}, "sparse"),
    ("F1Score", {}, "categorical"),
    ("F1Score", {"average": "macro", "threshold": 0.3}, "multilabel"),
    ("F1Score", {"average": "micro"}, "categorical"),
    ("FBetaScore", {"beta": 2.0, "average": "weighted", "threshold": 0.5}, "multilabel"),
    ("FBetaScore", {"beta": 0.5}, "multilabel"),
]


def _case_id(case):
    name, kwargs, kind = case
    return name + "".join(f"-{k}={v}" for k, v in kwargs.items()) + f"-{kind}"


def _np(keras, x):
    return np.asarray(keras.ops.convert_to_numpy(x))


def _weights(i):
    # None, then (N,), then (N, 1) weights with zeros among them.
    if i == 0:
        return None
    w = RNG.random(N).astype("float32") * 2
    w[:3] = 0.0
    return w if i == 1 else w[:, None]


@pytest.mark.keras
@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_metric_matches_keras_over_weighted_updates_and_reset(keras, case):
    name, kwargs, kind = case
    ours = getattr(metrics, name)(**kwargs)
    theirs = getattr(keras.metrics, name)(**kwargs)
    for i in range(3):
        y, p = _batch(kind)
        w = _weights(i)
        if name.startswith("F") and "Score" in name and w is not None:
            w = w.reshape(-1)  # Keras' F-scores take (N,) weights only
        ours.update_state(torch.tensor(y), torch.tensor(p), sample_weight=None if w is None else torch.tensor(w))
        theirs.update_state(y, p, sample_weight=w)
        np.testing.assert_allclose(ours.result().numpy(), _np(keras, theirs.result()), rtol=1e-5, atol=1e-6)
    ours.reset_state()
    theirs.reset_state()
    np.testing.assert_allclose(ours.result().numpy(), _np(keras, theirs.result()), atol=1e-7)
    y, p = _batch(kind)
    ours.update_state(torch.tensor(y), torch.tensor(p))
    theirs.update_state(y, p)
    np.testing.assert_allclose(ours.result().numpy(), _np(keras, theirs.result()), rtol=1e-5, atol=1e-6)


@pytest.mark.keras
def test_mean_and_sum_match_keras_with_scalar_and_matrix_weights(keras):
    for name in ("Mean", "Sum"):
        ours, theirs = getattr(metrics, name)(), getattr(keras.metrics, name)()
        v = RNG.random((N, 3)).astype("float32")
        for w in (None, np.float32(32.0), RNG.random(N).astype("float32"), RNG.random((N, 3)).astype("float32")):
            ours.update_state(torch.tensor(v), sample_weight=None if w is None else torch.tensor(w))
            theirs.update_state(v, sample_weight=w)
            np.testing.assert_allclose(ours.result().numpy(), _np(keras, theirs.result()), rtol=1e-5)


@pytest.mark.keras
def test_loss_tracker_pattern_matches_keras(keras):
    # The trainer tracks the loss as Mean(name="loss") with sample_weight=batch_size.
    ours, theirs = metrics.Mean(name="loss"), keras.metrics.Mean(name="loss")
    for loss, bs in [(0.9, 32), (0.7, 32), (0.4, 7)]:
        ours.update_state(torch.tensor(loss), sample_weight=bs)
        theirs.update_state(loss, sample_weight=bs)
    np.testing.assert_allclose(float(ours.result()), float(_np(keras, theirs.result())), rtol=1e-6)


@pytest.mark.keras
def test_mean_metric_wrapper_matches_keras(keras):
    ours = metrics.MeanMetricWrapper(losses.huber, name="h", delta=0.5)
    theirs = keras.metrics.MeanMetricWrapper(keras.losses.huber, name="h", delta=0.5)
    for i in range(3):
        y, p = _batch("regression")
        w = _weights(i)
        ours.update_state(torch.tensor(y), torch.tensor(p), sample_weight=None if w is None else torch.tensor(w))
        theirs.update_state(y, p, sample_weight=w)
    np.testing.assert_allclose(ours.result().numpy(), _np(keras, theirs.result()), rtol=1e-5)


# --------------------------------------------------------------------------- names = Keras log keys


def _myfn(y_true, y_pred):
    return (y_pred - y_true).abs().mean(dim=-1)


NAME_IDS = [
    "mse",
    "mae",
    "mape",
    "msle",
    "MSE",
    "mean_squared_error",
    "categorical_accuracy",
    "binary_accuracy",
    "top_k_categorical_accuracy",
    "AUC",
    "auc",
    "Precision",
    "precision",
    "recall",
    "categorical_crossentropy",
    "bce",
    "RootMeanSquaredError",
    "root_mean_squared_error",
    "log_cosh_error",
    "cosine_similarity",
    "hinge",
    "poisson",
    "f1_score",
    "kl_divergence",
]


@pytest.fixture(scope="module")
def keras_log_keys():
    keras = pytest.importorskip("keras")
    if keras.backend.backend() != "torch":
        pytest.skip("Keras is not on the torch backend")

    def keras_myfn(y_true, y_pred):
        return keras.ops.mean(keras.ops.abs(y_pred - y_true), axis=-1)

    keras_myfn.__name__ = "_myfn"
    x = RNG.random((8, 4)).astype("float32")
    y = np.eye(5, dtype="float32")[RNG.integers(0, 5, 8)]
    idents = NAME_IDS + [
        keras.metrics.AUC(name="my_auc"),
        keras_myfn,
        keras.metrics.F1Score(),
        keras.metrics.MeanSquaredError(),
        keras.metrics.Precision(name="p"),
    ]
    keras_metrics = idents + ["accuracy", "acc"]
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(5, activation="softmax")])
    model.compile("sgd", "categorical_crossentropy", metrics=keras_metrics)
    history = model.fit(x, y, epochs=1, verbose=0, batch_size=8)
    return [k for k in history.history if k != "loss"]


@pytest.mark.keras
def test_metric_names_equal_keras_history_keys(keras_log_keys):
    objs = [metrics.get(i) for i in NAME_IDS]
    objs += [
        metrics.get(metrics.AUC(name="my_auc")),
        metrics.get(_myfn),
        metrics.get(metrics.F1Score()),
        metrics.get(metrics.MeanSquaredError()),
        metrics.get(metrics.Precision(name="p")),
    ]
    objs += [metrics.resolve_accuracy(a, torch.zeros(8, 5), torch.zeros(8, 5)) for a in ("accuracy", "acc")]
    # "f1_score" and F1Score() share a name, as do "mean_squared_error" and MeanSquaredError():
    # Keras logs the second of each as "<name>_1".
    assert sorted(metrics.log_keys(objs)) == sorted(keras_log_keys)
    assert {m.name for m in objs} <= set(keras_log_keys)


@pytest.mark.keras
def test_log_keys_number_duplicates_and_prefix_weighted_like_keras(keras):
    x = RNG.random((8, 4)).astype("float32")
    y = RNG.normal(size=(8, 1)).astype("float32")
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
    model.compile("sgd", "mse", metrics=["mse", "mse", "mae"], weighted_metrics=["mse", "mae", "mse"])
    keys = [k for k in model.fit(x, y, epochs=1, verbose=0).history if k != "loss"]
    ours = metrics.log_keys(
        [metrics.get(i) for i in ("mse", "mse", "mae")], [metrics.get(i) for i in ("mse", "mae", "mse")]
    )
    assert sorted(ours) == sorted(keys)


def test_unnamed_metrics_are_numbered_like_keras():
    names = [metrics.FalseNegatives().name for _ in range(3)]
    base = "false_negatives"
    assert names[0] in (base, *(f"{base}_{i}" for i in range(1, 100)))
    start = 0 if names[0] == base else int(names[0].rsplit("_", 1)[1])
    assert names[1:] == [f"{base}_{start + 1}", f"{base}_{start + 2}"]


@pytest.mark.parametrize(
    "ident, y_true, y_pred, cls",
    [
        ("accuracy", (8, 1), (8, 1), "BinaryAccuracy"),
        ("acc", (8,), (8, 10), "SparseCategoricalAccuracy"),
        ("accuracy", (8, 1), (8, 10), "SparseCategoricalAccuracy"),
        ("accuracy", (8, 10), (8, 10), "CategoricalAccuracy"),
        ("crossentropy", (8, 1), (8, 1), "BinaryCrossentropy"),
        ("ce", (8,), (8, 10), "SparseCategoricalCrossentropy"),
        ("crossentropy", (8, 10), (8, 10), "CategoricalCrossentropy"),
    ],
)
def test_resolve_accuracy_follows_keras_shape_rule(ident, y_true, y_pred, cls):
    m = metrics.resolve_accuracy(ident, torch.zeros(y_true), torch.zeros(y_pred))
    assert type(m).__name__ == cls and m.name == ident


def test_resolve_accuracy_passes_other_identifiers_to_get():
    m = metrics.resolve_accuracy("mse", torch.zeros(2, 1), torch.zeros(2, 1))
    assert isinstance(m, metrics.MeanSquaredError) and m.name == "mse"


def test_get_unknown_metric_suggests_closest():
    with pytest.raises(ValueError) as err:
        metrics.get("categorical_acuracy")
    msg = str(err.value)
    assert msg.startswith("Unknown metric 'categorical_acuracy'. Did you mean 'categorical_accuracy'?")
    assert "Known: " in msg


def test_get_returns_fresh_objects_and_passes_instances_through():
    assert metrics.get("mse") is not metrics.get("mse")
    inst = metrics.AUC(name="x")
    assert metrics.get(inst) is inst
    assert isinstance(metrics.get(metrics.Precision), metrics.Precision)
    assert metrics.get({"class_name": "BinaryAccuracy", "config": {"threshold": 0.7}}).threshold == 0.7


@pytest.mark.keras
@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_get_config_has_keras_keys(keras, case):
    name, kwargs, _ = case
    ours = getattr(metrics, name)(name="m", **kwargs).get_config()
    theirs = getattr(keras.metrics, name)(name="m", **kwargs).get_config()
    assert set(ours) == set(theirs)
    for key in ("name", "dtype", "threshold", "k", "thresholds", "curve", "num_thresholds", "average"):
        if key in theirs and not hasattr(theirs[key], "shape"):
            assert ours[key] == theirs[key], key
    again = metrics.deserialize(metrics.serialize(getattr(metrics, name)(name="m", **kwargs)))
    assert type(again).__name__ == name and again.get_config() == ours


# --------------------------------------------------------------------------- device and sync


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


@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_update_state_and_result_do_not_sync(case):
    name, kwargs, kind = case
    m = getattr(metrics, name)(**kwargs)
    batches = [(torch.tensor(y), torch.tensor(p)) for y, p in (_batch(kind) for _ in range(2))]
    w = torch.rand(N)
    with _no_host_sync():
        for y, p in batches:
            m.update_state(y, p, sample_weight=w)
        m.result()
        m.reset_state()
        m.update_state(*batches[0])
        out = m.result()
    assert isinstance(out, torch.Tensor)


def test_loss_tracker_update_does_not_sync():
    m = metrics.Mean(name="loss")
    loss = torch.tensor(0.5, requires_grad=True) * 2
    with _no_host_sync():
        m.update_state(loss, sample_weight=32)
        out = m.result()
    assert not out.requires_grad and out.dim() == 0


def test_state_is_created_lazily_on_the_inputs_device_and_reset_keeps_it():
    m = metrics.AUC(name="auc_dev")
    assert m.variables == []
    y, p = _batch("binary")
    m.update_state(torch.tensor(y), torch.tensor(p))
    assert all(v.device == torch.device("cpu") for v in m.variables)
    m.reset_state()
    assert all(v.device == torch.device("cpu") and not v.any() for v in m.variables)
    assert m.result().device == torch.device("cpu")


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_result_stays_on_cuda():
    for name, kwargs, kind in CASES:
        m = getattr(metrics, name)(**kwargs)
        y, p = _batch(kind)
        m.update_state(torch.tensor(y).cuda(), torch.tensor(p).cuda(), sample_weight=torch.rand(N).cuda())
        assert m.result().device.type == "cuda", name
        m.reset_state()
        assert all(v.device.type == "cuda" for v in m.variables), name


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_update_and_result_never_synchronize_cuda():
    batches = {}
    for name, kwargs, kind in CASES:
        y, p = _batch(kind)
        batches[name, str(kwargs)] = (torch.tensor(y).cuda(), torch.tensor(p).cuda(), torch.rand(N).cuda())
    tracker = metrics.Mean(name="loss")
    loss_fn = losses.CategoricalCrossentropy()
    y_cat, p_cat = (torch.tensor(a).cuda() for a in _batch("categorical"))
    built = {key: getattr(metrics, name)(**kwargs) for (name, kwargs, _), key in zip(CASES, batches)}
    for key, m in built.items():  # first update creates the state (allocations only)
        m.update_state(*batches[key][:2], sample_weight=batches[key][2])
    torch.cuda.synchronize()
    torch.cuda.set_sync_debug_mode("error")
    try:
        for key, m in built.items():
            y, p, w = batches[key]
            m.update_state(y, p, sample_weight=w)
            m.result()
            m.reset_state()
            m.update_state(y, p)
            m.result()
        tracker.update_state(loss_fn(y_cat, p_cat), sample_weight=32)
        tracker.result()
    finally:
        torch.cuda.set_sync_debug_mode(0)


def test_metrics_do_not_track_gradients():
    m = metrics.get("mse")
    p = torch.rand(4, 2, requires_grad=True)
    m.update_state(torch.zeros(4, 2), p)
    assert not m.result().requires_grad


# ---------------------------------------------------------------- arg-max accuracies without casts


def _cast_categorical_accuracy(y_true, y_pred):
    # Keras' arithmetic, casts included: ids in y_pred's dtype, compared, then float32.
    y_true = torch.argmax(y_true, dim=-1).to(y_pred.dtype)
    return (y_true == torch.argmax(y_pred, dim=-1).to(y_pred.dtype)).to(torch.float32)


def _cast_sparse_categorical_accuracy(y_true, y_pred):
    y_true = torch.as_tensor(y_true).to(y_pred.dtype)
    if y_true.dim() == y_pred.dim() and y_true.shape[-1] == 1:
        y_true = y_true.squeeze(-1)
    return (y_true == torch.argmax(y_pred, dim=-1).to(y_pred.dtype)).to(torch.float32)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.float16, torch.bfloat16])
@pytest.mark.parametrize("classes", [1, 4, 3000])
def test_argmax_accuracies_equal_the_casting_computation(dtype, classes):
    gen = torch.Generator().manual_seed(classes)
    y_pred = torch.randint(0, 3, (64, classes), generator=gen).to(dtype)  # many ties
    ids = torch.randint(-1, classes + 1, (64,), generator=gen)  # out-of-range labels too
    one_hot = torch.nn.functional.one_hot(ids.clamp(0, classes - 1), classes)
    for y_true in (one_hot.float(), one_hot, one_hot.to(dtype), torch.zeros(64, classes)):
        ours = metrics.categorical_accuracy(y_true, y_pred)
        assert ours.dtype == torch.float32 and ours.shape == (64,)
        torch.testing.assert_close(ours, _cast_categorical_accuracy(y_true, y_pred), rtol=0, atol=0)
    for y_true in (ids, ids[:, None], ids.to(torch.int32), ids.float(), ids.double(), ids.to(dtype),
                   ids[:, None].float(), ids.float() + 0.5, ids > 0, ids.numpy(), ids.numpy().astype("float64")):
        ours = metrics.sparse_categorical_accuracy(y_true, y_pred)
        assert ours.dtype == torch.float32 and ours.shape == (64,)
        torch.testing.assert_close(ours, _cast_sparse_categorical_accuracy(y_true, y_pred), rtol=0, atol=0)


def test_argmax_accuracies_keep_keras_half_precision_ids():
    # In float16, id 2049 is cast to 2048: Keras (and kerastorch) count it as a match.
    y_pred = torch.zeros(1, 2050, dtype=torch.float16)
    y_pred[0, 2048] = 1.0
    assert float(metrics.sparse_categorical_accuracy(torch.tensor([2049]), y_pred)) == 1.0
    one_hot = torch.nn.functional.one_hot(torch.tensor([2049]), 2050)
    assert float(metrics.categorical_accuracy(one_hot, y_pred)) == 1.0
    assert float(metrics.sparse_categorical_accuracy(torch.tensor([2049]), y_pred.float())) == 0.0


@pytest.mark.parametrize("name", ["CategoricalAccuracy", "SparseCategoricalAccuracy"])
def test_argmax_accuracy_metrics_with_ties_and_weights(name):
    y_pred = torch.tensor([[0.5, 0.5, 0.0], [0.1, 0.2, 0.7], [0.3, 0.3, 0.3], [0.9, 0.05, 0.05]])
    ids = torch.tensor([0, 2, 1, 1])  # ties resolve to the first maximum, as torch.argmax
    y_true = ids[:, None] if name.startswith("Sparse") else torch.nn.functional.one_hot(ids, 3).float()
    m = getattr(metrics, name)()
    with _no_host_sync():
        m.update_state(y_true, y_pred, sample_weight=torch.tensor([1.0, 2.0, 3.0, 0.0]))
        m.update_state(y_true, y_pred, sample_weight=torch.tensor([[0.5], [0.5], [0.0], [1.0]]))
        out = m.result()
    assert float(out) == pytest.approx((1 + 2 + 0.5 + 0.5) / (6 + 2))
