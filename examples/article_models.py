"""The article's three Sequential models, trained on learnable synthetic data.

1. A dense classifier for 784-feature vectors (10 classes, softmax).
2. A small CNN for 28x28 RGB images (Conv2D/MaxPooling2D/Dropout, 10 classes).
3. A dense binary classifier with BatchNormalization (100 features, sigmoid).

The data comes from a fixed random "teacher" (labels are a function of a low-dimensional code
hidden in each sample), so each model has something real to learn, offline.

Run:
    python examples/article_models.py [--epochs 5] [--quick]
"""

import argparse

import numpy as np

import kerastorch as keras
from kerastorch import layers


def teacher_data(n, sample_shape, num_classes, seed=0, latent=16):
    rng = np.random.RandomState(seed)
    codes = rng.normal(size=(n, latent))
    mixing = rng.normal(size=(latent, int(np.prod(sample_shape)))) / np.sqrt(latent)
    x = codes @ mixing + 0.1 * rng.normal(size=(n, int(np.prod(sample_shape))))
    scores = codes @ rng.normal(size=(latent, max(num_classes, 2)))
    labels = scores.argmax(axis=1) if num_classes > 1 else (scores[:, 0] > scores[:, 1]).astype("float32")
    return x.reshape(n, *sample_shape).astype("float32"), labels


def model_1():
    model = keras.Sequential([
        layers.Input(shape=(784,)),
        layers.Dense(128, activation="relu"),
        layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    return model


def model_2():
    model = keras.Sequential([
        layers.Input(shape=(28, 28, 3)),
        layers.Conv2D(32, (3, 3), activation="relu", padding="same"),
        layers.MaxPooling2D((2, 2)),
        layers.Conv2D(64, (3, 3), activation="relu", padding="same"),
        layers.MaxPooling2D((2, 2)),
        layers.Flatten(),
        layers.Dropout(0.5),
        layers.Dense(128, activation="relu"),
        layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    return model


def model_3():
    model = keras.Sequential([
        layers.Input(shape=(100,)),
        layers.Dense(256),
        layers.BatchNormalization(),
        layers.Activation("relu"),
        layers.Dense(128),
        layers.BatchNormalization(),
        layers.Activation("relu"),
        layers.Dense(1, activation="sigmoid"),
    ])
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    return model


def main(epochs=5, quick=False, verbose=2):
    keras.utils.set_random_seed(0)
    n = 300 if quick else 3000
    results = {}
    for name, build, shape, classes in [("model_1", model_1, (784,), 10), ("model_2", model_2, (28, 28, 3), 10),
                                        ("model_3", model_3, (100,), 1)]:
        size = n // 3 if name == "model_2" and quick else n
        x, labels = teacher_data(size, shape, classes, seed=len(results))
        y = keras.utils.to_categorical(labels, 10) if classes == 10 else labels.reshape(-1, 1)
        cut = int(0.8 * size)
        model = build()
        print(f"--- {name}: {model.count_params():,} parameters")
        model.fit(x[:cut], y[:cut], batch_size=32, epochs=epochs, verbose=verbose)
        loss, accuracy = model.evaluate(x[cut:], y[cut:], verbose=0)
        results[name] = accuracy
        print(f"{name}: held-out accuracy {accuracy:.3f} (chance {0.1 if classes == 10 else 0.5})")
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="small data and 1 epoch, for a smoke test")
    args = parser.parse_args()
    main(epochs=1 if args.quick else args.epochs, quick=args.quick)
