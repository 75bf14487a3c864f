"""The training benchmark's contenders train the same model from the same point, in balanced orders
(benchmarks/bench_training.py): the hand loop's torch modules get kerastorch's initial weights,
converted to torch's layouts, and both shuffle with the same seeded `torch.randperm`.

The oracle is the benchmark's plain torch modules: with the converted weights they must predict what
kerastorch predicts, and one epoch of the hand loop must end at kerastorch's loss where nothing else
differs (no dropout; Adam's epsilon, placed differently by Keras and torch, made negligible).
"""

import importlib.util
import os
import types

import numpy as np
import pytest
import torch

_BENCH = os.path.join(os.path.dirname(__file__), "..", "..", "benchmarks", "bench_training.py")


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("_kt_bench_training_start", _BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _pair(bench, name, samples):
    wl = bench.WORKLOADS[name]
    data = bench.make_data(wl, samples, 7)
    device = bench.Device("cpu")
    settings = types.SimpleNamespace(seed=7, jit=False, mixed_precision=None)
    kt = bench.KerastorchContender(wl, data, device, settings)
    hand = bench.TorchContender(wl, data, device, settings, init=kt.initial_weights)
    return wl, data, kt, hand


@pytest.mark.parametrize("name", ["mlp32", "cnn", "bn", "tiny", "text"])
def test_hand_loop_starts_from_kerastorch_weights(bench, name):
    wl, data, kt, hand = _pair(bench, name, 64)
    x = data["test"][0][:48]
    expected = kt.predict(x, 16)
    np.testing.assert_allclose(hand.predict(x, 16), expected, rtol=1e-4, atol=1e-5)
    # Not a coincidence of the data: another start predicts something else.
    other = bench.TorchContender(wl, data, bench.Device("cpu"),
                                 types.SimpleNamespace(seed=8, jit=False, mixed_precision=None))
    assert np.abs(other.predict(x, 16) - expected).max() > 1e-3
    bench.check_same_start(wl, {"kerastorch": kt, "torch": hand}, x, 16)
    with pytest.raises(RuntimeError, match="does not start from kerastorch's weights"):
        bench.check_same_start(wl, {"kerastorch": kt, "torch": other}, x, 16)


def test_wrong_architecture_is_refused(bench):
    model = bench.torch_tiny()
    weights = [np.zeros((16, 8), "float32"), np.zeros(8, "float32"), np.zeros((8, 1), "float32"),
               np.zeros(1, "float32"), np.zeros(3, "float32")]
    with pytest.raises(ValueError, match="1 weight arrays left over"):
        bench.load_keras_weights(model, weights)


@pytest.mark.parametrize("name", ["tiny", "bn", "text"])
def test_same_seed_same_loss(bench, name, monkeypatch):
    monkeypatch.setattr(bench, "EPS", 1e-12)     # Keras' and torch's epsilon placements then agree
    _, _, kt, hand = _pair(bench, name, 512)
    torch.manual_seed(11)
    kt.epoch()
    torch.manual_seed(11)
    hand.epoch()
    assert hand.last_loss == pytest.approx(kt.last_loss, rel=2e-4)
    if name == "text":      # Keras' one LSTM bias: torch's second stays zero, untrained
        assert not hand.model.lstm.bias_hh_l0.requires_grad
        assert not hand.model.lstm.bias_hh_l0.any()
    torch.manual_seed(12)   # a different shuffle ends elsewhere: the seed is what makes them agree
    hand.epoch()
    torch.manual_seed(13)
    kt.epoch()
    assert abs(hand.last_loss - kt.last_loss) > 1e-5


@pytest.mark.parametrize("n", range(2, 8))
def test_contender_orders_balance_places_and_predecessors(bench, n):
    """Over the orders the benchmark cycles through, each contender takes each place, and comes right
    after each other contender, equally often (a rotated cyclic order always kept the same predecessor)."""
    import collections

    orders = bench.contender_orders([f"c{i}" for i in range(n)])
    assert all(sorted(o) == sorted(orders[0]) for o in orders) and len(set(orders[0])) == n
    places = collections.Counter((name, i) for o in orders for i, name in enumerate(o))
    follows = collections.Counter((o[i - 1], o[i]) for o in orders for i in range(1, n))
    assert len(places) == n * n and len(set(places.values())) == 1
    assert len(follows) == n * (n - 1) and len(set(follows.values())) == 1
