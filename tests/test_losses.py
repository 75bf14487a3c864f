"""kerastorch.losses against real Keras 3 (torch backend), plus target checks and lookup."""

import numpy as np
import pytest
import torch

from kerastorch import losses

N, C = 8, 5
RNG = np.random.default_rng(0)


def _probs(n=N, c=C, extreme=False):
    p = RNG.random((n, c)).astype("float32") + 0.05
    p /= p.sum(-1, keepdims=True)
    if extreme:  # exact 0 and 1 exercise Keras' clip to [1e-7, 1 - 1e-7]
        p[0] = 0.0
        p[0, 1] = 1.0
        p[1] = 0.0
        p[1, 0] = 1.0
    return p


def _onehot(ids, c=C):
    return np.eye(c, dtype="float32")[ids]


def _data(kind, extreme=False):
    ids = RNG.integers(0, C, N)
    if kind == "categorical":
        return _onehot(ids), _probs(extreme=extreme)
    if kind == "categorical_logits":
        return _onehot(ids), RNG.normal(size=(N, C)).astype("float32") * 3
    if kind == "sparse":
        return ids.astype("int64"), _probs(extreme=extreme)
    if kind == "sparse_logits":
        return ids.astype("int64"), RNG.normal(size=(N, C)).astype("float32") * 3
    if kind == "binary":
        p = RNG.random((N, 3)).astype("float32")
        if extreme:
            p[0] = [0.0, 1.0, 0.0]
            p[1] = [1.0, 0.0, 1.0]
        return RNG.integers(0, 2, (N, 3)).astype("float32"), p
    if kind == "binary_logits":
        return RNG.integers(0, 2, (N, 3)).astype("float32"), RNG.normal(size=(N, 3)).astype("float32") * 3
    if kind == "regression":
        return RNG.normal(size=(N, 3)).astype("float32"), RNG.normal(size=(N, 3)).astype("float32")
    if kind == "positive":
        return RNG.random((N, 3)).astype("float32") * 3, RNG.random((N, 3)).astype("float32") * 3 + 0.01
    if kind == "hinge":
        return RNG.integers(0, 2, (N, 3)).astype("float32"), RNG.normal(size=(N, 3)).astype("float32")
    raise AssertionError(kind)


# (class name, constructor kwargs, data kind)
CASES = [
    ("CategoricalCrossentropy", {}, "categorical"),
    ("CategoricalCrossentropy", {"label_smoothing": 0.1}, "categorical"),
    ("CategoricalCrossentropy", {"from_logits": True}, "categorical_logits"),
    ("CategoricalCrossentropy", {"from_logits": True, "label_smoothing": 0.2}, "categorical_logits"),
    ("SparseCategoricalCrossentropy", {}, "sparse"),
    ("SparseCategoricalCrossentropy", {"from_logits": True}, "sparse_logits"),
    ("SparseCategoricalCrossentropy", {"ignore_class": 2}, "sparse"),
    ("SparseCategoricalCrossentropy", {"from_logits": True, "ignore_class": 0}, "sparse_logits"),
    ("BinaryCrossentropy", {}, "binary"),
    ("BinaryCrossentropy", {"label_smoothing": 0.1}, "binary"),
    ("BinaryCrossentropy", {"from_logits": True}, "binary_logits"),
    ("BinaryCrossentropy", {"from_logits": True, "label_smoothing": 0.3}, "binary_logits"),
    ("BinaryFocalCrossentropy", {}, "binary"),
    ("BinaryFocalCrossentropy", {"apply_class_balancing": True, "alpha": 0.4, "gamma": 1.5}, "binary"),
    ("BinaryFocalCrossentropy", {"from_logits": True, "label_smoothing": 0.1}, "binary_logits"),
    ("CategoricalFocalCrossentropy", {}, "categorical"),
    ("CategoricalFocalCrossentropy", {"from_logits": True, "alpha": 0.5, "gamma": 1.0}, "categorical_logits"),
    ("CategoricalFocalCrossentropy", {"label_smoothing": 0.1}, "categorical"),
    ("MeanSquaredError", {}, "regression"),
    ("MeanAbsoluteError", {}, "regression"),
    ("MeanAbsolutePercentageError", {}, "regression"),
    ("MeanSquaredLogarithmicError", {}, "positive"),
    ("Huber", {}, "regression"),
    ("Huber", {"delta": 0.5}, "regression"),
    ("LogCosh", {}, "regression"),
    ("KLDivergence", {}, "categorical"),
    ("Poisson", {}, "positive"),
    ("CosineSimilarity", {}, "regression"),
    ("Hinge", {}, "hinge"),
    ("SquaredHinge", {}, "hinge"),
    ("CategoricalHinge", {}, "categorical"),
]
REDUCTIONS = ["sum_over_batch_size", "sum", "mean", "none", None, "mean_with_sample_weight"]


