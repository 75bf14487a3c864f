"""Reshaping layers: `Reshape`, `Permute`, `RepeatVector`, `ZeroPadding1D/2D/3D`,
`Cropping1D/2D/3D` and `UpSampling1D/2D/3D`, channels-last by default.

None of them has weights. Shapes follow Keras: the batch axis is never touched, and
`compute_output_shape` gives the exact result (with `None` where an axis is unknown).
"""

import math

import torch
import torch.nn.functional as F

from kerastorch import config
from kerastorch.layers.base import Layer, format_shape
from kerastorch.layers.conv import from_channels_first, pad_spatial, to_channels_first


def _where(layer):
    return f"{type(layer).__name__} layer '{layer.name}'"


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def _check_rank(layer, input_shape, rank, layout):
    if len(input_shape) != rank:
        raise ValueError(
            f"{_where(layer)} expects {rank}-D input {layout}, got a {len(input_shape)}-D input of "
            f"shape {format_shape(input_shape)}."
        )


# ---------------------------------------------------------------------- Reshape
class Reshape(Layer):
    """Reshapes each sample to `target_shape`; the batch axis is kept.

    Args:
        target_shape: Tuple of ints, the shape of one output sample (without the batch
            axis). One entry may be `-1`, inferred from the sample size.

    Input shape: `(batch_size, *any)`. Output shape: `(batch_size, *target_shape)`.

    Raises:
        ValueError: when the target's size does not match the sample size (at build time
            when the input shape is known, else at call time).

    Example:
    >>> import torch
    >>> from kerastorch import layers
    >>> tuple(layers.Reshape((28, 28, 1))(torch.zeros(2, 784)).shape)
    (2, 28, 28, 1)
    >>> layers.Reshape((-1, 4)).compute_output_shape((None, 3, 8))
    (None, 6, 4)
    """

    def __init__(self, target_shape, **kwargs):
        super().__init__(**kwargs)
        if _is_int(target_shape):
            target_shape = (target_shape,)
        try:
            target = tuple(target_shape)
        except TypeError:
            target = None
        if target is None or not all(_is_int(d) and (d > 0 or d == -1) for d in target):
            raise ValueError(
                f"{_where(self)}: `target_shape` must be a tuple of positive ints (at most one -1), "
                f"without the batch axis, got target_shape={target_shape!r}."
            )
        if target.count(-1) > 1:
            raise ValueError(
                f"{_where(self)}: `target_shape` may hold at most one -1 (the inferred axis), got "
                f"target_shape={target}. Give all but one size explicitly."
            )
        self.target_shape = target
        self.built = True

    def _resolve(self, sample_shape):
        """The target with -1 filled in, checked against `sample_shape` (None where unknown)."""
        target = self.target_shape
        if any(d is None for d in sample_shape):
            return tuple(None if d == -1 else d for d in target)
        size = math.prod(sample_shape)
        known = math.prod(d for d in target if d != -1)
        if -1 in target:
            if known == 0 or size % known:
                self._size_error(sample_shape, f"{size} is not divisible by {known}")
            return tuple(size // known if d == -1 else d for d in target)
        if known != size:
            self._size_error(sample_shape, f"{size} != {known}")
        return target

    def _size_error(self, sample_shape, detail):
        raise ValueError(
            f"{_where(self)} cannot reshape samples of shape {format_shape(tuple(sample_shape))} "
            f"(input shape {format_shape((None, *sample_shape))}, {math.prod(sample_shape)} values) "
            f"to target_shape={self.target_shape} ({detail}). The target must hold the same number "
            "of values as one input sample; use -1 for one axis to have it inferred."
        )

    def call(self, inputs):
        target = self._resolve(tuple(inputs.shape[1:]))
        return inputs.reshape(inputs.shape[0], *target)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], *self._resolve(tuple(input_shape[1:])))

    def get_config(self):
        return {**super().get_config(), "target_shape": list(self.target_shape)}


