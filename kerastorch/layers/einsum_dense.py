"""`EinsumDense`: a dense layer whose contraction is written as an einsum equation, as in Keras."""

import re

import torch

from kerastorch import activations, constraints, initializers, regularizers
from kerastorch.layers.base import Layer, format_shape, get_activation

__all__ = ["EinsumDense"]


def _where(layer):
    return f"EinsumDense layer '{layer.name}'"


def _split_equation(layer, equation):
    """`(input_spec, weight_spec, output_spec, left_elided)` for Keras' three equation forms."""
    if not isinstance(equation, str):
        raise TypeError(f"{_where(layer)}: `equation` must be a string such as 'ab,bc->ac', got "
                        f"{type(equation).__name__} {equation!r}.")
    plain = equation.replace("...", "0")
    for pattern, left in (("([a-zA-Z]+),([a-zA-Z]+)->([a-zA-Z]+)$", False),
                          ("0([a-zA-Z]+),([a-zA-Z]+)->0([a-zA-Z]+)$", True),
                          ("([a-zA-Z]{2,})0,([a-zA-Z]+)->([a-zA-Z]+)0$", False)):
        match = re.match(pattern, plain)
        if match:
            return match.group(1), match.group(2), match.group(3), left
    raise ValueError(
        f"{_where(layer)}: invalid einsum equation {equation!r}. Equations must be in the form "
        "'X,Y->Z', '...X,Y->...Z' or 'X...,Y->Z...' (letters only, the input first, the kernel "
        "second), e.g. 'ab,bc->ac' or '...x,xy->...y'."
    )


def analyze_equation(layer, equation, bias_axes, input_shape, output_shape):
    """Keras' shapes for an einsum equation.

    Returns:
        `(kernel_shape, bias_shape or None, full_output_shape, input_axes, output_axes)`, where
        `input_axes`/`output_axes` are the kernel axes matched in the input and the output
        (the axes the initializer's fans are taken over).
    """
    in_spec, w_spec, out_spec, left = _split_equation(layer, equation)
    input_shape = tuple(input_shape)
    elided = len(input_shape) - len(in_spec)
    if elided < 0 or (elided and "..." not in equation):
        raise ValueError(
            f"{_where(layer)}: the equation {equation!r} names {len(in_spec)} input axes, but the input "
            f"has shape {format_shape(input_shape)} ({len(input_shape)} axes). Give an input of rank "
            f"{len(in_spec)}, or use '...' in the equation for the extra axes."
        )
    out = [output_shape] if isinstance(output_shape, int) else list(output_shape)
    out.insert(0, input_shape[0])
    if elided > 0 and left:
        for i in range(1, elided):
            out.insert(1, input_shape[i])
    elif elided > 0:
        out.extend(input_shape[len(input_shape) - elided:])
    if left:
        in_map = {d: i + elided - len(input_shape) for i, d in enumerate(in_spec)}
        out_map = {d: i + elided for i, d in enumerate(out_spec)}
    else:
        in_map = {d: i for i, d in enumerate(in_spec)}
        out_map = {d: i for i, d in enumerate(out_spec)}
    for d in in_spec:
        if d in out_map and out[out_map[d]] is not None and out[out_map[d]] != input_shape[in_map[d]]:
            raise ValueError(
                f"{_where(layer)}: input shape and output shape do not match at shared dimension "
                f"{d!r}: the input {format_shape(input_shape)} has {input_shape[in_map[d]]} there, "
                f"output_shape gives {out[out_map[d]]}. Use None in output_shape for that axis."
            )
    for d in out_spec:
        if d not in in_spec and d not in w_spec:
            raise ValueError(
                f"{_where(layer)}: dimension {d!r} of the output spec {out_spec!r} is in neither the "
                f"input spec {in_spec!r} nor the weight spec {w_spec!r}. Every output axis must come "
                "from the input or the kernel."
            )
    kernel_shape, input_axes, output_axes = [], [], []
    for i, d in enumerate(w_spec):
        if d in out_map:
            kernel_shape.append(out[out_map[d]])
            output_axes.append(i)
        elif d in in_map:
            kernel_shape.append(input_shape[in_map[d]])
            input_axes.append(i)
        else:
            raise ValueError(
                f"{_where(layer)}: weight dimension {d!r} matches neither the input spec {in_spec!r} "
                f"nor the output spec {out_spec!r}; the kernel must be fully specified by them."
            )
    if any(s is None for s in kernel_shape):
        raise ValueError(
            f"{_where(layer)}: the kernel shape {format_shape(kernel_shape)} of equation {equation!r} "
            f"has an unknown axis for input shape {format_shape(input_shape)} and output_shape "
            f"{output_shape!r}. Give the input axes the kernel contracts a fixed size, and the "
            "output_shape entries for kernel axes."
        )
    bias_shape = None
    if bias_axes is not None:
        if not isinstance(bias_axes, str):
            raise TypeError(f"{_where(layer)}: `bias_axes` must be a string of output letters or None, "
                            f"got {bias_axes!r}.")
        missing = [c for c in bias_axes if c not in out_spec]
        if missing:
            raise ValueError(
                f"{_where(layer)}: bias dimension {missing[0]!r} was requested (bias_axes={bias_axes!r}), "
                f"but is not part of the output spec {out_spec!r}. Name letters of the output."
            )
        skip = elided if (left and elided > 0) else 0
        sizes = {c: out[i + skip] for i, c in enumerate(out_spec)}
        first = min(out_spec.find(c) for c in bias_axes)
        bias_shape = [sizes[c] if c in bias_axes else 1 for c in out_spec[first:]]
        if not left:
            bias_shape.extend([1] * max(elided, 0))
    return kernel_shape, bias_shape, out, input_axes, output_axes


