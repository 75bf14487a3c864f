"""`keras.utils.bounding_boxes`: converting, clipping, moving and comparing boxes, on torch tensors.

Formats (case-insensitive): `"xyxy"` [left, top, right, bottom], `"yxyx"`, `"xywh"` [left, top,
width, height], `"center_xywh"`, `"center_yxhw"`, and the relative `"rel_xyxy"`, `"rel_yxyx"`,
`"rel_xywh"`, `"rel_center_xywh"` (coordinates divided by the image width and height).
Inputs may be numpy arrays or tensors; results are torch tensors, as on Keras' torch backend.
"""

import math

import numpy as np
import torch

from kerastorch import config
from kerastorch.backend import to_torch_dtype

SUPPORTED_FORMATS = ("xyxy", "yxyx", "xywh", "center_xywh", "center_yxhw", "rel_xyxy", "rel_yxyx", "rel_xywh",
                     "rel_center_xywh")

# Each format as (x1, y1, x2, y2) from its four columns, and back; `w`/`h` scale relative formats.
_TO_XYXY = {
    "xyxy": lambda a, b, c, d, w, h: (a, b, c, d),
    "yxyx": lambda a, b, c, d, w, h: (b, a, d, c),
    "xywh": lambda a, b, c, d, w, h: (a, b, a + c, b + d),
    "center_xywh": lambda a, b, c, d, w, h: (a - c / 2.0, b - d / 2.0, a + c / 2.0, b + d / 2.0),
    "center_yxhw": lambda a, b, c, d, w, h: (b - d / 2.0, a - c / 2.0, b + d / 2.0, a + c / 2.0),
    "rel_xyxy": lambda a, b, c, d, w, h: (a * w, b * h, c * w, d * h),
    "rel_yxyx": lambda a, b, c, d, w, h: (b * w, a * h, d * w, c * h),
    "rel_xywh": lambda a, b, c, d, w, h: (a * w, b * h, (a + c) * w, (b + d) * h),
    "rel_center_xywh": lambda a, b, c, d, w, h: ((a - c / 2.0) * w, (b - d / 2.0) * h, (a + c / 2.0) * w,
                                                  (b + d / 2.0) * h),
}
_FROM_XYXY = {
    "xyxy": lambda x1, y1, x2, y2, w, h: (x1, y1, x2, y2),
    "yxyx": lambda x1, y1, x2, y2, w, h: (y1, x1, y2, x2),
    "xywh": lambda x1, y1, x2, y2, w, h: (x1, y1, x2 - x1, y2 - y1),
    "center_xywh": lambda x1, y1, x2, y2, w, h: (x1 + (x2 - x1) / 2.0, y1 + (y2 - y1) / 2.0, x2 - x1, y2 - y1),
    "center_yxhw": lambda x1, y1, x2, y2, w, h: (y1 + (y2 - y1) / 2.0, x1 + (x2 - x1) / 2.0, y2 - y1, x2 - x1),
    "rel_xyxy": lambda x1, y1, x2, y2, w, h: (x1 / w, y1 / h, x2 / w, y2 / h),
    "rel_yxyx": lambda x1, y1, x2, y2, w, h: (y1 / h, x1 / w, y2 / h, x2 / w),
    "rel_xywh": lambda x1, y1, x2, y2, w, h: (x1 / w, y1 / h, (x2 - x1) / w, (y2 - y1) / h),
    "rel_center_xywh": lambda x1, y1, x2, y2, w, h: ((x1 + (x2 - x1) / 2.0) / w, (y1 + (y2 - y1) / 2.0) / h,
                                                     (x2 - x1) / w, (y2 - y1) / h),
}


def _tensor(x, dtype=None):
    if isinstance(x, torch.Tensor):
        return x if dtype is None else x.to(dtype)
    array = np.asarray(x)
    if dtype is None and array.dtype == np.float64:
        dtype = to_torch_dtype(config.floatx())   # Python floats / float64 arrays: floatx, as in Keras
    return torch.as_tensor(array, dtype=dtype)


def _columns(boxes):
    return [boxes[..., i:i + 1] for i in range(4)]


