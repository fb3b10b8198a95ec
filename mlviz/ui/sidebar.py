"""The shared sidebar: the data set, its kNN graph and its 2-D drawing, read by every page."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
import streamlit as st

from mlviz import datasets as ds
from mlviz.embedding import LAYOUTS, umap_seconds_estimate
from mlviz.graph import EDGES, KERNELS, GraphSummary, KnnGraph
from mlviz.ui import state
from mlviz.ui.caches import (
    GraphParams,
    cached_local_file,
    cached_real_dataset,
    cached_toy_dataset,
    cached_upload,
    graph_with_spinner,
    layout_with_spinner,
)
from mlviz.ui.page import navigation
from mlviz.ui.server import MAX_TOY_POINTS, local_data_path, server_settings
from mlviz.ui.warm_up import warm_up

SOURCES = ("toy", "real", "file")
KERNEL_CHOICES = ("auto", *KERNELS)
"""``auto``: the data set's own kernel (Gaussian for toy and standardized data, cosine for
descriptors)."""
LAYOUT_CHOICES = ("auto", *LAYOUTS)
"""``auto``: the file's own 2-D coordinates, else PCA."""

SIDEBAR = state.PageState(
    "",
    state.choice("data", SOURCES, "toy"),
    state.choice("toy", ds.TOY, "two moons"),
    state.whole("n", 100, MAX_TOY_POINTS, 600),
    state.number("noise", 0.0, 0.3, 0.1),
    state.whole("seed", 0, 9999, 0),
    state.choice("real", ds.REAL, "digits"),
    state.whole("k", 2, 50, 15),
    state.choice("edges", EDGES, "reciprocal"),
    state.choice("kernel", KERNEL_CHOICES, "auto"),
    state.number("gamma", 1.0, 10.0, 3.0),
    state.choice("layout", LAYOUT_CHOICES, "auto"),
    state.flag("local", True),
)
"""The sidebar's settings, shared by every page (the same keys on each).

The defaults show the talk's pictures: two moons with noise 0.1 and the reciprocal 15-NN
graph are one component with no isolated point (at noise 0.08 and k = 10 the moons were
three), so diffusion follows each moon across the gap, and label propagation grows unsure
where the moons meet."""

DEFAULT_DATA_KEY = ("toy", "two moons", 600, 0.1, 0)


@dataclass(frozen=True)
class Workspace:
    """What the sidebar built, read by every page."""

    data_key: tuple
    dataset: ds.Dataset
    coords: np.ndarray
    layout: str
    params: GraphParams
    graph: KnnGraph
    panel: object = None
    """A sidebar container above the data settings, for the selected point
    (:func:`mlviz.ui.images.point_panel`)."""

    @property
    def n(self) -> int:
        return self.dataset.n


class _KeepLastGood(Exception):
    """No usable new data set: keep the last good one (the message is already shown)."""


def _default_dataset() -> tuple[tuple, ds.Dataset]:
    return DEFAULT_DATA_KEY, cached_toy_dataset(*DEFAULT_DATA_KEY[1:])


def _choose_dataset() -> tuple[tuple, ds.Dataset]:
    sb = st.sidebar
    allowed = server_settings()
    local = local_data_path()
    sources = SOURCES if allowed.uploads or local is not None else SOURCES[:2]
    if SIDEBAR["data"] not in sources:
        SIDEBAR.set("data", "toy")
    SIDEBAR.limit("n", 100, allowed.max_toy_points)
    source = sb.radio("Source", sources, key=SIDEBAR.key("data"), horizontal=True,
                      help="toy: generated manifolds; real: small data sets shipped with "
                           "scikit-learn; file: your own descriptors.")
    if source == "toy":
        name = sb.selectbox("Manifold", ds.TOY, key=SIDEBAR.key("toy"))
        n = sb.slider("Points n", 100, allowed.max_toy_points, step=100, key=SIDEBAR.key("n"))
        noise = sb.slider("Noise", 0.0, 0.3, step=0.01, key=SIDEBAR.key("noise"))
        seed = int(sb.number_input("Seed", 0, 9999, step=1, key=SIDEBAR.key("seed")))
        key = ("toy", name, int(n), float(noise), seed)
        return key, cached_toy_dataset(*key[1:])
    if source == "real":
        name = sb.selectbox("Data set", ds.REAL, key=SIDEBAR.key("real"))
        return ("real", name), cached_real_dataset(name)
    if local is not None and (not allowed.uploads or sb.toggle(
            f"The server's file {local.name}", key=SIDEBAR.key("local"),
            help="The file given with --data when the app was started (up to "
                 "100,000 points). Turn off to upload a file instead.")):
        return _local_file(local)
    upload = sb.file_uploader(
        "Descriptor file",
        type=["npy", "npz", "csv"],
        key="upload",
        help=(
            f".npy: an n×d float array. .npz: arrays X, optional labels (n ints), coords (n×2) "
            f"and images (n×h×w or n×h×w×3, uint8 or float in [0, 1]: shown as thumbnails). "
            f".csv: one row per point (commas, semicolons or tabs), optional header with "
            f"columns 'label' (integer class ids), 'x2d', 'y2d'. "
            f"At most {ds.MAX_FILE_MB} MB, {allowed.max_points:,} points, {ds.MAX_FEATURES:,} dimensions."
        ),
    )
    if upload is None:
        last = st.session_state.get("mlviz_last_file")
        if last is not None:
            sb.caption(f"In use: {last[0][2]}, uploaded earlier in this session. Upload another "
                       "file to replace it.")
            return last
        if state.opened_from_link():
            sb.warning("This link's view used an uploaded file, which a link cannot carry: "
                       "upload the file again. Until then the default data set is shown.",
                       icon="📎")
        else:
            sb.info("Upload a .npy, .npz or .csv file of descriptors; until then the last data "
                    "set stays.")
        raise _KeepLastGood
    data = upload.getvalue()
    key = ("file", hashlib.sha1(data).hexdigest(), upload.name)
    return key, cached_upload(key[1], upload.name, allowed.max_points, data)


