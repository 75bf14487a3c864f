"""Images as PIL objects and arrays: `load_img`, `img_to_array`, `array_to_img`, `save_img`, `smart_resize`.

PIL (Pillow) comes with torchvision and matplotlib. Arrays are numpy, laid out as
`config.image_data_format()` says unless `data_format=` is given, in `config.floatx()` by default.
"""

import io
import pathlib
import warnings

import numpy as np
import torch
import torch.nn.functional as F

from kerastorch import config

_RESAMPLING = ("nearest", "bilinear", "bicubic", "hamming", "box", "lanczos")
_RESIZE_MODES = {"bilinear": "bilinear", "nearest": "nearest-exact", "bicubic": "bicubic"}


def _pil():
    try:
        from PIL import Image
    except ImportError:
        raise ImportError("kerastorch's image utilities need Pillow, which is not installed: "
                          "`pip install pillow` (torchvision and matplotlib also bring it).") from None
    return Image


def array_to_img(x, data_format=None, scale=True, dtype=None):
    """Converts a 3D array `(height, width, channels)` to a PIL image.

    Args:
        x: Array-like of rank 3, with 1 (grayscale), 3 (RGB) or 4 (RGBA) channels.
        data_format: `"channels_last"` or `"channels_first"`. Defaults to `None`:
            `config.image_data_format()`.
        scale: Whether to rescale the values so the minimum is 0 and the maximum 255.
            Defaults to `True`.
        dtype: dtype the array is read as before scaling. Defaults to `None`: `config.floatx()`.

    Returns:
        A `PIL.Image.Image` (mode `"L"`, `"I"` for grayscale above 255, `"RGB"` or `"RGBA"`).

    Example:
    >>> import numpy as np
    >>> array_to_img(np.zeros((4, 6, 3))).size
    (6, 4)
    """
    data_format = config.standardize_data_format(data_format)
    Image = _pil()
    x = np.asarray(x.detach().cpu() if isinstance(x, torch.Tensor) else x, dtype=dtype or config.floatx())
    if x.ndim != 3:
        raise ValueError(f"array_to_img expects one image of rank 3 (height, width, channels), got an array of "
                         f"shape {x.shape}. For a batch, convert each image: array_to_img(batch[i]).")
    if data_format == "channels_first":
        x = x.transpose(1, 2, 0)
    if scale:
        x = x - np.min(x)
        top = np.max(x)
        if top != 0:
            x = x / top
        x = x * 255
    channels = x.shape[2]
    if channels == 4:
        return Image.fromarray(x.astype("uint8"), "RGBA")
    if channels == 3:
        return Image.fromarray(x.astype("uint8"), "RGB")
    if channels == 1:
        if np.max(x) > 255:     # beyond 8 bits: a 32-bit integer grayscale image, as Keras makes it
            return Image.fromarray(x[:, :, 0].astype("int32"), "I")
        return Image.fromarray(x[:, :, 0].astype("uint8"), "L")
    raise ValueError(f"array_to_img: an image needs 1, 3 or 4 channels, got {channels} (shape {x.shape}, "
                     f"data_format={data_format!r}). Check data_format.")


def img_to_array(img, data_format=None, dtype=None):
    """Converts a PIL image to a 3D numpy array.

    Args:
        img: A PIL image (or anything `np.asarray` reads as a 2D or 3D array).
        data_format: `"channels_last"` or `"channels_first"`. Defaults to `None`:
            `config.image_data_format()`.
        dtype: Output dtype. Defaults to `None`: `config.floatx()`.

    Returns:
        A numpy array `(height, width, channels)` (or `(channels, height, width)`).

    Example:
    >>> import numpy as np
    >>> img_to_array(array_to_img(np.zeros((4, 6, 1)), scale=False)).shape
    (4, 6, 1)
    """
    data_format = config.standardize_data_format(data_format)
    x = np.asarray(img, dtype=dtype or config.floatx())
    if x.ndim == 3:
        return x.transpose(2, 0, 1) if data_format == "channels_first" else x
    if x.ndim == 2:
        return x[None] if data_format == "channels_first" else x[..., None]
    raise ValueError(f"img_to_array: expected a 2D (grayscale) or 3D image, got shape {x.shape}.")


