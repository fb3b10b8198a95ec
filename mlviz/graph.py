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

import importlib.util
from dataclasses import dataclass
from typing import Literal, NamedTuple

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from mlviz._validation import check_features, check_k, check_square_sparse

Backend = Literal["auto", "faiss", "sklearn", "torch"]
Metric = Literal["cosine", "euclidean"]
Kernel = Literal["cosine", "gaussian"]
Edges = Literal["reciprocal", "union", "sum"]

BACKENDS: tuple[str, ...] = ("faiss", "sklearn", "torch")
EDGES: tuple[str, ...] = ("reciprocal", "union", "sum")
KERNELS: tuple[str, ...] = ("cosine", "gaussian")


class Neighbors(NamedTuple):
    """The k nearest neighbours of every point, the point itself excluded.

    Attributes
    ----------
    indices : ndarray of shape (n, k), int64
        ``indices[i]`` lists the neighbours of point ``i``, nearest first.
    scores : ndarray of shape (n, k), float32
        Cosine similarity (metric ``"cosine"``, descending) or squared Euclidean distance
        (metric ``"euclidean"``, ascending) to each neighbour.
    metric : str
        ``"cosine"`` or ``"euclidean"``.
    """

    indices: np.ndarray
    scores: np.ndarray
    metric: str


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


def available_backends() -> list[str]:
    """The kNN backends that can run here, fastest exact one first."""
    found = []
    if _torch_cuda_available():
        found.append("torch")
    if importlib.util.find_spec("faiss") is not None:
        found.append("faiss")
    found.append("sklearn")
    if "torch" not in found and importlib.util.find_spec("torch") is not None:
        found.append("torch")
    return found


def _torch_cuda_available() -> bool:
    if importlib.util.find_spec("torch") is None:
        return False
    import torch

    return bool(torch.cuda.is_available())


def _unit_rows(X: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(X, axis=1, keepdims=True)
    return X / np.where(norms > 0, norms, 1.0)


def knn_search(
    X,
    k: int,
    *,
    metric: Metric = "cosine",
    backend: Backend = "auto",
) -> Neighbors:
    """Exact k-nearest-neighbour search of every point among the others.

    Parameters
    ----------
    X : array-like of shape (n, d)
        Finite descriptors.
    k : int
        Neighbours per point, ``1 <= k < n``; the point itself is never its own neighbour.
    metric : {"cosine", "euclidean"}
        Cosine similarity of the descriptors, or Euclidean distance.
    backend : {"auto", "faiss", "sklearn", "torch"}
        ``"faiss"`` (``IndexFlatIP`` / ``IndexFlatL2``, exact), scikit-learn's brute force,
        or blocked matrix products in torch (on CUDA when present). ``"auto"`` picks torch on
        CUDA, else faiss, else scikit-learn. All are exact and agree up to ties.

    Returns
    -------
    Neighbors
    """
    X = check_features(X)
    n = X.shape[0]
    k = check_k(k, n)
    if metric not in ("cosine", "euclidean"):
        raise ValueError(f"metric must be 'cosine' or 'euclidean', got {metric!r}.")
    if backend == "auto":
        backend = available_backends()[0]  # type: ignore[assignment]
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {('auto',) + BACKENDS}, got {backend!r}.")
    data = np.ascontiguousarray(X, dtype=np.float32)
    if metric == "cosine":
        data = _unit_rows(data)
    kk = min(k + 1, n)
    if backend == "faiss":
        scores, idx = _search_faiss(data, kk, metric)
    elif backend == "sklearn":
        scores, idx = _search_sklearn(data, kk, metric)
    else:
        scores, idx = _search_torch(data, kk, metric)
    idx, scores = _drop_self(idx.astype(np.int64), scores.astype(np.float32), k)
    return Neighbors(indices=idx, scores=scores, metric=metric)


def _search_faiss(data: np.ndarray, kk: int, metric: str) -> tuple[np.ndarray, np.ndarray]:
    import faiss

    index = faiss.IndexFlatIP(data.shape[1]) if metric == "cosine" else faiss.IndexFlatL2(
        data.shape[1]
    )
    index.add(data)
    scores, idx = index.search(data, kk)
    return scores, idx


def _search_sklearn(data: np.ndarray, kk: int, metric: str) -> tuple[np.ndarray, np.ndarray]:
    from sklearn.neighbors import NearestNeighbors

    algorithm = "brute" if data.shape[1] > 3 else "kd_tree"
    nn = NearestNeighbors(n_neighbors=kk, algorithm=algorithm).fit(data)
    dist, idx = nn.kneighbors(data)
    sq = dist.astype(np.float32) ** 2
    if metric == "cosine":  # unit vectors: |a - b|^2 = 2 - 2 cos(a, b)
        return 1.0 - 0.5 * sq, idx
    return sq, idx


def _search_torch(
    data: np.ndarray, kk: int, metric: str, block: int = 4096
) -> tuple[np.ndarray, np.ndarray]:
    import torch

    device = "cuda" if torch.cuda.is_available() else "cpu"
    base = torch.from_numpy(data).to(device)
    sq_norms = (base * base).sum(1)
    out_s, out_i = [], []
    for start in range(0, base.shape[0], block):
        q = base[start : start + block]
        sims = q @ base.T
        if metric == "cosine":
            s, i = sims.topk(kk, dim=1)
        else:
            d = (q * q).sum(1, keepdim=True) - 2 * sims + sq_norms[None, :]
            s, i = d.clamp_min_(0).topk(kk, dim=1, largest=False)
        out_s.append(s.cpu().numpy())
        out_i.append(i.cpu().numpy())
    return np.concatenate(out_s), np.concatenate(out_i)


def _drop_self(idx: np.ndarray, scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Remove each point from its own list; where ties pushed it out, drop the last entry."""
    n = idx.shape[0]
    is_self = idx == np.arange(n)[:, None]
    no_self = ~is_self.any(axis=1)
    is_self[no_self, -1] = True
    keep = ~is_self
    return idx[keep].reshape(n, -1)[:, :k], scores[keep].reshape(n, -1)[:, :k]


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
    """

    neighbors: Neighbors
    weights: np.ndarray
    W: sp.csr_matrix
    W_norm: sp.csr_matrix
    summary: GraphSummary
    largest: np.ndarray
    components: np.ndarray


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
    return KnnGraph(nb, weights, W, normalize(W), summarize(W), largest, components)


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
