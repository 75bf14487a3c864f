"""Geometric image ops: `map_coordinates`, `affine_transform`, `perspective_transform`,
`elastic_transform`. Each samples the input at computed coordinates, all images and channels in
one vectorised pass."""

import torch

from kerastorch.backend.dtypes import result_type, to_torch_dtype
from kerastorch.ops._utils import keras_op, tensor
from kerastorch.ops.image import _common
from kerastorch.ops.image._filters import gaussian_blur

__all__ = ["affine_transform", "elastic_transform", "map_coordinates", "perspective_transform"]


@keras_op
def map_coordinates(inputs, coordinates, order, fill_mode="constant", fill_value=0):
    """Samples an array at the given (fractional) coordinates by interpolation.

    Near the edges this follows `jax.scipy.ndimage.map_coordinates` (scipy issue 2640 fixed).

    Args:
        inputs: The N-D input array.
        coordinates: N arrays of one shape (or one array with leading axis N): the coordinate
            along each input axis of every output point.
        order: `0` (nearest neighbour) or `1` (linear).
        fill_mode: How points outside the input are read. Defaults to `"constant"`.
            - `"constant"`: `(k k k k | a b c d | k k k k)` with `k = fill_value`.
            - `"nearest"`: `(a a a a | a b c d | d d d d)`.
            - `"wrap"`: `(a b c d | a b c d | a b c d)`.
            - `"mirror"`: `(c d c b | a b c d | c b a b)`.
            - `"reflect"`: `(d c b a | a b c d | d c b a)`.
        fill_value: The value read outside the input with `fill_mode="constant"`. Defaults to `0`.

    Returns:
        An array of the coordinates' shape and the input's dtype (integer inputs are rounded).

    Example:
    >>> import torch
    >>> map_coordinates(torch.tensor([0.0, 10.0, 20.0]), [torch.tensor([0.5, 1.25, 3.0])], order=1)
    tensor([ 5.0000, 12.5000,  0.0000])
    """
    inputs = tensor(inputs)
    coordinate_list = [tensor(c) for c in coordinates]
    if len(coordinate_list) != inputs.ndim:
        raise ValueError(f"ops.image.map_coordinates: need one coordinate array per input axis: "
                         f"inputs.shape={_common.shape_of(inputs)} but {len(coordinate_list)} "
                         "coordinate arrays were given.")
    if coordinate_list and coordinate_list[0].ndim < 1:
        raise ValueError("ops.image.map_coordinates: `coordinates` must have rank >= 2 (one array of "
                         f"points per input axis), got shape ({len(coordinate_list)},).")
    if len({tuple(c.shape) for c in coordinate_list}) > 1:
        raise ValueError("ops.image.map_coordinates: the coordinate arrays need one shape, got "
                         f"{[_common.shape_of(c) for c in coordinate_list]}.")
    _common.choice("map_coordinates", "fill_mode", fill_mode, _common.FILL_MODES)
    _common.check_order("map_coordinates", order)
    coordinate_list = [c.to(inputs.device) for c in coordinate_list]
    fill = _common.fill_value_for(inputs.dtype, fill_value)
    out = _common.sample(inputs, coordinate_list, order, fill_mode, fill, _common.PointGather(inputs))
    return _common.round_back(out, inputs.dtype)


def _to_nhwc(images, data_format):
    """`images` as a batch in NHWC, and a function that undoes the change."""
    single = images.ndim == 3
    if single:
        images = images.unsqueeze(0)
    if data_format == "channels_first":
        images = images.permute(0, 2, 3, 1)

    def restore(out):
        if data_format == "channels_first":
            out = out.permute(0, 3, 1, 2)
        return out.squeeze(0) if single else out

    return images, restore


