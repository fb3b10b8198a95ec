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
from mlviz.embedding import layout_2d
from mlviz.graph import KnnGraph, build_knn_graph


@dataclass(frozen=True)
class GraphParams:
    """The sidebar's graph settings, resolved for one data set."""

    k: int
    edges: str
    kernel: str
    gamma: float


@st.cache_data(max_entries=12, show_spinner="Generating the data set…")
def cached_toy_dataset(name: str, n: int, noise: float, seed: int) -> ds.Dataset:
    return ds.make_toy(name, n, noise, seed)


@st.cache_data(max_entries=8, show_spinner="Loading the data set…")
def cached_real_dataset(name: str) -> ds.Dataset:
    return ds.load_real(name)


@st.cache_data(max_entries=4, show_spinner="Reading your file…")
def cached_upload(data: bytes, filename: str) -> ds.Dataset:
    return ds.load_descriptors(data, filename)


@st.cache_resource(max_entries=16, show_spinner="Building the kNN graph…")
def cached_graph(data_key: tuple, params: GraphParams, _X: np.ndarray) -> KnnGraph:
    return build_knn_graph(_X, params.k, edges=params.edges, kernel=params.kernel,
                           gamma=params.gamma, dtype=np.float64)


@st.cache_resource(max_entries=12, show_spinner="Computing the 2-D layout (UMAP takes 10–20 s the first time on 2 cores)…")
def cached_layout(data_key: tuple, method: str, _X: np.ndarray) -> np.ndarray:
    return layout_2d(_X, method, seed=0)
