"""Keras' `keras.ops` linear algebra on torch tensors (`torch.linalg` underneath).

Each function is reached both as `kerastorch.ops.X` and `kerastorch.ops.linalg.X`, as in Keras.
Decompositions return torch's named tuples (`eigh(x).eigenvalues`, `svd(x).U`, ...), which unpack
like Keras' plain tuples. A singular or non positive-definite input raises a `ValueError` that
says so.

Example:
>>> from kerastorch import ops
>>> ops.linalg.det([[2.0, 0.0], [0.0, 3.0]])
tensor(6.)
"""

import functools

import torch

from kerastorch import config
from kerastorch.backend.dtypes import result_type, standardize_dtype, to_torch_dtype
from kerastorch.ops._utils import _NOT_SYMBOLIC, op_error, record_if_symbolic, symbolic_first, tensor

__all__ = ["cholesky", "cholesky_inverse", "det", "eig", "eigh", "inv", "jvp", "lstsq", "lu_factor",
           "matrix_rank", "norm", "pinv", "qr", "solve", "solve_triangular", "svd"]

_NUMERIC_ADVICE = {
    "cholesky": "the matrix must be symmetric positive-definite",
    "cholesky_inverse": "the Cholesky factor must be triangular with a non-zero diagonal",
    "inv": "the matrix is singular; use ops.pinv for a pseudo-inverse",
    "solve": "the matrix `a` is singular; use ops.lstsq for a least-squares solution",
    "solve_triangular": "the triangular matrix `a` has a zero on its diagonal",
}


