"""Dense with a relu activation in inference (no gradients): relu applied in place on the layer's own
output; the values are those of torch's linear and relu (the oracle), the input is left as it was, and
with gradients enabled the layer's graph and gradients are torch's."""

import torch

from kerastorch import layers


def _dense(seed):
    torch.manual_seed(seed)
    layer = layers.Dense(7, activation="relu")
    layer.build((None, 5))
    return layer


def _oracle(layer, x):
    return torch.relu(torch.nn.functional.linear(x, layer.kernel, layer.bias))


def test_inference_values_and_the_input_untouched():
    layer = _dense(0)
    x = torch.randn(9, 5)
    before = x.clone()
    with torch.no_grad():
        want = _oracle(layer, x)
        got_no_grad = layer(x)
    with torch.inference_mode():
        got_inference = layer(x)
    assert torch.equal(got_no_grad, want) and torch.equal(got_inference, want)
    assert torch.equal(x, before)
    assert (want == 0).any() and (want > 0).any()       # both sides of the relu were exercised


def test_with_gradients_the_graph_is_torchs():
    layer = _dense(1)
    x = torch.randn(9, 5, requires_grad=True)
    weights = torch.randn(9, 7)
    (layer(x) * weights).sum().backward()
    ours = [t.grad.clone() for t in (x, layer.kernel, layer.bias)]
    for t in (x, layer.kernel, layer.bias):
        t.grad = None
    (_oracle(layer, x) * weights).sum().backward()
    for mine, theirs in zip(ours, (x.grad, layer.kernel.grad, layer.bias.grad)):
        assert torch.equal(mine, theirs)
