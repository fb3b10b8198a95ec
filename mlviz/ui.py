"""Streamlit wiring shared by every page: the data/graph sidebar, caches, URL state, guards.

The only mlviz module that imports streamlit. Expensive results (data sets, kNN graphs,
2-D layouts) are cached on small hashable keys; the big arrays travel as ``_underscored``
arguments that the cache does not hash.
"""

from __future__ import annotations

import hashlib
import logging
import os
import traceback
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.sparse as sp
import streamlit as st
from streamlit.errors import StreamlitAPIException

from mlviz import _threads  # noqa: F401  (before faiss / torch load OpenMP)
from mlviz import datasets as ds
from mlviz.embedding import layout_2d
from mlviz.figures import PLOTLY_CONFIG
from mlviz.graph import (
    GraphSummary,
    Neighbors,
    edge_weights,
    graph_from_neighbors,
    knn_search,
    largest_component,
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
# Training runs in a thread beside the Streamlit server: half the cores leaves the server
# responsive (with 2 torch threads on 2 busy cores an epoch was measured 40x slower).
TRAINING_THREADS = max(1, (os.cpu_count() or 2) // 2)

HOME = ("app.py", "Home", ":material/home:", "what the app teaches; the data set and its graph")


def _choice(options):
    def parse(raw: str):
        if raw not in options:
            raise ValueError(raw)
        return raw
    return parse


def _number(kind, lo, hi):
    def parse(raw: str):
        value = kind(raw)
        if not lo <= value <= hi:
            raise ValueError(raw)
        return value
    return parse


SHARED = {
    "data": _choice(SOURCES),
    "toy": _choice(ds.TOY),
    "n": _number(int, 100, MAX_TOY_POINTS),
    "noise": _number(float, 0.0, 0.3),
    "seed": _number(int, 0, 9999),
    "real": _choice(ds.REAL),
    "k": _number(int, 2, 50),
    "graph": _choice(("reciprocal", "union")),
    "kernel": _choice(KERNELS),
    "gamma": _number(float, 1.0, 10.0),
    "layout": _choice(LAYOUTS),
}
"""The sidebar's shared widgets (by key) and how to read each from the URL.

Every page shows the same sidebar; these values follow the user from page to page (kept in
this session) and live in the URL (so a copied link reopens the view). Streamlit's own
``bind="query-params"`` loses them on a page switch, hence this small mechanism.
"""

PAGES = (
    ("pages/1_Ranking_on_manifolds.py", "Ranking on manifolds", ":material/explore:",
     "random walk vs conjugate gradient, for the queries you click"),
    ("pages/2_Ranking_as_smoothing.py", "Ranking as smoothing", ":material/graphic_eq:",
     "the graph's Fourier modes and spectral low-pass filtering"),
    ("pages/3_Mining_on_manifolds.py", "Mining on manifolds", ":material/hardware:",
     "hard positives and negatives, metric learning without labels"),
    ("pages/4_Label_propagation.py", "Label propagation", ":material/label:",
     "propagated labels and their certainty"),
    ("pages/5_Deep_label_propagation.py", "Deep label propagation", ":material/neurology:",
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
    largest: np.ndarray
    """Mask of the largest connected component."""


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
    """Page config; the first streamlit call of every page. Notes whether the user has just
    come from another page (for :func:`keep_widgets`)."""
    st.set_page_config(page_title=f"{title} · mlviz", page_icon=icon, layout="wide")
    page = _page_id()
    last = st.session_state.get("mlviz_this_page")
    arrived = last is not None and last != page
    st.session_state["mlviz_first_run"] = last != page  # of this page: a new session, or arrived
    st.session_state["mlviz_arrived"] = arrived
    st.session_state["mlviz_this_page"] = page
    if arrived:  # the last page's widgets are still in the session on this first run: keep them
        kept = st.session_state.setdefault("mlviz_kept_widgets", {}).setdefault(last, {})
        for key in st.session_state.get("mlviz_kept_keys", {}).get(last, ()):
            if key in st.session_state:
                kept[key] = st.session_state[key]


def _page_id() -> str:
    """The running page's id (its script hash)."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    return ctx.page_script_hash if ctx is not None else ""


def keep_widgets(*keys: str, in_url: tuple[str, ...] = ()) -> None:
    """Let this page's widgets keep their values while the user visits other pages.

    Streamlit forgets a widget's value on a run that does not draw it (any run of another
    page). Call this before the widgets: when the user leaves, :func:`setup_page` of the next
    page copies their values aside (they are still in the session on its first run), and
    when the user comes back they are put back. Values are kept per page: pages may use one
    key (``alpha``) with different options, and a value left over from another page (in the
    session or the URL) is dropped, not taken for this page's. ``in_url``: the keys bound to
    the URL (``bind="query-params"``), written back to it when restored so that a copied link
    still reopens the view.
    """
    page = _page_id()
    st.session_state.setdefault("mlviz_kept_keys", {})[page] = keys
    if not st.session_state.get("mlviz_arrived", False):
        return
    kept = st.session_state.get("mlviz_kept_widgets", {}).get(page, {})
    for key in keys:
        st.session_state.pop(key, None)  # another page's widget of the same key
        with suppress(StreamlitAPIException):  # a key bound to a widget is Streamlit's
            if key in kept:                    # to write
                st.session_state[key] = kept[key]
                if key in in_url:
                    st.query_params[key] = str(kept[key])
            elif key in st.query_params:
                del st.query_params[key]


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
    return Graph(nb, weights, W, normalize(W), summarize(W), largest_component(W))


@st.cache_resource(max_entries=12, show_spinner="Computing the 2-D layout (UMAP takes 10–20 s the first time on 2 cores)…")
def build_layout(data_key: tuple, method: str, _X: np.ndarray) -> np.ndarray:
    return layout_2d(_X, method, seed=0)


# ---------------------------------------------------------------- sidebar


def _default_dataset() -> tuple[tuple, ds.Dataset]:
    return ("toy", "two moons", 600, 0.08, 0), toy_dataset("two moons", 600, 0.08, 0)


def _choose_dataset() -> tuple[tuple, ds.Dataset]:
    sb = st.sidebar
    source = sb.radio("Source", SOURCES, key="data", horizontal=True,
                      help="toy: generated manifolds; real: small data sets shipped with "
                           "scikit-learn; file: your own descriptors.")
    if source == "toy":
        name = sb.selectbox("Manifold", ds.TOY, key="toy")
        n = sb.slider("Points n", 100, MAX_TOY_POINTS, 600, step=100, key="n")
        noise = sb.slider("Noise", 0.0, 0.3, 0.08, step=0.01, key="noise")
        seed = int(sb.number_input("Seed", 0, 9999, 0, step=1, key="seed"))
        return ("toy", name, int(n), float(noise), seed), toy_dataset(name, int(n), float(noise), seed)
    if source == "real":
        name = sb.selectbox("Data set", ds.REAL, key="real")
        return ("real", name), real_dataset(name)
    upload = sb.file_uploader(
        "Descriptor file",
        type=["npy", "npz", "csv"],
        key="upload",
        help=(
            f".npy: an n×d float array. .npz: arrays X, optional labels (n ints) and coords (n×2). "
            f".csv: one row per point (commas, semicolons or tabs), optional header with "
            f"columns 'label' (integer class ids), 'x2d', 'y2d'. "
            f"At most {ds.MAX_FILE_MB} MB, {ds.MAX_POINTS:,} points, {ds.MAX_FEATURES:,} dimensions."
        ),
    )
    if upload is None:
        last = st.session_state.get("mlviz_last_file")
        if last is not None:
            sb.caption(f"In use: {last[0][2]}, uploaded earlier in this session. Upload another "
                       "file to replace it.")
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
    k = sb.slider("Neighbours k", 2, 50, 10, key="k",
                  help="Each point's k nearest neighbours. Which of them become edges is "
                       "decided by 'Edges' below.")
    mode = sb.radio("Edges", ["reciprocal", "union"], key="graph", horizontal=True,
                    help="reciprocal: i and j are each among the other's k nearest (the talk's "
                         "graph). union: either is.")
    kernel = sb.selectbox("Edge weights", KERNELS, key="kernel",
                          help="gaussian: exp(-d²/σ²) on Euclidean distance, σ² = the mean squared "
                               "distance to the k-th neighbour. cosine: sᵞ on cosine "
                               "similarity (Iscen et al. 2017). auto: Gaussian for toy and "
                               "standardized data, cosine for descriptors.")
    gamma = 3.0
    if kernel == "cosine" or (kernel == "auto" and dataset.default_kernel == "cosine"):
        gamma = float(sb.slider("γ (cosine exponent)", 1.0, 10.0, 3.0, step=0.5, key="gamma"))
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


def _restore_shared_state() -> None:
    """On a page's first run: each shared widget takes its URL value, else this session's."""
    if not st.session_state.get("mlviz_first_run", True):
        return
    saved = st.session_state.get("mlviz_shared", {})
    for key, parse in SHARED.items():
        value = saved.get(key)
        raw = st.query_params.get(key)
        if raw is not None:
            try:
                value = parse(raw)
            except ValueError:
                pass  # an invalid URL value is ignored
        if value is not None:
            st.session_state[key] = value


def _save_shared_state() -> None:
    """Remember the shared values for the next page and write them to the URL."""
    saved = {k: st.session_state[k] for k in SHARED if st.session_state.get(k) is not None}
    st.session_state["mlviz_shared"] = saved
    for key in SHARED:
        value = saved.get(key)
        if value is None:
            if key in st.query_params:
                del st.query_params[key]
        elif st.query_params.get(key) != str(value):
            st.query_params[key] = str(value)


def sidebar() -> Workspace:
    """Draw the shared sidebar and return the data set, its 2-D layout and its graph.

    Bad input (a broken file, a graph that falls apart) shows a message and keeps the
    last good data set of this session.
    """
    _restore_shared_state()
    nav = st.sidebar.container()
    st.sidebar.divider()
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
            "2-D layout", LAYOUTS, key="layout",
            help="The graph is built in the original space; this only chooses how it is drawn. "
                 "auto: the file's own 2-D coordinates, else PCA. UMAP takes 10–20 s the "
                 "first time (2 cores), then it is cached.",
        )
    coords = dataset.coords if dataset.coords is not None and layout == "auto" else None
    if coords is None:
        method = "pca" if layout == "auto" else layout
        coords = build_layout(data_key, method, dataset.X)
        layout = method
    _save_shared_state()
    navigation(nav)
    return Workspace(data_key, dataset, coords, layout, params, graph)


# ---------------------------------------------------------------- URL state of a page


def url_value(param: str) -> str:
    """A page's own URL parameter, or the value this session last wrote to it.

    A page switch drops the page's own parameters from the URL: then the value last written
    (:func:`set_url_value`) is read, so queries and labels follow the user across pages.
    """
    raw = st.query_params.get(param)
    return st.session_state.get(f"mlviz_url_{param}", "") if raw is None else str(raw)


def set_url_value(param: str, value: str) -> None:
    """Write a page's own URL parameter (``""`` removes it) and remember it for the session."""
    st.session_state[f"mlviz_url_{param}"] = value
    if value:
        st.query_params[param] = value
    elif param in st.query_params:
        del st.query_params[param]


def read_ids(param: str, n: int) -> list[int]:
    """Point ids kept in the URL as ``?param=3,17,40`` (:func:`url_value`); invalid entries
    are dropped."""
    raw = url_value(param)
    out = []
    for part in str(raw).split(","):
        part = part.strip()
        if part.isdigit() and int(part) < n:
            out.append(int(part))
    return sorted(set(out))


def new_selection(chart_key: str) -> list[int]:
    """Point ids the user just selected in the chart ``chart_key`` (``on_select="rerun"``).

    A selection stays in the chart's state across reruns; this returns it only on the run
    where it changed, so a button or URL can override it afterwards.
    """
    from mlviz.figures import selected_point_ids

    picked = selected_point_ids(st.session_state.get(chart_key))
    memory = f"mlviz_selection_{chart_key}"
    if picked and picked != st.session_state.get(memory):
        st.session_state[memory] = picked
        return picked
    return []


def write_ids(param: str, ids) -> None:
    """Keep point ids in the URL so a copied link reopens the same view."""
    set_url_value(param, ",".join(map(str, sorted({int(i) for i in ids}))))


def _present_pages() -> list[tuple[str, str, str, str]]:
    root = Path(__file__).resolve().parent.parent
    return [p for p in (HOME, *PAGES) if (root / p[0]).exists()]


def navigation(container) -> None:
    """The app's menu: one link per page in the talk's order (Streamlit's own is hidden,
    ``client.showSidebarNavigation = false``, to name the home page and order the tour)."""
    for path, label, icon, _ in _present_pages():
        container.page_link(path, label=label, icon=icon)


def page_links() -> None:
    """The tour on the home page: each method page with a line on what it shows."""
    for path, label, icon, blurb in _present_pages()[1:]:
        st.page_link(path, label=f"**{label}**", icon=icon)
        st.caption(blurb)


# ---------------------------------------------------------------- background training


class BackgroundJob:
    """Work run in a thread; the page polls it. The worker never calls streamlit.

    ``steps`` is a list of ``(name, function)``; each function gets ``progress`` and ``stop``
    keyword arguments (the training functions of :mod:`mlviz.deep`) and runs after the
    previous one. ``progress(epoch, partial)`` callbacks record the latest partial result
    per step, which a fragment draws while the job runs.
    """

    def __init__(self, steps: list, total_epochs: int):
        import threading

        self.steps = steps
        self.total_epochs = total_epochs
        self.stop = threading.Event()
        self.partial: dict = {}
        self.results: dict = {}
        self.epochs_done = 0
        self.current = ""
        self.error: str | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> BackgroundJob:
        self._thread.start()
        return self

    @property
    def names(self) -> list[str]:
        """The steps' names, in the order they run."""
        return [name for name, _ in self.steps]

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def wait(self, timeout: float | None = None) -> None:
        self._thread.join(timeout)

    def _run(self) -> None:
        try:
            for name, fn in self.steps:
                if self.stop.is_set():
                    break
                self.current = name

                def progress(epoch, partial, name=name):
                    self.partial[name] = partial
                    self.epochs_done += 1

                self.results[name] = fn(progress=progress, stop=self.stop)
        except Exception as exc:  # shown by the page, never a traceback
            log.error("background job failed:\n%s", traceback.format_exc())
            self.error = f"{type(exc).__name__}: {exc}"


def job_status(job: BackgroundJob, key: str, live=None) -> None:
    """Progress bar, stop button and ``live()`` drawing of a running job, polled every second;
    the whole page reruns when the job ends."""

    @st.fragment(run_every=1.0)
    def poll():
        if not job.running:
            st.rerun()
        share = min(job.epochs_done / max(job.total_epochs, 1), 1.0)
        names = job.names
        step = names.index(job.current) + 1 if job.current in names else 1
        st.progress(share, text=f"run {step} of {len(names)}, {job.current}: "
                                f"{job.epochs_done} of {job.total_epochs} epochs of all runs")
        if st.button("Stop", icon=":material/stop:", key=f"{key}_stop"):
            job.stop.set()
        if live is not None:
            live()

    poll()
