"""keras.io guide "Training & evaluation with the built-in methods"
(guides/training_with_built_in_methods.py, fchollet; its Keras 3 form, with keras.ops),
imports changed.

MNIST is replaced by random 784-feature samples (fewer), epochs are 1-2, and where the guide
uses tf.data it uses the torch DataLoader / PyDataset forms it shows too. Parity runs pass
shuffle=False so that both libraries see the same batches.
"""

import os

import numpy as np
import pytest
import torch

import kerastorch

from .conftest import assert_history_close, copy_weights, rng


def get_uncompiled_model(keras, layers):
    inputs = keras.Input(shape=(784,), name="digits")
    x = layers.Dense(64, activation="relu", name="dense_1")(inputs)
    x = layers.Dense(64, activation="relu", name="dense_2")(x)
    outputs = layers.Dense(10, activation="softmax", name="predictions")(x)
    model = keras.Model(inputs=inputs, outputs=outputs)
    return model


def get_compiled_model(keras, layers):
    model = get_uncompiled_model(keras, layers)
    model.compile(
        optimizer="rmsprop",
        loss="sparse_categorical_crossentropy",
        metrics=["sparse_categorical_accuracy"],
    )
    return model


def mnist_like():
    r = rng(80)
    x = r.integers(0, 256, size=(384, 784)).astype("float32") / 255
    y = r.integers(0, 10, size=(384,)).astype("float32")
    x_train, y_train, x_test, y_test = x[:256], y[:256], x[256:], y[256:]
    x_val, y_val = x_train[-64:], y_train[-64:]
    return x_train[:-64], y_train[:-64], x_val, y_val, x_test, y_test


def pair(real, build=get_uncompiled_model):
    """The same model in kerastorch and in real Keras, with the same weights."""
    ours = build(kerastorch, kerastorch.layers)
    theirs = build(real[0], real[1])
    copy_weights(ours, theirs)
    return ours, theirs


def test_end_to_end_example_matches_keras(kt, real):
    x_train, y_train, x_val, y_val, x_test, y_test = mnist_like()
    results = []
    for model, keras in zip(pair(real), (kt[0], real[0])):
        model.compile(
            optimizer=keras.optimizers.RMSprop(),
            loss=keras.losses.SparseCategoricalCrossentropy(),
            metrics=[keras.metrics.SparseCategoricalAccuracy()],
        )
        history = model.fit(x_train, y_train, batch_size=64, epochs=2, shuffle=False,
                            validation_data=(x_val, y_val), verbose=0)
        evaluated = model.evaluate(x_test, y_test, batch_size=128, verbose=0)
        predictions = model.predict(x_test[:3], verbose=0)
        results.append((history.history, evaluated, predictions))
    (history, evaluated, predictions), (real_history, real_evaluated, real_predictions) = results
    assert sorted(history) == ["loss", "sparse_categorical_accuracy", "val_loss",
                               "val_sparse_categorical_accuracy"]
    assert_history_close(history, real_history)
    np.testing.assert_allclose(evaluated, real_evaluated, atol=1e-4, rtol=1e-4)
    assert predictions.shape == (3, 10)
    np.testing.assert_allclose(predictions, real_predictions, atol=1e-4)


def custom_losses(keras, ops):
    def custom_mean_squared_error(y_true, y_pred):
        return ops.mean(ops.square(y_true - y_pred), axis=-1)

    class CustomMSE(keras.losses.Loss):
        def __init__(self, regularization_factor=0.1, name="custom_mse"):
            super().__init__(name=name)
            self.regularization_factor = regularization_factor

        def call(self, y_true, y_pred):
            mse = ops.mean(ops.square(y_true - y_pred), axis=-1)
            reg = ops.mean(ops.square(0.5 - y_pred), axis=-1)
            return mse + reg * self.regularization_factor

    return custom_mean_squared_error, CustomMSE


@pytest.mark.parametrize("which", ["function", "class"])
def test_custom_losses_match_keras(kt, real, which):
    x_train, y_train, *_ = mnist_like()
    histories = []
    for model, (keras, layers, ops) in zip(pair(real), (kt, real)):
        function, CustomMSE = custom_losses(keras, ops)
        model.compile(optimizer=keras.optimizers.Adam(),
                      loss=function if which == "function" else CustomMSE())
        y_train_one_hot = ops.one_hot(y_train, num_classes=10)
        histories.append(model.fit(x_train, y_train_one_hot, batch_size=64, epochs=1, shuffle=False,
                                   verbose=0).history)
    assert_history_close(*histories)


