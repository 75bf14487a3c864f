"""Max pooling as aten's own kernels when inductor compiles for the CPU (`jit_compile=True`).

`max_pool(x, pool_size, strides, padding)` is `F.max_pool{1,2,3}d` everywhere but in a graph that
torch.compile traces for the CPU (not `torch.export`, whose programs keep aten's ops). There,
inductor replaces torch's pooling with its own code: a forward it fuses well, and a backward that zero-fills a channels-first gradient buffer and
scatters into it, then transposes the result back to the channels-last layout a Keras image model
runs in. Measured on the benchmark CNN's first pooling (batch 64, 28x28x32, channels-last, one
thread): the compiled forward and backward took 8.2-8.9 ms, aten's channels-last kernels 2.0-3.1 ms,
and inductor's pooling kernels were more than half of the compiled CNN's own code. So under
compilation on the CPU, 2D and 3D max pooling run as one opaque op (`kerastorch::max_pool`) whose
forward and backward call aten's kernels: the same values and gradients as eager, bit for bit,
in a graph that still compiles without breaks. Its backward is differentiable again (the gradient
of the gradient is a gather of the pooled positions), as eager pooling's is.

Example:
>>> import torch
>>> tuple(max_pool(torch.ones(1, 3, 4, 4), (2, 2), (2, 2), 0).shape)
(1, 3, 2, 2)
"""

import torch
import torch.nn.functional as F

_EAGER = {1: F.max_pool1d, 2: F.max_pool2d, 3: F.max_pool3d}
_FORWARD = {2: torch.ops.aten.max_pool2d_with_indices, 3: torch.ops.aten.max_pool3d_with_indices}
_BACKWARD = {2: torch.ops.aten.max_pool2d_with_indices_backward, 3: torch.ops.aten.max_pool3d_with_indices_backward}


def _pairs(value, rank):
    return [int(v) for v in value] if isinstance(value, (tuple, list)) else [int(value)] * rank


def _forward(x: torch.Tensor, kernel: list[int], stride: list[int], padding: list[int]) -> tuple[torch.Tensor, torch.Tensor]:
    return _FORWARD[x.dim() - 2](x, kernel, stride, padding)


def _backward_kernel(grad: torch.Tensor, x: torch.Tensor, kernel: list[int], stride: list[int],
                     padding: list[int], indices: torch.Tensor) -> torch.Tensor:
    rank = x.dim() - 2
    return _BACKWARD[rank](grad, x, kernel, stride, padding, [1] * rank, False, indices)


# aten's kernels compute the real outputs, and their meta kernels the fake ones (shapes and strides).
_pool = torch.library.custom_op("kerastorch::max_pool", _forward, mutates_args=())
_pool.register_fake(_forward)
_pool_backward = torch.library.custom_op("kerastorch::max_pool_backward", _backward_kernel, mutates_args=())
_pool_backward.register_fake(_backward_kernel)


def _gather_pooled(grad_of_input, indices):
    """The pooled positions of `grad_of_input` (`indices` count within each flattened plane)."""
    flat = grad_of_input.flatten(2)
    return flat.gather(2, indices.flatten(2)).view(indices.shape)


def _save(ctx, inputs, output):
    x, kernel, stride, padding = inputs
    ctx.save_for_backward(x, output[1])
    ctx.args = (kernel, stride, padding)


def _backward(ctx, grad_out, _grad_indices):
    x, indices = ctx.saved_tensors
    return _pool_backward(grad_out, x, *ctx.args, indices), None, None, None


def _save_backward(ctx, inputs, output):
    ctx.save_for_backward(inputs[5])


def _backward_of_backward(ctx, grad_grad_input):
    (indices,) = ctx.saved_tensors
    return _gather_pooled(grad_grad_input, indices), None, None, None, None, None


_pool.register_autograd(_backward, setup_context=_save)
_pool_backward.register_autograd(_backward_of_backward, setup_context=_save_backward)


def max_pool(x, pool_size, strides, padding=0):
    """`F.max_pool{rank}d(x, pool_size, strides, padding)` on channels-first `x`; aten's kernels as
    one op when torch.compile traces it for the CPU (see the module's doc)."""
    rank = x.dim() - 2
    # torch.export traces with dynamo too, but its programs must hold aten ops only (loadable without
    # kerastorch): there, pooling stays torch's.
    if (rank in _FORWARD and x.device.type == "cpu" and torch.compiler.is_compiling()
            and not torch.compiler.is_exporting()):
        return _pool(x, _pairs(pool_size, rank), _pairs(strides, rank), _pairs(padding, rank))[0]
    return _EAGER[rank](x, pool_size, strides, padding)
