"""Symbolic tensors and the graph their calls record: `KerasTensor`, `Node`, `KerasHistory`.

A `KerasTensor` holds a shape and a dtype, no values. Calling a layer (or a `kerastorch.ops`
function, or a Python operator) on KerasTensors computes no numbers: the output shape and dtype
are inferred, from the layer's `compute_output_shape` or else by one run on torch's `meta` device
(a zero-flop run; real tensors of ones where `meta` fails), and the call is recorded as a `Node`
on the layer: which KerasTensors and other arguments went in, which came out. Each output
remembers its node in `_keras_history` (`(operation, node_index, tensor_index)`), so that a
Functional model can walk back from its outputs to its inputs. A layer called twice has two
nodes and one set of weights.

Masks travel as Keras' symbolic calls carry them: a layer that produces a mask (an `Embedding`
with `mask_zero=True`) attaches it to its output as `_keras_mask`, itself a KerasTensor made by
ops (`not_equal(ids, 0)`), and a later layer whose `call` takes `mask` gets it as an argument of
its node. The mask is then an edge of the graph like any other.

Example:
>>> import kerastorch
>>> from kerastorch import layers
>>> x = kerastorch.Input(shape=(4,), name="x")
>>> y = layers.Dense(3, name="d")(x)
>>> y.shape, y._keras_history.operation.name
((None, 3), 'd')
"""

import collections
import inspect

import torch

_FILL_1, _FILL_2 = 83, 89      # sizes given to `None` axes when a call is traced (Keras' torch backend)


class KerasHistory(collections.namedtuple("KerasHistory", ["operation", "node_index", "tensor_index"])):
    """Where a KerasTensor came from: the operation (layer or op), which of its calls, which output."""

    __slots__ = ()


from kerastorch.layers.keras_tensor import KerasTensor, torch_misuse_message  # noqa: E402,F401
from kerastorch.layers.tracking import metric_states_kept  # noqa: E402


# --------------------------------------------------------------------------- structures
def _flatten(x):
    from kerastorch.ops._tree import flatten

    return flatten(x)


def any_symbolic(args, kwargs=None):
    """Whether `args` or `kwargs` hold a KerasTensor (looking into lists, tuples and dicts)."""
    stack = [args, kwargs] if kwargs else [args]
    while stack:
        item = stack.pop()
        if isinstance(item, KerasTensor):
            return True
        if isinstance(item, (list, tuple)):
            stack.extend(item)
        elif isinstance(item, dict):
            stack.extend(item.values())
    return False


def map_structure(fn, x):
    """`fn` applied to every leaf of the nested lists, tuples and dicts `x`."""
    if isinstance(x, dict):
        return type(x)((k, map_structure(fn, v)) for k, v in x.items())
    if isinstance(x, tuple) and hasattr(x, "_fields"):
        return type(x)(*(map_structure(fn, v) for v in x))
    if isinstance(x, (list, tuple)):
        return type(x)(map_structure(fn, v) for v in x)
    return fn(x)


def inbound_nodes(operation):
    """The `Node`s of `operation` (a layer or an op), one per call on symbolic inputs."""
    nodes = operation.__dict__.get("_inbound_nodes")
    if nodes is None:
        nodes = operation.__dict__["_inbound_nodes"] = []
    return nodes