def _local_file(path) -> tuple[tuple, ds.Dataset]:
    try:
        modified = path.stat().st_mtime
    except OSError:
        modified = 0.0  # cached_local_file says the file is missing
    key = ("local", str(path), modified)
    return key, cached_local_file(str(path), modified)


def follow_default_k(dataset: ds.Dataset) -> None:
    """When the data set changes to one whose best k differs from the last one's
    (``Dataset.default_k``, e.g. rotation orbits' 5; else the sidebar's default), k moves to
    it; any other time k stays as the user (or the link) set it. A link carries k whenever it
    differs from the sidebar's default, so it reopens the same graph."""
    best = dataset.default_k or SIDEBAR.settings["k"].default
    last = st.session_state.get("mlviz_best_k")
    st.session_state["mlviz_best_k"] = best
    if last is not None and last != best:
        SIDEBAR.set("k", int(best))


def _choose_graph(dataset: ds.Dataset) -> tuple[int, str, str, float]:
    """The graph widgets' values: k, edges, kernel choice (may be 'auto'), gamma.

    ``dataset`` only decides whether the γ slider is shown.
    """
    sb = st.sidebar
    sb.header("Graph")
    k = sb.slider("Neighbours k", 2, 50, key=SIDEBAR.key("k"),
                  help="Each point's k nearest neighbours. Which of them become edges is "
                       "decided by 'Edges' below.")
    edges = sb.radio("Edges", EDGES, key=SIDEBAR.key("edges"), horizontal=True,
                     help="reciprocal: i and j are each among the other's k nearest (the talk's "
                          "graph). union: either is. sum: W + Wᵀ of the directed kNN, a mutual "
                          "pair counting twice (the authors' deep LP code). Their code also "
                          "counts each point as its own first neighbour: their k is this k + 1.")
    kernel = sb.selectbox("Edge weights", KERNEL_CHOICES, key=SIDEBAR.key("kernel"),
                          help="gaussian: exp(-d²/σ²) on Euclidean distance, σ² = the mean squared "
                               "distance to the k-th neighbour. cosine: sᵞ on cosine "
                               "similarity (Iscen et al. 2017). auto: Gaussian for toy and "
                               "standardized data, cosine for descriptors.")
    gamma = 3.0
    if kernel == "cosine" or (kernel == "auto" and dataset.default_kernel == "cosine"):
        gamma = float(sb.slider("γ (cosine exponent)", 1.0, 10.0, step=0.5,
                                key=SIDEBAR.key("gamma")))
    return int(k), edges, kernel, gamma


def resolve_graph_params(choice: tuple[int, str, str, float], dataset: ds.Dataset) -> GraphParams:
    """Graph parameters for a data set: k below n, 'auto' kernel resolved."""
    k, edges, kernel, gamma = choice
    kernel = dataset.default_kernel if kernel == "auto" else kernel
    return GraphParams(int(min(k, dataset.n - 1)), edges, kernel,
                       gamma if kernel == "cosine" else 3.0)


