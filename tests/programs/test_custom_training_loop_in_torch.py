"""keras.io guide "Writing a training loop from scratch in PyTorch"
(guides/writing_a_custom_training_loop_in_torch.py, fchollet), imports changed.

MNIST is replaced by random 784-feature samples (fewer of them); the DataLoaders, loops,
optimizers, losses and metrics are the guide's.
"""

import numpy as np
import torch

from .conftest import copy_weights, rng, to_numpy


def get_model(keras):
    inputs = keras.Input(shape=(784,), name="digits")
    x1 = keras.layers.Dense(64, activation="relu")(inputs)
    x2 = keras.layers.Dense(64, activation="relu")(x1)
    outputs = keras.layers.Dense(10, name="predictions")(x2)
    model = keras.Model(inputs=inputs, outputs=outputs)
    return model


def dataloaders(keras, batch_size=32, shuffle=True):
    r = rng(20)
    x_train = r.integers(0, 256, size=(160, 784)).astype("float32")
    y_train = keras.utils.to_categorical(r.integers(0, 10, size=(160,)), 10)
    x_val, y_val = x_train[-64:], y_train[-64:]
    x_train, y_train = x_train[:-64], y_train[:-64]
    train_dataset = torch.utils.data.TensorDataset(torch.from_numpy(x_train), torch.from_numpy(y_train))
    val_dataset = torch.utils.data.TensorDataset(torch.from_numpy(x_val), torch.from_numpy(y_val))
    train_dataloader = torch.utils.data.DataLoader(train_dataset, batch_size=batch_size, shuffle=shuffle)
    val_dataloader = torch.utils.data.DataLoader(val_dataset, batch_size=batch_size, shuffle=False)
    return train_dataloader, val_dataloader


def test_torch_optimizer_and_torch_loss(kt):
    keras = kt[0]
    train_dataloader, _ = dataloaders(keras)
    model = get_model(keras)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = torch.nn.CrossEntropyLoss()
    losses = []
    for epoch in range(2):
        for step, (inputs, targets) in enumerate(train_dataloader):
            logits = model(inputs)
            loss = loss_fn(logits, targets)
            model.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(float(loss.detach().numpy()))
    assert len(losses) == 2 * 3 and np.isfinite(losses).all()
    # every trainable weight was reached by the torch optimizer (the parameters are the weights)
    assert len(list(model.parameters())) == len(model.trainable_weights) == 6


def keras_loop(keras, model, train_dataloader, val_dataloader, epochs=2):
    """The guide's loop with a Keras optimizer, loss and metrics; returns what it printed."""
    optimizer = keras.optimizers.Adam(learning_rate=1e-3)
    loss_fn = keras.losses.CategoricalCrossentropy(from_logits=True)
    train_acc_metric = keras.metrics.CategoricalAccuracy()
    val_acc_metric = keras.metrics.CategoricalAccuracy()
    log = {"loss": [], "train_acc": [], "val_acc": []}
    for epoch in range(epochs):
        for step, (inputs, targets) in enumerate(train_dataloader):
            logits = model(inputs)
            loss = loss_fn(targets, logits)
            if model.losses:
                loss = loss + torch.sum(*model.losses)
            model.zero_grad()
            trainable_weights = [v for v in model.trainable_weights]
            loss.backward()
            gradients = [v.value.grad for v in trainable_weights]
            with torch.no_grad():
                optimizer.apply(gradients, trainable_weights)
            train_acc_metric.update_state(targets, logits)
            log["loss"].append(float(loss.detach().numpy()))
        log["train_acc"].append(float(train_acc_metric.result()))
        train_acc_metric.reset_state()
        for x_batch_val, y_batch_val in val_dataloader:
            val_logits = model(x_batch_val, training=False)
            val_acc_metric.update_state(y_batch_val, val_logits)
        log["val_acc"].append(float(val_acc_metric.result()))
        val_acc_metric.reset_state()
    return log


def test_keras_optimizer_loss_and_metrics_loop_matches_keras(kt, real):
    keras = kt[0]
    # the same batches for both: the guide's DataLoader without shuffling
    train_dataloader, val_dataloader = dataloaders(keras, shuffle=False)
    model, theirs = get_model(keras), get_model(real[0])
    copy_weights(model, theirs)
    ours = keras_loop(keras, model, train_dataloader, val_dataloader)
    expected = keras_loop(real[0], theirs, train_dataloader, val_dataloader)
    for key in expected:
        np.testing.assert_allclose(ours[key], expected[key], atol=1e-4, rtol=1e-4, err_msg=key)
    x = next(iter(val_dataloader))[0]
    np.testing.assert_allclose(to_numpy(model(x)), to_numpy(theirs(x)), atol=1e-3, rtol=1e-4)


def activity_model(keras):
    class ActivityRegularizationLayer(keras.layers.Layer):
        def call(self, inputs):
            self.add_loss(1e-2 * torch.sum(inputs))
            return inputs

    inputs = keras.Input(shape=(784,), name="digits")
    x = keras.layers.Dense(64, activation="relu")(inputs)
    x = ActivityRegularizationLayer()(x)
    x = keras.layers.Dense(64, activation="relu")(x)
    outputs = keras.layers.Dense(10, name="predictions")(x)
    return keras.Model(inputs=inputs, outputs=outputs)


def test_losses_tracked_by_the_model_enter_the_loop(kt, real):
    keras = kt[0]
    train_dataloader, val_dataloader = dataloaders(keras, shuffle=False)
    model, theirs = activity_model(keras), activity_model(real[0])
    copy_weights(model, theirs)
    x = next(iter(val_dataloader))[0][:4]
    hidden = torch.relu(x @ torch.as_tensor(to_numpy(model.weights[0])) + torch.as_tensor(to_numpy(model.weights[1])))
    model(x)
    assert len(model.losses) == 1
    np.testing.assert_allclose(to_numpy(model.losses[0]), 1e-2 * to_numpy(hidden).sum(), rtol=1e-5)
    ours = keras_loop(keras, model, train_dataloader, val_dataloader, epochs=1)
    expected = keras_loop(real[0], theirs, train_dataloader, val_dataloader, epochs=1)
    for key in expected:
        np.testing.assert_allclose(ours[key], expected[key], atol=1e-4, rtol=1e-4, err_msg=key)
