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
from scipy.sparse.csgraph import connected_components

from mlviz._validation import (
    check_alpha,
    check_positive_int,
    check_signal,
    check_square_sparse,
)
from mlviz.diffusion import reference_solution

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

    Dense ``eigh`` when ``n <= DENSE_LIMIT`` or ``r`` is close to ``n``; otherwise one
    connected component at a time (``W_norm`` is block diagonal over them), dense for the
    small ones and Lanczos (``scipy.sparse.linalg.eigsh``) for the large, and the ``r`` largest
    of all kept. λ = 1 is an eigenvalue of every component with an edge: a single Lanczos run
    on the whole graph finds about one vector per distinct eigenvalue and misses the other
    copies. Large eigenvalues are the graph's low frequencies: smooth signals on the graph.

    Parameters
    ----------
    W_norm : sparse matrix of shape (n, n)
        Symmetric normalized adjacency.
    r : int
        Number of eigenpairs, ``1 <= r <= n``.
    seed : int
        Seeds the Lanczos starting vectors.
    """
    W = check_square_sparse(W_norm, "W_norm")
    n = W.shape[0]
    r = check_positive_int(r, "r")
    if r > n:
        raise ValueError(f"r must be at most the number of points ({n}), got {r}.")
    if n <= DENSE_LIMIT or r >= n - 1:
        vals, vecs = _top_pairs(W, r, seed)
        return Eigenpairs(values=vals, vectors=_fix_signs(vecs))
    W = W.tocsr().astype(np.float64)
    count, component = connected_components(W, directed=False)
    members = np.split(np.argsort(component, kind="stable"),
                       np.cumsum(np.bincount(component, minlength=count))[:-1])
    diagonal = W.diagonal()
    parts = [(diagonal[idx], np.ones((1, 1))) if idx.size == 1  # an isolated point
             else _top_pairs(W[idx][:, idx], min(r, idx.size), seed) for idx in members]
    values = np.concatenate([vals for vals, _ in parts])
    owner = np.repeat(np.arange(count), [vals.size for vals, _ in parts])
    column = np.concatenate([np.arange(vals.size) for vals, _ in parts])
    keep = np.argsort(-values, kind="stable")[:r]
    vectors = np.zeros((n, r))
    for j, i in enumerate(keep):
        vectors[members[owner[i]], j] = parts[owner[i]][1][:, column[i]]
    return Eigenpairs(values=values[keep], vectors=_fix_signs(vectors))


def _top_pairs(W, r: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The ``r`` largest eigenpairs of one symmetric block, descending: dense when small."""
    m = W.shape[0]
    if m <= DENSE_LIMIT or r >= m - 1:
        vals, vecs = sla.eigh(W.toarray().astype(np.float64))
        return vals[::-1][:r], vecs[:, ::-1][:, :r]
    v0 = np.random.default_rng(seed).standard_normal(m)
    vals, vecs = spla.eigsh(W, k=r, which="LA", v0=v0)
    order = np.argsort(-vals)
    return vals[order], vecs[:, order]


def _fix_signs(vecs: np.ndarray) -> np.ndarray:
    """Make each eigenvector's largest-magnitude entry positive, so pictures are stable."""
    idx = np.argmax(np.abs(vecs), axis=0)
    signs = np.sign(vecs[idx, np.arange(vecs.shape[1])])
    return vecs * np.where(signs == 0, 1.0, signs)


@dataclass(frozen=True)
class TransferFunction:
    """A graph filter ``h``, by its gain on the eigenvalues of ``𝒲`` and, where there is one,
    a way to compute ``h(𝒲) y`` without eigenvectors.

    Calling it is calling ``gain``: ``h(lam)``.

    Attributes
    ----------
    name : str
        The name the app shows and :func:`transfer_functions` keys it by.
    gain : callable
        ``lambda -> h(lambda)``, elementwise on an array of eigenvalues.
    exact : callable or None
        ``(W_norm, y) -> h(W_norm) y``; None where only the eigenvectors give it.
    """

    name: str
    gain: Callable[[np.ndarray], np.ndarray]
    exact: Callable[[sp.spmatrix, np.ndarray], np.ndarray] | None = None

    def __call__(self, lam) -> np.ndarray:
        return self.gain(lam)


