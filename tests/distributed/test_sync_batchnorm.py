"""BatchNormalization(synchronized=True) under two gloo processes equals one process on the whole batch."""

import os
import socket
import subprocess
import sys

import numpy as np
import pytest
import torch

pytestmark = pytest.mark.distributed

if not (torch.distributed.is_available() and torch.distributed.is_gloo_available()):
    pytest.skip("torch.distributed with the gloo backend is not available in this torch build",
                allow_module_level=True)

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_synchronized_statistics_and_gradients_are_the_global_batch(tmp_path):
    port = str(_free_port())
    procs = [subprocess.Popen([sys.executable, os.path.join(HERE, "_sync_bn_worker.py"), str(tmp_path)],
                              env=dict(os.environ, RANK=str(rank), WORLD_SIZE="2", MASTER_ADDR="127.0.0.1",
                                       MASTER_PORT=port, OMP_NUM_THREADS="1",
                                       PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", "")),
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
             for rank in range(2)]
    for p in procs:
        out, _ = p.communicate(timeout=120)
        assert p.returncode == 0, out
    ranks = [np.load(tmp_path / f"rank{r}.npz") for r in range(2)]

    # Oracle: plain torch batch norm on the whole batch of 10, in one process.
    x = torch.from_numpy(np.random.default_rng(0).normal(2.0, 3.0, (10, 3)).astype("float32")).requires_grad_(True)
    gamma = torch.tensor([1.0, 2.0, 0.5], requires_grad=True)
    out = torch.nn.functional.batch_norm(x, None, None, gamma, torch.zeros(3), training=True, eps=1e-3)
    (out * torch.arange(1.0, 4.0)).square().sum().backward()
    np.testing.assert_allclose(np.concatenate([r["out"] for r in ranks]), out.detach().numpy(), atol=1e-5)
    np.testing.assert_allclose(np.concatenate([r["grad"] for r in ranks]), x.grad.numpy(), atol=1e-4)
    # Each rank holds its part of gamma's gradient; DDP sums (averages) them across ranks.
    np.testing.assert_allclose(ranks[0]["gamma_grad"] + ranks[1]["gamma_grad"], gamma.grad.numpy(), rtol=1e-4)
    # Keras' moving update (momentum 0.5) with the global mean and biased variance, on every rank.
    data = x.detach().numpy()
    for r in ranks:
        np.testing.assert_allclose(r["moving_mean"], 0.5 * data.mean(0), rtol=1e-5)
        np.testing.assert_allclose(r["moving_variance"], 0.5 + 0.5 * data.var(0), rtol=1e-5)
