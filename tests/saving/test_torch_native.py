"""PyTorch-native saving: state_dict round trips, torch.save/torch.load(weights_only=True), export."""

import subprocess
import sys
import textwrap

import numpy as np
import pytest
import torch

import kerastorch

from .helpers import bn_net, cnn, data


def _trained(factory, shape, classes, loss):
    model = factory(kerastorch)
    model.compile(optimizer="adam", loss=loss)
    x, y = data(shape, classes)
    model.fit(x, y, batch_size=4, verbose=0)
    return model, x


@pytest.mark.parametrize("factory,shape,classes,loss", [
    (cnn, (28, 28, 3), 10, "categorical_crossentropy"),
    (bn_net, (100,), 1, "binary_crossentropy"),
], ids=["cnn", "bn_net"])
def test_state_dict_round_trip_through_torch_save(tmp_path, factory, shape, classes, loss):
    model, x = _trained(factory, shape, classes, loss)
    torch.save(model.state_dict(), tmp_path / "sd.pt")
    fresh = factory(kerastorch)
    state = torch.load(tmp_path / "sd.pt", weights_only=True)
    result = fresh.load_state_dict(state)
    assert not result.missing_keys and not result.unexpected_keys
    np.testing.assert_array_equal(fresh.predict(x, verbose=0), model.predict(x, verbose=0))
    for a, b in zip(fresh.get_weights(), model.get_weights()):   # BN moving statistics included
        np.testing.assert_array_equal(a, b)


def test_optimizer_state_dict_round_trip_through_torch_save(tmp_path):
    model, x = _trained(bn_net, (100,), 1, "binary_crossentropy")
    torch.save({"model": model.state_dict(), "optimizer": model.optimizer.state_dict()}, tmp_path / "ck.pt")
    ckpt = torch.load(tmp_path / "ck.pt", weights_only=True)
    fresh = bn_net(kerastorch)
    fresh.compile(optimizer="adam", loss="binary_crossentropy")
    fresh.load_state_dict(ckpt["model"])
    fresh.optimizer.load_state_dict(ckpt["optimizer"])
    xs, ys = data((100,), 1, seed=5)
    model.fit(xs, ys, batch_size=8, shuffle=False, verbose=0)
    fresh.fit(xs, ys, batch_size=8, shuffle=False, verbose=0)
    for a, b in zip(fresh.get_weights(), model.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)


def test_export_runs_without_kerastorch(tmp_path):
    model, x = _trained(bn_net, (100,), 1, "binary_crossentropy")
    path = tmp_path / "model.pt2"
    fmt = model.export(path, verbose=False)
    np.save(tmp_path / "x.npy", x[:3])
    np.save(tmp_path / "want.npy", model.predict(x[:3], verbose=0))
    loader = "torch.export.load(path).module()" if fmt == "torch.export" else "torch.jit.load(path)"
    script = textwrap.dedent(f"""
        import sys
        sys.modules["kerastorch"] = None          # any import of kerastorch now fails
        import numpy as np, torch
        path = {str(path)!r}
        program = {loader}
        x = torch.from_numpy(np.load({str(tmp_path / 'x.npy')!r}))
        got = program(x).detach().numpy()
        np.testing.assert_allclose(got, np.load({str(tmp_path / 'want.npy')!r}), atol=1e-5)
        assert not any(m.startswith("kerastorch") for m in sys.modules if sys.modules[m] is not None)
        print("OK", got.shape)
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "OK (3, 1)" in result.stdout
    assert fmt == "torch.export"


def test_export_falls_back_to_torchscript_with_a_message(tmp_path, monkeypatch):
    model, x = _trained(bn_net, (100,), 1, "binary_crossentropy")

    def fail(*args, **kwargs):
        raise RuntimeError("unsupported op")

    monkeypatch.setattr(torch.export, "export", fail)
    with pytest.warns(UserWarning, match=r"torch\.export failed.*unsupported op.*TorchScript.*torch\.jit\.load"):
        fmt = model.export(tmp_path / "m.pt2", verbose=False)
    assert fmt == "torchscript"
    loaded = torch.jit.load(str(tmp_path / "m.pt2"))
    np.testing.assert_allclose(loaded(torch.from_numpy(x)).detach().numpy(), model.predict(x, verbose=0), atol=1e-5)


def test_export_needs_an_input_shape(tmp_path):
    model = kerastorch.Sequential([kerastorch.layers.Dense(2)])
    with pytest.raises(ValueError, match=r"no known input shape.*Input\(shape=\.\.\.\)"):
        model.export(tmp_path / "m.pt2", verbose=False)
