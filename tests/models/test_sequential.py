"""Sequential: building, shape inference, names, weights in Keras' layout, nn.Module behaviour."""

import io
import contextlib

import numpy as np
import pytest
import torch

import kerastorch
from kerastorch import layers


@pytest.fixture(autouse=True)
def _fresh_names():
    kerastorch.utils.clear_session(free_memory=False)


def test_auto_names_follow_keras():
    model = kerastorch.Sequential([layers.Input(shape=(4,)), layers.Dense(3), layers.Dense(2),
                                   layers.BatchNormalization()])
    assert [l.name for l in model.layers] == ["dense", "dense_1", "batch_normalization"]
    assert model.name == "sequential"
    assert kerastorch.Sequential().name == "sequential_1"


def test_shapes_are_inferred_layer_by_layer():
    model = kerastorch.Sequential([
        layers.Input(shape=(28, 28, 3)),
        layers.Conv2D(8, (3, 3), padding="same"),
        layers.MaxPooling2D((2, 2)),
        layers.Conv2D(4, 3),
        layers.Flatten(),
        layers.Dense(5),
    ])
    # 28 -> same conv 28 -> pool 14 -> valid 3x3 conv 12 -> 12*12*4 = 576.
    assert [l.output.shape for l in model.layers] == [
        (None, 28, 28, 8), (None, 14, 14, 8), (None, 12, 12, 4), (None, 576), (None, 5)]
    assert model.layers[1].input.shape == (None, 28, 28, 8)
    assert model.output_shape == (None, 5)
    assert model.input_shape == (None, 28, 28, 3)
    # The inferred shapes are the real ones.
    assert tuple(model(torch.zeros(2, 28, 28, 3)).shape) == (2, 5)


def test_input_shape_on_first_layer_builds_like_input():
    model = kerastorch.Sequential([layers.Dense(3, input_shape=(4,)), layers.Dense(2)])
    assert model.built and model.count_params() == (4 * 3 + 3) + (3 * 2 + 2)


def test_model_without_input_is_built_from_the_first_data():
    model = kerastorch.Sequential([layers.Dense(3), layers.Dense(2)])
    assert not model.built
    with pytest.raises(ValueError, match="not built"):
        model.count_params()
    model.compile(optimizer="sgd", loss="mse")
    model.fit(np.zeros((8, 5)), np.zeros((8, 2)), epochs=1, verbose=0)
    assert model.built and model.layers[0].get_weights()[0].shape == (5, 3)
    assert model.output_shape == (None, 2)


def test_add_and_pop():
    model = kerastorch.Sequential()
    model.add(layers.Input(shape=(6,)))
    model.add(layers.Dense(4))
    model.add(layers.Dense(2))
    assert model.output_shape == (None, 2) and len(model.layers) == 2
    popped = model.pop()
    assert popped.name == "dense_1" and model.output_shape == (None, 4)
    assert [name for name, _ in model.named_children()] == ["dense"]
    model.add(layers.Dense(7))
    assert model.output_shape == (None, 7)


def test_get_layer_by_name_and_index():
    model = kerastorch.Sequential([layers.Input(shape=(4,)), layers.Dense(3, name="hidden"), layers.Dense(2)])
    assert model.get_layer("hidden") is model.layers[0]
    assert model.get_layer(index=1) is model.layers[1]
    with pytest.raises(ValueError, match="'hidden'"):
        model.get_layer("missing")


def test_duplicate_layer_names_are_refused():
    dense = layers.Dense(2)
    with pytest.raises(ValueError, match="unique names"):
        kerastorch.Sequential([layers.Input(shape=(3,)), dense, dense])


def test_weights_come_in_keras_layout_and_order():
    model = kerastorch.Sequential([layers.Input(shape=(8, 8, 3)), layers.Conv2D(4, (3, 2)),
                                   layers.BatchNormalization(), layers.Flatten(), layers.Dense(5)])
    shapes = [w.shape for w in model.get_weights()]
    assert shapes == [(3, 2, 3, 4), (4,), (4,), (4,), (4,), (4,), (6 * 7 * 4, 5), (5,)]