class Node:
    """One call of an operation (a layer or an op) on symbolic inputs.

    Args:
        operation: The layer or op that was called.
        args: The positional arguments of the call (KerasTensors and other values).
        kwargs: The keyword arguments of the call.
        outputs: The KerasTensors the call returned (any nesting).

    The node appends itself to `operation._inbound_nodes` and sets each output's
    `_keras_history` to `(operation, index of this node, index of the output)`.
    """

    def __init__(self, operation, args=(), kwargs=None, outputs=None):
        self.operation = operation
        self.args = tuple(args)
        self.kwargs = dict(kwargs or {})
        self.outputs = [] if outputs is None else _flatten(outputs)
        self._nested_outputs = isinstance(outputs, (list, tuple, dict))   # not one bare tensor
        for x in self.outputs:
            if not isinstance(x, KerasTensor):
                raise TypeError(f"{type(operation).__name__} '{operation.name}' returned {type(x).__name__} "
                                f"{x!r:.80} from a symbolic call; every output must be a tensor.")
        self.input_tensors = [x for x in _flatten((self.args, self.kwargs)) if isinstance(x, KerasTensor)]
        record = all(x.record_history for x in self.input_tensors)
        nodes = inbound_nodes(operation)
        nodes.append(self)
        if record:
            index = len(nodes) - 1
            for i, x in enumerate(self.outputs):
                x._keras_history = KerasHistory(operation, index, i)
        self.is_input = not self.input_tensors

    @property
    def output_tensors(self):
        """The flat list of output KerasTensors."""
        return self.outputs

    @property
    def parent_nodes(self):
        """The nodes whose outputs this node takes."""
        parents = []
        for x in self.input_tensors:
            history = getattr(x, "_keras_history", None)
            if history is not None and history.operation is not None:
                parents.append(inbound_nodes(history.operation)[history.node_index])
        return parents

    def __repr__(self):
        return f"<Node operation={self.operation.name}, id={id(self)}>"


# --------------------------------------------------------------------------- shape inference
def _is_shape(s):
    return isinstance(s, (tuple, list, torch.Size)) and all(d is None or isinstance(d, int) for d in s)


def spec_from_shapes(shapes, dtype):
    """KerasTensors for `compute_output_shape`'s result: one shape, or a list/tuple/dict of them."""
    if _is_shape(shapes):
        return KerasTensor(tuple(shapes), dtype=dtype)
    if isinstance(shapes, dict):
        return {k: spec_from_shapes(v, dtype) for k, v in shapes.items()}
    if isinstance(shapes, list):
        return [spec_from_shapes(s, dtype) for s in shapes]
    if isinstance(shapes, tuple):
        return tuple(spec_from_shapes(s, dtype) for s in shapes)
    if shapes is None:
        return None
    raise TypeError(f"compute_output_shape returned {shapes!r}, which is not a shape (a tuple of ints "
                    "and None) nor a list of shapes.")


def _materialize(x, device, fill, ramp=False):
    """A KerasTensor as a tensor on `device`, `None` axes of size `fill`: ones, or with `ramp`, the
    values 0, 1, 2, ... (kept small for integers); other values as they are."""
    from kerastorch.backend import to_torch_dtype

    if not isinstance(x, KerasTensor):
        return x
    shape = [fill if d is None else d for d in x.shape]
    dtype = to_torch_dtype(x.dtype)
    if not ramp:
        return torch.ones(shape, dtype=dtype, device=device)
    values = torch.arange(int(torch.Size(shape).numel()), device=device).reshape(shape)
    if dtype is torch.bool:
        return values % 2 == 0
    return (values % 7).to(dtype)


def trace(fn, args, kwargs, device=None):
    """The output KerasTensors of `fn(*args, **kwargs)`, found by running it on stand-in tensors.

    KerasTensors become tensors of ones on torch's `meta` device (no memory, no flops), their
    `None` axes of size 83; where `meta` fails, real tensors on `device`. With `None` axes a
    second run with size 89 tells which output axes follow them (those become `None`), as
    Keras' torch backend does. When `meta` failed (an op whose output size depends on the
    values: `nonzero`, `unique`, `bincount`), a run on other values tells which output axes
    depend on them; those become `None` too.
    """
    from kerastorch.backend import standardize_dtype
    from kerastorch import config
    from kerastorch.ops._tree import pack_sequence_as

    device = device or config.get_device()
    on_real = []

    def run(fill, ramp=False):
        if not ramp:
            try:
                inputs = map_structure(lambda x: _materialize(x, "meta", fill), (args, kwargs))
                return fn(*inputs[0], **inputs[1])
            except Exception:  # noqa: BLE001 - meta lacks many kernels: retry on real tensors
                on_real.append(True)
        inputs = map_structure(lambda x: _materialize(x, device, fill, ramp), (args, kwargs))
        return fn(*inputs[0], **inputs[1])

    # As Keras' stateless tracing: a layer's metric updated in its call keeps no stand-in values.
    with torch.no_grad(), metric_states_kept():
        runs = [run(_FILL_1)]
        if any(isinstance(x, KerasTensor) and None in x.shape for x in _flatten((args, kwargs))):
            runs.append(run(_FILL_2))
        if on_real:
            try:
                runs.append(run(_FILL_1, ramp=True))
            except Exception:  # noqa: BLE001 - the values may not suit the op (a singular matrix)
                pass

    first = runs[0]
    flats = [_flatten(r) for r in runs]

    def spec(leaves):
        a = leaves[0]
        if not isinstance(a, torch.Tensor):
            return a
        shape = tuple(None if any(not isinstance(b, torch.Tensor) or b.dim() != a.dim() or b.shape[i] != d
                                  for b in leaves[1:]) else d for i, d in enumerate(a.shape))
        return KerasTensor(shape, dtype=standardize_dtype(a.dtype))

    if any(len(f) != len(flats[0]) for f in flats[1:]):
        flats = flats[:1]
    specs = [spec(leaves) for leaves in zip(*flats)]
    return pack_sequence_as(first, specs) if isinstance(first, (list, tuple, dict)) else specs[0]