class EinsumDense(Layer):
    """A layer that uses `einsum` as the backing computation: `activation(einsum(eq, x, kernel) + bias)`.

    The equation names the input's axes, the kernel's axes and the output's, e.g.
    `"ab,bc->ac"` is `Dense`; `"abc,cde->abde"` projects the last axis into a 2D output.
    `...` may stand for leading (`"...x,xy->...y"`) or trailing (`"ab...,bc->ac..."`) axes.

    Args:
        equation: The einsum equation, input first and kernel second (`"ab,bc->ac"`).
        output_shape: The output's shape without the batch axis: an int or a tuple, with
            `None` for axes whose size comes from the input.
        activation: Activation name or callable. Defaults to `None` (identity).
        bias_axes: Optional string of output letters that get a bias (`"c"`). Defaults to
            `None` (no bias).
        kernel_initializer: Initializer for the kernel. Defaults to `"glorot_uniform"`; a
            variance-scaling initializer without axes takes its fans over the kernel axes
            matched in the input and the output, as in Keras.
        bias_initializer: Initializer for the bias. Defaults to `"zeros"`.
        kernel_regularizer: Optional regularizer for the kernel. Defaults to `None`.
        bias_regularizer: Optional regularizer for the bias. Defaults to `None`.
        activity_regularizer: Optional regularizer for the output. Defaults to `None`.
        kernel_constraint: Optional constraint for the kernel. Defaults to `None`.
        bias_constraint: Optional constraint for the bias. Defaults to `None`.
        lora_rank, lora_alpha, gptq_unpacked_column_size, quantization_config: Keras' LoRA and
            quantization options; only `None` (they are not implemented in kerastorch).
        **kwargs: Standard layer arguments (`name`, `dtype`, `trainable`).

    Weights: `kernel` (its shape read from the equation) and, with `bias_axes`, `bias`, in
    Keras' layout and names.

    Example:
    >>> import torch
    >>> from kerastorch import layers
    >>> layer = layers.EinsumDense("abc,cd->abd", output_shape=(None, 64), bias_axes="d")
    >>> tuple(layer(torch.ones(2, 32, 128)).shape)
    (2, 32, 64)
    """

    def __init__(self, equation, output_shape, activation=None, bias_axes=None,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros", kernel_regularizer=None,
                 bias_regularizer=None, kernel_constraint=None, bias_constraint=None, lora_rank=None,
                 lora_alpha=None, gptq_unpacked_column_size=None, quantization_config=None,
                 activity_regularizer=None, **kwargs):
        super().__init__(**kwargs)
        if any(v is not None for v in (lora_rank, lora_alpha, gptq_unpacked_column_size, quantization_config)):
            raise NotImplementedError(
                f"{_where(self)}: LoRA (lora_rank/lora_alpha) and quantization (quantization_config, "
                "gptq_unpacked_column_size) are not implemented in kerastorch. Remove these arguments; "
                "to fine-tune a few parameters, freeze the layer (layer.trainable = False) and add a "
                "small trainable layer."
            )
        _split_equation(self, equation)            # a malformed equation fails now, as in Keras' build
        self.equation = equation
        if isinstance(output_shape, bool) or not isinstance(output_shape, (int, tuple, list)):
            raise TypeError(f"{_where(self)}: `output_shape` must be an int or a tuple of ints/None, got "
                            f"{output_shape!r}.")
        self.partial_output_shape = (output_shape,) if isinstance(output_shape, int) else tuple(output_shape)
        self.bias_axes = bias_axes
        self.activation = get_activation(self, "activation", activation)
        self._linear = activations.serialize(self.activation) == "linear"
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        if activity_regularizer is not None:
            self.activity_regularizer = regularizers.get(activity_regularizer)
        self.lora_rank = self.lora_alpha = None
        self.lora_enabled = False
        self.quantization_config = None

    def build(self, input_shape):
        kernel_shape, bias_shape, _, in_axes, out_axes = analyze_equation(
            self, self.equation, self.bias_axes, input_shape, self.partial_output_shape)
        init = self.kernel_initializer
        if isinstance(init, initializers.VarianceScaling) and (init.input_axes is None
                                                                or init.output_axes is None):
            # Keras takes the fans over the kernel axes the equation matches in the input and the
            # output (a (in, heads, size) kernel has fan_in = in, fan_out = heads * size).
            cfg = dict(init.get_config(), input_axes=in_axes, output_axes=out_axes)
            init = type(init).from_config(cfg)
        self.kernel = self.add_weight(shape=kernel_shape, initializer=init, name="kernel",
                                      regularizer=self.kernel_regularizer,
                                      constraint=self.kernel_constraint)
        if bias_shape is not None:
            self.bias = self.add_weight(shape=bias_shape, initializer=self.bias_initializer, name="bias",
                                        regularizer=self.bias_regularizer, constraint=self.bias_constraint)
        else:
            self.bias = None
        self._input_rank = len(input_shape)
        self.built = True

    def call(self, inputs):
        if inputs.dim() != self._input_rank:      # Keras' InputSpec(ndim=...) from build
            raise ValueError(
                f"{_where(self)} was built for inputs of rank {self._input_rank} (equation "
                f"{self.equation!r}), got an input of shape {format_shape(inputs.shape)}. Pass inputs "
                "of the rank it was built for, or make a new layer."
            )
        out = torch.einsum(self.equation, inputs, self.kernel)
        if self.bias is not None:
            out = out + self.bias
        return out if self._linear else self.activation(out)

    def compute_output_shape(self, input_shape):
        return tuple(analyze_equation(self, self.equation, self.bias_axes, input_shape,
                                      self.partial_output_shape)[2])

    def enable_lora(self, rank, lora_alpha=None, a_initializer="he_uniform", b_initializer="zeros"):
        """Keras' LoRA switch: not implemented in kerastorch, so it raises.

        Raises:
            NotImplementedError: always, saying what to use instead.
        """
        raise NotImplementedError(
            f"{_where(self)}.enable_lora(rank={rank!r}): LoRA is not implemented in kerastorch. "
            "Freeze the layer (layer.trainable = False) and train a small added layer."
        )

    def quantize(self, mode=None, type_check=True, config=None):
        """Keras' quantization: not implemented in kerastorch, so it raises.

        Raises:
            NotImplementedError: always.
        """
        raise NotImplementedError(
            f"{_where(self)}.quantize(mode={mode!r}): quantization is not implemented in kerastorch. "
            "Keep the float kernel, or quantize the torch module with torch.ao.quantization."
        )

    def get_config(self):
        return {**super().get_config(), "output_shape": self.partial_output_shape,
                "equation": self.equation, "activation": activations.serialize(self.activation),
                "bias_axes": self.bias_axes,
                "kernel_initializer": initializers.serialize(self.kernel_initializer),
                "bias_initializer": initializers.serialize(self.bias_initializer),
                "kernel_regularizer": regularizers.serialize(self.kernel_regularizer) if self.kernel_regularizer else None,
                "bias_regularizer": regularizers.serialize(self.bias_regularizer) if self.bias_regularizer else None,
                "activity_regularizer": (regularizers.serialize(self.activity_regularizer)
                                         if self.activity_regularizer else None),
                "kernel_constraint": constraints.serialize(self.kernel_constraint) if self.kernel_constraint else None,
                "bias_constraint": constraints.serialize(self.bias_constraint) if self.bias_constraint else None,
                "quantization_config": None}