def _per_image(name, what, params, batch):
    """Broadcasts one set of per-image parameters `(1, ...)` over a batch, or checks its size."""
    if params.shape[0] == batch:
        return params
    if params.shape[0] == 1:
        return params.expand((batch,) + tuple(params.shape[1:]))
    raise ValueError(f"ops.image.{name}: got {params.shape[0]} {what} for a batch of {batch} images; "
                     f"pass one per image or a single one for all.")


@keras_op
def affine_transform(images, transform, interpolation="bilinear", fill_mode="constant", fill_value=0,
                     data_format=None):
    """Applies projective transforms to images.

    Each transform `[a0, a1, a2, b0, b1, b2, c0, c1]` maps an *output* point `(x, y)` to the
    *input* point `((a0 x + a1 y + a2) / k, (b0 x + b1 y + b2) / k)` with `k = c0 x + c1 y + 1`
    (the inverse of the map from input to output), where `x` is the column and `y` the row.

    Args:
        images: Image `(H, W, C)` or batch `(N, H, W, C)` (channels first: `(C, H, W)`,
            `(N, C, H, W)`).
        transform: Vector of 8 numbers, or `(N, 8)` (one per image; one row applies to all).
        interpolation: `"nearest"` or `"bilinear"`. Defaults to `"bilinear"`.
        fill_mode: `"constant"`, `"nearest"`, `"wrap"`, `"mirror"` or `"reflect"`: how points
            outside the image are read (see `map_coordinates`). Defaults to `"constant"`.
        fill_value: Value read outside the image with `fill_mode="constant"`. Defaults to `0`.
        data_format: `"channels_last"` or `"channels_first"`. Defaults to `None`
            (`kerastorch.config.image_data_format()`).

    Returns:
        The transformed images, shaped and typed like `images`.

    Example:
    >>> import torch
    >>> image = torch.arange(9.0).reshape(3, 3, 1)
    >>> shift_right = [1, 0, -1, 0, 1, 0, 0, 0]     # output (x, y) reads input (x - 1, y)
    >>> affine_transform(image, shift_right)[..., 0]
    tensor([[0., 0., 1.],
            [0., 3., 4.],
            [0., 6., 7.]])
    """
    name = "affine_transform"
    _common.choice(name, "interpolation", interpolation, _common.INTERPOLATIONS)
    _common.choice(name, "fill_mode", fill_mode, _common.FILL_MODES)
    data_format = _common.data_format_of(name, data_format)
    images = _common.images_of(name, images)
    transform = tensor(transform).to(images.device)
    if transform.ndim not in (1, 2) or transform.shape[-1] != 8:
        raise ValueError(f"ops.image.affine_transform: expected `transform` of shape (8,) or (N, 8), "
                         f"got {_common.shape_of(transform)}.")
    if not transform.is_floating_point():
        transform = transform.float()
    batch_images, restore = _to_nhwc(images, data_format)
    batch, height, width, _ = batch_images.shape
    t = _per_image(name, "transforms", transform.reshape(-1, 8), batch)[:, :, None, None].unbind(1)
    a0, a1, a2, b0, b1, b2, c0, c1 = t
    y = torch.arange(height, dtype=transform.dtype, device=images.device)[:, None]
    x = torch.arange(width, dtype=transform.dtype, device=images.device)[None, :]
    rows = b0 * x + b1 * y + b2
    cols = a0 * x + a1 * y + a2
    k = c0 * x + c1 * y + 1            # exactly 1 for affine transforms, so no branch (no sync)
    rows, cols = rows / k, cols / k
    rows, cols = rows.expand(batch, height, width), cols.expand(batch, height, width)
    order = 0 if interpolation == "nearest" else 1
    out = _common.sample_pixels(batch_images, rows, cols, order, fill_mode, fill_value)
    return restore(out)


