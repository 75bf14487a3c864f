"""MaxNumBoundingBoxes against real Keras 3: padded/truncated boxes and labels, images untouched, config."""

import numpy as np
import pytest
import torch

from kerastorch import layers

CASES = [(3, -1, 5), (7, -1, 5), (5, 0, 5), (2, -3, 1), (4, 2, 6)]


@pytest.mark.parametrize("max_number,fill_value,n", CASES)
def test_max_num_bounding_boxes_matches_keras(keras, max_number, fill_value, n):
    rng = np.random.default_rng(n)
    images = rng.uniform(0, 1, (2, 4, 4, 3)).astype("float32")
    boxes = rng.uniform(0, 4, (2, n, 4)).astype("float32")
    labels = rng.integers(0, 5, (2, n)).astype("float32")
    kwargs = dict(max_number=max_number, fill_value=fill_value, bounding_box_format="xyxy")
    ours, theirs = layers.MaxNumBoundingBoxes(**kwargs), keras.layers.MaxNumBoundingBoxes(**kwargs)
    want = theirs({"images": images, "bounding_boxes": {"boxes": boxes, "labels": labels}})
    got = ours({"images": torch.from_numpy(images),
                "bounding_boxes": {"boxes": torch.from_numpy(boxes), "labels": torch.from_numpy(labels)}})
    for key in ("boxes", "labels"):
        np.testing.assert_array_equal(got["bounding_boxes"][key].numpy(),
                                      keras.ops.convert_to_numpy(want["bounding_boxes"][key]))
    np.testing.assert_array_equal(got["images"].numpy(), keras.ops.convert_to_numpy(want["images"]))
    np.testing.assert_array_equal(ours(torch.from_numpy(images)).numpy(),
                                  keras.ops.convert_to_numpy(theirs(images)))
    strip = ("name",)
    assert {k: v for k, v in ours.get_config().items() if k not in strip} == \
        {k: v for k, v in theirs.get_config().items() if k not in strip}
    shapes = {"images": (2, 4, 4, 3), "bounding_boxes": {"boxes": (2, n, 4), "labels": (2, n)}}
    assert ours.compute_output_shape(shapes)["bounding_boxes"]["boxes"] == (2, max_number, 4)


def test_max_num_bounding_boxes_errors():
    data = {"images": torch.zeros(1, 2, 2, 3), "bounding_boxes": {"boxes": torch.ones(1, 2, 4),
                                                                   "labels": torch.ones(1, 2)}}
    with pytest.raises(ValueError, match="bounding_box_format='xyxy'"):
        layers.MaxNumBoundingBoxes(3)(data)
    with pytest.raises(KeyError, match="unsupported keys"):
        layers.MaxNumBoundingBoxes(3, bounding_box_format="xyxy")(
            {**data, "bounding_boxes": {**data["bounding_boxes"], "scores": torch.ones(1, 2)}})
    with pytest.raises(ValueError, match="positive int"):
        layers.MaxNumBoundingBoxes(0)
