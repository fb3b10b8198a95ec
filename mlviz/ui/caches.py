"""Process-wide caches of the expensive results every page shares.

Cached on small hashable keys (data set name and parameters, graph parameters); the big arrays
travel as ``_underscored`` arguments that the cache does not hash. One computation serves every
session of the server.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import streamlit as st

from mlviz import datasets as ds
from mlviz.embedding import layout_2d, umap_paths, umap_seconds_estimate
from mlviz.graph import KnnGraph, build_knn_graph
from mlviz.images import thumbnails
from mlviz.local_data import load_descriptor_path
from mlviz.mining import Mined, NeighborRankings, mine, neighbor_rankings
from mlviz.propagation import UNLABELLED, propagate_labels
from mlviz.spectral import DENSE_LIMIT, Eigenpairs, eigenpairs
from mlviz.ui.waits import anchors_work, eigenpair_work, graph_work, noticed, timed, waiting


@dataclass(frozen=True)
class GraphParams:
    """The sidebar's graph settings, resolved for one data set."""

    k: int
    edges: str
    kernel: str
    gamma: float


def _shared(dataset: ds.Dataset) -> ds.Dataset:
    """A data set shared by every session: its arrays made read-only, so that no page can
    change what the others see (``cache_resource`` hands out the object itself, where
    ``cache_data`` would copy it on every rerun: 200 MB at 100,000 × 256)."""
    for array in (dataset.X, dataset.labels, dataset.coords, dataset.images,
                  *dataset.extras.values()):
        if isinstance(array, np.ndarray):
            array.setflags(write=False)
    return dataset


@noticed("Generating the data set…")
@st.cache_resource(max_entries=12, show_spinner=False)
def cached_toy_dataset(name: str, n: int, noise: float, seed: int) -> ds.Dataset:
    return _shared(ds.make_toy(name, n, noise, seed))


@noticed("Loading the data set…")
@st.cache_resource(max_entries=8, show_spinner=False)
def cached_real_dataset(name: str) -> ds.Dataset:
    return _shared(ds.load_real(name))


@noticed("Reading your file…")
@st.cache_resource(max_entries=4, show_spinner=False)
def cached_upload(digest: str, filename: str, max_points: int, _data: bytes) -> ds.Dataset:
    """An uploaded file, read once per content (``digest``: its SHA-1)."""
    return _shared(ds.load_descriptors(_data, filename, max_points=max_points))


@noticed("Reading the local file…")
@st.cache_resource(max_entries=1, show_spinner=False)
def cached_local_file(path: str, modified: float) -> ds.Dataset:
    """The file named with ``--data`` on the command line, read again when it changes."""
    return _shared(load_descriptor_path(path))


@noticed("Building the thumbnails…")
@st.cache_resource(max_entries=4, show_spinner=False)
def cached_thumbnails(data_key: tuple, _images: np.ndarray) -> np.ndarray:
    """Every image of a data set as a ``uint8`` thumbnail, built once per data set and shared
    by every page and session (read-only)."""
    thumbs = thumbnails(_images)
    thumbs.setflags(write=False)
    return thumbs


@st.cache_resource(max_entries=16, show_spinner=False)
def cached_graph(data_key: tuple, params: GraphParams, _X: np.ndarray) -> KnnGraph:
    with timed(*graph_work(*_X.shape)):
        return build_knn_graph(_X, params.k, edges=params.edges, kernel=params.kernel,
                               gamma=params.gamma, dtype=np.float64)


def graph_with_spinner(data_key: tuple, params: GraphParams, X: np.ndarray) -> KnnGraph:
    """:func:`cached_graph` under a spinner with the time it should take."""
    n, d = X.shape
    with waiting(f"Building the kNN graph of {n:,} points × {d} (k = {params.k})",
                 graph_work(n, d)):
        return cached_graph(data_key, params, X)


@st.cache_resource(max_entries=12, show_spinner=False)
def cached_layout(data_key: tuple, method: str, _X: np.ndarray) -> np.ndarray:
    return layout_2d(_X, method, seed=0)


_UMAP_COMPILED: set[str] = set()
"""The numba-compiled parts of UMAP this server process has run (their cost is paid once)."""


def layout_with_spinner(data_key: tuple, method: str, X: np.ndarray) -> np.ndarray:
    """:func:`cached_layout` under a spinner that says how long it will take, from n and d."""
    n, d = X.shape
    if method == "umap":
        est = umap_seconds_estimate(n, d, _UMAP_COMPILED)
        text = (f"Computing the UMAP layout of {n:,} points × {d} dims: about {est:.0f} s on 2 "
                "cores" + (", numba's compilation included (once per server)"
                           if umap_paths(n) - _UMAP_COMPILED else "") + "; then it is cached…")
    else:
        text = "Computing the 2-D layout…"
    with waiting(text):
        coords = cached_layout(data_key, method, X)
    if method == "umap":
        _UMAP_COMPILED.update(umap_paths(n))
    return coords


