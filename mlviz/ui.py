"""Streamlit wiring shared by every page: the data/graph sidebar, caches, URL state, guards.

The only mlviz module that imports streamlit. Expensive results (data sets, kNN graphs,
2-D layouts) are cached on small hashable keys; the big arrays travel as ``_underscored``
arguments that the cache does not hash (see DESIGN.md).
"""

from __future__ import annotations

import hashlib
import logging
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.sparse as sp
import streamlit as st

from mlviz import datasets as ds
from mlviz.embedding import layout_2d
from mlviz.figures import PLOTLY_CONFIG
from mlviz.graph import (
    GraphSummary,
    Neighbors,
    edge_weights,
    graph_from_neighbors,
    knn_search,
    normalize,
    summarize,
)

log = logging.getLogger("mlviz")

# URL-bound widgets put the option's text in the URL, so options are short readable words.
SOURCES = ("toy", "real", "file")
SOURCE_LABELS = {"toy": "toy manifold", "real": "real data", "file": "your file"}
LAYOUTS = ("auto", "pca", "umap")
KERNELS = ("auto", "gaussian", "cosine")
MAX_TOY_POINTS = 20_000
URL = dict(bind="query-params")

PAGES = (
    ("pages/1_Ranking_on_manifolds.py", "Ranking on manifolds", "🧭",
     "random walk vs conjugate gradient, for the queries you click"),
    ("pages/2_Ranking_as_smoothing.py", "Ranking as smoothing", "〰️",
     "the graph's Fourier modes and spectral low-pass filtering"),
    ("pages/3_Mining_on_manifolds.py", "Mining on manifolds", "⛏️",
     "hard positives and negatives, metric learning without labels"),
    ("pages/4_Label_propagation.py", "Label propagation", "🏷️",
     "propagated labels and their certainty"),
    ("pages/5_Deep_label_propagation.py", "Deep label propagation", "🧠",
     "a small network trained with propagated pseudo-labels"),
)


@dataclass(frozen=True)
class GraphParams:
    k: int
    mode: str
    kernel: str
    gamma: float


@dataclass(frozen=True)
class Graph:
    """The kNN lists, adjacency ``W``, its normalization and summary."""

    neighbors: Neighbors
    weights: np.ndarray
    W: sp.csr_matrix
    W_norm: sp.csr_matrix
    summary: GraphSummary


@dataclass(frozen=True)
class Workspace:
    """What the sidebar built, read by every page."""

    data_key: tuple
    dataset: ds.Dataset
    coords: np.ndarray
    layout: str
    params: GraphParams
    graph: Graph

    @property
    def n(self) -> int:
        return self.dataset.n


# ---------------------------------------------------------------- page frame


def setup_page(title: str, icon: str = "🌀") -> None:
    """Page config; the first streamlit call of every page."""
    st.set_page_config(page_title=f"{title} · mlviz", page_icon=icon, layout="wide")


@contextmanager
def guard(what: str = "this view") -> Iterator[None]:
    """Show an error message instead of a traceback; the rest of the page still renders."""
    try:
        yield
    except ds.DataError as exc:
        st.error(f"{exc}", icon="⚠️")
    except ValueError as exc:
        st.error(f"Could not compute {what}: {exc}", icon="⚠️")
    except MemoryError:
        st.error(f"Not enough memory for {what}: use fewer points or a smaller k.", icon="⚠️")
    except Exception as exc:  # never show a traceback to the user
        log.error("error in %s:\n%s", what, traceback.format_exc())
        st.error(
            f"Something went wrong while computing {what} ({type(exc).__name__}: {exc}). "
            "Try other settings; the details are in the server log.",
            icon="⚠️",
        )


def show_chart(fig, key: str | None = None, **kwargs):
    """``st.plotly_chart`` with the shared toolbar config (PNG download)."""
    return st.plotly_chart(fig, key=key, config=PLOTLY_CONFIG, **kwargs)


# ---------------------------------------------------------------- caches


@st.cache_data(max_entries=12, show_spinner="Generating the data set…")
def toy_dataset(name: str, n: int, noise: float, seed: int) -> ds.Dataset:
    return ds.make_toy(name, n, noise, seed)


@st.cache_data(max_entries=8, show_spinner="Loading the data set…")
def real_dataset(name: str) -> ds.Dataset:
    return ds.load_real(name)


@st.cache_data(max_entries=4, show_spinner="Reading your file…")
def uploaded_dataset(data: bytes, filename: str) -> ds.Dataset:
    return ds.load_descriptors(data, filename)