def _linalg_op(fn):
    """Like `keras_op`, and a singular or indefinite matrix gives a ValueError that says so."""
    name = fn.__name__

    @functools.wraps(fn)
    def op(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except Exception as e:
            result = record_if_symbolic(name, args, kwargs)      # KerasTensors: a graph node
            if result is not _NOT_SYMBOLIC:
                return result
            if isinstance(e, torch.linalg.LinAlgError):
                shapes = ", ".join(str(tuple(a.shape)) for a in args if hasattr(a, "shape"))
                advice = _NUMERIC_ADVICE.get(name, "the matrix is numerically unsuitable")
                raise ValueError(f"ops.{name} failed on inputs of shape {shapes}: {advice}. "
                                 f"(torch: {str(e).strip().splitlines()[0]})") from e
            if isinstance(e, (RuntimeError, IndexError)):
                raise op_error(name, e, args, kwargs) from e
            raise

    return op


def _shape(x):
    return tuple(int(d) for d in x.shape)


def _matrix(name, x, square=False, what="x"):
    """`x` as a float/complex tensor of rank >= 2 (and square when asked)."""
    x = tensor(x)
    if x.ndim < 2:
        raise ValueError(f"ops.{name}: `{what}` must have rank >= 2 (matrices in the last two axes), "
                         f"got shape {_shape(x)}.")
    if square and x.shape[-1] != x.shape[-2]:
        raise ValueError(f"ops.{name}: `{what}` must hold square matrices (..., M, M), got shape "
                         f"{_shape(x)}.")
    return _floating(name, x, what)


def _floating(name, x, what="x"):
    if not (x.is_floating_point() or x.is_complex()):
        raise TypeError(f"ops.{name}: `{what}` must be a float or complex tensor, got "
                        f"{standardize_dtype(x.dtype)}. Cast it first, e.g. ops.cast({what}, 'float32').")
    return x


def _a_and_b(name, a, b):
    a = _matrix(name, a, square=True, what="a")
    b = _floating(name, tensor(b), "b")
    if b.ndim < 1:
        raise ValueError(f"ops.{name}: `b` must have rank >= 1, got a scalar.")
    if b.ndim == a.ndim and b.shape[-2] != a.shape[-2]:
        raise ValueError(f"ops.{name}: expected a.shape[-2] == b.shape[-2], got a.shape={_shape(a)} "
                         f"and b.shape={_shape(b)}.")
    if b.ndim == a.ndim - 1 and b.shape[-1] != a.shape[-1]:
        raise ValueError(f"ops.{name}: expected a.shape[-1] == b.shape[-1], got a.shape={_shape(a)} "
                         f"and b.shape={_shape(b)}.")
    return a, b


@_linalg_op
def cholesky(x, upper=False):
    """The Cholesky factor of symmetric positive-definite matrices.

    Args:
        x: Tensor `(..., M, M)`.
        upper: Whether to return the upper factor `U` (`x = U^H U`) instead of the lower one
            (`x = L L^H`). Defaults to `False`.

    Returns:
        Tensor `(..., M, M)`.

    Example:
    >>> cholesky([[4.0, 2.0], [2.0, 5.0]])
    tensor([[2., 0.],
            [1., 2.]])
    """
    return torch.linalg.cholesky(_matrix("cholesky", x, square=True), upper=upper)


@_linalg_op
def cholesky_inverse(x, upper=False):
    """The inverse of a symmetric positive-definite matrix, given its Cholesky factor `x`.

    Args:
        x: Tensor `(..., M, M)`: the triangular factor (`cholesky(a)`), not `a` itself.
        upper: Whether `x` is the upper factor. Defaults to `False`.

    Returns:
        Tensor `(..., M, M)`: `inv(x @ x^H)` (lower) or `inv(x^H @ x)` (upper).

    Example:
    >>> a = [[4.0, 2.0], [2.0, 5.0]]
    >>> cholesky_inverse(cholesky(a))
    tensor([[ 0.3125, -0.1250],
            [-0.1250,  0.2500]])
    """
    return torch.cholesky_inverse(_matrix("cholesky_inverse", x, square=True), upper=upper)


@_linalg_op
def det(x):
    """The determinant of square matrices.

    Args:
        x: Tensor `(..., M, M)`.

    Returns:
        Tensor `(...)`.

    Example:
    >>> det([[1.0, 2.0], [3.0, 4.0]])
    tensor(-2.)
    """
    return torch.linalg.det(_matrix("det", x, square=True))


@_linalg_op
def eig(x):
    """Eigenvalues and eigenvectors of general square matrices (complex results).

    Args:
        x: Tensor `(..., M, M)`.

    Returns:
        A named pair `(eigenvalues (..., M), eigenvectors (..., M, M))` of complex tensors;
        column `i` of the eigenvectors belongs to eigenvalue `i`.

    Example:
    >>> eig([[2.0, 0.0], [0.0, 3.0]]).eigenvalues
    tensor([2.+0.j, 3.+0.j])
    """
    return torch.linalg.eig(_matrix("eig", x, square=True))


@_linalg_op
def eigh(x):
    """Eigenvalues (ascending) and eigenvectors of symmetric (Hermitian) matrices.

    Only the lower triangle of `x` is read.

    Args:
        x: Tensor `(..., M, M)`.

    Returns:
        A named pair `(eigenvalues (..., M), eigenvectors (..., M, M))`.

    Example:
    >>> eigh([[2.0, 0.0], [0.0, 1.0]]).eigenvalues
    tensor([1., 2.])
    """
    return torch.linalg.eigh(_matrix("eigh", x, square=True))


@_linalg_op
def inv(x):
    """The inverse of square matrices.

    Args:
        x: Tensor `(..., M, M)`.

    Returns:
        Tensor `(..., M, M)`.

    Example:
    >>> inv([[2.0, 0.0], [0.0, 4.0]])
    tensor([[0.5000, 0.0000],
            [0.0000, 0.2500]])
    """
    return torch.linalg.inv(_matrix("inv", x, square=True))


@_linalg_op
def lu_factor(x):
    """LU decomposition with partial pivoting, in LAPACK's packed form.

    Args:
        x: Tensor `(..., M, N)`.

    Returns:
        A pair `(lu, pivots)`: `lu (..., M, N)` holds `L` (unit diagonal, below) and `U` (on and
        above the diagonal); `pivots (..., min(M, N))` are 0-based int32 row swaps.

    Example:
    >>> lu, pivots = lu_factor([[1.0, 2.0], [3.0, 4.0]])
    >>> pivots
    tensor([1, 1], dtype=torch.int32)
    """
    lu, pivots = torch.linalg.lu_factor(_matrix("lu_factor", x))
    return lu, pivots - 1          # torch counts from 1, Keras from 0


_MATRIX_ORDS = (None, "fro", "nuc", float("inf"), float("-inf"), 1, -1, 2, -2)


@_linalg_op
def norm(x, ord=None, axis=None, keepdims=False):
    """Vector or matrix norm.

    With `axis` an int (or `x` 1-D) it is a vector norm of order `ord` (`None` is 2, `inf`,
    `-inf`, `0` (count of non-zeros), or any float); with `axis` a pair (or `x` 2-D) a matrix norm:
    `None`/`"fro"` (Frobenius), `"nuc"` (nuclear), `inf`/`-inf` (max/min row sum), `1`/`-1`
    (max/min column sum), `2`/`-2` (largest/smallest singular value). With `axis=None` and
    `ord=None`, the 2-norm of all entries.

    Args:
        x: A tensor.
        ord: Order of the norm. Defaults to `None`.
        axis: An int, a pair of ints, or `None`. Defaults to `None`.
        keepdims: Whether to keep the reduced axes with size 1. Defaults to `False`.

    Returns:
        A float tensor in Keras' promoted dtype: float32 for integer, float32 and float64 inputs
        (Keras' torch backend computes float64 norms in float32), float16/bfloat16 kept.

    Example:
    >>> norm([3.0, 4.0])
    tensor(5.)
    """
    x = tensor(x)
    if ord is None and axis is None and not keepdims and x.dtype == torch.float32:  # common case
        return torch.linalg.norm(x)
    if isinstance(ord, str) and ord not in ("fro", "nuc"):
        raise ValueError(f"ops.norm: a string `ord` must be 'fro' or 'nuc', got ord={ord!r}.")
    dims = (axis,) if isinstance(axis, int) else (None if axis is None else tuple(axis))
    num_axes = x.ndim if dims is None else len(dims)
    if num_axes == 1 and isinstance(ord, str):
        raise ValueError(f"ops.norm: ord={ord!r} is a matrix norm, but the norm is taken over one "
                         f"axis (x.shape={_shape(x)}, axis={axis!r}). Use a number, or pass two axes.")
    if num_axes == 2 and ord not in _MATRIX_ORDS:
        raise ValueError(f"ops.norm: ord={ord!r} is not a matrix norm; expected one of None, 'fro', "
                         "'nuc', inf, -inf, 1, -1, 2, -2.")
    if ord is not None and dims is None and x.ndim > 2:
        raise ValueError(f"ops.norm: with ord={ord!r}, x must be 1-D or 2-D or `axis` must be given, "
                         f"got x.shape={_shape(x)}.")
    if x.dtype != torch.float32:
        # Keras' promotion, which on torch also turns float64 into float32 (as Keras does).
        dtype = config.floatx() if x.dtype == torch.int64 else result_type(x.dtype, float)
        x = x.to(to_torch_dtype(dtype))
    return torch.linalg.norm(x, ord=ord, dim=dims, keepdim=keepdims)


@_linalg_op
def qr(x, mode="reduced"):
    """QR decomposition: `x = q @ r` with orthonormal `q` and upper-triangular `r`.

    Args:
        x: Tensor `(..., M, N)`.
        mode: `"reduced"` (`q (..., M, K)`, `r (..., K, N)`, `K = min(M, N)`) or `"complete"`
            (`q (..., M, M)`, `r (..., M, N)`). Defaults to `"reduced"`.

    Returns:
        A named pair `(Q, R)`.

    Example:
    >>> q, r = qr([[3.0, 0.0], [4.0, 5.0]])
    >>> r.abs()
    tensor([[5., 4.],
            [0., 3.]])
    """
    if mode not in ("reduced", "complete"):
        raise ValueError(f"ops.qr: mode must be 'reduced' or 'complete', got mode={mode!r}.")
    return torch.linalg.qr(_matrix("qr", x), mode=mode)


@_linalg_op
def solve(a, b):
    """Solves `a @ x = b` for `x`.

    Args:
        a: Tensor `(..., M, M)`.
        b: Tensor `(..., M, K)` or, for vectors, `(..., M)` (one axis fewer than `a`).

    Returns:
        A tensor shaped like `b`.

    Example:
    >>> solve([[2.0, 0.0], [0.0, 4.0]], [2.0, 2.0])
    tensor([1.0000, 0.5000])
    """
    a, b = _a_and_b("solve", a, b)
    return torch.linalg.solve(a, b)


@_linalg_op
def solve_triangular(a, b, lower=False):
    """Solves `a @ x = b` for triangular `a`.

    Args:
        a: Tensor `(..., M, M)`; only its upper (or, with `lower=True`, lower) triangle is read.
        b: Tensor `(..., M, K)` or `(..., M)`.
        lower: Whether `a` is lower-triangular. Defaults to `False`.

    Returns:
        A tensor shaped like `b`.

    Example:
    >>> solve_triangular([[1.0, 0.0], [1.0, 2.0]], [1.0, 3.0], lower=True)
    tensor([1., 1.])
    """
    a, b = _a_and_b("solve_triangular", a, b)
    if b.ndim == a.ndim - 1:
        return torch.linalg.solve_triangular(a, b.unsqueeze(-1), upper=not lower).squeeze(-1)
    return torch.linalg.solve_triangular(a, b, upper=not lower)


@_linalg_op
def svd(x, full_matrices=True, compute_uv=True):
    """Singular value decomposition: `x = u @ diag(s) @ vh`.

    Args:
        x: Tensor `(..., M, N)`.
        full_matrices: Whether `u` and `vh` are square (`(M, M)`, `(N, N)`) rather than
            `(M, K)`, `(K, N)` with `K = min(M, N)`. Defaults to `True`.
        compute_uv: Whether to return `u` and `vh`; with `False`, only the singular values.
            Defaults to `True`.

    Returns:
        A named triple `(U, S, Vh)`, or the singular values `(..., K)` (descending) alone.

    Example:
    >>> svd([[3.0, 0.0], [0.0, -4.0]], compute_uv=False)
    tensor([4., 3.])
    """
    x = _matrix("svd", x)
    if not compute_uv:
        return torch.linalg.svdvals(x)
    return torch.linalg.svd(x, full_matrices=full_matrices)


@_linalg_op
def lstsq(a, b, rcond=None):
    """The least-squares solution of `a @ x = b` (the minimum-norm one when there are several).

    Args:
        a: Tensor `(M, N)`.
        b: Tensor `(M,)` or `(M, K)`.
        rcond: Cut-off ratio for small singular values of `a`: those below `rcond` times the
            largest count as zero. Defaults to `None` (torch's default driver and threshold).

    Returns:
        Tensor `(N,)` or `(N, K)`.

    Example:
    >>> lstsq([[1.0, 0.0], [0.0, 1.0], [0.0, 0.0]], [1.0, 2.0, 3.0])
    tensor([1., 2.])
    """
    a = _matrix("lstsq", a, what="a")
    b = _floating("lstsq", tensor(b), "b")
    if b.ndim not in (a.ndim - 1, a.ndim) or b.shape[:a.ndim - 2] != a.shape[:-2] or (
            b.shape[a.ndim - 2] != a.shape[-2]):
        raise ValueError(f"ops.lstsq: expected b of shape (M,) or (M, K) for a of shape (M, N), got "
                         f"a.shape={_shape(a)} and b.shape={_shape(b)}.")
    vector = b.ndim == a.ndim - 1
    if vector:
        b = b.unsqueeze(-1)
    if rcond is None:
        out = torch.linalg.lstsq(a, b).solution
    elif a.device.type == "cuda":     # CUDA's only driver (gels) has no cut-off: go through pinv
        out = torch.linalg.pinv(a, rtol=rcond) @ b
    else:                             # gelsd (SVD) reads rcond as numpy does
        out = torch.linalg.lstsq(a, b, rcond=rcond, driver="gelsd").solution
    return out.squeeze(-1) if vector else out


@_linalg_op
def matrix_rank(x, tol=None):
    """The rank of matrices: the number of singular values above a threshold.

    Args:
        x: Tensor `(..., M, N)`.
        tol: Absolute threshold below which singular values count as zero. Defaults to `None`
            (`max(M, N) * eps * largest singular value`).

    Returns:
        An int32 tensor `(...)`.

    Example:
    >>> matrix_rank([[1.0, 2.0], [2.0, 4.0]])
    tensor(1, dtype=torch.int32)
    """
    return torch.linalg.matrix_rank(_matrix("matrix_rank", x), atol=tol).to(torch.int32)


@_linalg_op
def pinv(x, rcond=None):
    """The Moore-Penrose pseudo-inverse of matrices (through the SVD).

    Args:
        x: Tensor `(..., M, N)`.
        rcond: Singular values at most `rcond` times the largest count as zero. Defaults to
            `None` (`max(M, N) * eps`).

    Returns:
        Tensor `(..., N, M)`.

    Example:
    >>> pinv([[2.0, 0.0], [0.0, 0.0]])
    tensor([[0.5000, 0.0000],
            [0.0000, 0.0000]])
    """
    return torch.linalg.pinv(_matrix("pinv", x), rtol=rcond)


@symbolic_first
def jvp(fun, primals, tangents, has_aux=False):
    """Forward-mode Jacobian-vector product of `fun` at `primals` along `tangents`.

    Args:
        fun: Callable of tensors (or nested structures of tensors).
        primals: Tuple or list of `fun`'s positional arguments.
        tangents: Tuple or list like `primals`, one tangent per primal.
        has_aux: Whether `fun` returns `(output, aux)`; `aux` is passed through, not
            differentiated. Defaults to `False`.

    Returns:
        `(primals_out, tangents_out)`, or `(primals_out, tangents_out, aux)` with `has_aux`.

    Example:
    >>> import torch
    >>> out, tangent = jvp(lambda x: x * x, (torch.tensor(3.0),), (torch.tensor(1.0),))
    >>> out, tangent
    (tensor(9.), tensor(6.))
    """
    if not callable(fun):
        raise TypeError(f"ops.jvp: `fun` must be a callable, got {type(fun).__name__}.")
    if not isinstance(primals, (tuple, list)) or not isinstance(tangents, (tuple, list)):
        raise TypeError("ops.jvp: `primals` and `tangents` must be tuples or lists (one entry per "
                        f"argument of fun), got {type(primals).__name__} and {type(tangents).__name__}.")
    if len(primals) != len(tangents):
        raise ValueError(f"ops.jvp: got {len(primals)} primals but {len(tangents)} tangents; pass one "
                         "tangent per primal.")
    # Errors raised by `fun` itself reach the caller unchanged.
    return torch.func.jvp(fun, tuple(tensor(p) for p in primals), tuple(tensor(t) for t in tangents),
                          has_aux=has_aux)
