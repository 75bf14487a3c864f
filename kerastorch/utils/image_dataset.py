"""`image_dataset_from_directory`: a folder of images to a `torch.utils.data.DataLoader`, as in Keras."""

import difflib
import os
import warnings

import numpy as np
import torch
import torch.nn.functional as F

_FORMATS = (".bmp", ".gif", ".jpeg", ".jpg", ".png")
_INTERPOLATIONS = {"bilinear": "bilinear", "nearest": "nearest-exact", "bicubic": "bicubic"}
_COLOR_MODES = {"grayscale": 1, "rgb": 3, "rgba": 4}


class ImageFileDataset(torch.utils.data.Dataset):
    """Decodes image files with `torchvision.io` into channels-last float32 tensors of one size.

    Used by `image_dataset_from_directory`; useful on its own for a list of files.

    Args:
        file_paths: List of image file paths.
        labels: Optional array of labels, one per file (already encoded). Defaults to `None`
            (samples are images only).
        image_size: `(height, width)` every image is resized to.
        color_mode: `"grayscale"`, `"rgb"` or `"rgba"`. Defaults to `"rgb"`.
        interpolation: `"bilinear"`, `"nearest"` or `"bicubic"`. Defaults to `"bilinear"`.
        crop_to_aspect_ratio: Crop the largest central window of the target aspect ratio
            before resizing. Defaults to `False`.
        pad_to_aspect_ratio: Pad (with zeros) to the target aspect ratio before resizing.
            Defaults to `False`.

    Example:
    >>> ds = ImageFileDataset([], image_size=(8, 8))
    >>> len(ds)
    0
    """

    def __init__(self, file_paths, labels=None, image_size=(256, 256), color_mode="rgb",
                 interpolation="bilinear", crop_to_aspect_ratio=False, pad_to_aspect_ratio=False):
        self.file_paths = list(file_paths)
        self.labels = labels
        self.image_size = tuple(int(s) for s in image_size)
        self.color_mode, self.interpolation = color_mode, interpolation
        self.crop_to_aspect_ratio, self.pad_to_aspect_ratio = crop_to_aspect_ratio, pad_to_aspect_ratio

    def __len__(self):
        return len(self.file_paths)

    def load(self, path):
        """Reads one file: float32 `(height, width, channels)` with values in 0..255."""
        try:
            image = _decode(path, self.color_mode)
        except (RuntimeError, OSError) as e:
            raise ValueError(f"image_dataset_from_directory: could not decode {path!r} as an image "
                             f"({e}). Remove the file or convert it to PNG/JPEG.") from None
        if image.ndim == 4:                 # an animated GIF: keep the first frame, as Keras does
            image = image[0]
        x = image.to(torch.float32)[None]   # (1, C, H, W)
        th, tw = self.image_size
        h, w = x.shape[-2:]
        if self.crop_to_aspect_ratio:
            ch = max(min(h, int(float(w * th) / tw)), 1)
            cw = max(min(w, int(float(h * tw) / th)), 1)
            h0, w0 = int(float(h - ch) / 2), int(float(w - cw) / 2)
            x = x[..., h0:h0 + ch, w0:w0 + cw]
        elif self.pad_to_aspect_ratio:
            ph, pw = max(h, int(float(w * th) / tw)), max(w, int(float(h * tw) / th))
            top, left = int(float(ph - h) / 2), int(float(pw - w) / 2)
            x = F.pad(x, (left, pw - w - left, top, ph - h - top))
        if (x.shape[-2], x.shape[-1]) != (th, tw):
            mode = _INTERPOLATIONS[self.interpolation]
            x = F.interpolate(x, size=(th, tw), mode=mode,
                              align_corners=False if mode in ("bilinear", "bicubic") else None)
            if mode == "bicubic":
                x = x.clamp(0, 255)
        return x[0].permute(1, 2, 0).contiguous()

    def __getitem__(self, index):
        image = self.load(self.file_paths[index])
        if self.labels is None:
            return image
        return image, torch.as_tensor(self.labels[index])


def _decode(path, color_mode):
    """uint8 `(C, H, W)` (or `(frames, C, H, W)` for a GIF) with torchvision.io, else Pillow."""
    try:
        from torchvision.io import ImageReadMode, decode_image, read_file
    except ImportError:   # a torchvision without image IO: Pillow, which torchvision depends on
        from PIL import Image

        with Image.open(path) as img:
            img = img.convert({"grayscale": "L", "rgb": "RGB", "rgba": "RGBA"}[color_mode])
            array = np.asarray(img).reshape(img.size[1], img.size[0], -1)
        return torch.from_numpy(array.copy()).permute(2, 0, 1)
    mode = {"grayscale": ImageReadMode.GRAY, "rgb": ImageReadMode.RGB, "rgba": ImageReadMode.RGB_ALPHA}[color_mode]
    with warnings.catch_warnings():
        # torchvision 0.29 deprecates its image IO in favour of TorchCodec; it still works, and
        # the warning would repeat for every file in every worker.
        warnings.simplefilter("ignore", DeprecationWarning)
        return decode_image(read_file(path), mode=mode)


