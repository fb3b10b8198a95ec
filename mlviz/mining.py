"""Mining on manifolds: hard positives and hard negatives without labels.

Iscen, Tolias, Avrithis, Chum, "Mining on manifolds: metric learning without labels",
CVPR 2018 (seed, section "mining on manifolds"). For an anchor ``x``:

- ``E(x)``: its k nearest neighbours in the descriptor space, in the space of the graph:
  Euclidean on the L2-normalized descriptors (i.e. by cosine similarity) when the graph's
  kernel is cosine, Euclidean on the raw descriptors when it is Gaussian;
- ``M(x)``: its k nearest neighbours on the manifold, i.e. the top of the diffusion
  ranking ``f = (1 - alpha)(I - alpha W)^-1 y`` with ``y`` the anchor's indicator;
- hard positives ``S+(x) = M(x) \\ E(x)``: far in space, close on the manifold;
- hard negatives ``S-(x) = E(x) \\ M(x)``: close in space, far on the manifold.

Following the authors' code (github.com/gtolias/mom, ``mat/posmine.m``, ``mat/negmine.m``):
``E`` is ranked in the space the kNN graph is built in (their descriptors are unit vectors,
ranked by ``V' * V``, and the graph's weights are ``s^3`` on the same products), and ``|E|``
and ``|M|`` are equal (their ``k``: 50 for positives, 100 for negatives on CUB-200).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mlviz._validation import (
    check_alpha,
    check_features,
    check_k,
    check_random_state,
    check_square_sparse,
)
from mlviz.diffusion import conjugate_gradient, diffusion_solver
from mlviz.ranking import similarity_scores, top_k

METRICS: tuple[str, ...] = ("cosine", "euclidean")
"""Spaces ``E(x)`` can be ranked in: that of the cosine graph (unit vectors) or raw Euclidean."""

FEW_ANCHORS = 16
"""Up to this many anchors, diffusion scores come from CG; above, from one LU factorization
(up to :data:`LU_LIMIT` points) or CG on every column at once."""
LU_LIMIT = 20_000
"""Above this many points the LU factor's fill-in costs more than CG over the anchors."""


@dataclass(frozen=True)
class Mined:
    """The sets of one anchor, each ordered by its own ranking (nearest first)."""

    anchor: int
    euclidean: np.ndarray
    manifold: np.ndarray
    positives: np.ndarray
    negatives: np.ndarray


def _anchors(anchors, n: int) -> np.ndarray:
    idx = np.atleast_1d(np.asarray(anchors))
    if idx.size == 0:
        raise ValueError("anchors is empty: choose at least one anchor point.")
    if not np.issubdtype(idx.dtype, np.integer) or idx.ndim != 1:
        raise ValueError("anchors must be a flat list of point indices (integers).")
    if idx.min() < 0 or idx.max() >= n:
        raise ValueError(f"anchors must be indices in [0, {n - 1}].")
    return idx.astype(np.int64)


def check_metric(metric: str) -> str:
    """Return ``metric`` after checking it is one of :data:`METRICS`."""
    if metric not in METRICS:
        raise ValueError(f"metric must be one of {METRICS}, got {metric!r}: use the metric the "
                         "kNN graph was searched with (KnnGraph.neighbors.metric).")
    return metric


def euclidean_neighbors(X, anchors, k: int, metric: str = "cosine") -> np.ndarray:
    """``E(x)`` for each anchor: its ``k`` nearest points in the graph's space, anchor excluded.

    ``metric="cosine"`` (the space of the default, cosine graph): the largest cosine
    similarities ``x̂ᵀ x̂_i``, i.e. the Euclidean neighbours of the L2-normalized descriptors
    ``x̂ = x / ||x||``, since ``||x̂ - x̂_i||² = 2 - 2 x̂ᵀ x̂_i``; as the authors rank ``E`` by
    ``V' * V`` on unit vectors (github.com/gtolias/mom, ``mat/posmine.m``).
    ``metric="euclidean"`` (the space of the Gaussian graph): the smallest ``||x - x_i||²``.
    The scores are :func:`mlviz.ranking.similarity_scores`, the ranking
    :func:`mlviz.ranking.top_k`.

    Returns
    -------
    ndarray of shape (len(anchors), k), nearest first (ties by index).
    """
    X = check_features(X).astype(np.float64, copy=False)  # float32 unit rows: no 0/0 at zeros
    n = X.shape[0]
    k = check_k(k, n)
    idx = _anchors(anchors, n)
    return top_k(similarity_scores(X, idx, check_metric(metric)).T, k, exclude=idx)


