"""keras.io example "Image classification from scratch"
(examples/vision/image_classification_from_scratch.py, fchollet; its Keras 3 form: a logits
output, Adam(3e-4), BinaryAccuracy(name="acc")), imports changed.

The Cats vs Dogs download is replaced by 20 small PNG files written to a temporary PetImages/
folder (the corrupted-JPEG filter has nothing to filter and is left out); image_size is 16x16
instead of 180x180 and batch_size 8; the tf.data `.map(...)`/`.prefetch(...)` pipeline is a
torch IterableDataset that applies `data_augmentation` to each batch; 2 epochs instead of 25;
`jit_compile=True` is left out (on torch it means torch.compile, minutes on this CPU);
plots are left out; tf.expand_dims is keras.ops.expand_dims.
"""

import os

import numpy as np
import pytest
import torch

from .conftest import rng

image_size = (16, 16)
batch_size = 8


def write_pet_images(root):
    from PIL import Image

    r = rng(70)
    for label, name in enumerate(["Cat", "Dog"]):
        folder = os.path.join(root, "PetImages", name)
        os.makedirs(folder)
        for i in range(10):
            pixels = r.integers(0, 128, size=(40, 48, 3)) + 100 * label   # dogs are brighter
            Image.fromarray(pixels.astype("uint8")).save(os.path.join(folder, f"{i}.png"))


def make_model(keras, layers, input_shape, num_classes):
    inputs = keras.Input(shape=input_shape)

    # Entry block
    x = layers.Rescaling(1.0 / 255)(inputs)
    x = layers.Conv2D(128, 3, strides=2, padding="same")(x)
    x = layers.BatchNormalization()(x)
    x = layers.Activation("relu")(x)

    previous_block_activation = x  # Set aside residual

    for size in [256, 512, 728]:
        x = layers.Activation("relu")(x)
        x = layers.SeparableConv2D(size, 3, padding="same")(x)
        x = layers.BatchNormalization()(x)

        x = layers.Activation("relu")(x)
        x = layers.SeparableConv2D(size, 3, padding="same")(x)
        x = layers.BatchNormalization()(x)

        x = layers.MaxPooling2D(3, strides=2, padding="same")(x)

        # Project residual
        residual = layers.Conv2D(size, 1, strides=2, padding="same")(previous_block_activation)
        x = layers.add([x, residual])  # Add back residual
        previous_block_activation = x  # Set aside next residual

    x = layers.SeparableConv2D(1024, 3, padding="same")(x)
    x = layers.BatchNormalization()(x)
    x = layers.Activation("relu")(x)

    x = layers.GlobalAveragePooling2D()(x)
    if num_classes == 2:
        units = 1
    else:
        units = num_classes

    x = layers.Dropout(0.25)(x)
    # We specify activation=None so as to return logits
    outputs = layers.Dense(units, activation=None)(x)
    return keras.Model(inputs, outputs)


class Mapped(torch.utils.data.IterableDataset):
    """`train_ds.map(lambda img, label: (data_augmentation(img), label))`, for a DataLoader."""

    def __init__(self, loader, fn):
        self.loader, self.fn = loader, fn

    def __iter__(self):
        for img, label in self.loader:
            yield self.fn(img), label


def test_mini_xception_trains_on_an_image_folder(kt, real, tmp_path, monkeypatch):
    keras, layers, ops = kt
    write_pet_images(str(tmp_path))
    monkeypatch.chdir(tmp_path)

    train_ds, val_ds = keras.utils.image_dataset_from_directory(
        "PetImages",
        validation_split=0.2,
        subset="both",
        seed=1337,
        image_size=image_size,
        batch_size=batch_size,
    )
    images, labels = next(iter(train_ds))
    assert tuple(images.shape) == (batch_size, 16, 16, 3) and tuple(labels.shape) == (batch_size,)

    data_augmentation_layers = [
        layers.RandomFlip("horizontal"),
        layers.RandomRotation(0.1),
    ]

    def data_augmentation(images):
        for layer in data_augmentation_layers:
            images = layer(images)
        return images

    augmented = data_augmentation(images)
    assert tuple(augmented.shape) == tuple(images.shape)
    assert not np.allclose(np.asarray(augmented), np.asarray(images))   # layers called outside fit augment

    train_ds = torch.utils.data.DataLoader(Mapped(train_ds, data_augmentation), batch_size=None)

    model = make_model(keras, layers, input_shape=image_size + (3,), num_classes=2)
    assert model.output_shape == (None, 1)
    assert model.count_params() == make_model(real[0], real[1], image_size + (3,), 2).count_params()

    epochs = 2
    callbacks = [keras.callbacks.ModelCheckpoint("save_at_{epoch}.keras")]
    model.compile(
        optimizer=keras.optimizers.Adam(3e-4),
        loss=keras.losses.BinaryCrossentropy(from_logits=True),
        metrics=[keras.metrics.BinaryAccuracy(name="acc")],
    )
    history = model.fit(train_ds, epochs=epochs, callbacks=callbacks, validation_data=val_ds, verbose=0)
    assert sorted(history.history) == ["acc", "loss", "val_acc", "val_loss"]
    assert sorted(f for f in os.listdir(".") if f.endswith(".keras")) == ["save_at_1.keras", "save_at_2.keras"]

    img = keras.utils.load_img("PetImages/Cat/6.png", target_size=image_size)
    img_array = keras.utils.img_to_array(img)
    img_array = ops.expand_dims(img_array, 0)  # Create batch axis
    predictions = model.predict(img_array, verbose=0)
    score = float(ops.sigmoid(predictions[0][0]))
    assert predictions.shape == (1, 1) and 0.0 <= score <= 1.0
    reloaded = keras.models.load_model("save_at_2.keras")
    np.testing.assert_allclose(reloaded.predict(img_array, verbose=0), predictions, atol=1e-5)