def convert_format(boxes, source, target, height=None, width=None, dtype="float32"):
    """Converts boxes between formats.

    Args:
        boxes: Array `(..., 4)`, or a dict whose `"boxes"` entry is one (converted in place).
        source: Format of `boxes`.
        target: Format to return.
        height: Image height; needed when either format is relative.
        width: Image width; needed when either format is relative.
        dtype: dtype of the result. Defaults to `"float32"`.

    Returns:
        The converted boxes (a tensor), or the dict with its `"boxes"` replaced.

    Raises:
        ValueError: an unknown format, a last axis other than 4, or a relative format
            without `height` and `width`.

    Example:
    >>> convert_format([[10, 20, 30, 40]], source="xyxy", target="xywh").tolist()
    [[10.0, 20.0, 20.0, 20.0]]
    """
    if isinstance(boxes, dict):
        boxes["boxes"] = convert_format(boxes["boxes"], source, target, height=height, width=width, dtype=dtype)
        return boxes
    torch_dtype = to_torch_dtype(dtype)
    boxes = _tensor(boxes).to(torch_dtype)
    if boxes.shape[-1] != 4:
        raise ValueError(f"convert_format: `boxes` must have a last axis of 4 coordinates, got shape "
                         f"{tuple(boxes.shape)}.")
    source, target = str(source).lower(), str(target).lower()
    for name, value in (("source", source), ("target", target)):
        if value not in SUPPORTED_FORMATS:
            raise ValueError(f"convert_format: unknown {name} format {value!r}; supported: "
                             f"{', '.join(SUPPORTED_FORMATS)}.")
    if (source.startswith("rel_") or target.startswith("rel_")) and (height is None or width is None):
        raise ValueError(f"convert_format: converting between relative and absolute formats needs `height` and "
                         f"`width`; got source={source!r}, target={target!r}, height={height}, width={width}.")
    if source == target:
        return boxes
    if source.startswith("rel_") and target.startswith("rel_"):   # no image size needed between two of them
        source, target = source[4:], target[4:]
    w = None if width is None else _tensor(width, torch_dtype)
    h = None if height is None else _tensor(height, torch_dtype)
    xyxy = _TO_XYXY[source](*_columns(boxes), w, h)
    return torch.cat(_FROM_XYXY[target](*xyxy, w, h), dim=-1)


def _area(boxes):
    x1, y1, x2, y2 = _columns(boxes)
    return (x2 - x1) * (y2 - y1)


def clip_to_image_size(bounding_boxes, height=None, width=None, bounding_box_format="xyxy"):
    """Clips boxes to the image; boxes left with no area get the label -1.

    Args:
        bounding_boxes: Dict with `"boxes"` `(N, 4)` or `(batch, N, 4)` and optionally
            `"labels"` `(N,)` or `(batch, N)`.
        height: Image height (needed for `"xyxy"`).
        width: Image width (needed for `"xyxy"`).
        bounding_box_format: `"xyxy"` or `"rel_xyxy"` (clipped to [0, 1]). Defaults to `"xyxy"`.

    Returns:
        A new dict with the clipped `"boxes"` (and updated `"labels"`).

    Example:
    >>> import numpy as np
    >>> out = clip_to_image_size({"boxes": np.array([[-10., -20., 150., 160.]]), "labels": np.array([1])},
    ...                          height=100, width=120)
    >>> out["boxes"].tolist(), out["labels"].tolist()
    ([[0.0, 0.0, 120.0, 100.0]], [1])
    """
    if bounding_box_format not in ("xyxy", "rel_xyxy"):
        raise NotImplementedError(f"clip_to_image_size: only 'xyxy' and 'rel_xyxy' boxes are clipped (as in Keras), "
                                  f"got bounding_box_format={bounding_box_format!r}; convert_format() them first.")
    if bounding_box_format == "xyxy" and (height is None or width is None):
        raise ValueError("clip_to_image_size: `height` and `width` must be set for bounding_box_format='xyxy'.")
    boxes = _tensor(bounding_boxes["boxes"])
    labels = bounding_boxes.get("labels")
    hi_x, hi_y = (1.0, 1.0) if bounding_box_format == "rel_xyxy" else (float(width), float(height))
    x1, y1, x2, y2 = _columns(boxes)
    boxes = torch.cat([x1.clamp(0, hi_x), y1.clamp(0, hi_y), x2.clamp(0, hi_x), y2.clamp(0, hi_y)], dim=-1)
    result = dict(bounding_boxes)
    result["boxes"] = boxes
    if labels is not None:
        labels = _tensor(labels)
        result["labels"] = torch.where(_area(boxes).squeeze(-1) > 0, labels, torch.tensor(-1, dtype=labels.dtype))
    return result


