"""k-nearest-neighbour search: exact (faiss, scikit-learn, torch) or approximate (faiss IVF).

Exact search costs ``O(n^2 d)``: 10 s at n = 100,000, d = 64 on two cores, nine tenths of a
label-spreading fit. An inverted-file index (faiss ``IndexIVFFlat``: k-means cells, each query
scans the ``n_probe`` nearest cells) cuts that to a fraction, and misses some neighbours: its
**recall**, the share of the exact k nearest neighbours it returns, is measured on a sample
of points by :func:`neighbor_recall` and stated beside every graph built with it.

Jégou, Douze, Schmid, "Product quantization for nearest neighbor search", TPAMI 2011 (the
inverted file); Johnson, Douze, Jégou, "Billion-scale similarity search with GPUs", 2019 (faiss).
"""

from __future__ import annotations

import importlib.util
import math
from dataclasses import dataclass
from typing import Literal, NamedTuple

import numpy as np

from mlviz._validation import check_features, check_k

Backend = Literal["auto", "faiss", "sklearn", "torch", "ivf"]
Metric = Literal["cosine", "euclidean"]

BACKENDS: tuple[str, ...] = ("faiss", "sklearn", "torch", "ivf")
APPROXIMATE_FROM = 50_000
"""From this many points ``backend="auto"`` searches approximately (when faiss is installed)."""


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
    exact : bool
        Whether the search was exact (``False``: an approximate index, see
        :mod:`mlviz.knn`).
    """

    indices: np.ndarray
    scores: np.ndarray
    metric: str
    exact: bool = True


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


def unit_rows(X: np.ndarray) -> np.ndarray:
    """``X`` with every row scaled to unit length; a zero row stays zero."""
    norms = np.linalg.norm(X, axis=1, keepdims=True)
    return X / np.where(norms > 0, norms, 1.0)


def search_data(X: np.ndarray, metric: str) -> np.ndarray:
    """The float32 rows a search compares: unit rows for ``metric="cosine"``."""
    data = np.ascontiguousarray(X, dtype=np.float32)
    return unit_rows(data) if metric == "cosine" else data


def knn_search(
    X,
    k: int,
    *,
    metric: Metric = "cosine",
    backend: Backend = "auto",
) -> Neighbors:
    """k-nearest-neighbour search of every point among the others (exact unless ``"ivf"``).

    Parameters
    ----------
    X : array-like of shape (n, d)
        Finite descriptors.
    k : int
        Neighbours per point, ``1 <= k < n``; the point itself is never its own neighbour.
    metric : {"cosine", "euclidean"}
        Cosine similarity of the descriptors, or Euclidean distance.
    backend : {"auto", "faiss", "sklearn", "torch", "ivf"}
        ``"faiss"`` (``IndexFlatIP`` / ``IndexFlatL2``, exact), scikit-learn's brute force,
        or blocked matrix products in torch (on CUDA when present): exact, they agree up to
        ties. ``"ivf"`` is faiss's approximate inverted file (:func:`ivf_search`).
        ``"auto"`` picks torch on CUDA, else ``"ivf"`` from
        :data:`APPROXIMATE_FROM` points and exact faiss below, else scikit-learn.

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
        if backend == "faiss" and n >= APPROXIMATE_FROM:
            backend = "ivf"
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {('auto',) + BACKENDS}, got {backend!r}.")
    data = search_data(X, metric)
    kk = min(k + 1, n)
    if backend == "faiss":
        scores, idx = _search_faiss(data, kk, metric)
    elif backend == "ivf":
        scores, idx = ivf_search(data, kk, metric)
    elif backend == "sklearn":
        scores, idx = _search_sklearn(data, kk, metric)
    else:
        scores, idx = _search_torch(data, kk, metric)
    idx, scores = _drop_self(idx.astype(np.int64), scores.astype(np.float32), k)
    return Neighbors(indices=idx, scores=scores, metric=metric, exact=backend != "ivf")


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