@st.cache_resource(max_entries=16, show_spinner="Building the kNN graph…")
def build_graph(data_key: tuple, params: GraphParams, _X: np.ndarray) -> Graph:
    metric = "cosine" if params.kernel == "cosine" else "euclidean"
    nb = knn_search(_X, params.k, metric=metric)
    weights = edge_weights(nb, params.kernel, params.gamma)
    W = graph_from_neighbors(nb, weights, params.mode, dtype=np.float64)
    return Graph(nb, weights, W, normalize(W), summarize(W))


@st.cache_resource(max_entries=12, show_spinner="Computing the 2-D layout (UMAP takes ~10 s the first time)…")
def build_layout(data_key: tuple, method: str, _X: np.ndarray) -> np.ndarray:
    return layout_2d(_X, method, seed=0)


# ---------------------------------------------------------------- sidebar


def _default_dataset() -> tuple[tuple, ds.Dataset]:
    return ("toy", "two moons", 600, 0.08, 0), toy_dataset("two moons", 600, 0.08, 0)


def _choose_dataset() -> tuple[tuple, ds.Dataset]:
    sb = st.sidebar
    source = sb.radio("Source", SOURCES, key="data", horizontal=True, **URL,
                      help="toy: generated manifolds; real: small data sets shipped with "
                           "scikit-learn; file: your own descriptors.")
    if source == "toy":
        name = sb.selectbox("Manifold", ds.TOY, key="toy", **URL)
        n = sb.slider("Points n", 100, MAX_TOY_POINTS, 600, step=100, key="n", **URL)
        noise = sb.slider("Noise", 0.0, 0.3, 0.08, step=0.01, key="noise", **URL)
        seed = int(sb.number_input("Seed", 0, 9999, 0, step=1, key="seed", **URL))
        return ("toy", name, int(n), float(noise), seed), toy_dataset(name, int(n), float(noise), seed)
    if source == "real":
        name = sb.selectbox("Data set", ds.REAL, key="real", **URL)
        return ("real", name), real_dataset(name)
    upload = sb.file_uploader(
        "Descriptor file",
        type=["npy", "npz", "csv"],
        key="upload",
        help=(
            f".npy: an n×d float array. .npz: arrays X, optional labels (n ints) and coords (n×2). "
            f".csv: one row per point, optional header with columns 'label', 'x2d', 'y2d'. "
            f"At most {ds.MAX_FILE_MB} MB, {ds.MAX_POINTS:,} points, {ds.MAX_FEATURES:,} dimensions."
        ),
    )
    if upload is None:
        last = st.session_state.get("mlviz_last_file")
        if last is not None:
            return last
        sb.info("Upload a .npy, .npz or .csv file of descriptors; until then the last data set stays.")
        raise _KeepLastGood
    data = upload.getvalue()
    key = ("file", hashlib.sha1(data).hexdigest(), upload.name)
    return key, uploaded_dataset(data, upload.name)


class _KeepLastGood(Exception):
    """No usable new data set: keep the last good one (the message is already shown)."""


def _choose_graph(dataset: ds.Dataset) -> tuple[int, str, str, float]:
    """The graph widgets' values: k, edge mode, kernel choice (may be 'auto'), gamma.

    ``dataset`` only decides whether the γ slider is shown.
    """
    sb = st.sidebar
    sb.header("Graph")
    k = sb.slider("Neighbours k", 2, 50, 10, key="k", **URL,
                  help="Each point's k nearest neighbours; edges join mutual neighbours.")
    mode = sb.radio("Edges", ["reciprocal", "union"], key="graph", horizontal=True, **URL,
                    help="reciprocal: i and j are each among the other's k nearest (the talk's "
                         "graph). union: either is.")
    kernel = sb.selectbox("Edge weights", KERNELS, key="kernel", **URL,
                          help="gaussian: exp(-d²/σ²) on Euclidean distance. cosine: sᵞ on cosine "
                               "similarity (Iscen et al. 2017). auto: Gaussian for toy and "
                               "standardized data, cosine for descriptors.")
    gamma = 3.0
    if kernel == "cosine" or (kernel == "auto" and dataset.default_kernel == "cosine"):
        gamma = float(sb.slider("γ (cosine exponent)", 1.0, 10.0, 3.0, step=0.5, key="gamma", **URL))
    return int(k), mode, kernel, gamma