def _homographies(start_points, end_points, dtype):
    """The 8 projective coefficients mapping each end (output) quad to its start (input) quad."""
    compute = to_torch_dtype(result_type(dtype, "float32"))
    sx, sy = start_points[..., 0].to(compute), start_points[..., 1].to(compute)
    ex, ey = end_points[..., 0].to(compute), end_points[..., 1].to(compute)
    one, zero = torch.ones_like(ex), torch.zeros_like(ex)
    rows_x = torch.stack([ex, ey, one, zero, zero, zero, -sx * ex, -sx * ey], dim=-1)
    rows_y = torch.stack([zero, zero, zero, ex, ey, one, -sy * ex, -sy * ey], dim=-1)
    matrix = torch.stack([rows_x, rows_y], dim=2).reshape(-1, 8, 8)
    target = torch.stack([sx, sy], dim=-1).reshape(-1, 8, 1)
    return torch.linalg.solve(matrix, target).reshape(-1, 8).to(dtype)


@keras_op
def perspective_transform(images, start_points, end_points, interpolation="bilinear", fill_value=0,
                          data_format=None):
    """Warps images so that the quadrilateral `start_points` lands on `end_points`.

    Args:
        images: Image `(H, W, C)` or batch `(N, H, W, C)` (channels first: `(C, H, W)`,
            `(N, C, H, W)`).
        start_points: `(4, 2)` or `(N, 4, 2)` `(x, y)` corners in the input image.
        end_points: Same shape: where those corners go in the output image.
        interpolation: `"nearest"` or `"bilinear"`. Defaults to `"bilinear"`.
        fill_value: Value for output points that fall outside the input. Defaults to `0`.
        data_format: `"channels_last"` or `"channels_first"`. Defaults to `None`
            (`kerastorch.config.image_data_format()`).

    Returns:
        The warped images, shaped and typed like `images`.

    Example:
    >>> import torch
    >>> corners = [[0, 0], [0, 3], [3, 0], [3, 3]]
    >>> image = torch.arange(16.0).reshape(4, 4, 1)
    >>> bool((perspective_transform(image, corners, corners) == image).all())
    True
    """
    name = "perspective_transform"
    _common.choice(name, "interpolation", interpolation, _common.INTERPOLATIONS)
    data_format = _common.data_format_of(name, data_format)
    images = _common.images_of(name, images)
    dtype = images.dtype if images.is_floating_point() else torch.float32
    start_points = tensor(start_points).to(images.device, dtype)
    end_points = tensor(end_points).to(images.device, dtype)
    for what, points in (("start_points", start_points), ("end_points", end_points)):
        if points.ndim not in (2, 3) or tuple(points.shape[-2:]) != (4, 2):
            raise ValueError(f"ops.image.perspective_transform: `{what}` must have shape (4, 2) or "
                             f"(N, 4, 2), got {_common.shape_of(points)}.")
    if start_points.shape != end_points.shape:
        raise ValueError("ops.image.perspective_transform: start_points and end_points need one shape, "
                         f"got {_common.shape_of(start_points)} and {_common.shape_of(end_points)}.")
    batch_images, restore = _to_nhwc(images, data_format)
    batch, height, width, _ = batch_images.shape
    coefficients = _homographies(start_points.reshape(-1, 4, 2), end_points.reshape(-1, 4, 2), dtype)
    a = _per_image(name, "point sets", coefficients, batch)[:, :, None, None].unbind(1)
    grid_y = torch.arange(height, dtype=dtype, device=images.device)[:, None]
    grid_x = torch.arange(width, dtype=dtype, device=images.device)[None, :]
    denom = a[6] * grid_x + a[7] * grid_y + 1.0
    cols = ((a[0] * grid_x + a[1] * grid_y + a[2]) / denom).expand(batch, height, width)
    rows = ((a[3] * grid_x + a[4] * grid_y + a[5]) / denom).expand(batch, height, width)
    order = 0 if interpolation == "nearest" else 1
    out = _common.sample_pixels(batch_images, rows, cols, order, "constant", fill_value)
    return restore(out)


