"""Merge layers: `Add`, `Subtract`, `Multiply`, `Average`, `Maximum`, `Minimum`, `Concatenate`, `Dot`.

Each takes a list (or tuple) of tensors and returns one tensor, with Keras' shape rules: all inputs
share one batch size; the elementwise merges broadcast the other axes against each other, aligned
from the last axis, and an input of lower rank gets size-1 axes inserted after the batch axis
(`(batch, 3)` with `(batch, 4, 3)` gives `(batch, 4, 3)`). `compute_output_shape` takes the list of
input shapes. Each class has Keras' function form (`add(inputs, **kwargs)`, `concatenate(inputs,
axis=-1, **kwargs)`, `dot(inputs, axes=-1, **kwargs)`, ...), which makes the layer and calls it.

Masks: pass them as `mask=[mask_1, mask_2, ...]` (kerastorch's way, one entry per input, `None`
for an unmasked one), or attach them to the inputs as `x._keras_mask` (Keras' eager way). The
output mask is Keras': the elementwise OR of the input masks when every input has one, the
concatenated masks for `Concatenate`, none for `Dot`. It is returned by `compute_mask` and set as
`output._keras_mask`. `Maximum` and `Minimum` ignore masked steps of an input, and `Multiply` treats
them as 1 (and zeroes steps masked in every input), as Keras does.

Example:
>>> import torch
>>> from kerastorch import layers
>>> layers.add([torch.ones(2, 3), torch.ones(2, 3)])[0].tolist()
[2.0, 2.0, 2.0]
>>> layers.Concatenate().compute_output_shape([(None, 3), (None, 4)])
(None, 7)
"""

from kerastorch.layers.merging.concatenation import Concatenate, concatenate
from kerastorch.layers.merging.dot_product import Dot, dot
from kerastorch.layers.merging.elementwise import (Add, Average, Maximum, Minimum, Multiply, Subtract, add, average,
                                                   maximum, minimum, multiply, subtract)

__all__ = ["Add", "Average", "Concatenate", "Dot", "Maximum", "Minimum", "Multiply", "Subtract",
           "add", "average", "concatenate", "dot", "maximum", "minimum", "multiply", "subtract"]