def _drop_self(idx: np.ndarray, scores: np.ndarray, k: int,
               rows: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Remove each point (row ``i`` is point ``rows[i]``, default ``i``) from its own list;
    where ties pushed it out, drop the last entry."""
    n = idx.shape[0]
    is_self = idx == (np.arange(n) if rows is None else rows)[:, None]
    no_self = ~is_self.any(axis=1)
    is_self[no_self, -1] = True
    keep = ~is_self
    return idx[keep].reshape(n, -1)[:, :k], scores[keep].reshape(n, -1)[:, :k]



@dataclass(frozen=True)
class IvfParameters:
    """The inverted file's size: ``n_cells`` k-means cells, ``n_probe`` scanned per query."""

    n_cells: int
    n_probe: int

    @classmethod
    def for_size(cls, n: int) -> IvfParameters:
        """``√n`` cells, scanning one in sixteen of them (at least 8).

        At n = 100,000 that is 316 cells and 19 probes: each query scans about 6% of the
        points, and training the cells (k-means on 40 points a cell) costs little beside it.
        """
        n_cells = max(1, min(n // 40, int(math.sqrt(n))))
        return cls(n_cells, min(n_cells, max(8, n_cells // 16)))


def ivf_search(data: np.ndarray, kk: int, metric: str,
               parameters: IvfParameters | None = None,
               seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """The ``kk`` approximate nearest neighbours of every row of ``data`` among all rows.

    ``data`` is float32 and C-contiguous (unit rows for ``metric="cosine"``). Returns scores
    (inner products, descending; or squared distances, ascending) and indices, as exact faiss
    search would; a slot the index could not fill holds index ``-1``.
    """
    import faiss

    n, d = data.shape
    params = parameters or IvfParameters.for_size(n)
    if metric == "cosine":
        quantizer, faiss_metric = faiss.IndexFlatIP(d), faiss.METRIC_INNER_PRODUCT
    else:
        quantizer, faiss_metric = faiss.IndexFlatL2(d), faiss.METRIC_L2
    index = faiss.IndexIVFFlat(quantizer, d, params.n_cells, faiss_metric)
    index.cp.seed = seed
    rng = np.random.default_rng(seed)
    train = data if n <= 40 * params.n_cells else data[
        rng.choice(n, 40 * params.n_cells, replace=False)]
    index.train(train)
    index.add(data)
    index.nprobe = params.n_probe
    scores, idx = index.search(data, kk)
    short = np.flatnonzero((idx < 0).any(axis=1))
    if short.size:  # cells too small to fill the list: search those points exactly
        flat = faiss.IndexFlatIP(d) if metric == "cosine" else faiss.IndexFlatL2(d)
        flat.add(data)
        scores[short], idx[short] = flat.search(data[short], kk)
    return scores, idx


def neighbor_recall(data: np.ndarray, indices: np.ndarray, metric: str = "cosine", *,
                    n_sample: int = 1000, seed: int = 0) -> float:
    """Recall of approximate kNN lists against exact search, on a sample of points.

    .. math:: \\mathrm{recall} = \\frac{1}{|S|} \\sum_{i \\in S}
              \\frac{|N_k(i) \\cap \\hat N_k(i)|}{k}

    with ``N_k(i)`` the exact k nearest neighbours of ``i`` (itself excluded), ``\\hat N_k(i)``
    the listed ones, and ``S`` ``n_sample`` points drawn without replacement.

    Parameters
    ----------
    data : ndarray of shape (n, d), float32
        The searched descriptors (unit rows for ``metric="cosine"``).
    indices : ndarray of shape (n, k)
        The approximate lists, self excluded.
    metric : {"cosine", "euclidean"}
    n_sample : int
        Points whose lists are checked; all of them when ``n <= n_sample``.
    seed : int

    Returns
    -------
    float in [0, 1]
    """
    n, k = indices.shape
    rng = np.random.default_rng(seed)
    sample = np.arange(n) if n <= n_sample else np.sort(rng.choice(n, n_sample, replace=False))
    exact = _exact_lists(data, sample, k, metric)
    hits = (exact[:, :, None] == indices[sample][:, None, :]).any(axis=2).sum()
    return float(hits / (sample.size * k))


def _exact_lists(data: np.ndarray, sample: np.ndarray, k: int, metric: str) -> np.ndarray:
    """The exact ``k`` nearest neighbours of the ``sample`` rows among all rows, self excluded."""
    queries = np.ascontiguousarray(data[sample])
    if importlib.util.find_spec("faiss") is not None:
        import faiss

        index = faiss.IndexFlatIP(data.shape[1]) if metric == "cosine" else faiss.IndexFlatL2(
            data.shape[1])
        index.add(data)
        _, idx = index.search(queries, k + 1)
    else:
        scores = queries @ data.T
        if metric == "euclidean":
            scores = 2 * scores - np.sum(data**2, 1)[None, :]
        idx = np.argsort(-scores, axis=1)[:, : k + 1]
    return _drop_self(idx.astype(np.int64), idx, k, rows=sample)[0]
