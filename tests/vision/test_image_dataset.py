"""image_dataset_from_directory on a folder of small PNG and JPEG files written with torchvision.io."""

import os

import numpy as np
import pytest
import torch
from torchvision.io import write_jpeg, write_png

import kerastorch
from kerastorch import layers
from kerastorch.utils import image_dataset_from_directory

pytestmark = pytest.mark.filterwarnings("ignore:The image decoding:DeprecationWarning")

# one colour per class, so a label can be checked against its image
_COLOURS = {"cats": (250, 10, 10), "dogs": (10, 10, 250), "owls": (10, 250, 10)}


def _write(path, colour, h, w, fmt):
    img = torch.tensor(colour, dtype=torch.uint8).reshape(3, 1, 1).expand(3, h, w).contiguous()
    if fmt == "png":
        write_png(img, path)
    else:
        write_jpeg(img, path, quality=100)


@pytest.fixture
def folder(tmp_path):
    sizes = [(6, 9), (10, 10), (7, 5), (12, 8)]
    for cls, colour in _COLOURS.items():
        os.makedirs(tmp_path / cls)
        for i, (h, w) in enumerate(sizes):
            fmt = "png" if i % 2 == 0 else "jpg"
            _write(str(tmp_path / cls / f"img_{i}.{fmt}"), colour, h, w, fmt)
    (tmp_path / "cats" / "notes.txt").write_text("not an image")
    return tmp_path


def _class_of(image):
    """The class whose colour is nearest to the image's mean colour."""
    mean = image.reshape(-1, image.shape[-1]).mean(0).numpy()
    names = sorted(_COLOURS)
    return int(np.argmin([np.abs(mean - np.array(_COLOURS[n])).sum() for n in names]))


def test_batches_are_channels_last_float32_with_inferred_labels(folder, capsys):
    loader = image_dataset_from_directory(folder, image_size=(8, 8), batch_size=5, seed=1, num_workers=0)
    assert "Found 12 files belonging to 3 classes." in capsys.readouterr().out
    assert isinstance(loader, torch.utils.data.DataLoader)
    assert loader.class_names == ["cats", "dogs", "owls"] and len(loader.file_paths) == 12
    seen = []
    for x, y in loader:
        assert x.dtype == torch.float32 and x.shape[1:] == (8, 8, 3) and y.dtype == torch.int64
        assert 0 <= x.min() and x.max() <= 255
        seen.extend((_class_of(img), int(label)) for img, label in zip(x, y))
    assert len(seen) == 12 and all(c == label for c, label in seen)
    assert sorted(label for _, label in seen) == [0] * 4 + [1] * 4 + [2] * 4


def test_png_pixels_come_through_exactly_when_no_resize_is_needed(tmp_path):
    os.makedirs(tmp_path / "a")
    img = torch.randint(0, 256, (3, 4, 6), dtype=torch.uint8)
    write_png(img, str(tmp_path / "a" / "x.png"))
    loader = image_dataset_from_directory(tmp_path, image_size=(4, 6), num_workers=0, verbose=False)
    x, y = next(iter(loader))
    np.testing.assert_array_equal(x[0].numpy(), img.permute(1, 2, 0).numpy().astype(np.float32))


def test_grayscale_and_label_modes(folder):
    x, y = next(iter(image_dataset_from_directory(folder, image_size=(4, 4), color_mode="grayscale",
                                                  label_mode="categorical", shuffle=False, num_workers=0,
                                                  verbose=False, batch_size=12)))
    assert x.shape == (12, 4, 4, 1) and y.shape == (12, 3) and y.dtype == torch.float32
    np.testing.assert_array_equal(y.numpy(), np.repeat(np.eye(3, dtype=np.float32), 4, axis=0))
    loader = image_dataset_from_directory(folder, image_size=(4, 4), class_names=["owls", "cats"],
                                          label_mode="binary", shuffle=False, num_workers=0, verbose=False)
    x, y = next(iter(loader))
    assert loader.class_names == ["owls", "cats"] and y.shape == (8, 1)
    assert y[:, 0].tolist() == [0.0] * 4 + [1.0] * 4 and _class_of(x[0]) == 2


def test_validation_split_gives_disjoint_subsets_covering_every_file(folder):
    train, val = image_dataset_from_directory(folder, image_size=(4, 4), validation_split=0.25, subset="both",
                                              seed=7, num_workers=0, verbose=False)
    assert len(train.file_paths) == 9 and len(val.file_paths) == 3
    assert set(train.file_paths).isdisjoint(val.file_paths)
    assert len(set(train.file_paths) | set(val.file_paths)) == 12
    again = image_dataset_from_directory(folder, image_size=(4, 4), validation_split=0.25, subset="validation",
                                         seed=7, num_workers=0, verbose=False)
    assert again.file_paths == val.file_paths


def test_parallel_workers_load_the_same_samples(folder):
    def collect(workers):
        loader = image_dataset_from_directory(folder, image_size=(5, 5), shuffle=False, batch_size=4,
                                              num_workers=workers, verbose=False)
        return torch.cat([x for x, _ in loader]), torch.cat([y for _, y in loader])
    x0, y0 = collect(0)
    x2, y2 = collect(2)
    assert torch.equal(x0, x2) and torch.equal(y0, y2)


def test_explicit_labels_and_no_labels(folder):
    files = sorted(str(p) for p in folder.rglob("*") if p.suffix in (".png", ".jpg"))
    labels = list(range(len(files)))
    loader = image_dataset_from_directory(folder, labels=labels, image_size=(4, 4), shuffle=False,
                                          num_workers=0, verbose=False, batch_size=None)
    assert loader.file_paths == files and int(list(loader)[5][1]) == 5
    images_only = image_dataset_from_directory(folder, labels=None, image_size=(4, 4), num_workers=0,
                                               verbose=False)
    batch = next(iter(images_only))
    assert isinstance(batch, torch.Tensor) and batch.shape[1:] == (4, 4, 3)


def test_a_model_fits_on_the_loader(folder):
    loader = image_dataset_from_directory(folder, image_size=(8, 8), batch_size=4, seed=0, num_workers=0,
                                          verbose=False)
    model = kerastorch.Sequential([layers.Input(shape=(8, 8, 3)), layers.Rescaling(1 / 255),
                                   layers.Flatten(), layers.Dense(3, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(loader, epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2


def test_errors_say_what_to_fix(folder, tmp_path):
    with pytest.raises(ValueError, match="label_mode.*Did you mean 'categorical'"):
        image_dataset_from_directory(folder, label_mode="categorial")
    with pytest.raises(ValueError, match="pass a `seed`"):
        image_dataset_from_directory(folder, validation_split=0.2, subset="training")
    with pytest.raises(ValueError, match="binary' needs exactly 2 classes, found 3"):
        image_dataset_from_directory(folder, label_mode="binary", verbose=False)
    with pytest.raises(ValueError, match="no images"):
        os.makedirs(tmp_path / "empty" / "a")
        image_dataset_from_directory(tmp_path / "empty")
    with pytest.raises(ValueError, match=r"class_names \['bats'\] have no subfolder"):
        image_dataset_from_directory(folder, class_names=["bats"])
