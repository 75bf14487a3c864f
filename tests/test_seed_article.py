"""The article's three examples, run with only their imports changed.

Each trains on a learnable synthetic task whose labels come from a fixed random
"teacher" network, and must reach an accuracy far above chance on held-out samples.
Parameter counts are Keras' own figures for these models.
"""

import numpy as np
import pytest

# The article's imports were `import tensorflow as tf`, `from tensorflow import keras`,
# `from keras import layers`; only these lines change.
import kerastorch as keras
from kerastorch import layers


def _teacher_task(n, sample_shape, num_classes, seed, latent=16):
    """Samples with low-dimensional structure and labels from a fixed random teacher.

    Each sample is a random linear image of a `latent`-dim code plus noise; the label is
    the argmax of a fixed random linear teacher applied to the code.
    """
    rng = np.random.RandomState(seed)
    codes = rng.normal(size=(n, latent))
    mixing = rng.normal(size=(latent, int(np.prod(sample_shape)))) / np.sqrt(latent)
    x = codes @ mixing + 0.1 * rng.normal(size=(n, int(np.prod(sample_shape))))
    teacher = rng.normal(size=(latent, num_classes))
    labels = (codes @ teacher).argmax(axis=1)
    return x.reshape(n, *sample_shape).astype("float32"), labels


def article_model_1():
    model = keras.Sequential([
        layers.Input(shape=(784,)),  # Input layer: expects vectors of length 784.
        layers.Dense(128, activation='relu'),  # Dense layer with 128 units and ReLU activation
        layers.Dense(10, activation='softmax')  # Output layer: 10 units for 10 classes with softmax activation
    ])

    model.compile(optimizer='adam',
                  loss='categorical_crossentropy',
                  metrics=['accuracy'])
    return model


def article_model_2():
    model = keras.Sequential([
        layers.Input(shape=(28, 28, 3)),  # Input layer: expects 28x28 images with 3 color channels
        layers.Conv2D(32, (3, 3), activation='relu', padding='same'),  # Convolutional layer with 32 filters
        layers.MaxPooling2D((2, 2)),  # Max pooling layer
        layers.Conv2D(64, (3, 3), activation='relu', padding='same'),  # Convolutional layer with 64 filters
        layers.MaxPooling2D((2, 2)),
        layers.Flatten(), # Flatten to prepare for dense layers
        layers.Dropout(0.5),  # Dropout layer
        layers.Dense(128, activation='relu'),
        layers.Dense(10, activation='softmax')
    ])

    model.compile(optimizer='adam',
                  loss='categorical_crossentropy',
                  metrics=['accuracy'])
    return model


def article_model_3():
    model = keras.Sequential([
        layers.Input(shape=(100,)),  # Input layer: expects vectors of length 100
        layers.Dense(256),  # Dense layer
        layers.BatchNormalization(), # Batch Normalization layer
        layers.Activation('relu'), # ReLU activation
        layers.Dense(128),  # Dense layer
        layers.BatchNormalization(), # Batch Normalization layer
        layers.Activation('relu'), # ReLU activation
        layers.Dense(1, activation='sigmoid')  # Output layer with sigmoid activation
    ])

    model.compile(optimizer='adam',
                  loss='binary_crossentropy',
                  metrics=['accuracy'])
    return model


def test_article_param_counts_equal_keras_figures():
    # Keras' own summary() totals for the three models.
    assert article_model_1().count_params() == 101_770
    assert article_model_2().count_params() == 422_218
    model_3 = article_model_3()
    assert model_3.count_params() == 60_417
    non_trainable = sum(w.size for w in model_3.get_weights()) - sum(
        int(np.prod(w.shape)) for w in model_3.trainable_weights)
    assert non_trainable == 768


@pytest.mark.slow
def test_article_example_1_learns_a_teacher_task():
    keras.utils.set_random_seed(1)
    x, labels = _teacher_task(3000, (784,), 10, seed=1)
    y = keras.utils.to_categorical(labels, 10)
    model = article_model_1()
    history = model.fit(x[:2500], y[:2500], epochs=8, batch_size=32, verbose=0)
    loss, accuracy = model.evaluate(x[2500:], y[2500:], verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert accuracy > 0.8, accuracy   # chance is 0.1


@pytest.mark.slow
def test_article_example_2_learns_a_teacher_task():
    keras.utils.set_random_seed(2)
    # Smooth 28x28x3 images: 7x7 teacher-task images upsampled by 4.
    coarse, labels = _teacher_task(900, (7, 7, 3), 10, seed=2)
    x = coarse.repeat(4, axis=1).repeat(4, axis=2)
    y = keras.utils.to_categorical(labels, 10)
    model = article_model_2()
    model.fit(x[:750], y[:750], epochs=6, batch_size=32, verbose=0)
    _, accuracy = model.evaluate(x[750:], y[750:], verbose=0)
    assert accuracy > 0.6, accuracy   # chance is 0.1


@pytest.mark.slow
def test_article_example_3_learns_a_teacher_task():
    keras.utils.set_random_seed(3)
    x, labels = _teacher_task(3000, (100,), 2, seed=3)
    y = labels.astype("float32").reshape(-1, 1)
    model = article_model_3()
    model.fit(x[:2500], y[:2500], epochs=8, batch_size=32, verbose=0)
    _, accuracy = model.evaluate(x[2500:], y[2500:], verbose=0)
    assert accuracy > 0.85, accuracy   # chance is 0.5
