"""Data parallelism with real processes: 2 ranks on gloo (CPU), started as torchrun starts them.

The ranks run tests/distributed/_worker.py and save what they saw; the expected values come
from hand-written float64 training loops here (and, as a cross-check, from single-process
kerastorch on the same global batches).
"""

import json
import os
import socket
import subprocess
import sys
import time

import numpy as np
import pytest
import torch

import kerastorch
from kerastorch import distribution, layers

pytestmark = pytest.mark.distributed

if not (torch.distributed.is_available() and torch.distributed.is_gloo_available()):
    pytest.skip("torch.distributed with the gloo backend is not available in this torch build",
                allow_module_level=True)

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
import _worker  # noqa: E402  (the data and models the ranks use)

WORLD = 2


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def launch(scenario, out_dir, extra_env=None):
    """Starts WORLD ranks with the environment torchrun gives its workers; returns the Popens."""
    port = str(_free_port())
    procs = []
    for rank in range(WORLD):
        env = dict(os.environ, RANK=str(rank), LOCAL_RANK=str(rank), WORLD_SIZE=str(WORLD),
                   LOCAL_WORLD_SIZE=str(WORLD), MASTER_ADDR="127.0.0.1", MASTER_PORT=port,
                   OMP_NUM_THREADS="1", PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""),
                   **(extra_env or {}))
        procs.append(subprocess.Popen([sys.executable, os.path.join(HERE, "_worker.py"), scenario, str(out_dir)],
                                      env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True))
    return procs


def _wait_all(procs, timeout):
    outputs = []
    deadline = time.monotonic() + timeout
    for p in procs:
        try:
            out, _ = p.communicate(timeout=max(deadline - time.monotonic(), 1))
        except subprocess.TimeoutExpired:
            for q in procs:
                q.kill()
            pytest.fail(f"the ranks did not finish within {timeout} s")
        outputs.append(out)
    return outputs


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    out = tmp_path_factory.mktemp("dp")
    procs = launch("train", out)
    outputs = _wait_all(procs, 150)
    for rank, (p, text) in enumerate(zip(procs, outputs)):
        assert p.returncode == 0, f"rank {rank} failed:\n{text}"
    ranks = [dict(np.load(out / f"rank{r}.npz")) for r in range(WORLD)]
    hist = [json.load(open(out / f"histories_rank{r}.json")) for r in range(WORLD)]
    return out, ranks, hist


def weights(saved, prefix):
    return [saved[f"{prefix}_{i}"] for i in range(4)]


# ---------------------------------------------------------------- hand-written references (float64)
def _t(ws):
    return [torch.tensor(w, dtype=torch.float64, requires_grad=True) for w in ws]


def _regression(ws, x):
    return torch.relu(x @ ws[0] + ws[1]) @ ws[2] + ws[3]


def _classify(ws, x):
    return torch.softmax(torch.tanh(x @ ws[0] + ws[1]) @ ws[2] + ws[3], dim=-1)


def _cce(p, y):
    return -torch.log(p.clamp(1e-7, 1 - 1e-7)[torch.arange(len(y)), y]).mean()


def hand_sgd_regression(init, x, y, batches_per_epoch, lr=0.05, xv=None, yv=None):
    """Plain SGD on MSE; returns final weights, per-epoch weights and the Keras-style epoch logs."""
    ws = _t(init)
    x, y = torch.tensor(x, dtype=torch.float64), torch.tensor(y, dtype=torch.float64)
    logs, per_epoch = [], []
    for batches in batches_per_epoch:
        loss_sum = mae_sum = 0.0
        for idx in batches:
            pred = _regression(ws, x[idx])
            loss = ((pred - y[idx]) ** 2).mean()
            loss_sum += float(loss.detach()) * len(idx)
            mae_sum += float((pred - y[idx]).abs().sum())
            grads = torch.autograd.grad(loss, ws)
            with torch.no_grad():
                for w, g in zip(ws, grads):
                    w -= lr * g
        entry = {"loss": loss_sum / len(x), "mae": mae_sum / len(x)}
        if xv is not None:
            with torch.no_grad():
                pv = _regression(ws, torch.tensor(xv, dtype=torch.float64))
                tv = torch.tensor(yv, dtype=torch.float64)
            entry.update(val_loss=float(((pv - tv) ** 2).mean()), val_mae=float((pv - tv).abs().mean()))
        logs.append(entry)
        per_epoch.append([w.detach().numpy().copy() for w in ws])
    return per_epoch[-1], per_epoch, logs


