"""Diffusion on a normalized graph: the random walk, conjugate gradient and the exact solve.

All compute the ranking of the talk (seed, slides "ranking on manifolds" and "ranking as
solving a linear system"),

.. math:: \\mathbf{f} = (1-\\alpha)(I - \\alpha\\mathcal{W})^{-1}\\mathbf{y}
          = \\mathcal{L}_\\alpha^{-1} \\mathbf{y},
   \\qquad \\mathcal{L}_\\alpha = \\frac{I - \\alpha\\mathcal{W}}{1-\\alpha},

the random walk as the fixed point of ``f(t) = alpha W f(t-1) + (1 - alpha) y``
(Zhou et al., "Ranking on data manifolds", NIPS 2003), conjugate gradient as the solution
of ``L_alpha f = y`` (Iscen et al., "Efficient diffusion on region manifolds", CVPR 2017),
and :func:`exact_solution` by a sparse direct solve: this module is mlviz's only home of
that solve.

Several right-hand sides (several query sets, or one column per class) are solved at once:
:func:`conjugate_gradient` runs one independent CG per column, vectorized over the columns;
:func:`block_conjugate_gradient` searches the columns' Krylov spaces together (block CG), which
needs fewer iterations when the columns are few and related, as the class columns of
label propagation are.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from mlviz._block_cg import block_conjugate_gradient
from mlviz._iterations import Iterations, setup
from mlviz._validation import check_alpha, check_signal, check_square_sparse

__all__ = [
    "DIRECT_LIMIT", "Iterations", "block_conjugate_gradient", "cg_rate", "condition_number",
    "conjugate_gradient", "diffusion_solver", "exact_solution", "iterations_to_reach",
    "random_walk", "reference_solution", "relative_errors",
]

DIRECT_LIMIT = 5000
"""Up to this many nodes :func:`reference_solution` solves directly, beyond it by CG."""


def random_walk(W_norm, y, alpha: float = 0.99, *, max_iter: int | None = None,
                tol: float | None = 1e-6, f0=None, record: bool = False, dtype=None,
                reference=None, error_tol: float | None = None) -> Iterations:
    """Iterate the random walk ``f(t) = alpha W f(t-1) + (1 - alpha) y``.

    Parameters
    ----------
    W_norm : sparse matrix of shape (n, n)
        Normalized adjacency :math:`\\mathcal{W}` (:func:`mlviz.graph.normalize`).
    y : array-like of shape (n,) or (n, c)
        Query indicator(s) (:func:`mlviz.query_vector`), one column per signal.
    alpha : float in [0, 1)
    max_iter : int or None
        Most iterations. ``None`` (with a ``tol``): as many as the walk needs to reach
        ``tol``. Its residual ``||f(t+1) - f(t)||`` shrinks at least like ``α^t`` (the
        spectral radius of ``α𝒲`` is at most α), so ``⌈log(tol / r_0) / log α⌉`` steps
        suffice, ``r_0`` the first relative residual; ``converged`` says whether it got there.
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
    if max_iter is None and tol is None:
        raise ValueError("max_iter: give max_iter, or a tol for the walk to run until.")
    W, alpha, B, F, bnorm, limit, trace = setup(W_norm, y, alpha, f0, dtype, tol, error_tol,
                                                 max_iter or 0, reference, record)
    n_iter, converged = 0, False
    nxt = alpha * (W @ F) + B
    while True:
        res = np.linalg.norm(nxt - F, axis=0) / bnorm
        trace.residuals.append(res)
        if max_iter is None and n_iter == 0:
            limit = _steps_to_reach(alpha, tol, float(res.max()))
        if (tol is not None and np.all(res <= tol)) or trace.below(error_tol):
            converged = True
            break
        if n_iter == limit:
            break
        F = nxt
        n_iter += 1
        trace.add(F)
        nxt = alpha * (W @ F) + B
    return trace.finish(F, n_iter, converged)


def _steps_to_reach(alpha: float, tol: float, first: float) -> int:
    """Steps after which ``first · α^t <= tol``, one more for round-off."""
    if first <= tol or alpha == 0:
        return 1
    return int(np.ceil(np.log(tol / first) / np.log(alpha))) + 1