def _xyxy_only(where, bounding_box_format):
    if bounding_box_format != "xyxy":
        raise NotImplementedError(f"{where}: only 'xyxy' boxes are supported (as in Keras), got "
                                  f"bounding_box_format={bounding_box_format!r}; convert_format() them first.")


def crop(boxes, top, left, height, width, bounding_box_format="xyxy"):
    """Moves boxes into a crop of the image at `(top, left)` of size `(height, width)`, clipped to it.

    Args:
        boxes: `(N, 4)` or `(batch, N, 4)` boxes.
        top: Top of the crop.
        left: Left of the crop.
        height: Height of the crop.
        width: Width of the crop.
        bounding_box_format: Only `"xyxy"`. Defaults to `"xyxy"`.

    Returns:
        The cropped boxes.

    Example:
    >>> crop([[10., 20., 50., 60.]], top=10, left=20, height=40, width=30).tolist()
    [[0.0, 10.0, 30.0, 40.0]]
    """
    _xyxy_only("crop", bounding_box_format)
    x1, y1, x2, y2 = _columns(_tensor(boxes))
    return torch.cat([(x1 - left).clamp(0, width), (y1 - top).clamp(0, height), (x2 - left).clamp(0, width),
                      (y2 - top).clamp(0, height)], dim=-1)


def pad(boxes, top, left, height=None, width=None, bounding_box_format="xyxy"):
    """Moves boxes by the padding added above (`top`) and left of (`left`) the image.

    Args:
        boxes: `(N, 4)` or `(batch, N, 4)` boxes.
        top: Rows added above.
        left: Columns added on the left.
        height: Unused by Keras' computation (kept for its signature). Defaults to `None`.
        width: Unused by Keras' computation. Defaults to `None`.
        bounding_box_format: Only `"xyxy"`. Defaults to `"xyxy"`.

    Returns:
        The moved boxes.

    Example:
    >>> pad([[1., 2., 3., 4.]], top=10, left=20).tolist()
    [[21.0, 12.0, 23.0, 14.0]]
    """
    _xyxy_only("pad", bounding_box_format)
    x1, y1, x2, y2 = _columns(_tensor(boxes))
    return torch.cat([x1 + left, y1 + top, x2 + left, y2 + top], dim=-1)


def _inverse_affine(center_x, center_y, angle, translate_x, translate_y, scale, shear_x, shear_y, height, width):
    """Keras' inverse affine matrix per batch item, `(batch, 3, 3)` (angles in degrees)."""
    angle = _tensor(angle)
    dtype = angle.dtype
    as_t = [_tensor(v, dtype) for v in (center_x, center_y, translate_x, translate_y, scale, shear_x, shear_y)]
    center_x, center_y, translate_x, translate_y, scale, shear_x, shear_y = as_t
    rot = -angle * (math.pi / 180.0)
    sx, sy = -shear_x * (math.pi / 180.0), -shear_y * (math.pi / 180.0)
    cx, cy = center_x * (width - 1), center_y * (height - 1)
    tx, ty = -translate_x * (width - 1), -translate_y * (height - 1)
    a = torch.cos(rot - sy) / torch.cos(sy)
    b = a * torch.tan(sx) + torch.sin(rot)
    c = -torch.sin(rot - sy) / torch.cos(sy)
    d = torch.cos(rot) - c * torch.tan(sx)
    a0, a1, b0, b1 = d * scale, -b * scale, -c * scale, a * scale
    a2 = cx - a0 * (cx + tx) - a1 * (cy + ty)
    b2 = cy - b0 * (cx + tx) - b1 * (cy + ty)
    n = angle.shape[0]
    zeros, ones = torch.zeros(n, dtype=dtype), torch.ones(n, dtype=dtype)
    rows = [t.expand(n) if t.ndim == 0 else t for t in (a0, a1, a2, b0, b1, b2)]
    return torch.stack(rows + [zeros, zeros, ones], dim=-1).reshape(n, 3, 3)