def shape_structure(x):
    """The shapes of the tensors in `x` (KerasTensors and real tensors), in `x`'s structure."""
    def shape(t):
        if isinstance(t, KerasTensor):
            return t.shape
        if isinstance(t, torch.Tensor):
            return tuple(t.shape)
        return t
    return map_structure(shape, x)


# --------------------------------------------------------------------------- calling a layer
def _has_custom(layer, method):
    from kerastorch.layers.base import Layer

    return getattr(type(layer), method, None) is not getattr(Layer, method, None)


def _forward_takes_training(layer):
    cls = type(layer)
    cached = cls.__dict__.get("_kt_forward_takes_training")
    if cached is None:
        try:
            params = inspect.signature(cls.forward).parameters
            cached = "training" in params or any(p.kind is p.VAR_KEYWORD for p in params.values())
        except (TypeError, ValueError):
            cached = False
        cls._kt_forward_takes_training = cached
    return cached


def _layer_device(layer):
    for t in layer.parameters():
        return t.device
    for t in layer.buffers():
        return t.device
    return None


def layer_call(layer, args, kwargs):
    """Calls `layer` on symbolic inputs: builds it, infers its outputs and records a `Node`.

    Returns KerasTensors in the structure the layer returns (one, a list, ...).
    """
    from kerastorch.layers.base import _call_arguments

    kwargs = dict(kwargs)
    if not args:
        if "inputs" not in kwargs:
            raise TypeError(f"{type(layer).__name__} '{layer.name}' was called without inputs: pass them "
                            "as the first argument, layer(x).")
        args = (kwargs.pop("inputs"),)
    first = args[0]
    tensor_args = [a for a in list(args) + list(kwargs.values()) if any_symbolic((a,))]
    # Keras passes the mask of a lone tensor argument to a layer whose call takes `mask`.
    if "mask" not in kwargs and len(tensor_args) == 1 and "mask" in _call_arguments(type(layer)):
        mask = map_structure(lambda t: getattr(t, "_keras_mask", None), first)
        if any(m is not None for m in _flatten(mask)):
            kwargs["mask"] = mask
    elif len(tensor_args) > 1:
        _populate_argument_masks(layer, args, kwargs)
    input_shape = shape_structure(first)
    shapes = _argument_shapes(layer, args, kwargs)
    where = f"{type(layer).__name__} layer '{layer.name}'"
    try:
        if not layer.built:
            with torch.inference_mode(False):
                _build(layer, input_shape, shapes)
        outputs = _layer_output_spec(layer, args, kwargs, input_shape, shapes)
    except (ValueError, TypeError, RuntimeError, IndexError, NotImplementedError) as e:
        raise _call_error(where, first, e) from e
    Node(layer, args, kwargs, outputs)
    _attach_masks(layer, first, kwargs, outputs)
    if layer.__dict__.get("_input_tensor") is None:
        layer._input_tensor = first
        layer._output_tensor = outputs
    return outputs


def _call_error(where, first, error):
    from kerastorch.layers.base import format_shape

    shapes = shape_structure(first)
    text = format_shape(list(shapes)) if isinstance(shapes, (list, tuple)) and not _is_shape(shapes) \
        else format_shape(shapes)
    kind = TypeError if isinstance(error, TypeError) else ValueError
    message = str(error)
    if where in message:
        return kind(message)
    return kind(f"{where} cannot be called on symbolic input of shape {text}: {message}")


