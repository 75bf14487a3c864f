"""Keras' backend-neutral operations (`keras.ops`) on torch tensors.

`kerastorch.ops.X` has Keras' name, arguments, defaults and result dtypes for every `keras.ops.X`:
the numpy family (`kerastorch.ops.numpy`), neural-network functions (`nn`), `math`, `linalg`,
`image`, and the core functions (`cond`, `scan`, `cast`, `convert_to_tensor`, ...). Inputs may be
torch tensors, numpy arrays or Python scalars; results are torch tensors on the configured device.

Example:
>>> from kerastorch import ops
>>> ops.add([1, 2], 0.5)
tensor([1.5000, 2.5000])
"""

from kerastorch.ops import core, einops, image, linalg, math, nn, numpy
from kerastorch.ops.core import *      # noqa: F401,F403
from kerastorch.ops.einops import *    # noqa: F401,F403
from kerastorch.ops.linalg import *    # noqa: F401,F403
from kerastorch.ops.math import *      # noqa: F401,F403
from kerastorch.ops.nn import *        # noqa: F401,F403
from kerastorch.ops.numpy import *     # noqa: F401,F403
