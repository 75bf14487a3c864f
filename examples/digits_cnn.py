"""An MNIST-style CNN, with augmentation layers, on the bundled 8x8 digits (offline).

The same model as Keras' "Simple MNIST convnet" example, scaled to 8x8 images: the pixels are
rescaled and lightly augmented inside the model (RandomRotation/RandomZoom are active only
in training), then two convolution blocks and a softmax classifier. With `--mnist`, it trains
on real MNIST instead (the files must be in the kerastorch cache or downloadable).

Run:
    python examples/digits_cnn.py [--epochs 15] [--quick] [--mnist]
"""

import argparse

import numpy as np

import kerastorch as keras
from kerastorch import layers
from kerastorch.datasets import digits, mnist


def main(epochs=15, quick=False, use_mnist=False, verbose=2):
    keras.utils.set_random_seed(0)
    if use_mnist:
        (x_train, y_train), (x_test, y_test) = mnist.load_data()
        size, max_value = 28, 255.0
    else:
        (x_train, y_train), (x_test, y_test) = digits.load_data()
        size, max_value = 8, 16.0
    if quick:
        x_train, y_train = x_train[:300], y_train[:300]
    x_train, x_test = x_train[..., None], x_test[..., None]       # channels last: (N, H, W, 1)

    model = keras.Sequential([
        layers.Input(shape=(size, size, 1)),
        layers.Rescaling(1.0 / max_value),
        layers.RandomRotation(0.03, fill_mode="constant"),
        layers.RandomZoom(0.1, fill_mode="constant"),
        layers.Conv2D(32, 3, padding="same", activation="relu"),
        layers.MaxPooling2D(2),
        layers.Conv2D(64, 3, padding="same", activation="relu"),
        layers.MaxPooling2D(2),
        layers.Flatten(),
        layers.Dropout(0.3),
        layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.summary()
    model.fit(x_train, y_train, batch_size=32, epochs=epochs, validation_split=0.1, verbose=verbose)
    loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
    print(f"Test accuracy: {accuracy:.4f} on {len(x_test)} images")
    return accuracy


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--mnist", action="store_true", help="train on MNIST from the kerastorch cache")
    args = parser.parse_args()
    main(epochs=1 if args.quick else args.epochs, quick=args.quick, use_mnist=args.mnist)
