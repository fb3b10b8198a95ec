"""Ranking as smoothing: spectral filtering on the graph.

Iscen, Tolias, Avrithis, Furon, Chum, "Fast spectral ranking for similarity search",
CVPR 2018 (seed, section "ranking as smoothing"). The ranking is a matrix function of the
normalized adjacency,

.. math:: \\mathcal{L}_\\alpha^{-1} = h_\\alpha(\\mathcal{W}) = (1-\\alpha)(I-\\alpha\\mathcal{W})^{-1},
   \\qquad h_\\alpha(\\lambda) = \\frac{1-\\alpha}{1-\\alpha\\lambda},

computed without forming ``h(W)``: with the top-r eigenpairs ``W ≈ U Λ Uᵀ``,
``x ≈ U h(Λ) Uᵀ y``. Its 1-D analogue is the exponential moving average
``x_i = alpha x_(i-1) + (1 - alpha) y_i``, the same filter on a directed path.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import scipy.linalg as sla
import scipy.signal
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from mlviz._validation import (
    check_alpha,
    check_positive_int,
    check_signal,
    check_square_sparse,
)

TransferFunction = Callable[[np.ndarray], np.ndarray]

DENSE_LIMIT = 1500
"""Up to this many nodes the eigendecomposition is dense (exact, all n pairs)."""


@dataclass(frozen=True)
class Eigenpairs:
    """Eigenvalues (descending) and orthonormal eigenvectors (columns) of a symmetric matrix."""

    values: np.ndarray
    vectors: np.ndarray

    @property
    def rank(self) -> int:
        return int(self.values.size)


def eigenpairs(W_norm, r: int, *, seed: int = 0) -> Eigenpairs:
    """The ``r`` largest (algebraic) eigenpairs of the normalized adjacency.

    Dense ``eigh`` when ``n <= DENSE_LIMIT`` or ``r`` is close to ``n``, Lanczos
    (``scipy.sparse.linalg.eigsh``) otherwise. Large eigenvalues are the graph's low
    frequencies: smooth signals on the graph.

    Parameters
    ----------
    W_norm : sparse matrix of shape (n, n)
        Symmetric normalized adjacency.
    r : int
        Number of eigenpairs, ``1 <= r <= n``.
    seed : int
        Seeds the Lanczos starting vector.
    """
    W = check_square_sparse(W_norm, "W_norm")
    n = W.shape[0]
    r = check_positive_int(r, "r")
    if r > n:
        raise ValueError(f"r must be at most the number of points ({n}), got {r}.")
    if n <= DENSE_LIMIT or r >= n - 1:
        vals, vecs = sla.eigh(W.toarray().astype(np.float64))
        vals, vecs = vals[::-1][:r], vecs[:, ::-1][:, :r]
    else:
        v0 = np.random.default_rng(seed).standard_normal(n)
        vals, vecs = spla.eigsh(W.astype(np.float64), k=r, which="LA", v0=v0)
        order = np.argsort(-vals)
        vals, vecs = vals[order], vecs[:, order]
    vecs = _fix_signs(vecs)
    return Eigenpairs(values=vals, vectors=vecs)


def _fix_signs(vecs: np.ndarray) -> np.ndarray:
    """Make each eigenvector's largest-magnitude entry positive, so pictures are stable."""
    idx = np.argmax(np.abs(vecs), axis=0)
    signs = np.sign(vecs[idx, np.arange(vecs.shape[1])])
    return vecs * np.where(signs == 0, 1.0, signs)


def h_alpha(alpha: float) -> TransferFunction:
    """The talk's transfer function ``h_alpha(lambda) = (1 - alpha) / (1 - alpha lambda)``."""
    alpha = check_alpha(alpha)
    return lambda lam: (1.0 - alpha) / (1.0 - alpha * np.asarray(lam, dtype=np.float64))


def heat_kernel(t: float) -> TransferFunction:
    """Heat kernel ``h(lambda) = exp(-t (1 - lambda))``, another low-pass filter."""
    if not t > 0:
        raise ValueError(f"t must be positive, got {t}.")
    return lambda lam: np.exp(-t * (1.0 - np.asarray(lam, dtype=np.float64)))


