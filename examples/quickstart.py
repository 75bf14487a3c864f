"""Quickstart: the article's first model, trained on the bundled 8x8 handwritten digits.

The model is the one from the article ("A Simple Classification Model"): an Input, a
Dense(128, relu) hidden layer and a Dense(10, softmax) output, compiled with Adam,
categorical crossentropy and accuracy. The only change is the input size: the digits
are 8x8 = 64 pixels instead of MNIST's 28x28 = 784. It runs offline, on CUDA when
available, else on the CPU, in a few seconds.

Run:
    python examples/quickstart.py [--epochs 40]
"""

import argparse

import kerastorch as keras
from kerastorch import layers
from kerastorch.datasets import digits


def main(epochs=40, verbose=2):
    keras.utils.set_random_seed(42)
    (x_train, y_train), (x_test, y_test) = digits.load_data()
    # Pixels are counts in 0..16: flatten each image to a vector and scale to [0, 1].
    x_train = x_train.reshape(len(x_train), 64).astype("float32") / 16.0
    x_test = x_test.reshape(len(x_test), 64).astype("float32") / 16.0
    y_train = keras.utils.to_categorical(y_train, num_classes=10)
    y_test = keras.utils.to_categorical(y_test, num_classes=10)

    model = keras.Sequential([
        layers.Input(shape=(64,)),              # one sample: a vector of 64 pixels
        layers.Dense(128, activation="relu"),
        layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    model.summary()
    model.fit(x_train, y_train, batch_size=32, epochs=epochs, validation_split=0.1, verbose=verbose)
    loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
    print(f"Test accuracy: {accuracy:.4f} (test loss {loss:.4f}) on {len(x_test)} held-out digits "
          f"[device: {keras.config.get_device()}]")
    return accuracy


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--verbose", type=int, default=2)
    args = parser.parse_args()
    main(epochs=args.epochs, verbose=args.verbose)
