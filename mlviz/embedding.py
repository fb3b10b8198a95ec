"""2-D layouts for drawing: the graph is always built in the original space, only drawn here."""

from __future__ import annotations

from typing import Literal

import numpy as np

from mlviz._validation import check_features

Layout = Literal["pca", "umap"]
LAYOUTS: tuple[str, ...] = ("pca", "umap")


def layout_2d(X, method: Layout = "pca", seed: int = 0, n_neighbors: int = 15) -> np.ndarray:
    """Coordinates of shape (n, 2) for drawing ``X``.

    ``"pca"`` projects on the top two principal axes (deterministic signs); ``"umap"`` runs
    UMAP (McInnes et al. 2018), seeded. Data that is 2-D already is drawn as it is
    (:attr:`mlviz.datasets.Dataset.coords`).
    """
    X = check_features(X)
    if method == "pca":
        from sklearn.decomposition import PCA

        if X.shape[1] == 1:
            return np.column_stack([X[:, 0], np.zeros(X.shape[0])])
        Y = PCA(n_components=2, random_state=seed).fit_transform(X)
        signs = np.sign(Y[np.argmax(np.abs(Y), axis=0), [0, 1]])
        return Y * np.where(signs == 0, 1, signs)
    if method == "umap":
        import umap

        nn = int(min(n_neighbors, X.shape[0] - 1))
        if nn < 2:
            raise ValueError("UMAP needs at least 3 points.")
        reducer = umap.UMAP(n_neighbors=nn, random_state=seed, n_jobs=1, init="spectral"
                            if X.shape[0] > nn + 2 else "random")
        return np.asarray(reducer.fit_transform(X), dtype=np.float64)
    raise ValueError(f"method must be one of {LAYOUTS}, got {method!r}.")


UMAP_FIT = (1.42, 5.01e-4, 256.0)
"""``seconds ≈ a + b·n·(1 + d/c)`` for :func:`layout_2d` with UMAP, once compiled: least
squares over n ∈ {1k, 5k, 20k} × d ∈ {64, 256}, best of 2, on 2 cores (benchmarks/README.md,
``benchmarks/bench_umap.py``)."""
UMAP_COMPILE_S = 25.0
"""A process's first UMAP call: numba compiles UMAP (measured 18–26 s)."""
NNDESCENT_FROM = 4096
"""UMAP finds neighbours exactly below this many points, by pynndescent from here on."""
NNDESCENT_COMPILE_S = 55.0
"""The first call from :data:`NNDESCENT_FROM` points on: numba compiles pynndescent too
(measured ~58 s more at n = 5,000)."""


def umap_paths(n: int) -> frozenset[str]:
    """The numba-compiled parts a UMAP layout of ``n`` points runs: ``umap``, ``nndescent``."""
    return frozenset({"umap"} | ({"nndescent"} if n >= NNDESCENT_FROM else set()))


def umap_seconds_estimate(n: int, d: int, compiled=()) -> float:
    """Seconds a UMAP layout of ``n × d`` points takes on 2 cores; ``compiled``: the parts of
    :func:`umap_paths` this process has run before (their compilation is not paid again)."""
    a, b, c = UMAP_FIT
    seconds = a + b * n * (1 + d / c)
    missing = umap_paths(n) - set(compiled)
    return (seconds + UMAP_COMPILE_S * ("umap" in missing)
            + NNDESCENT_COMPILE_S * ("nndescent" in missing))


def components_side_by_side(emb: np.ndarray, components: np.ndarray, min_share: float = 0.01,
                            max_panels: int = 8, seed: int = 0,
                            ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each large connected component's embedding in 2-D, the components side by side.

    Every component with at least ``min_share`` of the points (the ``max_panels`` largest) is
    projected by PCA on its own rows of ``emb`` (one coordinate: a seeded vertical jitter),
    scaled into a unit box and shifted right of the previous one. Returns the coordinates, the
    ids of the points drawn, and the size of every component, largest first. ``components``
    labels each point's connected component (:attr:`mlviz.graph.KnnGraph.components`).
    """
    comp = np.asarray(components)
    n_comp = int(comp.max()) + 1 if comp.size else 0
    sizes = np.bincount(comp, minlength=n_comp)
    order = np.argsort(-sizes, kind="stable")
    shown = [c for c in order[:max_panels] if sizes[c] >= max(2, min_share * emb.shape[0])]
    rng = np.random.default_rng(seed)
    coords, ids = [], []
    for panel, c in enumerate(shown):
        idx = np.flatnonzero(comp == c)
        rows = emb[idx] - emb[idx].mean(axis=0)
        if emb.shape[1] >= 2:
            U, S, _ = np.linalg.svd(rows, full_matrices=False)
            xy = U[:, :2] * S[:2]
        else:
            xy = np.c_[rows[:, 0], rng.uniform(-1, 1, idx.size)]
        xy = xy / (np.abs(xy).max(axis=0) + 1e-300)
        coords.append(xy + [2.5 * panel, 0.0])
        ids.append(idx)
    if not coords:
        return np.zeros((0, 2)), np.zeros(0, dtype=np.int64), sizes[order]
    return np.concatenate(coords), np.concatenate(ids), sizes[order]
