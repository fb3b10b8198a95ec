"""Evaluation: average precision of a ranking, recall@k of an embedding, accuracy, NMI."""

from __future__ import annotations

import numpy as np


def average_precision(scores, relevant, exclude=None) -> float:
    """Average precision of ranking the points by descending ``scores``.

    ``AP = (1/|R|) Σ_{k: item k relevant} precision@k``, the retrieval measure of the
    talk's tables. Points in ``exclude`` (e.g. the query itself) are removed first.

    Parameters
    ----------
    scores : array-like of shape (n,)
    relevant : array-like of bool, shape (n,)
    exclude : array-like of int, optional

    Returns
    -------
    float
        In [0, 1]; NaN when nothing is relevant.
    """
    scores = np.asarray(scores, dtype=np.float64)
    relevant = np.asarray(relevant, dtype=bool)
    if scores.shape != relevant.shape or scores.ndim != 1:
        raise ValueError(
            f"scores and relevant must be 1-D of the same length, got {scores.shape} "
            f"and {relevant.shape}."
        )
    keep = np.ones(scores.size, dtype=bool)
    if exclude is not None:
        keep[np.asarray(exclude, dtype=np.int64)] = False
    scores, relevant = scores[keep], relevant[keep]
    n_rel = int(relevant.sum())
    if n_rel == 0:
        return float("nan")
    order = np.lexsort((np.arange(scores.size), -scores))
    hits = relevant[order]
    ranks = np.flatnonzero(hits) + 1
    return float(np.mean(np.arange(1, n_rel + 1) / ranks))


def mean_average_precision(score_matrix, labels, queries) -> float:
    """Mean over queries of :func:`average_precision`, relevance = same label as the query.

    ``score_matrix[:, j]`` ranks the points for query ``queries[j]``; the query itself is
    excluded from its own ranking.
    """
    S = np.asarray(score_matrix)
    labels = np.asarray(labels)
    queries = np.asarray(queries)
    if S.ndim != 2 or S.shape[1] != queries.size:
        raise ValueError("score_matrix must have one column per query.")
    aps = [
        average_precision(S[:, j], labels == labels[q], exclude=[q])
        for j, q in enumerate(queries)
    ]
    return float(np.nanmean(aps))


def recall_at_k(embeddings, labels, ks=(1, 2, 4, 8)) -> dict[int, float]:
    """Recall@k of retrieval (Song et al. 2016, the talk's CUB-200 table).

    The fraction of points whose k nearest neighbours (Euclidean, the point itself
    excluded) contain at least one point of the same class.
    """
    from sklearn.neighbors import NearestNeighbors

    E = np.asarray(embeddings, dtype=np.float64)
    labels = np.asarray(labels)
    kmax = max(ks)
    if kmax >= E.shape[0]:
        raise ValueError(f"the largest k ({kmax}) must be smaller than the number of points.")
    idx = NearestNeighbors(n_neighbors=kmax + 1).fit(E).kneighbors(E, return_distance=False)
    is_self = idx == np.arange(E.shape[0])[:, None]
    is_self[~is_self.any(axis=1), -1] = True
    idx = idx[~is_self].reshape(E.shape[0], kmax)
    same = labels[idx] == labels[:, None]
    return {k: float(np.mean(same[:, :k].any(axis=1))) for k in ks}


def nmi(embeddings, labels, seed: int = 0) -> float:
    """Normalized mutual information between k-means clusters (k = number of classes) and labels."""
    from sklearn.cluster import KMeans
    from sklearn.metrics import normalized_mutual_info_score

    labels = np.asarray(labels)
    n_clusters = np.unique(labels).size
    pred = KMeans(n_clusters=n_clusters, n_init=4, random_state=seed).fit_predict(
        np.asarray(embeddings, dtype=np.float64)
    )
    return float(normalized_mutual_info_score(labels, pred))


def accuracy(y_true, y_pred, mask=None) -> float:
    """Fraction of ``y_pred == y_true`` (over ``mask`` when given, e.g. the unlabelled points)."""
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.shape != y_pred.shape:
        raise ValueError(f"y_true and y_pred differ in shape: {y_true.shape} vs {y_pred.shape}.")
    if mask is not None:
        mask = np.asarray(mask, dtype=bool)
        y_true, y_pred = y_true[mask], y_pred[mask]
    if y_true.size == 0:
        return float("nan")
    return float(np.mean(y_true == y_pred))


def top_k_overlap(scores_a, scores_b, k: int, exclude=None) -> float:
    """``|top_k(a) ∩ top_k(b)| / k``: how much two rankings agree at the top (``exclude`` removed).

    ``top_k`` is :func:`mlviz.ranking.top_k` (ties by index).
    """
    from mlviz.ranking import top_k

    a = np.asarray(scores_a, dtype=np.float64).copy()
    b = np.asarray(scores_b, dtype=np.float64)
    if a.shape != b.shape or a.ndim != 1:
        raise ValueError("scores_a and scores_b must be 1-D of the same length.")
    if exclude is not None:
        a[np.asarray(exclude)] = -np.inf
    k = int(min(k, np.count_nonzero(np.isfinite(a))))
    if k < 1:
        raise ValueError("k must be at least 1 (after excluding points).")
    return float(np.intersect1d(top_k(a, k, exclude), top_k(b, k, exclude)).size / k)


def evaluate_embedding(E, labels, seed: int = 0) -> dict[str, float]:
    """Recall@1, 2, 4, 8 (:func:`recall_at_k`, Euclidean) and NMI (:func:`nmi`, k-means) of
    an embedding: the measures of the talk's CUB-200 table (Iscen, Tolias, Avrithis, Chum,
    "Mining on manifolds: metric learning without labels", CVPR 2018).

    Parameters
    ----------
    E : array-like of shape (n, d)
        More than 8 points.
    labels : array-like of int, shape (n,)
        A class (``>= 0``) for every point.
    seed : int
        Of k-means.

    Returns
    -------
    dict
        Keys ``"R@1"``, ``"R@2"``, ``"R@4"``, ``"R@8"``, ``"NMI"``.
    """
    from mlviz._validation import check_features
    from mlviz.propagation import check_labels

    E = check_features(E, "E")
    labels = check_labels(labels, E.shape[0])
    if labels.size and labels.min() < 0:
        raise ValueError("labels must give a class (>= 0) for every point.")
    if E.shape[0] <= 8:
        raise ValueError(f"E needs more than 8 points for Recall@8, got {E.shape[0]}.")
    out = {f"R@{k}": v for k, v in recall_at_k(E, labels, (1, 2, 4, 8)).items()}
    out["NMI"] = nmi(E, labels, seed)
    return out
