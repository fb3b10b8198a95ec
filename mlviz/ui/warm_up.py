"""What the smoothing and mining pages open with, computed in the background once a large data
set's graph exists.

Above :data:`~mlviz.spectral.DENSE_LIMIT` points the smoothing page opens on the graph's top
eigenpairs (Lanczos) and the mining page on the Euclidean and manifold rankings of its anchors
(one sparse LU): at 20,000 × 256 descriptors, 1–2 s and about 4 s of server time. A researcher
reads the home page or the ranking page first, so those seconds can be spent then: in one
thread for the whole server, into the same process-wide caches the pages read, while no page
script runs (each step waits until none has run for :data:`QUIET_S`, or for at most
:data:`MAX_WAIT_S`, then runs regardless), at a low CPU priority (``nice`` +10 on Linux) so that
a browser drawing on the same cores goes first. Its BLAS runs in this thread only (one BLAS
thread while a step runs: OpenBLAS's workers would keep the server's priority): at 20,000 ×
256, the eigenpairs took 1.09 s of CPU so against 1.30 s on two threads, the anchors'
rankings 0.87 s against 1.33 s. The limit is the process's, so a page script that runs
beside a step has one BLAS thread too, for at most that step's length.

A page opened before its work is done waits for that one computation (Streamlit's caches
compute a key once) instead of starting its own; the mining page's wait cannot be cut short by
a slider move (Streamlit waits on the cache's lock), the smoothing page's can. The pages' own
timings for their wait estimates ignore this thread, whose times its low priority stretches.

Off with ``MLVIZ_WARM_UP=off`` (:mod:`mlviz.ui.server`).
"""

from __future__ import annotations

import logging
import os
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import streamlit as st
from threadpoolctl import threadpool_limits

from mlviz.spectral import DENSE_LIMIT
from mlviz.ui.caches import MINING_ALPHA, cached_rankings, eigenpair_rank, shared_eigenpairs
from mlviz.ui.server import server_settings
from mlviz.ui.waits import BACKGROUND_THREAD

if TYPE_CHECKING:
    from mlviz.ui.sidebar import Workspace

NICE = 10
QUIET_S = 1.0
"""Seconds without a page script before a step starts. At 20,000 × 256 (``bench_browser_20k.py``,
which moves on as soon as a page is idle) 2 s kept the mining step from starting under the
ranking page's drawing, but it rarely found 2 s before the mining page was opened, which then
computed its rankings itself (first visit 3.0–4.2 s in five runs of six, against 0.9–1.5 s)."""
MAX_WAIT_S = 60.0
SCRIPT_THREAD = "ScriptRunner.scriptThread"  # Streamlit's: one alive while a script runs
_log = logging.getLogger(__name__)


@dataclass
class WarmUps:
    """The server's one warm-up thread and the workspaces it has been given."""

    jobs: queue.Queue = field(default_factory=queue.Queue)
    started: set = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)
    thread: threading.Thread | None = None

    def submit(self, key: tuple, work: list[Callable[[], object]]) -> bool:
        """Queue ``work`` once per ``key``; False if that key was queued before."""
        with self.lock:
            if key in self.started:
                return False
            self.started.add(key)
            self.jobs.put(work)
            if self.thread is None or not self.thread.is_alive():
                self.thread = threading.Thread(target=self._run, name=BACKGROUND_THREAD, daemon=True)
                self.thread.start()
        return True

    def _run(self) -> None:
        try:  # Linux: this thread only, relative to the server's own priority
            tid = threading.get_native_id()
            os.setpriority(os.PRIO_PROCESS, tid, os.getpriority(os.PRIO_PROCESS, tid) + NICE)
        except (AttributeError, OSError):  # elsewhere: the normal priority
            pass
        while True:
            work = self.jobs.get()
            while work:
                step = work.pop(0)  # dropped once run: a step holds its data set's arrays
                wait_for_quiet()
                try:
                    with threadpool_limits(limits=1, user_api="blas"):
                        step()
                except Exception:  # the page computes it again, and shows its own message
                    _log.exception("warm-up step failed")
                del step
            self.jobs.task_done()


def wait_for_quiet(quiet_s: float = QUIET_S, max_wait_s: float = MAX_WAIT_S,
                   poll_s: float = 0.2) -> float:
    """Block until no page script has run for ``quiet_s`` (or ``max_wait_s`` has passed);
    return the seconds waited."""
    start = quiet_since = time.monotonic()
    while (now := time.monotonic()) - start < max_wait_s:
        if any(t.name == SCRIPT_THREAD for t in threading.enumerate()):
            quiet_since = now
        elif now - quiet_since >= quiet_s:
            break
        time.sleep(poll_s)
    return time.monotonic() - start


@st.cache_resource(show_spinner=False)
def warm_ups() -> WarmUps:
    return WarmUps()


def warm_up(ws: Workspace) -> bool:
    """Start computing the smoothing and mining pages' opening work for ``ws`` in the
    background, once per data set and graph, if it has over ``DENSE_LIMIT`` points and the
    server allows it. True if this call queued it."""
    n = ws.n
    if n <= DENSE_LIMIT or not server_settings().warm_up:
        return False
    data_key, params, X, W_norm = ws.data_key, ws.params, ws.dataset.X, ws.graph.W_norm
    metric = ws.graph.neighbors.metric
    return warm_ups().submit((data_key, params), [
        lambda: shared_eigenpairs(data_key, params, eigenpair_rank(n), W_norm),
        lambda: cached_rankings(data_key, params, MINING_ALPHA, metric, X, W_norm),
    ])