def hand_adam_classifier(init, x, y, batches_per_epoch, xv, yv, lr=0.01, b1=0.9, b2=0.999, eps=1e-7):
    """Keras' Adam (epsilon outside the bias correction) on sparse categorical crossentropy."""
    ws = _t(init)
    x, y = torch.tensor(x, dtype=torch.float64), torch.tensor(y)
    m = [torch.zeros_like(w) for w in ws]
    v = [torch.zeros_like(w) for w in ws]
    t = 0
    logs = []
    for batches in batches_per_epoch:
        loss_sum = correct = 0.0
        for idx in batches:
            p = _classify(ws, x[idx])
            loss = _cce(p, y[idx])
            loss_sum += float(loss.detach()) * len(idx)
            correct += float((p.argmax(-1) == y[idx]).sum())
            grads = torch.autograd.grad(loss, ws)
            t += 1
            lr_t = lr * np.sqrt(1 - b2 ** t) / (1 - b1 ** t)
            with torch.no_grad():
                for w, g, mi, vi in zip(ws, grads, m, v):
                    mi.mul_(b1).add_((1 - b1) * g)
                    vi.mul_(b2).add_((1 - b2) * g * g)
                    w -= lr_t * mi / (vi.sqrt() + eps)
        with torch.no_grad():
            pv = _classify(ws, torch.tensor(xv, dtype=torch.float64))
            yvt = torch.tensor(yv)
        logs.append({"loss": loss_sum / len(x), "accuracy": correct / len(x), "val_loss": float(_cce(pv, yvt)),
                     "val_accuracy": float((pv.argmax(-1) == yvt).float().mean())})
    return [w.detach().numpy() for w in ws], logs


def contiguous(n, batch):
    return [list(range(s, min(s + batch, n))) for s in range(0, n, batch)]


def shuffled(n, batch, seed, epoch):
    # The order every rank draws: a generator seeded with torch.initial_seed() + epoch.
    order = torch.randperm(n, generator=torch.Generator().manual_seed(seed + epoch)).tolist()
    return [order[s:s + batch] for s in range(0, n, batch)]


def assert_close_weights(got, expected, atol=1e-5):
    for g, e in zip(got, expected):
        np.testing.assert_allclose(g, e, rtol=0, atol=atol)


def assert_logs(got, expected_per_epoch, atol=1e-5):
    for key in expected_per_epoch[0]:
        np.testing.assert_allclose(got[key], [e[key] for e in expected_per_epoch], rtol=1e-5, atol=atol,
                                   err_msg=key)


# ---------------------------------------------------------------- tests
def test_ranks_start_from_rank0_weights_and_end_identical(run):
    _, ranks, _ = run
    # The ranks built different initial weights (seeded 100 + rank) ...
    assert not np.allclose(ranks[0]["a_init_0"], ranks[1]["a_init_0"])
    # ... and still end bit-identical: DDP broadcast rank 0's, then every update is the same.
    for prefix in ("a_final", "b_final", "c_final"):
        for i in range(4):
            np.testing.assert_array_equal(ranks[0][f"{prefix}_{i}"], ranks[1][f"{prefix}_{i}"], err_msg=prefix)


def test_sgd_without_shuffle_matches_one_process_on_the_global_batches(run):
    _, ranks, hist = run
    x, y, _, xv, yv, _ = _worker.data()
    batches = [contiguous(len(x), _worker.BATCH)] * 2
    final, _, logs = hand_sgd_regression(weights(ranks[0], "a_init"), x, y, batches, xv=xv, yv=yv)
    for rank in range(WORLD):
        assert_close_weights(weights(ranks[rank], "a_final"), final)
    # The History on rank 0 (and on rank 1: every rank gets the same global figures).
    for rank in range(WORLD):
        assert_logs(hist[rank]["a"], logs)


def test_adam_with_shuffle_matches_one_process_on_the_global_batches(run):
    _, ranks, hist = run
    x, _, y, xv, _, yv = _worker.data()
    batches = [shuffled(len(x), _worker.BATCH, seed=7, epoch=e) for e in range(2)]
    final, logs = hand_adam_classifier(weights(ranks[0], "b_init"), x, y, batches, xv, yv)
    for rank in range(WORLD):
        assert_close_weights(weights(ranks[rank], "b_final"), final)
    assert_logs(hist[0]["b"], logs)
    assert hist[1]["b"] == hist[0]["b"]


