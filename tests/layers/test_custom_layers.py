"""Custom layers: a Keras-style Layer subclass, a plain torch.nn.Module, and Lambda."""

import numpy as np
import pytest
import torch

import kerastorch
from kerastorch import layers


class ScaledDense(layers.Layer):
    """A Keras-style custom layer: config in __init__, weights in build, math in call."""

    def __init__(self, units, scale=1.0, **kwargs):
        super().__init__(**kwargs)
        self.units, self.scale = units, scale

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1], self.units), initializer="glorot_uniform", name="w")
        self.b = self.add_weight(shape=(self.units,), initializer="zeros", name="b")

    def call(self, inputs, training=None):
        return self.scale * (inputs @ self.w + self.b)

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], self.units)

    def get_config(self):
        return {**super().get_config(), "units": self.units, "scale": self.scale}


def _regression_data(n=128):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, 4)).astype("float32")
    y = (x @ np.array([[0.5], [-0.4], [0.2], [0.6]], "float32") + 0.3).astype("float32")
    return x, y


def test_custom_layer_trains_in_sequential():
    x, y = _regression_data()
    model = kerastorch.Sequential([layers.Input(shape=(4,)), ScaledDense(8, scale=0.5),
                                   layers.Activation("relu"), ScaledDense(1)])
    assert model.output_shape == (None, 1)
    assert [w.shape for w in model.layers[0].get_weights()] == [(4, 8), (8,)]
    model.compile(loss="mse", optimizer="adam")
    history = model.fit(x, y, epochs=40, batch_size=16, verbose=0)
    losses = history.history["loss"]
    assert losses[-1] < 0.3 * losses[0]


def test_custom_layer_config_round_trip():
    layer = ScaledDense(3, scale=2.0, name="sd")
    clone = ScaledDense.from_config(layer.get_config())
    assert (clone.units, clone.scale, clone.name) == (3, 2.0, "sd")


def test_plain_torch_module_trains_in_sequential():
    x, y = _regression_data()
    torch_block = torch.nn.Sequential(torch.nn.Linear(4, 16), torch.nn.ReLU())
    model = kerastorch.Sequential([layers.Input(shape=(4,)), torch_block, layers.Dense(1)])
    assert model.output_shape == (None, 1)
    assert model.count_params() == 4 * 16 + 16 + 16 + 1
    before = torch_block[0].weight.detach().clone()
    model.compile(loss="mse", optimizer="adam")
    history = model.fit(x, y, epochs=40, batch_size=16, verbose=0)
    losses = history.history["loss"]
    assert losses[-1] < 0.3 * losses[0]
    assert not torch.equal(before, torch_block[0].weight)     # the module's own parameters were trained


def test_lambda_computes_and_infers_shape():
    layer = layers.Lambda(lambda x: torch.cat([x, x ** 2], dim=-1))
    torch.testing.assert_close(layer(torch.tensor([[1.0, 3.0]])), torch.tensor([[1.0, 3.0, 1.0, 9.0]]))
    assert layer.compute_output_shape((None, 2)) == (None, 4)
    assert layers.Lambda(lambda x: x, output_shape=(7,)).compute_output_shape((None, 3)) == (None, 7)
    assert layers.Lambda(lambda x: x, output_shape=lambda s: (s[0], 9)).compute_output_shape((None, 3)) == (None, 9)


def test_lambda_passes_arguments_mask_and_training():
    seen = {}

    def fn(x, mask=None, training=None, k=1.0):
        seen.update(mask=mask, training=training)
        return x * k

    layer = layers.Lambda(fn, arguments={"k": 2.0}, mask=lambda inputs, m: m)
    mask = torch.tensor([[True, False]])
    out = layer(torch.ones(1, 2, 1), training=True, mask=mask)
    torch.testing.assert_close(out, torch.full((1, 2, 1), 2.0))
    assert seen["training"] is True and torch.equal(seen["mask"], mask)
    assert torch.equal(layer.compute_mask(None, mask), mask)
    assert layers.Lambda(lambda x: x).compute_mask(None, mask) is None       # Keras drops the mask


def test_lambda_in_sequential_trains():
    x, y = _regression_data()
    model = kerastorch.Sequential([layers.Input(shape=(4,)), layers.Lambda(lambda t: t * 0.5),
                                   layers.Dense(8, activation="relu"), layers.Dense(1)])
    model.compile(loss="mse", optimizer="adam")
    history = model.fit(x, y, epochs=40, batch_size=16, verbose=0)
    assert history.history["loss"][-1] < 0.5 * history.history["loss"][0]


def test_lambda_config_needs_unsafe_mode_to_load():
    layer = layers.Lambda(lambda x: x + 1)
    config = layer.get_config()
    assert config["function"]["class_name"] == "__lambda__"
    with pytest.raises(ValueError, match="safe_mode=False"):
        layers.Lambda.from_config(config)
    clone = layers.Lambda.from_config(config, safe_mode=False)
    torch.testing.assert_close(clone(torch.zeros(1, 2)), torch.ones(1, 2))


def test_lambda_rejects_non_callable():
    with pytest.raises(TypeError, match=r"Lambda layer .*`function` must be callable, got 3"):
        layers.Lambda(3)