def _case_id(case):
    name, kwargs, _ = case
    return name + "".join(f"-{k}={v}" for k, v in kwargs.items())


def _compare(keras, name, kwargs, y, p, sample_weight=None, reduction="sum_over_batch_size"):
    ours = getattr(losses, name)(reduction=reduction, **kwargs)
    theirs = getattr(keras.losses, name)(reduction=reduction, **kwargs)
    sw_t = None if sample_weight is None else torch.tensor(sample_weight)
    got = ours(torch.tensor(y), torch.tensor(p), sample_weight=sw_t)
    want = theirs(y, p, sample_weight=sample_weight)
    want = np.asarray(keras.ops.convert_to_numpy(want))
    assert tuple(got.shape) == want.shape
    np.testing.assert_allclose(got.detach().numpy(), want, rtol=1e-5, atol=1e-5)


@pytest.mark.keras
@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_loss_matches_keras_for_every_reduction(keras, case):
    name, kwargs, kind = case
    y, p = _data(kind)
    for reduction in REDUCTIONS:
        _compare(keras, name, kwargs, y, p, reduction=reduction)


@pytest.mark.keras
@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_loss_matches_keras_with_sample_weights(keras, case):
    name, kwargs, kind = case
    y, p = _data(kind)
    w = RNG.random(N).astype("float32") * 2
    for reduction in ("sum_over_batch_size", "sum", "none", "mean_with_sample_weight"):
        _compare(keras, name, kwargs, y, p, sample_weight=w, reduction=reduction)
        _compare(keras, name, kwargs, y, p, sample_weight=w[:, None], reduction=reduction)


@pytest.mark.keras
@pytest.mark.parametrize(
    "case", [c for c in CASES if c[2] in ("categorical", "sparse", "binary")], ids=_case_id
)
def test_loss_matches_keras_on_exact_zero_and_one_probabilities(keras, case):
    name, kwargs, kind = case
    y, p = _data(kind, extreme=True)
    _compare(keras, name, kwargs, y, p, reduction="none")
    _compare(keras, name, kwargs, y, p)


@pytest.mark.keras
def test_class_weight_like_weights_rescale_the_loss_as_keras(keras):
    ids = RNG.integers(0, C, N)
    y, p = _onehot(ids), _probs()
    class_weight = {0: 1.0, 1: 5.0, 2: 0.5, 3: 2.0, 4: 1.0}
    w = np.array([class_weight[i] for i in ids], dtype="float32")
    _compare(keras, "CategoricalCrossentropy", {}, y, p, sample_weight=w)
    _compare(keras, "SparseCategoricalCrossentropy", {}, ids, p, sample_weight=w)


@pytest.mark.keras
def test_sparse_targets_shaped_n_by_1_and_binary_targets_shaped_n(keras):
    ids = RNG.integers(0, C, (N, 1))
    _compare(keras, "SparseCategoricalCrossentropy", {}, ids, _probs())
    y = RNG.integers(0, 2, N).astype("float32")
    p = RNG.random((N, 1)).astype("float32")
    _compare(keras, "BinaryCrossentropy", {}, y, p)
    _compare(keras, "MeanSquaredError", {}, y, p)
    _compare(keras, "MeanSquaredError", {}, y, p, sample_weight=np.ones((N, 1), "float32"))