def manifold_scores(W_norm, anchors, alpha: float = 0.99) -> np.ndarray:
    """Diffusion scores of every point for each anchor, one column per anchor.

    ``F = (1 - alpha)(I - alpha W)^-1 Y`` with ``Y`` the anchors' indicator columns: by CG
    (relative residual 1e-10, float64) for up to ``FEW_ANCHORS`` anchors, else by one sparse
    LU factorization shared by all columns (:func:`mlviz.diffusion.diffusion_solver`), far
    cheaper than one CG per anchor when there are hundreds.
    """
    W = check_square_sparse(W_norm, "W_norm")
    idx = _anchors(anchors, W.shape[0])
    return _scores(_solver(W, check_alpha(alpha), idx.size), W.shape[0], idx)


def _solver(W, alpha: float, n_columns: int):
    if n_columns > FEW_ANCHORS and W.shape[0] <= LU_LIMIT:
        return diffusion_solver(W, alpha)
    tol = 1e-10 if n_columns <= FEW_ANCHORS else 1e-6  # many columns: enough to rank them
    return lambda Y: conjugate_gradient(W, Y, alpha, tol=tol, max_iter=10_000,
                                        dtype=np.float64).solution


def _scores(solve, n: int, idx: np.ndarray) -> np.ndarray:
    Y = np.zeros((n, idx.size))
    Y[idx, np.arange(idx.size)] = 1.0
    return solve(Y)


def manifold_neighbors(W_norm, anchors, k: int, alpha: float = 0.99) -> np.ndarray:
    """``M(x)`` for each anchor: the ``k`` top-ranked points by diffusion, anchor excluded.

    Points the diffusion does not reach (score 0, another component) are never chosen; the
    row is then padded with -1.
    """
    W = check_square_sparse(W_norm, "W_norm")
    idx = _anchors(anchors, W.shape[0])
    k = check_k(k, W.shape[0])
    return _manifold_top(_solver(W, check_alpha(alpha), idx.size), W.shape[0], idx, k)


def _manifold_top(solve, n: int, idx: np.ndarray, k: int) -> np.ndarray:
    F = _scores(solve, n, idx).T
    top = top_k(F, k, exclude=idx)
    reached = np.take_along_axis(F, top, axis=1) > 0
    return np.where(reached, top, -1)


