"""Waits over a second: what is being computed, about how long it takes, how long it has run.

Each long task has a measure of its work (``n² d`` for an exact kNN search, ``n k r`` for
Lanczos, ...). The server keeps, per task, the seconds per unit of work of its last few runs
and estimates the next one from their median; before its first run it uses the rate measured
on the reference machine (2 cores, ``benchmarks/``). A cached function times its own body
with :func:`timed` (so that only real computations are counted, never cache hits); the page
calls it inside :func:`waiting`, a notice (shown after half a second) that says

    "Building the kNN graph of 20,000 points × 256: about 3 s on this server · 2 s so far".

The notice is a still box whose text the server renews once a second, not ``st.spinner``: a
spinning ring is redrawn sixty times a second and its clock ten, which cost the tab 0.10–0.13
core-seconds of Chromium per second it was shown against 0.002 for this box; with twelve
students' tabs on one 2-core machine, all waiting on the same busy server, that was the
browsers' largest cost after drawing (``benchmarks/README.md``). Cached functions show the
same notice through :func:`noticed` instead of Streamlit's cache spinner.
"""

from __future__ import annotations

import functools
import logging
import statistics
import threading
import time
from collections import deque
from collections.abc import Callable
from contextlib import contextmanager

import streamlit as st

from mlviz.knn import APPROXIMATE_FROM, IvfParameters

SECONDS_PER_UNIT = {  # measured at 20,000 × 256 (cosine graph, k = 10) on 2 cores, quiet
    "graph": 3.1e-11,  # per n² d: the exact faiss search and the graph, 3.1 s
    "dense eigenpairs": 3.1e-10,  # per n³: numpy's eigh, 2.5 s at 2,000 points
    "lanczos": 1.0e-7,  # per n k r: 50 pairs in 1.5 s (k = 15), one component at a time
    "scikit-learn": 4.1e-11,  # per n² d: LabelSpreading's own kNN search and fit, 4.2 s
    "sweeps": 3.6e-10,  # per n² d: label propagation's α, k and labels sweeps, 36 s
    "map": 1.9e-7,  # per queries n k: the ranking page's mAP, 300 queries in 11 s
    "anchors": 6.7e-8,  # per n k anchors: 200 anchors' rankings (one LU) in 4 s (k = 15)
}
"""Seconds per unit of work before this server has timed a task itself."""
KEPT_RUNS = 5
BACKGROUND_THREAD = "mlviz-warm-up"
"""The low-priority thread of :mod:`mlviz.ui.warm_up`, whose times :func:`timed` does not keep."""


class WorkTimes:
    """Seconds per unit of work of each task, as this server process measured them."""

    def __init__(self, priors: dict[str, float]):
        self._priors = dict(priors)
        self._rates: dict[str, deque] = {}
        self._lock = threading.Lock()

    def estimate(self, task: str, work: float) -> float:
        """Expected seconds for ``work`` units of ``task``: the median rate of its last runs
        here, or the prior before any."""
        with self._lock:
            rates = self._rates.get(task)
            rate = statistics.median(rates) if rates else self._priors[task]
        return rate * work

    def record(self, task: str, work: float, seconds: float) -> None:
        if work > 0:
            with self._lock:
                self._rates.setdefault(task, deque(maxlen=KEPT_RUNS)).append(seconds / work)


@st.cache_resource(show_spinner=False)
def work_times() -> WorkTimes:
    """The server's one record, shared by every session."""
    return WorkTimes(SECONDS_PER_UNIT)


def graph_work(n: int, d: int) -> tuple[str, float]:
    """A kNN graph: ``n² d`` for the exact search, the share of it the IVF index probes
    above :data:`~mlviz.knn.APPROXIMATE_FROM` points."""
    if n >= APPROXIMATE_FROM:
        ivf = IvfParameters.for_size(n)
        return "graph", n * n * d * ivf.n_probe / ivf.n_cells
    return "graph", float(n) * n * d