def true_positives_metric(keras, ops):
    class CategoricalTruePositives(keras.metrics.Metric):
        def __init__(self, name="categorical_true_positives", **kwargs):
            super().__init__(name=name, **kwargs)
            self.true_positives = self.add_variable(shape=(), name="ctp", initializer="zeros")

        def update_state(self, y_true, y_pred, sample_weight=None):
            y_pred = ops.reshape(ops.argmax(y_pred, axis=1), (-1, 1))
            values = ops.cast(y_true, "int32") == ops.cast(y_pred, "int32")
            values = ops.cast(values, "float32")
            if sample_weight is not None:
                sample_weight = ops.cast(sample_weight, "float32")
                values = ops.multiply(values, sample_weight)
            self.true_positives.assign_add(ops.sum(values))

        def result(self):
            return self.true_positives.value

        def reset_state(self):
            # The state of the metric will be reset at the start of each epoch.
            self.true_positives.assign(0.0)

    return CategoricalTruePositives


def test_custom_metric_matches_keras(kt, real):
    x_train, y_train, *_ = mnist_like()
    histories = []
    for model, (keras, layers, ops) in zip(pair(real), (kt, real)):
        CategoricalTruePositives = true_positives_metric(keras, ops)
        model.compile(
            optimizer=keras.optimizers.RMSprop(learning_rate=1e-3),
            loss=keras.losses.SparseCategoricalCrossentropy(),
            metrics=[CategoricalTruePositives()],
        )
        histories.append(model.fit(x_train, y_train, batch_size=64, epochs=3, shuffle=False,
                                   verbose=0).history)
    assert sorted(histories[0]) == ["categorical_true_positives", "loss"]
    assert_history_close(*histories)


def weighted_fits(real, **kwargs):
    x_train, y_train, *_ = mnist_like()
    ours, theirs = pair(real, get_compiled_model)
    return [m.fit(x_train, y_train, batch_size=64, epochs=1, shuffle=False, verbose=0,
                  **kwargs).history for m in (ours, theirs)]


def test_validation_split_and_sample_weight_match_keras(kt, real):
    _, y_train, *_ = mnist_like()
    sample_weight = np.ones(shape=(len(y_train),))
    sample_weight[y_train == 5] = 2.0
    ours, theirs = weighted_fits(real, validation_split=0.2)
    assert sorted(ours) == ["loss", "sparse_categorical_accuracy", "val_loss",
                            "val_sparse_categorical_accuracy"]
    assert_history_close(ours, theirs)
    assert_history_close(*weighted_fits(real, sample_weight=sample_weight))


def test_class_weight_matches_keras(kt, real):
    class_weight = {i: 1.0 for i in range(10)}
    class_weight[5] = 2.0   # Set weight "2" for class "5", making this class 2x more important
    assert_history_close(*weighted_fits(real, class_weight=class_weight))


def test_pydataset_and_dataloader_inputs(kt):
    keras, layers, ops = kt
    x_train, y_train, x_val, y_val, *_ = mnist_like()

    class ExamplePyDataset(keras.utils.PyDataset):
        def __init__(self, x, y, batch_size, **kwargs):
            super().__init__(**kwargs)
            self.x = x
            self.y = y
            self.batch_size = batch_size

        def __len__(self):
            return int(np.ceil(len(self.x) / float(self.batch_size)))

        def __getitem__(self, idx):
            batch_x = self.x[idx * self.batch_size : (idx + 1) * self.batch_size]
            batch_y = self.y[idx * self.batch_size : (idx + 1) * self.batch_size]
            return batch_x, batch_y

    train_py_dataset = ExamplePyDataset(x_train, y_train, batch_size=32)
    val_py_dataset = ExamplePyDataset(x_val, y_val, batch_size=32)
    model = get_compiled_model(keras, layers)
    history = model.fit(train_py_dataset, validation_data=val_py_dataset, epochs=1, verbose=0)
    assert sorted(history.history) == ["loss", "sparse_categorical_accuracy", "val_loss",
                                       "val_sparse_categorical_accuracy"]
    assert int(model.optimizer.iterations) == 6

    class ExampleTorchDataset(torch.utils.data.Dataset):
        def __init__(self, x, y):
            self.x = x
            self.y = y

        def __len__(self):
            return len(self.x)

        def __getitem__(self, idx):
            return self.x[idx], self.y[idx]

    train_torch_dataloader = torch.utils.data.DataLoader(
        ExampleTorchDataset(x_train, y_train), batch_size=32, shuffle=True)
    val_torch_dataloader = torch.utils.data.DataLoader(
        ExampleTorchDataset(x_val, y_val), batch_size=32, shuffle=True)
    model = get_compiled_model(keras, layers)
    history = model.fit(train_torch_dataloader, validation_data=val_torch_dataloader, epochs=1,
                        verbose=0)
    assert sorted(history.history) == ["loss", "sparse_categorical_accuracy", "val_loss",
                                       "val_sparse_categorical_accuracy"]