def test_distributed_result_equals_single_process_kerastorch(run):
    """The same global batches through kerastorch in this one process give the same weights."""
    _, ranks, _ = run
    x, _, y, _, _, _ = _worker.data()
    model = _worker.classifier()
    model.set_weights(weights(ranks[0], "b_init"))
    model.compile(optimizer=kerastorch.optimizers.Adam(learning_rate=0.01),
                  loss="sparse_categorical_crossentropy")
    for epoch in range(2):
        for idx in shuffled(len(x), _worker.BATCH, seed=7, epoch=epoch):
            model.train_on_batch(x[idx], y[idx])
    assert_close_weights(model.get_weights(), weights(ranks[0], "b_final"))


def test_dataloader_is_sharded_by_a_distributed_sampler(run):
    _, ranks, hist = run
    x, y, *_ = _worker.data()
    # Global batch 8 = 4 per rank; DistributedSampler(shuffle=False) gives rank r samples r, r+2, ...
    # so each global step covers 8 consecutive samples.
    final, _, logs = hand_sgd_regression(weights(ranks[0], "c_init"), x[:40], y[:40], [contiguous(40, 8)])
    assert_close_weights(weights(ranks[1], "c_final"), final)
    np.testing.assert_allclose(hist[0]["c"]["loss"], [logs[0]["loss"]], rtol=1e-5)


def test_evaluate_reports_the_metrics_over_all_ranks_samples(run):
    _, ranks, hist = run
    x, _, y, _, _, _ = _worker.data()
    with torch.no_grad():
        p = _classify(_t(weights(ranks[0], "b_final")), torch.tensor(x, dtype=torch.float64))
        expected_loss = float(_cce(p, torch.tensor(y)))
        expected_acc = float((p.argmax(-1) == torch.tensor(y)).double().mean())
    for rank in range(WORLD):
        assert hist[rank]["evaluate"]["loss"] == pytest.approx(expected_loss, rel=1e-5)
        assert hist[rank]["evaluate"]["accuracy"] == pytest.approx(expected_acc, abs=1e-6)


def test_predict_returns_every_sample_once_in_order(run):
    _, ranks, _ = run
    x = _worker.data()[0]
    with torch.no_grad():
        expected = _classify(_t(weights(ranks[0], "b_final")), torch.tensor(x, dtype=torch.float64)).numpy()
    for rank in range(WORLD):
        assert ranks[rank]["b_predict"].shape == (len(x), 3)
        np.testing.assert_allclose(ranks[rank]["b_predict"], expected, atol=1e-6)


@pytest.mark.parametrize("n", _worker.PREDICT_SIZES)
def test_sharded_predict_equals_one_process_predict(run, n):
    """predict cuts the samples into contiguous parts (rank r: [r*ceil(n/2), ...)), all-gathers
    the outputs and trims the padding: n = 10 (even), 11 (odd) and 1 (< world size)."""
    _, ranks, _ = run
    x = _worker.data()[0][:n]
    model = _worker.classifier()
    model.set_weights(weights(ranks[0], "b_final"))
    expected = model.predict(x, batch_size=4, verbose=0)
    for rank in range(WORLD):
        got = ranks[rank][f"b_predict_n{n}"]
        assert got.shape == (n, 3)
        np.testing.assert_allclose(got, expected, rtol=0, atol=1e-6)
    np.testing.assert_allclose(ranks[0]["b_predict_tensor"], model.predict(_worker.data()[0][:11], verbose=0),
                               rtol=0, atol=1e-6)


