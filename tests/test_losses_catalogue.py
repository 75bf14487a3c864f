"""The rest of Keras' losses (Dice, Tversky, Circle, CTC, generalized cross entropy) against real Keras.

Generated over a table of cases per class: every reduction, with and without sample weights,
values and dtypes within 1e-5 of Keras 3 (torch backend); configs equal to Keras' and round
trips both ways; the per-sample functions; and the namespace walk over `dir(keras.losses)`.
"""

import numpy as np
import pytest
import torch

import kerastorch
from kerastorch import losses

N = 8
RNG = np.random.default_rng(7)


def _data(kind):
    if kind == "segmentation":  # masks and probabilities, (N, H, W, 1)
        y = RNG.integers(0, 2, (N, 3, 4, 1)).astype("float32")
        p = RNG.random((N, 3, 4, 1)).astype("float32")
        p[0] = 0.0  # an empty prediction
        y[1] = 0.0  # an empty mask
        return y, p
    if kind == "flat":
        return RNG.integers(0, 2, (N, 6)).astype("float32"), RNG.random((N, 6)).astype("float32")
    if kind == "embeddings":  # labels with two singletons (rows 4 and 7: no positive pair, loss 0)
        emb = RNG.normal(size=(N, 5)).astype("float32")
        emb /= np.linalg.norm(emb, axis=1, keepdims=True)
        return np.array([0, 0, 1, 1, 2, 3, 3, 4]), emb
    if kind == "ctc":  # labels 1..4 padded with the blank 0, no repeats (always feasible in 6 steps)
        labels = np.zeros((N, 4), "int64")
        for i in range(N):
            length = 1 + i % 4
            seq = [int(RNG.integers(1, 5))]
            while len(seq) < length:
                nxt = int(RNG.integers(1, 5))
                if nxt != seq[-1]:
                    seq.append(nxt)
            labels[i, :length] = seq
        return labels, (RNG.normal(size=(N, 6, 5)) * 2).astype("float32")
    if kind == "gce":
        p = RNG.random((N, 4)).astype("float32") + 0.05
        return RNG.integers(0, 4, N), p / p.sum(-1, keepdims=True)
    raise AssertionError(kind)


# (class name, constructor kwargs, data kind)
CASES = [
    ("Dice", {}, "segmentation"),
    ("Dice", {"axis": (1, 2, 3)}, "segmentation"),
    ("Dice", {"axis": -1}, "flat"),
    ("Dice", {"axis": (1, 2, 3), "dtype": "float64"}, "segmentation"),
    ("Tversky", {}, "segmentation"),
    ("Tversky", {"alpha": 0.7, "beta": 0.3, "axis": (1, 2, 3)}, "segmentation"),
    ("Tversky", {"alpha": 0.2, "beta": 0.9, "axis": 1}, "flat"),
    ("Circle", {}, "embeddings"),
    ("Circle", {"gamma": 10.0, "margin": 0.25}, "embeddings"),
    ("Circle", {"gamma": 5.0, "remove_diagonal": False}, "embeddings"),
    ("CTC", {}, "ctc"),
    ("CategoricalGeneralizedCrossEntropy", {}, "gce"),
    ("CategoricalGeneralizedCrossEntropy", {"q": 0.2}, "gce"),
    ("CategoricalGeneralizedCrossEntropy", {"q": 0.9, "dtype": "float64"}, "gce"),
]
REDUCTIONS = ["sum_over_batch_size", "sum", "mean", "none", None, "mean_with_sample_weight"]


def _case_id(case):
    name, kwargs, kind = case
    return name + "".join(f"-{k}={v}" for k, v in kwargs.items()) + f"-{kind}"


def _np(keras, x):
    return np.asarray(keras.ops.convert_to_numpy(x))


@pytest.mark.keras
@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_loss_matches_keras_for_every_reduction_and_weighting(keras, case):
    name, kwargs, kind = case
    y, p = _data(kind)
    weights = [None, (RNG.random(N) * 2).astype("float32")]
    weights[1][:2] = 0.0
    for reduction in REDUCTIONS:
        ours = getattr(losses, name)(reduction=reduction, **kwargs)
        theirs = getattr(keras.losses, name)(reduction=reduction, **kwargs)
        for w in weights:
            got = ours(torch.tensor(y), torch.tensor(p), sample_weight=None if w is None else torch.tensor(w))
            want = theirs(y, p, sample_weight=w)
            assert tuple(got.shape) == tuple(want.shape), (reduction, w is None)
            assert got.dtype == want.dtype, (reduction, got.dtype, want.dtype)
            np.testing.assert_allclose(got.detach().numpy(), _np(keras, want), rtol=1e-5, atol=1e-5,
                                       err_msg=f"reduction={reduction!r}, weighted={w is not None}")


