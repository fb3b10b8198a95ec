"""Manifold ranking against plain Euclidean (or cosine) ranking, measured by average precision.

The talk's claim (seed, "ranking on manifolds"): ranking by diffusion on the kNN graph follows
the data manifold, where ranking by distance to the query does not. On labelled data the
relevant points of a query are those of its class.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mlviz._validation import check_features, check_random_state
from mlviz.diffusion import (
    conjugate_gradient,
    iterations_to_reach,
    random_walk,
    reference_solution,
)
from mlviz.knn import unit_rows
from mlviz.metrics import average_precision


def top_k(scores, k: int, exclude=None, positive_only: bool = False) -> np.ndarray:
    """Indices of the ``k`` largest scores, largest first, ties broken by index.

    The only top-k of mlviz. Ties are broken by index even across the k-th place (digits'
    integer pixels tie often), so the top k is always a prefix of the top k' > k.

    Parameters
    ----------
    scores : array-like of shape (n,) or (m, n)
        One ranking, or one per row.
    k : int
        How many; at most ``n``.
    exclude : array-like of int, optional
        Indices never returned (e.g. the queries); for 2-D scores, one index per row.
    positive_only : bool
        Return only indices with a positive score (1-D only: the list may be shorter).

    Returns
    -------
    ndarray of int64, shape (k,) or (m, k)
    """
    F = np.array(scores, dtype=np.float64, ndmin=1)
    one = F.ndim == 1
    F = np.atleast_2d(F)
    if exclude is not None and np.size(exclude):
        ex = np.asarray(exclude, dtype=np.int64)
        if one:
            F[0, ex] = -np.inf
        else:
            F[np.arange(F.shape[0]), ex] = -np.inf
    k = int(min(k, F.shape[1]))
    if k <= 0:
        return np.zeros((0,) if one else (F.shape[0], 0), dtype=np.int64)
    part = np.argpartition(-F, k - 1, axis=1)[:, :k]
    vals = np.take_along_axis(F, part, axis=1)
    order = np.lexsort((part, -vals), axis=1)
    top = np.take_along_axis(part, order, axis=1)
    kth = vals.min(axis=1)
    for row in np.flatnonzero(np.sum(F >= kth[:, None], axis=1) > k):
        tied = np.flatnonzero(F[row] >= kth[row])  # the top k by (score, index) are among them
        top[row] = tied[np.lexsort((tied, -F[row, tied]))[:k]]
    top = top.astype(np.int64)
    if not one:
        return top
    top = top[0]
    if exclude is not None and np.size(exclude):
        top = top[np.isfinite(F[0, top])]
    return top[F[0, top] > 0] if positive_only else top


def similarity_scores(X, queries, metric: str = "euclidean") -> np.ndarray:
    """Scores of plain nearest-neighbour ranking in the descriptor space, one column per query.

    ``"euclidean"``: ``-||x_i - x_q||²``; ``"cosine"``: cosine similarity. Higher is closer.

    Returns
    -------
    ndarray of shape (n, len(queries))
    """
    X = check_features(X)
    q = np.atleast_1d(np.asarray(queries, dtype=np.int64))
    if metric == "cosine":
        U = unit_rows(X)
        return U @ U[q].T
    sq = np.einsum("ij,ij->i", X, X)
    return -(sq[:, None] - 2.0 * X @ X[q].T + sq[q][None, :])


def nearest_query_scores(X, queries, metric: str = "euclidean") -> np.ndarray:
    """Nearest-neighbour ranking for several queries at once: the score to the closest query."""
    return similarity_scores(X, queries, metric).max(axis=1)


def relevant_to(labels, queries) -> np.ndarray:
    """Points whose class is the class of some query."""
    labels = np.asarray(labels)
    return np.isin(labels, labels[np.asarray(queries)])


@dataclass(frozen=True)
class APComparison:
    manifold: float
    euclidean: float
    n_queries: int


def compare_for_queries(X, scores, labels, queries, metric: str = "euclidean",
                        plain_scores=None) -> APComparison:
    """AP of a diffusion ranking ``scores`` against nearest-query ranking, queries excluded.

    ``plain_scores``: :func:`nearest_query_scores` of ``X`` when already computed."""
    relevant = relevant_to(labels, queries)
    euc = nearest_query_scores(X, queries, metric) if plain_scores is None else plain_scores
    return APComparison(
        average_precision(scores, relevant, exclude=queries),
        average_precision(euc, relevant, exclude=queries),
        int(np.size(queries)),
    )


def map_over_queries(
    X,
    W_norm,
    labels,
    alpha: float,
    *,
    n_queries: int = 300,
    metric: str = "euclidean",
    seed: int = 0,
    batch: int = 100,
) -> APComparison:
    """mAP of manifold vs Euclidean ranking, each of ``n_queries`` random points as a query.

    All points are used when ``n_queries >= n``. Diffusion runs as batched CG, ``batch``
    queries at a time.
    """
    X = check_features(X)
    labels = np.asarray(labels)
    n = X.shape[0]
    rng = check_random_state(seed)
    queries = np.arange(n) if n_queries >= n else np.sort(rng.choice(n, n_queries, replace=False))
    man, euc = [], []
    for start in range(0, queries.size, batch):
        chunk = queries[start : start + batch]
        Y = np.zeros((n, chunk.size))
        Y[chunk, np.arange(chunk.size)] = 1.0
        F = conjugate_gradient(W_norm, Y, alpha, tol=1e-6, dtype=np.float64).solution
        E = similarity_scores(X, chunk, metric)
        for j, q in enumerate(chunk):
            relevant = labels == labels[q]
            man.append(average_precision(F[:, j], relevant, exclude=[q]))
            euc.append(average_precision(E[:, j], relevant, exclude=[q]))
    return APComparison(float(np.nanmean(man)), float(np.nanmean(euc)), int(queries.size))


@dataclass
class SolverComparison:
    """Both solvers on the same query, for the animation and the convergence plot.

    Attributes
    ----------
    exact : ndarray of shape (n,)
        ``f* = (1 - alpha)(I - alpha W)^-1 y``.
    iterates : dict of solver name to ndarray (T + 1, n)
        The first ``T`` iterations, for the animation.
    errors : dict of solver name to ndarray
        Relative error to ``f*`` per iteration, until ``tol`` or ``max_iter``.
    reached : dict of solver name to int or None
        First iteration with error at most ``tol`` (None: not within ``max_iter``).
    """

    exact: np.ndarray
    iterates: dict[str, np.ndarray]
    errors: dict[str, np.ndarray]
    reached: dict[str, int | None]


SOLVERS = ("random walk", "conjugate gradient")


def compare_solvers(
    W_norm,
    y,
    alpha: float,
    n_frames: int,
    *,
    tol: float = 1e-6,
    max_iter: int = 3000,
    solvers=SOLVERS,
) -> SolverComparison:
    """Run the random walk and CG from ``f(0) = 0``: ``n_frames`` recorded iterates, and the
    error curve of each until it reaches ``tol`` (relative error to ``f*``,
    :func:`mlviz.diffusion.reference_solution`) or ``max_iter``."""
    unknown = set(solvers) - set(SOLVERS)
    if unknown:
        raise ValueError(f"solvers must be among {SOLVERS}, got {sorted(unknown)}.")
    exact = reference_solution(W_norm, y, alpha)
    funcs = {"random walk": random_walk, "conjugate gradient": conjugate_gradient}
    iterates, errors, reached = {}, {}, {}
    for name in solvers:
        anim = funcs[name](W_norm, y, alpha, max_iter=n_frames, tol=None, record=True,
                           dtype=np.float64)
        iterates[name] = anim.iterates
        err = funcs[name](W_norm, y, alpha, max_iter=max_iter, tol=None, dtype=np.float64,
                          reference=exact, error_tol=tol).errors
        hit = iterations_to_reach(err, tol)
        errors[name] = err if hit is None else err[: hit + 1]
        reached[name] = hit
    return SolverComparison(exact, iterates, errors, reached)

