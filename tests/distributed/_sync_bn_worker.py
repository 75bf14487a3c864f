"""One rank of test_sync_batchnorm.py: BatchNormalization(synchronized=True) on its half of a batch."""

import os
import sys

import numpy as np
import torch

import kerastorch
from kerastorch import layers


def main(out_dir):
    torch.distributed.init_process_group("gloo")
    rank = torch.distributed.get_rank()
    x = np.random.default_rng(0).normal(2.0, 3.0, (10, 3)).astype("float32")
    part = torch.from_numpy(x[:6] if rank == 0 else x[6:])      # uneven halves: 6 and 4 samples
    part.requires_grad_(True)
    layer = layers.BatchNormalization(synchronized=True, momentum=0.5)
    layer.build((None, 3))
    with torch.no_grad():
        layer.gamma.copy_(torch.tensor([1.0, 2.0, 0.5]))
    out = layer(part, training=True)
    # A loss over the GLOBAL batch: each rank's part, so the gradients are the global ones.
    (out * torch.arange(1.0, 4.0)).square().sum().backward()
    np.savez(os.path.join(out_dir, f"rank{rank}.npz"), out=out.detach().numpy(), grad=part.grad.numpy(),
             moving_mean=layer.moving_mean.numpy(), moving_variance=layer.moving_variance.numpy(),
             gamma_grad=layer.gamma.grad.numpy())
    # Both ranks meet before tearing down, so neither closes its gloo threads on a peer that is
    # still talking (a racing teardown can abort the process).
    torch.distributed.barrier()
    torch.distributed.destroy_process_group()


if __name__ == "__main__":
    main(sys.argv[1])