def affine_transform(boxes, angle, translate_x, translate_y, scale, shear_x, shear_y, height, width,
                     center_x=None, center_y=None, bounding_box_format="xyxy"):
    """Moves boxes through an affine transform of the image (Keras' `RandomAffine` geometry).

    Each box's four corners are transformed and the result is their enclosing box.

    Args:
        boxes: `(batch, N, 4)` boxes.
        angle: Rotation in degrees, one per batch item (`(batch,)`).
        translate_x: Horizontal translation, a fraction of the width, per batch item.
        translate_y: Vertical translation, a fraction of the height, per batch item.
        scale: Scale factor per batch item.
        shear_x: Shear angle in degrees along x, per batch item.
        shear_y: Shear angle in degrees along y, per batch item.
        height: Image height.
        width: Image width.
        center_x: Centre of the transform as a fraction of the width. Defaults to `None` (0.5).
        center_y: Centre as a fraction of the height. Defaults to `None` (0.5).
        bounding_box_format: Only `"xyxy"`. Defaults to `"xyxy"`.

    Returns:
        The transformed boxes, same shape.

    Example:
    >>> import numpy as np
    >>> out = affine_transform(np.array([[[2., 2., 4., 4.]]]), np.zeros(1), np.zeros(1), np.zeros(1),
    ...                        np.ones(1), np.zeros(1), np.zeros(1), height=10, width=10)
    >>> out.tolist()
    [[[2.0, 2.0, 4.0, 4.0]]]
    """
    _xyxy_only("affine_transform", bounding_box_format)
    matrix = _inverse_affine(0.5 if center_x is None else center_x, 0.5 if center_y is None else center_y, angle,
                             translate_x, translate_y, scale, shear_x, shear_y, height, width)
    boxes = _tensor(boxes, matrix.dtype)
    batch, n = boxes.shape[0], boxes.shape[1]
    x1, y1, x2, y2 = boxes.unbind(-1)
    corners = torch.stack([x1, y1, x2, y1, x2, y2, x1, y2], dim=-1).reshape(batch, n, 4, 2)
    corners = torch.cat([corners, torch.ones(batch, n, 4, 1, dtype=corners.dtype)], dim=-1)
    moved = torch.einsum("bnxy,byz->bnxz", corners, matrix[:, :2, :].transpose(1, 2))
    return torch.cat([moved.amin(dim=2), moved.amax(dim=2)], dim=-1)


def _size(image_shape):
    if image_shape is None:
        return None, None
    height, width, _ = image_shape
    return height, width


def encode_box_to_deltas(anchors, boxes, anchor_format, box_format, encoding_format="center_yxhw", variance=None,
                         image_shape=None):
    """Encodes boxes as offsets and log-scales relative to anchors (for a detection head's targets).

    Args:
        anchors: `(N, 4)` anchor boxes.
        boxes: `(N, 4)` or `(batch, N, 4)` boxes.
        anchor_format: Format of `anchors`.
        box_format: Format of `boxes`.
        encoding_format: `"center_yxhw"` or `"center_xywh"`. Defaults to `"center_yxhw"`.
        variance: Optional 4 factors the deltas are divided by.
        image_shape: `(height, width, channels)`, for relative formats.

    Returns:
        The deltas, `(..., 4)`.

    Example:
    >>> encode_box_to_deltas([[0., 0., 10., 10.]], [[0., 0., 10., 10.]], "xyxy", "xyxy").tolist()
    [[0.0, 0.0, 0.0, 0.0]]
    """
    variance = _variance(variance)
    if encoding_format not in ("center_xywh", "center_yxhw"):
        raise ValueError(f"encode_box_to_deltas: `encoding_format` must be 'center_xywh' or 'center_yxhw', got "
                         f"{encoding_format!r}.")
    height, width = _size(image_shape)
    anchors = convert_format(anchors, anchor_format, encoding_format, height=height, width=width)
    boxes = convert_format(boxes, box_format, encoding_format, height=height, width=width)
    eps = config.epsilon()
    anchor_dims = anchors[..., 2:].clamp_min(eps)
    box_dims = boxes[..., 2:].clamp_min(eps)
    deltas = torch.cat([(boxes[..., :2] - anchors[..., :2]) / anchor_dims, torch.log(box_dims / anchor_dims)], -1)
    return deltas if variance is None else deltas / variance