def ideal_low_pass(cutoff: float) -> TransferFunction:
    """Ideal low-pass ``h(lambda) = 1[lambda >= cutoff]``."""
    return lambda lam: (np.asarray(lam, dtype=np.float64) >= cutoff).astype(np.float64)


def spectrum(pairs: Eigenpairs, y) -> np.ndarray:
    """Graph Fourier coefficients ``Uᵀ y`` of a signal."""
    y = check_signal(y, pairs.vectors.shape[0])
    return pairs.vectors.T @ y


def low_rank_filter(pairs: Eigenpairs, y, h: TransferFunction, r: int | None = None) -> np.ndarray:
    """``x ≈ U_r h(Λ_r) U_rᵀ y`` with the top ``r`` eigenpairs (all of them by default)."""
    r = pairs.rank if r is None else check_positive_int(r, "r")
    if r > pairs.rank:
        raise ValueError(f"r must be at most the {pairs.rank} eigenpairs computed, got {r}.")
    U, lam = pairs.vectors[:, :r], pairs.values[:r]
    coeffs = spectrum(Eigenpairs(lam, U), y)
    gain = h(lam)
    return U @ (gain[:, None] * coeffs if coeffs.ndim == 2 else gain * coeffs)


def spectral_embedding(pairs: Eigenpairs, h: TransferFunction, r: int | None = None) -> np.ndarray:
    """Rows of ``U_r h(Λ_r)^{1/2}``: the points in which ``h(W)`` is an inner product.

    ``h(W) ≈ (U h^{1/2})(U h^{1/2})ᵀ``, so ranking by ``h(W) y`` is ranking by similarity
    in this embedding: "soft" dimensionality reduction (seed, "interpretation").
    """
    r = pairs.rank if r is None else min(check_positive_int(r, "r"), pairs.rank)
    gain = np.clip(h(pairs.values[:r]), 0.0, None)
    return pairs.vectors[:, :r] * np.sqrt(gain)


def exponential_moving_average(y, alpha: float) -> np.ndarray:
    """``x_i = alpha x_(i-1) + (1 - alpha) y_i`` with ``x_(-1) = 0`` (seed, "ranking as smoothing").

    Impulse response ``h_i = (1 - alpha) alpha^i``; transfer function
    ``H(z) = (1 - alpha) / (1 - alpha z^-1)``.
    """
    alpha = check_alpha(alpha)
    y = np.asarray(y, dtype=np.float64)
    if y.ndim != 1 or y.size == 0:
        raise ValueError(f"y must be a non-empty 1-D signal, got shape {y.shape}.")
    if not np.all(np.isfinite(y)):
        raise ValueError("y contains NaN or infinite values.")
    return scipy.signal.lfilter([1.0 - alpha], [1.0, -alpha], y)


def ema_frequency_response(alpha: float, omega: np.ndarray) -> np.ndarray:
    """``|H(e^{iω})|`` of the moving average: ``(1 - alpha) / |1 - alpha e^{-iω}|``."""
    alpha = check_alpha(alpha)
    return (1.0 - alpha) / np.abs(1.0 - alpha * np.exp(-1j * np.asarray(omega)))


def shift_matrix(n: int) -> sp.csr_matrix:
    """Adjacency of the directed path ``i-1 → i``: ``(S y)_i = y_(i-1)``.

    ``h_alpha(S) y = (1 - alpha)(I - alpha S)^-1 y`` is exactly
    :func:`exponential_moving_average`: the EMA is the talk's filter on this graph.
    """
    n = check_positive_int(n, "n")
    return sp.diags(np.ones(n - 1), -1, shape=(n, n), format="csr")


def path_graph(n: int) -> sp.csr_matrix:
    """Adjacency of the undirected path on ``n`` nodes (information flows both ways).

    Unnormalized (eigenvalues up to 2): normalize it (:func:`mlviz.graph.normalize`) before
    filtering with ``h_alpha``, whose series converges only for eigenvalues in [-1, 1].
    """
    S = shift_matrix(n)
    return sp.csr_matrix(S + S.T)