@pytest.mark.keras
@pytest.mark.parametrize("name", ["MeanSquaredError", "CategoricalCrossentropy", "Hinge"])
def test_float64_losses_reduce_to_keras_dtypes(keras, name):
    # Keras' divide_no_nan turns a float64 mean into float32; "sum" and "none" stay float64.
    y = np.eye(3, dtype="float32")[RNG.integers(0, 3, N)]
    p = RNG.random((N, 3)).astype("float32") + 0.1
    for reduction in REDUCTIONS:
        got = getattr(losses, name)(dtype="float64", reduction=reduction)(torch.tensor(y), torch.tensor(p))
        want = getattr(keras.losses, name)(dtype="float64", reduction=reduction)(y, p)
        assert got.dtype == want.dtype, (reduction, got.dtype, want.dtype)
        np.testing.assert_allclose(got.numpy(), _np(keras, want), rtol=1e-6)


@pytest.mark.keras
@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_config_equals_keras_and_round_trips_both_ways(keras, case):
    name, kwargs, _ = case
    ours = getattr(losses, name)(name="l", **kwargs)
    theirs = getattr(keras.losses, name)(name="l", **kwargs)
    assert ours.get_config() == theirs.get_config()
    assert type(ours).from_config(ours.get_config()).get_config() == ours.get_config()
    again = losses.deserialize(losses.serialize(ours))
    assert type(again) is type(ours) and again.get_config() == ours.get_config()
    from_keras = losses.deserialize(keras.losses.serialize(theirs))   # a Keras config, loaded here
    assert type(from_keras).__name__ == name and from_keras.get_config() == theirs.get_config()
    assert losses.serialize(ours) == keras.losses.serialize(theirs)


def _ref_set():
    emb = RNG.normal(size=(5, 5)).astype("float32")
    return np.array([0, 1, 2, 3, 4]), emb / np.linalg.norm(emb, axis=1, keepdims=True)


# (function name, kwargs, data kind)
FUNCTIONS = [
    ("dice", {}, "segmentation"),
    ("dice", {"axis": (1, 2, 3)}, "segmentation"),
    ("tversky", {"alpha": 0.3, "beta": 0.7, "axis": -1}, "flat"),
    ("tversky", {}, "segmentation"),
    ("circle", {}, "embeddings"),
    ("circle", {"gamma": 20.0, "margin": 0.1, "remove_diagonal": False}, "embeddings"),
    ("circle", {"ref": True}, "embeddings"),
    ("ctc", {}, "ctc"),
    ("categorical_generalized_cross_entropy", {"q": 0.4}, "gce"),
]


@pytest.mark.keras
@pytest.mark.parametrize("case", FUNCTIONS, ids=_case_id)
def test_function_returns_keras_values(keras, case):
    name, kwargs, kind = case
    y, p = _data(kind)
    kwargs = dict(kwargs)
    ours_kwargs, theirs_kwargs = dict(kwargs), dict(kwargs)
    if kwargs.pop("ref", False):
        ref_labels, ref_emb = _ref_set()
        ours_kwargs = {"ref_labels": torch.tensor(ref_labels), "ref_embeddings": torch.tensor(ref_emb)}
        theirs_kwargs = {"ref_labels": ref_labels, "ref_embeddings": keras.ops.convert_to_tensor(ref_emb)}
    got = getattr(losses, name)(torch.tensor(y), torch.tensor(p), **ours_kwargs)
    T = keras.ops.convert_to_tensor
    want = getattr(keras.losses, name)(T(y), T(p), **theirs_kwargs)
    assert tuple(got.shape) == tuple(want.shape) and got.dtype == want.dtype
    np.testing.assert_allclose(got.numpy(), _np(keras, want), rtol=1e-5, atol=1e-5)


def test_generalized_cross_entropy_reads_n_by_1_ids_as_n_ids():
    # Keras documents (batch_size, 1) ids; kerastorch squeezes them (see the function's docstring).
    y, p = _data("gce")
    flat = losses.categorical_generalized_cross_entropy(torch.tensor(y), torch.tensor(p), q=0.5)
    column = losses.categorical_generalized_cross_entropy(torch.tensor(y[:, None]), torch.tensor(p), q=0.5)
    torch.testing.assert_close(flat, column)
    # (1 - p**q) / q by hand for the first row
    np.testing.assert_allclose(float(flat[0]), (1 - p[0, y[0]] ** 0.5) / 0.5, rtol=1e-6)


