"""A dense autoencoder on the bundled 8x8 digits: compress 64 pixels to 8 numbers and back.

The encoder and decoder are two `Sequential` models stacked into a third, so each half can
be used on its own after training (`encoder.predict` gives the codes). The reconstruction error
is compared with the trivial reconstruction (the mean image).

Run:
    python examples/autoencoder.py [--epochs 60] [--quick]
"""

import argparse

import numpy as np

import kerastorch as keras
from kerastorch import layers
from kerastorch.datasets import digits


def main(epochs=60, quick=False, verbose=2):
    keras.utils.set_random_seed(0)
    (x_train, _), (x_test, _) = digits.load_data()
    x_train = x_train.reshape(-1, 64).astype("float32") / 16.0
    x_test = x_test.reshape(-1, 64).astype("float32") / 16.0
    if quick:
        x_train = x_train[:300]

    encoder = keras.Sequential([layers.Input(shape=(64,)), layers.Dense(32, activation="relu"),
                                layers.Dense(8, activation="relu")], name="encoder")
    decoder = keras.Sequential([layers.Input(shape=(8,)), layers.Dense(32, activation="relu"),
                                layers.Dense(64, activation="sigmoid")], name="decoder")
    autoencoder = keras.Sequential([encoder, decoder], name="autoencoder")
    autoencoder.compile(optimizer="adam", loss="mse")
    autoencoder.fit(x_train, x_train, batch_size=32, epochs=epochs, validation_split=0.1, verbose=verbose)

    mse = autoencoder.evaluate(x_test, x_test, verbose=0)
    mse = mse[0] if isinstance(mse, (list, tuple)) else mse
    baseline = float(np.mean((x_test - x_train.mean(axis=0)) ** 2))
    codes = np.asarray(encoder.predict(x_test, verbose=0))
    print(f"Test reconstruction MSE {mse:.4f} (mean image: {baseline:.4f}); codes shape {codes.shape}")
    return mse, baseline


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=60)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    main(epochs=1 if args.quick else args.epochs, quick=args.quick)