def graph_filter(A, y, alpha: float) -> np.ndarray:
    """``h_alpha(A) y = (1 - alpha)(I - alpha A)^-1 y`` by a direct solve, for any square ``A``."""
    A = check_square_sparse(A, "A").astype(np.float64)
    alpha = check_alpha(alpha)
    y = check_signal(y, A.shape[0]).astype(np.float64)
    M = sp.identity(A.shape[0], format="csc") - alpha * A.tocsc()
    return spla.splu(M.tocsc()).solve((1.0 - alpha) * y)


@dataclass(frozen=True)
class LowRankCurve:
    """How the rank-r approximation approaches the exact filter as r grows."""

    ranks: np.ndarray
    relative_error: np.ndarray
    top_k_overlap: np.ndarray


def low_rank_curve(
    pairs: Eigenpairs, y, h: TransferFunction, exact, ranks, k: int = 10, exclude=None
) -> LowRankCurve:
    """Relative error ``||x_r - x|| / ||x||`` and top-k overlap with ``x`` for each rank r.

    ``x_r = U_r h(Λ_r) U_rᵀ y`` (Iscen et al. 2018) and ``x`` the exact ``h(W) y``.
    """
    from mlviz.metrics import top_k_overlap

    exact = np.asarray(exact, dtype=np.float64)
    ranks = np.asarray(sorted({int(r) for r in ranks if 1 <= r <= pairs.rank}))
    if ranks.size == 0:
        raise ValueError(f"ranks must include a value in [1, {pairs.rank}].")
    coeffs = h(pairs.values) * spectrum(pairs, y)
    norm = np.linalg.norm(exact) or 1.0
    errs, overlaps = [], []
    x_r, done = np.zeros(pairs.vectors.shape[0]), 0
    for r in ranks:
        x_r = x_r + pairs.vectors[:, done:r] @ coeffs[done:r]
        done = r
        errs.append(np.linalg.norm(x_r - exact) / norm)
        overlaps.append(top_k_overlap(x_r, exact, k, exclude))
    return LowRankCurve(ranks, np.asarray(errs), np.asarray(overlaps))


FILTERS = ("h_alpha", "heat kernel", "ideal low-pass")


def make_filter(kind: str, alpha: float = 0.99, t: float = 5.0, cutoff: float = 0.9) -> TransferFunction:
    """The transfer function named ``kind`` (one of :data:`FILTERS`) with its parameter."""
    if kind == "h_alpha":
        return h_alpha(alpha)
    if kind == "heat kernel":
        return heat_kernel(t)
    if kind == "ideal low-pass":
        return ideal_low_pass(cutoff)
    raise ValueError(f"filter must be one of {FILTERS}, got {kind!r}.")


def filter_exactly(W_norm, y, kind: str, alpha: float = 0.99, t: float = 5.0) -> np.ndarray | None:
    """``h(W) y`` without eigendecomposition where that is possible.

    ``h_alpha``: ``(1 - alpha)(I - alpha W)^-1 y`` by a sparse solve (CG beyond 5,000 nodes);
    heat kernel: ``exp(-t (I - W)) y`` by ``scipy.sparse.linalg.expm_multiply``;
    ideal low-pass: None (it needs the eigenvectors themselves).
    """
    W = check_square_sparse(W_norm, "W_norm").astype(np.float64)
    y = check_signal(y, W.shape[0]).astype(np.float64)
    if kind == "h_alpha":
        from mlviz.ranking import reference_solution

        return reference_solution(W, y, check_alpha(alpha))
    if kind == "heat kernel":
        L = sp.identity(W.shape[0], format="csr") - W
        return spla.expm_multiply(-float(t) * L, y)
    if kind == "ideal low-pass":
        return None
    raise ValueError(f"filter must be one of {FILTERS}, got {kind!r}.")


def example_signal(kind: str, n: int = 120, seed: int = 0) -> np.ndarray:
    """A 1-D test signal: ``"impulse"`` at n/4, ``"step"`` at n/3, or ``"noisy sine"``."""
    y = np.zeros(n)
    if kind == "impulse":
        y[n // 4] = 1.0
    elif kind == "step":
        y[n // 3:] = 1.0
    elif kind == "noisy sine":
        rng = np.random.default_rng(seed)
        y = np.sin(np.linspace(0, 4 * np.pi, n)) + 0.5 * rng.standard_normal(n)
    else:
        raise ValueError("kind must be 'impulse', 'step' or 'noisy sine'.")
    return y
