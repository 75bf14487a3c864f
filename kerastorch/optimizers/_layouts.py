"""Which layout a parameter is stored in, so optimizers can see it in Keras' layout.

Layers may store a weight in a faster torch layout (the Dense kernel as `(out, in)`, conv
kernels channels-first) behind a `(to_internal, to_keras)` pair. Element-wise optimizers do not
care, but an update that looks at axes does: Adafactor factors Keras' last two axes.

The pair travels on the Parameter itself, as its `path` does: the layout functions are
picklable (small classes such as the convolutions' `_Permute`, module-level functions such as
Dense's `_transpose`, or partials of them such as the recurrent layers' gate reorders), so the attribute
pickles with the Parameter. A registry keyed by the tensor's identity (or a weak reference to
it) would forget copies, and a weak reference makes `torch.utils.swap_tensors` refuse the
tensor. Where torch hands a layer new Parameter objects or drops their attributes
(`copy.deepcopy`, `_apply` in its overwrite or swap modes, `load_state_dict`), the layer sets
the pair again from its own `_weight_layouts` (`LayerWeights._relink_parameters`). Optimizers
read it once, when they are built.
"""

_ATTR = "_kt_keras_layout"


def register(param, layout):
    """Records on `param` that it is stored through `layout`, a `(to_internal, to_keras)` pair."""
    setattr(param, _ATTR, layout)


def keras_layout(variable):
    """The `(to_internal, to_keras)` pair of a parameter or `kerastorch.Variable`, or `None`.

    `None` means the tensor is stored in Keras' layout (or is not a layer's weight).
    """
    from kerastorch import variables as _variables

    if isinstance(variable, _variables.Variable):
        return variable._layout()
    return getattr(variable, _ATTR, None)
