"""applications: torchvision networks as channels-last first layers, weights files, transfer learning."""

import numpy as np
import pytest
import torch
import torchvision

import kerastorch
from kerastorch import applications, layers


@pytest.mark.parametrize("make,channels", [(applications.ResNet50, 2048), (applications.MobileNetV2, 1280),
                                           (applications.EfficientNetB0, 1280)])
def test_feature_maps_are_channels_last_and_match_compute_output_shape(make, channels):
    net = make(include_top=False, input_shape=(40, 36, 3)).eval()
    with torch.no_grad():
        out = net(torch.rand(1, 40, 36, 3))
    assert tuple(out.shape) == (1, 2, 2, channels)          # 40 -> 20 -> 10 -> 5 -> 3 -> 2, 36 -> ... -> 2
    assert net.compute_output_shape((None, 40, 36, 3)) == (None, 2, 2, channels)


def test_pooling_and_top_reduce_the_feature_map():
    torch.manual_seed(0)
    x = torch.rand(2, 32, 32, 3)
    features = applications.MobileNetV2(include_top=False, alpha=0.35).eval()
    with torch.no_grad():
        fmap = features(x)
        pooled = {p: applications.MobileNetV2(include_top=False, alpha=0.35, pooling=p).eval() for p in ("avg", "max")}
        for p, net in pooled.items():
            net.load_state_dict(features.state_dict())
        np.testing.assert_allclose(pooled["avg"](x).numpy(), fmap.mean(dim=(1, 2)).numpy(), rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(pooled["max"](x).numpy(), fmap.amax(dim=(1, 2)).numpy(), rtol=1e-5)
        top = applications.MobileNetV2(classes=5, alpha=0.35, input_shape=(32, 32, 3)).eval()
        probs = top(x)
    assert tuple(probs.shape) == (2, 5) and top.compute_output_shape((None, 32, 32, 3)) == (None, 5)
    np.testing.assert_allclose(probs.sum(-1).numpy(), 1.0, rtol=1e-5)


def test_weights_file_gives_torchvisions_predictions(tmp_path):
    torch.manual_seed(3)
    reference = torchvision.models.mobilenet_v2(num_classes=1000, width_mult=0.35).eval()
    path = tmp_path / "mobilenet_v2.pth"
    torch.save(reference.state_dict(), path)
    ours = applications.MobileNetV2(weights=str(path), input_shape=(32, 32, 3), alpha=0.35).eval()
    x = torch.rand(2, 32, 32, 3)
    with torch.no_grad():
        expected = torch.softmax(reference(x.permute(0, 3, 1, 2).contiguous()), dim=-1)
        np.testing.assert_allclose(ours(x).numpy(), expected.numpy(), rtol=1e-4, atol=1e-6)
        # headless: the same features, without the classifier keys of the file
        base = applications.MobileNetV2(weights=str(path), include_top=False, pooling="avg", alpha=0.35).eval()
        features = reference.features(x.permute(0, 3, 1, 2).contiguous()).mean(dim=(2, 3))
        np.testing.assert_allclose(base(x).numpy(), features.numpy(), rtol=1e-4, atol=1e-5)


def test_weights_errors_say_what_to_do(tmp_path):
    with pytest.raises(ValueError, match="does not download.*torch.save.*ResNet50\\(weights='/path/to/resnet50.pth'\\)"):
        applications.ResNet50(weights="imagenet")
    with pytest.raises(ValueError, match="not a file"):
        applications.ResNet50(weights=str(tmp_path / "missing.pth"))
    path = tmp_path / "wrong.pth"
    torch.save(torchvision.models.mobilenet_v2(num_classes=1000).state_dict(), path)
    with pytest.raises(ValueError, match="shape mismatch for classifier.1.bias.*classes=1000 or include_top=False"):
        applications.MobileNetV2(weights=str(path), classes=10)
    with pytest.raises(ValueError, match="do not fit torchvision's resnet50: missing keys"):
        applications.ResNet50(weights=str(path))
    pickled = tmp_path / "module.pth"
    torch.save(torch.nn.Linear(2, 2), pickled)
    with pytest.raises(ValueError, match="not a plain state_dict.*model.state_dict\\(\\)"):
        applications.MobileNetV2(weights=str(pickled))
    with pytest.raises(ValueError, match="channels last"):
        applications.MobileNetV2(input_shape=(3, 32, 32))


def test_transfer_learning_freezes_the_base_then_fine_tunes_it():
    kerastorch.utils.set_random_seed(0)
    x = np.random.default_rng(0).uniform(0, 255, (8, 32, 32, 3)).astype("float32")
    y = (x[..., 0].mean(axis=(1, 2)) > x[..., 2].mean(axis=(1, 2))).astype("int64")
    base = applications.MobileNetV2(include_top=False, input_shape=(32, 32, 3), pooling="avg", alpha=0.35)
    base.trainable = False
    model = kerastorch.Sequential([base, layers.Dense(2, activation="softmax")])
    assert model.output_shape == (None, 2)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    base_before = {k: v.clone() for k, v in base.state_dict().items()}
    head_before = model.layers[-1].get_weights()[0].copy()
    model.fit(x, y, epochs=1, batch_size=4, verbose=0)
    # frozen: weights AND BatchNorm moving statistics unchanged; the head trained
    for k, v in base.state_dict().items():
        assert torch.equal(v, base_before[k]), k
    assert not np.allclose(model.layers[-1].get_weights()[0], head_before)

    base.trainable = True
    model.compile(optimizer=kerastorch.optimizers.Adam(1e-5), loss="sparse_categorical_crossentropy")
    model.fit(x, y, epochs=1, batch_size=4, verbose=0)
    changed = [k for k, v in base.state_dict().items() if v.is_floating_point() and not torch.equal(v, base_before[k])]
    assert any(k.endswith("weight") for k in changed) and any("running_mean" in k for k in changed)