def save_img(path, x, data_format=None, file_format=None, scale=True, **kwargs):
    """Saves an image array to a path or file object (PNG, JPEG, ...).

    Args:
        path: Path or writable file object.
        x: Image array of rank 3.
        data_format: `"channels_last"` or `"channels_first"`. Defaults to `None`:
            `config.image_data_format()`.
        file_format: Optional format (`"png"`, `"jpeg"`, ...). Defaults to `None`: from the
            file extension (needed for a file object).
        scale: Whether to rescale values to 0..255 first. Defaults to `True`.
        **kwargs: Passed to `PIL.Image.Image.save` (e.g. `quality=90`).

    Example:
    >>> import numpy as np, os, tempfile
    >>> save_img(os.path.join(tempfile.mkdtemp(), "a.png"), np.random.rand(8, 8, 3))
    """
    data_format = config.standardize_data_format(data_format)
    if file_format is None and isinstance(path, (str, pathlib.Path)):
        file_format = pathlib.Path(path).suffix[1:].lower()
    if file_format and file_format.lower() == "jpg":
        file_format = "jpeg"
    img = array_to_img(x, data_format=data_format, scale=scale)
    if img.mode == "RGBA" and file_format == "jpeg":
        warnings.warn("save_img: JPEG has no alpha channel; the RGBA image is saved as RGB.", stacklevel=2)
        img = img.convert("RGB")
    img.save(path, format=file_format or None, **kwargs)