FUNCTIONS = [
    ("categorical_crossentropy", {"from_logits": False, "label_smoothing": 0.1}, "categorical"),
    ("categorical_crossentropy", {"from_logits": True}, "categorical_logits"),
    ("sparse_categorical_crossentropy", {}, "sparse"),
    ("sparse_categorical_crossentropy", {"from_logits": True}, "sparse_logits"),
    ("binary_crossentropy", {"label_smoothing": 0.2}, "binary"),
    ("binary_crossentropy", {"from_logits": True}, "binary_logits"),
    ("binary_focal_crossentropy", {"gamma": 3.0}, "binary"),
    ("categorical_focal_crossentropy", {}, "categorical"),
    ("mean_squared_error", {}, "regression"),
    ("mean_absolute_error", {}, "regression"),
    ("mean_absolute_percentage_error", {}, "regression"),
    ("mean_squared_logarithmic_error", {}, "positive"),
    ("huber", {"delta": 2.0}, "regression"),
    ("log_cosh", {}, "regression"),
    ("kl_divergence", {}, "categorical"),
    ("poisson", {}, "positive"),
    ("cosine_similarity", {}, "regression"),
    ("hinge", {}, "hinge"),
    ("squared_hinge", {}, "hinge"),
    ("categorical_hinge", {}, "categorical"),
]


@pytest.mark.keras
@pytest.mark.parametrize("case", FUNCTIONS, ids=_case_id)
def test_loss_function_returns_keras_per_sample_values(keras, case):
    name, kwargs, kind = case
    y, p = _data(kind)
    got = getattr(losses, name)(torch.tensor(y), torch.tensor(p), **kwargs)
    want = keras.ops.convert_to_numpy(getattr(keras.losses, name)(y, p, **kwargs))
    assert tuple(got.shape) == want.shape
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-5, atol=1e-6)


def test_hinge_keeps_minus_one_one_labels_and_converts_zero_one():
    p = torch.tensor([[0.3, -0.5]])
    a = losses.hinge(torch.tensor([[1.0, -1.0]]), p)
    b = losses.hinge(torch.tensor([[1.0, 0.0]]), p)
    torch.testing.assert_close(a, b)  # {0, 1} -> {-1, 1}
    np.testing.assert_allclose(a.numpy(), [(0.7 + 0.5) / 2])


def test_loss_returns_tensor_on_input_device_and_is_differentiable():
    p = torch.tensor(_probs(), requires_grad=True)
    loss = losses.get("CategoricalCrossentropy")(torch.tensor(_onehot(RNG.integers(0, C, N))), p)
    loss.backward()
    assert loss.dim() == 0 and p.grad is not None and torch.isfinite(p.grad).all()


@pytest.mark.keras
@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_get_config_has_keras_keys(keras, case):
    name, kwargs, _ = case
    ours = getattr(losses, name)(**kwargs).get_config()
    theirs = getattr(keras.losses, name)(**kwargs).get_config()
    extra = {"Huber": {"delta"}, "CosineSimilarity": {"axis"}}.get(name, set())
    assert set(ours) - extra == set(theirs)
    assert {k: ours[k] for k in theirs} == theirs
    again = losses.deserialize(losses.serialize(getattr(losses, name)(**kwargs)))
    assert type(again).__name__ == name and again.get_config() == ours


@pytest.mark.keras
def test_serialize_has_keras_layout(keras):
    ours = losses.serialize(losses.CategoricalCrossentropy(from_logits=True))
    theirs = keras.losses.serialize(keras.losses.CategoricalCrossentropy(from_logits=True))
    assert ours == theirs
    assert losses.serialize(losses.mean_squared_error) == keras.losses.serialize(keras.losses.mean_squared_error)


# --------------------------------------------------------------------------- get


def _keras_string_identifiers(keras):
    public = [n for n in dir(keras.losses) if not n.startswith("_")]
    return public + ["mse", "MSE", "mae", "MAE", "mape", "MAPE", "msle", "MSLE", "bce", "BCE", "kld", "KLD",
                     "logcosh", "huber_loss", "crossentropyy", "LossFunctionWrapper"]


