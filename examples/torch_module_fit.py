"""A plain `torch.nn.Module`, trained with Keras' `compile`/`fit`/`evaluate`.

`kerastorch.Model(module)` wraps any module: its forward pass, its parameters and its own
initialisation are used as they are; kerastorch adds the Keras training loop (optimizers,
losses, metrics, callbacks, progress bar, validation). Here a small MLP written in plain
PyTorch classifies the bundled digits; its output is logits, so the loss says `from_logits=True`.

Run:
    python examples/torch_module_fit.py [--epochs 20] [--quick]
"""

import argparse

import torch
from torch import nn

import kerastorch as keras
from kerastorch.datasets import digits


class MLP(nn.Module):
    def __init__(self, hidden=64):
        super().__init__()
        self.net = nn.Sequential(nn.Flatten(), nn.Linear(64, hidden), nn.ReLU(), nn.Linear(hidden, 10))

    def forward(self, x):
        return self.net(x)


def main(epochs=20, quick=False, verbose=2):
    keras.utils.set_random_seed(0)
    (x_train, y_train), (x_test, y_test) = digits.load_data()
    x_train, x_test = x_train.astype("float32") / 16.0, x_test.astype("float32") / 16.0
    if quick:
        x_train, y_train = x_train[:300], y_train[:300]

    model = keras.Model(MLP())
    model.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    model.fit(x_train, y_train, batch_size=32, epochs=epochs, validation_split=0.1, verbose=verbose)
    loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
    print(f"Test accuracy: {accuracy:.4f}")
    return accuracy


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    main(epochs=1 if args.quick else args.epochs, quick=args.quick)