def load_img(path, color_mode="rgb", target_size=None, interpolation="nearest", keep_aspect_ratio=False):
    """Loads an image file into a PIL image, optionally resized.

    Args:
        path: Path (string, `pathlib.Path` or bytes) or an `io.BytesIO`.
        color_mode: `"grayscale"`, `"rgb"` or `"rgba"`. Defaults to `"rgb"`. Grayscale keeps
            16- and 32-bit grayscale images as they are.
        target_size: Optional `(height, width)`. Defaults to `None` (original size).
        interpolation: PIL resampling for `target_size`: `"nearest"`, `"bilinear"`,
            `"bicubic"`, `"hamming"`, `"box"` or `"lanczos"`. Defaults to `"nearest"`.
        keep_aspect_ratio: Crop the largest centred box of the target aspect ratio before
            resizing, instead of distorting. Defaults to `False`.

    Returns:
        A `PIL.Image.Image`.

    Example:
    >>> import numpy as np, os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "a.png")
    >>> save_img(path, np.random.rand(8, 12, 3))
    >>> load_img(path, target_size=(4, 4)).size
    (4, 4)
    """
    Image = _pil()
    if isinstance(path, io.BytesIO):
        img = Image.open(path)
    elif isinstance(path, (pathlib.Path, bytes, str)):
        with open(str(path.resolve()) if isinstance(path, pathlib.Path) else path, "rb") as f:
            img = Image.open(io.BytesIO(f.read()))
    else:
        raise TypeError(f"load_img: `path` must be a path (str, bytes, pathlib.Path) or an io.BytesIO, got "
                        f"{type(path).__name__}.")
    if color_mode == "grayscale":
        if img.mode not in ("L", "I;16", "I"):
            img = img.convert("L")
    elif color_mode in ("rgb", "rgba"):
        if img.mode != color_mode.upper():
            img = img.convert(color_mode.upper())
    else:
        raise ValueError(f"load_img: `color_mode` must be 'grayscale', 'rgb' or 'rgba', got color_mode={color_mode!r}.")
    if target_size is None:
        return img
    size = (int(target_size[1]), int(target_size[0]))    # PIL speaks (width, height)
    if img.size == size:
        return img
    if interpolation not in _RESAMPLING:
        raise ValueError(f"load_img: unknown interpolation={interpolation!r}; use one of "
                         f"{', '.join(map(repr, _RESAMPLING))}.")
    resample = getattr(getattr(Image, "Resampling", Image), interpolation.upper())
    if not keep_aspect_ratio:
        return img.resize(size, resample)
    width, height = img.size
    crop_h = min(height, (width * size[1]) // size[0])
    crop_w = min(width, (height * size[0]) // size[1])
    top, left = (height - crop_h) // 2, (width - crop_w) // 2
    return img.resize(size, resample, box=[left, top, left + crop_w, top + crop_h])


def smart_resize(x, size, interpolation="bilinear", data_format="channels_last", **kwargs):
    """Resizes images to `size` without distorting them: the largest centred crop of the target
    aspect ratio, then a resize (as Keras' torch backend resizes, `antialias=False`).

    Args:
        x: Image `(height, width, channels)` or batch `(batch, height, width, channels)`
            (channels first with `data_format="channels_first"`), numpy or torch.
        size: `(height, width)`.
        interpolation: `"bilinear"`, `"nearest"` or `"bicubic"`. Defaults to `"bilinear"`.
            (Keras' `"lanczos3"`/`"lanczos5"` are refused, as by Keras' torch backend.)
        data_format: `"channels_last"` or `"channels_first"`. Defaults to `"channels_last"`.

    Returns:
        Resized images of the input's kind (numpy in, numpy out) and dtype.

    Example:
    >>> import numpy as np
    >>> smart_resize(np.ones((340, 500, 3)), (200, 200)).shape
    (200, 200, 3)
    """
    if kwargs:
        raise TypeError(f"smart_resize() got unexpected keyword arguments {sorted(kwargs)}.")
    if len(size) != 2:
        raise ValueError(f"smart_resize: `size` must be (height, width), got {size!r}.")
    if interpolation in ("lanczos3", "lanczos5"):
        raise ValueError(f"smart_resize: interpolation={interpolation!r} is not supported on torch (as in Keras' "
                         f"torch backend); use 'bicubic'.")
    if interpolation not in _RESIZE_MODES:
        raise ValueError(f"smart_resize: `interpolation` must be 'bilinear', 'nearest' or 'bicubic', got "
                         f"{interpolation!r}.")
    data_format = config.standardize_data_format(data_format)
    was_numpy = not isinstance(x, torch.Tensor)
    img = torch.as_tensor(np.asarray(x)) if was_numpy else x
    if img.ndim not in (3, 4):
        raise ValueError(f"smart_resize expects an image (height, width, channels) or a batch (batch, height, width, "
                         f"channels), got shape {tuple(img.shape)}.")
    batch = img if img.ndim == 4 else img[None]
    if data_format == "channels_last":
        batch = batch.permute(0, 3, 1, 2)
    height, width = batch.shape[-2:]
    th, tw = int(size[0]), int(size[1])
    crop_h = max(min(height, int(float(width * th) / tw)), 1)
    crop_w = max(min(width, int(float(height * tw) / th)), 1)
    top, left = int(float(height - crop_h) / 2), int(float(width - crop_w) / 2)
    batch = batch[..., top:top + crop_h, left:left + crop_w]
    out_dtype = batch.dtype
    if out_dtype not in (torch.float32, torch.float64):
        batch = batch.to(torch.float32)
    mode = _RESIZE_MODES[interpolation]
    out = F.interpolate(batch, size=(th, tw), mode=mode,
                        align_corners=False if mode in ("bilinear", "bicubic") else None)
    if interpolation == "bicubic" and out_dtype == torch.uint8:
        out = out.clamp(0, 255)
    if out_dtype != out.dtype:
        if not out_dtype.is_floating_point:
            out = torch.round(out)
        out = out.to(out_dtype)
    if data_format == "channels_last":
        out = out.permute(0, 2, 3, 1)
    out = out if img.ndim == 4 else out[0]
    return out.numpy() if was_numpy else out