def _variance(variance):
    if variance is None:
        return None
    variance = _tensor(variance, torch.float32)
    if variance.shape[-1] != 4:
        raise ValueError(f"bounding_boxes: `variance` must have 4 values, got {variance.tolist()}.")
    return variance


def decode_deltas_to_boxes(anchors, boxes_delta, anchor_format, box_format, encoded_format="center_yxhw",
                           variance=None, image_shape=None):
    """Decodes deltas relative to anchors back into boxes (the inverse of `encode_box_to_deltas`).

    Args:
        anchors: `(N, 4)` anchors, or a dict of them per feature level.
        boxes_delta: `(N, 4)` or `(batch, N, 4)` deltas (a dict matching `anchors`).
        anchor_format: Format of `anchors`.
        box_format: Format of the returned boxes.
        encoded_format: `"center_yxhw"` or `"center_xywh"`. Defaults to `"center_yxhw"`.
        variance: Optional 4 factors the deltas are multiplied by.
        image_shape: `(height, width, channels)`, for relative formats.

    Returns:
        The boxes (a dict per level when given dicts).

    Example:
    >>> decode_deltas_to_boxes([[0., 0., 10., 10.]], [[0., 0., 0., 0.]], "xyxy", "xyxy").tolist()
    [[0.0, 0.0, 10.0, 10.0]]
    """
    variance = _variance(variance)
    if encoded_format not in ("center_xywh", "center_yxhw"):
        raise ValueError(f"decode_deltas_to_boxes: `encoded_format` must be 'center_xywh' or 'center_yxhw', got "
                         f"{encoded_format!r}.")
    height, width = _size(image_shape)

    def decode(anchor, delta):
        anchor = convert_format(anchor, anchor_format, encoded_format, height=height, width=width)
        delta = _tensor(delta)
        if variance is not None:
            delta = delta * variance
        box = torch.cat([delta[..., :2] * anchor[..., 2:] + anchor[..., :2], torch.exp(delta[..., 2:]) *
                         anchor[..., 2:]], dim=-1)
        return convert_format(box, encoded_format, box_format, height=height, width=width)

    if isinstance(anchors, dict) and isinstance(boxes_delta, dict):
        return {level: decode(anchor, boxes_delta[level]) for level, anchor in anchors.items()}
    return decode(anchors, boxes_delta)