def resolve_graph_params(choice: tuple[int, str, str, float], dataset: ds.Dataset) -> GraphParams:
    """Graph parameters for a data set: k below n, 'auto' kernel resolved."""
    k, mode, kernel, gamma = choice
    kernel = dataset.default_kernel if kernel == "auto" else kernel
    return GraphParams(int(min(k, dataset.n - 1)), mode, kernel, gamma if kernel == "cosine" else 3.0)


def _falls_apart(summary: GraphSummary) -> bool:
    """Many components or many isolated points: diffusion would mostly stay put."""
    return (summary.n_components > max(10, summary.n_nodes // 20)
            or summary.isolated_fraction > 0.3)


def sidebar() -> Workspace:
    """Draw the shared sidebar and return the data set, its 2-D layout and its graph.

    Bad input (a broken file, a graph that falls apart) shows a message and keeps the
    last good data set of this session.
    """
    st.sidebar.header("Data")
    try:
        data_key, dataset = _choose_dataset()
    except _KeepLastGood:
        data_key, dataset = st.session_state.get("mlviz_last_good") or _default_dataset()
    except ds.DataError as exc:
        st.sidebar.error(f"{exc}\n\nThe previous data set stays loaded.", icon="⚠️")
        data_key, dataset = st.session_state.get("mlviz_last_good") or _default_dataset()

    choice = _choose_graph(dataset)
    params = resolve_graph_params(choice, dataset)
    graph = build_graph(data_key, params, dataset.X)
    if data_key[0] == "file" and _falls_apart(graph.summary):
        st.sidebar.error(
            f"The graph of {dataset.name} falls apart into {graph.summary.n_components:,} "
            f"components ({graph.summary.n_isolated:,} isolated points; the largest holds "
            f"{graph.summary.largest_component:,} of {dataset.n:,}). Raise k or choose 'union' "
            "edges. The previous data set stays loaded.",
            icon="⚠️",
        )
        data_key, dataset = st.session_state.get("mlviz_last_good") or _default_dataset()
        params = resolve_graph_params(choice, dataset)
        graph = build_graph(data_key, params, dataset.X)
    else:
        st.session_state["mlviz_last_good"] = (data_key, dataset)
        if data_key[0] == "file":
            st.session_state["mlviz_last_file"] = (data_key, dataset)

    s = graph.summary
    st.sidebar.caption(
        f"**{dataset.name}**: {dataset.n:,} points × {dataset.dim} dims · "
        f"{s.n_edges:,} edges · {s.n_components:,} components · {s.n_isolated:,} isolated"
    )
    if _falls_apart(s):
        st.sidebar.warning(
            f"The graph is fragmented ({s.n_components:,} components, {s.n_isolated:,} isolated "
            "points): diffusion cannot cross between components. Raise k or choose 'union' edges.",
            icon="🧩",
        )

    layout = "auto"
    if dataset.coords is None:
        st.sidebar.header("Drawing")
        layout = st.sidebar.selectbox(
            "2-D layout", LAYOUTS, key="layout", **URL,
            help="The graph is built in the original space; this only chooses how it is drawn. "
                 "auto: the file's own 2-D coordinates, else PCA. UMAP takes ~10 s the first time.",
        )
    coords = dataset.coords if dataset.coords is not None and layout == "auto" else None
    if coords is None:
        method = "pca" if layout == "auto" else layout
        coords = build_layout(data_key, method, dataset.X)
        layout = method
    return Workspace(data_key, dataset, coords, layout, params, graph)


# ---------------------------------------------------------------- URL state of a page


def read_ids(param: str, n: int) -> list[int]:
    """Point ids kept in the URL as ``?param=3,17,40``; invalid entries are dropped."""
    raw = st.query_params.get(param, "")
    out = []
    for part in str(raw).split(","):
        part = part.strip()
        if part.isdigit() and int(part) < n:
            out.append(int(part))
    return sorted(set(out))


def write_ids(param: str, ids) -> None:
    """Keep point ids in the URL so a copied link reopens the same view."""
    ids = sorted({int(i) for i in ids})
    if ids:
        st.query_params[param] = ",".join(map(str, ids))
    elif param in st.query_params:
        del st.query_params[param]


def page_links() -> None:
    """Links to the method pages in the talk's order (those present in this build)."""
    root = Path(__file__).resolve().parent.parent
    for path, label, icon, blurb in PAGES:
        if (root / path).exists():
            st.page_link(path, label=f"**{label}**: {blurb}", icon=icon)