def _generator(seed, device):
    """A torch.Generator for `seed` (an int or a SeedGenerator-like object), or None (global RNG)."""
    if seed is None:
        return None
    if hasattr(seed, "next") and callable(seed.next):
        drawn = seed.next()
        value = int(torch.as_tensor(drawn).to(torch.int64).sum()) if not isinstance(drawn, int) else drawn
    elif isinstance(seed, int) and not isinstance(seed, bool):
        value = seed
    else:
        raise TypeError(f"ops.image.elastic_transform: `seed` must be None, an int or a SeedGenerator, "
                        f"got {type(seed).__name__} {seed!r}.")
    generator = torch.Generator(device=device)
    generator.manual_seed(value & 0xFFFF_FFFF_FFFF_FFFF)
    return generator


@keras_op
def elastic_transform(images, alpha=20.0, sigma=5.0, interpolation="bilinear", fill_mode="reflect",
                      fill_value=0.0, seed=None, data_format=None):
    """Deforms images elastically: each pixel moves by a smoothed random displacement field.

    Two fields of standard-normal noise (columns, then rows), scaled by `sigma` and blurred with
    a Gaussian of standard deviation `sigma` (kernel size `int(6 * sigma) | 1`), times `alpha`,
    give each output pixel the input point it reads.

    Args:
        images: Image `(H, W, C)` or batch `(N, H, W, C)` (channels first: `(C, H, W)`,
            `(N, C, H, W)`).
        alpha: Strength of the deformation. Defaults to `20.0`.
        sigma: Smoothness of the displacement field. Defaults to `5.0`.
        interpolation: `"nearest"` or `"bilinear"`. Defaults to `"bilinear"`.
        fill_mode: `"constant"`, `"nearest"`, `"wrap"`, `"mirror"` or `"reflect"`. Defaults to
            `"reflect"`.
        fill_value: Value read outside the image with `fill_mode="constant"`. Defaults to `0.0`.
        seed: An int or a `SeedGenerator`: the same seed gives the same deformation. Defaults to
            `None` (torch's global random generator, as on Keras' torch backend).
        data_format: `"channels_last"` or `"channels_first"`. Defaults to `None`
            (`kerastorch.config.image_data_format()`).

    Returns:
        The deformed images, shaped and typed like `images`.

    Example:
    >>> import torch
    >>> image = torch.rand(8, 8, 1)
    >>> bool((elastic_transform(image, alpha=0.0) == image).all())
    True
    """
    name = "elastic_transform"
    _common.choice(name, "interpolation", interpolation, _common.INTERPOLATIONS)
    _common.choice(name, "fill_mode", fill_mode, _common.FILL_MODES)
    data_format = _common.data_format_of(name, data_format)
    images = _common.images_of(name, images)
    batch_images, restore = _to_nhwc(images, data_format)
    batch, height, width, _ = batch_images.shape
    dtype = _common.float_dtype_of(images)
    generator = _generator(seed, images.device)
    alpha = tensor(alpha).to(images.device)
    sigma_t = tensor(sigma).to(images.device)
    size = int(6 * float(sigma)) | 1
    fields = []
    for _ in range(2):                 # columns first, then rows: the order Keras draws them in
        noise = torch.normal(0.0, 1.0, size=(batch, height, width), generator=generator, dtype=dtype,
                             device=images.device) * sigma_t
        blurred = gaussian_blur(noise.unsqueeze(-1), kernel_size=(size, size),
                                sigma=(float(sigma), float(sigma)), data_format="channels_last")
        fields.append(blurred.squeeze(-1))
    grid_y = torch.arange(height, device=images.device)[:, None]
    grid_x = torch.arange(width, device=images.device)[None, :]
    cols = (grid_x + alpha * fields[0]).expand(batch, height, width)
    rows = (grid_y + alpha * fields[1]).expand(batch, height, width)
    order = 0 if interpolation == "nearest" else 1
    out = _common.sample_pixels(batch_images, rows, cols, order, fill_mode, fill_value)
    return restore(out)