@pytest.mark.keras
def test_get_returns_what_keras_get_returns_for_every_name(keras):
    """Function names and aliases give the per-sample function, class names an instance (named as
    Keras names it: both sessions start afresh, so auto names count alike)."""
    keras.backend.clear_session()
    for name in _keras_string_identifiers(keras):
        try:
            theirs = keras.losses.get(name)
        except (ValueError, TypeError) as e:
            with pytest.raises(type(e)):
                losses.get(name)
            continue
        ours = losses.get(name)
        if isinstance(theirs, keras.losses.Loss):
            assert isinstance(ours, losses.Loss) and type(ours).__name__ == type(theirs).__name__, name
            assert ours.name == theirs.name, name
        else:
            assert not isinstance(ours, losses.Loss) and callable(ours), name
            assert ours.__name__ == theirs.__name__, name
            assert ours is getattr(losses, theirs.__name__), name


@pytest.mark.keras
@pytest.mark.parametrize("name", ["mean_squared_error", "mse", "binary_crossentropy", "categorical_hinge", "dice"])
def test_get_of_a_function_name_gives_keras_per_sample_values(keras, name):
    y = RNG.random((N, 3)).astype("float32")
    p = RNG.random((N, 3)).astype("float32")
    got = losses.get(name)(torch.tensor(y), torch.tensor(p))
    want = keras.ops.convert_to_numpy(keras.losses.get(name)(keras.ops.convert_to_tensor(y),
                                                             keras.ops.convert_to_tensor(p)))
    assert tuple(got.shape) == want.shape
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(
    "identifier, cls",
    [
        ("categorical_crossentropy", "CategoricalCrossentropy"),
        ("CategoricalCrossentropy", "CategoricalCrossentropy"),
        ("mse", "MeanSquaredError"),
        ("MAE", "MeanAbsoluteError"),
        ("mape", "MeanAbsolutePercentageError"),
        ("msle", "MeanSquaredLogarithmicError"),
        ("kld", "KLDivergence"),
        ("bce", "BinaryCrossentropy"),
        ("huber", "Huber"),
        ("log_cosh", "LogCosh"),
        ("sparse_categorical_crossentropy", "SparseCategoricalCrossentropy"),
        ("dice", "Dice"),
        ("tversky", "Tversky"),
        ("circle", "Circle"),
        ("ctc", "CTC"),
    ],
)
def test_resolve_loss_builds_the_loss_object_compile_trains_with(identifier, cls):
    loss = losses.resolve_loss(identifier)
    assert type(loss).__name__ == cls and isinstance(loss, losses.Loss)
    if not identifier[0].isupper():
        assert loss.name == identifier  # as Keras' compile names it
    fn = losses.get(identifier)
    assert type(losses.resolve_loss(fn)).__name__ == cls


def test_get_passes_loss_instances_and_callables_through():
    inst = losses.Huber(delta=3.0)
    assert losses.get(inst) is inst and losses.resolve_loss(inst) is inst
    fn = lambda t, p: (t - p).abs().mean(dim=-1)  # noqa: E731
    assert losses.get(fn) is fn
    wrapped = losses.resolve_loss(fn)
    assert isinstance(wrapped, losses.LossFunctionWrapper)
    assert float(wrapped(torch.zeros(2, 3), torch.ones(2, 3))) == 1.0
    assert losses.get(losses.mean_squared_error) is losses.mean_squared_error
    assert isinstance(losses.resolve_loss(losses.mean_squared_error), losses.MeanSquaredError)
    assert isinstance(losses.get(losses.Huber), losses.Huber)
    cfg = {"class_name": "CategoricalCrossentropy", "config": {"from_logits": True}}
    assert losses.get(cfg).from_logits is True and losses.resolve_loss(cfg).from_logits is True
    assert losses.get(None) is None and losses.resolve_loss(None) is None
    with pytest.raises(TypeError, match="Could not interpret loss identifier 3"):
        losses.get(3)


