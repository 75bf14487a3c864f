"""Filtering image ops: `gaussian_blur`, `sobel_edges`, `ssim` (depthwise convolutions)."""

import torch
import torch.nn.functional as F

from kerastorch.backend.dtypes import result_type, to_torch_dtype
from kerastorch.ops._utils import keras_op
from kerastorch.ops.image import _common

__all__ = ["gaussian_blur", "sobel_edges", "ssim"]


def _pair(name, what, value):
    if isinstance(value, (int, float)) or (isinstance(value, torch.Tensor) and value.ndim == 0):
        value = (value, value)
    try:
        first, second = value
    except (TypeError, ValueError):
        raise ValueError(f"ops.image.{name}: `{what}` must be a pair of numbers, got {value!r}.") from None
    return float(first), float(second)


def _gaussian_1d(size, sigma, dtype, device):
    x = torch.arange(size, dtype=dtype, device=device) - (size - 1) / 2
    kernel = torch.exp(-0.5 * (x / sigma) ** 2)
    return kernel / kernel.sum()


def _same_padding(size):
    total = size - 1
    return total // 2, total - total // 2


def _to_nchw(images, data_format):
    single = images.ndim == 3
    if single:
        images = images.unsqueeze(0)
    if data_format == "channels_last":
        images = images.permute(0, 3, 1, 2)

    def restore(out):
        if data_format == "channels_last":
            out = out.permute(0, 2, 3, 1)
        return out.squeeze(0) if single else out

    return images, restore


@keras_op
def gaussian_blur(images, kernel_size=(3, 3), sigma=(1.0, 1.0), data_format=None):
    """Blurs images with a Gaussian kernel (zero padding, output the size of the input).

    As in Keras' backends, the first entry of `kernel_size` and of `sigma` applies along the
    width (x) and the second along the height (y); with equal entries the order does not matter.

    Args:
        images: Image `(H, W, C)` or batch `(N, H, W, C)` (channels first: `(C, H, W)`,
            `(N, C, H, W)`).
        kernel_size: Pair of positive ints, the kernel's extent along x and y. Defaults to `(3, 3)`.
        sigma: Pair of positive floats, the standard deviations along x and y. Defaults to
            `(1.0, 1.0)`.
        data_format: `"channels_last"` or `"channels_first"`. Defaults to `None`
            (`kerastorch.config.image_data_format()`).

    Returns:
        The blurred images, shaped and typed like `images` (integer images are rounded).

    Example:
    >>> import torch
    >>> image = torch.zeros(5, 5, 1)
    >>> image[2, 2, 0] = 1.0
    >>> round(float(gaussian_blur(image)[..., 0].sum()), 4)
    1.0
    """
    name = "gaussian_blur"
    data_format = _common.data_format_of(name, data_format)
    images = _common.images_of(name, images)
    size_x, size_y = (int(s) for s in _pair(name, "kernel_size", kernel_size))
    sigma_x, sigma_y = _pair(name, "sigma", sigma)
    if size_x < 1 or size_y < 1 or sigma_x <= 0 or sigma_y <= 0:
        raise ValueError(f"ops.image.gaussian_blur: kernel_size and sigma must be positive, got "
                         f"kernel_size={kernel_size!r}, sigma={sigma!r}.")
    batch, restore = _to_nchw(images, data_format)
    dtype = _common.float_dtype_of(images)
    channels = batch.shape[1]
    kernel = torch.outer(_gaussian_1d(size_y, sigma_y, dtype, images.device),
                         _gaussian_1d(size_x, sigma_x, dtype, images.device))
    kernel = kernel.expand(channels, 1, size_y, size_x)
    top, bottom = _same_padding(size_y)
    left, right = _same_padding(size_x)
    x = batch.to(dtype)
    if top == bottom and left == right:
        out = F.conv2d(x, kernel, padding=(top, left), groups=channels)
    else:
        out = F.conv2d(F.pad(x, (left, right, top, bottom)), kernel, groups=channels)
    return _common.round_back(restore(out), images.dtype)


