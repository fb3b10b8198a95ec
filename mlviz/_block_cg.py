"""Block conjugate gradient for ``L_alpha F = Y`` with many columns, in torch (its sparse
product is multi-threaded). Public as :func:`mlviz.diffusion.block_conjugate_gradient`."""

from __future__ import annotations

import warnings

import numpy as np
import scipy.sparse as sp

from mlviz._iterations import Iterations, setup


def torch_csr(W: sp.csr_matrix):
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


def orthonormal_basis(M, rank_tol: float):
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


def block_conjugate_gradient(W_norm, y, alpha: float = 0.99, *, max_iter: int = 1000,
                             tol: float | None = 1e-6, f0=None, record: bool = False,
                             dtype=None, reference=None, error_tol: float | None = None,
                             rank_tol: float = 1e-10) -> Iterations:
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
    the block removes them together.

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
        rounding the exact solution alone leaves a relative residual of up to ``κ`` times
        float32's epsilon, ``κ`` of :func:`mlviz.diffusion.condition_number`).
    """
    import torch

    W, alpha, B, X, bnorm, max_iter, trace = setup(W_norm, y, alpha, f0, dtype, tol, error_tol,
                                                   max_iter, reference, record, allow_empty=True)
    if B.dtype not in (np.float32, np.float64):
        raise ValueError(f"dtype must be float32 or float64, got {B.dtype}.")
    A = torch_csr(sp.csr_matrix(W))
    Xt = torch.from_numpy(X)  # updated in place: X is the solution
    Bt = torch.from_numpy(B)
    R = Bt - (Xt - alpha * (A @ Xt)) if f0 is not None else Bt.clone()
    norm_scale = torch.from_numpy(bnorm.astype(B.dtype))
    residuals = trace.residuals
    residuals.append((R.norm(dim=0) / norm_scale).numpy())
    stop_at = tol if tol is not None else 0.0
    P = orthonormal_basis(R, rank_tol)
    n_iter, converged, replacements = 0, False, 0
    while True:
        if tol is not None and np.all(residuals[-1] <= tol) and n_iter > 0:
            R = Bt - (Xt - alpha * (A @ Xt))
            residuals[-1] = (R.norm(dim=0) / norm_scale).numpy()
            if np.any(residuals[-1] > tol):
                if replacements == _MAX_REPLACEMENTS:
                    break  # stagnated at what the precision allows: converged stays False
                replacements += 1
                P = orthonormal_basis(R, rank_tol)
                continue
        if np.all(residuals[-1] <= stop_at) or P.shape[1] == 0 or trace.below(error_tol):
            converged = tol is not None or trace.below(error_tol) or P.shape[1] == 0
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
        trace.add(X)
        P = orthonormal_basis(torch.addmm(R, P, PtQ_inv @ (Q.T @ R), alpha=-1.0), rank_tol)
    return trace.finish(X, n_iter, converged)
