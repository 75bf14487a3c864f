"""Categorical, lookup, hashing and text preprocessing layers, as in Keras 3, without TensorFlow.

Strings come in as Python lists or numpy arrays of `str` (torch has no string tensor); the
outputs are torch tensors. Vocabularies, hashes (FarmHash Fingerprint64, SipHash-2-4) and
quantile boundaries are computed as Keras computes them, so ids and bins equal Keras'.
"""

from kerastorch.layers.lookup.category_encoding import CategoryEncoding
from kerastorch.layers.lookup.discretization import Discretization
from kerastorch.layers.lookup.hashed_crossing import HashedCrossing
from kerastorch.layers.lookup.hashing import Hashing
from kerastorch.layers.lookup.integer_lookup import IntegerLookup
from kerastorch.layers.lookup.string_lookup import StringLookup
from kerastorch.layers.lookup.text_vectorization import TextVectorization

__all__ = ["CategoryEncoding", "Discretization", "HashedCrossing", "Hashing", "IntegerLookup",
           "StringLookup", "TextVectorization"]
