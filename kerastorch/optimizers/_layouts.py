"""Which layer weight a parameter is, so optimizers can see it in Keras' layout.

Layers may store a weight in a faster torch layout (the Dense kernel as `(out, in)`, conv
kernels channels-first) behind a `(to_internal, to_keras)` pair. Element-wise optimizers do not
care, but an update that looks at axes does: Adafactor factors Keras' last two axes. `Layer.
add_weight` registers every parameter stored in another layout here. A registry rather than an
attribute on the parameter: the layout functions are closures, which would make the parameter
unpicklable, and the weak references let parameters and layers die as usual.
"""

import weakref

from torch.utils.weak import WeakIdKeyDictionary

_OWNERS = WeakIdKeyDictionary()


def register(param, layer, name):
    """Records that `param` is weight `name` of `layer` (which holds its layout)."""
    _OWNERS[param] = (weakref.ref(layer), name)


def keras_layout(variable):
    """The `(to_internal, to_keras)` pair of a parameter or `kerastorch.Variable`, or `None`.

    `None` means the tensor is stored in Keras' layout (or is not a layer's weight).
    """
    from kerastorch import variables as _variables

    if isinstance(variable, _variables.Variable):
        return variable._layout()
    entry = _OWNERS.get(variable)
    if entry is None:
        return None
    layer = entry[0]()
    if layer is None:
        return None
    return getattr(layer, "_weight_layouts", {}).get(entry[1])
