"""`DataParallel(shard_parameters=True)`: FSDP2 (`fully_shard`) with 2 real gloo processes on the CPU.

The ranks run `_worker.py fsdp`; the expected values come from single-process kerastorch on
the same global batches, from the same initial weights (rank 0's).
"""

import json
import os
import sys

import numpy as np
import pytest
import torch

import kerastorch
from kerastorch import distribution

pytestmark = pytest.mark.distributed

if not (torch.distributed.is_available() and torch.distributed.is_gloo_available()):
    pytest.skip("torch.distributed with the gloo backend is not available in this torch build",
                allow_module_level=True)

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import _worker  # noqa: E402
from test_data_parallel import WORLD, _wait_all, assert_close_weights, launch, shuffled, weights  # noqa: E402


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    out = tmp_path_factory.mktemp("fsdp")
    procs = launch("fsdp", out)
    outputs = _wait_all(procs, 150)
    for rank, (p, text) in enumerate(zip(procs, outputs)):
        assert p.returncode == 0, f"rank {rank} failed:\n{text}"
    ranks = [dict(np.load(out / f"fsdp_rank{r}.npz")) for r in range(WORLD)]
    info = [json.load(open(out / f"fsdp_rank{r}.json")) for r in range(WORLD)]
    return out, ranks, info


def _one_process_sgd(init):
    x, y, _, xv, yv, _ = _worker.data()
    model = _worker.regression_model()
    model.set_weights(init)
    model.compile(optimizer=kerastorch.optimizers.SGD(learning_rate=0.05, momentum=0.9), loss="mse",
                  metrics=["mae"])
    rec = _worker.EpochWeights()
    hist = model.fit(x, y, batch_size=_worker.BATCH, epochs=2, shuffle=False, verbose=0,
                     validation_data=(xv, yv), callbacks=[rec])
    return model, rec.weights, hist.history


def test_sgd_with_sharded_parameters_equals_one_process_training(run):
    _, ranks, info = run
    assert not np.allclose(ranks[0]["a_init_0"], ranks[1]["a_init_0"])   # rank 0's weights won
    model, per_epoch, history = _one_process_sgd(weights(ranks[0], "a_init"))
    for rank in range(WORLD):
        for e in range(2):
            assert_close_weights(weights(ranks[rank], f"a_epoch{e}"), per_epoch[e])
        assert_close_weights(weights(ranks[rank], "a_final"), model.get_weights())
        for key, values in history.items():   # global logs, validation included
            np.testing.assert_allclose(info[rank]["a"][key], values, rtol=1e-5, atol=1e-6, err_msg=key)
    x = _worker.data()[0][:11]
    model.set_weights(weights(ranks[0], "a_final"))
    for rank in range(WORLD):   # sharded predict through the sharded model = one process's predict
        np.testing.assert_allclose(ranks[rank]["a_predict"], model.predict(x, verbose=0), rtol=0, atol=1e-6)


def test_adam_with_shuffle_and_sharded_parameters_equals_one_process_training(run):
    _, ranks, info = run
    x, _, y, _, _, _ = _worker.data()
    model = _worker.classifier()
    model.set_weights(weights(ranks[0], "b_init"))
    model.compile(optimizer=kerastorch.optimizers.Adam(learning_rate=0.01),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    for epoch in range(2):
        for idx in shuffled(len(x), _worker.BATCH, seed=7, epoch=epoch):
            model.train_on_batch(x[idx], y[idx])
    for rank in range(WORLD):
        assert_close_weights(weights(ranks[rank], "b_final"), model.get_weights())
    evaluated = model.evaluate(x, y, batch_size=8, verbose=0, return_dict=True)
    for rank in range(WORLD):
        assert info[rank]["evaluate"]["loss"] == pytest.approx(evaluated["loss"], rel=1e-5)
        assert info[rank]["evaluate"]["accuracy"] == pytest.approx(evaluated["accuracy"], abs=1e-6)
    # One more step (train_on_batch) outside fit: the weights read afterwards are gathered again.
    model.train_on_batch(x[:4], y[:4])
    for rank in range(WORLD):
        assert_close_weights(weights(ranks[rank], "b_after_step"), model.get_weights())


def test_each_rank_stores_about_half_of_every_parameter_and_slot(run):
    _, _, info = run
    for key, model in (("a_sizes", _worker.regression_model()), ("b_sizes", _worker.classifier())):
        shapes = [tuple(p.shape) for p in model.parameters()]
        full = [p.numel() for p in model.parameters()]
        for epoch in range(2):
            per_rank = [info[r][key][epoch] for r in range(WORLD)]
            assert all(s["sharded"] for s in per_rank)
            for i, (shape, total) in enumerate(zip(shapes, full)):
                local = [s["params"][i] for s in per_rank]
                assert sum(local) == total                  # together: every element once
                # dim 0 is cut in ceil(d/2) + floor(d/2) rows: at most half, rounded up, per rank
                assert max(local) == -(-shape[0] // WORLD) * (total // shape[0])
            # The optimizer's slots are sharded like their parameters.
            slots = [s["slots"] for s in per_rank]
            per_param = len(slots[0]) // len(full)
            for i, total in enumerate(full):
                for k in range(per_param):
                    assert sum(s[i * per_param + k] for s in slots) == total
    # The first kernel is cut along its first stored axis: ceil(d/2) rows, then the rest.
    for key, model in (("a_sizes", _worker.regression_model()), ("b_sizes", _worker.classifier())):
        first = next(model.parameters())
        rows, row_size = first.shape[0], first.numel() // first.shape[0]
        expected = [-(-rows // WORLD) * row_size, (rows - -(-rows // WORLD)) * row_size]
        assert [info[r][key][0]["params"][0] for r in range(WORLD)] == expected


def test_sharded_model_keeps_its_class_names_and_checkpoints_on_rank_0(run):
    out, ranks, info = run
    assert info[0]["a_class"] == ["Sequential", "Dense", "Dense"]   # not FSDPSequential: files name Dense
    assert os.path.exists(out / "a_rank0.weights.h5") and not os.path.exists(out / "a_rank1.weights.h5")
    model = _worker.regression_model()
    model.load_weights(out / "a_rank0.weights.h5")
    assert_close_weights(model.get_weights(), weights(ranks[0], "a_final"), atol=0)


def test_save_set_and_load_weights_of_a_sharded_model(run):
    out, ranks, _ = run
    for rank in range(WORLD):
        assert all(not w.any() for w in weights(ranks[rank], "b_zeroed"))           # set_weights wrote the shards
        assert_close_weights(weights(ranks[rank], "b_reloaded"), weights(ranks[rank], "b_after_step"), atol=0)
    # The file holds full tensors and the gathered Adam state: it loads in one process.
    model = _worker.classifier()
    model.compile(optimizer=kerastorch.optimizers.Adam(learning_rate=0.01), loss="sparse_categorical_crossentropy")
    model.load_weights(out / "b_rank0.weights.h5")
    assert_close_weights(model.get_weights(), weights(ranks[0], "b_after_step"), atol=0)
    assert int(model.optimizer.iterations) == 2 * 7 + 1
    assert all(v.shape == p.shape for v, p in zip(model.optimizer._slot_variables[::2], model.parameters()))


# ---------------------------------------------------------------- in-process
def test_shard_parameters_must_be_a_bool():
    with pytest.raises(ValueError, match="shard_parameters must be True or False"):
        distribution.DataParallel(rank=0, world_size=1, shard_parameters="yes")
    dp = distribution.DataParallel(rank=0, world_size=1, shard_parameters=True)
    assert dp.shard_parameters and "shard_parameters=True" in repr(dp)