def _list_images(directory, follow_links):
    found = []
    for root, dirs, files in os.walk(directory, followlinks=follow_links):
        dirs.sort()
        found.extend(os.path.join(root, f) for f in sorted(files) if f.lower().endswith(_FORMATS))
    return sorted(found)


def _choices(name, value, options):
    if value not in options:
        close = difflib.get_close_matches(str(value), [str(o) for o in options], n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise ValueError(f"image_dataset_from_directory: `{name}` must be one of "
                         f"{', '.join(repr(o) for o in options)}, got {name}={value!r}.{hint}")


def image_dataset_from_directory(directory, labels="inferred", label_mode="int", class_names=None,
                                 color_mode="rgb", batch_size=32, image_size=(256, 256), shuffle=True,
                                 seed=None, validation_split=None, subset=None, interpolation="bilinear",
                                 follow_links=False, crop_to_aspect_ratio=False, pad_to_aspect_ratio=False,
                                 num_workers=None, verbose=True):
    """Makes a `DataLoader` of `(images, labels)` batches from a folder of images, as in Keras.

    With `labels="inferred"`, each subfolder of `directory` is a class:

        directory/
            cats/  a.jpg  b.png ...
            dogs/  c.jpg ...

    Files are decoded with `torchvision.io` (PNG, JPEG, GIF, BMP) in `num_workers` worker
    processes and resized to `image_size`. Batches are channels-last float32 images with values
    in 0..255 (add a `layers.Rescaling(1/255)` to the model), so `model.fit(loader)` works.
    The loader reshuffles every epoch when `shuffle=True`.

    Args:
        directory: The folder of images.
        labels: `"inferred"` (from the subfolder names), `None` (images only), or a list of
            integer labels, one per image file in the alphanumeric order of the file paths.
            Defaults to `"inferred"`.
        label_mode: `"int"` (int64 class ids, for `sparse_categorical_crossentropy`),
            `"categorical"` (float32 one-hot), `"binary"` (float32 `(batch, 1)`, two classes
            only) or `None` (no labels). Defaults to `"int"`.
        class_names: With `labels="inferred"`, the subfolders to use, in the order that sets
            the class ids. Defaults to `None`: every subfolder, sorted.
        color_mode: `"grayscale"`, `"rgb"` or `"rgba"` (1, 3 or 4 channels). Defaults to `"rgb"`.
        batch_size: Samples per batch, or `None` for single samples. Defaults to `32`.
        image_size: `(height, width)` images are resized to. Defaults to `(256, 256)`.
        shuffle: Whether to shuffle (the file order once with `seed`, then every epoch).
            Defaults to `True`.
        seed: Optional integer seed for shuffling and the validation split.
        validation_split: Optional fraction in (0, 1) of the files held out for validation.
        subset: With `validation_split`: `"training"`, `"validation"` or `"both"` (returns a
            pair of loaders).
        interpolation: `"bilinear"`, `"nearest"` or `"bicubic"`. Defaults to `"bilinear"`.
        follow_links: Whether to follow symbolic links to subfolders. Defaults to `False`.
        crop_to_aspect_ratio: Crop to the target aspect ratio before resizing, instead of
            distorting the image. Defaults to `False`.
        pad_to_aspect_ratio: Pad with zeros to the target aspect ratio before resizing.
            Defaults to `False`.
        num_workers: Worker processes decoding files (kerastorch's addition; 0 decodes in the
            main process). Defaults to `None`: `min(4, os.cpu_count() - 1)`.
        verbose: Whether to print how many files and classes were found. Defaults to `True`.

    Returns:
        A `torch.utils.data.DataLoader` (or a pair of them for `subset="both"`) with the
        attributes `class_names` (list of strings, or `None`) and `file_paths`.

    Raises:
        ValueError: The folder is missing or empty, or the arguments don't fit together.

    Example:
    >>> loader = image_dataset_from_directory("photos/", image_size=(64, 64),
    ...                                       validation_split=0.2, subset="training", seed=1)  # doctest: +SKIP
    >>> loader.class_names                                                                   # doctest: +SKIP
    ['cats', 'dogs']
    >>> images, labels = next(iter(loader))                                                  # doctest: +SKIP
    >>> images.shape                                                                         # doctest: +SKIP
    torch.Size([32, 64, 64, 3])
    """
    if not os.path.isdir(directory):
        raise ValueError(f"image_dataset_from_directory: directory={directory!r} is not a folder. "
                         f"Pass the folder whose subfolders hold the images of each class.")
    if labels is not None and not isinstance(labels, (list, tuple, np.ndarray)):
        _choices("labels", labels, ["inferred", None])
    _choices("label_mode", label_mode, ["int", "categorical", "binary", None])
    _choices("color_mode", color_mode, list(_COLOR_MODES))
    _choices("interpolation", interpolation, list(_INTERPOLATIONS))
    if labels is None or label_mode is None:
        labels, label_mode = None, None
    if class_names is not None and labels != "inferred":
        raise ValueError("image_dataset_from_directory: `class_names` only applies with labels='inferred', "
                         f"got labels={labels!r}.")
    if crop_to_aspect_ratio and pad_to_aspect_ratio:
        raise ValueError("image_dataset_from_directory: choose crop_to_aspect_ratio or pad_to_aspect_ratio, not both.")
    if validation_split is not None:
        if not 0 < validation_split < 1:
            raise ValueError(f"image_dataset_from_directory: `validation_split` must be in (0, 1), "
                             f"got {validation_split!r}.")
        _choices("subset", subset, ["training", "validation", "both"])
        if shuffle and seed is None:
            raise ValueError("image_dataset_from_directory: with validation_split and shuffle=True, pass a "
                             "`seed`, so the training and validation subsets come from the same shuffle "
                             "and do not overlap.")
    elif subset is not None:
        raise ValueError(f"image_dataset_from_directory: subset={subset!r} needs a validation_split.")
    if len(image_size) != 2:
        raise ValueError(f"image_dataset_from_directory: `image_size` must be (height, width), got {image_size!r}.")

    # ---- index the files
    found_classes = None
    if labels == "inferred":
        found_classes = sorted(d for d in os.listdir(directory) if os.path.isdir(os.path.join(directory, d)))
        if class_names is not None:
            missing = [c for c in class_names if c not in found_classes]
            if missing:
                raise ValueError(f"image_dataset_from_directory: class_names {missing} have no subfolder in "
                                 f"{directory!r}; subfolders found: {found_classes}.")
            found_classes = list(class_names)
        paths, ids = [], []
        for class_id, name in enumerate(found_classes):
            files = _list_images(os.path.join(directory, name), follow_links)
            paths.extend(files)
            ids.extend([class_id] * len(files))
        ids = np.asarray(ids, dtype=np.int64)
    else:
        paths = _list_images(directory, follow_links)
        ids = None
        if labels is not None:
            ids = np.asarray(labels)
            if len(ids) != len(paths):
                raise ValueError(f"image_dataset_from_directory: got {len(ids)} labels but found {len(paths)} "
                                 f"image files in {directory!r}; give one label per file, in the sorted "
                                 f"order of the file paths.")
    if not paths:
        raise ValueError(f"image_dataset_from_directory: no images ({', '.join(_FORMATS)}) found in "
                         f"{directory!r}" + (" (one subfolder per class is expected)" if labels == "inferred" else "")
                         + ".")
    num_classes = len(found_classes) if found_classes is not None else (
        int(ids.max()) + 1 if ids is not None and len(ids) else 0)
    if label_mode == "binary" and num_classes != 2:
        raise ValueError(f"image_dataset_from_directory: label_mode='binary' needs exactly 2 classes, found "
                         f"{num_classes}" + (f" ({found_classes})" if found_classes else "") +
                         ". Use label_mode='int' or 'categorical'.")
    if verbose:
        print(f"Found {len(paths)} files" + (f" belonging to {num_classes} classes." if found_classes else "."))

    # ---- shuffle once with the seed, then split, as Keras does
    order = np.arange(len(paths))
    if shuffle:
        if seed is None:
            seed = int(np.random.randint(0, 10 ** 6))
        order = np.random.RandomState(seed).permutation(len(paths))
    splits = {"all": order}
    if validation_split is not None:
        n_val = int(validation_split * len(paths))
        splits = {"training": order[:len(order) - n_val], "validation": order[len(order) - n_val:]}
        if verbose:
            for name in (["training", "validation"] if subset == "both" else [subset]):
                print(f"Using {len(splits[name])} files for {name}.")

    def encode(index):
        if ids is None:
            return None
        y = ids[index]
        if label_mode == "categorical":
            return np.eye(num_classes, dtype=np.float32)[y]
        if label_mode == "binary":
            return y.astype(np.float32).reshape(-1, 1)
        return y.astype(np.int64)

    if num_workers is None:
        num_workers = min(4, max((os.cpu_count() or 1) - 1, 0))

    def make(index, reshuffle):
        files = [paths[i] for i in index]
        dataset = ImageFileDataset(files, encode(index), image_size, color_mode, interpolation,
                                   crop_to_aspect_ratio, pad_to_aspect_ratio)
        generator = torch.Generator().manual_seed(int(seed)) if (reshuffle and seed is not None) else None
        loader = torch.utils.data.DataLoader(
            dataset, batch_size=batch_size, shuffle=reshuffle, generator=generator, num_workers=num_workers,
            persistent_workers=num_workers > 0, pin_memory=torch.cuda.is_available())
        loader.class_names = list(found_classes) if found_classes is not None else None
        loader.file_paths = files
        return loader

    if validation_split is None:
        return make(splits["all"], shuffle)
    if subset == "both":
        return make(splits["training"], shuffle), make(splits["validation"], False)
    return make(splits[subset], shuffle and subset == "training")
