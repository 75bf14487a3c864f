"""Regression with callbacks: EarlyStopping, ReduceLROnPlateau and ModelCheckpoint.

A dense network learns a smooth function of 8 features (synthetic, with noise). Training
stops when the validation loss has not improved for `patience` epochs and restores the best
weights; the learning rate drops when the loss plateaus; the best model is saved as a
`.keras` file.

Run:
    python examples/regression_callbacks.py [--epochs 200] [--quick]
"""

import argparse
import os
import tempfile

import numpy as np

import kerastorch as keras
from kerastorch import callbacks, layers


def make_data(n, seed=0):
    rng = np.random.RandomState(seed)
    x = rng.uniform(-1, 1, size=(n, 8)).astype("float32")
    y = np.sin(2 * x[:, :1]) + x[:, 1:2] * x[:, 2:3] + 0.5 * x[:, 3:4] ** 2 + 0.05 * rng.normal(size=(n, 1))
    return x, y.astype("float32")


def main(epochs=200, quick=False, verbose=2):
    keras.utils.set_random_seed(0)
    x, y = make_data(300 if quick else 2000)
    cut = int(0.8 * len(x))
    model = keras.Sequential([
        layers.Input(shape=(8,)),
        layers.Dense(64, activation="relu"),
        layers.Dense(64, activation="relu"),
        layers.Dense(1),
    ])
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="mse", metrics=["mae"])
    checkpoint = os.path.join(tempfile.mkdtemp(), "best.keras")
    history = model.fit(
        x[:cut], y[:cut], validation_split=0.2, epochs=epochs, batch_size=32, verbose=verbose,
        callbacks=[
            callbacks.EarlyStopping(monitor="val_loss", patience=10, restore_best_weights=True),
            callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=4),
            callbacks.ModelCheckpoint(checkpoint, monitor="val_loss", save_best_only=True),
        ])
    loss, mae = model.evaluate(x[cut:], y[cut:], verbose=0)
    baseline = float(np.mean((y[cut:] - y[:cut].mean()) ** 2))
    print(f"Stopped after {len(history.history['loss'])} epochs; test MSE {loss:.4f} "
          f"(predicting the mean: {baseline:.4f}); best model saved to {checkpoint}")
    return loss, baseline


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=200)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    main(epochs=2 if args.quick else args.epochs, quick=args.quick)
