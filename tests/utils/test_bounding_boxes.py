"""`utils.bounding_boxes` equals real Keras' (on its torch backend) over every format pair and a table of calls."""

import itertools

import numpy as np
import pytest
import torch

from kerastorch.utils import bounding_boxes as bb

RNG = np.random.default_rng(3)
XYXY = np.concatenate([RNG.uniform(0, 50, (2, 5, 2)), RNG.uniform(60, 120, (2, 5, 2))], -1).astype("float32")
FORMATS = bb.SUPPORTED_FORMATS


def _np(x):
    return x.detach().cpu().numpy() if isinstance(x, torch.Tensor) else np.asarray(x)


def _close(ours, theirs, rtol=1e-6, atol=1e-5):
    a, b = _np(ours), _np(theirs)
    assert a.shape == b.shape and a.dtype == b.dtype
    np.testing.assert_allclose(a, b, rtol=rtol, atol=atol)


def test_convert_format_equals_keras_for_every_pair(keras):
    kb = keras.utils.bounding_boxes
    for source, target in itertools.product(FORMATS, FORMATS):
        boxes = np.asarray(kb.convert_format(XYXY, "xyxy", source, height=130, width=140))
        for dtype in ("float32", "float64"):
            _close(bb.convert_format(boxes, source, target, height=130, width=140, dtype=dtype),
                   kb.convert_format(boxes, source, target, height=130, width=140, dtype=dtype))
    as_dict = bb.convert_format({"boxes": XYXY[0], "labels": np.arange(5)}, "xyxy", "xywh")
    _close(as_dict["boxes"], kb.convert_format(XYXY[0], "xyxy", "xywh"))


def test_box_operations_equal_keras(keras):
    kb = keras.utils.bounding_boxes
    labels = np.arange(10).reshape(2, 5)
    big = XYXY * 1.5 - 20
    for height, width in [(100, 120), (60, 200)]:
        ours = bb.clip_to_image_size({"boxes": big, "labels": labels}, height=height, width=width)
        theirs = kb.clip_to_image_size({"boxes": big, "labels": labels}, height=height, width=width)
        _close(ours["boxes"], theirs["boxes"])
        np.testing.assert_array_equal(_np(ours["labels"]), _np(theirs["labels"]))
    rel = (XYXY / 100.0 - 0.2).astype("float32")
    _close(bb.clip_to_image_size({"boxes": rel, "labels": labels}, bounding_box_format="rel_xyxy")["boxes"],
           kb.clip_to_image_size({"boxes": rel, "labels": labels}, bounding_box_format="rel_xyxy")["boxes"])
    for top, left, h, w in [(10, 20, 40, 30), (0, 0, 200, 200), (70, 5, 30, 90)]:
        _close(bb.crop(XYXY, top, left, h, w), kb.crop(XYXY, top, left, h, w))
        _close(bb.pad(XYXY, top, left), kb.pad(XYXY, top, left))
    for params in [(15.0, 0.1, -0.2, 1.2, 5.0, -3.0, None, None), (-30.0, 0.0, 0.05, 0.8, 0.0, 10.0, 0.3, 0.6)]:
        angle, tx, ty, scale, shx, shy, cx, cy = params
        args = [np.full(2, v, "float32") for v in (angle, tx, ty, scale, shx, shy)]
        _close(bb.affine_transform(XYXY, *args, height=130, width=140, center_x=cx, center_y=cy),
               kb.affine_transform(XYXY, *args, height=130, width=140, center_x=cx, center_y=cy), atol=1e-3)


@pytest.mark.parametrize("fmt", ["xyxy", "yxyx", "center_xywh", "rel_xyxy"])
def test_iou_ciou_and_deltas_equal_keras(keras, fmt):
    kb = keras.utils.bounding_boxes
    shape = (130, 140, 3)
    b1 = np.asarray(kb.convert_format(XYXY, "xyxy", fmt, height=130, width=140))
    b2 = np.asarray(kb.convert_format(XYXY[:, ::-1] + 7, "xyxy", fmt, height=130, width=140))
    _close(bb.compute_iou(b1, b2, fmt, image_shape=shape), kb.compute_iou(b1, b2, fmt, image_shape=shape))
    _close(bb.compute_iou(b1[0], b2[0], fmt, image_shape=shape), kb.compute_iou(b1[0], b2[0], fmt, image_shape=shape))
    _close(bb.compute_iou(b1, b2[0], fmt, image_shape=shape), kb.compute_iou(b1, b2[0], fmt, image_shape=shape))
    masked = b2.copy()
    masked[:, 1] = -1
    _close(bb.compute_iou(b1, masked, fmt, use_masking=True, mask_val=-2, image_shape=shape),
           kb.compute_iou(b1, masked, fmt, use_masking=True, mask_val=-2, image_shape=shape))
    if not fmt.startswith("rel"):
        _close(bb.compute_ciou(b1, b2, fmt), kb.compute_ciou(b1, b2, fmt))
    anchors = b1[0]
    for encoding, variance in [("center_yxhw", None), ("center_xywh", [0.1, 0.1, 0.2, 0.2])]:
        ours = bb.encode_box_to_deltas(anchors, b2, fmt, fmt, encoding, variance, image_shape=shape)
        theirs = kb.encode_box_to_deltas(anchors, b2, fmt, fmt, encoding, variance, image_shape=shape)
        _close(ours, theirs)
        _close(bb.decode_deltas_to_boxes(anchors, _np(theirs), fmt, "xyxy", encoding, variance, image_shape=shape),
               kb.decode_deltas_to_boxes(anchors, theirs, fmt, "xyxy", encoding, variance, image_shape=shape),
               atol=1e-3)
    levels = bb.decode_deltas_to_boxes({"p3": anchors}, {"p3": np.zeros_like(b2[0])}, fmt, fmt, image_shape=shape)
    _close(levels["p3"], kb.convert_format(anchors, fmt, fmt, height=130, width=140), atol=1e-3)


def test_bounding_box_errors():
    with pytest.raises(ValueError, match="unknown target format 'xyzw'"):
        bb.convert_format(XYXY, "xyxy", "xyzw")
    with pytest.raises(ValueError, match="needs `height` and `width`"):
        bb.convert_format(XYXY, "xyxy", "rel_xyxy")
    with pytest.raises(ValueError, match=r"last axis of 4.*\(2, 3\)"):
        bb.convert_format(np.zeros((2, 3)), "xyxy", "xywh")
    with pytest.raises(NotImplementedError, match="only 'xyxy'.*convert_format"):
        bb.crop(XYXY, 0, 0, 10, 10, bounding_box_format="xywh")
    with pytest.raises(ValueError, match="`variance` must have 4 values"):
        bb.encode_box_to_deltas(XYXY[0], XYXY[0], "xyxy", "xyxy", variance=[1, 2])