@keras_op
def sobel_edges(images, data_format=None):
    """Vertical and horizontal Sobel gradients of a batch of images (zero padding).

    Args:
        images: Batch `(N, H, W, C)` (channels first: `(N, C, H, W)`).
        data_format: `"channels_last"` or `"channels_first"`. Defaults to `None`
            (`kerastorch.config.image_data_format()`).

    Returns:
        `(N, H, W, C, 2)` (channels first: `(N, C, H, W, 2)`), the last axis holding `[dy, dx]`;
        float images keep their dtype, integer images give float32.

    Example:
    >>> import torch
    >>> image = torch.zeros(1, 3, 3, 1)
    >>> image[0, :, 2, 0] = 1.0
    >>> sobel_edges(image)[0, 1, 1, 0]
    tensor([0., 4.])
    """
    name = "sobel_edges"
    data_format = _common.data_format_of(name, data_format)
    images = _common.images_of(name, images, ranks=(4,))
    x = images if images.is_floating_point() else images.to(to_torch_dtype(result_type(images.dtype, float)))
    if data_format == "channels_last":
        x = x.permute(0, 3, 1, 2)
    channels = x.shape[1]
    sobel_x = torch.tensor([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], dtype=x.dtype, device=x.device)
    kernels = torch.stack([sobel_x.t(), sobel_x])            # [d/dy, d/dx]
    kernels = kernels[:, None].repeat(channels, 1, 1, 1)      # (2C, 1, 3, 3): per channel dy, dx
    edges = F.conv2d(x, kernels, padding=1, groups=channels)  # (N, 2C, H, W)
    n, _, height, width = edges.shape
    edges = edges.reshape(n, channels, 2, height, width).permute(0, 1, 3, 4, 2)
    if data_format == "channels_last":
        edges = edges.permute(0, 2, 3, 1, 4)
    return edges


@keras_op
def ssim(image1, image2, max_val=1.0, filter_size=11, filter_sigma=1.5, k1=0.01, k2=0.03,
         data_format=None):
    """The structural similarity index (Wang et al., 2004) between images, averaged per image.

    Local statistics use a `filter_size` Gaussian window without padding ("valid").

    Args:
        image1: Image `(H, W, C)` or batch `(N, H, W, C)` (channels first: `(C, H, W)`,
            `(N, C, H, W)`).
        image2: Images of the same shape.
        max_val: The dynamic range of the pixels (`1.0`, or `255.0` for 8-bit images).
            Defaults to `1.0`.
        filter_size: Size of the Gaussian window. Defaults to `11`.
        filter_sigma: Standard deviation of the window. Defaults to `1.5`.
        k1: Luminance stabilisation constant. Defaults to `0.01`.
        k2: Contrast stabilisation constant. Defaults to `0.03`.
        data_format: `"channels_last"` or `"channels_first"`. Defaults to `None`
            (`kerastorch.config.image_data_format()`).

    Returns:
        A scalar (one image) or `(N,)` tensor in `image1`'s dtype (as in Keras, an integer
        `image1` gives an integer result: cast the images to float first).

    Example:
    >>> import torch
    >>> image = torch.rand(16, 16, 3)
    >>> round(float(ssim(image, image)), 4)
    1.0
    """
    name = "ssim"
    data_format = _common.data_format_of(name, data_format)
    image1 = _common.images_of(name, image1, what="image1")
    image2 = _common.images_of(name, image2, what="image2")
    if image1.shape != image2.shape:
        raise ValueError(f"ops.image.ssim: image1 and image2 need one shape, got "
                         f"{_common.shape_of(image1)} and {_common.shape_of(image2)}.")
    original = image1.dtype
    compute = to_torch_dtype(result_type(image1.dtype, float))
    a, _ = _to_nchw(image1.to(compute), data_format)
    b, _ = _to_nchw(image2.to(compute), data_format)
    batch, channels, height, width = a.shape
    if filter_size > height or filter_size > width:
        raise ValueError(f"ops.image.ssim: filter_size={filter_size} is larger than the images "
                         f"({height}x{width}); pass a smaller filter_size.")
    x = torch.arange(filter_size, dtype=compute, device=a.device) - (filter_size - 1) / 2.0
    window = torch.exp(-(x ** 2) / (2.0 * filter_sigma ** 2))
    window = window / window.sum()
    kernel = torch.outer(window, window)[None, None]
    a = a.reshape(batch * channels, 1, height, width)
    b = b.reshape(batch * channels, 1, height, width)

    def blur(t):
        return F.conv2d(t, kernel)

    mu1, mu2 = blur(a), blur(b)
    mu1_sq, mu2_sq, mu1_mu2 = mu1 * mu1, mu2 * mu2, mu1 * mu2
    sigma1_sq = blur(a * a) - mu1_sq
    sigma2_sq = blur(b * b) - mu2_sq
    sigma12 = blur(a * b) - mu1_mu2
    c1, c2 = (k1 * max_val) ** 2, (k2 * max_val) ** 2
    numerator = (2.0 * mu1_mu2 + c1) * (2.0 * sigma12 + c2)
    denominator = (mu1_sq + mu2_sq + c1) * (sigma1_sq + sigma2_sq + c2)
    per_image = (numerator / denominator).mean(dim=(1, 2, 3)).reshape(batch, channels).mean(dim=-1)
    if image1.ndim == 3:
        per_image = per_image.squeeze(0)
    return per_image.to(original)
