"""Mining on manifolds: hard positives and hard negatives without labels.

Iscen, Tolias, Avrithis, Chum, "Mining on manifolds: metric learning without labels",
CVPR 2018 (seed, section "mining on manifolds"). For an anchor ``x``:

- ``E(x)``: its k nearest neighbours in the descriptor space (Euclidean);
- ``M(x)``: its k nearest neighbours on the manifold, i.e. the top of the diffusion
  ranking ``f = (1 - alpha)(I - alpha W)^-1 y`` with ``y`` the anchor's indicator;
- hard positives ``S+(x) = M(x) \\ E(x)``: far in space, close on the manifold;
- hard negatives ``S-(x) = E(x) \\ M(x)``: close in space, far on the manifold.
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
from mlviz.diffusion import conjugate_gradient


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


def euclidean_neighbors(X, anchors, k: int) -> np.ndarray:
    """``E(x)`` for each anchor: the ``k`` nearest points by Euclidean distance, anchor excluded.

    Returns
    -------
    ndarray of shape (len(anchors), k), nearest first (ties by index).
    """
    X = check_features(X)
    n = X.shape[0]
    k = check_k(k, n)
    idx = _anchors(anchors, n)
    sq = np.einsum("ij,ij->i", X, X)
    d = sq[idx, None] - 2.0 * X[idx] @ X.T + sq[None, :]
    d[np.arange(idx.size), idx] = np.inf
    return _top_k(-d, k)


def manifold_scores(W_norm, anchors, alpha: float = 0.99, tol: float = 1e-8) -> np.ndarray:
    """Diffusion scores of every point for each anchor, one column per anchor (batched CG)."""
    W = check_square_sparse(W_norm, "W_norm")
    idx = _anchors(anchors, W.shape[0])
    Y = np.zeros((W.shape[0], idx.size))
    Y[idx, np.arange(idx.size)] = 1.0
    return conjugate_gradient(W, Y, check_alpha(alpha), tol=tol, dtype=np.float64).solution


def manifold_neighbors(W_norm, anchors, k: int, alpha: float = 0.99) -> np.ndarray:
    """``M(x)`` for each anchor: the ``k`` top-ranked points by diffusion, anchor excluded.

    Points the diffusion does not reach (score 0, another component) are never chosen; the
    row is then padded with -1.
    """
    W = check_square_sparse(W_norm, "W_norm")
    idx = _anchors(anchors, W.shape[0])
    k = check_k(k, W.shape[0])
    F = manifold_scores(W, idx, alpha).T.copy()
    F[np.arange(idx.size), idx] = -np.inf
    top = _top_k(F, k)
    reached = np.take_along_axis(F, top, axis=1) > 0
    return np.where(reached, top, -1)


def _top_k(scores: np.ndarray, k: int) -> np.ndarray:
    """Column indices of the k largest entries of each row, largest first, ties by index."""
    part = np.argpartition(-scores, k - 1, axis=1)[:, :k]
    vals = np.take_along_axis(scores, part, axis=1)
    order = np.lexsort((part, -vals), axis=1)
    return np.take_along_axis(part, order, axis=1)


def hard_examples(euclidean: np.ndarray, manifold: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``S+ = M \\ E`` (in manifold order) and ``S- = E \\ M`` (in Euclidean order)."""
    E = np.asarray(euclidean)
    M = np.asarray(manifold)
    M = M[M >= 0]
    return M[~np.isin(M, E)], E[~np.isin(E, M)]


def mine(X, W_norm, anchor: int, k_euclidean: int, k_manifold: int, alpha: float = 0.99) -> Mined:
    """``E``, ``M``, ``S+`` and ``S-`` of one anchor."""
    E = euclidean_neighbors(X, [anchor], k_euclidean)[0]
    M = manifold_neighbors(W_norm, [anchor], k_manifold, alpha)[0]
    pos, neg = hard_examples(E, M)
    return Mined(int(anchor), E, M[M >= 0], pos, neg)


def sample_tuples(
    X,
    W_norm,
    n_anchors: int,
    k_euclidean: int,
    k_manifold: int,
    alpha: float = 0.99,
    seed: int | None = 0,
    batch: int = 256,
) -> list[Mined]:
    """Mine ``(anchor, S+, S-)`` tuples for ``n_anchors`` random anchors of the data set.

    The unsupervised training pairs of Iscen et al. 2018: positives are hard positives on
    the manifold, negatives hard negatives. Anchors whose ``S+`` or ``S-`` is empty are kept;
    the caller decides what to skip.
    """
    X = check_features(X)
    n = X.shape[0]
    if not 1 <= n_anchors <= n:
        raise ValueError(f"n_anchors must be in [1, {n}], got {n_anchors}.")
    rng = check_random_state(seed)
    anchors = np.sort(rng.choice(n, size=n_anchors, replace=False))
    out: list[Mined] = []
    for start in range(0, anchors.size, batch):
        chunk = anchors[start : start + batch]
        E = euclidean_neighbors(X, chunk, k_euclidean)
        M = manifold_neighbors(W_norm, chunk, k_manifold, alpha)
        for a, e, m in zip(chunk, E, M):
            pos, neg = hard_examples(e, m)
            out.append(Mined(int(a), e, m[m >= 0], pos, neg))
    return out


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
    """

    positives: float
    random_non_neighbours: float
    negatives: float
    euclidean_others: float
    n_anchors: int
    mean_positives: float
    mean_negatives: float


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
            outside = np.setdiff1d(np.arange(n), np.append(t.euclidean, t.anchor))
            count("rand", rng.choice(outside, min(t.positives.size, outside.size), replace=False),
                  t.anchor)

    def frac(name):
        good, total = hits[name]
        return good / total if total else float("nan")

    return MiningStatistics(
        frac("pos"), frac("rand"), frac("neg"), frac("others"), len(tuples),
        float(np.mean([t.positives.size for t in tuples])) if tuples else 0.0,
        float(np.mean([t.negatives.size for t in tuples])) if tuples else 0.0,
    )


def most_telling_anchor(tuples: list[Mined]) -> int:
    """The anchor that best shows what mining on manifolds is about.

    Among anchors with both hard positives and hard negatives, the one with the most hard
    negatives that the diffusion still ranks against a full M (so S- is not merely a point
    the graph cannot reach out of); else the one with the most hard positives.
    """
    if not tuples:
        raise ValueError("tuples is empty: mine at least one anchor.")
    full = max(t.manifold.size for t in tuples)

    def score(t: Mined):
        both = t.positives.size > 0 and t.negatives.size > 0 and t.manifold.size == full
        return (both, t.negatives.size if both else 0, t.positives.size, -t.anchor)

    return max(tuples, key=score).anchor
