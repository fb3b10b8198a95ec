"""Nearest-neighbour graphs and their symmetric normalization.

The graph of the talk (seed, slide "ranking on manifolds", after Zhou et al. 2003): a
reciprocal k-nearest-neighbour graph on n points, with a non-negative, symmetric, sparse
adjacency matrix ``W`` with zero diagonal, and its symmetric normalization

.. math:: \\mathcal{W} = D^{-1/2} W D^{-1/2}, \\qquad D = \\operatorname{diag}(W \\mathbf{1}).

Edge weights follow Iscen et al., "Efficient diffusion on region manifolds", CVPR 2017:
``w_ij = max(s_ij, 0)^gamma`` on the cosine similarity ``s_ij`` of the two descriptors.
For low-dimensional toy data a Gaussian kernel ``exp(-d_ij^2 / sigma^2)`` is offered.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from mlviz._validation import check_square_sparse
from mlviz.knn import (  # noqa: F401  (re-exported: the graph's search lives in mlviz.knn)
    BACKENDS,
    Backend,
    Metric,
    Neighbors,
    available_backends,
    knn_search,
    neighbor_recall,
    search_data,
)

Kernel = Literal["cosine", "gaussian"]
Edges = Literal["reciprocal", "union", "sum"]

EDGES: tuple[str, ...] = ("reciprocal", "union", "sum")
KERNELS: tuple[str, ...] = ("cosine", "gaussian")


@dataclass(frozen=True)
class GraphSummary:
    """What a user needs to know about a graph before diffusing on it."""

    n_nodes: int
    n_edges: int
    n_isolated: int
    n_components: int
    largest_component: int

    @property
    def isolated_fraction(self) -> float:
        return self.n_isolated / max(self.n_nodes, 1)



def edge_weights(
    neighbors: Neighbors,
    kernel: Kernel = "cosine",
    gamma: float = 3.0,
    sigma: float | None = None,
) -> np.ndarray:
    """Similarity of each point to each of its neighbours.

    ``"cosine"``: ``w = max(s, 0)^gamma`` on cosine similarity (Iscen et al. 2017);
    ``"gaussian"``: ``w = exp(-d^2 / sigma^2)`` on Euclidean distance, with ``sigma``
    defaulting to the root mean squared distance to the k-th neighbour.
    """
    if kernel == "cosine":
        if neighbors.metric != "cosine":
            raise ValueError("kernel 'cosine' needs neighbours searched with metric='cosine'.")
        if not gamma > 0:
            raise ValueError(f"gamma must be positive, got {gamma}.")
        return np.power(np.clip(neighbors.scores, 0.0, 1.0), gamma, dtype=np.float64)
    if kernel == "gaussian":
        if neighbors.metric != "euclidean":
            raise ValueError(
                "kernel 'gaussian' needs neighbours searched with metric='euclidean'."
            )
        if sigma is not None and not sigma > 0:
            raise ValueError(f"sigma must be positive, got {sigma}.")
        scale = gaussian_scale(neighbors) if sigma is None else float(sigma) ** 2
        return np.exp(-neighbors.scores.astype(np.float64) / scale)
    raise ValueError(f"kernel must be one of {KERNELS}, got {kernel!r}.")


def gaussian_scale(neighbors: Neighbors) -> float:
    """The Gaussian kernel's default ``σ²``: the mean squared distance to the k-th neighbour
    (1 where that is 0)."""
    scale = float(np.mean(neighbors.scores[:, -1].astype(np.float64)))
    return scale if scale > 0 else 1.0


def graph_from_neighbors(
    neighbors: Neighbors,
    weights: np.ndarray,
    edges: Edges = "reciprocal",
    dtype=np.float32,
) -> sp.csr_matrix:
    """Symmetric adjacency ``W`` from directed kNN lists.

    ``"reciprocal"`` keeps edge ``(i, j)`` only when each is among the other's k nearest
    neighbours (``W = min(A, A^T)``, the talk's graph); ``"union"`` keeps it when either is
    (``W = max(A, A^T)``); ``"sum"`` is ``W = A + A^T``, where a mutual pair counts twice (the
    graph of LP-DeepSSL, the code of Iscen et al. 2019). Zero diagonal, explicit zeros removed.
    """
    if edges not in EDGES:
        raise ValueError(f"edges must be one of {EDGES}, got {edges!r}.")
    n, k = neighbors.indices.shape
    rows = np.repeat(np.arange(n), k)
    A = sp.csr_matrix(
        (weights.ravel().astype(dtype), (rows, neighbors.indices.ravel())), shape=(n, n)
    )
    A.sum_duplicates()
    combine = {"reciprocal": A.minimum, "union": A.maximum, "sum": A.__add__}[edges]
    W = combine(A.T)
    W = sp.csr_matrix(W, dtype=dtype)
    W.setdiag(0)
    W.eliminate_zeros()
    W.sort_indices()
    return W


@dataclass(frozen=True)
class KnnGraph:
    """A kNN graph and everything derived from it, built once by :func:`build_knn_graph`.

    Attributes
    ----------
    neighbors : Neighbors
        Each point's k nearest neighbours (directed lists, self excluded).
    weights : ndarray of shape (n, k)
        The kernel weight of each listed neighbour.
    W : scipy.sparse.csr_matrix of shape (n, n)
        Non-negative, symmetric, zero-diagonal adjacency.
    W_norm : scipy.sparse.csr_matrix of shape (n, n)
        :math:`\\mathcal{W} = D^{-1/2} W D^{-1/2}`.
    summary : GraphSummary
    largest : ndarray of bool, shape (n,)
        Mask of the largest connected component.
    components : ndarray of int, shape (n,)
        The connected component of each node.
    recall : float or None
        For an approximate search, the measured share of the exact neighbours it found
        (:func:`mlviz.knn.neighbor_recall` on 1,000 points); ``None`` when exact.
    """

    neighbors: Neighbors
    weights: np.ndarray
    W: sp.csr_matrix
    W_norm: sp.csr_matrix
    summary: GraphSummary
    largest: np.ndarray
    components: np.ndarray
    recall: float | None = None


def build_knn_graph(X, k: int, *, edges: Edges = "reciprocal", kernel: Kernel = "cosine",
                    gamma: float = 3.0, sigma: float | None = None, backend: Backend = "auto",
                    dtype=np.float64) -> KnnGraph:
    """The one graph pipeline: kNN search → kernel weights → ``W`` → ``𝒲``, with its summary.

    Parameters
    ----------
    X : array-like of shape (n, d)
    k : int
        Neighbours per point, ``1 <= k < n``.
    edges : {"reciprocal", "union", "sum"}
        Mutual neighbours only (the talk's graph), either direction, or ``A + Aᵀ``
        (LP-DeepSSL's graph; see :func:`graph_from_neighbors`).
    kernel : {"cosine", "gaussian"}
        ``max(s,0)^gamma`` on cosine similarity (the search is by cosine), or
        ``exp(-d^2/sigma^2)`` on Euclidean distance (the search is Euclidean).
    gamma, sigma : float
        Kernel parameters (see :func:`edge_weights`).
    backend : {"auto", "faiss", "sklearn", "torch"}
        See :func:`knn_search`.
    dtype : numpy dtype
        Of ``W`` and ``𝒲``.

    Returns
    -------
    KnnGraph

    References
    ----------
    Zhou et al., "Ranking on data manifolds", NIPS 2003.
    Iscen et al., "Efficient diffusion on region manifolds", CVPR 2017.
    """
    if kernel not in KERNELS:
        raise ValueError(f"kernel must be one of {KERNELS}, got {kernel!r}.")
    metric = "cosine" if kernel == "cosine" else "euclidean"
    nb = knn_search(X, k, metric=metric, backend=backend)
    weights = edge_weights(nb, kernel, gamma, sigma)
    W = graph_from_neighbors(nb, weights, edges, dtype)
    _, components = connected_components(W, directed=False)
    largest = components == np.bincount(components).argmax()
    recall = None if nb.exact else neighbor_recall(search_data(X, metric), nb.indices, metric)
    return KnnGraph(nb, weights, W, normalize(W), summarize(W), largest, components, recall)


def knn_graph(X, k: int, *, edges: Edges = "reciprocal", kernel: Kernel = "cosine",
              gamma: float = 3.0, sigma: float | None = None, backend: Backend = "auto",
              dtype=np.float32) -> sp.csr_matrix:
    """The adjacency ``W`` of :func:`build_knn_graph` alone, as scipy CSR.

    Non-negative, symmetric, zero diagonal; parameters as in :func:`build_knn_graph`.
    """
    return build_knn_graph(X, k, edges=edges, kernel=kernel, gamma=gamma, sigma=sigma,
                           backend=backend, dtype=dtype).W


def normalize(W) -> sp.csr_matrix:
    """Symmetric normalization :math:`\\mathcal{W} = D^{-1/2} W D^{-1/2}`.

    An isolated node (zero degree) keeps a zero row and column: no NaN, no warning.

    Parameters
    ----------
    W : sparse matrix of shape (n, n)
        Non-negative symmetric adjacency.

    Returns
    -------
    scipy.sparse.csr_matrix
        Same dtype as ``W``; its eigenvalues lie in ``[-1, 1]``.
    """
    W = check_square_sparse(W)
    if W.nnz and W.data.min() < 0:
        raise ValueError("W must be non-negative: found negative edge weights.")
    degree = np.asarray(W.sum(axis=1)).ravel()
    inv_sqrt = np.zeros_like(degree)
    np.divide(1.0, np.sqrt(degree), out=inv_sqrt, where=degree > 0)
    inv_sqrt = inv_sqrt.astype(W.dtype)
    D = sp.diags(inv_sqrt)
    out = sp.csr_matrix(D @ W @ D, dtype=W.dtype)
    out.sort_indices()
    return out


def largest_component(W) -> np.ndarray:
    """Boolean mask of the nodes in the largest connected component of ``W`` (the first one
    on ties)."""
    W = check_square_sparse(W)
    _, labels = connected_components(W, directed=False)
    return labels == np.bincount(labels).argmax()


def summarize(W) -> GraphSummary:
    """Counts of edges, isolated nodes and connected components of ``W``."""
    W = check_square_sparse(W)
    n = W.shape[0]
    degree = np.asarray((W != 0).sum(axis=1)).ravel()
    n_comp, labels = connected_components(W, directed=False)
    sizes = np.bincount(labels)
    return GraphSummary(
        n_nodes=n,
        n_edges=int((W.nnz - np.count_nonzero(W.diagonal())) // 2),
        n_isolated=int(np.count_nonzero(degree == 0)),
        n_components=int(n_comp),
        largest_component=int(sizes.max()) if n else 0,
    )
