"""Transfer learning: a frozen MobileNetV2 base, a new head, then fine-tuning with a small learning rate.

The usual Keras recipe, on tiny synthetic images written to a folder as PNG files and read
back with `image_dataset_from_directory` (the same path real photos take):

1. Load the base without its classifier and freeze it (`base.trainable = False`; its
   BatchNormalization layers then run in inference mode).
2. Stack augmentation, MobileNetV2's preprocessing (scaling to -1..1), the base, pooling and a
   new classifier in a `Sequential`; train the head.
3. Unfreeze the base, compile again with a small learning rate, and fine-tune everything.

`kerastorch.applications.MobileNetV2` is Keras' model, layer for layer, so Keras' own weight
files load. Without `--weights`, the base starts from random weights. With `--weights imagenet`
it reads Keras' cached ImageNet file from `~/.keras/models/` (nothing is downloaded: real Keras
puts it there the first time it runs `keras.applications.MobileNetV2(weights="imagenet")`, and
the error message names the file and its URL otherwise); or pass the path of a weights file.

Run:
    python examples/transfer_learning.py [--epochs 3] [--quick] [--weights imagenet|FILE]
"""

import argparse
import os
import tempfile

import numpy as np
import torch

import kerastorch as keras
from kerastorch import applications, layers
from kerastorch.utils import image_dataset_from_directory


def write_image_folder(root, per_class, size=32, seed=0):
    """Two classes of PNGs: a bright square ("squares") or a bright horizontal bar ("bars")."""
    from torchvision.io import write_png

    rng = np.random.RandomState(seed)
    for name in ("bars", "squares"):
        os.makedirs(os.path.join(root, name), exist_ok=True)
        for i in range(per_class):
            img = rng.randint(0, 80, size=(3, size, size)).astype(np.uint8)
            top, left = rng.randint(2, size - 14), rng.randint(2, size - 14)
            if name == "squares":
                img[:, top:top + 10, left:left + 10] = 230
            else:
                img[:, top:top + 4, 2:size - 2] = 230
            write_png(torch.from_numpy(img), os.path.join(root, name, f"{i}.png"))


def main(epochs=3, quick=False, weights=None, verbose=2):
    keras.utils.set_random_seed(0)
    root = tempfile.mkdtemp()
    write_image_folder(root, per_class=12 if quick else 120)
    train, val = image_dataset_from_directory(root, image_size=(32, 32), batch_size=16, validation_split=0.25,
                                              subset="both", seed=1, num_workers=0 if quick else None)
    print("classes:", train.class_names)

    # Keras' ImageNet files exist for 96..224 pixel inputs; a 32x32 base with random weights keeps this quick.
    size = 32 if weights is None else 96
    base = applications.MobileNetV2(include_top=False, weights=weights, input_shape=(size, size, 3),
                                    alpha=0.35 if weights is None else 1.0)
    base.trainable = False
    model = keras.Sequential([
        layers.Input(shape=(32, 32, 3)),
        layers.RandomFlip("horizontal"),
        layers.Resizing(size, size),
        layers.Rescaling(1 / 127.5, offset=-1.0),     # applications.mobilenet_v2.preprocess_input's scaling
        base,
        layers.GlobalAveragePooling2D(),
        layers.Dropout(0.2),
        layers.Dense(len(train.class_names), activation="softmax"),
    ])
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    model.summary()
    print("1) training the new head on the frozen base")
    model.fit(train, validation_data=val, epochs=epochs, verbose=verbose)

    print("2) fine-tuning the whole network with a small learning rate")
    base.trainable = True
    model.compile(optimizer=keras.optimizers.Adam(1e-5), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    model.fit(train, validation_data=val, epochs=epochs, verbose=verbose)
    loss, accuracy = model.evaluate(val, verbose=0)
    print(f"Validation accuracy after fine-tuning: {accuracy:.3f}")
    return accuracy


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--weights", default=None,
                        help="'imagenet' (Keras' cached file) or the path of a Keras MobileNetV2 weights file")
    args = parser.parse_args()
    main(epochs=1 if args.quick else args.epochs, quick=args.quick, weights=args.weights)
