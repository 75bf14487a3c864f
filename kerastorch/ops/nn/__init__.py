"""Keras' `keras.ops.nn` functions on torch tensors: activations, convolutions and pooling,
normalizations, crossentropies, CTC, attention, encodings and block rearrangements.

One module per family; `kerastorch.ops.nn` (and `kerastorch.ops`) holds every name.

Example:
>>> from kerastorch import ops
>>> ops.nn.softmax([0.0, 0.0])
tensor([0.5000, 0.5000])
"""

from kerastorch.ops.nn.activations import *    # noqa: F401,F403
from kerastorch.ops.nn.attention import *      # noqa: F401,F403
from kerastorch.ops.nn.convolution import *    # noqa: F401,F403
from kerastorch.ops.nn.ctc import *            # noqa: F401,F403
from kerastorch.ops.nn.encoding import *       # noqa: F401,F403
from kerastorch.ops.nn.losses import *         # noqa: F401,F403
from kerastorch.ops.nn.normalization import *  # noqa: F401,F403
from kerastorch.ops.nn.pooling import *        # noqa: F401,F403
from kerastorch.ops.nn.reshaping import *      # noqa: F401,F403

import sys as _sys  # noqa: E402

_FAMILIES = ("activations", "attention", "convolution", "ctc", "encoding", "losses", "normalization",
             "pooling", "reshaping")
__all__ = sorted({name for family in _FAMILIES
                  for name in _sys.modules[f"{__name__}.{family}"].__all__})