def test_set_weights_conv_kernel_in_keras_layout_matches_plain_torch():
    layer = layers.Conv2D(2, (3, 3), padding="same")
    model = kerastorch.Sequential([layers.Input(shape=(5, 5, 3)), layer])
    rng = np.random.RandomState(0)
    kernel = rng.normal(size=(3, 3, 3, 2)).astype("float32")
    bias = rng.normal(size=(2,)).astype("float32")
    model.set_weights([kernel, bias])
    x = rng.normal(size=(1, 5, 5, 3)).astype("float32")
    # Plain torch: NCHW input, (out, in, kh, kw) kernel.
    expected = torch.nn.functional.conv2d(torch.from_numpy(x).permute(0, 3, 1, 2),
                                          torch.from_numpy(kernel).permute(3, 2, 0, 1),
                                          torch.from_numpy(bias), padding=1).permute(0, 2, 3, 1)
    np.testing.assert_allclose(model.predict(x, verbose=0), expected.numpy(), rtol=1e-5, atol=1e-5)


def test_flatten_after_conv_orders_features_height_width_channels():
    model = kerastorch.Sequential([layers.Input(shape=(2, 2, 3)), layers.Flatten()])
    x = np.arange(12, dtype="float32").reshape(1, 2, 2, 3)
    np.testing.assert_array_equal(model.predict(x, verbose=0), x.reshape(1, 12))


def test_set_weights_with_a_wrong_shape_names_the_layer_and_changes_nothing():
    model = kerastorch.Sequential([layers.Input(shape=(4,)), layers.Dense(3), layers.Dense(2)])
    before = model.get_weights()
    bad = [w.copy() + 1 for w in before]
    bad[2] = np.zeros((4, 2), "float32")
    with pytest.raises(ValueError, match=r"Layer 'dense_1', weight 'kernel': expected shape \(3, 2\)"):
        model.set_weights(bad)
    for w, b in zip(model.get_weights(), before):
        np.testing.assert_array_equal(w, b)


def test_model_is_a_torch_module():
    model = kerastorch.Sequential([layers.Input(shape=(4,)), layers.Dense(3), layers.BatchNormalization()])
    assert isinstance(model, torch.nn.Module)
    keys = set(model.state_dict())
    assert {"dense.kernel", "dense.bias", "batch_normalization.gamma",
            "batch_normalization.moving_variance"} <= keys
    assert sum(p.numel() for p in model.parameters()) == 4 * 3 + 3 + 3 + 3
    clone = kerastorch.Sequential([layers.Input(shape=(4,)), layers.Dense(3), layers.BatchNormalization()])
    clone.load_state_dict(model.state_dict())
    x = torch.randn(5, 4)
    model.eval(), clone.eval()
    torch.testing.assert_close(model(x), clone(x))
    assert model.to(torch.float64).layers[0].kernel.dtype == torch.float64


def test_plain_torch_module_inside_sequential():
    model = kerastorch.Sequential([layers.Input(shape=(6,)), torch.nn.Linear(6, 4), torch.nn.ReLU(),
                                   layers.Dense(2)])
    assert model.layers[0].output.shape == (None, 4)
    assert model.count_params() == 6 * 4 + 4 + 4 * 2 + 2


def test_summary_prints_keras_table():
    model = kerastorch.Sequential([layers.Input(shape=(784,)), layers.Dense(128, activation="relu"),
                                   layers.Dense(10, activation="softmax")])
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        model.summary()
    text = out.getvalue()
    assert 'Model: "sequential"' in text
    assert "dense (Dense)" in text and "(None, 128)" in text and "100,480" in text
    assert "dense_1 (Dense)" in text and "(None, 10)" in text and "1,290" in text
    assert "Total params: 101,770" in text and "Non-trainable params: 0" in text


def test_frozen_layer_counts_as_non_trainable_and_does_not_move():
    model = kerastorch.Sequential([layers.Input(shape=(3,)), layers.Dense(4), layers.Dense(1)])
    model.layers[0].trainable = False
    frozen = model.layers[0].get_weights()
    model.compile(optimizer="sgd", loss="mse")
    model.fit(np.random.rand(16, 3), np.random.rand(16, 1), epochs=2, verbose=0)
    for w, b in zip(model.layers[0].get_weights(), frozen):
        np.testing.assert_array_equal(w, b)
    assert sum(int(np.prod(w.shape)) for w in model.trainable_weights) == 4 + 1


