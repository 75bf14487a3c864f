"""`MaxNumBoundingBoxes`: pads or truncates a batch's bounding boxes to a fixed number per image."""

import torch

from kerastorch import config
from kerastorch.layers.base import Layer


class MaxNumBoundingBoxes(Layer):
    """Makes every image hold exactly `max_number` boxes: extra boxes are dropped, missing ones padded.

    Takes Keras' preprocessing dict `{"images": ..., "bounding_boxes": {"boxes": (batch, n, 4),
    "labels": (batch, n)}, ...}` and returns it with `boxes` `(batch, max_number, 4)` and `labels`
    `(batch, max_number)`, padded with `fill_value`; images and other entries pass unchanged, and a
    plain image tensor is returned as is, as in Keras.

    Args:
        max_number: Int, the number of boxes per image in the output.
        fill_value: Value of the padding boxes and labels. Defaults to `-1`. (Keras leaves it out
            of `get_config()`, so a reloaded layer pads with `-1`; kerastorch writes the same config.)
        bounding_box_format: The boxes' format (e.g. `"xyxy"`); required when the input has
            `bounding_boxes`, as in Keras. Defaults to `None`.
        data_format: `"channels_last"` or `"channels_first"`. Defaults to `None`, which means
            `kerastorch.config.image_data_format()`.

    Example:
    >>> import torch
    >>> from kerastorch import layers
    >>> layer = layers.MaxNumBoundingBoxes(3, bounding_box_format="xyxy")
    >>> out = layer({"images": torch.zeros(1, 4, 4, 3),
    ...              "bounding_boxes": {"boxes": torch.ones(1, 2, 4), "labels": torch.ones(1, 2)}})
    >>> out["bounding_boxes"]["labels"]
    tensor([[ 1.,  1., -1.]])
    """

    def __init__(self, max_number, fill_value=-1, bounding_box_format=None, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.max_number = int(max_number)
        if self.max_number < 1:
            raise ValueError(f"MaxNumBoundingBoxes layer '{self.name}': `max_number` must be a positive int, "
                             f"got max_number={max_number!r}.")
        self.fill_value = int(fill_value)
        self.bounding_box_format = bounding_box_format
        self.data_format = config.standardize_data_format(data_format)

    def _pad(self, x, width):
        x = x[:, :self.max_number]
        missing = self.max_number - x.shape[1]
        if missing > 0:
            pad = torch.full((x.shape[0], missing, *x.shape[2:]), self.fill_value, dtype=x.dtype, device=x.device)
            x = torch.cat([x, pad], dim=1)
        return x.reshape(x.shape[0], self.max_number, *([width] if width else []))

    def forward(self, inputs, training=None, mask=None):
        if not isinstance(inputs, dict):
            return super().forward(inputs, training=training, mask=mask)
        if "bounding_boxes" not in inputs:
            return dict(inputs)
        if self.bounding_box_format is None:
            raise ValueError(
                f"MaxNumBoundingBoxes layer '{self.name}': the input has a 'bounding_boxes' entry but no "
                "bounding box format was given. Pass bounding_box_format='xyxy' (or your boxes' format)."
            )
        boxes = inputs["bounding_boxes"]
        extra = set(boxes) - {"boxes", "labels"}
        if extra:
            raise KeyError(f"MaxNumBoundingBoxes layer '{self.name}': unsupported keys in `bounding_boxes`: "
                           f"{sorted(extra)}. Only 'boxes' and 'labels' are supported.")
        out = dict(inputs)
        out["bounding_boxes"] = {**boxes, "boxes": self._pad(torch.as_tensor(boxes["boxes"]), 4),
                                 "labels": self._pad(torch.as_tensor(boxes["labels"]), None)}
        return out

    def call(self, inputs):
        return inputs

    def compute_output_shape(self, input_shape):
        if isinstance(input_shape, dict) and "bounding_boxes" in input_shape:
            shapes = dict(input_shape)
            b = dict(shapes["bounding_boxes"])
            b["boxes"] = (b["boxes"][0], self.max_number, *tuple(b["boxes"])[2:])
            b["labels"] = (b["labels"][0], self.max_number)
            shapes["bounding_boxes"] = b
            return shapes
        return tuple(input_shape)

    def get_config(self):
        config = {**super().get_config(), "data_format": self.data_format}
        if self.bounding_box_format is not None:       # Keras writes it only when set
            config["bounding_box_format"] = self.bounding_box_format
        return {**config, "max_number": self.max_number}