def compute_iou(boxes1, boxes2, bounding_box_format, use_masking=False, mask_val=-1, image_shape=None):
    """Intersection over union of every box in `boxes1` with every box in `boxes2`.

    Args:
        boxes1: `(N, 4)` or `(batch, N, 4)` boxes.
        boxes2: `(M, 4)` or `(batch, M, 4)` boxes.
        bounding_box_format: Format of both.
        use_masking: Whether pairs with a padding box (all coordinates negative) get
            `mask_val`. Defaults to `False`.
        mask_val: Value of masked pairs. Defaults to `-1`.
        image_shape: `(height, width, channels)`, for relative formats.

    Returns:
        `(N, M)` (or `(batch, N, M)`) IoUs.

    Example:
    >>> compute_iou([[0., 0., 2., 2.]], [[1., 1., 3., 3.], [0., 0., 2., 2.]], "xyxy").tolist()
    [[0.1428571492433548, 1.0]]
    """
    boxes1, boxes2 = _tensor(boxes1), _tensor(boxes2)
    for name, b in (("boxes1", boxes1), ("boxes2", boxes2)):
        if b.ndim not in (2, 3):
            raise ValueError(f"compute_iou: `{name}` must be (N, 4) or (batch, N, 4), got shape {tuple(b.shape)}.")
    if "rel" in bounding_box_format and image_shape is None:
        raise ValueError(f"compute_iou: relative boxes ({bounding_box_format!r}) need `image_shape`.")
    height, width = _size(image_shape)
    boxes1 = convert_format(boxes1, bounding_box_format, "yxyx", height=height, width=width)
    boxes2 = convert_format(boxes2, bounding_box_format, "yxyx", height=height, width=width)
    y1a, x1a, y2a, x2a = _columns(boxes1)
    y1b, x1b, y2b, x2b = (c.transpose(-1, -2) for c in _columns(boxes2))
    inter_h = (torch.minimum(y2a, y2b) - torch.maximum(y1a, y1b)).clamp_min(0)
    inter_w = (torch.minimum(x2a, x2b) - torch.maximum(x1a, x1b)).clamp_min(0)
    intersection = inter_h * inter_w
    area1 = _area(boxes1)                               # (..., N, 1)
    area2 = _area(boxes2).transpose(-1, -2)             # (..., 1, M)
    iou = intersection / (area1 + area2 - intersection + config.epsilon())
    if not use_masking:
        return iou
    background = (boxes1.amax(-1, keepdim=True) < 0) | (boxes2.amax(-1, keepdim=True) < 0).transpose(-1, -2)
    return torch.where(background, torch.full_like(iou, float(mask_val)), iou)


def compute_ciou(boxes1, boxes2, bounding_box_format, image_shape=None):
    """Complete IoU (CIoU) of matching pairs of boxes: IoU minus centre-distance and aspect penalties.

    Args:
        boxes1: `(..., 4)` boxes.
        boxes2: `(..., 4)` boxes, paired element-wise with `boxes1`.
        bounding_box_format: Format of both (absolute formats only, as in Keras).
        image_shape: Unused for absolute formats. Defaults to `None`.

    Returns:
        `(...)` CIoU values.

    Example:
    >>> round(float(compute_ciou([[0., 0., 2., 2.]], [[0., 0., 2., 2.]], "xyxy")[0]), 4)
    1.0
    """
    if "rel" in bounding_box_format:
        raise ValueError(f"compute_ciou: relative boxes ({bounding_box_format!r}) are not supported (as in Keras); "
                         f"convert_format() them to an absolute format first.")
    height, width = _size(image_shape)
    eps = config.epsilon()
    b1 = convert_format(boxes1, bounding_box_format, "xyxy", height=height, width=width)
    b2 = convert_format(boxes2, bounding_box_format, "xyxy", height=height, width=width)
    x1a, y1a, x2a, y2a = _columns(b1)
    x1b, y1b, x2b, y2b = _columns(b2)
    w1, h1 = x2a - x1a, y2a - y1a + eps
    w2, h2 = x2b - x1b, y2b - y1b + eps
    inter = ((torch.minimum(x2a, x2b) - torch.maximum(x1a, x1b)).clamp_min(0) *
             (torch.minimum(y2a, y2b) - torch.maximum(y1a, y1b)).clamp_min(0))
    union = w1 * h1 + w2 * h2 - inter + eps
    iou = (inter / (union + eps)).squeeze(-1)
    hull_w = torch.maximum(x2a, x2b) - torch.minimum(x1a, x1b)
    hull_h = torch.maximum(y2a, y2b) - torch.minimum(y1a, y1b)
    diagonal = (hull_w ** 2 + hull_h ** 2 + eps).squeeze(-1)
    centres = (((x1a + x2a) / 2 - (x1b + x2b) / 2) ** 2 + ((y1a + y2a) / 2 - (y1b + y2b) / 2) ** 2).squeeze(-1)
    v = ((4 / math.pi ** 2) * torch.pow(torch.atan(w2 / h2) - torch.atan(w1 / h1), 2)).squeeze(-1)
    alpha = v / (v - iou + (1 + eps))
    return iou - (centres / diagonal + v * alpha)


__all__ = ["affine_transform", "clip_to_image_size", "compute_ciou", "compute_iou", "convert_format", "crop",
           "decode_deltas_to_boxes", "encode_box_to_deltas", "pad"]
