"""keras.io example "Timeseries classification from scratch"
(examples/timeseries/timeseries_classification_from_scratch.py, hfawaz), imports changed.

The FordA download is replaced by seeded univariate series of length 176 whose class is
told by a sine component; the 500 epochs become 2, the checkpoint is a .keras file (Keras 3
refuses the example's "best_model.h5" in ModelCheckpoint), sklearn's accuracy_score is
numpy, and plots are left out.
"""

import numpy as np

from .conftest import assert_history_close, copy_weights, rng


def make_model(keras, input_shape, num_classes):
    input_layer = keras.layers.Input(input_shape)

    conv1 = keras.layers.Conv1D(filters=64, kernel_size=3, padding="same")(input_layer)
    conv1 = keras.layers.BatchNormalization()(conv1)
    conv1 = keras.layers.ReLU()(conv1)

    conv2 = keras.layers.Conv1D(filters=64, kernel_size=3, padding="same")(conv1)
    conv2 = keras.layers.BatchNormalization()(conv2)
    conv2 = keras.layers.ReLU()(conv2)

    conv3 = keras.layers.Conv1D(filters=64, kernel_size=3, padding="same")(conv2)
    conv3 = keras.layers.BatchNormalization()(conv3)
    conv3 = keras.layers.ReLU()(conv3)

    gap = keras.layers.GlobalAveragePooling1D()(conv3)

    output_layer = keras.layers.Dense(num_classes, activation="softmax")(gap)

    return keras.models.Model(inputs=input_layer, outputs=output_layer)


def ford_like(n, seed):
    r = rng(seed)
    y = r.choice([-1, 1], size=n)
    t = np.linspace(0, 8 * np.pi, 176)
    x = r.normal(size=(n, 176)) + 0.8 * (y[:, None] > 0) * np.sin(t)[None]
    x = (x - x.mean(axis=1, keepdims=True)) / x.std(axis=1, keepdims=True)   # z-normalized, as FordA
    return x, y.astype(int)


def prepare():
    x_train, y_train = ford_like(96, 50)
    x_test, y_test = ford_like(32, 51)
    x_train = x_train.reshape((x_train.shape[0], x_train.shape[1], 1))
    x_test = x_test.reshape((x_test.shape[0], x_test.shape[1], 1))
    num_classes = len(np.unique(y_train))
    idx = rng(52).permutation(len(x_train))
    x_train = x_train[idx]
    y_train = y_train[idx]
    y_train[y_train == -1] = 0
    y_test[y_test == -1] = 0
    return x_train, y_train, x_test, y_test, num_classes


def train(keras, model, x_train, y_train, checkpoint_path, **fit_kwargs):
    epochs = 2
    batch_size = 32
    callbacks = [
        keras.callbacks.ModelCheckpoint(checkpoint_path, save_best_only=True, monitor="val_loss"),
        keras.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=20, min_lr=0.0001),
        keras.callbacks.EarlyStopping(monitor="val_loss", patience=50, verbose=0),
    ]
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model.fit(x_train, y_train, batch_size=batch_size, epochs=epochs, callbacks=callbacks,
                     validation_split=0.2, verbose=0, **fit_kwargs)


def test_fcn_trains_as_keras_and_reloads_its_best_checkpoint(kt, real, tmp_path):
    keras = kt[0]
    x_train, y_train, x_test, y_test, num_classes = prepare()
    model = make_model(keras, input_shape=x_train.shape[1:], num_classes=num_classes)
    theirs = make_model(real[0], input_shape=x_train.shape[1:], num_classes=num_classes)
    assert model.output_shape == theirs.output_shape == (None, 2)
    copy_weights(model, theirs)

    # shuffle=False in both runs, so both see the same batches (the example shuffles)
    history = train(keras, model, x_train, y_train, str(tmp_path / "best_model.keras"), shuffle=False)
    real_history = train(real[0], theirs, x_train, y_train, str(tmp_path / "real_best.keras"),
                         shuffle=False)
    # ReduceLROnPlateau logs the learning rate, as Keras does
    assert sorted(history.history) == ["accuracy", "learning_rate", "loss", "val_accuracy", "val_loss"]
    assert_history_close(history.history, real_history.history)

    best = keras.models.load_model(str(tmp_path / "best_model.keras"))
    y_pred = best.predict(x_test, verbose=0).argmax(axis=1)
    real_best = real[0].models.load_model(str(tmp_path / "real_best.keras"))
    np.testing.assert_array_equal(y_pred, real_best.predict(x_test, verbose=0).argmax(axis=1))
    accuracy = np.mean(y_pred == y_test)
    assert 0.0 <= accuracy <= 1.0

    # each program reads the other's checkpoint to the same predictions
    crossed = keras.models.load_model(str(tmp_path / "real_best.keras"))
    np.testing.assert_allclose(crossed.predict(x_test, verbose=0), real_best.predict(x_test, verbose=0),
                               atol=1e-5)