def hard_examples(euclidean: np.ndarray, manifold: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``S+ = M \\ E`` (in manifold order) and ``S- = E \\ M`` (in Euclidean order)."""
    E = np.asarray(euclidean)
    M = np.asarray(manifold)
    M = M[M >= 0]
    return M[~np.isin(M, E)], E[~np.isin(E, M)]


def mine(X, W_norm, anchor: int, k_euclidean: int, k_manifold: int, alpha: float = 0.99,
         metric: str = "cosine") -> Mined:
    """``E``, ``M``, ``S+`` and ``S-`` of one anchor; ``E`` ranked by ``metric``, the metric
    the graph ``W_norm`` was built with (:func:`euclidean_neighbors`)."""
    E = euclidean_neighbors(X, [anchor], k_euclidean, metric)[0]
    M = manifold_neighbors(W_norm, [anchor], k_manifold, alpha)[0]
    pos, neg = hard_examples(E, M)
    return Mined(int(anchor), E, M[M >= 0], pos, neg)


@dataclass(frozen=True)
class NeighborRankings:
    """The Euclidean and manifold rankings of many anchors, from which every ``(|E|, |M|)``
    is a slice.

    Both rankings are sorted (nearest first, ties by index), so ``E`` and ``M`` of any size
    up to the computed one are prefixes of the rows: a page can move its |E| and |M|
    sliders without solving again.

    Attributes
    ----------
    anchors : ndarray of shape (n_anchors,)
    euclidean : ndarray of shape (n_anchors, k_euclidean_max)
    manifold : ndarray of shape (n_anchors, k_manifold_max)
        Padded with -1 where the diffusion reaches fewer points.
    """

    anchors: np.ndarray
    euclidean: np.ndarray
    manifold: np.ndarray

    def tuples(self, k_euclidean: int, k_manifold: int) -> list[Mined]:
        """``(anchor, E, M, S+, S-)`` of every anchor for ``|E| = k_euclidean``,
        ``|M| = k_manifold``."""
        k_max_e, k_max_m = self.euclidean.shape[1], self.manifold.shape[1]
        if not 1 <= k_euclidean <= k_max_e:
            raise ValueError(f"k_euclidean must be in [1, {k_max_e}], got {k_euclidean}.")
        if not 1 <= k_manifold <= k_max_m:
            raise ValueError(f"k_manifold must be in [1, {k_max_m}], got {k_manifold}.")
        out: list[Mined] = []
        for a, e, m in zip(self.anchors, self.euclidean[:, :k_euclidean],
                           self.manifold[:, :k_manifold]):
            pos, neg = hard_examples(e, m)
            out.append(Mined(int(a), e, m[m >= 0], pos, neg))
        return out


def neighbor_rankings(X, W_norm, n_anchors: int, k_euclidean: int, k_manifold: int,
                      alpha: float = 0.99, seed: int | None = 0, batch: int = 256,
                      metric: str = "cosine") -> NeighborRankings:
    """Top ``k_euclidean`` Euclidean (in the space of ``metric``, :func:`euclidean_neighbors`)
    and top ``k_manifold`` manifold neighbours of ``n_anchors`` random anchors (seeded); one
    LU factorization serves every anchor."""
    X = check_features(X)
    W = check_square_sparse(W_norm, "W_norm")
    n = X.shape[0]
    if W.shape[0] != n:
        raise ValueError(f"W_norm has {W.shape[0]} nodes but X has {n} rows.")
    if not 1 <= n_anchors <= n:
        raise ValueError(f"n_anchors must be in [1, {n}], got {n_anchors}.")
    k_manifold = check_k(k_manifold, n)
    check_metric(metric)
    rng = check_random_state(seed)
    anchors = np.sort(rng.choice(n, size=n_anchors, replace=False))
    solve = _solver(W, check_alpha(alpha), anchors.size)
    E, M = [], []
    for start in range(0, anchors.size, batch):
        chunk = anchors[start : start + batch]
        E.append(euclidean_neighbors(X, chunk, k_euclidean, metric))
        M.append(_manifold_top(solve, n, chunk, k_manifold))
    return NeighborRankings(anchors, np.vstack(E), np.vstack(M))


def sample_tuples(X, W_norm, n_anchors: int, k_euclidean: int, k_manifold: int,
                  alpha: float = 0.99, seed: int | None = 0, batch: int = 256,
                  metric: str = "cosine") -> list[Mined]:
    """Mine ``(anchor, S+, S-)`` tuples for ``n_anchors`` random anchors of the data set.

    The unsupervised training pairs of Iscen et al. 2018: positives are hard positives on
    the manifold, negatives hard negatives. Anchors whose ``S+`` or ``S-`` is empty are kept;
    the caller decides what to skip. ``metric``: that of the graph (:func:`euclidean_neighbors`).
    """
    rankings = neighbor_rankings(X, W_norm, n_anchors, k_euclidean, k_manifold, alpha, seed,
                                 batch, metric)
    return rankings.tuples(rankings.euclidean.shape[1], rankings.manifold.shape[1])


@dataclass(frozen=True)
class MiningStatistics:
    """Are mined examples really positives and negatives? Fractions sharing the anchor's class.

    Attributes
    ----------
    positives, random_non_neighbours : float
        Over all anchors, the fraction of ``S+`` with the anchor's class, against the same for
        as many random points outside ``E(x)``.
    negatives, euclidean_others : float
        The fraction of ``S-`` with the anchor's class, against the same for the rest of
        ``E(x)`` (``E ∩ M``).
    n_anchors : int
    mean_positives, mean_negatives : float
        Average sizes of ``S+`` and ``S-``.
    without_positives, without_negatives : float
        The fraction of anchors with an empty ``S+``, with an empty ``S-``.
    """

    positives: float
    random_non_neighbours: float
    negatives: float
    euclidean_others: float
    n_anchors: int
    mean_positives: float
    mean_negatives: float
    without_positives: float = float("nan")
    without_negatives: float = float("nan")


def mining_statistics(tuples: list[Mined], labels, seed: int | None = 0) -> MiningStatistics:
    """Label agreement of mined hard positives and negatives over many anchors (Iscen et al. 2018)."""
    labels = np.asarray(labels)
    rng = check_random_state(seed)
    n = labels.size
    hits = {"pos": [0, 0], "rand": [0, 0], "neg": [0, 0], "others": [0, 0]}

    def count(name, members, anchor):
        hits[name][0] += int(np.sum(labels[members] == labels[anchor]))
        hits[name][1] += int(np.size(members))

    for t in tuples:
        count("pos", t.positives, t.anchor)
        count("neg", t.negatives, t.anchor)
        count("others", t.euclidean[np.isin(t.euclidean, t.manifold)], t.anchor)
        if t.positives.size:
            count("rand", _uniform_outside(rng, n, np.append(t.euclidean, t.anchor),
                                           t.positives.size), t.anchor)

    def frac(name):
        good, total = hits[name]
        return good / total if total else float("nan")

    return MiningStatistics(
        frac("pos"), frac("rand"), frac("neg"), frac("others"), len(tuples),
        float(np.mean([t.positives.size for t in tuples])) if tuples else 0.0,
        float(np.mean([t.negatives.size for t in tuples])) if tuples else 0.0,
        float(np.mean([t.positives.size == 0 for t in tuples])) if tuples else float("nan"),
        float(np.mean([t.negatives.size == 0 for t in tuples])) if tuples else float("nan"),
    )


def _uniform_outside(rng, n: int, excluded: np.ndarray, size: int) -> np.ndarray:
    """``size`` distinct points drawn uniformly from ``{0..n-1} \\ excluded``, without building
    the complement: draw ranks in it, then shift each rank past the excluded indices below."""
    excluded = np.unique(excluded)
    picked = rng.choice(n - excluded.size, min(size, n - excluded.size), replace=False)
    for e in excluded:
        picked[picked >= e] += 1
    return picked


def most_telling_anchor(tuples: list[Mined], labels=None) -> int:
    """The anchor that best shows what mining on manifolds is about.

    Among anchors with both hard positives and hard negatives, and a full ``M`` (so ``S-`` is
    not merely a point the graph cannot reach out of): without labels, the one with the most
    hard negatives, then the most hard positives; with ``labels``, the one where mining is
    most right, i.e. the most hard positives of the anchor's class plus hard negatives of
    another class, less those of the other kind.
    """
    if not tuples:
        raise ValueError("tuples is empty: mine at least one anchor.")
    full = max(t.manifold.size for t in tuples)
    labels = None if labels is None else np.asarray(labels)

    def score(t: Mined):
        both = t.positives.size > 0 and t.negatives.size > 0 and t.manifold.size == full
        if not both:
            return (False, 0, 0, t.positives.size, -t.anchor)
        if labels is None:
            return (True, t.negatives.size, t.positives.size, 0, -t.anchor)
        own = labels[t.anchor]
        right = int(np.sum(labels[t.positives] == own) + np.sum(labels[t.negatives] != own))
        wrong = t.positives.size + t.negatives.size - right
        return (True, right - wrong, int(np.sum(labels[t.negatives] != own)), right, -t.anchor)

    return max(tuples, key=score).anchor