def test_get_unknown_name_suggests_closest_and_lists_known():
    with pytest.raises(ValueError) as err:
        losses.get("categorical_crossentropyy")
    msg = str(err.value)
    assert msg.startswith("Unknown loss 'categorical_crossentropyy'. Did you mean 'categorical_crossentropy'?")
    assert "Known: " in msg and "mse" in msg
    with pytest.raises(ValueError, match="Did you mean 'log_cosh'"):
        losses.get("logcosh")  # a legacy alias Keras 3's get() rejects too


@pytest.mark.keras
def test_keras_rejects_the_same_legacy_names(keras):
    for name in ("logcosh", "huber_loss"):
        with pytest.raises(ValueError):
            keras.losses.get(name)


def test_wrapper_reconciles_n_and_n_by_1():
    loss = losses.LossFunctionWrapper(lambda t, p: (t - p).square().mean(dim=-1), name="sq")
    out = loss(torch.zeros(4), torch.ones(4, 1))
    assert float(out) == 1.0 and loss.name == "sq"


def test_invalid_reduction_raises():
    with pytest.raises(ValueError, match="reduction='avg'"):
        losses.MeanSquaredError(reduction="avg")


@pytest.mark.parametrize(
    "ident, y_true, y_pred, cls",
    [
        ("crossentropy", (8,), (8, 10), "SparseCategoricalCrossentropy"),
        ("ce", (8, 1), (8, 10), "SparseCategoricalCrossentropy"),
        ("crossentropy", (8, 10), (8, 10), "CategoricalCrossentropy"),
        ("CE", (8, 1), (8, 1), "BinaryCrossentropy"),
    ],
)
def test_resolve_crossentropy_uses_keras_shape_rule(ident, y_true, y_pred, cls):
    loss = losses.resolve_crossentropy(ident, torch.zeros(y_true), torch.zeros(y_pred))
    assert type(loss).__name__ == cls and loss.name == ident


# --------------------------------------------------------------------------- check_targets


def test_categorical_crossentropy_rejects_class_ids_with_fix():
    y = torch.randint(0, 10, (60000,))
    with pytest.raises(ValueError) as err:
        losses.resolve_loss("categorical_crossentropy").check_targets(y, torch.rand(32, 10))
    assert str(err.value) == (
        "Loss 'categorical_crossentropy' expects one-hot targets shaped like the predictions, (None, 10), "
        "but y has shape (60000,) with integer class ids. Use loss='sparse_categorical_crossentropy', or "
        "one-hot encode y with kerastorch.utils.to_categorical(y, num_classes=10)."
    )
    with pytest.raises(ValueError, match=r"y has shape \(64, 1\) with integer class ids"):
        losses.CategoricalCrossentropy().check_targets(torch.randint(0, 10, (64, 1)).float(), torch.rand(64, 10))


def test_categorical_crossentropy_accepts_one_hot():
    losses.CategoricalCrossentropy().check_targets(torch.eye(10)[torch.randint(0, 10, (32,))], torch.rand(32, 10))


def test_sparse_crossentropy_rejects_one_hot_and_suggests_categorical():
    with pytest.raises(ValueError) as err:
        losses.resolve_loss("sparse_categorical_crossentropy").check_targets(torch.eye(10)[:4], torch.rand(4, 10))
    msg = str(err.value)
    assert "Loss 'sparse_categorical_crossentropy'" in msg and "(4, 10)" in msg
    assert "loss='categorical_crossentropy'" in msg and "argmax" in msg


def test_sparse_crossentropy_rejects_ids_out_of_range():
    with pytest.raises(ValueError) as err:
        losses.SparseCategoricalCrossentropy().check_targets(torch.tensor([0, 3, 10]), torch.rand(3, 10))
    msg = str(err.value)
    assert "class ids in [0, 10)" in msg and "(None, 10)" in msg and "from 0 to 10" in msg
    assert "Dense(11, activation='softmax')" in msg
    with pytest.raises(ValueError, match="from -1 to 3"):
        losses.SparseCategoricalCrossentropy().check_targets(torch.tensor([[-1], [3]]), torch.rand(2, 10))
    losses.SparseCategoricalCrossentropy(ignore_class=-1).check_targets(torch.tensor([[-1], [3]]), torch.rand(2, 10))
    losses.SparseCategoricalCrossentropy().check_targets(np.array([[0], [9]]), torch.rand(2, 10))