# ---------------------------------------------------------------------- Permute
class Permute(Layer):
    """Permutes the axes of each sample, e.g. `(batch, a, b)` -> `(batch, b, a)`.

    Args:
        dims: Tuple of ints, a permutation of `1..rank` (axis 0, the batch, is not listed).
            `(2, 1)` swaps the first two sample axes.

    Output shape: the input shape with the sample axes reordered by `dims`.

    Example:
    >>> import torch
    >>> from kerastorch import layers
    >>> tuple(layers.Permute((2, 1))(torch.zeros(2, 10, 64)).shape)
    (2, 64, 10)
    """

    def __init__(self, dims, **kwargs):
        super().__init__(**kwargs)
        try:
            dims = tuple(dims)
        except TypeError:
            dims = (dims,)
        if sorted(dims) != list(range(1, len(dims) + 1)):
            raise ValueError(
                f"{_where(self)}: `dims` must be a permutation of 1..{len(dims)} (sample axes, "
                f"counted from 1; the batch axis 0 stays first), got dims={dims!r}."
            )
        self.dims = dims

    def _check(self, input_shape):
        if len(input_shape) != len(self.dims) + 1:
            raise ValueError(
                f"{_where(self)}: dims={self.dims} permutes {len(self.dims)} sample axes, but the "
                f"input of shape {format_shape(input_shape)} has {len(input_shape) - 1}."
            )

    def call(self, inputs):
        self._check(tuple(inputs.shape))
        return inputs.permute(0, *self.dims)

    def compute_output_shape(self, input_shape):
        self._check(input_shape)
        return (input_shape[0], *(input_shape[d] for d in self.dims))

    def get_config(self):
        return {**super().get_config(), "dims": list(self.dims)}


# ---------------------------------------------------------------------- RepeatVector
class RepeatVector(Layer):
    """Repeats each input vector `n` times: `(batch, features)` -> `(batch, n, features)`.

    Args:
        n: Positive int, the number of repetitions.

    Example:
    >>> import torch
    >>> from kerastorch import layers
    >>> tuple(layers.RepeatVector(3)(torch.zeros(2, 32)).shape)
    (2, 3, 32)
    """

    def __init__(self, n, **kwargs):
        super().__init__(**kwargs)
        if not _is_int(n) or n < 1:
            raise ValueError(f"{_where(self)}: `n` must be a positive integer, got n={n!r}.")
        self.n = n

    def call(self, inputs):
        _check_rank(self, tuple(inputs.shape), 2, "(batch, features)")
        # A real copy (not an expand() view), so later in-place ops cannot alias the repeats.
        return inputs.unsqueeze(1).repeat(1, self.n, 1)

    def compute_output_shape(self, input_shape):
        _check_rank(self, input_shape, 2, "(batch, features)")
        return (input_shape[0], self.n, input_shape[1])

    def get_config(self):
        return {**super().get_config(), "n": self.n}


# ---------------------------------------------------------------------- padding and cropping
def _pairs(layer, value, rank, arg):
    """int -> ((v, v),) * rank; (a, b, ...) -> ((a, a), (b, b), ...); pairs kept (rank > 1).

    For rank 1 a tuple of 2 ints is `(before, after)`, as in Keras.
    """
    def bad():
        example = "(1, 2)" if rank == 1 else f"an int, a tuple of {rank} ints, or {rank} (before, after) pairs"
        return ValueError(
            f"{_where(layer)}: `{arg}` must be a non-negative int or {example}, got {arg}={value!r}."
        )

    if _is_int(value):
        pairs = ((value, value),) * rank
    else:
        try:
            items = tuple(value)
        except TypeError:
            raise bad() from None
        if rank == 1:
            if len(items) != 2 or not all(_is_int(v) for v in items):
                raise bad()
            pairs = (items,)
        else:
            if len(items) != rank:
                raise bad()
            pairs = []
            for item in items:
                if _is_int(item):
                    pairs.append((item, item))
                else:
                    try:
                        pair = tuple(item)
                    except TypeError:
                        raise bad() from None
                    if len(pair) != 2 or not all(_is_int(v) for v in pair):
                        raise bad()
                    pairs.append(pair)
            pairs = tuple(pairs)
    if any(v < 0 for pair in pairs for v in pair):
        raise bad()
    return tuple(tuple(p) for p in pairs)


