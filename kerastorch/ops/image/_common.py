"""What the image ops share: argument checks, layouts, and sampling at fractional coordinates.

`map_coordinates` is the sampling core (Keras' own semantics, after `jax.scipy.ndimage`): each
coordinate contributes its neighbouring grid points (one for `order=0`, two for `order=1`) with
linear weights, out-of-range points are moved back in by the fill mode's rule, and with
`fill_mode="constant"` a point outside the input reads `fill_value` instead.
"""

import functools
import operator

import torch

from kerastorch import config
from kerastorch.ops._utils import tensor

INTERPOLATIONS = ("nearest", "bilinear")       # affine / perspective / elastic
FILL_MODES = ("constant", "nearest", "wrap", "mirror", "reflect")


def shape_of(x):
    return tuple(int(d) for d in x.shape)


def data_format_of(name, data_format):
    if data_format is None:
        return config.image_data_format()
    value = str(data_format).lower()
    if value not in ("channels_last", "channels_first"):
        raise ValueError(f"ops.image.{name}: data_format must be 'channels_last' or 'channels_first', "
                         f"got {data_format!r}.")
    return value


def images_of(name, images, ranks=(3, 4), what="images"):
    images = tensor(images)
    if images.ndim not in ranks:
        expected = " or ".join(f"rank {r}" for r in ranks)
        hint = {3: "a single image", 4: "a batch of images", 5: "a batch of volumes"}
        kinds = ", ".join(f"{r} ({hint.get(r, '')})" for r in ranks)
        raise ValueError(f"ops.image.{name}: expected `{what}` of {expected} ({kinds}), got shape "
                         f"{shape_of(images)}.")
    return images


def choice(name, what, value, allowed):
    if value not in allowed:
        raise ValueError(f"ops.image.{name}: invalid {what}={value!r}. Expected one of "
                         f"{', '.join(repr(a) for a in allowed)}.")
    return value


def float_dtype_of(x):
    """The dtype to compute in: `x`'s own when it is a float, else float32."""
    return x.dtype if x.is_floating_point() else torch.float32


def round_back(result, dtype):
    """`result` in `dtype`; integer outputs are rounded first (not truncated)."""
    if result.dtype == dtype:
        return result
    if not (dtype.is_floating_point or dtype.is_complex) and result.is_floating_point():
        result = torch.round(result)
    return result.to(dtype)


# ------------------------------------------------------------------------- fill-mode index rules
def _mirror(index, size):
    if size == 1:
        return torch.zeros_like(index)
    period = size - 1
    return torch.abs((index + period) % (2 * period) - period)


def _reflect(index, size):
    return torch.div(_mirror(2 * index + 1, 2 * size + 1) - 1, 2, rounding_mode="floor")


INDEX_FIXERS = {
    "constant": lambda index, size: torch.clamp(index, 0, size - 1),
    "nearest": lambda index, size: torch.clamp(index, 0, size - 1),
    "wrap": lambda index, size: torch.remainder(index, size),
    "mirror": _mirror,
    "reflect": _reflect,
}


def interpolation_nodes(coordinate, order):
    """The grid points a coordinate reads and their weights (`None` is a weight of one)."""
    if order == 0:
        rounded = coordinate if not coordinate.is_floating_point() else torch.round(coordinate)
        return [(rounded.to(torch.int64), None)]
    lower = torch.floor(coordinate)
    upper_weight = coordinate - lower
    index = lower.to(torch.int64)
    return [(index, 1 - upper_weight), (index + 1, upper_weight)]


def check_order(name, order):
    if order not in (0, 1) or isinstance(order, bool):
        raise NotImplementedError(
            f"ops.image.{name}: order={order!r} is not supported; Keras' map_coordinates offers "
            "order=0 (nearest) and order=1 (linear) only. Use one of those.")


def sample(inputs, coordinates, order, fill_mode, fill_value, gather):
    """Interpolates `inputs` at `coordinates` (one tensor per sampled axis).

    `gather(indices)` reads the input at a tuple of integer index tensors (already moved inside the
    input by the fill mode) and returns values broadcastable against the coordinates.
    """
    sizes = [int(s) for s in gather.sizes]
    fixer = INDEX_FIXERS[fill_mode]
    per_axis = []
    for coordinate, size in zip(coordinates, sizes):
        nodes = []
        for index, weight in interpolation_nodes(coordinate, order):
            valid = ((index >= 0) & (index < size)) if fill_mode == "constant" else None
            nodes.append((fixer(index, size), valid, weight))
        per_axis.append(nodes)
    total = None
    for combo in _product(per_axis):
        indices, validities, weights = zip(*combo)
        values = gather(indices)
        valid = [v for v in validities if v is not None]
        if valid:
            mask = functools.reduce(operator.and_, valid)
            values = torch.where(gather.expand_mask(mask), values,
                                 torch.as_tensor(fill_value, dtype=values.dtype, device=values.device))
        weights = [w for w in weights if w is not None]
        if weights:
            values = gather.expand_weight(functools.reduce(operator.mul, weights)) * values
        total = values if total is None else total + values
    return total


def _product(lists):
    combos = [[]]
    for options in lists:
        combos = [c + [o] for c in combos for o in options]
    return combos


class PointGather:
    """Reads an N-D array at index tensors of one shape (the general `map_coordinates`)."""

    def __init__(self, inputs):
        self.inputs = inputs
        self.sizes = inputs.shape

    def __call__(self, indices):
        return self.inputs[tuple(indices)]

    @staticmethod
    def expand_mask(mask):
        return mask

    @staticmethod
    def expand_weight(weight):
        return weight


class PixelGather:
    """Reads a batch of NHWC images at per-image (row, column) index tensors `(B, ...)`, every
    channel at once; masks and weights broadcast over the channel axis."""

    def __init__(self, images):
        batch, height, width, channels = images.shape
        self.flat = images.reshape(batch, height * width, channels)
        self.sizes = (height, width)
        self.width = width
        self.batch = torch.arange(batch, device=images.device)

    def __call__(self, indices):
        rows, cols = indices
        flat_index = rows * self.width + cols
        out = self.flat[self.batch.view((-1,) + (1,) * (flat_index.ndim - 1)), flat_index]
        return out

    @staticmethod
    def expand_mask(mask):
        return mask.unsqueeze(-1)

    @staticmethod
    def expand_weight(weight):
        return weight.unsqueeze(-1)


def fill_value_for(dtype, fill_value):
    if not (dtype.is_floating_point or dtype.is_complex) and isinstance(fill_value, (int, float)):
        return int(fill_value)
    return fill_value


def sample_pixels(images, rows, cols, order, fill_mode, fill_value):
    """Samples NHWC `images` at fractional `(rows, cols)` of shape `(B, H', W')`: `(B, H', W', C)`,
    in the images' dtype (integer images rounded)."""
    gather = PixelGather(images)
    out = sample(images, (rows, cols), order, fill_mode, fill_value_for(images.dtype, fill_value),
                 gather)
    return round_back(out, images.dtype)