@pytest.mark.parametrize("n,world", [(10, 2), (11, 2), (1, 2), (7, 3), (2, 4)])
def test_predict_shards_are_contiguous_padded_and_cover_every_sample_once(n, world):
    x = np.arange(n * 2, dtype="float32").reshape(n, 2)
    parts = []
    for rank in range(world):
        dp = distribution.DataParallel(rank=rank, world_size=world)
        local, total = dp.predict_shard(x)
        assert total == n and len(local) == -(-n // world)     # equal lengths: same steps everywhere
        t_local, _ = dp.predict_shard(torch.from_numpy(x))
        np.testing.assert_array_equal(t_local.numpy(), local)
        parts.append(local)
    # Concatenated in rank order and trimmed, the parts are the samples in order.
    np.testing.assert_array_equal(np.concatenate(parts)[:n], x)


def test_checkpoint_and_csv_are_written_by_rank_0_only_and_load_in_one_process(run):
    out, ranks, hist = run
    # Each rank was given its own file name: only rank 0's exists.
    assert os.path.exists(out / "a_rank0.weights.h5") and not os.path.exists(out / "a_rank1.weights.h5")
    assert os.path.exists(out / "a_rank0.csv") and not os.path.exists(out / "a_rank1.csv")
    model = _worker.regression_model()
    model.load_weights(out / "a_rank0.weights.h5")
    assert_close_weights(model.get_weights(), weights(ranks[0], "a_final"), atol=0)
    rows = open(out / "a_rank0.csv").read().splitlines()
    assert rows[0] == "epoch,loss,mae,val_loss,val_mae" and len(rows) == 3
    assert float(rows[2].split(",")[1]) == pytest.approx(hist[0]["a"]["loss"][1])


def test_a_dead_rank_makes_the_other_fail_with_a_clear_error_not_hang(tmp_path):
    timeout = 20
    procs = launch("die", tmp_path, {"KT_TIMEOUT": str(timeout)})
    outputs = _wait_all(procs[1:], 90)
    died_at = time.monotonic()
    assert procs[1].returncode == 3, outputs[0]
    try:
        out0, _ = procs[0].communicate(timeout=timeout + 25)
    except subprocess.TimeoutExpired:
        procs[0].kill()
        pytest.fail(f"rank 0 still runs {timeout + 25} s after rank 1 died: it hangs")
    waited = time.monotonic() - died_at
    assert procs[0].returncode != 0, out0
    assert "kerastorch.distribution: rank 0 of 2 could not" in out0, out0
    assert "Another rank has probably stopped" in out0
    assert waited < timeout + 25


# ---------------------------------------------------------------- in-process, one rank
def test_auto_detection_needs_torchrun_variables(monkeypatch):
    for key in ("RANK", "LOCAL_RANK", "WORLD_SIZE", "MASTER_ADDR"):
        monkeypatch.delenv(key, raising=False)
    assert distribution.active() is None
    monkeypatch.setenv("WORLD_SIZE", "2")
    monkeypatch.setenv("RANK", "1")
    assert distribution.active() is None            # LOCAL_RANK and MASTER_ADDR missing
    monkeypatch.setenv("LOCAL_RANK", "1")
    monkeypatch.setenv("MASTER_ADDR", "127.0.0.1")
    monkeypatch.setattr(distribution, "_DETECTED", None)
    detected = distribution.active()
    assert (detected.rank, detected.world_size, detected.is_chief()) == (1, 2, False)
    assert not distribution.is_chief()
    monkeypatch.setattr(distribution, "_DETECTED", None)


def test_set_distribution_rejects_other_objects():
    with pytest.raises(TypeError, match="DataParallel or None"):
        distribution.set_distribution("data_parallel")


def test_bad_rank_is_reported_with_the_fix():
    with pytest.raises(ValueError, match=r"rank must be in \[0, world_size\), got rank=2, world_size=2"):
        distribution.DataParallel(rank=2, world_size=2)


def test_global_batch_not_divisible_by_ranks_is_rejected_for_datasets():
    dp = distribution.DataParallel(rank=0, world_size=2)
    dp._device = torch.device("cpu")     # no process group needed to shard
    dataset = torch.utils.data.TensorDataset(torch.zeros(10, 2))
    with pytest.raises(ValueError, match=r"batch_size=9 must be divisible by the number of processes \(2\)"):
        dp.distribute_dataset(dataset, batch_size=9)


def test_generators_and_pydatasets_are_shared_round_robin():
    dp = distribution.DataParallel(rank=1, world_size=2)
    dp._device = torch.device("cpu")
    gen = dp.distribute_dataset(iter(range(7)), batch_size=1)
    assert list(gen) == [1, 3, 5]                 # batch 6 (an incomplete round) is dropped

    class Batches(kerastorch.utils.PyDataset):
        def __len__(self):
            return 5

        def __getitem__(self, i):
            return i

    shard = dp.distribute_dataset(Batches(), batch_size=1)
    assert [shard[i] for i in range(len(shard))] == [1, 3]


def test_one_process_fit_is_unchanged_by_a_world_of_one():
    """DataParallel with world_size=1 (no torchrun) trains exactly like no distribution."""
    x = np.random.default_rng(1).normal(size=(12, 4)).astype("float32")
    y = x.sum(axis=1, keepdims=True)
    results = []
    for dist_obj in (None, distribution.DataParallel(rank=0, world_size=1)):
        distribution.set_distribution(dist_obj)
        try:
            kerastorch.utils.set_random_seed(3)
            model = kerastorch.Sequential([layers.Input(shape=(4,)), layers.Dense(1)])
            model.compile(optimizer="sgd", loss="mse")
            h = model.fit(x, y, batch_size=5, epochs=2, shuffle=False, verbose=0)
            results.append((model.get_weights(), h.history["loss"]))
        finally:
            distribution.set_distribution(None)
    assert_close_weights(results[1][0], results[0][0], atol=0)
    assert results[1][1] == results[0][1]
