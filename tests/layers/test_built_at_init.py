"""Which layers are built right after construction: Keras' rule (`Layer._build_at_init`: a layer
without state whose `build` is not overridden; Reshape, Masking, InputLayer, ...), over every public
layer class of kerastorch.layers, against real Keras. A subclass overriding `build` is not built."""

import inspect
import warnings

import pytest

import kerastorch
from kerastorch.layers.base import Layer
from tests.saving.test_layer_round_trip import CASES

# Constructor arguments for the classes tests/saving/test_layer_round_trip.py's table leaves out.
EXTRA = {
    "Add": {}, "Average": {}, "Concatenate": {}, "Dot": dict(axes=1), "Maximum": {}, "Minimum": {},
    "Multiply": {}, "Subtract": {}, "AdditiveAttention": {}, "Attention": {},
    "GroupQueryAttention": dict(head_dim=2, num_query_heads=2, num_key_value_heads=1),
    "MultiHeadAttention": dict(num_heads=2, key_dim=2), "Equalization": {}, "InputLayer": dict(shape=(3,)),
    "Layer": {}, "Lambda": lambda lib: lib.layers.Lambda(lambda x: x),
    "TorchModuleWrapper": lambda lib: lib.layers.TorchModuleWrapper(__import__("torch").nn.Linear(2, 2)),
    "Wrapper": lambda lib: lib.layers.Wrapper(lib.layers.Dense(2)),
}
# Keras' own need TensorFlow or JAX (not installed) to be constructed at all.
NOT_CONSTRUCTIBLE_IN_KERAS = {"HashedCrossing", "Hashing", "IntegerLookup", "StringLookup", "TextVectorization",
                              "JaxLayer", "FlaxLayer", "TFSMLayer"}


def _public_layer_names():
    return sorted(name for name in dir(kerastorch.layers)
                  if not name.startswith("_") and inspect.isclass(getattr(kerastorch.layers, name))
                  and issubclass(getattr(kerastorch.layers, name), Layer)
                  and name not in NOT_CONSTRUCTIBLE_IN_KERAS)


def _make(lib, name, subclass_build=False):
    cls = getattr(lib.layers, name)
    canon = getattr(kerastorch.layers, name).__name__     # aliases (MaxPool2D) share their class' row
    spec = CASES[name][1] if name in CASES else CASES[canon][1] if canon in CASES else EXTRA.get(name, EXTRA.get(canon))
    if subclass_build:
        cls = type(f"My{cls.__name__}", (cls,), {"build": lambda self, input_shape: setattr(self, "built", True)})
        if callable(spec) or name in ("InputLayer", "Wrapper", "TorchModuleWrapper"):
            return None
    if callable(spec):
        return spec(lib)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return cls(**spec)


def test_every_public_layer_has_constructor_arguments():
    missing = [n for n in _public_layer_names()
               if n not in CASES and getattr(kerastorch.layers, n).__name__ not in CASES and n not in EXTRA]
    assert missing == []


@pytest.mark.parametrize("subclass_build", [False, True], ids=["class", "subclass_with_build"])
def test_built_after_construction_is_keras(keras, subclass_build):
    differ = {}
    for name in _public_layer_names():
        ours = _make(kerastorch, name, subclass_build)
        if ours is None:
            continue
        theirs = _make(keras, name, subclass_build)
        if ours.built != theirs.built:
            differ[name] = (ours.built, theirs.built)
    assert differ == {}