def test_callbacks_and_checkpoints(kt, tmp_path):
    keras, layers, ops = kt
    x_train, y_train, *_ = mnist_like()

    model = get_compiled_model(keras, layers)
    callbacks = [
        keras.callbacks.EarlyStopping(
            # Stop training when `val_loss` is no longer improving
            monitor="val_loss",
            # "no longer improving" being defined as "no better than 1e-2 less"
            min_delta=1e-2,
            # "no longer improving" being further defined as "for at least 2 epochs"
            patience=2,
            verbose=0,
        )
    ]
    history = model.fit(x_train, y_train, epochs=20, batch_size=64, callbacks=callbacks,
                        validation_split=0.2, verbose=0)
    val_loss = history.history["val_loss"]
    stopped = len(val_loss)
    assert stopped < 20 and callbacks[0].stopped_epoch == stopped - 1
    # by hand: the last two epochs were no better than the best before them by 1e-2
    best_before = min(val_loss[:-2])
    assert min(val_loss[-2:]) > best_before - 1e-2

    class LossHistory(keras.callbacks.Callback):
        def on_train_begin(self, logs):
            self.per_batch_losses = []

        def on_batch_end(self, batch, logs):
            self.per_batch_losses.append(logs.get("loss"))

    loss_history = LossHistory()
    model = get_compiled_model(keras, layers)
    history = model.fit(x_train, y_train, epochs=1, batch_size=64, callbacks=[loss_history], verbose=0)
    assert len(loss_history.per_batch_losses) == 3
    # the last batch's logged value is the running mean, the epoch's loss
    np.testing.assert_allclose(loss_history.per_batch_losses[-1], history.history["loss"][0], rtol=1e-6)

    model = get_compiled_model(keras, layers)
    callbacks = [
        keras.callbacks.ModelCheckpoint(
            filepath=str(tmp_path / "mymodel_{epoch}.keras"),
            save_best_only=True,  # Only save a model if `val_loss` has improved.
            monitor="val_loss",
            verbose=0,
        )
    ]
    history = model.fit(x_train, y_train, epochs=2, batch_size=64, callbacks=callbacks,
                        validation_split=0.2, verbose=0)
    saved = sorted(os.listdir(tmp_path))
    improved = history.history["val_loss"][1] < history.history["val_loss"][0]
    assert saved == (["mymodel_1.keras", "mymodel_2.keras"] if improved else ["mymodel_1.keras"])

    # make_or_restore_model: restore the latest checkpoint
    checkpoint_dir = str(tmp_path / "ckpt")
    os.makedirs(checkpoint_dir)

    def make_or_restore_model():
        checkpoints = [checkpoint_dir + "/" + name for name in os.listdir(checkpoint_dir)]
        if checkpoints:
            latest_checkpoint = max(checkpoints, key=os.path.getctime)
            return keras.models.load_model(latest_checkpoint)
        return get_compiled_model(keras, layers)

    model = make_or_restore_model()
    callbacks = [keras.callbacks.ModelCheckpoint(filepath=checkpoint_dir + "/model-loss={loss:.2f}.keras",
                                                 save_freq=3)]   # the guide: every 100 batches; here the 3rd (last)
    model.fit(x_train, y_train, epochs=1, batch_size=64, callbacks=callbacks, verbose=0)
    assert len(os.listdir(checkpoint_dir)) == 1 and os.listdir(checkpoint_dir)[0].startswith("model-loss=")
    restored = make_or_restore_model()
    np.testing.assert_allclose(restored.predict(x_train[:4], verbose=0), model.predict(x_train[:4], verbose=0),
                               atol=1e-6)


