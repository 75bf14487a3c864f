"""A convolution and its ReLU as one oneDNN kernel, for calls that autograd does not record on CPU.

`Conv1D`, `Conv2D` and `Conv3D` with `activation="relu"`, called without autograd (`predict`,
`evaluate`, validation, `torch.no_grad()`, `torch.inference_mode()`) on a float32 CPU batch of 16 or
more, run `torch.ops.mkldnn._convolution_pointwise` with the ReLU as the convolution's post-op: the
output is written once, already rectified, instead of written by the convolution and then read and
written again by ReLU (1.1-1.3x faster `predict` on the benchmark CNN, `benchmarks/results-cpu.md`).

The values are the plain call's, bit for bit: `torch.nn.functional.conv{1,2,3}d` run the same oneDNN
convolution on these inputs, and the ReLU is applied to its float32 result. Those functions choose
oneDNN only under conditions of their own (on a batch under 16 a 1x1 kernel, single-threaded, or a
batch of one can take torch's native kernel, which rounds differently); batches of 16 and more always
take oneDNN there, so only they are fused. Everything else (autograd on, another activation or
dtype, oneDNN disabled with `torch.backends.mkldnn.flags(enabled=False)`, a call traced by
`torch.compile` (inductor fuses what it can itself), `torch.export` or `torch.jit.trace`, whose
programs keep portable ops) takes the layer's plain call.
"""

import torch
import torch.nn.functional as F

from kerastorch import activations

try:
    _KERNEL = torch.ops.mkldnn._convolution_pointwise
    AVAILABLE = torch.backends.mkldnn.is_available()
except (AttributeError, RuntimeError):      # a build without oneDNN
    _KERNEL, AVAILABLE = None, False

MIN_BATCH = 16
_CONVS = (F.conv1d, F.conv2d, F.conv3d)


def applies(layer, x):
    """Whether the plain convolution of channels-first `x` by `layer` (then its ReLU) can run fused.
    Called only where autograd is off."""
    return (AVAILABLE and layer.activation is activations.relu
            and not (torch.compiler.is_compiling() or torch.jit.is_tracing())
            and x.shape[0] >= MIN_BATCH and x.dtype is torch.float32 and x.device.type == "cpu"
            and layer.kernel.dtype is torch.float32 and layer._conv in _CONVS and torch._C._get_mkldnn_enabled())


def conv_relu(layer, x, padding):
    """`relu(conv(x, kernel, bias))` as `layer.call` computes it, on channels-first `x` (padded)."""
    rank = x.dim() - 2
    padding = [padding] * rank if isinstance(padding, int) else list(padding)
    return _KERNEL(x, layer.kernel, layer.bias, padding, list(layer.strides), list(layer.dilation_rate),
                   layer.groups, "relu", [], "")