def test_predict_returns_numpy_in_order_and_evaluate_formats():
    model = kerastorch.Sequential([layers.Input(shape=(2,)), layers.Dense(1, use_bias=False)])
    model.set_weights([np.array([[1.0], [10.0]], "float32")])
    x = np.arange(70, dtype="float32").reshape(35, 2)
    out = model.predict(x, batch_size=8, verbose=0)
    assert isinstance(out, np.ndarray) and out.shape == (35, 1)
    np.testing.assert_allclose(out[:, 0], x[:, 0] + 10 * x[:, 1])
    model.compile(optimizer="sgd", loss="mse", metrics=["mae"])
    y = out + 1.0   # every prediction off by exactly 1
    loss, mae = model.evaluate(x, y, verbose=0)
    assert loss == pytest.approx(1.0) and mae == pytest.approx(1.0)
    assert model.evaluate(x, y, verbose=0, return_dict=True) == {"loss": pytest.approx(1.0),
                                                                   "mae": pytest.approx(1.0)}


def test_history_keys_and_params_follow_keras():
    model = kerastorch.Sequential([layers.Input(shape=(3,)), layers.Dense(2, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(np.random.rand(40, 3), np.random.randint(0, 2, 40), epochs=3, batch_size=8,
                        validation_split=0.25, verbose=0)
    assert list(history.history) == ["accuracy", "loss", "val_accuracy", "val_loss"]
    assert history.epoch == [0, 1, 2]
    assert history.params == {"verbose": 0, "epochs": 3, "steps": 4}   # 30 training samples / 8


def test_epoch_loss_is_the_batch_size_weighted_mean():
    # Two batches (4 and 2 samples) of a fixed model with a zero learning rate: the epoch loss
    # is the mean over all 6 samples, not the mean of the two batch means.
    model = kerastorch.Sequential([layers.Input(shape=(1,)), layers.Dense(1, use_bias=False)])
    model.set_weights([np.zeros((1, 1), "float32")])
    model.compile(optimizer=kerastorch.optimizers.SGD(learning_rate=0.0), loss="mse")
    y = np.array([[1.0], [1.0], [1.0], [1.0], [4.0], [4.0]], "float32")
    history = model.fit(np.zeros((6, 1), "float32"), y, batch_size=4, shuffle=False, verbose=0)
    assert history.history["loss"][0] == pytest.approx((4 * 1 + 2 * 16) / 6)


def test_progress_bar_verbose_modes(capsys):
    model = kerastorch.Sequential([layers.Input(shape=(3,)), layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    x, y = np.random.rand(64, 3), np.random.rand(64, 1)
    model.fit(x, y, epochs=2, batch_size=16, verbose=2)
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0] == "Epoch 1/2" and lines[2] == "Epoch 2/2"
    assert lines[1].startswith("4/4 - ") and "/step - loss: " in lines[1]
    model.fit(x, y, epochs=1, batch_size=16, verbose=1)
    out = capsys.readouterr().out
    assert "4/4 ━━━━━━━━━━━━━━━━━━━━" in out and "- loss:" in out
    model.fit(x, y, epochs=1, verbose=0)
    assert capsys.readouterr().out == ""


def test_device_can_be_chosen():
    kerastorch.config.set_device("cpu")
    assert kerastorch.config.get_device() == torch.device("cpu")
    with pytest.raises(ValueError, match="set_device"):
        kerastorch.config.set_device("not-a-device")
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="CUDA is not available"):
            kerastorch.config.set_device("cuda")


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_fit_places_model_and_data_on_cuda():
    kerastorch.config.set_device("cuda")
    model = kerastorch.Sequential([layers.Input(shape=(3,)), layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    model.fit(np.random.rand(32, 3), np.random.rand(32, 1), verbose=0)
    assert next(model.parameters()).is_cuda
    assert model.predict(np.random.rand(4, 3), verbose=0).shape == (4, 1)


def test_trainable_and_non_trainable_weights_partition_every_weight():
    model = kerastorch.Sequential([layers.Input(shape=(6, 6, 2)), layers.Conv2D(3, 3),
                                   layers.BatchNormalization(), layers.Flatten(), layers.Dense(2)])
    conv = model.layers[0]
    # The conv kernel is stored in torch's layout and read back as a fresh view: still trainable.
    assert [tuple(w.shape) for w in conv.non_trainable_weights] == []
    assert [tuple(w.shape) for w in model.non_trainable_weights] == [(3,), (3,)]   # moving stats
    n_trainable = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
    assert n_trainable == (3 * 3 * 2 * 3 + 3) + (3 + 3) + (4 * 4 * 3 * 2 + 2)
    conv.trainable = False
    assert [tuple(w.shape) for w in conv.non_trainable_weights] == [(3, 3, 2, 3), (3,)]
    assert model.count_params() == n_trainable + 6