def test_sparse_crossentropy_rejects_fractional_targets():
    with pytest.raises(ValueError, match="non-integer values"):
        losses.SparseCategoricalCrossentropy().check_targets(torch.tensor([0.5, 1.0]), torch.rand(2, 3))


def test_binary_crossentropy_rejects_targets_outside_0_1():
    with pytest.raises(ValueError) as err:
        losses.resolve_loss("binary_crossentropy").check_targets(torch.tensor([0.0, 1.0, 2.0, 3.0]), torch.rand(4, 1))
    msg = str(err.value)
    assert "Loss 'binary_crossentropy' expects targets in [0, 1]" in msg and "[0, 3]" in msg
    assert "loss='sparse_categorical_crossentropy'" in msg and "Dense(4, activation='softmax')" in msg


def test_binary_crossentropy_rejects_mismatched_last_axis():
    with pytest.raises(ValueError) as err:
        losses.BinaryCrossentropy().check_targets(torch.eye(5)[:4], torch.rand(4, 1))
    msg = str(err.value)
    assert "(None, 1)" in msg and "(4, 5)" in msg and "loss='categorical_crossentropy'" in msg
    with pytest.raises(ValueError, match=r"\(None, 3\)"):
        losses.BinaryFocalCrossentropy().check_targets(torch.zeros(4, 2), torch.rand(4, 3))
    losses.BinaryCrossentropy().check_targets(torch.tensor([0.0, 1.0]), torch.rand(2, 1))  # (N,) vs (N, 1) ok


def test_regression_loss_rejects_shapes_that_do_not_broadcast():
    with pytest.raises(ValueError) as err:
        losses.resolve_loss("mse").check_targets(torch.zeros(8, 3), torch.zeros(8, 2))
    msg = str(err.value)
    assert "Loss 'mse'" in msg and "(None, 2)" in msg and "(8, 3)" in msg
    losses.resolve_loss("mse").check_targets(torch.zeros(8), torch.zeros(8, 1))
    losses.Huber().check_targets(torch.zeros(8, 1), torch.zeros(8, 1))


# --------------------------------------------------------------------------- fused logits path


@pytest.mark.keras
def test_fused_softmax_crossentropy_matches_keras_on_probabilities(keras):
    logits = RNG.normal(size=(64, C)).astype("float32") * 4
    logits[0] = [60.0, -60.0, 0.0, 0.0, 0.0]  # saturated: Keras' clip plateau
    ids = RNG.integers(0, C, 64)
    ids[0] = 1
    probs = keras.ops.convert_to_numpy(keras.ops.softmax(logits))
    for base, theirs, y in [
        (losses.CategoricalCrossentropy(label_smoothing=0.1), keras.losses.CategoricalCrossentropy(label_smoothing=0.1), _onehot(ids)),
        (losses.SparseCategoricalCrossentropy(), keras.losses.SparseCategoricalCrossentropy(), ids),
        (
            losses.SparseCategoricalCrossentropy(ignore_class=2),
            keras.losses.SparseCategoricalCrossentropy(ignore_class=2),
            ids,
        ),
    ]:
        fused = losses.fused_from_logits(base, "softmax")
        got = fused(torch.tensor(y), torch.tensor(logits))
        want = keras.ops.convert_to_numpy(theirs(y, probs))
        np.testing.assert_allclose(float(got), want, rtol=1e-6, atol=1e-6)
        if type(base) is losses.SparseCategoricalCrossentropy and base.ignore_class is None:
            per_sample = fused.call(torch.tensor(y).float(), torch.tensor(logits))
            np.testing.assert_allclose(per_sample[0].item(), float(-np.log(np.float32(1e-7))), rtol=1e-6)


