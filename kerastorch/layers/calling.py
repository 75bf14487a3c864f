"""What a layer call does around `call`: converting inputs, Keras' eager masks, the shape a first
call builds with, the arguments `call` takes, and finding output shapes by tracing. Importable from
`kerastorch.layers.base` as before."""

import inspect

import numpy as np
import torch

from kerastorch import variables as _variables
from kerastorch.layers.call_context import no_loss_collection
from kerastorch.layers.tracking import metric_states_kept


def _to_torch_dtype(dtype):
    from kerastorch.backend import dtypes

    return dtypes.to_torch_dtype(dtype)


def _has_array(x):
    """Whether a nested list/tuple holds a tensor, an array or a Variable (several inputs), not only numbers."""
    if isinstance(x, (list, tuple)):
        return any(_has_array(i) for i in x)
    return isinstance(x, (torch.Tensor, np.ndarray, _variables.Variable))


def convert_inputs(layer, x, keep_integers=None):
    """A layer's or model's non-tensor input as tensors, as Keras converts call arguments.

    numpy arrays and (nested) lists of numbers become one tensor: floating data in the layer's
    compute dtype (numpy float64 into a float32 layer gives float32, as in Keras). Integer and
    boolean data keep their dtype for layers that take integer ids (`accepts_integer_inputs`)
    and for layers without float weights, as Keras keeps them; layers with float weights (and
    models, unless `keep_integers`) get them in their compute dtype, the dtype Keras' promotion
    gives their outputs. It lands on the device of the layer's weights (`config.get_device()`
    before it has any). A list holding tensors or arrays is several inputs, each converted.
    Called only for non-tensor inputs: a tensor costs `forward` one `isinstance` check.
    """
    if x is None or isinstance(x, (torch.Tensor, str)):
        return x
    if isinstance(x, _variables.Variable):
        return x.value
    if isinstance(x, dict):
        return {k: convert_inputs(layer, v, keep_integers) for k, v in x.items()}
    if isinstance(x, (list, tuple)) and _has_array(x):
        return type(x)(convert_inputs(layer, v, keep_integers) for v in x)
    from kerastorch import config
    from kerastorch.backend import convert_to_tensor

    ref = next(layer.parameters(), None)
    if ref is None:
        ref = next(layer.buffers(), None)
    device = ref.device if ref is not None else config.get_device()
    try:
        # A list of Python numbers goes through numpy (float64, int64), so that a float64 layer
        # gets every digit; the cast below gives floats the compute dtype.
        tensor = convert_to_tensor(np.asarray(x) if isinstance(x, (list, tuple)) else x)
    except (TypeError, ValueError) as e:
        raise TypeError(
            f"{type(layer).__name__} '{layer.name}' was called on {type(x).__name__} {x!r:.80}, which "
            f"cannot become a tensor ({e}). Call it on a torch tensor, a numpy array or a nested list "
            "of numbers."
        ) from None
    if keep_integers is None and not (tensor.is_floating_point() or tensor.is_complex()):
        # Integer (or bool) data: layers that take ids keep it; so do layers without float
        # weights (Flatten, Activation), as Keras leaves integer inputs alone; layers with
        # weights compute in their float dtype, which is Keras' promoted result too.
        # A user's own layer keeps them, as Keras autocasts floating inputs only (its call uses
        # kerastorch.ops, which promote as Keras does).
        own = type(layer).__module__.startswith("kerastorch.")
        if own and not getattr(layer, "accepts_integer_inputs", False) and tensor.dim():
            if not layer.built:
                layer._build_wrapper((None, *tensor.shape[1:]))
            weights = [*layer.parameters(), *layer.buffers()]
            keep_integers = not any(w.is_floating_point() for w in weights)
        else:
            keep_integers = True
    if not tensor.is_complex() and (tensor.is_floating_point() or not keep_integers):
        dtype = getattr(layer, "_compute_torch_dtype", None) or getattr(torch, config.floatx())
        tensor = tensor.to(dtype=dtype)
    return tensor if tensor.device == device else tensor.to(device)


def _set_output_masks(layer, inputs, outputs, previous_mask):
    """Keras' `_set_mask_metadata`: the outputs of an eager call get `compute_mask`'s masks as
    `_keras_mask` (not while torch.compile traces, and never over a mask already set)."""
    if torch.compiler.is_compiling():
        return
    flat = [outputs] if isinstance(outputs, torch.Tensor) else [
        t for t in (outputs if isinstance(outputs, (list, tuple)) else ()) if isinstance(t, torch.Tensor)]
    if not flat or all(getattr(t, "_keras_mask", None) is not None for t in flat):
        return
    masks = layer.compute_mask(inputs, previous_mask)
    if masks is None:
        return
    masks = [masks] if isinstance(masks, torch.Tensor) else list(masks) if isinstance(masks, (list, tuple)) else []
    for tensor, mask in zip(flat, masks):
        if mask is not None and getattr(tensor, "_keras_mask", None) is None:
            tensor._keras_mask = mask


def _build_shape(inputs):
    """The shape a first call builds with (batch axis `None`); a list of them for a list of inputs (merges)."""
    if isinstance(inputs, (list, tuple)):
        return [_build_shape(x) for x in inputs]
    shape = getattr(inputs, "shape", None)
    return inputs if shape is None else (None, *shape[1:])


def _call_arguments(cls):
    """The keyword arguments a layer's `call` accepts (cached per class)."""
    cached = cls.__dict__.get("_kt_call_args")
    if cached is None:
        params = inspect.signature(cls.call).parameters
        varkw = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())
        cached = (set(params) | ({"training", "mask"} if varkw else set()))
        cls._kt_call_args = cached
    return cached


def _trace_once(layer, input_shape, fill):
    shape = [2] + [fill if d is None else int(d) for d in input_shape[1:]]
    params = list(layer.parameters()) + list(layer.buffers())
    device = params[0].device if params else torch.device("cpu")
    dtype = torch.long if getattr(layer, "accepts_integer_inputs", False) else torch.float32
    was_training = layer.training
    layer.eval()
    try:
        with torch.no_grad(), no_loss_collection(), metric_states_kept():   # no trace in its metrics, as Keras
            out = layer(torch.zeros(shape, dtype=dtype, device=device))
    finally:
        layer.train(was_training)
    if isinstance(out, (tuple, list)):
        return [tuple(o.shape) for o in out]
    return tuple(out.shape)


def trace_output_shape(layer, input_shape):
    """Finds a layer's output shape by running it on zeros; axes that vary with a `None` input axis become `None`."""
    first = _trace_once(layer, input_shape, 3)
    if any(d is None for d in input_shape[1:]):
        second = _trace_once(layer, input_shape, 5)
    else:
        second = first

    def merge(a, b):
        return (None,) + tuple(x if x == y else None for x, y in zip(a[1:], b[1:]))

    if isinstance(first, list):
        return [merge(a, b) for a, b in zip(first, second)]
    return merge(first, second)
