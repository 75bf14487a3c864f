"""Adaptive pooling layers: windows chosen so that the output has a given spatial size.

`AdaptiveAveragePooling1D/2D/3D` and `AdaptiveMaxPooling1D/2D/3D`, on
`kerastorch.ops.nn.adaptive_average_pool` / `adaptive_max_pool` (torch's adaptive kernels):
window `i` of an axis of length `n` covers `[floor(i * n / out), ceil((i + 1) * n / out))`.
"""

from kerastorch import config
from kerastorch.layers.base import Layer, format_shape
from kerastorch.ops.nn.pooling import adaptive_average_pool, adaptive_max_pool

_AXES = {1: "length", 2: "(height, width)", 3: "(depth, height, width)"}


class _AdaptivePooling(Layer):
    _rank = 1
    _op = None

    def __init__(self, output_size, data_format=None, **kwargs):
        super().__init__(**kwargs)
        rank, where = self._rank, f"{type(self).__name__} layer '{self.name}'"
        if isinstance(output_size, int) and not isinstance(output_size, bool):
            size = (output_size,) * rank
        elif isinstance(output_size, (tuple, list)) and (rank == 1 or len(output_size) == rank):
            if len(output_size) != rank:       # Keras: ValueError for a 1D tuple of another length
                raise ValueError(f"{where}: `output_size` must be an int or a tuple of 1 int, got "
                                 f"output_size={output_size!r}.")
            size = tuple(output_size)
        else:
            raise TypeError(f"{where}: `output_size` must be an int or a {_AXES[rank]} tuple of {rank} ints, "
                            f"got output_size={output_size!r} ({type(output_size).__name__}).")
        if any(isinstance(s, bool) or not isinstance(s, int) or s < 1 for s in size):
            raise ValueError(f"{where}: every entry of `output_size` must be a positive int, got {output_size!r}.")
        self.output_size = size
        self.data_format = data_format or config.image_data_format()
        if self.data_format not in ("channels_first", "channels_last"):
            raise ValueError(f"{where}: invalid data_format={self.data_format!r}. Expected 'channels_first' "
                             "or 'channels_last'.")

    def _check(self, input_shape):
        if len(input_shape) != self._rank + 2:
            raise ValueError(
                f"{type(self).__name__} layer '{self.name}' expects inputs of rank {self._rank + 2} (batch, "
                f"{self._rank} spatial axes, channels), got shape {format_shape(input_shape)}."
            )

    def build(self, input_shape):
        self._check(input_shape)
        self.built = True

    def call(self, inputs):
        self._check(tuple(inputs.shape))
        return type(self)._op(inputs, output_size=self.output_size, data_format=self.data_format)

    def compute_output_shape(self, input_shape):
        if self.data_format == "channels_last":
            return (input_shape[0], *self.output_size, input_shape[-1])
        return (input_shape[0], input_shape[1], *self.output_size)

    def get_config(self):
        return {**super().get_config(), "output_size": self.output_size, "data_format": self.data_format}


_DOC = """Adaptive {kind} pooling over {rank} spatial axis(es): the output has `output_size` per axis.

    Window `i` of an axis of length `n` covers `[floor(i * n / out), ceil((i + 1) * n / out))` and
    the output takes its {what}, as Keras (and torch's `AdaptiveAvgPool`/`AdaptiveMaxPool`) do.

    Args:
        output_size: An int (the same size on every spatial axis) or a tuple of {rank} ints.
        data_format: `"channels_last"` (`(batch, *spatial, channels)`) or `"channels_first"`
            (`(batch, channels, *spatial)`). Defaults to `None`, which means
            `kerastorch.config.image_data_format()`.

    Input shape: a rank-{rank2} tensor. Output shape: the spatial axes become `output_size`.

    Example:
    >>> import torch
    >>> from kerastorch import layers
    >>> tuple(layers.{name}({example})(torch.zeros({shape})).shape)
    {out}
    """


def _make(name, op, rank, kind, what, example, shape, out):
    doc = _DOC.format(kind=kind, rank=rank, rank2=rank + 2, what=what, name=name, example=example,
                      shape=shape, out=out)
    return type(name, (_AdaptivePooling,), {"_rank": rank, "_op": staticmethod(op), "__doc__": doc,
                                            "__module__": __name__})


AdaptiveAveragePooling1D = _make("AdaptiveAveragePooling1D", adaptive_average_pool, 1, "average", "mean",
                                 "3", "2, 10, 4", "(2, 3, 4)")
AdaptiveAveragePooling2D = _make("AdaptiveAveragePooling2D", adaptive_average_pool, 2, "average", "mean",
                                 "(2, 3)", "1, 7, 9, 4", "(1, 2, 3, 4)")
AdaptiveAveragePooling3D = _make("AdaptiveAveragePooling3D", adaptive_average_pool, 3, "average", "mean",
                                 "2", "1, 5, 5, 5, 3", "(1, 2, 2, 2, 3)")
AdaptiveMaxPooling1D = _make("AdaptiveMaxPooling1D", adaptive_max_pool, 1, "max", "maximum",
                             "3", "2, 10, 4", "(2, 3, 4)")
AdaptiveMaxPooling2D = _make("AdaptiveMaxPooling2D", adaptive_max_pool, 2, "max", "maximum",
                             "(2, 3)", "1, 7, 9, 4", "(1, 2, 3, 4)")
AdaptiveMaxPooling3D = _make("AdaptiveMaxPooling3D", adaptive_max_pool, 3, "max", "maximum",
                             "2", "1, 5, 5, 5, 3", "(1, 2, 2, 2, 3)")