@pytest.mark.keras
def test_fused_sigmoid_binary_crossentropy_matches_keras_in_normal_range(keras):
    logits = np.clip(RNG.normal(size=(64, 1)).astype("float32") * 2, -4, 4)
    y = RNG.integers(0, 2, (64, 1)).astype("float32")
    fused = losses.fused_from_logits(losses.BinaryCrossentropy(), "sigmoid")
    probs = keras.ops.convert_to_numpy(keras.ops.sigmoid(logits))
    want = keras.ops.convert_to_numpy(keras.losses.BinaryCrossentropy(reduction="none")(y, probs))
    got = losses.fused_from_logits(losses.BinaryCrossentropy(reduction="none"), "sigmoid")(
        torch.tensor(y), torch.tensor(logits)
    )
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-5, atol=1e-6)
    # Saturated logits land on Keras' clip plateau too.
    sat = np.array([[40.0], [-40.0]], "float32")
    yy = np.array([[0.0], [1.0]], "float32")
    want = keras.ops.convert_to_numpy(
        keras.losses.BinaryCrossentropy(reduction="none")(yy, keras.ops.convert_to_numpy(keras.ops.sigmoid(sat)))
    )
    got = fused.call(torch.tensor(yy), torch.tensor(sat))
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-6)


def test_fused_from_logits_declines_other_combinations():
    assert losses.fused_from_logits(losses.CategoricalCrossentropy(from_logits=True), "softmax") is None
    assert losses.fused_from_logits(losses.CategoricalCrossentropy(), "sigmoid") is None
    assert losses.fused_from_logits(losses.BinaryCrossentropy(), "softmax") is None
    assert losses.fused_from_logits(losses.MeanSquaredError(), "sigmoid") is None
    assert losses.fused_from_logits(losses.CategoricalCrossentropy(axis=1), "softmax") is None


def test_fused_loss_gradients_are_finite_at_saturation():
    logits = torch.tensor([[80.0, -80.0, 0.0]], requires_grad=True)
    fused = losses.fused_from_logits(losses.CategoricalCrossentropy(), "softmax")
    fused(torch.tensor([[0.0, 1.0, 0.0]]), logits).backward()
    assert torch.isfinite(logits.grad).all()


@pytest.mark.keras
@pytest.mark.parametrize("batch", [32, 128])
@pytest.mark.parametrize("scale, soft_targets", [(1.0, False), (4.0, False), (40.0, False), (4.0, True)])
def test_fused_softmax_crossentropy_values_and_gradients_match_keras(keras, scale, soft_targets, batch):
    """The training hot path (one autograd node) against Keras' loss on softmax, differentiated by torch:
    saturated logits (scale 40) hit Keras' clip, whose gradient is zero there."""
    rng = np.random.default_rng(int(scale) + soft_targets)
    logits = (rng.normal(size=(batch, C)) * scale).astype("float32")
    y = (rng.dirichlet(np.ones(C), batch) if soft_targets else _onehot(rng.integers(0, C, batch))).astype("float32")
    theirs_z = torch.tensor(logits, requires_grad=True)
    want = keras.losses.CategoricalCrossentropy()(torch.tensor(y), keras.ops.softmax(theirs_z))
    want.backward()
    ours_z = torch.tensor(logits, requires_grad=True)
    fused = losses.fused_from_logits(losses.CategoricalCrossentropy(), "softmax")
    loss, probs = fused.loss_and_probabilities(torch.tensor(y), ours_z, need_probabilities=True)
    assert loss.grad_fn is not None and "ClippedSoftmax" in type(loss.grad_fn).__name__     # the one-node path
    loss.backward()
    np.testing.assert_allclose(float(loss), float(want.detach()), rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(ours_z.grad.numpy(), theirs_z.grad.numpy(), rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(probs.numpy(), keras.ops.convert_to_numpy(keras.ops.softmax(logits)), rtol=1e-5,
                               atol=1e-7)