LANCZOS_RANKS = ((5_000, 100), (20_000, 50), (None, 20))
"""Eigenpairs computed by Lanczos above :data:`~mlviz.spectral.DENSE_LIMIT` points: up to
5,000 points 100, up to 20,000 50, above 20 (on two cores, 20,000 × 256 descriptors: 50 in
1.1–2.1 s, 100 in 6.2 s)."""


MINING_ANCHORS = ((5_000, 1000), (20_000, 200), (None, 100))
"""Anchors whose neighbours the mining page and its steps rank (all points up to the first
bound, else a seeded sample): one sparse LU serves them, solved 256 columns at a time (at
20,000 points × 256, the factor takes 1.6 s and each 256 columns 2.7 s on two cores; 1,000
anchors took 12 s, 200 take 4 s)."""


def anchors_of(n: int) -> int:
    """How many anchors the mining page and its steps rank on ``n`` points."""
    return min(next(a for up_to, a in MINING_ANCHORS if up_to is None or n <= up_to), n)


MINING_ALPHA = 0.99
"""The mining page's α when it opens."""
RANKED_NEIGHBOURS = 200
"""Euclidean and manifold neighbours ranked per anchor: the largest |E| and |M| of the mining
page's sliders, so one ranking serves every setting."""


@st.cache_data(max_entries=4, show_spinner=False)
def cached_rankings(data_key: tuple, params: GraphParams, alpha: float, metric: str, _X,
                    _W_norm) -> NeighborRankings:
    """Every mining anchor's Euclidean and manifold neighbours, shared by the mining page and
    the warm-up (:mod:`mlviz.ui.warm_up`)."""
    n = _X.shape[0]
    with timed(*anchors_work(n, params.k, anchors_of(n))):
        return neighbor_rankings(_X, _W_norm, anchors_of(n), min(RANKED_NEIGHBOURS, n - 1),
                                 min(RANKED_NEIGHBOURS, n - 1), alpha, seed=0, metric=metric)


def eigenpair_rank(n: int) -> int:
    """How many eigenpairs the smoothing page and its steps compute on ``n`` points."""
    if n <= DENSE_LIMIT:
        return n
    return min(next(r for up_to, r in LANCZOS_RANKS if up_to is None or n <= up_to), n)


@st.cache_resource(max_entries=8, show_spinner=False)
def shared_eigenpairs(data_key: tuple, params: GraphParams, r: int, _W_norm) -> Eigenpairs:
    with timed(*eigenpair_work(_W_norm.shape[0], params.k, r, DENSE_LIMIT)):
        return eigenpairs(_W_norm, r)


def cached_eigenpairs(data_key: tuple, params: GraphParams, r: int, W_norm) -> Eigenpairs:
    """The top ``r`` eigenpairs of a data set's 𝒲, shared by the smoothing page and its steps,
    under a spinner with the time they should take."""
    n = W_norm.shape[0]
    how = "eigendecomposition" if n <= DENSE_LIMIT else "Lanczos"
    with waiting(f"The top {r:,} eigenpairs of 𝒲 on {n:,} points ({how})",
                 eigenpair_work(n, params.k, r, DENSE_LIMIT)):
        return shared_eigenpairs(data_key, params, r, W_norm)


@noticed("Mining…")
@st.cache_data(max_entries=32, show_spinner=False)
def cached_mined(data_key: tuple, params: GraphParams, anchor: int, k_e: int, k_m: int,
                 alpha: float, metric: str, _X, _W_norm) -> Mined:
    """One anchor's E, M, S⁺, S⁻, shared by the mining page and its steps."""
    return mine(_X, _W_norm, anchor, k_e, k_m, alpha, metric)


@noticed("Propagating labels…")
@st.cache_data(max_entries=16, show_spinner=False)
def cached_propagation(data_key: tuple, params: GraphParams, labelled: tuple, n_classes: int,
                       alpha: float, norm, _graph: KnnGraph):
    """Labels propagated from ``labelled`` ((point, class) pairs), shared by the label
    propagation page and its steps."""
    labels = np.full(_graph.W_norm.shape[0], UNLABELLED)
    for i, c in labelled:
        labels[i] = c
    return propagate_labels(_graph.W_norm, labels, alpha, n_classes=n_classes, normalization=norm,
                            neighbors_idx=_graph.neighbors.indices,
                            neighbor_weights=_graph.weights)