def h_alpha(alpha: float) -> TransferFunction:
    """The talk's transfer function ``h_alpha(lambda) = (1 - alpha) / (1 - alpha lambda)``.

    ``exact``: ``h_alpha(A) y = (1 - alpha)(I - alpha A)^-1 y`` for a square ``A``
    (:func:`mlviz.diffusion.reference_solution`: a sparse direct solve up to 5,000 nodes,
    CG on a symmetric ``A`` beyond).
    """
    alpha = check_alpha(alpha)
    return TransferFunction(
        "h_alpha",
        lambda lam: (1.0 - alpha) / (1.0 - alpha * np.asarray(lam, dtype=np.float64)),
        lambda A, y: reference_solution(A, y, alpha),
    )


def heat_kernel(t: float) -> TransferFunction:
    """Heat kernel ``h(lambda) = exp(-t (1 - lambda))``, another low-pass filter.

    ``exact``: ``exp(-t (I - W)) y`` by ``scipy.sparse.linalg.expm_multiply``.
    """
    if not t > 0:
        raise ValueError(f"t must be positive, got {t}.")

    def exact(W_norm, y) -> np.ndarray:
        W = check_square_sparse(W_norm, "W_norm").astype(np.float64)
        y = check_signal(y, W.shape[0]).astype(np.float64)
        return spla.expm_multiply(-float(t) * (sp.identity(W.shape[0], format="csr") - W), y)

    return TransferFunction(
        "heat kernel", lambda lam: np.exp(-t * (1.0 - np.asarray(lam, dtype=np.float64))), exact
    )


def ideal_low_pass(cutoff: float) -> TransferFunction:
    """Ideal low-pass ``h(lambda) = 1[lambda >= cutoff]``; no ``exact`` (it needs the
    eigenvectors themselves)."""
    return TransferFunction(
        "ideal low-pass",
        lambda lam: (np.asarray(lam, dtype=np.float64) >= cutoff).astype(np.float64),
    )


def transfer_functions(alpha: float = 0.99, t: float = 5.0, cutoff: float = 0.9
                       ) -> dict[str, TransferFunction]:
    """The filters of the smoothing page by name (:data:`FILTERS`), each with its parameter."""
    return {h.name: h for h in (h_alpha(alpha), heat_kernel(t), ideal_low_pass(cutoff))}


FILTERS: tuple[str, ...] = tuple(transfer_functions())
"""The names of :func:`transfer_functions`, the talk's ``h_alpha`` first."""


def spectrum(pairs: Eigenpairs, y) -> np.ndarray:
    """Graph Fourier coefficients ``Uᵀ y`` of a signal."""
    y = check_signal(y, pairs.vectors.shape[0])
    return pairs.vectors.T @ y


def orthogonal_modes(pairs: Eigenpairs, y, rtol: float = 1e-10) -> np.ndarray:
    """Which eigenvectors are orthogonal to ``y`` (``|u_iᵀ y| <= rtol ||y||``): on a graph of
    several connected components, those that live on components without a query. They add
    nothing to ``U h(Λ) Uᵀ y`` for any filter ``h``."""
    y = check_signal(y, pairs.vectors.shape[0])
    return np.abs(pairs.vectors.T @ y) <= rtol * (np.linalg.norm(y) or 1.0)


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


def ema_impulse_response(alpha: float, length: int) -> np.ndarray:
    """The moving average's impulse response ``h_i = (1 - alpha) alpha^i``, ``i < length``:
    :func:`exponential_moving_average` of a unit impulse at ``i = 0``."""
    alpha = check_alpha(alpha)
    return (1.0 - alpha) * alpha ** np.arange(check_positive_int(length, "length"))


def ema_frequency_response(alpha: float, omega: np.ndarray) -> np.ndarray:
    """``|H(e^{iω})|`` of the moving average: ``(1 - alpha) / |1 - alpha e^{-iω}|``."""
    alpha = check_alpha(alpha)
    return (1.0 - alpha) / np.abs(1.0 - alpha * np.exp(-1j * np.asarray(omega)))


def shift_matrix(n: int) -> sp.csr_matrix:
    """Adjacency of the directed path ``i-1 → i``: ``(S y)_i = y_(i-1)``.

    ``h_alpha(S) y = (1 - alpha)(I - alpha S)^-1 y`` (``h_alpha(alpha).exact(S, y)``) is
    exactly :func:`exponential_moving_average`: the EMA is the talk's filter on this graph.
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
