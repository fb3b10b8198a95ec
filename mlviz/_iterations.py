"""The trace shared by the iterative solvers of :mod:`mlviz.diffusion`: argument checks, residuals,
errors to a reference solution and recorded iterates."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

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


class Trace:
    """What a solver keeps of its iterates: residuals, the relative error of each to a
    reference solution (without storing them), and every iterate when recorded."""

    def __init__(self, F: np.ndarray, reference, record: bool, squeeze: bool):
        self.record, self.squeeze = record, squeeze
        self.ref = None if reference is None else np.asarray(reference, np.float64).reshape(F.shape)
        self.norm = 1.0 if self.ref is None else (np.linalg.norm(self.ref) or 1.0)
        self.errors: list[float] = []
        self.residuals: list[np.ndarray] = []
        self.history: list[np.ndarray] = []
        self.add(F)

    def add(self, F: np.ndarray) -> None:
        """Record the iterate ``F`` (its error, and itself when recording)."""
        if self.ref is not None:
            diff = (F - self.ref).ravel()
            # einsum, not BLAS: OpenBLAS splits a dot of over 10,000 entries across its
            # threads, and each wait for a core the browser holds cost more than the sum.
            self.errors.append(float(np.sqrt(np.einsum("i,i->", diff, diff))) / self.norm)
        if self.record:
            self.history.append(F.copy())

    def below(self, error_tol: float | None) -> bool:
        return error_tol is not None and bool(self.errors) and self.errors[-1] <= error_tol

    def finish(self, F: np.ndarray, n_iter: int, converged: bool) -> Iterations:
        res = np.asarray(self.residuals)
        its = np.stack(self.history) if self.record else None
        if self.squeeze:
            F, res = F[:, 0], res[:, 0]
            its = its[..., 0] if its is not None else None
        errors = None if self.ref is None else np.asarray(self.errors)
        return Iterations(F, its, res, n_iter, converged, errors)


def setup(W_norm, y, alpha, f0, dtype, tol, error_tol, max_iter, reference, record, *,
           allow_empty: bool = False):
    """Check a solver's arguments; return ``W, alpha, B = (1-alpha) Y, F0, ||B|| per column
    (1 where zero), max_iter`` and the :class:`Trace` of ``F0``."""
    W = check_square_sparse(W_norm, "W_norm")
    alpha = check_alpha(alpha)
    check_tol(tol)
    check_tol(error_tol, "error_tol")
    max_iter = check_positive_int(max_iter, "max_iter", minimum=0)
    y = check_signal(y, W.shape[0])
    if not allow_empty and not np.any(y):
        raise ValueError("y is empty (all zeros): there is no query to diffuse. Mark at least "
                         "one query point with a nonzero entry.")
    dtype = np.dtype(dtype) if dtype is not None else W.dtype
    if W.dtype != dtype:
        W = W.astype(dtype)
    Y = np.asarray(y, dtype=dtype).reshape(W.shape[0], -1)
    B = (1.0 - alpha) * Y
    if f0 is None:
        F = np.zeros_like(B)
    else:
        F = np.array(check_signal(f0, W.shape[0], "f0"), dtype=dtype).reshape(B.shape)
    bnorm = np.linalg.norm(B, axis=0)
    trace = Trace(F, reference, record, squeeze=y.ndim == 1)
    return W, alpha, B, F, np.where(bnorm > 0, bnorm, 1.0), max_iter, trace
