"""`STFT`: the kernels of a short-time Fourier transform, as a constant initializer.

The common windows (Hann, Hamming, Blackman, Bartlett, boxcar and their SciPy aliases) are
computed here with SciPy's formulas; any other `scipy.signal.get_window` name is handed
to SciPy, which is then needed (Keras always needs SciPy for this initializer).
"""

import numpy as np
import torch

from kerastorch.initializers.base import Initializer, _shape, _torch_dtype

# SciPy's names for the windows computed here: name -> cosine coefficients, or a kind.
_COSINE = {"hann": (0.5, 1.0 - 0.5), "hamming": (0.54, 1.0 - 0.54), "blackman": (0.42, 0.50, 0.08)}
_ALIASES = {"han": "hann", "hamm": "hamming", "ham": "hamming", "black": "blackman",
            "blk": "blackman", "bart": "bartlett", "brt": "bartlett", "box": "boxcar",
            "ones": "boxcar", "rect": "boxcar", "rectangular": "boxcar"}
_NATIVE = ("hann", "hamming", "blackman", "bartlett", "boxcar")


def _native_window(name, length, periodic):
    """SciPy's `get_window(name, length, fftbins=periodic)` for the windows in `_NATIVE`."""
    if length <= 1:
        return np.ones(length)
    n = length + 1 if periodic else length  # a periodic window is a symmetric one, one longer
    if name in _COSINE:
        fac = np.linspace(-np.pi, np.pi, n)
        w = np.zeros(n)
        for k, a in enumerate(_COSINE[name]):
            w += a * np.cos(k * fac)
    elif name == "bartlett":
        k = np.arange(0, n, dtype=np.float64)
        w = np.where(k <= (n - 1) / 2.0, 2.0 * k / (n - 1), 2.0 - 2.0 * k / (n - 1))
    else:
        w = np.ones(n)
    return w[:-1] if periodic else w


def _window_name(window):
    """The native window `window` names (SciPy's `_periodic`/`_symmetric` suffixes aside), or None."""
    if not isinstance(window, str):
        return None
    name = window.lower()
    name = _ALIASES.get(name, name)
    return name if name in _NATIVE else None


def _scipy_window(window, length, periodic):
    try:
        from scipy.signal import get_window
    except ImportError:
        raise ValueError(
            f"STFT: the window {window!r} needs SciPy (scipy.signal.get_window), which is not "
            f"installed. Install scipy, or use one of {', '.join(map(repr, _NATIVE))}, or pass "
            "the window's values as an array."
        ) from None
    return get_window(window, length, periodic)


class STFT(Initializer):
    """Kernels of a short-time Fourier transform (the real or the imaginary part), as Keras'.

    For a shape `(frame_length, 1, fft_bins)`, the kernel is
    `cos(-2 pi t f / n)` (`side="real"`) or `sin(-2 pi t f / n)` (`side="imag"`), with
    `t = 0..frame_length-1`, `f = 0..fft_bins-1` and `n = 2 * (fft_bins - 1)`, multiplied by
    the window along `t` and divided by the window's L2 norm (`scaling="density"`) or L1
    norm (`scaling="spectrum"`). Only the first `n / 2 + 1` frequencies are built: the others
    are their conjugates. It is the initializer of Keras' `STFTSpectrogram` layer. Computed
    in `dtype`, in Keras' order of operations.

    Args:
        side: `"real"` or `"imag"`: which part of the transform the kernel computes.
            Defaults to `"real"`.
        window: A `scipy.signal.get_window` name (`"hann"`, `"hamming"`, ...; computed here
            for Hann, Hamming, Blackman, Bartlett and boxcar, by SciPy otherwise), an
            array of `frame_length` values, or `None` for no window. Defaults to `"hann"`.
        scaling: `"density"` (L2), `"spectrum"` (L1) or `None` (no normalisation).
            Defaults to `"density"`.
        periodic: Whether the window is periodic (`fftbins=True` in SciPy) rather than
            symmetric. Defaults to `False`.

    Raises:
        ValueError: for another `side` or `scaling`, an unknown window name, or a shape
            that is not `(frame_length, 1, fft_bins)`.

    Example:
    >>> STFT(side="real", window=None)((4, 1, 3))[:, 0, :]
    tensor([[ 1.0000e+00,  1.0000e+00,  1.0000e+00],
            [ 1.0000e+00, -4.3711e-08, -1.0000e+00],
            [ 1.0000e+00, -1.0000e+00,  1.0000e+00],
            [ 1.0000e+00,  1.1925e-08, -1.0000e+00]])
    """

    def __init__(self, side="real", window="hann", scaling="density", periodic=False):
        if side not in ("real", "imag"):
            raise ValueError(f"STFT: `side` must be 'real' or 'imag', got side={side!r}.")
        if isinstance(window, str) and _window_name(window) is None:
            _scipy_window(window, 1, periodic)   # SciPy raises for an unknown name, as in Keras
        if scaling is not None and scaling not in ("density", "spectrum"):
            raise ValueError(
                f"STFT: `scaling` must be None, 'density' or 'spectrum', got scaling={scaling!r}."
            )
        self.side = side
        self.window = window
        self.scaling = scaling
        self.periodic = periodic

    def _window_values(self, frame_length):
        window = self.window
        if isinstance(window, str):
            name = _window_name(window)
            if name is not None:
                return _native_window(name, frame_length, self.periodic)
            return _scipy_window(window, frame_length, self.periodic)
        if isinstance(window, torch.Tensor):
            return window.detach().cpu().numpy()
        try:
            return np.asarray(window, dtype=np.float64)
        except (TypeError, ValueError):
            raise ValueError(
                "STFT initializer: `window` must be a window name (e.g. 'hann'), the window's "
                f"values (a list or array of numbers) or None, got window={window!r}."
            ) from None

    def __call__(self, shape, dtype=None):
        shape = _shape(shape)
        if len(shape) != 3 or shape[1] != 1:
            raise ValueError(
                "STFT initializer: expected a kernel shape (frame_length, 1, fft_bins), as "
                f"STFTSpectrogram creates, got shape={shape}."
            )
        frame_length, _, fft_bins = shape
        dtype = _torch_dtype(dtype)
        win, scale = None, None
        if self.window is not None:
            win = torch.as_tensor(self._window_values(frame_length)).to(dtype)
            if win.dim() != 1 or win.shape[0] != frame_length:
                raise ValueError(
                    f"STFT initializer: the window must hold frame_length={frame_length} values, "
                    f"got a window of shape {tuple(win.shape)}."
                )
            win = win.reshape(frame_length, 1, 1)
            if self.scaling == "density":
                scale = torch.sqrt(torch.sum(torch.square(win)))
            elif self.scaling == "spectrum":
                scale = torch.sum(torch.abs(win))
        # Keras' order: freq = f / n, then (-2 * t) * freq * pi, all in `dtype`.
        freq = torch.arange(fft_bins, dtype=dtype).reshape(1, 1, fft_bins) / ((fft_bins - 1) * 2)
        time = torch.arange(frame_length, dtype=dtype).reshape(frame_length, 1, 1)
        pi = torch.arccos(torch.tensor(-1.0, dtype=dtype))
        args = (-2 * time) * freq * pi
        kernel = torch.cos(args) if self.side == "real" else torch.sin(args)
        if win is not None:
            kernel = kernel * win
            if scale is not None:
                kernel = kernel / scale
        return kernel

    def get_config(self):
        window = self.window
        if isinstance(window, (np.ndarray, torch.Tensor)):
            window = window.tolist()
        return {"side": self.side, "window": window, "periodic": self.periodic,
                "scaling": self.scaling}

