"""applications: torchvision networks as channels-last first layers, weights files, transfer learning."""

import numpy as np
import pytest
import torch
import torchvision

import kerastorch
from kerastorch import applications, layers


@pytest.mark.parametrize("make,channels", [(applications.ResNet50, 2048)])
def test_feature_maps_are_channels_last_and_match_compute_output_shape(make, channels):
    net = make(include_top=False, input_shape=(40, 36, 3)).eval()
    with torch.no_grad():
        out = net(torch.rand(1, 40, 36, 3))
    assert tuple(out.shape) == (1, 2, 2, channels)          # 40 -> 20 -> 10 -> 5 -> 3 -> 2, 36 -> ... -> 2
    assert net.compute_output_shape((None, 40, 36, 3)) == (None, 2, 2, channels)