def conjugate_gradient(W_norm, y, alpha: float = 0.99, *, max_iter: int = 1000,
                       tol: float | None = 1e-6, f0=None, record: bool = False, dtype=None,
                       reference=None, error_tol: float | None = None) -> Iterations:
    """Solve ``L_alpha f = y`` by conjugate gradient, one CG per column of ``y``.

    ``L_alpha = (I - alpha W) / (1 - alpha)`` is symmetric positive definite with
    eigenvalues in ``[1, (1 + alpha) / (1 - alpha)]`` (:func:`condition_number`), so CG
    converges for every ``alpha`` in [0, 1) (Iscen et al., CVPR 2017). Columns stop updating
    once they reach ``tol``; the others go on.

    Parameters
    ----------
    W_norm, y, alpha, max_iter, tol, f0, record, dtype, reference, error_tol
        As in :func:`random_walk`.

    Returns
    -------
    Iterations
        ``solution`` approximates ``(1 - alpha)(I - alpha W)^-1 y``.
    """
    W, alpha, B, X, bnorm, max_iter, trace = setup(W_norm, y, alpha, f0, dtype, tol,
                                                    error_tol, max_iter, reference, record)
    R = B - (X - alpha * (W @ X))
    P = R.copy()
    rs = np.einsum("ij,ij->j", R, R)
    trace.residuals.append(np.sqrt(rs) / bnorm)
    n_iter, converged = 0, False
    zero = np.zeros(1, dtype=X.dtype)
    while True:
        active = trace.residuals[-1] > (tol if tol is not None else 0.0)
        if not active.any() or trace.below(error_tol):
            converged = tol is not None or trace.below(error_tol)
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
        trace.residuals.append(np.sqrt(rs) / bnorm)
        trace.add(X)
    return trace.finish(X, n_iter, converged)


def diffusion_solver(W_norm, alpha: float = 0.99) -> Callable[[np.ndarray], np.ndarray]:
    """Factor ``I - alpha W`` once; return ``y -> (1 - alpha)(I - alpha W)^-1 y`` (float64).

    A sparse LU factorization (SuperLU) with a minimum-degree ordering of ``A + A^T`` and
    symmetric pivoting, which suit the symmetric, diagonally dominant ``I - alpha W``. The
    factorization pays off over many right-hand sides; its fill-in grows with the dimension
    of the data, so for a handful of columns on a large graph prefer
    :func:`conjugate_gradient` or :func:`block_conjugate_gradient`.
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
    ``W_norm`` may be any square matrix with ``I - alpha W`` invertible, e.g. the directed
    path of :func:`mlviz.spectral.shift_matrix`. For very large graphs of high-dimensional
    data, where LU fill-in is prohibitive, use :func:`reference_solution`.
    """
    return diffusion_solver(W_norm, alpha)(y)


def reference_solution(W_norm, y, alpha: float = 0.99, direct_limit: int = DIRECT_LIMIT
                       ) -> np.ndarray:
    """``f* = (1 - alpha)(I - alpha W)^-1 y`` to near machine precision, on graphs of any size.

    :func:`exact_solution` up to ``direct_limit`` nodes, beyond by :func:`conjugate_gradient`
    in float64 to relative residual 1e-12 (so ``W_norm`` must then be symmetric).
    """
    W = check_square_sparse(W_norm, "W_norm")
    if W.shape[0] <= direct_limit:
        return exact_solution(W, y, alpha)
    return conjugate_gradient(W, y, alpha, tol=1e-12, max_iter=20000, dtype=np.float64).solution


def condition_number(alpha: float) -> float:
    """Condition number of ``L_alpha = (I - alpha W) / (1 - alpha)``: ``κ = (1 + α) / (1 - α)``.

    The eigenvalues of a normalized adjacency ``W`` lie in ``[-1, 1]``, so those of
    ``L_alpha`` lie in ``[1, (1 + α) / (1 - α)]`` (Iscen et al., "Efficient diffusion on
    region manifolds", CVPR 2017; seed, "ranking as solving a linear system").
    """
    alpha = check_alpha(alpha)
    return (1.0 + alpha) / (1.0 - alpha)


def cg_rate(alpha: float) -> float:
    """Conjugate gradient's rate on ``L_alpha f = y``: ``(√κ - 1) / (√κ + 1)``, ``κ`` of
    :func:`condition_number`.

    The error of the ``τ``-th iterate in the ``L_alpha``-norm is at most ``2 rate^τ`` times
    that of the first (Saad, "Iterative methods for sparse linear systems", 2003, Thm. 6.29),
    where the random walk's shrinks like ``α^τ``.
    """
    root = np.sqrt(condition_number(alpha))
    return float((root - 1.0) / (root + 1.0))


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