def _argument_shapes(layer, args, kwargs):
    """`{"<argument>_shape": shape}` for each call argument holding KerasTensors (masks aside), as
    Keras passes several tensor arguments to `build` and `compute_output_shape` (`query_shape`,
    `value_shape`); `None` when the call takes one tensor argument."""
    try:
        bound = inspect.signature(layer.call).bind(*args, **kwargs)
    except (TypeError, ValueError):
        return None
    shapes = {f"{name}_shape": shape_structure(value) for name, value in bound.arguments.items()
              if name != "mask" and not name.endswith("_mask") and any_symbolic((value,))}
    return shapes if len(shapes) > 1 else None


def _accepts(method, names):
    try:
        params = inspect.signature(method).parameters
    except (TypeError, ValueError):
        return False
    return all(n in params for n in names)


def _build(layer, input_shape, shapes):
    # A layer with its own `_build_wrapper` (or one tensor argument) builds as it says.
    if shapes is None or _has_custom(layer, "_build_wrapper") or not _accepts(layer.build, shapes):
        layer._build_wrapper(input_shape)
        return
    from kerastorch import variables

    with variables.name_scope_of(layer):
        layer.build(**shapes)
    layer.built = True
    if not layer.trainable:
        for p in layer.parameters():
            p.requires_grad_(False)


def _layer_output_spec(layer, args, kwargs, input_shape, shapes=None):
    custom_spec = getattr(layer, "compute_output_spec", None)
    if callable(custom_spec):
        return custom_spec(*args, **kwargs)
    if _has_custom(layer, "compute_output_shape"):
        if shapes is not None and _accepts(layer.compute_output_shape, shapes):
            return spec_from_shapes(layer.compute_output_shape(**shapes), layer.compute_dtype)
        return spec_from_shapes(layer.compute_output_shape(input_shape), layer.compute_dtype)
    call_kwargs = dict(kwargs)
    if "training" not in call_kwargs and _forward_takes_training(layer):
        call_kwargs["training"] = False
    from kerastorch.layers.base import no_loss_collection

    with no_loss_collection():     # a traced penalty (add_loss, activity) is not a real one
        return trace(lambda *a, **k: layer(*a, **k), args, call_kwargs, device=_layer_device(layer))


def _populate_argument_masks(layer, args, kwargs):
    """Keras' rule for several tensor arguments: each one's mask goes to the call's `<argument>_mask`
    (MultiHeadAttention's `query_mask`, `value_mask`, `key_mask`) when that is not given."""
    from kerastorch.layers.base import _call_arguments

    accepted = _call_arguments(type(layer))
    if not any(name.endswith("_mask") for name in accepted):
        return
    try:
        bound = inspect.signature(type(layer).call).bind_partial(layer, *args, **kwargs).arguments
    except TypeError:
        return
    for name, value in list(bound.items()):
        key = f"{name}_mask"
        if key not in accepted or bound.get(key) is not None or not any_symbolic((value,)):
            continue
        mask = map_structure(lambda t: getattr(t, "_keras_mask", None), value)
        if any(m is not None for m in _flatten(mask)):
            kwargs[key] = mask


def _attach_masks(layer, first, kwargs, outputs):
    """Keras' mask metadata: a layer that supports masking gives its outputs `compute_mask(...)`."""
    if not getattr(layer, "supports_masking", False):
        return
    previous = kwargs.get("mask")
    if previous is None:
        previous = map_structure(lambda t: getattr(t, "_keras_mask", None), first)
        if not any(m is not None for m in _flatten(previous)):
            previous = None
    try:
        mask = layer.compute_mask(first, previous)
    except Exception:  # noqa: BLE001 - a compute_mask written for tensors only: record it as an op
        from kerastorch.ops.operation import ComputeMask

        mask = ComputeMask(layer).symbolic_call(first, previous)
    if mask is None:
        return
    flat_out = _flatten(outputs)
    flat_mask = _flatten(mask) if isinstance(mask, (list, tuple)) and len(_flatten(mask)) == len(flat_out) \
        else [mask] * len(flat_out)
    for out, m in zip(flat_out, flat_mask):
        if isinstance(m, KerasTensor):
            out._keras_mask = m
