"""Text classification with Embedding and LSTM, on synthetic "reviews".

Each sequence is a list of word ids; a review is positive when it holds more "good" words
(ids 2..11) than "bad" ones (ids 12..21), among neutral filler words; sequences are padded
with 0 at the end and `mask_zero=True` makes the LSTM skip the padding. This is the shape of
Keras' IMDB LSTM example, on data that needs no download.

Run:
    python examples/text_classification_lstm.py [--epochs 6] [--quick]
"""

import argparse

import numpy as np

import kerastorch as keras
from kerastorch import layers

VOCAB, MAXLEN = 200, 40


def make_reviews(n, seed=0):
    rng = np.random.RandomState(seed)
    x = np.zeros((n, MAXLEN), dtype="int64")
    y = np.zeros((n, 1), dtype="float32")
    for i in range(n):
        length = rng.randint(10, MAXLEN + 1)
        words = rng.randint(22, VOCAB, size=length)
        good, bad = rng.randint(0, 5), rng.randint(0, 5)
        while good == bad:
            bad = rng.randint(0, 5)
        slots = rng.choice(length, size=good + bad, replace=False)
        words[slots[:good]] = rng.randint(2, 12, size=good)
        words[slots[good:]] = rng.randint(12, 22, size=bad)
        x[i, :length] = words
        y[i, 0] = float(good > bad)
    return x, y


def main(epochs=6, quick=False, verbose=2):
    if not hasattr(layers, "LSTM"):
        print("layers.LSTM is not available in this kerastorch version; skipping.")
        return None
    keras.utils.set_random_seed(0)
    x, y = make_reviews(400 if quick else 4000)
    cut = int(0.8 * len(x))
    model = keras.Sequential([
        layers.Input(shape=(MAXLEN,), dtype="int64"),
        layers.Embedding(VOCAB, 32, mask_zero=True),
        layers.LSTM(32),
        layers.Dense(1, activation="sigmoid"),
    ])
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    model.fit(x[:cut], y[:cut], batch_size=32, epochs=epochs, validation_split=0.1, verbose=verbose)
    loss, accuracy = model.evaluate(x[cut:], y[cut:], verbose=0)
    print(f"Held-out accuracy: {accuracy:.3f} (chance 0.5)")
    return accuracy


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    main(epochs=1 if args.quick else args.epochs, quick=args.quick)