_LAYOUTS = {1: "(batch, steps, channels)", 2: "(batch, height, width, channels)",
            3: "(batch, depth, height, width, channels)"}
_LAYOUTS_CF = {1: "(batch, channels, steps)", 2: "(batch, channels, height, width)",
               3: "(batch, channels, depth, height, width)"}


class _SpatialLayer(Layer):
    """Shared shape handling of the padding, cropping and upsampling layers."""

    rank = 2
    data_format = "channels_last"

    def _layout(self):
        return (_LAYOUTS if self.data_format == "channels_last" else _LAYOUTS_CF)[self.rank]

    def _spatial(self, input_shape):
        _check_rank(self, input_shape, self.rank + 2, self._layout())
        return input_shape[1:-1] if self.data_format == "channels_last" else input_shape[2:]

    def _with_spatial(self, input_shape, spatial):
        if self.data_format == "channels_last":
            return (input_shape[0], *spatial, input_shape[-1])
        return (input_shape[0], input_shape[1], *spatial)


class _ZeroPadding(_SpatialLayer):
    def __init__(self, padding, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.padding = _pairs(self, padding, self.rank, "padding")
        self.data_format = config.standardize_data_format(data_format)

    def call(self, inputs):
        self._spatial(tuple(inputs.shape))
        x = to_channels_first(inputs, self.data_format)
        return from_channels_first(pad_spatial(x, self.padding), self.data_format)

    def compute_output_shape(self, input_shape):
        spatial = self._spatial(input_shape)
        return self._with_spatial(input_shape, tuple(
            None if n is None else n + a + b for n, (a, b) in zip(spatial, self.padding)))

    def get_config(self):
        padding = list(self.padding[0]) if self.rank == 1 else [list(p) for p in self.padding]
        return {**super().get_config(), "padding": padding, "data_format": self.data_format}


class ZeroPadding1D(_ZeroPadding):
    """Pads sequences with zeros at the start and end of the steps axis.

    Args:
        padding: Int (same on both sides) or tuple `(before, after)`. Defaults to `1`.
        data_format: `"channels_last"` (default, `(batch, steps, channels)`) or
            `"channels_first"`.

    Output shape: `(batch, steps + before + after, channels)`.

    Example:
    >>> import torch
    >>> from kerastorch import layers
    >>> tuple(layers.ZeroPadding1D((1, 2))(torch.ones(2, 3, 4)).shape)
    (2, 6, 4)
    """

    rank = 1

    def __init__(self, padding=1, data_format=None, **kwargs):
        super().__init__(padding, data_format, **kwargs)


class ZeroPadding2D(_ZeroPadding):
    """Pads images with zeros around the height and width axes.

    Args:
        padding: Int, tuple `(symmetric_h, symmetric_w)`, or
            `((top, bottom), (left, right))`. Defaults to `(1, 1)`.
        data_format: `"channels_last"` (default) or `"channels_first"`.

    Output shape: `(batch, height + top + bottom, width + left + right, channels)`.

    Example:
    >>> import torch
    >>> from kerastorch import layers
    >>> tuple(layers.ZeroPadding2D(((1, 0), (2, 3)))(torch.ones(2, 4, 4, 3)).shape)
    (2, 5, 9, 3)
    """

    rank = 2

    def __init__(self, padding=(1, 1), data_format=None, **kwargs):
        super().__init__(padding, data_format, **kwargs)


class ZeroPadding3D(_ZeroPadding):
    """Pads volumes with zeros around the depth, height and width axes.

    Args:
        padding: Int, tuple of 3 ints, or 3 `(before, after)` pairs. Defaults to
            `((1, 1), (1, 1), (1, 1))`.
        data_format: `"channels_last"` (default) or `"channels_first"`.

    Example:
    >>> import torch
    >>> from kerastorch import layers
    >>> tuple(layers.ZeroPadding3D()(torch.ones(1, 2, 2, 2, 3)).shape)
    (1, 4, 4, 4, 3)
    """

    rank = 3

    def __init__(self, padding=((1, 1), (1, 1), (1, 1)), data_format=None, **kwargs):
        super().__init__(padding, data_format, **kwargs)


class _Cropping(_SpatialLayer):
    def __init__(self, cropping, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.cropping = _pairs(self, cropping, self.rank, "cropping")
        self.data_format = config.standardize_data_format(data_format)

    def _out(self, input_shape):
        spatial = self._spatial(input_shape)
        out = []
        for n, (a, b) in zip(spatial, self.cropping):
            if n is not None and n - a - b <= 0:
                raise ValueError(
                    f"{_where(self)}: cropping={self.cropping} removes {a + b} of the {n} positions "
                    f"of an axis of the input of shape {format_shape(input_shape)}, leaving nothing. "
                    "Crop less, or feed larger inputs."
                )
            out.append(None if n is None else n - a - b)
        return tuple(out)

    def call(self, inputs):
        out = self._out((None, *inputs.shape[1:]))
        x = to_channels_first(inputs, self.data_format)
        for axis, ((a, _), size) in enumerate(zip(self.cropping, out)):
            x = x.narrow(axis + 2, a, size)
        return from_channels_first(x, self.data_format)

    def compute_output_shape(self, input_shape):
        return self._with_spatial(input_shape, self._out(input_shape))

    def get_config(self):
        cropping = list(self.cropping[0]) if self.rank == 1 else [list(p) for p in self.cropping]
        config = {**super().get_config(), "cropping": cropping}
        if self.rank > 1:
            config["data_format"] = self.data_format
        return config


class Cropping1D(_Cropping):
    """Crops sequences along the steps axis: `(batch, steps, channels)`.

    Args:
        cropping: Int (both ends) or tuple `(start, end)`. Defaults to `(1, 1)`.

    Output shape: `(batch, steps - start - end, channels)`.

    Example:
    >>> import torch
    >>> from kerastorch import layers
    >>> tuple(layers.Cropping1D((1, 2))(torch.ones(2, 6, 3)).shape)
    (2, 3, 3)
    """

    rank = 1

    def __init__(self, cropping=(1, 1), **kwargs):
        super().__init__(cropping, None, **kwargs)
        self.data_format = "channels_last"


class Cropping2D(_Cropping):
    """Crops images along the height and width axes.

    Args:
        cropping: Int, tuple `(symmetric_h, symmetric_w)`, or
            `((top, bottom), (left, right))`. Defaults to `((0, 0), (0, 0))`.
        data_format: `"channels_last"` (default) or `"channels_first"`.

    Example:
    >>> import torch
    >>> from kerastorch import layers
    >>> tuple(layers.Cropping2D(((2, 2), (4, 4)))(torch.ones(2, 28, 28, 3)).shape)
    (2, 24, 20, 3)
    """

    rank = 2

    def __init__(self, cropping=((0, 0), (0, 0)), data_format=None, **kwargs):
        super().__init__(cropping, data_format, **kwargs)


class Cropping3D(_Cropping):
    """Crops volumes along the depth, height and width axes.

    Args:
        cropping: Int, tuple of 3 ints, or 3 `(start, end)` pairs. Defaults to
            `((1, 1), (1, 1), (1, 1))`.
        data_format: `"channels_last"` (default) or `"channels_first"`.

    Example:
    >>> import torch
    >>> from kerastorch import layers
    >>> tuple(layers.Cropping3D()(torch.ones(1, 4, 5, 6, 2)).shape)
    (1, 2, 3, 4, 2)
    """

    rank = 3

    def __init__(self, cropping=((1, 1), (1, 1), (1, 1)), data_format=None, **kwargs):
        super().__init__(cropping, data_format, **kwargs)


# ---------------------------------------------------------------------- upsampling
def _sizes(layer, value, rank):
    if _is_int(value):
        value = (value,) * rank
    try:
        value = tuple(value)
    except TypeError:
        value = ()
    if len(value) != rank or not all(_is_int(v) and v >= 1 for v in value):
        raise ValueError(
            f"{_where(layer)}: `size` must be a positive int or a tuple of {rank} positive ints, "
            f"got size={value!r}."
        )
    return value


class _UpSampling(_SpatialLayer):
    interpolation = "nearest"

    def call(self, inputs):
        self._spatial(tuple(inputs.shape))
        x = to_channels_first(inputs, self.data_format)
        if self.interpolation == "nearest":
            for axis, s in enumerate(self.size):
                if s > 1:
                    x = x.repeat_interleave(s, dim=axis + 2)
        else:
            # Half-pixel centres without antialiasing: Keras' (and TensorFlow's) image resize.
            out = tuple(n * s for n, s in zip(x.shape[2:], self.size))
            x = F.interpolate(x, size=out, mode="bilinear", align_corners=False)
        return from_channels_first(x, self.data_format)

    def compute_output_shape(self, input_shape):
        spatial = self._spatial(input_shape)
        return self._with_spatial(input_shape, tuple(
            None if n is None else n * s for n, s in zip(spatial, self.size)))


class UpSampling1D(_UpSampling):
    """Repeats each step `size` times along the steps axis of `(batch, steps, features)`.

    Args:
        size: Positive int, the upsampling factor. Defaults to `2`.

    Output shape: `(batch, steps * size, features)`.

    Example:
    >>> import torch
    >>> from kerastorch import layers
    >>> layers.UpSampling1D(2)(torch.tensor([[[1.0], [2.0]]]))[0, :, 0]
    tensor([1., 1., 2., 2.])
    """

    rank = 1

    def __init__(self, size=2, **kwargs):
        super().__init__(**kwargs)
        if not _is_int(size) or size < 1:
            raise ValueError(f"{_where(self)}: `size` must be a positive int, got size={size!r}.")
        self.size = (size,)

    def get_config(self):
        return {**super().get_config(), "size": self.size[0]}


class UpSampling2D(_UpSampling):
    """Upsamples images by integer factors along height and width.

    Args:
        size: Int or tuple of 2 ints, the factors. Defaults to `(2, 2)`.
        data_format: `"channels_last"` (default) or `"channels_first"`.
        interpolation: `"nearest"` (default: each pixel repeated) or `"bilinear"`
            (half-pixel centres, no antialiasing, as Keras' image resize).

    Output shape: `(batch, height * size[0], width * size[1], channels)`.

    Example:
    >>> import torch
    >>> from kerastorch import layers
    >>> tuple(layers.UpSampling2D((2, 3))(torch.zeros(1, 4, 4, 3)).shape)
    (1, 8, 12, 3)
    """

    rank = 2

    def __init__(self, size=(2, 2), data_format=None, interpolation="nearest", **kwargs):
        super().__init__(**kwargs)
        self.size = _sizes(self, size, 2)
        self.data_format = config.standardize_data_format(data_format)
        interpolation = str(interpolation).lower()
        if interpolation not in ("nearest", "bilinear"):
            raise ValueError(
                f"{_where(self)}: `interpolation` must be 'nearest' or 'bilinear' in kerastorch, got "
                f"interpolation={interpolation!r}. (Keras' 'bicubic' and 'lanczos' modes are not "
                "supported.)"
            )
        self.interpolation = interpolation

    def get_config(self):
        return {**super().get_config(), "size": list(self.size), "data_format": self.data_format,
                "interpolation": self.interpolation}


class UpSampling3D(_UpSampling):
    """Upsamples volumes by repeating each voxel along depth, height and width.

    Args:
        size: Int or tuple of 3 ints, the factors. Defaults to `(2, 2, 2)`.
        data_format: `"channels_last"` (default) or `"channels_first"`.

    Example:
    >>> import torch
    >>> from kerastorch import layers
    >>> tuple(layers.UpSampling3D()(torch.zeros(1, 2, 2, 2, 3)).shape)
    (1, 4, 4, 4, 3)
    """

    rank = 3

    def __init__(self, size=(2, 2, 2), data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.size = _sizes(self, size, 3)
        self.data_format = config.standardize_data_format(data_format)

    def get_config(self):
        return {**super().get_config(), "size": list(self.size), "data_format": self.data_format}
