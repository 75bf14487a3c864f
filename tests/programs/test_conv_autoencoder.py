"""keras.io example "Convolutional Autoencoder For Image Denoising"
(examples/vision/autoencoder.py, Santiago L. Valdarrama; its Keras 3 form, with a
Conv2DTranspose decoder), imports changed.

MNIST is replaced by random blobs on 28x28 images (fewer of them), the 50 and 100 epochs
become 1, and matplotlib display is left out.
"""

import numpy as np

from .conftest import assert_history_close, copy_weights, rng


def preprocess(array):
    array = array.astype("float32") / 255.0
    array = np.reshape(array, (len(array), 28, 28, 1))
    return array


def noise(array, r):
    noise_factor = 0.4
    noisy_array = array + noise_factor * r.normal(loc=0.0, scale=1.0, size=array.shape)
    return np.clip(noisy_array, 0.0, 1.0)


def build_autoencoder(keras, layers, ops):
    input = layers.Input(shape=(28, 28, 1))
    # Encoder
    x = layers.Conv2D(32, (3, 3), activation="relu", padding="same")(input)
    x = layers.MaxPooling2D((2, 2), padding="same")(x)
    x = layers.Conv2D(32, (3, 3), activation="relu", padding="same")(x)
    x = layers.MaxPooling2D((2, 2), padding="same")(x)
    # Decoder
    x = layers.Conv2DTranspose(32, (3, 3), strides=2, activation="relu", padding="same")(x)
    x = layers.Conv2DTranspose(32, (3, 3), strides=2, activation="relu", padding="same")(x)
    x = layers.Conv2D(1, (3, 3), activation="sigmoid", padding="same")(x)
    # Autoencoder
    autoencoder = keras.Model(input, x)
    autoencoder.compile(optimizer="adam", loss="binary_crossentropy")
    return autoencoder


def images(n, seed):
    r = rng(seed)
    yy, xx = np.mgrid[:28, :28]
    centers = r.integers(6, 22, size=(n, 2))
    blobs = np.exp(-((yy - centers[:, :1, None]) ** 2 + (xx - centers[:, 1:, None]) ** 2) / 20.0)
    return (blobs * 255).astype("uint8")


def test_denoising_autoencoder_trains_as_keras(kt, real):
    train_data = preprocess(images(64, 60))
    test_data = preprocess(images(16, 61))
    r = rng(62)
    noisy_train_data = noise(train_data, r)
    noisy_test_data = noise(test_data, r)

    autoencoder = build_autoencoder(*kt)
    theirs = build_autoencoder(*real)
    assert autoencoder.output_shape == (None, 28, 28, 1)
    assert autoencoder.count_params() == theirs.count_params() == 28353
    copy_weights(autoencoder, theirs)

    histories = []
    for model in (autoencoder, theirs):
        # shuffle=False (the example shuffles), so both runs see the same batches
        first = model.fit(x=train_data, y=train_data, epochs=1, batch_size=32, shuffle=False,
                          validation_data=(test_data, test_data), verbose=0)
        predictions = model.predict(test_data, verbose=0)
        second = model.fit(x=noisy_train_data, y=train_data, epochs=1, batch_size=32, shuffle=False,
                           validation_data=(noisy_test_data, test_data), verbose=0)
        histories.append((first.history, second.history, predictions,
                          model.predict(noisy_test_data, verbose=0)))

    ours, expected = histories
    assert sorted(ours[0]) == ["loss", "val_loss"]
    assert_history_close(ours[0], expected[0])
    assert_history_close(ours[1], expected[1])
    assert ours[2].shape == (16, 28, 28, 1)
    np.testing.assert_allclose(ours[2], expected[2], atol=1e-4)
    np.testing.assert_allclose(ours[3], expected[3], atol=1e-4)