def test_circle_masks_rows_without_a_positive_pair_out_of_the_mean():
    y, p = _data("embeddings")
    per_row = losses.circle(torch.tensor(y), torch.tensor(p))
    assert per_row[4] == 0 and per_row[7] == 0 and bool((per_row[[0, 1, 2, 3, 5, 6]] > 0).all())
    mean = losses.Circle()(torch.tensor(y), torch.tensor(p))
    np.testing.assert_allclose(float(mean), float(per_row.sum()) / 6, rtol=1e-6)  # 6 rows, not 8


def test_dice_with_identical_masks_is_zero_and_disjoint_ones_one():
    m = torch.tensor([[1.0, 1.0, 0.0, 0.0]])
    np.testing.assert_allclose(float(losses.dice(m, m)), 1 - 4 / (4 + 1e-7), atol=1e-7)
    np.testing.assert_allclose(float(losses.dice(m, 1 - m)), 1.0, atol=1e-7)
    np.testing.assert_allclose(float(losses.tversky(m, m, alpha=0.9, beta=0.1)), 0.0, atol=1e-6)


def test_ctc_refuses_wrong_ranks_with_the_shapes_it_expects():
    with pytest.raises(ValueError, match=r"ctc: targets `y_true` must be integer labels of shape \(batch_size, max_length\)"):
        losses.ctc(torch.zeros(2, 3, 1), torch.zeros(2, 4, 5))
    with pytest.raises(ValueError, match=r"\(batch_size, max_length, num_classes\), got y_pred.shape=\(2, 4\)"):
        losses.CTC()(torch.zeros(2, 3), torch.zeros(2, 4))


@pytest.mark.keras
@pytest.mark.parametrize("q", [0.0, 1.0, -0.5, 2])
def test_generalized_cross_entropy_refuses_q_outside_the_open_interval_as_keras(keras, q):
    with pytest.raises(ValueError):
        keras.losses.CategoricalGeneralizedCrossEntropy(q=q)
    with pytest.raises(ValueError, match=r"`q` must be a number in the open interval \(0, 1\)"):
        losses.CategoricalGeneralizedCrossEntropy(q=q)


def test_generalized_cross_entropy_refuses_class_ids_out_of_range():
    with pytest.raises(ValueError, match=r"class ids must be in \[0, 2\).*from 0 to 3"):
        losses.CategoricalGeneralizedCrossEntropy()(torch.tensor([0, 3]), torch.rand(2, 2))
    with pytest.raises(ValueError, match=r"class ids in \[0, 2\)"):  # the trainer's first-batch check
        losses.CategoricalGeneralizedCrossEntropy().check_targets(torch.tensor([0, 3]), torch.rand(2, 2))


@pytest.mark.keras
def test_every_public_name_of_keras_losses_exists(keras):
    theirs = {n for n in dir(keras.losses) if not n.startswith("_")}
    missing = sorted(n for n in theirs if not hasattr(losses, n))
    assert not missing, f"kerastorch.losses lacks {missing}"
    for n in theirs:
        obj = getattr(keras.losses, n)
        if isinstance(obj, type):
            assert isinstance(getattr(losses, n), type), n
        elif callable(obj):
            assert callable(getattr(losses, n)) and not isinstance(getattr(losses, n), type), n


@pytest.mark.keras
@pytest.mark.parametrize("name", ["dice", "tversky", "circle", "ctc", "Dice", "Tversky", "Circle", "CTC",
                                  "CategoricalGeneralizedCrossEntropy", "categorical_generalized_cross_entropy"])
def test_get_of_the_new_names_follows_keras(keras, name):
    try:
        theirs = keras.losses.get(name)
    except ValueError:
        with pytest.raises(ValueError, match="Unknown loss"):
            losses.get(name)
        return
    ours = losses.get(name)
    if isinstance(theirs, keras.losses.Loss):
        assert type(ours).__name__ == type(theirs).__name__ and ours.get_config() == theirs.get_config()
    else:
        assert ours is getattr(losses, name)


def test_compile_with_a_function_name_trains_on_the_built_in_loss():
    x = RNG.normal(size=(16, 3)).astype("float32")
    y = RNG.normal(size=(16, 2)).astype("float32")
    model = kerastorch.Sequential([kerastorch.layers.Input(shape=(3,)), kerastorch.layers.Dense(2)])
    for name in ("mean_squared_error", "mse", losses.mean_squared_error):
        model.compile(optimizer="sgd", loss=name)
        assert isinstance(model._loss_fn, losses.MeanSquaredError)
        pred = model.predict(x, verbose=0)
        got = model.evaluate(x, y, verbose=0)
        np.testing.assert_allclose(got, float(np.mean((pred - y) ** 2)), rtol=1e-5)
    model.compile(optimizer="sgd", loss="dice")
    assert isinstance(model._loss_fn, losses.Dice)
    model.fit(x, np.abs(y), epochs=1, verbose=0)