def eigenpair_work(n: int, k: int, r: int, dense_limit: int) -> tuple[str, float]:
    """``r`` eigenpairs of a graph of ``n`` points and ``k`` neighbours: ``n³`` dense up to
    ``dense_limit`` points, else ``n k r`` by Lanczos."""
    if n <= dense_limit:
        return "dense eigenpairs", float(n) ** 3
    return "lanczos", float(n) * k * r


def anchors_work(n: int, k: int, anchors: int) -> tuple[str, float]:
    """The mining page's neighbour rankings of ``anchors`` anchors: ``n k`` per anchor."""
    return "anchors", float(n) * k * anchors


def map_work(n_queries: int, n: int, k: int) -> tuple[str, float]:
    """The ranking page's mAP: one diffusion per query, ``n k`` each."""
    return "map", float(n_queries) * n * k


def sklearn_work(n: int, d: int) -> tuple[str, float]:
    """scikit-learn's ``LabelSpreading`` fit: its exact kNN search, ``n² d``."""
    return "scikit-learn", float(n) * n * d


def sweep_work(n: int, d: int) -> tuple[str, float]:
    """Label propagation's sweeps: their kNN searches (one graph per k) dominate, ``n² d``."""
    return "sweeps", float(n) * n * d


@contextmanager
def timed(task: str, work: float):
    """Time the block (a cached function's body: a real computation) for later estimates."""
    start = time.perf_counter()
    yield
    if threading.current_thread().name != BACKGROUND_THREAD:  # its low priority stretches times
        work_times().record(task, work, time.perf_counter() - start)


def duration(seconds: float) -> str:
    """``about 3 s``, ``about 2 min``: the precision an estimate has."""
    if seconds < 1.5:
        return "about a second"
    if seconds < 90:
        return f"about {seconds:.0f} s"
    return f"about {seconds / 60:.0f} min"


NOTICE_AFTER_S = 0.5
"""A wait shorter than this shows nothing (a cache hit never does)."""
NOTICE_ICON = ":material/hourglass_top:"


@contextmanager
def waiting(what: str, *parts: tuple[str, float]):
    """A notice over the block, shown if it lasts over :data:`NOTICE_AFTER_S`: ``what``, the
    estimate for its ``(task, work)`` parts (if any), and the seconds so far, renewed each
    second by a helper thread of this script run. Outside a script run it shows nothing."""
    from streamlit.runtime.scriptrunner import add_script_run_ctx, get_script_run_ctx

    if get_script_run_ctx() is None:
        yield
        return
    eta = sum(work_times().estimate(task, work) for task, work in parts)
    what = what.rstrip("…")
    text = f"{what}: {duration(eta)} on this server" if parts else what
    slot = st.empty()
    lock, done = threading.Lock(), threading.Event()
    start = time.perf_counter()

    def show() -> None:
        wait = NOTICE_AFTER_S
        while not done.wait(wait):
            with lock:
                if done.is_set():
                    return
                try:
                    slot.info(f"{text} · {time.perf_counter() - start:.0f} s so far",
                              icon=NOTICE_ICON)
                except Exception:  # a notice must never break the computation it is about
                    logging.getLogger(__name__).exception("the wait notice failed")
                    return
            wait = 1.0

    helper = threading.Thread(target=show, name="mlviz-notice", daemon=True)
    add_script_run_ctx(helper)
    helper.start()
    try:
        yield
    finally:
        with lock:
            done.set()
            slot.empty()


def noticed(what: str) -> Callable:
    """Decorate a cached function (``show_spinner=False``) to run under :func:`waiting`'s
    notice ``what``: shown only when the call takes over half a second, a computation or a
    wait for another session's."""
    def decorate(function: Callable) -> Callable:
        @functools.wraps(function)
        def call(*args, **kwargs):
            with waiting(what):
                return function(*args, **kwargs)
        return call
    return decorate