def test_learning_rate_schedule(kt, real):
    initial_learning_rate = 0.1
    x_train, y_train, *_ = mnist_like()
    histories, rates = [], []
    for model, keras in zip(pair(real), (kt[0], real[0])):
        lr_schedule = keras.optimizers.schedules.ExponentialDecay(
            initial_learning_rate, decay_steps=2, decay_rate=0.96, staircase=True)   # guide: 100000
        optimizer = keras.optimizers.RMSprop(learning_rate=lr_schedule)
        model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy")
        histories.append(model.fit(x_train, y_train, batch_size=64, epochs=2, shuffle=False,
                                   verbose=0).history)
        rates.append(float(lr_schedule(6)))
    assert_history_close(*histories)
    np.testing.assert_allclose(rates[0], 0.1 * 0.96 ** 3, rtol=1e-6)


# --- multi-input / multi-output -------------------------------------------------------------

def multi_io_model(keras, layers):
    image_input = keras.Input(shape=(32, 32, 3), name="img_input")
    timeseries_input = keras.Input(shape=(None, 10), name="ts_input")

    x1 = layers.Conv2D(3, 3)(image_input)
    x1 = layers.GlobalMaxPooling2D()(x1)

    x2 = layers.Conv1D(3, 3)(timeseries_input)
    x2 = layers.GlobalMaxPooling1D()(x2)

    x = layers.concatenate([x1, x2])

    score_output = layers.Dense(1, name="score_output")(x)
    class_output = layers.Dense(5, name="class_output")(x)

    return keras.Model(inputs=[image_input, timeseries_input], outputs=[score_output, class_output])


def multi_io_data():
    r = rng(81)
    img_data = r.random(size=(100, 32, 32, 3))
    ts_data = r.random(size=(100, 20, 10))
    score_targets = r.random(size=(100, 1))
    class_targets = r.random(size=(100, 5))
    return img_data, ts_data, score_targets, class_targets


def compile_multi_io(model, keras, how):
    if how == "lists":
        model.compile(
            optimizer=keras.optimizers.RMSprop(1e-3),
            loss=[keras.losses.MeanSquaredError(), keras.losses.CategoricalCrossentropy()],
            metrics=[
                [keras.metrics.MeanAbsolutePercentageError(), keras.metrics.MeanAbsoluteError()],
                [keras.metrics.CategoricalAccuracy()],
            ],
        )
    elif how == "dicts":
        model.compile(
            optimizer=keras.optimizers.RMSprop(1e-3),
            loss={
                "score_output": keras.losses.MeanSquaredError(),
                "class_output": keras.losses.CategoricalCrossentropy(),
            },
            metrics={
                "score_output": [
                    keras.metrics.MeanAbsolutePercentageError(),
                    keras.metrics.MeanAbsoluteError(),
                ],
                "class_output": [keras.metrics.CategoricalAccuracy()],
            },
            loss_weights={"score_output": 2.0, "class_output": 1.0},
        )
    elif how == "no_loss_for_score":
        model.compile(
            optimizer=keras.optimizers.RMSprop(1e-3),
            loss=[None, keras.losses.CategoricalCrossentropy()],
        )


@pytest.mark.filterwarnings("ignore:Gradients do not exist")   # real Keras, on the output without a loss
@pytest.mark.parametrize("how", ["lists", "dicts", "no_loss_for_score"])
def test_multi_input_multi_output_training_matches_keras(kt, real, how):
    img_data, ts_data, score_targets, class_targets = multi_io_data()
    runs = []
    for model, keras in zip(pair(real, multi_io_model), (kt[0], real[0])):
        compile_multi_io(model, keras, how)
        if how == "dicts":
            history = model.fit(
                {"img_input": img_data, "ts_input": ts_data},
                {"score_output": score_targets, "class_output": class_targets},
                batch_size=32, epochs=1, shuffle=False, verbose=0)
        else:
            history = model.fit([img_data, ts_data], [score_targets, class_targets],
                                batch_size=32, epochs=1, shuffle=False, verbose=0)
        evaluated = model.evaluate([img_data, ts_data], [score_targets, class_targets], verbose=0,
                                   return_dict=True)
        runs.append((history.history, evaluated, model.predict([img_data[:4], ts_data[:4]], verbose=0)))
    (history, evaluated, predicted), (real_history, real_evaluated, real_predicted) = runs
    assert_history_close(history, real_history)
    assert_history_close({k: [v] for k, v in evaluated.items()},
                         {k: [v] for k, v in real_evaluated.items()})
    assert isinstance(predicted, list) and [p.shape for p in predicted] == [(4, 1), (4, 5)]
    for a, b in zip(predicted, real_predicted):
        np.testing.assert_allclose(a, b, atol=1e-4)


