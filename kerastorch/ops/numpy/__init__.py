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

from kerastorch.ops.numpy import (arithmetic as _arithmetic, bitwise as _bitwise, comparison as _comparison,  # noqa: E402
                                  creation as _creation, diagonals as _diagonals, elementwise as _elementwise,
                                  functional as _functional, indexing as _indexing, joining as _joining,
                                  linear as _linear, manipulation as _manipulation, padding as _padding,
                                  reductions as _reductions, sorting as _sorting, statistics as _statistics,
                                  trigonometric as _trigonometric, windows as _windows)

# The public names are the ops themselves, so `from kerastorch.ops.numpy import *` (as kerastorch.ops
# does) brings in no file names.
__all__ = sorted({name for module in (_arithmetic, _bitwise, _comparison, _creation, _diagonals, _elementwise,
                                      _functional, _indexing, _joining, _linear, _manipulation, _padding,
                                      _reductions, _sorting, _statistics, _trigonometric, _windows)
                  for name in module.__all__})