def falls_apart(summary: GraphSummary) -> bool:
    """Many components or many isolated points: diffusion would mostly stay put."""
    return (summary.n_components > max(10, summary.n_nodes // 20)
            or summary.isolated_fraction > 0.3)


def graph_notice(name: str, summary: GraphSummary) -> None:
    """At the top of the page: a warning when the graph falls apart, a note when it has a
    few components; every page's picture (diffusion, labels, modes) stops at their borders."""
    s = summary
    parts = (f"{s.n_components:,} connected components, {s.n_isolated:,} isolated "
             f"point{'' if s.n_isolated == 1 else 's'}, the largest holding "
             f"{s.largest_component:,} of {s.n_nodes:,} points")
    if falls_apart(s):
        st.warning(f"The graph of {name} falls apart: {parts}. Scores and labels cannot cross "
                   "between components, so most points stay at zero and this page shows little. "
                   "Raise k or choose 'union' edges in the sidebar.", icon="🧩")
    elif s.n_components > 1:
        st.info(f"The graph of {name} has {parts}: nothing spreads between them, so each "
                "component is ranked, labelled and smoothed on its own. Raise k or choose "
                "'union' edges in the sidebar to connect them.", icon="🧩")


def sidebar() -> Workspace:
    """Draw the shared sidebar and return the data set, its 2-D layout and its graph.

    Bad input (a broken file, a graph that falls apart) shows a message and keeps the
    last good data set of this session.
    """
    SIDEBAR.sync()
    nav = st.sidebar.container()
    panel = st.sidebar.container()
    st.sidebar.divider()
    st.sidebar.header("Data")
    try:
        data_key, dataset = _choose_dataset()
    except _KeepLastGood:
        data_key, dataset = st.session_state.get("mlviz_last_good") or _default_dataset()
    except ds.DataError as exc:
        st.sidebar.error(f"{exc}\n\nThe previous data set stays loaded.", icon="⚠️")
        data_key, dataset = st.session_state.get("mlviz_last_good") or _default_dataset()
    for problem in dataset.warnings:
        st.sidebar.warning(problem, icon="🖼️")
    follow_default_k(dataset)

    choice = _choose_graph(dataset)
    params = resolve_graph_params(choice, dataset)
    graph = graph_with_spinner(data_key, params, dataset.X)
    if data_key[0] in ("file", "local") and falls_apart(graph.summary):
        st.sidebar.error(
            f"The graph of {dataset.name} falls apart into {graph.summary.n_components:,} "
            f"components ({graph.summary.n_isolated:,} isolated points; the largest holds "
            f"{graph.summary.largest_component:,} of {dataset.n:,}). Raise k or choose 'union' "
            "edges. The previous data set stays loaded.",
            icon="⚠️",
        )
        data_key, dataset = st.session_state.get("mlviz_last_good") or _default_dataset()
        params = resolve_graph_params(choice, dataset)
        graph = graph_with_spinner(data_key, params, dataset.X)
    else:
        st.session_state["mlviz_last_good"] = (data_key, dataset)
        if data_key[0] == "file":
            st.session_state["mlviz_last_file"] = (data_key, dataset)

    s = graph.summary
    st.sidebar.caption(
        f"**{dataset.name}**: {dataset.n:,} points × {dataset.dim} dims · "
        f"{s.n_edges:,} edges · {s.n_components:,} "
        f"component{'' if s.n_components == 1 else 's'} · {s.n_isolated:,} isolated"
        + ("" if graph.recall is None else
           f" · approximate kNN (faiss IVF), recall {graph.recall:.2f} against exact search "
           "on 1,000 points")
    )
    if falls_apart(s):
        st.sidebar.warning(
            f"The graph is fragmented ({s.n_components:,} components, {s.n_isolated:,} isolated "
            "points): diffusion cannot cross between components. Raise k or choose 'union' edges.",
            icon="🧩",
        )

    layout = "auto"
    if dataset.coords is None:
        st.sidebar.header("Drawing")
        layout = st.sidebar.selectbox(
            "2-D layout", LAYOUT_CHOICES, key=SIDEBAR.key("layout"),
            help="The graph is built in the original space; this only chooses how it is drawn. "
                 "auto: the file's own 2-D coordinates, else PCA. UMAP's time grows with "
                 "the points and dimensions: about "
                 f"{umap_seconds_estimate(dataset.n, dataset.dim, ('umap', 'nndescent')):.0f} s "
                 "here on 2 cores (plus up to a minute of compilation the first time the "
                 "server runs it), then it is cached.",
        )
    coords = dataset.coords if dataset.coords is not None and layout == "auto" else None
    if coords is None:
        method = "pca" if layout == "auto" else layout
        coords = layout_with_spinner(data_key, method, dataset.X)
        layout = method
    navigation(nav)
    graph_notice(dataset.name, s)
    ws = Workspace(data_key, dataset, coords, layout, params, graph, panel)
    warm_up(ws)
    return ws