def test_multi_output_dataloader_of_dicts(kt):
    keras, layers, ops = kt
    img_data, ts_data, score_targets, class_targets = multi_io_data()
    model = multi_io_model(keras, layers)
    compile_multi_io(model, keras, "dicts")

    class DictDataset(torch.utils.data.Dataset):
        def __len__(self):
            return len(img_data)

        def __getitem__(self, i):
            return ({"img_input": img_data[i], "ts_input": ts_data[i]},
                    {"score_output": score_targets[i], "class_output": class_targets[i]})

    # the guide's tf.data.Dataset of (input dict, target dict), as a torch DataLoader
    train_dataset = torch.utils.data.DataLoader(DictDataset(), batch_size=64, shuffle=True)
    history = model.fit(train_dataset, epochs=1, verbose=0)
    assert {"loss", "score_output_loss", "class_output_loss"} <= set(history.history)


# --- losses that don't fit the standard signature --------------------------------------------

def activity_regularized_model(keras, layers, ops):
    class ActivityRegularizationLayer(layers.Layer):
        def call(self, inputs):
            self.add_loss(ops.sum(inputs) * 0.1)
            return inputs  # Pass-through layer.

    inputs = keras.Input(shape=(784,), name="digits")
    x = layers.Dense(64, activation="relu", name="dense_1")(inputs)
    # Insert activity regularization as a layer
    x = ActivityRegularizationLayer()(x)
    x = layers.Dense(64, activation="relu", name="dense_2")(x)
    outputs = layers.Dense(10, name="predictions")(x)
    model = keras.Model(inputs=inputs, outputs=outputs)
    model.compile(
        optimizer=keras.optimizers.RMSprop(learning_rate=1e-3),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    return model


def test_activity_regularization_layer_loss_matches_keras(kt, real):
    x_train, y_train, *_ = mnist_like()
    ours, theirs = activity_regularized_model(*kt), activity_regularized_model(*real)
    copy_weights(ours, theirs)
    # The displayed loss will be much higher than before due to the regularization component.
    histories = [m.fit(x_train, y_train, batch_size=64, epochs=1, shuffle=False, verbose=0).history
                 for m in (ours, theirs)]
    assert_history_close(*histories)
    plain = get_uncompiled_model(kt[0], kt[1])
    assert histories[0]["loss"][0] > 2 * np.log(10)   # the crossentropy alone starts near log(10)
    assert plain is not None


def logistic_endpoint_model(keras, layers, ops):
    class LogisticEndpoint(keras.layers.Layer):
        def __init__(self, name=None):
            super().__init__(name=name)
            self.loss_fn = keras.losses.BinaryCrossentropy(from_logits=True)

        def call(self, targets, logits, sample_weights=None):
            # Compute the training-time loss value and add it to the layer using `self.add_loss()`.
            loss = self.loss_fn(targets, logits, sample_weights)
            self.add_loss(loss)
            # Return the inference-time prediction tensor (for `.predict()`).
            return ops.softmax(logits)

    inputs = keras.Input(shape=(3,), name="inputs")
    targets = keras.Input(shape=(10,), name="targets")
    logits = keras.layers.Dense(10)(inputs)
    predictions = LogisticEndpoint(name="predictions")(targets, logits)
    model = keras.Model(inputs=[inputs, targets], outputs=predictions)
    model.compile(optimizer="adam")  # No loss argument!
    return model


def test_endpoint_layer_trains_a_model_compiled_without_loss(kt, real):
    r = rng(82)
    data = {"inputs": r.random((3, 3)), "targets": r.random((3, 10))}
    ours, theirs = logistic_endpoint_model(*kt), logistic_endpoint_model(*real)
    copy_weights(ours, theirs)
    histories = [m.fit(data, verbose=0).history for m in (ours, theirs)]
    assert sorted(histories[0]) == ["loss"]
    assert_history_close(*histories)
    np.testing.assert_allclose(ours.predict(data, verbose=0), theirs.predict(data, verbose=0), atol=1e-5)
