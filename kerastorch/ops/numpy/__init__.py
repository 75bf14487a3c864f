"""Keras' `keras.ops.numpy` functions on torch tensors, one file per family.

Each function takes torch tensors, numpy arrays and Python scalars alike and returns a torch tensor on
the configured device, with Keras' result dtypes.
"""
from kerastorch.ops.numpy.arithmetic import *  # noqa: F401,F403
from kerastorch.ops.numpy.bitwise import *  # noqa: F401,F403
from kerastorch.ops.numpy.comparison import *  # noqa: F401,F403
from kerastorch.ops.numpy.creation import *  # noqa: F401,F403
from kerastorch.ops.numpy.diagonals import *  # noqa: F401,F403
from kerastorch.ops.numpy.elementwise import *  # noqa: F401,F403
from kerastorch.ops.numpy.functional import *  # noqa: F401,F403
from kerastorch.ops.numpy.indexing import *  # noqa: F401,F403
from kerastorch.ops.numpy.joining import *  # noqa: F401,F403
from kerastorch.ops.numpy.linear import *  # noqa: F401,F403
from kerastorch.ops.numpy.manipulation import *  # noqa: F401,F403
from kerastorch.ops.numpy.padding import *  # noqa: F401,F403
from kerastorch.ops.numpy.reductions import *  # noqa: F401,F403
from kerastorch.ops.numpy.sorting import *  # noqa: F401,F403
from kerastorch.ops.numpy.statistics import *  # noqa: F401,F403
from kerastorch.ops.numpy.trigonometric import *  # noqa: F401,F403
from kerastorch.ops.numpy.windows import *  # noqa: F401,F403
