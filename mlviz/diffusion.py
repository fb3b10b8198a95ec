"""Diffusion on a normalized graph: the random walk and conjugate gradient.

Both compute the ranking of the talk (seed, slides "ranking on manifolds" and "ranking as
solving a linear system"),

.. math:: \\mathbf{f} = (1-\\alpha)(I - \\alpha\\mathcal{W})^{-1}\\mathbf{y}
          = \\mathcal{L}_\\alpha^{-1} \\mathbf{y},
   \\qquad \\mathcal{L}_\\alpha = \\frac{I - \\alpha\\mathcal{W}}{1-\\alpha},

the random walk as the fixed point of ``f(t) = alpha W f(t-1) + (1 - alpha) y``
(Zhou et al., "Ranking on data manifolds", NIPS 2003) and conjugate gradient as the solution
of ``L_alpha f = y`` (Iscen et al., "Efficient diffusion on region manifolds", CVPR 2017).

Several right-hand sides (several query sets, or one column per class) are solved at once:
:func:`conjugate_gradient` runs one independent CG per column, vectorized over the columns;
:func:`block_conjugate_gradient` searches the columns' Krylov spaces together (block CG), which
needs far fewer iterations when the columns are few and related, as the class columns of
label propagation are.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from mlviz._validation import (
    check_alpha,
    check_positive_int,
    check_signal,
    check_square_sparse,
    check_tol,
)


@dataclass
class Iterations:
    """The trace of an iterative solver.

    Attributes
    ----------
    solution : ndarray of shape (n,) or (n, c)
        The last iterate.
    iterates : ndarray of shape (n_iter + 1, n) or (n_iter + 1, n, c), or None
        Every iterate from the starting point on, when recorded.
    residuals : ndarray of shape (n_iter + 1,) or (n_iter + 1, c)
        Relative residual ``||(1-alpha) y - (I - alpha W) f|| / ||(1-alpha) y||`` of each
        iterate (per column), equal to that of ``L_alpha f = y``.
    n_iter : int
        Iterations done.
    converged : bool
        Whether every column reached the tolerance.
    errors : ndarray of shape (n_iter + 1,), or None
        ``||f(t) - f*|| / ||f*||`` of each iterate, when a reference ``f*`` was given.
    """

    solution: np.ndarray
    iterates: np.ndarray | None
    residuals: np.ndarray
    n_iter: int
    converged: bool
    errors: np.ndarray | None = None


def _setup(W_norm, y, alpha, f0, dtype, tol, error_tol, *, allow_empty: bool = False):
    W = check_square_sparse(W_norm, "W_norm")
    alpha = check_alpha(alpha)
    check_tol(tol)
    check_tol(error_tol, "error_tol")
    y = check_signal(y, W.shape[0])
    if not allow_empty and not np.any(y):
        raise ValueError("y is empty (all zeros): there is no query to diffuse. Mark at least "
                         "one query point with a nonzero entry.")
    dtype = np.dtype(dtype) if dtype is not None else W.dtype
    if W.dtype != dtype:
        W = W.astype(dtype)
    squeeze = y.ndim == 1
    Y = np.asarray(y, dtype=dtype).reshape(W.shape[0], -1)
    B = (1.0 - alpha) * Y
    if f0 is None:
        F = np.zeros_like(B)
    else:
        F = np.array(check_signal(f0, W.shape[0], "f0"), dtype=dtype).reshape(B.shape)
    bnorm = np.linalg.norm(B, axis=0)
    return W, alpha, B, F, np.where(bnorm > 0, bnorm, 1.0), squeeze


class _ErrorTracker:
    """Relative error of each iterate to a reference solution, without storing iterates."""

    def __init__(self, reference, shape):
        self.ref = None if reference is None else np.asarray(reference, np.float64).reshape(shape)
        self.norm = 1.0 if self.ref is None else (np.linalg.norm(self.ref) or 1.0)
        self.values: list[float] = []

    def __call__(self, F: np.ndarray) -> None:
        if self.ref is not None:
            diff = (F - self.ref).ravel()
            self.values.append(float(np.sqrt(diff @ diff)) / self.norm)

    def below(self, error_tol: float | None) -> bool:
        return error_tol is not None and bool(self.values) and self.values[-1] <= error_tol

    def result(self) -> np.ndarray | None:
        return None if self.ref is None else np.asarray(self.values)


def _finish(F, history, residuals, n_iter, converged, squeeze, record, errors) -> Iterations:
    res = np.asarray(residuals)
    its = np.stack(history) if record else None
    if squeeze:
        F = F[:, 0]
        res = res[:, 0]
        its = its[..., 0] if its is not None else None
    return Iterations(F, its, res, n_iter, converged, errors.result())


def random_walk(
    W_norm,
    y,
    alpha: float = 0.99,
    *,
    max_iter: int = 1000,
    tol: float | None = 1e-6,
    f0=None,
    record: bool = False,
    dtype=None,
    reference=None,
    error_tol: float | None = None,
) -> Iterations:
    """Iterate the random walk ``f(t) = alpha W f(t-1) + (1 - alpha) y``.

    Parameters
    ----------
    W_norm : sparse matrix of shape (n, n)
        Normalized adjacency :math:`\\mathcal{W}` (:func:`mlviz.graph.normalize`).
    y : array-like of shape (n,) or (n, c)
        Query indicator(s) (:func:`mlviz.query_vector`), one column per signal.
    alpha : float in [0, 1)
    max_iter : int
        Most iterations.
    tol : float or None
        Stop once every column's relative residual is at most ``tol``; ``None`` runs
        exactly ``max_iter`` iterations.
    f0 : array-like, optional
        Starting point ``f(0)``; zeros by default.
    record : bool
        Keep every iterate (for animation).
    dtype : numpy dtype, optional
        Arithmetic precision; that of ``W_norm`` by default.
    reference : array-like, optional
        The exact solution ``f*``; when given, ``errors`` holds each iterate's relative error.
    error_tol : float, optional
        With ``reference``: also stop once the relative error is at most ``error_tol``.

    Returns
    -------
    Iterations
        Converges to ``(1 - alpha)(I - alpha W)^-1 y`` for any ``f0`` (Zhou et al. 2003).
    """
    W, alpha, B, F, bnorm, squeeze = _setup(W_norm, y, alpha, f0, dtype, tol, error_tol)
    max_iter = check_positive_int(max_iter, "max_iter", minimum=0)
    history = [F.copy()] if record else []
    errors = _ErrorTracker(reference, F.shape)
    errors(F)
    residuals = []
    n_iter, converged = 0, False
    nxt = alpha * (W @ F) + B
    while True:
        res = np.linalg.norm(nxt - F, axis=0) / bnorm
        residuals.append(res)
        if (tol is not None and np.all(res <= tol)) or errors.below(error_tol):
            converged = True
            break
        if n_iter == max_iter:
            break
        F = nxt
        n_iter += 1
        errors(F)
        if record:
            history.append(F.copy())
        nxt = alpha * (W @ F) + B
    return _finish(F, history, residuals, n_iter, converged, squeeze, record, errors)


def conjugate_gradient(
    W_norm,
    y,
    alpha: float = 0.99,
    *,
    max_iter: int = 1000,
    tol: float | None = 1e-6,
    f0=None,
    record: bool = False,
    dtype=None,
    reference=None,
    error_tol: float | None = None,
) -> Iterations:
    """Solve ``L_alpha f = y`` by conjugate gradient, one CG per column of ``y``.

    ``L_alpha = (I - alpha W) / (1 - alpha)`` is symmetric positive definite with
    eigenvalues in ``[1, (1 + alpha) / (1 - alpha)]``, so CG converges for every
    ``alpha`` in [0, 1) (Iscen et al., CVPR 2017). Columns stop updating once they
    reach ``tol``; the others go on.

    Parameters
    ----------
    W_norm, y, alpha, max_iter, tol, f0, record, dtype, reference, error_tol
        As in :func:`random_walk`.

    Returns
    -------
    Iterations
        ``solution`` approximates ``(1 - alpha)(I - alpha W)^-1 y``.
    """
    W, alpha, B, X, bnorm, squeeze = _setup(W_norm, y, alpha, f0, dtype, tol, error_tol)
    max_iter = check_positive_int(max_iter, "max_iter", minimum=0)
    R = B - (X - alpha * (W @ X))
    P = R.copy()
    rs = np.einsum("ij,ij->j", R, R)
    history = [X.copy()] if record else []
    errors = _ErrorTracker(reference, X.shape)
    errors(X)
    residuals = [np.sqrt(rs) / bnorm]
    n_iter, converged = 0, False
    zero = np.zeros(1, dtype=X.dtype)
    while True:
        active = residuals[-1] > (tol if tol is not None else 0.0)
        if not active.any() or errors.below(error_tol):
            converged = tol is not None or errors.below(error_tol)
            break
        if n_iter == max_iter:
            break
        AP = P - alpha * (W @ P)
        pAp = np.einsum("ij,ij->j", P, AP)
        step = np.divide(rs, pAp, out=np.zeros_like(rs), where=active & (pAp > 0))
        X += step * P
        R -= step * AP
        rs_new = np.einsum("ij,ij->j", R, R)
        beta = np.divide(rs_new, rs, out=np.zeros_like(rs), where=rs > 0)
        P = R + np.where(active, beta, zero) * P
        rs = rs_new
        n_iter += 1
        residuals.append(np.sqrt(rs) / bnorm)
        errors(X)
        if record:
            history.append(X.copy())
    return _finish(X, history, residuals, n_iter, converged, squeeze, record, errors)


def _torch_csr(W: sp.csr_matrix):
    """``W`` as a torch CSR tensor sharing its memory (torch's sparse product is threaded)."""
    import torch

    W = W if W.has_sorted_indices else W.sorted_indices()
    index = np.int32 if W.indptr.dtype == W.indices.dtype == np.int32 else np.int64
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Sparse CSR tensor support is in beta")
        return torch.sparse_csr_tensor(
            torch.from_numpy(np.ascontiguousarray(W.indptr, dtype=index)),
            torch.from_numpy(np.ascontiguousarray(W.indices, dtype=index)),
            torch.from_numpy(np.ascontiguousarray(W.data)),
            size=W.shape,
            check_invariants=False,
        )


def _orthonormal_basis(M, rank_tol: float):
    """An orthonormal basis of the columns of ``M``, without the directions whose squared
    singular value is below ``rank_tol`` times the largest (the columns that became
    dependent). Computed from the small Gram matrix ``MᵀM`` in float64."""
    import torch

    lam, V = torch.linalg.eigh((M.T @ M).double())
    if lam.numel() == 0 or lam[-1] <= 0:
        return M[:, :0]
    keep = lam > rank_tol * lam[-1]
    return M @ (V[:, keep] / lam[keep].sqrt()).to(M.dtype)


_MAX_REPLACEMENTS = 3


def block_conjugate_gradient(
    W_norm,
    y,
    alpha: float = 0.99,
    *,
    max_iter: int = 1000,
    tol: float | None = 1e-6,
    f0=None,
    record: bool = False,
    dtype=None,
    reference=None,
    error_tol: float | None = None,
    rank_tol: float = 1e-10,
) -> Iterations:
    """Solve ``L_alpha F = Y`` for all columns of ``Y`` at once by block conjugate gradient.

    Block CG (O'Leary, "The block conjugate gradient algorithm and related methods", Linear
    Algebra Appl. 1980) minimizes the ``L_alpha``-norm error of every column over the sum of
    all the columns' Krylov spaces. With ``A = I - alpha W`` (a positive multiple of
    ``L_alpha``), ``R = (1-alpha)Y - A F`` and ``P`` an orthonormal basis of the search block,
    each iteration is

    .. math:: Q = AP,\\quad a = (P^TQ)^{-1}P^TR,\\quad F \\leftarrow F + Pa,\\quad
              R \\leftarrow R - Qa,\\quad P \\leftarrow \\mathrm{orth}(R - P(P^TQ)^{-1}Q^TR),

    the breakdown-free variant of Ji and Li ("A breakdown-free block conjugate gradient
    method", BIT 2017): ``orth`` drops the directions of columns that became dependent (or
    converged), so the block shrinks instead of breaking down. On ``c`` classes whose labels
    sit in ``c`` clusters the ``c`` smallest eigenvalues of ``A`` are what slows CG down, and
    the block removes them together: on 10 overlapping Gaussian classes (n = 100,000, k = 30,
    alpha = 0.99) it reached 1e-6 in 28 iterations where one CG per column took 58.

    The updated residual drifts from the true one in float32, so once it reaches ``tol`` the
    true residual is computed; if that is still above ``tol``, it replaces the updated one
    and the iterations go on from it (residual replacement). When the true residual is still
    above ``tol`` after three replacements, the iteration has stagnated at what the precision
    allows and stops, not converged (:func:`mlviz.propagation.propagate` then refines in
    float64). The residual of the last iterate in ``residuals`` is thus the true one.

    The products run in torch (its sparse product is multi-threaded), on the CPU.

    Parameters
    ----------
    W_norm, y, alpha, max_iter, tol, f0, record, dtype, reference, error_tol
        As in :func:`random_walk`. ``tol`` applies to every column's relative residual.
    rank_tol : float
        Relative threshold on the squared singular values of the new search block below
        which a direction is dropped.

    Returns
    -------
    Iterations
        ``solution`` approximates ``(1 - alpha)(I - alpha W)^-1 y``; ``residuals`` holds the
        updated residual of each column at each iteration, the true one at the last.
        ``converged`` is False when ``tol`` is below what the precision allows (in float32,
        rounding the exact solution alone leaves a relative residual of ~1e-7 to 1e-6).
    """
    import torch

    W, alpha, B, X, bnorm, squeeze = _setup(W_norm, y, alpha, f0, dtype, tol, error_tol,
                                            allow_empty=True)
    max_iter = check_positive_int(max_iter, "max_iter", minimum=0)
    if B.dtype not in (np.float32, np.float64):
        raise ValueError(f"dtype must be float32 or float64, got {B.dtype}.")
    A = _torch_csr(sp.csr_matrix(W))
    Xt = torch.from_numpy(X)  # updated in place: X is the solution
    Bt = torch.from_numpy(B)
    R = Bt - (Xt - alpha * (A @ Xt)) if f0 is not None else Bt.clone()
    norm_scale = torch.from_numpy(bnorm.astype(B.dtype))
    history = [X.copy()] if record else []
    errors = _ErrorTracker(reference, X.shape)
    errors(X)
    residuals = [(R.norm(dim=0) / norm_scale).numpy()]
    stop_at = tol if tol is not None else 0.0
    P = _orthonormal_basis(R, rank_tol)
    n_iter, converged, replacements = 0, False, 0
    while True:
        if tol is not None and np.all(residuals[-1] <= tol) and n_iter > 0:
            R = Bt - (Xt - alpha * (A @ Xt))
            residuals[-1] = (R.norm(dim=0) / norm_scale).numpy()
            if np.any(residuals[-1] > tol):
                if replacements == _MAX_REPLACEMENTS:
                    break  # stagnated at what the precision allows: converged stays False
                replacements += 1
                P = _orthonormal_basis(R, rank_tol)
                continue
        if np.all(residuals[-1] <= stop_at) or P.shape[1] == 0 or errors.below(error_tol):
            converged = tol is not None or errors.below(error_tol) or P.shape[1] == 0
            break
        if n_iter == max_iter:
            break
        Q = P - alpha * (A @ P)
        PtQ_inv = torch.linalg.inv((P.T @ Q).double()).to(Q.dtype)
        step = PtQ_inv @ (P.T @ R)
        Xt.addmm_(P, step)
        R.addmm_(Q, step, alpha=-1.0)
        n_iter += 1
        residuals.append((R.norm(dim=0) / norm_scale).numpy())
        errors(X)
        if record:
            history.append(X.copy())
        P = _orthonormal_basis(torch.addmm(R, P, PtQ_inv @ (Q.T @ R), alpha=-1.0), rank_tol)
    return _finish(X, history, residuals, n_iter, converged, squeeze, record, errors)


def diffusion_solver(W_norm, alpha: float = 0.99) -> Callable[[np.ndarray], np.ndarray]:
    """Factor ``I - alpha W`` once; return ``y -> (1 - alpha)(I - alpha W)^-1 y`` (float64).

    A sparse LU factorization (SuperLU) with a minimum-degree ordering of ``A + A^T`` and
    symmetric pivoting, which suit the symmetric, diagonally dominant ``I - alpha W``. On kNN
    graphs of low-dimensional data the fill-in is a few dozen entries per row, so one
    factorization answers hundreds of right-hand sides faster than CG answers one each; on
    high-dimensional data the fill grows (measured here: ~700 entries per row at n = 20,000,
    d = 64, k = 10), still cheaper than CG over hundreds of columns, but for a handful of
    columns on a large graph prefer :func:`conjugate_gradient` or
    :func:`block_conjugate_gradient`.
    """
    W = check_square_sparse(W_norm, "W_norm").astype(np.float64)
    alpha = check_alpha(alpha)
    n = W.shape[0]
    A = (sp.identity(n, format="csc") - alpha * W.tocsc()).tocsc()
    lu = spla.splu(A, permc_spec="MMD_AT_PLUS_A", diag_pivot_thresh=0.0,
                   options={"SymmetricMode": True})

    def solve(y) -> np.ndarray:
        y = check_signal(y, n).astype(np.float64)
        return lu.solve((1.0 - alpha) * y)

    return solve


def exact_solution(W_norm, y, alpha: float = 0.99) -> np.ndarray:
    """``f = (1 - alpha)(I - alpha W)^-1 y`` by a sparse direct solve (float64).

    Used as the reference the iterations are checked against (:func:`diffusion_solver`).
    For very large graphs of high-dimensional data, where LU fill-in is prohibitive, use
    :func:`conjugate_gradient` with a tight tolerance instead.
    """
    return diffusion_solver(W_norm, alpha)(y)


def relative_errors(iterates: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """``||f(t) - f*|| / ||f*||`` for every recorded iterate ``f(t)``."""
    ref = np.asarray(reference, dtype=np.float64)
    diff = np.asarray(iterates, dtype=np.float64) - ref[None]
    axes = tuple(range(1, diff.ndim))
    norm = np.linalg.norm(ref)
    return np.sqrt(np.sum(diff**2, axis=axes)) / (norm if norm > 0 else 1.0)


def iterations_to_reach(errors: np.ndarray, tol: float) -> int | None:
    """First iteration whose error is at most ``tol``, or None if none is."""
    hit = np.flatnonzero(np.asarray(errors) <= tol)
    return int(hit[0]) if hit.size else None


def ranking(scores: np.ndarray, exclude=None) -> np.ndarray:
    """Point indices by descending score, without those in ``exclude`` (e.g. the queries).

    Ties are broken by index so the order is deterministic.
    """
    scores = np.asarray(scores)
    order = np.lexsort((np.arange(scores.size), -scores))
    if exclude is not None and np.size(exclude):
        order = order[~np.isin(order, np.asarray(exclude))]
    return order
