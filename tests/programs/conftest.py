"""Shared pieces for the public-program tests.

Each test module in this folder holds one public Keras program (a keras.io guide or example),
written as functions that take the Keras namespace as arguments, e.g.
`def build_model(keras, layers, ops)`. Calling them with `kerastorch` is the program with its
imports changed to `import kerastorch as keras` / `from kerastorch import layers, ops`;
calling them with real Keras (on its torch backend) gives the oracle for the parity tests.
Downloads and tf.data are replaced by small seeded numpy arrays (or torch DataLoaders),
said so where it happens.
"""

import numpy as np
import pytest
import torch

import kerastorch


@pytest.fixture
def kt():
    """The kerastorch namespace the programs are run with: (keras, layers, ops)."""
    return kerastorch, kerastorch.layers, kerastorch.ops


@pytest.fixture
def real(keras):
    """Real Keras' namespace (keras, layers, ops), for the parity runs; skips without Keras."""
    keras.utils.set_random_seed(0)
    return keras, keras.layers, keras.ops


def to_numpy(x):
    """A tensor, Variable, array or nested list/tuple/dict of them, as numpy arrays."""
    if isinstance(x, dict):
        return {k: to_numpy(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return type(x)(to_numpy(v) for v in x)
    if isinstance(x, torch.Tensor):
        return x.detach().cpu().numpy()
    if hasattr(x, "numpy"):
        return np.asarray(x.numpy())
    return np.asarray(x)


def copy_weights(src, dst):
    """Gives model `dst` the weights of `src` (both in Keras' layout and order)."""
    src_weights = src.get_weights()
    dst_shapes = [tuple(w.shape) for w in dst.get_weights()]
    assert [tuple(w.shape) for w in src_weights] == dst_shapes, "the two programs built different weights"
    dst.set_weights(src_weights)


def assert_history_close(ours, theirs, atol=1e-4, rtol=1e-4):
    """Both History dicts have the same keys and per-epoch values within tolerance."""
    assert sorted(ours) == sorted(theirs)
    for key in theirs:
        np.testing.assert_allclose(ours[key], theirs[key], atol=atol, rtol=rtol, err_msg=key)


def rng(seed=0):
    """The seeded generator the synthetic data of a program is drawn from."""
    return np.random.default_rng(seed)
